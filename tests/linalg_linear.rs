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
