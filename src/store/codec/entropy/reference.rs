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
    // The layout choice is shared (the oracle is for the coding passes).
    let super::Layout {
        present_small,
        large,
        max_u,
        entropy_bits,
        l,
        s,
        ..
    } = super::layout::choose(count, &value);
    let zz = || (0..count).map(|i| zigzag(value(i)));
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
