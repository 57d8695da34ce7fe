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
//! (a scalar counts as shape `[1]`). With the reversed order (flag bit 4)
//! the axes of each level go last first (`d = nd - 1, ..., 0`), and
//! "before" and "after" swap: the axes after `d` are at multiples of `s`,
//! those before it at multiples of `2s`. The pass across an edge then
//! visits a quarter of the level's elements (in 2-D) instead of half.
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
//! `a(-1)`. The one-sided cubic (predictor 2: flag bits 0 and 5) differs
//! from the cubic only where all of `a(-3), a(-1), a(1), a(3)` exist: with
//! `L = |a(-3) - 2 a(-1) + a(1)|` and `R = |a(-1) - 2 a(1) + a(3)|`, it is
//! `(-a(-3) + 6 a(-1) + 3 a(1)) / 8` when `R > 3 L`, else
//! `(3 a(-1) + 6 a(1) - a(3)) / 8` when `L > 3 R`, else the full cubic
//! (an edge on one side leaves the prediction alone, as ENO schemes do).
//! Arithmetic is f64 in exactly this order. The values `a(k)`
//! are the reconstructions `y` in f64, or, in payloads with the f32 flag,
//! `y` rounded to f32 (what is output), read as f64.
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
//! [`super::arith::IntModel`] (first form) or with the model of
//! `interp/symbols.rs` (second form: a zero flag, then one 32-symbol
//! decision of sign and magnitude class, escapes for magnitudes of 32 or
//! more; its module documentation specifies it) in context
//! `(c * 7 + a) * 3 + b`: `c` is
//! `min(l - 1, 2)` (2 for the origin), `a` is
//! [`super::arith::bucket`]`(|q| at i - 2s along d + |q| of the element
//! one pass step back along the last other axis that has more than one
//! coordinate in the pass)`, each counting 0 when outside the array, and
//! `b` is 0, 1 or 2 for `|q(-1)| + |q(1)|` (the integers of the two
//! interpolation neighbours; 0 outside) being 0, 1 ..= 2 or more.
//! Magnitudes over `u32::MAX` count as `u32::MAX`.
//!
//! Parameters (17 bytes): `u8` flags, `f64` step `D` (finite, > 0), `f32`
//! `alpha` (1 ..= 4), `f32` `beta` (1 ..= 64). Flags: bit 0 the predictor
//! (0 linear, 1 cubic); bit 1 the second form's integer coder; bit 2
//! (only with bit 1) predictions from f32 values; bit 3 (only with bit 1)
//! slabs; bit 4 (only with bit 1) the reversed axis order; bit 5 (only
//! with bits 0 and 1) the one-sided cubic; other bits 0. The first encoder
//! wrote 0 or 1 (first form); this one writes bit 1 always, bit 2 for f32
//! data, bit 3 for tensors it cuts into slabs and bits 4 and 5 where its
//! sub-block comparison chose them. Payload: one arithmetic-coded stream of the `n`
//! integers, consumed exactly.
//!
//! # Slabs
//!
//! With bit 3, a `u32` `R > 0` follows `beta` (21 bytes of parameters):
//! the tensor is cut along its first axis into `ceil(shape[0] / R)` slabs
//! of `R` indices (the last may be shorter; `interp/slabs.rs`). Each slab
//! is a tensor of its own for everything above (order, prediction,
//! contexts, a fresh model and its own stream, consumed exactly), with the
//! common step `D`. The payload is one `u64` byte length per slab, then
//! the streams in slab order, nothing after them.

use super::arith::{bucket, Decoder, Encoder, IntModel, BUCKETS};
use super::{params_err, payload_err, CodecId, Cursor, Encoded};
use crate::error::{Error, Result};

mod decode;
mod plan;
mod slabs;
mod solve;
mod symbols;
mod walk;
pub use decode::{decode, decode_f64, read_step};
pub use plan::{encode_planned_reconstructed, plan, Plan};
use slabs::Slabs;
use solve::{quantise_all, quantise_with, solve, Aim, Sink, AIM_FULL, AIM_SAMPLE};
use symbols::{SymbolCost, SymbolModel};
use walk::{step_table, walk, Near};

/// How reconstructed values are kept while predicting from them: f64 (the
/// first payload form, and f64 data) or f32 (f32 data in the second form).
pub trait Stored: Copy + Default + Send + Sync {
    /// The value in f64.
    fn load(self) -> f64;
    /// `v` as kept.
    fn store(v: f64) -> Self;
}

impl Stored for f32 {
    #[inline(always)]
    fn load(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn store(v: f64) -> Self {
        v as f32
    }
}

impl Stored for f64 {
    #[inline(always)]
    fn load(self) -> f64 {
        self
    }
    #[inline(always)]
    fn store(v: f64) -> Self {
        v
    }
}

/// A value the codec reads: f32 or f64, with the rounding its output gets.
pub trait Sample: Copy + Sync {
    /// How the encoder keeps reconstructions of this type (and what the
    /// decoder predicts from).
    type Store: Stored;
    /// The value in f64.
    fn to_f64(self) -> f64;
    /// `y` rounded as a reconstruction of this type is stored.
    fn round(y: f64) -> f64;
}

impl Sample for f32 {
    type Store = f32;
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
    type Store = f64;
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn round(y: f64) -> f64 {
        y
    }
}

/// Flag of the first parameter byte: the integers are coded with
/// [`symbols::SymbolModel`] (else [`IntModel`]).
const FLAG_SYMBOLS: u8 = 2;
/// Flag of the first parameter byte: predictions read the reconstructed
/// values rounded to f32 (only with [`FLAG_SYMBOLS`]).
const FLAG_F32: u8 = 4;
/// Flag of the first parameter byte: the tensor is cut into slabs
/// ([`slabs`]), a `u32` of rows per slab follows the parameters and the
/// payload starts with the slabs' stream lengths (only with
/// [`FLAG_SYMBOLS`]).
const FLAG_SLABS: u8 = 8;
/// Flag of the first parameter byte: each level's passes take the axes
/// last first (only with [`FLAG_SYMBOLS`]).
const FLAG_REVERSED: u8 = 16;
/// Flag of the first parameter byte: the cubic predictor falls back to a
/// one-sided quadratic ([`walk::ONE_SIDED`]; only with the cubic
/// predictor and [`FLAG_SYMBOLS`]).
const FLAG_ONE_SIDED: u8 = 32;

/// The payload form of an encoding: its coder and the precision that
/// predictions read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Form {
    symbols: bool,
    f32_values: bool,
    /// Rows per slab of a payload cut into slabs (else one stream).
    slab_rows: Option<usize>,
}

/// The form this encoder writes for data of type `T`.
fn form_of<T: Sample>() -> Form {
    Form {
        symbols: true,
        f32_values: std::mem::size_of::<T::Store>() == 4,
        slab_rows: None,
    }
}

/// Predictor and per-level step shape of one encoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Cubic (else linear) interpolation.
    pub cubic: bool,
    /// With `cubic`: a one-sided quadratic where one side's second
    /// difference is much larger (flag bit 5).
    pub one_sided: bool,
    /// The axes of each level in reverse order, the last first (flag bit 4).
    pub reversed: bool,
    /// Coarse-level step shrink per level.
    pub alpha: f32,
    /// Largest shrink.
    pub beta: f32,
}

/// The settings the encoder chooses from.
const CONFIGS: [Config; 5] = [
    Config {
        cubic: false,
        one_sided: false,
        reversed: false,
        alpha: 1.0,
        beta: 1.0,
    },
    Config {
        cubic: false,
        one_sided: false,
        reversed: false,
        alpha: 2.0,
        beta: 4.0,
    },
    Config {
        cubic: true,
        one_sided: false,
        reversed: false,
        alpha: 1.0,
        beta: 1.0,
    },
    Config {
        cubic: true,
        one_sided: false,
        reversed: false,
        alpha: 1.5,
        beta: 2.0,
    },
    Config {
        cubic: true,
        one_sided: false,
        reversed: false,
        alpha: 2.0,
        beta: 4.0,
    },
];

const CONTEXTS: usize = 3 * BUCKETS * 3;
/// Most elements of the sub-block used to choose the settings and to
/// estimate.
const SAMPLE: usize = 1 << 15;
/// Tensors up to this many elements are their own sub-block; larger ones
/// are sampled down to an eighth (at least this, at most [`SAMPLE`]).
const SAMPLE_WHOLE: usize = 1 << 13;

/// `round(v)` (ties to even) for `|v| <= 2^51`, without a library call.
#[inline(always)]
fn round_small(v: f64) -> f64 {
    const M: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    (v + M) - M
}

/// `|q|` clamped to 255: every context of [`context`] is the same as with
/// the full magnitudes (a sum over 16 falls in the last bucket either way).
#[inline(always)]
fn mag(q: i64) -> u8 {
    q.unsigned_abs().min(255) as u8
}

/// The context of an element from the clamped magnitudes `m` ([`mag`]) of
/// the integers coded before it.
#[inline(always)]
fn context(m: &[u8], l: u32, near: Near) -> usize {
    // A missing neighbour (`usize::MAX`) lies past the end of `m`: one
    // comparison per neighbour.
    let at = |p: usize| usize::from(m.get(p).copied().unwrap_or(0));
    let c = (l.saturating_sub(1) as usize).min(2);
    let a = usize::from(SUM_BUCKET[at(near.prev) + at(near.side)]);
    let b = usize::from(PAIR_CLASS[at(near.lo) + at(near.hi)]);
    (c * BUCKETS + a) * 3 + b
}

/// [`bucket`] of each sum of two clamped magnitudes.
const SUM_BUCKET: [u8; 511] = {
    let mut t = [0u8; 511];
    let mut s = 0;
    while s < t.len() {
        t[s] = bucket(s as u64) as u8;
        s += 1;
    }
    t
};

/// The class of the sum of the two magnitudes along the pass axis: 0, 1
/// or 2, and 3 or more.
const PAIR_CLASS: [u8; 511] = {
    let mut t = [2u8; 511];
    t[0] = 0;
    t[1] = 1;
    t[2] = 1;
    t
};

/// Quantises `data` in coding order with base step `d` and settings `c`
/// and codes each integer as it is found (with [`SymbolModel`]): the
/// stream, the reconstruction left in `y`; `None` when a residual is out
/// of range.
fn quantise_and_code<T: Sample>(
    data: &[T],
    shape: &[usize],
    c: Config,
    d: f64,
    y: &mut [T::Store],
) -> Option<Vec<u8>> {
    let code = Code {
        mags: vec![0u8; data.len()],
        model: SymbolModel::new(CONTEXTS),
        e: Encoder::new(),
    };
    let (_, code) = quantise_with(data, shape, c, d, y, code)?;
    Some(code.e.finish())
}

/// The [`Sink`] of [`quantise_and_code`]: codes each integer in its
/// [`context`], then keeps its clamped magnitude for the contexts of the
/// integers after it.
struct Code {
    mags: Vec<u8>,
    model: SymbolModel,
    e: Encoder,
}

impl Sink for Code {
    const SUM: bool = false;
    #[inline(always)]
    fn take(&mut self, p: usize, k: f64, l: u32, near: Near) {
        // SAFETY: `k` is an integer of magnitude at most `MAX_Q` (2^46):
        // the quantiser returns no other (out-of-range residuals stop the
        // pass), so it converts exactly.
        let q = unsafe { k.to_int_unchecked::<i64>() };
        self.model.put(&mut self.e, context(&self.mags, l, near), q);
        self.mags[p] = mag(q);
    }
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
    let mut y = vec![T::Store::default(); data.len()];
    pack(data, shape, d, c, &mut y, Slabs::whole(shape))
}

/// The encoding of `data` quantised with base step `d` and settings `c`
/// (in the second payload form), cut as `slabs`, its reconstruction left
/// in `y`.
fn pack<T: Sample>(
    data: &[T],
    shape: &[usize],
    d: f64,
    c: Config,
    y: &mut [T::Store],
    slabs: Slabs,
) -> Result<Encoded> {
    let out_of_range = || unsupported(format!("step {d} out of range for these values"));
    let payload = if slabs.count() == 1 {
        quantise_and_code(data, shape, c, d, y).ok_or_else(out_of_range)?
    } else {
        let items: Vec<_> = slabs
            .parts(data)
            .into_iter()
            .zip(slabs.parts_mut(y))
            .collect();
        let streams = slabs.map(shape, items, |_, shape, (data, y)| {
            quantise_and_code(data, shape, c, d, y)
        });
        let streams: Vec<Vec<u8>> = streams
            .into_iter()
            .collect::<Option<_>>()
            .ok_or_else(out_of_range)?;
        slabs::join(streams)
    };
    let form = form_of::<T>();
    let mut flags = u8::from(c.cubic) | FLAG_SYMBOLS;
    if c.one_sided {
        flags |= FLAG_ONE_SIDED;
    }
    if c.reversed {
        flags |= FLAG_REVERSED;
    }
    if form.f32_values {
        flags |= FLAG_F32;
    }
    if slabs.count() > 1 {
        flags |= FLAG_SLABS;
    }
    let mut params = vec![flags];
    params.extend_from_slice(&d.to_le_bytes());
    params.extend_from_slice(&c.alpha.to_le_bytes());
    params.extend_from_slice(&c.beta.to_le_bytes());
    if slabs.count() > 1 {
        let rows = u32::try_from(slabs.rows())
            .map_err(|_| unsupported(format!("{} rows per slab", slabs.rows())))?;
        params.extend_from_slice(&rows.to_le_bytes());
    }
    Ok(Encoded {
        codec: CodecId::Interp,
        params,
        payload,
    })
}

/// A centred sub-block (halving the longest axis until it holds at most
/// an eighth of the elements, and at most [`SAMPLE`]; the whole tensor
/// when it is small), with its shape.
fn sample<T: Sample>(data: &[T], shape: &[usize]) -> (Vec<T>, Vec<usize>) {
    let mut b = shape.to_vec();
    let n = data.len();
    let limit = if n <= SAMPLE_WHOLE {
        n
    } else {
        (n / 8).clamp(SAMPLE_WHOLE, SAMPLE)
    };
    while b.iter().product::<usize>() > limit {
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

/// The estimated bits of coding the integers `q` (at their positions),
/// scaled to a tensor `scale` times as large.
fn count_bits(q: &[i64], shape: &[usize], c: Config, scale: f64) -> f64 {
    let mags: Vec<u8> = q.iter().map(|&v| mag(v)).collect();
    let mut cost = SymbolCost::new(CONTEXTS);
    walk::<false, f64>(
        shape,
        c,
        &mut [],
        #[inline(always)]
        |p, _, l, near| {
            cost.put(context(&mags, l, near), q[p]);
            0.0
        },
    );
    cost.bits_scaled(scale)
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

/// The settings that code a sub-block smallest, by the coder's cost
/// counted on the integers (no coding), with that size scaled to the whole
/// tensor (bytes) and the sub-block's step (when the sub-block is the
/// whole tensor, the step of the whole). Tries cubic and linear prediction
/// with a middle step shape first, then the other shapes of the better
/// predictor while they help.
fn choose<T: Sample>(data: &[T], shape: &[usize], bound: Bound) -> Result<Chosen> {
    let (s, sshape) = sample(data, shape);
    let whole = s.len() == data.len();
    let sum = match bound {
        Bound::RelL2(eps) => rel_sum(data, eps) * s.len() as f64 / data.len().max(1) as f64,
        Bound::AbsMax(_) => 0.0,
    };
    let aim = if whole { AIM_FULL } else { AIM_SAMPLE };
    let scale = data.len() as f64 / s.len().max(1) as f64;
    let mut best: Option<(Config, f64, f64, Vec<i64>)> = None;
    let mut start = None;
    let mut ys = vec![T::Store::default(); s.len()];
    // The growth exponent of the error sum with the step that the best
    // setting's search measured (each search assumes 1.7 at first, about
    // what smooth fields show), for the search on the whole tensor.
    let mut power = 1.7f64;
    let mut trial = |c: Config, margin: f64, best: &mut Option<(Config, f64, f64, Vec<i64>)>| {
        let mut pw = 1.7f64;
        let Some((d, q)) = quantise_bound::<T, true>(
            &s,
            &sshape,
            c,
            bound,
            sum,
            start,
            aim,
            &mut pw,
            &mut ys,
            Slabs::whole(&sshape),
        ) else {
            return f64::INFINITY;
        };
        start = Some(d);
        let bits = count_bits(&q, &sshape, c, scale);
        if best.as_ref().is_none_or(|(_, b, _, _)| bits * margin < *b) {
            *best = Some((c, bits, d, q));
            power = pw;
        }
        bits
    };
    // Indices into CONFIGS: cubic 1.5/2, linear 2/4, cubic 2/4, cubic 1/1,
    // linear 1/1.
    let mid = trial(CONFIGS[3], 1.0, &mut best);
    let lin = trial(CONFIGS[1], 1.0, &mut best);
    if mid <= lin {
        if trial(CONFIGS[4], 1.0, &mut best) >= mid {
            trial(CONFIGS[2], 1.0, &mut best);
        }
    } else {
        trial(CONFIGS[0], 1.0, &mut best);
    }
    // Then the axes in reverse order and the one-sided cubic (with the
    // best step shape so far), each kept where it saves 2 % on the
    // sub-block (less is within its noise).
    const MARGIN: f64 = 1.02;
    let axes = sshape.iter().filter(|&&n| n > 1).count();
    if let Some(c) = best.as_ref().map(|b| b.0).filter(|_| axes > 1) {
        trial(
            Config {
                reversed: true,
                ..c
            },
            MARGIN,
            &mut best,
        );
    }
    if let Some(c) = best.as_ref().map(|b| b.0) {
        trial(
            Config {
                cubic: true,
                one_sided: true,
                ..c
            },
            MARGIN,
            &mut best,
        );
    }
    let (c, bits, d, _) = best.ok_or_else(|| unsupported(format!("no setting meets {bound:?}")))?;
    Ok(Chosen {
        config: c,
        bytes: (bits / 8.0).ceil() as u64 + 5 + 17,
        step: d,
        power,
        whole,
    })
}

/// What [`choose`] found on the sub-block.
#[derive(Debug, Clone, PartialEq)]
struct Chosen {
    config: Config,
    /// Estimated stored bytes of the whole tensor.
    bytes: u64,
    /// The sub-block's base step.
    step: f64,
    /// The last measured growth exponent of the error sum with the step.
    power: f64,
    /// Whether the sub-block is the whole tensor (and `step` its step).
    whole: bool,
}

/// The step of `data` for settings `c` under `bound` and (`KEEP`) its
/// integers, else an empty vector (`target_sum` is the squared-error budget
/// scaled to this data; `start` a first step to try, `power` the growth
/// exponent of the error sum to assume; `y` the working reconstruction;
/// quantised slab by slab, cut as `slabs`); `None` when no step meets it.
#[allow(clippy::too_many_arguments)]
fn quantise_bound<T: Sample, const KEEP: bool>(
    data: &[T],
    shape: &[usize],
    c: Config,
    bound: Bound,
    target_sum: f64,
    start: Option<f64>,
    aim: Aim,
    power: &mut f64,
    y: &mut [T::Store],
    slabs: Slabs,
) -> Option<(f64, Vec<i64>)> {
    let d = match bound {
        Bound::AbsMax(b) => 2.0 * b,
        Bound::RelL2(_) if target_sum == 0.0 => 1.0,
        Bound::RelL2(_) => {
            return solve::<T, KEEP>(data, shape, c, target_sum, start, aim, power, y, slabs)
        }
    };
    if !KEEP {
        return Some((d, Vec::new()));
    }
    let mut q = vec![0i64; data.len()];
    quantise_all::<T, true>(data, shape, c, d, y, &mut q, slabs)?;
    Some((d, q))
}

/// Estimated stored bytes (parameters plus payload) of [`encode`] for
/// `bound`, from a centred sub-block (an eighth of the tensor, at most
/// 32768 elements; small tensors whole): per setting tried, a few
/// quantisation passes to solve the step and the coder's cost counted on
/// the integers, with no coding.
///
/// # Errors
/// As [`encode`].
pub fn estimate<T: Sample>(data: &[T], shape: &[usize], bound: Bound) -> Result<u64> {
    plan(data, shape, bound).map(|p| p.bytes())
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
    encode_with_values(data, shape, bound).map(|(e, _)| e)
}

/// [`encode`] with the reconstruction as the encoder keeps it (what the
/// decoder predicts from: for f32 data exactly what [`decode`] returns).
fn encode_with_values<T: Sample>(
    data: &[T],
    shape: &[usize],
    bound: Bound,
) -> Result<(Encoded, Vec<T::Store>)> {
    let p = plan(data, shape, bound)?;
    encode_chosen(data, shape, bound, p.chosen)
}

/// The encoding with the settings `chosen` on the sub-block, with its
/// reconstruction.
fn encode_chosen<T: Sample>(
    data: &[T],
    shape: &[usize],
    bound: Bound,
    chosen: Chosen,
) -> Result<(Encoded, Vec<T::Store>)> {
    let Chosen {
        config: c,
        step: d,
        mut power,
        whole,
        bytes,
    } = chosen;
    let slabs = Slabs::of(shape, bytes);
    let mut y = vec![T::Store::default(); data.len()];
    let d = if whole {
        d
    } else {
        let sum = match bound {
            Bound::RelL2(eps) => rel_sum(data, eps),
            Bound::AbsMax(_) => 0.0,
        };
        let (d, _) = quantise_bound::<T, false>(
            data,
            shape,
            c,
            bound,
            sum,
            Some(d),
            AIM_FULL,
            &mut power,
            &mut y,
            slabs,
        )
        .ok_or_else(|| unsupported(format!("no step meets {bound:?}")))?;
        d
    };
    let e = pack(data, shape, d, c, &mut y, slabs)?;
    Ok((e, y))
}

/// [`encode`] of f32 values with their reconstruction: what [`decode`]
/// returns for the encoding, bit for bit (the values the encoder's last
/// quantisation pass keeps; no decoding of the stream).
///
/// # Errors
/// As [`encode`].
pub fn encode_reconstructed(
    data: &[f32],
    shape: &[usize],
    bound: Bound,
) -> Result<(Encoded, Vec<f32>)> {
    encode_with_values(data, shape, bound)
}

#[cfg(test)]
mod tests;
