//! Frequencies of the rANS model from the symbol counts.

/// A gain or loss in bits, ordered by [`f64::total_cmp`] (they are finite).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bits(f64);

impl Eq for Bits {}

impl PartialOrd for Bits {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bits {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Scales `counts` (total `n`) to frequencies summing to `2^s`, every
/// present symbol at least 1 and none reaching `2^s`, by greedy steps
/// that cost the fewest bits: each step raises (or lowers) the symbol
/// whose change gains (loses) the most (least) bits, the lowest index
/// among equals. Only that symbol's gain changes, so the candidates wait
/// in a heap instead of being scanned again at every step.
pub(super) fn normalize(counts: &[u64], n: u64, s: u32) -> Vec<u32> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let total = 1u64 << s;
    let mut f = floors(counts, n, total);
    let mut sum: u64 = f.iter().sum();
    // Cost change of f -> f+1 for symbol with count c: c*log2((f+1)/f) saved.
    let gain = |c: u64, fi: u64| Bits(c as f64 * ((fi + 1) as f64 / fi as f64).log2());
    if sum < total {
        let mut heap: BinaryHeap<(Bits, Reverse<usize>)> = counts
            .iter()
            .zip(&f)
            .enumerate()
            .filter(|&(_, (_, &fi))| fi > 0 && fi + 1 < total)
            .map(|(i, (&c, &fi))| (gain(c, fi), Reverse(i)))
            .collect();
        while sum < total {
            let (_, Reverse(best)) = heap.pop().expect("a symbol below 2^s - 1");
            // Raise the best symbol as far as is still worthwhile in one go.
            let room = total - sum;
            let step = (room / 64).max(1).min(total - 1 - f[best]);
            f[best] += step;
            sum += step;
            if f[best] + 1 < total {
                heap.push((gain(counts[best], f[best]), Reverse(best)));
            }
        }
    }
    if sum > total {
        let loss = |c: u64, fi: u64| Bits(c as f64 * (fi as f64 / (fi - 1) as f64).log2());
        let mut heap: BinaryHeap<Reverse<(Bits, usize)>> = counts
            .iter()
            .zip(&f)
            .enumerate()
            .filter(|&(_, (_, &fi))| fi > 1)
            .map(|(i, (&c, &fi))| Reverse((loss(c, fi), i)))
            .collect();
        while sum > total {
            let Reverse((_, best)) = heap.pop().expect("a symbol above 1");
            let over = sum - total;
            let step = (over / 64).max(1).min(f[best] - 1);
            f[best] -= step;
            sum -= step;
            if f[best] > 1 {
                heap.push(Reverse((loss(counts[best], f[best]), best)));
            }
        }
    }
    f.into_iter().map(|x| x as u32).collect()
}

/// The starting frequencies of [`normalize`]: each count scaled to
/// `total` and floored, at least 1 where present, and at least two
/// symbols with a frequency (so none reaches `total`).
pub(super) fn floors(counts: &[u64], n: u64, total: u64) -> Vec<u64> {
    let mut f: Vec<u64> = counts
        .iter()
        .map(|&c| {
            if c == 0 {
                0
            } else {
                ((c as u128 * total as u128 / n as u128) as u64).max(1)
            }
        })
        .collect();
    // At least two symbols with a frequency, so none reaches 2^s.
    while f.iter().filter(|&&x| x > 0).count() < 2 {
        let zero = f
            .iter()
            .position(|&x| x == 0)
            .expect("alphabet has 2 entries");
        f[zero] = 1;
    }
    f
}
