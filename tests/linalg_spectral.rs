//! Spectral matmul from a sparse 2-D DCT spectrum, without building W:
//! equal to decompress-then-dense within float tolerance on random and
//! smooth W; both errors printed (against the decoded W: the kernel's;
//! against the original W: the codec's loss).

mod common;

use fft_tensor::linalg::{MatmulShape, SpectralWeight};
use fft_tensor::spectral::{CompressOptions, Keep, StoredPrecision, Transform};
use fft_tensor::testing::{compare_real, reference_matmul, smooth_matrix, SplitMix64};
use fft_tensor::{Context, Error, Tensor};

fn spectral_product_equals_decompress_then_dense(ctx: Context) {
    for (m, n, batch) in [(1, 1, 1), (7, 5, 3), (64, 96, 4), (33, 130, 1)] {
        let s = MatmulShape::new(batch, n, m);
        let x = SplitMix64(1).uniform_vec(batch * n, 1.0);
        for (kind, w) in [
            ("random", SplitMix64(2).uniform_vec(m * n, 1.0)),
            ("smooth", smooth_matrix(m, n)),
        ] {
            for keep in [0.01, 0.05, 0.1, 1.0] {
                let options = CompressOptions {
                    transform: Transform::Dct,
                    value_type: StoredPrecision::F32,
                    keep: Keep::Fraction(keep),
                };
                let sparse = ctx
                    .compress(&Tensor::new(&[m, n], w.clone()).unwrap(), &options)
                    .unwrap();
                let decoded = ctx.decompress(&sparse).unwrap().into_data();
                let sw = SpectralWeight::from_sparse(&sparse).unwrap();
                let y = ctx.spectral_matmul(&x, &sw, batch).unwrap();
                let exact = compare_real(&y, &reference_matmul(&x, &decoded, None, s));
                let lossy = compare_real(&y, &reference_matmul(&x, &w, None, s));
                println!(
                    "{m} x {n} {kind} W, {keep} kept: vs decoded W {:.2e}, vs original W {:.2e}",
                    exact.rms_relative, lossy.rms_relative
                );
                assert!(
                    exact.rms_relative < 2e-5,
                    "{m}x{n} {kind} {keep}: {:.2e}",
                    exact.rms_relative
                );
                if keep == 1.0 {
                    assert!(lossy.rms_relative < 2e-5, "{:.2e}", lossy.rms_relative);
                }
            }
        }
    }
}

fn bad_inputs_are_typed_errors(ctx: Context) {
    let options = CompressOptions {
        transform: Transform::Dct,
        value_type: StoredPrecision::F32,
        keep: Keep::Fraction(0.5),
    };
    let t = Tensor::new(&[4, 6], SplitMix64(3).uniform_vec(24, 1.0)).unwrap();
    let sw = SpectralWeight::from_sparse(&ctx.compress(&t, &options).unwrap()).unwrap();
    let e = ctx.spectral_matmul(&[1.0; 5], &sw, 1).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = ctx.spectral_matmul(&[], &sw, 0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    let t3 = Tensor::new(&[2, 3, 4], vec![1.0; 24]).unwrap();
    let e = SpectralWeight::from_sparse(&ctx.compress(&t3, &options).unwrap()).unwrap_err();
    assert!(e.to_string().contains("2-D"), "{e}");
    let rfft = CompressOptions {
        transform: Transform::Rfft,
        ..options
    };
    let e = SpectralWeight::from_sparse(&ctx.compress(&t, &rfft).unwrap()).unwrap_err();
    assert!(e.to_string().contains("DCT"), "{e}");
}

backend_tests!(
    spectral_product_equals_decompress_then_dense,
    bad_inputs_are_typed_errors
);
