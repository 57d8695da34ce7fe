//! How the store treats files: positioned reads that survive a file
//! shrinking underneath, plain errors for directories, temporary files
//! (names, cleanup, permissions), outputs that would destroy an input,
//! safetensors output other readers accept, and progress inside tensors.

use std::path::{Path, PathBuf};

use fft_tensor::store::codec::{self, CodecId, Encoded};
use fft_tensor::store::format::{Container, ContainerWriter};
use fft_tensor::store::safetensors_io::{write, OutTensor, SafetensorsFile};
use fft_tensor::store::{self, dtype, example, temp, AnyFile, CompressOptions, Progress};
use fft_tensor::{Context, Error};
use safetensors::Dtype;

fn no_progress() -> impl FnMut(Progress<'_>) {
    |_| {}
}

fn example_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let src = dir.join("ex.safetensors");
    example::write_example_checkpoint(&src, 1).unwrap();
    let out = dir.join("ex.fftt");
    compress(&src, &out);
    (src, out)
}

fn compress(src: &Path, out: &Path) {
    let opts = CompressOptions::default();
    store::compress_file(&Context::cpu(), src, out, &opts, &mut no_progress()).unwrap();
}

fn truncate(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

#[test]
fn a_file_truncated_between_open_and_read_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = example_pair(dir.path());
    let ctx = Context::cpu();

    let c = Container::open(&out).unwrap();
    let last = c.entries().len() - 1;
    let e = c.entries()[last].clone();
    truncate(&out, e.offset + 1);
    for err in [
        c.payload(last).unwrap_err(),
        c.decode_bytes(&ctx, last).unwrap_err(),
    ] {
        match &err {
            Error::FileShrank {
                offset,
                expected,
                len,
                ..
            } => {
                assert_eq!(
                    (*offset, *expected, *len),
                    (e.offset, e.length, e.offset + 1)
                );
            }
            other => panic!("{other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("file shrank while reading") && msg.contains("ex.fftt"),
            "{msg}"
        );
    }

    let s = SafetensorsFile::open(&src).unwrap();
    let t = s.tensor_refs().last().unwrap().clone();
    truncate(&src, 8);
    assert!(matches!(s.data(&t), Err(Error::FileShrank { .. })));
}

#[test]
fn a_directory_given_as_input_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for err in [
        Container::open(p).unwrap_err(),
        SafetensorsFile::open(p).err().unwrap(),
        AnyFile::open(p).err().unwrap(),
    ] {
        let msg = err.to_string();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        assert!(msg.contains("is a directory"), "{msg}");
    }
}

#[test]
fn an_output_that_is_the_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = example_pair(dir.path());
    let ctx = Context::cpu();
    let before = std::fs::read(&src).unwrap();
    let link = dir.path().join("link.safetensors");
    let hard = dir.path().join("hard.safetensors");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&src, &link).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(&src, &link).unwrap();
    std::fs::hard_link(&src, &hard).unwrap();
    for target in [&src, &link, &hard] {
        let err = store::compress_file(
            &ctx,
            &src,
            target,
            &CompressOptions::default(),
            &mut no_progress(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("is the input file"), "{err}");
    }
    assert_eq!(std::fs::read(&src).unwrap(), before);
    let fftt = std::fs::read(&out).unwrap();
    let err = store::decompress_file(&ctx, &out, &out, &mut no_progress()).unwrap_err();
    assert!(err.to_string().contains("is the input file"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), fftt);
    // An existing directory and a missing one are refused before any work.
    let err = store::decompress_file(&ctx, &out, dir.path(), &mut no_progress()).unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
    let missing = dir.path().join("no/such/dir/x.safetensors");
    let err = store::decompress_file(&ctx, &out, &missing, &mut no_progress()).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".fftt-tmp-"))
        .collect()
}

#[test]
fn temporary_files_name_the_output_and_the_writer_and_stale_ones_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.safetensors");
    let outs = [OutTensor {
        name: "x".into(),
        dtype: Dtype::F32,
        shape: vec![2],
    }];
    // While the output is being written, its temporary file is there.
    let mut seen = Vec::new();
    write(&out, &outs, &[], |_| {
        seen = temp_files(d);
        Ok(vec![0u8; 8])
    })
    .unwrap();
    let prefix = format!(".out.safetensors.fftt-tmp-{}-", std::process::id());
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].starts_with(&prefix), "{seen:?} vs {prefix}");
    assert!(temp_files(d).is_empty());
    let first = std::fs::read(&out).unwrap();

    // A failed write leaves nothing behind and the old output untouched.
    let err = write(&out, &outs, &[], |_| {
        Err(Error::FileShrank {
            path: "x".into(),
            offset: 0,
            expected: 1,
            len: 0,
        })
    })
    .unwrap_err();
    assert!(matches!(err, Error::FileShrank { .. }));
    assert!(temp_files(d).is_empty());
    assert_eq!(std::fs::read(&out).unwrap(), first);

    // Left by a process that is gone: removed by the next write of the same
    // output. A live writer's (pid 1) and another output's stay.
    if Path::new("/proc/self").exists() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = d.join(format!(".out.safetensors.fftt-tmp-{dead}-0123abcd"));
        let live = d.join(".out.safetensors.fftt-tmp-1-0123abcd");
        let other = d.join(format!(".other.fftt-tmp-{dead}-0123abcd"));
        for p in [&stale, &live, &other] {
            std::fs::write(p, b"partial").unwrap();
        }
        write(&out, &outs, &[], |_| Ok(vec![1u8; 8])).unwrap();
        assert!(!stale.exists());
        assert!(live.exists() && other.exists());
        assert!(temp::remove_stale(&out).is_empty());
    } else {
        println!("skipped: stale temporary files are only detected where /proc exists");
    }
}

#[cfg(unix)]
#[test]
fn an_overwritten_output_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = example_pair(dir.path());
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    compress(&src, &out);
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let csv = dir.path().join("rd.csv");
    std::fs::write(&csv, b"old").unwrap();
    std::fs::set_permissions(&csv, std::fs::Permissions::from_mode(0o600)).unwrap();
    store::write_atomically(&csv, b"new").unwrap();
    assert_eq!(std::fs::read(&csv).unwrap(), b"new");
    let mode = std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

fn raw(bytes: &[u8]) -> Encoded {
    codec::raw::encode(bytes)
}

#[test]
fn decompress_refuses_tensors_safetensors_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ctx = Context::cpu();
    let cases: [(&str, Dtype, Vec<usize>, usize, &str); 2] = [
        ("__metadata__", Dtype::F32, vec![2], 8, "__metadata__"),
        ("nibbles", Dtype::F4, vec![3], 2, "whole bytes"),
    ];
    for (name, dt, shape, len, says) in cases {
        let path = d.join(format!("{}.fftt", dtype::name(dt)));
        let mut w = ContainerWriter::create(&path).unwrap();
        w.add("fine", Dtype::U8, &[1], &raw(&[7]), 0.0).unwrap();
        w.add(name, dt, &shape, &raw(&vec![0u8; len]), 0.0).unwrap();
        w.finish(&[]).unwrap();
        let out = d.join("out.safetensors");
        let err = store::decompress_file(&ctx, &path, &out, &mut no_progress()).unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
        assert!(!out.exists());
        assert!(temp_files(d).is_empty());
    }
    // An even count of F4 elements fills whole bytes and is written.
    let path = d.join("even.fftt");
    let mut w = ContainerWriter::create(&path).unwrap();
    w.add("nibbles", Dtype::F4, &[4], &raw(&[0x21, 0x43]), 0.0)
        .unwrap();
    w.finish(&[]).unwrap();
    let out = d.join("even.safetensors");
    store::decompress_file(&ctx, &path, &out, &mut no_progress()).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    safetensors::SafeTensors::deserialize(&bytes).unwrap();
}

#[test]
fn inspect_runs_the_decoders_on_every_parameter_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.fftt");
    let mut w = ContainerWriter::create(&path).unwrap();
    // A prune block with k = 2^62 and valid CRCs: only decoding can tell.
    let bad = Encoded {
        codec: CodecId::Prune,
        params: (1u64 << 62).to_le_bytes().to_vec(),
        payload: vec![0u8; 16],
    };
    w.add("w", Dtype::F32, &[4, 4], &bad, 0.0).unwrap();
    w.finish(&[]).unwrap();
    let err = store::inspect(&path, &mut no_progress()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("tensor `w`") && msg.contains("k = "), "{msg}");
}

/// Every progress event of one call, as `(kind, done, bytes)`.
fn record(run: impl FnOnce(&mut dyn FnMut(Progress<'_>))) -> Vec<(&'static str, u64, u64)> {
    let mut events = Vec::new();
    run(&mut |p| {
        events.push(match p {
            Progress::Begin { bytes, .. } => ("begin", 0, bytes),
            Progress::Within { done, bytes, .. } => ("within", done, bytes),
            Progress::Tensor { bytes, .. } => ("tensor", bytes, bytes),
            Progress::Write { done, bytes } => ("write", done, bytes),
            _ => ("other", 0, 0),
        })
    });
    events
}

fn moves_inside_a_tensor(what: &str, events: &[(&str, u64, u64)]) {
    assert!(
        events
            .iter()
            .any(|&(k, done, bytes)| k == "within" && done > 0 && done < bytes),
        "{what}: {events:?}"
    );
    let total = events.iter().find(|e| e.0 == "begin").unwrap().2;
    let tensors: u64 = events.iter().filter(|e| e.0 == "tensor").map(|e| e.1).sum();
    assert_eq!(tensors, total, "{what}: tensor events add up to the total");
}

#[test]
fn compress_progress_moves_during_the_final_encoding_of_row_blocks() {
    // One weight-like matrix of 8 row blocks: the bar is reported past the
    // choice (half of the tensor's bytes) block by block, forward only.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("w.safetensors");
    let (rows, cols) = (1024usize, 2048usize);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let values: Vec<f32> = (0..rows * cols)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let u = (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            u * (1.0 + (i / cols) as f32 / 100.0)
        })
        .collect();
    let outs = [OutTensor {
        name: "w".into(),
        dtype: Dtype::F32,
        shape: vec![rows, cols],
    }];
    write(&src, &outs, &[], |_| {
        Ok(dtype::from_f32(Dtype::F32, &values))
    })
    .unwrap();
    let ctx = Context::cpu();
    let out = dir.path().join("w.fftt");
    let ev = record(|p| {
        store::compress_file(&ctx, &src, &out, &CompressOptions::default(), p).unwrap();
    });
    let bytes = (rows * cols * 4) as u64;
    let within: Vec<u64> = ev.iter().filter(|e| e.0 == "within").map(|e| e.1).collect();
    let late = within
        .iter()
        .filter(|&&d| d > bytes / 2 && d <= bytes)
        .count();
    assert!(late >= 4, "{within:?}");
    assert!(within.windows(2).all(|w| w[0] < w[1]), "{within:?}");
    let c = Container::open(&out).unwrap();
    assert!(c.entries()[0].block_count() >= 4);
}

#[test]
fn progress_moves_inside_tensors_and_over_the_final_write() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (src, out) = example_pair(d);
    let ctx = Context::cpu();

    let ev = record(|p| {
        store::compress_file(
            &ctx,
            &src,
            &d.join("c.fftt"),
            &CompressOptions::default(),
            p,
        )
        .unwrap();
    });
    moves_inside_a_tensor("compress", &ev);
    let writes: Vec<_> = ev.iter().filter(|e| e.0 == "write").collect();
    let size = std::fs::metadata(d.join("c.fftt")).unwrap().len();
    assert!(writes.len() >= 2, "{writes:?}");
    assert_eq!(*writes.last().unwrap(), &("write", size, size));

    // Decompress: tensors above the write chunk report parts of themselves.
    let big = d.join("big.safetensors");
    let n = 3 << 20;
    let outs = [OutTensor {
        name: "big".into(),
        dtype: Dtype::F32,
        shape: vec![n],
    }];
    let values: Vec<f32> = (0..n).map(|i| (i as f32 * 1e-3).sin()).collect();
    write(&big, &outs, &[], |_| {
        Ok(dtype::from_f32(Dtype::F32, &values))
    })
    .unwrap();
    let big_fftt = d.join("big.fftt");
    store::compress_file(
        &ctx,
        &big,
        &big_fftt,
        &CompressOptions {
            family: store::Family::F16,
            ..CompressOptions::default()
        },
        &mut no_progress(),
    )
    .unwrap();
    let ev = record(|p| {
        store::decompress_file(&ctx, &big_fftt, &d.join("back.safetensors"), p).unwrap();
    });
    moves_inside_a_tensor("decompress", &ev);

    let ev = record(|p| {
        store::eval(&ctx, &src, &out, p).unwrap();
    });
    moves_inside_a_tensor("eval", &ev);
    let ev = record(|p| {
        store::rate_distortion(&ctx, &src, false, p).unwrap();
    });
    let float_bytes: u64 = ev.iter().find(|e| e.0 == "begin").unwrap().2;
    assert!(float_bytes > 0);
    moves_inside_a_tensor("rd", &ev);
}
