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

use rustfft::num_complex::Complex64;

use crate::backend::{BufferSlice, Context, GpuBuffer, Groups, Recording};
use crate::error::{Error, Result};
use crate::fft::gpu::LineBatch;
use crate::fft::recipe::WORKGROUP_SIZE;
use crate::fft::{FftDirection, FftPlan, Normalization};
use crate::shaders::{self, kernel_params};

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

fn to_f32(v: &[Complex64]) -> Vec<[f32; 2]> {
    v.iter().map(|c| [c.re as f32, c.im as f32]).collect()
}

kernel_params! {
/// Uniforms of `bluestein_chirp.wgsl` and `bluestein_output.wgsl`.
struct LineParams {
    n: u32,
    m: u32,
    inner: u32,
    first_line: u32,
    num_lines: u32,
    groups_x: u32,
    scale: f32,
    _pad1: u32,
}
}

kernel_params! {
/// Uniforms of `bluestein_pointwise.wgsl`.
struct PointwiseParams {
    m: u32,
    total: u32,
    groups_x: u32,
    _pad: u32,
}
}

/// The pipeline constants of the chirp and output kernels for lines of `n`
/// points in rows of `m`, `inner` apart: the sizes as constants, so the
/// kernels divide by constants (shifts and multiplies) instead of by
/// uniforms per thread, which software drivers run one lane at a time.
fn line_constants(n: usize, m: usize, inner: usize) -> Result<[(&'static str, u32); 4]> {
    let as_u32 = |what: &'static str, v: usize| {
        u32::try_from(v).map_err(|_| Error::invalid(what, format!("{v} does not fit in u32")))
    };
    Ok([
        ("WG_SIZE", WORKGROUP_SIZE),
        ("N", as_u32("bluestein line length", n)?),
        ("M", as_u32("bluestein convolution length", m)?),
        ("INNER", as_u32("bluestein line stride", inner.max(1))?),
    ])
}

/// The pipeline constants of the pointwise kernel for rows of `m`.
fn pointwise_constants(m: usize) -> Result<[(&'static str, u32); 2]> {
    let [wg, _, m, _] = line_constants(1, m, 1)?;
    Ok([wg, m])
}

/// A Bluestein plan compiled for one GPU. Its two `m`-point FFTs are the
/// context's own cached plans (shared with every other user of length `m`).
pub(crate) struct GpuBluestein {
    n: usize,
    m: usize,
    forward: FftPlan,
    inverse: FftPlan,
    chirp: GpuBuffer,
    filter: GpuBuffer,
}

impl GpuBluestein {
    pub(crate) fn new(ctx: &Context, n: usize, m: usize, inverse: bool) -> Result<Self> {
        let gpu = ctx.gpu().ok_or(Error::NoGpu {
            op: "a Bluestein plan",
        })?;
        let c = chirp(n, inverse);
        // The normalisation is applied by the output kernel, so the filter
        // carries only the 1/m of the inner round trip.
        let h = filter_spectrum(&c, m, 1.0);
        // Contiguous lines' pipelines now, so plan creation reports shader
        // errors; strided axes specialise theirs when recorded.
        let lines = line_constants(n, m, 1)?;
        gpu.pipeline(&shaders::BLUESTEIN_CHIRP, &lines)?;
        gpu.pipeline(&shaders::BLUESTEIN_OUTPUT, &lines)?;
        gpu.pipeline(&shaders::BLUESTEIN_POINTWISE, &pointwise_constants(m)?)?;
        Ok(GpuBluestein {
            n,
            m,
            forward: ctx.plan_fft(m, FftDirection::Forward, Normalization::None)?,
            inverse: ctx.plan_fft(m, FftDirection::Inverse, Normalization::None)?,
            chirp: gpu.storage_from("bluestein chirp", &to_f32(&c))?,
            filter: gpu.storage_from("bluestein filter", &to_f32(&h))?,
        })
    }

    /// Records the transform of every line of `batch` from `src` into `dst`
    /// (times `scale`), in chunks of as many lines as one binding of
    /// convolution rows holds; the row buffers belong to the recording.
    pub(crate) fn record(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        batch: LineBatch,
        scale: f32,
    ) -> Result<()> {
        let (n, m) = (self.n, self.m);
        let lines = batch.lines();
        let max_lines = self.forward.gpu_plan()?.recipe.max_lines_per_call;
        let chunk = lines.min(max_lines).max(1);
        let row_bytes = (chunk * m * 8) as u64;
        let rows = rec.temporary("bluestein rows", row_bytes)?;
        let spectra = rec.temporary("bluestein spectra", row_bytes)?;
        let (chirp, filter) = (self.chirp.slice(), self.filter.slice());
        let line_constants = line_constants(n, m, batch.inner)?;
        let pointwise_constants = pointwise_constants(m)?;
        let threads = |count: usize| Groups::Threads {
            threads: count as u64,
            per_group: WORKGROUP_SIZE,
        };
        let mut first = 0;
        while first < lines {
            let count = chunk.min(lines - first);
            let line_params = |grid: (u32, u32)| LineParams {
                n: n as u32,
                m: m as u32,
                inner: batch.inner as u32,
                first_line: first as u32,
                num_lines: count as u32,
                groups_x: grid.0,
                scale,
                _pad1: 0,
            };
            let (rows_used, spectra_used) = (
                rows.sub(0, (count * m * 8) as u64)?,
                spectra.sub(0, (count * m * 8) as u64)?,
            );
            // 1. Chirped, zero-padded rows.
            rec.launch(
                &shaders::BLUESTEIN_CHIRP,
                &line_constants,
                &[src, &rows_used, &chirp],
                threads(count * m),
                line_params,
            )?;
            // 2. Forward m-point FFTs.
            self.forward.record(rec, &rows_used, &spectra_used)?;
            // 3. Times the filter's spectrum.
            let total = count * m;
            rec.launch(
                &shaders::BLUESTEIN_POINTWISE,
                &pointwise_constants,
                &[&spectra_used, &filter],
                threads(total),
                |grid| PointwiseParams {
                    m: m as u32,
                    total: total as u32,
                    groups_x: grid.0,
                    _pad: 0,
                },
            )?;
            // 4. Inverse m-point FFTs back into the row buffer.
            self.inverse.record(rec, &spectra_used, &rows_used)?;
            // 5. The first n points times the chirp (and scale), back to the lines.
            rec.launch(
                &shaders::BLUESTEIN_OUTPUT,
                &line_constants,
                &[&rows_used, dst, &chirp],
                threads(count * n),
                line_params,
            )?;
            first += count;
        }
        Ok(())
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

#[cfg(test)]
mod params_layout {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<LineParams>(&shaders::BLUESTEIN_CHIRP);
        assert_params::<LineParams>(&shaders::BLUESTEIN_OUTPUT);
        assert_params::<PointwiseParams>(&shaders::BLUESTEIN_POINTWISE);
    }
}
