//! Quantisation passes of [`super`] (those of the step search, and the
//! coding pass's through a [`Sink`] that codes each integer) and the
//! search for the base step that meets a squared-error budget (a few
//! passes that follow the measured growth of the error with the step; no
//! coding).

use super::slabs::Slabs;
use super::walk::{kind_of, step_table, walk_with, Kind, Near, Row, Visitor, NONE};
use super::{round_small, Config, Sample, Stored};
use crate::store::codec::quant::MAX_Q;

/// The copy of the loop `$f::<K>` specialised for `$kind`.
macro_rules! per_kind {
    ($kind:expr, $($f:ident)::+) => {
        match $kind {
            Kind::Hold => $($f)::+::<{ Kind::Hold as u8 }>,
            Kind::Extrapolate => $($f)::+::<{ Kind::Extrapolate as u8 }>,
            Kind::Linear => $($f)::+::<{ Kind::Linear as u8 }>,
            Kind::Left => $($f)::+::<{ Kind::Left as u8 }>,
            Kind::Right => $($f)::+::<{ Kind::Right as u8 }>,
            Kind::Cubic => $($f)::+::<{ Kind::Cubic as u8 }>,
            Kind::CubicOneSided => $($f)::+::<{ Kind::CubicOneSided as u8 }>,
        }
    };
}

/// What a quantisation pass does with each element's integer, in coding
/// order: `take(p, k, l, near)` gets the integer `k` of element `p` at
/// level `l` with its context neighbours.
pub(super) trait Sink {
    /// Whether the pass sums the squared errors (after rounding as `T`).
    const SUM: bool;
    /// Takes the integer `k` of element `p`.
    fn take(&mut self, p: usize, k: f64, l: u32, near: Near);
}

/// Keeps (with `KEEP`) each integer at its position; sums the errors.
struct Ints<'a, const KEEP: bool>(&'a mut [i64]);

impl<const KEEP: bool> Sink for Ints<'_, KEEP> {
    const SUM: bool = true;
    #[inline(always)]
    fn take(&mut self, p: usize, k: f64, _: u32, _: Near) {
        if KEEP {
            // SAFETY: `k` is an integer of magnitude at most `MAX_Q`
            // (2^46): the quantiser returns no other (out-of-range
            // residuals stop the pass), so it converts exactly.
            self.0[p] = unsafe { k.to_int_unchecked::<i64>() };
        }
    }
}

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
        return quantise_with(data, shape, c, d, y, Ints::<KEEP>(q)).map(|(e, _)| e);
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
        quantise_with(data, shape, c, d, y, Ints::<KEEP>(q)).map(|(e, _)| e)
    });
    sums.into_iter().try_fold(0.0, |a, s| Some(a + s?))
}

/// Quantises `data` (one slab, or the whole tensor) in coding order with
/// base step `d` and settings `c`, leaving the reconstruction in `y` and
/// giving each integer to `sink`. Returns the sum of squared differences
/// (after rounding as `T`; 0 unless the sink asks for it) and the sink;
/// `None` when a residual is out of range.
pub(super) fn quantise_with<T: Sample, S: Sink>(
    data: &[T],
    shape: &[usize],
    c: Config,
    d: f64,
    y: &mut [T::Store],
    sink: S,
) -> Option<(f64, S)> {
    let mut v = Quantise::<T, S> {
        data,
        sink,
        steps: step_table(shape, d, c),
        sum: 0.0,
    };
    walk_with(shape, c, y, &mut v).then_some((v.sum, v.sink))
}

/// Where the context neighbours of a row of a pass along an axis before
/// the last lie (see [`Visitor::across`]).
#[derive(Clone, Copy)]
struct Across {
    has_m3: bool,
    has_p1: bool,
    side_last: bool,
    row_side: usize,
}

/// The [`Visitor`] of [`quantise_with`]: quantises each element against
/// its prediction, gives its integer to the sink and (when the sink asks)
/// adds its squared error (after rounding as `T`) to `sum`, in coding
/// order. A pass's predictions read only elements of earlier passes, so a
/// run of a row is quantised in one tight loop over slices of its
/// neighbour rows (the same arithmetic, in the same order, as one element
/// at a time).
struct Quantise<'a, T: Sample, S: Sink> {
    data: &'a [T],
    sink: S,
    steps: Vec<(f64, f64)>,
    sum: f64,
}

impl<T: Sample, S: Sink> Quantise<'_, T, S> {
    /// The integer and reconstruction `(k, v)` of `x` against `pred` with
    /// the level's step and its inverse `(st, inv)`, its squared error
    /// added to `sum` (when the sink asks); `None` when its residual is out
    /// of range (or not a number).
    #[inline(always)]
    fn quantise(x: T, pred: f64, (st, inv): (f64, f64), sum: &mut f64) -> Option<(f64, f64)> {
        let x = x.to_f64();
        let u = (x - pred) * inv;
        let in_range = u.abs() <= MAX_Q;
        if !in_range {
            return None;
        }
        let k = round_small(u);
        let v = pred + k * st;
        if S::SUM {
            let e = x - T::round(v);
            *sum += e * e;
        }
        Some((k, v))
    }

    /// The elements `i = j, j + step, ...` below `stop` of `row` (a row
    /// along the last axis from position `base`, at least `stop + 3t`
    /// long), predicted by kind `K` from `row[i - 3t ..= i + 3t]`, their
    /// side neighbours `row_side` before them (none when 0); the first
    /// position not visited, or `None` when a residual is out of range.
    /// Not inlined: the loop gets registers of its own.
    #[inline(never)]
    fn interior_run<const K: u8>(
        &mut self,
        row: &mut [T::Store],
        Row { base, t, l, step }: Row,
        j: usize,
        stop: usize,
        row_side: usize,
    ) -> Option<usize> {
        let kind = kind_of(K);
        let st = self.steps[l as usize];
        let x = &self.data[base..base + row.len()];
        // Every position read or written, `i - 3t ..= i + 3t` for
        // `j <= i < stop`, lies in `row` (checked here once, so the loop
        // indexes without checks).
        assert!(j >= 3 * t && stop.checked_add(3 * t).is_some_and(|e| e <= row.len()));
        let at = |row: &[T::Store], read: bool, i: usize| {
            // SAFETY: `i` is within `row` by the assertion above.
            if read {
                unsafe { row.get_unchecked(i) }.load()
            } else {
                0.0
            }
        };
        let mut sum = self.sum;
        let mut i = j;
        while i < stop {
            let pred = kind.blend(
                at(row, kind.reads_m3(), i - 3 * t),
                at(row, true, i - t),
                at(row, true, i + t),
                at(row, kind.reads_p3(), i + 3 * t),
            );
            // SAFETY: as above (`x` is as long as `row`).
            let xi = *unsafe { x.get_unchecked(i) };
            let Some((k, v)) = Self::quantise(xi, pred, st, &mut sum) else {
                self.sum = sum;
                return None;
            };
            let p = base + i;
            let near = Near {
                prev: p - 2 * t,
                side: if row_side > 0 { p - row_side } else { NONE },
                lo: p - t,
                hi: p + t,
            };
            self.sink.take(p, k, l, near);
            // SAFETY: as above.
            *unsafe { row.get_unchecked_mut(i) } = T::Store::store(v);
            i += step;
        }
        self.sum = sum;
        Some(i)
    }

    /// The positions `0, step, ...` below `row.len()` of a row from
    /// position `base` predicted by kind `K` from the same positions of the
    /// rows `m3, m1, p1, p3` (those `kind` does not read may be any row),
    /// their context neighbours as `a` says; false when a residual is out
    /// of range. Not inlined: the loop gets registers of its own.
    #[inline(never)]
    fn across_run<const K: u8>(
        &mut self,
        row: &mut [T::Store],
        [m3, m1, p1, p3]: [&[T::Store]; 4],
        Row { base, t, l, step }: Row,
        a: Across,
    ) -> bool {
        let kind = kind_of(K);
        let st = self.steps[l as usize];
        let n = row.len();
        let x = &self.data[base..base + n];
        let (m3, m1, p1, p3) = (&m3[..n], &m1[..n], &p1[..n], &p3[..n]);
        let mut sum = self.sum;
        let mut j = 0;
        while j < n {
            let pred = kind.blend(m3[j].load(), m1[j].load(), p1[j].load(), p3[j].load());
            let Some((k, v)) = Self::quantise(x[j], pred, st, &mut sum) else {
                self.sum = sum;
                return false;
            };
            let p = base + j;
            let side = if a.side_last {
                if j >= step {
                    p - step
                } else {
                    NONE
                }
            } else if a.row_side > 0 {
                p - a.row_side
            } else {
                NONE
            };
            let near = Near {
                prev: if a.has_m3 { p - 2 * t } else { NONE },
                side,
                lo: p - t,
                hi: if a.has_p1 { p + t } else { NONE },
            };
            self.sink.take(p, k, l, near);
            row[j] = T::Store::store(v);
            j += step;
        }
        self.sum = sum;
        true
    }
}

impl<T: Sample, S: Sink> Visitor<T::Store> for Quantise<'_, T, S> {
    #[inline(always)]
    fn origin(&mut self, y: &mut [T::Store], l: u32) -> bool {
        let st = self.steps[l as usize];
        let Some((k, v)) = Self::quantise(self.data[0], 0.0, st, &mut self.sum) else {
            return false;
        };
        let none = Near {
            prev: NONE,
            side: NONE,
            lo: NONE,
            hi: NONE,
        };
        self.sink.take(0, k, l, none);
        y[0] = T::Store::store(v);
        true
    }

    #[inline(always)]
    fn one(
        &mut self,
        y: &mut [T::Store],
        p: usize,
        kind: Kind,
        t: usize,
        l: u32,
        near: Near,
    ) -> bool {
        let (pred, st) = (kind.predict(y, p, t), self.steps[l as usize]);
        let Some((k, v)) = Self::quantise(self.data[p], pred, st, &mut self.sum) else {
            return false;
        };
        self.sink.take(p, k, l, near);
        y[p] = T::Store::store(v);
        true
    }

    #[inline(always)]
    fn interior(
        &mut self,
        y: &mut [T::Store],
        row: Row,
        kind: Kind,
        j: &mut usize,
        stop: usize,
        row_side: usize,
    ) -> bool {
        // Along the last axis the neighbours are `t` positions apart in
        // the row itself, all below `stop + 3 t`.
        let y_row = &mut y[row.base..row.base + stop + 3 * row.t];
        let run = per_kind!(kind, Self::interior_run);
        match run(self, y_row, row, *j, stop, row_side) {
            Some(i) => {
                *j = i;
                true
            }
            None => false,
        }
    }

    #[inline(always)]
    fn across(
        &mut self,
        y: &mut [T::Store],
        row: Row,
        kind: Kind,
        n: usize,
        has_m3: bool,
        has_p1: bool,
        side_last: bool,
        row_side: usize,
    ) -> bool {
        // The row and its neighbour rows `t >= n` positions before and
        // after it, as separate slices of `n`.
        let Row { base, t, .. } = row;
        let (before, rest) = y.split_at_mut(base);
        let (y_row, after) = rest.split_at_mut(n);
        let m1 = &before[base - t..];
        let m3 = if kind.reads_m3() {
            &before[base - 3 * t..]
        } else {
            m1
        };
        let p1 = if kind.reads_p1() { &after[t - n..] } else { m1 };
        let p3 = if kind.reads_p3() {
            &after[3 * t - n..]
        } else {
            m1
        };
        let a = Across {
            has_m3,
            has_p1,
            side_last,
            row_side,
        };
        let run = per_kind!(kind, Self::across_run);
        run(self, y_row, [m3, m1, p1, p3], row, a)
    }
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
