//! `cargo bench --bench matmul`: `Y = X W^T` with W of M x N by every path
//! of `fft_tensor::linalg`: time per call (median) and peak device memory.
//!
//! * resident dense: W uploaded once, one product per call;
//! * decode + upload + dense: per call, decode all of W from the host copy
//!   (INT8 blocks), upload it and multiply: the same work as the streamed
//!   path without its blocks, the baseline for its time ratio;
//! * quantised INT8 / INT4: W resident as stored, dequantised in the kernel;
//! * streamed f32, INT8 and sparse DCT (5 % kept): W in host memory as row
//!   blocks, two scratch buffers;
//! * spectral: `y = W x` straight from W's sparse 2-D DCT spectrum at 1 %,
//!   5 % and 10 % kept, never building W; its error is printed against the
//!   original W (the table's column: the codec's loss, large for random W)
//!   and against the product with the decoded W (the kernel's exactness);
//! * the CPU twin (`matrixmultiply` on rayon's threads).
//!
//! The backend is a GPU when one exists (any adapter, lavapipe included:
//! its times are CPU work and say nothing about a real GPU), else the CPU.
//! Default grid (sized for lavapipe on a 2-core machine): W 1024 x 1024,
//! B in {1, 16}. `FFT_TENSOR_BENCH_FULL=1`: W 4096 x 4096, B in {1, 16, 256}.

use std::time::Instant;

use fft_tensor::linalg::{
    matmul_cpu, BlockCodec, MatmulShape, QuantBits, QuantizedWeight, SpectralWeight, StreamedWeight,
};
use fft_tensor::spectral::{CompressOptions, Keep, StoredPrecision, Transform};
use fft_tensor::testing::{compare_real, reference_matmul, SplitMix64};
use fft_tensor::Tensor;
use fft_tensor::{Context, DeviceChoice, GpuTensor};

fn median_ms(reps: usize, mut f: impl FnMut() -> Vec<f32>) -> (f64, Vec<f32>) {
    let mut out = f(); // warm-up: pipelines, pools
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        out = f();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], out)
}

fn main() {
    let full = std::env::var("FFT_TENSOR_BENCH_FULL").as_deref() == Ok("1");
    let (m, n, batches, reps) = if full {
        (4096, 4096, vec![1, 16, 256], 5)
    } else {
        (1024, 1024, vec![1, 16], 5)
    };
    let ctx = Context::new(DeviceChoice::Gpu).unwrap_or_else(|_| Context::cpu());
    println!("backend: {}", ctx.description());
    println!(
        "W {m} x {n} ({} MiB f32), median of {reps} calls",
        (4 * m * n) >> 20
    );
    let w = SplitMix64(1).uniform_vec(m * n, 0.05);
    let cpu = Context::cpu();
    let block_rows = (m / 16).max(1);
    let int8 = StreamedWeight::encode(&cpu, &w, m, n, BlockCodec::Int8 { group: 64 }, block_rows)
        .expect("int8 blocks");
    let f32_blocks =
        StreamedWeight::encode(&cpu, &w, m, n, BlockCodec::F32, block_rows).expect("f32 blocks");
    let sparse = StreamedWeight::encode(
        &cpu,
        &w,
        m,
        n,
        BlockCodec::SparseDct { keep: 0.05 },
        block_rows,
    )
    .expect("sparse blocks");
    let q8 = QuantizedWeight::quantize(&w, m, n, QuantBits::Int8, 64).expect("int8");
    let q4 = QuantizedWeight::quantize(&w, m, n, QuantBits::Int4, 64).expect("int4");
    // Spectral weights: (percent kept, W decoded from the spectrum, weight).
    let spectral: Vec<(u32, Vec<f32>, SpectralWeight)> = [1u32, 5, 10]
        .iter()
        .map(|&pct| {
            let options = CompressOptions {
                transform: Transform::Dct,
                value_type: StoredPrecision::F32,
                keep: Keep::Fraction(f64::from(pct) / 100.0),
            };
            let t = Tensor::new(&[m, n], w.clone()).expect("tensor");
            let sparse = cpu.compress(&t, &options).expect("spectrum");
            let decoded = cpu.decompress(&sparse).expect("decode").into_data();
            (
                pct,
                decoded,
                SpectralWeight::from_sparse(&sparse).expect("weight"),
            )
        })
        .collect();
    let gpu = ctx.gpu().is_some();
    let resident = gpu.then(|| GpuTensor::from_f32(&ctx, &w, &[m, n]).expect("upload W"));
    let resident8 = gpu.then(|| ctx.upload_quantized(&q8).expect("upload int8"));
    let resident4 = gpu.then(|| ctx.upload_quantized(&q4).expect("upload int4"));

    println!(
        "{:>4}  {:<34} {:>10} {:>10} {:>12} {:>10}",
        "B", "path", "ms/call", "held MiB", "peak+ MiB", "err f64"
    );
    for &b in &batches {
        let s = MatmulShape::new(b, n, m);
        let x = SplitMix64(2 + b as u64).uniform_vec(b * n, 1.0);
        let reference = reference_matmul(&x, &w, None, s);
        let mut rows: Vec<(String, f64, f64)> = Vec::new();
        // `held`: device bytes of W kept between calls; the peak column is
        // what a call allocates beyond what was allocated before it.
        let mut run = |name: &str, held: u64, f: &mut dyn FnMut() -> Vec<f32>| {
            ctx.trim_memory();
            ctx.reset_peak_memory();
            let before = ctx.memory_stats().current;
            let (ms, y) = median_ms(reps, f);
            let peak = (ctx.memory_stats().peak - before) as f64 / (1 << 20) as f64;
            let err = compare_real(&y, &reference).rms_relative;
            let held = held as f64 / (1 << 20) as f64;
            println!("{b:>4}  {name:<34} {ms:>10.2} {held:>10.2} {peak:>12.2} {err:>10.2e}");
            rows.push((name.to_string(), ms, peak + held));
        };
        if let (Some(wt), Some(r8), Some(r4)) = (&resident, &resident8, &resident4) {
            let resident_product = |ws: &dyn Fn(
                &mut fft_tensor::backend::Recording,
                &fft_tensor::backend::BufferSlice,
                &fft_tensor::backend::BufferSlice,
            )| {
                let mut rec = ctx.recording("bench").expect("recording");
                let xs = rec.upload("x", &x).expect("x");
                let ys = rec.temporary("y", 4 * s.y_len() as u64).expect("y");
                ws(&mut rec, &xs, &ys);
                let out = rec.read_back(&ys).expect("readback");
                rec.submit()
                    .and_then(|s| s.wait())
                    .and_then(|mut d| d.take(out))
                    .expect("run")
            };
            run(
                "resident dense f32 (W held)",
                4 * (m * n) as u64,
                &mut || {
                    resident_product(&|rec, xs, ys| {
                        ctx.record_matmul(rec, xs, &wt.slice(), None, ys, s)
                            .expect("record")
                    })
                },
            );
            run("quantised INT8 (W held)", q8.bytes(), &mut || {
                resident_product(&|rec, xs, ys| {
                    ctx.record_matmul_quantized(rec, xs, r8, None, ys, b)
                        .expect("record")
                })
            });
            run("quantised INT4 (W held)", q4.bytes(), &mut || {
                resident_product(&|rec, xs, ys| {
                    ctx.record_matmul_quantized(rec, xs, r4, None, ys, b)
                        .expect("record")
                })
            });
        } else {
            run("dense f32 (CPU backend)", 0, &mut || {
                ctx.matmul(&x, &w, None, s).expect("matmul")
            });
            run("quantised INT8", 0, &mut || {
                ctx.matmul_quantized(&x, &q8, None, b).expect("q8")
            });
            run("quantised INT4", 0, &mut || {
                ctx.matmul_quantized(&x, &q4, None, b).expect("q4")
            });
        }
        run("decode INT8 + upload + dense", 0, &mut || {
            let dense = int8.decode(&cpu).expect("decode");
            ctx.matmul(&x, &dense, None, s).expect("matmul")
        });
        run("streamed INT8 blocks", 0, &mut || {
            ctx.matmul_streamed(&x, &int8, None, b).expect("streamed")
        });
        run("streamed f32 blocks", 0, &mut || {
            ctx.matmul_streamed(&x, &f32_blocks, None, b)
                .expect("streamed")
        });
        run("decode DCT 5% once + dense", 0, &mut || {
            let dense = sparse.decode(&ctx).expect("decode");
            ctx.matmul(&x, &dense, None, s).expect("matmul")
        });
        run("streamed sparse DCT 5% blocks", 0, &mut || {
            ctx.matmul_streamed(&x, &sparse, None, b).expect("streamed")
        });
        for (pct, decoded, sw) in &spectral {
            let mut y = Vec::new();
            run(
                &format!("spectral DCT {pct}% (W never built)"),
                sw.bytes(),
                &mut || {
                    y = ctx.spectral_matmul(&x, sw, b).expect("spectral");
                    y.clone()
                },
            );
            let exact = compare_real(&y, &reference_matmul(&x, decoded, None, s)).rms_relative;
            println!(
                "{b:>4}    (spectral {pct}%: error against the decoded W's product {exact:.2e})"
            );
        }
        run("CPU twin (matrixmultiply)", 0, &mut || {
            matmul_cpu(&x, &w, None, s).expect("cpu")
        });
        let find = |name: &str| {
            rows.iter()
                .find(|r| r.0.starts_with(name))
                .map(|r| (r.1, r.2))
        };
        if let (Some(st), Some(un)) = (find("streamed INT8"), find("decode INT8")) {
            println!(
                "{b:>4}  streamed INT8 / decode+upload+dense: time {:.2}x, peak memory {:.1}x less",
                st.0 / un.0,
                un.1 / st.1.max(1e-9)
            );
        }
        if let (Some(st), Some(de)) = (find("streamed INT8"), find("resident dense")) {
            println!(
                "{b:>4}  streamed INT8 / resident dense: time {:.2}x",
                st.0 / de.0
            );
        }
        if let (Some(q), Some(de)) = (find("quantised INT8"), find("resident dense")) {
            println!(
                "{b:>4}  quantised INT8 / resident dense: time {:.2}x",
                q.0 / de.0
            );
        }
    }
    println!(
        "weight bytes: f32 {:.2} MiB, INT8 {:.2} MiB ({:.2}x less), INT4 {:.2} MiB ({:.2}x less), \
         streamed INT8 host {:.2} MiB, sparse DCT 5% host {:.2} MiB",
        (4 * m * n) as f64 / (1 << 20) as f64,
        q8.bytes() as f64 / (1 << 20) as f64,
        (4 * m * n) as f64 / q8.bytes() as f64,
        q4.bytes() as f64 / (1 << 20) as f64,
        (4 * m * n) as f64 / q4.bytes() as f64,
        int8.host_bytes() as f64 / (1 << 20) as f64,
        sparse.host_bytes() as f64 / (1 << 20) as f64,
    );
}
