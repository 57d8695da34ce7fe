//! Estimates of the whole-tensor transform codecs (`dct-quant`,
//! `sparse-dct`, `sparse-rfft`) from one transform of the tensor each, with
//! no coding: `dct-quant` by the step its error is expected to meet from
//! a histogram of the DCT coefficients' energies (the transform is
//! orthonormal, so their error is the values') and its coder's size
//! estimate of the integer stream at that step, the sparse codecs by the
//! fewest coefficients whose
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
        let mut e = Energies::new(coef.len());
        for &c in &coef {
            e.push(f64::from(c) * f64::from(c));
        }
        if want[0] {
            // The step expected to meet the bound by the energy histogram,
            // and the size of the integer stream it codes to (by the
            // coder's own estimate, no coding).
            let step = quant_step(&e, budget);
            if let Some(bytes) = step.and_then(|d| codec::quant::payload_size(&coef, d)) {
                out.push(Ranked {
                    step,
                    ..ranked(Method::DctQuant, (8 + bytes) as f64)
                });
            }
        }
        if want[1] {
            if let Some(b) = sparse_bytes(&e, budget, rounding, 1, value_bytes) {
                out.push(ranked(Method::SparseDct, (b + header(&shape)) as f64));
            }
        }
    }
    if want[2] {
        // From the values themselves (no copy).
        let spec = match ctx.rfftn_slice(values, &shape, &axes, Normalization::Ortho) {
            Ok(s) => s,
            Err(e) if e.is_device_failure() => return Err(e),
            Err(_) => return Ok(out),
        };
        let h1 = spec.shape().last().copied().unwrap_or(1).max(1);
        let n_last = shape[shape.len() - 1];
        let data = spec.data();
        // Bins at column 0 (and n/2 for an even length) stand for
        // themselves, interior bins for themselves and their conjugates.
        let mut e = Energies::new(data.len());
        for row in data.chunks(h1) {
            for (col, z) in row.iter().enumerate() {
                let w = if col == 0 || (n_last.is_multiple_of(2) && col == h1 - 1 && h1 > 1) {
                    1.0
                } else {
                    2.0
                };
                e.push(w * (f64::from(z.re).powi(2) + f64::from(z.im).powi(2)));
            }
        }
        if let Some(b) = sparse_bytes(&e, budget, rounding, 2, value_bytes) {
            out.push(ranked(Method::SparseRfft, (b + header(&shape)) as f64));
        }
    }
    Ok(out)
}

fn header(shape: &[usize]) -> usize {
    crate::spectral::header_len(shape.len())
}

/// The coefficients' energies by histogram bin: each coefficient's bin
/// (in position order; [`BINS`] fits a `u16`), and per bin the count and
/// the energy sum.
struct Energies {
    keys: Vec<u16>,
    count: Vec<u64>,
    sum: Vec<f64>,
}

impl Energies {
    fn new(coefs: usize) -> Energies {
        Energies {
            keys: Vec::with_capacity(coefs),
            count: vec![0; BINS],
            sum: vec![0.0; BINS],
        }
    }

    /// The next coefficient's energy `v >= 0`.
    #[inline]
    fn push(&mut self, v: f64) {
        let b = ((v.to_bits() >> KEY_SHIFT) as usize).min(BINS - 1);
        self.keys.push(b as u16);
        self.count[b] += 1;
        self.sum[b] += v;
    }
}

/// The largest step (to about 0.1 %) whose uniform quantisation of the
/// coefficients of `e` is expected to leave a squared error of at most
/// `budget`, from their histogram alone: a coefficient below half the
/// step is lost (its energy is the error), one above it keeps its rounding
/// error ([`rounding_error`] over its bin's magnitudes; a bin straddling
/// the half step split by its share below it). `None` for a budget that
/// is not positive and finite.
fn quant_step(e: &Energies, budget: f64) -> Option<f64> {
    if !(budget.is_finite() && budget > 0.0) {
        return None;
    }
    let bins: Vec<(f64, f64, f64, f64)> = (0..BINS)
        .filter(|&b| e.count[b] > 0)
        .map(|b| {
            let lo = f64::from_bits((b as u64) << KEY_SHIFT);
            let hi = f64::from_bits(((b as u64) + 1) << KEY_SHIFT);
            (lo, hi, e.count[b] as f64, e.sum[b])
        })
        .collect();
    let top = bins.last().map_or(0.0, |b| b.1);
    let err = |d: f64| {
        let half = d * d / 4.0;
        bins.iter()
            .map(|&(lo, hi, count, sum)| {
                if hi <= half {
                    return sum;
                }
                let f = ((half - lo) / (hi - lo)).max(0.0);
                f * sum + (1.0 - f) * count * rounding_error(lo.max(half).sqrt(), hi.sqrt(), d)
            })
            .sum::<f64>()
    };
    // Every coefficient lost: the largest step that zeroes them all.
    let mut hi = 2.0 * top.sqrt() * 1.001;
    if err(hi) <= budget {
        return Some(hi);
    }
    let mut lo = (12.0 * budget / e.keys.len().max(1) as f64).sqrt();
    while err(lo) > budget && lo > f64::MIN_POSITIVE * 1e10 {
        lo /= 4.0;
    }
    while hi / lo > 1.001 {
        let mid = (lo * hi).sqrt();
        if err(mid) <= budget {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// The mean squared rounding error of magnitudes spread evenly over
/// `[a, b]` (at least half the step `d`) quantised with step `d`: `d^2 /
/// 12` from 8 steps up (the cell position is then as good as random), else
/// averaged over 8 points of the interval (a bin is narrow: 2^(1/16)).
fn rounding_error(a: f64, b: f64, d: f64) -> f64 {
    if a >= 8.0 * d {
        return d * d / 12.0;
    }
    const POINTS: usize = 8;
    (0..POINTS)
        .map(|i| {
            let x = a + (b - a) * (i as f64 + 0.5) / POINTS as f64;
            (x - d * (x / d).round()).powi(2)
        })
        .sum::<f64>()
        / POINTS as f64
}

/// Bytes (positions and values) of keeping the fewest of the
/// coefficients of `e` (their energies weighted as they count towards the
/// tensor's energy) whose dropped energy (against the coefficients' own
/// total, as the encoder counts it: the transform's rounding makes it
/// differ from the values' energy) plus the rounding of the kept values
/// (`rounding` of their energy) is at most `budget`; `comps`
/// stored values of `value_bytes` each per coefficient. `None` when even
/// keeping all of them misses the budget.
fn sparse_bytes(
    e: &Energies,
    budget: f64,
    rounding: f64,
    comps: usize,
    value_bytes: usize,
) -> Option<usize> {
    let (count, sum) = (&e.count, &e.sum);
    let coefs = e.keys.len();
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
    for (p, &kb) in e.keys.iter().enumerate() {
        let kb = usize::from(kb);
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

    /// The step from the energy histogram leaves close to the budget on
    /// real DCT coefficients (smooth, tonal and noisy data; 1-D to 3-D).
    #[test]
    fn histogram_step_meets_about_the_budget() {
        let ctx = Context::cpu();
        let noise = crate::store::codec::test_data::gaussian(4096, 3);
        let mut fields = vec![
            (vec![200usize, 256], smooth(200, 256)),
            (vec![16, 24, 20], smooth(16 * 24, 20)),
            (vec![4096], noise),
        ];
        for scale in [1e-30f32, 1e30] {
            fields.push((
                vec![97, 61],
                smooth(97, 61).iter().map(|v| v * scale).collect(),
            ));
        }
        for (shape, x) in fields {
            let mut c = Tensor::new(&shape, x.clone()).unwrap();
            let axes: Vec<usize> = (0..shape.len()).collect();
            ctx.dctn(&mut c, &axes).unwrap();
            let coef = c.into_data();
            let mut e = Energies::new(coef.len());
            for &v in &coef {
                e.push(f64::from(v) * f64::from(v));
            }
            let energy: f64 = x.iter().map(|&v| f64::from(v).powi(2)).sum();
            for bound in [1e-1, 1e-2, 1e-3, 1e-4] {
                let budget = bound * bound * energy;
                let d = quant_step(&e, budget).unwrap();
                let real: f64 = coef
                    .iter()
                    .map(|&v| {
                        let v = f64::from(v);
                        (v - d * (v / d).round()).powi(2)
                    })
                    .sum();
                let q = real / budget;
                assert!((0.9..=1.1).contains(&q), "{shape:?} {bound}: {q}");
            }
        }
        assert_eq!(quant_step(&energies(4, |_| 1.0), 0.0), None);
        // Everything below the budget: a step that zeroes every value.
        let d = quant_step(&energies(4, |_| 1.0), 5.0).unwrap();
        assert!(d > 2.0, "{d}");
    }

    #[test]
    fn sparse_count_is_exact_on_distinct_energies() {
        // Energies 2^-i: keeping the first k leaves about 2^-k.
        let e: Vec<f64> = (0..64).map(|i| 0.5f64.powi(i)).collect();
        for k in [1usize, 5, 20] {
            let budget = e[k..].iter().sum::<f64>() * 1.0001;
            let b = sparse_bytes(&energies(64, |p| e[p]), budget, 0.0, 1, 4).unwrap();
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
            let b = sparse_bytes(&energies(coefs, e), 1e-20, 0.0, 1, 2).unwrap() as f64;
            assert!(
                (b / exact as f64 - 1.0).abs() < 0.1,
                "{step}: {b} vs {exact}"
            );
        }
        // Unreachable with rounding: nothing is small enough.
        assert_eq!(sparse_bytes(&energies(64, |p| e[p]), 0.0, 0.1, 1, 2), None);
    }

    fn energies(coefs: usize, e: impl Fn(usize) -> f64) -> Energies {
        let mut en = Energies::new(coefs);
        for p in 0..coefs {
            en.push(e(p));
        }
        en
    }
}
