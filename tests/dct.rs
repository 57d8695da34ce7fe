//! DCT-II / DCT-III on both backends against the naive f64 formula:
//! accuracy, N-D separability, round trips, orthonormality (Parseval).

mod common;

use fft_tensor::dct::reference::dct2_naive_f64;
use fft_tensor::testing::{compare_real, gpu_context_or_skip, SplitMix64};
use fft_tensor::{Context, Tensor};

/// Naive f64 DCT-II along `axis` of a row-major tensor.
fn reference_axis(data: &mut [f64], shape: &[usize], axis: usize) {
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * n + k) * inner + i;
            let line: Vec<f64> = (0..n).map(|k| data[at(k)]).collect();
            for (k, v) in dct2_naive_f64(&line).into_iter().enumerate() {
                data[at(k)] = v;
            }
        }
    }
}

fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    (0..len).map(|_| rng.uniform()).collect()
}

fn dct_matches_the_naive_formula_and_round_trips(ctx: Context) {
    let cases: &[(&[usize], &[usize])] = &[
        (&[2], &[0]),
        (&[16], &[0]),
        (&[4, 1024], &[1]),
        (&[8, 16, 32], &[0, 1, 2]),
        (&[8, 16, 32], &[1]),
        (&[64, 4], &[0]),
        (&[2, 2, 4, 2, 2, 2, 2, 2], &[2, 5]),
        (&[1], &[0]),
        (&[7, 9], &[0, 1]),
        (&[6, 10, 3], &[0, 1, 2]),
        (&[97], &[0]),
        (&[5, 1000], &[1]),
    ];
    for (shape, axes) in cases {
        let len: usize = shape.iter().product();
        let data = random(len, len as u64);
        let mut expected: Vec<f64> = data.iter().map(|&x| x.into()).collect();
        for &a in *axes {
            reference_axis(&mut expected, shape, a);
        }
        let mut t = Tensor::new(shape, data.clone()).unwrap();
        ctx.dctn(&mut t, axes).unwrap();
        let r = compare_real(t.data(), &expected);
        assert!(
            r.rms_relative <= 1e-6,
            "{} dct {shape:?} {axes:?}: {r:?}",
            ctx.description()
        );
        let e_in: f64 = data.iter().map(|&x| f64::from(x).powi(2)).sum();
        let e_out: f64 = t.data().iter().map(|&x| f64::from(x).powi(2)).sum();
        assert!(
            ((e_out - e_in) / e_in).abs() < 1e-5,
            "Parseval {shape:?}: {e_in} vs {e_out}"
        );
        ctx.idctn(&mut t, axes).unwrap();
        let r = compare_real(
            t.data(),
            &data.iter().map(|&x| x.into()).collect::<Vec<f64>>(),
        );
        assert!(
            r.rms_relative <= 1e-6,
            "{} round trip {shape:?} {axes:?}: {r:?}",
            ctx.description()
        );
    }
}

#[test]
fn gpu_and_cpu_dct_agree() {
    let Some(gpu) = gpu_context_or_skip("gpu_and_cpu_dct_agree") else {
        return;
    };
    let shape = [32usize, 64, 8];
    let data = random(32 * 64 * 8, 3);
    let mut a = Tensor::new(&shape, data.clone()).unwrap();
    let mut b = Tensor::new(&shape, data).unwrap();
    gpu.dctn(&mut a, &[0, 1, 2]).unwrap();
    Context::cpu().dctn(&mut b, &[0, 1, 2]).unwrap();
    let r = compare_real(
        a.data(),
        &b.data().iter().map(|&x| x.into()).collect::<Vec<f64>>(),
    );
    assert!(r.rms_relative <= 1e-6, "{r:?}");
}

backend_tests!(dct_matches_the_naive_formula_and_round_trips,);
