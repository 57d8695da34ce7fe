//! The borrowing and owning forms (`rfftn_slice`, `irfftn_owned`, their f64
//! twins, `compress_owned`) give what the tensor forms give, bit for bit on
//! the same context, and refuse data that does not fill its shape.

use fft_tensor::num_complex::Complex64;
use fft_tensor::spectral::CompressOptions;
use fft_tensor::testing::{gpu_context_or_skip, SplitMix64};
use fft_tensor::{Context, Error, Normalization, Tensor};

/// Shapes (odd, prime, one element, several axes) and the axes transformed.
const CASES: &[(&[usize], &[usize])] = &[
    (&[1], &[0]),
    (&[2], &[0]),
    (&[7], &[0]),
    (&[64], &[0]),
    (&[5, 13], &[1]),
    (&[6, 10], &[0, 1]),
    (&[3, 4, 9], &[2, 0]),
];

const NORMS: [Normalization; 3] = [
    Normalization::Backward,
    Normalization::Ortho,
    Normalization::Forward,
];

fn check_f32(ctx: &Context) {
    let mut rng = SplitMix64(11);
    for &(shape, axes) in CASES {
        let len: usize = shape.iter().product();
        let data = rng.uniform_vec(len, 3.0);
        let t = Tensor::new(shape, data.clone()).unwrap();
        for norm in NORMS {
            let by_tensor = ctx.rfftn(&t, axes, norm).unwrap();
            let by_slice = ctx.rfftn_slice(&data, shape, axes, norm).unwrap();
            assert_eq!(by_tensor, by_slice, "rfftn {shape:?} {axes:?} {norm:?}");
            let n = shape[*axes.last().unwrap()];
            let back = ctx.irfftn(&by_tensor, axes, n, norm).unwrap();
            let owned = ctx.irfftn_owned(by_slice, axes, n, norm).unwrap();
            assert_eq!(back, owned, "irfftn {shape:?} {axes:?} {norm:?}");
        }
    }
}

#[test]
fn f32_forms_agree_on_the_cpu() {
    check_f32(&Context::cpu());
}

#[test]
fn f32_forms_agree_on_the_gpu() {
    if let Some(ctx) = gpu_context_or_skip("f32_forms_agree_on_the_gpu") {
        check_f32(&ctx);
    }
}

#[test]
fn f64_forms_agree() {
    let ctx = Context::cpu();
    let mut rng = SplitMix64(12);
    for &(shape, axes) in CASES {
        let len: usize = shape.iter().product();
        let data: Vec<f64> = (0..len).map(|_| f64::from(rng.uniform()) * 1e200).collect();
        let t = Tensor::new(shape, data.clone()).unwrap();
        for norm in NORMS {
            let by_tensor = ctx.rfftn_f64(&t, axes, norm).unwrap();
            let by_slice = ctx.rfftn_f64_slice(&data, shape, axes, norm).unwrap();
            assert_eq!(by_tensor, by_slice, "rfftn_f64 {shape:?} {axes:?} {norm:?}");
            let n = shape[*axes.last().unwrap()];
            let back = ctx.irfftn_f64(&by_tensor, axes, n, norm).unwrap();
            let owned = ctx.irfftn_f64_owned(by_slice, axes, n, norm).unwrap();
            assert_eq!(back, owned, "irfftn_f64 {shape:?} {axes:?} {norm:?}");
        }
    }
}

#[test]
fn slices_that_do_not_fill_their_shape_are_refused() {
    let ctx = Context::cpu();
    let short = vec![0.0f32; 11];
    let err = ctx
        .rfftn_slice(&short, &[3, 4], &[1], Normalization::Backward)
        .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    let long = vec![0.0f64; 13];
    let err = ctx
        .rfftn_f64_slice(&long, &[3, 4], &[1], Normalization::Backward)
        .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    // Bad axes are still refused on well-formed slices.
    let ok = vec![0.0f32; 12];
    let err = ctx
        .rfftn_slice(&ok, &[3, 4], &[2], Normalization::Backward)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    let err = ctx
        .rfftn_slice(&ok, &[3, 4], &[], Normalization::Backward)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    // A half spectrum of the wrong length is refused by the owning form.
    let half = Tensor::new(&[3, 2], vec![Complex64::new(1.0, 0.0); 6]).unwrap();
    let err = ctx
        .irfftn_f64_owned(half, &[1], 8, Normalization::Backward)
        .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
}

#[test]
fn compress_owned_equals_compress() {
    let ctx = Context::cpu();
    let mut rng = SplitMix64(13);
    for shape in [&[1usize][..], &[97], &[31, 17]] {
        let len: usize = shape.iter().product();
        let t = Tensor::new(shape, rng.uniform_vec(len, 5.0)).unwrap();
        let options = CompressOptions::default();
        let borrowed = ctx.compress(&t, &options).unwrap();
        let owned = ctx.compress_owned(t, &options).unwrap();
        assert_eq!(borrowed, owned, "{shape:?}");
    }
}
