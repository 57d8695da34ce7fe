//! `quant` (id 5): error-bounded uniform quantiser with entropy-coded
//! integers.
//!
//! Parameters: `f64` step `D` (little-endian, finite, positive). Payload:
//! one integer stream ([`super::entropy`]) of `n` values `q[i]`; value `i` is
//! `(q[i] * D)` computed in f64 and rounded to f32.
//!
//! The encoder solves `D` from the relative Frobenius error bound `eps`:
//! a uniform quantiser leaves an RMS error near `D / sqrt(12)`, so it starts
//! from `D = eps * ||x|| * sqrt(12 / n)`, measures the error of the actual
//! reconstruction, and moves `D` (larger while the bound holds, smaller when
//! it does not) until the largest step found that meets the bound is within
//! 0.2 % of the smallest that fails.

use super::entropy::{self, StreamStats};
use super::{params_err, CodecId, Cursor, Encoded};
use crate::error::{Error, Result};

/// Largest quantised magnitude (keeps every value within the coder's range).
pub(crate) const MAX_Q: f64 = (1u64 << 46) as f64;

/// Quantises with a given step.
///
/// # Errors
/// [`Error::CodecUnsupported`] for a step that is not finite and positive,
/// or one so small that a value exceeds `2^46` steps.
pub fn encode_with_step(data: &[f32], step: f64) -> Result<(Encoded, StreamStats)> {
    let mut payload = Vec::new();
    let stats =
        encode_payload(data, step, &mut payload).ok_or_else(|| Error::CodecUnsupported {
            codec: "quant",
            detail: format!("step {step} out of range for these values"),
        })?;
    Ok((
        Encoded {
            codec: CodecId::Quant,
            params: step.to_le_bytes().to_vec(),
            payload,
        },
        stats,
    ))
}

/// Appends the integer stream of `data` quantised with `step` to `out`
/// (the integers computed as the coder needs them, never stored); `None`,
/// with nothing appended, when a value is out of range or the step is not
/// finite and positive.
pub(crate) fn encode_payload(data: &[f32], step: f64, out: &mut Vec<u8>) -> Option<StreamStats> {
    in_range(data, step).then(|| {
        let inv = 1.0 / step;
        entropy::encode_by(data.len(), |i| quantised(data[i], inv), out)
    })
}

/// Whether every `x / step` lies within the quantiser's range.
fn in_range(data: &[f32], step: f64) -> bool {
    if !(step.is_finite() && step > 0.0) {
        return false;
    }
    let inv = 1.0 / step;
    data.iter().fold(true, |ok, &x| {
        ok & ((f64::from(x) * inv).abs() < MAX_Q + 0.5)
    })
}

/// Quantises with the largest step whose reconstruction has relative
/// Frobenius error at most `max_error`.
///
/// # Errors
/// [`Error::CodecUnsupported`] when no step meets the bound (values beyond
/// the quantiser's range) or `max_error` is not positive.
pub fn encode(data: &[f32], max_error: f64) -> Result<(Encoded, StreamStats)> {
    let norm = norm(data);
    let step = solve_step(norm, data.len(), max_error, |step| {
        match quantise(data, step) {
            Some(q) => error_of(data, &q, step, norm),
            None => f64::INFINITY,
        }
    })
    .ok_or_else(|| Error::CodecUnsupported {
        codec: "quant",
        detail: format!("no step meets relative error {max_error}"),
    })?;
    encode_with_step(data, step)
}

/// Elements per sample piece and pieces in the sample
/// [`solve_step_fast`] first solves on.
const SAMPLE_PIECE: usize = 1024;
const SAMPLE_PIECES: usize = 64;
/// Elements per piece of the parallel error sums (fixed, so the sums and
/// the step found are the same for any thread count).
const SUM_CHUNK: usize = 1 << 16;

/// The step [`encode`] would find, found faster on large tensors: solved
/// on a sample of evenly spaced pieces first, scaled to the whole tensor's
/// RMS, then refined with a few passes over the whole tensor that only sum
/// errors (in parallel, in fixed pieces: the result does not depend on the
/// thread count). The step returned meets `max_error` on the whole tensor
/// and lies within about 0.2 % of the largest that does.
///
/// `guess`, a step expected to be close (from an estimate on another
/// sample), replaces the solve on the sample.
pub fn solve_step_fast(data: &[f32], max_error: f64, guess: Option<f64>) -> Option<f64> {
    let n = data.len();
    let full_norm = norm_par(data);
    if n <= 2 * SAMPLE_PIECE * SAMPLE_PIECES {
        return solve_step_par(data, full_norm, max_error, None);
    }
    if guess.is_some_and(|g| g.is_finite() && g > 0.0) {
        return solve_step_par(data, full_norm, max_error, guess);
    }
    let mut sample = Vec::with_capacity(SAMPLE_PIECE * SAMPLE_PIECES);
    for k in 0..SAMPLE_PIECES {
        let at = (n - SAMPLE_PIECE) * k / (SAMPLE_PIECES - 1);
        sample.extend_from_slice(&data[at..at + SAMPLE_PIECE]);
    }
    let s_norm = norm(&sample);
    let s_err = |step: f64| match quantise(&sample, step) {
        Some(q) => error_of(&sample, &q, step, s_norm),
        None => f64::INFINITY,
    };
    let rms = |norm: f64, n: usize| norm / (n as f64).sqrt();
    let guess = solve_step(s_norm, sample.len(), max_error, s_err)
        .filter(|_| s_norm > 0.0)
        .map(|s| s * rms(full_norm, n) / rms(s_norm, sample.len()));
    solve_step_par(data, full_norm, max_error, guess)
}

/// The largest step (to about 0.2 %) whose quantisation of `data` has a
/// squared-error sum of at most `(max_error * norm)^2`, measured in
/// parallel in fixed pieces (the same for any thread count): refined from
/// `guess` when there is one, else solved from the uniform quantiser's
/// step. `norm` is the norm the error is relative to (a transform codec
/// passes its values' norm with their coefficients). `None` if no step
/// tried meets it.
pub(crate) fn solve_step_par(
    data: &[f32],
    norm: f64,
    max_error: f64,
    guess: Option<f64>,
) -> Option<f64> {
    let err = |step: f64| error_par(data, step, norm);
    let from_guess = guess
        .filter(|g| g.is_finite() && *g > 0.0)
        .and_then(|g| refine(g, max_error, err));
    from_guess.or_else(|| solve_step(norm, data.len(), max_error, err))
}

/// From `step`, the largest step (to about 0.2 %) whose `err` meets
/// `max_error`, in at most 8 evaluations; `None` if none tried meets it.
fn refine(mut step: f64, max_error: f64, full: impl Fn(f64) -> f64) -> Option<f64> {
    let (mut lo, mut hi): (Option<(f64, f64)>, Option<f64>) = (None, None);
    for _ in 0..8 {
        let e = full(step);
        if e <= max_error {
            if lo.is_none_or(|(l, _)| step > l) {
                lo = Some((step, e));
            }
            if e >= max_error * (1.0 - 2e-3) {
                break;
            }
        } else if hi.is_none_or(|h| step < h) {
            hi = Some(step);
        }
        if let (Some((l, _)), Some(h)) = (lo, hi) {
            if h / l < 1.002 {
                break;
            }
        }
        let next = if e > 0.0 && e.is_finite() {
            step * max_error / e * (1.0 - 5e-4)
        } else if e == 0.0 {
            step * 4.0
        } else {
            step * 0.5
        };
        step = match (lo, hi) {
            (Some((l, _)), Some(h)) => next.clamp(l * 1.0005, h / 1.0005),
            _ => next,
        };
    }
    lo.map(|(l, _)| l)
}

/// From `guess`, a step solved elsewhere (on a sample), the step expected
/// to meet `max_error` on the whole of `data` just inside: one parallel
/// pass measures the error at `guess` and scales the step by the excess or
/// shortfall (for steps well below the values' spread the error is
/// proportional to the step). `None` when the pass says nothing (an error
/// of zero or infinity). The caller checks the real error.
///
/// `norm` is the norm of `data`.
pub fn correct_step(data: &[f32], norm: f64, max_error: f64, guess: f64) -> Option<f64> {
    let e = error_par(data, guess, norm);
    (e.is_finite() && e > 0.0 && max_error > 0.0).then(|| guess * max_error / e * (1.0 - 3e-4))
}

/// What the quantiser is expected to cost on `sample` at `max_error`
/// (relative L2 when `step` is `None`, else that fixed step): the step and
/// the order-0 entropy of the quantised integers in bits per value. The
/// step is found in three measurements (not to 0.2 %): an estimate only.
pub fn estimate(sample: &[f32], max_error: f64, step: Option<f64>) -> Option<(f64, f64)> {
    let n = sample.len();
    let x_norm = norm(sample);
    let err = |d: f64| match quantise(sample, d) {
        Some(q) => error_of(sample, &q, d, x_norm),
        None => f64::INFINITY,
    };
    let step = step.unwrap_or_else(|| estimated_step(x_norm, n, max_error, err));
    let mut q = quantise(sample, step)?;
    // Run lengths of equal integers in ascending order: counted when the
    // range is small, else sorted.
    let (lo, hi) = (q.iter().min(), q.iter().max());
    let runs: Vec<usize> = match (lo, hi) {
        (Some(&lo), Some(&hi)) if hi.abs_diff(lo) < 1 << 20 => {
            let mut counts = vec![0usize; (hi - lo) as usize + 1];
            for &v in &q {
                counts[(v - lo) as usize] += 1;
            }
            counts.retain(|&c| c > 0);
            counts
        }
        _ => {
            q.sort_unstable();
            q.chunk_by(|a, b| a == b).map(<[i64]>::len).collect()
        }
    };
    let mut bits = 0.0f64;
    for j in runs {
        let p = j as f64 / n as f64;
        bits -= j as f64 * p.log2();
    }
    Some((step, bits / n.max(1) as f64))
}

/// The step of three measurements `err(step)` (relative errors) from the
/// uniform quantiser's: each scales the step by the shortfall or excess
/// (1 for a zero norm).
fn estimated_step(norm: f64, n: usize, max_error: f64, err: impl Fn(f64) -> f64) -> f64 {
    if norm == 0.0 {
        return 1.0;
    }
    let mut d = max_error * norm * (12.0 / n.max(1) as f64).sqrt();
    for _ in 0..3 {
        let e = err(d);
        if !(e.is_finite() && e > 0.0) {
            break;
        }
        d *= max_error / e;
    }
    d
}

/// The estimated bytes of [`encode_payload`]'s stream for `data` at
/// `step` (its coder's own size estimate: one pass, no coding); `None`
/// when a value is out of range at that step.
pub(crate) fn payload_size(data: &[f32], step: f64) -> Option<u64> {
    in_range(data, step).then(|| {
        let inv = 1.0 / step;
        entropy::size_by(data.len(), |i| quantised(data[i], inv))
    })
}

/// [`norm`] in fixed pieces, in parallel.
pub(crate) fn norm_par(data: &[f32]) -> f64 {
    use rayon::prelude::*;
    let parts: Vec<f64> = data
        .par_chunks(SUM_CHUNK)
        .map(|c| c.iter().map(|&x| f64::from(x) * f64::from(x)).sum())
        .collect();
    parts.iter().sum::<f64>().sqrt()
}

/// The relative error of quantising `data` with `step` (infinity when a
/// value is out of range), in fixed pieces, in parallel.
fn error_par(data: &[f32], step: f64, norm: f64) -> f64 {
    use rayon::prelude::*;
    if !(step.is_finite() && step > 0.0) {
        return f64::INFINITY;
    }
    let parts: Vec<f64> = data
        .par_chunks(SUM_CHUNK)
        .map(|c| {
            let l = Lanes::run(c, step, |_, _, _| {});
            if l.ok() {
                l.diff2.iter().sum()
            } else {
                f64::INFINITY
            }
        })
        .collect();
    rel_from_sum(parts.iter().sum(), norm)
}

/// `1.5 * 2^52`: adding it to an f64 of magnitude below `2^51` rounds it
/// to an integer (to nearest, ties to even), whose value is then the
/// difference of the sum's bits and this constant's. Plain arithmetic, so
/// the loops below are vectorised.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `v` rounded to an integer, as an f64 and as the integer (`|v| < 2^51`).
#[inline(always)]
fn round_fast(v: f64) -> (f64, i64) {
    let t = v + ROUND;
    (
        t - ROUND,
        (t.to_bits() as i64).wrapping_sub(ROUND.to_bits() as i64),
    )
}

/// Integers `round(x / step)` (to nearest, ties to even), or `None` if one
/// exceeds `2^46`.
pub(crate) fn quantise(data: &[f32], step: f64) -> Option<Vec<i64>> {
    if !(step.is_finite() && step > 0.0) {
        return None;
    }
    let inv = 1.0 / step;
    let mut out = vec![0i64; data.len()];
    let mut ok = true;
    for (o, &x) in out.iter_mut().zip(data) {
        let v = f64::from(x) * inv;
        ok &= v.abs() < MAX_Q + 0.5;
        *o = round_fast(v).1;
    }
    ok.then_some(out)
}

/// One value quantised: its integer, the difference between it and the
/// decoder's value, and whether it is in range.
#[inline(always)]
fn quant_lane(x: f64, inv: f64, step: f64) -> (i64, f64, bool) {
    let v = x * inv;
    let (r, q) = round_fast(v);
    // `r` is `q` exactly, so this is the decoder's value.
    (q, x - f64::from((r * step) as f32), v.abs() < MAX_Q + 0.5)
}

/// Sums of four lanes, kept in registers by the loops below.
#[derive(Default)]
struct Lanes {
    diff2: [f64; 4],
    norm2: [f64; 4],
    max_abs: [f64; 4],
    ok: [bool; 4],
}

impl Lanes {
    /// Quantises four values into `q` and adds them to the sums.
    #[inline(always)]
    fn add(&mut self, x: &[f32; 4], q: &mut [i64; 4], inv: f64, step: f64) {
        for k in 0..4 {
            let xk = f64::from(x[k]);
            let (qk, d, ok) = quant_lane(xk, inv, step);
            q[k] = qk;
            self.diff2[k] += d * d;
            self.norm2[k] += xk * xk;
            self.max_abs[k] = self.max_abs[k].max(d.abs());
            self.ok[k] &= ok;
        }
    }

    /// Runs [`Lanes::add`] over `data`, four values at a time, handing
    /// each four integers to `sink(first index, integers, how many are
    /// real)`; the tail is padded with zeros, which add nothing.
    #[inline(always)]
    fn run(data: &[f32], step: f64, mut sink: impl FnMut(usize, &[i64; 4], usize)) -> Lanes {
        let inv = 1.0 / step;
        let mut l = Lanes {
            ok: [true; 4],
            ..Lanes::default()
        };
        let mut q = [0i64; 4];
        let mut x4 = data.chunks_exact(4);
        for (i, x) in (&mut x4).enumerate() {
            l.add(x.try_into().expect("four"), &mut q, inv, step);
            sink(4 * i, &q, 4);
        }
        let x = x4.remainder();
        let mut xt = [0.0f32; 4];
        xt[..x.len()].copy_from_slice(x);
        l.add(&xt, &mut q, inv, step);
        sink(data.len() - x.len(), &q, x.len());
        l
    }

    fn ok(&self) -> bool {
        self.ok.iter().all(|&b| b)
    }

    /// The four lanes' sums merged, for `n` values.
    fn sums(&self, n: usize) -> crate::store::error_mode::ErrorSums {
        crate::store::error_mode::ErrorSums {
            n: n as u64,
            diff2: self.diff2.iter().sum(),
            norm2: self.norm2.iter().sum(),
            max_abs: self.max_abs.iter().fold(0.0, |m: f64, &a| m.max(a)),
        }
    }
}

/// [`quantise`] of f32 originals together with the error sums of the
/// reconstruction (what [`error_mode::sums`](crate::store::error_mode::sums)
/// gives for the decoded values against `data` as F32), in one pass and
/// without the reconstruction itself. The sums are added in four lanes
/// (the same order for any thread count).
#[cfg(test)]
pub(crate) fn quantise_with_sums(
    data: &[f32],
    step: f64,
) -> Option<(Vec<i64>, crate::store::error_mode::ErrorSums)> {
    if !(step.is_finite() && step > 0.0) {
        return None;
    }
    let mut out = vec![0i64; data.len()];
    let l = Lanes::run(data, step, |i, q, k| out[i..i + k].copy_from_slice(&q[..k]));
    let sums = l.sums(data.len());
    l.ok().then_some((out, sums))
}

/// The error sums of [`quantise_with_sums`] without the integers, `None`
/// when a value is out of range; with [`quantised`] the integers follow
/// one at a time.
pub(crate) fn sums_of(data: &[f32], step: f64) -> Option<crate::store::error_mode::ErrorSums> {
    if !(step.is_finite() && step > 0.0) {
        return None;
    }
    let l = Lanes::run(data, step, |_, _, _| {});
    l.ok().then(|| l.sums(data.len()))
}

/// `round(x / step)` as [`quantise`] computes it (for `x / step` in
/// range), given `inv = 1 / step`.
#[inline(always)]
pub(crate) fn quantised(x: f32, inv: f64) -> i64 {
    round_fast(f64::from(x) * inv).1
}

/// The value `q * step` rounded to f32, as the decoder computes it.
#[inline]
pub(crate) fn dequantise(q: i64, step: f64) -> f32 {
    (q as f64 * step) as f32
}

pub(crate) fn norm(data: &[f32]) -> f64 {
    data.iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt()
}

fn error_of(data: &[f32], q: &[i64], step: f64, norm: f64) -> f64 {
    let num: f64 = data
        .iter()
        .zip(q)
        .map(|(&x, &q)| {
            let d = f64::from(x) - f64::from(dequantise(q, step));
            d * d
        })
        .sum();
    rel_from_sum(num, norm)
}

/// `sqrt(num) / norm`: a relative error from a sum of squared differences
/// (0 or infinity for a zero norm).
pub(crate) fn rel_from_sum(num: f64, norm: f64) -> f64 {
    if norm == 0.0 {
        return if num == 0.0 { 0.0 } else { f64::INFINITY };
    }
    num.sqrt() / norm
}

/// Finds the largest step (to 0.2 %) with `err(step) <= eps`, starting from
/// the uniform-quantiser estimate. `None` if no step tried meets it.
pub(crate) fn solve_step(
    norm: f64,
    n: usize,
    eps: f64,
    mut err: impl FnMut(f64) -> f64,
) -> Option<f64> {
    if eps.is_nan() || eps <= 0.0 || n == 0 {
        return None;
    }
    if norm == 0.0 {
        return Some(1.0);
    }
    let mut step = eps * norm * (12.0 / n as f64).sqrt();
    let (mut lo, mut hi): (Option<f64>, Option<f64>) = (None, None);
    for _ in 0..40 {
        let e = err(step);
        if e <= eps {
            lo = Some(lo.map_or(step, |l: f64| l.max(step)));
        } else {
            hi = Some(hi.map_or(step, |h: f64| h.min(step)));
        }
        step = match (lo, hi) {
            (Some(l), Some(h)) => {
                if h / l < 1.002 {
                    break;
                }
                // Secant in log space when the error is informative, else bisect.
                let mid = (l * h).sqrt();
                if e > 0.0 && e.is_finite() {
                    (step * eps / e)
                        .clamp(l * 1.0005, h / 1.0005)
                        .min(mid * 1.5)
                        .max(mid / 1.5)
                } else {
                    mid
                }
            }
            (Some(l), None) => {
                if e == 0.0 {
                    l * 4.0
                } else {
                    l * (eps / e).clamp(1.003, 4.0)
                }
            }
            (None, Some(h)) => {
                if e.is_finite() {
                    h * (eps / e * 0.999).clamp(0.05, 0.997)
                } else {
                    h * 0.5
                }
            }
            (None, None) => unreachable!(),
        };
        if step < f64::MIN_POSITIVE * 1e10 {
            break;
        }
    }
    lo
}

/// Dequantises.
pub fn decode(params: &[u8], payload: &[u8], n: usize) -> Result<Vec<f32>> {
    let step = read_step(params)?;
    let mut c = Cursor::payload(payload);
    let mut out = Vec::new();
    entropy::decode_map(&mut c, n, &mut out, |q| dequantise(q, step))?;
    c.finish("integer stream")?;
    Ok(out)
}

pub(crate) fn read_step(params: &[u8]) -> Result<f64> {
    let mut c = Cursor::params(params);
    let step = c.f64("step")?;
    c.finish("step")?;
    if !(step.is_finite() && step > 0.0) {
        return Err(params_err(
            0,
            format!("step {step} is not finite and positive"),
        ));
    }
    Ok(step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{relative_error, test_data::gaussian};

    #[test]
    fn bound_holds_tightly_across_targets() {
        let x = gaussian(50_000, 7);
        for eps in [1e-4, 1e-3, 1e-2, 5e-2, 0.3] {
            let (e, _) = encode(&x, eps).unwrap();
            let y = decode(&e.params, &e.payload, x.len()).unwrap();
            let err = relative_error(&x, &y);
            assert!(err <= eps, "{eps}: {err}");
            assert!(err > 0.97 * eps, "{eps}: bound not tight, {err}");
        }
    }

    #[test]
    fn beats_int8_on_gaussian_at_one_percent() {
        let x = gaussian(256 * 1024, 8);
        let (e, stats) = encode(&x, 0.01).unwrap();
        let bits = 8.0 * e.payload.len() as f64 / x.len() as f64;
        // INT8 per row of 1024 is 8.016 bits per value.
        assert!(bits < 7.2, "{bits} bits/value");
        let h = stats.entropy_bits / x.len() as f64;
        assert!(bits < h + 0.02, "{bits} vs entropy {h}");
    }

    #[test]
    fn fused_sums_match_the_decoded_values() {
        use crate::store::error_mode;
        for n in [0usize, 1, 3, 4, 5, 1001] {
            let x: Vec<f32> = gaussian(n, 9).iter().map(|v| v * 1e3).collect();
            let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
            for step in [1e-3, 0.7, 400.0] {
                let (q, sums) = quantise_with_sums(&x, step).unwrap();
                assert_eq!(q, quantise(&x, step).unwrap(), "{n} {step}");
                assert_eq!(Some(sums), sums_of(&x, step), "{n} {step}");
                // The stream coded from integers computed on the fly is
                // the one coded from the stored integers.
                let (mut a, mut b) = (Vec::new(), Vec::new());
                entropy::encode(&q, &mut a);
                encode_payload(&x, step, &mut b).unwrap();
                assert_eq!(a, b, "{n} {step}");
                let back: Vec<f32> = q.iter().map(|&q| dequantise(q, step)).collect();
                let want = error_mode::sums(safetensors::Dtype::F32, &bytes, &back);
                assert_eq!(sums.n, want.n);
                assert_eq!(sums.max_abs, want.max_abs, "{n} {step}");
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
                assert!(close(sums.diff2, want.diff2), "{n} {step}");
                assert!(close(sums.norm2, want.norm2), "{n} {step}");
                // Rounding to nearest: never more than half a step off,
                // plus the f32 rounding of the value.
                let top = x.iter().fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
                assert!(sums.max_abs <= step / 2.0 * (1.0 + 1e-9) + top * 2f64.powi(-24));
            }
        }
        // Out of range (2^46 steps) and non-finite values are refused.
        assert!(quantise_with_sums(&[1e30, 0.0], 1e-3).is_none());
        assert!(quantise_with_sums(&[0.0, f32::NAN, 1.0, 2.0, 3.0], 1.0).is_none());
        assert!(quantise(&[f32::INFINITY], 1.0).is_none());
        assert!(sums_of(&[1e30, 0.0], 1e-3).is_none());
        let mut out = Vec::new();
        assert!(encode_payload(&[0.0, f32::NAN], 1.0, &mut out).is_none());
        assert!(encode_payload(&[1.0], f64::NAN, &mut out).is_none());
        assert!(out.is_empty());
        assert!(quantise_with_sums(&[1.0], 0.0).is_none());
    }

    #[test]
    fn zeros_constants_and_bad_params() {
        let (e, _) = encode(&[0.0; 100], 0.01).unwrap();
        assert_eq!(decode(&e.params, &e.payload, 100).unwrap(), vec![0.0; 100]);
        let (e, _) = encode(&[3.5; 1000], 0.01).unwrap();
        let y = decode(&e.params, &e.payload, 1000).unwrap();
        assert!(relative_error(&[3.5; 1000], &y) <= 0.01);
        assert!(decode(&(-1.0f64).to_le_bytes(), &e.payload, 1000).is_err());
        assert!(decode(&f64::NAN.to_le_bytes(), &e.payload, 1000).is_err());
        assert!(decode(&[0; 7], &e.payload, 1000).is_err());
        assert!(decode(&e.params, &e.payload, 1001).is_err());
        assert!(encode(&[1.0], 0.0).is_err());
    }
}
