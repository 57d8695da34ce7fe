//! `cargo bench --bench cpu_fft_timer`: the CPU backend's side of
//! `benches/cpu_vs_scipy.py`, which starts it and interleaves its calls with
//! scipy.fft and pyFFTW in one run.
//!
//! Reads one request per line on stdin, `OP ROWS COLS`, where OP is `fft`
//! (complex, last axis), `rfft` (real, last axis), `fft2` or `rfft2` (both
//! axes), `compress` or `decompress` (the sparse spectral recipe: real FFT,
//! 20 % of the coefficients kept, f16 values; decompress restores what the
//! first compress of that size stored), `rfft_into` or `rfft2_into` (as
//! `rfft`/`rfft2` into one output tensor reused from call to call, as
//! pyFFTW's planned calls reuse theirs), and answers with the wall time of
//! one call in milliseconds. Inputs are built once per request kind and
//! reused; the complex transforms run in place, the others allocate their
//! output as numpy's do.
//!
//! With `CPU_FFT_TIMER_IN_RAYON=1` each call runs inside a rayon scope (on
//! one of rayon's threads), as every call did before the line passes shared
//! their work with the calling thread: an A/B switch for benchmarks.
//!
//! With `CPU_FFT_TIMER_DETAIL=1` (Linux) each answer is followed by the
//! process's minor page faults, user and system CPU milliseconds during the
//! call, so the cost of first touching fresh output shows.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Instant;

use fft_tensor::num_complex::Complex32;
use fft_tensor::spectral::{CompressOptions, Keep, SparseSpectral, StoredPrecision, Transform};
use fft_tensor::testing::SplitMix64;
use fft_tensor::{Context, FftDirection, Normalization, Tensor};

enum Input {
    Complex(Tensor<Complex32>),
    Real(Tensor<f32>),
    RealInto(Tensor<f32>, Tensor<Complex32>),
    Compress(Tensor<f32>),
    Decompress(SparseSpectral),
}

const RECIPE: CompressOptions = CompressOptions {
    transform: Transform::Rfft,
    value_type: StoredPrecision::F16,
    keep: Keep::Fraction(0.2),
};

fn input(ctx: &Context, op: &str, shape: &[usize]) -> Option<Input> {
    let len: usize = shape.iter().product();
    let data = SplitMix64(7).complex_vec(len.div_ceil(2).max(1));
    match op {
        "fft" | "fft2" => {
            let data = SplitMix64(7).complex_vec(len);
            Tensor::new(shape, data).ok().map(Input::Complex)
        }
        "rfft" | "rfft2" | "rfft_into" | "rfft2_into" | "compress" | "decompress" => {
            let reals = data.iter().flat_map(|c| [c.re, c.im]).take(len).collect();
            let t = Tensor::new(shape, reals).ok()?;
            Some(match op {
                "compress" => Input::Compress(t),
                "decompress" => Input::Decompress(ctx.compress(&t, &RECIPE).ok()?),
                "rfft_into" | "rfft2_into" => {
                    let axes: &[usize] = if op == "rfft2_into" { &[0, 1] } else { &[1] };
                    let out = ctx.rfftn(&t, axes, Normalization::None).ok()?;
                    Input::RealInto(t, out)
                }
                _ => Input::Real(t),
            })
        }
        _ => None,
    }
}

fn main() {
    let ctx = Context::cpu();
    let in_rayon = std::env::var("CPU_FFT_TIMER_IN_RAYON").is_ok_and(|v| v == "1");
    let detail = std::env::var("CPU_FFT_TIMER_DETAIL").is_ok_and(|v| v == "1");
    let mut inputs: HashMap<String, Input> = HashMap::new();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let [op, rows, cols] = words[..] else {
            // cargo bench passes `--bench`; anything else unknown is answered.
            let _ = writeln!(stdout, "error: expected OP ROWS COLS");
            continue;
        };
        let (Ok(rows), Ok(cols)) = (rows.parse::<usize>(), cols.parse::<usize>()) else {
            let _ = writeln!(stdout, "error: bad sizes");
            continue;
        };
        let shape = [rows, cols];
        let axes: &[usize] = if op.trim_end_matches("_into").ends_with('2') {
            &[0, 1]
        } else {
            &[1]
        };
        let entry = inputs.entry(line.clone());
        let Some(input) = (match entry {
            std::collections::hash_map::Entry::Occupied(e) => Some(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(e) => {
                input(&ctx, op, &shape).map(|i| e.insert(i))
            }
        }) else {
            let _ = writeln!(stdout, "error: unknown op {op}");
            continue;
        };
        let before = detail.then(usage);
        let start = Instant::now();
        let mut call = || match input {
            Input::Complex(t) => ctx.fftn(t, axes, FftDirection::Forward, Normalization::None),
            Input::Real(t) => ctx.rfftn(t, axes, Normalization::None).map(drop),
            Input::RealInto(t, out) => ctx.rfftn_into(t, axes, Normalization::None, out),
            Input::Compress(t) => ctx.compress(t, &RECIPE).map(drop),
            Input::Decompress(s) => ctx.decompress(s).map(drop),
        };
        let result = if in_rayon {
            let mut result = Ok(());
            rayon::scope(|_| result = call());
            result
        } else {
            call()
        };
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let extra = match before {
            Some((faults, user, sys)) => {
                let (f, u, s) = usage();
                format!(" {} {:.3} {:.3}", f - faults, u - user, s - sys)
            }
            None => String::new(),
        };
        let _ = match result {
            Ok(()) => writeln!(stdout, "{ms:.4}{extra}"),
            Err(e) => writeln!(stdout, "error: {e}"),
        };
        let _ = stdout.flush();
    }
}

/// Minor page faults and user and system CPU milliseconds of this process
/// so far (zeros where `getrusage` is not available).
fn usage() -> (i64, f64, f64) {
    #[cfg(target_os = "linux")]
    {
        /// `struct rusage`: two `timeval`s, then 14 longs.
        #[repr(C)]
        struct Rusage {
            times: [[i64; 2]; 2],
            counts: [i64; 14],
        }
        extern "C" {
            fn getrusage(who: i32, usage: *mut Rusage) -> i32;
        }
        let mut u = Rusage {
            times: [[0; 2]; 2],
            counts: [0; 14],
        };
        // SAFETY: `u` has the layout of `struct rusage` on 64-bit Linux.
        if unsafe { getrusage(0, &mut u) } == 0 {
            let ms = |t: [i64; 2]| t[0] as f64 * 1e3 + t[1] as f64 * 1e-3;
            // counts[4] is ru_minflt (after maxrss, ixrss, idrss, isrss).
            return (u.counts[4], ms(u.times[0]), ms(u.times[1]));
        }
    }
    (0, 0.0, 0.0)
}
