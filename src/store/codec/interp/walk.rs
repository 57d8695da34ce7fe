//! The visiting order and the predictions of [`super`] (its module
//! documentation defines both): the levels, their steps, and the walk
//! over every pass that predicts each element from reconstructed values.

use super::{Config, Stored};

/// Where the context neighbours of an element are (`usize::MAX`: none).
#[derive(Clone, Copy)]
pub(super) struct Near {
    pub(super) prev: usize,
    pub(super) side: usize,
    pub(super) lo: usize,
    pub(super) hi: usize,
}

pub(super) const NONE: usize = usize::MAX;

pub(super) fn levels(shape: &[usize]) -> u32 {
    let m = shape.iter().copied().max().unwrap_or(1).max(1);
    usize::BITS - (m - 1).leading_zeros()
}

pub(super) fn level_step(d: f64, c: Config, l: u32) -> f64 {
    let a = f64::from(c.alpha).powi(l as i32 - 1);
    d / a.min(f64::from(c.beta)).max(1.0)
}

/// `(D_l, 1 / D_l)` for every level `0 ..= L + 1` of `shape`.
pub(super) fn step_table(shape: &[usize], d: f64, c: Config) -> Vec<(f64, f64)> {
    (0..=levels(shape) + 1)
        .map(|l| {
            let st = level_step(d, c, l.max(1));
            (st, 1.0 / st)
        })
        .collect()
}

/// How an element is predicted from its neighbours along the pass axis
/// (see the module documentation), by which of `a(-3), a(1), a(3)` exist.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(super) enum Kind {
    /// `a(-1)` only.
    Hold,
    /// `1.5 a(-1) - 0.5 a(-3)`.
    Extrapolate,
    /// `(a(-1) + a(1)) / 2`.
    Linear,
    /// Cubic without `a(-3)`.
    Left,
    /// Cubic without `a(3)`.
    Right,
    /// Full cubic.
    Cubic,
    /// Full cubic, or a one-sided quadratic where the other side bends
    /// much more (see [`ONE_SIDED`]).
    CubicOneSided,
}

/// A cubic with the one-sided fallback predicts from `a(-3), a(-1), a(1)`
/// alone when `|a(-1) - 2 a(1) + a(3)|` exceeds this many times
/// `|a(-3) - 2 a(-1) + a(1)|`, and from `a(-1), a(1), a(3)` alone in the
/// mirrored case (an edge between `a(1)` and `a(3)`, or `a(-3)` and
/// `a(-1)`, then leaves the prediction alone).
pub(super) const ONE_SIDED: f64 = 3.0;

/// [`Kind`] by its discriminant (`kind as u8`), for loops specialised per
/// kind through a const parameter.
pub(super) const fn kind_of(k: u8) -> Kind {
    match k {
        0 => Kind::Hold,
        1 => Kind::Extrapolate,
        2 => Kind::Linear,
        3 => Kind::Left,
        4 => Kind::Right,
        5 => Kind::Cubic,
        _ => Kind::CubicOneSided,
    }
}

impl Kind {
    #[inline(always)]
    pub(super) fn of(c: Config, has_m3: bool, has_p1: bool, has_p3: bool) -> Kind {
        match (has_p1, c.cubic) {
            (false, true) if has_m3 => Kind::Extrapolate,
            (false, _) => Kind::Hold,
            (true, false) => Kind::Linear,
            (true, true) => match (has_m3, has_p3) {
                (false, false) => Kind::Linear,
                (false, true) => Kind::Left,
                (true, false) => Kind::Right,
                (true, true) if c.one_sided => Kind::CubicOneSided,
                (true, true) => Kind::Cubic,
            },
        }
    }

    /// Whether the prediction reads `a(-3)`.
    #[inline(always)]
    pub(super) fn reads_m3(self) -> bool {
        matches!(
            self,
            Kind::Extrapolate | Kind::Right | Kind::Cubic | Kind::CubicOneSided
        )
    }

    /// Whether the prediction reads `a(1)`.
    #[inline(always)]
    pub(super) fn reads_p1(self) -> bool {
        !matches!(self, Kind::Hold | Kind::Extrapolate)
    }

    /// Whether the prediction reads `a(3)`.
    #[inline(always)]
    pub(super) fn reads_p3(self) -> bool {
        matches!(self, Kind::Left | Kind::Cubic | Kind::CubicOneSided)
    }

    /// The prediction from the neighbours `a(-3), a(-1), a(1), a(3)` (those
    /// it does not read, see [`Kind::reads_m3`] and the others, may hold
    /// anything).
    #[inline(always)]
    pub(super) fn blend(self, m3: f64, m1: f64, p1: f64, p3: f64) -> f64 {
        match self {
            Kind::Hold => m1,
            Kind::Extrapolate => 1.5 * m1 - 0.5 * m3,
            Kind::Linear => (m1 + p1) / 2.0,
            Kind::Left => (3.0 * m1 + 6.0 * p1 - p3) / 8.0,
            Kind::Right => (-m3 + 6.0 * m1 + 3.0 * p1) / 8.0,
            Kind::Cubic => (-m3 + 9.0 * m1 + 9.0 * p1 - p3) / 16.0,
            Kind::CubicOneSided => {
                let left = (m3 - 2.0 * m1 + p1).abs();
                let right = (m1 - 2.0 * p1 + p3).abs();
                if right > ONE_SIDED * left {
                    (-m3 + 6.0 * m1 + 3.0 * p1) / 8.0
                } else if left > ONE_SIDED * right {
                    (3.0 * m1 + 6.0 * p1 - p3) / 8.0
                } else {
                    (-m3 + 9.0 * m1 + 9.0 * p1 - p3) / 16.0
                }
            }
        }
    }

    /// The prediction at `p` with neighbours `t = s * stride` apart.
    #[inline(always)]
    pub(super) fn predict<Y: Stored>(self, y: &[Y], p: usize, t: usize) -> f64 {
        let at = |read: bool, i: usize| if read { y[i].load() } else { 0.0 };
        self.blend(
            at(self.reads_m3(), p.wrapping_sub(3 * t)),
            y[p - t].load(),
            at(self.reads_p1(), p + t),
            at(self.reads_p3(), p + 3 * t),
        )
    }
}

/// What [`walk_with`] does at each element in coding order (the
/// prediction kind, neighbour distance `t`, level and context neighbours
/// given), or at a run of a row's elements at once (by default one element
/// at a time). Each returns false to stop the walk.
pub(super) trait Visitor<Y: Stored> {
    /// The first element (position 0, no neighbours) at level `l`.
    fn origin(&mut self, y: &mut [Y], l: u32) -> bool;

    /// One element.
    fn one(&mut self, y: &mut [Y], p: usize, kind: Kind, t: usize, l: u32, near: Near) -> bool;

    /// The elements `j, j + step, ...` below `stop` of a pass along the
    /// last axis, all predicted by `kind` (every neighbour exists);
    /// advances `j` past them.
    #[inline(always)]
    fn interior(
        &mut self,
        y: &mut [Y],
        row: Row,
        kind: Kind,
        j: &mut usize,
        stop: usize,
        row_side: usize,
    ) -> bool {
        let t = row.t;
        while *j < stop {
            let p = row.base + *j;
            let near = Near {
                prev: p - 2 * t,
                side: if row_side > 0 { p - row_side } else { NONE },
                lo: p - t,
                hi: p + t,
            };
            if !self.one(y, p, kind, t, row.l, near) {
                return false;
            }
            *j += row.step;
        }
        true
    }

    /// A whole row of a pass along an axis before the last, of `n_last`
    /// positions `0, step, ...` (every element predicted by `kind`).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn across(
        &mut self,
        y: &mut [Y],
        row: Row,
        kind: Kind,
        n_last: usize,
        has_m3: bool,
        has_p1: bool,
        side_last: bool,
        row_side: usize,
    ) -> bool {
        let t = row.t;
        let mut j = 0;
        while j < n_last {
            let p = row.base + j;
            let side = if side_last {
                if j >= row.step {
                    p - row.step
                } else {
                    NONE
                }
            } else if row_side > 0 {
                p - row_side
            } else {
                NONE
            };
            let near = Near {
                prev: if has_m3 { p - 2 * t } else { NONE },
                side,
                lo: p - t,
                hi: if has_p1 { p + t } else { NONE },
            };
            if !self.one(y, p, kind, t, row.l, near) {
                return false;
            }
            j += row.step;
        }
        true
    }
}

/// The [`Visitor`] of [`walk`]: `f` at every element.
struct Each<const PREDICT: bool, F>(F);

impl<const PREDICT: bool, Y: Stored, F: FnMut(usize, f64, u32, Near) -> f64> Visitor<Y>
    for Each<PREDICT, F>
{
    #[inline(always)]
    fn origin(&mut self, y: &mut [Y], l: u32) -> bool {
        let none = Near {
            prev: NONE,
            side: NONE,
            lo: NONE,
            hi: NONE,
        };
        let v = (self.0)(0, 0.0, l, none);
        if v.is_nan() {
            return false;
        }
        if PREDICT {
            y[0] = Y::store(v);
        }
        true
    }

    #[inline(always)]
    fn one(&mut self, y: &mut [Y], p: usize, kind: Kind, t: usize, l: u32, near: Near) -> bool {
        let pred = if PREDICT { kind.predict(y, p, t) } else { 0.0 };
        let v = (self.0)(p, pred, l, near);
        if v.is_nan() {
            return false;
        }
        if PREDICT {
            y[p] = Y::store(v);
        }
        true
    }
}

/// Visits every element in coding order: `f(pos, prediction, level,
/// near)` returns the reconstruction, stored in `y[pos]`. Stops early (and
/// returns false) when `f` returns NaN. Inlined into each caller so that
/// `f` is inlined into the loops.
/// Without `PREDICT` the predictions are not computed (`f` gets 0) and
/// `y` is not touched (it may be empty). Predictions read the stored
/// values `y` (f32 or f64, [`Stored`]) as f64.
#[inline(always)]
pub(super) fn walk<const PREDICT: bool, Y: Stored>(
    shape: &[usize],
    c: Config,
    y: &mut [Y],
    f: impl FnMut(usize, f64, u32, Near) -> f64,
) -> bool {
    walk_with(shape, c, y, &mut Each::<PREDICT, _>(f))
}

/// Visits every element in coding order with `v` (see [`Visitor`]); false
/// when it stopped the walk.
#[inline(always)]
pub(super) fn walk_with<Y: Stored, V: Visitor<Y>>(
    shape: &[usize],
    c: Config,
    y: &mut [Y],
    v: &mut V,
) -> bool {
    let n: usize = shape.iter().product();
    if n == 0 {
        return true;
    }
    // A scalar is one element on one axis.
    let shape: &[usize] = if shape.is_empty() { &[1] } else { shape };
    let nd = shape.len();
    let last = nd - 1;
    let mut strides = vec![1usize; nd];
    for e in (0..last).rev() {
        strides[e] = strides[e + 1] * shape[e + 1];
    }
    let top = levels(shape);
    if !v.origin(y, top + 1) {
        return false;
    }
    let mut coord = vec![0usize; nd];
    let n_last = shape[last];
    for l in (1..=top).rev() {
        let s = 1usize << (l - 1);
        for k in 0..nd {
            let d = if c.reversed { last - k } else { k };
            let len_d = shape[d];
            if len_d <= s {
                continue;
            }
            // Axes already passed at this level are at multiples of `s`.
            let passed = |e: usize| if c.reversed { e > d } else { e < d };
            let step_of = |e: usize| if passed(e) { s } else { 2 * s };
            let start_of = |e: usize| if e == d { s } else { 0 };
            // The last other axis with more than one coordinate in this pass.
            let side_axis = (0..nd).rev().find(|&e| e != d && shape[e] > step_of(e));
            let sd = strides[d];
            let t = s * sd;
            for (e, c) in coord.iter_mut().enumerate() {
                *c = start_of(e);
            }
            loop {
                let base: usize = (0..last).map(|e| coord[e] * strides[e]).sum();
                // The side neighbour along an axis before the last is the
                // same for the whole row.
                let row_side = match side_axis {
                    Some(e) if e != last && coord[e] >= step_of(e) => step_of(e) * strides[e],
                    _ => 0,
                };
                if d == last {
                    let mut j = s;
                    while j < n_last {
                        if j >= 3 * s && j + 3 * s < n_last {
                            // The interior of the row: one predictor, no
                            // edge tests.
                            let stop = n_last - 3 * s;
                            let row = Row {
                                base,
                                t,
                                l,
                                step: 2 * s,
                            };
                            let mut go =
                                |kind: Kind| v.interior(y, row, kind, &mut j, stop, row_side);
                            // One copy of the row loop per predictor.
                            let ok = match (c.cubic, c.one_sided) {
                                (false, _) => go(Kind::Linear),
                                (true, false) => go(Kind::Cubic),
                                (true, true) => go(Kind::CubicOneSided),
                            };
                            if !ok {
                                return false;
                            }
                            continue;
                        }
                        let p = base + j;
                        let has_p1 = j + s < n_last;
                        let has_m3 = j >= 3 * s;
                        let kind = Kind::of(c, has_m3, has_p1, j + 3 * s < n_last);
                        let near = Near {
                            prev: if has_m3 { p - 2 * t } else { NONE },
                            side: if row_side > 0 { p - row_side } else { NONE },
                            lo: p - t,
                            hi: if has_p1 { p + t } else { NONE },
                        };
                        if !v.one(y, p, kind, t, l, near) {
                            return false;
                        }
                        j += 2 * s;
                    }
                } else {
                    let i = coord[d];
                    let has_p1 = i + s < len_d;
                    let has_m3 = i >= 3 * s;
                    let kind = Kind::of(c, has_m3, has_p1, i + 3 * s < len_d);
                    let side_last = side_axis == Some(last);
                    let row = Row {
                        base,
                        t,
                        l,
                        step: step_of(last),
                    };
                    let (v, y) = (&mut *v, &mut *y);
                    let mut go = |kind: Kind| {
                        v.across(y, row, kind, n_last, has_m3, has_p1, side_last, row_side)
                    };
                    // One copy of the row loop per predictor.
                    let ok = match kind {
                        Kind::Hold => go(Kind::Hold),
                        Kind::Extrapolate => go(Kind::Extrapolate),
                        Kind::Linear => go(Kind::Linear),
                        Kind::Left => go(Kind::Left),
                        Kind::Right => go(Kind::Right),
                        Kind::Cubic => go(Kind::Cubic),
                        Kind::CubicOneSided => go(Kind::CubicOneSided),
                    };
                    if !ok {
                        return false;
                    }
                }
                // Advance the axes before the last (row-major odometer).
                let mut done = true;
                for e in (0..last).rev() {
                    coord[e] += step_of(e);
                    if coord[e] < shape[e] {
                        done = false;
                        break;
                    }
                    coord[e] = start_of(e);
                }
                if done {
                    break;
                }
            }
        }
    }
    true
}

/// One row of a pass: its first position, the neighbour distance `t`, the
/// level and the distance between the row's elements.
#[derive(Clone, Copy)]
pub(super) struct Row {
    pub(super) base: usize,
    pub(super) t: usize,
    pub(super) l: u32,
    pub(super) step: usize,
}
