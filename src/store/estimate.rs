//! Cheap estimates that let `auto` encode only the winner: a sample of a
//! tensor (evenly spaced slabs of whole rows, or a centred block cut along
//! every axis for the smooth-data codecs), the size and error of each
//! candidate method on it, and a smoothness test that says whether the
//! prediction and transform codecs can beat the plain quantiser at all.
//!
//! A method's estimate is, by default, its encoding of the sample scaled
//! to the tensor's element count ([`sampled`]); the fixed layouts (f16,
//! INT8, INT4) have exactly known sizes. Estimates only rank the
//! candidates: the winner is then encoded in full and its bound checked
//! on the real reconstruction.

use safetensors::Dtype as SafetensorsDtype;

use super::auto::Method;
use super::codec::Encoded;
use super::error_mode::{self, ErrorMode};

/// Elements the sample aims at.
pub const SAMPLE_ELEMENTS: usize = 1 << 16;
/// Slabs the sample is taken from.
const SLABS: usize = 8;

/// A sample of a tensor: whole rows (of the first dimension) from evenly
/// spaced slabs, with the original bytes of the same elements.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The sampled values.
    pub values: Vec<f32>,
    /// Their original bytes (in the tensor's dtype).
    pub raw: Vec<u8>,
    /// The sample's shape: the tensor's, with fewer rows.
    pub shape: Vec<usize>,
    /// Rows per slab (the slabs are stacked along the first dimension).
    pub slab_rows: usize,
    /// Whether the sample is the whole tensor.
    pub whole: bool,
}

/// Takes the sample of `values` (of `shape`, original bytes `raw`): the
/// whole tensor when it is at most twice [`SAMPLE_ELEMENTS`].
pub fn sample(values: &[f32], raw: &[u8], shape: &[usize]) -> Sample {
    let n = values.len();
    let esz = raw.len() / n.max(1);
    let whole = || Sample {
        values: values.to_vec(),
        raw: raw.to_vec(),
        shape: shape.to_vec(),
        slab_rows: shape.first().copied().unwrap_or(1).max(1),
        whole: true,
    };
    if n <= 2 * SAMPLE_ELEMENTS || shape.is_empty() {
        return whole();
    }
    let rows = shape[0];
    let row = n / rows.max(1);
    let want = SAMPLE_ELEMENTS.div_ceil(row).max(1);
    let slabs = SLABS.min(want);
    let per = want.div_ceil(slabs);
    if 2 * slabs * per >= rows {
        return whole();
    }
    let mut v = Vec::with_capacity(slabs * per * row);
    let mut r = Vec::with_capacity(slabs * per * row * esz);
    for k in 0..slabs {
        let first = (rows - per) * k / (slabs - 1).max(1);
        let (a, b) = (first * row, (first + per) * row);
        v.extend_from_slice(&values[a..b]);
        r.extend_from_slice(&raw[a * esz..b * esz]);
    }
    let mut s = shape.to_vec();
    s[0] = slabs * per;
    Sample {
        values: v,
        raw: r,
        shape: s,
        slab_rows: per,
        whole: false,
    }
}

/// A centred contiguous sub-block of `values` (of `shape`, original bytes
/// `raw`) of at most `limit` elements: the longest axis halved until it
/// fits. Unlike the slabs of [`sample`], every axis is cut, so codecs that
/// transform or predict along all axes see the tensor's structure at its
/// own scale. `whole` when nothing was cut.
pub fn centred(values: &[f32], raw: &[u8], shape: &[usize], limit: usize) -> Sample {
    let n = values.len();
    let esz = raw.len() / n.max(1);
    let mut b = shape.to_vec();
    while b.iter().product::<usize>() > limit.max(1) {
        let Some((i, _)) = b
            .iter()
            .enumerate()
            .max_by_key(|&(i, &v)| (v, usize::MAX - i))
        else {
            break;
        };
        b[i] = b[i].div_ceil(2);
    }
    let m: usize = b.iter().product();
    if shape.is_empty() || m == n {
        return Sample {
            values: values.to_vec(),
            raw: raw.to_vec(),
            shape: shape.to_vec(),
            slab_rows: shape.first().copied().unwrap_or(1).max(1),
            whole: true,
        };
    }
    let nd = shape.len();
    let mut strides = vec![1usize; nd];
    for e in (0..nd - 1).rev() {
        strides[e] = strides[e + 1] * shape[e + 1];
    }
    let off: Vec<usize> = (0..nd).map(|e| (shape[e] - b[e]) / 2).collect();
    let run = b[nd - 1];
    let mut v = Vec::with_capacity(m);
    let mut r = Vec::with_capacity(m * esz);
    // Each run along the last axis is contiguous in the tensor.
    for k in 0..m / run.max(1) {
        let (mut rest, mut p) = (k, off[nd - 1]);
        for e in (0..nd - 1).rev() {
            p += (off[e] + rest % b[e]) * strides[e];
            rest /= b[e];
        }
        v.extend_from_slice(&values[p..p + run]);
        r.extend_from_slice(&raw[p * esz..(p + run) * esz]);
    }
    Sample {
        values: v,
        raw: r,
        slab_rows: b[0].max(1),
        shape: b,
        whole: false,
    }
}

/// What a candidate is expected to cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Expected stored bytes (parameters plus payload) for the whole
    /// tensor.
    pub bytes: f64,
    /// Expected error in the request's mode (on the sample).
    pub error: f64,
}

/// The default estimate of a method: its encoding of the sample, decoded
/// and measured in `dt`, with the size scaled to `n` elements. `None` when
/// the method cannot encode the sample.
pub fn sampled(
    s: &Sample,
    n: usize,
    dt: SafetensorsDtype,
    mode: ErrorMode,
    encode: impl FnOnce(&[f32], &[usize]) -> Option<Encoded>,
    decode: impl FnOnce(&Encoded, &[usize]) -> Option<Vec<f32>>,
) -> Option<Estimate> {
    let enc = encode(&s.values, &s.shape)?;
    let back = decode(&enc, &s.shape)?;
    let error = error_mode::measure(mode, dt, &s.raw, &back);
    let scale = n as f64 / s.values.len().max(1) as f64;
    Some(Estimate {
        bytes: enc.params.len() as f64 + enc.payload.len() as f64 * scale,
        error,
    })
}

/// The exact stored size of a fixed-layout method on `n` elements whose
/// rows (last dimension) hold `last` elements; `None` for methods whose
/// size depends on the data.
pub fn fixed_bytes(method: Method, n: usize, last: usize) -> Option<f64> {
    use super::auto::Grouping;
    let groups = |g: Grouping| {
        let g = match g {
            Grouping::PerRow => last.max(1),
            Grouping::Group(k) => k,
        };
        n.div_ceil(g) as f64
    };
    match method {
        Method::F16 => Some(2.0 * n as f64),
        Method::Int8(g) => Some(4.0 + 2.0 * groups(g) + n as f64),
        Method::Int4(g) => Some(4.0 + 2.0 * groups(g) + n.div_ceil(2) as f64),
        _ => None,
    }
}

/// Values [`quant_bits_rough`] looks at, at most.
const ROUGH_VALUES: usize = 4096;

/// A rough order-0 entropy, in bits per value, of the plain quantiser's
/// integers at relative L2 error `max_error` on `values`, from at most
/// 4096 evenly strided values: the step is the uniform
/// quantiser's guess corrected twice by their measured error, the entropy
/// that of their integers (a small sample under-counts the values it does
/// not see, so the figure errs low). Enough to screen the quantiser out
/// on smooth data, where other codecs take a small share of it. `None`
/// when there are no values, the bound is not positive or the values are
/// not finite; 0 for all-zero values.
pub fn quant_bits_rough(values: &[f32], max_error: f64) -> Option<f64> {
    use super::codec::quant::{dequantise, quantised, MAX_Q};
    if values.is_empty() || max_error.is_nan() || max_error <= 0.0 {
        return None;
    }
    let stride = values.len().div_ceil(ROUGH_VALUES);
    let sub: Vec<f32> = values.iter().copied().step_by(stride).collect();
    let sq: f64 = sub.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    if !sq.is_finite() {
        return None;
    }
    if sq == 0.0 {
        return Some(0.0);
    }
    let norm = sq.sqrt();
    let mut d = max_error * norm * (12.0 / sub.len() as f64).sqrt();
    let in_range = |d: f64| sub.iter().all(|&x| (f64::from(x) / d).abs() <= MAX_Q);
    for _ in 0..2 {
        if !in_range(d) {
            return None;
        }
        let inv = 1.0 / d;
        let num: f64 = sub
            .iter()
            .map(|&x| (f64::from(x) - f64::from(dequantise(quantised(x, inv), d))).powi(2))
            .sum();
        let e = num.sqrt() / norm;
        if !(e.is_finite() && e > 0.0) {
            break;
        }
        d *= (max_error / e).clamp(0.25, 4.0);
    }
    if !in_range(d) {
        return None;
    }
    let inv = 1.0 / d;
    let mut q: Vec<i64> = sub.iter().map(|&x| quantised(x, inv)).collect();
    q.sort_unstable();
    let m = q.len() as f64;
    let bits: f64 = q
        .chunk_by(|a, b| a == b)
        .map(|run| {
            let c = run.len() as f64;
            -c * (c / m).log2()
        })
        .sum();
    Some(bits / m)
}

/// Whether the prediction and transform codecs can beat the quantiser on
/// data like the sample: either neighbours predict values much better
/// than their spread (residual variance below half the variance along
/// some axis, so prediction saves at least half a bit per value), or a
/// small share of the spectrum of short segments holds almost all the
/// energy (what the DCT and FFT codecs exploit). White noise fails both.
pub fn smooth(s: &Sample) -> bool {
    let x = &s.values;
    let n = x.len();
    if n < 4 {
        return false;
    }
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let var = x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    if var == 0.0 {
        return true; // constant: everything is cheap, let the codecs decide
    }
    let last = s.shape.last().copied().unwrap_or(1).max(1);
    let ratio = |d2: f64, pairs: usize| {
        if pairs == 0 {
            f64::INFINITY
        } else {
            d2 / pairs as f64 / var
        }
    };
    // Along the last axis, within rows.
    let (mut d2, mut pairs) = (0.0f64, 0usize);
    if last >= 2 {
        for r in x.chunks(last) {
            for w in r.windows(2) {
                d2 += (f64::from(w[1]) - f64::from(w[0])).powi(2);
                pairs += 1;
            }
        }
    }
    let along_last = ratio(d2, pairs);
    // Along the first axis, within slabs.
    let row = n / s.shape.first().copied().unwrap_or(1).max(1);
    let (mut d2, mut pairs) = (0.0f64, 0usize);
    if s.shape.len() >= 2 && s.slab_rows >= 2 {
        let rows = n / row.max(1);
        for r in 0..rows.saturating_sub(1) {
            if (r + 1) % s.slab_rows == 0 {
                continue;
            }
            for j in 0..row {
                d2 += (f64::from(x[(r + 1) * row + j]) - f64::from(x[r * row + j])).powi(2);
                pairs += 1;
            }
        }
    }
    let along_first = ratio(d2, pairs);
    if along_last.min(along_first) < 0.5 {
        return true;
    }
    spectral_share(x, last) < 0.3
}

/// Share of energy outside the largest eighth of the DFT coefficients of
/// segments of (at most) 256 consecutive values within rows: about 0.62
/// for white noise, near 0 for data made of a few frequencies.
fn spectral_share(x: &[f32], last: usize) -> f64 {
    use rustfft::num_complex::Complex;
    let len = if last >= 16 {
        last.min(256)
    } else {
        x.len().min(256)
    };
    if len < 16 {
        return 1.0;
    }
    let fft = rustfft::FftPlanner::<f64>::new().plan_fft_forward(len);
    let mut buf = vec![Complex::new(0.0, 0.0); len];
    let mut energy = Vec::with_capacity(len);
    let (mut outside, mut total) = (0.0f64, 0.0f64);
    let rows: Box<dyn Iterator<Item = &[f32]>> = if last >= 16 {
        Box::new(x.chunks_exact(last))
    } else {
        Box::new(std::iter::once(x))
    };
    for r in rows {
        for seg in r.chunks_exact(len) {
            for (b, &v) in buf.iter_mut().zip(seg) {
                *b = Complex::new(f64::from(v), 0.0);
            }
            fft.process(&mut buf);
            energy.clear();
            energy.extend(buf.iter().map(|c| c.norm_sqr()));
            let t: f64 = energy.iter().sum();
            total += t;
            // The energy outside the largest eighth of the coefficients.
            energy.select_nth_unstable_by(len / 8, |a, b| b.total_cmp(a));
            outside += energy[len / 8..].iter().sum::<f64>();
        }
    }
    if total == 0.0 {
        1.0
    } else {
        outside / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::test_data::{gaussian, smooth as smooth_field};

    fn bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn sample_takes_whole_rows_from_slabs() {
        let (r, c) = (4000, 300);
        let x: Vec<f32> = (0..r * c).map(|i| i as f32).collect();
        let s = sample(&x, &bytes(&x), &[r, c]);
        assert!(!s.whole);
        assert_eq!(s.shape[1], c);
        assert_eq!(s.values.len(), s.shape[0] * c);
        assert_eq!(s.raw, bytes(&s.values));
        assert!(s.values.len() >= SAMPLE_ELEMENTS);
        // Each slab is consecutive rows of the tensor.
        for slab in s.values.chunks(s.slab_rows * c) {
            assert!(slab.windows(2).all(|w| w[1] == w[0] + 1.0));
        }
        let small = sample(&x[..1000], &bytes(&x[..1000]), &[1000]);
        assert!(small.whole);
        let one = sample(&[2.0], &bytes(&[2.0]), &[]);
        assert!(one.whole && one.values == [2.0]);
    }

    #[test]
    fn centred_block_is_the_middle_of_every_axis() {
        let shape = [9usize, 20, 7];
        let x: Vec<f32> = (0..9 * 20 * 7).map(|i| i as f32).collect();
        let s = centred(&x, &bytes(&x), &shape, 200);
        assert!(!s.whole);
        assert!(s.values.len() <= 200);
        assert_eq!(s.values.len(), s.shape.iter().product::<usize>());
        assert_eq!(s.raw, bytes(&s.values));
        let at = |z: usize, y: usize, w: usize| ((z * 20 + y) * 7 + w) as f32;
        let off: Vec<usize> = (0..3).map(|e| (shape[e] - s.shape[e]) / 2).collect();
        let mut k = 0;
        for z in 0..s.shape[0] {
            for y in 0..s.shape[1] {
                for w in 0..s.shape[2] {
                    assert_eq!(s.values[k], at(off[0] + z, off[1] + y, off[2] + w));
                    k += 1;
                }
            }
        }
        assert!(centred(&x, &bytes(&x), &shape, 10_000).whole);
        let one = centred(&[2.0], &bytes(&[2.0]), &[], 1);
        assert!(one.whole && one.values == [2.0]);
        let prime = centred(&x[..13], &bytes(&x[..13]), &[13], 4);
        assert_eq!(prime.values, [4.0, 5.0, 6.0, 7.0]);
    }

    #[test]
    fn smoothness_test_tells_noise_from_fields() {
        let g = gaussian(512 * 512, 1);
        let s = sample(&g, &bytes(&g), &[512, 512]);
        assert!(!smooth(&s));
        let f = smooth_field(512, 512);
        assert!(smooth(&sample(&f, &bytes(&f), &[512, 512])));
        // A few frequencies plus noise: spectrally sparse, poorly predicted.
        let tones: Vec<f32> = (0..200_000)
            .map(|i| {
                let t = i as f64;
                ((t * 2.9).sin() + (t * 1.7).cos() + 0.01 * f64::from(g[i])) as f32
            })
            .collect();
        assert!(smooth(&sample(&tones, &bytes(&tones), &[200_000])));
        assert!(!smooth(&sample(&[1.0, -1.0], &bytes(&[1.0, -1.0]), &[2])));
    }

    /// The rough entropy is near the quantiser's real bits per value on a
    /// large smooth field and on Gaussian noise (within a tenth of a bit
    /// and a tenth), never much above them (at 1e-4 the sample can only
    /// see 12 bits), and defined on one value, a prime size, a constant,
    /// zeros and the scales 1e-30 and 1e30.
    #[test]
    fn rough_quantiser_entropy_is_near_the_real_one() {
        use super::super::codec::quant;
        let g = gaussian(1 << 16, 4);
        let f = smooth_field(256, 256);
        for x in [&g, &f] {
            for bound in [1e-2, 1e-3, 1e-4] {
                let rough = quant_bits_rough(x, bound).unwrap();
                let (e, _) = quant::encode(x, bound).unwrap();
                let real = 8.0 * e.payload.len() as f64 / x.len() as f64;
                assert!(
                    rough <= real * 1.1 + 0.1,
                    "{bound}: rough {rough} real {real}"
                );
                let seen = (ROUGH_VALUES as f64).log2();
                assert!(
                    rough >= real.min(seen) * 0.8 - 0.3,
                    "{bound}: rough {rough} real {real}"
                );
            }
        }
        for scale in [1e-30f32, 1e30] {
            let x: Vec<f32> = f.iter().map(|v| v * scale).collect();
            let a = quant_bits_rough(&x, 1e-3).unwrap();
            let b = quant_bits_rough(&f, 1e-3).unwrap();
            assert!((a - b).abs() < 0.05, "{scale}: {a} vs {b}");
        }
        assert_eq!(quant_bits_rough(&[0.7], 1e-3), Some(0.0));
        assert!(quant_bits_rough(&g[..4099], 1e-3).unwrap() > 5.0);
        assert_eq!(quant_bits_rough(&[2.5; 30], 1e-3), Some(0.0));
        assert_eq!(quant_bits_rough(&[0.0; 30], 1e-3), Some(0.0));
        assert_eq!(quant_bits_rough(&[], 1e-3), None);
        assert_eq!(quant_bits_rough(&[1.0], 0.0), None);
    }

    #[test]
    fn fixed_sizes_are_exact() {
        use super::super::auto::Grouping;
        use super::super::codec::{int4, int8};
        let x = gaussian(1000, 2);
        let e = int8::encode(&x, 64).unwrap();
        assert_eq!(
            fixed_bytes(Method::Int8(Grouping::Group(64)), 1000, 100),
            Some(e.stored_bytes() as f64)
        );
        let e = int4::encode(&x, 100).unwrap();
        assert_eq!(
            fixed_bytes(Method::Int4(Grouping::PerRow), 1000, 100),
            Some(e.stored_bytes() as f64)
        );
        assert_eq!(fixed_bytes(Method::Quant, 1000, 100), None);
    }
}
