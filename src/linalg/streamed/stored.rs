//! A [`StreamedWeight`] made from the row blocks a version 2 `.fftt`
//! container stores (error-bounded `quant`, INT8, INT4): the compressed
//! blocks are read from the file as they are, so neither the file's
//! tensor nor the dense W is ever decoded whole.

use super::{Block, BlockCodec, StreamedWeight};
use crate::error::{Error, Result};
use crate::linalg::quantized::{find_entry, matrix_dims, QuantizedWeight};
use crate::store::codec::{read_group_params, CodecId, Encoded};
use crate::store::Container;

impl StreamedWeight {
    /// The tensor `name` of `container` (`outputs x inputs`, leading
    /// dimensions folded into outputs) streamed from its stored row
    /// blocks: INT8/INT4 blocks are uploaded as stored and dequantised in
    /// the matmul kernel ([`BlockCodec::Int8`]/[`BlockCodec::Int4`]),
    /// other codecs' blocks are decoded on a CPU thread per block
    /// ([`BlockCodec::Stored`]). Host memory holds the compressed blocks
    /// only; decoded values are rounded to the tensor's stored dtype, so
    /// they equal [`Container::decode_f32`]'s.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when there is no such tensor, it is not
    /// a matrix, or it is stored in one piece (version 1 files, codecs
    /// without a row-block form, tensors of one block) or in blocks of
    /// unequal rows; [`Error::UnknownCodec`]; [`Error::Checksum`] and I/O
    /// errors reading the blocks; the INT8/INT4 layout checks of
    /// [`QuantizedWeight::from_encoded`].
    pub fn from_container(container: &Container, name: &str) -> Result<Self> {
        let (i, e) = find_entry(container, name)?;
        let (rows, cols) = matrix_dims(&e.shape)
            .filter(|&(r, c)| r > 0 && c > 0)
            .ok_or_else(|| {
                Error::invalid(
                    "name",
                    format!("tensor `{name}` has shape {:?}, not a matrix", e.shape),
                )
            })?;
        let codec = e.codec().ok_or_else(|| Error::UnknownCodec {
            path: container.path().to_string(),
            tensor: e.name.clone(),
            id: e.codec_id,
            offset: e.codec_offset,
        })?;
        if e.blocks.len() < 2 {
            return Err(Error::invalid(
                "name",
                format!(
                    "tensor `{name}` ({}) is stored in one piece; streaming reads the row \
                     blocks version 2 containers write for quant, int8 and int4 tensors",
                    e.codec_name()
                ),
            ));
        }
        // Matrix rows per row of the first dimension.
        let inner = rows / e.shape[0].max(1);
        let first = e.blocks[0].rows.len();
        let last = e.blocks.len() - 1;
        let uneven = e
            .blocks
            .iter()
            .enumerate()
            .any(|(b, x)| x.rows.start != b * first || (b < last && x.rows.len() != first));
        if uneven || e.blocks[last].rows.end != e.shape[0] {
            return Err(Error::invalid(
                "name",
                format!("tensor `{name}`: row blocks of unequal rows cannot be streamed"),
            ));
        }
        let block_codec = match codec {
            CodecId::Int8 => BlockCodec::Int8 {
                group: read_group_params(&e.params)?,
            },
            CodecId::Int4 => BlockCodec::Int4 {
                group: read_group_params(&e.params)?,
            },
            codec => BlockCodec::Stored { codec },
        };
        let blocks = (0..e.blocks.len())
            .map(|b| {
                let encoded = Encoded {
                    codec,
                    params: e.params.clone(),
                    payload: container.block_payload(i, b)?,
                };
                let block_rows = e.blocks[b].rows.len() * inner;
                Ok(match block_codec {
                    BlockCodec::Stored { .. } => Block::Encoded(encoded),
                    _ => {
                        Block::Quantized(QuantizedWeight::from_encoded(&encoded, block_rows, cols)?)
                    }
                })
            })
            .collect::<Result<_>>()?;
        Ok(StreamedWeight {
            rows,
            cols,
            block_rows: first * inner,
            codec: block_codec,
            blocks,
            dtype: e.dtype,
        })
    }
}
