//! Chaining GPU operations in one recording: a real FFT of a batch of
//! signals, its inverse, and a 2-D DCT round trip of an image, recorded
//! together and submitted once, with one wait and only the results read
//! back.
//!
//! ```sh
//! FFT_TENSOR_BACKEND=gpu cargo run --release --example recording
//! ```
//!
//! On a machine without a GPU it says so and exits (the CPU backend has
//! nothing to record); `FFT_TENSOR_BACKEND=gpu` also takes software drivers
//! such as Mesa's lavapipe.

use fft_tensor::{Context, DeviceChoice, FftDirection, Normalization};

fn main() -> fft_tensor::Result<()> {
    let ctx = match Context::new(DeviceChoice::Gpu) {
        Ok(ctx) => ctx,
        Err(e) => {
            println!("no GPU to record on ({e}); nothing to show");
            return Ok(());
        }
    };
    println!("backend: {}", ctx.description());
    let gpu = ctx.gpu().expect("a GPU context");

    // 64 signals of 1000 samples, and a 96 x 128 "image".
    let (lines, n) = (64usize, 1000usize);
    let signals: Vec<f32> = (0..lines * n)
        .map(|i| ((i % n) as f32 * 0.05).sin() + (i / n) as f32 * 0.01)
        .collect();
    let image_shape = [96usize, 128];
    let image: Vec<f32> = (0..96 * 128)
        .map(|i| ((i / 128) as f32 * 0.1).cos() * ((i % 128) as f32 * 0.07).sin())
        .collect();
    let half_shape = fft_tensor::fft::rfftn_shape(&[lines, n], &[1])?;
    let half_bytes = half_shape.iter().product::<usize>() as u64 * 8;

    let before = gpu.submissions();
    let mut rec = ctx.recording("example chain")?;
    // Real FFT along each signal, then back.
    let x = rec.upload("signals", &signals)?;
    let spectrum = rec.temporary("spectra", half_bytes)?;
    let back = rec.temporary("signals back", x.size())?;
    let norm = Normalization::Backward;
    ctx.record_rfftn(&mut rec, &x, &spectrum, &[lines, n], &[1], norm)?;
    ctx.record_irfftn(&mut rec, &spectrum, &back, &half_shape, &[1], n, norm)?;
    // A 2-D DCT-II of the image and its inverse (DCT-III).
    let img = rec.upload("image", &image)?;
    let coefficients = rec.temporary("dct coefficients", img.size())?;
    let img_back = rec.temporary("image back", img.size())?;
    ctx.record_dctn(&mut rec, &img, &coefficients, &image_shape, &[0, 1], false)?;
    ctx.record_dctn(
        &mut rec,
        &coefficients,
        &img_back,
        &image_shape,
        &[0, 1],
        true,
    )?;
    // Only what we want on the host travels back.
    let signals_back = rec.read_back(&back)?;
    let image_back = rec.read_back(&img_back)?;
    let dc = rec.read_back(&coefficients.sub(0, 4)?)?;
    let mut done = rec.submit()?.wait()?;
    let submissions = gpu.submissions() - before;

    let signals_back: Vec<f32> = done.take(signals_back)?;
    let image_back: Vec<f32> = done.take(image_back)?;
    let dc: Vec<f32> = done.take(dc)?;
    let rms = |a: &[f32], b: &[f32]| {
        let err: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
        let norm: f64 = b.iter().map(|y| f64::from(*y).powi(2)).sum();
        (err / norm).sqrt()
    };
    println!(
        "rfft + irfft of {lines} x {n}: round-trip RMS relative error {:.2e}",
        rms(&signals_back, &signals)
    );
    println!(
        "dctn + idctn of {image_shape:?}: round-trip RMS relative error {:.2e}, DC coefficient {:.4}",
        rms(&image_back, &image),
        dc[0]
    );
    println!("GPU submissions for all of it: {submissions}");

    // The same forward FFT as a one-shot call, for comparison.
    let plan = ctx.plan_fft(n, FftDirection::Forward, norm)?;
    let mut data: Vec<_> = signals
        .iter()
        .map(|&v| fft_tensor::num_complex::Complex32::new(v, 0.0))
        .collect();
    let before = gpu.submissions();
    plan.process(&mut data)?;
    println!(
        "a one-shot complex FFT of the same batch: {} submission(s)",
        gpu.submissions() - before
    );
    Ok(())
}
