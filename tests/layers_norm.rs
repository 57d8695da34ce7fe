//! Layer norm and GELU on both backends against the f64 definitions.

mod common;

use fft_tensor::layers::norm::GeluForm;
use fft_tensor::layers::reference::layer_norm_f64;
use fft_tensor::testing::{compare_real, SplitMix64};
use fft_tensor::{Context, Error, Tensor};

fn random(n: usize, seed: u64, scale: f32, offset: f32) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    (0..n).map(|_| rng.uniform() * scale + offset).collect()
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

fn layer_norm_matches_the_definition(ctx: Context) {
    // (rows, hidden, scale, offset): odd, prime, 1-element, wide rows, and
    // values far from zero (a one-pass variance would cancel there).
    let cases = [
        (1, 1, 1.0, 0.0),
        (3, 7, 1.0, 0.0),
        (5, 768, 2.0, 0.5),
        (2, 1031, 1.0, 0.0),
        (17, 64, 1e-3, 1e3),
        (4, 33, 1e4, 0.0),
        // Extreme scales: squares of 1e30 overflow f32, of 1e-30 underflow.
        (3, 300, 1e30, 0.0),
        (3, 33, 1e-30, 0.0),
        (70_000, 3, 1.0, 0.0),
    ];
    for (i, &(rows, hidden, scale, offset)) in cases.iter().enumerate() {
        let x = random(rows * hidden, i as u64, scale, offset);
        let r = random(rows * hidden, 100 + i as u64, scale, 0.0);
        let g = random(hidden, 200 + i as u64, 1.0, 1.0);
        let b = random(hidden, 300 + i as u64, 1.0, 0.0);
        let eps = 1e-12;
        for residual in [false, true] {
            let xt = Tensor::new(&[rows, hidden], x.clone()).unwrap();
            let rt = Tensor::new(&[rows, hidden], r.clone()).unwrap();
            let y = ctx
                .layer_norm(&xt, residual.then_some(&rt), &g, &b, eps)
                .unwrap();
            // The fused add is f32 arithmetic: the reference normalises
            // the f32 sum (whose rounding no f32 kernel can avoid).
            let input: Vec<f32> = if residual {
                x.iter().zip(&r).map(|(a, b)| a + b).collect()
            } else {
                x.clone()
            };
            let want = layer_norm_f64(&f64s(&input), None, &f64s(&g), &f64s(&b), f64::from(eps));
            let rep = compare_real(y.data(), &want);
            // Values near 1e3 spread by 1e-3 keep 2^-24 * 1e6 of relative
            // precision in the mean; elsewhere f32 rounding alone.
            let tol = if offset.abs() > 10.0 * scale {
                1e-4
            } else {
                2e-6
            };
            assert!(
                rep.rms_relative <= tol,
                "{} rows {rows} hidden {hidden} residual {residual}: {rep:?}",
                ctx.description()
            );
        }
    }
}

fn layer_norm_rejects_bad_arguments(ctx: Context) {
    let x = Tensor::new(&[2, 3], vec![1.0; 6]).unwrap();
    let bad_gamma = ctx.layer_norm(&x, None, &[1.0; 2], &[0.0; 3], 1e-5);
    assert!(matches!(bad_gamma, Err(Error::ShapeMismatch { .. })));
    let bad_eps = ctx.layer_norm(&x, None, &[1.0; 3], &[0.0; 3], -1.0);
    assert!(matches!(bad_eps, Err(Error::InvalidArgument { .. })));
    let r = Tensor::new(&[3, 2], vec![1.0; 6]).unwrap();
    let bad_res = ctx.layer_norm(&x, Some(&r), &[1.0; 3], &[0.0; 3], 1e-5);
    assert!(matches!(bad_res, Err(Error::ShapeMismatch { .. })));
    let bad_bias = ctx.gelu(&x, Some(&[0.0; 2]), GeluForm::Tanh);
    assert!(matches!(bad_bias, Err(Error::ShapeMismatch { .. })));
}

fn gelu_matches_both_definitions(ctx: Context) {
    for (i, &(rows, cols)) in [(1, 1), (7, 13), (33, 768), (300, 1025)].iter().enumerate() {
        let mut x = random(rows * cols, i as u64, 6.0, 0.0);
        // Extreme values: large magnitudes saturate, tiny ones are linear.
        x[0] = 1e4;
        if x.len() > 2 {
            x[1] = -1e4;
            x[2] = 1e-30;
        }
        let bias = random(cols, 50 + i as u64, 1.0, 0.0);
        for form in [GeluForm::Tanh, GeluForm::Erf] {
            for with_bias in [false, true] {
                let t = Tensor::new(&[rows, cols], x.clone()).unwrap();
                let y = ctx.gelu(&t, with_bias.then_some(&bias[..]), form).unwrap();
                let want: Vec<f64> = x
                    .iter()
                    .enumerate()
                    .map(|(j, &v)| {
                        let b = if with_bias {
                            f64::from(bias[j % cols])
                        } else {
                            0.0
                        };
                        form.apply_f64(f64::from(v) + b)
                    })
                    .collect();
                let rep = compare_real(y.data(), &want);
                assert!(
                    rep.rms_relative <= 1e-6 && rep.first_non_finite.is_none(),
                    "{} gelu {form:?} bias {with_bias} {rows}x{cols}: {rep:?}",
                    ctx.description()
                );
                // The saturated ends are exact: x and 0.
                if !with_bias {
                    assert_eq!(y.data()[0], 1e4);
                }
            }
        }
    }
}

backend_tests!(
    layer_norm_matches_the_definition,
    layer_norm_rejects_bad_arguments,
    gelu_matches_both_definitions
);
