//! Quantised-resident matmul: W kept as INT8 or INT4 with one f16 scale per
//! group (the `int8`/`int4` codec layouts of [`crate::store`], used as
//! stored), dequantised inside the matmul kernel while its tile is loaded,
//! never materialised as f32 on the GPU. The CPU twin dequantises one block
//! of 64 rows per task and multiplies it with `matrixmultiply`.

mod gpu;

pub use gpu::GpuQuantizedWeight;

use std::borrow::Cow;

use super::dense::{by_row_blocks, WeightLayout, OUTPUTS_PER_TASK};
use super::MatmulShape;
use crate::backend::Context;
use crate::error::{Error, Result};
use crate::store::codec::{self, int8, CodecId, Encoded};
use crate::store::{Container, Entry};

/// Bits per quantised weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantBits {
    /// Signed bytes, -127..=127 times the group's scale.
    Int8,
    /// Signed nibbles, -7..=7 times the group's scale.
    Int4,
}

/// A weight `W` (`rows x cols`, row-major) quantised in groups of `group`
/// consecutive elements, its bytes exactly as the `int8`/`int4` codecs
/// store them: `ceil(rows cols / group)` f16 scales, then the values.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedWeight {
    bits: QuantBits,
    rows: usize,
    cols: usize,
    group: usize,
    scales: Vec<f32>,
    payload: Vec<u8>,
}

impl QuantizedWeight {
    /// Quantises `w` (`rows x cols`) with the store's encoder.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `w` does not hold `rows x cols`
    /// elements; [`Error::InvalidArgument`] for a zero dimension or a NaN or
    /// infinite weight; [`Error::CodecUnsupported`] for a group of zero or a
    /// scale beyond f16.
    pub fn quantize(
        w: &[f32],
        rows: usize,
        cols: usize,
        bits: QuantBits,
        group: usize,
    ) -> Result<Self> {
        MatmulShape::new(1, cols, rows).check_lengths(
            "QuantizedWeight::quantize",
            cols,
            Some(w.len()),
            None,
        )?;
        if let Some(i) = w.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "w",
                format!("weight element {i} is {}; weights must be finite", w[i]),
            ));
        }
        let encoded = match bits {
            QuantBits::Int8 => int8::encode(w, group)?,
            QuantBits::Int4 => codec::int4::encode(w, group)?,
        };
        Self::from_encoded(&encoded, rows, cols)
    }

    /// A weight from an `int8` or `int4` encoding as stored (not
    /// re-quantised), `rows x cols`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for another codec or a zero dimension;
    /// [`Error::Corrupt`] when the parameters or payload do not describe
    /// `rows x cols` values with finite scales; [`Error::DeviceLimit`] when
    /// the payload exceeds `u32` byte indexing.
    pub fn from_encoded(encoded: &Encoded, rows: usize, cols: usize) -> Result<Self> {
        let bits = match encoded.codec {
            CodecId::Int8 => QuantBits::Int8,
            CodecId::Int4 => QuantBits::Int4,
            other => {
                return Err(Error::invalid(
                    "codec",
                    format!(
                        "quantised-resident matmul takes int8 or int4 weights; this one is {}",
                        other.name()
                    ),
                ))
            }
        };
        MatmulShape::new(1, cols, rows).validate()?;
        let n = rows * cols;
        let group = codec::read_group_params(&encoded.params)?;
        let value_bytes = match bits {
            QuantBits::Int8 => n as u64,
            QuantBits::Int4 => (n as u64).div_ceil(2),
        };
        let scales = int8::read_scales(&encoded.payload, n, group, value_bytes)?;
        if encoded.payload.len() as u64 > u64::from(u32::MAX) {
            return Err(Error::DeviceLimit {
                what: "bytes of a quantised weight (u32 indexing)",
                requested: encoded.payload.len() as u64,
                max: u64::from(u32::MAX),
            });
        }
        Ok(QuantizedWeight {
            bits,
            rows,
            cols,
            group,
            scales,
            payload: encoded.payload.clone(),
        })
    }

    /// The tensor `name` of a `.fftt` container, used as stored when its
    /// codec is `int8` or `int4`. A tensor of more than two dimensions is
    /// read as `(product of the leading dimensions) x last`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no tensor has that name, it has
    /// fewer than one dimension, or another codec stored it (decode it and
    /// use [`QuantizedWeight::quantize`] or the dense path instead);
    /// [`Error::Checksum`] and I/O errors reading it; as
    /// [`QuantizedWeight::from_encoded`].
    pub fn from_container(container: &Container, name: &str) -> Result<Self> {
        let (i, entry) = find_entry(container, name)?;
        let (rows, cols) = matrix_dims(&entry.shape).ok_or_else(|| {
            Error::invalid(
                "name",
                format!("tensor `{name}` has shape {:?}, not a matrix", entry.shape),
            )
        })?;
        let codec = entry
            .codec()
            .filter(|c| matches!(c, CodecId::Int8 | CodecId::Int4));
        let Some(codec) = codec else {
            return Err(Error::invalid(
                "name",
                format!(
                    "tensor `{name}` is stored with codec {}; quantised-resident matmul uses \
                     int8 or int4 tensors as stored (decode it for the dense or streamed path)",
                    entry.codec_name()
                ),
            ));
        };
        let encoded = Encoded {
            codec,
            params: entry.params.clone(),
            payload: container.payload(i)?,
        };
        Self::from_encoded(&encoded, rows, cols)
    }

    /// Bits per value.
    pub fn bits(&self) -> QuantBits {
        self.bits
    }

    /// Rows of W (outputs).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of W (inputs).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Elements per scale group.
    pub fn group(&self) -> usize {
        self.group
    }

    /// The stored bytes (scales then values), as the GPU holds them.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Bytes W takes in this form (what the GPU holds, rounded up to a
    /// word).
    pub fn bytes(&self) -> u64 {
        (self.payload.len() as u64).next_multiple_of(4)
    }

    pub(crate) fn layout(&self) -> WeightLayout {
        let group = self.group as u32;
        let values_offset = 2 * self.scales.len() as u32;
        match self.bits {
            QuantBits::Int8 => WeightLayout::Int8 {
                group,
                values_offset,
            },
            QuantBits::Int4 => WeightLayout::Int4 {
                group,
                values_offset,
            },
        }
    }

    /// Elements `start..start + out.len()` of W (row-major), dequantised.
    pub fn dequantize_range(&self, start: usize, out: &mut [f32]) {
        let values = &self.payload[2 * self.scales.len()..];
        for (j, o) in out.iter_mut().enumerate() {
            let i = start + j;
            let q = match self.bits {
                QuantBits::Int8 => f32::from(values[i] as i8),
                QuantBits::Int4 => {
                    let b = values[i / 2];
                    let nib = if i.is_multiple_of(2) {
                        b & 0x0f
                    } else {
                        b >> 4
                    };
                    f32::from(((nib << 4) as i8) >> 4)
                }
            };
            *o = q * self.scales[i / self.group];
        }
    }

    /// All of W dequantised (for references and the decode-then-dense path).
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0.0f32; self.rows * self.cols];
        self.dequantize_range(0, &mut out);
        out
    }

    fn shape(&self, batch: usize) -> MatmulShape {
        MatmulShape::new(batch, self.cols, self.rows)
    }
}

/// `(rows, cols)` of a tensor read as a matrix.
/// The index and entry of the tensor `name` of `container`.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the file when there is none.
pub(crate) fn find_entry<'c>(container: &'c Container, name: &str) -> Result<(usize, &'c Entry)> {
    container
        .entries()
        .iter()
        .enumerate()
        .find(|(_, e)| e.name == name)
        .ok_or_else(|| {
            Error::invalid(
                "name",
                format!("{}: no tensor named `{name}`", container.path()),
            )
        })
}

pub(crate) fn matrix_dims(shape: &[usize]) -> Option<(usize, usize)> {
    let (&cols, lead) = shape.split_last()?;
    Some((lead.iter().product(), cols))
}

/// `Y = X W^T (+ bias)` on the CPU with a quantised W: each task
/// dequantises 64 rows and multiplies them.
///
/// # Errors
/// As [`Context::matmul_quantized`] without the GPU errors.
pub fn matmul_quantized_cpu(
    x: &[f32],
    w: &QuantizedWeight,
    bias: Option<&[f32]>,
    batch: usize,
) -> Result<Vec<f32>> {
    let shape = w.shape(batch);
    shape.check_lengths("matmul_quantized", x.len(), None, bias.map(<[f32]>::len))?;
    let mut y = vec![0.0f32; shape.y_len()];
    let n = w.cols;
    by_row_blocks(x, bias, shape, &mut y, OUTPUTS_PER_TASK, |c0, mc| {
        let mut block = vec![0.0f32; mc * n];
        w.dequantize_range(c0 * n, &mut block);
        Ok(Cow::Owned(block))
    })?;
    Ok(y)
}

impl Context {
    /// `Y = X W^T (+ bias)` with a quantised W on this context's backend:
    /// on the GPU one submission that uploads W's stored bytes (not f32)
    /// and dequantises inside the kernel; on the CPU
    /// [`matmul_quantized_cpu`]. `x` is `batch x w.cols()`.
    ///
    /// For repeated products keep W resident with
    /// [`Context::upload_quantized`] and [`Context::record_matmul_quantized`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `batch` of zero;
    /// [`Error::ShapeMismatch`] when `x` or `bias` do not match; on the GPU,
    /// [`Error::DeviceLimit`], [`Error::BudgetExceeded`] and device errors.
    pub fn matmul_quantized(
        &self,
        x: &[f32],
        w: &QuantizedWeight,
        bias: Option<&[f32]>,
        batch: usize,
    ) -> Result<Vec<f32>> {
        if self.gpu().is_none() {
            return matmul_quantized_cpu(x, w, bias, batch);
        }
        let shape = w.shape(batch);
        shape.check_lengths("matmul_quantized", x.len(), None, bias.map(<[f32]>::len))?;
        let resident = self.upload_quantized(w)?;
        let mut rec = self.recording("matmul quantized")?;
        let xs = rec.upload("matmul X", x)?;
        let bs = bias.map(|b| rec.upload("matmul bias", b)).transpose()?;
        let ys = rec.temporary("matmul Y", 4 * shape.y_len() as u64)?;
        self.record_matmul_quantized(&mut rec, &xs, &resident, bs.as_ref(), &ys, batch)?;
        let out = rec.read_back(&ys)?;
        rec.submit()?.wait()?.take(out)
    }
}
