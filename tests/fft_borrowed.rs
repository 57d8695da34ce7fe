//! The borrowing and owning forms (`rfftn_slice`, `rfftn_into`,
//! `irfftn_owned`, their f64 twins, `compress_owned`) give what the tensor
//! forms give, bit for bit on the same context, and refuse data that does
//! not fill its shape.

use fft_tensor::fft::rfftn_shape;
use fft_tensor::num_complex::{Complex32, Complex64};
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
            check_into(ctx, &t, axes, norm, &by_tensor);
            let n = shape[*axes.last().unwrap()];
            let back = ctx.irfftn(&by_tensor, axes, n, norm).unwrap();
            let owned = ctx.irfftn_owned(by_slice, axes, n, norm).unwrap();
            assert_eq!(back, owned, "irfftn {shape:?} {axes:?} {norm:?}");
        }
    }
}

/// `rfftn_into` over an output full of NaN, twice into the same output,
/// gives `expected` bit for bit.
fn check_into(
    ctx: &Context,
    t: &Tensor<f32>,
    axes: &[usize],
    norm: Normalization,
    expected: &Tensor<Complex32>,
) {
    let shape = rfftn_shape(t.shape(), axes).unwrap();
    let len = shape.iter().product();
    let mut out = Tensor::new(&shape, vec![Complex32::new(f32::NAN, f32::NAN); len]).unwrap();
    for round in 0..2 {
        ctx.rfftn_into(t, axes, norm, &mut out).unwrap();
        assert_eq!(
            &out,
            expected,
            "rfftn_into {:?} {axes:?} {norm:?} {round}",
            t.shape()
        );
    }
}

#[test]
fn f32_forms_agree_on_the_cpu() {
    check_f32(&Context::cpu());
}

/// Sizes large enough for every parallel route of the line passes
/// (contiguous, strided by blocks and by groups of columns), odd and even
/// real lengths.
#[test]
fn rfftn_into_equals_rfftn_on_large_tensors() {
    let ctx = Context::cpu();
    let mut rng = SplitMix64(13);
    let cases: &[(&[usize], &[usize])] = &[
        (&[64, 4096], &[1]),
        (&[300, 129], &[1]),
        (&[256, 256], &[0, 1]),
        (&[3, 4097, 16], &[1]),
        (&[2, 1000, 130], &[2, 1]),
    ];
    for &(shape, axes) in cases {
        let len: usize = shape.iter().product();
        let t = Tensor::new(shape, rng.uniform_vec(len, 1e3)).unwrap();
        let expected = ctx.rfftn(&t, axes, Normalization::Ortho).unwrap();
        check_into(&ctx, &t, axes, Normalization::Ortho, &expected);
    }
}

#[test]
fn rfftn_into_refuses_an_output_of_another_shape() {
    let ctx = Context::cpu();
    let t = Tensor::new(&[3, 8], vec![1.0f32; 24]).unwrap();
    for (shape, axes) in [(&[3, 4][..], &[1][..]), (&[3, 5], &[0]), (&[24], &[1])] {
        let len = shape.iter().product();
        let mut out = Tensor::new(shape, vec![Complex32::new(7.0, 7.0); len]).unwrap();
        let err = ctx
            .rfftn_into(&t, axes, Normalization::Backward, &mut out)
            .unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
        assert!(out.data().iter().all(|&v| v == Complex32::new(7.0, 7.0)));
    }
    let mut out = Tensor::new(&[3, 5], vec![Complex32::new(0.0, 0.0); 15]).unwrap();
    let err = ctx
        .rfftn_into(&t, &[2], Normalization::Backward, &mut out)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
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
