//! The encoder's choice: validation, the Rice parameter and the exact length.

use super::*;

/// What the encoder will write.
pub(super) struct Plan {
    pub(super) layout: PositionsLayout,
    pub(super) len: usize,
}
/// Validates `positions` and decides the layout and the exact length.
pub(super) fn plan(positions: &[u64], universe: u64) -> Result<Plan, PositionsError> {
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
pub(super) fn estimate_k(sum: u64, n: u64) -> u8 {
    let mean = sum / n.max(1);
    if mean == 0 {
        0
    } else {
        // At most 63, so the cast is lossless.
        (mean.ilog2() as u8).min(MAX_RICE_K)
    }
}

/// Sum of `gap >> k` over the gaps of a validated list.
pub(super) fn shifted_gap_sum(positions: &[u64], k: u8) -> u64 {
    let mut sum = 0u64;
    let mut next_min = 0u64;
    for &p in positions {
        sum += (p - next_min) >> k;
        next_min = p + 1;
    }
    sum
}
