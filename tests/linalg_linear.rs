//! `Linear` loaded from safetensors and `.fftt` files by name: the path
//! chosen by the budget (lossy only when allowed or stored so), leading
//! batch dimensions, NaN in X propagated, NaN in W refused.

mod common;

use fft_tensor::linalg::{Linear, LinearOptions, LinearPath, MatmulShape};
use fft_tensor::store::codec::int8;
use fft_tensor::store::{ContainerWriter, SafetensorsDtype};
use fft_tensor::testing::{compare_real, reference_matmul as reference, SplitMix64};
use fft_tensor::{Context, Error};
use safetensors::tensor::TensorView;

const M: usize = 40;
const N: usize = 96;

fn write_safetensors(
    path: &std::path::Path,
    tensors: &[(&str, SafetensorsDtype, Vec<usize>, Vec<u8>)],
) {
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.to_string(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
}

fn loads_by_name_and_chooses_the_path_by_budget(ctx: Context) {
    let dir = tempfile::tempdir().unwrap();
    let w = SplitMix64(1).uniform_vec(M * N, 1.0);
    let bias = SplitMix64(2).uniform_vec(M, 1.0);
    let w16: Vec<u8> = w
        .iter()
        .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
        .collect();
    let st = dir.path().join("m.safetensors");
    write_safetensors(
        &st,
        &[
            (
                "w",
                SafetensorsDtype::F32,
                vec![M, N],
                bytemuck::cast_slice(&w).to_vec(),
            ),
            ("w16", SafetensorsDtype::F16, vec![M, N], w16),
            (
                "b",
                SafetensorsDtype::F32,
                vec![M],
                bytemuck::cast_slice(&bias).to_vec(),
            ),
        ],
    );
    let x = SplitMix64(3).uniform_vec(2 * 3 * N, 1.0);
    let s = MatmulShape::new(6, N, M);
    let exact = reference(&x, &w, Some(&bias), s);
    let small = Some((4 * M * N) as u64 / 3);
    for (options, path, tol) in [
        (LinearOptions::default(), LinearPath::Dense, 1e-6),
        (
            LinearOptions {
                memory_budget: small,
                ..Default::default()
            },
            LinearPath::Streamed,
            1e-6,
        ),
        (
            LinearOptions {
                memory_budget: small,
                allow_lossy: true,
                ..Default::default()
            },
            LinearPath::Quantized,
            0.02,
        ),
    ] {
        let layer = Linear::load(&ctx, &st, "w", Some("b"), options).unwrap();
        assert_eq!(layer.path(), path, "{options:?}");
        let (y, shape) = layer.forward(&x, &[2, 3, N]).unwrap();
        assert_eq!(shape, vec![2, 3, M]);
        let r = compare_real(&y, &exact);
        assert!(r.rms_relative < tol, "{path:?}: {:.2e}", r.rms_relative);
    }
    // f16 weights are widened.
    let layer = Linear::load(&ctx, &st, "w16", None, LinearOptions::default()).unwrap();
    let (y, _) = layer.forward(&x, &[6, N]).unwrap();
    let r = compare_real(&y, &reference(&x, &w, None, s));
    assert!(r.rms_relative < 2e-3, "{:.2e}", r.rms_relative);

    // An INT8 .fftt weight is used as stored when the budget refuses dense.
    let fftt = dir.path().join("m.fftt");
    let enc = int8::encode(&w, 64).unwrap();
    let mut writer = ContainerWriter::create(&fftt).unwrap();
    writer
        .add("w", SafetensorsDtype::F32, &[M, N], &enc, f32::NAN)
        .unwrap();
    writer.finish(&[]).unwrap();
    let options = LinearOptions {
        memory_budget: small,
        ..Default::default()
    };
    let layer = Linear::load(&ctx, &fftt, "w", None, options).unwrap();
    assert_eq!(layer.path(), LinearPath::Quantized);
    let decoded = int8::decode(&enc.params, &enc.payload, M * N).unwrap();
    let (y, _) = layer.forward(&x, &[6, N]).unwrap();
    let r = compare_real(&y, &reference(&x, &decoded, None, s));
    assert!(r.rms_relative < 1e-5, "{:.2e}", r.rms_relative);

    // NaN in X propagates to its row only.
    let mut xn = x.clone();
    xn[N + 3] = f32::NAN;
    let (y, _) = layer.forward(&xn, &[6, N]).unwrap();
    assert!(y[..M].iter().all(|v| v.is_finite()) && y[M..2 * M].iter().all(|v| v.is_nan()));

    // Bad input: NaN in W, missing names, wrong shapes.
    let mut wn = w.clone();
    wn[17] = f32::NAN;
    let e = Linear::from_weight(&ctx, wn, M, N, None, LinearOptions::default()).unwrap_err();
    assert!(e.to_string().contains("element 17"), "{e}");
    let e = Linear::load(&ctx, &st, "nope", None, LinearOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no tensor named `nope`"), "{e}");
    let e = Linear::load(&ctx, &st, "w", Some("w16"), LinearOptions::default()).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = layer.forward(&x, &[6, N + 1]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = layer.forward(&[], &[0, N]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    let tiny = LinearOptions {
        memory_budget: Some(100),
        ..Default::default()
    };
    let e = Linear::load(&ctx, &st, "w", None, tiny).unwrap_err();
    assert!(e.to_string().contains("100 bytes"), "{e}");
}

backend_tests!(loads_by_name_and_chooses_the_path_by_budget);

/// Compresses one tensor of `shape` with `family` into a version 2 `.fftt`
/// and returns the path and its decoded values.
fn stored_weight(
    dir: &std::path::Path,
    name: &str,
    dtype: SafetensorsDtype,
    shape: &[usize],
    family: fft_tensor::store::Family,
) -> (std::path::PathBuf, Vec<f32>) {
    let n: usize = shape.iter().product();
    let w = SplitMix64(11).uniform_vec(n, 1.0);
    let bytes: Vec<u8> = match dtype {
        SafetensorsDtype::BF16 => w
            .iter()
            .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
            .collect(),
        _ => bytemuck::cast_slice(&w).to_vec(),
    };
    let st = dir.join(format!("{name}.safetensors"));
    write_safetensors(&st, &[("w", dtype, shape.to_vec(), bytes)]);
    let out = dir.join(format!("{name}.fftt"));
    let options = fft_tensor::store::CompressOptions {
        family,
        max_error: 1e-3,
        ..Default::default()
    };
    let ctx = Context::cpu();
    fft_tensor::store::compress_file(&ctx, &st, &out, &options, &mut |_| {}).unwrap();
    let c = fft_tensor::store::Container::open(&out).unwrap();
    assert!(
        c.entries()[0].blocks.len() >= 3,
        "{name}: not stored in row blocks"
    );
    (out, c.decode_f32(&ctx, 0).unwrap().unwrap())
}

fn streams_from_the_row_blocks_a_container_stores(ctx: Context) {
    use fft_tensor::linalg::StreamedWeight;
    use fft_tensor::store::{Container, Family};
    let dir = tempfile::tempdir().unwrap();
    // quant (decoded per block on a CPU thread), int8 (uploaded as stored),
    // a 3-D tensor (rows folded) and a bf16 one (decoded values rounded to
    // bf16 as the container's own decode does).
    for (name, dtype, shape, family, budget) in [
        (
            "quant",
            SafetensorsDtype::F32,
            vec![3000, 600],
            Family::Quant,
            3u64 << 20,
        ),
        (
            "int8",
            SafetensorsDtype::F32,
            vec![3000, 600],
            Family::Int8,
            3 << 19,
        ),
        (
            "three",
            SafetensorsDtype::F32,
            vec![3, 500, 700],
            Family::Quant,
            4 << 20,
        ),
        (
            "bf16",
            SafetensorsDtype::BF16,
            vec![4001, 333],
            Family::Quant,
            4 << 20,
        ),
    ] {
        let (path, decoded) = stored_weight(dir.path(), name, dtype, &shape, family);
        let inputs = *shape.last().unwrap();
        let outputs = decoded.len() / inputs;
        let c = Container::open(&path).unwrap();
        let w = StreamedWeight::from_container(&c, "w").unwrap();
        assert_eq!((w.rows(), w.cols()), (outputs, inputs), "{name}");
        assert!(w.blocks() >= 3, "{name}");
        assert!(
            w.host_bytes() <= c.entries()[0].length + 64,
            "{name}: host holds {} bytes for a {} byte payload",
            w.host_bytes(),
            c.entries()[0].length
        );
        assert_eq!(w.decode(&ctx).unwrap(), decoded, "{name}");

        let options = LinearOptions {
            memory_budget: Some(budget),
            ..Default::default()
        };
        assert!(
            budget < 4 * decoded.len() as u64,
            "{name}: dense must not fit"
        );
        let layer = Linear::load(&ctx, &path, "w", None, options).unwrap();
        assert_eq!(layer.path(), LinearPath::Streamed, "{name}");
        // Streamed as stored, not decoded and re-blocked as f32.
        let streamed = layer.streamed().unwrap();
        assert_eq!(streamed.codec(), w.codec(), "{name}");
        assert_ne!(
            streamed.codec(),
            fft_tensor::linalg::BlockCodec::F32,
            "{name}"
        );
        assert_eq!(streamed.host_bytes(), w.host_bytes(), "{name}");
        let x = SplitMix64(5).uniform_vec(3 * inputs, 1.0);
        let s = MatmulShape::new(3, inputs, outputs);
        let (y, _) = layer.forward(&x, &[3, inputs]).unwrap();
        let r = compare_real(&y, &reference(&x, &decoded, None, s));
        assert!(r.rms_relative < 1e-5, "{name}: {:.2e}", r.rms_relative);
    }
    // A tensor in one piece is a typed error naming it.
    let (path, _) = {
        let p = dir.path().join("one.fftt");
        let w = SplitMix64(1).uniform_vec(M * N, 1.0);
        let enc = int8::encode(&w, 64).unwrap();
        let mut writer = ContainerWriter::create(&p).unwrap();
        writer
            .add("w", SafetensorsDtype::F32, &[M, N], &enc, f32::NAN)
            .unwrap();
        writer.finish(&[]).unwrap();
        (p, ())
    };
    let c = Container::open(&path).unwrap();
    let e = StreamedWeight::from_container(&c, "w").unwrap_err();
    assert!(e.to_string().contains("one piece"), "{e}");
    let e = StreamedWeight::encode(
        &ctx,
        &[1.0; 4],
        2,
        2,
        fft_tensor::linalg::BlockCodec::Stored {
            codec: fft_tensor::store::codec::CodecId::Quant,
        },
        1,
    )
    .unwrap_err();
    assert!(e.to_string().contains("from_container"), "{e}");
    let e = StreamedWeight::from_container(&c, "nope").unwrap_err();
    assert!(e.to_string().contains("no tensor named `nope`"), "{e}");
}

backend_tests!(streams_from_the_row_blocks_a_container_stores);
