//! Row-block payloads: an element-wise codec's encoding of a tensor split
//! into independent pieces of consecutive rows (of the first dimension),
//! each a complete payload of the same codec and parameters for its rows,
//! so that a reader (a streamed matrix product, say) can fetch and decode
//! one block at a time. The reconstruction is the same as the whole
//! tensor's: `quant` blocks share the step, `int8`/`int4` blocks hold
//! whole scale groups.

use rayon::prelude::*;

use super::{entropy, int4, int8, quant, read_group_params, CodecId, Encoded};

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
    let row: usize = shape.iter().skip(1).product();
    let reencode = |rows: usize, f: &(dyn Fn(&[f32]) -> Option<Vec<u8>> + Sync)| -> Option<Split> {
        let parts: Option<Vec<Vec<u8>>> = values.par_chunks(rows * row).map(f).collect();
        let parts = parts?;
        let lengths = parts.iter().map(|p| p.len() as u64).collect();
        Some(Split {
            encoded: Encoded {
                codec: enc.codec,
                params: enc.params.clone(),
                payload: parts.concat(),
            },
            rows: rows as u64,
            lengths,
        })
    };
    match enc.codec {
        CodecId::Quant => {
            let rows = block_rows(shape, 1)?;
            let step = quant::read_step(&enc.params).ok()?;
            reencode(rows, &|v| {
                let q = quant::quantise(v, step)?;
                let mut out = Vec::new();
                entropy::encode(&q, &mut out);
                Some(out)
            })
        }
        CodecId::Int8 | CodecId::Int4 => {
            let g = read_group_params(&enc.params).ok()?;
            let align = if enc.codec == CodecId::Int4 {
                g * 2 / gcd(g, 2)
            } else {
                g
            };
            let rows = block_rows(shape, align)?;
            let codec = enc.codec;
            reencode(rows, &move |v| {
                let e = if codec == CodecId::Int8 {
                    int8::encode(v, g)
                } else {
                    int4::encode(v, g)
                };
                e.ok().map(|e| e.payload)
            })
        }
        _ => None,
    }
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
