//! Token mixing in the frequency domain: FNet's `Re(FFT2(x))` over the
//! sequence and hidden axes, and a global spectral filter (GFNet-style) on
//! the sequence spectrum. Both run the crate's real FFT paths (any length,
//! Bluestein for large prime factors) without a host round trip.
//!
//! ```no_run
//! use fft_tensor::{Context, Tensor};
//! use fft_tensor::layers::mixing::GlobalFilter;
//! use fft_tensor::num_complex::Complex32;
//!
//! let ctx = Context::from_env()?;
//! let x = Tensor::new(&[2, 100, 64], vec![0.5f32; 2 * 100 * 64])?; // [batch, seq, hidden]
//! let mixed = ctx.fnet_mixing(&x)?;
//! let filter = GlobalFilter::new(64).with_length(100, vec![Complex32::new(1.0, 0.0); 51 * 64])?;
//! let same = ctx.global_filter(&x, &filter)?; // an all-ones filter is the identity
//! # Ok::<(), fft_tensor::Error>(())
//! ```

use std::collections::BTreeMap;

use rustfft::num_complex::Complex32;

use crate::backend::{BufferSlice, Context, Recording};
use crate::error::{Error, Result};
use crate::fft::{rfftn_shape, Normalization};
use crate::layers::{as_u32, check_slice, run_gpu, threads, CONSTANTS};
use crate::shaders::{self, kernel_params};
use crate::tensor::Tensor;

kernel_params! {
/// Uniforms of `fnet_real.wgsl`.
struct FnetParams {
    total: u32,
    seq: u32,
    hidden: u32,
    half: u32,
    groups_x: u32,
    _pad: [u32; 3],
}
}

kernel_params! {
/// Uniforms of `bluestein_pointwise.wgsl` (rows times a broadcast spectrum).
struct PointwiseParams {
    m: u32,
    total: u32,
    groups_x: u32,
    _pad: u32,
}
}

/// `(batch, seq, hidden)` of a 3-D tensor.
pub(crate) fn bsh(what: &'static str, shape: &[usize]) -> Result<(usize, usize, usize)> {
    match shape {
        [b, s, h] => Ok((*b, *s, *h)),
        _ => Err(Error::shape(
            what,
            "[batch, seq, hidden]",
            format!("{shape:?}"),
        )),
    }
}

/// Learnable complex filters of the sequence spectrum, one per sequence
/// length: for length `S`, `(S/2 + 1) x hidden` complex weights multiply the
/// real FFT of each hidden channel along the sequence. A length without a
/// filter is an error (no silent interpolation).
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalFilter {
    hidden: usize,
    filters: BTreeMap<usize, Vec<Complex32>>,
}

impl GlobalFilter {
    /// No filters yet, for `hidden` channels.
    pub fn new(hidden: usize) -> Self {
        GlobalFilter {
            hidden,
            filters: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) the filter for sequence length `seq`: row-major
    /// `[seq/2 + 1, hidden]` complex weights.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for the wrong number of weights;
    /// [`Error::InvalidArgument`] for `seq` or `hidden` zero.
    pub fn with_length(mut self, seq: usize, weights: Vec<Complex32>) -> Result<Self> {
        if seq == 0 || self.hidden == 0 {
            return Err(Error::invalid(
                "seq",
                "sequence length and hidden must be at least 1",
            ));
        }
        let want = (seq / 2 + 1) * self.hidden;
        if weights.len() != want {
            return Err(Error::shape(
                "GlobalFilter weights",
                format!("{want} ([{}, {}])", seq / 2 + 1, self.hidden),
                weights.len(),
            ));
        }
        self.filters.insert(seq, weights);
        Ok(self)
    }

    /// Hidden channels.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The sequence lengths that have a filter.
    pub fn lengths(&self) -> Vec<usize> {
        self.filters.keys().copied().collect()
    }

    /// The weights for sequence length `seq`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no filter was given for `seq`.
    pub fn weights(&self, seq: usize) -> Result<&[Complex32]> {
        self.filters.get(&seq).map(Vec::as_slice).ok_or_else(|| {
            Error::invalid(
                "sequence length",
                format!(
                    "the global filter has no weights for length {seq} (it has {:?})",
                    self.lengths()
                ),
            )
        })
    }
}

/// Real parts of the full spectrum `[b, s, h]` from the half spectrum
/// `[b, s, h/2 + 1]` (the CPU twin of `fnet_real.wgsl`).
fn expand_real(half: &[Complex32], (b, s, h): (usize, usize, usize)) -> Vec<f32> {
    let hh = h / 2 + 1;
    let mut y = Vec::with_capacity(b * s * h);
    for bi in 0..b {
        for si in 0..s {
            for hi in 0..h {
                let (row, col) = if hi < hh {
                    (si, hi)
                } else {
                    ((s - si) % s, h - hi)
                };
                y.push(half[(bi * s + row) * hh + col].re);
            }
        }
    }
    y
}

impl Context {
    /// FNet mixing of `x` `[batch, seq, hidden]`: the real part of its 2-D
    /// DFT over sequence and hidden (unnormalised, as Hugging Face's
    /// `FNetBasicFourierTransform`), same shape out.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a tensor that is not 3-D; FFT planning
    /// and GPU errors.
    pub fn fnet_mixing(&self, x: &Tensor<f32>) -> Result<Tensor<f32>> {
        let dims = bsh("fnet_mixing input", x.shape())?;
        let data = if self.gpu().is_some() {
            run_gpu(
                self,
                "fnet mixing",
                &[bytemuck::cast_slice(x.data())],
                x.len(),
                |rec, i, out| self.record_fnet_mixing(rec, &i[0], out, dims),
            )?
        } else {
            let half = self.rfftn(x, &[1, 2], Normalization::Backward)?;
            expand_real(half.data(), dims)
        };
        Tensor::new(x.shape(), data)
    }

    /// Records [`Context::fnet_mixing`] of `[batch, seq, hidden]` f32 in `x`
    /// into `y` (same size; not `x`); the half spectrum is a temporary.
    ///
    /// # Errors
    /// As [`Context::fnet_mixing`]; [`Error::ShapeMismatch`] for buffer sizes.
    pub fn record_fnet_mixing(
        &self,
        rec: &mut Recording,
        x: &BufferSlice,
        y: &BufferSlice,
        (b, s, h): (usize, usize, usize),
    ) -> Result<()> {
        let total = b * s * h;
        check_slice("fnet_mixing x", x, total, 4)?;
        check_slice("fnet_mixing y", y, total, 4)?;
        let shape = [b, s, h];
        let half_len: usize = rfftn_shape(&shape, &[1, 2])?.iter().product();
        let half = rec.temporary("fnet half spectrum", (half_len * 8) as u64)?;
        self.record_rfftn(
            rec,
            &x.sub(0, (total * 4) as u64)?,
            &half,
            &shape,
            &[1, 2],
            Normalization::Backward,
        )?;
        let p = FnetParams {
            total: as_u32("fnet elements", total)?,
            seq: s as u32,
            hidden: h as u32,
            half: (h / 2 + 1) as u32,
            ..Default::default()
        };
        rec.launch(
            &shaders::FNET_REAL,
            CONSTANTS,
            &[&half, y],
            threads(total),
            |grid| FnetParams {
                groups_x: grid.0,
                ..p
            },
        )
    }

    /// The global filter of `x` `[batch, seq, hidden]`: per hidden channel,
    /// `irfft(rfft(x) * W)` along the sequence with the filter `W` given for
    /// `seq` (numpy's `irfft`: backward normalisation, imaginary parts at
    /// frequency 0 and, for even lengths, `seq/2` ignored).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `filter` has no weights for `seq`;
    /// [`Error::ShapeMismatch`] when its hidden size differs or `x` is not
    /// 3-D; FFT and GPU errors.
    pub fn global_filter(&self, x: &Tensor<f32>, filter: &GlobalFilter) -> Result<Tensor<f32>> {
        let dims = bsh("global_filter input", x.shape())?;
        let (b, s, h) = dims;
        if filter.hidden() != h {
            return Err(Error::shape("global_filter hidden", filter.hidden(), h));
        }
        let w = filter.weights(s)?;
        let data = if self.gpu().is_some() {
            run_gpu(
                self,
                "global filter",
                &[bytemuck::cast_slice(x.data()), bytemuck::cast_slice(w)],
                x.len(),
                |rec, i, out| self.record_global_filter(rec, &i[0], &i[1], out, dims),
            )?
        } else {
            let mut spec = self.rfftn(x, &[1], Normalization::Backward)?;
            let m = w.len();
            for (i, v) in spec.data_mut().iter_mut().enumerate() {
                *v *= w[i % m];
            }
            self.irfftn(&spec, &[1], s, Normalization::Backward)?
                .into_data()
        };
        debug_assert_eq!(data.len(), b * s * h);
        Tensor::new(x.shape(), data)
    }

    /// Records [`Context::global_filter`] of `[batch, seq, hidden]` f32 in
    /// `x` into `y`, with `weights` the `[seq/2 + 1, hidden]` complex filter
    /// on the GPU (e.g. uploaded once per model).
    ///
    /// # Errors
    /// As [`Context::global_filter`]; [`Error::ShapeMismatch`] for buffer sizes.
    pub fn record_global_filter(
        &self,
        rec: &mut Recording,
        x: &BufferSlice,
        weights: &BufferSlice,
        y: &BufferSlice,
        (b, s, h): (usize, usize, usize),
    ) -> Result<()> {
        let total = b * s * h;
        let m = (s / 2 + 1) * h;
        check_slice("global_filter x", x, total, 4)?;
        check_slice("global_filter y", y, total, 4)?;
        check_slice("global_filter weights", weights, m, 8)?;
        let shape = [b, s, h];
        let spectrum = rec.temporary("global filter spectrum", (b * m * 8) as u64)?;
        self.record_rfftn(
            rec,
            &x.sub(0, (total * 4) as u64)?,
            &spectrum,
            &shape,
            &[1],
            Normalization::Backward,
        )?;
        let p = PointwiseParams {
            m: as_u32("filter size", m)?,
            total: as_u32("spectrum size", b * m)?,
            ..Default::default()
        };
        rec.launch(
            &shaders::BLUESTEIN_POINTWISE,
            CONSTANTS,
            &[&spectrum, weights],
            threads(b * m),
            |grid| PointwiseParams {
                groups_x: grid.0,
                ..p
            },
        )?;
        self.record_irfftn(
            rec,
            &spectrum,
            &y.sub(0, (total * 4) as u64)?,
            &[b, s / 2 + 1, h],
            &[1],
            s,
            Normalization::Backward,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<FnetParams>(&shaders::FNET_REAL);
        assert_params::<PointwiseParams>(&shaders::BLUESTEIN_POINTWISE);
    }
}
