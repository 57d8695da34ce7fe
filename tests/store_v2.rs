//! Container version 2: version-1 files still read, row blocks, error
//! modes, numpy arrays in and out, the 1-D policy.

use std::path::Path;

use fft_tensor::store::format::Container;
use fft_tensor::store::numpy::{self, npy, NumpyFile};
use fft_tensor::store::{self, CompressOptions, ErrorMode, Family, VectorPolicy};
use fft_tensor::{Context, Error};
use safetensors::Dtype;

fn no_progress() -> impl FnMut(store::Progress<'_>) {
    |_| {}
}

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Deterministic values: a smooth part plus seeded noise.
fn field(n: usize, seed: u64, noise: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            (i as f64 * 0.01).sin() * 3.0 + noise * u
        })
        .collect()
}

#[test]
fn a_version_1_file_written_by_the_earlier_build_still_reads() {
    let c = Container::open(data_dir().join("v1.fftt")).unwrap();
    assert_eq!(c.version(), 1);
    let src = store::SafetensorsFile::open(data_dir().join("v1.safetensors")).unwrap();
    let ctx = Context::cpu();
    assert_eq!(c.entries().len(), src.tensor_refs().len());
    for (i, e) in c.entries().iter().enumerate() {
        let t = src.tensor_refs().iter().find(|t| t.name == e.name).unwrap();
        let orig = src.data(t).unwrap();
        let back = c.decode_bytes(&ctx, i).unwrap();
        assert_eq!(e.mode, ErrorMode::RelL2);
        assert!(e.bound.is_nan());
        if store::dtype::is_lossy_float(e.dtype) {
            let err = store::error_mode::measure(
                ErrorMode::RelL2,
                e.dtype,
                &orig,
                &store::dtype::to_f32(e.dtype, &back).unwrap(),
            );
            assert!(
                err <= 0.01 && (err - e.error).abs() < 1e-6,
                "{}: {err} vs {}",
                e.name,
                e.error
            );
        } else {
            assert_eq!(back, orig, "{}", e.name);
        }
    }
    // And decompresses to a file the current build writes.
    let dir = tempfile::tempdir().unwrap();
    store::decompress_file(
        &ctx,
        &data_dir().join("v1.fftt"),
        &dir.path().join("b.safetensors"),
        &mut no_progress(),
    )
    .unwrap();
}

fn write_npy(path: &Path, dt: Dtype, shape: &[usize], fortran: bool, data: &[u8]) {
    let mut b = npy::header_bytes(dt, shape, fortran).unwrap();
    b.extend_from_slice(data);
    std::fs::write(path, b).unwrap();
}

fn le_bytes(dt: Dtype, v: &[f64]) -> Vec<u8> {
    let mut out = Vec::new();
    for &x in v {
        match dt {
            Dtype::F64 => out.extend_from_slice(&x.to_le_bytes()),
            Dtype::F32 => out.extend_from_slice(&(x as f32).to_le_bytes()),
            Dtype::F16 => out.extend_from_slice(&half::f16::from_f64(x).to_le_bytes()),
            Dtype::I8 => out.extend_from_slice(&((x * 30.0) as i8).to_le_bytes()),
            Dtype::U8 => out.extend_from_slice(&((x * 30.0 + 100.0) as u8).to_le_bytes()),
            Dtype::I16 => out.extend_from_slice(&((x * 1e3) as i16).to_le_bytes()),
            Dtype::U16 => out.extend_from_slice(&((x * 1e3 + 5e3) as u16).to_le_bytes()),
            Dtype::I32 => out.extend_from_slice(&((x * 1e6) as i32).to_le_bytes()),
            Dtype::U32 => out.extend_from_slice(&((x * 1e6 + 5e6) as u32).to_le_bytes()),
            Dtype::I64 => out.extend_from_slice(&((x * 1e12) as i64).to_le_bytes()),
            Dtype::U64 => out.extend_from_slice(&((x * 1e12 + 5e12) as u64).to_le_bytes()),
            Dtype::BOOL => out.push(u8::from(x > 0.0)),
            _ => unreachable!(),
        }
    }
    out
}

#[test]
fn npy_round_trips_every_dtype_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctx = Context::cpu();
    let dts = [
        Dtype::F64,
        Dtype::F32,
        Dtype::F16,
        Dtype::I8,
        Dtype::U8,
        Dtype::I16,
        Dtype::U16,
        Dtype::I32,
        Dtype::U32,
        Dtype::I64,
        Dtype::U64,
        Dtype::BOOL,
    ];
    for (k, dt) in dts.into_iter().enumerate() {
        for (shape, fortran) in [
            (vec![37usize, 23], false),
            (vec![37, 23], true),
            (vec![5, 3, 7], true),
            (vec![1], false),
            (vec![], false),
            (vec![0, 4], false),
        ] {
            let n: usize = shape.iter().product();
            let v = field(n, k as u64 + 1, 0.5);
            let data = le_bytes(dt, &v);
            let src = d.join("a.npy");
            write_npy(&src, dt, &shape, fortran, &data);
            let out = d.join("a.fftt");
            let back = d.join("b.npy");
            let o = CompressOptions {
                max_error: 1e-3,
                ..CompressOptions::default()
            };
            let r = store::compress_file(&ctx, &src, &out, &o, &mut no_progress()).unwrap();
            store::decompress_file(&ctx, &out, &back, &mut no_progress()).unwrap();
            let b = std::fs::read(&back).unwrap();
            let h = npy::parse_header(&b).unwrap();
            assert_eq!(
                (h.dtype, &h.shape, h.fortran),
                (dt, &shape, fortran),
                "{dt:?} {shape:?}"
            );
            let got = &b[h.data_offset..];
            assert_eq!(got.len(), data.len());
            if store::dtype::is_lossy_float(dt) && n > 1 {
                let y = store::dtype::to_f32(dt, got).unwrap();
                let err = store::error_mode::measure(ErrorMode::RelL2, dt, &data, &y);
                assert!(err <= 1e-3, "{dt:?} {shape:?}: {err}");
                assert!(
                    (err - r.tensors[0].error).abs() <= 1e-12,
                    "{dt:?}: measured {err}, reported {}",
                    r.tensors[0].error
                );
            } else if !store::dtype::is_lossy_float(dt) {
                assert_eq!(got, &data[..], "{dt:?} {shape:?} must be exact");
            }
        }
    }
}

#[test]
fn big_endian_npy_reads_and_bad_npy_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("be.npy");
    let mut h = npy::header_bytes(Dtype::I32, &[3], false).unwrap();
    let at = h.windows(3).position(|w| w == b"<i4").unwrap();
    h[at] = b'>';
    h.extend_from_slice(&[0, 0, 0, 1, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe]);
    std::fs::write(&p, &h).unwrap();
    let f = NumpyFile::open(&p).unwrap();
    let d = f.data(0).unwrap();
    let v: Vec<i32> = d
        .chunks(4)
        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(v, [1, 256, -2]);
    // Data shorter than the shape.
    std::fs::write(&p, &h[..h.len() - 1]).unwrap();
    assert!(matches!(
        NumpyFile::open(&p),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn npz_round_trips_as_a_multi_tensor_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctx = Context::cpu();
    let a: Vec<u8> = le_bytes(Dtype::F64, &field(64 * 50, 3, 0.01));
    let b: Vec<u8> = le_bytes(Dtype::I64, &field(10, 4, 0.0));
    let arrays = [
        numpy::OutArray {
            name: "u".into(),
            dtype: Dtype::F64,
            shape: vec![50, 64],
            fortran: true,
        },
        numpy::OutArray {
            name: "ids".into(),
            dtype: Dtype::I64,
            shape: vec![10],
            fortran: false,
        },
    ];
    let src = d.join("in.npz");
    let datas = [a.clone(), b.clone()];
    numpy::write_npz(&src, &arrays, |i| Ok(datas[i].clone())).unwrap();
    let f = NumpyFile::open(&src).unwrap();
    assert_eq!(f.tensors().len(), 2);
    assert_eq!(f.tensors()[0].name, "u");
    assert!(f.tensors()[0].fortran);
    let out = d.join("x.fftt");
    store::compress_file(
        &ctx,
        &src,
        &out,
        &CompressOptions {
            max_error: 1e-4,
            ..Default::default()
        },
        &mut no_progress(),
    )
    .unwrap();
    let back = d.join("back.npz");
    store::decompress_file(&ctx, &out, &back, &mut no_progress()).unwrap();
    let g = NumpyFile::open(&back).unwrap();
    assert_eq!(g.tensors(), f.tensors());
    let y = store::dtype::to_f32(Dtype::F64, &g.data(0).unwrap()).unwrap();
    assert!(store::error_mode::measure(ErrorMode::RelL2, Dtype::F64, &a, &y) <= 1e-4);
    assert_eq!(g.data(1).unwrap(), b);
    // An .npy output of a two-tensor container is refused before writing.
    let one = d.join("one.npy");
    assert!(matches!(
        store::decompress_file(&ctx, &out, &one, &mut no_progress()),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(!one.exists());
}

#[test]
fn every_mode_holds_its_bound_on_every_tensor_and_abs_max_on_every_element() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctx = Context::cpu();
    let (rows, cols) = (96usize, 80usize);
    for (k, noise) in [0.0, 0.05, 2.0].into_iter().enumerate() {
        let v = field(rows * cols, k as u64 + 7, noise);
        for dt in [Dtype::F32, Dtype::F64, Dtype::F16] {
            let data = le_bytes(dt, &v);
            let src = d.join("m.npy");
            write_npy(&src, dt, &[rows, cols], false, &data);
            for (mode, bound) in [
                (ErrorMode::RelL2, 1e-2),
                (ErrorMode::RelL2, 1e-4),
                (ErrorMode::AbsRms, 1e-3),
                (ErrorMode::AbsMax, 1e-2),
                (ErrorMode::AbsMax, 3e-4),
            ] {
                let o = CompressOptions {
                    max_error: bound,
                    mode,
                    ..Default::default()
                };
                let out = d.join("m.fftt");
                let r = store::compress_file(&ctx, &src, &out, &o, &mut no_progress()).unwrap();
                let c = Container::open(&out).unwrap();
                let e = &c.entries()[0];
                let back = c.decode_f32(&ctx, 0).unwrap().unwrap();
                let err = store::error_mode::measure(mode, dt, &data, &back);
                let what = format!(
                    "{dt:?} noise {noise} {mode} {bound}: {} err {err}",
                    r.tensors[0].codec
                );
                assert!(err <= bound, "{what}");
                if e.codec_name() != "raw" {
                    assert_eq!((e.mode, e.bound), (mode, bound), "{what}");
                    assert!(
                        (e.error - err).abs() <= 1e-9 * bound.max(err),
                        "{what}: recorded {}",
                        e.error
                    );
                }
                if mode == ErrorMode::AbsMax {
                    for (i, (x, y)) in store::dtype::to_f32(dt, &data)
                        .unwrap()
                        .iter()
                        .zip(&back)
                        .enumerate()
                    {
                        let xo = store::dtype::to_f64_at(dt, &data, i);
                        let yo = f64::from(*y);
                        assert!((xo - yo).abs() <= bound, "{what}: element {i}: {x} vs {y}");
                    }
                }
            }
        }
    }
}

#[test]
fn row_blocks_decode_alone_and_together() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctx = Context::cpu();
    let (rows, cols) = (1500usize, 700usize);
    let v = field(rows * cols, 9, 4.0);
    let data = le_bytes(Dtype::F32, &v);
    let src = d.join("w.npy");
    write_npy(&src, Dtype::F32, &[rows, cols], false, &data);
    let out = d.join("w.fftt");
    let o = CompressOptions {
        family: Family::Quant,
        ..Default::default()
    };
    store::compress_file(&ctx, &src, &out, &o, &mut no_progress()).unwrap();
    let c = Container::open(&out).unwrap();
    let e = &c.entries()[0];
    assert!(e.blocks.len() >= 3, "{:?}", e.blocks.len());
    let whole = c.decode_f32(&ctx, 0).unwrap().unwrap();
    let mut cat = Vec::new();
    for b in 0..e.block_count() {
        let rows = &e.blocks[b].rows;
        let part = c.decode_block_f32(&ctx, 0, b).unwrap().unwrap();
        assert_eq!(part.len(), rows.len() * cols);
        assert_eq!(&part[..], &whole[rows.start * cols..rows.end * cols]);
        cat.extend(part);
    }
    assert_eq!(cat, whole);
    assert!(c.block_payload(0, e.block_count()).is_err());
    // A flipped byte inside block 1 is caught by its own CRC.
    let mut bytes = std::fs::read(&out).unwrap();
    bytes[e.blocks[1].offset as usize + 5] ^= 1;
    let bad = Container::from_bytes("bad", bytes).unwrap();
    assert!(bad.decode_block_f32(&ctx, 0, 0).is_ok());
    assert!(matches!(
        bad.decode_block_f32(&ctx, 0, 1),
        Err(Error::Checksum { .. })
    ));
}

#[test]
fn vectors_are_exact_by_default_in_checkpoints_and_the_flag_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctx = Context::cpu();
    let src = d.join("ex.safetensors");
    store::example::write_example_checkpoint(&src, 1).unwrap();
    let run = |v: Option<VectorPolicy>| {
        let o = CompressOptions {
            vectors: v,
            ..Default::default()
        };
        store::compress_file(&ctx, &src, &d.join("o.fftt"), &o, &mut no_progress()).unwrap()
    };
    let ones = |r: &store::FileReport| -> Vec<(String, String, f64)> {
        r.tensors
            .iter()
            .filter(|t| t.shape.len() <= 1 && (t.dtype.starts_with('F') || t.dtype == "BF16"))
            .map(|t| (t.name.clone(), t.codec.clone(), t.error))
            .collect()
    };
    let exact = ones(&run(None));
    assert!(!exact.is_empty());
    assert!(
        exact.iter().all(|(_, c, e)| c == "raw" && *e == 0.0),
        "{exact:?}"
    );
    let tight = ones(&run(Some(VectorPolicy::Tight)));
    assert!(tight.iter().all(|(_, _, e)| *e <= 1e-4), "{tight:?}");
    assert!(VectorPolicy::parse("loose").is_err());
}

#[test]
fn keep_is_for_spectral_codecs_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctx = Context::cpu();
    let v = field(64 * 64, 1, 0.1);
    let src = d.join("k.npy");
    write_npy(
        &src,
        Dtype::F32,
        &[64, 64],
        false,
        &le_bytes(Dtype::F32, &v),
    );
    let o = CompressOptions {
        keep: Some(0.2),
        family: Family::Dct,
        ..Default::default()
    };
    let r = store::compress_file(&ctx, &src, &d.join("k.fftt"), &o, &mut no_progress()).unwrap();
    assert!(
        r.tensors[0].codec.starts_with("sparse-dct 20"),
        "{}",
        r.tensors[0].codec
    );
    for bad in [
        CompressOptions {
            keep: Some(0.2),
            ..Default::default()
        },
        CompressOptions {
            keep: Some(1.5),
            family: Family::Dct,
            ..Default::default()
        },
        CompressOptions {
            threads: Some(0),
            ..Default::default()
        },
    ] {
        let e = store::compress_file(&ctx, &src, &d.join("k2.fftt"), &bad, &mut no_progress());
        assert!(matches!(e, Err(Error::InvalidArgument { .. })), "{bad:?}");
    }
}
