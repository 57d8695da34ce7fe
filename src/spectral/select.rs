//! Choosing which coefficients to keep, rounding them, predicting the error.

use half::f16;
use rayon::prelude::*;
use rustfft::num_complex::Complex32;

use super::{
    components, format, CompressOptions, Keep, Parseval, SparseSpectral, Spectrum, StoredPrecision,
};
use crate::error::{Error, Result};
use crate::topk::{magnitude_key_complex, magnitude_key_f32, top_k_positions_cpu};

/// Validates a keep setting against the coefficient count.
pub(crate) fn check_keep(keep: Keep, coefs: usize) -> Result<()> {
    match keep {
        Keep::Fraction(p) if !(p > 0.0 && p <= 1.0) => Err(Error::invalid(
            "keep",
            format!("fraction {p} is not in (0, 1]"),
        )),
        Keep::Count(k) if k == 0 || k > coefs => Err(Error::invalid(
            "keep",
            format!("count {k} is not in 1..={coefs} (the coefficient count)"),
        )),
        Keep::Ratio(r) if !(r.is_finite() && r > 0.0) => Err(Error::invalid(
            "keep",
            format!("ratio {r} must be finite and above 0"),
        )),
        Keep::RelativeError(e) if !(e.is_finite() && e >= 0.0) => Err(Error::invalid(
            "keep",
            format!("relative error {e} must be finite and at least 0"),
        )),
        _ => Ok(()),
    }
}

/// The count for settings that fix it without looking at the data.
pub(crate) fn direct_count(keep: Keep, coefs: usize) -> Option<usize> {
    match keep {
        Keep::Count(k) => Some(k),
        Keep::Fraction(p) => Some(((p * coefs as f64).ceil() as usize).clamp(1, coefs)),
        _ => None,
    }
}

/// The power-of-two scale that maps the largest stored component into f16
/// range, keeping normal numbers' relative rounding unchanged.
pub(crate) fn scale_for(value_type: StoredPrecision, max_component: f32) -> f32 {
    match value_type {
        StoredPrecision::F32 => 1.0,
        StoredPrecision::F16 if max_component > 0.0 => {
            let e = (max_component as f64).log2().ceil() as i32 - 15;
            2f32.powi(e.clamp(-126, 127))
        }
        StoredPrecision::F16 => 1.0,
    }
}

/// `v` as stored and read back.
pub(crate) fn round_value(value_type: StoredPrecision, scale: f32, v: f32) -> f32 {
    match value_type {
        StoredPrecision::F32 => v,
        StoredPrecision::F16 => f16::from_f32(v / scale).to_f32() * scale,
    }
}

/// Builds the tensor from kept positions (ascending) and their raw values,
/// rounding the values; `dropped` is the weighted energy of the coefficients
/// not kept, `energy` that of the input.
pub(crate) fn finish(
    shape: &[usize],
    options: &CompressOptions,
    positions: Vec<u64>,
    raw_values: Vec<f32>,
    dropped: f64,
    energy: f64,
) -> SparseSpectral {
    let comps = components(options.transform);
    let parseval = Parseval::new(options.transform, shape);
    let max = raw_values
        .par_chunks(1 << 16)
        .map(|c| c.iter().fold(0.0f32, |m, v| m.max(v.abs())))
        .reduce(|| 0.0, f32::max);
    let scale = scale_for(options.value_type, max);
    // The values are rounded in place, a chunk of positions per task, with
    // the error terms of each kept coefficient taken on the way.
    const CHUNK: usize = 1 << 14;
    let mut values = raw_values;
    let (relief, rounding) = positions
        .par_chunks(CHUNK)
        .zip(values.par_chunks_mut(CHUNK * comps))
        .map(|(chunk, chunk_values)| {
            let (mut relief, mut rounding) = (0.0f64, 0.0f64);
            for (&p, v) in chunk.iter().zip(chunk_values.chunks_exact_mut(comps)) {
                let kept = |q: usize| positions.binary_search(&(q as u64)).is_ok();
                let e: f64 = v.iter().map(|&x| f64::from(x).powi(2)).sum();
                relief += parseval.split_pair_relief(p as usize, e, kept);
                let mut r2 = 0.0f64;
                for x in v.iter_mut() {
                    let r = round_value(options.value_type, scale, *x);
                    r2 += (f64::from(r) - f64::from(*x)).powi(2);
                    *x = r;
                }
                rounding += parseval.weighted(p as usize, r2);
            }
            (relief, rounding)
        })
        .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let err2 = (dropped - relief).max(0.0) + rounding;
    let predicted = if energy > 0.0 {
        (err2 / energy).sqrt()
    } else {
        0.0
    };
    SparseSpectral {
        shape: shape.to_vec(),
        transform: options.transform,
        value_type: options.value_type,
        scale,
        positions,
        values,
        predicted_error: Some(predicted),
    }
}

impl Spectrum {
    pub(crate) fn len(&self) -> usize {
        match self {
            Spectrum::Real(v) => v.len(),
            Spectrum::Complex(v, _) => v.len(),
        }
    }

    fn key(&self, p: usize) -> u32 {
        match self {
            Spectrum::Real(v) => magnitude_key_f32(v[p]),
            Spectrum::Complex(v, _) => magnitude_key_complex(v[p]),
        }
    }

    pub(crate) fn energy(&self, p: usize) -> f64 {
        match self {
            Spectrum::Real(v) => f64::from(v[p]).powi(2),
            Spectrum::Complex(v, s) => {
                (f64::from(v[p].re).powi(2) + f64::from(v[p].im).powi(2)) * f64::from(*s).powi(2)
            }
        }
    }

    fn push_values(&self, p: usize, out: &mut Vec<f32>) {
        match self {
            Spectrum::Real(v) => out.push(v[p]),
            Spectrum::Complex(v, s) => out.extend([v[p].re * s, v[p].im * s]),
        }
    }

    /// [`Self::push_values`] into a slice of the component count.
    fn write_values(&self, p: usize, out: &mut [f32]) {
        match self {
            Spectrum::Real(v) => out[0] = v[p],
            Spectrum::Complex(v, s) => {
                out[0] = v[p].re * s;
                out[1] = v[p].im * s;
            }
        }
    }

    fn max_component(&self) -> f32 {
        match self {
            Spectrum::Real(v) => v.par_iter().map(|x| x.abs()).reduce(|| 0.0, f32::max),
            Spectrum::Complex(v, s) => {
                v.par_iter()
                    .map(|x| x.re.abs().max(x.im.abs()))
                    .reduce(|| 0.0, f32::max)
                    * s
            }
        }
    }
}

/// All positions, largest magnitude first, ties by lower position (the
/// order top-k keeps them in).
/// Writes `value(i)` at `dense[positions[i]]` for every `i`, in parallel
/// over chunks of `dense`: `positions` are ascending and inside `dense` (as
/// every [`SparseSpectral`] holds them), so each chunk's positions are one
/// run, found by binary search, and the result is the same for any number
/// of threads.
pub(crate) fn scatter<T: Send>(
    dense: &mut [T],
    positions: &[u64],
    value: impl Fn(usize) -> T + Sync,
) {
    const CHUNK: usize = 1 << 16;
    dense
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, out)| {
            let (start, end) = (c * CHUNK, c * CHUNK + out.len());
            let first = positions.partition_point(|&p| (p as usize) < start);
            let last = first + positions[first..].partition_point(|&p| (p as usize) < end);
            for (i, &p) in positions.iter().enumerate().take(last).skip(first) {
                out[p as usize - start] = value(i);
            }
        });
}

fn magnitude_order(spectrum: &Spectrum) -> Vec<u32> {
    let keys: Vec<u32> = (0..spectrum.len())
        .into_par_iter()
        .map(|p| spectrum.key(p))
        .collect();
    let mut order: Vec<u32> = (0..spectrum.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| keys[b as usize].cmp(&keys[a as usize]).then(a.cmp(&b)));
    order
}

/// Positions of the first `k` of `order`, ascending, by a scan of ranks.
fn first_k_sorted(rank: &[u32], k: usize) -> Vec<u64> {
    rank.iter()
        .enumerate()
        .filter(|(_, &r)| (r as usize) < k)
        .map(|(p, _)| p as u64)
        .collect()
}

/// Bits of a magnitude key below its histogram bin (a bin spans at most
/// 2^(1/8) of magnitude).
const BIN_SHIFT: u32 = 20;
/// Histogram bins of magnitude keys.
const BINS: usize = 1 << (32 - BIN_SHIFT);

fn bin_of(key: u32) -> usize {
    (key >> BIN_SHIFT) as usize
}

/// Coefficients per bin of their magnitude key, and the weighted energy
/// (towards the tensor's) each bin holds.
fn key_histogram(spectrum: &Spectrum, parseval: &Parseval) -> (Vec<u64>, Vec<f64>) {
    const CHUNK: usize = 1 << 16;
    let coefs = spectrum.len();
    (0..coefs.div_ceil(CHUNK))
        .into_par_iter()
        .fold(
            || (vec![0u64; BINS], vec![0.0f64; BINS]),
            |(mut count, mut weight), c| {
                for p in c * CHUNK..((c + 1) * CHUNK).min(coefs) {
                    let b = bin_of(spectrum.key(p));
                    count[b] += 1;
                    weight[b] += parseval.weighted(p, spectrum.energy(p));
                }
                (count, weight)
            },
        )
        .reduce(
            || (vec![0u64; BINS], vec![0.0f64; BINS]),
            |(mut c, mut w), (c2, w2)| {
                for b in 0..BINS {
                    c[b] += c2[b];
                    w[b] += w2[b];
                }
                (c, w)
            },
        )
}

/// The fewest coefficients, largest magnitude first (ties by lower
/// position), whose dropped energy (`total` less what keeping them gains)
/// plus the rounding of their stored values is at most `budget`; at least
/// one. Returns the count `k`, the rounding it leaves, and the magnitude
/// order's first positions (at least `k` of them).
///
/// The order is never built for the whole spectrum: a histogram of the
/// magnitude keys says from which bin down the kept coefficients should
/// reach the budget, only the coefficients of the bins down to it are
/// gathered and sorted, and the walk goes on with the next lower bins
/// (as many coefficients again) while the budget is not met. Walking the
/// same order with the same sums, it keeps exactly what a walk of the
/// fully sorted spectrum keeps, for any number of threads.
fn fewest_within(
    spectrum: &Spectrum,
    parseval: &Parseval,
    value_type: StoredPrecision,
    scale: f32,
    total: f64,
    budget: f64,
) -> (usize, f64, Vec<u32>) {
    let (count, weight) = key_histogram(spectrum, parseval);
    // The highest bin down to which the kept energy leaves the budget.
    let mut lo = 0;
    let mut above = 0.0f64;
    for b in (0..BINS).rev() {
        above += weight[b];
        if count[b] > 0 && (total - above).max(0.0) <= budget {
            lo = b;
            break;
        }
    }
    walk_from(
        spectrum, parseval, value_type, scale, total, budget, &count, lo,
    )
}

/// [`fewest_within`]'s walk, gathering the bins from `lo` up first (`count`:
/// coefficients per bin).
#[allow(clippy::too_many_arguments)]
fn walk_from(
    spectrum: &Spectrum,
    parseval: &Parseval,
    value_type: StoredPrecision,
    scale: f32,
    total: f64,
    budget: f64,
    count: &[u64],
    mut lo: usize,
) -> (usize, f64, Vec<u32>) {
    let coefs = spectrum.len();
    let mut kept = vec![0u64; coefs.div_ceil(64)];
    let is_kept = |kept: &[u64], q: usize| (kept[q / 64] >> (q % 64)) & 1 == 1;
    let mut order: Vec<u32> = Vec::new();
    let (mut gained, mut rounding) = (0.0f64, 0.0f64);
    let mut values = Vec::with_capacity(2);
    let mut hi = BINS;
    loop {
        let start = order.len();
        order.par_extend((0..coefs as u32).into_par_iter().filter(|&p| {
            let b = bin_of(spectrum.key(p as usize));
            (lo..hi).contains(&b)
        }));
        order[start..].par_sort_unstable_by(|&a, &b| {
            let (ka, kb) = (spectrum.key(a as usize), spectrum.key(b as usize));
            kb.cmp(&ka).then(a.cmp(&b))
        });
        for i in start..order.len() {
            if i > 0 && (total - gained).max(0.0) + rounding <= budget {
                return (i, rounding, order);
            }
            let p = order[i] as usize;
            gained += parseval.gain(p, spectrum.energy(p), |q| {
                is_kept(&kept, q).then(|| spectrum.energy(q))
            });
            kept[p / 64] |= 1 << (p % 64);
            values.clear();
            spectrum.push_values(p, &mut values);
            let r2: f64 = values
                .iter()
                .map(|&v| (f64::from(round_value(value_type, scale, v)) - f64::from(v)).powi(2))
                .sum();
            rounding += parseval.weighted(p, r2);
        }
        // The check the next coefficient would make (none left: all kept).
        if (!order.is_empty() && (total - gained).max(0.0) + rounding <= budget) || lo == 0 {
            return (order.len(), rounding, order);
        }
        // Down to as many coefficients again as gathered so far.
        hi = lo;
        let mut more = 0u64;
        while lo > 0 && more < (order.len() as u64).max(1 << 16) {
            lo -= 1;
            more += count[lo];
        }
    }
}

/// Selection on the host, from a full spectrum.
pub(crate) fn from_spectrum(
    shape: &[usize],
    options: &CompressOptions,
    spectrum: &Spectrum,
    energy: f64,
) -> Result<SparseSpectral> {
    let coefs = spectrum.len();
    let comps = components(options.transform);
    let parseval = Parseval::new(options.transform, shape);
    let positions: Vec<u64> = match (options.keep, direct_count(options.keep, coefs)) {
        (_, Some(k)) => match spectrum {
            Spectrum::Real(v) => top_k_positions_cpu(v, k)?,
            Spectrum::Complex(v, _) => top_k_positions_cpu(v, k)?,
        },
        (Keep::RelativeError(target), None) => {
            let total: f64 = (0..coefs)
                .into_par_iter()
                .map(|p| parseval.weighted(p, spectrum.energy(p)))
                .sum();
            let scale = scale_for(options.value_type, spectrum.max_component());
            let budget = target * target * energy;
            let (k, rounding, mut first) = fewest_within(
                spectrum,
                &parseval,
                options.value_type,
                scale,
                total,
                budget,
            );
            if k == coefs && rounding > budget {
                // Even keeping everything leaves the rounding of the stored
                // values: the target is below what the value type reaches.
                let floor = (rounding / energy).sqrt();
                return Err(Error::invalid(
                    "keep",
                    format!(
                        "relative error {target:e} is unreachable with {:?} values: keeping every \
                         coefficient still leaves {floor:.3e} from rounding the stored values; \
                         ask for at least {floor:.3e}, or store f32 values",
                        options.value_type
                    ),
                ));
            }
            first.truncate(k);
            first.par_sort_unstable();
            first.into_par_iter().map(u64::from).collect()
        }
        (Keep::Ratio(ratio), None) => {
            let order = magnitude_order(spectrum);
            let mut rank = vec![0u32; coefs];
            for (i, &p) in order.iter().enumerate() {
                rank[p as usize] = i as u32;
            }
            let input_bytes = 4.0 * shape.iter().product::<usize>() as f64;
            let budget = (input_bytes / ratio).floor() as usize;
            let size = |k: usize| -> usize {
                let positions = first_k_sorted(&rank, k);
                format::serialized_len_for(shape, options.value_type, options.transform, &positions)
            };
            if size(1) > budget {
                let one = size(1);
                return Err(Error::invalid(
                    "keep",
                    format!(
                        "ratio {ratio} is unreachable: it allows at most {budget} bytes, but one \
                         coefficient already takes {one}; the highest reachable ratio is {:.4}",
                        input_bytes / one as f64
                    ),
                ));
            }
            // Largest k whose encoding fits (size grows with k).
            let (mut lo, mut hi) = (1usize, coefs);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if size(mid) <= budget {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            first_k_sorted(&rank, lo)
        }
        _ => unreachable!("direct_count covers the other settings"),
    };
    let mut values = vec![0.0f32; positions.len() * comps];
    values
        .par_chunks_mut((1 << 14) * comps)
        .zip(positions.par_chunks(1 << 14))
        .for_each(|(out, chunk)| {
            for (o, &p) in out.chunks_exact_mut(comps).zip(chunk) {
                spectrum.write_values(p as usize, o);
            }
        });
    let dropped = match spectrum {
        Spectrum::Real(v) => dropped_energy(&parseval, &positions, v, |x| f64::from(*x).powi(2)),
        Spectrum::Complex(v, s) => {
            let e = |z: &Complex32| f64::from(z.re).powi(2) + f64::from(z.im).powi(2);
            dropped_energy(&parseval, &positions, v, e) * f64::from(*s).powi(2)
        }
    };
    Ok(finish(shape, options, positions, values, dropped, energy))
}

/// Weighted energy of every coefficient of `values` not kept, with the
/// energy of one coefficient `energy(v)`: per chunk, the kept positions are
/// marked in a mask, and each row's share of the chunk is summed at the
/// interior weight (in lanes, so it vectorises), then corrected at the
/// columns that weigh differently.
fn dropped_energy<E: Sync>(
    parseval: &Parseval,
    positions: &[u64],
    values: &[E],
    energy: impl Fn(&E) -> f64 + Sync,
) -> f64 {
    const CHUNK: usize = 1 << 16;
    const LANES: usize = 4;
    let coefs = values.len();
    let (row, interior, edges) = parseval.column_weights();
    let unkept_sum = |values: &[E], kept: &[bool]| -> f64 {
        let mut lanes = [0.0f64; LANES];
        let (v4, k4) = (values.chunks_exact(LANES), kept.chunks_exact(LANES));
        let (v_rest, k_rest) = (v4.remainder(), k4.remainder());
        for (v, k) in v4.zip(k4) {
            for j in 0..LANES {
                let e = energy(&v[j]);
                lanes[j] += if k[j] { 0.0 } else { e };
            }
        }
        let mut sum = lanes.iter().sum::<f64>();
        for (v, &k) in v_rest.iter().zip(k_rest) {
            sum += if k { 0.0 } else { energy(v) };
        }
        sum
    };
    (0..coefs.div_ceil(CHUNK))
        .into_par_iter()
        .map_init(
            || vec![false; CHUNK],
            |mask, c| {
                let (start, end) = (c * CHUNK, ((c + 1) * CHUNK).min(coefs));
                let first = positions.partition_point(|&p| (p as usize) < start);
                let last = first + positions[first..].partition_point(|&p| (p as usize) < end);
                let kept = &mut mask[..end - start];
                kept.fill(false);
                for &p in &positions[first..last] {
                    kept[p as usize - start] = true;
                }
                let mut sum = 0.0f64;
                let mut p = start;
                while p < end {
                    let column = p % row;
                    let segment_end = (p + row - column).min(end);
                    let (a, b) = (p - start, segment_end - start);
                    sum += interior * unkept_sum(&values[p..segment_end], &kept[a..b]);
                    for &(edge, weight) in &edges {
                        let q = p - column + edge;
                        if (p..segment_end).contains(&q) && !kept[q - start] {
                            sum += (weight - interior) * energy(&values[q]);
                        }
                    }
                    p = segment_end;
                }
                sum
            },
        )
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::Transform;
    use crate::testing::SplitMix64;

    #[test]
    fn dropped_energy_is_the_weighted_sum_of_what_is_not_kept() {
        let cases: [(&[usize], Transform); 6] = [
            (&[70, 2000], Transform::Rfft),
            (&[5, 8], Transform::Rfft),
            (&[3, 7], Transform::Rfft),
            (&[4, 3, 1], Transform::Rfft),
            (&[9], Transform::Rfft),
            (&[300, 301], Transform::Dct),
        ];
        let mut rng = SplitMix64(3);
        for (shape, transform) in cases {
            let parseval = Parseval::new(transform, shape);
            let coefs: usize = super::super::coefficient_shape(shape, transform)
                .iter()
                .product();
            let values: Vec<Complex32> = rng.complex_vec(coefs);
            let positions: Vec<u64> = (0..coefs as u64)
                .filter(|p| (p * 2654435761) % 5 == 0)
                .collect();
            let e = |z: &Complex32| f64::from(z.re).powi(2) + f64::from(z.im).powi(2);
            let got = dropped_energy(&parseval, &positions, &values, e);
            let expected: f64 = (0..coefs)
                .filter(|p| positions.binary_search(&(*p as u64)).is_err())
                .map(|p| parseval.weighted(p, e(&values[p])))
                .sum();
            assert!(
                (got - expected).abs() <= 1e-12 * expected,
                "{shape:?} {transform:?}: {got} vs {expected}"
            );
        }
    }

    /// The walk over the fully sorted spectrum that [`fewest_within`]
    /// replaces: `(k, rounding, the first k positions ascending)`.
    fn sorted_walk(
        spectrum: &Spectrum,
        parseval: &Parseval,
        value_type: StoredPrecision,
        scale: f32,
        total: f64,
        budget: f64,
    ) -> (usize, f64, Vec<u32>) {
        let coefs = spectrum.len();
        let mut order: Vec<u32> = (0..coefs as u32).collect();
        order.sort_by(|&a, &b| {
            let (ka, kb) = (spectrum.key(a as usize), spectrum.key(b as usize));
            kb.cmp(&ka).then(a.cmp(&b))
        });
        let mut kept = vec![false; coefs];
        let (mut gained, mut rounding) = (0.0f64, 0.0f64);
        let mut k = coefs;
        let mut values = Vec::new();
        for (i, &p) in order.iter().enumerate() {
            if i > 0 && (total - gained).max(0.0) + rounding <= budget {
                k = i;
                break;
            }
            let p = p as usize;
            gained += parseval.gain(p, spectrum.energy(p), |q| {
                kept[q].then(|| spectrum.energy(q))
            });
            kept[p] = true;
            values.clear();
            spectrum.push_values(p, &mut values);
            let r2: f64 = values
                .iter()
                .map(|&v| (f64::from(round_value(value_type, scale, v)) - f64::from(v)).powi(2))
                .sum();
            rounding += parseval.weighted(p, r2);
        }
        let mut first = order[..k].to_vec();
        first.sort_unstable();
        (k, rounding, first)
    }

    #[test]
    fn banded_walk_keeps_what_the_sorted_walk_keeps() {
        let mut rng = SplitMix64(17);
        let mut cases: Vec<(Vec<usize>, Spectrum)> = Vec::new();
        for shape in [vec![1usize], vec![7], vec![13, 997], vec![300, 301]] {
            let n: usize = shape.iter().product();
            // Decaying (smooth data's spectrum), flat noise, and few levels
            // (ties), at ordinary and extreme scales.
            let decaying: Vec<f32> = (0..n)
                .map(|p| rng.uniform() / (1.0 + p as f32).powi(2))
                .collect();
            let levels: Vec<f32> = (0..n).map(|p| ((p * 7919) % 4) as f32 - 1.5).collect();
            for scale in [1.0f32, 1e-30, 1e30] {
                for v in [&decaying, &levels] {
                    cases.push((
                        shape.clone(),
                        Spectrum::Real(v.iter().map(|x| x * scale).collect()),
                    ));
                }
            }
            cases.push((
                shape.clone(),
                Spectrum::Real((0..n).map(|_| rng.uniform()).collect()),
            ));
        }
        for shape in [vec![6usize, 10], vec![5, 9], vec![3, 4, 8], vec![90, 2000]] {
            let coefs: usize = super::super::coefficient_shape(&shape, Transform::Rfft)
                .iter()
                .product();
            let z = rng.complex_vec(coefs);
            let decaying = z
                .iter()
                .enumerate()
                .map(|(p, &z)| z / (1.0 + p as f32))
                .collect();
            cases.push((shape.clone(), Spectrum::Complex(decaying, 0.5)));
            cases.push((shape, Spectrum::Complex(z, 1e-20)));
        }
        for (shape, spectrum) in &cases {
            let transform = match spectrum {
                Spectrum::Real(_) => Transform::Dct,
                Spectrum::Complex(..) => Transform::Rfft,
            };
            let parseval = Parseval::new(transform, shape);
            let coefs = spectrum.len();
            let total: f64 = (0..coefs)
                .map(|p| parseval.weighted(p, spectrum.energy(p)))
                .sum();
            for value_type in [StoredPrecision::F16, StoredPrecision::F32] {
                let scale = scale_for(value_type, spectrum.max_component());
                for rel in [0.0, 1e-4, 1e-2, 0.3, 2.0] {
                    let budget = rel * rel * total;
                    let want = sorted_walk(spectrum, &parseval, value_type, scale, total, budget);
                    let (count, _) = key_histogram(spectrum, &parseval);
                    for threads in [1, 2, 5] {
                        let pool = rayon::ThreadPoolBuilder::new()
                            .num_threads(threads)
                            .build()
                            .unwrap();
                        let run = |(k, r, mut first): (usize, f64, Vec<u32>)| {
                            first.truncate(k);
                            first.sort_unstable();
                            (k, r.to_bits(), first)
                        };
                        let want = (want.0, want.1.to_bits(), want.2.clone());
                        let got = pool.install(|| {
                            fewest_within(spectrum, &parseval, value_type, scale, total, budget)
                        });
                        assert_eq!(run(got), want, "{shape:?} {value_type:?} {rel} {threads}");
                        // Starting from the top bin only: many bands.
                        let got = pool.install(|| {
                            walk_from(
                                spectrum,
                                &parseval,
                                value_type,
                                scale,
                                total,
                                budget,
                                &count,
                                BINS - 1,
                            )
                        });
                        assert_eq!(run(got), want, "{shape:?} {value_type:?} {rel} {threads}");
                    }
                    assert!(want.0 >= 1.min(coefs) && want.0 <= coefs);
                }
            }
        }
    }
}
