//! FNet and BERT-style encoder blocks on both backends against an f64
//! composition of the definitions, with weights loaded from a safetensors
//! file by Hugging Face names.

mod common;

use fft_tensor::layers::blocks::{AttentionBlock, FnetBlock};
use fft_tensor::layers::norm::GeluForm;
use fft_tensor::layers::reference::{attention_block_f64, fnet_block_f64};
use fft_tensor::store::SafetensorsDtype;
use fft_tensor::store::{self, AnyFile, CompressOptions, Family};
use fft_tensor::testing::{compare_real, SplitMix64};
use fft_tensor::{Context, Error, Tensor};

const H: usize = 24;
const I: usize = 40;
const HEADS: usize = 3;

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// Writes random weights of one FNet and one BERT layer under HF names.
fn weights_file(dir: &std::path::Path) -> std::path::PathBuf {
    let mut rng = SplitMix64(42);
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut add = |name: String, shape: Vec<usize>, scale: f32, offset: f32| {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|_| rng.uniform() * scale + offset).collect();
        tensors.push((name, shape, bytemuck::cast_slice(&v).to_vec()));
    };
    let dense =
        |add: &mut dyn FnMut(String, Vec<usize>, f32, f32), name: &str, i: usize, o: usize| {
            add(
                format!("{name}.weight"),
                vec![o, i],
                1.0 / (i as f32).sqrt(),
                0.0,
            );
            add(format!("{name}.bias"), vec![o], 0.1, 0.0);
        };
    let norm = |add: &mut dyn FnMut(String, Vec<usize>, f32, f32), name: &str| {
        add(format!("{name}.weight"), vec![H], 0.2, 1.0);
        add(format!("{name}.bias"), vec![H], 0.1, 0.0);
    };
    let f = "fnet.encoder.layer.0.";
    norm(&mut add, &format!("{f}fourier.output.LayerNorm"));
    dense(&mut add, &format!("{f}intermediate.dense"), H, I);
    dense(&mut add, &format!("{f}output.dense"), I, H);
    norm(&mut add, &format!("{f}output.LayerNorm"));
    let b = "bert.encoder.layer.0.";
    for n in ["self.query", "self.key", "self.value", "output.dense"] {
        dense(&mut add, &format!("{b}attention.{n}"), H, H);
    }
    norm(&mut add, &format!("{b}attention.output.LayerNorm"));
    dense(&mut add, &format!("{b}intermediate.dense"), H, I);
    dense(&mut add, &format!("{b}output.dense"), I, H);
    norm(&mut add, &format!("{b}output.LayerNorm"));
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(n, s, d)| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(SafetensorsDtype::F32, s.clone(), d).unwrap(),
            )
        })
        .collect();
    let path = dir.join("layers.safetensors");
    safetensors::tensor::serialize_to_file(views, None, &path).unwrap();
    path
}

fn blocks_match_the_f64_composition(ctx: Context) {
    let dir = tempfile::tempdir().unwrap();
    let file = AnyFile::open(&weights_file(dir.path())).unwrap();
    let fnet = FnetBlock::load(&file, "fnet.encoder.layer.0.", H, I, 1e-12).unwrap();
    let bert = AttentionBlock::load(&file, "bert.encoder.layer.0.", H, I, HEADS, 1e-12).unwrap();
    assert_eq!(fnet.ff.gelu, GeluForm::Tanh);
    for &(b, s) in &[(1, 1), (2, 7), (1, 50)] {
        let mut rng = SplitMix64(s as u64);
        let x: Vec<f32> = (0..b * s * H).map(|_| rng.uniform()).collect();
        let xt = Tensor::new(&[b, s, H], x.clone()).unwrap();
        let x64 = f64s(&x);

        let y = ctx.fnet_block(&fnet, &xt).unwrap();
        let want = fnet_block_f64(&fnet, &x64, (b, s, H));
        let r = compare_real(y.data(), &want);
        assert!(
            r.rms_relative <= 1e-5,
            "{} fnet block {b}x{s}: {r:?}",
            ctx.description()
        );

        let mask: Vec<bool> = (0..b * s).map(|i| i % s < s - (i / s)).collect();
        let y = ctx.attention_block(&bert, &xt, Some(&mask)).unwrap();
        let want = attention_block_f64(&bert, &x64, (b, s, H), Some(&mask));
        let r = compare_real(y.data(), &want);
        assert!(
            r.rms_relative <= 1e-5,
            "{} attention block {b}x{s}: {r:?}",
            ctx.description()
        );
    }
    let wrong = Tensor::new(&[1, 4, H + 1], vec![0.0; 4 * (H + 1)]).unwrap();
    assert!(matches!(
        ctx.fnet_block(&fnet, &wrong),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn loading_names_missing_and_misshapen_tensors() {
    let dir = tempfile::tempdir().unwrap();
    let file = AnyFile::open(&weights_file(dir.path())).unwrap();
    match FnetBlock::load(&file, "fnet.encoder.layer.1.", H, I, 1e-12) {
        Err(Error::InvalidArgument { detail, .. }) => {
            assert!(detail.contains("fnet.encoder.layer.1.fourier"), "{detail}")
        }
        other => panic!("expected a missing-tensor error, got {other:?}"),
    }
    assert!(matches!(
        FnetBlock::load(&file, "fnet.encoder.layer.0.", H, I + 1, 1e-12),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn blocks_load_from_a_container_as_from_safetensors() {
    let dir = tempfile::tempdir().unwrap();
    let src = weights_file(dir.path());
    let fftt = dir.path().join("layers.fftt");
    let ctx = Context::cpu();
    let lossless = CompressOptions {
        family: Family::Raw,
        ..CompressOptions::default()
    };
    store::compress_file(&ctx, &src, &fftt, &lossless, &mut |_| {}).unwrap();
    let (st, c) = (AnyFile::open(&src).unwrap(), AnyFile::open(&fftt).unwrap());
    assert!(matches!(c, AnyFile::Fftt(_)));
    let p = "fnet.encoder.layer.0.";
    assert_eq!(
        FnetBlock::load(&c, p, H, I, 1e-12).unwrap(),
        FnetBlock::load(&st, p, H, I, 1e-12).unwrap()
    );
    let p = "bert.encoder.layer.0.";
    assert_eq!(
        AttentionBlock::load(&c, p, H, I, HEADS, 1e-12).unwrap(),
        AttentionBlock::load(&st, p, H, I, HEADS, 1e-12).unwrap()
    );

    // A lossy container: every weight within the bound of its original.
    let lossy = dir.path().join("lossy.fftt");
    store::compress_file(&ctx, &src, &lossy, &CompressOptions::default(), &mut |_| {}).unwrap();
    let l = FnetBlock::load(
        &AnyFile::open(&lossy).unwrap(),
        "fnet.encoder.layer.0.",
        H,
        I,
        1e-12,
    )
    .unwrap();
    let o = FnetBlock::load(&st, "fnet.encoder.layer.0.", H, I, 1e-12).unwrap();
    let r = compare_real(&l.ff.intermediate.weight, &f64s(&o.ff.intermediate.weight));
    assert!(r.rms_relative <= 1.001e-2, "{r:?}");
}

backend_tests!(blocks_match_the_f64_composition);
