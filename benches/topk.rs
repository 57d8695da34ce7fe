//! Top-k of 2^22 f32 keeping 20 %: the CPU twin against the GPU kernels,
//! with the input already on the GPU (`gpu resident`, result left there) and
//! through host slices (`gpu host`, upload and readback included).
//!
//! `cargo bench --bench topk`. Prints the GPU/CPU time ratios at the end.
//! Without a GPU adapter only the CPU twin is timed. On lavapipe (Mesa's
//! software Vulkan) the GPU numbers measure a CPU emulating a GPU: compare
//! them with care, and never set thresholds against them.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use fft_tensor::testing::SplitMix64;
use fft_tensor::topk::top_k_cpu_f32;
use fft_tensor::{Context, DeviceChoice, GpuTensor};

const N: usize = 1 << 22;
const K: usize = N / 5;

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    f(); // warm-up: pipelines, pools, page faults
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let mut rng = SplitMix64(22);
    let data: Vec<f32> = (0..N)
        .map(|_| rng.uniform() * ((rng.next_u64() % 41) as f32 - 20.0).exp2())
        .collect();
    let gpu = Context::new(DeviceChoice::Gpu).ok();

    let mut c = Criterion::default().configure_from_args().sample_size(20);
    let mut group = c.benchmark_group("topk 2^22 f32 keep 20%");
    group.bench_function("cpu twin", |b| {
        b.iter(|| top_k_cpu_f32(black_box(&data), K).unwrap())
    });
    if let Some(ctx) = &gpu {
        let tensor = GpuTensor::from_f32(ctx, &data, &[N]).unwrap();
        group.bench_function("gpu resident", |b| {
            b.iter(|| ctx.top_k_gpu(black_box(&tensor), K).unwrap())
        });
        group.bench_function("gpu host", |b| {
            b.iter(|| ctx.top_k_f32(black_box(&data), K).unwrap())
        });
    }
    group.finish();
    c.final_summary();

    let cpu = median(|| drop(top_k_cpu_f32(&data, K).unwrap()), 15);
    println!(
        "\ntop-k 2^22 f32, k = {K}: CPU twin {cpu:.2?} ({} threads)",
        rayon::current_num_threads()
    );
    match &gpu {
        Some(ctx) => {
            let tensor = GpuTensor::from_f32(ctx, &data, &[N]).unwrap();
            let resident = median(|| drop(ctx.top_k_gpu(&tensor, K).unwrap()), 15);
            let host = median(|| drop(ctx.top_k_f32(&data, K).unwrap()), 15);
            let ratio = |t: Duration| t.as_secs_f64() / cpu.as_secs_f64();
            println!("  on {}", ctx.description());
            println!(
                "  GPU resident {resident:.2?}: GPU/CPU time ratio {:.2}",
                ratio(resident)
            );
            println!(
                "  GPU host     {host:.2?}: GPU/CPU time ratio {:.2}",
                ratio(host)
            );
        }
        None => println!("  no GPU adapter: GPU not timed"),
    }
}
