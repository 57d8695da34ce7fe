//! Real transforms equal the complex transform of the same data (half
//! spectrum), round trips restore the input, GPU and CPU twin agree.

mod common;

use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::{
    assert_rms_close, compare_real, gpu_context_or_skip, reference_fft, SplitMix64,
};
use fft_tensor::{Context, FftDirection, Normalization, Tensor};

/// Half spectrum expected from the complex transform of the promoted data.
fn expected_half(ctx: &Context, data: &[f32], shape: &[usize], axes: &[usize]) -> Vec<Complex64> {
    let complex: Vec<Complex32> = data.iter().map(|&x| Complex32::new(x, 0.0)).collect();
    let mut t = Tensor::new(shape, complex).unwrap();
    Context::cpu()
        .fftn(&mut t, axes, FftDirection::Forward, Normalization::None)
        .unwrap();
    let _ = ctx;
    let axis = *axes.last().unwrap();
    let n = shape[axis];
    let h1 = n / 2 + 1;
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let mut out = Vec::with_capacity(outer * h1 * inner);
    for o in 0..outer {
        for k in 0..h1 {
            for i in 0..inner {
                let v = t.data()[(o * n + k) * inner + i];
                out.push(Complex64::new(v.re.into(), v.im.into()));
            }
        }
    }
    out
}

const CASES: &[(&[usize], &[usize])] = &[
    (&[8], &[0]),
    (&[2], &[0]),
    (&[5, 64], &[1]),
    (&[4096], &[0]),
    (&[3, 8192], &[1]),        // packed path with a four-step half transform
    (&[16, 32], &[0, 1]),      // rfft2
    (&[32, 16], &[1, 0]),      // real axis strided
    (&[4, 8, 16], &[0, 1, 2]), // rfftn
    (&[64, 3], &[0]),          // strided real axis
    (&[6, 10], &[0, 1]),       // mixed-radix half transforms
    (&[7, 9], &[0, 1]),        // odd real axis: the general route
    (&[3, 97], &[1]),          // prime length (Bluestein on the GPU)
    (&[1000], &[0]),
    (&[64, 4096], &[1]), // half-spectrum pass fused, whole workgroups
    (&[48, 1536], &[1]), // fused, radix 3, the last group partly filled
    (&[5, 4094], &[1]),  // half length 2047 = 23 * 89 (Bluestein): unfused
];

fn rfftn_is_the_half_of_the_complex_transform(ctx: Context) {
    for (shape, axes) in CASES {
        let len: usize = shape.iter().product();
        let mut rng = SplitMix64(len as u64 + 5);
        let data: Vec<f32> = (0..len).map(|_| rng.uniform()).collect();
        let t = Tensor::new(shape, data.clone()).unwrap();
        let half = ctx.rfftn(&t, axes, Normalization::None).unwrap();
        let expected = expected_half(&ctx, &data, shape, axes);
        assert_rms_close(
            &format!("{} rfftn {shape:?} {axes:?}", ctx.description()),
            half.data(),
            &expected,
            2e-6,
        );
        let back = ctx
            .irfftn(
                &half,
                axes,
                shape[*axes.last().unwrap()],
                Normalization::Backward,
            )
            .unwrap();
        assert_eq!(back.shape(), *shape);
        let expected: Vec<f64> = data.iter().map(|&x| f64::from(x)).collect();
        let r = compare_real(back.data(), &expected);
        assert!(
            r.rms_relative < 2e-6,
            "{} round trip {shape:?}: {r:?}",
            ctx.description()
        );
    }
}

/// Even lengths take the packed half-length route on the CPU twin: short
/// ones (2, 4, 6: no twiddle pairs, or only the middle), odd and even half
/// lengths, and enough rows to run on all cores; at extreme magnitudes,
/// against the f64 FFT of the same data.
#[test]
fn even_lengths_on_the_cpu_twin_match_the_f64_reference() {
    let ctx = Context::cpu();
    for (rows, n) in [
        (3usize, 2usize),
        (3, 4),
        (2, 6),
        (5, 10),
        (4, 34),
        (2, 36),
        (600, 256),
        (70, 4096),
        (20000, 2), // written straight into fresh memory on all cores
    ] {
        for magnitude in [1.0f32, 1e30, 1e-30] {
            let mut rng = SplitMix64((rows * n) as u64);
            let data: Vec<f32> = (0..rows * n).map(|_| rng.uniform() * magnitude).collect();
            let t = Tensor::new(&[rows, n], data.clone()).unwrap();
            let half = ctx.rfftn(&t, &[1], Normalization::Forward).unwrap();
            let mut expected = Vec::with_capacity(rows * (n / 2 + 1));
            for row in data.chunks(n) {
                let line: Vec<Complex32> = row.iter().map(|&x| Complex32::new(x, 0.0)).collect();
                let full = reference_fft(&line, n, false, 1.0 / n as f64);
                expected.extend_from_slice(&full[..n / 2 + 1]);
            }
            let what = format!("rfft {rows} x {n} at {magnitude:e}");
            assert_rms_close(&what, half.data(), &expected, 1e-6);
            let back = ctx.irfftn(&half, &[1], n, Normalization::Forward).unwrap();
            let r = compare_real(
                back.data(),
                &data.iter().map(|&x| x.into()).collect::<Vec<f64>>(),
            );
            assert!(r.rms_relative < 1e-6, "{what} round trip: {r:?}");
        }
    }
}

#[test]
fn odd_lengths_on_the_cpu_twin() {
    let ctx = Context::cpu();
    // The last two run on all cores (the output zeroed a chunk at a time).
    for (rows, n) in [
        (2usize, 1usize),
        (2, 3),
        (2, 7),
        (2, 15),
        (2, 99),
        (2, 1001),
        (40000, 1),
        (3000, 15),
    ] {
        let mut rng = SplitMix64(n as u64);
        let data: Vec<f32> = (0..rows * n).map(|_| rng.uniform()).collect();
        let t = Tensor::new(&[rows, n], data.clone()).unwrap();
        let half = ctx.rfftn(&t, &[1], Normalization::Ortho).unwrap();
        let mut expected = expected_half(&ctx, &data, &[rows, n], &[1]);
        let s = 1.0 / (n as f64).sqrt();
        expected.iter_mut().for_each(|v| *v *= s);
        assert_rms_close(&format!("odd rfft {n}"), half.data(), &expected, 1e-6);
        let back = ctx.irfftn(&half, &[1], n, Normalization::Ortho).unwrap();
        let r = compare_real(
            back.data(),
            &data.iter().map(|&x| x.into()).collect::<Vec<f64>>(),
        );
        assert!(r.rms_relative < 1e-6, "odd round trip {n}: {r:?}");
    }
}

#[test]
fn gpu_and_cpu_real_transforms_agree() {
    let Some(gpu) = gpu_context_or_skip("gpu_and_cpu_real_transforms_agree") else {
        return;
    };
    let cpu = Context::cpu();
    let shape = [6usize, 250];
    let mut rng = SplitMix64(11);
    let data: Vec<f32> = (0..1500).map(|_| rng.uniform()).collect();
    let t = Tensor::new(&shape, data).unwrap();
    let a = gpu.rfftn(&t, &[0, 1], Normalization::Ortho).unwrap();
    let b = cpu.rfftn(&t, &[0, 1], Normalization::Ortho).unwrap();
    let b64: Vec<Complex64> = b
        .data()
        .iter()
        .map(|c| Complex64::new(c.re.into(), c.im.into()))
        .collect();
    assert_rms_close("gpu vs cpu rfft2", a.data(), &b64, 1e-6);
}

/// One element (tensors have no zero-length dimensions): the spectrum is
/// the value itself, and back.
#[test]
fn one_element_real_transforms_on_the_cpu_twin() {
    let ctx = Context::cpu();
    let t = Tensor::new(&[1, 1], vec![-2.5f32]).unwrap();
    let half = ctx.rfftn(&t, &[1], Normalization::None).unwrap();
    assert_eq!(half.shape(), &[1, 1]);
    assert_eq!(half.data(), &[Complex32::new(-2.5, 0.0)]);
    let back = ctx.irfftn(&half, &[1], 1, Normalization::Backward).unwrap();
    assert_eq!(back.data(), &[-2.5]);
}

#[test]
fn irfft_checks_the_half_axis() {
    let ctx = Context::cpu();
    let t = Tensor::new(&[2, 5], vec![Complex32::default(); 10]).unwrap();
    assert!(ctx.irfftn(&t, &[1], 10, Normalization::None).is_err()); // needs 6 points
    assert!(ctx.irfftn(&t, &[1], 8, Normalization::None).is_ok());
    assert!(ctx.irfftn(&t, &[1], 9, Normalization::None).is_ok());
    assert!(ctx.irfftn(&t, &[], 8, Normalization::None).is_err());
}

fn rfft_and_rfft2_are_rfftn_over_the_last_axes(ctx: Context) {
    let mut rng = SplitMix64(21);
    let data: Vec<f32> = (0..3 * 16 * 24).map(|_| rng.uniform()).collect();
    let t = Tensor::new(&[3, 16, 24], data).unwrap();
    let a = ctx.rfft2(&t, Normalization::Backward).unwrap();
    let b = ctx.rfftn(&t, &[1, 2], Normalization::Backward).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        ctx.irfft2(&a, 24, Normalization::Backward).unwrap(),
        ctx.irfftn(&b, &[1, 2], 24, Normalization::Backward)
            .unwrap()
    );
    let c = ctx.rfft(&t, Normalization::None).unwrap();
    assert_eq!(c.shape(), &[3, 16, 13]);
    assert_eq!(
        ctx.irfft(&c, 24, Normalization::None).unwrap().shape(),
        &[3, 16, 24]
    );
    let flat = Tensor::new(&[24], vec![0.0f32; 24]).unwrap();
    assert!(ctx.rfft2(&flat, Normalization::None).is_err());
}

backend_tests!(
    rfftn_is_the_half_of_the_complex_transform,
    rfft_and_rfft2_are_rfftn_over_the_last_axes,
);
