//! Linear algebra on weights, `Y = X W^T (+ bias)`: the dense and
//! quantised products and the `Linear` layer loaded from a file by name.
//! Arrays are float32, C-contiguous, X `batch x inputs` and W
//! `outputs x inputs` (the Python half folds leading batch dimensions).

use std::path::PathBuf;

use fft_tensor::linalg::{self, LinearOptions, LinearPath, MatmulShape, QuantBits};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::arrays::{vec_to_numpy, Input};
use crate::context::Context;
use crate::errors::IntoPy;

/// `(rows, cols)` of a 2-D array, a ValueError naming `what` otherwise.
pub fn matrix(shape: &[usize], what: &str) -> PyResult<(usize, usize)> {
    match shape {
        [r, c] => Ok((*r, *c)),
        _ => Err(PyValueError::new_err(format!(
            "{what}: expected a 2-D array, got shape {shape:?}"
        ))),
    }
}

/// An optional float32 input (a bias).
fn optional<'py>(a: Option<&Bound<'py, PyAny>>, what: &str) -> PyResult<Option<Input<'py, f32>>> {
    a.map(|a| Input::<f32>::expect(a, what)).transpose()
}

fn bits_of(bits: u32) -> PyResult<QuantBits> {
    match bits {
        8 => Ok(QuantBits::Int8),
        4 => Ok(QuantBits::Int4),
        _ => Err(PyValueError::new_err(format!(
            "bits must be 8 or 4, got {bits}"
        ))),
    }
}

fn bits_number(bits: QuantBits) -> u32 {
    match bits {
        QuantBits::Int8 => 8,
        QuantBits::Int4 => 4,
    }
}

/// `x @ w.T (+ bias)` for float32 `x` (B x N), `w` (M x N) and `bias` (M):
/// a float32 array B x M. NaN and infinity propagate.
#[pyfunction]
#[pyo3(signature = (ctx, x, w, bias = None))]
fn matmul<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
    bias: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (xi, wi) = (
        Input::<f32>::expect(x, "matmul x")?,
        Input::<f32>::expect(w, "matmul w")?,
    );
    let (b, n) = matrix(&xi.shape(), "matmul x")?;
    let (m, _) = matrix(&wi.shape(), "matmul w")?;
    let bi = optional(bias, "matmul bias")?;
    let (xd, wd) = (xi.data()?, wi.data()?);
    let bd = bi.as_ref().map(Input::data).transpose()?;
    let y = py
        .detach(|| ctx.inner.matmul(xd, wd, bd, MatmulShape::new(b, n, m)))
        .py()?;
    vec_to_numpy(py, &[b, m], y)
}

/// A weight W (rows x cols) quantised to INT8 or INT4 with one f16 scale
/// per `group` consecutive elements, held as the `int8`/`int4` codecs
/// store it. `QuantizedWeight(w, bits=8, group=64)` quantises a float32
/// matrix; raises ValueError for NaN or infinity, a zero dimension or a
/// group of zero.
#[pyclass(module = "fft_tensor._native", frozen)]
pub struct QuantizedWeight {
    inner: linalg::QuantizedWeight,
}

#[pymethods]
impl QuantizedWeight {
    #[new]
    #[pyo3(signature = (w, bits = 8, group = 64))]
    fn new(py: Python<'_>, w: &Bound<'_, PyAny>, bits: u32, group: usize) -> PyResult<Self> {
        let wi = Input::<f32>::expect(w, "QuantizedWeight w")?;
        let (rows, cols) = matrix(&wi.shape(), "QuantizedWeight w")?;
        let bits = bits_of(bits)?;
        let data = wi.data()?;
        let inner = py
            .detach(|| linalg::QuantizedWeight::quantize(data, rows, cols, bits, group))
            .py()?;
        Ok(QuantizedWeight { inner })
    }

    /// `(rows, cols)`.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.inner.rows(), self.inner.cols())
    }

    /// 8 or 4.
    #[getter]
    fn bits(&self) -> u32 {
        bits_number(self.inner.bits())
    }

    /// Elements per f16 scale.
    #[getter]
    fn group(&self) -> usize {
        self.inner.group()
    }

    /// Bytes the weight takes in this form (scales and values).
    #[getter]
    fn nbytes(&self) -> u64 {
        self.inner.bytes()
    }

    /// The weight as float32 (rows x cols), as the kernels see it.
    fn dequantize<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let w = py.detach(|| self.inner.dequantize());
        vec_to_numpy(py, &[self.inner.rows(), self.inner.cols()], w)
    }

    fn __repr__(&self) -> String {
        format!(
            "QuantizedWeight(shape=({}, {}), bits={}, group={})",
            self.inner.rows(),
            self.inner.cols(),
            self.bits(),
            self.inner.group()
        )
    }
}

/// `x @ w.T (+ bias)` with a QuantizedWeight `w`, dequantised inside the
/// kernel; `x` float32 (B x cols), result float32 (B x rows).
#[pyfunction]
#[pyo3(signature = (ctx, x, w, bias = None))]
fn matmul_quantized<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    w: &QuantizedWeight,
    bias: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let xi = Input::<f32>::expect(x, "matmul_quantized x")?;
    let (b, n) = matrix(&xi.shape(), "matmul_quantized x")?;
    if n != w.inner.cols() {
        return Err(PyValueError::new_err(format!(
            "matmul_quantized: x has {n} columns, the weight {}",
            w.inner.cols()
        )));
    }
    let bi = optional(bias, "matmul_quantized bias")?;
    let xd = xi.data()?;
    let bd = bi.as_ref().map(Input::data).transpose()?;
    let y = py
        .detach(|| ctx.inner.matmul_quantized(xd, &w.inner, bd, b))
        .py()?;
    vec_to_numpy(py, &[b, w.inner.rows()], y)
}

fn options(
    memory_budget: Option<u64>,
    allow_lossy: bool,
    bits: u32,
    group: usize,
) -> PyResult<LinearOptions> {
    Ok(LinearOptions {
        memory_budget,
        allow_lossy,
        bits: bits_of(bits)?,
        group,
    })
}

/// The native linear layer `y = x @ W.T (+ b)`; build it with
/// `Linear.load` or `Linear.from_weight` (the Python `fft_tensor.linalg.Linear`
/// wraps it). Inference only.
#[pyclass(module = "fft_tensor._native", frozen)]
pub struct Linear {
    inner: linalg::Linear,
}

#[pymethods]
impl Linear {
    /// The layer of tensor `weight` (and optional tensor `bias`) of a
    /// safetensors or `.fftt` file; see `fft_tensor.linalg.Linear.load`.
    #[staticmethod]
    #[pyo3(signature = (ctx, path, weight, bias = None, memory_budget = None, allow_lossy = false, bits = 8, group = 64))]
    #[allow(clippy::too_many_arguments)]
    fn load(
        py: Python<'_>,
        ctx: &Context,
        path: PathBuf,
        weight: &str,
        bias: Option<&str>,
        memory_budget: Option<u64>,
        allow_lossy: bool,
        bits: u32,
        group: usize,
    ) -> PyResult<Self> {
        let opts = options(memory_budget, allow_lossy, bits, group)?;
        let inner = py
            .detach(|| linalg::Linear::load(&ctx.inner, &path, weight, bias, opts))
            .py()?;
        Ok(Linear { inner })
    }

    /// The layer of float32 `w` (outputs x inputs) and optional `bias`.
    #[staticmethod]
    #[pyo3(signature = (ctx, w, bias = None, memory_budget = None, allow_lossy = false, bits = 8, group = 64))]
    #[allow(clippy::too_many_arguments)]
    fn from_weight(
        py: Python<'_>,
        ctx: &Context,
        w: &Bound<'_, PyAny>,
        bias: Option<&Bound<'_, PyAny>>,
        memory_budget: Option<u64>,
        allow_lossy: bool,
        bits: u32,
        group: usize,
    ) -> PyResult<Self> {
        let opts = options(memory_budget, allow_lossy, bits, group)?;
        let wi = Input::<f32>::expect(w, "Linear weight")?;
        let (outputs, inputs) = matrix(&wi.shape(), "Linear weight")?;
        let bi = optional(bias, "Linear bias")?;
        let wd = wi.data()?;
        let bd = bi.as_ref().map(Input::data).transpose()?;
        let inner = py
            .detach(|| {
                let bias = bd.map(<[f32]>::to_vec);
                linalg::Linear::from_weight(&ctx.inner, wd.to_vec(), outputs, inputs, bias, opts)
            })
            .py()?;
        Ok(Linear { inner })
    }

    /// How W is held: "dense", "quantized" or "streamed".
    #[getter]
    fn path(&self) -> &'static str {
        match self.inner.path() {
            LinearPath::Dense => "dense",
            LinearPath::Quantized => "quantized",
            LinearPath::Streamed => "streamed",
        }
    }

    /// `(outputs, inputs)`.
    #[getter]
    fn dims(&self) -> (usize, usize) {
        self.inner.dims()
    }

    /// `y` of shape `[..., outputs]` for float32 `x` of shape `[..., inputs]`.
    fn forward<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let xi = Input::<f32>::expect(x, "Linear x")?;
        let shape = xi.shape();
        let xd = xi.data()?;
        let (y, out) = py.detach(|| self.inner.forward(xd, &shape)).py()?;
        vec_to_numpy(py, &out, y)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(matmul, m)?)?;
    m.add_function(wrap_pyfunction!(matmul_quantized, m)?)?;
    m.add_class::<QuantizedWeight>()?;
    m.add_class::<Linear>()?;
    Ok(())
}
