//! A tour of fft-tensor: picks the backend, runs batched FFTs there, checks
//! them against the CPU twin and an f64 reference, and prints what it did.
//!
//! `cargo run --release --example tour` (set `FFT_TENSOR_BACKEND=gpu` to use
//! a software Vulkan driver such as lavapipe, `cpu` for the CPU backend).

use std::time::Instant;

use fft_tensor::testing::{compare_complex, reference_fft, SplitMix64};
use fft_tensor::{Context, FftDirection, Normalization};

fn main() -> Result<(), fft_tensor::Error> {
    let ctx = Context::from_env()?;
    let cpu = Context::cpu();
    println!("backend: {}", ctx.description());
    if let Some(gpu) = ctx.gpu() {
        let l = gpu.limits();
        println!(
            "limits: workgroup memory {} B, storage binding {} MiB, max buffer {} MiB",
            l.max_compute_workgroup_storage_size,
            l.max_storage_buffer_binding_size >> 20,
            l.max_buffer_size >> 20
        );
    }

    println!("\n== Batched complex FFTs (2^20 points per call, forward)");
    println!(
        "{:>9} {:>6} {:>22} {:>12} {:>12} {:>10}",
        "length", "lines", "algorithm", "vs f64", "vs CPU twin", "time"
    );
    for log2n in [4u32, 8, 10, 12, 14, 16, 20] {
        let len = 1usize << log2n;
        let lines = (1 << 20) / len;
        let input = SplitMix64(u64::from(log2n)).complex_vec(len * lines);
        let plan = ctx.plan_fft(len, FftDirection::Forward, Normalization::Inverse)?;
        let mut data = input.clone();
        plan.process(&mut data)?; // first call compiles pipelines
        data.copy_from_slice(&input);
        let start = Instant::now();
        plan.process(&mut data)?;
        let elapsed = start.elapsed();
        let mut twin = input.clone();
        cpu.fft(
            &mut twin,
            len,
            FftDirection::Forward,
            Normalization::Inverse,
        )?;
        let reference = reference_fft(&input, len, false, 1.0);
        let vs_f64 = compare_complex(&data, &reference).rms_relative;
        let twin64: Vec<_> = twin
            .iter()
            .map(|c| fft_tensor::num_complex::Complex64::new(c.re.into(), c.im.into()))
            .collect();
        let vs_twin = compare_complex(&data, &twin64).rms_relative;
        let algorithm = plan
            .recipe()
            .map(|r| {
                format!("{:?}", r.algorithm)
                    .split([' ', '{'])
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_else(|| "rustfft".into());
        println!(
            "{len:>9} {lines:>6} {algorithm:>22} {vs_f64:>12.2e} {vs_twin:>12.2e} {:>8.2} ms",
            elapsed.as_secs_f64() * 1e3
        );
    }
    println!("\n(errors are RMS relative; times include upload and readback on the GPU)");
    Ok(())
}
