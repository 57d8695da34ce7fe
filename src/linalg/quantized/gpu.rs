//! A quantised weight resident on the GPU, and the record form of its
//! product.

use super::{QuantBits, QuantizedWeight};
use crate::backend::{BufferSlice, Context, GpuBuffer, Recording};
use crate::error::{Error, Result};
use crate::linalg::dense::{record_product, Placement, WeightLayout};
use crate::linalg::MatmulShape;

/// A [`QuantizedWeight`] uploaded to the GPU as its stored bytes (tracked
/// under the tag `"quantized weight"`).
#[derive(Debug)]
pub struct GpuQuantizedWeight {
    buffer: GpuBuffer,
    layout: WeightLayout,
    bits: QuantBits,
    rows: usize,
    cols: usize,
}

impl GpuQuantizedWeight {
    /// Rows of W (outputs).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of W (inputs).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Bits per value.
    pub fn bits(&self) -> QuantBits {
        self.bits
    }

    /// GPU bytes held.
    pub fn bytes(&self) -> u64 {
        self.buffer.bytes()
    }
}

impl Context {
    /// Uploads `w`'s stored bytes (scales and values, no f32 copy) to the
    /// GPU.
    ///
    /// # Errors
    /// [`Error::NoGpu`] on the CPU backend; [`Error::DeviceLimit`] when W
    /// exceeds one storage binding; [`Error::BudgetExceeded`] and
    /// allocation errors.
    pub fn upload_quantized(&self, w: &QuantizedWeight) -> Result<GpuQuantizedWeight> {
        let gpu = self.gpu().ok_or(Error::NoGpu {
            op: "upload_quantized",
        })?;
        let bytes = w.bytes();
        if bytes > gpu.max_binding_bytes() {
            return Err(Error::DeviceLimit {
                what: "storage binding of a quantised weight",
                requested: bytes,
                max: gpu.max_binding_bytes(),
            });
        }
        let mut words = w.payload().to_vec();
        words.resize(bytes as usize, 0);
        let buffer = gpu.storage_from("quantized weight", &words)?;
        Ok(GpuQuantizedWeight {
            buffer,
            layout: w.layout(),
            bits: w.bits(),
            rows: w.rows(),
            cols: w.cols(),
        })
    }

    /// Records `Y = X W^T (+ bias)` with a resident quantised W: `x` holds
    /// `batch x w.cols()` f32, `bias` (if any) `w.rows()` f32, `y` receives
    /// `batch x w.rows()` f32. W is dequantised inside the kernel.
    ///
    /// # Errors
    /// As [`Context::record_matmul`].
    pub fn record_matmul_quantized(
        &self,
        rec: &mut Recording,
        x: &BufferSlice,
        w: &GpuQuantizedWeight,
        bias: Option<&BufferSlice>,
        y: &BufferSlice,
        batch: usize,
    ) -> Result<()> {
        let shape = MatmulShape::new(batch, w.cols, w.rows);
        let place = Placement {
            row_stride: w.rows,
            col0: 0,
        };
        record_product(
            self,
            rec,
            x,
            &w.buffer.slice(),
            w.layout,
            bias,
            y,
            shape,
            place,
        )
    }
}
