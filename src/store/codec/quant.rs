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
    let q = quantise(data, step).ok_or_else(|| Error::CodecUnsupported {
        codec: "quant",
        detail: format!("step {step} out of range for these values"),
    })?;
    let mut payload = Vec::new();
    let stats = entropy::encode(&q, &mut payload);
    Ok((
        Encoded {
            codec: CodecId::Quant,
            params: step.to_le_bytes().to_vec(),
            payload,
        },
        stats,
    ))
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

/// Integers `round(x / step)`, or `None` if one exceeds `2^46`.
pub(crate) fn quantise(data: &[f32], step: f64) -> Option<Vec<i64>> {
    if !(step.is_finite() && step > 0.0) {
        return None;
    }
    let inv = 1.0 / step;
    data.iter()
        .map(|&x| {
            let q = (f64::from(x) * inv).round();
            (q.abs() <= MAX_Q).then_some(q as i64)
        })
        .collect()
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
    let q = entropy::decode(&mut c, n)?;
    c.finish("integer stream")?;
    Ok(q.into_iter().map(|q| dequantise(q, step)).collect())
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
