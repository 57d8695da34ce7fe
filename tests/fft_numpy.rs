//! numpy's conventions: `n`/`s` crop or zero-pad, negative axes, all axes by
//! default, `irfft`'s inferred length `2 * (m - 1)`, `fftfreq`/`rfftfreq`,
//! `fftshift`/`ifftshift`, the `forward` normalisation. Expected values come
//! from the definitions in numpy's documentation, evaluated in f64.

mod common;

use fft_tensor::fft::numpy;
use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::SplitMix64;
use fft_tensor::{
    fftfreq, fftshift, ifftshift, rfftfreq, Context, Error, FftDirection, Normalization, Tensor,
};

const B: Normalization = Normalization::Backward;

fn random(n: usize, seed: u64) -> Vec<Complex64> {
    let mut rng = SplitMix64(seed);
    (0..n)
        .map(|_| Complex64::new(rng.uniform().into(), rng.uniform().into()))
        .collect()
}

/// `X[k] = sum_j x[j] exp(-+2 pi i j k / n)` by definition.
fn dft(x: &[Complex64], inverse: bool) -> Vec<Complex64> {
    let n = x.len();
    let sign = if inverse { 1.0 } else { -1.0 };
    (0..n)
        .map(|k| {
            x.iter()
                .enumerate()
                .map(|(j, v)| {
                    let m = (j * k) % n;
                    v * Complex64::from_polar(
                        1.0,
                        sign * std::f64::consts::TAU * m as f64 / n as f64,
                    )
                })
                .sum()
        })
        .collect()
}

/// Largest `|a - b|`.
fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn close(a: &[Complex64], b: &[Complex64], tol: f64) -> bool {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).norm_sqr()).sum();
    let den: f64 = b.iter().map(|y| y.norm_sqr()).sum();
    a.len() == b.len() && num.sqrt() <= tol * den.sqrt().max(f64::MIN_POSITIVE)
}

#[test]
fn fftfreq_and_rfftfreq_follow_the_definition() {
    for n in [1usize, 2, 7, 8, 9, 16] {
        for d in [1.0, 0.1, 2.5] {
            let f = fftfreq(n, d).unwrap();
            // numpy: [0, 1, ..., (n-1)//2, -(n//2), ..., -1] / (d*n)
            let mut expected: Vec<f64> = (0..=(n - 1) / 2).map(|k| k as f64).collect();
            expected.extend((1..=n / 2).rev().map(|k| -(k as f64)));
            for (got, want) in f.iter().zip(&expected) {
                assert!(
                    (got - want / (d * n as f64)).abs() <= 1e-15 * (1.0 / d),
                    "n {n} d {d}"
                );
            }
            assert_eq!(f.len(), n);
            let r = rfftfreq(n, d).unwrap();
            assert_eq!(r.len(), n / 2 + 1);
            for (k, got) in r.iter().enumerate() {
                assert!(
                    (got - k as f64 / (d * n as f64)).abs() <= 1e-15 / d,
                    "n {n} d {d}"
                );
            }
            // fftshift puts the frequencies in ascending order (numpy's use).
            let shifted = fftshift(&Tensor::new(&[n], f).unwrap(), None).unwrap();
            assert!(shifted.data().windows(2).all(|w| w[0] < w[1]), "n {n}");
        }
    }
    assert!(fftfreq(0, 1.0).unwrap().is_empty());
    assert!(rfftfreq(0, 1.0).unwrap().is_empty());
    for d in [0.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(fftfreq(4, d), Err(Error::InvalidArgument { .. })));
        assert!(matches!(rfftfreq(4, d), Err(Error::InvalidArgument { .. })));
    }
}

#[test]
fn fftshift_rolls_by_half_and_ifftshift_undoes_it() {
    for n in 1..=9usize {
        let x = Tensor::new(&[n], (0..n).collect::<Vec<_>>()).unwrap();
        let s = fftshift(&x, None).unwrap();
        // numpy: element i moves to (i + n//2) mod n.
        for i in 0..n {
            assert_eq!(s.data()[(i + n / 2) % n], i, "n {n}");
        }
        assert_eq!(ifftshift(&s, None).unwrap(), x, "n {n}");
        assert_eq!(fftshift(&ifftshift(&x, None).unwrap(), None).unwrap(), x);
    }
    assert_eq!(
        fftshift(&Tensor::new(&[5], vec![0, 1, 2, 3, 4]).unwrap(), None)
            .unwrap()
            .data(),
        &[3, 4, 0, 1, 2]
    );
    let (r, c) = (4usize, 5usize);
    let x = Tensor::new(&[r, c], (0..r * c).collect::<Vec<_>>()).unwrap();
    for axes in [
        Some(&[0isize][..]),
        Some(&[-1][..]),
        Some(&[1, 0][..]),
        None,
    ] {
        let s = fftshift(&x, axes).unwrap();
        let on = |a: usize| axes.is_none_or(|ax| ax.iter().any(|&v| v.rem_euclid(2) as usize == a));
        for i in 0..r {
            for j in 0..c {
                let i2 = if on(0) { (i + r / 2) % r } else { i };
                let j2 = if on(1) { (j + c / 2) % c } else { j };
                assert_eq!(s.data()[i2 * c + j2], x.data()[i * c + j], "{axes:?}");
            }
        }
        assert_eq!(ifftshift(&s, axes).unwrap(), x);
    }
    assert!(fftshift(&x, Some(&[2])).is_err());
    assert!(fftshift(&x, Some(&[-3])).is_err());
    assert!(fftshift(&x, Some(&[0, -2])).is_err());
}

#[test]
fn n_crops_or_zero_pads_before_the_transform() {
    let ctx = Context::cpu();
    let x = random(5, 1);
    let t = Tensor::new(&[5], x.clone()).unwrap();
    for n in [1usize, 3, 5, 8, 13] {
        let mut padded = x.clone();
        padded.resize(n, Complex64::default());
        let got = numpy::fft(&ctx, &t, Some(n), -1, B).unwrap();
        assert!(close(got.data(), &dft(&padded, false), 1e-14), "n {n}");
        let inv = numpy::ifft(&ctx, &t, Some(n), 0, B).unwrap();
        let expected: Vec<Complex64> = dft(&padded, true).iter().map(|v| v / n as f64).collect();
        assert!(close(inv.data(), &expected, 1e-14), "ifft n {n}");
    }
    assert!(numpy::fft(&ctx, &t, Some(0), -1, B).is_err());
    assert!(numpy::fft(&ctx, &t, None, 1, B).is_err());
    assert!(numpy::fft(&ctx, &t, None, -2, B).is_err());
}

/// 2-D transform by definition: rows, then columns.
fn dft2(x: &[Complex64], (r, c): (usize, usize)) -> Vec<Complex64> {
    let mut out = x.to_vec();
    for i in 0..r {
        let row = dft(&out[i * c..(i + 1) * c], false);
        out[i * c..(i + 1) * c].copy_from_slice(&row);
    }
    for j in 0..c {
        let col: Vec<Complex64> = (0..r).map(|i| out[i * c + j]).collect();
        for (i, v) in dft(&col, false).into_iter().enumerate() {
            out[i * c + j] = v;
        }
    }
    out
}

fn resize2(x: &[Complex64], (r, c): (usize, usize), (r2, c2): (usize, usize)) -> Vec<Complex64> {
    let mut out = vec![Complex64::default(); r2 * c2];
    for i in 0..r.min(r2) {
        for j in 0..c.min(c2) {
            out[i * c2 + j] = x[i * c + j];
        }
    }
    out
}

#[test]
fn s_axes_and_defaults_follow_numpy() {
    let ctx = Context::cpu();
    let x = random(3 * 5, 2);
    let t = Tensor::new(&[3, 5], x.clone()).unwrap();
    // Default: all axes.
    let all = numpy::fftn(&ctx, &t, None, None, B).unwrap();
    assert!(close(all.data(), &dft2(&x, (3, 5)), 1e-14));
    assert_eq!(numpy::fft2(&ctx, &t, None, None, B).unwrap(), all);
    // Negative axes name the same axes.
    assert_eq!(
        numpy::fftn(&ctx, &t, None, Some(&[-2, -1]), B).unwrap(),
        all
    );
    // s pads one axis and crops the other.
    let s = [4usize, 2];
    let got = numpy::fftn(&ctx, &t, Some(&s), None, B).unwrap();
    assert_eq!(got.shape(), &[4, 2]);
    assert!(close(
        got.data(),
        &dft2(&resize2(&x, (3, 5), (4, 2)), (4, 2)),
        1e-14
    ));
    // s alone applies to the last len(s) axes: here the last one only.
    let last = numpy::fftn(&ctx, &t, Some(&[8]), None, B).unwrap();
    assert_eq!(last, numpy::fft(&ctx, &t, Some(8), -1, B).unwrap());
    // ifftn inverts fftn over the same s.
    let back = numpy::ifftn(&ctx, &got, None, None, B).unwrap();
    let padded = Tensor::new(&[4, 2], resize2(&x, (3, 5), (4, 2))).unwrap();
    assert!(close(back.data(), padded.data(), 1e-14));
    // Errors: mismatched s and axes, too many lengths, repeated axes, empty axes.
    assert!(numpy::fftn(&ctx, &t, Some(&[2]), Some(&[0, 1]), B).is_err());
    assert!(numpy::fftn(&ctx, &t, Some(&[2, 2, 2]), None, B).is_err());
    assert!(numpy::fftn(&ctx, &t, None, Some(&[1, -1]), B).is_err());
    assert_eq!(numpy::fftn(&ctx, &t, None, Some(&[]), B).unwrap(), t);
}

/// numpy's `irfft` by definition for `n` output points from the half
/// spectrum `h` (cropped or zero-padded to n/2+1; imaginary parts at 0 and,
/// for even n, at n/2 ignored).
fn irfft_definition(h: &[Complex64], n: usize) -> Vec<f64> {
    let mut half = h.to_vec();
    half.resize(n / 2 + 1, Complex64::default());
    (0..n)
        .map(|j| {
            let w = |k: usize| {
                Complex64::from_polar(1.0, std::f64::consts::TAU * ((j * k) % n) as f64 / n as f64)
            };
            let mut sum = half[0].re;
            for (k, v) in half.iter().enumerate().take(n.div_ceil(2)).skip(1) {
                sum += 2.0 * (v * w(k)).re;
            }
            if n.is_multiple_of(2) && n > 0 {
                sum += half[n / 2].re * if j % 2 == 0 { 1.0 } else { -1.0 };
            }
            sum / n as f64
        })
        .collect()
}

#[test]
fn irfft_infers_the_real_length_as_numpy() {
    let ctx = Context::cpu();
    for m in [2usize, 3, 4, 5, 9] {
        let h = random(m, m as u64);
        let t = Tensor::new(&[m], h.clone()).unwrap();
        let got = numpy::irfft(&ctx, &t, None, -1, B).unwrap();
        assert_eq!(got.len(), 2 * (m - 1), "m {m}");
        let expected = irfft_definition(&h, 2 * (m - 1));
        let err = max_diff(got.data(), &expected);
        assert!(err <= 1e-14, "m {m}: {err:e}");
        // Given n (odd or even, cropping or padding the half spectrum).
        for n in [1usize, 2 * m - 1, 2 * m + 2] {
            let got = numpy::irfft(&ctx, &t, Some(n), 0, B).unwrap();
            let expected = irfft_definition(&h, n);
            let err = max_diff(got.data(), &expected);
            assert!(err <= 1e-14, "m {m} n {n}: {err:e}");
        }
    }
    // Round trips: even lengths come back without n, odd ones need it.
    for n in [6usize, 7] {
        let x: Vec<f64> = random(n, 40 + n as u64).iter().map(|c| c.re).collect();
        let t = Tensor::new(&[n], x.clone()).unwrap();
        let h = numpy::rfft(&ctx, &t, None, -1, B).unwrap();
        let inferred = numpy::irfft(&ctx, &h, None, -1, B).unwrap();
        assert_eq!(inferred.len(), 2 * (n / 2));
        let exact = numpy::irfft(&ctx, &h, Some(n), -1, B).unwrap();
        let err = max_diff(exact.data(), &x);
        assert!(err <= 1e-14, "n {n}");
    }
    // One point on the real axis infers length 0: a clear error, not a contradiction.
    let one = Tensor::new(&[1], vec![Complex64::new(2.0, 5.0)]).unwrap();
    let err = numpy::irfft(&ctx, &one, None, -1, B)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("inferred real length") && err.contains("is 0"),
        "{err}"
    );
    assert_eq!(
        numpy::irfft(&ctx, &one, Some(1), -1, B).unwrap().data(),
        &[2.0]
    );
}

#[test]
fn irfftn_infers_the_last_axis_and_pads_the_others() {
    let ctx = Context::cpu();
    let x: Vec<f64> = random(4 * 6, 8).iter().map(|c| c.re).collect();
    let t = Tensor::new(&[4, 6], x.clone()).unwrap();
    let h = numpy::rfftn(&ctx, &t, None, None, B).unwrap();
    assert_eq!(h.shape(), &[4, 4]);
    let back = numpy::irfftn(&ctx, &h, None, None, B).unwrap();
    assert_eq!(back.shape(), &[4, 6]);
    let err = max_diff(back.data(), &x);
    assert!(err <= 1e-14);
    assert_eq!(numpy::irfft2(&ctx, &h, None, None, B).unwrap(), back);
    // s = [5, 7]: axis 0 padded to 5 complex points, real axis 7 (4 half points).
    let s = numpy::irfftn(&ctx, &h, Some(&[5, 7]), None, B).unwrap();
    assert_eq!(s.shape(), &[5, 7]);
    let mut h5 = h.data().to_vec();
    h5.resize(5 * 4, Complex64::default());
    let h5 = Tensor::new(&[5, 4], h5).unwrap();
    let col = numpy::ifft(&ctx, &h5, None, 0, B).unwrap();
    let expected = numpy::irfft(&ctx, &col, Some(7), 1, B).unwrap();
    assert_eq!(s, expected);
    // rfftn with s crops/pads the real input.
    let r = numpy::rfftn(&ctx, &t, Some(&[3, 9]), None, B).unwrap();
    assert_eq!(r.shape(), &[3, 5]);
    assert_eq!(numpy::rfft2(&ctx, &t, Some(&[3, 9]), None, B).unwrap(), r);
}

#[test]
fn one_element_and_empty_inputs() {
    let ctx = Context::cpu();
    let one = Tensor::new(&[1], vec![Complex64::new(3.0, -2.0)]).unwrap();
    for norm in [
        Normalization::None,
        Normalization::Backward,
        Normalization::Ortho,
        Normalization::Forward,
    ] {
        assert_eq!(numpy::fft(&ctx, &one, None, 0, norm).unwrap(), one);
        assert_eq!(numpy::ifft(&ctx, &one, None, 0, norm).unwrap(), one);
    }
    let real = Tensor::new(&[1], vec![4.0f32]).unwrap();
    let h = numpy::rfft(&ctx, &real, None, 0, B).unwrap();
    assert_eq!(h.data(), &[Complex32::new(4.0, 0.0)]);
    assert_eq!(fftshift(&real, None).unwrap(), real);
    // No empty tensors: a typed error, before any transform.
    assert!(matches!(
        Tensor::<f64>::new(&[0], Vec::new()),
        Err(Error::InvalidArgument { .. })
    ));
    let mut empty: Vec<Complex32> = Vec::new();
    assert!(ctx
        .fft(
            &mut empty,
            4,
            FftDirection::Forward,
            Normalization::Backward
        )
        .is_err());
}

#[test]
fn irfftn_real_length_zero_says_what_is_wrong() {
    let ctx = Context::cpu();
    let t = Tensor::new(&[1], vec![Complex32::new(1.0, 0.0)]).unwrap();
    let err = ctx.irfftn(&t, &[0], 0, B).unwrap_err().to_string();
    assert!(
        err.contains("at least 1") && !err.contains("expected 1 points"),
        "{err}"
    );
    let err = ctx.irfftn(&t, &[0], 4, B).unwrap_err().to_string();
    assert!(
        err.contains("3 points on axis 0 for real length 4"),
        "{err}"
    );
    assert_eq!(ctx.irfftn(&t, &[0], 1, B).unwrap().data(), &[1.0]);
}

/// `Forward` scales the forward transform by 1/n and leaves the inverse
/// alone; data at 1e-30 and 1e30 keeps its relative accuracy in f32.
fn forward_normalisation(ctx: Context) {
    let n = 1000;
    let unit = random(n, 77);
    for scale in [1e-30f64, 1.0, 1e30] {
        let x: Vec<Complex32> = unit
            .iter()
            .map(|v| Complex32::new((v.re * scale) as f32, (v.im * scale) as f32))
            .collect();
        let x64: Vec<Complex64> = x
            .iter()
            .map(|v| Complex64::new(v.re.into(), v.im.into()))
            .collect();
        let expected: Vec<Complex64> = dft(&x64, false).iter().map(|v| v / n as f64).collect();
        let mut got = x.clone();
        ctx.fft(&mut got, n, FftDirection::Forward, Normalization::Forward)
            .unwrap();
        let got64: Vec<Complex64> = got
            .iter()
            .map(|v| Complex64::new(v.re.into(), v.im.into()))
            .collect();
        assert!(close(&got64, &expected, 2e-6), "scale {scale:e}");
        ctx.fft(&mut got, n, FftDirection::Inverse, Normalization::Forward)
            .unwrap();
        let back: Vec<Complex64> = got
            .iter()
            .map(|v| Complex64::new(v.re.into(), v.im.into()))
            .collect();
        assert!(close(&back, &x64, 2e-6), "round trip scale {scale:e}");
    }
    // Over several axes the factor is 1/(product of the lengths).
    let t = Tensor::new(&[4, 6], vec![Complex32::new(1.0, 0.0); 24]).unwrap();
    let f = numpy::fftn(&ctx, &t, None, None, Normalization::Forward).unwrap();
    assert!((f.data()[0].re - 1.0).abs() < 1e-6 && f.data()[1].norm() < 1e-6);
}

/// The numpy functions in f32 on both backends agree with f64 on the CPU.
fn f32_matches_f64(ctx: Context) {
    let x = random(6 * 10, 12);
    let x32: Vec<Complex32> = x
        .iter()
        .map(|v| Complex32::new(v.re as f32, v.im as f32))
        .collect();
    let x64: Vec<Complex64> = x32
        .iter()
        .map(|v| Complex64::new(v.re.into(), v.im.into()))
        .collect();
    let a = numpy::fftn(
        &ctx,
        &Tensor::new(&[6, 10], x32).unwrap(),
        Some(&[7, 12]),
        None,
        B,
    )
    .unwrap();
    let b = numpy::fftn(
        &Context::cpu(),
        &Tensor::new(&[6, 10], x64).unwrap(),
        Some(&[7, 12]),
        None,
        B,
    )
    .unwrap();
    let a64: Vec<Complex64> = a
        .data()
        .iter()
        .map(|v| Complex64::new(v.re.into(), v.im.into()))
        .collect();
    assert!(close(&a64, b.data(), 1e-6));
    let r: Vec<f32> = x.iter().map(|v| v.re as f32).collect();
    let h = numpy::rfft(
        &ctx,
        &Tensor::new(&[6, 10], r.clone()).unwrap(),
        Some(9),
        -1,
        B,
    )
    .unwrap();
    let back = numpy::irfft(&ctx, &h, Some(9), -1, B).unwrap();
    for i in 0..6 {
        for j in 0..9 {
            assert!((back.data()[i * 9 + j] - r[i * 10 + j]).abs() < 1e-5);
        }
    }
}

/// The out-of-place plan form equals the in-place one and keeps its input.
fn process_into_is_out_of_place(ctx: Context) {
    let plan = ctx
        .plan_fft(48, FftDirection::Forward, Normalization::Ortho)
        .unwrap();
    let x: Vec<Complex32> = random(96, 4)
        .iter()
        .map(|v| Complex32::new(v.re as f32, v.im as f32))
        .collect();
    let mut out = vec![Complex32::default(); 96];
    plan.process_into(&x, &mut out).unwrap();
    let mut in_place = x.clone();
    plan.process(&mut in_place).unwrap();
    assert_eq!(out, in_place);
    assert_ne!(out, x);
    assert!(plan.process_into(&x, &mut out[..48]).is_err());
}

backend_tests!(
    forward_normalisation,
    f32_matches_f64,
    process_into_is_out_of_place
);

#[test]
fn gpu_upload_mismatch_names_the_shape() {
    let Some(ctx) = fft_tensor::testing::gpu_context_or_skip("gpu_upload_mismatch_names_the_shape")
    else {
        return;
    };
    let err = fft_tensor::GpuTensor::from_f32(&ctx, &[1.0; 5], &[2, 3])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("[2, 3]") && err.contains('6') && err.contains('5'),
        "{err}"
    );
}

/// The former names keep working for one release, also in patterns.
#[test]
#[allow(deprecated)]
fn former_normalisation_names_still_work() {
    assert_eq!(Normalization::Inverse, Normalization::Backward);
    assert_eq!(Normalization::Unitary, Normalization::Ortho);
    assert_eq!(Normalization::default(), Normalization::Backward);
    let named = |n: Normalization| match n {
        Normalization::Inverse => "backward",
        Normalization::Unitary => "ortho",
        Normalization::Forward => "forward",
        Normalization::None => "none",
    };
    assert_eq!(named(Normalization::Backward), "backward");
    assert_eq!(named(Normalization::Ortho), "ortho");
    for (norm, forward, inverse) in [
        (Normalization::None, 1.0, 1.0),
        (Normalization::Backward, 1.0, 0.125),
        (
            Normalization::Ortho,
            8f64.sqrt().recip(),
            8f64.sqrt().recip(),
        ),
        (Normalization::Forward, 0.125, 1.0),
    ] {
        assert_eq!(norm.factor_f64(8, FftDirection::Forward), forward);
        assert_eq!(norm.factor_f64(8, FftDirection::Inverse), inverse);
        assert_eq!(norm.factor(8, FftDirection::Forward), forward as f32);
    }
}
