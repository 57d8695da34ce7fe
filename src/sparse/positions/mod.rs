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

mod bits;
mod decode;
mod plan;
#[cfg(test)]
mod tests;

use crate::error::{Error, Result};
use bits::BitWriter;
use decode::{decode_bitmap, decode_rice};
use plan::plan;

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

/// Why positions could not be encoded or decoded, carried by
/// [`Error::Positions`].
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
/// [`Error::Positions`] holding
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
) -> Result<PositionsLayout> {
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
/// The same as [`encode_positions`]: [`Error::Positions`] holding
/// [`PositionsError::NotAscending`],
/// [`PositionsError::OutOfRange`], [`PositionsError::InvalidParameter`] and
/// [`PositionsError::EncodingTooLarge`].
pub fn encoded_len(positions: &[u64], universe: u64) -> Result<usize> {
    Ok(plan(positions, universe)?.len)
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
/// [`Error::Positions`] holding
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
pub fn decode_positions(bytes: &[u8], universe: u64, count: u64) -> Result<(Vec<u64>, usize)> {
    decode(bytes, universe, count).map_err(Error::from)
}

fn decode(bytes: &[u8], universe: u64, count: u64) -> Result<(Vec<u64>, usize), PositionsError> {
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
