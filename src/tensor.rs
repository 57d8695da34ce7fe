//! Tensors resident on the GPU, so kernels chain without host round trips.

use rustfft::num_complex::Complex32;

use crate::backend::{BufferSlice, Context, GpuBuffer};
use crate::error::{Error, Result};

/// Element type of a [`GpuTensor`] (what a GPU buffer holds per element).
/// Not to be confused with [`crate::spectral::StoredPrecision`] (how kept
/// coefficients are stored) or [`crate::store::SafetensorsDtype`] (a
/// checkpoint tensor's type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuElement {
    /// Interleaved complex f32 (8 bytes).
    Complex32,
    /// f32 (4 bytes).
    F32,
}

/// The former name of [`GpuElement`].
#[deprecated(note = "renamed GpuElement (the element type of a GPU tensor)")]
pub type DType = GpuElement;

impl GpuElement {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            GpuElement::Complex32 => 8,
            GpuElement::F32 => 4,
        }
    }
}

/// Most dimensions a tensor may have.
pub const MAX_DIMS: usize = 8;

/// Checks a row-major shape and returns its element count.
///
/// # Errors
/// [`Error::InvalidArgument`] for no dimensions, more than [`MAX_DIMS`], a
/// zero-sized dimension or an element count that overflows.
pub fn shape_len(shape: &[usize]) -> Result<usize> {
    if shape.is_empty() || shape.len() > MAX_DIMS {
        return Err(Error::invalid(
            "shape",
            format!(
                "{} dimensions given, 1 to {MAX_DIMS} supported",
                shape.len()
            ),
        ));
    }
    if let Some(axis) = shape.iter().position(|&d| d == 0) {
        return Err(Error::invalid(
            "shape",
            format!("dimension {axis} of {shape:?} is zero"),
        ));
    }
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::invalid("shape", format!("{shape:?} has too many elements")))
}

/// A tensor in a GPU buffer owned by a context's memory pool.
#[derive(Debug)]
pub struct GpuTensor {
    ctx: Context,
    buffer: GpuBuffer,
    shape: Vec<usize>,
    dtype: GpuElement,
}

impl GpuTensor {
    /// Uploads complex data with the given shape.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without a GPU backend or for a bad shape;
    /// [`Error::ShapeMismatch`] if `data` does not hold `shape`'s elements;
    /// device-limit and budget errors from the allocation.
    pub fn from_complex(ctx: &Context, data: &[Complex32], shape: &[usize]) -> Result<Self> {
        Self::upload(ctx, data, shape, GpuElement::Complex32)
    }

    fn upload<T: bytemuck::Pod>(
        ctx: &Context,
        data: &[T],
        shape: &[usize],
        dtype: GpuElement,
    ) -> Result<Self> {
        let len = shape_len(shape)?;
        if data.len() != len {
            return Err(Error::shape(
                "GpuTensor upload",
                format!("{len} elements for shape {shape:?}"),
                data.len(),
            ));
        }
        let gpu = ctx.gpu().ok_or(Error::NoGpu { op: "a GPU tensor" })?;
        let buffer = gpu.storage_from("tensor", data)?;
        Ok(GpuTensor {
            ctx: ctx.clone(),
            buffer,
            shape: shape.to_vec(),
            dtype,
        })
    }

    /// Uploads f32 data with the given shape.
    ///
    /// # Errors
    /// As [`GpuTensor::from_complex`].
    pub fn from_f32(ctx: &Context, data: &[f32], shape: &[usize]) -> Result<Self> {
        Self::upload(ctx, data, shape, GpuElement::F32)
    }

    /// Wraps a buffer of the context's pool that holds `shape` elements of `dtype`.
    pub(crate) fn from_buffer(
        ctx: &Context,
        buffer: GpuBuffer,
        shape: &[usize],
        dtype: GpuElement,
    ) -> Result<Self> {
        let len = shape_len(shape)?;
        if buffer.bytes() < len as u64 * dtype.size() as u64 {
            return Err(Error::shape(
                "GpuTensor::from_buffer bytes",
                len * dtype.size(),
                buffer.bytes(),
            ));
        }
        Ok(GpuTensor {
            ctx: ctx.clone(),
            buffer,
            shape: shape.to_vec(),
            dtype,
        })
    }

    /// An uninitialised tensor.
    ///
    /// # Errors
    /// As [`GpuTensor::from_complex`].
    pub fn uninit(ctx: &Context, shape: &[usize], dtype: GpuElement) -> Result<Self> {
        let len = shape_len(shape)?;
        let gpu = ctx.gpu().ok_or(Error::NoGpu { op: "a GPU tensor" })?;
        let bytes = (len as u64)
            .checked_mul(dtype.size() as u64)
            .ok_or_else(|| Error::invalid("shape", format!("{shape:?} is too large")))?;
        let buffer = gpu.storage("tensor", bytes)?;
        Ok(GpuTensor {
            ctx: ctx.clone(),
            buffer,
            shape: shape.to_vec(),
            dtype,
        })
    }

    /// Copies a complex tensor back to the host.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the tensor is not complex; [`Error::Gpu`]
    /// if the readback fails.
    pub fn to_complex(&self) -> Result<Vec<Complex32>> {
        if self.dtype != GpuElement::Complex32 {
            return Err(Error::invalid("tensor", "not a complex tensor"));
        }
        self.download()
    }

    fn download<T: bytemuck::Pod>(&self) -> Result<Vec<T>> {
        let mut rec = self.ctx.recording("tensor readback")?;
        let readback = rec.read_back(&self.slice())?;
        rec.submit()?.wait()?.take(readback)
    }

    /// The tensor's bytes as a slice for recorded work.
    pub fn slice(&self) -> BufferSlice {
        self.buffer
            .slice()
            .sub(0, self.bytes())
            .expect("a tensor fits its buffer")
    }

    /// Copies an f32 tensor back to the host.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the tensor is not f32; [`Error::Gpu`]
    /// if the readback fails.
    pub fn to_f32(&self) -> Result<Vec<f32>> {
        if self.dtype != GpuElement::F32 {
            return Err(Error::invalid("tensor", "not an f32 tensor"));
        }
        self.download()
    }

    /// Row-major shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Element count.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Always false: tensors have at least one element.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Element type.
    pub fn dtype(&self) -> GpuElement {
        self.dtype
    }

    /// Size in bytes.
    pub fn bytes(&self) -> u64 {
        self.len() as u64 * self.dtype.size() as u64
    }

    /// The buffer, for recording work of one's own.
    pub fn buffer(&self) -> &GpuBuffer {
        &self.buffer
    }

    pub(crate) fn context(&self) -> &Context {
        &self.ctx
    }
}

/// A row-major tensor in host memory: a shape of 1 to 8 dimensions and its
/// elements.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

impl<T> Tensor<T> {
    /// Wraps `data` as a tensor of `shape`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty shape, more than [`MAX_DIMS`]
    /// dimensions or a zero-sized dimension; [`Error::ShapeMismatch`] when
    /// `data.len()` is not the product of `shape`.
    pub fn new(shape: &[usize], data: Vec<T>) -> Result<Self> {
        let len = shape_len(shape)?;
        if data.len() != len {
            return Err(Error::shape(
                "Tensor::new",
                format!("{len} elements for shape {shape:?}"),
                data.len(),
            ));
        }
        Ok(Tensor {
            shape: shape.to_vec(),
            data,
        })
    }

    /// Row-major shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The elements, mutable.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The elements, by value.
    pub fn into_data(self) -> Vec<T> {
        self.data
    }

    /// Element count.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Always false: tensors have at least one element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Checks a list of axes against `ndim`: each in range, none repeated.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the offending axis.
pub fn check_axes(axes: &[usize], ndim: usize) -> Result<()> {
    for (i, &a) in axes.iter().enumerate() {
        if a >= ndim {
            return Err(Error::invalid(
                "axes",
                format!("axis {a} out of range for {ndim} dimensions"),
            ));
        }
        if axes[..i].contains(&a) {
            return Err(Error::invalid("axes", format!("axis {a} given twice")));
        }
    }
    Ok(())
}

/// `(outer, n, inner)` of `shape` around `axis`: the product of the
/// dimensions before it, its length, and the product of those after it.
pub fn axis_split(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}
