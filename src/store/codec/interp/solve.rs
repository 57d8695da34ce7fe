//! Quantisation passes of [`super`] and the search for the base step that
//! meets a squared-error budget (a few passes that follow the measured
//! growth of the error with the step; no coding).

use super::slabs::Slabs;
use super::walk::{step_table, walk};
use super::{round_small, Config, Sample};
use crate::store::codec::quant::MAX_Q;

/// Quantises `data` in coding order with base step `d` and settings `c`,
/// leaving the reconstruction in `y` (as `T` stores it) and, with `KEEP`, each element's
/// integer at its position in `q`. Returns the sum of squared differences
/// (after rounding as `T`); `None` when a residual is out of range. Slab
/// by slab (cut as `slabs`) in parallel, the slabs' sums added in slab
/// order.
#[allow(clippy::too_many_arguments)]
pub(super) fn quantise_all<T: Sample, const KEEP: bool>(
    data: &[T],
    shape: &[usize],
    c: Config,
    d: f64,
    y: &mut [T::Store],
    q: &mut [i64],
    slabs: Slabs,
) -> Option<f64> {
    if slabs.count() == 1 {
        return quantise_slab::<T, KEEP>(data, shape, c, d, y, q);
    }
    let q_parts = if KEEP {
        slabs.parts_mut(q)
    } else {
        (0..slabs.count()).map(|_| &mut [][..]).collect()
    };
    let items: Vec<_> = (slabs.parts(data).into_iter())
        .zip(slabs.parts_mut(y))
        .zip(q_parts)
        .collect();
    let sums = slabs.map(shape, items, |_, shape, ((data, y), q)| {
        quantise_slab::<T, KEEP>(data, shape, c, d, y, q)
    });
    sums.into_iter().try_fold(0.0, |a, s| Some(a + s?))
}

/// [`quantise_all`] of one slab.
fn quantise_slab<T: Sample, const KEEP: bool>(
    data: &[T],
    shape: &[usize],
    c: Config,
    d: f64,
    y: &mut [T::Store],
    q: &mut [i64],
) -> Option<f64> {
    let mut sum = 0.0f64;
    let steps = step_table(shape, d, c);
    let ok = walk::<true, T::Store>(
        shape,
        c,
        y,
        #[inline(always)]
        |p, pred, l, _| {
            let (st, inv) = steps[l as usize];
            let x = data[p].to_f64();
            let u = (x - pred) * inv;
            // Out of range, or not a number.
            let in_range = u.abs() <= MAX_Q;
            if !in_range {
                return f64::NAN;
            }
            let k = round_small(u);
            if KEEP {
                q[p] = k as i64;
            }
            let v = pred + k * st;
            let e = x - T::round(v);
            sum += e * e;
            v
        },
    );
    ok.then_some(sum)
}

/// How closely [`solve`] aims: it stops at a squared-error sum of at
/// least `low` times the budget, when the steps that meet and miss it are
/// within `ratio` of each other, or after `tries` trial quantisations;
/// from trial `late` on, a sum of at least `late_low` times the budget
/// also stops it (the sum jumps by a few per cent with small changes of
/// the step, so the narrow window is often missed), and from the fifth
/// trial on, steps that meet and miss it within 2 % of each other.
#[derive(Clone, Copy)]
pub(super) struct Aim {
    pub(super) low: f64,
    pub(super) ratio: f64,
    pub(super) tries: usize,
    pub(super) late: usize,
    pub(super) late_low: f64,
}

/// On the sub-block, where settings are only compared.
pub(super) const AIM_SAMPLE: Aim = Aim {
    low: 0.95,
    ratio: 1.02,
    tries: 5,
    late: 5,
    late_low: 0.95,
};
/// On the whole tensor (started from the sub-block's step and growth
/// exponent).
pub(super) const AIM_FULL: Aim = Aim {
    low: 0.985,
    ratio: 1.004,
    tries: 9,
    late: 2,
    late_low: 0.97,
};

/// The largest base step (to `aim`) whose squared-error sum is at most
/// `target_sum`, starting from `start` or else the uniform-quantiser
/// estimate, with (`KEEP`) the integers it quantises to (else an empty
/// vector). `y` is the working reconstruction (as long as `data`). `power`
/// is the growth exponent of the error sum with the step to assume at
/// first; it is left at the last one measured. Quantises slab by slab,
/// cut as `slabs`.
#[allow(clippy::too_many_arguments)]
pub(super) fn solve<T: Sample, const KEEP: bool>(
    data: &[T],
    shape: &[usize],
    c: Config,
    target_sum: f64,
    start: Option<f64>,
    aim: Aim,
    power: &mut f64,
    y: &mut [T::Store],
    slabs: Slabs,
) -> Option<(f64, Vec<i64>)> {
    let n = data.len().max(1) as f64;
    let keep = if KEEP { data.len() } else { 0 };
    let (mut q_try, mut q_lo) = (vec![0i64; keep], vec![0i64; keep]);
    let mut d = start.unwrap_or_else(|| (12.0 * target_sum / n).sqrt());
    if !(d.is_finite() && d > 0.0) {
        return None;
    }
    // (step, squared-error sum) of the largest step that meets the budget
    // and of the smallest that does not.
    type Tried = Option<(f64, f64)>;
    let (mut lo, mut hi): (Tried, Tried) = (None, None);
    let aim_ratio = aim.ratio;
    let mut prev: Option<(f64, f64)> = None;
    for trial in 1..=aim.tries {
        let e = quantise_all::<T, KEEP>(data, shape, c, d, y, &mut q_try, slabs)
            .unwrap_or(f64::INFINITY);
        // The growth exponent of the error sum with the step, from the
        // last two trials (about 1.7 on smooth fields).
        if let Some((d0, e0)) = prev.filter(|&(d0, e0)| e0 > 0.0 && d0 != d) {
            if e > 0.0 && e.is_finite() {
                *power = ((e / e0).ln() / (d / d0).ln()).clamp(1.0, 3.0);
            }
        }
        prev = Some((d, e));
        if e <= target_sum {
            if lo.is_none_or(|(l, _)| d > l) {
                lo = Some((d, e));
                std::mem::swap(&mut q_try, &mut q_lo);
            }
            if e >= aim.low * target_sum || (trial >= aim.late && e >= aim.late_low * target_sum) {
                break;
            }
        } else if hi.is_none_or(|(h, _)| d < h) {
            hi = Some((d, e));
        }
        let aim = 0.5 * (1.0 + aim.low) * target_sum;
        d = match (lo, hi) {
            (Some((l, el)), Some((h, eh))) => {
                // A jumpy error sum (edges) is not chased past a bracket of
                // 2 % after four trials.
                if h / l < aim_ratio || (trial >= 5 && h / l < 1.02) {
                    break;
                }
                let t = if el > 0.0 && eh.is_finite() && eh > el {
                    ((aim.ln() - el.ln()) / (eh.ln() - el.ln())).clamp(0.1, 0.9)
                } else {
                    0.5
                };
                (l.ln() + t * (h.ln() - l.ln())).exp()
            }
            (Some((l, el)), None) => {
                if el == 0.0 {
                    l * 4.0
                } else {
                    l * (aim / el).powf(1.0 / *power).clamp(1.003, 4.0)
                }
            }
            (None, Some((h, eh))) => {
                if eh.is_finite() {
                    h * (aim / eh).powf(1.0 / *power).clamp(0.05, 0.997)
                } else {
                    h * 0.25
                }
            }
            (None, None) => return None,
        };
        if !(d.is_finite() && d > f64::MIN_POSITIVE * 1e10) {
            break;
        }
    }
    lo.map(|(l, _)| (l, q_lo))
}
