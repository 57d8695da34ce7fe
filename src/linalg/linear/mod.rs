//! A linear layer `y = W x (+ b)` loaded from a safetensors or `.fftt`
//! file by tensor name, choosing how W is held by a memory budget.

use std::path::Path;

use super::quantized::{matrix_dims, GpuQuantizedWeight};
use super::streamed::{BlockCodec, StreamedWeight};
use super::{matmul_cpu, matmul_quantized_cpu, MatmulShape, QuantBits, QuantizedWeight};
use crate::backend::{Context, GpuBuffer};
use crate::error::{Error, Result};
use crate::store::codec::CodecId;
use crate::store::{AnyFile, Container};

/// How a [`Linear`] holds its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinearPath {
    /// f32, resident (GPU memory on a GPU context).
    Dense,
    /// INT8/INT4 with f16 group scales, resident, dequantised in the kernel.
    Quantized,
    /// Compressed row blocks in host memory, streamed per call.
    Streamed,
}

/// Options for [`Linear::load`] and [`Linear::from_weight`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearOptions {
    /// Bytes the weight may take where it is used (GPU memory on a GPU
    /// context, host memory on the CPU backend): dense when `4 M N` fits,
    /// else quantised (when allowed or stored so), else streamed in blocks
    /// whose two scratch buffers fit. `None`: dense.
    pub memory_budget: Option<u64>,
    /// Whether the layer may quantise an f32 weight itself (lossy). A
    /// weight stored as INT8/INT4 in a `.fftt` file is used as stored
    /// either way; otherwise without this the layer stays exact (dense or
    /// streamed f32).
    pub allow_lossy: bool,
    /// Bits when the layer quantises.
    pub bits: QuantBits,
    /// Elements per f16 scale when the layer quantises.
    pub group: usize,
}

impl Default for LinearOptions {
    fn default() -> Self {
        LinearOptions {
            memory_budget: None,
            allow_lossy: false,
            bits: QuantBits::Int8,
            group: 64,
        }
    }
}

enum Weight {
    Dense {
        host: Vec<f32>,
        gpu: Option<GpuBuffer>,
    },
    Quantized {
        host: QuantizedWeight,
        gpu: Option<GpuQuantizedWeight>,
    },
    Streamed(StreamedWeight),
}

/// `y = W x (+ b)` with `W` of `outputs x inputs`; see the module docs.
pub struct Linear {
    ctx: Context,
    weight: Weight,
    bias: Option<Vec<f32>>,
    outputs: usize,
    inputs: usize,
}

impl std::fmt::Debug for Linear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linear")
            .field("outputs", &self.outputs)
            .field("inputs", &self.inputs)
            .field("path", &self.path())
            .field("bias", &self.bias.is_some())
            .finish()
    }
}

fn finite(what: &str, v: &[f32]) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::invalid(
            "weight",
            format!("{what} element {i} is {}; weights must be finite", v[i]),
        )),
    }
}

impl Linear {
    /// A layer from the tensor `weight` (f32, f16 or bf16, or any `.fftt`
    /// codec; `outputs x inputs`, leading dimensions folded into outputs)
    /// and optional tensor `bias` of the file at `path`. An INT8/INT4
    /// `.fftt` weight is used as stored when the budget does not hold it
    /// dense; other weights are decoded once.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a tensor is missing, not numeric,
    /// not a matrix, or holds NaN or infinity; a bias of the wrong length
    /// ([`Error::ShapeMismatch`]); file, decoding and device errors; as
    /// [`Linear::from_weight`].
    pub fn load(
        ctx: &Context,
        path: &Path,
        weight: &str,
        bias: Option<&str>,
        options: LinearOptions,
    ) -> Result<Self> {
        let file = AnyFile::open(path)?;
        let list = file.list();
        let find = |name: &str| {
            list.iter().position(|(n, _, _)| n == name).ok_or_else(|| {
                Error::invalid(
                    "name",
                    format!("{}: no tensor named `{name}`", path.display()),
                )
            })
        };
        let wi = find(weight)?;
        let (outputs, inputs) = matrix_dims(&list[wi].2).ok_or_else(|| {
            Error::invalid("weight", format!("`{weight}` is a scalar, not a matrix"))
        })?;
        let bias = match bias {
            Some(name) => {
                let values = file.values_at(ctx, find(name)?)?.ok_or_else(|| {
                    Error::invalid("bias", format!("`{name}` has no numeric reading"))
                })?;
                Some(values)
            }
            None => None,
        };
        if let (AnyFile::Fftt(c), Some(budget)) = (&file, options.memory_budget) {
            if let Some(weight) = Self::as_stored(ctx, c, wi, budget, outputs * inputs)? {
                finite("bias", bias.as_deref().unwrap_or(&[]))?;
                return Self::build(ctx, weight, bias, outputs, inputs);
            }
        }
        let w = file.values_at(ctx, wi)?.ok_or_else(|| {
            Error::invalid("weight", format!("`{weight}` has no numeric reading"))
        })?;
        Self::from_weight(ctx, w, outputs, inputs, bias, options)
    }

    /// A layer from `w` (`outputs x inputs`, row-major) and an optional
    /// bias, holding W dense when `4 outputs inputs` bytes fit the budget,
    /// else quantised when `allow_lossy` and it fits, else streamed in f32
    /// blocks.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for lengths that do not match;
    /// [`Error::InvalidArgument`] for NaN or infinity in `w` or the bias,
    /// a zero dimension, or a budget that cannot hold two scratch blocks
    /// of one row; device errors uploading W.
    pub fn from_weight(
        ctx: &Context,
        w: Vec<f32>,
        outputs: usize,
        inputs: usize,
        bias: Option<Vec<f32>>,
        options: LinearOptions,
    ) -> Result<Self> {
        MatmulShape::new(1, inputs, outputs).check_lengths(
            "Linear",
            inputs,
            Some(w.len()),
            bias.as_ref().map(Vec::len),
        )?;
        finite("weight", &w)?;
        finite("bias", bias.as_deref().unwrap_or(&[]))?;
        let dense = 4 * w.len() as u64;
        let weight = match options.memory_budget {
            None => Weight::dense(ctx, w)?,
            Some(budget) if dense <= budget => Weight::dense(ctx, w)?,
            Some(budget) => {
                let q = if options.allow_lossy {
                    let q = QuantizedWeight::quantize(
                        &w,
                        outputs,
                        inputs,
                        options.bits,
                        options.group,
                    )?;
                    Some(q).filter(|q| q.bytes() <= budget)
                } else {
                    None
                };
                match q {
                    Some(q) => Weight::quantized(ctx, q)?,
                    None => {
                        let max_binding = ctx.gpu().map_or(u64::MAX, |g| g.max_binding_bytes());
                        let rows = BlockCodec::F32.block_rows(inputs, budget, max_binding)?;
                        Weight::Streamed(StreamedWeight::encode(
                            ctx,
                            &w,
                            outputs,
                            inputs,
                            BlockCodec::F32,
                            rows,
                        )?)
                    }
                }
            }
        };
        Self::build(ctx, weight, bias, outputs, inputs)
    }

    /// W used in its stored form when the budget refuses it dense: an
    /// INT8/INT4 tensor resident as stored when it fits, else any tensor
    /// stored in row blocks streamed from them when two decoded blocks
    /// fit; `None`: decode it.
    fn as_stored(
        ctx: &Context,
        c: &Container,
        wi: usize,
        budget: u64,
        elements: usize,
    ) -> Result<Option<Weight>> {
        let e = &c.entries()[wi];
        if 4 * elements as u64 <= budget {
            return Ok(None);
        }
        let quantized = matches!(e.codec(), Some(CodecId::Int8 | CodecId::Int4));
        if quantized && (e.stored_bytes() <= budget || e.blocks.len() < 2) {
            let q = QuantizedWeight::from_container(c, &e.name)?;
            return Ok(Some(Weight::quantized(ctx, q)?));
        }
        if e.blocks.len() < 2 {
            return Ok(None);
        }
        let w = StreamedWeight::from_container(c, &e.name)?;
        let max_binding = ctx.gpu().map_or(u64::MAX, |g| g.max_binding_bytes());
        let fits = w
            .codec()
            .block_rows(w.cols(), budget, max_binding)
            .is_ok_and(|rows| rows >= w.block_rows());
        Ok(fits.then_some(Weight::Streamed(w)))
    }

    fn build(
        ctx: &Context,
        weight: Weight,
        bias: Option<Vec<f32>>,
        outputs: usize,
        inputs: usize,
    ) -> Result<Self> {
        if let Some(b) = bias.as_ref().filter(|b| b.len() != outputs) {
            return Err(Error::shape(
                "Linear bias",
                format!("{outputs} elements"),
                format!("{} elements", b.len()),
            ));
        }
        Ok(Linear {
            ctx: ctx.clone(),
            weight,
            bias,
            outputs,
            inputs,
        })
    }

    /// How W is held.
    pub fn path(&self) -> LinearPath {
        match self.weight {
            Weight::Dense { .. } => LinearPath::Dense,
            Weight::Quantized { .. } => LinearPath::Quantized,
            Weight::Streamed(_) => LinearPath::Streamed,
        }
    }

    /// The streamed weight (its codec, blocks and host bytes) when W is
    /// streamed.
    pub fn streamed(&self) -> Option<&StreamedWeight> {
        match &self.weight {
            Weight::Streamed(w) => Some(w),
            _ => None,
        }
    }

    /// `(outputs, inputs)`.
    pub fn dims(&self) -> (usize, usize) {
        (self.outputs, self.inputs)
    }

    /// `y = x W^T (+ b)` for `x` of shape `[..., inputs]` (leading
    /// dimensions flattened into the batch); returns `y` of shape
    /// `[..., outputs]`. NaN in `x` propagates as IEEE arithmetic does.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the last dimension is not `inputs` or
    /// `x` does not hold the shape; [`Error::InvalidArgument`] for an empty
    /// batch; device errors.
    pub fn forward(&self, x: &[f32], shape: &[usize]) -> Result<(Vec<f32>, Vec<usize>)> {
        let (&last, lead) = shape
            .split_last()
            .ok_or_else(|| Error::shape("Linear::forward", "a shape [..., inputs]", "[]"))?;
        if last != self.inputs {
            return Err(Error::shape(
                "Linear::forward",
                format!("last dimension {}", self.inputs),
                format!("shape {shape:?}"),
            ));
        }
        let batch: usize = lead.iter().product();
        let s = MatmulShape::new(batch, self.inputs, self.outputs);
        s.check_lengths("Linear::forward", x.len(), None, None)?;
        let bias = self.bias.as_deref();
        let y = match &self.weight {
            Weight::Dense { host, gpu: None } => matmul_cpu(x, host, bias, s)?,
            Weight::Dense { gpu: Some(w), .. } => {
                let mut rec = self.ctx.recording("linear")?;
                let xs = rec.upload("linear X", x)?;
                let bs = bias.map(|b| rec.upload("linear bias", b)).transpose()?;
                let ys = rec.temporary("linear Y", 4 * s.y_len() as u64)?;
                self.ctx
                    .record_matmul(&mut rec, &xs, &w.slice(), bs.as_ref(), &ys, s)?;
                let out = rec.read_back(&ys)?;
                rec.submit()?.wait()?.take(out)?
            }
            Weight::Quantized { host, gpu: None } => matmul_quantized_cpu(x, host, bias, batch)?,
            Weight::Quantized { gpu: Some(w), .. } => {
                let mut rec = self.ctx.recording("linear")?;
                let xs = rec.upload("linear X", x)?;
                let bs = bias.map(|b| rec.upload("linear bias", b)).transpose()?;
                let ys = rec.temporary("linear Y", 4 * s.y_len() as u64)?;
                self.ctx
                    .record_matmul_quantized(&mut rec, &xs, w, bs.as_ref(), &ys, batch)?;
                let out = rec.read_back(&ys)?;
                rec.submit()?.wait()?.take(out)?
            }
            Weight::Streamed(w) => self.ctx.matmul_streamed(x, w, bias, batch)?,
        };
        let mut out_shape = lead.to_vec();
        out_shape.push(self.outputs);
        Ok((y, out_shape))
    }
}

impl Weight {
    fn dense(ctx: &Context, host: Vec<f32>) -> Result<Self> {
        let gpu = match ctx.gpu() {
            Some(g) => Some(g.storage_from("linear weight", &host)?),
            None => None,
        };
        // On the GPU the host copy is dropped: W lives on the device only.
        let host = if gpu.is_some() { Vec::new() } else { host };
        Ok(Weight::Dense { host, gpu })
    }

    fn quantized(ctx: &Context, host: QuantizedWeight) -> Result<Self> {
        let gpu = match ctx.gpu() {
            Some(_) => Some(ctx.upload_quantized(&host)?),
            None => None,
        };
        Ok(Weight::Quantized { host, gpu })
    }
}
