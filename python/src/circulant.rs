//! Block-circulant weights: `p x q` blocks of `n x n` circulant matrices
//! stored as their first columns, multiplied through real FFTs, and the
//! circulant linear layer built on them (inference).

use fft_tensor::linalg::circulant;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::arrays::{vec_to_numpy, Input};
use crate::context::Context;
use crate::errors::IntoPy;

/// A block-circulant matrix of `outputs = p n` rows and `inputs = q n`
/// columns.
#[pyclass(module = "fft_tensor._native", frozen)]
pub struct BlockCirculant {
    inner: circulant::BlockCirculant,
}

#[pymethods]
impl BlockCirculant {
    /// From float32 first columns `[p, q, n]` (block `(i, j)`'s column is
    /// `columns[i, j]`).
    #[new]
    fn new(py: Python<'_>, columns: &Bound<'_, PyAny>) -> PyResult<Self> {
        let ci = Input::<f32>::expect(columns, "BlockCirculant columns")?;
        let (p, q, n) = match ci.shape().as_slice() {
            [p, q, n] => (*p, *q, *n),
            other => {
                return Err(PyValueError::new_err(format!(
                    "BlockCirculant columns must be [p, q, n], got shape {other:?}"
                )))
            }
        };
        let cd = ci.data()?;
        let inner = py
            .detach(|| circulant::BlockCirculant::new(p, q, n, cd.to_vec()))
            .py()?;
        Ok(BlockCirculant { inner })
    }

    /// `(p, q, n)`.
    #[getter]
    fn blocks(&self) -> (usize, usize, usize) {
        self.inner.blocks()
    }

    /// `(outputs, inputs)`.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.inner.outputs(), self.inner.inputs())
    }

    /// Bytes of the stored columns.
    #[getter]
    fn nbytes(&self) -> u64 {
        self.inner.bytes()
    }

    /// The dense float32 matrix `[outputs, inputs]`.
    fn to_dense<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shape = [self.inner.outputs(), self.inner.inputs()];
        vec_to_numpy(py, &shape, self.inner.to_dense())
    }

    /// `x @ W.T (+ bias)` for float32 `x` `[..., inputs]`: `[..., outputs]`.
    #[pyo3(signature = (ctx, x, bias = None))]
    fn matmul<'py>(
        &self,
        py: Python<'py>,
        ctx: &Context,
        x: &Bound<'py, PyAny>,
        bias: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bi = bias
            .map(|b| Input::<f32>::expect(b, "circulant bias"))
            .transpose()?;
        let xi = Input::<f32>::expect(x, "circulant x")?;
        let shape = xi.shape();
        let inputs = self.inner.inputs();
        let lead = match shape.split_last() {
            Some((&last, lead)) if last == inputs => lead.to_vec(),
            _ => {
                return Err(PyValueError::new_err(format!(
                    "circulant x must be [..., {inputs}], got shape {shape:?}"
                )))
            }
        };
        let (xd, bd) = (xi.data()?, bi.as_ref().map(Input::data).transpose()?);
        let batch = lead.iter().product();
        let y = py
            .detach(|| ctx.inner.circulant_matmul(xd, &self.inner, bd, batch))
            .py()?;
        let mut out = lead;
        out.push(self.inner.outputs());
        vec_to_numpy(py, &out, y)
    }

    fn __repr__(&self) -> String {
        let (p, q, n) = self.inner.blocks();
        format!(
            "BlockCirculant(blocks=({p}, {q}), n={n}, shape=({}, {}))",
            p * n,
            q * n
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BlockCirculant>()
}
