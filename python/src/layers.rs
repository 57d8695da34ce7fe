//! Frequency-domain layers (inference): layer norm, GELU, FNet mixing,
//! attention, FFT and direct convolution, rotary positions. Arrays are
//! float32, C-contiguous; the Python half (`fft_tensor.layers`) checks
//! dtypes and names modes.

use fft_tensor::layers::attention::AttentionOptions;
use fft_tensor::layers::conv::{Boundary, Conv2dOptions, ConvAlgorithm, ConvMode, FftConvOptions};
use fft_tensor::layers::embedding::Rope;
use fft_tensor::layers::norm::GeluForm;
use fft_tensor::Tensor;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::arrays::{tensor, to_numpy, Input};
use crate::context::Context;
use crate::errors::IntoPy;

/// A float32 input as a library tensor.
fn input(a: &Bound<'_, PyAny>, what: &str) -> PyResult<Tensor<f32>> {
    let i = Input::<f32>::expect(a, what)?;
    tensor(&i.shape(), i.data()?).py()
}

/// An optional float32 vector (a bias, gamma, beta).
fn vector(a: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<Vec<f32>>> {
    a.map(|a| Input::<f32>::expect(a, what).and_then(|i| Ok(i.data()?.to_vec())))
        .transpose()
}

/// Layer norm of `x` (+ `residual`) over the last axis; float32 out.
#[pyfunction]
#[pyo3(signature = (ctx, x, gamma, beta, eps, residual = None))]
fn layer_norm<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    gamma: &Bound<'py, PyAny>,
    beta: &Bound<'py, PyAny>,
    eps: f32,
    residual: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let x = input(x, "layer_norm x")?;
    let r = residual
        .map(|r| input(r, "layer_norm residual"))
        .transpose()?;
    let g = vector(Some(gamma), "layer_norm gamma")?.unwrap_or_default();
    let b = vector(Some(beta), "layer_norm beta")?.unwrap_or_default();
    let y = py
        .detach(|| ctx.inner.layer_norm(&x, r.as_ref(), &g, &b, eps))
        .py()?;
    to_numpy(py, y)
}

/// GELU of `x` (+ `bias` per column), `approximate` "tanh" or "none" (erf).
#[pyfunction]
#[pyo3(signature = (ctx, x, approximate, bias = None))]
fn gelu<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    approximate: &str,
    bias: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let form = match approximate {
        "tanh" => GeluForm::Tanh,
        "none" => GeluForm::Erf,
        other => {
            return Err(PyValueError::new_err(format!(
                "gelu approximate must be 'tanh' or 'none', got {other:?}"
            )))
        }
    };
    let x = input(x, "gelu x")?;
    let b = vector(bias, "gelu bias")?;
    let y = py.detach(|| ctx.inner.gelu(&x, b.as_deref(), form)).py()?;
    to_numpy(py, y)
}

/// `Re(FFT2(x))` over the last two axes of `x` `[batch, seq, hidden]`.
#[pyfunction]
fn fnet_mixing<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let x = input(x, "fnet_mixing x")?;
    let y = py.detach(|| ctx.inner.fnet_mixing(&x)).py()?;
    to_numpy(py, y)
}

/// Scaled dot-product attention of `[batch, s, hidden]` q, k, v; `key_mask`
/// a bool array `[batch, sk]` (false hides a key).
#[pyfunction]
#[pyo3(signature = (ctx, q, k, v, heads, causal, scale = None, key_mask = None))]
#[allow(clippy::too_many_arguments)]
fn attention<'py>(
    py: Python<'py>,
    ctx: &Context,
    q: &Bound<'py, PyAny>,
    k: &Bound<'py, PyAny>,
    v: &Bound<'py, PyAny>,
    heads: usize,
    causal: bool,
    scale: Option<f32>,
    key_mask: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (q, k, v) = (
        input(q, "attention q")?,
        input(k, "attention k")?,
        input(v, "attention v")?,
    );
    let mask = key_mask
        .map(|m| {
            Input::<bool>::expect(m, "attention key_mask").and_then(|i| Ok(i.data()?.to_vec()))
        })
        .transpose()?;
    let options = AttentionOptions {
        heads,
        causal,
        scale,
    };
    let y = py
        .detach(|| ctx.inner.attention(&q, &k, &v, mask.as_deref(), &options))
        .py()?;
    to_numpy(py, y)
}

fn mode_of(mode: &str) -> PyResult<ConvMode> {
    match mode {
        "full" => Ok(ConvMode::Full),
        "same" => Ok(ConvMode::Same),
        "valid" => Ok(ConvMode::Valid),
        other => Err(PyValueError::new_err(format!(
            "mode must be 'full', 'same' or 'valid', got {other:?}"
        ))),
    }
}

fn boundary_of(boundary: &str) -> PyResult<Boundary> {
    match boundary {
        "fill" => Ok(Boundary::Linear),
        "wrap" => Ok(Boundary::Circular),
        other => Err(PyValueError::new_err(format!(
            "boundary must be 'fill' or 'wrap', got {other:?}"
        ))),
    }
}

/// FFT convolution (or correlation) of `[N, C, L]` or `[N, C, H, W]` input
/// with `[O, C / groups, k]` or `[O, C / groups, kh, kw]` weights.
#[pyfunction]
#[pyo3(signature = (ctx, x, w, bias, mode, boundary, correlate, groups))]
#[allow(clippy::too_many_arguments)]
fn conv_fft<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    bias: Option<&Bound<'py, PyAny>>,
    mode: &str,
    boundary: &str,
    correlate: bool,
    groups: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let options = FftConvOptions {
        mode: mode_of(mode)?,
        boundary: boundary_of(boundary)?,
        correlate,
        groups,
    };
    let (x, w) = (input(x, "conv x")?, input(w, "conv w")?);
    let b = vector(bias, "conv bias")?;
    let y = py
        .detach(|| {
            if x.shape().len() == 3 {
                ctx.inner.conv1d_fft(&x, &w, b.as_deref(), &options)
            } else {
                ctx.inner.conv2d_fft(&x, &w, b.as_deref(), &options)
            }
        })
        .py()?;
    to_numpy(py, y)
}

/// PyTorch's conv2d (cross-correlation) of `[N, C, H, W]` input;
/// `algorithm` "auto", "direct" or "fft".
#[pyfunction]
#[pyo3(signature = (ctx, x, w, bias, stride, padding, dilation, groups, algorithm))]
#[allow(clippy::too_many_arguments)]
fn conv2d<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    bias: Option<&Bound<'py, PyAny>>,
    stride: (usize, usize),
    padding: (usize, usize),
    dilation: (usize, usize),
    groups: usize,
    algorithm: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let algorithm = match algorithm {
        "auto" => None,
        "direct" => Some(ConvAlgorithm::Direct),
        "fft" => Some(ConvAlgorithm::Fft),
        other => {
            return Err(PyValueError::new_err(format!(
                "algorithm must be 'auto', 'direct' or 'fft', got {other:?}"
            )))
        }
    };
    let options = Conv2dOptions {
        stride,
        padding,
        dilation,
        groups,
    };
    let (x, w) = (input(x, "conv2d x")?, input(w, "conv2d w")?);
    let b = vector(bias, "conv2d bias")?;
    let y = py
        .detach(|| match algorithm {
            None => ctx.inner.conv2d(&x, &w, b.as_deref(), &options),
            Some(a) => ctx.inner.conv2d_with(a, &x, &w, b.as_deref(), &options),
        })
        .py()?;
    to_numpy(py, y)
}

/// Rotary position encoding of `x` `[batch, seq, hidden]` (interleaved pairs).
#[pyfunction]
#[pyo3(signature = (ctx, x, heads, base, offset))]
fn rope<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    heads: usize,
    base: f64,
    offset: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let x = input(x, "rope x")?;
    let r = Rope {
        heads,
        base,
        offset,
    };
    let y = py.detach(|| ctx.inner.rope(&x, &r)).py()?;
    to_numpy(py, y)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(layer_norm, m)?)?;
    m.add_function(wrap_pyfunction!(gelu, m)?)?;
    m.add_function(wrap_pyfunction!(fnet_mixing, m)?)?;
    m.add_function(wrap_pyfunction!(attention, m)?)?;
    m.add_function(wrap_pyfunction!(conv_fft, m)?)?;
    m.add_function(wrap_pyfunction!(conv2d, m)?)?;
    m.add_function(wrap_pyfunction!(rope, m)?)?;
    Ok(())
}
