//! `cargo bench --bench spectral`: compress + decompress a 4096 x 4096 f32
//! Gaussian tensor keeping 20 % of its real-FFT coefficients (f16 values),
//! on the CPU backend and the GPU backend, with the ratio and error, beside
//! numpy's rfft2 + argpartition + irfft2 measured in the same run (when
//! python3 with numpy is present) and the prototype's published figure.
//!
//! `FFT_TENSOR_BACKEND=gpu` includes a software adapter (lavapipe); its
//! timings say nothing about a real GPU. `-- --quick` runs fewer repeats.

use std::process::Command;
use std::time::Instant;

use fft_tensor::spectral::{CompressOptions, Keep, StoredPrecision, Transform};
use fft_tensor::testing::{compare_real, SplitMix64};
use fft_tensor::{Context, DeviceChoice, Tensor};

const N: usize = 4096;

fn gaussian(n: usize) -> Vec<f32> {
    let mut rng = SplitMix64(0);
    (0..n)
        .map(|_| {
            let u1 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 + 1e-300;
            let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
        })
        .collect()
}

struct Row {
    label: String,
    compress_ms: f64,
    decompress_ms: f64,
    ratio: f64,
    error: f64,
    /// GPU submissions per compress and per decompress (0 on the CPU).
    submissions: (u64, u64),
}

fn submissions(ctx: &Context) -> u64 {
    ctx.gpu().map_or(0, |g| g.submissions())
}

fn run(ctx: &Context, label: &str, t: &Tensor<f32>, transform: Transform, repeats: usize) -> Row {
    let opts = CompressOptions {
        transform,
        value_type: StoredPrecision::F16,
        keep: Keep::Fraction(0.2),
    };
    // Warm-up builds plans and pipelines.
    let before = submissions(ctx);
    let s = ctx.compress(t, &opts).unwrap();
    let between = submissions(ctx);
    let back = ctx.decompress(&s).unwrap();
    let counted = (between - before, submissions(ctx) - between);
    let (mut c, mut d) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        let start = Instant::now();
        let s = ctx.compress(t, &opts).unwrap();
        c.push(start.elapsed().as_secs_f64() * 1e3);
        let start = Instant::now();
        std::hint::black_box(ctx.decompress(&s).unwrap());
        d.push(start.elapsed().as_secs_f64() * 1e3);
    }
    c.sort_by(f64::total_cmp);
    d.sort_by(f64::total_cmp);
    let expected: Vec<f64> = t.data().iter().map(|&x| x.into()).collect();
    Row {
        label: format!("{label} {transform:?}"),
        compress_ms: c[c.len() / 2],
        decompress_ms: d[d.len() / 2],
        ratio: s.ratio(),
        error: compare_real(back.data(), &expected).rms_relative,
        submissions: counted,
    }
}

fn numpy_ms() -> Option<f64> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/numpy_baseline.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(N.to_string())
        .arg("0.2")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let repeats = if quick { 3 } else { 7 };
    let t = Tensor::new(&[N, N], gaussian(N * N)).unwrap();
    let closed = (1.0f64 - 0.2 * (1.0 - 0.2f64.ln())).sqrt();
    let mut rows = vec![
        run(&Context::cpu(), "cpu", &t, Transform::Rfft, repeats),
        run(&Context::cpu(), "cpu", &t, Transform::Dct, repeats),
    ];
    let choice = DeviceChoice::from_env().unwrap_or_default();
    if choice != DeviceChoice::Cpu {
        if let Ok(gpu) = Context::new(choice) {
            if gpu.gpu().is_some() {
                println!("GPU: {}", gpu.description());
                rows.push(run(&gpu, "gpu", &t, Transform::Rfft, repeats));
                rows.push(run(&gpu, "gpu", &t, Transform::Dct, repeats));
            }
        }
    }
    println!(
        "4096 x 4096 f32 Gaussian, 20 % of coefficients kept, f16 values, host memory in and out"
    );
    println!(
        "{:<12} {:>12} {:>14} {:>10} {:>8} {:>9} {:>12}",
        "path", "compress ms", "decompress ms", "total ms", "ratio", "error", "submissions"
    );
    for r in &rows {
        println!(
            "{:<12} {:>12.1} {:>14.1} {:>10.1} {:>7.2}x {:>9.4} {:>12}",
            r.label,
            r.compress_ms,
            r.decompress_ms,
            r.compress_ms + r.decompress_ms,
            r.ratio,
            r.error,
            format!("{} + {}", r.submissions.0, r.submissions.1)
        );
    }
    println!("closed-form error for i.i.d. Gaussian data at 20 %: {closed:.4}");
    println!("prototype (PyTorch, GTX 1660 Super, published): 111 ms compress + 51 ms decompress = 162 ms, ratio reported 5x (true 1.67x)");
    match numpy_ms() {
        Some(ms) => {
            let cpu = rows[0].compress_ms + rows[0].decompress_ms;
            println!("numpy rfft2 + argpartition + irfft2 (same machine, same run): {ms:.1} ms; cpu backend is {:.2}x faster", ms / cpu);
        }
        None => println!("numpy not available: install python3 + numpy for the side-by-side"),
    }
}
