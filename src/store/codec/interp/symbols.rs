//! The integer coder of the second payload form of [`super`]: an
//! adaptive zero flag, then one adaptive 32-symbol decision per non-zero
//! integer (on the range coder of [`crate::store::codec::arith`]), with an
//! escape to binary decisions for magnitudes of 32 or more.
//!
//! # Integers
//!
//! An integer `v` with magnitude `m` codes a zero flag (bit `m != 0`, one
//! [`Prob`] per context, as [`crate::store::codec::arith::IntModel`] does);
//! a non-zero one then codes symbol `2 j + (v < 0)` of its magnitude class
//! `j`: `m - 1` for `m` in `1 ..= 7`; `7 + ((m >> 1) & 3)` for `m` in
//! `8 ..= 15`, followed by the lowest bit of `m` as a direct bit;
//! `11 + ((m >> 2) & 3)` for `m` in `16 ..= 31`, followed by the two lowest
//! bits of `m` as direct bits (most significant first); 15 (the escape)
//! for `m >= 32`, followed by the bit length `k` of `m` (6 ..= 48) as
//! adaptive unary bits for `6 ..= k` (bit `i` true while `i < k`, a final
//! false one unless `k` = 48; one probability per context and `i`), the two
//! bits below the leading one adaptive (per context, `k` and tree node, as
//! `IntModel` codes its mantissa) and the remaining `k - 3` bits direct.
//!
//! # Symbol probabilities
//!
//! Each context keeps a cumulative table `C[0 ..= 32]` in units of 2^-15
//! (`C[0] = 0`, `C[32] = 2^15`, at first `C[i] = 1024 i`) and a count `n`
//! of symbols seen (stops at 255). Symbol `s` is the interval
//! `[C[s], C[s + 1])` of [`Encoder::interval`]. After coding `s`, with
//! rate `r = min(1 + floor(log2(n + 1)), 8)` (then `n` grows by one), every
//! `C[i]`, `1 <= i <= 31`, moves to `C[i] + ((T[i] - C[i]) >> r)`
//! (arithmetic shift) towards `T[i] = i` for `i <= s` and
//! `T[i] = 2^15 - 32 + i` for `i > s`, so every symbol keeps a probability
//! of at least 2^-15.

use crate::store::codec::arith::{Decoder, Encoder, Prob, MAX_BITS, PROB_INIT};

/// Symbols of non-zero integers per context: sign and magnitude class,
/// the last class the escape.
const SYMBOLS: usize = 32;
const ESCAPE_CLASS: usize = SYMBOLS / 2 - 1;
const TOTAL: i32 = 1 << 15;
const MAX_RATE: u32 = 8;
/// Smallest escaped magnitude, and its bit length.
const ESCAPE_MAG: u64 = 32;
const ESCAPE_BITS: usize = 6;

/// One context's adaptive cumulative table.
#[derive(Clone, Copy)]
struct Cdf {
    c: [i16; SYMBOLS],
    seen: u16,
}

impl Cdf {
    const INIT: Cdf = {
        let mut c = [0i16; SYMBOLS];
        let mut i = 0;
        while i < SYMBOLS {
            c[i] = (i * (TOTAL as usize / SYMBOLS)) as i16;
            i += 1;
        }
        Cdf { c, seen: 0 }
    };

    /// The interval of symbol `s`.
    #[inline(always)]
    fn bounds(&self, s: usize) -> (u32, u32) {
        let lo = self.c[s] as u32;
        let hi = if s == SYMBOLS - 1 {
            TOTAL as u32
        } else {
            self.c[s + 1] as u32
        };
        (lo, hi)
    }

    /// The symbol whose interval holds `t` (`t < 2^15`).
    #[inline(always)]
    fn find(&self, t: u32) -> usize {
        let t = t as i16;
        // C is increasing with C[0] = 0 <= t: the count of entries at most
        // `t`, less one.
        let mut below = 0i16;
        for &c in &self.c {
            below += i16::from(c <= t);
        }
        below as usize - 1
    }

    #[inline(always)]
    fn update(&mut self, s: usize) {
        let r = (u16::BITS - (self.seen + 1).leading_zeros()).min(MAX_RATE);
        if self.seen < 255 {
            self.seen += 1;
        }
        let s = s as i16;
        for ((c, &i), &high) in self.c.iter_mut().zip(&INDEX).zip(&HIGH) {
            let t = if i <= s { i } else { high };
            *c += (t - *c) >> r;
        }
    }
}

/// `i` for each symbol `i`.
const INDEX: [i16; SYMBOLS] = {
    let mut a = [0i16; SYMBOLS];
    let mut i = 0;
    while i < SYMBOLS {
        a[i] = i as i16;
        i += 1;
    }
    a
};

/// `2^15 - 32 + i` for each symbol `i`: the cumulative table an update
/// moves towards above the symbol coded.
const HIGH: [i16; SYMBOLS] = {
    let mut a = [0i16; SYMBOLS];
    let mut i = 0;
    while i < SYMBOLS {
        a[i] = (TOTAL - SYMBOLS as i32 + i as i32) as i16;
        i += 1;
    }
    a
};

/// The binary models of escaped magnitudes in one context.
#[derive(Clone)]
struct Tail {
    len: [Prob; MAX_BITS + 1],
    mant: [[Prob; 4]; MAX_BITS + 1],
}

impl Tail {
    const INIT: Tail = Tail {
        len: [PROB_INIT; MAX_BITS + 1],
        mant: [[PROB_INIT; 4]; MAX_BITS + 1],
    };
}

/// The magnitude class of `1 <= m < 32` with its direct bits (count, value).
#[inline(always)]
fn class(m: u64) -> (usize, u32, u64) {
    match m {
        0..=7 => (m as usize - 1, 0, 0),
        8..=15 => (7 + ((m >> 1) & 3) as usize, 1, m & 1),
        _ => (11 + ((m >> 2) & 3) as usize, 2, m & 3),
    }
}

/// The symbol of a non-zero integer (an escape for magnitudes of 32 or
/// more).
#[inline(always)]
fn symbol(v: i64) -> usize {
    let m = v.unsigned_abs();
    let j = if m < ESCAPE_MAG {
        class(m).0
    } else {
        ESCAPE_CLASS
    };
    2 * j + usize::from(v < 0)
}

/// Adaptive model of signed integers (magnitude below 2^48) in a number of
/// contexts.
pub(super) struct SymbolModel {
    zero: Vec<Prob>,
    cdf: Vec<Cdf>,
    tail: Vec<Tail>,
}

impl SymbolModel {
    /// A fresh model.
    pub(super) fn new(contexts: usize) -> Self {
        SymbolModel {
            zero: vec![PROB_INIT; contexts],
            cdf: vec![Cdf::INIT; contexts],
            tail: vec![Tail::INIT; contexts],
        }
    }

    /// Codes `v` in context `ctx`.
    #[inline(always)]
    pub(super) fn put(&mut self, e: &mut Encoder, ctx: usize, v: i64) {
        e.bit(&mut self.zero[ctx], v != 0);
        if v != 0 {
            self.put_nonzero(e, ctx, v);
        }
    }

    /// The symbol (and the bits after it) of a non-zero `v`. Not inlined:
    /// the zero flag, what most integers code, stays a short path.
    #[inline(never)]
    fn put_nonzero(&mut self, e: &mut Encoder, ctx: usize, v: i64) {
        let m = v.unsigned_abs();
        let neg = usize::from(v < 0);
        let cdf = &mut self.cdf[ctx];
        if m < ESCAPE_MAG {
            let (j, n, bits) = class(m);
            let s = 2 * j + neg;
            let (lo, hi) = cdf.bounds(s);
            e.interval(lo, hi);
            cdf.update(s);
            if n > 0 {
                e.direct(bits, n);
            }
            return;
        }
        let s = 2 * ESCAPE_CLASS + neg;
        let (lo, hi) = cdf.bounds(s);
        e.interval(lo, hi);
        cdf.update(s);
        self.put_tail(e, ctx, m);
    }

    #[inline(never)]
    fn put_tail(&mut self, e: &mut Encoder, ctx: usize, m: u64) {
        let t = &mut self.tail[ctx];
        let k = 64 - m.leading_zeros() as usize; // ESCAPE_BITS ..= 48
        for i in ESCAPE_BITS..k {
            e.bit(&mut t.len[i], true);
        }
        if k < MAX_BITS {
            e.bit(&mut t.len[k], false);
        }
        let rest = k - 1;
        let mut node = 1usize;
        for j in 0..2 {
            let b = (m >> (rest - 1 - j)) & 1 == 1;
            e.bit(&mut t.mant[k][node], b);
            node = node * 2 + usize::from(b);
        }
        e.direct(m & ((1u64 << (rest - 2)) - 1), (rest - 2) as u32);
    }

    /// Decodes a value in context `ctx`.
    #[inline(always)]
    pub(super) fn get(&mut self, d: &mut Decoder<'_>, ctx: usize) -> i64 {
        if !d.bit(&mut self.zero[ctx]) {
            return 0;
        }
        let cdf = &mut self.cdf[ctx];
        // The most frequent symbol needs no division.
        let s = if d.below(cdf.c[1] as u32) {
            0
        } else {
            cdf.find(d.target())
        };
        let (lo, hi) = cdf.bounds(s);
        d.consume(lo, hi);
        cdf.update(s);
        let j = s / 2;
        let m = match j {
            0..=6 => j as u64 + 1,
            7..=10 => ((4 + j as u64 - 7) << 1) | d.direct(1),
            11..=14 => ((4 + j as u64 - 11) << 2) | d.direct(2),
            _ => self.get_tail(d, ctx),
        };
        if s % 2 == 1 {
            -(m as i64)
        } else {
            m as i64
        }
    }

    #[inline(never)]
    fn get_tail(&mut self, d: &mut Decoder<'_>, ctx: usize) -> u64 {
        let t = &mut self.tail[ctx];
        let mut k = ESCAPE_BITS;
        while k < MAX_BITS && d.bit(&mut t.len[k]) {
            k += 1;
        }
        let rest = k - 1;
        let mut m = 1u64;
        let mut node = 1usize;
        for _ in 0..2 {
            let b = d.bit(&mut t.mant[k][node]);
            m = (m << 1) | u64::from(b);
            node = node * 2 + usize::from(b);
        }
        (m << (rest - 2)) | d.direct((rest - 2) as u32)
    }
}

/// The cost in bits of coding integers with [`SymbolModel`], without
/// coding them: per context the order-0 entropy of the zero flags and of
/// the symbols of non-zero integers (at least what the probability floors
/// allow) plus a learning cost per probability in use, the direct bits,
/// and for escapes the entropy of the bit lengths and the bits below the
/// leading one.
pub(super) struct SymbolCost {
    zero: Vec<[u32; 2]>,
    hist: Vec<[u32; SYMBOLS]>,
    lens: Vec<[u32; MAX_BITS + 1]>,
    direct: u64,
}

/// Entropy in bits of the counts, their total and how many are in use.
fn entropy(counts: &[u32]) -> (f64, f64, u32) {
    let n: f64 = counts.iter().map(|&c| f64::from(c)).sum();
    let mut h = 0.0;
    let mut used = 0u32;
    for &c in counts {
        if c > 0 {
            let c = f64::from(c);
            h += c * (n / c).log2();
            used += 1;
        }
    }
    (n, h, used)
}

impl SymbolCost {
    /// Nothing counted, in `contexts` contexts.
    pub(super) fn new(contexts: usize) -> Self {
        SymbolCost {
            zero: vec![[0; 2]; contexts],
            hist: vec![[0; SYMBOLS]; contexts],
            lens: vec![[0; MAX_BITS + 1]; contexts],
            direct: 0,
        }
    }

    /// Counts `v` in context `ctx`, as [`SymbolModel::put`] codes it.
    #[inline(always)]
    pub(super) fn put(&mut self, ctx: usize, v: i64) {
        let m = v.unsigned_abs();
        self.zero[ctx][usize::from(m != 0)] += 1;
        if m == 0 {
            return;
        }
        let s = symbol(v);
        self.hist[ctx][s] += 1;
        if s / 2 == ESCAPE_CLASS {
            let k = 64 - m.leading_zeros() as usize;
            self.lens[ctx][k.min(MAX_BITS)] += 1;
            // The bits below the leading one.
            self.direct += k as u64 - 1;
        } else if m >= 8 {
            self.direct += u64::from(class(m).1);
        }
    }

    /// Estimated bits of the stream, without the five bytes a finished
    /// stream adds.
    #[cfg(test)]
    pub(super) fn bits(&self) -> f64 {
        self.bits_scaled(1.0)
    }

    /// Estimated bits of a stream `scale` times as long with the same
    /// statistics: the entropy scales, the cost of learning each
    /// probability grows only with the logarithm of what it sees.
    pub(super) fn bits_scaled(&self, scale: f64) -> f64 {
        // The floors (32 / 2^15 for a bit, 1 / 2^15 per other symbol) make
        // the surest decision cost about 0.0014 bits.
        const FLOOR: f64 = 0.0014;
        let mut t = self.direct as f64 * scale;
        let tables = self.zero.iter().map(|z| &z[..]);
        let tables = tables
            .chain(self.hist.iter().map(|h| &h[..]))
            .chain(self.lens.iter().map(|l| &l[..]));
        for counts in tables {
            let (n, bits, used) = entropy(counts);
            if n == 0.0 {
                continue;
            }
            // Learning: fitted to coded sizes of 300 to 10^5 integers
            // in 20 contexts (within 4 % from 1000 on).
            t += bits.max(n * FLOOR) * scale
                + f64::from(used) * (1.0 + 0.65 * (n * scale + 1.0).log2());
        }
        t
    }
}

#[cfg(test)]
mod tests;
