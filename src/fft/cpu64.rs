//! f64 transforms on the CPU twin: complex, N-D, real and inverse real, with
//! the same conventions as their f32 counterparts.
//!
//! They run on the CPU on every context (rustfft and realfft in f64); a GPU
//! context routes them to its CPU twin, as GPU kernels in f64 are not part
//! of this crate yet. Plans are built per call.
//!
//! Accuracy (RMS relative error against an extended-precision DFT, random
//! data, held by `tests/fft_f64.rs`): below `1e-15 * log2(n)`.

use rustfft::num_complex::Complex64;

use super::real::{check_half_axis, check_slice};
use super::real_cpu::{self, f64_axis_fft};
use super::{FftDirection, Normalization};
use crate::backend::Context;
use crate::error::{Error, Result};
use crate::tensor::{check_axes, Tensor};

fn real_axis(axes: &[usize], ndim: usize) -> Result<()> {
    check_axes(axes, ndim)?;
    if axes.is_empty() {
        return Err(Error::invalid(
            "axes",
            "real transforms need at least one axis",
        ));
    }
    Ok(())
}

impl Context {
    /// f64 FFT of every length-`len` line of `data`, in place, on the CPU
    /// twin (also on a GPU context).
    ///
    /// # Errors
    /// [`Error::UnsupportedLength`] for `len == 0`; [`Error::ShapeMismatch`]
    /// when `data.len()` is not a non-zero multiple of `len`.
    pub fn fft_f64(
        &self,
        data: &mut [Complex64],
        len: usize,
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()> {
        if len == 0 {
            return Err(Error::UnsupportedLength {
                len,
                reason: "length must be at least 1".into(),
            });
        }
        if data.is_empty() || !data.len().is_multiple_of(len) {
            return Err(Error::shape(
                "fft_f64 input",
                format!("a non-zero multiple of {len} elements"),
                data.len(),
            ));
        }
        self.cpu_f64(len, direction, normalization)?.process(data);
        Ok(())
    }

    /// f64 complex FFT of `tensor` over `axes`, in place, on the CPU twin;
    /// the f64 form of [`Context::fftn`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for axes out of range or repeated.
    pub fn fftn_f64(
        &self,
        tensor: &mut Tensor<Complex64>,
        axes: &[usize],
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()> {
        check_axes(axes, tensor.shape().len())?;
        let shape = tensor.shape().to_vec();
        let mut pass = f64_axis_fft(self, normalization);
        for &axis in axes {
            pass(tensor.data_mut(), &shape, axis, direction)?;
        }
        Ok(())
    }

    /// f64 real-to-complex FFT over `axes` (the last listed is the real
    /// axis, shortened to n/2 + 1), on the CPU twin; the f64 form of
    /// [`Context::rfftn`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no axes, axes out of range or repeated.
    pub fn rfftn_f64(
        &self,
        input: &Tensor<f64>,
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<Tensor<Complex64>> {
        self.rfftn_f64_slice(input.data(), input.shape(), axes, normalization)
    }

    /// [`Context::rfftn_f64`] of borrowed row-major `data` of `shape`, read
    /// in place; the f64 form of [`Context::rfftn_slice`].
    ///
    /// # Errors
    /// As [`Context::rfftn_f64`], plus [`Error::ShapeMismatch`] when
    /// `data.len()` is not the product of `shape`.
    pub fn rfftn_f64_slice(
        &self,
        data: &[f64],
        shape: &[usize],
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<Tensor<Complex64>> {
        check_slice(data.len(), shape, "rfftn_f64_slice")?;
        real_axis(axes, shape.len())?;
        real_cpu::rfftn(
            self,
            (data, shape),
            axes,
            normalization,
            &mut f64_axis_fft(self, normalization),
        )
    }

    /// f64 complex-to-real inverse of [`Context::rfftn_f64`]: the real axis
    /// (the last of `axes`) holds `real_len / 2 + 1` points in, `real_len`
    /// out; the f64 form of [`Context::irfftn`].
    ///
    /// # Errors
    /// As [`Context::rfftn_f64`]; [`Error::InvalidArgument`] for
    /// `real_len == 0`, [`Error::ShapeMismatch`] when the real axis does not
    /// hold `real_len / 2 + 1` points.
    pub fn irfftn_f64(
        &self,
        input: &Tensor<Complex64>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f64>> {
        self.irfftn_f64_owned(input.clone(), axes, real_len, normalization)
    }

    /// [`Context::irfftn_f64`] taking the spectrum by value, transformed in
    /// place instead of copied first; the f64 form of
    /// [`Context::irfftn_owned`].
    ///
    /// # Errors
    /// As [`Context::irfftn_f64`].
    pub fn irfftn_f64_owned(
        &self,
        input: Tensor<Complex64>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f64>> {
        real_axis(axes, input.shape().len())?;
        check_half_axis(input.shape(), axes[axes.len() - 1], real_len)?;
        real_cpu::irfftn(
            self,
            input,
            axes,
            real_len,
            normalization,
            &mut f64_axis_fft(self, normalization),
            false,
        )
    }
}
