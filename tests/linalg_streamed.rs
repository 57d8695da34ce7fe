//! Block-streamed matmul: every block codec against an f64 product with
//! the decoded W and with the original W, ragged blocks, and a memory
//! budget below dense W that refuses the dense path with `BudgetExceeded`
//! while the streamed and quantised paths fit under it.

mod common;

use fft_tensor::linalg::{
    matmul_streamed_cpu, BlockCodec, MatmulShape, QuantBits, QuantizedWeight, StreamedWeight,
};
use fft_tensor::testing::{
    compare_real, gpu_context_or_skip, reference_matmul as reference, SplitMix64,
};
use fft_tensor::{Context, ContextOptions, DeviceChoice, Error};

fn random(n: usize, scale: f32, seed: u64) -> Vec<f32> {
    SplitMix64(seed).uniform_vec(n, scale)
}

/// A smooth weight: low-frequency in both directions.
fn smooth(rows: usize, cols: usize) -> Vec<f32> {
    (0..rows * cols)
        .map(|i| {
            let (r, c) = (
                (i / cols) as f32 / rows as f32,
                (i % cols) as f32 / cols as f32,
            );
            (2.1 * r + 0.3).sin() * (1.7 * c).cos() + 0.5 * (r * c * 3.0).sin()
        })
        .collect()
}

const CODECS: &[(BlockCodec, f64)] = &[
    (BlockCodec::F32, 1e-7),
    (BlockCodec::F16, 1e-3),
    (BlockCodec::Int8 { group: 64 }, 0.02),
    (BlockCodec::Int4 { group: 32 }, 0.3),
    (BlockCodec::SparseDct { keep: 1.0 }, 1e-3),
];

fn streamed_products_equal_the_decoded_weight_product(ctx: Context) {
    for (i, &(b, n, m, block)) in [
        (1, 1, 1, 1),
        (3, 70, 37, 8),
        (17, 129, 100, 33),
        (1, 300, 65, 64),
    ]
    .iter()
    .enumerate()
    {
        let s = MatmulShape::new(b, n, m);
        let x = random(s.x_len(), 1.0, i as u64);
        let w = random(s.w_len(), 1.0, 10 + i as u64);
        let bias = random(m, 1.0, 20 + i as u64);
        for &(codec, loss) in CODECS {
            let sw = StreamedWeight::encode(&ctx, &w, m, n, codec, block).unwrap();
            assert_eq!(sw.blocks(), m.div_ceil(block));
            let decoded = sw.decode(&ctx).unwrap();
            let y = ctx.matmul_streamed(&x, &sw, Some(&bias), b).unwrap();
            let exact = compare_real(&y, &reference(&x, &decoded, Some(&bias), s));
            let lossy = compare_real(&y, &reference(&x, &w, Some(&bias), s));
            println!(
                "{s} {codec:?} blocks of {block}: error vs decoded W {:.2e}, vs original W {:.2e}",
                exact.rms_relative, lossy.rms_relative
            );
            assert!(
                exact.rms_relative < 1e-5,
                "{s} {codec:?}: {:.2e}",
                exact.rms_relative
            );
            assert!(
                lossy.rms_relative < loss.max(1e-5),
                "{s} {codec:?}: {:.2e}",
                lossy.rms_relative
            );
        }
    }
}

fn sparse_dct_blocks_of_a_smooth_weight(ctx: Context) {
    let (b, n, m) = (4, 96, 64);
    let s = MatmulShape::new(b, n, m);
    let w = smooth(m, n);
    let x = random(s.x_len(), 1.0, 5);
    for keep in [0.05, 0.2] {
        let sw =
            StreamedWeight::encode(&ctx, &w, m, n, BlockCodec::SparseDct { keep }, 16).unwrap();
        let y = ctx.matmul_streamed(&x, &sw, None, b).unwrap();
        let exact = compare_real(&y, &reference(&x, &sw.decode(&ctx).unwrap(), None, s));
        let lossy = compare_real(&y, &reference(&x, &w, None, s));
        println!(
            "smooth W, {keep} kept: vs decoded {:.2e}, vs original {:.2e}",
            exact.rms_relative, lossy.rms_relative
        );
        assert!(exact.rms_relative < 1e-5);
        assert!(lossy.rms_relative < 0.05, "{:.2e}", lossy.rms_relative);
        assert!((sw.host_bytes() as f64) < (4 * m * n) as f64 * keep * 2.0);
    }
}

fn bad_inputs_are_typed_errors(ctx: Context) {
    let w = random(12, 1.0, 1);
    let e = StreamedWeight::encode(&ctx, &w, 3, 4, BlockCodec::F32, 0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    let e = StreamedWeight::encode(&ctx, &w, 3, 5, BlockCodec::F32, 1).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e =
        StreamedWeight::encode(&ctx, &w, 3, 4, BlockCodec::SparseDct { keep: 0.0 }, 1).unwrap_err();
    assert!(e.to_string().contains("fraction"), "{e}");
    let mut nan = w.clone();
    nan[7] = f32::NAN;
    let e = StreamedWeight::encode(&ctx, &nan, 3, 4, BlockCodec::F16, 1).unwrap_err();
    assert!(e.to_string().contains("element 7"), "{e}");
    let sw = StreamedWeight::encode(&ctx, &w, 3, 4, BlockCodec::F32, 2).unwrap();
    let e = ctx.matmul_streamed(&[1.0; 5], &sw, None, 1).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = ctx.matmul_streamed(&[], &sw, None, 0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    let e = BlockCodec::F32.block_rows(1000, 4000, 1 << 27).unwrap_err();
    assert!(e.to_string().contains("4000 bytes"), "{e}");
}

backend_tests!(
    streamed_products_equal_the_decoded_weight_product,
    sparse_dct_blocks_of_a_smooth_weight,
    bad_inputs_are_typed_errors,
);

#[test]
fn a_budget_below_dense_w_refuses_dense_and_fits_streamed_and_quantised() {
    let Some(probe) = gpu_context_or_skip("budget_test") else {
        return;
    };
    drop(probe);
    let budget = 640 << 10;
    let ctx = Context::with_options(ContextOptions {
        choice: DeviceChoice::Gpu,
        memory_budget: Some(budget),
        ..Default::default()
    })
    .unwrap();
    let (b, n, m) = (4, 1024, 256); // dense W: 1 MiB
    let s = MatmulShape::new(b, n, m);
    let x = random(s.x_len(), 1.0, 1);
    let w = random(s.w_len(), 1.0, 2);
    match ctx.matmul(&x, &w, None, s).unwrap_err() {
        Error::BudgetExceeded {
            requested,
            budget: b2,
            ..
        } => {
            assert!(
                requested >= (4 * m * n) as u64 && b2 == budget,
                "{requested} {b2}"
            );
        }
        e => panic!("expected BudgetExceeded, got {e}"),
    }
    let e = ctx.matmul(&x, &w, None, s).unwrap_err().to_string();
    assert!(
        e.contains("bytes") && e.contains(&budget.to_string()),
        "{e}"
    );
    // Streamed: blocks sized from what the budget leaves after X and Y.
    let rows = BlockCodec::F32.block_rows(n, budget / 2, 1 << 27).unwrap();
    let sw = StreamedWeight::encode(&ctx, &w, m, n, BlockCodec::F32, rows).unwrap();
    ctx.reset_peak_memory();
    let y = ctx.matmul_streamed(&x, &sw, None, b).unwrap();
    let r = compare_real(&y, &reference(&x, &w, None, s));
    assert!(r.rms_relative < 1e-6, "{:.2e}", r.rms_relative);
    let stats = ctx.memory_stats();
    let scratch = stats.by_tag["streamed scratch"];
    println!(
        "budget {budget}: peak {} bytes, scratch peak {}, blocks of {rows} rows",
        stats.peak, scratch.peak
    );
    assert!(stats.peak <= budget && scratch.peak <= (4 * m * n) as u64 / 4);
    // Quantised-resident INT8 fits too.
    let q = QuantizedWeight::quantize(&w, m, n, QuantBits::Int8, 64).unwrap();
    let y = ctx.matmul_quantized(&x, &q, None, b).unwrap();
    let r = compare_real(&y, &reference(&x, &q.dequantize(), None, s));
    assert!(r.rms_relative < 1e-5, "{:.2e}", r.rms_relative);
    // A budget too small for even one block is a typed error.
    ctx.set_memory_budget(Some(64 << 10));
    ctx.trim_memory();
    let sw = StreamedWeight::encode(&ctx, &w, m, n, BlockCodec::F32, 64).unwrap();
    let e = ctx.matmul_streamed(&x, &sw, None, b).unwrap_err();
    assert!(matches!(e, Error::BudgetExceeded { .. }), "{e}");
}

#[test]
fn cpu_twin_equals_the_context_form_on_the_cpu() {
    let ctx = Context::cpu();
    let w = random(50 * 30, 1.0, 3);
    let x = random(2 * 30, 1.0, 4);
    let sw = StreamedWeight::encode(&ctx, &w, 50, 30, BlockCodec::Int8 { group: 64 }, 7).unwrap();
    assert_eq!(
        ctx.matmul_streamed(&x, &sw, None, 2).unwrap(),
        matmul_streamed_cpu(&x, &sw, None, 2).unwrap()
    );
}
