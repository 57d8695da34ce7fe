//! Circulant and block-circulant products through the FFT against the
//! dense circulant matrix in f64: square, rectangular (p != q), lengths
//! that are not powers of two (primes included), one element; the
//! circulant linear layer's forward pass; typed errors.

mod common;

use fft_tensor::linalg::{BlockCirculant, CirculantLinear, MatmulShape};
use fft_tensor::testing::{compare_real, reference_matmul, SplitMix64};
use fft_tensor::{Context, Error};

fn products_equal_the_dense_circulant_matrix(ctx: Context) {
    for (i, &(p, q, n)) in [
        (1, 1, 1),
        (1, 1, 7),
        (1, 1, 64),
        (1, 1, 100),
        (2, 3, 5),
        (3, 1, 12),
        (2, 2, 97),
        (1, 4, 33),
    ]
    .iter()
    .enumerate()
    {
        let cols = SplitMix64(i as u64).uniform_vec(p * q * n, 1.0);
        let w = BlockCirculant::new(p, q, n, cols).unwrap();
        let dense = w.to_dense();
        for batch in [1, 5] {
            let s = MatmulShape::new(batch, w.inputs(), w.outputs());
            let x = SplitMix64(100 + i as u64).uniform_vec(s.x_len(), 1.0);
            let bias = SplitMix64(200 + i as u64).uniform_vec(w.outputs(), 1.0);
            let y = ctx.circulant_matmul(&x, &w, Some(&bias), batch).unwrap();
            let r = compare_real(&y, &reference_matmul(&x, &dense, Some(&bias), s));
            assert!(
                r.first_non_finite.is_none() && r.rms_relative < 2e-6,
                "{p} x {q} blocks of {n}, batch {batch}: {:.2e}",
                r.rms_relative
            );
        }
    }
}

fn circulant_layer_forward_and_errors(ctx: Context) {
    let w = BlockCirculant::new(2, 3, 10, SplitMix64(1).uniform_vec(60, 1.0)).unwrap();
    assert_eq!((w.outputs(), w.inputs(), w.bytes()), (20, 30, 240));
    let layer = CirculantLinear {
        weight: w.clone(),
        bias: None,
    };
    let x = SplitMix64(2).uniform_vec(2 * 2 * 30, 1.0);
    let (y, shape) = layer.forward(&ctx, &x, &[2, 2, 30]).unwrap();
    assert_eq!(shape, vec![2, 2, 20]);
    let r = compare_real(
        &y,
        &reference_matmul(&x, &w.to_dense(), None, MatmulShape::new(4, 30, 20)),
    );
    assert!(r.rms_relative < 2e-6, "{:.2e}", r.rms_relative);
    let e = layer.forward(&ctx, &x, &[4, 29]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = ctx.circulant_matmul(&x[..10], &w, None, 4).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = ctx.circulant_matmul(&[], &w, None, 0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    assert!(BlockCirculant::new(0, 1, 4, vec![]).is_err());
    assert!(matches!(
        BlockCirculant::new(1, 1, 4, vec![0.0; 3]).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    let e = BlockCirculant::new(1, 1, 2, vec![0.0, f32::NAN]).unwrap_err();
    assert!(e.to_string().contains("element 1"), "{e}");
}

backend_tests!(
    products_equal_the_dense_circulant_matrix,
    circulant_layer_forward_and_errors,
);
