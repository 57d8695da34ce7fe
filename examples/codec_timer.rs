//! In-process compression time of one codec family (or `auto`) on a raw
//! little-endian f32 file, as `scripts/compare-sz3-zfp.py` measures ours:
//! the best of several runs of the same call the command line makes per
//! tensor (choice, encoding and the check of the bound), on the CPU
//! backend, without process start, file input or output.
//!
//! ```sh
//! cargo run --release --example codec_timer -- FILE 256x256 1e-3 auto [runs]
//! ```
//!
//! Prints one JSON object: `bytes` (parameters plus payload), `secs` (best
//! run), `median`, `error` (measured relative L2), `codec` and
//! `candidates` (what the choice estimated and encoded, in order, as
//! `"method bytes error"` strings).

use fft_tensor::store::auto::{choose_with, Request, Search};
use fft_tensor::store::{ErrorMode, Family, SafetensorsDtype};
use fft_tensor::Context;
use std::time::Instant;

fn main() -> fft_tensor::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 {
        eprintln!("usage: codec_timer FILE SHAPE(AxB..) EPS FAMILY [RUNS]");
        std::process::exit(2);
    }
    let raw = std::fs::read(&a[1]).unwrap_or_else(|e| panic!("{}: {e}", a[1]));
    let values: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let shape: Vec<usize> = a[2]
        .split('x')
        .map(|s| s.parse().expect("shape like 256x256"))
        .collect();
    let bound: f64 = a[3].parse().expect("bound");
    let family = Family::parse(&a[4]).expect("codec family");
    let runs: usize = a.get(5).map_or(5, |s| s.parse().expect("runs"));
    let ctx = Context::cpu();
    let req = Request {
        family,
        mode: ErrorMode::RelL2,
        bound,
        keep: None,
        search: Search::default(),
        blocks: true,
    };
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let c = choose_with(
            &ctx,
            &req,
            SafetensorsDtype::F32,
            &values,
            &shape,
            &raw,
            &mut |_, _| {},
        )?;
        times.push(t.elapsed().as_secs_f64());
        last = Some(c);
    }
    let c = last.expect("one run");
    times.sort_by(f64::total_cmp);
    let candidates: Vec<String> = c
        .candidates
        .iter()
        .map(|k| format!("\"{} {} {:.3e}\"", k.method.label(), k.bytes, k.error))
        .collect();
    println!(
        "{{\"bytes\": {}, \"secs\": {:.6}, \"median\": {:.6}, \"error\": {:.6e}, \"codec\": \"{}\", \"candidates\": [{}]}}",
        c.encoded.stored_bytes(),
        times[0],
        times[times.len() / 2],
        c.error,
        c.encoded.codec,
        candidates.join(", ")
    );
    Ok(())
}
