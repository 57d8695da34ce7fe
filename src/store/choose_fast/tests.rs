use super::super::auto::{choose_with, Family, Search};
use super::*;
use crate::store::codec::test_data::{gaussian, smooth};

fn bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn request(bound: f64, search: Search, mode: ErrorMode) -> Request {
    Request {
        family: Family::Auto,
        mode,
        bound,
        keep: None,
        search,
        blocks: true,
    }
}

/// Test fields: weights with per-row scales and heavy tails, smooth
/// fields (2-D large and small, 3-D), a smooth field with noise, a
/// constant and a tiny tensor.
fn fields() -> Vec<(&'static str, Vec<usize>, Vec<f32>)> {
    let g = gaussian(600 * 700, 11);
    let weights: Vec<f32> = g
        .iter()
        .enumerate()
        .map(|(i, &x)| x * x.abs().sqrt() * (0.5 + (i / 700 % 7) as f32 * 0.2) * 0.02)
        .collect();
    let noisy: Vec<f32> = smooth(300, 1000)
        .iter()
        .zip(&g)
        .map(|(s, n)| s + 0.05 * n)
        .collect();
    vec![
        ("weights", vec![600, 700], weights),
        // Larger than the sample: estimated on a centred block.
        ("smooth", vec![384, 512], smooth(384, 512)),
        ("smooth 3-D", vec![64, 64, 48], smooth(64 * 64, 48)),
        // Sampled whole: the estimate's own encoding is the final one.
        ("small smooth", vec![200, 256], smooth(200, 256)),
        ("noisy", vec![300, 1000], noisy),
        ("constant", vec![100, 30], vec![0.25; 3000]),
        ("prime", vec![7, 13], gaussian(91, 3)),
    ]
}

#[test]
fn estimated_choice_is_near_the_exhaustive_best_and_in_bound() {
    let ctx = Context::cpu();
    for (name, shape, x) in fields() {
        let raw = bytes(&x);
        for bound in [1e-2, 1e-3] {
            for mode in [ErrorMode::RelL2, ErrorMode::AbsMax] {
                let bound = if mode == ErrorMode::AbsMax {
                    bound * x.iter().fold(0.0f64, |m, v| m.max(f64::from(v.abs())))
                } else {
                    bound
                };
                let dt = SafetensorsDtype::F32;
                let fast = request(bound, Search::Estimate, mode);
                let full = request(bound, Search::Exhaustive, mode);
                let a = choose_with(&ctx, &fast, dt, &x, &shape, &raw, &mut |_, _| {}).unwrap();
                let b = choose_with(&ctx, &full, dt, &x, &shape, &raw, &mut |_, _| {}).unwrap();
                let (sa, sb) = (a.encoded.stored_bytes(), b.encoded.stored_bytes());
                assert!(
                    sa as f64 <= sb as f64 * 1.05 + 64.0,
                    "{name} {mode} {bound}: estimated {} {sa} B, exhaustive {} {sb} B",
                    a.encoded.codec,
                    b.encoded.codec
                );
                // The bound holds on the real reconstruction.
                let back = if a.block_lengths.is_empty() {
                    if a.encoded.codec == CodecId::Raw {
                        x.clone()
                    } else {
                        let e = &a.encoded;
                        codec::decode(&ctx, e.codec, &e.params, &e.payload, &shape).unwrap()
                    }
                } else {
                    let mut v = Vec::new();
                    let mut at = 0usize;
                    for (k, &len) in a.block_lengths.iter().enumerate() {
                        let first = k * a.block_rows as usize;
                        let mut bs = shape.clone();
                        bs[0] = (a.block_rows as usize).min(shape[0] - first);
                        let e = &a.encoded;
                        let piece = &e.payload[at..at + len as usize];
                        v.extend(codec::decode(&ctx, e.codec, &e.params, piece, &bs).unwrap());
                        at += len as usize;
                    }
                    v
                };
                let err = error_mode::measure(mode, dt, &raw, &back);
                assert!(err <= bound, "{name} {mode}: {err} > {bound}");
                // Block sums are added in another order than one pass.
                assert!(
                    (err - a.error).abs() <= 1e-9 * err.max(1e-300),
                    "{name} {mode}: reported {} measured {err}",
                    a.error
                );
            }
        }
    }
}

#[test]
fn output_is_the_same_for_any_thread_count() {
    let ctx = Context::cpu();
    for (name, shape, x) in fields() {
        let raw = bytes(&x);
        let req = request(1e-3, Search::Estimate, ErrorMode::RelL2);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                choose_with(
                    &ctx,
                    &req,
                    SafetensorsDtype::F32,
                    &x,
                    &shape,
                    &raw,
                    &mut |_, _| {},
                )
                .unwrap()
            })
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a.encoded, b.encoded, "{name}");
        assert_eq!(a.block_lengths, b.block_lengths, "{name}");
    }
}

/// The reconstruction `interp`'s encoder returns (and `auto` measures its
/// bound on instead of decoding) is bit for bit what the decoder returns,
/// on many fields: 1-D to 3-D, odd and prime sizes, one element, scales
/// 1e-30 to 1e30, relative and pointwise bounds.
#[test]
fn interp_reconstruction_is_the_decoders_bit_for_bit() {
    let mut fields: Vec<(Vec<usize>, Vec<f32>)> = vec![
        (vec![1], vec![0.7]),
        (vec![13], gaussian(13, 5)),
        (vec![4099], smooth(1, 4099)),
        (vec![97, 61], smooth(97, 61)),
        (vec![200, 256], smooth(200, 256)),
        (vec![31, 17, 9], smooth(31 * 17, 9)),
        (vec![64, 64, 48], smooth(64 * 64, 48)),
        (vec![50, 70], gaussian(50 * 70, 8)),
    ];
    let noisy: Vec<f32> = smooth(120, 90)
        .iter()
        .zip(gaussian(120 * 90, 2))
        .map(|(s, n)| s + 0.05 * n)
        .collect();
    fields.push((vec![120, 90], noisy));
    for scale in [1e-30f32, 1e30] {
        fields.push((
            vec![45, 38],
            smooth(45, 38).iter().map(|v| v * scale).collect(),
        ));
    }
    let mut compared = 0;
    for (shape, x) in &fields {
        let peak = x.iter().fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
        for bound in [
            codec::interp::Bound::RelL2(1e-2),
            codec::interp::Bound::RelL2(1e-4),
            codec::interp::Bound::AbsMax(1e-3 * peak.max(1e-300)),
        ] {
            let (e, y) = match codec::interp::encode_reconstructed(x, shape, bound) {
                Ok(r) => r,
                Err(err) => panic!("{shape:?} {bound:?}: {err}"),
            };
            let back = codec::interp::decode(&e.params, &e.payload, shape).unwrap();
            assert_eq!(y.len(), back.len());
            for (i, (a, b)) in y.iter().zip(&back).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{shape:?} {bound:?} element {i}");
            }
            assert_eq!(e, codec::interp::encode(x, shape, bound).unwrap());
            // The estimate's settings give the same bytes and values.
            let plan = codec::interp::plan(x, shape, bound).unwrap();
            assert_eq!(
                plan.bytes(),
                codec::interp::estimate(x, shape, bound).unwrap()
            );
            let (ep, yp) = codec::interp::encode_planned_reconstructed(x, shape, &plan).unwrap();
            assert_eq!(ep, e, "{shape:?} {bound:?}");
            assert!(y.iter().zip(&yp).all(|(a, b)| a.to_bits() == b.to_bits()));
            compared += 1;
        }
    }
    assert_eq!(compared, 3 * fields.len());
}

/// A plan is for the tensor it was made on: another length is refused.
#[test]
fn interp_plan_of_another_length_is_refused() {
    let x = smooth(40, 30);
    let plan = codec::interp::plan(&x, &[40, 30], codec::interp::Bound::RelL2(1e-3)).unwrap();
    assert!(codec::interp::encode_planned_reconstructed(&x[..600], &[20, 30], &plan).is_err());
}

/// A scalar or tiny tensor is stored raw when a lossy entry (with its
/// bound and measured error, 16 bytes the raw entry does not hold) would
/// take more room, by both searches; a larger one is not forced raw.
#[test]
fn tiny_tensors_stay_raw_when_the_bound_record_outweighs_the_saving() {
    let ctx = Context::cpu();
    let dt = SafetensorsDtype::F32;
    for (shape, x) in [
        (vec![], vec![1.0f32]),
        (vec![1], vec![-3.5e30f32]),
        (vec![3], vec![1e-30f32, 2e-30, 3e-30]),
        (vec![2, 3], vec![0.5f32, 0.25, 0.125, 1.0, 2.0, 4.0]),
    ] {
        let raw = bytes(&x);
        for search in [Search::Estimate, Search::Exhaustive] {
            let req = request(1e-3, search, ErrorMode::RelL2);
            let c = choose_with(&ctx, &req, dt, &x, &shape, &raw, &mut |_, _| {}).unwrap();
            assert_eq!(c.encoded.codec, CodecId::Raw, "{shape:?} {search:?}");
            assert_eq!(c.error, 0.0);
        }
    }
    // 64 values: f16 (128 B + 16) is below raw (256 B).
    let x = smooth(8, 8);
    let raw = bytes(&x);
    let req = request(1e-3, Search::Estimate, ErrorMode::RelL2);
    let c = choose_with(&ctx, &req, dt, &x, &[8, 8], &raw, &mut |_, _| {}).unwrap();
    assert_ne!(c.encoded.codec, CodecId::Raw);
    assert!(c.encoded.stored_bytes() + 16 < raw.len() as u64);
}
