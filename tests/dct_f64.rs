//! The f64 DCT-II / DCT-III (CPU twin, on every context) against the O(N^2)
//! f64 sums: RMS relative error below 1e-15 * log2(n) per axis over odd,
//! prime, power-of-two and 1-point lengths, several axes, extreme scales;
//! round trips; bad axes.

use fft_tensor::dct::reference::{dct2_naive_f64, dct3_naive_f64};
use fft_tensor::testing::{gpu_context_or_skip, SplitMix64};
use fft_tensor::{Context, Error, Tensor};

/// RMS relative error of `actual` against `expected`, both scaled by the
/// largest expected magnitude first so that squares of 1e300 stay finite.
fn rms_relative(actual: &[f64], expected: &[f64]) -> f64 {
    let top = expected.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    if top == 0.0 {
        return actual.iter().map(|a| a * a).sum::<f64>().sqrt();
    }
    let err: f64 = actual
        .iter()
        .zip(expected)
        .map(|(a, e)| ((a - e) / top).powi(2))
        .sum();
    let norm: f64 = expected.iter().map(|e| (e / top).powi(2)).sum();
    (err / norm).sqrt()
}

/// The naive transform along `axis` of a row-major tensor.
fn reference_axis(data: &mut [f64], shape: &[usize], axis: usize, inverse: bool) {
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * n + k) * inner + i;
            let line: Vec<f64> = (0..n).map(|k| data[at(k)]).collect();
            let out = if inverse {
                dct3_naive_f64(&line)
            } else {
                dct2_naive_f64(&line)
            };
            for (k, v) in out.into_iter().enumerate() {
                data[at(k)] = v;
            }
        }
    }
}

fn random(len: usize, seed: u64, scale: f64) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    // 53 random bits per value, in [-scale, scale).
    (0..len)
        .map(|_| ((rng.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0) * scale)
        .collect()
}

const CASES: &[(&[usize], &[usize])] = &[
    (&[1], &[0]),
    (&[2], &[0]),
    (&[3], &[0]),
    (&[17], &[0]),
    (&[64], &[0]),
    (&[97], &[0]),
    (&[1000], &[0]),
    (&[1024], &[0]),
    (&[7, 31], &[1]),
    (&[31, 7], &[0]),
    (&[12, 1, 9], &[2, 0, 1]),
    (&[5, 16, 3], &[1]),
];

fn check(ctx: &Context, inverse: bool) {
    for (case, &(shape, axes)) in CASES.iter().enumerate() {
        for scale in [1.0, 1e-300, 1e300] {
            let len: usize = shape.iter().product();
            let data = random(len, case as u64 + 1, scale);
            let mut expected = data.clone();
            for &axis in axes {
                reference_axis(&mut expected, shape, axis, inverse);
            }
            let mut t = Tensor::new(shape, data).unwrap();
            if inverse {
                ctx.idctn_f64(&mut t, axes).unwrap();
            } else {
                ctx.dctn_f64(&mut t, axes).unwrap();
            }
            let log_n: f64 = axes
                .iter()
                .map(|&a| (shape[a] as f64).log2().max(1.0))
                .sum();
            let err = rms_relative(t.data(), &expected);
            assert!(
                err <= 1e-15 * log_n,
                "{shape:?} {axes:?} x{scale:e} inverse={inverse}: rms {err:e}"
            );
        }
    }
}

#[test]
fn dct2_f64_matches_the_naive_sum() {
    check(&Context::cpu(), false);
}

#[test]
fn dct3_f64_matches_the_naive_sum() {
    check(&Context::cpu(), true);
}

#[test]
fn f64_on_a_gpu_context_runs_on_its_cpu_twin() {
    if let Some(ctx) = gpu_context_or_skip("f64_on_a_gpu_context_runs_on_its_cpu_twin") {
        check(&ctx, false);
        check(&ctx, true);
    }
}

#[test]
fn round_trip_restores_the_input() {
    let ctx = Context::cpu();
    for shape in [&[1usize][..], &[13], &[8, 27], &[4, 5, 6]] {
        let len: usize = shape.iter().product();
        let data = random(len, 99, 3.0);
        let axes: Vec<usize> = (0..shape.len()).collect();
        let mut t = Tensor::new(shape, data.clone()).unwrap();
        ctx.dctn_f64(&mut t, &axes).unwrap();
        ctx.idctn_f64(&mut t, &axes).unwrap();
        let err = rms_relative(t.data(), &data);
        assert!(err < 1e-15 * 8.0, "{shape:?}: rms {err:e}");
    }
}

#[test]
fn bad_axes_are_refused_untouched() {
    let ctx = Context::cpu();
    let data = random(12, 5, 1.0);
    let mut t = Tensor::new(&[3, 4], data.clone()).unwrap();
    for axes in [&[2usize][..], &[0, 0]] {
        let err = ctx.dctn_f64(&mut t, axes).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
        assert_eq!(t.data(), &data[..]);
    }
    // No axes: nothing changes.
    ctx.dctn_f64(&mut t, &[]).unwrap();
    assert_eq!(t.data(), &data[..]);
}
