//! The CPU twin of the GPU top-k: the same keys and the same tie rule, by a
//! two-pass radix select (16 + 16 bits) and a chunked, parallel compaction.

use rayon::prelude::*;

use super::{check_k, Element, TopK, TopKThreshold};
use crate::error::{Error, Result};

/// Elements per chunk of the parallel passes.
const CHUNK: usize = 1 << 16;
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

/// The threshold of the `k` largest keys of `data`: the k-th largest key
/// `T`, the number of keys above it, and how many keys equal to `T` are
/// kept. Checks for non-finite input on the way.
pub(super) fn threshold<T: Element>(data: &[T], k: usize) -> Result<TopKThreshold> {
    let high = data
        .par_chunks(CHUNK)
        .enumerate()
        .fold(Histogram::new, |mut h, (c, chunk)| {
            for (i, x) in chunk.iter().enumerate() {
                if h.first_bad.is_none() && x.is_bad() {
                    h.first_bad = Some(c * CHUNK + i);
                }
                h.counts[(x.key() >> 16) as usize] += 1;
            }
            h
        })
        .reduce(Histogram::new, Histogram::merge);
    if let Some(index) = high.first_bad {
        return Err(non_finite(index));
    }
    let (hi, above_hi) = find_digit(&high.counts, k as u64);
    let low = data
        .par_chunks(CHUNK)
        .fold(Histogram::new, |mut h, chunk| {
            for x in chunk {
                let key = x.key();
                if key >> 16 == hi {
                    h.counts[(key & 0xffff) as usize] += 1;
                }
            }
            h
        })
        .reduce(Histogram::new, Histogram::merge);
    let (lo, above_lo) = find_digit(&low.counts, k as u64 - above_hi);
    let above = above_hi + above_lo;
    Ok(TopKThreshold {
        key: (hi << 16) | lo,
        above: above as u32,
        need_ties: (k as u64 - above) as u32,
    })
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
    let threshold = threshold(data, k)?;
    let (positions, values) = compact(data, k, threshold);
    Ok(TopK {
        positions,
        values,
        threshold,
    })
}

/// Writes the kept entries of `data` in ascending position order: every key
/// above `t.key`, and the first `t.need_ties` keys equal to it.
fn compact<T: Element>(data: &[T], k: usize, t: TopKThreshold) -> (Vec<u32>, Vec<T>) {
    let counts: Vec<(u32, u32)> = data
        .par_chunks(CHUNK)
        .map(|chunk| {
            chunk.iter().fold((0u32, 0u32), |(a, e), x| {
                let key = x.key();
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

    let mut positions = vec![0u32; k];
    let mut values = vec![T::default(); k];
    let mut outputs = Vec::with_capacity(plan.len());
    let (mut pos_rest, mut val_rest) = (positions.as_mut_slice(), values.as_mut_slice());
    for &(kept, allowance) in &plan {
        let (p, pr) = pos_rest.split_at_mut(kept);
        let (v, vr) = val_rest.split_at_mut(kept);
        outputs.push((p, v, allowance));
        pos_rest = pr;
        val_rest = vr;
    }
    debug_assert!(pos_rest.is_empty());
    data.par_chunks(CHUNK).zip(outputs).enumerate().for_each(
        |(c, (chunk, (pos, val, allowance)))| {
            let base = (c * CHUNK) as u32;
            let mut ties = 0u32;
            let mut slot = 0usize;
            for (i, x) in chunk.iter().enumerate() {
                let key = x.key();
                let keep = if key > t.key {
                    true
                } else if key == t.key {
                    ties += 1;
                    ties <= allowance
                } else {
                    false
                };
                if keep {
                    pos[slot] = base + i as u32;
                    val[slot] = *x;
                    slot += 1;
                }
            }
        },
    );
    (positions, values)
}
