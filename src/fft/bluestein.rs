//! Bluestein's chirp-z algorithm: a DFT of any length `n` as a circular
//! convolution of power-of-two length `m >= 2n - 2` (see
//! [`bluestein_len`](crate::fft::recipe::bluestein_len)).
//!
//! With `nk = (n^2 + k^2 - (k - n)^2) / 2` and the chirp
//! `c[j] = exp(sign * i * pi * j^2 / n)` (sign -1 forward, +1 inverse),
//!
//! ```text
//! X[k] = sum_j x[j] exp(sign 2 pi i jk / n) = c[k] * sum_j (x[j] c[j]) conj(c[k - j])
//! ```
//!
//! so a call multiplies each line by the chirp into a zero-padded row of
//! length `m`, runs the `m`-point forward FFT, multiplies by the spectrum of
//! the filter `h[j] = conj(c[j])` (wrapped circularly, precomputed in f64 on
//! the host with `1/m` and the normalisation folded in), runs the `m`-point
//! inverse FFT and multiplies the first `n` points by the chirp again. The
//! chirp angles reduce `j^2` modulo `2n` in integers, so they are exact
//! before the one rounding to f32.

use std::sync::Arc;

use rustfft::num_complex::Complex64;

use crate::backend::{GpuBuffer, GpuDevice, Pipeline};
use crate::error::Result;
use crate::fft::gpu::{grid, Dispatch, GpuFft, LineBatch};
use crate::fft::recipe::{FftRecipe, WORKGROUP_SIZE};
use crate::shaders;

/// `c[j] = exp(sign * i * pi * j^2 / n)` for `j < n`, sign -1 forward and
/// +1 inverse, with `j^2` reduced modulo `2n` exactly.
pub fn chirp(n: usize, inverse: bool) -> Vec<Complex64> {
    let sign = if inverse { 1.0 } else { -1.0 };
    let two_n = 2 * n as u128;
    (0..n)
        .map(|j| {
            let r = (j as u128 * j as u128) % two_n;
            let angle = sign * std::f64::consts::PI * (r as f64 / n as f64);
            Complex64::from_polar(1.0, angle)
        })
        .collect()
}

/// The `m`-point spectrum of the filter `h[j] = h[m - j] = conj(c[j])`
/// (`j < n`, zero elsewhere), times `scale / m`.
pub fn filter_spectrum(chirp: &[Complex64], m: usize, scale: f64) -> Vec<Complex64> {
    let mut h = vec![Complex64::new(0.0, 0.0); m];
    for (j, c) in chirp.iter().enumerate() {
        h[j] = c.conj();
        if j > 0 {
            h[m - j] = c.conj();
        }
    }
    rustfft::FftPlanner::<f64>::new()
        .plan_fft_forward(m)
        .process(&mut h);
    let factor = scale / m as f64;
    for v in &mut h {
        *v *= factor;
    }
    h
}

/// A row buffer from the context's pool, for GPU access only. Without copy
/// usages it can never come back from the pool as the target of a host
/// upload (`queue.write_buffer` runs at the next submit, before commands
/// already recorded), so a caller may drop it once the work is recorded:
/// every use writes the rows before reading them.
fn row_buffer(gpu: &GpuDevice, tag: &'static str, bytes: u64) -> Result<GpuBuffer> {
    gpu.memory
        .allocate(bytes.max(16), wgpu::BufferUsages::STORAGE, tag)
}

fn to_f32(v: &[Complex64]) -> Vec<[f32; 2]> {
    v.iter().map(|c| [c.re as f32, c.im as f32]).collect()
}

/// Uniforms of `bluestein_chirp.wgsl` and `bluestein_output.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct LineParams {
    n: u32,
    m: u32,
    inner: u32,
    first_line: u32,
    num_lines: u32,
    groups_x: u32,
    _pad: [u32; 2],
}

/// Uniforms of `bluestein_pointwise.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct PointwiseParams {
    m: u32,
    total: u32,
    groups_x: u32,
    _pad: u32,
}

/// A Bluestein plan compiled for one GPU.
pub(crate) struct GpuBluestein {
    n: usize,
    m: usize,
    forward: GpuFft,
    inverse: GpuFft,
    chirp: GpuBuffer,
    filter: GpuBuffer,
    chirp_kernel: Arc<Pipeline>,
    pointwise_kernel: Arc<Pipeline>,
    output_kernel: Arc<Pipeline>,
}

impl GpuBluestein {
    pub(crate) fn new(
        gpu: &GpuDevice,
        n: usize,
        m: usize,
        inner: &FftRecipe,
        inverse: bool,
        scale: f32,
    ) -> Result<Self> {
        let c = chirp(n, inverse);
        let h = filter_spectrum(&c, m, f64::from(scale));
        let constants = [("WG_SIZE", WORKGROUP_SIZE)];
        Ok(GpuBluestein {
            n,
            m,
            forward: GpuFft::new(gpu, inner.clone(), false, 1.0)?,
            inverse: GpuFft::new(gpu, inner.clone(), true, 1.0)?,
            chirp: gpu.storage_from("bluestein chirp", &to_f32(&c))?,
            filter: gpu.storage_from("bluestein filter", &to_f32(&h))?,
            chirp_kernel: gpu.pipeline(&shaders::BLUESTEIN_CHIRP, &constants)?,
            pointwise_kernel: gpu.pipeline(&shaders::BLUESTEIN_POINTWISE, &constants)?,
            output_kernel: gpu.pipeline(&shaders::BLUESTEIN_OUTPUT, &constants)?,
        })
    }

    /// The dispatches transforming every line of `batch` from `src` into
    /// `dst`, in chunks of as many lines as one binding of convolution rows
    /// holds; the row buffers come from the context's pool and are pushed
    /// onto `temporaries`.
    pub(crate) fn dispatches(
        &self,
        gpu: &GpuDevice,
        src: &GpuBuffer,
        dst: &GpuBuffer,
        batch: LineBatch,
        temporaries: &mut Vec<GpuBuffer>,
    ) -> Result<Vec<Dispatch>> {
        let (n, m) = (self.n, self.m);
        let lines = batch.lines();
        let chunk = lines.min(self.forward.recipe.max_lines_per_call).max(1);
        let row_bytes = (chunk * m * 8) as u64;
        let rows = row_buffer(gpu, "bluestein rows", row_bytes)?;
        let spectra = row_buffer(gpu, "bluestein spectra", row_bytes)?;
        let scratch = if self.forward.recipe.needs_scratch() {
            Some(row_buffer(gpu, "bluestein scratch", row_bytes)?)
        } else {
            None
        };
        let max_dim = gpu.limits().max_compute_workgroups_per_dimension;
        let wg = u64::from(WORKGROUP_SIZE);
        let mut out = Vec::new();
        let mut first = 0;
        while first < lines {
            let count = chunk.min(lines - first);
            let line_params = |threads: usize| -> Result<((u32, u32), LineParams)> {
                let grid = grid((threads as u64).div_ceil(wg), max_dim)?;
                Ok((
                    grid,
                    LineParams {
                        n: n as u32,
                        m: m as u32,
                        inner: batch.inner as u32,
                        first_line: first as u32,
                        num_lines: count as u32,
                        groups_x: grid.0,
                        _pad: [0; 2],
                    },
                ))
            };
            // 1. Chirped, zero-padded rows.
            let (g, params) = line_params(count * m)?;
            let uniform = gpu.uniform("bluestein_chirp params", &params);
            let group = gpu.bind_group(
                &self.chirp_kernel,
                &[
                    src.binding(),
                    rows.binding(),
                    self.chirp.binding(),
                    uniform.as_entire_binding(),
                ],
            )?;
            out.push(Dispatch {
                pipeline: Arc::clone(&self.chirp_kernel),
                group,
                grid: g,
            });
            // 2. Forward m-point FFTs.
            let row_batch = LineBatch::rows(count);
            out.extend(self.forward.dispatches(
                gpu,
                &rows,
                &spectra,
                scratch.as_ref(),
                row_batch,
                temporaries,
            )?);
            // 3. Times the filter's spectrum.
            let total = count * m;
            let g = grid((total as u64).div_ceil(wg), max_dim)?;
            let params = PointwiseParams {
                m: m as u32,
                total: total as u32,
                groups_x: g.0,
                _pad: 0,
            };
            let uniform = gpu.uniform("bluestein_pointwise params", &params);
            let group = gpu.bind_group(
                &self.pointwise_kernel,
                &[
                    spectra.binding(),
                    self.filter.binding(),
                    uniform.as_entire_binding(),
                ],
            )?;
            out.push(Dispatch {
                pipeline: Arc::clone(&self.pointwise_kernel),
                group,
                grid: g,
            });
            // 4. Inverse m-point FFTs back into the row buffer.
            out.extend(self.inverse.dispatches(
                gpu,
                &spectra,
                &rows,
                scratch.as_ref(),
                row_batch,
                temporaries,
            )?);
            // 5. The first n points times the chirp, back to the lines.
            let (g, params) = line_params(count * n)?;
            let uniform = gpu.uniform("bluestein_output params", &params);
            let group = gpu.bind_group(
                &self.output_kernel,
                &[
                    rows.binding(),
                    dst.binding(),
                    self.chirp.binding(),
                    uniform.as_entire_binding(),
                ],
            )?;
            out.push(Dispatch {
                pipeline: Arc::clone(&self.output_kernel),
                group,
                grid: g,
            });
            first += count;
        }
        temporaries.push(rows);
        temporaries.push(spectra);
        temporaries.extend(scratch);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole algorithm in f64 on the host, against rustfft.
    fn bluestein_f64(x: &[Complex64], inverse: bool) -> Vec<Complex64> {
        let n = x.len();
        let m = crate::fft::recipe::bluestein_len(n);
        let c = chirp(n, inverse);
        let h = filter_spectrum(&c, m, 1.0);
        let mut planner = rustfft::FftPlanner::<f64>::new();
        let mut a = vec![Complex64::new(0.0, 0.0); m];
        for j in 0..n {
            a[j] = x[j] * c[j];
        }
        planner.plan_fft_forward(m).process(&mut a);
        for (v, f) in a.iter_mut().zip(&h) {
            *v *= f;
        }
        planner.plan_fft_inverse(m).process(&mut a);
        (0..n).map(|k| a[k] * c[k]).collect()
    }

    #[test]
    fn the_chirp_identity_reproduces_the_dft() {
        for n in [1usize, 2, 3, 7, 17, 100, 1009, 65537] {
            let x: Vec<Complex64> = (0..n)
                .map(|j| Complex64::new((j as f64 * 0.37).sin(), (j as f64 * 0.11).cos()))
                .collect();
            for inverse in [false, true] {
                let got = bluestein_f64(&x, inverse);
                let mut want = x.clone();
                let mut planner = rustfft::FftPlanner::<f64>::new();
                if inverse {
                    planner.plan_fft_inverse(n).process(&mut want);
                } else {
                    planner.plan_fft_forward(n).process(&mut want);
                }
                let err: f64 = got.iter().zip(&want).map(|(a, b)| (a - b).norm_sqr()).sum();
                let norm: f64 = want.iter().map(|b| b.norm_sqr()).sum();
                assert!((err / norm).sqrt() < 1e-12, "n={n} inverse={inverse}");
            }
        }
    }

    #[test]
    fn chirp_angles_are_reduced_exactly() {
        let n = (1usize << 23) - 1;
        let c = chirp(n, false);
        let j = n - 1;
        // (n - 1)^2 = n + 1 (mod 2n) for odd n: c = exp(-i pi (n + 1) / n) = -exp(-i pi / n).
        let expected = -Complex64::from_polar(1.0, -std::f64::consts::PI / n as f64);
        assert!((c[j] - expected).norm() < 1e-15);
        assert_eq!(c[0], Complex64::new(1.0, 0.0));
    }
}
