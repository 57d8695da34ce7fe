//! The optional VkFFT path (feature `vkfft`) against the same f64
//! references as the WGSL path: batched complex FFTs of small, odd and
//! mixed-radix lengths up to 2^18, N-D complex and real transforms, round
//! trips, normalisations, extreme scales, and typed errors for what VkFFT
//! 1.2 does not run (one point, prime factors over 13, odd real lengths). Without a Vulkan device the tests
//! print a skip line, and fail under FFT_TENSOR_REQUIRE_GPU=1.
#![cfg(feature = "vkfft")]

use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::{assert_rms_close, compare_real, reference_fft, SplitMix64};
use fft_tensor::vkfft::VkFft;
use fft_tensor::{Context, Error, FftDirection, Normalization, Tensor};

fn vkfft_or_skip(test: &str) -> Option<VkFft> {
    let required = std::env::var("FFT_TENSOR_REQUIRE_GPU").is_ok_and(|v| v == "1");
    match VkFft::new() {
        Ok(vk) => Some(vk),
        Err(e) if required => panic!("{test}: FFT_TENSOR_REQUIRE_GPU=1 but no VkFFT device: {e}"),
        Err(e) => {
            eprintln!("SKIP {test}: no Vulkan device for VkFFT ({e})");
            None
        }
    }
}

fn promote(v: &[Complex32]) -> Vec<Complex64> {
    v.iter()
        .map(|c| Complex64::new(c.re.into(), c.im.into()))
        .collect()
}

/// Tolerance: VkFFT's f32 error is a few 1e-7.
const TOL: f64 = 2e-6;

#[test]
fn batched_complex_matches_f64() {
    let Some(vk) = vkfft_or_skip("batched_complex_matches_f64") else {
        return;
    };
    for &(len, lines) in &[
        (2usize, 3usize),
        (7, 9),
        (16, 64),
        (1000, 3),
        (4095, 2),
        (4096, 4),
        (3 * 5 * 7 * 11 * 13, 2),
        (1 << 18, 2),
    ] {
        for direction in [FftDirection::Forward, FftDirection::Inverse] {
            let input = SplitMix64(len as u64 * 31 + lines as u64).complex_vec(len * lines);
            let inverse = direction == FftDirection::Inverse;
            let norm = Normalization::Backward;
            let expected = reference_fft(&input, len, inverse, norm.factor_f64(len, direction));
            let mut data = input.clone();
            vk.fft(&mut data, len, direction, norm)
                .unwrap_or_else(|e| panic!("{len} x {lines}: {e}"));
            assert_rms_close(
                &format!("vkfft {len} x {lines} {direction:?}"),
                &data,
                &expected,
                TOL,
            );
        }
    }
}

#[test]
fn normalisations_scale_like_the_wgsl_path() {
    let Some(vk) = vkfft_or_skip("normalisations_scale_like_the_wgsl_path") else {
        return;
    };
    let len = 48;
    let input = SplitMix64(5).complex_vec(len * 3);
    for norm in [
        Normalization::None,
        Normalization::Ortho,
        Normalization::Forward,
    ] {
        let expected = reference_fft(
            &input,
            len,
            false,
            norm.factor_f64(len, FftDirection::Forward),
        );
        let plan = vk.plan_fft(len, FftDirection::Forward, norm).unwrap();
        let mut data = input.clone();
        plan.process(&mut data).unwrap();
        assert_rms_close(&format!("{norm:?}"), &data, &expected, TOL);
    }
    // Extreme scales: relative error stays the same.
    for s in [1e-30f32, 1e30] {
        let scaled: Vec<Complex32> = input.iter().map(|c| c * s).collect();
        let expected = reference_fft(&scaled, len, false, 1.0);
        let mut data = scaled.clone();
        vk.fft(&mut data, len, FftDirection::Forward, Normalization::None)
            .unwrap();
        assert_rms_close(&format!("scale {s:e}"), &data, &expected, TOL);
    }
}

#[test]
fn nd_complex_matches_f64() {
    let Some(vk) = vkfft_or_skip("nd_complex_matches_f64") else {
        return;
    };
    let cpu = Context::cpu();
    let cases: &[(&[usize], &[usize])] = &[
        (&[3, 24, 30], &[1, 2]),
        (&[4, 5, 6], &[0, 1, 2]),
        (&[2, 8, 9, 10], &[1, 2, 3]),
        (&[64, 64], &[0, 1]),
    ];
    for &(shape, axes) in cases {
        let n: usize = shape.iter().product();
        let input = SplitMix64(n as u64).complex_vec(n);
        for direction in [FftDirection::Forward, FftDirection::Inverse] {
            let mut reference = Tensor::new(shape, promote(&input)).unwrap();
            cpu.fftn_f64(&mut reference, axes, direction, Normalization::Backward)
                .unwrap();
            let mut t = Tensor::new(shape, input.clone()).unwrap();
            vk.fftn(&mut t, axes, direction, Normalization::Backward)
                .unwrap();
            let what = format!("fftn {shape:?} {axes:?} {direction:?}");
            assert_rms_close(&what, t.data(), reference.data(), TOL);
        }
    }
}

#[test]
fn real_transforms_match_f64_and_round_trip() {
    let Some(vk) = vkfft_or_skip("real_transforms_match_f64_and_round_trip") else {
        return;
    };
    let cpu = Context::cpu();
    let cases: &[(&[usize], &[usize])] = &[
        (&[5, 64], &[1]),
        (&[3, 18], &[1]),
        (&[2, 1000], &[1]),
        (&[4096], &[0]),
        (&[2, 12, 18], &[1, 2]),
        (&[5, 9, 8], &[0, 1, 2]),
    ];
    for &(shape, axes) in cases {
        let n: usize = shape.iter().product();
        let mut rng = SplitMix64(n as u64 + 7);
        let data: Vec<f32> = (0..n).map(|_| rng.uniform()).collect();
        let real_len = *shape.last().unwrap();
        let input = Tensor::new(shape, data.clone()).unwrap();
        let input64 = Tensor::new(shape, data.iter().map(|&x| f64::from(x)).collect()).unwrap();
        let expected = cpu
            .rfftn_f64(&input64, axes, Normalization::Backward)
            .unwrap();
        let spectrum = vk.rfftn(&input, axes, Normalization::Backward).unwrap();
        assert_eq!(spectrum.shape(), expected.shape());
        let what = format!("rfftn {shape:?} {axes:?}");
        assert_rms_close(&what, spectrum.data(), expected.data(), TOL);

        let back = vk
            .irfftn(&spectrum, axes, real_len, Normalization::Backward)
            .unwrap();
        assert_eq!(back.shape(), shape);
        let half64 = Tensor::new(spectrum.shape(), promote(spectrum.data())).unwrap();
        let expected_back = cpu
            .irfftn_f64(&half64, axes, real_len, Normalization::Backward)
            .unwrap();
        let r = compare_real(back.data(), expected_back.data());
        assert!(
            r.rms_relative < TOL && r.first_non_finite.is_none(),
            "irfftn {shape:?}: {r:?}"
        );
        let r = compare_real(back.data(), input64.data());
        assert!(r.rms_relative < TOL, "round trip {shape:?}: {r:?}");
    }
}

#[test]
fn timed_runs_repeat_one_transform() {
    let Some(vk) = vkfft_or_skip("timed_runs_repeat_one_transform") else {
        return;
    };
    let input = SplitMix64(9).complex_vec(256 * 8);
    let expected = reference_fft(&input, 256, false, 1.0);
    let mut t = Tensor::new(&[8, 256], input).unwrap();
    let times = vk
        .fftn_timed(&mut t, &[1], FftDirection::Forward, 4)
        .unwrap();
    assert_eq!(times.len(), 4);
    assert!(times.iter().all(|d| !d.is_zero()), "{times:?}");
    assert_rms_close("timed", t.data(), &expected, TOL);
}

#[test]
fn bad_arguments_are_typed_errors() {
    let Some(vk) = vkfft_or_skip("bad_arguments_are_typed_errors") else {
        return;
    };
    let f = FftDirection::Forward;
    let n = Normalization::Backward;
    assert!(matches!(
        vk.plan_fft(0, f, n),
        Err(Error::UnsupportedLength { .. })
    ));
    let plan = vk.plan_fft(8, f, n).unwrap();
    assert!(matches!(
        plan.process(&mut []),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut odd = vec![Complex32::new(0.0, 0.0); 12];
    assert!(matches!(
        plan.process(&mut odd),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut t = Tensor::new(&[2, 3, 4, 5], vec![Complex32::new(0.0, 0.0); 120]).unwrap();
    for axes in [&[][..], &[0, 1, 2, 3], &[1, 3], &[3, 2], &[4]] {
        assert!(
            matches!(
                vk.fftn(&mut t, axes, f, n),
                Err(Error::InvalidArgument { .. })
            ),
            "{axes:?}"
        );
    }
    // What VkFFT 1.2 does not run: one point, prime factors over 13
    // (Bluestein), odd real lengths.
    for len in [17, 1009, 65537] {
        let mut data = vec![Complex32::new(1.0, 0.0); len];
        assert!(matches!(
            vk.fft(&mut data, len, f, n),
            Err(Error::UnsupportedLength { .. })
        ));
    }
    let mut one = vec![Complex32::new(1.0, 0.0); 3];
    assert!(matches!(
        vk.fft(&mut one, 1, f, n),
        Err(Error::UnsupportedLength { .. })
    ));
    let odd = Tensor::new(&[2, 17], vec![1.0f32; 34]).unwrap();
    assert!(matches!(
        vk.rfft(&odd, n),
        Err(Error::UnsupportedLength { .. })
    ));
    let half = Tensor::new(&[2, 5], vec![Complex32::new(0.0, 0.0); 10]).unwrap();
    assert!(matches!(
        vk.irfftn(&half, &[1], 10, n),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(vk.irfftn(&half, &[1], 8, n).is_ok());
}
