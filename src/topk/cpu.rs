//! The CPU twin of the GPU top-k: the same keys and the same tie rule, by a
//! two-pass radix select (16 + 16 bits) and a chunked, parallel compaction.
//! The keys are computed once, in the first pass (vectorised, together with
//! the check for non-finite input), and the later passes read them.

use rayon::prelude::*;

use super::{check_k, Element, TopK, TopKThreshold};
use crate::error::{Error, Result};

/// Elements per chunk of the parallel passes.
const CHUNK: usize = 1 << 16;
/// Keys computed at a time before they are counted (they stay in L1).
const KEY_BLOCK: usize = 2048;
/// Bins of one 16-bit digit.
const BINS: usize = 1 << 16;

/// A 16-bit digit histogram, plus the first non-finite index seen.
struct Histogram {
    counts: Vec<u32>,
    first_bad: Option<usize>,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            counts: vec![0; BINS],
            first_bad: None,
        }
    }

    fn merge(mut self, other: Histogram) -> Histogram {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.first_bad = match (self.first_bad, other.first_bad) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self
    }
}

/// Walks `counts` from the top bin down and returns `(digit, above)`: the
/// bin holding the `need`-th largest entry and how many entries lie in
/// higher bins.
fn find_digit(counts: &[u32], need: u64) -> (u32, u64) {
    let mut above = 0u64;
    for digit in (0..counts.len()).rev() {
        let c = u64::from(counts[digit]);
        if above + c >= need {
            return (digit as u32, above);
        }
        above += c;
    }
    unreachable!("histogram holds fewer than k entries")
}

/// The magnitude keys of `data` and the histogram of their high 16 bits;
/// the first non-finite index is an error.
fn keys_and_high_histogram<T: Element>(data: &[T]) -> Result<(Vec<u32>, Histogram)> {
    let mut keys: Vec<u32> = crate::fft::buffer::output_buffer(data.len());
    let high = data
        .par_chunks(CHUNK)
        .zip(keys.par_chunks_mut(CHUNK))
        .enumerate()
        .fold(Histogram::new, |mut h, (c, (chunk, chunk_keys))| {
            for (b, (values, keys)) in chunk
                .chunks(KEY_BLOCK)
                .zip(chunk_keys.chunks_mut(KEY_BLOCK))
                .enumerate()
            {
                if T::keys_into(values, keys) && h.first_bad.is_none() {
                    let i = values.iter().position(|x| x.is_bad()).unwrap_or(0);
                    h.first_bad = Some(c * CHUNK + b * KEY_BLOCK + i);
                }
                for &key in keys.iter() {
                    h.counts[(key >> 16) as usize] += 1;
                }
            }
            h
        })
        .reduce(Histogram::new, Histogram::merge);
    match high.first_bad {
        Some(index) => Err(non_finite(index)),
        None => Ok((keys, high)),
    }
}

/// The threshold of the `k` largest of `keys`, given the histogram of their
/// high 16 bits: the k-th largest key `T`, the number of keys above it, and
/// how many keys equal to `T` are kept.
fn threshold(keys: &[u32], high: &Histogram, k: usize) -> TopKThreshold {
    let (hi, above_hi) = find_digit(&high.counts, k as u64);
    let low = keys
        .par_chunks(CHUNK)
        .fold(Histogram::new, |mut h, chunk| {
            for &key in chunk {
                if key >> 16 == hi {
                    h.counts[(key & 0xffff) as usize] += 1;
                }
            }
            h
        })
        .reduce(Histogram::new, Histogram::merge);
    let (lo, above_lo) = find_digit(&low.counts, k as u64 - above_hi);
    let above = above_hi + above_lo;
    TopKThreshold {
        key: (hi << 16) | lo,
        above: above as u32,
        need_ties: (k as u64 - above) as u32,
    }
}

/// The error for a NaN or infinity at `index`.
pub(super) fn non_finite(index: usize) -> Error {
    Error::invalid(
        "data",
        format!("element {index} is not finite (NaN or infinity); top-k needs finite input"),
    )
}

/// Top-k on the CPU (see [`crate::topk`] for the semantics).
pub(super) fn top_k<T: Element>(data: &[T], k: usize) -> Result<TopK<T>> {
    check_k(data.len(), k)?;
    let (keys, high) = keys_and_high_histogram(data)?;
    let threshold = threshold(&keys, &high, k);
    let (positions, values) = compact::<T, u32, true>(data, &keys, k, threshold);
    Ok(TopK {
        positions,
        values,
        threshold,
    })
}

/// The kept positions of [`top_k`] alone, as `u64`.
pub(super) fn top_k_positions<T: Element>(data: &[T], k: usize) -> Result<Vec<u64>> {
    let (keys, high) = keys_and_high_histogram(data)?;
    let threshold = threshold(&keys, &high, k);
    Ok(compact::<T, u64, false>(data, &keys, k, threshold).0)
}

/// Writes the kept entries of `data` (whose keys are `keys`) in ascending
/// position order, their values too when `VALUES` (else the second vector
/// is empty): every key above `t.key`, and the first `t.need_ties` keys
/// equal to it.
fn compact<T: Element, P: Copy + Default + Send + From<u32>, const VALUES: bool>(
    data: &[T],
    keys: &[u32],
    k: usize,
    t: TopKThreshold,
) -> (Vec<P>, Vec<T>) {
    let counts: Vec<(u32, u32)> = keys
        .par_chunks(CHUNK)
        .map(|chunk| {
            chunk.iter().fold((0u32, 0u32), |(a, e), &key| {
                (a + u32::from(key > t.key), e + u32::from(key == t.key))
            })
        })
        .collect();
    // Per chunk: number kept and how many of its ties are still in budget.
    let mut ties_before = 0u32;
    let plan: Vec<(usize, u32)> = counts
        .iter()
        .map(|&(above, ties)| {
            let allowance = t.need_ties - ties_before.min(t.need_ties);
            ties_before += ties;
            ((above + ties.min(allowance)) as usize, allowance)
        })
        .collect();

    let mut positions = vec![P::default(); k];
    let mut values = vec![T::default(); if VALUES { k } else { 0 }];
    let mut outputs = Vec::with_capacity(plan.len());
    let (mut pos_rest, mut val_rest) = (positions.as_mut_slice(), values.as_mut_slice());
    for &(kept, allowance) in &plan {
        let (p, pr) = pos_rest.split_at_mut(kept);
        let (v, vr) = val_rest.split_at_mut(if VALUES { kept } else { 0 });
        outputs.push((p, v, allowance));
        pos_rest = pr;
        val_rest = vr;
    }
    debug_assert!(pos_rest.is_empty());
    data.par_chunks(CHUNK)
        .zip(keys.par_chunks(CHUNK))
        .zip(outputs)
        .enumerate()
        .for_each(|(c, ((chunk, chunk_keys), (pos, val, allowance)))| {
            let base = (c * CHUNK) as u32;
            let mut ties = 0u32;
            let mut slot = 0usize;
            // Branch-free: every entry is written to the next free slot,
            // which only a kept entry takes; past the last one, nothing is
            // written.
            for (i, (x, &key)) in chunk.iter().zip(chunk_keys).enumerate() {
                let tie = key == t.key;
                ties += u32::from(tie);
                let keep = (key > t.key) | (tie & (ties <= allowance));
                if let Some(p) = pos.get_mut(slot) {
                    *p = P::from(base + i as u32);
                }
                if let (true, Some(v)) = (VALUES, val.get_mut(slot)) {
                    *v = *x;
                }
                slot += usize::from(keep);
            }
        });
    (positions, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::num_complex::Complex32;

    #[test]
    fn positions_alone_are_the_positions_of_the_full_result() {
        // Few distinct magnitudes, so ties straddle chunk boundaries.
        let n = 3 * CHUNK + 123;
        let data: Vec<Complex32> = (0..n)
            .map(|i| {
                let m = ((i * 7919) % 13) as f32 - 6.0;
                Complex32::new(m, if i % 3 == 0 { -m } else { m })
            })
            .collect();
        for k in [0, 1, CHUNK - 1, n / 2, n - 1, n] {
            let full = top_k(&data, k).unwrap();
            let alone = top_k_positions(&data, k).unwrap();
            let expected: Vec<u64> = full.positions.iter().map(|&p| u64::from(p)).collect();
            assert_eq!(alone, expected, "k {k}");
            assert_eq!(full.values.len(), k);
        }
    }
}
