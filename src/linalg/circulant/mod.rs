//! Circulant and block-circulant products through the FFT, O(n log n) per
//! block: W is `p x q` blocks of `n x n` circulant matrices, block `(i, j)`
//! defined by its first column `c_ij` (`C_ij[r][k] = c_ij[(r - k) mod n]`),
//! so `y_i = sum_j C_ij x_j` is `irfft(sum_j rfft(c_ij) rfft(x_j))`. A plain
//! circulant matrix is `p = q = 1`; rectangular shapes come from `p != q`.
//! Any `n` (not only powers of two).

mod gpu;

use rustfft::num_complex::Complex32;

use crate::backend::Context;
use crate::error::{Error, Result};
use crate::fft::Normalization;
use crate::tensor::Tensor;

/// A block-circulant weight: `p x q` blocks of `n x n` circulants.
#[derive(Debug, Clone)]
pub struct BlockCirculant {
    p: usize,
    q: usize,
    n: usize,
    columns: Vec<f32>,
    /// Half spectra (`n / 2 + 1` each) of the first columns, block-row-major.
    spectra: Vec<Complex32>,
}

impl BlockCirculant {
    /// `p x q` blocks of size `n` from their first columns (`p q n` values,
    /// block `(i, j)` at `(i q + j) n`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero size or a non-finite value;
    /// [`Error::ShapeMismatch`] when `columns` does not hold `p q n` values.
    pub fn new(p: usize, q: usize, n: usize, columns: Vec<f32>) -> Result<Self> {
        if p == 0 || q == 0 || n == 0 {
            return Err(Error::invalid(
                "shape",
                format!("block-circulant needs p, q, n >= 1; got {p} x {q} blocks of {n}"),
            ));
        }
        let want = p
            .checked_mul(q)
            .and_then(|pq| pq.checked_mul(n))
            .ok_or_else(|| Error::invalid("shape", "too many elements"))?;
        if columns.len() != want {
            return Err(Error::shape(
                "BlockCirculant::new",
                format!("{p} x {q} x {n} = {want} values"),
                format!("{} values", columns.len()),
            ));
        }
        if let Some(i) = columns.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "columns",
                format!("element {i} is {}; weights must be finite", columns[i]),
            ));
        }
        let t = Tensor::new(&[p * q, n], columns.clone())?;
        let spectra = Context::cpu()
            .rfftn(&t, &[1], Normalization::Backward)?
            .into_data();
        Ok(BlockCirculant {
            p,
            q,
            n,
            columns,
            spectra,
        })
    }

    /// Rows of W (`p n`).
    pub fn outputs(&self) -> usize {
        self.p * self.n
    }

    /// Columns of W (`q n`).
    pub fn inputs(&self) -> usize {
        self.q * self.n
    }

    /// `(p, q, n)`.
    pub fn blocks(&self) -> (usize, usize, usize) {
        (self.p, self.q, self.n)
    }

    /// Bytes of the defining columns (what the layer stores): `p q n` f32
    /// instead of the dense `p q n^2`.
    pub fn bytes(&self) -> u64 {
        4 * self.columns.len() as u64
    }

    /// The dense `p n x q n` matrix (for tests and references).
    pub fn to_dense(&self) -> Vec<f32> {
        let (p, q, n) = (self.p, self.q, self.n);
        let cols = q * n;
        let mut w = vec![0.0f32; p * n * cols];
        for i in 0..p {
            for j in 0..q {
                let c = &self.columns[(i * q + j) * n..(i * q + j + 1) * n];
                for r in 0..n {
                    for k in 0..n {
                        w[(i * n + r) * cols + j * n + k] = c[(r + n - k) % n];
                    }
                }
            }
        }
        w
    }

    fn check_x(&self, x: &[f32], batch: usize, bias: Option<&[f32]>) -> Result<()> {
        super::MatmulShape::new(batch, self.inputs(), self.outputs()).check_lengths(
            "circulant_matmul",
            x.len(),
            None,
            bias.map(<[f32]>::len),
        )
    }
}

/// `Y = X W^T (+ bias)` for a block-circulant W on the CPU: `x` is
/// `batch x q n`, `Y` is `batch x p n`.
///
/// # Errors
/// [`Error::InvalidArgument`] for `batch` of zero; [`Error::ShapeMismatch`]
/// when `x` or `bias` do not match.
pub fn circulant_matmul_cpu(
    x: &[f32],
    w: &BlockCirculant,
    bias: Option<&[f32]>,
    batch: usize,
) -> Result<Vec<f32>> {
    w.check_x(x, batch, bias)?;
    let cpu = Context::cpu();
    let (p, q, n) = (w.p, w.q, w.n);
    let h = n / 2 + 1;
    let xs = cpu
        .rfftn(
            &Tensor::new(&[batch * q, n], x.to_vec())?,
            &[1],
            Normalization::Backward,
        )?
        .into_data();
    let mut acc = vec![Complex32::default(); batch * p * h];
    for (t, a) in acc.iter_mut().enumerate() {
        let (f, row) = (t % h, t / h);
        let (i, b) = (row % p, row / p);
        *a = (0..q)
            .map(|j| w.spectra[(i * q + j) * h + f] * xs[(b * q + j) * h + f])
            .sum();
    }
    let acc = Tensor::new(&[batch * p, h], acc)?;
    let mut y = cpu
        .irfftn(&acc, &[1], n, Normalization::Backward)?
        .into_data();
    add_bias(&mut y, bias);
    Ok(y)
}

fn add_bias(y: &mut [f32], bias: Option<&[f32]>) {
    if let Some(bias) = bias {
        for row in y.chunks_exact_mut(bias.len()) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v += b;
            }
        }
    }
}

impl Context {
    /// `Y = X W^T (+ bias)` for a block-circulant W on this context's
    /// backend (on the GPU one submission: real FFTs of the input blocks,
    /// the frequency-domain accumulation, inverse real FFTs).
    ///
    /// # Errors
    /// As [`circulant_matmul_cpu`]; on the GPU transform, budget and device
    /// errors.
    pub fn circulant_matmul(
        &self,
        x: &[f32],
        w: &BlockCirculant,
        bias: Option<&[f32]>,
        batch: usize,
    ) -> Result<Vec<f32>> {
        if self.gpu().is_none() {
            return circulant_matmul_cpu(x, w, bias, batch);
        }
        w.check_x(x, batch, bias)?;
        let mut y = gpu::circulant_matmul(self, x, w, batch)?;
        add_bias(&mut y, bias);
        Ok(y)
    }
}

/// A circulant linear layer: `y = W x + b` with a block-circulant W.
#[derive(Debug, Clone)]
pub struct CirculantLinear {
    /// The weight.
    pub weight: BlockCirculant,
    /// The bias (`weight.outputs()` values), if any.
    pub bias: Option<Vec<f32>>,
}

impl CirculantLinear {
    /// The forward pass for `x` of shape `[..., inputs]` (leading
    /// dimensions flattened); returns `y` and its shape `[..., outputs]`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the last dimension or the length does
    /// not match; as [`Context::circulant_matmul`].
    pub fn forward(
        &self,
        ctx: &Context,
        x: &[f32],
        shape: &[usize],
    ) -> Result<(Vec<f32>, Vec<usize>)> {
        let inputs = self.weight.inputs();
        let (&last, lead) = shape
            .split_last()
            .filter(|(&l, _)| l == inputs)
            .ok_or_else(|| {
                Error::shape(
                    "CirculantLinear::forward",
                    format!("a shape [..., {inputs}]"),
                    format!("{shape:?}"),
                )
            })?;
        debug_assert_eq!(last, inputs);
        let batch = lead.iter().product();
        let y = ctx.circulant_matmul(x, &self.weight, self.bias.as_deref(), batch)?;
        let mut out = lead.to_vec();
        out.push(self.weight.outputs());
        Ok((y, out))
    }
}
