//! Orthonormal DCT-II and its inverse, the DCT-III, over any axes, computed
//! through the FFT (Makhoul's algorithm): reorder each line, take its real
//! FFT, rotate the half spectrum by `exp(-i pi k / 2n)`. They are what
//! compresses smooth data best: no wrap-around edge as with the FFT.
//!
//! Same conventions as `scipy.fft.dct(type=2, norm="ortho")` and its inverse.
//! GPU: `dct_reorder.wgsl` and `dct_spectrum.wgsl` around the real FFT, one
//! submission for all axes. CPU twin: [`cpu`] (rustfft, all cores).

pub mod cpu;
mod gpu;
pub mod reference;

use crate::backend::Context;
use crate::error::{Error, Result};
use crate::tensor::{check_axes, DType, GpuTensor, Tensor};

impl From<cpu::DctError> for Error {
    fn from(e: cpu::DctError) -> Self {
        Error::InvalidArgument {
            name: "dct",
            detail: e.to_string(),
        }
    }
}

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
            tensor.data_mut().copy_from_slice(&out.to_f32()?);
            return Ok(());
        }
        let shape = tensor.shape().to_vec();
        if inverse {
            cpu::dct3_axes(tensor.data_mut(), &shape, axes)?;
        } else {
            cpu::dct2_axes(tensor.data_mut(), &shape, axes)?;
        }
        Ok(())
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
        let device = self
            .gpu()
            .ok_or_else(|| Error::invalid("ctx", "DCT on the GPU needs a GPU context"))?;
        if input.dtype() != DType::F32 {
            return Err(Error::invalid("input", "the DCT takes an f32 tensor"));
        }
        check_axes(axes, input.shape().len())?;
        let out = GpuTensor::uninit(self, input.shape(), DType::F32)?;
        let mut encoder = device
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some(if inverse { "idctn" } else { "dctn" }),
            });
        let mut keep = Vec::new();
        let mut current = None;
        for (i, &axis) in axes.iter().enumerate() {
            let src = current.as_ref().unwrap_or(input.buffer());
            let next = if i + 1 == axes.len() {
                None
            } else {
                Some(device.storage("dct temporary", input.bytes())?)
            };
            let dst = next.as_ref().unwrap_or(out.buffer());
            keep.extend(gpu::encode_dct_axis(
                self,
                &mut encoder,
                src,
                dst,
                input.shape(),
                axis,
                inverse,
            )?);
            if let Some(old) = std::mem::replace(&mut current, next) {
                keep.push(old);
            }
        }
        if axes.is_empty() {
            encoder.copy_buffer_to_buffer(
                input.buffer().raw(),
                0,
                out.buffer().raw(),
                0,
                input.bytes(),
            );
        }
        device.submit_and_wait(encoder, "dct")?;
        drop(keep);
        Ok(out)
    }
}
