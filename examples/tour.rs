//! A tour of fft-tensor: picks the backend, runs batched FFTs there, checks
//! them against the crate's f64 transforms (and, on a GPU, against the CPU
//! twin too), and prints what it did with a verdict per check.
//!
//! `cargo run --release --example tour` (set `FFT_TENSOR_BACKEND=gpu` to run
//! the GPU kernels, also on a software Vulkan driver such as lavapipe, `cpu`
//! for the CPU backend).

use std::time::Instant;

use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::spectral::{CompressOptions, Keep, StoredPrecision, Transform};
use fft_tensor::{Context, FftDirection, Normalization, Tensor};

/// Deterministic pseudo-random values in [-1, 1) (splitmix64).
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn complex(&mut self, n: usize) -> Vec<Complex32> {
        (0..n)
            .map(|_| Complex32::new(self.uniform(), self.uniform()))
            .collect()
    }
}

fn widen(v: &[Complex32]) -> Vec<Complex64> {
    v.iter()
        .map(|c| Complex64::new(c.re.into(), c.im.into()))
        .collect()
}

/// `sqrt(sum |a - e|^2 / sum |e|^2)`.
fn rms_relative(actual: &[Complex64], expected: &[Complex64]) -> f64 {
    let num: f64 = actual
        .iter()
        .zip(expected)
        .map(|(a, e)| (a - e).norm_sqr())
        .sum();
    let den: f64 = expected.iter().map(|e| e.norm_sqr()).sum();
    (num / den).sqrt()
}

fn rms_relative_real(actual: &[f32], expected: &[f32]) -> f64 {
    let re = |v: &[f32]| -> Vec<Complex64> {
        v.iter().map(|&x| Complex64::new(x.into(), 0.0)).collect()
    };
    rms_relative(&re(actual), &re(expected))
}

fn verdict(error: f64, bound: f64) -> &'static str {
    if error <= bound {
        "ok"
    } else {
        "OVER BOUND"
    }
}

/// The documented bound on the RMS relative error of an f32 FFT of `len`
/// points against f64: 1e-6 for powers of two up to 2^20, else 2e-6.
fn fft_bound(len: usize) -> f64 {
    if len.is_power_of_two() && len <= 1 << 20 {
        1e-6
    } else {
        2e-6
    }
}

fn main() -> Result<(), fft_tensor::Error> {
    let ctx = Context::from_env()?;
    let cpu = Context::cpu();
    let on_gpu = ctx.gpu().is_some();
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
    let twin_column = if on_gpu { "vs CPU twin" } else { "" };
    println!(
        "{:>9} {:>6} {:>22} {:>12} {:>8} {:>12} {:>10}",
        "length", "lines", "algorithm", "vs f64", "bound", twin_column, "time"
    );
    let mut all_within = true;
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
        let input = Rng(len as u64).complex(len * lines);
        let plan = ctx.plan_fft(len, FftDirection::Forward, Normalization::Backward)?;
        let mut data = input.clone();
        plan.process(&mut data)?; // first call compiles pipelines
        let start = Instant::now();
        plan.process_into(&input, &mut data)?;
        let elapsed = start.elapsed();
        // The reference: the same transform in f64 on the CPU.
        let mut reference = widen(&input);
        cpu.fft_f64(
            &mut reference,
            len,
            FftDirection::Forward,
            Normalization::Backward,
        )?;
        let vs_f64 = rms_relative(&widen(&data), &reference);
        let bound = fft_bound(len);
        all_within &= vs_f64 <= bound;
        let vs_twin = if on_gpu {
            let mut twin = input.clone();
            cpu.fft(
                &mut twin,
                len,
                FftDirection::Forward,
                Normalization::Backward,
            )?;
            format!("{:.2e}", rms_relative(&widen(&data), &widen(&twin)))
        } else {
            String::new()
        };
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
            "{len:>9} {lines:>6} {algorithm:>22} {vs_f64:>12.2e} {bound:>8.0e} {vs_twin:>12} {:>8.2} ms  {}",
            elapsed.as_secs_f64() * 1e3,
            verdict(vs_f64, bound)
        );
    }
    println!("(errors are RMS relative; times include upload and readback on the GPU)");
    println!(
        "verdict: {}",
        if all_within {
            "every length within its bound against f64"
        } else {
            "SOME LENGTHS OVER THEIR BOUND against f64"
        }
    );
    if !on_gpu {
        println!(
            "(no GPU in use: the CPU twin was checked against f64. To run the GPU kernels on \
             the software Vulkan driver: FFT_TENSOR_BACKEND=gpu cargo run --release --example tour)"
        );
    }

    real_nd_and_dct(&ctx)?;
    compression(&ctx)?;
    Ok(())
}

fn real_nd_and_dct(ctx: &Context) -> Result<(), fft_tensor::Error> {
    println!("\n== Real input, N-D, DCT");
    let mut rng = Rng(99);
    let shape = [64usize, 128, 96];
    let data: Vec<f32> = (0..shape.iter().product::<usize>())
        .map(|_| rng.uniform())
        .collect();
    let t = Tensor::new(&shape, data.clone())?;

    let start = Instant::now();
    let half = ctx.rfftn(&t, &[0, 1, 2], Normalization::Backward)?;
    let took = start.elapsed();
    let wide = Tensor::new(&shape, data.iter().map(|&x| f64::from(x)).collect())?;
    let reference = ctx.rfftn_f64(&wide, &[0, 1, 2], Normalization::Backward)?;
    let vs_f64 = rms_relative(&widen(half.data()), reference.data());
    let back = ctx.irfftn(&half, &[0, 1, 2], 96, Normalization::Backward)?;
    let trip = rms_relative_real(back.data(), &data);
    println!(
        "rfftn {shape:?} -> {:?}: vs f64 {vs_f64:.1e} ({}), round trip {trip:.1e} ({}), {:.1} ms",
        half.shape(),
        verdict(vs_f64, 1e-6),
        verdict(trip, 1e-6),
        took.as_secs_f64() * 1e3
    );

    let mut d = t.clone();
    let start = Instant::now();
    ctx.dctn(&mut d, &[0, 1, 2])?;
    let took = start.elapsed();
    // Orthonormal: the energy is preserved (Parseval), and DCT-III inverts it.
    let energy = |v: &[f32]| v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>();
    let parseval = (energy(d.data()) / energy(&data) - 1.0).abs();
    ctx.idctn(&mut d, &[0, 1, 2])?;
    let trip = rms_relative_real(d.data(), &data);
    println!(
        "DCT-II {shape:?}: energy kept to {parseval:.1e} ({}), round trip through DCT-III {trip:.1e} ({}), {:.1} ms",
        verdict(parseval, 1e-5),
        verdict(trip, 1e-6),
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
    let mut rng = Rng(5);
    let noise: Vec<f32> = (0..n * n).map(|_| rng.uniform()).collect();
    for (name, data) in [("smooth field", smooth), ("uniform noise", noise)] {
        let t = Tensor::new(&[n, n], data)?;
        for transform in [Transform::Dct, Transform::Rfft] {
            let opts = CompressOptions {
                transform,
                value_type: StoredPrecision::F16,
                keep: Keep::RelativeError(1e-3),
            };
            let s = ctx.compress(&t, &opts)?;
            let back = ctx.decompress(&s)?;
            let err = rms_relative_real(back.data(), t.data());
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
