//! Sparse spectral tensors: a tensor stored as the largest coefficients of
//! its real FFT (half spectrum) or orthonormal DCT-II, with every byte of the
//! stored form counted.
//!
//! Compress = transform (unitary, so Parseval holds) + exact top-k;
//! decompress = scatter into a zero spectrum + inverse transform. Both run on
//! the context's backend; on the GPU the stages chain on GPU buffers.
//!
//! How much to keep ([`Keep`]): a fraction or count of coefficients; a target
//! compression ratio (f32 input bytes / [`SparseSpectral::serialized_len`]);
//! or a target relative Frobenius error, met exactly: the transform is
//! orthonormal, so the error of keeping the k largest coefficients is the
//! dropped energy plus the rounding energy of the kept values, known from the
//! magnitudes in descending order before anything is decompressed, and the
//! smallest k that meets the target is chosen. On the host that order is
//! built only for the largest coefficients: a histogram of the magnitudes
//! says how far down the kept ones reach, so selecting a small fraction of a
//! large spectrum needs little memory beside it.
//!
//! Honest expectations (see the README): smooth data along ordered axes
//! (fields, images, signals, position tables) compresses by orders of
//! magnitude; i.i.d. noise and trained weight matrices do not (keeping a
//! fraction p of a Gaussian tensor's coefficients leaves relative error
//! `sqrt(1 - p (1 - ln p))`).

mod format;
mod gpu;
mod select;

use std::borrow::Cow;

use rayon::prelude::*;
use rustfft::num_complex::Complex32;

use crate::backend::Context;
use crate::error::{Error, Result};
use crate::fft::buffer::output_buffer;
use crate::fft::Normalization;
use crate::tensor::{shape_len, Tensor};

pub use format::{header_len, MAGIC, VERSION};
pub use gpu::RecordedCompress;

/// The transform over all axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transform {
    /// Real FFT (half spectrum along the last axis), complex coefficients.
    Rfft,
    /// Orthonormal DCT-II, real coefficients. Best for smooth data.
    Dct,
}

/// The precision kept coefficient values are stored with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StoredPrecision {
    /// IEEE half precision with one power-of-two scale per tensor (about
    /// 3e-4 relative rounding, far below useful truncation errors).
    #[default]
    F16,
    /// f32, exact.
    F32,
}

/// The former name of [`StoredPrecision`].
#[deprecated(note = "renamed StoredPrecision (how kept values are stored)")]
pub type ValueType = StoredPrecision;

impl StoredPrecision {
    fn bytes(self) -> usize {
        match self {
            StoredPrecision::F16 => 2,
            StoredPrecision::F32 => 4,
        }
    }
}

/// How many coefficients to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Keep {
    /// This fraction of the coefficients, in (0, 1] (at least one).
    Fraction(f64),
    /// Exactly this many coefficients.
    Count(usize),
    /// As many as fit a compression ratio of at least this (f32 bytes in /
    /// serialized bytes out, every byte counted).
    Ratio(f64),
    /// The fewest coefficients whose reconstruction has at most this
    /// relative Frobenius error (rounding of stored values included).
    RelativeError(f64),
}

/// Everything [`Context::compress`] needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressOptions {
    /// Which transform.
    pub transform: Transform,
    /// How values are stored.
    pub value_type: StoredPrecision,
    /// How many coefficients to keep.
    pub keep: Keep,
}

impl Default for CompressOptions {
    fn default() -> Self {
        CompressOptions {
            transform: Transform::Dct,
            value_type: StoredPrecision::F16,
            keep: Keep::RelativeError(0.01),
        }
    }
}

/// A tensor stored as its largest spectral coefficients.
#[derive(Debug, Clone)]
pub struct SparseSpectral {
    shape: Vec<usize>,
    transform: Transform,
    value_type: StoredPrecision,
    scale: f32,
    positions: Vec<u64>,
    /// Kept values as stored (already rounded to the value type), real parts
    /// and imaginary parts interleaved for the FFT.
    values: Vec<f32>,
    predicted_error: Option<f64>,
}

impl PartialEq for SparseSpectral {
    /// Equal when the stored content is equal (the predicted error, known
    /// only after compression, is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape
            && self.transform == other.transform
            && self.value_type == other.value_type
            && self.scale.to_bits() == other.scale.to_bits()
            && self.positions == other.positions
            && self
                .values
                .iter()
                .map(|v| v.to_bits())
                .eq(other.values.iter().map(|v| v.to_bits()))
    }
}

/// Shape of the coefficient tensor of `transform` on `shape`.
pub fn coefficient_shape(shape: &[usize], transform: Transform) -> Vec<usize> {
    let mut s = shape.to_vec();
    if transform == Transform::Rfft {
        let last = s.len() - 1;
        s[last] = s[last] / 2 + 1;
    }
    s
}

impl SparseSpectral {
    /// Shape of the original tensor.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The transform.
    pub fn transform(&self) -> Transform {
        self.transform
    }

    /// How values are stored.
    pub fn value_type(&self) -> StoredPrecision {
        self.value_type
    }

    /// Number of kept coefficients.
    pub fn kept(&self) -> usize {
        self.positions.len()
    }

    /// Number of coefficients of the full transform.
    pub fn coefficients(&self) -> usize {
        coefficient_shape(&self.shape, self.transform)
            .iter()
            .product()
    }

    /// Kept positions (flat row-major indices into the coefficient tensor),
    /// ascending.
    pub fn positions(&self) -> &[u64] {
        &self.positions
    }

    /// Kept values as stored; for [`Transform::Rfft`] real and imaginary
    /// parts interleaved.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The relative Frobenius error predicted at compression (exact through
    /// Parseval up to float rounding of the transforms); `None` for tensors
    /// read back from bytes.
    pub fn predicted_error(&self) -> Option<f64> {
        self.predicted_error
    }

    /// f32 bytes of the original over serialized bytes.
    pub fn ratio(&self) -> f64 {
        (4 * self.shape.iter().product::<usize>()) as f64 / self.serialized_len() as f64
    }

    fn components(&self) -> usize {
        components(self.transform)
    }
}

fn components(transform: Transform) -> usize {
    match transform {
        Transform::Rfft => 2,
        Transform::Dct => 1,
    }
}

/// The spectrum of a tensor on the host.
pub(crate) enum Spectrum {
    Real(Vec<f32>),
    /// Coefficients and the factor that makes them unitary (applied as
    /// values are read, so a full pass over the spectrum is saved).
    Complex(Vec<Complex32>, f32),
}

/// Parseval bookkeeping over a coefficient tensor: how much of the input's
/// energy each kept coefficient accounts for.
///
/// DCT coefficients count once. A real FFT's half spectrum stands for the
/// full one: interior bins of the last axis count twice (their conjugate
/// partners are implied), while on the slices at 0 and n/2 of that axis both
/// partners are stored. Keeping only one of such a pair, the real-valued
/// reconstruction splits it evenly between the two, which removes 3/4 of the
/// pair's error rather than 1/2.
pub(crate) struct Parseval {
    transform: Transform,
    coef_shape: Vec<usize>,
    n_last: usize,
}

/// How a coefficient enters Parseval's sum.
enum Bin {
    Single(f64),
    Paired(usize),
}

impl Parseval {
    pub(crate) fn new(transform: Transform, shape: &[usize]) -> Self {
        Parseval {
            transform,
            coef_shape: coefficient_shape(shape, transform),
            n_last: shape[shape.len() - 1],
        }
    }

    fn bin(&self, p: usize) -> Bin {
        if self.transform == Transform::Dct {
            return Bin::Single(1.0);
        }
        let h1 = self.n_last / 2 + 1;
        let k = p % h1;
        if !(k == 0 || (self.n_last.is_multiple_of(2) && k == h1 - 1)) {
            return Bin::Single(2.0);
        }
        // Partner: every other coordinate negated modulo its length.
        let mut rest = p / h1;
        let mut q = 0usize;
        let mut stride = h1;
        for &d in self.coef_shape[..self.coef_shape.len() - 1].iter().rev() {
            let c = rest % d;
            rest /= d;
            q += ((d - c) % d) * stride;
            stride *= d;
        }
        q += k;
        if q == p {
            Bin::Single(1.0)
        } else {
            Bin::Paired(q)
        }
    }

    /// What [`Self::weighted`] gives a coefficient by its column alone, for
    /// a pass over all coefficients: the length of the last axis of the
    /// coefficients, the weight of a column inside it, and the columns that
    /// weigh differently, with their weight.
    pub(crate) fn column_weights(&self) -> (usize, f64, Vec<(usize, f64)>) {
        let h1 = self.coef_shape[self.coef_shape.len() - 1];
        if self.transform == Transform::Dct {
            return (h1, 1.0, Vec::new());
        }
        // Bins on the slices at 0 and n/2 weigh their own energy (see
        // `bin`), interior bins twice theirs.
        let mut edges = vec![(0, 1.0)];
        if self.n_last.is_multiple_of(2) && h1 > 1 {
            edges.push((h1 - 1, 1.0));
        }
        (h1, 2.0, edges)
    }

    /// Weighted energy of coefficient `p` with squared magnitude `e`.
    pub(crate) fn weighted(&self, p: usize, e: f64) -> f64 {
        match self.bin(p) {
            Bin::Single(w) => w * e,
            Bin::Paired(_) => e,
        }
    }

    /// For a kept `p` whose conjugate partner is not kept: how much less
    /// error the real-valued reconstruction leaves than counting the partner
    /// as plainly dropped (half of `p`'s energy); 0 otherwise.
    pub(crate) fn split_pair_relief(
        &self,
        p: usize,
        e_p: f64,
        kept: impl Fn(usize) -> bool,
    ) -> f64 {
        match self.bin(p) {
            Bin::Paired(q) if !kept(q) => 0.5 * e_p,
            _ => 0.0,
        }
    }

    /// Error energy removed by keeping `p` (squared magnitude `e_p`), given
    /// the squared magnitude of its partner if that is already kept.
    pub(crate) fn gain(
        &self,
        p: usize,
        e_p: f64,
        kept_partner: impl Fn(usize) -> Option<f64>,
    ) -> f64 {
        match self.bin(p) {
            Bin::Single(w) => w * e_p,
            Bin::Paired(q) => match kept_partner(q) {
                Some(e_q) => e_p - 0.5 * e_q,
                None => 1.5 * e_p,
            },
        }
    }
}

impl Context {
    /// Compresses `tensor` into its largest spectral coefficients.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for NaN or infinite input (naming the
    /// first index), keep settings out of range (fraction not in (0, 1],
    /// count 0 or above the coefficient count, ratio not above 0 or
    /// unreachable, negative or non-finite error), or more than 2^40
    /// coefficients; GPU errors on the GPU backend.
    pub fn compress(
        &self,
        tensor: &Tensor<f32>,
        options: &CompressOptions,
    ) -> Result<SparseSpectral> {
        self.compress_cow(Cow::Borrowed(tensor), options)
    }

    /// [`Context::compress`] taking the tensor by value: the DCT on the CPU
    /// twin transforms it in place instead of copying it first.
    ///
    /// # Errors
    /// As [`Context::compress`].
    pub fn compress_owned(
        &self,
        tensor: Tensor<f32>,
        options: &CompressOptions,
    ) -> Result<SparseSpectral> {
        self.compress_cow(Cow::Owned(tensor), options)
    }

    /// [`Context::compress`] of borrowed row-major `data` of `shape`: the
    /// real-FFT transform on the CPU twin reads it where it lies (no copy
    /// of the tensor is made); other paths take a copy.
    ///
    /// # Errors
    /// As [`Context::compress`]; [`Error::ShapeMismatch`] when `shape`
    /// does not hold `data`.
    pub fn compress_slice(
        &self,
        data: &[f32],
        shape: &[usize],
        options: &CompressOptions,
    ) -> Result<SparseSpectral> {
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        // A shape that does not hold the data is refused as a tensor of
        // that shape would be.
        let fits = n == Some(data.len()) && !shape.is_empty();
        if fits && options.transform == Transform::Rfft && self.gpu().is_none() {
            let energy = checked_energy(data)?;
            check_coefficients(shape, options)?;
            let axes: Vec<usize> = (0..shape.len()).collect();
            let spectrum = self.rfftn_slice(data, shape, &axes, Normalization::None)?;
            let spectrum = Spectrum::Complex(spectrum.into_data(), unitary_factor(shape));
            return select::from_spectrum(shape, options, &spectrum, energy);
        }
        self.compress_owned(Tensor::new(shape, data.to_vec())?, options)
    }

    fn compress_cow(
        &self,
        tensor: Cow<'_, Tensor<f32>>,
        options: &CompressOptions,
    ) -> Result<SparseSpectral> {
        let energy = checked_energy(tensor.data())?;
        let shape = &tensor.shape().to_vec();
        let coefs = check_coefficients(shape, options)?;
        let axes: Vec<usize> = (0..shape.len()).collect();

        // One submission on the GPU (see `record_compress`); spectra beyond
        // one storage binding take the host search on a transformed copy.
        if self.gpu().is_some() && gpu::fits(self, coefs, options.transform)? {
            return gpu::compress(self, &tensor, options, energy);
        }
        let spectrum = match options.transform {
            Transform::Dct => {
                let mut t = tensor.into_owned();
                self.dctn(&mut t, &axes)?;
                Spectrum::Real(t.into_data())
            }
            // The CPU twin leaves the spectrum unnormalised and scales only
            // what is read; the GPU normalises for free inside its kernels.
            // The values are not needed beside their spectrum.
            Transform::Rfft if self.gpu().is_none() => {
                let spectrum = self.rfftn(&tensor, &axes, Normalization::None)?;
                drop(tensor);
                Spectrum::Complex(spectrum.into_data(), unitary_factor(shape))
            }
            Transform::Rfft => {
                let spectrum = self.rfftn(&tensor, &axes, Normalization::Ortho)?;
                drop(tensor);
                Spectrum::Complex(spectrum.into_data(), 1.0)
            }
        };
        select::from_spectrum(shape, options, &spectrum, energy)
    }

    /// Rebuilds the dense tensor.
    ///
    /// # Errors
    /// GPU errors on the GPU backend (device limits, budget).
    pub fn decompress(&self, sparse: &SparseSpectral) -> Result<Tensor<f32>> {
        let shape = sparse.shape().to_vec();
        let axes: Vec<usize> = (0..shape.len()).collect();
        if self.gpu().is_some() && sparse.coefficients() <= u32::MAX as usize {
            return gpu::decompress(self, sparse);
        }
        match sparse.transform {
            Transform::Dct => {
                let mut dense = vec![0.0f32; sparse.coefficients()];
                select::scatter(&mut dense, &sparse.positions, |i| sparse.values[i]);
                let mut t = Tensor::new(&shape, dense)?;
                self.idctn(&mut t, &axes)?;
                Ok(t)
            }
            Transform::Rfft => {
                // Unitary inverse = unnormalised inverse of the values times
                // 1/sqrt(N): scale the kept values, not the whole output.
                let f = unitary_factor(&shape);
                let mut dense: Vec<Complex32> = output_buffer(sparse.coefficients());
                select::scatter(&mut dense, &sparse.positions, |i| {
                    Complex32::new(sparse.values[2 * i] * f, sparse.values[2 * i + 1] * f)
                });
                let t = Tensor::new(&coefficient_shape(&shape, Transform::Rfft), dense)?;
                self.irfftn_cpu_with(t, &axes, shape[shape.len() - 1], Normalization::None, true)
            }
        }
    }
}

/// The energy of `data` (one pass: it is finite exactly when every value
/// is); [`Error::InvalidArgument`] naming the first non-finite value.
fn checked_energy(data: &[f32]) -> Result<f64> {
    let energy: f64 = data.par_chunks(1 << 16).map(sum_of_squares).sum();
    if !energy.is_finite() {
        let i = data.iter().position(|v| !v.is_finite()).unwrap_or(0);
        return Err(Error::invalid(
            "tensor",
            format!("non-finite value {} at index {i}", data[i]),
        ));
    }
    Ok(energy)
}

/// Checks the coefficient count of `shape` under `options` (at most 2^40)
/// and its keep rule against it; the count.
fn check_coefficients(shape: &[usize], options: &CompressOptions) -> Result<usize> {
    let coefs: usize = coefficient_shape(shape, options.transform).iter().product();
    if coefs as u64 > 1 << 40 {
        return Err(Error::invalid(
            "tensor",
            format!("{coefs} coefficients exceed the 2^40 supported"),
        ));
    }
    select::check_keep(options.keep, coefs)?;
    Ok(coefs)
}

/// The sum of the squares of `values` in f64, in four lanes (so it
/// vectorises).
fn sum_of_squares(values: &[f32]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let quads = values.chunks_exact(4);
    let rest: f64 = quads
        .remainder()
        .iter()
        .map(|&v| f64::from(v).powi(2))
        .sum();
    for q in quads {
        for (lane, &v) in lanes.iter_mut().zip(q) {
            *lane += f64::from(v) * f64::from(v);
        }
    }
    lanes.iter().sum::<f64>() + rest
}

/// `1/sqrt(N)` for a tensor of `shape`: what makes the FFT unitary.
fn unitary_factor(shape: &[usize]) -> f32 {
    (1.0 / (shape.iter().product::<usize>() as f64).sqrt()) as f32
}

/// Checks a shape for a sparse spectral tensor and returns its coefficient count.
pub(crate) fn checked_coefficients(shape: &[usize], transform: Transform) -> Result<usize> {
    shape_len(shape)?;
    shape_len(&coefficient_shape(shape, transform))
}
