//! Compact, validated codec for the kept positions of a sparse tensor.
//!
//! A sparse tensor keeps some of the coefficients of a dense one. The indices
//! of the kept coefficients ("positions") form a strictly ascending list of
//! integers inside a *universe* `0..universe`, where `universe <= 2^40`.
//! This module stores such a list in a few bits per position and reads it
//! back with full validation, so that damaged input produces an error (never
//! a panic and never an absurd allocation).
//!
//! Neither the number of positions (`count`) nor the `universe` is stored in
//! the encoding: the caller keeps both elsewhere (for example in the header
//! of a sparse tensor) and passes them to [`decode_positions`].
//!
//! # Byte format
//!
//! An encoding is a *header* followed by a *payload*. Byte 0 of the header
//! is the layout tag:
//!
//! | tag | layout                     | rest of header            | payload                          | total length in bytes      |
//! |-----|----------------------------|---------------------------|----------------------------------|----------------------------|
//! | 0   | [`PositionsLayout::Empty`]  | none                      | none; `count` must be 0          | 1                          |
//! | 1   | [`PositionsLayout::All`]    | none                      | none; `count` must be `universe` | 1                          |
//! | 2   | [`PositionsLayout::Bitmap`] | none                      | `universe` bits                  | `1 + ceil(universe / 8)`   |
//! | 3   | [`PositionsLayout::Rice`]   | byte 1 = `k`, `0..=40`    | `count` Rice codes               | `2 + ceil(B / 8)`, `B` = payload bits |
//!
//! Any other tag is invalid. The encoding ends at the end of its payload;
//! bytes after it are not part of it (the decoder reports how many bytes it
//! consumed).
//!
//! ## Bit stream
//!
//! The payload is a stream of bits numbered from 0, starting right after the
//! header. Stream bit `j` is bit `j mod 8` of payload byte `floor(j / 8)`,
//! where bit 0 of a byte is its least significant bit (LSB-first). A field
//! of `n` bits holding the value `v` that starts at stream bit `b` occupies
//! stream bits `b .. b + n`, with stream bit `b + i` equal to bit `i` of `v`
//! (least significant bit first). Equivalently: reading the payload as
//! little-endian 64-bit words (the last one zero-extended), the stream is the
//! concatenation of the words' bits from least to most significant.
//!
//! The stream is padded with zero bits up to the next whole byte. The padding
//! bits must be zero; a decoder rejects non-zero padding.
//!
//! ## Bitmap (tag 2)
//!
//! `universe` bits; stream bit `i` is 1 if and only if position `i` is kept.
//! The number of one bits must equal `count`.
//!
//! ## Rice (tag 3)
//!
//! Byte 1 holds the Rice parameter `k` (`0 <= k <= 40`). The positions
//! `p[0] < p[1] < ... < p[count - 1]` are turned into non-negative gaps
//!
//! ```text
//! g[0] = p[0]
//! g[i] = p[i] - p[i - 1] - 1        (i >= 1)
//! ```
//!
//! and each gap is written, in order, as
//!
//! 1. the quotient `q = g >> k` in unary: `q` one bits followed by a single
//!    zero bit;
//! 2. the remainder `g & (2^k - 1)` as a `k`-bit field (absent when `k = 0`).
//!
//! So a gap costs `q + 1 + k` bits and `B = sum over gaps of (q + 1 + k)`.
//! A decoder rejects a gap that would put a position at or beyond
//! `universe`; in particular it rejects a unary run as soon as
//! `p[i - 1] + 1 + (q << k) >= universe` (with `p[-1] + 1` read as 0), so
//! a damaged run of one bits is never followed far.
//!
//! ## Encoder choice
//!
//! An empty list is encoded as `Empty`; a list holding every position of a
//! non-empty universe as `All`. Otherwise the encoder computes the size of
//! the Rice encoding for the `k` that minimises it (exactly: the Rice cost is
//! a convex function of `k`, searched locally from an estimate based on the
//! mean gap) and the size of the bitmap, and writes the strictly smaller Rice
//! encoding, or the bitmap on a tie or when the bitmap is smaller. A decoder
//! must accept any valid encoding, chosen this way or not.
//!
//! # Example
//!
//! The list `[5, 6, 20]` in a universe of 100 has the gaps `5, 0, 13`; the
//! cheapest Rice parameter is `k = 2` (13 bits; `k = 3` ties, and ties go to
//! the smaller `k`). The codes, in stream order, are
//!
//! ```text
//! gap  5: q = 1, r = 1  ->  1 0 | 1 0
//! gap  0: q = 0, r = 0  ->  0   | 0 0
//! gap 13: q = 3, r = 1  ->  1 1 1 0 | 1 0
//! ```
//!
//! so stream bits 0..13 are `1 0 1 0 0 0 0 1 1 1 0 1 0`, which with three zero padding
//! bits make the payload bytes `0x85 0x0B`. The encoding is the four bytes
//! `03 02 85 0B`.

/// The largest universe supported: positions are below `2^40`.
const MAX_UNIVERSE: u64 = 1 << 40;
/// The largest Rice parameter (enough for any gap below [`MAX_UNIVERSE`]).
const MAX_RICE_K: u8 = 40;

const TAG_EMPTY: u8 = 0;
const TAG_ALL: u8 = 1;
const TAG_BITMAP: u8 = 2;
const TAG_RICE: u8 = 3;

/// Bits of a peeked 64-bit word that are always valid, whatever the bit
/// offset inside the first byte (64 minus at most 7).
const PEEK_BITS: u64 = 57;

/// Which layout the encoder chose (the first byte of the encoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionsLayout {
    /// Rice-coded gaps between consecutive positions (tag 3).
    Rice {
        /// The Rice parameter: the number of low bits of each gap written
        /// verbatim after its unary quotient (`0..=40`).
        k: u8,
    },
    /// One bit per position of the universe (tag 2).
    Bitmap,
    /// Every position of the universe is kept: no payload (tag 1).
    All,
    /// No position is kept: no payload (tag 0).
    Empty,
}

/// Why positions could not be encoded or decoded.
///
/// Bit offsets in the variants are counted from the first bit of the
/// encoding (the layout tag), so a header is 8 or 16 bits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PositionsError {
    /// The input ends before the encoding does.
    #[error("positions encoding truncated: needs at least {needed_bits} bits, only {available_bits} available")]
    Truncated {
        /// Bits the encoding needs at least (from the start of the input).
        needed_bits: u64,
        /// Bits present in the input.
        available_bits: u64,
    },
    /// The layout tag (byte 0) is none of 0, 1, 2, 3.
    #[error("unknown positions layout tag {tag} at byte 0 (expected 0, 1, 2 or 3)")]
    UnknownLayout {
        /// The tag found.
        tag: u8,
    },
    /// A parameter (the Rice parameter `k`, or the universe) is out of range.
    #[error("invalid {what}: {value} (at most {max})")]
    InvalidParameter {
        /// Which parameter.
        what: &'static str,
        /// Its value.
        value: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// A position is not below the universe.
    #[error("position #{index} is {position}, not below the universe {universe}")]
    OutOfRange {
        /// Index of the position in the list.
        index: u64,
        /// The position.
        position: u64,
        /// The universe.
        universe: u64,
    },
    /// A position is not greater than the one before it (unsorted or duplicate).
    #[error("position #{index} is {position}, not greater than the previous position {previous}")]
    NotAscending {
        /// Index of the offending position in the list.
        index: u64,
        /// The position before it.
        previous: u64,
        /// The offending position.
        position: u64,
    },
    /// The encoding holds a different number of positions than expected.
    #[error("positions encoding holds {found} positions, expected {expected}")]
    CountMismatch {
        /// The number of positions the caller expected.
        expected: u64,
        /// The number of positions the encoding holds.
        found: u64,
    },
    /// More positions were asked for than the universe can hold.
    #[error("{count} distinct positions cannot fit in a universe of {universe}")]
    CountExceedsUniverse {
        /// The number of positions asked for.
        count: u64,
        /// The universe.
        universe: u64,
    },
    /// A unary run of a Rice code already puts the position beyond the universe.
    #[error("Rice code of position #{index} starting at bit {bit_offset} gives a position of at least {min_position}, not below the universe {universe}")]
    RunTooLong {
        /// Index of the position being decoded.
        index: u64,
        /// Bit offset of the start of its code.
        bit_offset: u64,
        /// The smallest position the code read so far can give.
        min_position: u64,
        /// The universe.
        universe: u64,
    },
    /// A padding bit after the payload (or after the last bitmap bit) is set.
    #[error("non-zero padding bits in the positions encoding from bit {bit_offset} on")]
    NonZeroPadding {
        /// Bit offset of the first padding bit.
        bit_offset: u64,
    },
    /// The encoding would be larger than this platform can hold in memory.
    #[error("positions encoding would need {bytes} bytes, more than this platform can address")]
    EncodingTooLarge {
        /// The size the encoding would have.
        bytes: u64,
    },
}

/// What the encoder will write.
struct Plan {
    layout: PositionsLayout,
    len: usize,
}

/// Appends the encoding of `positions` to `out` and returns the layout
/// chosen.
///
/// `positions` must be strictly ascending and below `universe`, which must
/// be at most `2^40`. The encoder chooses Rice-coded gaps (with the Rice
/// parameter `k` that gives the smallest encoding) or a bitmap of `universe`
/// bits, whichever is smaller; [`PositionsLayout::Empty`] and
/// [`PositionsLayout::All`] for the trivial cases. The format is described
/// in the [module documentation](self).
///
/// # Errors
///
/// - [`PositionsError::NotAscending`] if a position is not greater than the
///   one before it;
/// - [`PositionsError::OutOfRange`] if a position is not below `universe`;
/// - [`PositionsError::InvalidParameter`] if `universe` exceeds `2^40`;
/// - [`PositionsError::EncodingTooLarge`] if the encoding would not fit in
///   memory (only possible where `usize` is narrower than 64 bits).
///
/// On error nothing is appended to `out`.
pub fn encode_positions(
    positions: &[u64],
    universe: u64,
    out: &mut Vec<u8>,
) -> Result<PositionsLayout, PositionsError> {
    let plan = plan(positions, universe)?;
    out.reserve(plan.len);
    let start = out.len();
    match plan.layout {
        PositionsLayout::Empty => out.push(TAG_EMPTY),
        PositionsLayout::All => out.push(TAG_ALL),
        PositionsLayout::Bitmap => {
            out.push(TAG_BITMAP);
            let base = out.len();
            out.resize(start + plan.len, 0);
            let bitmap = &mut out[base..];
            // Every position is below `universe`, and the bitmap holds
            // `ceil(universe / 8)` bytes, so the index is in bounds.
            for &p in positions {
                bitmap[(p >> 3) as usize] |= 1 << (p & 7);
            }
        }
        PositionsLayout::Rice { k } => {
            out.push(TAG_RICE);
            out.push(k);
            let mut writer = BitWriter::new(out);
            let mut next_min = 0u64;
            for &p in positions {
                writer.put_rice(p - next_min, k);
                next_min = p + 1;
            }
            writer.finish();
        }
    }
    debug_assert_eq!(out.len() - start, plan.len);
    Ok(plan.layout)
}

/// Returns the exact number of bytes [`encode_positions`] would append for
/// these arguments, without encoding.
///
/// # Errors
///
/// The same as [`encode_positions`]: [`PositionsError::NotAscending`],
/// [`PositionsError::OutOfRange`], [`PositionsError::InvalidParameter`] and
/// [`PositionsError::EncodingTooLarge`].
pub fn encoded_len(positions: &[u64], universe: u64) -> Result<usize, PositionsError> {
    plan(positions, universe).map(|plan| plan.len)
}

/// Decodes exactly `count` positions in a universe of `universe` from the
/// start of `bytes`, and returns them together with the number of bytes the
/// encoding occupies (bytes after it are ignored).
///
/// Everything is validated: the layout tag, the Rice parameter, that the
/// input holds enough bits, that every position is below `universe` and
/// greater than the one before it, that a bitmap holds exactly `count` one
/// bits, and that all padding bits are zero. Damaged input gives an error,
/// never a panic.
///
/// Memory: before reserving room for `count` positions the decoder checks
/// that the bytes present can hold that many (a Rice code takes at least
/// `k + 1` bits, a bitmap must be fully present and its one bits are counted
/// first), so a damaged `count` cannot cause a huge allocation. The one
/// exception is the [`PositionsLayout::All`] layout, which by definition
/// yields all `universe` positions from a single byte: there the allocation
/// is bounded by `universe`, which the caller supplies.
///
/// # Errors
///
/// - [`PositionsError::InvalidParameter`] if `universe` exceeds `2^40` or
///   the Rice parameter exceeds 40;
/// - [`PositionsError::UnknownLayout`] if the tag byte is not 0, 1, 2 or 3;
/// - [`PositionsError::CountExceedsUniverse`] if `count > universe`;
/// - [`PositionsError::Truncated`] if `bytes` ends before the encoding;
/// - [`PositionsError::CountMismatch`] if the encoding holds a different
///   number of positions (`Empty`, `All`, `Bitmap`);
/// - [`PositionsError::OutOfRange`] or [`PositionsError::RunTooLong`] if a
///   Rice code gives a position not below `universe`;
/// - [`PositionsError::NonZeroPadding`] if a padding bit is set.
pub fn decode_positions(
    bytes: &[u8],
    universe: u64,
    count: u64,
) -> Result<(Vec<u64>, usize), PositionsError> {
    check_universe(universe)?;
    let Some(&tag) = bytes.first() else {
        return Err(PositionsError::Truncated {
            needed_bits: 8,
            available_bits: 0,
        });
    };
    if tag > TAG_RICE {
        return Err(PositionsError::UnknownLayout { tag });
    }
    if count > universe {
        return Err(PositionsError::CountExceedsUniverse { count, universe });
    }
    match tag {
        TAG_EMPTY => {
            if count != 0 {
                return Err(PositionsError::CountMismatch {
                    expected: count,
                    found: 0,
                });
            }
            Ok((Vec::new(), 1))
        }
        TAG_ALL => {
            if count != universe {
                return Err(PositionsError::CountMismatch {
                    expected: count,
                    found: universe,
                });
            }
            Ok(((0..universe).collect(), 1))
        }
        TAG_BITMAP => decode_bitmap(bytes, universe, count),
        _ => decode_rice(bytes, universe, count),
    }
}

fn check_universe(universe: u64) -> Result<(), PositionsError> {
    if universe > MAX_UNIVERSE {
        return Err(PositionsError::InvalidParameter {
            what: "universe",
            value: universe,
            max: MAX_UNIVERSE,
        });
    }
    Ok(())
}

fn to_len(bytes: u64) -> Result<usize, PositionsError> {
    usize::try_from(bytes).map_err(|_| PositionsError::EncodingTooLarge { bytes })
}

/// Validates `positions` and decides the layout and the exact length.
fn plan(positions: &[u64], universe: u64) -> Result<Plan, PositionsError> {
    check_universe(universe)?;
    let n = positions.len() as u64;
    let Some(&last) = positions.last() else {
        return Ok(Plan {
            layout: PositionsLayout::Empty,
            len: 1,
        });
    };

    // Estimate k from the mean gap (valid once the list is checked: the sum
    // of the gaps is `last - (n - 1)`), then price k0 - 1, k0 and k0 + 1 in
    // the same pass that validates the list.
    let k0 = estimate_k(last.saturating_sub(n - 1), n);
    let ks = [k0.saturating_sub(1), k0, (k0 + 1).min(MAX_RICE_K)];
    let mut sums = [0u64; 3];
    let mut next_min = 0u64;
    for (i, &p) in positions.iter().enumerate() {
        if p < next_min {
            return Err(PositionsError::NotAscending {
                index: i as u64,
                previous: next_min - 1,
                position: p,
            });
        }
        if p >= universe {
            return Err(PositionsError::OutOfRange {
                index: i as u64,
                position: p,
                universe,
            });
        }
        let gap = p - next_min;
        sums[0] += gap >> ks[0];
        sums[1] += gap >> ks[1];
        sums[2] += gap >> ks[2];
        next_min = p + 1;
    }
    if n == universe {
        return Ok(Plan {
            layout: PositionsLayout::All,
            len: 1,
        });
    }

    // Rice payload bits for parameter k: n (k + 1) + sum of (gap >> k). This
    // is convex in k (the saving from k to k + 1, the sum of
    // ceil((gap >> k) / 2), does not grow with k while the cost grows by n),
    // so a local search from the estimate finds the exact minimum.
    let cost = |k: u8, sum: u64| n * (u64::from(k) + 1) + sum;
    let mut best_k = ks[0];
    let mut best = cost(ks[0], sums[0]);
    for j in 1..3 {
        let c = cost(ks[j], sums[j]);
        if c < best {
            best = c;
            best_k = ks[j];
        }
    }
    if best_k == ks[0] && best_k < k0 {
        // Smaller k may be cheaper still (ties go to the smaller k).
        while best_k > 0 {
            let c = cost(best_k - 1, shifted_gap_sum(positions, best_k - 1));
            if c > best {
                break;
            }
            best = c;
            best_k -= 1;
        }
    } else if best_k == ks[2] && best_k > k0 {
        while best_k < MAX_RICE_K {
            let c = cost(best_k + 1, shifted_gap_sum(positions, best_k + 1));
            if c >= best {
                break;
            }
            best = c;
            best_k += 1;
        }
    }

    let rice_bytes = 2 + best.div_ceil(8);
    let bitmap_bytes = 1 + universe.div_ceil(8);
    if rice_bytes < bitmap_bytes {
        Ok(Plan {
            layout: PositionsLayout::Rice { k: best_k },
            len: to_len(rice_bytes)?,
        })
    } else {
        Ok(Plan {
            layout: PositionsLayout::Bitmap,
            len: to_len(bitmap_bytes)?,
        })
    }
}

/// A Rice parameter near the optimum for `n` gaps summing to `sum`:
/// `floor(log2(mean gap))`, clamped to `0..=40`.
fn estimate_k(sum: u64, n: u64) -> u8 {
    let mean = sum / n.max(1);
    if mean == 0 {
        0
    } else {
        // At most 63, so the cast is lossless.
        (mean.ilog2() as u8).min(MAX_RICE_K)
    }
}

/// Sum of `gap >> k` over the gaps of a validated list.
fn shifted_gap_sum(positions: &[u64], k: u8) -> u64 {
    let mut sum = 0u64;
    let mut next_min = 0u64;
    for &p in positions {
        sum += (p - next_min) >> k;
        next_min = p + 1;
    }
    sum
}

/// Mask of the low `bits` bits (`bits < 64`).
#[inline]
fn low_mask(bits: u32) -> u64 {
    (1u64 << bits) - 1
}

/// Appends an LSB-first bit stream to a byte vector, 64 bits at a time.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Pending bits, the oldest in the least significant position.
    acc: u64,
    /// Number of pending bits, `0..64`.
    fill: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        Self {
            out,
            acc: 0,
            fill: 0,
        }
    }

    /// Writes the low `nbits` bits of `value` (`nbits <= 64`, higher bits of
    /// `value` zero).
    #[inline]
    fn put(&mut self, value: u64, nbits: u32) {
        debug_assert!(nbits <= 64 && (nbits == 64 || value >> nbits == 0));
        self.acc |= value << self.fill;
        let total = self.fill + nbits;
        if total >= 64 {
            self.out.extend_from_slice(&self.acc.to_le_bytes());
            self.acc = if self.fill == 0 {
                0
            } else {
                value >> (64 - self.fill)
            };
            self.fill = total - 64;
        } else {
            self.fill = total;
        }
    }

    /// Writes one Rice code: `gap >> k` one bits, a zero bit, then the low
    /// `k` bits of `gap`.
    #[inline]
    fn put_rice(&mut self, gap: u64, k: u8) {
        let k = u32::from(k);
        let q = gap >> k;
        let rem = gap & low_mask(k);
        if q + 1 + u64::from(k) < 64 {
            // q < 63 here, so all shifts are below 64.
            let q = q as u32;
            self.put(low_mask(q) | (rem << (q + 1)), q + 1 + k);
        } else {
            let mut q = q;
            while q >= 64 {
                self.put(u64::MAX, 64);
                q -= 64;
            }
            // q < 64: q one bits and the terminating zero fit one write.
            let q = q as u32;
            self.put(low_mask(q), q + 1);
            if k > 0 {
                self.put(rem, k);
            }
        }
    }

    /// Flushes the pending bits, padded with zeros to a whole byte.
    fn finish(self) {
        let bytes = self.fill.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_le_bytes()[..bytes]);
    }
}

/// Reads an LSB-first bit stream from a byte slice.
struct BitReader<'a> {
    data: &'a [u8],
    /// Current bit offset from the start of `data`.
    pos: u64,
    /// Total number of bits in `data`.
    len_bits: u64,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8], pos: u64) -> Self {
        Self {
            data,
            pos,
            len_bits: data.len() as u64 * 8,
        }
    }

    /// Bits left after the current position.
    #[inline]
    fn remaining(&self) -> u64 {
        self.len_bits - self.pos
    }

    /// The stream from the current position on, in the low bits of a word.
    /// At least `min(57, remaining())` bits are meaningful; bits past the
    /// end of the data read as zero.
    #[inline]
    fn peek(&self) -> u64 {
        let byte = (self.pos >> 3) as usize;
        let mut buf = [0u8; 8];
        if let Some(chunk) = self.data.get(byte..byte + 8) {
            buf.copy_from_slice(chunk);
        } else if let Some(tail) = self.data.get(byte..) {
            buf[..tail.len()].copy_from_slice(tail);
        }
        u64::from_le_bytes(buf) >> (self.pos & 7)
    }
}

fn decode_rice(
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
    if end % 8 != 0 {
        // `end` is inside the input, so this byte exists.
        let last = bytes.get((end / 8) as usize).copied().unwrap_or(0);
        if last >> (end % 8) != 0 {
            return Err(PositionsError::NonZeroPadding { bit_offset: end });
        }
    }
    Ok((positions, end.div_ceil(8) as usize))
}

fn decode_bitmap(
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

/// Little-endian word from up to 8 bytes (missing high bytes are zero).
#[inline]
fn word_le(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small deterministic PRNG (splitmix64).
    struct SplitMix64(u64);

    impl SplitMix64 {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// True with probability `p`.
        fn chance(&mut self, p: f64) -> bool {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn random_subset(universe: u64, density: f64, seed: u64) -> Vec<u64> {
        let mut rng = SplitMix64(seed);
        (0..universe).filter(|_| rng.chance(density)).collect()
    }

    fn clustered(universe: u64, seed: u64) -> Vec<u64> {
        let mut rng = SplitMix64(seed);
        let mut out = Vec::new();
        let mut p = rng.below(100);
        while p < universe {
            let run = 1 + rng.below(40);
            for q in p..(p + run).min(universe) {
                out.push(q);
            }
            p += run + 1 + rng.below(2000);
        }
        out
    }

    /// Encodes (after a prefix byte, to check appending), checks the length
    /// against `encoded_len`, decodes (also with trailing junk) and compares.
    fn roundtrip(positions: &[u64], universe: u64) -> (PositionsLayout, Vec<u8>) {
        let mut out = vec![0xAB];
        let layout = encode_positions(positions, universe, &mut out).unwrap();
        assert_eq!(out[0], 0xAB);
        let enc = out[1..].to_vec();
        assert_eq!(encoded_len(positions, universe).unwrap(), enc.len());
        let n = positions.len() as u64;
        let (dec, used) = decode_positions(&enc, universe, n).unwrap();
        assert_eq!(dec, positions);
        assert_eq!(used, enc.len());
        let mut junk = enc.clone();
        junk.extend_from_slice(&[0xFF; 11]);
        let (dec, used) = decode_positions(&junk, universe, n).unwrap();
        assert_eq!(dec, positions);
        assert_eq!(used, enc.len());
        (layout, enc)
    }

    /// Rice payload bits for parameter k, by definition.
    fn rice_bits(positions: &[u64], k: u8) -> u64 {
        let n = positions.len() as u64;
        n * (u64::from(k) + 1) + shifted_gap_sum(positions, k)
    }

    fn is_valid(list: &[u64], universe: u64) -> bool {
        list.windows(2).all(|w| w[0] < w[1]) && list.iter().all(|&p| p < universe)
    }

    #[test]
    fn format_example_from_docs() {
        let mut out = Vec::new();
        let layout = encode_positions(&[5, 6, 20], 100, &mut out).unwrap();
        assert_eq!(layout, PositionsLayout::Rice { k: 2 });
        assert_eq!(out, [0x03, 0x02, 0x85, 0x0B]);
        assert_eq!(decode_positions(&out, 100, 3), Ok((vec![5, 6, 20], 4)));
    }

    #[test]
    fn empty() {
        for universe in [0, 1, 10, 1 << 40] {
            let (layout, enc) = roundtrip(&[], universe);
            assert_eq!(layout, PositionsLayout::Empty);
            assert_eq!(enc, [TAG_EMPTY]);
        }
    }

    #[test]
    fn all() {
        for universe in [1u64, 2, 7, 8, 9, 1000] {
            let positions: Vec<u64> = (0..universe).collect();
            let (layout, enc) = roundtrip(&positions, universe);
            assert_eq!(layout, PositionsLayout::All);
            assert_eq!(enc, [TAG_ALL]);
        }
    }

    #[test]
    fn universe_one() {
        assert_eq!(roundtrip(&[], 1).0, PositionsLayout::Empty);
        assert_eq!(roundtrip(&[0], 1).0, PositionsLayout::All);
    }

    #[test]
    fn single_position_at_ends() {
        for universe in [2u64, 3, 100, 1000, 1 << 20, 1 << 40] {
            for p in [0, universe - 1] {
                let (layout, enc) = roundtrip(&[p], universe);
                if universe >= 100 {
                    assert!(matches!(layout, PositionsLayout::Rice { .. }), "{layout:?}");
                    assert!(enc.len() <= 2 + 6, "{}", enc.len());
                }
            }
        }
    }

    #[test]
    fn dense_90_percent_chooses_bitmap() {
        let universe = 1_000_000;
        let positions = random_subset(universe, 0.9, 1);
        let (layout, enc) = roundtrip(&positions, universe);
        assert_eq!(layout, PositionsLayout::Bitmap);
        assert_eq!(enc.len() as u64, 1 + universe / 8);
    }

    #[test]
    fn random_20_percent_size() {
        let universe = 1_000_000;
        let positions = random_subset(universe, 0.2, 2);
        let (layout, enc) = roundtrip(&positions, universe);
        assert_eq!(layout, PositionsLayout::Rice { k: 2 });
        let bits_per_position = enc.len() as f64 * 8.0 / positions.len() as f64;
        assert!(bits_per_position <= 3.9, "{bits_per_position}");
    }

    #[test]
    fn random_1_percent() {
        let universe = 1_000_000;
        let positions = random_subset(universe, 0.01, 3);
        let (layout, enc) = roundtrip(&positions, universe);
        assert!(
            matches!(layout, PositionsLayout::Rice { k: 5..=7 }),
            "{layout:?}"
        );
        let bits_per_position = enc.len() as f64 * 8.0 / positions.len() as f64;
        assert!(bits_per_position <= 8.4, "{bits_per_position}");
    }

    #[test]
    fn clustered_runs() {
        for seed in 0..4 {
            let positions = clustered(300_000, seed);
            roundtrip(&positions, 300_000);
        }
    }

    #[test]
    fn large_universe_few_positions() {
        let universe = 1u64 << 36;
        let mut rng = SplitMix64(4);
        let mut positions: Vec<u64> = (0..1000).map(|_| rng.below(universe)).collect();
        positions.extend([0, universe - 1]);
        positions.sort_unstable();
        positions.dedup();
        let (layout, enc) = roundtrip(&positions, universe);
        assert!(
            matches!(layout, PositionsLayout::Rice { k: 24..=28 }),
            "{layout:?}"
        );
        assert!(enc.len() < 1000 * 30 / 8 + 64);
        // The largest universe, both ends.
        let (layout, _) = roundtrip(&[0, (1 << 40) - 1], 1 << 40);
        assert!(matches!(layout, PositionsLayout::Rice { .. }));
    }

    #[test]
    fn small_universes_exhaustive() {
        // Every subset of every universe up to 10.
        for universe in 0u64..=10 {
            for mask in 0u64..(1 << universe) {
                let positions: Vec<u64> = (0..universe).filter(|i| mask >> i & 1 == 1).collect();
                roundtrip(&positions, universe);
            }
        }
    }

    #[test]
    fn chosen_size_is_the_exact_minimum() {
        let mut cases: Vec<(Vec<u64>, u64)> = Vec::new();
        for (i, density) in [0.001, 0.01, 0.05, 0.2, 0.5, 0.7, 0.9, 0.99]
            .iter()
            .enumerate()
        {
            cases.push((random_subset(50_000, *density, 10 + i as u64), 50_000));
        }
        cases.push((clustered(100_000, 7), 100_000));
        // Skewed gaps: many zeros and a few huge ones.
        let mut skewed: Vec<u64> = (0..1000).collect();
        skewed.extend((0..10).map(|i| 1_000_000 + i * 10_000_000));
        cases.push((skewed, 1 << 30));
        cases.push((vec![5, 1 << 39], 1 << 40));
        for (positions, universe) in &cases {
            let (layout, enc) = roundtrip(positions, *universe);
            let best_rice = (0..=MAX_RICE_K)
                .map(|k| 2 + rice_bits(positions, k).div_ceil(8))
                .min()
                .unwrap();
            let bitmap = 1 + universe.div_ceil(8);
            assert_eq!(enc.len() as u64, best_rice.min(bitmap), "{layout:?}");
            if let PositionsLayout::Rice { k } = layout {
                assert_eq!(2 + rice_bits(positions, k).div_ceil(8), best_rice);
            }
        }
    }

    #[test]
    fn invalid_inputs_to_encode() {
        let cases: [(&[u64], u64, PositionsError); 5] = [
            (
                &[3, 2],
                10,
                PositionsError::NotAscending {
                    index: 1,
                    previous: 3,
                    position: 2,
                },
            ),
            (
                &[1, 4, 4],
                10,
                PositionsError::NotAscending {
                    index: 2,
                    previous: 4,
                    position: 4,
                },
            ),
            (
                &[1, 10],
                10,
                PositionsError::OutOfRange {
                    index: 1,
                    position: 10,
                    universe: 10,
                },
            ),
            (
                &[0],
                0,
                PositionsError::OutOfRange {
                    index: 0,
                    position: 0,
                    universe: 0,
                },
            ),
            (
                &[],
                (1 << 40) + 1,
                PositionsError::InvalidParameter {
                    what: "universe",
                    value: (1 << 40) + 1,
                    max: 1 << 40,
                },
            ),
        ];
        for (positions, universe, expected) in cases {
            let mut out = vec![7];
            assert_eq!(
                encode_positions(positions, universe, &mut out),
                Err(expected.clone())
            );
            assert_eq!(out, [7], "nothing appended on error");
            assert_eq!(encoded_len(positions, universe), Err(expected.clone()));
            assert!(!expected.to_string().is_empty());
        }
        // Unsorted in a long list, dense enough for a bitmap.
        let mut positions: Vec<u64> = (0..1000).collect();
        positions.swap(500, 501);
        assert!(matches!(
            encode_positions(&positions, 1001, &mut Vec::new()),
            Err(PositionsError::NotAscending { index: 501, .. })
        ));
    }

    #[test]
    fn invalid_inputs_to_decode() {
        use PositionsError as E;
        assert_eq!(
            decode_positions(&[], 10, 0),
            Err(E::Truncated {
                needed_bits: 8,
                available_bits: 0
            })
        );
        assert_eq!(
            decode_positions(&[4], 10, 0),
            Err(E::UnknownLayout { tag: 4 })
        );
        assert_eq!(
            decode_positions(&[TAG_RICE, 41, 0], 10, 1),
            Err(E::InvalidParameter {
                what: "Rice parameter k",
                value: 41,
                max: 40
            })
        );
        assert_eq!(
            decode_positions(&[TAG_EMPTY], 10, 1),
            Err(E::CountMismatch {
                expected: 1,
                found: 0
            })
        );
        assert_eq!(
            decode_positions(&[TAG_ALL], 10, 9),
            Err(E::CountMismatch {
                expected: 9,
                found: 10
            })
        );
        assert_eq!(
            decode_positions(&[TAG_ALL], 10, 11),
            Err(E::CountExceedsUniverse {
                count: 11,
                universe: 10
            })
        );
        assert_eq!(
            decode_positions(&[TAG_EMPTY], 1 << 41, 0),
            Err(E::InvalidParameter {
                what: "universe",
                value: 1 << 41,
                max: 1 << 40
            })
        );
        // Bitmap of 10 bits with a padding bit set, and with the wrong count.
        assert_eq!(
            decode_positions(&[TAG_BITMAP, 0b1, 0b100], 10, 1),
            Err(E::NonZeroPadding { bit_offset: 18 })
        );
        assert_eq!(
            decode_positions(&[TAG_BITMAP, 0b101, 0b10], 10, 2),
            Err(E::CountMismatch {
                expected: 2,
                found: 3
            })
        );
        // Rice k = 0: gap 0 is one zero bit; a set padding bit is rejected.
        assert_eq!(
            decode_positions(&[TAG_RICE, 0, 0b0], 10, 1),
            Ok((vec![0], 3))
        );
        assert_eq!(
            decode_positions(&[TAG_RICE, 0, 0b10], 10, 1),
            Err(E::NonZeroPadding { bit_offset: 17 })
        );
        // Rice k = 0: gap 10 (ten one bits) is past a universe of 10.
        assert!(matches!(
            decode_positions(&[TAG_RICE, 0, 0xFF, 0b011], 10, 1),
            Err(E::OutOfRange {
                index: 0,
                position: 10,
                universe: 10
            })
        ));
        for e in [
            E::UnknownLayout { tag: 9 },
            E::NonZeroPadding { bit_offset: 3 },
        ] {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn absurd_unary_run_is_rejected_early() {
        let mut bytes = vec![TAG_RICE, 0];
        bytes.extend(std::iter::repeat(0xFF).take(1 << 20));
        let err = decode_positions(&bytes, 100, 1).unwrap_err();
        match err {
            PositionsError::RunTooLong {
                index: 0,
                bit_offset: 16,
                min_position,
                universe: 100,
            } => assert!((100..100 + 64).contains(&min_position)),
            other => panic!("{other:?}"),
        }
        // Same with a large k: the run is seen after the first chunk.
        let mut bytes = vec![TAG_RICE, 30];
        bytes.extend(std::iter::repeat(0xFF).take(1 << 20));
        assert!(matches!(
            decode_positions(&bytes, 1 << 32, 1),
            Err(PositionsError::RunTooLong { .. })
        ));
    }

    #[test]
    fn huge_count_with_short_buffer() {
        let universe = 1u64 << 40;
        let start = std::time::Instant::now();
        for tag in [TAG_EMPTY, TAG_ALL, TAG_BITMAP, TAG_RICE] {
            let bytes = [tag, 3, 0xFF, 0x00, 0x12];
            for count in [1u64 << 60, u64::MAX, universe, universe - 1, 1 << 30] {
                if tag == TAG_ALL && count == universe {
                    continue; // a genuine "all 2^40 positions" request
                }
                assert!(decode_positions(&bytes, universe, count).is_err());
            }
        }
        assert!(matches!(
            decode_positions(&[TAG_RICE, 0, 0], universe, 1 << 60),
            Err(PositionsError::CountExceedsUniverse { .. })
        ));
        assert_eq!(
            decode_positions(&[TAG_RICE, 0, 0], universe, 1 << 30),
            Err(PositionsError::Truncated {
                needed_bits: 16 + (1 << 30),
                available_bits: 24
            })
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    fn sample_encodings() -> Vec<(Vec<u64>, u64)> {
        vec![
            (vec![], 0),
            (vec![], 50),
            (vec![0], 1),
            ((0..20).collect(), 20),
            (vec![0], 300),
            (vec![299], 300),
            (random_subset(300, 0.05, 20), 300),
            (random_subset(300, 0.3, 21), 300),
            (random_subset(200, 0.9, 22), 200),
            (random_subset(203, 0.5, 23), 203),
            (clustered(3000, 24), 3000),
            (vec![3, 1 << 35, (1 << 40) - 1], 1 << 40),
        ]
    }

    #[test]
    fn every_truncation_is_an_error() {
        for (positions, universe) in sample_encodings() {
            let (_, enc) = roundtrip(&positions, universe);
            for len in 0..enc.len() {
                let result = decode_positions(&enc[..len], universe, positions.len() as u64);
                assert!(
                    result.is_err(),
                    "prefix {len} of {enc:?} decoded: {result:?}"
                );
            }
        }
    }

    #[test]
    fn every_single_bit_flip_errors_or_stays_valid() {
        for (positions, universe) in sample_encodings() {
            let (_, enc) = roundtrip(&positions, universe);
            let count = positions.len() as u64;
            for bit in 0..enc.len() * 8 {
                let mut damaged = enc.clone();
                damaged[bit / 8] ^= 1 << (bit % 8);
                // Also with trailing bytes, which a flip may pull into use.
                let mut padded = damaged.clone();
                padded.extend_from_slice(&[0xFF, 0x00, 0xA5]);
                for input in [&damaged, &padded] {
                    if let Ok((list, used)) = decode_positions(input, universe, count) {
                        assert_eq!(list.len() as u64, count);
                        assert!(is_valid(&list, universe), "{list:?}");
                        assert!(used <= input.len());
                    }
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = SplitMix64(99);
        for _ in 0..20_000 {
            let len = rng.below(24) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if let Some(b) = bytes.first_mut() {
                *b %= 5;
            }
            if let Some(b) = bytes.get_mut(1) {
                *b %= 44;
            }
            let universe = [0, 1, 5, 64, 100, 1 << 20, 1 << 40][rng.below(7) as usize];
            let count = rng.below(40);
            if let Ok((list, used)) = decode_positions(&bytes, universe, count) {
                assert_eq!(list.len() as u64, count);
                assert!(is_valid(&list, universe));
                assert!(used <= bytes.len());
            }
        }
    }

    #[test]
    fn long_unary_runs_roundtrip() {
        // Gaps far larger than 2^k exercise the multi-word unary writer and
        // the slow reader path: force them via a skewed list.
        let mut positions: Vec<u64> = (0..2000).collect();
        positions.push(2000 + 5000);
        positions.push(2000 + 5000 + 130);
        positions.push(2000 + 5000 + 130 + 64);
        let universe = 8000;
        let (layout, _) = roundtrip(&positions, universe);
        assert!(matches!(layout, PositionsLayout::Rice { .. }), "{layout:?}");
        // Direct writer check across every quotient length near word sizes.
        for k in [0u8, 1, 7, 20] {
            let gaps: Vec<u64> = (0..200u64)
                .map(|q| (q << k) | (q % 3).min(low_mask(u32::from(k))))
                .collect();
            let mut positions = Vec::new();
            let mut next = 0u64;
            for g in &gaps {
                positions.push(next + g);
                next += g + 1;
            }
            let mut out = vec![TAG_RICE, k];
            let mut w = BitWriter::new(&mut out);
            for &g in &gaps {
                w.put_rice(g, k);
            }
            w.finish();
            let universe = next + 1;
            assert_eq!(out.len() as u64, 2 + rice_bits(&positions, k).div_ceil(8));
            let (dec, used) = decode_positions(&out, universe, positions.len() as u64).unwrap();
            assert_eq!(dec, positions);
            assert_eq!(used, out.len());
        }
    }
}
