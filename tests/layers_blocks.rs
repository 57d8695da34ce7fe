//! FNet and BERT-style encoder blocks on both backends against an f64
//! composition of the definitions, with weights loaded from a safetensors
//! file by Hugging Face names.

mod common;

use fft_tensor::layers::blocks::{AttentionBlock, FnetBlock};
use fft_tensor::layers::norm::GeluForm;
use fft_tensor::layers::reference::{attention_f64, fnet_mixing_f64, layer_norm_f64};
use fft_tensor::store::safetensors_io::SafetensorsFile;
use fft_tensor::store::SafetensorsDtype;
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

fn dense_f64(x: &[f64], w: &[f32], b: &[f32], inputs: usize) -> Vec<f64> {
    let outputs = b.len();
    x.chunks(inputs)
        .flat_map(|row| {
            (0..outputs).map(move |o| {
                row.iter()
                    .zip(&w[o * inputs..][..inputs])
                    .map(|(a, &c)| a * f64::from(c))
                    .sum::<f64>()
                    + f64::from(b[o])
            })
        })
        .collect()
}

fn feed_forward_f64(h: &[f64], ff: &fft_tensor::layers::blocks::FeedForward) -> Vec<f64> {
    let t = dense_f64(
        h,
        &ff.intermediate.weight,
        &ff.intermediate.bias,
        ff.intermediate.inputs,
    );
    let g: Vec<f64> = t.iter().map(|&v| ff.gelu.apply_f64(v)).collect();
    let f = dense_f64(&g, &ff.output.weight, &ff.output.bias, ff.output.inputs);
    layer_norm_f64(
        &f,
        Some(h),
        &f64s(&ff.norm.gamma),
        &f64s(&ff.norm.beta),
        f64::from(ff.norm.eps),
    )
}

fn blocks_match_the_f64_composition(ctx: Context) {
    let dir = tempfile::tempdir().unwrap();
    let file = SafetensorsFile::open(weights_file(dir.path())).unwrap();
    let fnet = FnetBlock::load(&file, "fnet.encoder.layer.0.", H, I, 1e-12).unwrap();
    let bert = AttentionBlock::load(&file, "bert.encoder.layer.0.", H, I, HEADS, 1e-12).unwrap();
    assert_eq!(fnet.ff.gelu, GeluForm::Tanh);
    for &(b, s) in &[(1, 1), (2, 7), (1, 50)] {
        let mut rng = SplitMix64(s as u64);
        let x: Vec<f32> = (0..b * s * H).map(|_| rng.uniform()).collect();
        let xt = Tensor::new(&[b, s, H], x.clone()).unwrap();
        let x64 = f64s(&x);

        let y = ctx.fnet_block(&fnet, &xt).unwrap();
        let mix = fnet_mixing_f64(&x64, (b, s, H));
        let n = &fnet.mixing_norm;
        let h = layer_norm_f64(&mix, Some(&x64), &f64s(&n.gamma), &f64s(&n.beta), 1e-12);
        let want = feed_forward_f64(&h, &fnet.ff);
        let r = compare_real(y.data(), &want);
        assert!(
            r.rms_relative <= 1e-5,
            "{} fnet block {b}x{s}: {r:?}",
            ctx.description()
        );

        let mask: Vec<bool> = (0..b * s).map(|i| i % s < s - (i / s)).collect();
        let y = ctx.attention_block(&bert, &xt, Some(&mask)).unwrap();
        let q = dense_f64(&x64, &bert.query.weight, &bert.query.bias, H);
        let k = dense_f64(&x64, &bert.key.weight, &bert.key.bias, H);
        let v = dense_f64(&x64, &bert.value.weight, &bert.value.bias, H);
        let d = H / HEADS;
        let a = attention_f64(
            &q,
            &k,
            &v,
            (b, s, s, HEADS, d),
            1.0 / (d as f64).sqrt(),
            |bi, _, j| mask[bi * s + j],
        );
        let o = dense_f64(
            &a,
            &bert.attention_output.weight,
            &bert.attention_output.bias,
            H,
        );
        let n = &bert.attention_norm;
        let h = layer_norm_f64(&o, Some(&x64), &f64s(&n.gamma), &f64s(&n.beta), 1e-12);
        let want = feed_forward_f64(&h, &bert.ff);
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
    let file = SafetensorsFile::open(weights_file(dir.path())).unwrap();
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

backend_tests!(blocks_match_the_f64_composition);
