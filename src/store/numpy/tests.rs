//! `.npz` written in place from pieces: members, CRCs and refusals.

use super::*;

fn arrays() -> (Vec<OutArray>, Vec<Vec<u8>>) {
    let f: Vec<f32> = (0..1009).map(|i| (i as f32 * 0.37).sin() * 1e30).collect();
    let ints: Vec<i64> = (0..257).map(|i| i * i - 7).collect();
    let out = vec![
        OutArray {
            name: "w".into(),
            dtype: SafetensorsDtype::F32,
            shape: vec![1009],
            fortran: false,
        },
        OutArray {
            name: "empty".into(),
            dtype: SafetensorsDtype::F32,
            shape: vec![0, 3],
            fortran: false,
        },
        OutArray {
            name: "ids".into(),
            dtype: SafetensorsDtype::I64,
            shape: vec![1, 257],
            fortran: true,
        },
    ];
    let data = vec![
        bytemuck::cast_slice(&f).to_vec(),
        Vec::new(),
        bytemuck::cast_slice(&ints).to_vec(),
    ];
    (out, data)
}

/// Hands `d` over in pieces of `k` bytes, last piece first.
fn backwards(d: &[u8], k: usize, sink: &PieceSink<'_>) -> Result<()> {
    let starts: Vec<usize> = (0..d.len()).step_by(k).collect();
    for &s in starts.iter().rev() {
        sink(s as u64, &d[s..(s + k).min(d.len())])?;
    }
    Ok(())
}

#[test]
fn pieces_in_any_order_give_the_arrays_and_their_crcs() {
    let dir = tempfile::tempdir().unwrap();
    let (out, data) = arrays();
    for k in [1, 7, 4096, 1 << 20] {
        let p = dir.path().join(format!("x{k}.npz"));
        write_npz_positioned(&p, &out, |i, sink, _| backwards(&data[i], k, sink)).unwrap();
        let f = NumpyFile::open(&p).unwrap();
        let names: Vec<&str> = f.tensors().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["w", "empty", "ids"]);
        for (i, d) in data.iter().enumerate() {
            assert_eq!(&f.data(i).unwrap(), d, "array {i}, pieces of {k}");
        }
        assert!(f.tensors()[2].fortran);
        // Central and local CRCs are those of the member bytes.
        let bytes = std::fs::read(&p).unwrap();
        let src = Source::open(&p).unwrap();
        let members = zip::members("x", &src).unwrap();
        assert_eq!(members.len(), 3);
        for m in members {
            let (o, l) = (m.offset as usize, m.len as usize);
            assert_eq!(crc32fast::hash(&bytes[o..o + l]), m.crc32, "{}", m.name);
            let local = o - 30 - m.name.len();
            assert_eq!(&bytes[local..local + 4], &0x0403_4b50u32.to_le_bytes());
            assert_eq!(&bytes[local + 14..local + 18], &m.crc32.to_le_bytes());
        }
    }
    // The whole-array form writes the same file.
    let a = dir.path().join("a.npz");
    write_npz(&a, &out, |i| Ok(data[i].clone())).unwrap();
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(dir.path().join("x7.npz")).unwrap()
    );
}

#[test]
fn gaps_overlaps_and_overlong_pieces_are_refused_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (out, data) = arrays();
    let p = dir.path().join("bad.npz");
    type Feed = fn(&[u8], &PieceSink<'_>) -> Result<()>;
    let cases: [(&str, Feed); 4] = [
        ("gap", |d, s| s(0, &d[..d.len() - 4])),
        ("overlap", |d, s| {
            s(0, &d[..8])?;
            s(4, &d[4..])
        }),
        ("twice", |d, s| {
            s(0, d)?;
            s(0, &d[..1])
        }),
        ("past the end", |d, s| s(4, d)),
    ];
    for (what, feed) in cases {
        let err = write_npz_positioned(&p, &out, |i, sink, _| {
            if i == 2 {
                feed(&data[i], sink)
            } else {
                sink(0, &data[i])
            }
        })
        .unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{what}: {err}"
        );
        assert!(!p.exists(), "{what}: output left behind");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "temp files left"
    );
}
