//! Compression and decompression speed and peak memory of the `.fftt`
//! store on a realistic checkpoint: the example generator's tensors plus
//! transformer blocks (heavy-tailed weights, per-row scales, biases and
//! norms), about 117 MB of f32 by default, written to a temporary
//! directory.
//!
//! ```sh
//! cargo bench --bench store
//! STORE_BENCH_LAYERS=4 STORE_BENCH_DIM=1024 STORE_BENCH_THREADS=2 cargo bench --bench store
//! ```
//!
//! For each bound (1e-2 and 1e-3, relative L2) it prints the ratio, MB/s
//! of f32 input for `compress` (wall clock and per CPU second) and for
//! `decompress` (MB/s of output), and the peak resident memory each
//! step adds (Linux `VmHWM`, reset before each step through
//! `/proc/self/clear_refs`) as a multiple of the largest tensor.

use std::time::Instant;

use fft_tensor::backend::Context;
use fft_tensor::store::{self, CompressOptions};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A field of `/proc/self/status` in bytes (`VmHWM`, `VmRSS`).
fn status_bytes(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak-RSS counter; false where the kernel does not allow it.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// User plus system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    (ticks(11) + ticks(12)) / 100.0
}

struct Step {
    wall: f64,
    cpu: f64,
    peak_added: Option<u64>,
}

fn measure(f: impl FnOnce()) -> Step {
    let can_reset = reset_peak();
    let before = status_bytes("VmRSS:");
    let (t, c) = (Instant::now(), cpu_seconds());
    f();
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c;
    let peak = status_bytes("VmHWM:");
    Step {
        wall,
        cpu,
        peak_added: match (can_reset, before, peak) {
            (true, Some(b), Some(p)) => Some(p.saturating_sub(b)),
            _ => None,
        },
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let layers = env("STORE_BENCH_LAYERS", 9);
    let dim = env("STORE_BENCH_DIM", 512);
    let threads = std::env::var("STORE_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok());
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("model.safetensors");
    store::example::write_model_checkpoint(&input, 7, layers, dim)?;
    let input_bytes = std::fs::metadata(&input)?.len();
    // The largest tensor of the blocks: the MLP's 4 dim x dim f32 matrices.
    let largest = (4 * dim * dim * 4) as f64;
    let ctx = Context::cpu();
    println!(
        "store bench: {layers} blocks of width {dim}, {:.1} MB safetensors, largest tensor {:.1} MB, threads {}",
        input_bytes as f64 / 1e6,
        largest / 1e6,
        threads.map_or("all".to_string(), |t: usize| t.to_string()),
    );
    println!(
        "{:>7} {:>7} {:>13} {:>13} {:>15} {:>13} {:>13} {:>15}",
        "bound",
        "ratio",
        "compress MB/s",
        "per CPU s",
        "peak (x tensor)",
        "decomp. MB/s",
        "per CPU s",
        "peak (x tensor)"
    );
    let mb = input_bytes as f64 / 1e6;
    let peak = |p: Option<u64>| match p {
        Some(p) => format!("{:.1} MB {:.2}x", p as f64 / 1e6, p as f64 / largest),
        None => "n/a".to_string(),
    };
    for bound in [1e-2, 1e-3] {
        let output = dir.path().join(format!("model-{bound}.fftt"));
        let back = dir.path().join(format!("back-{bound}.safetensors"));
        let options = CompressOptions {
            max_error: bound,
            threads,
            ..CompressOptions::default()
        };
        let mut report = None;
        let c = measure(|| {
            report = Some(store::compress_file(
                &ctx,
                &input,
                &output,
                &options,
                &mut |_| {},
            ));
        });
        let report = report.expect("ran")?;
        let d = measure(|| {
            store::decompress_file(&ctx, &output, &back, &mut |_| {}).expect("decompresses");
        });
        println!(
            "{:>7.0e} {:>6.2}x {:>13.1} {:>13.1} {:>15} {:>13.1} {:>13.1} {:>15}",
            bound,
            report.input_bytes as f64 / report.output_bytes as f64,
            mb / c.wall,
            mb / c.cpu,
            peak(c.peak_added),
            mb / d.wall,
            mb / d.cpu,
            peak(d.peak_added),
        );
        std::fs::remove_file(&back)?;
    }
    Ok(())
}
