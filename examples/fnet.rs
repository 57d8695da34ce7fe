//! An FNet encoder block and a BERT-style attention block on random input
//! and random weights, on the backend `FFT_TENSOR_BACKEND` chooses: time
//! per call and error against the f64 composition of the definitions.
//!
//! `cargo run --release --example fnet [batch] [seq] [hidden]`
//! (defaults 2, 128, 256; intermediate 4 x hidden, hidden / 64 heads).

use std::time::Instant;

use fft_tensor::layers::blocks::{AttentionBlock, Dense, FeedForward, FnetBlock, Norm};
use fft_tensor::layers::norm::GeluForm;
use fft_tensor::layers::reference::{attention_block_f64, fnet_block_f64};
use fft_tensor::testing::{compare_real, SplitMix64};
use fft_tensor::{Context, Tensor};

fn dense(rng: &mut SplitMix64, inputs: usize, outputs: usize) -> Dense {
    let s = 1.0 / (inputs as f32).sqrt();
    Dense {
        weight: (0..inputs * outputs).map(|_| rng.uniform() * s).collect(),
        bias: (0..outputs).map(|_| rng.uniform() * 0.1).collect(),
        inputs,
        outputs,
    }
}

fn norm(rng: &mut SplitMix64, h: usize) -> Norm {
    Norm {
        gamma: (0..h).map(|_| 1.0 + 0.1 * rng.uniform()).collect(),
        beta: (0..h).map(|_| 0.1 * rng.uniform()).collect(),
        eps: 1e-12,
    }
}

fn timed<T>(
    runs: usize,
    mut f: impl FnMut() -> fft_tensor::Result<T>,
) -> fft_tensor::Result<(T, f64)> {
    let mut out = f()?; // warm-up: pipelines and plans
    let t = Instant::now();
    for _ in 0..runs {
        out = f()?;
    }
    Ok((out, t.elapsed().as_secs_f64() * 1e3 / runs as f64))
}

fn main() -> fft_tensor::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (b, s, h) = (
        *args.first().unwrap_or(&2),
        *args.get(1).unwrap_or(&128),
        *args.get(2).unwrap_or(&256),
    );
    let (inter, heads) = (4 * h, (h / 64).max(1));
    let ctx = Context::from_env()?;
    println!("backend: {}", ctx.description());
    println!("input [{b}, {s}, {h}], intermediate {inter}, {heads} heads");
    let mut rng = SplitMix64(7);
    let ff = |rng: &mut SplitMix64, gelu| FeedForward {
        intermediate: dense(rng, h, inter),
        output: dense(rng, inter, h),
        norm: norm(rng, h),
        gelu,
    };
    let fnet = FnetBlock {
        mixing_norm: norm(&mut rng, h),
        ff: ff(&mut rng, GeluForm::Tanh),
    };
    let bert = AttentionBlock {
        query: dense(&mut rng, h, h),
        key: dense(&mut rng, h, h),
        value: dense(&mut rng, h, h),
        attention_output: dense(&mut rng, h, h),
        attention_norm: norm(&mut rng, h),
        heads,
        ff: ff(&mut rng, GeluForm::Erf),
    };
    let x: Vec<f32> = (0..b * s * h).map(|_| rng.uniform()).collect();
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let xt = Tensor::new(&[b, s, h], x)?;

    let (y, ms) = timed(3, || ctx.fnet_block(&fnet, &xt))?;
    let r = compare_real(y.data(), &fnet_block_f64(&fnet, &x64, (b, s, h)));
    println!(
        "FNet block:      {ms:8.2} ms per call, RMS relative error {:.1e}, max |error| {:.1e}",
        r.rms_relative, r.max_abs
    );
    let (y, ms) = timed(3, || ctx.attention_block(&bert, &xt, None))?;
    let r = compare_real(y.data(), &attention_block_f64(&bert, &x64, (b, s, h), None));
    println!(
        "attention block: {ms:8.2} ms per call, RMS relative error {:.1e}, max |error| {:.1e}",
        r.rms_relative, r.max_abs
    );
    Ok(())
}
