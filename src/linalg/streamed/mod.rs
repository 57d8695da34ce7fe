//! Block-streamed matmul: W held compressed in host memory as blocks of
//! rows, each encoded on its own, decoded block by block into a reusable,
//! double-buffered scratch and multiplied, so the dense W never exists on
//! the device (nor, on the CPU backend, in host memory).
//!
//! Where each block is decoded:
//! * [`BlockCodec::Int8`], [`BlockCodec::Int4`]: not at all; the stored
//!   bytes are uploaded and the matmul kernel dequantises them.
//! * [`BlockCodec::SparseDct`]: on the GPU, by the sparse spectral
//!   decompression kernels recorded before the product.
//! * [`BlockCodec::F32`], [`BlockCodec::F16`]: on a CPU thread (a copy or
//!   an f16 widening) while the GPU multiplies the previous block.

mod gpu;

use std::borrow::Cow;

use super::dense::by_row_blocks;
use super::dense::WeightLayout;
use super::quantized::{QuantBits, QuantizedWeight};
use super::MatmulShape;
use crate::backend::Context;
use crate::error::{Error, Result};
use crate::spectral::{CompressOptions, Keep, SparseSpectral, StoredPrecision, Transform};
use crate::store::codec::{self, CodecId, Encoded};
use crate::store::{dtype, SafetensorsDtype};
use crate::tensor::Tensor;

mod stored;

/// How each row block of a [`StreamedWeight`] is encoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BlockCodec {
    /// Uncompressed f32 (the baseline: streaming only).
    F32,
    /// IEEE half precision.
    F16,
    /// INT8 with one f16 scale per `group` elements.
    Int8 {
        /// Elements per scale.
        group: usize,
    },
    /// INT4 with one f16 scale per `group` elements.
    Int4 {
        /// Elements per scale.
        group: usize,
    },
    /// The largest `keep` fraction (in (0, 1]) of each block's 2-D DCT-II
    /// coefficients, values in f16.
    SparseDct {
        /// Fraction of coefficients kept.
        keep: f64,
    },
    /// The row blocks of a `.fftt` tensor as they are stored, decoded on a
    /// CPU thread per block ([`StreamedWeight::from_container`]; INT8 and
    /// INT4 tensors come as [`BlockCodec::Int8`] and [`BlockCodec::Int4`]).
    Stored {
        /// The stored codec.
        codec: CodecId,
    },
}

impl BlockCodec {
    /// Device scratch bytes one decoded block of `rows x cols` takes.
    fn scratch_bytes(self, rows: usize, cols: usize) -> u64 {
        let n = (rows * cols) as u64;
        match self {
            BlockCodec::Int8 { group } => (2 * n.div_ceil(group as u64) + n).next_multiple_of(4),
            BlockCodec::Int4 { group } => {
                (2 * n.div_ceil(group as u64) + n.div_ceil(2)).next_multiple_of(4)
            }
            _ => 4 * n,
        }
    }

    /// Rows per block so that two scratch buffers fit `budget` bytes and
    /// one fits `max_binding` bytes, counting buffers as the GPU buffer
    /// pool does (powers of two up to 1 MiB, then whole MiB).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bytes when not even one row
    /// fits.
    pub fn block_rows(self, cols: usize, budget: u64, max_binding: u64) -> Result<usize> {
        const MIB: u64 = 1 << 20;
        let per_row = self.scratch_bytes(1, cols).max(1) + 4;
        let half = budget / 2;
        let class = if half < MIB {
            if half == 0 {
                0
            } else {
                1 << half.ilog2()
            }
        } else {
            half / MIB * MIB
        };
        let rows = (class / per_row).min(max_binding / per_row);
        if rows == 0 {
            return Err(Error::invalid(
                "budget",
                format!(
                    "{budget} bytes cannot hold two scratch blocks of one row of {cols} \
                     weights ({per_row} bytes each)"
                ),
            ));
        }
        Ok(rows as usize)
    }
}

/// One encoded row block.
#[derive(Debug, Clone)]
enum Block {
    Encoded(Encoded),
    Quantized(QuantizedWeight),
    Sparse(SparseSpectral),
}

/// A weight `W` (`rows x cols`) kept compressed in host memory as blocks
/// of `block_rows` rows, each encoded independently.
#[derive(Debug, Clone)]
pub struct StreamedWeight {
    rows: usize,
    cols: usize,
    block_rows: usize,
    codec: BlockCodec,
    blocks: Vec<Block>,
    /// The dtype decoded values are rounded to (that of a stored tensor).
    dtype: SafetensorsDtype,
}

impl StreamedWeight {
    /// Encodes `w` (`rows x cols`, row-major) in blocks of `block_rows`
    /// rows with `codec` (sparse DCT blocks are compressed on `ctx`).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `w` does not hold `rows x cols`;
    /// [`Error::InvalidArgument`] for a zero dimension or block size, a
    /// non-finite weight or a keep fraction outside (0, 1]; the codecs'
    /// errors.
    pub fn encode(
        ctx: &Context,
        w: &[f32],
        rows: usize,
        cols: usize,
        codec: BlockCodec,
        block_rows: usize,
    ) -> Result<Self> {
        MatmulShape::new(1, cols, rows).check_lengths(
            "StreamedWeight::encode",
            cols,
            Some(w.len()),
            None,
        )?;
        if block_rows == 0 {
            return Err(Error::invalid("block_rows", "blocks need at least one row"));
        }
        if let Some(i) = w.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "w",
                format!("weight element {i} is {}; weights must be finite", w[i]),
            ));
        }
        let blocks = w
            .chunks(block_rows * cols)
            .map(|chunk| {
                let r = chunk.len() / cols;
                Ok(match codec {
                    BlockCodec::Stored { .. } => {
                        return Err(Error::invalid(
                            "codec",
                            "stored row blocks come from a container \
                             (StreamedWeight::from_container), not from encoding",
                        ))
                    }
                    BlockCodec::F32 => {
                        Block::Encoded(codec::raw::encode(bytemuck::cast_slice(chunk)))
                    }
                    BlockCodec::F16 => Block::Encoded(codec::f16::encode(chunk)),
                    BlockCodec::Int8 { group } => Block::Quantized(QuantizedWeight::quantize(
                        chunk,
                        r,
                        cols,
                        QuantBits::Int8,
                        group,
                    )?),
                    BlockCodec::Int4 { group } => Block::Quantized(QuantizedWeight::quantize(
                        chunk,
                        r,
                        cols,
                        QuantBits::Int4,
                        group,
                    )?),
                    BlockCodec::SparseDct { keep } => {
                        if !(keep > 0.0 && keep <= 1.0) {
                            return Err(Error::invalid(
                                "keep",
                                format!("{keep} is not a fraction in (0, 1]"),
                            ));
                        }
                        let options = CompressOptions {
                            transform: Transform::Dct,
                            value_type: StoredPrecision::F16,
                            keep: Keep::Fraction(keep),
                        };
                        let t = Tensor::new(&[r, cols], chunk.to_vec())?;
                        Block::Sparse(ctx.compress(&t, &options)?)
                    }
                })
            })
            .collect::<Result<_>>()?;
        Ok(StreamedWeight {
            rows,
            cols,
            block_rows,
            codec,
            blocks,
            dtype: SafetensorsDtype::F32,
        })
    }

    /// Rows of W (outputs).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of W (inputs).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Rows per block (the last block may be shorter).
    pub fn block_rows(&self) -> usize {
        self.block_rows
    }

    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.blocks.len()
    }

    /// The codec of every block.
    pub fn codec(&self) -> BlockCodec {
        self.codec
    }

    /// Host bytes of the encoded blocks.
    pub fn host_bytes(&self) -> u64 {
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Encoded(e) => e.stored_bytes(),
                Block::Quantized(q) => q.bytes(),
                Block::Sparse(s) => (s.kept() * 6) as u64,
            })
            .sum()
    }

    /// Device scratch bytes of one block buffer (two are used).
    pub fn scratch_bytes(&self) -> u64 {
        self.codec
            .scratch_bytes(self.block_rows.min(self.rows), self.cols)
    }

    /// Rows `i * block_rows ..` of block `i`: `(first row, rows)`.
    fn span(&self, i: usize) -> (usize, usize) {
        let r0 = i * self.block_rows;
        (r0, self.block_rows.min(self.rows - r0))
    }

    /// Block `i` decoded to f32 (`rows x cols` of that block), on `ctx`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `i` out of range; decoding errors.
    pub fn decode_block(&self, ctx: &Context, i: usize) -> Result<Vec<f32>> {
        let block = self.blocks.get(i).ok_or_else(|| {
            Error::invalid("block", format!("{i} of {} blocks", self.blocks.len()))
        })?;
        let (_, r) = self.span(i);
        match block {
            Block::Encoded(e) if e.codec == CodecId::Raw => {
                Ok(bytemuck::pod_collect_to_vec(&e.payload))
            }
            Block::Encoded(e) => Ok(dtype::round_trip(
                self.dtype,
                codec::decode(ctx, e.codec, &e.params, &e.payload, &[r, self.cols])?,
            )),
            Block::Quantized(q) => Ok(q.dequantize()),
            Block::Sparse(s) => Ok(ctx.decompress(s)?.into_data()),
        }
    }

    /// All of W decoded (for references and the decode-once path).
    ///
    /// # Errors
    /// As [`StreamedWeight::decode_block`].
    pub fn decode(&self, ctx: &Context) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(self.rows * self.cols);
        for i in 0..self.blocks.len() {
            out.extend(self.decode_block(ctx, i)?);
        }
        Ok(out)
    }

    fn layout(&self, i: usize) -> WeightLayout {
        match &self.blocks[i] {
            Block::Quantized(q) => q.layout(),
            _ => WeightLayout::F32,
        }
    }
}

/// `Y = X W^T (+ bias)` on the CPU, decoding one block of W per task.
///
/// # Errors
/// As [`Context::matmul_streamed`] without the GPU errors.
pub fn matmul_streamed_cpu(
    x: &[f32],
    w: &StreamedWeight,
    bias: Option<&[f32]>,
    batch: usize,
) -> Result<Vec<f32>> {
    let shape = MatmulShape::new(batch, w.cols, w.rows);
    shape.check_lengths("matmul_streamed", x.len(), None, bias.map(<[f32]>::len))?;
    let mut y = vec![0.0f32; shape.y_len()];
    let cpu = Context::cpu();
    by_row_blocks(x, bias, shape, &mut y, w.block_rows, |c0, _| {
        Ok(Cow::Owned(w.decode_block(&cpu, c0 / w.block_rows)?))
    })?;
    Ok(y)
}

impl Context {
    /// `Y = X W^T (+ bias)` with W streamed block by block on this
    /// context's backend. On the GPU: `x`, `bias` and `Y` resident, two
    /// scratch buffers of [`StreamedWeight::scratch_bytes`] (tag
    /// `"streamed scratch"`), one submission per block with at most two in
    /// flight, so decoding and uploading block `i + 1` overlaps the product
    /// of block `i`. On the CPU: [`matmul_streamed_cpu`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `batch` of zero;
    /// [`Error::ShapeMismatch`] when `x` or `bias` do not match;
    /// [`Error::BudgetExceeded`] when the budget cannot hold the scratch
    /// buffers (encode with smaller blocks, see [`BlockCodec::block_rows`]);
    /// [`Error::DeviceLimit`], decoding and device errors.
    pub fn matmul_streamed(
        &self,
        x: &[f32],
        w: &StreamedWeight,
        bias: Option<&[f32]>,
        batch: usize,
    ) -> Result<Vec<f32>> {
        if self.gpu().is_none() {
            return matmul_streamed_cpu(x, w, bias, batch);
        }
        let shape = MatmulShape::new(batch, w.cols, w.rows);
        shape.check_lengths("matmul_streamed", x.len(), None, bias.map(<[f32]>::len))?;
        gpu::matmul_streamed(self, x, w, bias, shape)
    }
}
