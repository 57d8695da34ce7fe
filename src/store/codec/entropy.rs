//! Entropy coding of quantised integers: a static order-0 model, rANS.
//!
//! Each integer `q` is mapped to `u = zigzag(q)` (`0, -1, 1, -2, ...` to
//! `0, 1, 2, 3, ...`). Values `u < L` (the *literal count*, chosen per
//! stream) are symbols of their own; larger ones become an *escape* symbol
//! `L + e` plus `e` raw bits, where `w = u - L + 1` and `e = floor(log2 w)`
//! (the raw bits are `w - 2^e`). Symbols are coded with rANS (32-bit state,
//! byte-wise renormalisation, `2^s` total frequency, `s <= 16`) under a
//! frequency table stored in the stream; raw bits follow in an LSB-first
//! bit stream. The encoder picks `L` and `s` for the smallest stream.
//!
//! # Layout
//!
//! ```text
//! varint  L                literal count, 0 ..= 65536
//! u8      s                scale bits, 1 ..= 16; + 64: two rANS states
//! varint  A                alphabet size, 2 ..= L + 49
//! A x varint freq[i]       each < 2^s, sum exactly 2^s
//! varint  R                rANS byte count, >= 4
//! R bytes rANS             first 4 bytes: initial state, u32 LE
//!                          (two states: 8 bytes, x0 then x1)
//! bits    raw bits         LSB-first, zero-padded to a byte; ends the stream
//! ```
//!
//! Decoding symbol `i` from state `x`: `slot = x mod 2^s`; the symbol is
//! the `k` with `cum[k] <= slot < cum[k] + freq[k]` (`cum` = exclusive prefix
//! sums); `x = freq[k] * (x >> s) + slot - cum[k]`; then while
//! `x < 2^23`, `x = (x << 8) | next byte`. The initial state lies in
//! `[2^23, 2^31)`; after the last symbol the state is exactly `2^23` and all
//! `R` bytes are consumed. Every varint is unsigned LEB128.
//!
//! With two states (streams of 4096 values or more), value `i` is decoded
//! from state `i mod 2`; both read the one byte sequence in value order and
//! both end at `2^23`. The two dependency chains overlap on an out-of-order
//! processor. One-state streams (shorter ones, and every stream written
//! before this layout existed) decode as before.

use super::{put_varint, varint_len, Cursor};
use crate::error::Result;

/// Lower bound of the normalised rANS state.
const RANS_L: u32 = 1 << 23;
/// Most raw bits after an escape symbol.
pub const MAX_EXTRA_BITS: u32 = 48;
/// Largest literal count.
const MAX_LITERALS: u64 = 1 << 16;
/// Largest scale (frequency precision) in bits.
const MAX_SCALE: u32 = 16;
/// Set in the scale byte: the symbols alternate between two rANS states
/// (even positions on the first, odd on the second), whose initial values
/// are the first 8 rANS bytes. Streams of fewer values use one state.
const TWO_STATES: u8 = 0x40;
/// Streams of at least this many values are written with two states.
const TWO_STATES_FROM: usize = 4096;

/// A stream can hold at most this many symbols per payload byte: every
/// symbol costs at least `log2(2^16 / (2^16 - 1))` bits because no
/// frequency may reach `2^s`. Readers use it to bound allocations.
pub const MAX_SYMBOLS_PER_BYTE: u64 = 363_408;

/// Sizes of an encoded stream, for reporting how close the coder gets to the
/// entropy.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StreamStats {
    /// Integers coded.
    pub count: u64,
    /// Order-0 entropy of the integers themselves, in bits (the ideal size
    /// of a coder that knows their distribution for free).
    pub entropy_bits: f64,
    /// Bits of the frequency table and the other header fields.
    pub table_bits: u64,
    /// Bits of the rANS stream.
    pub rans_bits: u64,
    /// Raw bits after escape symbols.
    pub extra_bits: u64,
}

impl StreamStats {
    /// Total bits written.
    pub fn total_bits(&self) -> u64 {
        self.table_bits + self.rans_bits + self.extra_bits
    }
}

fn zigzag(q: i64) -> u64 {
    ((q << 1) ^ (q >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Symbol and raw bits `(symbol, e, raw)` of `u` for literal count `l`.
fn split(u: u64, l: u64) -> (usize, u32, u64) {
    if u < l {
        (u as usize, 0, 0)
    } else {
        let w = u - l + 1;
        let e = 63 - w.leading_zeros();
        ((l + u64::from(e)) as usize, e, w - (1u64 << e))
    }
}

fn ideal_bits(counts: &[u64], n: u64) -> f64 {
    let nf = n as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| c as f64 * (nf / c as f64).log2())
        .sum()
}

/// One symbol's encoding constants: `x / freq` is `(x * rcp) >> shift`
/// for every state `x < 2^31` (`rcp = ceil(2^shift / freq)`, `shift = 31 +
/// ceil(log2 freq)`: the rounding excess times `x` stays below `2^shift`,
/// and `x * rcp < 2^63`).
#[derive(Debug, Clone, Copy)]
struct EncSymbol {
    rcp: u64,
    shift: u32,
    freq: u32,
    cum: u32,
    /// States at or above this are renormalised before the symbol.
    x_max: u32,
}

impl EncSymbol {
    fn new(freq: u32, cum: u32, s: u32) -> Self {
        let bits = 32 - freq.saturating_sub(1).leading_zeros();
        let shift = 31 + bits;
        let rcp = if freq == 0 {
            0
        } else {
            (1u64 << shift).div_ceil(u64::from(freq))
        };
        EncSymbol {
            rcp,
            shift,
            freq,
            cum,
            x_max: ((RANS_L >> s) << 8) * freq,
        }
    }

    /// The state after coding this symbol from state `x < x_max`.
    #[inline]
    fn step(&self, x: u32, s: u32) -> u32 {
        let q = ((u64::from(x) * self.rcp) >> self.shift) as u32;
        (q << s) + (x - q * self.freq) + self.cum
    }
}

/// Bytes staged by the encoder before they join its output.
const STAGE: usize = 4096;

/// The state after coding symbol `e` from state `x`, the (at most two)
/// bytes that leave the state first stored at `stage[*at..]`: all four are
/// written and the position moves by the count, so no loop depends on the
/// data. `*at` must be below `STAGE + 4`.
#[inline(always)]
fn put(x: u32, e: &EncSymbol, s: u32, stage: &mut [u8; STAGE + 8], at: &mut usize) -> u32 {
    debug_assert!(e.freq > 0);
    let k = usize::from(x >= e.x_max) + usize::from(u64::from(x) >= u64::from(e.x_max) << 8);
    stage[*at..*at + 4].copy_from_slice(&x.to_le_bytes());
    *at += k;
    e.step((u64::from(x) >> (8 * k)) as u32, s)
}

/// An LSB-first bit stream of known length written from its end to its
/// start: the bits of each value are prepended to those of the values
/// after it. Whole bytes leave the accumulator as one 8-byte store ending
/// at the written part (the store's lower bytes are overwritten by the
/// next one), so no loop or branch depends on the data.
struct BackBits {
    /// 8 bytes of room, then the stream.
    buf: Vec<u8>,
    /// Bytes at or above this index are final.
    at: usize,
    /// Bits not yet stored, the lowest the earliest; fewer than 8 between
    /// calls.
    acc: u64,
    bits: u32,
}

impl BackBits {
    /// A stream of `total` bits, zero-padded to a byte at its end.
    fn new(total: u64) -> Self {
        let bytes = total.div_ceil(8) as usize;
        BackBits {
            buf: vec![0u8; bytes + 8],
            at: bytes + 8,
            acc: 0,
            // The padding is the last bits of the stream.
            bits: (8 * bytes as u64 - total) as u32,
        }
    }

    /// Prepends the `e <= 48` low bits of `raw` (`raw < 2^e`).
    #[inline(always)]
    fn prepend(&mut self, raw: u64, e: u32) {
        self.acc = (self.acc << e) | raw;
        self.bits += e;
        let whole = self.bits / 8;
        let top = self.acc >> (self.bits % 8);
        // `top`'s `whole` bytes end up just below `at`: shifted into the
        // top of the word (by 64 - 8 whole, in two steps so that 64 is 0).
        let word = (top << 1) << (63 - 8 * whole);
        self.buf[self.at - 8..self.at].copy_from_slice(&word.to_le_bytes());
        self.at -= whole as usize;
        self.bits %= 8;
        self.acc &= (1u64 << self.bits) - 1;
    }

    /// The stream, once every bit has been prepended.
    fn finish(&self) -> &[u8] {
        debug_assert!(self.at == 8 && self.bits == 0);
        &self.buf[8..]
    }
}

/// The symbol of zigzag value `u` under literal count `l` (as [`split`]),
/// its raw bits prepended to `raw`, without a branch on whether it
/// escapes: a literal adds no bits.
#[inline(always)]
fn symbol_prepending(u: u64, l: u64, raw: &mut BackBits) -> usize {
    let escape = u >= l;
    let w = if escape { u - l + 1 } else { 1 };
    let e = 63 - w.leading_zeros();
    raw.prepend(w - (1u64 << e), e);
    let literal = u as usize;
    let esc = (l + u64::from(e)) as usize;
    if escape {
        esc
    } else {
        literal
    }
}

/// Appends the coded stream of `values` to `out` and returns its sizes.
///
/// # Panics
/// If a value's zigzag form needs more than [`MAX_EXTRA_BITS`] raw bits
/// beyond the literals (|q| above about 2^47); callers keep values within
/// `±2^46`.
pub fn encode(values: &[i64], out: &mut Vec<u8>) -> StreamStats {
    encode_by(values.len(), |i| values[i], out)
}

/// [`encode`] of the `n` integers `value(0), ..., value(n - 1)`, computed
/// as they are needed (three passes: forward, backward, forward) instead
/// of stored, so a caller that derives them cheaply (a quantiser) needs no
/// buffer of them. The stream is the one [`encode`] writes for them.
///
/// # Panics
/// As [`encode`].
pub fn encode_by(n: usize, value: impl Fn(usize) -> i64, out: &mut Vec<u8>) -> StreamStats {
    encode_layout(n, value, out, n >= TWO_STATES_FROM)
}

/// [`encode_by`] with one rANS state or two.
fn encode_layout(
    n: usize,
    value: impl Fn(usize) -> i64,
    out: &mut Vec<u8>,
    two_states: bool,
) -> StreamStats {
    let count = n;
    let n = count as u64;
    let start = out.len();
    let Layout {
        present_small,
        large,
        max_u,
        entropy_bits,
        l,
        s,
        ..
    } = layout::choose(count, &value);
    let mut counts = vec![0u64; (l + 1) as usize + MAX_EXTRA_BITS as usize];
    for &(u, c) in &present_small {
        counts[split(u, l).0] += c;
    }
    for &u in &large {
        counts[split(u, l).0] += 1;
    }
    let used = counts
        .iter()
        .rposition(|&c| c > 0)
        .map_or(0, |i| i + 1)
        .max(2);
    counts.truncate(used);
    let freq = normalize(&counts, n.max(1), s);
    let mut cum = Vec::with_capacity(freq.len());
    let mut acc = 0u32;
    for &f in &freq {
        cum.push(acc);
        acc += f;
    }

    put_varint(out, l);
    out.push(s as u8 | if two_states { TWO_STATES } else { 0 });
    put_varint(out, freq.len() as u64);
    for &f in &freq {
        put_varint(out, u64::from(f));
    }

    // Raw bits of every escape, in value order: their total is known from
    // the counts, so they are written back to front in the same pass as
    // the rANS states.
    let extra_bits: u64 = counts
        .iter()
        .enumerate()
        .skip(l as usize)
        .map(|(sym, &c)| c * (sym as u64 - l))
        .sum();
    assert!(
        split(max_u, l).1 <= MAX_EXTRA_BITS,
        "quantised value too large"
    );
    let mut raw = BackBits::new(extra_bits);

    // rANS, symbols in reverse, bytes collected backwards; the division
    // by the frequency is a multiplication by its reciprocal.
    let table: Vec<EncSymbol> = freq
        .iter()
        .zip(&cum)
        .map(|(&f, &c)| EncSymbol::new(f, c, s))
        .collect();
    let mut rev = Vec::with_capacity(count / 2 + 8);
    // Renormalisation without a data-dependent loop: the (at most two)
    // low bytes that leave the state are counted, all four are stored in
    // a small staging buffer and the position moves by the count.
    let mut stage = [0u8; STAGE + 8];
    let mut at = 0usize;
    // States: value i is coded on `x[i % 2]` with two states, on `x[0]`
    // with one.
    let (mut x0, mut x1) = (RANS_L, RANS_L);
    // The symbol of value `i`, its raw bits prepended to `raw` (no branch
    // on whether it escapes: a literal adds no bits).
    let mut i = count;
    if two_states {
        if i % 2 == 1 {
            i -= 1;
            x0 = put(
                x0,
                &table[symbol_prepending(zigzag(value(i)), l, &mut raw)],
                s,
                &mut stage,
                &mut at,
            );
        }
        while i >= 2 {
            x1 = put(
                x1,
                &table[symbol_prepending(zigzag(value(i - 1)), l, &mut raw)],
                s,
                &mut stage,
                &mut at,
            );
            x0 = put(
                x0,
                &table[symbol_prepending(zigzag(value(i - 2)), l, &mut raw)],
                s,
                &mut stage,
                &mut at,
            );
            i -= 2;
            if at >= STAGE {
                rev.extend_from_slice(&stage[..at]);
                at = 0;
            }
        }
    } else {
        while i >= 1 {
            i -= 1;
            x0 = put(
                x0,
                &table[symbol_prepending(zigzag(value(i)), l, &mut raw)],
                s,
                &mut stage,
                &mut at,
            );
            if at >= STAGE {
                rev.extend_from_slice(&stage[..at]);
                at = 0;
            }
        }
    }
    rev.extend_from_slice(&stage[..at]);
    if two_states {
        rev.extend_from_slice(&x1.to_be_bytes());
    }
    rev.extend_from_slice(&x0.to_be_bytes());
    rev.reverse();
    put_varint(out, rev.len() as u64);
    let header_len = out.len() - start;
    out.extend_from_slice(&rev);
    out.extend_from_slice(raw.finish());
    StreamStats {
        count: n,
        entropy_bits,
        table_bits: 8 * header_len as u64,
        rans_bits: 8 * rev.len() as u64,
        extra_bits,
    }
}

mod decode;
mod layout;
#[cfg(test)]
pub(crate) use decode::decode;
pub(crate) use decode::decode_map;
pub use layout::size_by;
use layout::Layout;
mod normalize;
use normalize::normalize;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
