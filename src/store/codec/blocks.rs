//! Row-block payloads: an element-wise codec's encoding of a tensor split
//! into independent pieces of consecutive rows (of the first dimension),
//! each a complete payload of the same codec and parameters for its rows,
//! so that a reader (a streamed matrix product, say) can fetch and decode
//! one block at a time. The reconstruction is the same as the whole
//! tensor's: `quant` blocks share the step, `int8`/`int4` blocks hold
//! whole scale groups.

use rayon::prelude::*;

use super::{int4, int8, quant, read_group_params, CodecId, Encoded};
use crate::store::error_mode::{self, ErrorSums};

/// Elements per row block the writer aims at (1 MiB of f32).
pub const BLOCK_ELEMENTS: usize = 1 << 18;

/// A payload cut into row blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The payload (the blocks, concatenated).
    pub encoded: Encoded,
    /// Rows per block.
    pub rows: u64,
    /// Bytes of each block.
    pub lengths: Vec<u64>,
}

/// Rows per block for `shape`, or `None` when one block would hold the
/// whole tensor (or it has fewer than two dimensions).
pub fn block_rows(shape: &[usize], align: usize) -> Option<usize> {
    if shape.len() < 2 || shape[0] < 2 {
        return None;
    }
    let row: usize = shape[1..].iter().product();
    if row == 0 {
        return None;
    }
    let mut r = (BLOCK_ELEMENTS / row).max(1);
    // Every block but the last holds a multiple of `align` elements.
    while !(r * row).is_multiple_of(align) && r < shape[0] {
        r += 1;
    }
    (r < shape[0] && (r * row).is_multiple_of(align)).then_some(r)
}

/// Cuts `enc` (an encoding of `values`, of `shape`) into row blocks, or
/// `None` when the codec has no row-block form or the tensor is one block.
/// `raw` and `f16` payloads are not cut: any rows of them lie at offsets
/// computed from the shape.
pub fn split(enc: &Encoded, values: &[f32], shape: &[usize]) -> Option<Split> {
    encode_split(enc.codec, &enc.params, values, shape)
}

/// Encodes `values` (of `shape`) with `codec` and its parameter block
/// `params` directly as row blocks, in parallel (each block a complete
/// payload), or `None` when the codec has no row-block form, the tensor is
/// one block, or a block cannot be encoded. The blocks are the same for
/// any thread count.
pub fn encode_split(
    codec: CodecId,
    params: &[u8],
    values: &[f32],
    shape: &[usize],
) -> Option<Split> {
    let (rows, f): (usize, Box<BlockEncoder<'static, ()>>) = match codec {
        CodecId::Quant => {
            let step = quant::read_step(params).ok()?;
            (
                block_rows(shape, 1)?,
                Box::new(move |_, v| {
                    let mut out = Vec::new();
                    quant::encode_payload(v, step, &mut out)?;
                    Some((out, ()))
                }),
            )
        }
        CodecId::Int8 | CodecId::Int4 => {
            let g = read_group_params(params).ok()?;
            let align = if codec == CodecId::Int4 {
                g * 2 / gcd(g, 2)
            } else {
                g
            };
            (
                block_rows(shape, align)?,
                Box::new(move |_, v| {
                    let e = if codec == CodecId::Int8 {
                        int8::encode(v, g)
                    } else {
                        int4::encode(v, g)
                    };
                    e.ok().map(|e| (e.payload, ()))
                }),
            )
        }
        _ => return None,
    };
    encode_rows(codec, params, values, shape, rows, &*f).map(|(s, _)| s)
}

/// Quantiser row blocks with `step` (as [`encode_split`] makes them), and
/// the error sums of their reconstruction rounded to `dtype` against the
/// original bytes `original`, merged in block order. The sums come from
/// the quantised integers themselves, which the decoder reproduces
/// exactly, so no block is decoded. `None` as for [`encode_split`].
pub fn encode_quant_checked(
    step: f64,
    values: &[f32],
    shape: &[usize],
    dtype: safetensors::Dtype,
    original: &[u8],
) -> Option<(Split, ErrorSums)> {
    let rows = block_rows(shape, 1)?;
    let esz = original.len() / values.len().max(1);
    let piece = rows * shape.iter().skip(1).product::<usize>();
    let (s, sums) = encode_rows(
        CodecId::Quant,
        &step.to_le_bytes(),
        values,
        shape,
        rows,
        &|b, v| {
            let sums = if dtype == safetensors::Dtype::F32 {
                // The originals are these values: one pass, no
                // reconstruction, and no buffer of the integers (the coder
                // computes them again as it goes).
                quant::sums_of(v, step)?
            } else {
                let inv = 1.0 / step;
                let back: Vec<f32> = v
                    .iter()
                    .map(|&x| quant::dequantise(quant::quantised(x, inv), step))
                    .collect();
                let at = b * piece * esz;
                error_mode::sums(dtype, &original[at..at + v.len() * esz], &back)
            };
            let mut out = Vec::new();
            quant::encode_payload(v, step, &mut out)?;
            Some((out, sums))
        },
    )?;
    Some((
        s,
        sums.into_iter()
            .fold(ErrorSums::default(), ErrorSums::merge),
    ))
}

/// Reports `(blocks done, blocks)` as the row blocks of an encoding are
/// finished, from any thread of the pool.
pub type BlockProgress = std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>;

thread_local! {
    static BLOCK_PROGRESS: std::cell::RefCell<Option<BlockProgress>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `hook` told of every row block the encoders of this
/// module finish while `f` runs on this thread (blocks encoded in parallel
/// report from their own threads, in the order they finish).
pub fn with_block_progress<R>(hook: BlockProgress, f: impl FnOnce() -> R) -> R {
    let old = BLOCK_PROGRESS.with(|h| h.replace(Some(hook)));
    let r = f();
    BLOCK_PROGRESS.with(|h| *h.borrow_mut() = old);
    r
}

/// Encodes one row block: `(block index, its values)` to its payload and a
/// by-product.
type BlockEncoder<'a, T> = dyn Fn(usize, &[f32]) -> Option<(Vec<u8>, T)> + Sync + 'a;

/// Blocks of `rows` rows encoded in parallel by `f(block, values)`, which
/// returns the block's payload and a by-product; the payloads are
/// concatenated in order.
fn encode_rows<T: Send>(
    codec: CodecId,
    params: &[u8],
    values: &[f32],
    shape: &[usize],
    rows: usize,
    f: &BlockEncoder<'_, T>,
) -> Option<(Split, Vec<T>)> {
    let row: usize = shape.iter().skip(1).product();
    let hook = BLOCK_PROGRESS.with(|h| h.borrow().clone());
    let total = values.len().div_ceil((rows * row).max(1));
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let parts: Option<Vec<(Vec<u8>, T)>> = values
        .par_chunks(rows * row)
        .enumerate()
        .map(|(b, v)| {
            let r = f(b, v);
            if let Some(h) = &hook {
                h(
                    finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                    total,
                );
            }
            r
        })
        .collect();
    let parts = parts?;
    let lengths: Vec<u64> = parts.iter().map(|p| p.0.len() as u64).collect();
    let mut payload = Vec::with_capacity(lengths.iter().sum::<u64>() as usize);
    let mut extra = Vec::with_capacity(parts.len());
    for (p, t) in parts {
        payload.extend_from_slice(&p);
        extra.push(t);
    }
    Some((
        Split {
            encoded: Encoded {
                codec,
                params: params.to_vec(),
                payload,
            },
            rows: rows as u64,
            lengths,
        },
        extra,
    ))
}

/// Decodes every block of `s` (an encoding of a tensor of `shape`) in
/// parallel and returns the error sums of the reconstruction, rounded to
/// `dtype`, against the original bytes `original`, merged in block order
/// (the same for any thread count); `None` if a block does not decode.
pub fn error_sums(
    ctx: &crate::backend::Context,
    s: &Split,
    dtype: safetensors::Dtype,
    original: &[u8],
    shape: &[usize],
) -> Option<ErrorSums> {
    let row: usize = shape.iter().skip(1).product();
    let n: usize = shape.iter().product();
    let esz = original.len() / n.max(1);
    let mut pieces = Vec::with_capacity(s.lengths.len());
    let mut at = 0usize;
    for (b, &len) in s.lengths.iter().enumerate() {
        let first = b * s.rows as usize;
        let rows = (s.rows as usize).min(shape[0].saturating_sub(first));
        pieces.push((at, len as usize, first, rows));
        at += len as usize;
    }
    let sums: Option<Vec<ErrorSums>> = pieces
        .par_iter()
        .map(|&(at, len, first, rows)| {
            let mut bs = shape.to_vec();
            bs[0] = rows;
            let e = &s.encoded;
            let back =
                super::decode(ctx, e.codec, &e.params, &e.payload[at..at + len], &bs).ok()?;
            let orig = &original[first * row * esz..(first + rows) * row * esz];
            Some(error_mode::sums(dtype, orig, &back))
        })
        .collect();
    Some(
        sums?
            .into_iter()
            .fold(ErrorSums::default(), ErrorSums::merge),
    )
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Context;
    use crate::store::codec::{self, test_data::gaussian};

    #[test]
    fn blocks_decode_to_the_whole_tensors_values() {
        let ctx = Context::cpu();
        for shape in [vec![700usize, 1000], vec![9, 70_001], vec![300, 3, 333]] {
            let n: usize = shape.iter().product();
            let x = gaussian(n, 3);
            for enc in [
                codec::quant::encode(&x, 0.01).unwrap().0,
                codec::int8::encode(&x, 64).unwrap(),
                codec::int4::encode(&x, *shape.last().unwrap()).unwrap(),
            ] {
                let whole =
                    codec::decode(&ctx, enc.codec, &enc.params, &enc.payload, &shape).unwrap();
                let Some(s) = split(&enc, &x, &shape) else {
                    continue;
                };
                assert!(s.lengths.len() >= 2, "{:?} {shape:?}", enc.codec);
                let mut at = 0usize;
                let mut back = Vec::new();
                for (b, &len) in s.lengths.iter().enumerate() {
                    let rows = (s.rows as usize).min(shape[0] - b * s.rows as usize);
                    let mut bs = shape.clone();
                    bs[0] = rows;
                    let piece = &s.encoded.payload[at..at + len as usize];
                    back.extend(codec::decode(&ctx, enc.codec, &enc.params, piece, &bs).unwrap());
                    at += len as usize;
                }
                assert_eq!(at, s.encoded.payload.len());
                assert_eq!(back, whole, "{:?} {shape:?}", enc.codec);
            }
        }
        assert_eq!(block_rows(&[1, 1 << 20], 1), None);
        assert_eq!(block_rows(&[1 << 20], 1), None);
        assert_eq!(block_rows(&[4, 0], 1), None);
    }
}
