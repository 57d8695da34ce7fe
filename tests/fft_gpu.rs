//! GPU FFT conformance: every power of two against an f64 rustfft reference.
//!
//! These tests run on the default GPU adapter (lavapipe in CI). Without one
//! they print a skip line, and with `FFT_TENSOR_REQUIRE_GPU=1` they fail.

use fft_tensor::fft::{Algorithm, AlgorithmChoice};
use fft_tensor::num_complex::Complex32;
use fft_tensor::testing::{assert_rms_close, gpu_context_or_skip, reference_fft, SplitMix64};
use fft_tensor::{Context, FftDirection, GpuElement, GpuTensor, Normalization};

/// Lines per test so a length's batch holds about `points` points.
fn batch_for(len: usize, points: usize) -> usize {
    (points / len).clamp(1, 64)
}

fn check(
    ctx: &Context,
    len: usize,
    lines: usize,
    dir: FftDirection,
    norm: Normalization,
    choice: AlgorithmChoice,
    tol: f64,
) {
    let plan = ctx.plan_fft_with(len, dir, norm, choice).unwrap();
    let mut rng = SplitMix64(len as u64 * 31 + lines as u64);
    let input = rng.complex_vec(len * lines);
    let expected = reference_fft(
        &input,
        len,
        dir == FftDirection::Inverse,
        f64::from(norm.factor(len, dir)),
    );
    let mut data = input.clone();
    plan.process(&mut data).unwrap();
    let what = format!(
        "len {len} x {lines} {dir:?} {norm:?} {:?}",
        plan.recipe().map(|r| &r.algorithm)
    );
    assert_rms_close(&what, &data, &expected, tol);
}

#[test]
fn every_power_of_two_up_to_2_20_within_1e6() {
    let Some(ctx) = gpu_context_or_skip("every_power_of_two_up_to_2_20_within_1e6") else {
        return;
    };
    for log2n in 1..=20 {
        let len = 1usize << log2n;
        for dir in [FftDirection::Forward, FftDirection::Inverse] {
            check(
                &ctx,
                len,
                batch_for(len, 1 << 16),
                dir,
                Normalization::Backward,
                AlgorithmChoice::Auto,
                1e-6,
            );
        }
    }
}

#[test]
fn powers_of_two_from_2_21_to_2_24_within_2e6() {
    let Some(ctx) = gpu_context_or_skip("powers_of_two_from_2_21_to_2_24_within_2e6") else {
        return;
    };
    for log2n in 21..=24 {
        check(
            &ctx,
            1 << log2n,
            1,
            FftDirection::Forward,
            Normalization::None,
            AlgorithmChoice::Auto,
            2e-6,
        );
    }
}

#[test]
fn forced_algorithms_agree_with_the_reference() {
    let Some(ctx) = gpu_context_or_skip("forced_algorithms_agree_with_the_reference") else {
        return;
    };
    for log2n in 1..=16 {
        let len = 1usize << log2n;
        let lines = batch_for(len, 1 << 14);
        check(
            &ctx,
            len,
            lines,
            FftDirection::Forward,
            Normalization::None,
            AlgorithmChoice::GlobalPasses,
            1e-6,
        );
        check(
            &ctx,
            len,
            lines,
            FftDirection::Inverse,
            Normalization::Ortho,
            AlgorithmChoice::GlobalPasses,
            1e-6,
        );
        if len >= 4 {
            check(
                &ctx,
                len,
                lines,
                FftDirection::Forward,
                Normalization::Backward,
                AlgorithmChoice::FourStep,
                1e-6,
            );
            check(
                &ctx,
                len,
                lines,
                FftDirection::Inverse,
                Normalization::Backward,
                AlgorithmChoice::FourStep,
                1e-6,
            );
        }
    }
    // Global passes on the largest length.
    check(
        &ctx,
        1 << 22,
        1,
        FftDirection::Forward,
        Normalization::None,
        AlgorithmChoice::GlobalPasses,
        2e-6,
    );
}

#[test]
fn normalisations_scale_as_documented() {
    let Some(ctx) = gpu_context_or_skip("normalisations_scale_as_documented") else {
        return;
    };
    for norm in [
        Normalization::None,
        Normalization::Backward,
        Normalization::Ortho,
    ] {
        for dir in [FftDirection::Forward, FftDirection::Inverse] {
            check(&ctx, 512, 3, dir, norm, AlgorithmChoice::Auto, 1e-6);
        }
    }
}

#[test]
fn batch_of_2_24_points_in_one_call_uses_the_whole_binding() {
    let Some(ctx) = gpu_context_or_skip("batch_of_2_24_points_in_one_call_uses_the_whole_binding")
    else {
        return;
    };
    // 4096 lines of 4096 points: 128 MiB, exactly lavapipe's binding limit.
    check(
        &ctx,
        4096,
        4096,
        FftDirection::Forward,
        Normalization::None,
        AlgorithmChoice::Auto,
        1e-6,
    );
}

#[test]
fn batches_larger_than_one_binding_run_in_chunks() {
    let Some(ctx) = gpu_context_or_skip("batches_larger_than_one_binding_run_in_chunks") else {
        return;
    };
    // 2^25 points (256 MiB): two submissions where a binding holds 128 MiB.
    let plan = ctx
        .plan_fft(4096, FftDirection::Forward, Normalization::None)
        .unwrap();
    let per_call = plan.recipe().unwrap().max_lines_per_call;
    let lines = 8192;
    if per_call >= lines {
        println!("a binding holds {per_call} lines here: one submission");
    }
    check(
        &ctx,
        4096,
        lines,
        FftDirection::Forward,
        Normalization::None,
        AlgorithmChoice::Auto,
        1e-6,
    );
}

#[test]
fn batches_beyond_65535_workgroups_use_a_2d_grid() {
    let Some(ctx) = gpu_context_or_skip("batches_beyond_65535_workgroups_use_a_2d_grid") else {
        return;
    };
    // One thread per element: the DCT's reorder and spectrum kernels over
    // 2^24 values dispatch 65536 workgroups of 256, one more than a grid
    // dimension allows, so they run on a 2-D grid that the kernels fold back.
    let max = ctx
        .gpu()
        .unwrap()
        .limits()
        .max_compute_workgroups_per_dimension as usize;
    let (rows, cols) = (16384usize, 1024usize);
    if rows * cols / 256 <= max {
        println!("this device allows {max} workgroups per dimension: the 1-D grid suffices");
    }
    let mut rng = SplitMix64(4);
    let data: Vec<f32> = (0..rows * cols).map(|_| rng.uniform()).collect();
    let mut gpu = fft_tensor::Tensor::new(&[rows, cols], data.clone()).unwrap();
    let mut cpu = gpu.clone();
    ctx.dctn(&mut gpu, &[1]).unwrap();
    Context::cpu().dctn(&mut cpu, &[1]).unwrap();
    let expected: Vec<f64> = cpu.data().iter().map(|&x| x.into()).collect();
    let r = fft_tensor::testing::compare_real(gpu.data(), &expected);
    assert!(r.rms_relative <= 1e-6, "{r:?}");
    // The global FFT path at the largest batch one binding holds.
    check(
        &ctx,
        2,
        1 << 23,
        FftDirection::Forward,
        Normalization::None,
        AlgorithmChoice::GlobalPasses,
        1e-6,
    );
}

#[test]
fn gpu_resident_transforms_chain_without_the_host() {
    let Some(ctx) = gpu_context_or_skip("gpu_resident_transforms_chain_without_the_host") else {
        return;
    };
    let len = 1 << 12;
    let lines = 8;
    let input = SplitMix64(7).complex_vec(len * lines);
    let forward = ctx
        .plan_fft(len, FftDirection::Forward, Normalization::Backward)
        .unwrap();
    let inverse = ctx
        .plan_fft(len, FftDirection::Inverse, Normalization::Backward)
        .unwrap();
    let a = GpuTensor::from_complex(&ctx, &input, &[lines, len]).unwrap();
    let mut b = GpuTensor::uninit(&ctx, &[lines, len], GpuElement::Complex32).unwrap();
    let mut c = GpuTensor::uninit(&ctx, &[lines, len], GpuElement::Complex32).unwrap();
    forward.process_gpu(&a, &mut b).unwrap();
    let spectrum = b.to_complex().unwrap();
    assert_rms_close(
        "resident forward",
        &spectrum,
        &reference_fft(&input, len, false, 1.0),
        1e-6,
    );
    inverse.process_gpu(&b, &mut c).unwrap();
    let back = c.to_complex().unwrap();
    let expected: Vec<_> = input
        .iter()
        .map(|v| fft_tensor::num_complex::Complex64::new(v.re.into(), v.im.into()))
        .collect();
    assert_rms_close("resident round trip", &back, &expected, 1e-6);
    // The input tensor is left untouched.
    assert_eq!(a.to_complex().unwrap(), input);
}

#[test]
fn recipes_follow_the_device_limits() {
    let Some(ctx) = gpu_context_or_skip("recipes_follow_the_device_limits") else {
        return;
    };
    let gpu = ctx.gpu().unwrap();
    let caps = fft_tensor::fft::DeviceCaps::from_limits(gpu.limits());
    assert!(caps.shared_points >= 2048, "{caps:?}");
    let plan = ctx
        .plan_fft(
            caps.shared_points,
            FftDirection::Forward,
            Normalization::None,
        )
        .unwrap();
    assert!(matches!(
        plan.recipe().unwrap().algorithm,
        Algorithm::SingleDispatch {
            lines_per_group: 1,
            ..
        }
    ));
    let plan = ctx
        .plan_fft(
            caps.shared_points * 2,
            FftDirection::Forward,
            Normalization::None,
        )
        .unwrap();
    assert!(matches!(
        plan.recipe().unwrap().algorithm,
        Algorithm::FourStep { .. }
    ));
    println!("{} -> {caps:?}", ctx.description());
}

#[test]
fn budget_and_bad_input_are_typed_errors() {
    let Some(ctx) = gpu_context_or_skip("budget_and_bad_input_are_typed_errors") else {
        return;
    };
    let plan = ctx
        .plan_fft(1024, FftDirection::Forward, Normalization::None)
        .unwrap();
    let mut wrong = vec![Complex32::default(); 1000];
    assert!(matches!(
        plan.process(&mut wrong),
        Err(fft_tensor::Error::ShapeMismatch { .. })
    ));
    let too_long = fft_tensor::fft::recipe::MAX_LEN + 1;
    assert!(matches!(
        ctx.plan_fft(too_long, FftDirection::Forward, Normalization::None),
        Err(fft_tensor::Error::UnsupportedLength { len, .. }) if len == too_long
    ));
    let before = ctx.memory_stats();
    ctx.trim_memory();
    ctx.set_memory_budget(Some(1 << 20));
    let mut big = vec![Complex32::default(); 1 << 18]; // 2 MiB
    let err = plan.process(&mut big).unwrap_err();
    assert!(
        matches!(err, fft_tensor::Error::BudgetExceeded { .. }),
        "{err}"
    );
    ctx.set_memory_budget(None);
    plan.process(&mut big).unwrap();
    let after = ctx.memory_stats();
    assert!(
        after.peak >= 4 << 20 && after.peak >= before.current,
        "{after:?}"
    );
    assert!(after.by_tag.contains_key("fft input"), "{after:?}");
}

/// Kernel variants a hardware adapter may use: specialised per length, and
/// padded tiles; forced here so every variant runs on any adapter.
fn variant_conformance(test: &str, specialize: bool, pad: bool) {
    if gpu_context_or_skip(test).is_none() {
        return;
    }
    let ctx = Context::with_options(fft_tensor::ContextOptions {
        choice: fft_tensor::DeviceChoice::Gpu,
        specialize_kernels: Some(specialize),
        pad_shared_memory: Some(pad),
        ..Default::default()
    })
    .unwrap();
    let gpu = ctx.gpu().unwrap();
    assert_eq!(
        (gpu.specializes_kernels(), gpu.pads_shared_memory()),
        (specialize, pad)
    );
    for len in [
        1usize,
        2,
        8,
        60,
        1000,
        2048,
        2187,
        4096,
        1 << 13,
        3 * 4096,
        97,
        65537,
        // Radices 11 and 13: one dispatch, four steps (121 x 1331) and
        // Bluestein where kernels are not generated.
        143,
        4095,
        11 * 13 * 16,
        161_051,
    ] {
        for dir in [FftDirection::Forward, FftDirection::Inverse] {
            check(
                &ctx,
                len,
                batch_for(len, 1 << 14),
                dir,
                Normalization::Backward,
                AlgorithmChoice::Auto,
                2e-6,
            );
        }
    }
    // A strided axis through the four-step passes.
    let shape = [3usize, 8192, 5];
    let data = SplitMix64(9).complex_vec(shape.iter().product());
    let mut t = fft_tensor::Tensor::new(&shape, data.clone()).unwrap();
    ctx.fftn(&mut t, &[1], FftDirection::Forward, Normalization::None)
        .unwrap();
    let mut twin = fft_tensor::Tensor::new(&shape, data).unwrap();
    Context::cpu()
        .fftn(&mut twin, &[1], FftDirection::Forward, Normalization::None)
        .unwrap();
    let twin64: Vec<_> = twin
        .data()
        .iter()
        .map(|c| fft_tensor::num_complex::Complex64::new(c.re.into(), c.im.into()))
        .collect();
    assert_rms_close(
        &format!("{test}: strided four-step"),
        t.data(),
        &twin64,
        2e-6,
    );
}

#[test]
fn specialised_kernels_agree_with_the_reference() {
    variant_conformance("specialised_kernels_agree_with_the_reference", true, false);
}

#[test]
fn padded_tiles_agree_with_the_reference() {
    variant_conformance("padded_tiles_agree_with_the_reference", false, true);
    variant_conformance("padded_tiles_agree_with_the_reference", true, true);
}

/// Two-stage lengths with butterflies wider than 16 (512 = 32 x 16 ..
/// 4096 = 64 x 64, 1000 = 40 x 25) at the batch edges: one line, batches that
/// leave the last workgroup part-filled, prime batch counts; and strided
/// axes whose workgroups span a carry between line indices (offsets from
/// the group's first line) or hold more lines than the axis's inner size.
#[test]
fn wide_radix_lengths_at_batch_edges() {
    let Some(ctx) = gpu_context_or_skip("wide_radix_lengths_at_batch_edges") else {
        return;
    };
    for (len, batches) in [
        (512usize, [1usize, 7, 13]),
        (1024, [1, 5, 11]),
        (2048, [1, 3, 7]),
        (4096, [1, 2, 3]),
        // Mixed two-stage splits: 40 x 25, 12 x 8, 27 x 27.
        (1000, [1, 3, 5]),
        (96, [1, 7, 43]),
        (729, [1, 4, 6]),
    ] {
        for lines in batches {
            for dir in [FftDirection::Forward, FftDirection::Inverse] {
                let norm = Normalization::Backward;
                check(&ctx, len, lines, dir, norm, AlgorithmChoice::Auto, 1e-6);
            }
        }
    }
    for shape in [
        [3usize, 1024, 5],
        [2, 512, 3],
        [7, 4096, 1],
        [1, 2048, 13],
        [5, 256, 4],
    ] {
        for dir in [FftDirection::Forward, FftDirection::Inverse] {
            let data = SplitMix64(shape[1] as u64).complex_vec(shape.iter().product());
            let mut t = fft_tensor::Tensor::new(&shape, data.clone()).unwrap();
            ctx.fftn(&mut t, &[1], dir, Normalization::Ortho).unwrap();
            let (outer, n, inner) = (shape[0], shape[1], shape[2]);
            let rows = |v: &[Complex32]| -> Vec<Complex32> {
                let mut out = Vec::with_capacity(v.len());
                for o in 0..outer {
                    for i in 0..inner {
                        out.extend((0..n).map(|k| v[o * n * inner + k * inner + i]));
                    }
                }
                out
            };
            let expected = reference_fft(
                &rows(&data),
                n,
                dir == FftDirection::Inverse,
                f64::from(Normalization::Ortho.factor(n, dir)),
            );
            let what = format!("strided {shape:?} {dir:?}");
            assert_rms_close(&what, &rows(t.data()), &expected, 1e-6);
        }
    }
}
