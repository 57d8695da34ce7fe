//! Quantised-resident matmul: INT8 and INT4 weights with f16 group scales,
//! dequantised inside the kernel, against an f64 product with the decoded
//! W (the kernel's exactness) and with the original W (the codec's loss);
//! `.fftt` tensors used as stored; GPU memory of W.

mod common;

use fft_tensor::linalg::{matmul_quantized_cpu, MatmulShape, QuantBits, QuantizedWeight};
use fft_tensor::store::codec::int8;
use fft_tensor::store::{Container, ContainerWriter, SafetensorsDtype};
use fft_tensor::testing::{
    compare_real, gpu_context_or_skip, reference_matmul as reference, SplitMix64,
};
use fft_tensor::{Context, Error};

fn random(n: usize, scale: f32, seed: u64) -> Vec<f32> {
    SplitMix64(seed).uniform_vec(n, scale)
}

fn products_equal_the_decoded_weight_product(ctx: Context) {
    // (batch, inputs, outputs, group): groups that straddle rows, an odd
    // element count for INT4, single elements.
    for (i, &(b, n, m, g)) in [
        (1, 1, 1, 64),
        (1, 7, 3, 64),
        (3, 70, 5, 64),
        (17, 129, 67, 128),
        (65, 64, 65, 32),
        (2, 1000, 9, 100),
    ]
    .iter()
    .enumerate()
    {
        let s = MatmulShape::new(b, n, m);
        let x = random(s.x_len(), 2.0, i as u64);
        let w = random(s.w_len(), 0.05, 50 + i as u64);
        let bias = random(m, 1.0, 90 + i as u64);
        for bits in [QuantBits::Int8, QuantBits::Int4] {
            let q = QuantizedWeight::quantize(&w, m, n, bits, g).unwrap();
            let decoded = q.dequantize();
            let y = ctx.matmul_quantized(&x, &q, Some(&bias), b).unwrap();
            let exact = compare_real(&y, &reference(&x, &decoded, Some(&bias), s));
            let lossy = compare_real(&y, &reference(&x, &w, Some(&bias), s));
            println!(
                "{s} {bits:?} group {g}: error vs decoded W {:.2e}, vs original W {:.2e}",
                exact.rms_relative, lossy.rms_relative
            );
            assert!(exact.first_non_finite.is_none());
            assert!(
                exact.rms_relative < 1e-5,
                "{s} {bits:?}: {:.2e}",
                exact.rms_relative
            );
            let codec_bound = if bits == QuantBits::Int8 { 0.02 } else { 0.3 };
            assert!(
                lossy.rms_relative < codec_bound,
                "{s} {bits:?}: {:.2e}",
                lossy.rms_relative
            );
        }
    }
}

fn fftt_tensors_are_used_as_stored(ctx: Context) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.fftt");
    let (m, n) = (40, 96);
    let w = random(m * n, 1.0, 3);
    let enc = int8::encode(&w, 64).unwrap();
    let mut writer = ContainerWriter::create(&path).unwrap();
    writer
        .add(
            "layer.weight",
            SafetensorsDtype::F32,
            &[m, n],
            &enc,
            f32::NAN,
        )
        .unwrap();
    let raw = fft_tensor::store::codec::raw::encode(bytemuck::cast_slice(&w));
    writer
        .add("dense.weight", SafetensorsDtype::F32, &[m, n], &raw, 0.0)
        .unwrap();
    writer.finish(&[]).unwrap();
    let file = Container::open(&path).unwrap();
    let q = QuantizedWeight::from_container(&file, "layer.weight").unwrap();
    assert_eq!(
        q.payload(),
        &enc.payload[..],
        "used as stored, not re-quantised"
    );
    assert_eq!((q.rows(), q.cols(), q.group()), (m, n, 64));
    let x = random(2 * n, 1.0, 4);
    let y = ctx.matmul_quantized(&x, &q, None, 2).unwrap();
    let decoded = file.decode_f32(&Context::cpu(), 0).unwrap().unwrap();
    let r = compare_real(
        &y,
        &reference(&x, &decoded, None, MatmulShape::new(2, n, m)),
    );
    assert!(r.rms_relative < 1e-5, "{:.2e}", r.rms_relative);
    for (name, needle) in [("dense.weight", "codec raw"), ("missing", "no tensor")] {
        let e = QuantizedWeight::from_container(&file, name).unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    }
}

fn bad_inputs_are_typed_errors(ctx: Context) {
    let w = random(12, 1.0, 1);
    let q = QuantizedWeight::quantize(&w, 3, 4, QuantBits::Int4, 64).unwrap();
    let e = ctx.matmul_quantized(&[1.0; 7], &q, None, 2).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = ctx.matmul_quantized(&[], &q, None, 0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    let e = ctx
        .matmul_quantized(&[1.0; 8], &q, Some(&[1.0; 2]), 2)
        .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let mut bad = w.clone();
    bad[5] = f32::NAN;
    let e = QuantizedWeight::quantize(&bad, 3, 4, QuantBits::Int8, 64).unwrap_err();
    assert!(e.to_string().contains("element 5"), "{e}");
    let e = QuantizedWeight::quantize(&w, 3, 5, QuantBits::Int8, 64).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let mut enc = int8::encode(&w, 4).unwrap();
    enc.payload.pop();
    assert!(QuantizedWeight::from_encoded(&enc, 3, 4).is_err());
}

backend_tests!(
    products_equal_the_decoded_weight_product,
    fftt_tensors_are_used_as_stored,
    bad_inputs_are_typed_errors,
);

#[test]
fn resident_weight_memory_is_a_fraction_of_f32() {
    let (m, n) = (256, 512);
    let w = random(m * n, 1.0, 9);
    let f32_bytes = (4 * m * n) as f64;
    for (bits, group, lo, hi) in [
        (QuantBits::Int8, 64, 3.8, 4.0),
        (QuantBits::Int8, 128, 3.9, 4.0),
        (QuantBits::Int4, 64, 7.0, 8.0),
        (QuantBits::Int4, 128, 7.5, 8.0),
    ] {
        let q = QuantizedWeight::quantize(&w, m, n, bits, group).unwrap();
        let ratio = f32_bytes / q.bytes() as f64;
        assert!(
            (lo..hi).contains(&ratio),
            "{bits:?} group {group}: {ratio:.2}"
        );
    }
    let Some(ctx) = gpu_context_or_skip("resident_weight_memory_is_a_fraction_of_f32") else {
        return;
    };
    let q = QuantizedWeight::quantize(&w, m, n, QuantBits::Int8, 64).unwrap();
    let resident = ctx.upload_quantized(&q).unwrap();
    let tag = ctx.memory_stats().by_tag["quantized weight"];
    // The pool counts size classes (powers of two below 1 MiB).
    assert_eq!(resident.bytes(), q.bytes());
    assert!(
        tag.current >= q.bytes() && tag.current < 2 * q.bytes(),
        "{}",
        tag.current
    );
    // Resident W gives the CPU twin's result.
    let x = random(3 * n, 1.0, 10);
    let cpu = matmul_quantized_cpu(&x, &q, None, 3).unwrap();
    let mut rec = ctx.recording("resident").unwrap();
    let xs = rec.upload("x", &x).unwrap();
    let ys = rec.temporary("y", 4 * 3 * m as u64).unwrap();
    ctx.record_matmul_quantized(&mut rec, &xs, &resident, None, &ys, 3)
        .unwrap();
    let out = rec.read_back(&ys).unwrap();
    let gpu: Vec<f32> = rec.submit().unwrap().wait().unwrap().take(out).unwrap();
    let r = compare_real(&gpu, &cpu.iter().map(|&v| v.into()).collect::<Vec<f64>>());
    assert!(r.rms_relative < 1e-5, "{:.2e}", r.rms_relative);
}
