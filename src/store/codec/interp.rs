//! `interp` (id 11): multi-level interpolation prediction and quantisation,
//! as SZ3 does. Works on the tensor's own shape (any number of axes; axes
//! of length 1 take no part).
//!
//! # Order
//!
//! Let `L` be the smallest integer with `2^L >= max(shape)` (0 when every
//! axis has length 1). The element at the origin comes first (level
//! `L + 1`, prediction 0). Then for each level `l = L, L-1, ..., 1` with
//! stride `s = 2^(l-1)`, and for each axis `d = 0, 1, ...` whose length is
//! greater than `s`, one *pass* visits every element whose coordinate along
//! `d` is an odd multiple of `s`, along the axes before `d` a multiple of
//! `s` and along the axes after `d` a multiple of `2s`, in row-major order
//! (a scalar counts as shape `[1]`).
//!
//! # Prediction
//!
//! An element at coordinate `i` along `d` (of length `n`) is predicted from
//! the already reconstructed values `a(k)` at coordinates `i + k s` along
//! `d` (the other coordinates unchanged); `a(-1)` always exists. Linear
//! (predictor 0): `(a(-1) + a(1)) / 2`, or `a(-1)` when `i + s >= n`.
//! Cubic (predictor 1): with all of `a(-3), a(-1), a(1), a(3)`:
//! `(-a(-3) + 9 a(-1) + 9 a(1) - a(3)) / 16`; without `a(-3)`:
//! `(3 a(-1) + 6 a(1) - a(3)) / 8`; without `a(3)`:
//! `(-a(-3) + 6 a(-1) + 3 a(1)) / 8`; with only `a(-1), a(1)` the linear
//! form; without `a(1)`: `1.5 a(-1) - 0.5 a(-3)` when `a(-3)` exists, else
//! `a(-1)`. Arithmetic is f64 in exactly this order.
//!
//! # Quantisation
//!
//! Level `l` has step `D_l = D / min(alpha^(l-1), beta)` (level `L + 1`
//! too). The value is `y = p + q D_l` in f64 (`p` the prediction) and is
//! written out as `f32(y)`; the encoder picks `q = round((x - p) / D_l)`,
//! so every element is within `D / 2` of the input before that rounding.
//!
//! # Coding
//!
//! The integers `q` are coded in visiting order with
//! [`super::arith::IntModel`] in context `(c * 7 + a) * 3 + b`: `c` is
//! `min(l - 1, 2)` (2 for the origin), `a` is
//! [`super::arith::bucket`]`(|q| at i - 2s along d + |q| of the element
//! one pass step back along the last other axis that has more than one
//! coordinate in the pass)`, each counting 0 when outside the array, and
//! `b` is 0, 1 or 2 for `|q(-1)| + |q(1)|` (the integers of the two
//! interpolation neighbours; 0 outside) being 0, 1 ..= 2 or more.
//! Magnitudes over `u32::MAX` count as `u32::MAX`.
//!
//! Parameters (17 bytes): `u8` predictor (0 linear, 1 cubic), `f64` step
//! `D` (finite, > 0), `f32` `alpha` (1 ..= 4), `f32` `beta` (1 ..= 64).
//! Payload: one arithmetic-coded stream of the `n` integers, consumed
//! exactly.

use super::arith::{bucket, Decoder, Encoder, IntModel, BUCKETS};
use super::quant::MAX_Q;
use super::{params_err, payload_err, CodecId, Cursor, Encoded};
use crate::error::{Error, Result};

/// A value the codec reads: f32 or f64, with the rounding its output gets.
pub trait Sample: Copy {
    /// The value in f64.
    fn to_f64(self) -> f64;
    /// `y` rounded as a reconstruction of this type is stored.
    fn round(y: f64) -> f64;
}

impl Sample for f32 {
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn round(y: f64) -> f64 {
        f64::from(y as f32)
    }
}

impl Sample for f64 {
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn round(y: f64) -> f64 {
        y
    }
}

/// Predictor and per-level step shape of one encoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Cubic (else linear) interpolation.
    pub cubic: bool,
    /// Coarse-level step shrink per level.
    pub alpha: f32,
    /// Largest shrink.
    pub beta: f32,
}

/// The settings the encoder chooses from.
const CONFIGS: [Config; 5] = [
    Config {
        cubic: false,
        alpha: 1.0,
        beta: 1.0,
    },
    Config {
        cubic: false,
        alpha: 2.0,
        beta: 4.0,
    },
    Config {
        cubic: true,
        alpha: 1.0,
        beta: 1.0,
    },
    Config {
        cubic: true,
        alpha: 1.5,
        beta: 2.0,
    },
    Config {
        cubic: true,
        alpha: 2.0,
        beta: 4.0,
    },
];

const CONTEXTS: usize = 3 * BUCKETS * 3;
/// Elements of the sub-block used to choose the settings and to estimate.
const SAMPLE: usize = 1 << 15;

/// Where the context neighbours of an element are (`usize::MAX`: none).
#[derive(Clone, Copy)]
struct Near {
    prev: usize,
    side: usize,
    lo: usize,
    hi: usize,
}

const NONE: usize = usize::MAX;

fn levels(shape: &[usize]) -> u32 {
    let m = shape.iter().copied().max().unwrap_or(1).max(1);
    usize::BITS - (m - 1).leading_zeros()
}

fn level_step(d: f64, c: Config, l: u32) -> f64 {
    let a = f64::from(c.alpha).powi(l as i32 - 1);
    d / a.min(f64::from(c.beta)).max(1.0)
}

/// `(D_l, 1 / D_l)` for every level `0 ..= L + 1` of `shape`.
fn step_table(shape: &[usize], d: f64, c: Config) -> Vec<(f64, f64)> {
    (0..=levels(shape) + 1)
        .map(|l| {
            let st = level_step(d, c, l.max(1));
            (st, 1.0 / st)
        })
        .collect()
}

/// Visits every element in coding order: `f(pos, prediction, level,
/// near)` returns the reconstruction, stored in `y[pos]`. Stops early (and
/// returns false) when `f` returns NaN.
fn walk(
    shape: &[usize],
    cubic: bool,
    y: &mut [f64],
    mut f: impl FnMut(usize, f64, u32, Near) -> f64,
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
    let none = Near {
        prev: NONE,
        side: NONE,
        lo: NONE,
        hi: NONE,
    };
    y[0] = f(0, 0.0, top + 1, none);
    if y[0].is_nan() {
        return false;
    }
    let mut coord = vec![0usize; nd];
    for l in (1..=top).rev() {
        let s = 1usize << (l - 1);
        for d in 0..nd {
            let len_d = shape[d];
            if len_d <= s {
                continue;
            }
            let step_of = |e: usize| if e < d { s } else { 2 * s };
            let start_of = |e: usize| if e == d { s } else { 0 };
            // The last other axis with more than one coordinate in this pass.
            let side_axis = (0..nd).rev().find(|&e| e != d && shape[e] > step_of(e));
            let sd = strides[d];
            let (j0, jstep) = (start_of(last), step_of(last));
            for (e, c) in coord.iter_mut().enumerate() {
                *c = start_of(e);
            }
            loop {
                let base: usize = (0..last).map(|e| coord[e] * strides[e]).sum();
                let mut j = j0;
                while j < shape[last] {
                    let p = base + j;
                    let i = if d == last { j } else { coord[d] };
                    let m1 = y[p - s * sd];
                    let has_p1 = i + s < len_d;
                    let has_m3 = i >= 3 * s;
                    let pred = if !has_p1 {
                        if cubic && has_m3 {
                            1.5 * m1 - 0.5 * y[p - 3 * s * sd]
                        } else {
                            m1
                        }
                    } else {
                        let p1 = y[p + s * sd];
                        let has_p3 = i + 3 * s < len_d;
                        if !cubic || (!has_m3 && !has_p3) {
                            (m1 + p1) / 2.0
                        } else if !has_m3 {
                            (3.0 * m1 + 6.0 * p1 - y[p + 3 * s * sd]) / 8.0
                        } else if !has_p3 {
                            (-y[p - 3 * s * sd] + 6.0 * m1 + 3.0 * p1) / 8.0
                        } else {
                            (-y[p - 3 * s * sd] + 9.0 * m1 + 9.0 * p1 - y[p + 3 * s * sd]) / 16.0
                        }
                    };
                    let side = match side_axis {
                        Some(e) => {
                            let ce = if e == last { j } else { coord[e] };
                            if ce >= step_of(e) {
                                p - step_of(e) * strides[e]
                            } else {
                                NONE
                            }
                        }
                        None => NONE,
                    };
                    let near = Near {
                        prev: if has_m3 { p - 2 * s * sd } else { NONE },
                        side,
                        lo: p - s * sd,
                        hi: if has_p1 { p + s * sd } else { NONE },
                    };
                    let v = f(p, pred, l, near);
                    if v.is_nan() {
                        return false;
                    }
                    y[p] = v;
                    j += jstep;
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

#[inline]
fn context(mag: &[u32], l: u32, near: Near) -> usize {
    let at = |p: usize| if p == NONE { 0 } else { u64::from(mag[p]) };
    let c = (l.saturating_sub(1) as usize).min(2);
    let a = bucket(at(near.prev) + at(near.side));
    let b = match at(near.lo) + at(near.hi) {
        0 => 0,
        1..=2 => 1,
        _ => 2,
    };
    (c * BUCKETS + a) * 3 + b
}

/// The sum of squared differences (after rounding) and the largest
/// difference for step `d`; `None` when a residual is out of range.
fn measure<T: Sample>(data: &[T], shape: &[usize], c: Config, d: f64) -> Option<(f64, f64)> {
    let mut y = vec![0.0f64; data.len()];
    let (mut sum, mut max) = (0.0f64, 0.0f64);
    let steps = step_table(shape, d, c);
    let ok = walk(shape, c.cubic, &mut y, |p, pred, l, _| {
        let (st, inv) = steps[l as usize];
        let x = data[p].to_f64();
        let k = ((x - pred) * inv).round();
        if k.is_nan() || k.abs() > MAX_Q {
            return f64::NAN;
        }
        let v = pred + k * st;
        let e = (x - T::round(v)).abs();
        sum += e * e;
        max = max.max(e);
        v
    });
    ok.then_some((sum, max))
}

fn unsupported(detail: String) -> Error {
    Error::CodecUnsupported {
        codec: "interp",
        detail,
    }
}

fn check_finite<T: Sample>(data: &[T]) -> Result<()> {
    match data.iter().position(|v| !v.to_f64().is_finite()) {
        Some(i) => Err(unsupported(format!("element {i} is not finite"))),
        None => Ok(()),
    }
}

fn check_shape(data_len: usize, shape: &[usize]) -> Result<()> {
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if n != Some(data_len) {
        return Err(Error::invalid(
            "shape",
            format!("{shape:?} does not hold {data_len} values"),
        ));
    }
    Ok(())
}

/// Encodes with base step `d` and settings `c` (every element within
/// `d / 2` of its value before the final rounding).
///
/// # Errors
/// [`Error::InvalidArgument`] when `shape` does not hold `data`;
/// [`Error::CodecUnsupported`] for non-finite values or a step out of range
/// for them.
pub fn encode_config<T: Sample>(data: &[T], shape: &[usize], d: f64, c: Config) -> Result<Encoded> {
    check_shape(data.len(), shape)?;
    check_finite(data)?;
    if !(d.is_finite() && d > 0.0) {
        return Err(unsupported(format!("step {d} is not finite and positive")));
    }
    let mut y = vec![0.0f64; data.len()];
    let mut mag = vec![0u32; data.len()];
    let mut m = IntModel::new(CONTEXTS);
    let mut e = Encoder::new();
    let steps = step_table(shape, d, c);
    let ok = walk(shape, c.cubic, &mut y, |p, pred, l, near| {
        let (st, inv) = steps[l as usize];
        let k = ((data[p].to_f64() - pred) * inv).round();
        if k.is_nan() || k.abs() > MAX_Q {
            return f64::NAN;
        }
        m.put(&mut e, context(&mag, l, near), k as i64);
        mag[p] = k.abs().min(f64::from(u32::MAX)) as u32;
        pred + k * st
    });
    if !ok {
        return Err(unsupported(format!(
            "step {d} out of range for these values"
        )));
    }
    let mut params = vec![u8::from(c.cubic)];
    params.extend_from_slice(&d.to_le_bytes());
    params.extend_from_slice(&c.alpha.to_le_bytes());
    params.extend_from_slice(&c.beta.to_le_bytes());
    Ok(Encoded {
        codec: CodecId::Interp,
        params,
        payload: e.finish(),
    })
}

/// The largest base step (to about 0.3 %) whose squared-error sum is at
/// most `target_sum`, starting from `start` or else the uniform-quantiser
/// estimate.
fn solve<T: Sample>(
    data: &[T],
    shape: &[usize],
    c: Config,
    target_sum: f64,
    start: Option<f64>,
) -> Option<f64> {
    let n = data.len().max(1) as f64;
    let mut d = start.unwrap_or_else(|| (12.0 * target_sum / n).sqrt());
    if !(d.is_finite() && d > 0.0) {
        return None;
    }
    // (step, squared-error sum) of the largest step that meets the budget
    // and of the smallest that does not.
    type Tried = Option<(f64, f64)>;
    let (mut lo, mut hi): (Tried, Tried) = (None, None);
    for _ in 0..12 {
        let e = measure(data, shape, c, d).map_or(f64::INFINITY, |(s, _)| s);
        if e <= target_sum {
            if lo.is_none_or(|(l, _)| d > l) {
                lo = Some((d, e));
            }
            if e >= 0.99 * target_sum {
                break;
            }
        } else if hi.is_none_or(|(h, _)| d < h) {
            hi = Some((d, e));
        }
        // Squared error grows about as the step squared.
        let aim = 0.995 * target_sum;
        d = match (lo, hi) {
            (Some((l, el)), Some((h, eh))) => {
                if h / l < 1.003 {
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
                    l * (aim / el).sqrt().clamp(1.003, 4.0)
                }
            }
            (None, Some((h, eh))) => {
                if eh.is_finite() {
                    h * (aim / eh).sqrt().clamp(0.05, 0.997)
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
    lo.map(|(l, _)| l)
}

/// A centred sub-block of at most [`SAMPLE`] elements (halving the longest
/// axis until it fits), with its shape.
fn sample<T: Sample>(data: &[T], shape: &[usize]) -> (Vec<T>, Vec<usize>) {
    let mut b = shape.to_vec();
    while b.iter().product::<usize>() > SAMPLE {
        let (i, _) = b.iter().enumerate().max_by_key(|(_, &v)| v).unwrap();
        b[i] = b[i].div_ceil(2);
    }
    let nd = shape.len();
    let mut strides = vec![1usize; nd];
    for e in (0..nd.saturating_sub(1)).rev() {
        strides[e] = strides[e + 1] * shape[e + 1];
    }
    let off: Vec<usize> = (0..nd).map(|e| (shape[e] - b[e]) / 2).collect();
    let m: usize = b.iter().product();
    let mut out = Vec::with_capacity(m);
    for k in 0..m {
        let (mut r, mut p) = (k, 0usize);
        for e in (0..nd).rev() {
            p += (off[e] + r % b[e]) * strides[e];
            r /= b[e];
        }
        out.push(data[p]);
    }
    (out, b)
}

/// What an error bound asks of every element or of the whole.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// Relative L2 (Frobenius) error at most this.
    RelL2(f64),
    /// Every element within this of its value (before the final rounding
    /// to f32, which adds at most half a unit in the last place).
    AbsMax(f64),
}

/// Per-element squared-error budget of a relative bound.
fn rel_sum(data: &[impl Sample], eps: f64) -> f64 {
    let norm2: f64 = data.iter().map(|v| v.to_f64() * v.to_f64()).sum();
    eps * eps * norm2
}

/// Step and encoding of `data` for settings `c` under `bound`
/// (`target_sum` is the squared-error budget scaled to this data; `start`
/// a first step to try).
fn encode_bound<T: Sample>(
    data: &[T],
    shape: &[usize],
    c: Config,
    bound: Bound,
    target_sum: f64,
    start: Option<f64>,
) -> Result<(Encoded, f64)> {
    let d = match bound {
        Bound::AbsMax(b) => 2.0 * b,
        Bound::RelL2(_) => {
            if target_sum == 0.0 {
                1.0
            } else {
                solve(data, shape, c, target_sum, start)
                    .ok_or_else(|| unsupported(format!("no step meets {bound:?}")))?
            }
        }
    };
    Ok((encode_config(data, shape, d, c)?, d))
}

fn check_bound(bound: Bound) -> Result<()> {
    let v = match bound {
        Bound::RelL2(v) | Bound::AbsMax(v) => v,
    };
    if !(v.is_finite() && v > 0.0) {
        return Err(Error::invalid(
            "bound",
            format!("{v} is not finite and positive"),
        ));
    }
    Ok(())
}

/// The settings that code a sub-block smallest, with that size scaled to
/// the whole tensor (bytes) and the sub-block's step.
fn choose<T: Sample>(data: &[T], shape: &[usize], bound: Bound) -> Result<(Config, u64, f64)> {
    let (s, sshape) = sample(data, shape);
    let sum = match bound {
        Bound::RelL2(eps) => rel_sum(data, eps) * s.len() as f64 / data.len().max(1) as f64,
        Bound::AbsMax(_) => 0.0,
    };
    let mut best: Option<(Config, usize, f64)> = None;
    let mut start = None;
    for c in CONFIGS {
        if let Ok((e, d)) = encode_bound(&s, &sshape, c, bound, sum, start) {
            let size = e.payload.len();
            start = Some(d);
            if best.is_none_or(|(_, b, _)| size < b) {
                best = Some((c, size, d));
            }
        }
    }
    let (c, size, d) = best.ok_or_else(|| unsupported(format!("no setting meets {bound:?}")))?;
    let scaled = size as f64 * data.len() as f64 / s.len().max(1) as f64;
    Ok((c, scaled.ceil() as u64 + 17, d))
}

/// Estimated stored bytes (parameters plus payload) of [`encode`] for
/// `bound`, from coding a centred sub-block of at most 32768 elements with
/// each setting (about as costly as coding that sub-block a few times).
///
/// # Errors
/// As [`encode`].
pub fn estimate<T: Sample>(data: &[T], shape: &[usize], bound: Bound) -> Result<u64> {
    check_shape(data.len(), shape)?;
    check_finite(data)?;
    check_bound(bound)?;
    choose(data, shape, bound).map(|(_, b, _)| b)
}

/// Encodes under `bound`: settings chosen on a sub-block, then the base
/// step solved on the whole tensor (relative bound: the largest step whose
/// reconstruction, rounded as `T`, meets it, aiming just inside; pointwise
/// bound: `D = 2 * bound`).
///
/// # Errors
/// [`Error::InvalidArgument`] for a shape that does not hold `data` or a
/// bound that is not finite and positive; [`Error::CodecUnsupported`] for
/// non-finite values or when no step meets the bound.
pub fn encode<T: Sample>(data: &[T], shape: &[usize], bound: Bound) -> Result<Encoded> {
    check_shape(data.len(), shape)?;
    check_finite(data)?;
    check_bound(bound)?;
    let (c, _, d) = choose(data, shape, bound)?;
    let sum = match bound {
        Bound::RelL2(eps) => rel_sum(data, eps),
        Bound::AbsMax(_) => 0.0,
    };
    encode_bound(data, shape, c, bound, sum, Some(d)).map(|(e, _)| e)
}

/// Reads the parameter block.
fn read_params(params: &[u8]) -> Result<(f64, Config)> {
    let mut c = Cursor::params(params);
    let pred = c.u8("predictor")?;
    let d = c.f64("step")?;
    let alpha = f32::from_le_bytes(c.take(4, "alpha")?.try_into().unwrap());
    let beta = f32::from_le_bytes(c.take(4, "beta")?.try_into().unwrap());
    c.finish("interp parameters")?;
    if pred > 1 {
        return Err(params_err(0, format!("unknown predictor {pred}")));
    }
    if !(d.is_finite() && d > 0.0) {
        return Err(params_err(
            1,
            format!("step {d} is not finite and positive"),
        ));
    }
    if !(1.0..=4.0).contains(&alpha) {
        return Err(params_err(9, format!("alpha {alpha} outside 1 ..= 4")));
    }
    if !(1.0..=64.0).contains(&beta) {
        return Err(params_err(13, format!("beta {beta} outside 1 ..= 64")));
    }
    Ok((
        d,
        Config {
            cubic: pred == 1,
            alpha,
            beta,
        },
    ))
}

/// The base step `D` of a parameter block.
///
/// # Errors
/// [`Error::Corrupt`] for a damaged block.
pub fn read_step(params: &[u8]) -> Result<f64> {
    read_params(params).map(|(d, _)| d)
}

/// Decodes to f64 values (before the rounding to f32 that [`decode`]
/// applies).
///
/// # Errors
/// [`Error::Corrupt`] for damaged parameters, a stream not consumed exactly
/// or values that are not finite.
pub fn decode_f64(params: &[u8], payload: &[u8], shape: &[usize]) -> Result<Vec<f64>> {
    let (d, c) = read_params(params)?;
    let n = shape
        .iter()
        .try_fold(1usize, |a, &v| a.checked_mul(v))
        .ok_or_else(|| payload_err(0, "element count overflows"))?;
    // Every element takes at least one coded bit's share: a stream this
    // short cannot hold this many (guards the allocation).
    if n / 8192 > payload.len() {
        return Err(payload_err(
            payload.len(),
            "payload too short for the shape",
        ));
    }
    let mut dec = Decoder::new(payload);
    let mut m = IntModel::new(CONTEXTS);
    let mut mag = vec![0u32; n];
    let mut y = vec![0.0f64; n];
    let steps = step_table(shape, d, c);
    walk(shape, c.cubic, &mut y, |p, pred, l, near| {
        let k = m.get(&mut dec, context(&mag, l, near));
        mag[p] = k.unsigned_abs().min(u64::from(u32::MAX)) as u32;
        pred + k as f64 * steps[l as usize].0
    });
    if !dec.consumed_exactly() {
        return Err(payload_err(
            payload.len(),
            "arithmetic-coded stream does not end where the values do",
        ));
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(payload_err(
            0,
            format!("element {i} decodes to a non-finite value"),
        ));
    }
    Ok(y)
}

/// Decodes to f32 values.
///
/// # Errors
/// As [`decode_f64`].
pub fn decode(params: &[u8], payload: &[u8], shape: &[usize]) -> Result<Vec<f32>> {
    Ok(decode_f64(params, payload, shape)?
        .into_iter()
        .map(|v| v as f32)
        .collect())
}

#[cfg(test)]
mod tests;
