//! The histogram of a stream's integers and the choice of its layout
//! (literal count `L` and scale `s`) by estimated size, shared by the
//! encoder and by [`size_by`] (the estimate alone, with no coding).

use super::{ideal_bits, split, varint_len, zigzag, MAX_EXTRA_BITS, MAX_LITERALS, MAX_SCALE};

/// What [`choose`] found: the values present, and the layout with the
/// smallest estimated size.
pub(super) struct Layout {
    /// Zigzag values below 2^16 present, with their counts, ascending.
    pub(super) present_small: Vec<(u64, u64)>,
    /// Zigzag values of 2^16 or more, in value order of appearance.
    pub(super) large: Vec<u64>,
    /// The largest zigzag value.
    pub(super) max_u: u64,
    /// Order-0 entropy of the integers themselves, in bits.
    pub(super) entropy_bits: f64,
    /// Literal count.
    pub(super) l: u64,
    /// Scale bits.
    pub(super) s: u32,
    /// Estimated bits of the frequency table, the rANS symbols and the raw
    /// bits at `l` and `s` (without the few fixed header bytes).
    pub(super) est_bits: f64,
}

/// The histogram of `value(0), ..., value(count - 1)` (one pass) and the
/// layout that codes them smallest by estimate.
pub(super) fn choose(count: usize, value: &impl Fn(usize) -> i64) -> Layout {
    let n = count as u64;
    // Zigzag forms are computed as they are needed, not stored: the
    // values are the largest thing here.
    let zz = || (0..count).map(|i| zigzag(value(i)));

    // Histogram of small u, the large ones kept aside, and the largest,
    // in one pass.
    const CAP: usize = 1 << 16;
    let mut hist = vec![0u64; CAP + 1];
    let mut large = Vec::new();
    let mut max_u = 0u64;
    for u in zz() {
        max_u = max_u.max(u);
        if (u as usize) < CAP {
            hist[u as usize] += 1;
        } else {
            hist[CAP] += 1;
            large.push(u);
        }
    }
    // Only the bins up to the largest value can be occupied.
    let top = (max_u as usize).saturating_add(1).min(CAP);
    // Entropy of the integers themselves.
    let mut distinct: Vec<u64> = hist[..top].iter().copied().filter(|&c| c > 0).collect();
    if !large.is_empty() {
        let mut big = large.clone();
        big.sort_unstable();
        let mut i = 0;
        while i < big.len() {
            let j = big[i..].iter().take_while(|&&x| x == big[i]).count();
            distinct.push(j as u64);
            i += j;
        }
    }
    let entropy_bits = ideal_bits(&distinct, n.max(1));

    // Choose the literal count L and the scale s by estimated size.
    let mut candidates: Vec<u64> = vec![0];
    let mut l = 1u64;
    while l <= MAX_LITERALS {
        candidates.push(l);
        if l > max_u {
            break;
        }
        l *= 2;
    }
    // Only the values present matter: the candidates below walk this list
    // rather than the whole histogram.
    let present_small: Vec<(u64, u64)> = hist[..top]
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c > 0)
        .map(|(u, &c)| (u as u64, c))
        .collect();
    let nn = n.max(1);
    // Per literal (in order of value): its share of the entropy, summed
    // as a prefix, and the smallest scales at which its frequency takes 2
    // and 3 varint bytes (17: never).
    let mut prefix_bits = Vec::with_capacity(present_small.len() + 1);
    prefix_bits.push(0.0f64);
    for &(_, c) in &present_small {
        let last = prefix_bits[prefix_bits.len() - 1];
        prefix_bits.push(last + c as f64 * (nn as f64 / c as f64).log2());
    }
    let wide = |c: u64, bound: u64| {
        (0..=MAX_SCALE)
            .find(|&s| c << s >= bound * nn)
            .unwrap_or(17)
    };
    // Literals below the candidate L so far: how many reach 2 and 3 bytes
    // first at each scale, and their sums by the first scale at which
    // they are not rare.
    let (mut two, mut three) = ([0usize; 18], [0usize; 18]);
    let mut rare = [Sums::default(); 18];
    let mut k = 0usize;
    let mut best: Option<(f64, u64, u32)> = None;
    for &l in &candidates {
        while k < present_small.len() && present_small[k].0 < l {
            let c = present_small[k].1;
            two[wide(c, 128) as usize] += 1;
            three[wide(c, 16384) as usize] += 1;
            rare[wide(c, 1) as usize].add(c, nn);
            k += 1;
        }
        let mut esc = [0u64; MAX_EXTRA_BITS as usize + 1];
        let mut extra = 0u64;
        for &(u, c) in &present_small[k..] {
            let (_, e, _) = split(u, l);
            esc[e as usize] += c;
            extra += c * u64::from(e);
        }
        for &u in &large {
            let (_, e, _) = split(u, l);
            esc[e as usize] += 1;
            extra += u64::from(e);
        }
        let top_literal = if k > 0 { present_small[k - 1].0 + 1 } else { 0 };
        let used = match esc.iter().rposition(|&c| c > 0) {
            Some(e) => l + e as u64 + 1,
            None => top_literal,
        }
        .max(2) as usize;
        let escapes: Vec<u64> = esc.iter().copied().filter(|&c| c > 0).collect();
        let nonzero = k + escapes.len();
        let present = (nonzero as u64).max(2);
        let absent = used - nonzero;
        let bits = prefix_bits[k] + ideal_bits(&escapes, nn);
        let min_s = (64 - (present - 1).leading_zeros()).max(1);
        let (mut wide2, mut wide3) = (0usize, 0usize);
        for s in 0..min_s {
            wide2 += two[s as usize];
            wide3 += three[s as usize];
        }
        for s in min_s..=MAX_SCALE {
            let total = 1u64 << s;
            wide2 += two[s as usize];
            wide3 += three[s as usize];
            // Absent symbols inside the alphabet cost one byte each.
            let table: usize = absent
                + k
                + wide2
                + wide3
                + escapes
                    .iter()
                    .map(|&c| varint_len(c * total / nn))
                    .sum::<usize>();
            let Some(rounding) = rounding_bits(&rare, &escapes, s, nn) else {
                continue;
            };
            let est = bits + rounding + extra as f64 + 8.0 * table as f64;
            if best.is_none_or(|b| est < b.0) {
                best = Some((est, l, s));
            }
        }
    }
    let (est_bits, l, s) = best.expect("at least one candidate");
    Layout {
        present_small,
        large,
        max_u,
        entropy_bits,
        l,
        s,
        est_bits,
    }
}

/// Sums over a set of symbols with counts `c` (of `n` values).
#[derive(Clone, Copy, Default)]
struct Sums {
    symbols: u64,
    count: u64,
    /// `c log2(c / n)` summed.
    c_log_p: f64,
    /// `1 / c` summed.
    inverse: f64,
}

impl Sums {
    fn add(&mut self, c: u64, n: u64) {
        self.symbols += 1;
        self.count += c;
        self.c_log_p += c as f64 * (c as f64 / n as f64).log2();
        self.inverse += 1.0 / c as f64;
    }

    fn merge(&mut self, o: &Sums) {
        self.symbols += o.symbols;
        self.count += o.count;
        self.c_log_p += o.c_log_p;
        self.inverse += o.inverse;
    }
}

/// Bits above the entropy of coding with frequencies summing to `2^s`
/// (`None` when the rare symbols leave nothing for the others): a *rare*
/// symbol (`c 2^s < n`) gets frequency 1, saving `-(s + log2(c / n))`
/// bits per occurrence, which the others pay for by sharing a smaller
/// total; the others' rounding to whole frequencies costs about
/// `(n / 2^s)^2 / (24 ln 2)` bits per symbol over its count. `rare[b]`
/// holds the literals first not rare at scale `b`; `escapes` the counts
/// of the escape symbols.
fn rounding_bits(rare: &[Sums; 18], escapes: &[u64], s: u32, n: u64) -> Option<f64> {
    let (mut r, mut common) = (Sums::default(), Sums::default());
    for (b, sums) in rare.iter().enumerate() {
        if b > s as usize {
            r.merge(sums);
        } else {
            common.merge(sums);
        }
    }
    for &c in escapes {
        if c << s < n {
            r.add(c, n);
        } else {
            common.add(c, n);
        }
    }
    if r.symbols + common.symbols < 2 {
        // The alphabet's second symbol, absent, still takes a frequency of
        // 1: no frequency may reach 2^s.
        r.symbols += 1;
    }
    let total = (1u64 << s) as f64;
    let nf = n as f64;
    let left = 1.0 - r.symbols as f64 / total;
    if r.symbols as f64 > total || (common.count > 0 && left <= 0.0) {
        return None;
    }
    let saved = r.c_log_p + r.count as f64 * f64::from(s);
    let share = left / (1.0 - r.count as f64 / nf);
    let paid = if common.count > 0 {
        -(common.count as f64) * share.log2()
    } else {
        0.0
    };
    let whole = (nf / total).powi(2) * common.inverse / (24.0 * std::f64::consts::LN_2);
    Some(saved + paid + whole)
}

/// Estimated bytes of the stream [`super::encode_by`] writes for
/// `value(0), ..., value(n - 1)`: the size its layout choice estimates,
/// plus the fixed header fields, with no coding (one pass over the
/// values). Within about a per cent of the real size on large streams.
///
/// # Panics
/// As [`super::encode`].
pub fn size_by(n: usize, value: impl Fn(usize) -> i64) -> u64 {
    let c = choose(n, &value);
    assert!(
        split(c.max_u, c.l).1 <= MAX_EXTRA_BITS,
        "quantised value too large"
    );
    // `L`, `s`, the alphabet size (one byte for alphabets below 128), the
    // rANS byte count and the states.
    let states = if n >= super::TWO_STATES_FROM { 8 } else { 4 };
    let coded = (c.est_bits / 8.0).ceil() as u64;
    let fixed = varint_len(c.l) + 1 + 1 + varint_len(coded) + states;
    coded + fixed as u64
}
