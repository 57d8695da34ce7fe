//! Orthonormal DCT-II and its inverse, the DCT-III, over any axes, computed
//! through the FFT (Makhoul's algorithm): reorder each line, take its real
//! FFT, rotate the half spectrum by `exp(-i pi k / 2n)`. They are what
//! compresses smooth data best: no wrap-around edge as with the FFT.
//!
//! Same conventions as `scipy.fft.dct(type=2, norm="ortho")` and its inverse.
//! GPU: `dct_reorder.wgsl` and `dct_spectrum.wgsl` around the real FFT, one
//! submission for all axes. CPU twin: [`cpu`] (rustfft, all cores). In
//! f64: [`Context::dctn_f64`] and [`Context::idctn_f64`], on the CPU twin on
//! every backend.

pub mod cpu;
mod cpu64;
mod gpu;
pub mod reference;

use crate::backend::{BufferSlice, Context, Recording};
use crate::error::{Error, Result};
use crate::tensor::{check_axes, shape_len, GpuElement, GpuTensor, Tensor};

impl Context {
    /// Orthonormal DCT-II of `tensor` over `axes`, in place.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for axes out of range or repeated; GPU
    /// errors (budget, device limits) on the GPU backend.
    pub fn dctn(&self, tensor: &mut Tensor<f32>, axes: &[usize]) -> Result<()> {
        self.dct_host(tensor, axes, false)
    }

    /// Orthonormal DCT-III (the inverse of [`Context::dctn`]), in place.
    ///
    /// # Errors
    /// As [`Context::dctn`].
    pub fn idctn(&self, tensor: &mut Tensor<f32>, axes: &[usize]) -> Result<()> {
        self.dct_host(tensor, axes, true)
    }

    fn dct_host(&self, tensor: &mut Tensor<f32>, axes: &[usize], inverse: bool) -> Result<()> {
        check_axes(axes, tensor.shape().len())?;
        if self.gpu().is_some() {
            let input = GpuTensor::from_f32(self, tensor.data(), tensor.shape())?;
            let out = self.dct_gpu(&input, axes, inverse)?;
            drop(input);
            // Read straight into the tensor: no host copy beside it.
            let mut rec = self.recording("dct readback")?;
            let readback = rec.read_back(&out.slice())?;
            return rec.submit()?.wait()?.copy_to(readback, tensor.data_mut());
        }
        let shape = tensor.shape().to_vec();
        // DCT plans (FFT plans and twiddles per length) live in the context.
        #[derive(Hash, PartialEq, Eq)]
        struct DctPlannerKey;
        let planner = self.cached(DctPlannerKey, || {
            Ok(std::sync::Mutex::new(cpu::DctPlanner::new()))
        })?;
        cpu::axes_with_planner(&planner, tensor.data_mut(), &shape, axes, inverse)
    }

    /// GPU-resident [`Context::dctn`]; `input` is left unchanged.
    ///
    /// # Errors
    /// As [`Context::dctn`], plus [`Error::InvalidArgument`] without a GPU
    /// or for a tensor that is not f32.
    pub fn dctn_gpu(&self, input: &GpuTensor, axes: &[usize]) -> Result<GpuTensor> {
        self.dct_gpu(input, axes, false)
    }

    /// GPU-resident [`Context::idctn`]; `input` is left unchanged.
    ///
    /// # Errors
    /// As [`Context::dctn_gpu`].
    pub fn idctn_gpu(&self, input: &GpuTensor, axes: &[usize]) -> Result<GpuTensor> {
        self.dct_gpu(input, axes, true)
    }

    fn dct_gpu(&self, input: &GpuTensor, axes: &[usize], inverse: bool) -> Result<GpuTensor> {
        if input.dtype() != GpuElement::F32 {
            return Err(Error::invalid("input", "the DCT takes an f32 tensor"));
        }
        let mut rec = self.recording(if inverse { "idctn" } else { "dctn" })?;
        let out = GpuTensor::uninit(self, input.shape(), GpuElement::F32)?;
        self.record_dctn(
            &mut rec,
            &input.buffer().slice(),
            &out.buffer().slice(),
            input.shape(),
            axes,
            inverse,
        )?;
        rec.submit()?.wait()?;
        Ok(out)
    }

    /// Records the orthonormal DCT-II (`inverse`: DCT-III) over `axes` of
    /// an f32 tensor of `shape` from `src` into `dst` (same size).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for axes out of range or repeated;
    /// [`Error::ShapeMismatch`] for buffer sizes; plan errors per axis.
    pub fn record_dctn(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        shape: &[usize],
        axes: &[usize],
        inverse: bool,
    ) -> Result<()> {
        check_axes(axes, shape.len())?;
        let bytes = shape_len(shape)? as u64 * 4;
        if src.size() < bytes || dst.size() < bytes {
            return Err(Error::shape(
                "dctn buffers",
                format!("{bytes} bytes each"),
                format!("{} and {}", src.size(), dst.size()),
            ));
        }
        let (src, dst) = (src.sub(0, bytes)?, dst.sub(0, bytes)?);
        if axes.is_empty() {
            return rec.copy(&src, &dst);
        }
        let mut current = src;
        for (i, &axis) in axes.iter().enumerate() {
            let next = if i + 1 == axes.len() {
                dst.clone()
            } else {
                rec.temporary("dct temporary", bytes)?
            };
            gpu::record_dct_axis(self, rec, &current, &next, shape, axis, inverse)?;
            current = next;
        }
        Ok(())
    }
}
