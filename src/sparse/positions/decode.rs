//! Validated decoding of the Rice and bitmap payloads.

use super::bits::{low_mask, word_le, BitReader};
use super::*;

pub(super) fn decode_rice(
    bytes: &[u8],
    universe: u64,
    count: u64,
) -> Result<(Vec<u64>, usize), PositionsError> {
    let available_bits = bytes.len() as u64 * 8;
    let Some(&k) = bytes.get(1) else {
        return Err(PositionsError::Truncated {
            needed_bits: 16,
            available_bits,
        });
    };
    if k > MAX_RICE_K {
        return Err(PositionsError::InvalidParameter {
            what: "Rice parameter k",
            value: u64::from(k),
            max: u64::from(MAX_RICE_K),
        });
    }
    // Every code takes at least k + 1 bits: refuse a count the input cannot
    // possibly hold before reserving room for it.
    let min_bits = count.saturating_mul(u64::from(k) + 1).saturating_add(16);
    if min_bits > available_bits {
        return Err(PositionsError::Truncated {
            needed_bits: min_bits,
            available_bits,
        });
    }
    // count <= available_bits here, so this is bounded by the input size.
    let mut positions = Vec::with_capacity(usize::try_from(count).unwrap_or(0));

    let k32 = u32::from(k);
    let mask = low_mask(k32);
    let mut reader = BitReader::new(bytes, 16);
    let mut next_min = 0u64;
    for index in 0..count {
        let start = reader.pos;
        let valid = reader.remaining().min(PEEK_BITS) as u32;
        let word = reader.peek();
        let ones = word.trailing_ones();
        let (q, rem) = if ones + 1 + k32 <= valid {
            // Fast path: the whole code is inside the peeked word.
            reader.pos += u64::from(ones + 1 + k32);
            (u64::from(ones), (word >> (ones + 1)) & mask)
        } else {
            // Slow path: a long unary run, or the code crosses the word.
            let mut q = 0u64;
            loop {
                let left = reader.remaining();
                if left == 0 {
                    return Err(PositionsError::Truncated {
                        needed_bits: reader.pos + 1 + u64::from(k),
                        available_bits,
                    });
                }
                let valid = left.min(PEEK_BITS) as u32;
                let ones = reader.peek().trailing_ones().min(valid);
                if ones < valid {
                    q += u64::from(ones);
                    reader.pos += u64::from(ones) + 1;
                    break;
                }
                q += u64::from(valid);
                reader.pos += u64::from(valid);
                // q grows by at most 57 between checks and the universe is at
                // most 2^40, so `q << k` stays below 2^47: no overflow.
                let min_position = next_min + (q << k);
                if min_position >= universe {
                    return Err(PositionsError::RunTooLong {
                        index,
                        bit_offset: start,
                        min_position,
                        universe,
                    });
                }
            }
            let rem = if k32 == 0 {
                0
            } else {
                if reader.remaining() < u64::from(k) {
                    return Err(PositionsError::Truncated {
                        needed_bits: reader.pos + u64::from(k),
                        available_bits,
                    });
                }
                let rem = reader.peek() & mask;
                reader.pos += u64::from(k);
                rem
            };
            (q, rem)
        };
        // q << k < 2^47 (see above) and rem < 2^40: no overflow.
        let position = next_min + (q << k) + rem;
        if position >= universe {
            return Err(PositionsError::OutOfRange {
                index,
                position,
                universe,
            });
        }
        positions.push(position);
        next_min = position + 1;
    }

    let end = reader.pos;
    if !end.is_multiple_of(8) {
        // `end` is inside the input, so this byte exists.
        let last = bytes.get((end / 8) as usize).copied().unwrap_or(0);
        if last >> (end % 8) != 0 {
            return Err(PositionsError::NonZeroPadding { bit_offset: end });
        }
    }
    Ok((positions, end.div_ceil(8) as usize))
}

pub(super) fn decode_bitmap(
    bytes: &[u8],
    universe: u64,
    count: u64,
) -> Result<(Vec<u64>, usize), PositionsError> {
    let available_bits = bytes.len() as u64 * 8;
    let payload_bytes = universe.div_ceil(8);
    let total = 1 + payload_bytes;
    let truncated = PositionsError::Truncated {
        needed_bits: total * 8,
        available_bits,
    };
    let Ok(total_len) = usize::try_from(total) else {
        return Err(truncated);
    };
    let Some(payload) = bytes.get(1..total_len) else {
        return Err(truncated);
    };
    let tail_bits = universe % 8;
    if tail_bits != 0 {
        let last = payload.last().copied().unwrap_or(0);
        if last >> tail_bits != 0 {
            return Err(PositionsError::NonZeroPadding {
                bit_offset: 8 + universe,
            });
        }
    }
    let words = payload.chunks_exact(8);
    let tail = words.remainder();
    let ones: u64 = words
        .map(|w| u64::from(word_le(w).count_ones()))
        .sum::<u64>()
        + tail.iter().map(|&b| u64::from(b.count_ones())).sum::<u64>();
    if ones != count {
        return Err(PositionsError::CountMismatch {
            expected: count,
            found: ones,
        });
    }
    // count equals the number of one bits actually present.
    let mut positions = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut push_word = |base: u64, mut w: u64| {
        while w != 0 {
            positions.push(base + u64::from(w.trailing_zeros()));
            w &= w - 1;
        }
    };
    let mut base = 0u64;
    for chunk in payload.chunks_exact(8) {
        push_word(base, word_le(chunk));
        base += 64;
    }
    push_word(base, word_le(tail));
    Ok((positions, total_len))
}
