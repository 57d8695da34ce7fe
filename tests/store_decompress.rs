//! `decompress` to safetensors: row blocks decoded in parallel and written
//! in place give the bytes each tensor decodes to, for any thread count and
//! any limit on the rows held at once.

use fft_tensor::store::{self, CompressOptions, Container};
use fft_tensor::Context;

#[test]
fn blocks_written_in_place_are_the_decoded_tensors_at_every_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("model.safetensors");
    // One block of width 512: matrices of 1 to 4 row blocks, BF16 and F32,
    // vectors and integers between them.
    store::example::write_model_checkpoint(&input, 3, 1, 512).unwrap();
    let packed = dir.path().join("model.fftt");
    let ctx = Context::cpu();
    let options = CompressOptions {
        max_error: 1e-3,
        ..CompressOptions::default()
    };
    store::compress_file(&ctx, &input, &packed, &options, &mut |_| {}).unwrap();
    let c = Container::open(&packed).unwrap();
    assert!(
        c.entries().iter().any(|e| e.blocks.len() >= 3),
        "the checkpoint has tensors of several row blocks"
    );
    let mut outputs = Vec::new();
    for threads in [1, 2, 5] {
        let out = dir.path().join(format!("back-{threads}.safetensors"));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| store::decompress_file(&ctx, &packed, &out, &mut |_| {}))
            .unwrap();
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert!(outputs.iter().all(|o| o == &outputs[0]));
    let back = store::SafetensorsFile::open(dir.path().join("back-1.safetensors")).unwrap();
    let refs = back.tensor_refs();
    assert_eq!(refs.len(), c.entries().len());
    for (i, (r, e)) in refs.iter().zip(c.entries()).enumerate() {
        assert_eq!((&r.name, r.dtype, &r.shape), (&e.name, e.dtype, &e.shape));
        let whole = c.decode_bytes(&ctx, i).unwrap();
        assert_eq!(back.data(r).unwrap(), whole, "{}", e.name);
        // Any limit on the rows held (one block at a time here) hands out
        // the same bytes, each exactly once.
        assert_eq!(pieces_once(&c, &ctx, i, 1), whole, "{}", e.name);
    }
}

/// Tensor `i`'s bytes as `decode_bytes_into` hands them out, checking that
/// every byte comes exactly once.
fn pieces_once(c: &Container, ctx: &Context, i: usize, max_held: u64) -> Vec<u8> {
    let name = &c.entries()[i].name;
    let len = c.decode_bytes(ctx, i).unwrap().len();
    let seen = std::sync::Mutex::new(vec![false; len]);
    let pieces = std::sync::Mutex::new(Vec::new());
    c.decode_bytes_into(
        ctx,
        i,
        max_held,
        &|at, bytes| {
            let mut s = seen.lock().unwrap();
            for k in at as usize..at as usize + bytes.len() {
                assert!(!s[k], "byte {k} of {name} twice");
                s[k] = true;
            }
            pieces.lock().unwrap().push((at as usize, bytes.to_vec()));
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap();
    let mut got = vec![0u8; len];
    for (at, b) in pieces.into_inner().unwrap() {
        got[at..at + b.len()].copy_from_slice(&b);
    }
    assert!(seen.into_inner().unwrap().iter().all(|&s| s), "{name}");
    got
}

#[test]
fn whole_tensor_codecs_hand_out_their_values_in_pieces() {
    use safetensors::tensor::TensorView;
    use safetensors::Dtype;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("fields.safetensors");
    // More than one 2^21-value piece, in f32 and bf16, and a prime-sized
    // one: smooth, so that the whole-tensor transform codecs store them.
    let (rows, cols) = (2053usize, 1031usize);
    let field: Vec<f32> = (0..rows * cols)
        .map(|k| {
            let (r, c) = ((k / cols) as f32, (k % cols) as f32);
            (r * 0.004).sin() * (c * 0.007).cos() + 0.3 * (r * 0.011 + c * 0.002).sin()
        })
        .collect();
    let f32_bytes: Vec<u8> = field.iter().flat_map(|x| x.to_le_bytes()).collect();
    let bf16_bytes: Vec<u8> = field
        .iter()
        .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
        .collect();
    let small: Vec<u8> = field[..97 * 89]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let views = vec![
        (
            "a",
            TensorView::new(Dtype::F32, vec![rows, cols], &f32_bytes).unwrap(),
        ),
        (
            "b",
            TensorView::new(Dtype::BF16, vec![rows, cols], &bf16_bytes).unwrap(),
        ),
        (
            "c",
            TensorView::new(Dtype::F32, vec![97, 89], &small).unwrap(),
        ),
    ];
    safetensors::serialize_to_file(views, None, &input).unwrap();
    let ctx = Context::cpu();
    for family in [
        store::Family::DctQuant,
        store::Family::Dct,
        store::Family::F16,
    ] {
        let packed = dir.path().join("fields.fftt");
        let options = CompressOptions {
            max_error: 1e-3,
            family,
            ..CompressOptions::default()
        };
        store::compress_file(&ctx, &input, &packed, &options, &mut |_| {}).unwrap();
        let c = Container::open(&packed).unwrap();
        let out = dir.path().join("back.safetensors");
        store::decompress_file(&ctx, &packed, &out, &mut |_| {}).unwrap();
        let back = store::SafetensorsFile::open(&out).unwrap();
        for (i, (r, e)) in back.tensor_refs().iter().zip(c.entries()).enumerate() {
            assert!(e.blocks.is_empty(), "{} is coded whole", e.name);
            // f16 is never smaller than a bf16 original: that one stays raw.
            let raw_allowed = family == store::Family::F16 && e.dtype != Dtype::F32;
            assert!(
                raw_allowed || !e.codec_name().starts_with("raw"),
                "{}: {}",
                e.name,
                e.codec_name()
            );
            let whole = c.decode_bytes(&ctx, i).unwrap();
            assert_eq!(back.data(r).unwrap(), whole, "{}", e.name);
            assert_eq!(pieces_once(&c, &ctx, i, 1), whole, "{}", e.name);
        }
    }
}

#[test]
fn positioned_writes_match_the_sequential_writer_and_wrong_pieces_are_errors() {
    use fft_tensor::store::safetensors_io::{self, OutTensor};
    use safetensors::Dtype;
    let dir = tempfile::tempdir().unwrap();
    let tensors = vec![
        OutTensor {
            name: "a".into(),
            dtype: Dtype::F32,
            shape: vec![3, 5],
        },
        OutTensor {
            name: "b".into(),
            dtype: Dtype::U8,
            shape: vec![7],
        },
        OutTensor {
            name: "c".into(),
            dtype: Dtype::I64,
            shape: vec![],
        },
    ];
    let bytes: Vec<Vec<u8>> = vec![
        (0..60u8).collect(),
        (100..107u8).collect(),
        vec![9, 8, 7, 6, 5, 4, 3, 2],
    ];
    let meta = vec![("k".to_string(), "v".to_string())];
    let seq = dir.path().join("seq.safetensors");
    safetensors_io::write(&seq, &tensors, &meta, |i| Ok(bytes[i].clone())).unwrap();
    let pos = dir.path().join("pos.safetensors");
    // Pieces of 4 bytes, last first.
    let pieces = |i: usize, sink: &safetensors_io::PieceSink<'_>, _: &mut dyn FnMut(u64)| {
        let b = &bytes[i];
        for at in (0..b.len()).step_by(4).rev() {
            sink(at as u64, &b[at..(at + 4).min(b.len())])?;
        }
        Ok(())
    };
    for budget in [0, 1 << 20] {
        safetensors_io::write_positioned(&pos, &tensors, &meta, pieces, budget, &mut |_, _, _| {})
            .unwrap();
        assert_eq!(std::fs::read(&pos).unwrap(), std::fs::read(&seq).unwrap());
    }
    let out = dir.path().join("out.safetensors");
    std::fs::write(&out, b"before").unwrap();
    let short = |i: usize, sink: &safetensors_io::PieceSink<'_>, _: &mut dyn FnMut(u64)| {
        sink(0, &bytes[i][1..])
    };
    let long =
        |i: usize, sink: &safetensors_io::PieceSink<'_>, _: &mut dyn FnMut(u64)| sink(1, &bytes[i]);
    for r in [
        safetensors_io::write_positioned(&out, &tensors, &meta, short, 0, &mut |_, _, _| {}),
        safetensors_io::write_positioned(&out, &tensors, &meta, long, 0, &mut |_, _, _| {}),
    ] {
        assert!(
            matches!(r, Err(fft_tensor::Error::InvalidArgument { .. })),
            "{r:?}"
        );
        assert_eq!(std::fs::read(&out).unwrap(), b"before");
    }
}

#[test]
fn raw_tensors_stream_in_pieces_and_a_damaged_one_leaves_no_output() {
    use safetensors::tensor::TensorView;
    use safetensors::Dtype;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ints.safetensors");
    // Integers are stored raw: one of more than one 8 MiB piece (and not a
    // whole number of them), one of a single element.
    let big: Vec<u8> = (0..(9 << 20) / 4 + 3)
        .flat_map(|k: i32| k.wrapping_mul(2_654_435_761u32 as i32).to_le_bytes())
        .collect();
    let one = 7i64.to_le_bytes();
    let views = vec![
        (
            "big",
            TensorView::new(Dtype::I32, vec![big.len() / 4], &big).unwrap(),
        ),
        ("one", TensorView::new(Dtype::I64, vec![1], &one).unwrap()),
    ];
    safetensors::serialize_to_file(views, None, &input).unwrap();
    let ctx = Context::cpu();
    let packed = dir.path().join("ints.fftt");
    store::compress_file(
        &ctx,
        &input,
        &packed,
        &CompressOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let c = Container::open(&packed).unwrap();
    for (i, e) in c.entries().iter().enumerate() {
        assert!(e.codec_name().starts_with("raw"), "{}", e.name);
        let expect: &[u8] = if e.name == "big" { &big } else { &one };
        assert_eq!(pieces_once(&c, &ctx, i, 1), expect, "{}", e.name);
    }
    let out = dir.path().join("back.safetensors");
    store::decompress_file(&ctx, &packed, &out, &mut |_| {}).unwrap();
    let back = store::SafetensorsFile::open(&out).unwrap();
    let r = back.tensor_refs().iter().find(|r| r.name == "big").unwrap();
    assert_eq!(back.data(r).unwrap(), big);
    std::fs::remove_file(&out).unwrap();
    // One flipped byte near the end of the big payload: the checksum,
    // summed as the pieces go out, fails and no output is left behind.
    let offset = c.entries().iter().find(|e| e.name == "big").unwrap().offset;
    drop(c);
    let mut bytes = std::fs::read(&packed).unwrap();
    bytes[offset as usize + big.len() - 2] ^= 0x40;
    std::fs::write(&packed, &bytes).unwrap();
    let err = store::decompress_file(&ctx, &packed, &out, &mut |_| {}).unwrap_err();
    assert!(matches!(err, fft_tensor::Error::Checksum { .. }), "{err:?}");
    assert!(!out.exists(), "a failed decompress leaves no output");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temp file is left beside the input and the packed file"
    );
}
