//! Real-input FFTs: `rfftn` returns the half spectrum (the last transformed
//! axis shortened to n/2 + 1, as numpy does) and `irfftn` takes it back.
//!
//! GPU path along a contiguous axis of even length n: the real row is read as
//! n/2 complex points, transformed by an n/2-point FFT and split into the
//! half spectrum by `rfft_post.wgsl` (half the work of a complex transform);
//! `irfft_pre.wgsl` reverses it. Odd lengths and strided axes take the
//! general route: widen to complex (`axis_copy.wgsl`), complex FFT along the
//! axis, keep the half. The CPU twin uses realfft.

use rustfft::num_complex::Complex32;

use super::nd::record_axis_passes;
use super::twiddle;
use super::{FftDirection, Normalization};
use std::sync::Arc;

use crate::backend::{BufferSlice, Context, GpuBuffer, Groups, Recording};
use crate::error::{Error, Result};
use crate::shaders::{self, kernel_params};
use crate::tensor::{axis_split, check_axes, shape_len, GpuElement, GpuTensor, Tensor};

kernel_params! {
/// Uniforms of `rfft_post.wgsl` and `irfft_pre.wgsl`.
struct HalfParams {
    h: u32,
    num_lines: u32,
    groups_x: u32,
    scale: f32,
}
}

kernel_params! {
/// Uniforms of `axis_copy.wgsl`.
struct CopyParams {
    outer: u32,
    inner: u32,
    count: u32,
    src_len: u32,
    dst_len: u32,
    mode: u32,
    groups_x: u32,
    full: u32,
}
}

/// What `axis_copy.wgsl` does per element.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CopyMode {
    RealToComplex = 0,
    RealPart = 1,
    Truncate = 2,
    Hermitian = 3,
}

const WG: u32 = crate::fft::recipe::WORKGROUP_SIZE;

const CONSTANTS: &[(&str, u32)] = &[("WG_SIZE", WG)];

fn threads(count: usize) -> Groups {
    Groups::Threads {
        threads: count as u64,
        per_group: WG,
    }
}

/// Records an `axis_copy` over `(outer, count, inner)` output elements.
pub(crate) fn record_axis_copy(
    rec: &mut Recording,
    src: &BufferSlice,
    dst: &BufferSlice,
    (outer, inner): (usize, usize),
    (count, src_len, dst_len): (usize, usize, usize),
    full: usize,
    mode: CopyMode,
) -> Result<()> {
    rec.launch(
        &shaders::AXIS_COPY,
        CONSTANTS,
        &[src, dst],
        threads(outer * count * inner),
        |grid| CopyParams {
            outer: outer as u32,
            inner: inner as u32,
            count: count as u32,
            src_len: src_len as u32,
            dst_len: dst_len as u32,
            mode: mode as u32,
            groups_x: grid.0,
            full: full as u32,
        },
    )
}

fn real_axis(axes: &[usize], ndim: usize) -> Result<usize> {
    check_axes(axes, ndim)?;
    axes.last()
        .copied()
        .ok_or_else(|| Error::invalid("axes", "real transforms need at least one axis"))
}

fn with_axis(shape: &[usize], axis: usize, len: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    s[axis] = len;
    s
}

/// [`Error::ShapeMismatch`] unless `len` elements fill `shape`.
pub(crate) fn check_slice(len: usize, shape: &[usize], what: &'static str) -> Result<()> {
    let expected = shape_len(shape)?;
    if len != expected {
        return Err(Error::shape(
            what,
            format!("{expected} elements for shape {shape:?}"),
            len,
        ));
    }
    Ok(())
}

impl Context {
    /// Real FFT along the last axis (numpy's `rfft`): `[.., n]` -> `[.., n/2+1]`.
    ///
    /// # Errors
    /// As [`Context::rfftn`].
    pub fn rfft(
        &self,
        input: &Tensor<f32>,
        normalization: Normalization,
    ) -> Result<Tensor<Complex32>> {
        let last = input.shape().len() - 1;
        self.rfftn(input, &[last], normalization)
    }

    /// Inverse of [`Context::rfft`]: `[.., n/2+1]` -> `[.., real_len]`.
    ///
    /// # Errors
    /// As [`Context::irfftn`].
    pub fn irfft(
        &self,
        input: &Tensor<Complex32>,
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f32>> {
        let last = input.shape().len() - 1;
        self.irfftn(input, &[last], real_len, normalization)
    }

    /// Real FFT over the last two axes (numpy's `rfft2`).
    ///
    /// # Errors
    /// As [`Context::rfftn`], and [`Error::InvalidArgument`] for a 1-D tensor.
    pub fn rfft2(
        &self,
        input: &Tensor<f32>,
        normalization: Normalization,
    ) -> Result<Tensor<Complex32>> {
        let d = input.shape().len();
        if d < 2 {
            return Err(Error::invalid("input", "rfft2 needs at least 2 dimensions"));
        }
        self.rfftn(input, &[d - 2, d - 1], normalization)
    }

    /// Inverse of [`Context::rfft2`] (numpy's `irfft2`).
    ///
    /// # Errors
    /// As [`Context::irfftn`], and [`Error::InvalidArgument`] for a 1-D tensor.
    pub fn irfft2(
        &self,
        input: &Tensor<Complex32>,
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f32>> {
        let d = input.shape().len();
        if d < 2 {
            return Err(Error::invalid(
                "input",
                "irfft2 needs at least 2 dimensions",
            ));
        }
        self.irfftn(input, &[d - 2, d - 1], real_len, normalization)
    }

    /// Real-to-complex FFT over `axes` (the last one listed is the real
    /// axis, shortened to n/2 + 1). Like numpy's `rfftn`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no axes, axes out of range or
    /// repeated; the errors of [`Context::plan_fft`] for each length.
    pub fn rfftn(
        &self,
        input: &Tensor<f32>,
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<Tensor<Complex32>> {
        self.rfftn_slice(input.data(), input.shape(), axes, normalization)
    }

    /// [`Context::rfftn`] of borrowed row-major `data` of `shape`, for
    /// callers whose data is not in a [`Tensor`] (a numpy array, a memory
    /// map): the CPU twin reads it in place, the GPU backend uploads it.
    ///
    /// # Errors
    /// As [`Context::rfftn`], plus [`Error::ShapeMismatch`] when
    /// `data.len()` is not the product of `shape`.
    pub fn rfftn_slice(
        &self,
        data: &[f32],
        shape: &[usize],
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<Tensor<Complex32>> {
        check_slice(data.len(), shape, "rfftn_slice")?;
        real_axis(axes, shape.len())?;
        if self.gpu().is_some() {
            let gpu_input = GpuTensor::from_f32(self, data, shape)?;
            let out = self.rfftn_gpu(&gpu_input, axes, normalization)?;
            return Tensor::new(out.shape(), out.to_complex()?);
        }
        super::real_cpu::rfftn(
            self,
            (data, shape),
            axes,
            normalization,
            &mut self.cpu_axis_fft(normalization),
        )
    }

    /// [`Context::rfftn`] into `output`, a tensor of the half spectrum's
    /// shape ([`rfftn_shape`]) whose memory is reused: a caller transforming
    /// many inputs of one shape allocates (and first touches) the output
    /// once, as a planned FFTW call with a fixed output array does. Fresh
    /// memory costs a page fault per 4 KiB on its first write, about as much
    /// as the transform itself for a few megabytes. The CPU twin writes
    /// `output` in place; the GPU backend reads its result back into it.
    ///
    /// # Errors
    /// As [`Context::rfftn`], plus [`Error::ShapeMismatch`] when `output`
    /// does not have the shape [`rfftn_shape`] gives (then `output` is left
    /// as it was).
    pub fn rfftn_into(
        &self,
        input: &Tensor<f32>,
        axes: &[usize],
        normalization: Normalization,
        output: &mut Tensor<Complex32>,
    ) -> Result<()> {
        let shape = rfftn_shape(input.shape(), axes)?;
        if output.shape() != shape.as_slice() {
            return Err(Error::shape(
                "rfftn_into output",
                format!("{shape:?}"),
                format!("{:?}", output.shape()),
            ));
        }
        self.rfftn_slice_into(
            input.data(),
            input.shape(),
            axes,
            normalization,
            output.data_mut(),
        )
    }

    /// [`Context::rfftn_into`] of borrowed row-major `data` of `shape` into a
    /// borrowed row-major `output` of the half spectrum's shape (a numpy
    /// array's memory, say).
    ///
    /// # Errors
    /// As [`Context::rfftn_slice`], plus [`Error::ShapeMismatch`] when
    /// `output.len()` is not the number of elements of [`rfftn_shape`]
    /// (then `output` is left as it was).
    pub fn rfftn_slice_into(
        &self,
        data: &[f32],
        shape: &[usize],
        axes: &[usize],
        normalization: Normalization,
        output: &mut [Complex32],
    ) -> Result<()> {
        check_slice(data.len(), shape, "rfftn_slice_into")?;
        let out_shape = rfftn_shape(shape, axes)?;
        check_slice(output.len(), &out_shape, "rfftn_slice_into output")?;
        if self.gpu().is_some() {
            let result = self.rfftn_slice(data, shape, axes, normalization)?;
            output.copy_from_slice(result.data());
            return Ok(());
        }
        super::real_cpu::rfftn_into(
            self,
            (data, shape),
            axes,
            normalization,
            &mut self.cpu_axis_fft(normalization),
            output,
        )
    }

    /// Complex-to-real inverse of [`Context::rfftn`]: `input` holds the half
    /// spectrum (its real axis, the last of `axes`, has `real_len / 2 + 1`
    /// points); the result has `real_len` points there. Imaginary parts that
    /// a real signal's spectrum cannot have (at 0 and, for even lengths, at
    /// n/2) are ignored, as numpy does.
    ///
    /// # Errors
    /// As [`Context::rfftn`], plus [`Error::ShapeMismatch`] when the real
    /// axis does not hold `real_len / 2 + 1` points.
    pub fn irfftn(
        &self,
        input: &Tensor<Complex32>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f32>> {
        if self.gpu().is_some() {
            return self.irfftn_upload(input, axes, real_len, normalization);
        }
        self.irfftn_cpu(input.clone(), axes, real_len, normalization)
    }

    /// [`Context::irfftn`] taking the spectrum by value: the CPU twin
    /// transforms it in place instead of copying it first.
    ///
    /// # Errors
    /// As [`Context::irfftn`].
    pub fn irfftn_owned(
        &self,
        input: Tensor<Complex32>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f32>> {
        if self.gpu().is_some() {
            return self.irfftn_upload(&input, axes, real_len, normalization);
        }
        self.irfftn_cpu(input, axes, real_len, normalization)
    }

    /// [`Context::irfftn`] on the GPU: check, upload, transform, read back.
    fn irfftn_upload(
        &self,
        input: &Tensor<Complex32>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f32>> {
        let axis = real_axis(axes, input.shape().len())?;
        check_half_axis(input.shape(), axis, real_len)?;
        let gpu_input = GpuTensor::from_complex(self, input.data(), input.shape())?;
        let out = self.irfftn_gpu(&gpu_input, axes, real_len, normalization)?;
        Tensor::new(out.shape(), out.to_f32()?)
    }

    /// The CPU twin of [`Context::irfftn`], transforming `input` in place
    /// before the last (real) axis. Arguments are checked by the caller.
    pub(crate) fn irfftn_cpu(
        &self,
        input: Tensor<Complex32>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f32>> {
        self.irfftn_cpu_with(input, axes, real_len, normalization, false)
    }

    /// [`Context::irfftn_cpu`] with, when `in_place` and the real axis is
    /// the last, its output written into `input`'s allocation (no second
    /// tensor-sized buffer; the lines are moved together at the end).
    pub(crate) fn irfftn_cpu_with(
        &self,
        input: Tensor<Complex32>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
        in_place: bool,
    ) -> Result<Tensor<f32>> {
        let axis = real_axis(axes, input.shape().len())?;
        check_half_axis(input.shape(), axis, real_len)?;
        super::real_cpu::irfftn(
            self,
            input,
            axes,
            real_len,
            normalization,
            &mut self.cpu_axis_fft(normalization),
            in_place,
        )
    }

    /// GPU-resident [`Context::rfftn`]: an f32 tensor in, a complex half
    /// spectrum out, one submission.
    ///
    /// # Errors
    /// As [`Context::rfftn`], plus [`Error::InvalidArgument`] without a GPU
    /// or for a tensor that is not f32.
    pub fn rfftn_gpu(
        &self,
        input: &GpuTensor,
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<GpuTensor> {
        if input.dtype() != GpuElement::F32 {
            return Err(Error::invalid("input", "rfftn_gpu takes an f32 tensor"));
        }
        let mut rec = self.recording("rfftn")?;
        let shape = rfftn_shape(input.shape(), axes)?;
        let out = GpuTensor::uninit(self, &shape, GpuElement::Complex32)?;
        self.record_rfftn(
            &mut rec,
            &input.buffer().slice(),
            &out.buffer().slice(),
            input.shape(),
            axes,
            normalization,
        )?;
        rec.submit()?.wait()?;
        Ok(out)
    }

    /// Records [`Context::rfftn`] of an f32 tensor of `shape` in `src` into
    /// `dst`, which holds the half spectrum (shape from [`rfftn_shape`]).
    ///
    /// # Errors
    /// As [`Context::rfftn`]; [`Error::ShapeMismatch`] for buffer sizes.
    pub fn record_rfftn(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        shape: &[usize],
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<()> {
        let axis = real_axis(axes, shape.len())?;
        let dims = axis_split(shape, axis);
        let half_shape = rfftn_shape(shape, axes)?;
        check_bytes("rfftn input", src, shape_len(shape)? * 4)?;
        check_bytes("rfftn output", dst, shape_len(&half_shape)? * 8)?;
        let others = self.axis_passes(
            &half_shape,
            &axes[..axes.len() - 1],
            FftDirection::Forward,
            normalization,
        )?;
        if others.is_empty() {
            return self.record_rfft_axis(rec, src, dst, dims, normalization);
        }
        let half = rec.temporary("rfftn half spectrum", dst.size())?;
        self.record_rfft_axis(rec, src, &half, dims, normalization)?;
        record_axis_passes(rec, &half, dst, &others)
    }

    /// GPU-resident [`Context::irfftn`]: a complex half spectrum in, an f32
    /// tensor out, one submission.
    ///
    /// # Errors
    /// As [`Context::irfftn`], plus [`Error::NoGpu`] without a GPU and
    /// [`Error::InvalidArgument`] for a tensor that is not complex.
    pub fn irfftn_gpu(
        &self,
        input: &GpuTensor,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<GpuTensor> {
        if input.dtype() != GpuElement::Complex32 {
            return Err(Error::invalid("input", "irfftn_gpu takes a complex tensor"));
        }
        let mut rec = self.recording("irfftn")?;
        let axis = real_axis(axes, input.shape().len())?;
        let out = GpuTensor::uninit(
            self,
            &with_axis(input.shape(), axis, real_len),
            GpuElement::F32,
        )?;
        self.record_irfftn(
            &mut rec,
            &input.buffer().slice(),
            &out.buffer().slice(),
            input.shape(),
            axes,
            real_len,
            normalization,
        )?;
        rec.submit()?.wait()?;
        Ok(out)
    }

    /// Records [`Context::irfftn`] of a half spectrum of `shape` in `src`
    /// into the f32 tensor `dst` (`real_len` points along the real axis).
    ///
    /// # Errors
    /// As [`Context::irfftn`]; [`Error::ShapeMismatch`] for buffer sizes.
    #[allow(clippy::too_many_arguments)]
    pub fn record_irfftn(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        shape: &[usize],
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<()> {
        let axis = real_axis(axes, shape.len())?;
        check_half_axis(shape, axis, real_len)?;
        check_bytes("irfftn input", src, shape_len(shape)? * 8)?;
        check_bytes(
            "irfftn output",
            dst,
            shape_len(&with_axis(shape, axis, real_len))? * 4,
        )?;
        let (outer, _, inner) = axis_split(shape, axis);
        let others = self.axis_passes(
            shape,
            &axes[..axes.len() - 1],
            FftDirection::Inverse,
            normalization,
        )?;
        let spectrum = if others.is_empty() {
            src.clone()
        } else {
            let spectrum = rec.temporary("irfft spectrum", src.size())?;
            record_axis_passes(rec, src, &spectrum, &others)?;
            spectrum
        };
        self.record_irfft_axis(rec, &spectrum, dst, (outer, real_len, inner), normalization)
    }

    /// The twiddles `exp(-2 pi i k / n)`, `k < count`, on the GPU, cached.
    fn gpu_twiddles(&self, n: usize, count: usize) -> Result<Arc<GpuBuffer>> {
        #[derive(Hash, PartialEq, Eq)]
        struct RealTwiddles(usize, usize);
        self.cached(RealTwiddles(n, count), || {
            let gpu = self.gpu().ok_or(Error::NoGpu {
                op: "real FFT twiddles",
            })?;
            gpu.storage_from("real FFT twiddles", &twiddle::forward(n, count))
        })
    }

    /// Records a real-to-complex FFT along one axis, `(outer, n, inner)`
    /// reals in `src`, `(outer, n/2+1, inner)` complex out in `dst`.
    pub(crate) fn record_rfft_axis(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        (outer, n, inner): (usize, usize, usize),
        normalization: Normalization,
    ) -> Result<()> {
        let h1 = n / 2 + 1;
        if inner == 1 && n % 2 == 0 {
            let h = n / 2;
            let plan = self.plan_fft(h, FftDirection::Forward, Normalization::None)?;
            let packed = src.sub(0, (outer * n * 4) as u64)?;
            let scale = normalization.factor(n, FftDirection::Forward);
            let half = dst.sub(0, (outer * (h + 1) * 8) as u64)?;
            if plan
                .gpu_plan()?
                .record_half_spectrum(rec, &packed, &half, outer, scale)?
            {
                return Ok(());
            }
            let z = rec.temporary("rfft packed spectrum", (outer * h * 8) as u64)?;
            plan.record(rec, &packed, &z)?;
            let twiddles = self.gpu_twiddles(n, h + 1)?.slice();
            rec.launch(
                &shaders::RFFT_POST,
                CONSTANTS,
                &[&z, dst, &twiddles],
                threads(outer * (h + 1)),
                |grid| HalfParams {
                    h: h as u32,
                    num_lines: outer as u32,
                    groups_x: grid.0,
                    scale,
                },
            )
        } else {
            self.record_full_axis(
                rec,
                src,
                dst,
                (outer, n, inner),
                FftDirection::Forward,
                normalization,
                [
                    (CopyMode::RealToComplex, (n, n, n)),
                    (CopyMode::Truncate, (h1, n, h1)),
                ],
            )
        }
    }

    /// Records a complex-to-real FFT along one axis: `(outer, n/2+1, inner)`
    /// half spectra in `src`, `(outer, n, inner)` reals out in `dst`.
    pub(crate) fn record_irfft_axis(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        (outer, n, inner): (usize, usize, usize),
        normalization: Normalization,
    ) -> Result<()> {
        let h1 = n / 2 + 1;
        if inner == 1 && n % 2 == 0 {
            let h = n / 2;
            let z = rec.temporary("irfft packed spectrum", (outer * h * 8) as u64)?;
            let twiddles = self.gpu_twiddles(n, h)?.slice();
            rec.launch(
                &shaders::IRFFT_PRE,
                CONSTANTS,
                &[src, &z, &twiddles],
                threads(outer * h),
                |grid| HalfParams {
                    h: h as u32,
                    num_lines: outer as u32,
                    groups_x: grid.0,
                    scale: 2.0 * normalization.factor(n, FftDirection::Inverse),
                },
            )?;
            let plan = self.plan_fft(h, FftDirection::Inverse, Normalization::None)?;
            plan.record(rec, &z, &dst.sub(0, (outer * n * 4) as u64)?)
        } else {
            self.record_full_axis(
                rec,
                src,
                dst,
                (outer, n, inner),
                FftDirection::Inverse,
                normalization,
                [
                    (CopyMode::Hermitian, (n, h1, n)),
                    (CopyMode::RealPart, (n, n, n)),
                ],
            )
        }
    }

    /// The general route along one axis: widen to a full complex axis
    /// (`copies[0]`), transform it in `direction`, convert out (`copies[1]`).
    /// Each copy is `(mode, (count, src_len, dst_len))` along the axis.
    #[allow(clippy::too_many_arguments)]
    fn record_full_axis(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        (outer, n, inner): (usize, usize, usize),
        direction: FftDirection,
        normalization: Normalization,
        copies: [(CopyMode, (usize, usize, usize)); 2],
    ) -> Result<()> {
        let bytes = (outer * n * inner * 8) as u64;
        let before = rec.temporary("real FFT full axis in", bytes)?;
        let after = rec.temporary("real FFT full axis out", bytes)?;
        record_axis_copy(
            rec,
            src,
            &before,
            (outer, inner),
            copies[0].1,
            n,
            copies[0].0,
        )?;
        let plan = self.plan_fft(n, direction, normalization)?;
        let pass = super::nd::AxisPass { plan, outer, inner };
        record_axis_passes(rec, &before, &after, std::slice::from_ref(&pass))?;
        record_axis_copy(
            rec,
            &after,
            dst,
            (outer, inner),
            copies[1].1,
            n,
            copies[1].0,
        )
    }
}

/// The shape of [`Context::rfftn`]'s output for an input of `shape`: the
/// real axis (the last of `axes`) shortened to n/2 + 1.
///
/// # Errors
/// [`Error::InvalidArgument`] for no axes, axes out of range or repeated.
pub fn rfftn_shape(shape: &[usize], axes: &[usize]) -> Result<Vec<usize>> {
    let axis = real_axis(axes, shape.len())?;
    Ok(with_axis(shape, axis, shape[axis] / 2 + 1))
}

fn check_bytes(what: &'static str, slice: &BufferSlice, bytes: usize) -> Result<()> {
    if slice.size() < bytes as u64 {
        return Err(Error::shape(
            what,
            format!("at least {bytes} bytes"),
            slice.size(),
        ));
    }
    Ok(())
}

pub(crate) fn check_half_axis(shape: &[usize], axis: usize, real_len: usize) -> Result<()> {
    if real_len == 0 {
        return Err(Error::invalid(
            "irfftn real length",
            "the real length must be at least 1",
        ));
    }
    let half = real_len / 2 + 1;
    if shape[axis] != half {
        return Err(Error::shape(
            "irfftn real axis",
            format!(
                "{half} point{} on axis {axis} for real length {real_len}",
                if half == 1 { "" } else { "s" }
            ),
            shape[axis],
        ));
    }
    Ok(())
}

#[cfg(test)]
mod params_layout {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<HalfParams>(&shaders::RFFT_POST);
        assert_params::<HalfParams>(&shaders::IRFFT_PRE);
        assert_params::<CopyParams>(&shaders::AXIS_COPY);
    }
}

#[cfg(test)]
mod in_place {
    use super::*;

    /// A spectrum of `shape` (its last axis a half axis) with values from
    /// 1e-30 to 1e30 times a seeded pattern.
    fn spectrum(shape: &[usize], scale: f32) -> Tensor<Complex32> {
        let n: usize = shape.iter().product();
        let v = (0..n)
            .map(|i| {
                let t = i as f32 * 0.618;
                Complex32::new(t.sin() * scale, (t * 1.7).cos() * scale)
            })
            .collect();
        Tensor::new(shape, v).unwrap()
    }

    #[test]
    fn in_place_output_is_bit_for_bit_the_separate_one() {
        let ctx = Context::cpu();
        // (shape of the real tensor, axes): odd, even, prime and 1-point
        // real axes, one and many lines, more lines than a task.
        let cases: &[(&[usize], &[usize])] = &[
            (&[1], &[0]),
            (&[2], &[0]),
            (&[7], &[0]),
            (&[3, 1], &[0, 1]),
            (&[5, 16], &[0, 1]),
            (&[37, 1009], &[1]),
            (&[2, 33, 30], &[0, 1, 2]),
            (&[4, 1], &[1]),
        ];
        for &(shape, axes) in cases {
            for scale in [1.0f32, 1e-30, 1e30] {
                let last = shape[shape.len() - 1];
                let mut half = shape.to_vec();
                *half.last_mut().unwrap() = last / 2 + 1;
                let s = spectrum(&half, scale);
                let norm = Normalization::Backward;
                let apart = ctx
                    .irfftn_cpu_with(s.clone(), axes, last, norm, false)
                    .unwrap();
                let within = ctx.irfftn_cpu_with(s, axes, last, norm, true).unwrap();
                assert_eq!(within.shape(), apart.shape(), "{shape:?}");
                let same = within
                    .data()
                    .iter()
                    .zip(apart.data())
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{shape:?} axes {axes:?} scale {scale}");
                assert!(
                    apart.data().iter().all(|v| v.is_finite()),
                    "{shape:?} {scale}"
                );
            }
        }
    }
}
