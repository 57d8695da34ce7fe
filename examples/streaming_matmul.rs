//! `cargo run --release --example streaming_matmul`: `Y = X W^T` with one
//! weight by every path of `fft_tensor::linalg` on the backend
//! `FFT_TENSOR_BACKEND` chooses (default: a real GPU, else the CPU), with
//! time, peak device memory and the largest error against an f64 product
//! with the original W (the codec's loss included) and with the decoded W
//! (the kernel's own error).

use std::time::Instant;

use fft_tensor::linalg::{BlockCodec, MatmulShape, QuantBits, QuantizedWeight, StreamedWeight};
use fft_tensor::testing::{reference_matmul, SplitMix64};
use fft_tensor::Context;

fn max_error(y: &[f32], reference: &[f64]) -> f64 {
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    y.iter()
        .zip(reference)
        .map(|(&a, &e)| (f64::from(a) - e).abs())
        .fold(0.0, f64::max)
        / scale
}

fn main() -> fft_tensor::Result<()> {
    let ctx = Context::from_env()?;
    println!("backend: {}", ctx.description());
    let (b, n, m) = (8, 768, 512);
    let s = MatmulShape::new(b, n, m);
    let w = SplitMix64(1).uniform_vec(m * n, 0.05);
    let x = SplitMix64(2).uniform_vec(b * n, 1.0);
    let exact = reference_matmul(&x, &w, None, s);
    let cpu = Context::cpu();
    println!("X {b} x {n}, W {m} x {n}; errors are max |y - ref| / max |ref|");
    println!(
        "{:<28} {:>9} {:>11} {:>12} {:>12}",
        "path", "ms", "peak bytes", "vs W", "vs decoded W"
    );
    let report = |name: &str, decoded: &[f32], f: &dyn Fn() -> fft_tensor::Result<Vec<f32>>| {
        ctx.trim_memory();
        ctx.reset_peak_memory();
        f()?; // warm-up
        ctx.reset_peak_memory();
        let t = Instant::now();
        let y = f()?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let own = reference_matmul(&x, decoded, None, s);
        println!(
            "{name:<28} {ms:>9.2} {:>11} {:>12.2e} {:>12.2e}",
            ctx.memory_stats().peak,
            max_error(&y, &exact),
            max_error(&y, &own)
        );
        Ok::<(), fft_tensor::Error>(())
    };
    report("dense f32", &w, &|| ctx.matmul(&x, &w, None, s))?;
    for bits in [QuantBits::Int8, QuantBits::Int4] {
        let q = QuantizedWeight::quantize(&w, m, n, bits, 64)?;
        report(&format!("quantised {bits:?}"), &q.dequantize(), &|| {
            ctx.matmul_quantized(&x, &q, None, b)
        })?;
    }
    for codec in [
        BlockCodec::F32,
        BlockCodec::Int8 { group: 64 },
        BlockCodec::SparseDct { keep: 0.1 },
    ] {
        let sw = StreamedWeight::encode(&cpu, &w, m, n, codec, 64)?;
        report(&format!("streamed {codec:?}"), &sw.decode(&cpu)?, &|| {
            ctx.matmul_streamed(&x, &sw, None, b)
        })?;
    }
    println!("(random W: the sparse DCT's loss is large; smooth weights keep it small)");
    Ok(())
}
