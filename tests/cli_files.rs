//! The `fft-tensor` program and the user's files: outputs that are inputs,
//! existing outputs, interrupted runs, files other readers must accept,
//! and commands that need no GPU.

#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{cmd, fails, leftovers, ok};

use fft_tensor::store::codec::{self, CodecId, Encoded};
use fft_tensor::store::format::ContainerWriter;
use fft_tensor::store::safetensors_io::{write, OutTensor};
use fft_tensor::store::{dtype, example};
use safetensors::Dtype;

fn example_in(d: &Path) {
    example::write_example_checkpoint(&d.join("ex.safetensors"), 1).unwrap();
    ok(&["compress", "ex.safetensors", "ex.fftt"], d);
}

#[test]
fn no_command_writes_over_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_in(d);
    std::os::unix::fs::symlink("ex.safetensors", d.join("link.safetensors")).unwrap();
    std::fs::hard_link(d.join("ex.safetensors"), d.join("hard.safetensors")).unwrap();
    std::fs::hard_link(d.join("ex.fftt"), d.join("hard.fftt")).unwrap();
    let st = std::fs::read(d.join("ex.safetensors")).unwrap();
    let ft = std::fs::read(d.join("ex.fftt")).unwrap();
    for args in [
        &["compress", "ex.safetensors", "ex.safetensors", "--force"][..],
        &[
            "compress",
            "ex.safetensors",
            "./link.safetensors",
            "--force",
        ],
        &["compress", "ex.safetensors", "hard.safetensors", "--force"],
        &["decompress", "ex.fftt", "ex.fftt", "--force"],
        &["decompress", "ex.fftt", "hard.fftt", "--force"],
        &[
            "rd",
            "ex.safetensors",
            "--plot",
            "ex.safetensors",
            "--force",
        ],
        &[
            "rd",
            "ex.safetensors",
            "--plot",
            "p.svg",
            "--csv",
            "link.safetensors",
            "-f",
        ],
    ] {
        let err = fails(args, d);
        assert!(err.contains("is the input file"), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(d.join("ex.safetensors")).unwrap(), st);
    assert_eq!(std::fs::read(d.join("ex.fftt")).unwrap(), ft);
    assert!(!d.join("p.svg").exists());
}

#[test]
fn existing_outputs_need_force_and_keep_their_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_in(d);
    for (args, out) in [
        (&["compress", "ex.safetensors", "old"][..], "old"),
        (&["decompress", "ex.fftt", "old"], "old"),
        (&["rd", "ex.safetensors", "--plot", "old.svg"], "old.svg"),
    ] {
        std::fs::write(d.join(out), b"keep me").unwrap();
        std::fs::set_permissions(d.join(out), std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = fails(args, d);
        assert!(err.contains("exists; pass --force"), "{err}");
        assert_eq!(std::fs::read(d.join(out)).unwrap(), b"keep me");
        let mut forced = args.to_vec();
        forced.push("--force");
        ok(&forced, d);
        assert_ne!(std::fs::read(d.join(out)).unwrap(), b"keep me");
        let mode = std::fs::metadata(d.join(out)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{args:?}");
        std::fs::remove_file(d.join(out)).unwrap();
        let _ = std::fs::remove_file(d.join("old.csv"));
    }
    assert!(leftovers(d).is_empty());
}

#[test]
fn paths_are_checked_before_any_work_and_errors_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_in(d);
    std::fs::create_dir(d.join("sub")).unwrap();
    let err = fails(&["compress", "ex.safetensors", "sub"], d);
    assert!(err.contains("sub is a directory"), "{err}");
    let err = fails(&["compress", "sub", "x.fftt"], d);
    assert!(
        err.contains("is a directory") && !err.contains("os error 19"),
        "{err}"
    );
    let err = fails(&["decompress", "ex.fftt", "missing/x.safetensors"], d);
    assert!(
        err.contains("missing/x.safetensors") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains("fftt-tmp"), "{err}");
    let err = fails(&["rd", "ex.safetensors", "--plot", "sub"], d);
    assert!(err.contains("is a directory"), "{err}");
    assert!(leftovers(d).is_empty());
}

/// A container big enough that decompressing it takes a while: raw
/// tensors of `mib` MiB in all.
fn big_container(path: &Path, mib: usize) {
    let mut w = ContainerWriter::create(path).unwrap();
    let per = 32 << 20;
    for i in 0..mib / 32 {
        let bytes: Vec<u8> = (0..per).map(|j| (j * 31 + i) as u8).collect();
        w.add(
            &format!("t{i}"),
            Dtype::U8,
            &[per],
            &codec::raw::encode(&bytes),
            0.0,
        )
        .unwrap();
    }
    w.finish(&[]).unwrap();
}

#[test]
fn interrupted_runs_remove_their_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    big_container(&d.join("big.fftt"), 512);
    for signal in ["INT", "TERM"] {
        let mut child = cmd(&["decompress", "big.fftt", "out.safetensors"], d)
            .spawn()
            .unwrap();
        // Wait until the temporary output exists, then interrupt.
        let start = Instant::now();
        while leftovers(d).is_empty() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "decompress ended before it could be interrupted"
            );
            assert!(start.elapsed() < Duration::from_secs(60));
            std::thread::sleep(Duration::from_millis(2));
        }
        let killed = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert!(!status.success(), "SIG{signal}: {status:?}");
        assert!(
            !d.join("out.safetensors").exists(),
            "SIG{signal}: finished before the signal; use a bigger file"
        );
        assert!(leftovers(d).is_empty(), "SIG{signal}: {:?}", leftovers(d));
    }
}

#[test]
fn rd_accepts_the_allow_nonfinite_it_suggests() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut v: Vec<f32> = (0..256).map(|i| (i as f32 * 0.1).sin()).collect();
    v[17] = f32::INFINITY;
    let good: Vec<f32> = (0..256).map(|i| (i as f32 * 0.05).cos()).collect();
    let outs = [
        OutTensor {
            name: "bad".into(),
            dtype: Dtype::F32,
            shape: vec![16, 16],
        },
        OutTensor {
            name: "good".into(),
            dtype: Dtype::F32,
            shape: vec![16, 16],
        },
    ];
    let data = [v, good];
    write(&d.join("inf.safetensors"), &outs, &[], |i| {
        Ok(dtype::from_f32(Dtype::F32, &data[i]))
    })
    .unwrap();
    let err = fails(&["rd", "inf.safetensors", "--plot", "p.svg"], d);
    assert!(err.contains("--allow-nonfinite"), "{err}");
    assert!(!d.join("p.svg").exists() && !d.join("p.csv").exists());
    let out = ok(
        &[
            "rd",
            "inf.safetensors",
            "--plot",
            "p.svg",
            "--allow-nonfinite",
        ],
        d,
    );
    assert!(out.starts_with("curve,setting,ratio,error"), "{out}");
    assert!(d.join("p.svg").exists() && d.join("p.csv").exists());
    assert!(leftovers(d).is_empty());
}

#[test]
fn inspect_refuses_undecodable_parameters_and_needs_no_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut w = ContainerWriter::create(d.join("k.fftt")).unwrap();
    let bad = Encoded {
        codec: CodecId::Prune,
        params: (1u64 << 62).to_le_bytes().to_vec(),
        payload: vec![0u8; 16],
    };
    w.add("w", Dtype::F32, &[4, 4], &bad, 0.0).unwrap();
    w.finish(&[]).unwrap();
    let err = fails(&["inspect", "k.fftt"], d);
    assert!(err.contains("tensor `w`"), "{err}");

    example_in(d);
    // A GPU demanded where there is none: inspect does not open one.
    let o = cmd(&["inspect", "ex.fftt"], d)
        .env("FFT_TENSOR_BACKEND", "gpu")
        .env("WGPU_BACKEND", "vulkan")
        .env("VK_ICD_FILENAMES", "/nonexistent.json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn rust_log_shows_the_backend_choice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example::write_example_checkpoint(&d.join("ex.safetensors"), 1).unwrap();
    let o = cmd(&["eval", "ex.safetensors", "ex.safetensors"], d)
        .env("RUST_LOG", "info")
        .env("FFT_TENSOR_BACKEND", "cpu")
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("backend") && err.contains("CPU"), "{err}");
}

#[test]
fn decompressed_files_load_in_python_safetensors() {
    let probe = Command::new("python3")
        .args(["-c", "import safetensors, numpy"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        println!("skipped: python3 with safetensors and numpy is not importable");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_in(d);
    ok(&["decompress", "ex.fftt", "back.safetensors"], d);
    // Every tensor through the Rust-backed reader; through numpy those
    // numpy has a type for (it has no bfloat16).
    let script = [
        "import sys",
        "from safetensors import deserialize, safe_open",
        "t = deserialize(open(sys.argv[1], 'rb').read())",
        "assert len(t) == 8, [n for n, _ in t]",
        "with safe_open(sys.argv[1], framework='numpy') as f:",
        "    for k in f.keys():",
        "        if f.get_slice(k).get_dtype() != 'BF16':",
        "            f.get_tensor(k)",
    ]
    .join("\n");
    let o = Command::new("python3")
        .args(["-c", &script, "back.safetensors"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
