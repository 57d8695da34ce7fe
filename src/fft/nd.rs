//! N-D complex FFTs over any subset of axes of a row-major tensor.
//!
//! On the GPU every axis is one strided batched pass (no host-side
//! transposes): lines along axis `a` start at each element of the block of
//! trailing dimensions and step by its size. The CPU twin transposes each
//! block of lines into contiguous rows for rustfft.

use rustfft::num_complex::Complex32;

use super::gpu::LineBatch;
use super::{FftDirection, FftPlan, Normalization};
use crate::backend::{BufferSlice, Context, Recording};
use crate::error::{Error, Result};
use crate::tensor::{axis_split, check_axes, GpuElement, GpuTensor, Tensor};

/// One axis of an N-D transform, planned.
pub(crate) struct AxisPass {
    pub(crate) plan: FftPlan,
    pub(crate) outer: usize,
    pub(crate) inner: usize,
}

impl Context {
    pub(crate) fn axis_passes(
        &self,
        shape: &[usize],
        axes: &[usize],
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<Vec<AxisPass>> {
        check_axes(axes, shape.len())?;
        axes.iter()
            .map(|&axis| {
                let (outer, n, inner) = axis_split(shape, axis);
                Ok(AxisPass {
                    plan: self.plan_fft(n, direction, normalization)?,
                    outer,
                    inner,
                })
            })
            .collect()
    }

    /// Complex FFT of `tensor` over `axes`, in place, on the context's
    /// backend. The normalisation applies per axis, so `Backward` divides the inverse by
    /// the product of the transformed lengths.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for axes out of range or repeated; the
    /// errors of [`Context::plan_fft`] for each axis length; on the GPU,
    /// [`Error::DeviceLimit`] when the tensor exceeds one storage binding.
    pub fn fftn(
        &self,
        tensor: &mut Tensor<Complex32>,
        axes: &[usize],
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()> {
        let passes = self.axis_passes(tensor.shape(), axes, direction, normalization)?;
        if self.gpu().is_some() {
            let input = GpuTensor::from_complex(self, tensor.data(), tensor.shape())?;
            let output = self.run_axis_passes(&input, &passes)?;
            let result = output.to_complex()?;
            tensor.data_mut().copy_from_slice(&result);
            return Ok(());
        }
        for pass in &passes {
            pass.plan.cpu().process_axis(tensor.data_mut(), pass.inner);
        }
        Ok(())
    }

    /// GPU-resident complex FFT over `axes`; `input` is left unchanged.
    ///
    /// # Errors
    /// As [`Context::fftn`], plus [`Error::InvalidArgument`] without a GPU
    /// or for a non-complex tensor.
    pub fn fftn_gpu(
        &self,
        input: &GpuTensor,
        axes: &[usize],
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<GpuTensor> {
        if input.dtype() != GpuElement::Complex32 {
            return Err(Error::invalid("input", "fftn_gpu takes a complex tensor"));
        }
        let passes = self.axis_passes(input.shape(), axes, direction, normalization)?;
        self.run_axis_passes(input, &passes)
    }

    /// Records [`Context::fftn`] of a complex tensor of `shape` in `src`
    /// into `dst` (the same size); `src` is left unchanged.
    ///
    /// # Errors
    /// As [`Context::fftn`]; [`Error::NoGpu`] without a GPU;
    /// [`Error::ShapeMismatch`] for buffer sizes.
    #[allow(clippy::too_many_arguments)]
    pub fn record_fftn(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        shape: &[usize],
        axes: &[usize],
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()> {
        if self.gpu().is_none() {
            return Err(Error::NoGpu { op: "record_fftn" });
        }
        let bytes = crate::tensor::shape_len(shape)? as u64 * 8;
        for (what, slice) in [("fftn input", src), ("fftn output", dst)] {
            if slice.size() != bytes {
                return Err(Error::shape(what, format!("{bytes} bytes"), slice.size()));
            }
        }
        let passes = self.axis_passes(shape, axes, direction, normalization)?;
        record_axis_passes(rec, src, dst, &passes)
    }

    /// Runs the passes on the GPU into a new tensor, in one submission.
    pub(crate) fn run_axis_passes(
        &self,
        input: &GpuTensor,
        passes: &[AxisPass],
    ) -> Result<GpuTensor> {
        let output = GpuTensor::uninit(self, input.shape(), GpuElement::Complex32)?;
        let mut rec = self.recording("fftn")?;
        record_axis_passes(
            &mut rec,
            &input.buffer().slice(),
            &output.buffer().slice(),
            passes,
        )?;
        rec.submit()?.wait()?;
        Ok(output)
    }
}

/// Records `passes` reading `src` and leaving the result in `dst` (both the
/// same size); with no passes, a copy. Temporaries belong to the recording.
///
/// # Errors
/// The errors of [`FftPlan::record`] for each pass.
pub(crate) fn record_axis_passes(
    rec: &mut Recording,
    src: &BufferSlice,
    dst: &BufferSlice,
    passes: &[AxisPass],
) -> Result<()> {
    if passes.is_empty() {
        return rec.copy(src, dst);
    }
    let temp = if passes.len() > 1 {
        Some(rec.temporary("fftn temporary", src.size())?)
    } else {
        None
    };
    // Pass i writes dst when (last - i) is even, so the last pass lands in dst.
    let last = passes.len() - 1;
    let target = |i: usize| {
        if (last - i).is_multiple_of(2) {
            dst
        } else {
            temp.as_ref().expect("temp for several passes")
        }
    };
    for (i, pass) in passes.iter().enumerate() {
        let input = if i == 0 { src } else { target(i - 1) };
        pass.plan.record_lines(
            rec,
            input,
            target(i),
            LineBatch {
                inner: pass.inner,
                outer: pass.outer,
            },
        )?;
    }
    Ok(())
}
