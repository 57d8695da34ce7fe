//! `lorenzo` (id 10): prediction and quantisation, as SZ does. Each value
//! of the tensor's 3-D view (as for `bdct`) is predicted from its already
//! reconstructed neighbours by the Lorenzo predictor (`a + b - c` in 2-D,
//! the 7-point form in 3-D, the previous value in 1-D; neighbours outside
//! the array are 0), the residual quantised with step `D`, and the integers
//! coded with the adaptive binary arithmetic coder ([`super::arith`]) in
//! context `bucket(|q_left| + |q_up|)`. The pointwise error is at most
//! `D / 2` before the final rounding to f32, which suits data with edges
//! and absolute bounds.
//!
//! Parameters: `f64` step `D` (finite, > 0). Payload: one arithmetic-coded
//! stream of the `n` integers in row-major order. Value: `y = p + q D` in
//! f64 (`p` the prediction from earlier `y`), written as `f32(y)`.

use super::arith::{bucket, Decoder, Encoder, IntCost, IntModel, BUCKETS};
use super::grid::view;
use super::quant::{norm, read_step, rel_from_sum, solve_step, MAX_Q};
use super::{payload_err, CodecId, Encoded};
use crate::error::{Error, Result};

#[inline]
fn predict(y: &[f64], v: [usize; 3], z: usize, r: usize, c: usize) -> f64 {
    let at = |dz: usize, dr: usize, dc: usize| -> f64 {
        if z < dz || r < dr || c < dc {
            0.0
        } else {
            y[((z - dz) * v[1] + r - dr) * v[2] + c - dc]
        }
    };
    at(0, 0, 1) + at(0, 1, 0) + at(1, 0, 0) - at(0, 1, 1) - at(1, 0, 1) - at(1, 1, 0) + at(1, 1, 1)
}

/// Quantised residuals and the reconstruction for step `d` (`None` when a
/// residual exceeds the quantiser's range).
fn run(data: &[f32], v: [usize; 3], d: f64) -> Option<(Vec<i64>, Vec<f64>)> {
    let inv = 1.0 / d;
    let mut y = vec![0.0f64; data.len()];
    let mut q = vec![0i64; data.len()];
    let mut i = 0;
    for z in 0..v[0] {
        for r in 0..v[1] {
            for c in 0..v[2] {
                let p = predict(&y, v, z, r, c);
                let k = ((f64::from(data[i]) - p) * inv).round();
                if k.abs() > MAX_Q {
                    return None;
                }
                q[i] = k as i64;
                y[i] = p + k * d;
                i += 1;
            }
        }
    }
    Some((q, y))
}

#[inline]
fn context(q: &[i64], v: [usize; 3], i: usize) -> usize {
    let c = i % v[2];
    let r = (i / v[2]) % v[1];
    let mut s = 0u64;
    if c > 0 {
        s += q[i - 1].unsigned_abs();
    }
    if r > 0 {
        s += q[i - v[2]].unsigned_abs();
    }
    bucket(s)
}

/// Encodes with step `d` (pointwise error at most `d / 2` before rounding
/// to f32).
///
/// # Errors
/// [`Error::CodecUnsupported`] for a step out of range for the values.
pub fn encode_with_step(data: &[f32], shape: &[usize], d: f64) -> Result<Encoded> {
    let v = view(shape);
    let unsupported = || Error::CodecUnsupported {
        codec: "lorenzo",
        detail: format!("step {d} out of range for these values"),
    };
    if !(d.is_finite() && d > 0.0) {
        return Err(unsupported());
    }
    let (q, _) = run(data, v, d).ok_or_else(unsupported)?;
    let mut e = Encoder::new();
    let mut m = IntModel::new(BUCKETS);
    for i in 0..q.len() {
        m.put(&mut e, context(&q, v, i), q[i]);
    }
    Ok(Encoded {
        codec: CodecId::Lorenzo,
        params: d.to_le_bytes().to_vec(),
        payload: e.finish(),
    })
}

/// Relative L2 error of the reconstruction `y` (rounded to f32 as it is
/// stored) of `data`, of norm `x_norm`.
fn error_of(data: &[f32], y: &[f64], x_norm: f64) -> f64 {
    let num: f64 = data
        .iter()
        .zip(y)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y as f32)).powi(2))
        .sum();
    rel_from_sum(num, x_norm)
}

/// Encodes with the largest step whose reconstruction has relative L2
/// error at most `max_error`.
///
/// # Errors
/// [`Error::CodecUnsupported`] when no step meets it.
pub fn encode(data: &[f32], shape: &[usize], max_error: f64) -> Result<Encoded> {
    let v = view(shape);
    let x_norm = norm(data);
    let step = solve_step(x_norm, data.len(), max_error, |d| match run(data, v, d) {
        Some((_, y)) => error_of(data, &y, x_norm),
        None => f64::INFINITY,
    })
    .ok_or_else(|| Error::CodecUnsupported {
        codec: "lorenzo",
        detail: format!("no step meets relative error {max_error}"),
    })?;
    encode_with_step(data, shape, step)
}

/// Reconstructions [`estimate`] runs at most to correct its step.
const ESTIMATE_RUNS: usize = 3;

/// The step and the stored bytes (parameters and payload) [`encode`] is
/// expected to take for `max_error` (relative L2), without solving the
/// step exactly or coding: the step is the uniform quantiser's guess
/// corrected by the measured error of the reconstruction (at most
/// three reconstructions, to about a per cent), the bytes the
/// arithmetic coder's cost model ([`IntCost`]) of its integers. With
/// `scale` the integers stand for a tensor `scale` times as large with the
/// same statistics (a block of it coded at its error per element). `None`
/// when no step tried keeps the residuals in the quantiser's range or the
/// bound is not positive.
pub fn estimate(data: &[f32], shape: &[usize], max_error: f64, scale: f64) -> Option<(f64, f64)> {
    if max_error.is_nan() || max_error <= 0.0 || data.is_empty() {
        return None;
    }
    let v = view(shape);
    let x_norm = norm(data);
    let mut d = if x_norm == 0.0 {
        1.0
    } else {
        max_error * x_norm * (12.0 / data.len() as f64).sqrt()
    };
    let mut q = None;
    for _ in 0..ESTIMATE_RUNS {
        let Some((k, y)) = run(data, v, d) else {
            d *= 4.0;
            continue;
        };
        let e = error_of(data, &y, x_norm);
        q = Some(k);
        if x_norm == 0.0 || !(e.is_finite() && e > 0.0) {
            break;
        }
        let r = (max_error / e).clamp(0.25, 4.0);
        if (r - 1.0).abs() < 0.01 {
            break;
        }
        // The integers at the corrected step need a new reconstruction.
        d *= r;
        q = None;
    }
    let q = match q {
        Some(q) => q,
        None => run(data, v, d)?.0,
    };
    let mut cost = IntCost::new(BUCKETS);
    for i in 0..q.len() {
        cost.put(context(&q, v, i), q[i]);
    }
    // The coder's stream ends with five bytes; the parameter is the step.
    Some((d, 8.0 + 5.0 + cost.bits_scaled(scale.max(1.0)) / 8.0))
}

/// Decodes.
///
/// # Errors
/// [`Error::Corrupt`] for damaged parameters or a stream not consumed
/// exactly.
pub fn decode(params: &[u8], payload: &[u8], shape: &[usize]) -> Result<Vec<f32>> {
    let d = read_step(params)?;
    let v = view(shape);
    let n = v[0] * v[1] * v[2];
    let mut dec = Decoder::new(payload);
    let mut m = IntModel::new(BUCKETS);
    let mut q = vec![0i64; n];
    let mut y = vec![0.0f64; n];
    let mut i = 0;
    for z in 0..v[0] {
        for r in 0..v[1] {
            for c in 0..v[2] {
                q[i] = m.get(&mut dec, context(&q, v, i));
                y[i] = predict(&y, v, z, r, c) + q[i] as f64 * d;
                i += 1;
            }
        }
    }
    if !dec.consumed_exactly() {
        return Err(payload_err(
            payload.len(),
            "arithmetic-coded stream does not end where the values do",
        ));
    }
    Ok(y.into_iter().map(|y| y as f32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{relative_error, test_data};

    #[test]
    fn pointwise_bound_and_relative_bound_hold() {
        // A field with an edge: a step across the middle.
        let (r, c) = (64, 80);
        let x: Vec<f32> = test_data::smooth(r, c)
            .iter()
            .enumerate()
            .map(|(i, v)| v + if i % c > c / 2 { 3.0 } else { 0.0 })
            .collect();
        for d in [1e-1, 1e-3] {
            let e = encode_with_step(&x, &[r, c], 2.0 * d).unwrap();
            let y = decode(&e.params, &e.payload, &[r, c]).unwrap();
            for (a, b) in x.iter().zip(&y) {
                assert!(
                    (f64::from(*a) - f64::from(*b)).abs() <= d * (1.0 + 1e-6) + 1e-6,
                    "{a} {b}"
                );
            }
        }
        for shape in [vec![r, c], vec![4, 16, 80], vec![r * c]] {
            let e = encode(&x, &shape, 1e-3).unwrap();
            let y = decode(&e.params, &e.payload, &shape).unwrap();
            assert!(relative_error(&x, &y) <= 1e-3);
            assert!(decode(&e.params, &e.payload[..e.payload.len() / 2], &shape).is_err());
        }
        assert!(encode_with_step(&x, &[r, c], 0.0).is_err());
    }

    /// The estimate is within a fifth of the real size (and its step near
    /// the solved one) on seeded fields: 1-D to 3-D, prime sizes, a noisy
    /// field, scales 1e-30 and 1e30, at three bounds; one element and a
    /// constant are estimated too.
    #[test]
    fn estimate_is_near_the_real_size() {
        let noisy: Vec<f32> = test_data::smooth(61, 97)
            .iter()
            .zip(test_data::gaussian(61 * 97, 5))
            .map(|(s, g)| s + 0.05 * g)
            .collect();
        let mut fields = vec![
            (vec![200usize, 256], test_data::smooth(200, 256)),
            (vec![61, 97], noisy),
            (vec![4099], test_data::smooth(1, 4099)),
            (vec![31, 17, 13], test_data::smooth(31 * 17, 13)),
        ];
        for scale in [1e-30f32, 1e30] {
            let x = test_data::smooth(53, 47)
                .iter()
                .map(|v| v * scale)
                .collect();
            fields.push((vec![53, 47], x));
        }
        let mut misses = Vec::new();
        for (shape, x) in &fields {
            for bound in [1e-2, 1e-3, 1e-4] {
                let (d, est) = estimate(x, shape, bound, 1.0).unwrap();
                let real = encode(x, shape, bound).unwrap();
                let bytes = real.stored_bytes() as f64;
                // A stream of a few bytes is mostly the coder's overhead.
                if !(0.8..1.25).contains(&(est / bytes)) && (est - bytes).abs() > 8.0 {
                    misses.push(format!("{shape:?} {bound}: estimated {est} real {bytes}"));
                }
                let solved = read_step(&real.params).unwrap();
                if (d / solved - 1.0).abs() >= 0.05 {
                    misses.push(format!("{shape:?} {bound}: step {d} solved {solved}"));
                }
            }
        }
        assert!(misses.is_empty(), "{misses:#?}");
        for (shape, x) in [(vec![1usize], vec![0.7f32]), (vec![5, 3], vec![2.5; 15])] {
            let (_, est) = estimate(&x, &shape, 1e-3, 1.0).unwrap();
            let real = encode(&x, &shape, 1e-3).unwrap().stored_bytes() as f64;
            assert!(est > 0.0 && est <= real + 8.0, "{shape:?}: {est} vs {real}");
        }
        assert!(estimate(&[], &[0], 1e-3, 1.0).is_none());
        assert!(estimate(&[1.0], &[1], 0.0, 1.0).is_none());
    }
}
