//! Dense matmul `Y = X W^T (+ bias)`: each backend against an f64
//! reference on odd, prime, one-element and tile-ragged shapes at extreme
//! scales, GPU against the CPU twin, chaining in one recording, NaN
//! propagation and typed errors for bad shapes.

mod common;

use fft_tensor::linalg::{matmul_cpu, MatmulShape};
use fft_tensor::testing::{
    compare_real, gpu_context_or_skip, reference_matmul as reference, SplitMix64,
};
use fft_tensor::{Context, Error};

fn random(n: usize, scale: f32, seed: u64) -> Vec<f32> {
    SplitMix64(seed).uniform_vec(n, scale)
}

/// `sum_k |x w| + |bias|` per output: the magnitude rounding errors scale
/// with (a result near zero by cancellation has no small relative error).
fn magnitude(x: &[f32], w: &[f32], bias: Option<&[f32]>, s: MatmulShape) -> Vec<f64> {
    let ax: Vec<f32> = x.iter().map(|v| v.abs()).collect();
    let aw: Vec<f32> = w.iter().map(|v| v.abs()).collect();
    let ab: Option<Vec<f32>> = bias.map(|b| b.iter().map(|v| v.abs()).collect());
    reference(&ax, &aw, ab.as_deref(), s)
}

/// RMS of `actual - expected` over RMS of the magnitudes.
fn scaled_error(actual: &[f32], expected: &[f64], magnitude: &[f64]) -> f64 {
    let num: f64 = actual
        .iter()
        .zip(expected)
        .map(|(&a, &e)| (f64::from(a) - e).powi(2))
        .sum();
    let den: f64 = magnitude.iter().map(|m| m * m).sum();
    (num / den).sqrt()
}

/// RMS relative error allowed for dot products of length `n` in f32.
fn tolerance(n: usize) -> f64 {
    2e-7 * (n as f64).sqrt() + 1e-7
}

const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (1, 7, 1),
    (1, 1, 5),
    (1, 300, 257),
    (2, 3, 5),
    (13, 17, 19),
    (64, 64, 64),
    (65, 63, 129),
    (127, 1, 3),
    (3, 1031, 70),
    (200, 97, 131),
];

fn matches_f64_reference_on_odd_shapes_and_scales(ctx: Context) {
    for (i, &(b, n, m)) in SHAPES.iter().enumerate() {
        for (xs, ws) in [
            (1.0f32, 1.0f32),
            (1e15, 1e15),
            (1e-15, 1e-15),
            (1e-30, 1e25),
        ] {
            let s = MatmulShape::new(b, n, m);
            let x = random(s.x_len(), xs, 10 + i as u64);
            let w = random(s.w_len(), ws, 100 + i as u64);
            let bias = random(m, xs * ws, 1000 + i as u64);
            for bias in [None, Some(&bias[..])] {
                let y = ctx.matmul(&x, &w, bias, s).unwrap();
                let expected = reference(&x, &w, bias, s);
                let r = compare_real(&y, &expected);
                let e = scaled_error(&y, &expected, &magnitude(&x, &w, bias, s));
                assert!(
                    r.first_non_finite.is_none() && e <= tolerance(n),
                    "{s} scales {xs:e}/{ws:e} bias {}: error {e:.2e} of the magnitudes \
                     (RMS relative {:.2e}, worst index {})",
                    bias.is_some(),
                    r.rms_relative,
                    r.worst_index
                );
            }
        }
    }
}

fn nan_and_infinity_propagate(ctx: Context) {
    let s = MatmulShape::new(3, 70, 5);
    let mut x = random(s.x_len(), 1.0, 1);
    let w = random(s.w_len(), 1.0, 2);
    x[70 + 4] = f32::NAN; // row 1
    x[2 * 70] = f32::INFINITY; // row 2
    let y = ctx.matmul(&x, &w, None, s).unwrap();
    assert!(y[..5].iter().all(|v| v.is_finite()), "row 0: {:?}", &y[..5]);
    assert!(
        y[5..10].iter().all(|v| v.is_nan()),
        "row 1: {:?}",
        &y[5..10]
    );
    for (c, v) in y[10..15].iter().enumerate() {
        let expected = if w[c * 70] > 0.0 {
            f32::INFINITY
        } else {
            f32::NEG_INFINITY
        };
        assert_eq!(*v, expected, "row 2, column {c}");
    }
}

fn bad_shapes_are_typed_errors(ctx: Context) {
    let x = vec![1.0f32; 12];
    let w = vec![1.0f32; 20];
    for s in [
        MatmulShape::new(0, 4, 5),
        MatmulShape::new(3, 0, 5),
        MatmulShape::new(3, 4, 0),
    ] {
        let e = ctx.matmul(&x, &w, None, s).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{s}: {e}");
    }
    let s = MatmulShape::new(3, 4, 5);
    for (x, w, bias) in [
        (&x[..11], &w[..], None),
        (&x[..], &w[..19], None),
        (&x[..], &w[..], Some(&[0.0f32; 4][..])),
    ] {
        let e = ctx.matmul(x, w, bias, s).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
        assert!(e.to_string().contains("elements"), "{e}");
    }
    let e = matmul_cpu(&x, &w, None, MatmulShape::new(usize::MAX, 2, 1)).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
}

backend_tests!(
    matches_f64_reference_on_odd_shapes_and_scales,
    nan_and_infinity_propagate,
    bad_shapes_are_typed_errors,
);

#[test]
fn gpu_agrees_with_the_cpu_twin() {
    let Some(ctx) = gpu_context_or_skip("gpu_agrees_with_the_cpu_twin") else {
        return;
    };
    for (i, &(b, n, m)) in SHAPES.iter().enumerate() {
        let s = MatmulShape::new(b, n, m);
        let x = random(s.x_len(), 3.0, 7 + i as u64);
        let w = random(s.w_len(), 0.5, 70 + i as u64);
        let gpu = ctx.matmul(&x, &w, None, s).unwrap();
        let cpu = matmul_cpu(&x, &w, None, s).unwrap();
        let cpu64: Vec<f64> = cpu.iter().map(|&v| v.into()).collect();
        let e = scaled_error(&gpu, &cpu64, &magnitude(&x, &w, None, s));
        assert!(e <= 2.0 * tolerance(n), "{s}: {e:.2e}");
    }
}

#[test]
fn chained_products_are_one_submission() {
    let Some(ctx) = gpu_context_or_skip("chained_products_are_one_submission") else {
        return;
    };
    // Two layers, Y2 = (X W1^T + b1) W2^T, recorded together.
    let s1 = MatmulShape::new(5, 33, 20);
    let s2 = MatmulShape::new(5, 20, 9);
    let x = random(s1.x_len(), 1.0, 1);
    let w1 = random(s1.w_len(), 1.0, 2);
    let b1 = random(20, 1.0, 3);
    let w2 = random(s2.w_len(), 1.0, 4);
    let before = ctx.gpu().unwrap().submissions();
    let mut rec = ctx.recording("two layers").unwrap();
    let xs = rec.upload("x", &x).unwrap();
    let w1s = rec.upload("w1", &w1).unwrap();
    let b1s = rec.upload("b1", &b1).unwrap();
    let w2s = rec.upload("w2", &w2).unwrap();
    let h = rec.temporary("h", 4 * s1.y_len() as u64).unwrap();
    let y = rec.temporary("y", 4 * s2.y_len() as u64).unwrap();
    ctx.record_matmul(&mut rec, &xs, &w1s, Some(&b1s), &h, s1)
        .unwrap();
    ctx.record_matmul(&mut rec, &h, &w2s, None, &y, s2).unwrap();
    let out = rec.read_back(&y).unwrap();
    let got: Vec<f32> = rec.submit().unwrap().wait().unwrap().take(out).unwrap();
    assert_eq!(ctx.gpu().unwrap().submissions() - before, 1);
    let h64 = reference(&x, &w1, Some(&b1), s1);
    let h32: Vec<f32> = h64.iter().map(|&v| v as f32).collect();
    let r = compare_real(&got, &reference(&h32, &w2, None, s2));
    assert!(r.rms_relative < 1e-5, "{:.2e}", r.rms_relative);
    // A Y slice too small is refused before anything is recorded.
    let mut rec = ctx.recording("small").unwrap();
    let small = rec.temporary("y", 8).unwrap();
    let e = ctx
        .record_matmul(&mut rec, &xs, &w1s, None, &small, s1)
        .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
}

#[test]
fn record_matmul_needs_a_gpu() {
    let ctx = Context::cpu();
    assert!(matches!(
        ctx.recording("x").unwrap_err(),
        Error::NoGpu { .. }
    ));
}
