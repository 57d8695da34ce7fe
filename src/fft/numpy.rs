//! FFTs with numpy's calling conventions, on host tensors, out of place.
//!
//! The functions mirror `numpy.fft`: `n`/`s` crop or zero-pad the input
//! along the transformed axes (for `irfft`/`irfftn` they give the real
//! output length, inferred as `2 * (m - 1)` from the `m` points of the half
//! axis when absent); axes may be negative (`-1` is the last); `None` for
//! `axes` means all axes (or the last `s.len()` when `s` is given);
//! [`Normalization`] plays the part of `norm` (`Backward` is numpy's
//! default). The input is left unchanged and a new tensor returned.
//!
//! They are generic over the float type ([`FftFloat`]): `f32` runs on the
//! context's backend (GPU or CPU twin), `f64` on the CPU twin on every
//! context. Differences from numpy: an axis may appear only once in `axes`,
//! and tensors have at least one element (see [`Tensor::new`]).
//!
//! ```
//! use fft_tensor::fft::numpy;
//! use fft_tensor::num_complex::Complex64;
//! use fft_tensor::{Context, Normalization, Tensor};
//!
//! let ctx = Context::cpu();
//! let x = Tensor::new(&[6], vec![1.0f64, 2.0, 1.0, -1.0, 1.5, 0.5])?;
//! let spectrum = numpy::rfft(&ctx, &x, None, -1, Normalization::Backward)?;
//! assert_eq!(spectrum.shape(), &[4]);
//! let back = numpy::irfft(&ctx, &spectrum, None, -1, Normalization::Backward)?;
//! assert!((back.data()[3] + 1.0).abs() < 1e-12); // length 2 * (4 - 1) = 6 inferred
//! // Zero-padding to 8 points, as numpy.fft.fft(x, n=8):
//! let z = Tensor::new(&[2], vec![Complex64::new(1.0, 0.0); 2])?;
//! assert_eq!(numpy::fft(&ctx, &z, Some(8), -1, Normalization::Backward)?.shape(), &[8]);
//! # Ok::<(), fft_tensor::Error>(())
//! ```

use rustfft::num_complex::{Complex, Complex32};

use super::{FftDirection, FftPlan, Normalization};
use crate::backend::Context;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The float types the transforms run in: `f32` (GPU or CPU twin, as the
/// context chooses) and `f64` (CPU twin). Sealed.
pub trait FftFloat: rustfft::FftNum + Default + sealed::Sealed {
    /// Complex FFT over `axes` (checked), in place.
    #[doc(hidden)]
    fn fft_axes(
        ctx: &Context,
        tensor: &mut Tensor<Complex<Self>>,
        axes: &[usize],
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()>;
    /// Real-to-complex FFT over `axes`.
    #[doc(hidden)]
    fn rfft_axes(
        ctx: &Context,
        input: &Tensor<Self>,
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<Tensor<Complex<Self>>>;
    /// Complex-to-real FFT over `axes`.
    #[doc(hidden)]
    fn irfft_axes(
        ctx: &Context,
        input: &Tensor<Complex<Self>>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<Self>>;
}

impl FftFloat for f32 {
    fn fft_axes(
        ctx: &Context,
        tensor: &mut Tensor<Complex32>,
        axes: &[usize],
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()> {
        ctx.fftn(tensor, axes, direction, normalization)
    }

    fn rfft_axes(
        ctx: &Context,
        input: &Tensor<f32>,
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<Tensor<Complex32>> {
        ctx.rfftn(input, axes, normalization)
    }

    fn irfft_axes(
        ctx: &Context,
        input: &Tensor<Complex32>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f32>> {
        ctx.irfftn(input, axes, real_len, normalization)
    }
}

impl FftFloat for f64 {
    fn fft_axes(
        ctx: &Context,
        tensor: &mut Tensor<Complex<f64>>,
        axes: &[usize],
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()> {
        ctx.fftn_f64(tensor, axes, direction, normalization)
    }

    fn rfft_axes(
        ctx: &Context,
        input: &Tensor<f64>,
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<Tensor<Complex<f64>>> {
        ctx.rfftn_f64(input, axes, normalization)
    }

    fn irfft_axes(
        ctx: &Context,
        input: &Tensor<Complex<f64>>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f64>> {
        ctx.irfftn_f64(input, axes, real_len, normalization)
    }
}

/// Resolves numpy-style axes (negative counts from the end) against `ndim`;
/// `None` means every axis in order.
///
/// # Errors
/// [`Error::InvalidArgument`] for an axis out of `-ndim..ndim` or given twice.
pub fn resolve_axes(axes: Option<&[isize]>, ndim: usize) -> Result<Vec<usize>> {
    let Some(axes) = axes else {
        return Ok((0..ndim).collect());
    };
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let resolved = if a < 0 {
            ndim.checked_sub(a.unsigned_abs())
        } else {
            Some(a.unsigned_abs()).filter(|&a| a < ndim)
        };
        let Some(axis) = resolved else {
            return Err(Error::invalid(
                "axes",
                format!("axis {a} out of range for {ndim} dimensions (-{ndim}..{ndim})"),
            ));
        };
        if out.contains(&axis) {
            return Err(Error::invalid(
                "axes",
                format!("axis {a} (axis {axis}) given twice; each axis may appear once"),
            ));
        }
        out.push(axis);
    }
    Ok(out)
}

/// numpy's `_cook_nd_args`: the axes and the length along each.
fn cook(
    shape: &[usize],
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let ndim = shape.len();
    let axes = match (s, axes) {
        (Some(s), None) => {
            if s.len() > ndim {
                return Err(Error::invalid(
                    "s",
                    format!("{} lengths given for {ndim} dimensions", s.len()),
                ));
            }
            ((ndim - s.len())..ndim).collect()
        }
        (_, axes) => resolve_axes(axes, ndim)?,
    };
    let lens = match s {
        Some(s) if s.len() != axes.len() => {
            return Err(Error::shape(
                "s",
                format!("one length per axis ({})", axes.len()),
                s.len(),
            ))
        }
        Some(s) => s.to_vec(),
        None => axes.iter().map(|&a| shape[a]).collect(),
    };
    if let Some(i) = lens.iter().position(|&n| n == 0) {
        return Err(Error::invalid(
            "s",
            format!(
                "length 0 for axis {}: a transform needs at least 1 point",
                axes[i]
            ),
        ));
    }
    Ok((axes, lens))
}

/// Crops or zero-pads `tensor` along `axis` to `len` (at least 1) points.
///
/// # Errors
/// [`Error::InvalidArgument`] for an axis out of range or `len == 0`.
pub fn resize_axis<T: Copy + Default>(
    tensor: &Tensor<T>,
    axis: usize,
    len: usize,
) -> Result<Tensor<T>> {
    let shape = tensor.shape();
    if axis >= shape.len() || len == 0 {
        return Err(Error::invalid(
            "resize_axis",
            format!("axis {axis} to length {len} for shape {shape:?}"),
        ));
    }
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out_shape = shape.to_vec();
    out_shape[axis] = len;
    let keep = n.min(len) * inner;
    let mut out = Vec::with_capacity(tensor.len() / n * len);
    for block in tensor.data().chunks(n * inner) {
        out.extend_from_slice(&block[..keep]);
        out.resize(out.len() + (len * inner - keep), T::default());
    }
    Tensor::new(&out_shape, out)
}

/// Applies [`resize_axis`] for each axis whose length differs.
fn resize_all<T: Copy + Default>(
    tensor: &Tensor<T>,
    axes: &[usize],
    lens: &[usize],
) -> Result<Tensor<T>> {
    let mut out = tensor.clone();
    for (&axis, &len) in axes.iter().zip(lens) {
        if out.shape()[axis] != len {
            out = resize_axis(&out, axis, len)?;
        }
    }
    Ok(out)
}

fn c2c<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    (s, axes): (Option<&[usize]>, Option<&[isize]>),
    direction: FftDirection,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    let (axes, lens) = cook(a.shape(), s, axes)?;
    let mut out = resize_all(a, &axes, &lens)?;
    if !axes.is_empty() {
        T::fft_axes(ctx, &mut out, &axes, direction, norm)?;
    }
    Ok(out)
}

/// numpy's `fft`: the 1-D FFT along `axis`, cropped or zero-padded to `n`.
///
/// # Errors
/// [`Error::InvalidArgument`] for an axis out of range or `n == Some(0)`;
/// the errors of the backend's transform.
pub fn fft<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    n: Option<usize>,
    axis: isize,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    let s = n.map(|n| [n]);
    c2c(
        ctx,
        a,
        (s.as_ref().map(|s| &s[..]), Some(&[axis][..])),
        FftDirection::Forward,
        norm,
    )
}

/// numpy's `ifft`: the inverse of [`fft`].
///
/// # Errors
/// As [`fft`].
pub fn ifft<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    n: Option<usize>,
    axis: isize,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    let s = n.map(|n| [n]);
    c2c(
        ctx,
        a,
        (s.as_ref().map(|s| &s[..]), Some(&[axis][..])),
        FftDirection::Inverse,
        norm,
    )
}

/// numpy's `fftn`: the FFT over `axes` (all when `None`, the last `s.len()`
/// when only `s` is given), each cropped or zero-padded to `s`.
///
/// # Errors
/// [`Error::InvalidArgument`] for axes out of range or repeated, a zero
/// length in `s` or more lengths than dimensions; [`Error::ShapeMismatch`]
/// when `s` and `axes` differ in length; the errors of the backend.
pub fn fftn<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    c2c(ctx, a, (s, axes), FftDirection::Forward, norm)
}

/// numpy's `ifftn`: the inverse of [`fftn`].
///
/// # Errors
/// As [`fftn`].
pub fn ifftn<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    c2c(ctx, a, (s, axes), FftDirection::Inverse, norm)
}

/// numpy's `fft2`: [`fftn`] over `axes`, by default the last two.
///
/// # Errors
/// As [`fftn`].
pub fn fft2<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    fftn(ctx, a, s, Some(axes.unwrap_or(&[-2, -1])), norm)
}

/// numpy's `ifft2`: [`ifftn`] over `axes`, by default the last two.
///
/// # Errors
/// As [`fftn`].
pub fn ifft2<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    ifftn(ctx, a, s, Some(axes.unwrap_or(&[-2, -1])), norm)
}

/// numpy's `rfft`: the real FFT along `axis` (cropped or zero-padded to
/// `n` first), `n / 2 + 1` points out.
///
/// # Errors
/// As [`fft`].
pub fn rfft<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<T>,
    n: Option<usize>,
    axis: isize,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    let s = n.map(|n| [n]);
    rfftn(ctx, a, s.as_ref().map(|s| &s[..]), Some(&[axis]), norm)
}

/// numpy's `irfft`: `n` real points out along `axis` (by default
/// `2 * (m - 1)` for `m` points in), the input cropped or zero-padded to
/// `n / 2 + 1` points first.
///
/// # Errors
/// As [`irfftn`].
pub fn irfft<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    n: Option<usize>,
    axis: isize,
    norm: Normalization,
) -> Result<Tensor<T>> {
    let s = n.map(|n| [n]);
    irfftn(ctx, a, s.as_ref().map(|s| &s[..]), Some(&[axis]), norm)
}

/// numpy's `rfftn`: the real FFT over `axes` (the last one is the real axis,
/// `s[-1] / 2 + 1` points out), each cropped or zero-padded to `s` first.
///
/// # Errors
/// As [`fftn`], and [`Error::InvalidArgument`] for an empty `axes`.
pub fn rfftn<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<T>,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    let (axes, lens) = cook(a.shape(), s, axes)?;
    let input = resize_all(a, &axes, &lens)?;
    T::rfft_axes(ctx, &input, &axes, norm)
}

/// numpy's `irfftn`: the inverse of [`rfftn`]. `s` gives the output length
/// along each axis; without it, every axis keeps its length except the real
/// (last) one, which becomes `2 * (m - 1)` for its `m` points. The input is
/// cropped or zero-padded to `s` along the other axes and to `s[-1] / 2 + 1`
/// along the real axis.
///
/// # Errors
/// As [`rfftn`], and [`Error::InvalidArgument`] when the inferred real
/// length is 0 (a real axis of 1 point without `s`).
pub fn irfftn<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Normalization,
) -> Result<Tensor<T>> {
    let (axes, mut lens) = cook(a.shape(), s, axes)?;
    let Some(&real_axis) = axes.last() else {
        return Err(Error::invalid(
            "axes",
            "real transforms need at least one axis",
        ));
    };
    let last = lens.len() - 1;
    if s.is_none() {
        let m = a.shape()[real_axis];
        lens[last] = 2 * (m - 1);
        if lens[last] == 0 {
            return Err(Error::invalid(
                "s",
                format!(
                    "axis {real_axis} holds 1 point, so the inferred real length 2 * (1 - 1) \
                     is 0; give the real length in `s` (or `n`)"
                ),
            ));
        }
    }
    let real_len = lens[last];
    let mut half = lens.clone();
    half[last] = real_len / 2 + 1;
    let input = resize_all(a, &axes, &half)?;
    T::irfft_axes(ctx, &input, &axes, real_len, norm)
}

/// numpy's `rfft2`: [`rfftn`] over `axes`, by default the last two.
///
/// # Errors
/// As [`rfftn`].
pub fn rfft2<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<T>,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Normalization,
) -> Result<Tensor<Complex<T>>> {
    rfftn(ctx, a, s, Some(axes.unwrap_or(&[-2, -1])), norm)
}

/// numpy's `irfft2`: [`irfftn`] over `axes`, by default the last two.
///
/// # Errors
/// As [`irfftn`].
pub fn irfft2<T: FftFloat>(
    ctx: &Context,
    a: &Tensor<Complex<T>>,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Normalization,
) -> Result<Tensor<T>> {
    irfftn(ctx, a, s, Some(axes.unwrap_or(&[-2, -1])), norm)
}

impl FftPlan {
    /// Out-of-place form of [`FftPlan::process`]: `input` is left unchanged
    /// and `output` (the same length) receives the transform.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the lengths differ; as
    /// [`FftPlan::process`].
    pub fn process_into(&self, input: &[Complex32], output: &mut [Complex32]) -> Result<()> {
        if input.len() != output.len() {
            return Err(Error::shape(
                "FftPlan::process_into output",
                input.len(),
                output.len(),
            ));
        }
        output.copy_from_slice(input);
        self.process(output)
    }
}
