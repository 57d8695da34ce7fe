//! The CPU twin against the f64 reference, and FFT properties on both paths.

use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::{
    assert_rms_close, compare_complex, gpu_context_or_skip, reference_fft, SplitMix64,
};
use fft_tensor::{Context, FftDirection, Normalization};
use proptest::prelude::*;
use std::sync::OnceLock;

fn to64(v: &[Complex32]) -> Vec<Complex64> {
    v.iter()
        .map(|c| Complex64::new(c.re.into(), c.im.into()))
        .collect()
}

#[test]
fn cpu_twin_every_power_of_two_within_bounds() {
    let ctx = Context::cpu();
    for log2n in 1..=24 {
        let len = 1usize << log2n;
        let lines = ((1 << 16) / len).max(1);
        let input = SplitMix64(log2n as u64).complex_vec(len * lines);
        for dir in [FftDirection::Forward, FftDirection::Inverse] {
            let mut data = input.clone();
            ctx.fft(&mut data, len, dir, Normalization::Backward)
                .unwrap();
            let scale = Normalization::Backward.factor(len, dir);
            let expected = reference_fft(&input, len, dir == FftDirection::Inverse, scale.into());
            let tol = if log2n <= 20 { 1e-6 } else { 2e-6 };
            assert_rms_close(&format!("cpu len {len} {dir:?}"), &data, &expected, tol);
        }
    }
}

#[test]
fn cpu_twin_handles_any_length() {
    let ctx = Context::cpu();
    for len in [1usize, 3, 5, 7, 12, 97, 1000, 4095] {
        let input = SplitMix64(len as u64).complex_vec(len * 3);
        let mut data = input.clone();
        ctx.fft(&mut data, len, FftDirection::Forward, Normalization::None)
            .unwrap();
        assert_rms_close(
            &format!("cpu len {len}"),
            &data,
            &reference_fft(&input, len, false, 1.0),
            1e-6,
        );
    }
}

/// The GPU context of the property tests, made once (None without an adapter).
fn gpu() -> Option<Context> {
    static GPU: OnceLock<Option<Context>> = OnceLock::new();
    GPU.get_or_init(|| gpu_context_or_skip("fft properties on the GPU"))
        .clone()
}

fn energy(v: &[Complex32]) -> f64 {
    v.iter().map(|c| f64::from(c.norm_sqr())).sum()
}

fn round_trip(ctx: &Context, log2n: u32, lines: usize, seed: u64) -> Result<(), TestCaseError> {
    let len = 1usize << log2n;
    let input = SplitMix64(seed).complex_vec(len * lines);
    let mut data = input.clone();
    ctx.fft(&mut data, len, FftDirection::Forward, Normalization::Ortho)
        .unwrap();
    ctx.fft(&mut data, len, FftDirection::Inverse, Normalization::Ortho)
        .unwrap();
    let r = compare_complex(&data, &to64(&input));
    prop_assert!(
        r.rms_relative <= 1e-6,
        "{}: round trip error {:e}",
        ctx.description(),
        r.rms_relative
    );
    Ok(())
}

fn linear(
    ctx: &Context,
    log2n: u32,
    lines: usize,
    seed: u64,
    (a, b): (f32, f32),
) -> Result<(), TestCaseError> {
    let len = 1usize << log2n;
    let mut rng = SplitMix64(seed);
    let x = rng.complex_vec(len * lines);
    let y = rng.complex_vec(len * lines);
    let plan = ctx
        .plan_fft(len, FftDirection::Forward, Normalization::None)
        .unwrap();
    let mut combo: Vec<Complex32> = x.iter().zip(&y).map(|(p, q)| p * a + q * b).collect();
    let (mut fx, mut fy) = (x.clone(), y.clone());
    plan.process(&mut combo).unwrap();
    plan.process(&mut fx).unwrap();
    plan.process(&mut fy).unwrap();
    let expected: Vec<Complex64> = fx
        .iter()
        .zip(&fy)
        .map(|(p, q)| {
            Complex64::new(p.re.into(), p.im.into()) * f64::from(a)
                + Complex64::new(q.re.into(), q.im.into()) * f64::from(b)
        })
        .collect();
    let r = compare_complex(&combo, &expected);
    prop_assert!(
        r.rms_relative <= 2e-6,
        "{}: linearity error {:e}",
        ctx.description(),
        r.rms_relative
    );
    Ok(())
}

fn parseval(ctx: &Context, log2n: u32, seed: u64) -> Result<(), TestCaseError> {
    let len = 1usize << log2n;
    let input = SplitMix64(seed).complex_vec(len);
    let mut data = input.clone();
    ctx.fft(&mut data, len, FftDirection::Forward, Normalization::Ortho)
        .unwrap();
    let (e_in, e_out) = (energy(&input), energy(&data));
    prop_assert!(
        ((e_out - e_in) / e_in).abs() <= 1e-5,
        "{}: {e_in} vs {e_out}",
        ctx.description()
    );
    Ok(())
}

// Each property once per backend, so a CPU failure cannot hide the GPU result.
proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn round_trip_restores_the_input_cpu(log2n in 1u32..=14, lines in 1usize..=9, seed in any::<u64>()) {
        round_trip(&Context::cpu(), log2n, lines, seed)?;
    }

    #[test]
    fn round_trip_restores_the_input_gpu(log2n in 1u32..=14, lines in 1usize..=9, seed in any::<u64>()) {
        if let Some(ctx) = gpu() {
            round_trip(&ctx, log2n, lines, seed)?;
        }
    }

    #[test]
    fn transform_is_linear_cpu(log2n in 1u32..=13, lines in 1usize..=5, seed in any::<u64>(), a in -3.0f32..3.0, b in -3.0f32..3.0) {
        linear(&Context::cpu(), log2n, lines, seed, (a, b))?;
    }

    #[test]
    fn transform_is_linear_gpu(log2n in 1u32..=13, lines in 1usize..=5, seed in any::<u64>(), a in -3.0f32..3.0, b in -3.0f32..3.0) {
        if let Some(ctx) = gpu() {
            linear(&ctx, log2n, lines, seed, (a, b))?;
        }
    }

    #[test]
    fn parseval_holds_cpu(log2n in 1u32..=16, seed in any::<u64>()) {
        parseval(&Context::cpu(), log2n, seed)?;
    }

    #[test]
    fn parseval_holds_gpu(log2n in 1u32..=16, seed in any::<u64>()) {
        if let Some(ctx) = gpu() {
            parseval(&ctx, log2n, seed)?;
        }
    }
}
