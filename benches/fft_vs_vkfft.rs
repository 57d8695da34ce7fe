//! `cargo bench --features vkfft --bench fft_vs_vkfft`: our WGSL FFTs
//! against VkFFT 1.2 on the same Vulkan device, interleaved in one run
//! (one timed call of each per round), with rustfft (the CPU twin) beside.
//!
//! Both GPU paths are timed the same way: GPU timestamps around the
//! transform of a GPU-resident input (wall time of the submission where the
//! device has no timestamps), after one warm-up call, `FFT_TENSOR_VKFFT_RUNS`
//! rounds (default 7); min/median/max are printed, so an unsteady size shows
//! as such. `speed` is VkFFT's median over ours (>= 1: ours at least as
//! fast), `min` the same for the fastest rounds (steadier than the median
//! where other work shares the device). RMS relative errors against an f64 FFT sit beside the timings.
//! GB/s counts 16 bytes per point (one read and one write of a complex f32,
//! the traffic of a single pass); with `FFT_TENSOR_PEAK_GBS` (the device's
//! memory bandwidth) the share of it is printed too. The last two columns
//! are the wall time of each side's first call (plan creation, shader
//! generation and compiles, one transform; VkFFT's from host slices).
//!
//! Grids: the default is reduced so that it takes a few minutes on lavapipe
//! (batched C2C 2^6..2^20 by powers of four at 2^20-point batches, 1000 and
//! 4095, real 256 x 4096, 2-D 1024^2 complex and real).
//! `FFT_TENSOR_VKFFT_FULL=1` runs the full grid: 2^6..2^22 at 2^20- and
//! 2^24-point batches, 1000, 4095, 65537, real 1-D, 2-D 1024^2 and 4096^2.
//! `FFT_TENSOR_VKFFT_ONLY=TEXT` keeps the rows whose name contains TEXT.
//! `FFT_TENSOR_SPECIALIZE=1` runs our kernels specialised per length.
//! VkFFT 1.2 does not run lengths with prime factors over 13 here (65537):
//! those rows show only ours.

use std::time::{Duration, Instant};

use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::{compare_complex, reference_fft, SplitMix64};
use fft_tensor::vkfft::VkFft;
use fft_tensor::{
    Context, DeviceChoice, FftDirection, GpuElement, GpuTensor, Normalization, Tensor,
};

struct Case {
    name: String,
    shape: Vec<usize>,
    axes: Vec<usize>,
    real: bool,
}

fn batched(len: usize, points: usize) -> Case {
    let lines = (points / len).max(1);
    Case {
        name: format!("c2c {len} x {lines}"),
        shape: vec![lines, len],
        axes: vec![1],
        real: false,
    }
}

fn two_d(n: usize, real: bool) -> Case {
    Case {
        name: format!("{} {n}^2", if real { "r2c 2-D" } else { "c2c 2-D" }),
        shape: vec![n, n],
        axes: vec![0, 1],
        real,
    }
}

fn real_rows(lines: usize, len: usize) -> Case {
    Case {
        name: format!("r2c {len} x {lines}"),
        shape: vec![lines, len],
        axes: vec![1],
        real: true,
    }
}

fn cases(full: bool) -> Vec<Case> {
    let mut v = Vec::new();
    if full {
        for points in [1usize << 20, 1 << 24] {
            for b in 6..=22 {
                v.push(batched(1 << b, points));
            }
            for len in [1000, 4095, 65537] {
                v.push(batched(len, points));
            }
        }
        v.push(real_rows(256, 4096));
        v.push(real_rows(4096, 4096));
        for n in [1024, 4096] {
            v.push(two_d(n, false));
            v.push(two_d(n, true));
        }
    } else {
        for b in (6..=20).step_by(2) {
            v.push(batched(1 << b, 1 << 20));
        }
        v.push(batched(1000, 1 << 20));
        v.push(batched(4095, 1 << 20));
        v.push(real_rows(256, 4096));
        v.push(two_d(1024, false));
        v.push(two_d(1024, true));
    }
    v
}

/// min, median, max in milliseconds.
fn stats(mut v: Vec<Duration>) -> Option<(f64, f64, f64)> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Some((ms(v[0]), ms(v[v.len() / 2]), ms(v[v.len() - 1])))
}

/// One input of a case and its f64 reference spectrum.
struct Data {
    complex: Vec<Complex32>,
    real: Vec<f32>,
    reference: Vec<Complex64>,
}

fn data(case: &Case) -> Data {
    let cpu = Context::cpu();
    let n: usize = case.shape.iter().product();
    let mut rng = SplitMix64(n as u64);
    if case.real {
        let real: Vec<f32> = (0..n).map(|_| rng.uniform()).collect();
        let t = Tensor::new(&case.shape, real.iter().map(|&x| f64::from(x)).collect()).unwrap();
        let reference = cpu.rfftn_f64(&t, &case.axes, Normalization::None).unwrap();
        return Data {
            complex: Vec::new(),
            real,
            reference: reference.into_data(),
        };
    }
    let complex = rng.complex_vec(n);
    let reference = if case.axes == [1] {
        reference_fft(&complex, case.shape[1], false, 1.0)
    } else {
        let promoted = complex
            .iter()
            .map(|c| Complex64::new(c.re.into(), c.im.into()));
        let mut t = Tensor::new(&case.shape, promoted.collect()).unwrap();
        cpu.fftn_f64(
            &mut t,
            &case.axes,
            FftDirection::Forward,
            Normalization::None,
        )
        .unwrap();
        t.into_data()
    };
    Data {
        complex,
        real: Vec::new(),
        reference,
    }
}

/// Our GPU path on a resident input: one timed call.
struct Ours<'a> {
    ctx: &'a Context,
    case: &'a Case,
    src: GpuTensor,
    dst: GpuTensor,
}

impl<'a> Ours<'a> {
    fn new(ctx: &'a Context, case: &'a Case, d: &Data) -> fft_tensor::Result<Self> {
        let (src, out_shape) = if case.real {
            let shape = fft_tensor::fft::rfftn_shape(&case.shape, &case.axes)?;
            (GpuTensor::from_f32(ctx, &d.real, &case.shape)?, shape)
        } else {
            (
                GpuTensor::from_complex(ctx, &d.complex, &case.shape)?,
                case.shape.clone(),
            )
        };
        let dst = GpuTensor::uninit(ctx, &out_shape, GpuElement::Complex32)?;
        Ok(Ours {
            ctx,
            case,
            src,
            dst,
        })
    }

    fn run(&self) -> fft_tensor::Result<Duration> {
        let (ctx, case) = (self.ctx, self.case);
        let mut rec = ctx.recording("fft_vs_vkfft")?;
        let start = Instant::now();
        let timer = rec.begin_timer();
        let (src, dst) = (self.src.slice(), self.dst.slice());
        let none = Normalization::None;
        if case.real {
            ctx.record_rfftn(&mut rec, &src, &dst, &case.shape, &case.axes, none)?;
        } else {
            let f = FftDirection::Forward;
            ctx.record_fftn(&mut rec, &src, &dst, &case.shape, &case.axes, f, none)?;
        }
        if let Some(t) = timer {
            rec.end_timer(t);
        }
        let done = rec.submit()?.wait()?;
        Ok(timer
            .and_then(|t| done.elapsed(t))
            .unwrap_or(start.elapsed()))
    }
}

fn vkfft_once(vk: &VkFft, case: &Case, d: &Data) -> fft_tensor::Result<(Vec<Complex32>, Duration)> {
    if case.real {
        let t = Tensor::new(&case.shape, d.real.clone())?;
        let (out, times) = vk.rfftn_timed(&t, &case.axes, 1)?;
        Ok((out.into_data(), times[0]))
    } else {
        let mut t = Tensor::new(&case.shape, d.complex.clone())?;
        let times = vk.fftn_timed(&mut t, &case.axes, FftDirection::Forward, 1)?;
        Ok((t.into_data(), times[0]))
    }
}

fn rustfft_ms(case: &Case, d: &Data, runs: usize) -> f64 {
    let cpu = Context::cpu();
    let mut times = Vec::new();
    for _ in 0..runs.min(5) {
        if case.real {
            let t = Tensor::new(&case.shape, d.real.clone()).unwrap();
            let start = Instant::now();
            drop(cpu.rfftn(&t, &case.axes, Normalization::None).unwrap());
            times.push(start.elapsed());
        } else {
            let mut t = Tensor::new(&case.shape, d.complex.clone()).unwrap();
            let start = Instant::now();
            cpu.fftn(
                &mut t,
                &case.axes,
                FftDirection::Forward,
                Normalization::None,
            )
            .unwrap();
            times.push(start.elapsed());
        }
    }
    stats(times).map_or(f64::NAN, |s| s.1)
}

fn fmt_stats(s: Option<(f64, f64, f64)>) -> String {
    s.map_or_else(
        || format!("{:>26}", "n/a"),
        |(a, b, c)| format!("{a:>8.3} {b:>8.3} {c:>8.3}"),
    )
}

fn main() {
    let env = |k: &str| std::env::var(k).ok();
    let full = env("FFT_TENSOR_VKFFT_FULL").as_deref() == Some("1");
    let runs: usize = env("FFT_TENSOR_VKFFT_RUNS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let peak: Option<f64> = env("FFT_TENSOR_PEAK_GBS").and_then(|v| v.parse().ok());
    let ctx = match Context::new(DeviceChoice::Gpu) {
        Ok(c) => c,
        Err(e) => {
            println!("fft_vs_vkfft: no GPU adapter ({e})");
            return;
        }
    };
    let name = ctx
        .gpu()
        .expect("a GPU context")
        .adapter_info()
        .name
        .clone();
    let vk = match VkFft::with_device_name(&name) {
        Ok(v) => v,
        Err(e) => {
            println!("fft_vs_vkfft: VkFFT cannot open {name:?}: {e}");
            return;
        }
    };
    println!(
        "ours (WGSL) vs VkFFT on {} (VkFFT device {:?}, timestamps: {}), {} grid, {runs} interleaved rounds",
        ctx.description(),
        vk.device_name(),
        vk.has_timestamps(),
        if full { "full" } else { "reduced" }
    );
    println!(
        "{:<22} {:>26} {:>26} {:>6} {:>5} {:>9} {:>9} {:>10} {:>8}{} {:>8} {:>8}",
        "transform",
        "ours ms min/med/max",
        "VkFFT ms min/med/max",
        "speed",
        "min",
        "rms ours",
        "rms VkFFT",
        "rustfft ms",
        "GB/s",
        if peak.is_some() { "  share" } else { "" },
        "1st ours",
        "1st VkFFT",
    );
    let only = env("FFT_TENSOR_VKFFT_ONLY");
    for case in cases(full) {
        if only
            .as_ref()
            .is_some_and(|o| !case.name.contains(o.as_str()))
        {
            continue;
        }
        let d = data(&case);
        let points: usize = case.shape.iter().product();
        let ours = match Ours::new(&ctx, &case, &d) {
            Ok(o) => o,
            Err(e) => {
                println!("{:<22} ours: {e}", case.name);
                continue;
            }
        };
        // Warm-up (pipeline and plan creation), then the first results;
        // its wall time is the first call's cost, shader compiles included.
        let first = Instant::now();
        let ours_ok = ours.run().is_ok();
        let ours_first = first.elapsed();
        let ours_rms = ours_ok
            .then(|| ours.dst.to_complex().ok())
            .flatten()
            .map(|v| compare_complex(&v, &d.reference).rms_relative);
        let first = Instant::now();
        let vk_first = vkfft_once(&vk, &case, &d);
        let vk_first_ms = first.elapsed().as_secs_f64() * 1e3;
        let vk_rms = vk_first
            .as_ref()
            .ok()
            .map(|(v, _)| compare_complex(v, &d.reference).rms_relative);
        let (mut t_ours, mut t_vk) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            if ours_ok {
                t_ours.extend(ours.run().ok());
            }
            if vk_first.is_ok() {
                t_vk.extend(vkfft_once(&vk, &case, &d).ok().map(|r| r.1));
            }
        }
        let (so, sv) = (stats(t_ours), stats(t_vk));
        let speed = match (so, sv) {
            (Some(o), Some(v)) => format!("{:>6.2} {:>5.2}", v.1 / o.1, v.0 / o.0),
            _ => format!("{:>6} {:>5}", "-", "-"),
        };
        let rms = |r: Option<f64>| r.map_or(format!("{:>9}", "-"), |x| format!("{x:>9.1e}"));
        let gbs = so.map(|o| 16.0 * points as f64 / (o.1 * 1e-3) / 1e9);
        let share = match (gbs, peak) {
            (Some(g), Some(p)) => format!(" {:>5.1}%", 100.0 * g / p),
            _ => String::new(),
        };
        let first_ms = format!(
            " {:>8.0} {:>8}",
            ours_first.as_secs_f64() * 1e3,
            if vk_first.is_ok() {
                format!("{vk_first_ms:.0}")
            } else {
                "-".into()
            }
        );
        println!(
            "{:<22} {} {} {speed} {} {} {:>10.2} {:>8}{share}{first_ms}",
            case.name,
            fmt_stats(so),
            fmt_stats(sv),
            rms(ours_rms),
            rms(vk_rms),
            rustfft_ms(&case, &d, runs),
            gbs.map_or("-".into(), |g| format!("{g:.3}")),
        );
        if let Err(e) = &vk_first {
            println!("{:<22} VkFFT: {e}", "");
        }
    }
    println!("(speed = VkFFT median / ours median, min = VkFFT min / ours min: >= 1 means ours is at least as fast; GB/s = 16 bytes x points / our median; 1st = wall ms of the first call: plan, shader compiles and one transform)");
}
