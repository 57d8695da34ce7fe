//! The `fft-tensor` program end to end on temporary files.

mod common;

use common::{bin, leftovers, ok};

#[test]
fn compress_inspect_decompress_eval_rd() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fft_tensor::store::example::write_example_checkpoint(&d.join("ex.safetensors"), 1).unwrap();

    let out = ok(
        &[
            "compress",
            "ex.safetensors",
            "ex.fftt",
            "--max-error",
            "0.01",
        ],
        d,
    );
    assert!(out.contains("dct-quant") && out.contains("total"), "{out}");

    let json: serde_json::Value =
        serde_json::from_str(&ok(&["inspect", "ex.fftt", "--json"], d)).unwrap();
    let tensors = json["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 8);
    for t in tensors {
        assert!(t["error"].as_f64().unwrap() <= 0.01, "{t}");
    }
    assert_eq!(
        json["output_bytes"].as_u64().unwrap(),
        std::fs::metadata(d.join("ex.fftt")).unwrap().len()
    );
    let table = ok(&["inspect", "ex.fftt"], d);
    assert!(table.contains("field.temperature") && table.contains("ratio"));

    ok(&["decompress", "ex.fftt", "back.safetensors"], d);
    let bytes = std::fs::read(d.join("back.safetensors")).unwrap();
    assert_eq!(
        safetensors::SafeTensors::deserialize(&bytes).unwrap().len(),
        8
    );

    let eval: serde_json::Value = serde_json::from_str(&ok(
        &["eval", "ex.safetensors", "back.safetensors", "--json"],
        d,
    ))
    .unwrap();
    for row in eval.as_array().unwrap() {
        assert!(row["error"].as_f64().unwrap() <= 0.01, "{row}");
    }

    let forced = ok(
        &[
            "compress",
            "ex.safetensors",
            "i8.fftt",
            "--codec",
            "int8",
            "--json",
        ],
        d,
    );
    let forced: serde_json::Value = serde_json::from_str(&forced).unwrap();
    for t in forced["tensors"].as_array().unwrap() {
        let c = t["codec"].as_str().unwrap();
        assert!(c.starts_with("int8") || c == "raw", "{c}");
    }

    let rd = ok(&["rd", "ex.safetensors", "--plot", "rd.svg"], d);
    assert!(rd.starts_with("curve,setting,ratio,error"));
    let svg = std::fs::read_to_string(d.join("rd.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("dct-quant") && svg.contains("int8"));
    let csv = std::fs::read_to_string(d.join("rd.csv")).unwrap();
    assert!(csv.lines().count() > 30);
}

#[test]
fn bad_input_fails_cleanly_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fft_tensor::store::example::write_example_checkpoint(&d.join("ex.safetensors"), 2).unwrap();
    ok(&["compress", "ex.safetensors", "ex.fftt"], d);
    let good = std::fs::read(d.join("ex.fftt")).unwrap();

    // Truncated container.
    std::fs::write(d.join("cut.fftt"), &good[..good.len() / 2]).unwrap();
    let o = bin(&["decompress", "cut.fftt", "out.safetensors"], d);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("cut.fftt"),
        "{err}"
    );
    assert!(!d.join("out.safetensors").exists());

    // A flipped payload byte: named tensor, no partial output.
    let mut flip = good.clone();
    // Payloads come first (version 2); the table and trailer are at the end.
    let n = flip.len();
    flip[n / 3] ^= 0x20;
    std::fs::write(d.join("flip.fftt"), &flip).unwrap();
    let o = bin(&["decompress", "flip.fftt", "out.safetensors"], d);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("damaged") && err.contains("tensor `"), "{err}");
    assert!(!d.join("out.safetensors").exists());
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));

    // Not a tensor file at all; a missing file; an unknown codec name.
    std::fs::write(d.join("junk.safetensors"), b"hello world, not tensors").unwrap();
    assert!(!bin(&["compress", "junk.safetensors", "j.fftt"], d)
        .status
        .success());
    assert!(!d.join("j.fftt").exists());
    assert!(!bin(&["inspect", "missing.fftt"], d).status.success());
    let o = bin(
        &["compress", "ex.safetensors", "x.fftt", "--codec", "zip"],
        d,
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown codec `zip`"));
}
