//! `dct-quant` (id 6): the [`super::quant`] quantiser applied to the
//! orthonormal DCT-II of the tensor over all of its axes (transform coding,
//! as JPEG and ZFP do).
//!
//! Parameters: `f64` step `D`. Payload: one integer stream of the `n`
//! quantised coefficients in row-major order of the tensor's shape.
//! Decoding multiplies by `D` (f64, rounded to f32) and applies the
//! orthonormal DCT-III (the inverse) over all axes. A tensor of zero
//! dimensions is treated as shape `[1]`.
//!
//! Because the transform is orthonormal, the coefficient error equals the
//! value error (Parseval): the step is solved on the coefficients, then the
//! bound is checked on the actual reconstruction and the step shrunk until
//! it holds. The encoder holds one transformed copy of the tensor (the
//! integers are quantised as the coder takes them, never stored) and the
//! check reconstructs from it in place (the decoder's values, bit for bit,
//! without decoding the stream).

use super::entropy::{self, StreamStats};
use super::quant::{dequantise, encode_payload, norm_par, quantised, read_step, solve_step_par};
use super::{inverse_err, CodecId, Cursor, Encoded};
use crate::backend::Context;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

fn dct_shape(shape: &[usize]) -> Vec<usize> {
    if shape.is_empty() {
        vec![1]
    } else {
        shape.to_vec()
    }
}

fn coefficients(ctx: &Context, data: &[f32], shape: &[usize]) -> Result<Vec<f32>> {
    let shape = dct_shape(shape);
    let mut t = Tensor::new(&shape, data.to_vec())?;
    let axes: Vec<usize> = (0..shape.len()).collect();
    ctx.dctn(&mut t, &axes)?;
    Ok(t.into_data())
}

fn inverse(ctx: &Context, coef: Vec<f32>, shape: &[usize]) -> Result<Vec<f32>> {
    let shape = dct_shape(shape);
    let mut t = Tensor::new(&shape, coef)?;
    let axes: Vec<usize> = (0..shape.len()).collect();
    ctx.idctn(&mut t, &axes)?;
    Ok(t.into_data())
}

/// Encodes with a given step.
///
/// # Errors
/// Shape errors from the DCT (zero-sized dimensions, more than 8 axes);
/// [`Error::CodecUnsupported`] for a step out of range.
pub fn encode_with_step(
    ctx: &Context,
    data: &[f32],
    shape: &[usize],
    step: f64,
) -> Result<(Encoded, StreamStats)> {
    let coef = coefficients(ctx, data, shape)?;
    finish(&coef, step)
}

fn finish(coef: &[f32], step: f64) -> Result<(Encoded, StreamStats)> {
    let mut payload = Vec::new();
    let stats =
        encode_payload(coef, step, &mut payload).ok_or_else(|| Error::CodecUnsupported {
            codec: "dct-quant",
            detail: format!("step {step} out of range for these coefficients"),
        })?;
    Ok((
        Encoded {
            codec: CodecId::DctQuant,
            params: step.to_le_bytes().to_vec(),
            payload,
        },
        stats,
    ))
}

/// What [`decode`] returns for the coefficients `coef` coded with `step`,
/// without decoding the stream: each coefficient quantised as the coder
/// takes it and dequantised as the decoder does (in place), then the same
/// inverse transform.
fn reconstruct(ctx: &Context, mut coef: Vec<f32>, step: f64, shape: &[usize]) -> Result<Vec<f32>> {
    use rayon::prelude::*;
    let inv = 1.0 / step;
    coef.par_iter_mut()
        .for_each(|c| *c = dequantise(quantised(*c, inv), step));
    inverse(ctx, coef, shape).map_err(|e| inverse_err("inverse DCT", e))
}

/// Encodes with the largest step whose reconstruction meets `max_error`.
///
/// # Errors
/// As [`encode_with_step`]; [`Error::CodecUnsupported`] when no step meets
/// the bound.
pub fn encode(
    ctx: &Context,
    data: &[f32],
    shape: &[usize],
    max_error: f64,
) -> Result<(Encoded, StreamStats)> {
    encode_measured(ctx, data, shape, max_error, |_| 0.0).map(|(e, s, _)| (e, s))
}

/// [`encode`], also returning `measure` of the reconstruction its check
/// decoded from the payload (what [`decode`] returns for it), so a caller
/// needs no second decode to measure it in its own terms.
///
/// # Errors
/// As [`encode`].
pub fn encode_measured(
    ctx: &Context,
    data: &[f32],
    shape: &[usize],
    max_error: f64,
    measure: impl Fn(&[f32]) -> f64,
) -> Result<(Encoded, StreamStats, f64)> {
    encode_measured_from(ctx, data, shape, max_error, None, measure)
}

/// [`encode_measured`], the step refined from `guess` (a step expected to
/// be close, such as an estimate's) instead of solved from scratch.
///
/// # Errors
/// As [`encode`].
pub fn encode_measured_from(
    ctx: &Context,
    data: &[f32],
    shape: &[usize],
    max_error: f64,
    mut guess: Option<f64>,
    measure: impl Fn(&[f32]) -> f64,
) -> Result<(Encoded, StreamStats, f64)> {
    let x_norm = norm_par(data);
    let unsupported = || Error::CodecUnsupported {
        codec: "dct-quant",
        detail: format!("no step meets relative error {max_error}"),
    };
    let mut target = max_error;
    let mut kept = Some(coefficients(ctx, data, shape)?);
    for _ in 0..8 {
        // Transformed again only after a check missed the bound.
        let coef = match kept.take() {
            Some(c) => c,
            None => coefficients(ctx, data, shape)?,
        };
        let step = solve_step_par(&coef, x_norm, target, guess).ok_or_else(unsupported)?;
        let (enc, stats) = finish(&coef, step)?;
        let back = reconstruct(ctx, coef, step, shape)?;
        let err = super::relative_error(data, &back);
        if err <= max_error {
            let m = measure(&back);
            return Ok((enc, stats, m));
        }
        // The transform's own rounding pushed it over: aim lower (from
        // about the step that missed, scaled alike).
        let lower = (max_error / err).min(0.995);
        target *= lower;
        guess = Some(step * lower);
    }
    Err(unsupported())
}

/// Decodes (`shape` gives the element count and the DCT axes).
///
/// # Errors
/// [`Error::Corrupt`] for damaged parameters or payload (`what` is
/// [`super::PARAMS`] or [`super::PAYLOAD`]); a DCT that refuses the stored
/// shape is reported the same way at offset 0; GPU failures (errors,
/// limits, budget) as they are.
pub fn decode(ctx: &Context, params: &[u8], payload: &[u8], shape: &[usize]) -> Result<Vec<f32>> {
    let step = read_step(params)?;
    let n: usize = shape.iter().product();
    let mut c = Cursor::payload(payload);
    let mut coef = Vec::new();
    entropy::decode_map(&mut c, n, &mut coef, |q| dequantise(q, step))?;
    c.finish("integer stream")?;
    inverse(ctx, coef, shape).map_err(|e| inverse_err("inverse DCT", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{relative_error, test_data};

    #[test]
    fn smooth_field_compresses_far_beyond_int8() {
        let ctx = Context::cpu();
        let (r, c) = (128, 96);
        let x = test_data::smooth(r, c);
        let (e, _) = encode(&ctx, &x, &[r, c], 0.01).unwrap();
        let y = decode(&ctx, &e.params, &e.payload, &[r, c]).unwrap();
        let err = relative_error(&x, &y);
        assert!(err <= 0.01, "{err}");
        let ratio = (4 * x.len()) as f64 / (e.payload.len() + e.params.len()) as f64;
        assert!(ratio > 100.0, "ratio {ratio}");
    }

    #[test]
    fn measured_reconstruction_is_the_decoders() {
        let ctx = Context::cpu();
        let mut fields = vec![
            (vec![40usize, 33], test_data::smooth(40, 33)),
            (vec![7, 5, 9], test_data::gaussian(7 * 5 * 9, 4)),
            (vec![1], vec![3.5]),
            (vec![4099], test_data::smooth(1, 4099)),
        ];
        for scale in [1e-30f32, 1e30] {
            let x = test_data::smooth(45, 38)
                .iter()
                .map(|v| v * scale)
                .collect();
            fields.push((vec![45, 38], x));
        }
        for (shape, x) in fields {
            for eps in [1e-1, 1e-3, 1e-5] {
                let seen = std::cell::RefCell::new(Vec::new());
                let (e, _, m) = encode_measured(&ctx, &x, &shape, eps, |y| {
                    seen.borrow_mut().push(y.to_vec());
                    relative_error(&x, y)
                })
                .unwrap();
                let y = decode(&ctx, &e.params, &e.payload, &shape).unwrap();
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&seen.borrow()[0]), bits(&y), "{shape:?} {eps}");
                assert_eq!(
                    m.to_bits(),
                    relative_error(&x, &y).to_bits(),
                    "{shape:?} {eps}"
                );
                assert!(m <= eps);
                let (plain, _) = encode(&ctx, &x, &shape, eps).unwrap();
                assert_eq!(plain, e);
                // From a guess (a step 30 % off): the bound still holds on
                // what the decoder returns.
                let guess = read_step(&e.params).unwrap() * 1.3;
                let (g, _, mg) = encode_measured_from(&ctx, &x, &shape, eps, Some(guess), |y| {
                    relative_error(&x, y)
                })
                .unwrap();
                let yg = decode(&ctx, &g.params, &g.payload, &shape).unwrap();
                assert_eq!(mg.to_bits(), relative_error(&x, &yg).to_bits());
                assert!(mg <= eps, "{shape:?} {eps}: {mg}");
            }
        }
    }

    #[test]
    fn bound_holds_on_noise_and_3d() {
        let ctx = Context::cpu();
        let x = test_data::gaussian(8 * 16 * 12, 9);
        for eps in [1e-3, 0.05] {
            let (e, _) = encode(&ctx, &x, &[8, 16, 12], eps).unwrap();
            let y = decode(&ctx, &e.params, &e.payload, &[8, 16, 12]).unwrap();
            assert!(relative_error(&x, &y) <= eps);
        }
        let (e, _) = encode(&ctx, &[2.0], &[], 0.01).unwrap();
        assert_eq!(decode(&ctx, &e.params, &e.payload, &[]).unwrap().len(), 1);
    }
}
