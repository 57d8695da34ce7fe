//! FNet mixing vs softmax attention over sequence length, and direct vs FFT
//! conv2d over kernel size, on the backend `FFT_TENSOR_BACKEND` chooses;
//! ratios printed. On a software adapter (lavapipe) or the CPU backend a
//! reduced grid runs (sequences 128..1024 at hidden 256, conv 64x64 input
//! with 8 -> 8 channels, kernels 3..15); on a real GPU the full grid
//! (sequences 128..8192 at hidden 512 and 768, conv 224x224 and 512x512
//! with 64 -> 64 channels, kernels 3..31).
//!
//! `cargo bench --bench layers`

use std::time::Instant;

use fft_tensor::layers::attention::AttentionOptions;
use fft_tensor::layers::conv::{Conv2dOptions, ConvAlgorithm, ConvShape};
use fft_tensor::{Context, Tensor};

fn best_ms(mut f: impl FnMut()) -> f64 {
    f();
    (0..2)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> fft_tensor::Result<()> {
    let ctx = Context::from_env()?;
    let real_gpu = ctx
        .gpu()
        .is_some_and(|g| g.adapter_info().device_type != fft_tensor::wgpu::DeviceType::Cpu);
    println!(
        "backend: {} ({} grid)",
        ctx.description(),
        if real_gpu { "full" } else { "reduced" }
    );
    let (seqs, hiddens): (&[usize], &[usize]) = if real_gpu {
        (&[128, 256, 512, 1024, 2048, 4096, 8192], &[512, 768])
    } else {
        (&[128, 256, 512, 1024], &[256])
    };
    println!(
        "{:>6} {:>6} {:>12} {:>12} {:>8}",
        "seq", "hidden", "fnet ms", "attn ms", "attn/fnet"
    );
    for &h in hiddens {
        for &s in seqs {
            let x = Tensor::new(&[1, s, h], vec![0.01f32; s * h])?;
            let opts = AttentionOptions {
                heads: h / 64,
                causal: false,
                scale: None,
            };
            let fnet = best_ms(|| drop(ctx.fnet_mixing(&x).unwrap()));
            let attn = best_ms(|| drop(ctx.attention(&x, &x, &x, None, &opts).unwrap()));
            println!(
                "{s:>6} {h:>6} {fnet:>12.2} {attn:>12.2} {:>8.2}",
                attn / fnet
            );
        }
    }
    let (sizes, channels, kernels): (&[usize], usize, &[usize]) = if real_gpu {
        (&[224, 512], 64, &[3, 5, 7, 11, 15, 21, 31])
    } else {
        (&[64], 8, &[3, 5, 7, 11, 15])
    };
    println!(
        "{:>5} {:>4} {:>12} {:>12} {:>8} {:>8}",
        "size", "k", "direct ms", "fft ms", "d/fft", "choice"
    );
    for &n in sizes {
        for &k in kernels {
            let x = Tensor::new(&[1, channels, n, n], vec![0.5f32; channels * n * n])?;
            let w = Tensor::new(
                &[channels, channels, k, k],
                vec![0.01f32; channels * channels * k * k],
            )?;
            let o = Conv2dOptions {
                padding: (k / 2, k / 2),
                ..Default::default()
            };
            let direct = best_ms(|| {
                drop(
                    ctx.conv2d_with(ConvAlgorithm::Direct, &x, &w, None, &o)
                        .unwrap(),
                )
            });
            let fft = best_ms(|| {
                drop(
                    ctx.conv2d_with(ConvAlgorithm::Fft, &x, &w, None, &o)
                        .unwrap(),
                )
            });
            let choice = ctx.conv2d_choice(&ConvShape::of(x.shape(), w.shape(), 1)?, &o)?;
            println!(
                "{n:>5} {k:>4} {direct:>12.2} {fft:>12.2} {:>8.2} {choice:>8?}",
                direct / fft
            );
        }
    }
    Ok(())
}
