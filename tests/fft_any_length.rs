//! GPU FFTs of any length against an f64 rustfft reference: every length up
//! to 1024, random and awkward lengths up to 2^20 (large primes, prime
//! powers, products), inverse transforms and round trips, forced algorithms.
//!
//! Bounds on the RMS relative error for lengths up to 2^20, by the path the
//! planner takes: one dispatch, four-step and global passes 1e-6,
//! Bluestein 2e-6 (measured maxima on lavapipe: 1.3e-7, 2.0e-7, 1.7e-7 and
//! 2.8e-7). Run with `--nocapture` to see the measured maxima.
//!
//! Like tests/fft_gpu.rs these run on any adapter (lavapipe in CI), print a
//! skip line without one, and fail then with `FFT_TENSOR_REQUIRE_GPU=1`.

use std::collections::BTreeMap;

use fft_tensor::fft::recipe::{is_smooth, MAX_LEN};
use fft_tensor::fft::{Algorithm, AlgorithmChoice, DeviceCaps};
use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::{
    assert_rms_close, compare_complex, gpu_context_or_skip, reference_fft, SplitMix64,
};
use fft_tensor::{Context, Error, FftDirection, GpuElement, GpuTensor, Normalization};

const SINGLE_BOUND: f64 = 1e-6;
const MULTI_PASS_BOUND: f64 = 1e-6;
const BLUESTEIN_BOUND: f64 = 2e-6;

/// The path a recipe takes, and the error bound the tests hold it to.
fn path(algorithm: &Algorithm) -> (&'static str, f64) {
    match algorithm {
        Algorithm::SingleDispatch { .. } => ("single dispatch", SINGLE_BOUND),
        Algorithm::FourStep { .. } => ("four-step", MULTI_PASS_BOUND),
        Algorithm::GlobalPasses { .. } => ("global passes", MULTI_PASS_BOUND),
        Algorithm::Bluestein { .. } => ("Bluestein", BLUESTEIN_BOUND),
    }
}

/// Largest error seen per path, printed at the end of a test.
#[derive(Default)]
struct Worst(BTreeMap<&'static str, (f64, usize)>);

impl Worst {
    fn record(&mut self, path: &'static str, err: f64, len: usize) {
        let e = self.0.entry(path).or_insert((0.0, 0));
        if err > e.0 {
            *e = (err, len);
        }
    }

    fn print(&self, test: &str) {
        for (path, (err, len)) in &self.0 {
            println!("{test}: {path}: max RMS relative error {err:.2e} (length {len})");
        }
    }
}

/// Transforms `lines` random lines of `len` on the GPU, checks them against
/// the f64 reference within the bound of the path taken, and records the error.
#[allow(clippy::too_many_arguments)]
fn check(
    ctx: &Context,
    worst: &mut Worst,
    len: usize,
    lines: usize,
    dir: FftDirection,
    norm: Normalization,
    choice: AlgorithmChoice,
) {
    let plan = ctx.plan_fft_with(len, dir, norm, choice).unwrap();
    let algorithm = &plan.recipe().expect("a GPU plan").algorithm;
    let (name, bound) = path(algorithm);
    let input = SplitMix64(len as u64 * 7919 + lines as u64).complex_vec(len * lines);
    let expected = reference_fft(
        &input,
        len,
        dir == FftDirection::Inverse,
        f64::from(norm.factor(len, dir)),
    );
    let mut data = input;
    plan.process(&mut data).unwrap();
    let what = format!("len {len} x {lines} {dir:?} {norm:?} {name}");
    let r = assert_rms_close(&what, &data, &expected, bound);
    worst.record(name, r.rms_relative, len);
}

fn to64(v: &[Complex32]) -> Vec<Complex64> {
    v.iter()
        .map(|c| Complex64::new(c.re.into(), c.im.into()))
        .collect()
}

#[test]
fn every_length_up_to_1024() {
    let Some(ctx) = gpu_context_or_skip("every_length_up_to_1024") else {
        return;
    };
    let mut worst = Worst::default();
    for len in 1..=1024 {
        let plan = ctx
            .plan_fft(len, FftDirection::Forward, Normalization::None)
            .unwrap();
        // Every smooth length up to 1024 fits one workgroup; generated
        // kernels also run prime factors 11 and 13.
        let single = matches!(
            plan.recipe().unwrap().algorithm,
            Algorithm::SingleDispatch { .. }
        );
        let generated = ctx.gpu().unwrap().specializes_kernels();
        let mut rest = len;
        for p in [11, 13] {
            while generated && rest.is_multiple_of(p) {
                rest /= p;
            }
        }
        assert_eq!(single, is_smooth(rest), "len {len}");
        check(
            &ctx,
            &mut worst,
            len,
            3,
            FftDirection::Forward,
            Normalization::None,
            AlgorithmChoice::Auto,
        );
    }
    worst.print("every_length_up_to_1024");
}

#[test]
fn random_and_awkward_lengths_up_to_2_20() {
    let Some(ctx) = gpu_context_or_skip("random_and_awkward_lengths_up_to_2_20") else {
        return;
    };
    let mut lengths = vec![
        // Large primes and 2^k + 1.
        65537,
        1_048_573,
        4097,
        10_007,
        // Prime powers.
        3usize.pow(12),
        5usize.pow(8),
        7usize.pow(7),
        // Products of small primes: one workgroup, four-step.
        1536,
        3840,
        3888,
        2usize.pow(10) * 3usize.pow(5),
        1_000_000,
        // Smooth times a large prime, and a prime square.
        4095,
        49 * 1009,
        1009 * 1009,
    ];
    let mut rng = SplitMix64(2024);
    lengths.extend((0..8).map(|_| 1025 + (rng.next_u64() % ((1 << 20) - 1025)) as usize));
    let mut worst = Worst::default();
    for &len in &lengths {
        let lines = ((1 << 16) / len).clamp(1, 8);
        check(
            &ctx,
            &mut worst,
            len,
            lines,
            FftDirection::Forward,
            Normalization::None,
            AlgorithmChoice::Auto,
        );
    }
    worst.print("random_and_awkward_lengths_up_to_2_20");
}

#[test]
fn inverse_transforms_and_round_trips() {
    let Some(ctx) = gpu_context_or_skip("inverse_transforms_and_round_trips") else {
        return;
    };
    let mut worst = Worst::default();
    for len in [
        1usize,
        2,
        3,
        5,
        7,
        97,
        360,
        1000,
        4095,
        6561,
        65537,
        3usize.pow(12),
    ] {
        let lines = ((1 << 15) / len).clamp(1, 4);
        check(
            &ctx,
            &mut worst,
            len,
            lines,
            FftDirection::Inverse,
            Normalization::Backward,
            AlgorithmChoice::Auto,
        );
        for norm in [Normalization::Backward, Normalization::Ortho] {
            let forward = ctx.plan_fft(len, FftDirection::Forward, norm).unwrap();
            let inverse = ctx.plan_fft(len, FftDirection::Inverse, norm).unwrap();
            let (_, bound) = path(&forward.recipe().unwrap().algorithm);
            let input = SplitMix64(len as u64).complex_vec(len * lines);
            let mut data = input.clone();
            forward.process(&mut data).unwrap();
            inverse.process(&mut data).unwrap();
            let what = format!("round trip len {len} {norm:?}");
            let r = assert_rms_close(&what, &data, &to64(&input), 2.0 * bound);
            worst.record("round trip", r.rms_relative, len);
        }
    }
    worst.print("inverse_transforms_and_round_trips");
}

#[test]
fn gpu_resident_bluestein_leaves_its_input_alone() {
    let Some(ctx) = gpu_context_or_skip("gpu_resident_bluestein_leaves_its_input_alone") else {
        return;
    };
    let (len, lines) = (1009, 5);
    let input = SplitMix64(3).complex_vec(len * lines);
    let plan = ctx
        .plan_fft(len, FftDirection::Forward, Normalization::Ortho)
        .unwrap();
    assert!(matches!(
        plan.recipe().unwrap().algorithm,
        Algorithm::Bluestein { m: 2048, .. }
    ));
    let a = GpuTensor::from_complex(&ctx, &input, &[lines, len]).unwrap();
    let mut b = GpuTensor::uninit(&ctx, &[lines, len], GpuElement::Complex32).unwrap();
    plan.process_gpu(&a, &mut b).unwrap();
    let scale = 1.0 / (len as f64).sqrt();
    assert_rms_close(
        "resident Bluestein",
        &b.to_complex().unwrap(),
        &reference_fft(&input, len, false, scale),
        BLUESTEIN_BOUND,
    );
    assert_eq!(a.to_complex().unwrap(), input);
    // The convolution rows come from the tracked pool.
    assert!(ctx.memory_stats().by_tag.contains_key("bluestein rows"));
}

#[test]
fn forced_algorithms_agree_with_the_reference() {
    let Some(ctx) = gpu_context_or_skip("forced_algorithms_agree_with_the_reference") else {
        return;
    };
    let mut worst = Worst::default();
    let forced = [
        // Mixed radices through global memory.
        (
            AlgorithmChoice::GlobalPasses,
            vec![6, 1000, 2187, 2401, 15625, 44100],
        ),
        // Four-step over mixed factors, also where one workgroup would do.
        (AlgorithmChoice::FourStep, vec![4, 9, 1000, 2401, 3675]),
        // Bluestein on smooth lengths and powers of two.
        (
            AlgorithmChoice::Bluestein,
            vec![1, 2, 16, 1000, 4096, 65536],
        ),
    ];
    for (choice, lengths) in forced {
        for len in lengths {
            for dir in [FftDirection::Forward, FftDirection::Inverse] {
                let lines = ((1 << 14) / len).clamp(1, 6);
                check(
                    &ctx,
                    &mut worst,
                    len,
                    lines,
                    dir,
                    Normalization::Backward,
                    choice,
                );
            }
        }
    }
    worst.print("forced_algorithms_agree_with_the_reference");
}

#[test]
fn bluestein_batches_beyond_one_binding_run_in_chunks() {
    let Some(ctx) = gpu_context_or_skip("bluestein_batches_beyond_one_binding_run_in_chunks")
    else {
        return;
    };
    let caps = DeviceCaps::from_limits(ctx.gpu().unwrap().limits());
    // 4097 = 17 * 241 convolves in 8192-point rows: more lines than one
    // binding of rows holds (2048 on a 128 MiB binding) run in two chunks.
    let len = 4097;
    let rows_per_binding = (caps.max_binding_bytes / (8192 * 8)) as usize;
    if rows_per_binding > 4096 {
        println!("bindings hold {rows_per_binding} rows: no chunking to test here");
        return;
    }
    let lines = rows_per_binding + 3;
    let plan = ctx
        .plan_fft(len, FftDirection::Forward, Normalization::None)
        .unwrap();
    let input = SplitMix64(11).complex_vec(len * lines);
    let mut data = input.clone();
    plan.process(&mut data).unwrap();
    let expected = reference_fft(&input, len, false, 1.0);
    let r = compare_complex(&data, &expected);
    assert!(r.rms_relative <= BLUESTEIN_BOUND, "{r:?}");
    // The last lines come from the second chunk.
    let tail = (lines - 2) * len;
    assert_rms_close(
        "last chunk",
        &data[tail..],
        &expected[tail..],
        BLUESTEIN_BOUND,
    );
}

#[test]
fn unsupported_lengths_are_typed_errors() {
    let Some(ctx) = gpu_context_or_skip("unsupported_lengths_are_typed_errors") else {
        return;
    };
    let unsupported = |len: usize| {
        matches!(
            ctx.plan_fft(len, FftDirection::Forward, Normalization::None),
            Err(Error::UnsupportedLength { len: l, .. }) if l == len
        )
    };
    assert!(unsupported(0));
    assert!(unsupported(MAX_LEN + 1));
    assert!(unsupported(MAX_LEN * 3));
    let caps = DeviceCaps::from_limits(ctx.gpu().unwrap().limits());
    // 2^23 + 3 is not smooth and convolves in 2^25 points (256 MiB a line).
    if caps.max_binding_bytes < 256 << 20 {
        let err = ctx
            .plan_fft((1 << 23) + 3, FftDirection::Forward, Normalization::None)
            .unwrap_err();
        assert!(err.to_string().contains("Bluestein"), "{err}");
    }
    let err = ctx
        .plan_fft_with(
            1009,
            FftDirection::Forward,
            Normalization::None,
            AlgorithmChoice::SingleDispatch,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedLength { len: 1009, .. }),
        "{err}"
    );
}
