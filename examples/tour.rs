//! A tour of fft-tensor: picks the backend, runs batched FFTs there, checks
//! them against the CPU twin and an f64 reference, and prints what it did.
//!
//! `cargo run --release --example tour` (set `FFT_TENSOR_BACKEND=gpu` to use
//! a software Vulkan driver such as lavapipe, `cpu` for the CPU backend).

use std::time::Instant;

use fft_tensor::spectral::{CompressOptions, Keep, Transform, ValueType};
use fft_tensor::testing::{compare_complex, compare_real, reference_fft, SplitMix64};
use fft_tensor::{Context, FftDirection, Normalization, Tensor};

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

    println!("\n== Batched complex FFTs (about 2^20 points per call, forward; any length)");
    println!(
        "{:>9} {:>6} {:>22} {:>12} {:>12} {:>10}",
        "length", "lines", "algorithm", "vs f64", "vs CPU twin", "time"
    );
    for len in [
        16usize,
        256,
        1024,
        4096,
        16384,
        65536,
        1 << 20,
        1000,
        4095,
        65537,
    ] {
        let lines = ((1 << 20) / len).max(1);
        let input = SplitMix64(len as u64).complex_vec(len * lines);
        let plan = ctx.plan_fft(len, FftDirection::Forward, Normalization::Backward)?;
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
            Normalization::Backward,
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
    println!("(errors are RMS relative; times include upload and readback on the GPU)");

    real_nd_and_dct(&ctx)?;
    compression(&ctx)?;
    Ok(())
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x.into()).collect()
}

fn real_nd_and_dct(ctx: &Context) -> Result<(), fft_tensor::Error> {
    println!("\n== Real input, N-D, DCT (checked against the CPU twin)");
    let cpu = Context::cpu();
    let mut rng = SplitMix64(99);
    let shape = [64usize, 128, 96];
    let data: Vec<f32> = (0..shape.iter().product::<usize>())
        .map(|_| rng.uniform())
        .collect();
    let t = Tensor::new(&shape, data.clone())?;

    let start = Instant::now();
    let half = ctx.rfftn(&t, &[0, 1, 2], Normalization::Backward)?;
    let took = start.elapsed();
    let twin = cpu.rfftn(&t, &[0, 1, 2], Normalization::Backward)?;
    let twin64: Vec<_> = twin
        .data()
        .iter()
        .map(|c| fft_tensor::num_complex::Complex64::new(c.re.into(), c.im.into()))
        .collect();
    let back = ctx.irfftn(&half, &[0, 1, 2], 96, Normalization::Backward)?;
    println!(
        "rfftn {shape:?} -> {:?}: vs twin {:.1e}, round trip {:.1e}, {:.1} ms",
        half.shape(),
        compare_complex(half.data(), &twin64).rms_relative,
        compare_real(back.data(), &to64(&data)).rms_relative,
        took.as_secs_f64() * 1e3
    );

    let mut d = t.clone();
    let start = Instant::now();
    ctx.dctn(&mut d, &[0, 1, 2])?;
    let took = start.elapsed();
    let mut twin = t.clone();
    cpu.dctn(&mut twin, &[0, 1, 2])?;
    let vs_twin = compare_real(d.data(), &to64(twin.data())).rms_relative;
    ctx.idctn(&mut d, &[0, 1, 2])?;
    println!(
        "DCT-II {shape:?}: vs twin {vs_twin:.1e}, round trip through DCT-III {:.1e}, {:.1} ms",
        compare_real(d.data(), &to64(&data)).rms_relative,
        took.as_secs_f64() * 1e3
    );
    Ok(())
}

fn compression(ctx: &Context) -> Result<(), fft_tensor::Error> {
    println!("\n== Sparse spectral compression (every byte counted; error target 1e-3)");
    let n = 512usize;
    let smooth: Vec<f32> = (0..n * n)
        .map(|i| {
            let (y, x) = ((i / n) as f32 / n as f32, (i % n) as f32 / n as f32);
            (3.1 * x).sin()
                + (2.3 * y + 0.5).cos()
                + 2.0 * (-((x - 0.4).powi(2) + (y - 0.6).powi(2)) / 0.03).exp()
        })
        .collect();
    let mut rng = SplitMix64(5);
    let noise: Vec<f32> = (0..n * n).map(|_| rng.uniform()).collect();
    for (name, data) in [("smooth field", smooth), ("uniform noise", noise)] {
        let t = Tensor::new(&[n, n], data)?;
        for transform in [Transform::Dct, Transform::Rfft] {
            let opts = CompressOptions {
                transform,
                value_type: ValueType::F16,
                keep: Keep::RelativeError(1e-3),
            };
            let s = ctx.compress(&t, &opts)?;
            let back = ctx.decompress(&s)?;
            let err = compare_real(back.data(), &to64(t.data())).rms_relative;
            let verdict = if s.ratio() < 1.0 {
                "does NOT compress: larger than the f32 input"
            } else if s.ratio() < 2.2 {
                "does NOT compress: no better than storing plain f16 (2x)"
            } else {
                "compresses"
            };
            println!(
                "{name:>14} {transform:>4?}: kept {:>6} of {:>6} coefficients, {:>7} bytes, ratio {:>7.2}x, error {err:.2e} -> {verdict}",
                s.kept(),
                s.coefficients(),
                s.serialized_len(),
                s.ratio()
            );
        }
    }
    println!("(noise and trained weight matrices have no spectral structure: use INT8 there; see README)");
    Ok(())
}
