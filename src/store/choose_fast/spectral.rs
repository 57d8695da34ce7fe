//! Estimates of the whole-tensor transform codecs (`dct-quant`,
//! `sparse-dct`, `sparse-rfft`) from one transform of the tensor each, with
//! no coding: `dct-quant` by the quantiser's estimate on the DCT
//! coefficients (the transform is orthonormal, so their relative error is
//! the values') and the size of its integer stream at that step, the sparse codecs by the fewest coefficients whose
//! energy leaves at most the bound's share (found on a histogram of the
//! coefficients' energies by their leading bits), their stored value bytes
//! and the exact size of the positions codec on them.

use super::{target, Ranked};
use crate::backend::Context;
use crate::error::Result;
use crate::fft::Normalization;
use crate::sparse::positions::encoded_len;
use crate::store::auto::{Method, Request};
use crate::store::codec;
use crate::store::estimate::Estimate;
use crate::tensor::Tensor;

/// Histogram bins: an f64's exponent and its three leading mantissa bits
/// (a bin spans at most 2^(1/8) of energy).
const KEY_SHIFT: u32 = 49;
const BINS: usize = 1 << (64 - KEY_SHIFT);

/// Most kept positions listed to size their coding exactly (beyond, a
/// formula: the lists would be the largest thing here).
const EXACT_POSITIONS_MAX: u64 = 1 << 18;

/// Mean squared relative rounding of a value stored as f16 (uniform within
/// half a unit in the last of its 11 significant bits).
const F16_ROUNDING: f64 = 1.0 / (3.0 * (1u64 << 22) as f64);

fn dims(shape: &[usize]) -> Vec<usize> {
    if shape.is_empty() {
        vec![1]
    } else {
        shape.to_vec()
    }
}

/// The estimates of whichever of `dct-quant`, `sparse-dct` (`want[0]`,
/// `want[1]`: from one DCT) and `sparse-rfft` (`want[2]`) are wanted, for
/// `values` of norm `norm` under `req` (relative-L2 or RMS bounds only).
///
/// # Errors
/// Device failures; a transform the tensor does not suit gives no
/// estimate.
pub(super) fn estimates(
    ctx: &Context,
    req: &Request,
    values: &[f32],
    shape: &[usize],
    norm: f64,
    want: [bool; 3],
) -> Result<Vec<Ranked>> {
    let n = values.len();
    let mut out = Vec::new();
    let Some(t) = target(req, Method::SparseDct, n, norm) else {
        return Ok(out);
    };
    let ctx = &codec::transform_context(ctx, n);
    let shape = dims(shape);
    let axes: Vec<usize> = (0..shape.len()).collect();
    let energy = norm * norm;
    let budget = t * t * energy;
    // What `codec::sparse::encode` stores its values as.
    let value_bytes = if t < 1e-3 { 4 } else { 2 };
    let rounding = if value_bytes == 2 { F16_ROUNDING } else { 0.0 };
    let ranked = |method: Method, bytes: f64| Ranked {
        method,
        est: Estimate { bytes, error: t },
        step: None,
        whole: None,
        checked: false,
        from_block: false,
        plan: None,
    };
    if want[0] || want[1] {
        let mut c = match Tensor::new(&shape, values.to_vec()) {
            Ok(c) => c,
            Err(_) => return Ok(out),
        };
        match ctx.dctn(&mut c, &axes) {
            Ok(()) => {}
            Err(e) if e.is_device_failure() => return Err(e),
            Err(_) => return Ok(out),
        }
        let coef = c.into_data();
        if want[0] {
            // The step the quantiser's estimate solves (to a few per cent),
            // and the size of the integer stream it codes to (by the
            // coder's own estimate, no coding).
            if let Some((d, bytes)) = codec::quant::estimate_payload(&coef, t) {
                out.push(Ranked {
                    step: Some(d),
                    ..ranked(Method::DctQuant, (8 + bytes) as f64)
                });
            }
        }
        if want[1] {
            let e = |p: usize| f64::from(coef[p]) * f64::from(coef[p]);
            if let Some(b) = sparse_bytes(coef.len(), e, budget, rounding, 1, value_bytes) {
                out.push(ranked(Method::SparseDct, (b + header(&shape)) as f64));
            }
        }
    }
    if want[2] {
        let x = match Tensor::new(&shape, values.to_vec()) {
            Ok(x) => x,
            Err(_) => return Ok(out),
        };
        let spec = match ctx.rfftn(&x, &axes, Normalization::Ortho) {
            Ok(s) => s,
            Err(e) if e.is_device_failure() => return Err(e),
            Err(_) => return Ok(out),
        };
        drop(x);
        let h1 = spec.shape().last().copied().unwrap_or(1).max(1);
        let n_last = shape[shape.len() - 1];
        let data = spec.data();
        // Bins at column 0 (and n/2 for an even length) stand for
        // themselves, interior bins for themselves and their conjugates.
        let e = |p: usize| {
            let col = p % h1;
            let w = if col == 0 || (n_last.is_multiple_of(2) && col == h1 - 1 && h1 > 1) {
                1.0
            } else {
                2.0
            };
            let z = data[p];
            w * (f64::from(z.re).powi(2) + f64::from(z.im).powi(2))
        };
        if let Some(b) = sparse_bytes(data.len(), e, budget, rounding, 2, value_bytes) {
            out.push(ranked(Method::SparseRfft, (b + header(&shape)) as f64));
        }
    }
    Ok(out)
}

fn header(shape: &[usize]) -> usize {
    crate::spectral::header_len(shape.len())
}

/// Bytes (positions and values) of keeping the fewest of `coefs`
/// coefficients (energy `e(p)`, weighted as they count towards the
/// tensor's energy) whose dropped energy (against the coefficients' own
/// total, as the encoder counts it: the transform's rounding makes it
/// differ from the values' energy) plus the rounding of the kept values
/// (`rounding` of their energy) is at most `budget`; `comps`
/// stored values of `value_bytes` each per coefficient. `None` when even
/// keeping all of them misses the budget.
fn sparse_bytes(
    coefs: usize,
    e: impl Fn(usize) -> f64,
    budget: f64,
    rounding: f64,
    comps: usize,
    value_bytes: usize,
) -> Option<usize> {
    let key = |v: f64| (v.to_bits() >> KEY_SHIFT) as usize;
    let mut count = vec![0u64; BINS];
    let mut sum = vec![0.0f64; BINS];
    for p in 0..coefs {
        let v = e(p);
        let b = key(v).min(BINS - 1);
        count[b] += 1;
        sum[b] += v;
    }
    let total: f64 = sum.iter().sum();
    // From the largest energies down: the bin where the kept energy first
    // leaves little enough dropped, and the share of it needed.
    let (mut kept, mut k) = (0.0f64, 0u64);
    let mut cut = None;
    for b in (0..BINS).rev() {
        if count[b] == 0 {
            continue;
        }
        let after = kept + sum[b];
        if (total - after).max(0.0) + rounding * after <= budget {
            let need = (total - kept * (1.0 - rounding) - budget) / (sum[b] * (1.0 - rounding));
            let share = need.clamp(0.0, 1.0);
            let extra = ((share * count[b] as f64).ceil() as u64).clamp(1, count[b]);
            cut = Some((b, k, k + extra, k + count[b]));
            break;
        }
        kept = after;
        k += count[b];
    }
    if cut.is_none() && (total - kept).max(0.0) + rounding * kept > budget {
        return None;
    }
    let (b, below, k, above) = cut.unwrap_or((0, k, k, k));
    if above > EXACT_POSITIONS_MAX {
        // Too many to list: the positions codec's bitmap, or Rice codes of
        // gaps of mean `g` with their best parameter.
        let g = coefs as f64 / k.max(1) as f64;
        let r = (g * std::f64::consts::LN_2).log2().floor().max(0.0);
        let rice = 2.0 + k as f64 * (r + 1.0 + g / r.exp2()) / 8.0;
        let positions = rice.min(1.0 + (coefs as f64 / 8.0).ceil());
        return Some(positions.ceil() as usize + k as usize * comps * value_bytes);
    }
    // The positions codec's exact sizes for the coefficients above the
    // cut bin and for those with it, interpolated at `k`.
    let mut strict = Vec::with_capacity(below as usize);
    let mut with = Vec::with_capacity(above as usize);
    for p in 0..coefs {
        let kb = key(e(p)).min(BINS - 1);
        if kb >= b {
            with.push(p as u64);
            if kb > b {
                strict.push(p as u64);
            }
        }
    }
    let lo = encoded_len(&strict, coefs as u64).ok()? as f64;
    let hi = encoded_len(&with, coefs as u64).ok()? as f64;
    let f = if above > below {
        (k - below) as f64 / (above - below) as f64
    } else {
        1.0
    };
    let positions = lo + f * (hi - lo);
    Some(positions.ceil() as usize + k as usize * comps * value_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::auto::{encode_method, Family, Search};
    use crate::store::codec::test_data::smooth;
    use crate::store::error_mode::ErrorMode;

    /// The estimates are within a fifth of the real sizes on smooth fields
    /// and spectrally sparse data, at three bounds.
    #[test]
    fn transform_estimates_are_near_the_real_sizes() {
        let ctx = Context::cpu();
        let tones: Vec<f32> = (0..96 * 80)
            .map(|i| {
                let (y, x) = ((i / 80) as f64, (i % 80) as f64);
                ((x * 0.3).cos() * (y * 0.2).sin() + 0.3 * (x * 1.1 + y * 0.7).cos()) as f32
            })
            .collect();
        let fields = [
            (vec![200usize, 256], smooth(200, 256)),
            (vec![96, 80], tones),
            (vec![16, 24, 20], smooth(16 * 24, 20)),
        ];
        for (shape, x) in fields {
            let norm = codec::quant::norm(&x);
            for bound in [1e-2, 1e-3, 1e-4] {
                let req = Request {
                    family: Family::Auto,
                    mode: ErrorMode::RelL2,
                    bound,
                    keep: None,
                    search: Search::Estimate,
                    blocks: false,
                };
                let est = estimates(&ctx, &req, &x, &shape, norm, [true; 3]).unwrap();
                assert_eq!(est.len(), 3, "{shape:?} {bound}");
                for r in est {
                    let t = target(&req, r.method, x.len(), norm).unwrap();
                    let real = encode_method(&ctx, r.method, &x, &shape, t)
                        .unwrap()
                        .stored_bytes() as f64;
                    let q = r.est.bytes / real;
                    assert!(
                        (0.8..1.25).contains(&q),
                        "{shape:?} {bound} {}: estimated {} real {real}",
                        r.method.label(),
                        r.est.bytes
                    );
                }
            }
        }
    }

    #[test]
    fn sparse_count_is_exact_on_distinct_energies() {
        // Energies 2^-i: keeping the first k leaves about 2^-k.
        let e: Vec<f64> = (0..64).map(|i| 0.5f64.powi(i)).collect();
        for k in [1usize, 5, 20] {
            let budget = e[k..].iter().sum::<f64>() * 1.0001;
            let b = sparse_bytes(64, |p| e[p], budget, 0.0, 1, 4).unwrap();
            let pos = encoded_len(&(0..k as u64).collect::<Vec<_>>(), 64).unwrap();
            assert_eq!(b, pos + 4 * k, "k {k}");
        }
        // Many positions: the formula stays near the exact size.
        let coefs = 1usize << 20;
        for step in [3u64, 40] {
            let e = |p: usize| {
                if (p as u64).is_multiple_of(step) {
                    1.0
                } else {
                    1e-30
                }
            };
            let k = coefs.div_ceil(step as usize);
            let kept: Vec<u64> = (0..coefs as u64).step_by(step as usize).collect();
            let exact = encoded_len(&kept, coefs as u64).unwrap() + 2 * k;
            let b = sparse_bytes(coefs, e, 1e-20, 0.0, 1, 2).unwrap() as f64;
            assert!(
                (b / exact as f64 - 1.0).abs() < 0.1,
                "{step}: {b} vs {exact}"
            );
        }
        // Unreachable with rounding: nothing is small enough.
        assert_eq!(sparse_bytes(64, |p| e[p], 0.0, 0.1, 1, 2), None);
    }
}
