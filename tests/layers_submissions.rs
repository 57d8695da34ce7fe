//! Every layer call on the GPU is exactly one submission.

use fft_tensor::layers::attention::AttentionOptions;
use fft_tensor::layers::conv::{Conv2dOptions, ConvAlgorithm, FftConvOptions};
use fft_tensor::layers::embedding::{ComplexEmbedding, Rope};
use fft_tensor::layers::mixing::GlobalFilter;
use fft_tensor::layers::norm::GeluForm;
use fft_tensor::num_complex::Complex32;
use fft_tensor::testing::gpu_context_or_skip;
use fft_tensor::Tensor;

#[test]
fn each_layer_call_is_one_submission() {
    let Some(ctx) = gpu_context_or_skip("each_layer_call_is_one_submission") else {
        return;
    };
    let gpu = ctx.gpu().unwrap();
    let x = Tensor::new(&[2, 9, 8], vec![0.25f32; 144]).unwrap();
    let img = Tensor::new(&[1, 2, 9, 9], vec![0.5f32; 162]).unwrap();
    let w = Tensor::new(&[3, 2, 3, 3], vec![0.1f32; 54]).unwrap();
    let filter = GlobalFilter::new(8)
        .with_length(9, vec![Complex32::new(1.0, 0.0); 40])
        .unwrap();
    let table = ComplexEmbedding::new(4, 2, vec![Complex32::new(1.0, 0.0); 8]).unwrap();
    type Op<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let ops: Vec<Op> = vec![
        (
            "layer_norm",
            Box::new(|| {
                drop(
                    ctx.layer_norm(&x, Some(&x), &[1.0; 8], &[0.0; 8], 1e-5)
                        .unwrap(),
                )
            }),
        ),
        (
            "gelu",
            Box::new(|| drop(ctx.gelu(&x, Some(&[0.0; 8]), GeluForm::Erf).unwrap())),
        ),
        (
            "fnet_mixing",
            Box::new(|| drop(ctx.fnet_mixing(&x).unwrap())),
        ),
        (
            "global_filter",
            Box::new(|| drop(ctx.global_filter(&x, &filter).unwrap())),
        ),
        (
            "attention",
            Box::new(|| {
                drop(
                    ctx.attention(
                        &x,
                        &x,
                        &x,
                        None,
                        &AttentionOptions {
                            heads: 2,
                            causal: true,
                            scale: None,
                        },
                    )
                    .unwrap(),
                )
            }),
        ),
        (
            "conv2d_fft",
            Box::new(|| {
                drop(
                    ctx.conv2d_fft(&img, &w, Some(&[0.0; 3]), &FftConvOptions::default())
                        .unwrap(),
                )
            }),
        ),
        (
            "conv2d direct",
            Box::new(|| {
                drop(
                    ctx.conv2d_with(
                        ConvAlgorithm::Direct,
                        &img,
                        &w,
                        None,
                        &Conv2dOptions::default(),
                    )
                    .unwrap(),
                )
            }),
        ),
        (
            "conv2d fft path",
            Box::new(|| {
                drop(
                    ctx.conv2d_with(
                        ConvAlgorithm::Fft,
                        &img,
                        &w,
                        None,
                        &Conv2dOptions::default(),
                    )
                    .unwrap(),
                )
            }),
        ),
        (
            "embed",
            Box::new(|| drop(ctx.embed(&table, &[0, 3]).unwrap())),
        ),
        (
            "rope",
            Box::new(|| {
                drop(
                    ctx.rope(
                        &x,
                        &Rope {
                            heads: 2,
                            base: 1e4,
                            offset: 0,
                        },
                    )
                    .unwrap(),
                )
            }),
        ),
    ];
    for (name, op) in ops {
        let before = gpu.submissions();
        op();
        assert_eq!(gpu.submissions() - before, 1, "{name}");
    }
}
