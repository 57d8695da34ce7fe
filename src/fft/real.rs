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

use super::gpu::LineBatch;
use super::nd::encode_axis_passes;
use super::twiddle;
use super::{FftDirection, Normalization};
use crate::backend::{Context, GpuBuffer, GpuDevice};
use crate::error::{Error, Result};
use crate::shaders;
use crate::tensor::{axis_split, check_axes, DType, GpuTensor, Tensor};

/// Uniforms of `rfft_post.wgsl` and `irfft_pre.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct HalfParams {
    h: u32,
    num_lines: u32,
    groups_x: u32,
    scale: f32,
}

/// Uniforms of `axis_copy.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
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

/// What `axis_copy.wgsl` does per element.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CopyMode {
    RealToComplex = 0,
    RealPart = 1,
    Truncate = 2,
    Hermitian = 3,
}

const WG: u32 = crate::fft::recipe::WORKGROUP_SIZE;

/// Records an `axis_copy` over `(outer, count, inner)` output elements.
#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_axis_copy(
    gpu: &GpuDevice,
    encoder: &mut wgpu::CommandEncoder,
    src: &GpuBuffer,
    dst: &GpuBuffer,
    (outer, inner): (usize, usize),
    (count, src_len, dst_len): (usize, usize, usize),
    full: usize,
    mode: CopyMode,
) -> Result<()> {
    let pipeline = gpu.pipeline(&shaders::AXIS_COPY, &[("WG_SIZE", WG)])?;
    let threads = (outer * count * inner) as u64;
    let grid = gpu.grid(threads.div_ceil(u64::from(WG)))?;
    let params = CopyParams {
        outer: outer as u32,
        inner: inner as u32,
        count: count as u32,
        src_len: src_len as u32,
        dst_len: dst_len as u32,
        mode: mode as u32,
        groups_x: grid.0,
        full: full as u32,
    };
    let uniform = gpu.uniform("axis_copy params", &params);
    gpu.dispatch(
        encoder,
        &pipeline,
        &[src.binding(), dst.binding(), uniform.as_entire_binding()],
        grid,
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
        real_axis(axes, input.shape().len())?;
        if self.gpu().is_some() {
            let gpu_input = GpuTensor::from_f32(self, input.data(), input.shape())?;
            let out = self.rfftn_gpu(&gpu_input, axes, normalization)?;
            return Tensor::new(out.shape(), out.to_complex()?);
        }
        super::real_cpu::rfftn(
            input,
            axes,
            normalization,
            &mut self.cpu_axis_fft(normalization),
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
        let axis = real_axis(axes, input.shape().len())?;
        check_half_axis(input.shape(), axis, real_len)?;
        if self.gpu().is_some() {
            let gpu_input = GpuTensor::from_complex(self, input.data(), input.shape())?;
            let out = self.irfftn_gpu(&gpu_input, axes, real_len, normalization)?;
            return Tensor::new(out.shape(), out.to_f32()?);
        }
        self.irfftn_cpu(input.clone(), axes, real_len, normalization)
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
        let axis = real_axis(axes, input.shape().len())?;
        check_half_axis(input.shape(), axis, real_len)?;
        super::real_cpu::irfftn(
            input,
            axes,
            real_len,
            normalization,
            &mut self.cpu_axis_fft(normalization),
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
        let gpu = self
            .gpu()
            .ok_or_else(|| Error::invalid("ctx", "rfftn_gpu needs a GPU context"))?;
        if input.dtype() != DType::F32 {
            return Err(Error::invalid("input", "rfftn_gpu takes an f32 tensor"));
        }
        let axis = real_axis(axes, input.shape().len())?;
        let dims = axis_split(input.shape(), axis);
        let shape = with_axis(input.shape(), axis, dims.1 / 2 + 1);
        let others = self.axis_passes(
            &shape,
            &axes[..axes.len() - 1],
            FftDirection::Forward,
            normalization,
        )?;
        let half = GpuTensor::uninit(self, &shape, DType::Complex32)?;
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("rfftn"),
            });
        let mut keep = self.encode_rfft_axis(
            &mut encoder,
            input.buffer(),
            half.buffer(),
            dims,
            normalization,
        )?;
        if others.is_empty() {
            gpu.submit_and_wait(encoder, "rfftn")?;
            return Ok(half);
        }
        let out = GpuTensor::uninit(self, &shape, DType::Complex32)?;
        keep.extend(encode_axis_passes(
            gpu,
            &mut encoder,
            half.buffer(),
            out.buffer(),
            &others,
            half.bytes(),
        )?);
        gpu.submit_and_wait(encoder, "rfftn")?;
        Ok(out)
    }

    /// GPU-resident [`Context::irfftn`]: a complex half spectrum in, an f32
    /// tensor out, one submission.
    ///
    /// # Errors
    /// As [`Context::irfftn`], plus [`Error::InvalidArgument`] without a GPU
    /// or for a tensor that is not complex.
    pub fn irfftn_gpu(
        &self,
        input: &GpuTensor,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<GpuTensor> {
        let gpu = self
            .gpu()
            .ok_or_else(|| Error::invalid("ctx", "irfftn_gpu needs a GPU context"))?;
        if input.dtype() != DType::Complex32 {
            return Err(Error::invalid("input", "irfftn_gpu takes a complex tensor"));
        }
        let axis = real_axis(axes, input.shape().len())?;
        check_half_axis(input.shape(), axis, real_len)?;
        let (outer, _, inner) = axis_split(input.shape(), axis);
        let others = self.axis_passes(
            input.shape(),
            &axes[..axes.len() - 1],
            FftDirection::Inverse,
            normalization,
        )?;
        let out = GpuTensor::uninit(self, &with_axis(input.shape(), axis, real_len), DType::F32)?;
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("irfftn"),
            });
        let mut keep: Vec<GpuBuffer> = Vec::new();
        let spectrum_owned;
        let spectrum: &GpuBuffer = if others.is_empty() {
            input.buffer()
        } else {
            spectrum_owned = gpu.storage("irfft spectrum", input.bytes())?;
            keep.extend(encode_axis_passes(
                gpu,
                &mut encoder,
                input.buffer(),
                &spectrum_owned,
                &others,
                input.bytes(),
            )?);
            &spectrum_owned
        };
        keep.extend(self.encode_irfft_axis(
            &mut encoder,
            spectrum,
            out.buffer(),
            (outer, real_len, inner),
            normalization,
        )?);
        gpu.submit_and_wait(encoder, "irfftn")?;
        drop(keep);
        Ok(out)
    }

    /// Records a real-to-complex FFT along one axis, `(outer, n, inner)`
    /// reals in `src`, `(outer, n/2+1, inner)` complex out in `dst`. Returns
    /// the temporaries, to be kept until the work is submitted.
    pub(crate) fn encode_rfft_axis(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        src: &GpuBuffer,
        dst: &GpuBuffer,
        (outer, n, inner): (usize, usize, usize),
        normalization: Normalization,
    ) -> Result<Vec<GpuBuffer>> {
        let gpu = self
            .gpu()
            .ok_or_else(|| Error::invalid("ctx", "GPU work needs a GPU context"))?;
        let h1 = n / 2 + 1;
        let mut keep = Vec::new();
        if inner == 1 && n % 2 == 0 {
            let h = n / 2;
            let plan = self.plan_fft(h, FftDirection::Forward, Normalization::None)?;
            let fft = plan.inner.gpu.as_ref().expect("GPU plan");
            let packed_bytes = (outer * h * 8) as u64;
            let z = gpu.storage("rfft packed spectrum", packed_bytes)?;
            if fft.recipe.needs_scratch() {
                keep.push(gpu.storage("fft scratch", packed_bytes)?);
            }
            fft.encode(
                gpu,
                encoder,
                src,
                &z,
                keep.first(),
                LineBatch::rows(outer),
                None,
            )?;
            let twiddles = gpu.storage_from("rfft twiddles", &twiddle::forward(n, h + 1))?;
            let pipeline = gpu.pipeline(&shaders::RFFT_POST, &[("WG_SIZE", WG)])?;
            let grid = gpu.grid(((outer * (h + 1)) as u64).div_ceil(u64::from(WG)))?;
            let params = HalfParams {
                h: h as u32,
                num_lines: outer as u32,
                groups_x: grid.0,
                scale: normalization.factor(n, FftDirection::Forward),
            };
            let uniform = gpu.uniform("rfft_post params", &params);
            gpu.dispatch(
                encoder,
                &pipeline,
                &[
                    z.binding(),
                    dst.binding(),
                    twiddles.binding(),
                    uniform.as_entire_binding(),
                ],
                grid,
            )?;
            keep.extend([z, twiddles]);
        } else {
            keep = self.encode_full_axis(
                encoder,
                src,
                dst,
                (outer, n, inner),
                FftDirection::Forward,
                normalization,
                [
                    (CopyMode::RealToComplex, (n, n, n)),
                    (CopyMode::Truncate, (h1, n, h1)),
                ],
            )?;
        }
        Ok(keep)
    }

    /// Records a complex-to-real FFT along one axis: `(outer, n/2+1, inner)`
    /// half spectra in `src`, `(outer, n, inner)` reals out in `dst`.
    /// Returns the temporaries, to be kept until the work is submitted.
    pub(crate) fn encode_irfft_axis(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        src: &GpuBuffer,
        dst: &GpuBuffer,
        (outer, n, inner): (usize, usize, usize),
        normalization: Normalization,
    ) -> Result<Vec<GpuBuffer>> {
        let gpu = self
            .gpu()
            .ok_or_else(|| Error::invalid("ctx", "GPU work needs a GPU context"))?;
        let h1 = n / 2 + 1;
        let mut keep = Vec::new();
        if inner == 1 && n % 2 == 0 {
            let h = n / 2;
            let z = gpu.storage("irfft packed spectrum", (outer * h * 8) as u64)?;
            let twiddles = gpu.storage_from("irfft twiddles", &twiddle::forward(n, h))?;
            let pipeline = gpu.pipeline(&shaders::IRFFT_PRE, &[("WG_SIZE", WG)])?;
            let grid = gpu.grid(((outer * h) as u64).div_ceil(u64::from(WG)))?;
            let params = HalfParams {
                h: h as u32,
                num_lines: outer as u32,
                groups_x: grid.0,
                scale: 2.0 * normalization.factor(n, FftDirection::Inverse),
            };
            let uniform = gpu.uniform("irfft_pre params", &params);
            gpu.dispatch(
                encoder,
                &pipeline,
                &[
                    src.binding(),
                    z.binding(),
                    twiddles.binding(),
                    uniform.as_entire_binding(),
                ],
                grid,
            )?;
            let plan = self.plan_fft(h, FftDirection::Inverse, Normalization::None)?;
            let fft = plan.inner.gpu.as_ref().expect("GPU plan");
            if fft.recipe.needs_scratch() {
                keep.push(gpu.storage("fft scratch", (outer * h * 8) as u64)?);
            }
            fft.encode(
                gpu,
                encoder,
                &z,
                dst,
                keep.first(),
                LineBatch::rows(outer),
                None,
            )?;
            keep.extend([z, twiddles]);
        } else {
            keep = self.encode_full_axis(
                encoder,
                src,
                dst,
                (outer, n, inner),
                FftDirection::Inverse,
                normalization,
                [
                    (CopyMode::Hermitian, (n, h1, n)),
                    (CopyMode::RealPart, (n, n, n)),
                ],
            )?;
        }
        Ok(keep)
    }

    /// The general route along one axis: widen to a full complex axis
    /// (`copies[0]`), transform it in `direction`, convert out (`copies[1]`).
    /// Each copy is `(mode, (count, src_len, dst_len))` along the axis.
    #[allow(clippy::too_many_arguments)]
    fn encode_full_axis(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        src: &GpuBuffer,
        dst: &GpuBuffer,
        (outer, n, inner): (usize, usize, usize),
        direction: FftDirection,
        normalization: Normalization,
        copies: [(CopyMode, (usize, usize, usize)); 2],
    ) -> Result<Vec<GpuBuffer>> {
        let gpu = self
            .gpu()
            .ok_or_else(|| Error::invalid("ctx", "GPU work needs a GPU context"))?;
        let bytes = (outer * n * inner * 8) as u64;
        let before = gpu.storage("real FFT full axis in", bytes)?;
        let after = gpu.storage("real FFT full axis out", bytes)?;
        encode_axis_copy(
            gpu,
            encoder,
            src,
            &before,
            (outer, inner),
            copies[0].1,
            n,
            copies[0].0,
        )?;
        let plan = self.plan_fft(n, direction, normalization)?;
        let pass = super::nd::AxisPass { plan, outer, inner };
        let mut keep = encode_axis_passes(
            gpu,
            encoder,
            &before,
            &after,
            std::slice::from_ref(&pass),
            bytes,
        )?;
        encode_axis_copy(
            gpu,
            encoder,
            &after,
            dst,
            (outer, inner),
            copies[1].1,
            n,
            copies[1].0,
        )?;
        keep.extend([before, after]);
        Ok(keep)
    }
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
