//! Exact top-k by magnitude (ties to the lowest positions) on the
//! context's backend.

use fft_tensor::num_complex::Complex32;
use fft_tensor::TopK;
use numpy::Element;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::arrays::{vec_to_numpy, Input};
use crate::context::Context;
use crate::errors::IntoPy;

type Pair<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>);

fn pair<T: Element>(py: Python<'_>, t: TopK<T>) -> PyResult<Pair<'_>> {
    let n = t.positions.len();
    Ok((
        vec_to_numpy(py, &[n], t.positions)?,
        vec_to_numpy(py, &[n], t.values)?,
    ))
}

/// The `k` entries of largest magnitude of a float32 or complex64 array
/// (flattened): `(positions, values)`, positions (uint32) ascending, values
/// bit for bit as in the input.
#[pyfunction]
#[pyo3(signature = (ctx, x, k))]
fn top_k<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    k: usize,
) -> PyResult<Pair<'py>> {
    if let Some(input) = Input::<f32>::of(x) {
        let data = input.data()?;
        return pair(py, py.detach(|| ctx.inner.top_k_f32(data, k)).py()?);
    }
    if let Some(input) = Input::<Complex32>::of(x) {
        let data = input.data()?;
        return pair(py, py.detach(|| ctx.inner.top_k_complex(data, k)).py()?);
    }
    Err(PyTypeError::new_err(
        "top_k: expected a numpy array of float32 or complex64",
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(top_k, m)?)
}
