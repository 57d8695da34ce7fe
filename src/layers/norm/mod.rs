//! Layer norm (with a fused residual add) and GELU, as kernels and CPU twins.
//!
//! ```no_run
//! use fft_tensor::{Context, Tensor};
//! use fft_tensor::layers::norm::GeluForm;
//!
//! let ctx = Context::from_env()?;
//! let x = Tensor::new(&[2, 4], vec![0.5f32; 8])?;
//! let r = Tensor::new(&[2, 4], vec![0.25f32; 8])?;
//! let y = ctx.layer_norm(&x, Some(&r), &[1.0; 4], &[0.0; 4], 1e-12)?; // LN(x + r)
//! let g = ctx.gelu(&y, None, GeluForm::Tanh)?;
//! # Ok::<(), fft_tensor::Error>(())
//! ```

use crate::backend::{BufferSlice, Context, Recording};
use crate::error::{Error, Result};
use crate::layers::{as_u32, check_len, check_slice, run_gpu, threads, CONSTANTS};
use crate::shaders::{self, kernel_params};
use crate::tensor::Tensor;

/// Which GELU: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (Hugging
/// Face's `gelu_new`, FNet's `hidden_act`) or the exact `0.5 x (1 + erf(x / sqrt 2))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum GeluForm {
    /// The tanh approximation (FNet's default, `gelu_new`).
    #[default]
    Tanh,
    /// The erf form (BERT's `gelu`); on the GPU erf is a rational
    /// approximation with absolute error below 1.5e-7.
    Erf,
}

impl GeluForm {
    /// GELU of `v` in f32 (the CPU twin).
    pub fn apply(self, v: f32) -> f32 {
        self.apply_f64(f64::from(v)) as f32
    }

    /// GELU of `v` in f64 (the reference).
    pub fn apply_f64(self, v: f64) -> f64 {
        match self {
            GeluForm::Tanh => {
                0.5 * v
                    * (1.0
                        + ((2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v * v * v)).tanh())
            }
            GeluForm::Erf => 0.5 * v * (1.0 + erf(v / std::f64::consts::SQRT_2)),
        }
    }
}

/// erf in f64 to about 1e-15 (series below 3, continued fraction above).
pub fn erf(x: f64) -> f64 {
    let a = x.abs();
    let r = if a < 3.0 {
        // Maclaurin series: 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)).
        let mut term = a;
        let mut sum = a;
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs() {
            n += 1.0;
            term *= -a * a / n;
            sum += term / (2.0 * n + 1.0);
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // erfc by its continued fraction (Lentz), converges fast for a >= 3.
        let mut f = a;
        let mut c = a;
        let mut d = 0.0;
        for k in 1..60 {
            let an = f64::from(k) / 2.0;
            d = 1.0 / (a + an * d);
            c = a + an / c;
            f *= c * d;
        }
        1.0 - (-a * a).exp() / (f * std::f64::consts::PI.sqrt())
    };
    r.copysign(x)
}

kernel_params! {
/// Uniforms of `layer_norm.wgsl`.
struct LayerNormParams {
    rows: u32,
    hidden: u32,
    eps: f32,
    flags: u32,
    groups_x: u32,
    _pad: [u32; 3],
}
}

kernel_params! {
/// Uniforms of `gelu.wgsl`.
struct GeluParams {
    total: u32,
    cols: u32,
    form: u32,
    flags: u32,
    groups_x: u32,
    _pad: [u32; 3],
}
}

fn check_eps(eps: f32) -> Result<()> {
    if !(eps.is_finite() && eps >= 0.0) {
        return Err(Error::invalid(
            "eps",
            format!("{eps} is not a finite value >= 0"),
        ));
    }
    Ok(())
}

/// `(rows, hidden)` of a tensor normalised over its last axis.
fn rows_hidden(x: &Tensor<f32>) -> (usize, usize) {
    let hidden = *x.shape().last().expect("tensors have at least one axis");
    (x.len() / hidden, hidden)
}

/// The CPU twin of [`Context::layer_norm`] on row-major `[rows, hidden]`
/// data (f32 with f64 sums; the residual add rounds to f32, as on the GPU).
pub fn layer_norm_cpu(
    x: &[f32],
    residual: Option<&[f32]>,
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    y: &mut [f32],
) {
    let hidden = gamma.len();
    for (row, out) in y.chunks_mut(hidden).enumerate() {
        let base = row * hidden;
        let v = |h: usize| x[base + h] + residual.map_or(0.0, |r| r[base + h]);
        let mean = (0..hidden).map(|h| f64::from(v(h))).sum::<f64>() / hidden as f64;
        let var = (0..hidden)
            .map(|h| (f64::from(v(h)) - mean).powi(2))
            .sum::<f64>()
            / hidden as f64;
        let inv = 1.0 / (var + f64::from(eps)).sqrt();
        for (h, o) in out.iter_mut().enumerate() {
            *o = ((f64::from(v(h)) - mean) * inv) as f32 * gamma[h] + beta[h];
        }
    }
}

/// The CPU twin of [`Context::gelu`] (bias per column of `cols`).
pub fn gelu_cpu(x: &[f32], bias: Option<&[f32]>, form: GeluForm, y: &mut [f32]) {
    let cols = bias.map_or(1, <[f32]>::len).max(1);
    for (i, (o, &v)) in y.iter_mut().zip(x).enumerate() {
        *o = form.apply(v + bias.map_or(0.0, |b| b[i % cols]));
    }
}

impl Context {
    /// Layer norm of `x` over its last axis (`hidden` values per row), of
    /// `x + residual` when a residual of the same shape is given (fused):
    /// `(v - mean) / sqrt(var + eps) * gamma + beta`, biased variance as
    /// PyTorch's `LayerNorm`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `gamma`/`beta` do not hold `hidden`
    /// values or the residual's shape differs; [`Error::InvalidArgument`]
    /// for a negative or non-finite `eps`; GPU errors.
    pub fn layer_norm(
        &self,
        x: &Tensor<f32>,
        residual: Option<&Tensor<f32>>,
        gamma: &[f32],
        beta: &[f32],
        eps: f32,
    ) -> Result<Tensor<f32>> {
        let (rows, hidden) = rows_hidden(x);
        check_len("layer_norm gamma", gamma.len(), hidden)?;
        check_len("layer_norm beta", beta.len(), hidden)?;
        check_eps(eps)?;
        if let Some(r) = residual {
            if r.shape() != x.shape() {
                return Err(Error::shape(
                    "layer_norm residual",
                    format!("{:?}", x.shape()),
                    format!("{:?}", r.shape()),
                ));
            }
        }
        let data = if self.gpu().is_some() {
            let r: &[f32] = residual.map_or(&[], |r| r.data());
            run_gpu(
                self,
                "layer norm",
                &[
                    bytemuck::cast_slice(x.data()),
                    bytemuck::cast_slice(r),
                    bytemuck::cast_slice(gamma),
                    bytemuck::cast_slice(beta),
                ],
                x.len(),
                |rec, i, out| {
                    let res = residual.map(|_| &i[1]);
                    self.record_layer_norm(rec, &i[0], res, &i[2], &i[3], out, (rows, hidden), eps)
                },
            )?
        } else {
            let mut y = vec![0.0; x.len()];
            layer_norm_cpu(
                x.data(),
                residual.map(Tensor::data),
                gamma,
                beta,
                eps,
                &mut y,
            );
            y
        };
        Tensor::new(x.shape(), data)
    }

    /// Records [`Context::layer_norm`] of `rows x hidden` f32 values in `x`
    /// (plus `residual`) into `y`; `gamma` and `beta` hold `hidden` values.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for buffers too small; as [`Context::layer_norm`].
    #[allow(clippy::too_many_arguments)]
    pub fn record_layer_norm(
        &self,
        rec: &mut Recording,
        x: &BufferSlice,
        residual: Option<&BufferSlice>,
        gamma: &BufferSlice,
        beta: &BufferSlice,
        y: &BufferSlice,
        (rows, hidden): (usize, usize),
        eps: f32,
    ) -> Result<()> {
        check_eps(eps)?;
        if hidden == 0 {
            return Err(Error::invalid("hidden", "must be at least 1"));
        }
        for (what, s) in [("layer_norm x", x), ("layer_norm y", y)] {
            check_slice(what, s, rows * hidden, 4)?;
        }
        if let Some(r) = residual {
            check_slice("layer_norm residual", r, rows * hidden, 4)?;
        }
        check_slice("layer_norm gamma", gamma, hidden, 4)?;
        check_slice("layer_norm beta", beta, hidden, 4)?;
        let (rows32, hidden32) = (as_u32("rows", rows)?, as_u32("hidden", hidden)?);
        rec.launch(
            &shaders::LAYER_NORM,
            CONSTANTS,
            &[x, residual.unwrap_or(x), gamma, beta, y],
            crate::backend::Groups::Count(rows as u64),
            |grid| LayerNormParams {
                rows: rows32,
                hidden: hidden32,
                eps,
                flags: u32::from(residual.is_some()),
                groups_x: grid.0,
                _pad: [0; 3],
            },
        )
    }

    /// GELU of every element of `x`, of `x + bias` when a bias with one
    /// value per column of the last axis is given (fused).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a bias whose length is not the last
    /// axis; GPU errors.
    pub fn gelu(
        &self,
        x: &Tensor<f32>,
        bias: Option<&[f32]>,
        form: GeluForm,
    ) -> Result<Tensor<f32>> {
        let (_, cols) = rows_hidden(x);
        if let Some(b) = bias {
            check_len("gelu bias", b.len(), cols)?;
        }
        let data = if self.gpu().is_some() {
            let b: &[f32] = bias.unwrap_or(&[]);
            run_gpu(
                self,
                "gelu",
                &[bytemuck::cast_slice(x.data()), bytemuck::cast_slice(b)],
                x.len(),
                |rec, i, out| {
                    self.record_gelu(rec, &i[0], bias.map(|_| &i[1]), out, (x.len(), cols), form)
                },
            )?
        } else {
            let mut y = vec![0.0; x.len()];
            gelu_cpu(x.data(), bias, form, &mut y);
            y
        };
        Tensor::new(x.shape(), data)
    }

    /// Records [`Context::gelu`] of `total` values in `x` into `y` (which
    /// may not be `x`); `bias` holds `cols` values, one per column.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for buffers too small.
    pub fn record_gelu(
        &self,
        rec: &mut Recording,
        x: &BufferSlice,
        bias: Option<&BufferSlice>,
        y: &BufferSlice,
        (total, cols): (usize, usize),
        form: GeluForm,
    ) -> Result<()> {
        check_slice("gelu x", x, total, 4)?;
        check_slice("gelu y", y, total, 4)?;
        if let Some(b) = bias {
            check_slice("gelu bias", b, cols, 4)?;
        }
        let total32 = as_u32("total", total)?;
        let cols32 = as_u32("cols", cols.max(1))?;
        rec.launch(
            &shaders::GELU,
            CONSTANTS,
            &[x, bias.unwrap_or(x), y],
            threads(total),
            |grid| GeluParams {
                total: total32,
                cols: cols32,
                form: u32::from(form == GeluForm::Erf),
                flags: u32::from(bias.is_some()),
                groups_x: grid.0,
                _pad: [0; 3],
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<LayerNormParams>(&shaders::LAYER_NORM);
        assert_params::<GeluParams>(&shaders::GELU);
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.5, 0.999_999_256_901_627_7),
            (-1.0, -0.842_700_792_949_714_9),
        ] {
            assert!((erf(x) - want).abs() < 1e-14, "erf({x}) = {}", erf(x));
        }
    }
}
