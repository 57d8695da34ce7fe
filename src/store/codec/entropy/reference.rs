//! The stream encoder as it was before the fused single backward pass:
//! the oracle the tests hold the new one to, byte for byte.

use super::*;

pub(super) fn normalize_reference(counts: &[u64], n: u64, s: u32) -> Vec<u32> {
    let total = 1u64 << s;
    let mut f = super::normalize::floors(counts, n, total);
    let mut sum: u64 = f.iter().sum();
    // Cost change of f -> f+1 for symbol with count c: c*log2((f+1)/f) saved.
    while sum < total {
        let (mut best, mut gain) = (usize::MAX, -1.0f64);
        for (i, (&c, &fi)) in counts.iter().zip(&f).enumerate() {
            if fi > 0 && fi + 1 < total {
                let g = c as f64 * ((fi + 1) as f64 / fi as f64).log2();
                if g > gain {
                    (best, gain) = (i, g);
                }
            }
        }
        // Raise the best symbol as far as is still worthwhile in one go.
        let room = total - sum;
        let step = (room / 64).max(1);
        f[best] += step.min(total - 1 - f[best]);
        sum = f.iter().sum();
    }
    while sum > total {
        let (mut best, mut loss) = (usize::MAX, f64::INFINITY);
        for (i, (&c, &fi)) in counts.iter().zip(&f).enumerate() {
            if fi > 1 {
                let l = c as f64 * (fi as f64 / (fi - 1) as f64).log2();
                if l < loss {
                    (best, loss) = (i, l);
                }
            }
        }
        let over = sum - total;
        let step = (over / 64).max(1).min(f[best] - 1);
        f[best] -= step;
        sum -= step;
    }
    f.into_iter().map(|x| x as u32).collect()
}

pub(super) fn encode_layout_reference(
    n: usize,
    value: impl Fn(usize) -> i64,
    out: &mut Vec<u8>,
    two_states: bool,
) -> StreamStats {
    let count = n;
    let n = count as u64;
    let start = out.len();
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
    // Entropy of the integers themselves.
    let mut distinct: Vec<u64> = hist[..CAP].iter().copied().filter(|&c| c > 0).collect();
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
    let present_small: Vec<(u64, u64)> = hist[..CAP]
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
    // first at each scale.
    let (mut two, mut three) = ([0usize; 18], [0usize; 18]);
    let mut k = 0usize;
    let mut best: Option<(f64, u64, u32)> = None;
    for &l in &candidates {
        while k < present_small.len() && present_small[k].0 < l {
            let c = present_small[k].1;
            two[wide(c, 128) as usize] += 1;
            three[wide(c, 16384) as usize] += 1;
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
            // Rounding frequencies to 2^s costs roughly present/(2^s) bits per
            // symbol on top of the entropy; estimate it as the loss of
            // flooring small counts to 1.
            let rounding = present as f64 * present as f64 / total as f64 * 0.5;
            let est = bits + rounding + extra as f64 + 8.0 * table as f64;
            if best.is_none_or(|b| est < b.0) {
                best = Some((est, l, s));
            }
        }
    }
    let (_, l, s) = best.expect("at least one candidate");
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
    let freq = normalize_reference(&counts, n.max(1), s);
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
    let sym_of = |i: usize| {
        let u = zigzag(value(i));
        if u < l {
            u as usize
        } else {
            split(u, l).0
        }
    };
    let mut i = count;
    if two_states {
        if i % 2 == 1 {
            i -= 1;
            x0 = put(x0, &table[sym_of(i)], s, &mut stage, &mut at);
        }
        while i >= 2 {
            x1 = put(x1, &table[sym_of(i - 1)], s, &mut stage, &mut at);
            x0 = put(x0, &table[sym_of(i - 2)], s, &mut stage, &mut at);
            i -= 2;
            if at >= STAGE {
                rev.extend_from_slice(&stage[..at]);
                at = 0;
            }
        }
    } else {
        while i >= 1 {
            i -= 1;
            x0 = put(x0, &table[sym_of(i)], s, &mut stage, &mut at);
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

    // Raw bits.
    let mut acc = 0u64;
    let mut nbits = 0u32;
    let mut extra_bits = 0u64;
    // Raw bits follow escapes only: none when every value is a literal.
    let escapes = zz().filter(|&u| u >= l);
    if max_u >= l {
        for u in escapes {
            let (_, e, raw) = split(u, l);
            assert!(e <= MAX_EXTRA_BITS, "quantised value too large");
            if e == 0 {
                continue;
            }
            extra_bits += u64::from(e);
            acc |= raw << nbits;
            nbits += e;
            while nbits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                nbits -= 8;
            }
            // raw < 2^48 and nbits < 8 before the shift: no bits are lost.
        }
    }
    if nbits > 0 {
        out.push(acc as u8);
    }
    StreamStats {
        count: n,
        entropy_bits,
        table_bits: 8 * header_len as u64,
        rans_bits: 8 * rev.len() as u64,
        extra_bits,
    }
}
