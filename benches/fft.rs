//! `cargo bench --bench fft`: batched complex FFTs, GPU path vs rustfft.
//!
//! Every length runs as a batch of about 2^20 points (whole lines). Criterion times three
//! things per length: rustfft (the CPU twin, all cores), the GPU path from
//! host memory (upload + transform + readback) and the GPU-resident
//! transform. A summary then prints the ratios measured side by side, and for
//! devices with timestamp queries the kernel time and bandwidth, counted as
//! 16 bytes per point per pass (one read and one write of a complex f32).
//! The summary adds lengths that are not powers of two: 1000 and 1536 (mixed
//! radix, one dispatch), 4095 = 3^2 * 5 * 7 * 13 and 65537 (Bluestein; its
//! "passes" are all of its dispatches, so its GB/s is only indicative).
//!
//! `FFT_TENSOR_BACKEND=gpu` benchmarks a software adapter too (lavapipe);
//! those numbers say nothing about a real GPU.

use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use fft_tensor::testing::SplitMix64;
use fft_tensor::{Context, DeviceChoice, FftDirection, GpuElement, GpuTensor, Normalization};

const POINTS: usize = 1 << 20;

fn lengths() -> Vec<usize> {
    (8..=20).step_by(2).map(|b| 1usize << b).collect()
}

/// The criterion lengths plus some that are not powers of two.
/// Points per batch in the summary: 2^20, or `FFT_TENSOR_BENCH_POINTS`.
fn summary_points() -> usize {
    std::env::var("FFT_TENSOR_BENCH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(POINTS)
}

fn summary_lengths() -> Vec<usize> {
    let mut v = lengths();
    v.extend([1000, 1536, 4095, 65537]);
    v
}

/// The GPU context to benchmark (`FFT_TENSOR_BACKEND`), with per-length
/// kernel specialisation forced on or off by `FFT_TENSOR_SPECIALIZE=1|0`.
fn gpu_context() -> Option<Context> {
    let choice = DeviceChoice::from_env().unwrap_or_default();
    if choice == DeviceChoice::Cpu {
        return None;
    }
    let specialize_kernels = std::env::var("FFT_TENSOR_SPECIALIZE")
        .ok()
        .map(|v| v == "1");
    Context::with_options(fft_tensor::ContextOptions {
        choice,
        specialize_kernels,
        ..Default::default()
    })
    .ok()
    .filter(|c| c.gpu().is_some())
}

fn bench_fft(c: &mut Criterion) {
    let cpu = Context::cpu();
    let gpu = gpu_context();
    let mut group = c.benchmark_group("fft_c2c_2^20_points");
    group.throughput(Throughput::Elements(POINTS as u64));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    for len in lengths() {
        let input = SplitMix64(len as u64).complex_vec(POINTS);
        let plan = cpu
            .plan_fft(len, FftDirection::Forward, Normalization::None)
            .unwrap();
        let mut data = input.clone();
        group.bench_with_input(BenchmarkId::new("rustfft", len), &len, |b, _| {
            b.iter(|| plan.process(&mut data).unwrap())
        });
        if let Some(ctx) = &gpu {
            let plan = ctx
                .plan_fft(len, FftDirection::Forward, Normalization::None)
                .unwrap();
            let mut data = input.clone();
            group.bench_with_input(BenchmarkId::new("gpu_from_host", len), &len, |b, _| {
                b.iter(|| plan.process(&mut data).unwrap())
            });
            let a = GpuTensor::from_complex(ctx, &input, &[POINTS]).unwrap();
            let mut out = GpuTensor::uninit(ctx, &[POINTS], GpuElement::Complex32).unwrap();
            group.bench_with_input(BenchmarkId::new("gpu_resident", len), &len, |b, _| {
                b.iter(|| plan.process_gpu(&a, &mut out).unwrap())
            });
        }
    }
    group.finish();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn time_median(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn summary() {
    let cpu = Context::cpu();
    let Some(ctx) = gpu_context() else {
        println!("\nsummary: no GPU adapter (auto skips software adapters; FFT_TENSOR_BACKEND=gpu takes them)");
        return;
    };
    println!(
        "\nsummary on {} (kernels specialised per length: {}) vs {}",
        ctx.description(),
        ctx.gpu().is_some_and(|g| g.specializes_kernels()),
        cpu.description()
    );
    println!(
        "{:>8} {:>7} {:>11} {:>12} {:>12} {:>11} {:>11} {:>10} {:>8} {:>9}",
        "length",
        "passes",
        "rustfft ms",
        "gpu-host ms",
        "gpu-res ms",
        "res/rustfft",
        "kernel ms",
        "overhead",
        "GB/s",
        "Mpts/s"
    );
    for len in summary_lengths() {
        let points = summary_points() / len * len;
        if points == 0 {
            continue;
        }
        let input = SplitMix64(len as u64).complex_vec(points);
        let cplan = cpu
            .plan_fft(len, FftDirection::Forward, Normalization::None)
            .unwrap();
        let gplan = ctx
            .plan_fft(len, FftDirection::Forward, Normalization::None)
            .unwrap();
        let passes = gplan.recipe().map_or(0, |r| r.passes());
        let mut data = input.clone();
        let t_cpu = time_median(9, || cplan.process(&mut data).unwrap());
        let t_host = time_median(9, || gplan.process(&mut data).unwrap());
        let a = GpuTensor::from_complex(&ctx, &input, &[points]).unwrap();
        let mut out = GpuTensor::uninit(&ctx, &[points], GpuElement::Complex32).unwrap();
        let t_res = time_median(9, || gplan.process_gpu(&a, &mut out).unwrap());
        let kernel: Vec<f64> = (0..9)
            .filter_map(|_| gplan.process_gpu_timed(&a, &mut out).unwrap())
            .map(|d| d.as_secs_f64())
            .collect();
        let (k_ms, overhead, gbs) = if kernel.is_empty() {
            ("n/a".to_string(), "n/a".to_string(), "n/a".to_string())
        } else {
            let k = median(kernel);
            (
                format!("{:.3}", k * 1e3),
                format!("{:.3}", (t_res - k) * 1e3),
                format!("{:.1}", 16.0 * points as f64 * passes as f64 / k / 1e9),
            )
        };
        println!(
            "{len:>8} {passes:>7} {:>11.3} {:>12.3} {:>12.3} {:>11.2} {k_ms:>11} {overhead:>10} {gbs:>8} {:>9.1}",
            t_cpu * 1e3,
            t_host * 1e3,
            t_res * 1e3,
            t_res / t_cpu,
            points as f64 / t_res / 1e6,
        );
    }
    println!("(res/rustfft < 1 means the GPU-resident transform is faster; gpu-res includes submit and wait;");
    println!(" overhead = gpu-res minus kernel time: host work per GPU-resident call, ms)");
}

criterion_group!(benches, bench_fft);

fn main() {
    let summary_only = std::env::args().any(|a| a == "--summary-only");
    if !summary_only {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    // FFT_TENSOR_BENCH_ONLY=overhead runs just the host-overhead table.
    if std::env::var("FFT_TENSOR_BENCH_ONLY").as_deref() == Ok("overhead") {
        host_overhead();
        return;
    }
    summary();
    host_overhead();
    real_and_2d();
}

/// Host work per GPU-resident call on small batches, where it dominates:
/// the median wall time of a call minus the median GPU time of its kernels
/// (timestamp queries), over many calls.
fn host_overhead() {
    let Some(ctx) = gpu_context() else {
        return;
    };
    if !ctx.gpu().is_some_and(|g| g.has_timestamps()) {
        println!(
            "
host overhead: the device has no timestamp queries"
        );
        return;
    }
    println!(
        "
host overhead per GPU-resident call (median of 101 calls)"
    );
    println!(
        "{:>8} {:>7} {:>12} {:>11} {:>12}",
        "length", "lines", "call ms", "kernel ms", "overhead ms"
    );
    for (len, lines) in [(256usize, 16usize), (256, 4096), (4096, 16), (1000, 16)] {
        let input = SplitMix64(len as u64).complex_vec(len * lines);
        let plan = ctx
            .plan_fft(len, FftDirection::Forward, Normalization::None)
            .unwrap();
        let a = GpuTensor::from_complex(&ctx, &input, &[len * lines]).unwrap();
        let mut out = GpuTensor::uninit(&ctx, &[len * lines], GpuElement::Complex32).unwrap();
        let call = time_median(101, || plan.process_gpu(&a, &mut out).unwrap());
        let kernel = median(
            (0..101)
                .filter_map(|_| plan.process_gpu_timed(&a, &mut out).unwrap())
                .map(|d| d.as_secs_f64())
                .collect(),
        );
        println!(
            "{len:>8} {lines:>7} {:>12.3} {:>11.3} {:>12.3}",
            call * 1e3,
            kernel * 1e3,
            (call - kernel) * 1e3
        );
    }
}

/// Real vs complex transforms of the same batch, and 2-D transforms, on the
/// CPU twin and (GPU-resident) on the GPU, side by side.
fn real_and_2d() {
    let mut backends = vec![Context::cpu()];
    backends.extend(gpu_context());
    println!("\nreal vs complex, and 2-D (median of 5; GPU times are GPU-resident calls)");
    println!("{:<44} {:>12} {:>12}", "transform", "CPU twin ms", "GPU ms");
    let cases: &[(&str, &[usize], &[usize], bool)] = &[
        ("complex 256 x 4096, last axis", &[256, 4096], &[1], false),
        (
            "real    256 x 4096, last axis (rfft)",
            &[256, 4096],
            &[1],
            true,
        ),
        ("complex 1024^2, both axes", &[1024, 1024], &[0, 1], false),
        (
            "real    1024^2, both axes (rfft2)",
            &[1024, 1024],
            &[0, 1],
            true,
        ),
        ("complex 4096^2, both axes", &[4096, 4096], &[0, 1], false),
        (
            "real    4096^2, both axes (rfft2)",
            &[4096, 4096],
            &[0, 1],
            true,
        ),
    ];
    for &(name, shape, axes, real) in cases {
        let len: usize = shape.iter().product();
        let mut row = format!("{name:<44}");
        for ctx in &backends {
            let ms = if real {
                let data: Vec<f32> = SplitMix64(3)
                    .complex_vec(len / 2)
                    .iter()
                    .flat_map(|c| [c.re, c.im])
                    .collect();
                if ctx.gpu().is_some() {
                    let t = GpuTensor::from_f32(ctx, &data, shape).unwrap();
                    time_median(5, || {
                        drop(ctx.rfftn_gpu(&t, axes, Normalization::None).unwrap())
                    })
                } else {
                    let t = fft_tensor::Tensor::new(shape, data).unwrap();
                    time_median(5, || {
                        drop(ctx.rfftn(&t, axes, Normalization::None).unwrap())
                    })
                }
            } else {
                let data = SplitMix64(3).complex_vec(len);
                if ctx.gpu().is_some() {
                    let t = GpuTensor::from_complex(ctx, &data, shape).unwrap();
                    time_median(5, || {
                        drop(
                            ctx.fftn_gpu(&t, axes, FftDirection::Forward, Normalization::None)
                                .unwrap(),
                        )
                    })
                } else {
                    let mut t = fft_tensor::Tensor::new(shape, data).unwrap();
                    time_median(5, || {
                        ctx.fftn(&mut t, axes, FftDirection::Forward, Normalization::None)
                            .unwrap()
                    })
                }
            };
            row.push_str(&format!(" {:>12.2}", ms * 1e3));
        }
        println!("{row}");
    }
}
