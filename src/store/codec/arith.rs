//! An adaptive binary arithmetic coder (a range coder over 15-bit bit
//! probabilities, the design of LZMA's) and the context models the
//! transform and prediction codecs code their integers with.
//!
//! # Bit coding
//!
//! A probability `p` (of a 0 bit, in units of 2^-15) starts at 16384 with
//! shift `s = 1`; after each bit it moves by `(32768 - p) >> s` towards a
//! 0 or by `p >> s` towards a 1, is clamped to `32 ..= 32736`, and `s`
//! grows by one up to 7. The encoder keeps `low` (33 bits) and `range`
//! (32 bits, starts at `0xFFFF_FFFF`); a bit splits `range` at
//! `bound = (range >> 15) * p`: a 0 keeps `[low, low + bound)`, a 1 takes
//! the rest. While `range < 2^24` a byte is shifted out (with carry
//! propagation through a cached byte and a run of `0xFF` bytes). Direct
//! bits halve the range. Finishing flushes five bytes. The decoder reads
//! five bytes first (the first is always 0) and mirrors the steps; reading
//! past the end gives zero bytes, and a decoder reports a stream that is
//! not consumed exactly.
//!
//! # Integers
//!
//! [`IntModel`] codes a signed integer in a context `c`: a *zero* bit; for a
//! non-zero value a sign bit and the magnitude `m >= 1` as Elias-gamma:
//! the bit length `k` of `m` in unary (bit `i` of the unary code has its
//! own probability per context), then the `k - 1` bits below the leading
//! one, the top two of them adaptive (per context and length), the rest
//! direct.

/// Probability precision in bits.
const PROB_BITS: u32 = 15;
const TOP: u32 = 1 << 24;
/// Slowest adaptation: a shift of 7 (about the last 128 bits).
const MAX_SHIFT: u8 = 7;

/// An adaptive bit probability: the chance of a 0 bit in units of 2^-15,
/// and an adaptation shift that grows from 1 to 7 as bits are seen (fast
/// learning first, then a steady estimate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prob {
    p: u16,
    shift: u8,
}

/// A probability of one half that has seen nothing.
pub const PROB_INIT: Prob = Prob {
    p: 1 << (PROB_BITS - 1),
    shift: 1,
};

impl Prob {
    #[inline(always)]
    fn update(&mut self, bit: bool) {
        let s = self.shift;
        if bit {
            self.p -= self.p >> s;
        } else {
            self.p += ((1 << PROB_BITS) - self.p) >> s;
        }
        // Keep 1 <= p <= 2^15 - 1 (a shift of 1 could otherwise reach the ends).
        self.p = self.p.clamp(1 << 5, (1 << PROB_BITS) - (1 << 5));
        if s < MAX_SHIFT {
            self.shift = s + 1;
        }
    }
}

/// Range encoder.
pub struct Encoder {
    low: u64,
    range: u32,
    cache: u8,
    cache_size: u64,
    out: Vec<u8>,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// An empty stream.
    pub fn new() -> Self {
        Encoder {
            low: 0,
            range: 0xFFFF_FFFF,
            cache: 0,
            cache_size: 1,
            out: Vec::new(),
        }
    }

    fn shift_low(&mut self) {
        if self.low < 0xFF00_0000 || self.low >= 1 << 32 {
            let carry = (self.low >> 32) as u8;
            let mut c = self.cache;
            loop {
                self.out.push(c.wrapping_add(carry));
                c = 0xFF;
                self.cache_size -= 1;
                if self.cache_size == 0 {
                    break;
                }
            }
            self.cache = ((self.low >> 24) & 0xFF) as u8;
        }
        self.cache_size += 1;
        self.low = (self.low & 0x00FF_FFFF) << 8;
    }

    /// Codes `bit` with the adaptive probability `p`.
    #[inline(always)]
    pub fn bit(&mut self, p: &mut Prob, bit: bool) {
        let bound = (self.range >> PROB_BITS) * u32::from(p.p);
        if bit {
            self.low += u64::from(bound);
            self.range -= bound;
        } else {
            self.range = bound;
        }
        p.update(bit);
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    /// Codes the interval `[lo, hi)` of a total of 2^15 (`lo < hi <=
    /// 2^15`): the range splits at `(range >> 15) * lo`, and an interval
    /// that ends at 2^15 takes the rest of the range.
    #[inline(always)]
    pub fn interval(&mut self, lo: u32, hi: u32) {
        let r = self.range >> PROB_BITS;
        let a = r * lo;
        self.low += u64::from(a);
        self.range = if hi == 1 << PROB_BITS {
            self.range - a
        } else {
            r * (hi - lo)
        };
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    /// Codes the low `n` bits of `v` (most significant first) at
    /// probability one half.
    pub fn direct(&mut self, v: u64, n: u32) {
        for i in (0..n).rev() {
            self.range >>= 1;
            if (v >> i) & 1 == 1 {
                self.low += u64::from(self.range);
            }
            while self.range < TOP {
                self.range <<= 8;
                self.shift_low();
            }
        }
    }

    /// Flushes and returns the stream.
    pub fn finish(mut self) -> Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        self.out
    }
}

/// Range decoder over a byte slice.
pub struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    range: u32,
    code: u32,
}

impl<'a> Decoder<'a> {
    /// Starts decoding `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut d = Decoder {
            bytes,
            pos: 0,
            range: 0xFFFF_FFFF,
            code: 0,
        };
        for _ in 0..5 {
            d.code = (d.code << 8) | u32::from(d.next());
        }
        d
    }

    #[inline]
    fn next(&mut self) -> u8 {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// Whether exactly the stream's bytes were read (what a well-formed
    /// stream gives after its last symbol).
    pub fn consumed_exactly(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// Bytes read past the end (damage when non-zero).
    pub fn overrun(&self) -> usize {
        self.pos.saturating_sub(self.bytes.len())
    }

    /// Decodes a bit with the adaptive probability `p`.
    #[inline(always)]
    pub fn bit(&mut self, p: &mut Prob) -> bool {
        let bound = (self.range >> PROB_BITS) * u32::from(p.p);
        let b = if self.code < bound {
            self.range = bound;
            false
        } else {
            self.code -= bound;
            self.range -= bound;
            true
        };
        p.update(b);
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | u32::from(self.next());
        }
        b
    }

    /// Where the next interval of [`Encoder::interval`] lies, in units of
    /// the 2^15 total (at most `2^15 - 1`): the interval `[lo, hi)` with
    /// `lo <= target < hi` is the one coded.
    #[inline(always)]
    pub fn target(&self) -> u32 {
        (self.code / (self.range >> PROB_BITS)).min((1 << PROB_BITS) - 1)
    }

    /// Whether [`Decoder::target`] is below `c` (`c <= 2^15`), without
    /// its division.
    #[inline(always)]
    pub fn below(&self, c: u32) -> bool {
        self.code < (self.range >> PROB_BITS) * c
    }

    /// Consumes the interval `[lo, hi)` that [`Decoder::target`] fell in.
    #[inline(always)]
    pub fn consume(&mut self, lo: u32, hi: u32) {
        let r = self.range >> PROB_BITS;
        let a = r * lo;
        self.code -= a;
        self.range = if hi == 1 << PROB_BITS {
            self.range - a
        } else {
            r * (hi - lo)
        };
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | u32::from(self.next());
        }
    }

    /// Decodes `n` direct bits.
    pub fn direct(&mut self, n: u32) -> u64 {
        let mut v = 0u64;
        for _ in 0..n {
            self.range >>= 1;
            let b = if self.code >= self.range {
                self.code -= self.range;
                1
            } else {
                0
            };
            v = (v << 1) | b;
            while self.range < TOP {
                self.range <<= 8;
                self.code = (self.code << 8) | u32::from(self.next());
            }
        }
        v
    }
}

/// Longest magnitude coded, in bits.
pub const MAX_BITS: usize = 48;

/// Adaptive model of signed integers in `contexts` contexts.
pub struct IntModel {
    zero: Vec<Prob>,
    sign: Vec<Prob>,
    len: Vec<[Prob; MAX_BITS]>,
    mant: Vec<[[Prob; 4]; MAX_BITS + 1]>,
}

impl IntModel {
    /// A fresh model.
    pub fn new(contexts: usize) -> Self {
        IntModel {
            zero: vec![PROB_INIT; contexts],
            sign: vec![PROB_INIT; contexts],
            len: vec![[PROB_INIT; MAX_BITS]; contexts],
            mant: vec![[[PROB_INIT; 4]; MAX_BITS + 1]; contexts],
        }
    }

    /// Codes `v` (|v| < 2^48) in context `c`.
    #[inline]
    pub fn put(&mut self, e: &mut Encoder, c: usize, v: i64) {
        e.bit(&mut self.zero[c], v != 0);
        if v == 0 {
            return;
        }
        e.bit(&mut self.sign[c], v < 0);
        let m = v.unsigned_abs();
        let k = 64 - m.leading_zeros() as usize; // 1 ..= 48
        for i in 1..k {
            e.bit(&mut self.len[c][i], true);
        }
        if k < MAX_BITS {
            e.bit(&mut self.len[c][k], false);
        }
        let rest = k - 1;
        let mut node = 1usize;
        let adaptive = rest.min(2);
        for j in 0..adaptive {
            let b = (m >> (rest - 1 - j)) & 1 == 1;
            e.bit(&mut self.mant[c][k][node], b);
            node = node * 2 + usize::from(b);
        }
        let direct = rest - adaptive;
        e.direct(m & ((1u64 << direct) - 1), direct as u32);
    }

    /// Decodes a value in context `c`.
    #[inline]
    pub fn get(&mut self, d: &mut Decoder<'_>, c: usize) -> i64 {
        if !d.bit(&mut self.zero[c]) {
            return 0;
        }
        let neg = d.bit(&mut self.sign[c]);
        let mut k = 1usize;
        while k < MAX_BITS && d.bit(&mut self.len[c][k]) {
            k += 1;
        }
        let rest = k - 1;
        let mut m = 1u64;
        let mut node = 1usize;
        let adaptive = rest.min(2);
        for _ in 0..adaptive {
            let b = d.bit(&mut self.mant[c][k][node]);
            m = (m << 1) | u64::from(b);
            node = node * 2 + usize::from(b);
        }
        let direct = rest - adaptive;
        m = (m << direct) | d.direct(direct as u32);
        let v = m as i64;
        if neg {
            -v
        } else {
            v
        }
    }
}

/// Counters per context of [`IntCost`]: zero, sign, the unary length bits
/// and the adaptive mantissa bits (as [`IntModel`] lays them out).
const COST_SLOTS: usize = 2 + MAX_BITS + (MAX_BITS + 1) * 4;

/// The cost in bits of coding integers with [`IntModel`], without coding
/// them: counts the bits each adaptive probability would see and charges
/// their order-0 entropy (at least the cost the probability clamp allows)
/// plus a small learning cost; direct bits cost one each.
pub struct IntCost {
    counts: Vec<[u32; 2]>,
    direct: u64,
}

impl IntCost {
    /// Nothing counted, in `contexts` contexts.
    pub fn new(contexts: usize) -> Self {
        IntCost {
            counts: vec![[0; 2]; contexts * COST_SLOTS],
            direct: 0,
        }
    }

    #[inline(always)]
    fn see(&mut self, i: usize, bit: bool) {
        self.counts[i][usize::from(bit)] += 1;
    }

    /// Counts `v` (|v| < 2^48) in context `c`, as [`IntModel::put`] codes it.
    #[inline]
    pub fn put(&mut self, c: usize, v: i64) {
        let b = c * COST_SLOTS;
        self.see(b, v != 0);
        if v == 0 {
            return;
        }
        self.see(b + 1, v < 0);
        let m = v.unsigned_abs();
        let k = (64 - m.leading_zeros() as usize).min(MAX_BITS);
        for i in 1..k {
            self.see(b + 2 + i, true);
        }
        if k < MAX_BITS {
            self.see(b + 2 + k, false);
        }
        let rest = k - 1;
        let adaptive = rest.min(2);
        let mut node = 1usize;
        for j in 0..adaptive {
            let bit = (m >> (rest - 1 - j)) & 1 == 1;
            self.see(b + 2 + MAX_BITS + k * 4 + node, bit);
            node = node * 2 + usize::from(bit);
        }
        self.direct += (rest - adaptive) as u64;
    }

    /// Estimated bits of the stream, without the five bytes a finished
    /// stream adds.
    pub fn bits(&self) -> f64 {
        self.bits_scaled(1.0)
    }

    /// Estimated bits of a stream `scale` times as long with the same
    /// statistics (what a sub-block's counts say about the whole): the
    /// entropy scales, the cost of learning each probability grows only
    /// with the logarithm of what it sees.
    pub fn bits_scaled(&self, scale: f64) -> f64 {
        // The clamp at 32 / 32768 makes the surest bit cost about 0.0014.
        const FLOOR: f64 = 0.0015;
        let mut t = self.direct as f64 * scale;
        for &[a, b] in &self.counts {
            if a + b == 0 {
                continue;
            }
            let (a, b) = (f64::from(a), f64::from(b));
            let n = a + b;
            let mut h = 0.0;
            if a > 0.0 {
                h += a * (n / a).log2();
            }
            if b > 0.0 {
                h += b * (n / b).log2();
            }
            // Plus what a fresh probability spends while it learns (about
            // half a bit per doubling of what it has seen).
            t += h.max(n * FLOOR) * scale + 1.0 + 0.5 * (n * scale + 1.0).log2();
        }
        t
    }
}

/// The context bucket of a neighbourhood magnitude sum.
#[inline]
pub const fn bucket(s: u64) -> usize {
    match s {
        0 => 0,
        1 => 1,
        2 => 2,
        3..=4 => 3,
        5..=8 => 4,
        9..=16 => 5,
        _ => 6,
    }
}

/// Number of [`bucket`] values.
pub const BUCKETS: usize = 7;

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    #[test]
    fn bits_and_integers_round_trip_and_skewed_bits_cost_little() {
        let mut r = xorshift(5);
        let mut e = Encoder::new();
        let mut p = [PROB_INIT; 2];
        let bits: Vec<bool> = (0..100_000).map(|_| r().is_multiple_of(50)).collect();
        for &b in &bits {
            e.bit(&mut p[0], b);
        }
        let vals: Vec<i64> = (0..20_000)
            .map(|i| match i % 5 {
                0 => 0,
                1 => (r() % 7) as i64 - 3,
                2 => -((1i64 << 47) - 1),
                3 => (r() >> 20) as i64 * if r() & 1 == 0 { 1 } else { -1 },
                _ => (r() % 100_000) as i64,
            })
            .collect();
        let mut m = IntModel::new(3);
        for (i, &v) in vals.iter().enumerate() {
            m.put(&mut e, i % 3, v);
        }
        e.direct(0x2a, 6);
        let s = e.finish();
        let mut d = Decoder::new(&s);
        let mut q = [PROB_INIT; 2];
        for (i, &b) in bits.iter().enumerate() {
            assert_eq!(d.bit(&mut q[0]), b, "bit {i}");
        }
        let mut m = IntModel::new(3);
        for (i, &v) in vals.iter().enumerate() {
            assert_eq!(m.get(&mut d, i % 3), v, "value {i}");
        }
        assert_eq!(d.direct(6), 0x2a);
        assert!(d.consumed_exactly());
        // 100000 bits at p = 1/50: entropy 14144 bits; adaptive coding
        // stays within 8 % of it.
        let mut e = Encoder::new();
        let mut p = PROB_INIT;
        for &b in &bits {
            e.bit(&mut p, b);
        }
        let n = e.finish().len() as f64 * 8.0;
        assert!(n < 1.08 * 14_144.0, "{n} bits");
    }

    #[test]
    fn counted_cost_is_close_to_the_coded_size() {
        let mut r = xorshift(9);
        // Mostly small integers, skewed per context, and a few large ones.
        let vals: Vec<(usize, i64)> = (0..50_000)
            .map(|i| {
                let c = i % 4;
                let v = match r() % (4 + 8 * c as u64) {
                    0 => (r() % 2000) as i64 - 1000,
                    1..=3 => (r() % 9) as i64 - 4,
                    _ => 0,
                };
                (c, v)
            })
            .collect();
        let mut e = Encoder::new();
        let mut m = IntModel::new(4);
        let mut cost = IntCost::new(4);
        for &(c, v) in &vals {
            m.put(&mut e, c, v);
            cost.put(c, v);
        }
        let real = (e.finish().len() - 5) as f64 * 8.0;
        let est = cost.bits();
        assert!((est / real - 1.0).abs() < 0.03, "{est} vs {real}");
    }

    #[test]
    fn empty_and_damaged_streams_do_not_panic() {
        let s = Encoder::new().finish();
        assert_eq!(s.len(), 5);
        let mut d = Decoder::new(&[]);
        let mut m = IntModel::new(1);
        for _ in 0..1000 {
            let _ = m.get(&mut d, 0);
        }
        assert!(d.overrun() > 0);
        let mut d = Decoder::new(&[0xff; 64]);
        for _ in 0..1000 {
            let _ = m.get(&mut d, 0);
        }
    }
}
