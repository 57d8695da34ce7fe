//! Encoder blocks for inference (no training, no dropout): an FNet block
//! and a BERT-style (post-norm) attention block, built from the library's
//! kernels (FFT mixing, attention, layer norm with fused residual, GELU
//! with fused bias, the dense matmul of [`crate::linalg`]). On the GPU a
//! block call is one recording (weights uploaded with the input), one
//! submission and one wait; on the CPU each step runs its CPU twin.
//!
//! Weights load from a safetensors file or a `.fftt` container (any codec,
//! decoded once on the CPU at load; open either with
//! [`crate::store::AnyFile::open`]) by Hugging Face names, with `prefix` the
//! layer's own (e.g. `fnet.encoder.layer.0.` or `bert.encoder.layer.3.`);
//! dense weights are `[out, in]` as PyTorch's `nn.Linear` keeps them, F32,
//! F16 or BF16:
//!
//! | block | tensor (after the prefix) | shape |
//! |---|---|---|
//! | FNet | `fourier.output.LayerNorm.weight`, `.bias` | `[H]` |
//! | FNet | `intermediate.dense.weight`, `.bias` | `[I, H]`, `[I]` |
//! | FNet | `output.dense.weight`, `.bias` | `[H, I]`, `[H]` |
//! | FNet | `output.LayerNorm.weight`, `.bias` | `[H]` |
//! | BERT | `attention.self.query.weight`, `.bias` (also `key`, `value`) | `[H, H]`, `[H]` |
//! | BERT | `attention.output.dense.weight`, `.bias` | `[H, H]`, `[H]` |
//! | BERT | `attention.output.LayerNorm.weight`, `.bias` | `[H]` |
//! | BERT | `intermediate.dense.*`, `output.dense.*`, `output.LayerNorm.*` | as FNet |

use crate::backend::{BufferSlice, Context, Recording};
use crate::error::{Error, Result};
use crate::layers::attention::{AttentionOptions, AttentionShape};
use crate::layers::mixing::bsh;
use crate::layers::norm::GeluForm;
use crate::linalg::MatmulShape;
use crate::store::AnyFile;
use crate::tensor::Tensor;

/// A dense layer `y = x W^T + b`, `W` `[outputs, inputs]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Row-major `[outputs, inputs]`.
    pub weight: Vec<f32>,
    /// `outputs` values.
    pub bias: Vec<f32>,
    /// Input features.
    pub inputs: usize,
    /// Output features.
    pub outputs: usize,
}

/// Layer norm parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Norm {
    /// Scale, `hidden` values.
    pub gamma: Vec<f32>,
    /// Shift, `hidden` values.
    pub beta: Vec<f32>,
    /// Added to the variance (Hugging Face's `layer_norm_eps`, 1e-12 for FNet and BERT).
    pub eps: f32,
}

/// The feed-forward half every block ends with: `LN(W2 gelu(W1 h + b1) + b2 + h)`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedForward {
    /// `intermediate.dense`: hidden -> intermediate.
    pub intermediate: Dense,
    /// `output.dense`: intermediate -> hidden.
    pub output: Dense,
    /// `output.LayerNorm`.
    pub norm: Norm,
    /// GELU form (FNet's `gelu_new` is [`GeluForm::Tanh`], BERT's `gelu` [`GeluForm::Erf`]).
    pub gelu: GeluForm,
}

/// An FNet encoder layer: `h = LN(x + Re(FFT2(x)))`, then [`FeedForward`].
#[derive(Debug, Clone, PartialEq)]
pub struct FnetBlock {
    /// `fourier.output.LayerNorm`.
    pub mixing_norm: Norm,
    /// The feed-forward half.
    pub ff: FeedForward,
}

/// A BERT encoder layer (post-norm): `h = LN(x + O(attention(Q x, K x, V x)))`,
/// then [`FeedForward`].
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionBlock {
    /// `attention.self.query`.
    pub query: Dense,
    /// `attention.self.key`.
    pub key: Dense,
    /// `attention.self.value`.
    pub value: Dense,
    /// `attention.output.dense`.
    pub attention_output: Dense,
    /// `attention.output.LayerNorm`.
    pub attention_norm: Norm,
    /// Heads.
    pub heads: usize,
    /// The feed-forward half.
    pub ff: FeedForward,
}

fn load(file: &AnyFile, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    let list = file.list();
    let i = list
        .iter()
        .position(|(n, _, _)| n == name)
        .ok_or_else(|| Error::invalid("weights", format!("no tensor `{name}`")))?;
    let (_, dtype, found) = &list[i];
    if found != shape {
        return Err(Error::shape(
            "block weight",
            format!("`{name}` of shape {shape:?}"),
            format!("{found:?}"),
        ));
    }
    file.values_at(&Context::cpu(), i)?.ok_or_else(|| {
        Error::invalid(
            "weights",
            format!("`{name}` is {dtype:?}, not a float type"),
        )
    })
}

impl Dense {
    /// Loads `{name}.weight` `[outputs, inputs]` and `{name}.bias`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a missing tensor or a non-float type;
    /// [`Error::ShapeMismatch`] for another shape; file errors.
    pub fn load(file: &AnyFile, name: &str, inputs: usize, outputs: usize) -> Result<Self> {
        Ok(Dense {
            weight: load(file, &format!("{name}.weight"), &[outputs, inputs])?,
            bias: load(file, &format!("{name}.bias"), &[outputs])?,
            inputs,
            outputs,
        })
    }

    fn check(&self) -> Result<()> {
        crate::layers::check_len(
            "dense weight",
            self.weight.len(),
            self.inputs * self.outputs,
        )?;
        crate::layers::check_len("dense bias", self.bias.len(), self.outputs)
    }
}

impl Norm {
    /// Loads `{name}.weight` and `{name}.bias` (`[hidden]`).
    ///
    /// # Errors
    /// As [`Dense::load`].
    pub fn load(file: &AnyFile, name: &str, hidden: usize, eps: f32) -> Result<Self> {
        Ok(Norm {
            gamma: load(file, &format!("{name}.weight"), &[hidden])?,
            beta: load(file, &format!("{name}.bias"), &[hidden])?,
            eps,
        })
    }
}

impl FeedForward {
    /// Loads `intermediate.dense`, `output.dense` and `output.LayerNorm` after `prefix`.
    ///
    /// # Errors
    /// As [`Dense::load`].
    pub fn load(
        file: &AnyFile,
        prefix: &str,
        hidden: usize,
        intermediate: usize,
        eps: f32,
        gelu: GeluForm,
    ) -> Result<Self> {
        Ok(FeedForward {
            intermediate: Dense::load(
                file,
                &format!("{prefix}intermediate.dense"),
                hidden,
                intermediate,
            )?,
            output: Dense::load(file, &format!("{prefix}output.dense"), intermediate, hidden)?,
            norm: Norm::load(file, &format!("{prefix}output.LayerNorm"), hidden, eps)?,
            gelu,
        })
    }
}

impl FnetBlock {
    /// Loads an FNet layer by Hugging Face names (see the module docs).
    ///
    /// # Errors
    /// As [`Dense::load`].
    pub fn load(
        file: &AnyFile,
        prefix: &str,
        hidden: usize,
        intermediate: usize,
        eps: f32,
    ) -> Result<Self> {
        Ok(FnetBlock {
            mixing_norm: Norm::load(
                file,
                &format!("{prefix}fourier.output.LayerNorm"),
                hidden,
                eps,
            )?,
            ff: FeedForward::load(file, prefix, hidden, intermediate, eps, GeluForm::Tanh)?,
        })
    }
}

impl AttentionBlock {
    /// Loads a BERT layer by Hugging Face names (see the module docs).
    ///
    /// # Errors
    /// As [`Dense::load`].
    pub fn load(
        file: &AnyFile,
        prefix: &str,
        hidden: usize,
        intermediate: usize,
        heads: usize,
        eps: f32,
    ) -> Result<Self> {
        let d = |n: &str| Dense::load(file, &format!("{prefix}attention.{n}"), hidden, hidden);
        Ok(AttentionBlock {
            query: d("self.query")?,
            key: d("self.key")?,
            value: d("self.value")?,
            attention_output: d("output.dense")?,
            attention_norm: Norm::load(
                file,
                &format!("{prefix}attention.output.LayerNorm"),
                hidden,
                eps,
            )?,
            heads,
            ff: FeedForward::load(file, prefix, hidden, intermediate, eps, GeluForm::Erf)?,
        })
    }
}

/// Uploads what a block needs and records its steps.
struct Rec<'a> {
    ctx: &'a Context,
    rec: Recording,
    rows: usize,
}

impl Rec<'_> {
    fn up(&mut self, data: &[f32]) -> Result<BufferSlice> {
        self.rec.upload("block weights", data)
    }

    fn temp(&mut self, elems: usize) -> Result<BufferSlice> {
        self.rec.temporary("block activations", (elems * 4) as u64)
    }

    fn dense(&mut self, x: &BufferSlice, d: &Dense) -> Result<BufferSlice> {
        d.check()?;
        let (w, b, y) = (
            self.up(&d.weight)?,
            self.up(&d.bias)?,
            self.temp(self.rows * d.outputs)?,
        );
        self.ctx.record_matmul(
            &mut self.rec,
            x,
            &w,
            Some(&b),
            &y,
            MatmulShape::new(self.rows, d.inputs, d.outputs),
        )?;
        Ok(y)
    }

    fn norm(&mut self, x: &BufferSlice, residual: &BufferSlice, n: &Norm) -> Result<BufferSlice> {
        let hidden = n.gamma.len();
        let (g, b, y) = (
            self.up(&n.gamma)?,
            self.up(&n.beta)?,
            self.temp(self.rows * hidden)?,
        );
        self.ctx.record_layer_norm(
            &mut self.rec,
            x,
            Some(residual),
            &g,
            &b,
            &y,
            (self.rows, hidden),
            n.eps,
        )?;
        Ok(y)
    }

    fn feed_forward(&mut self, h: &BufferSlice, ff: &FeedForward) -> Result<BufferSlice> {
        let i = ff.intermediate.outputs;
        let t = self.dense(
            h,
            &Dense {
                bias: vec![0.0; i],
                ..ff.intermediate.clone()
            },
        )?;
        let b1 = self.up(&ff.intermediate.bias)?;
        let g = self.temp(self.rows * i)?;
        self.ctx.record_gelu(
            &mut self.rec,
            &t,
            Some(&b1),
            &g,
            (self.rows * i, i),
            ff.gelu,
        )?;
        let f = self.dense(&g, &ff.output)?;
        self.norm(&f, h, &ff.norm)
    }

    fn finish(mut self, out: &BufferSlice) -> Result<Vec<f32>> {
        let r = self.rec.read_back(out)?;
        self.rec.submit()?.wait()?.take(r)
    }
}

impl Context {
    fn dense_cpu(&self, x: &[f32], d: &Dense, rows: usize) -> Result<Vec<f32>> {
        d.check()?;
        self.matmul(
            x,
            &d.weight,
            Some(&d.bias),
            MatmulShape::new(rows, d.inputs, d.outputs),
        )
    }

    fn feed_forward_host(&self, h: &Tensor<f32>, ff: &FeedForward) -> Result<Tensor<f32>> {
        let rows = h.len() / ff.intermediate.inputs;
        let t = self.dense_cpu(h.data(), &ff.intermediate, rows)?;
        let g = self.gelu(
            &Tensor::new(&[rows, ff.intermediate.outputs], t)?,
            None,
            ff.gelu,
        )?;
        let f = self.dense_cpu(g.data(), &ff.output, rows)?;
        self.layer_norm(
            &Tensor::new(h.shape(), f)?,
            Some(h),
            &ff.norm.gamma,
            &ff.norm.beta,
            ff.norm.eps,
        )
    }

    /// An FNet encoder layer on `x` `[batch, seq, hidden]` (inference).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for shapes that do not match the weights;
    /// the errors of the steps (FFT, matmul, GPU).
    pub fn fnet_block(&self, block: &FnetBlock, x: &Tensor<f32>) -> Result<Tensor<f32>> {
        let (b, s, h) = bsh("fnet_block input", x.shape())?;
        crate::layers::check_len("fnet_block hidden", block.ff.intermediate.inputs, h)?;
        let rows = b * s;
        if self.gpu().is_none() {
            let mix = self.fnet_mixing(x)?;
            let n = &block.mixing_norm;
            let hid = self.layer_norm(&mix, Some(x), &n.gamma, &n.beta, n.eps)?;
            return self.feed_forward_host(&hid, &block.ff);
        }
        let mut r = Rec {
            ctx: self,
            rec: self.recording("fnet block")?,
            rows,
        };
        let xs = r.up(x.data())?;
        let mix = r.temp(rows * h)?;
        self.record_fnet_mixing(&mut r.rec, &xs, &mix, (b, s, h))?;
        let hid = r.norm(&mix, &xs, &block.mixing_norm)?;
        let out = r.feed_forward(&hid, &block.ff)?;
        Tensor::new(x.shape(), r.finish(&out)?)
    }

    /// A BERT encoder layer on `x` `[batch, seq, hidden]` with an optional
    /// key mask (`[batch, seq]`, `false` for padding), inference.
    ///
    /// # Errors
    /// As [`Context::fnet_block`] and [`Context::attention`].
    pub fn attention_block(
        &self,
        block: &AttentionBlock,
        x: &Tensor<f32>,
        key_mask: Option<&[bool]>,
    ) -> Result<Tensor<f32>> {
        let (b, s, h) = bsh("attention_block input", x.shape())?;
        crate::layers::check_len("attention_block hidden", block.query.inputs, h)?;
        let rows = b * s;
        let options = AttentionOptions {
            heads: block.heads,
            causal: false,
            scale: None,
        };
        if self.gpu().is_none() {
            let proj = |d: &Dense| -> Result<Tensor<f32>> {
                Tensor::new(x.shape(), self.dense_cpu(x.data(), d, rows)?)
            };
            let (q, k, v) = (proj(&block.query)?, proj(&block.key)?, proj(&block.value)?);
            let a = self.attention(&q, &k, &v, key_mask, &options)?;
            let o = Tensor::new(
                x.shape(),
                self.dense_cpu(a.data(), &block.attention_output, rows)?,
            )?;
            let n = &block.attention_norm;
            let hid = self.layer_norm(&o, Some(x), &n.gamma, &n.beta, n.eps)?;
            return self.feed_forward_host(&hid, &block.ff);
        }
        if let Some(m) = key_mask {
            crate::layers::check_len("attention_block key_mask", m.len(), rows)?;
        }
        if block.heads == 0 || h % block.heads != 0 {
            return Err(Error::invalid(
                "heads",
                format!("{} heads do not divide hidden {h}", block.heads),
            ));
        }
        let mut r = Rec {
            ctx: self,
            rec: self.recording("attention block")?,
            rows,
        };
        let xs = r.up(x.data())?;
        let (q, k, v) = (
            r.dense(&xs, &block.query)?,
            r.dense(&xs, &block.key)?,
            r.dense(&xs, &block.value)?,
        );
        let mask = match key_mask {
            Some(m) => Some(r.rec.upload(
                "key mask",
                &m.iter().map(|&b| u32::from(b)).collect::<Vec<u32>>(),
            )?),
            None => None,
        };
        let a = r.temp(rows * h)?;
        let shape = AttentionShape {
            batch: b,
            sq: s,
            sk: s,
            heads: block.heads,
            head_dim: h / block.heads,
        };
        self.record_attention(&mut r.rec, [&q, &k, &v], mask.as_ref(), &a, shape, &options)?;
        let o = r.dense(&a, &block.attention_output)?;
        let hid = r.norm(&o, &xs, &block.attention_norm)?;
        let out = r.feed_forward(&hid, &block.ff)?;
        Tensor::new(x.shape(), r.finish(&out)?)
    }
}
