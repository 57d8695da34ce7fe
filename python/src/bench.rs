//! The library's own call timed from Rust, for `bench.py` to measure what
//! the Python layer adds: the same operation on a tensor already in the
//! library's hands, no conversions.

use std::time::Instant;

use fft_tensor::fft::numpy as np;
use fft_tensor::num_complex::Complex32;
use fft_tensor::spectral::CompressOptions;
use fft_tensor::{Normalization, Tensor};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::context::Context;
use crate::errors::IntoPy;

/// The benchmark input: `sin(0.37 i) + cos(0.0011 i)` for element `i`
/// (bench.py builds the same values).
fn signal(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((0.37 * i as f64).sin() + (0.0011 * i as f64).cos()) as f32)
        .collect()
}

/// Seconds per call of `op` on `shape`, the fastest of `repeats` calls
/// after one warm-up: "fft" (complex64, last axis) and "fftn" (complex64,
/// all axes) out of place as `fft::numpy` does them (one copy, then in
/// place), "rfft2" (float32, last two axes; `Context::rfftn`, no copy),
/// "compress" (float32, DCT, relative error 0.01).
#[pyfunction]
#[pyo3(signature = (ctx, op, shape, repeats))]
fn time_native(
    py: Python<'_>,
    ctx: &Context,
    op: &str,
    shape: Vec<usize>,
    repeats: usize,
) -> PyResult<f64> {
    let len: usize = shape.iter().product();
    let real = Tensor::new(&shape, signal(len)).py()?;
    let complex = Tensor::new(
        &shape,
        real.data()
            .iter()
            .map(|&v| Complex32::new(v, 0.0))
            .collect(),
    )
    .py()?;
    let ctx = &ctx.inner;
    let norm = Normalization::Backward;
    let last_two: Vec<usize> = (shape.len().saturating_sub(2)..shape.len()).collect();
    let run = || -> fft_tensor::Result<()> {
        match op {
            "fft" => drop(np::fft(ctx, &complex, None, -1, norm)?),
            "fftn" => drop(np::fftn(ctx, &complex, None, None, norm)?),
            "rfft2" => drop(ctx.rfftn(&real, &last_two, norm)?),
            "compress" => drop(ctx.compress(&real, &CompressOptions::default())?),
            _ => {}
        }
        Ok(())
    };
    if !["fft", "fftn", "rfft2", "compress"].contains(&op) {
        return Err(PyValueError::new_err(format!("unknown op {op:?}")));
    }
    py.detach(|| {
        run()?;
        let mut best = f64::INFINITY;
        for _ in 0..repeats.max(1) {
            let start = Instant::now();
            run()?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        Ok(best)
    })
    .py()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(time_native, m)?)
}
