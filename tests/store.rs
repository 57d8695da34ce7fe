//! Compressed checkpoints end to end: round trips, the error bound, the
//! codec choice, honest sizes, and damaged input.

use std::path::Path;

use fft_tensor::spectral::Transform;
use fft_tensor::store::codec::{self, relative_error, CodecId};
use fft_tensor::store::format::{Container, ContainerWriter, HEADER_LEN};
use fft_tensor::store::safetensors_io::{write, OutTensor};
use fft_tensor::store::{self, dtype, example, CompressOptions, Family};
use fft_tensor::{Context, Error};
use safetensors::{Dtype, SafeTensors};

fn no_progress() -> impl FnMut(store::Progress<'_>) {
    |_| {}
}

fn compress(dir: &Path, family: Family, max_error: f64) -> (std::path::PathBuf, store::FileReport) {
    let src = dir.join("ex.safetensors");
    if !src.exists() {
        example::write_example_checkpoint(&src, 1).unwrap();
    }
    let out = dir.join(format!("ex-{family:?}-{max_error}.fftt"));
    let opts = CompressOptions {
        max_error,
        family,
        ..CompressOptions::default()
    };
    let r = store::compress_file(&Context::cpu(), &src, &out, &opts, &mut no_progress()).unwrap();
    (out, r)
}

#[test]
fn round_trip_keeps_names_dtypes_integers_and_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = Context::cpu();
    let (fftt, report) = compress(dir.path(), Family::Auto, 0.01);
    let back = dir.path().join("back.safetensors");
    store::decompress_file(&ctx, &fftt, &back, &mut no_progress()).unwrap();

    // The safetensors crate reads what decompress wrote.
    let orig_bytes = std::fs::read(dir.path().join("ex.safetensors")).unwrap();
    let back_bytes = std::fs::read(&back).unwrap();
    let a = SafeTensors::deserialize(&orig_bytes).unwrap();
    let b = SafeTensors::deserialize(&back_bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&back_bytes).unwrap();
    assert_eq!(
        meta.metadata()
            .as_ref()
            .unwrap()
            .get("format")
            .map(String::as_str),
        Some("pt")
    );
    let mut names_a = a.names();
    let mut names_b = b.names();
    names_a.sort();
    names_b.sort();
    assert_eq!(names_a, names_b);
    for name in names_a {
        let (x, y) = (a.tensor(name).unwrap(), b.tensor(name).unwrap());
        assert_eq!(x.dtype(), y.dtype(), "{name}");
        assert_eq!(x.shape(), y.shape(), "{name}");
        if dtype::is_lossy_float(x.dtype()) {
            let xv = dtype::to_f32(x.dtype(), x.data()).unwrap();
            let yv = dtype::to_f32(y.dtype(), y.data()).unwrap();
            let err = relative_error(&xv, &yv);
            assert!(err <= 0.01, "{name}: {err}");
            let rep = report.tensors.iter().find(|t| t.name == name).unwrap();
            assert!(
                (rep.error - err).abs() < 1e-6,
                "{name}: reported {} vs {err}",
                rep.error
            );
        } else {
            assert_eq!(x.data(), y.data(), "{name} must be exact");
        }
    }
}

#[test]
fn auto_picks_transform_codecs_for_smooth_data_and_quantisers_for_weights() {
    // Smooth tensors go to a transform or prediction codec.
    let dir = tempfile::tempdir().unwrap();
    let (_, r) = compress(dir.path(), Family::Auto, 0.01);
    let codec_of = |n: &str| {
        r.tensors
            .iter()
            .find(|t| t.name == n)
            .unwrap()
            .codec
            .clone()
    };
    for smooth in ["field.temperature", "embed.positions"] {
        let c = codec_of(smooth);
        assert!(
            c.starts_with("dct-quant")
                || c.starts_with("sparse-")
                || c.starts_with("bdct")
                || c.starts_with("interp"),
            "{smooth}: {c}"
        );
    }
    for w in [
        "layers.0.attn.qkv.weight",
        "layers.0.mlp.up.weight",
        "layers.0.mlp.down.weight",
    ] {
        let c = codec_of(w);
        assert!(c.starts_with("quant") || c.starts_with("int8"), "{w}: {c}");
    }
    assert_eq!(codec_of("tokenizer.special_ids"), "raw");
    assert_eq!(codec_of("step"), "raw");
    // Smooth field: far beyond INT8's 4x.
    let field = r
        .tensors
        .iter()
        .find(|t| t.name == "field.temperature")
        .unwrap();
    assert!(field.ratio() > 100.0, "{}", field.ratio());
    for t in &r.tensors {
        assert!(t.error <= 0.01, "{}: {}", t.name, t.error);
    }
}

#[test]
fn auto_is_at_least_ten_percent_below_the_best_int8_layout() {
    let dir = tempfile::tempdir().unwrap();
    let (_, auto) = compress(dir.path(), Family::Auto, 0.01);
    let (_, int8) = compress(dir.path(), Family::Int8, 0.01);
    for t in &int8.tensors {
        assert!(
            t.error <= 0.01,
            "int8 meets the bound on {}: {}",
            t.name,
            t.error
        );
    }
    assert!(
        (auto.output_bytes as f64) < 0.9 * int8.output_bytes as f64,
        "file: auto {} vs int8 {}",
        auto.output_bytes,
        int8.output_bytes
    );
    // And on the heavy-tailed weight matrices alone.
    for w in ["layers.0.attn.qkv.weight", "layers.0.mlp.up.weight"] {
        let a = auto
            .tensors
            .iter()
            .find(|t| t.name == w)
            .unwrap()
            .stored_bytes;
        let b = int8
            .tensors
            .iter()
            .find(|t| t.name == w)
            .unwrap()
            .stored_bytes;
        assert!((a as f64) < 0.9 * b as f64, "{w}: auto {a} vs int8 {b}");
    }
}

#[test]
fn nothing_grows_and_incompressible_tensors_stay_raw() {
    let dir = tempfile::tempdir().unwrap();
    // A bound of zero asks for lossless storage: only raw meets it.
    let (out, r) = compress(dir.path(), Family::Auto, 0.0);
    let input = std::fs::metadata(dir.path().join("ex.safetensors"))
        .unwrap()
        .len();
    assert!(std::fs::metadata(&out).unwrap().len() <= input);
    let c = Container::open(&out).unwrap();
    for e in c.entries() {
        assert!(e.length <= e.original_bytes(), "{} grew", e.name);
    }
    for t in &r.tensors {
        assert_eq!(t.codec, "raw", "{}", t.name);
        assert_eq!(t.error, 0.0);
    }
}

fn write_st(path: &Path, tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) {
    let outs: Vec<OutTensor> = tensors
        .iter()
        .map(|(n, d, s, _)| OutTensor {
            name: n.to_string(),
            dtype: *d,
            shape: s.clone(),
        })
        .collect();
    write(path, &outs, &[], |i| Ok(tensors[i].3.clone())).unwrap();
}

#[test]
fn non_finite_tensors_are_refused_by_name_or_kept_raw() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("nan.safetensors");
    let mut v = vec![0.5f32; 300];
    v[123] = f32::NAN;
    let ok = vec![1.0f32; 10];
    write_st(
        &src,
        &[
            (
                "fine",
                Dtype::F32,
                vec![10],
                dtype::from_f32(Dtype::F32, &ok),
            ),
            (
                "bad",
                Dtype::F32,
                vec![3, 100],
                dtype::from_f32(Dtype::F32, &v),
            ),
        ],
    );
    let out = dir.path().join("nan.fftt");
    std::fs::write(&out, b"previous contents").unwrap();
    let ctx = Context::cpu();
    let err = store::compress_file(
        &ctx,
        &src,
        &out,
        &CompressOptions::default(),
        &mut no_progress(),
    )
    .unwrap_err();
    match &err {
        Error::NonFinite { tensor, index, .. } => {
            assert_eq!(tensor, "bad");
            assert_eq!(*index, 123);
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("`bad`"));
    // The failure left the old file alone and no temporary files behind.
    assert_eq!(std::fs::read(&out).unwrap(), b"previous contents");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

    let opts = CompressOptions {
        allow_nonfinite: true,
        ..CompressOptions::default()
    };
    let r = store::compress_file(&ctx, &src, &out, &opts, &mut no_progress()).unwrap();
    assert_eq!(r.tensors[1].codec, "raw");
    let c = Container::open(&out).unwrap();
    let bytes = c.decode_bytes(&ctx, 1).unwrap();
    assert_eq!(bytes, dtype::from_f32(Dtype::F32, &v));

    // A 1-D tensor, kept exact by default, is checked the same way.
    let mut bias = vec![0.25f32; 7];
    bias[6] = f32::INFINITY;
    let src1 = dir.path().join("bias.safetensors");
    write_st(
        &src1,
        &[(
            "bias",
            Dtype::F32,
            vec![7],
            dtype::from_f32(Dtype::F32, &bias),
        )],
    );
    let out1 = dir.path().join("bias.fftt");
    let err = store::compress_file(
        &ctx,
        &src1,
        &out1,
        &CompressOptions::default(),
        &mut no_progress(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::NonFinite { tensor, index: 6, .. } if tensor == "bias"),
        "{err}"
    );
    assert!(!out1.exists());
}

/// A small container holding every codec.
fn small_container(dir: &Path) -> Vec<u8> {
    let ctx = Context::cpu();
    let path = dir.join("small.fftt");
    let mut w = ContainerWriter::create(&path).unwrap();
    let smooth: Vec<f32> = (0..96).map(|i| (i as f32 * 0.1).sin()).collect();
    let noise: Vec<f32> = (0..96)
        .map(|i| ((i * 7919 % 97) as f32 - 48.0) / 48.0)
        .collect();
    let shape = [8usize, 12];
    let encs = [
        codec::raw::encode(&dtype::from_f32(Dtype::F32, &noise[..8])),
        codec::f16::encode(&noise[..16]),
        codec::int8::encode(&noise, 12).unwrap(),
        codec::int4::encode(&noise, 64).unwrap(),
        codec::prune::encode(&noise, 0.5).unwrap(),
        codec::quant::encode(&noise, 0.01).unwrap().0,
        codec::dct_quant::encode(&ctx, &smooth, &shape, 0.01)
            .unwrap()
            .0,
        codec::sparse::encode(&ctx, Transform::Rfft, &smooth, &shape, 0.05).unwrap(),
        codec::sparse::encode(&ctx, Transform::Dct, &smooth, &shape, 0.05).unwrap(),
    ];
    let shapes: [&[usize]; 9] = [
        &[8],
        &[4, 4],
        &shape,
        &shape,
        &shape,
        &shape,
        &shape,
        &shape,
        &shape,
    ];
    for (i, (e, s)) in encs.iter().zip(shapes).enumerate() {
        w.add(&format!("t{i}.{}", e.codec), Dtype::F32, s, e, 0.0)
            .unwrap();
    }
    w.finish(&[("k".into(), "v".into())]).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // Sanity: it reads back whole.
    let c = Container::from_bytes("small", bytes.clone()).unwrap();
    assert_eq!(c.entries().len(), 9);
    for i in 0..9 {
        c.decode_bytes(&ctx, i).unwrap();
    }
    bytes
}

/// Opens and decodes every tensor; the first error, if any.
fn read_all(bytes: Vec<u8>) -> Result<(), Error> {
    let ctx = Context::cpu();
    let c = Container::from_bytes("damaged", bytes)?;
    for i in 0..c.entries().len() {
        c.decode_bytes(&ctx, i)?;
    }
    Ok(())
}

#[test]
fn every_truncation_and_every_byte_flip_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = small_container(dir.path());
    for cut in 0..good.len() {
        assert!(
            read_all(good[..cut].to_vec()).is_err(),
            "truncated to {cut}"
        );
    }
    let ctx = Context::cpu();
    for i in 0..good.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = good.clone();
            bad[i] ^= mask;
            assert!(
                read_all(bad.clone()).is_err(),
                "flip {mask:#x} at {i} went unnoticed"
            );
            // Past the CRCs, the table parser and the codec decoders must
            // not panic on the damage either (they may accept it: a flipped
            // name byte is still a name).
            let mut past = bad.clone();
            if past.len() >= 48 {
                fix_crcs(&mut past);
            }
            for b in [bad, past] {
                if let Ok(c) = Container::from_bytes("d", b) {
                    for t in 0..c.entries().len() {
                        let _ = c.decode_unchecked(&ctx, t);
                    }
                }
            }
        }
    }
    let mut extra = good.clone();
    extra.push(0);
    assert!(read_all(extra).is_err());
}

#[test]
fn garbage_is_an_error() {
    let mut s = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    for len in [0usize, 1, 7, 8, 31, 32, 33, 100, 1000, 5000] {
        for _ in 0..20 {
            let mut v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            assert!(read_all(v.clone()).is_err());
            if len >= 8 {
                v[..8].copy_from_slice(&fft_tensor::store::format::MAGIC);
                assert!(read_all(v).is_err());
            }
        }
    }
}

/// Rewrites the CRCs of header, table and trailer (version 2) after
/// editing any of them.
fn fix_crcs(bytes: &mut [u8]) {
    let h = crc32fast::hash(&bytes[..12]);
    bytes[12..16].copy_from_slice(&h.to_le_bytes());
    if bytes.len() < 48 {
        return;
    }
    let t = bytes.len() - 32;
    let to = u64::from_le_bytes(bytes[t..t + 8].try_into().unwrap());
    let tl = u64::from_le_bytes(bytes[t + 8..t + 16].try_into().unwrap());
    if to.checked_add(tl) == Some(t as u64) {
        let c = crc32fast::hash(&bytes[to as usize..t]);
        bytes[t + 20..t + 24].copy_from_slice(&c.to_le_bytes());
    }
    let c = crc32fast::hash(&bytes[t..t + 28]);
    bytes[t + 28..t + 32].copy_from_slice(&c.to_le_bytes());
}

#[test]
fn version_codec_and_absurd_fields_give_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = small_container(dir.path());
    let c = Container::from_bytes("x", good.clone()).unwrap();
    let e = &c.entries()[5];

    assert_eq!(c.version(), 2);
    // A newer version.
    let mut v3 = good.clone();
    v3[8] = 3;
    fix_crcs(&mut v3);
    assert!(matches!(
        read_all(v3),
        Err(Error::UnsupportedVersion {
            found: 3,
            supported: 2,
            ..
        })
    ));

    // An unknown codec id: the file opens, that tensor names the codec.
    let mut unk = good.clone();
    unk[e.codec_offset as usize] = 200;
    fix_crcs(&mut unk);
    let cu = Container::from_bytes("x", unk).unwrap();
    assert_eq!(cu.entries()[5].codec_name(), "unknown(200)");
    match cu.decode_bytes(&Context::cpu(), 5) {
        Err(Error::UnknownCodec {
            tensor,
            id: 200,
            offset,
            ..
        }) => {
            assert_eq!(tensor, e.name);
            assert_eq!(offset, e.codec_offset);
        }
        other => panic!("{other:?}"),
    }
    let msg = cu.decode_bytes(&Context::cpu(), 5).unwrap_err().to_string();
    assert!(
        msg.contains("unknown codec id 200") && msg.contains(&e.name),
        "{msg}"
    );

    // An absurd dimension, with valid CRCs: refused before any allocation.
    let first_dim = e.codec_offset as usize - 16;
    let mut huge = good.clone();
    huge[first_dim..first_dim + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    fix_crcs(&mut huge);
    match read_all(huge) {
        Err(Error::Format { tensor, offset, .. }) => {
            assert_eq!(tensor.as_deref(), Some(e.name.as_str()));
            assert!(offset >= HEADER_LEN);
        }
        other => panic!("{other:?}"),
    }
    // An absurd tensor count (in the trailer).
    let mut count = good.clone();
    let at = count.len() - 32 + 16;
    count[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    fix_crcs(&mut count);
    match read_all(count) {
        Err(Error::Format { offset, .. }) => assert_eq!(offset, at as u64),
        other => panic!("{other:?}"),
    }
    // A damaged payload names the tensor and its bytes.
    let mut flip = good.clone();
    flip[(e.offset + 3) as usize] ^= 4;
    match read_all(flip) {
        Err(Error::Checksum { what, offset, .. }) => {
            assert!(what.contains(&e.name));
            assert_eq!(offset, e.offset);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.codec(), Some(CodecId::Quant));
}

#[test]
fn eval_compares_safetensors_and_containers() {
    let dir = tempfile::tempdir().unwrap();
    let (fftt, r) = compress(dir.path(), Family::Auto, 0.01);
    let rows = store::eval(
        &Context::cpu(),
        &dir.path().join("ex.safetensors"),
        &fftt,
        &mut no_progress(),
    )
    .unwrap();
    assert_eq!(rows.len(), r.tensors.len());
    for row in rows {
        let rep = r.tensors.iter().find(|t| t.name == row.name).unwrap();
        let e = row.error.unwrap();
        assert!(
            (e - rep.error).abs() < 1e-6,
            "{}: {e} vs {}",
            row.name,
            rep.error
        );
    }
}

/// A GPU failure while a transform codec decodes is returned as it is, not
/// as damage to the file: with a GPU memory budget of 1 KiB the sparse
/// rFFT and DCT and the DCT-quantised tensors of an intact container fail
/// with [`Error::BudgetExceeded`], and decode on the CPU.
#[test]
fn a_gpu_failure_while_decoding_is_not_file_damage() {
    let test = "a_gpu_failure_while_decoding_is_not_file_damage";
    if fft_tensor::testing::gpu_context_or_skip(test).is_none() {
        return;
    }
    let budget = 1 << 10;
    let ctx = Context::with_options(fft_tensor::ContextOptions {
        choice: fft_tensor::DeviceChoice::Gpu,
        memory_budget: Some(budget),
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = Container::from_bytes("small", small_container(dir.path())).unwrap();
    let mut checked = 0;
    for (i, e) in c.entries().iter().enumerate() {
        let codec = e.codec().unwrap();
        if !matches!(
            codec,
            CodecId::SparseRfft | CodecId::SparseDct | CodecId::DctQuant
        ) {
            continue;
        }
        match c.decode_bytes(&ctx, i).unwrap_err() {
            Error::BudgetExceeded {
                budget: b,
                requested,
                ..
            } => assert!(b == budget && requested > 0, "{codec}: {b} {requested}"),
            other => panic!("{codec}: expected BudgetExceeded, got {other}"),
        }
        c.decode_bytes(&Context::cpu(), i).unwrap();
        checked += 1;
    }
    assert_eq!(checked, 3);
}

/// The automatic codec choice reports a failing device instead of quietly
/// choosing a codec that happens not to need it.
#[test]
fn a_gpu_failure_while_choosing_a_codec_reaches_the_caller() {
    let test = "a_gpu_failure_while_choosing_a_codec_reaches_the_caller";
    if fft_tensor::testing::gpu_context_or_skip(test).is_none() {
        return;
    }
    let ctx = Context::with_options(fft_tensor::ContextOptions {
        choice: fft_tensor::DeviceChoice::Gpu,
        memory_budget: Some(1 << 10),
        ..Default::default()
    })
    .unwrap();
    // A smooth 64 x 64 field: the transform codecs (which run on the GPU)
    // are among the candidates.
    let values: Vec<f32> = (0..64 * 64)
        .map(|i| ((i / 64) as f32 * 0.1).sin() + ((i % 64) as f32 * 0.05).cos())
        .collect();
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let family = fft_tensor::store::Family::parse("auto").unwrap();
    let err = fft_tensor::store::auto::choose(
        &ctx,
        family,
        fft_tensor::store::SafetensorsDtype::F32,
        &values,
        &[64, 64],
        &raw,
        1e-3,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::BudgetExceeded { .. }),
        "expected BudgetExceeded, got {err}"
    );
    // Without the budget the same choice succeeds on the same device kind.
    let free = Context::new(fft_tensor::DeviceChoice::Gpu).unwrap();
    fft_tensor::store::auto::choose(
        &free,
        family,
        fft_tensor::store::SafetensorsDtype::F32,
        &values,
        &[64, 64],
        &raw,
        1e-3,
    )
    .unwrap();
}
