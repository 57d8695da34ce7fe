//! Spectral token mixing and encoder blocks (inference): the global filter,
//! complex embeddings, and FNet / BERT encoder layers loaded from a
//! safetensors file or a `.fftt` container by Hugging Face names.

use std::path::PathBuf;

use fft_tensor::layers::blocks;
use fft_tensor::layers::embedding::ComplexEmbedding;
use fft_tensor::layers::mixing::GlobalFilter;
use fft_tensor::num_complex::Complex32;
use fft_tensor::store::AnyFile;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::arrays::{tensor, to_numpy, Input};
use crate::context::Context;
use crate::errors::IntoPy;
use crate::linalg::matrix;

/// `irfft(rfft(x) * w)` along the sequence of float32 `x` `[batch, seq,
/// hidden]`, `w` complex64 `[seq / 2 + 1, hidden]`.
#[pyfunction]
fn global_filter<'py>(
    py: Python<'py>,
    ctx: &Context,
    x: &Bound<'py, PyAny>,
    w: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let xi = Input::<f32>::expect(x, "global_filter x")?;
    let wi = Input::<Complex32>::expect(w, "global_filter w")?;
    let shape = xi.shape();
    let (_, hidden) = matrix(&wi.shape(), "global_filter w")?;
    let seq = match shape.as_slice() {
        [_, s, _] => *s,
        _ => {
            return Err(PyValueError::new_err(format!(
                "global_filter: x must be [batch, seq, hidden], got shape {shape:?}"
            )))
        }
    };
    let (xd, wd) = (xi.data()?, wi.data()?);
    let y = py
        .detach(|| {
            let filter = GlobalFilter::new(hidden).with_length(seq, wd.to_vec())?;
            ctx.inner.global_filter(&tensor(&shape, xd)?, &filter)
        })
        .py()?;
    to_numpy(py, y)
}

/// Rows `ids` (uint32) of the complex64 table `[vocab, dim]`: complex64
/// `[len(ids), dim]`.
#[pyfunction]
fn embed<'py>(
    py: Python<'py>,
    ctx: &Context,
    table: &Bound<'py, PyAny>,
    ids: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let ti = Input::<Complex32>::expect(table, "embed table")?;
    let ii = Input::<u32>::expect(ids, "embed ids")?;
    let (vocab, dim) = matrix(&ti.shape(), "embed table")?;
    let (td, id) = (ti.data()?, ii.data()?);
    let y = py
        .detach(|| {
            let table = ComplexEmbedding::new(vocab, dim, td.to_vec())?;
            ctx.inner.embed(&table, id)
        })
        .py()?;
    to_numpy(py, y)
}

/// `load` run on the safetensors or `.fftt` file at `path`, without the GIL.
fn from_file<T: Send>(
    py: Python<'_>,
    path: PathBuf,
    load: impl FnOnce(&AnyFile) -> fft_tensor::Result<T> + Send,
) -> PyResult<T> {
    py.detach(|| load(&AnyFile::open(&path)?)).py()
}

/// An FNet encoder layer's weights (inference).
#[pyclass(module = "fft_tensor._native", frozen)]
pub struct FnetBlock {
    inner: blocks::FnetBlock,
}

#[pymethods]
impl FnetBlock {
    /// The layer after `prefix` in a safetensors or `.fftt` file.
    #[staticmethod]
    #[pyo3(signature = (path, prefix, hidden, intermediate, eps))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        prefix: &str,
        hidden: usize,
        intermediate: usize,
        eps: f32,
    ) -> PyResult<Self> {
        let inner = from_file(py, path, |file| {
            blocks::FnetBlock::load(file, prefix, hidden, intermediate, eps)
        })?;
        Ok(FnetBlock { inner })
    }

    /// `(hidden, intermediate)`.
    #[getter]
    fn dims(&self) -> (usize, usize) {
        let d = &self.inner.ff.intermediate;
        (d.inputs, d.outputs)
    }

    /// The layer on float32 `x` `[batch, seq, hidden]`.
    fn forward<'py>(
        &self,
        py: Python<'py>,
        ctx: &Context,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let xi = Input::<f32>::expect(x, "FnetBlock x")?;
        let (shape, xd) = (xi.shape(), xi.data()?);
        let y = py
            .detach(|| ctx.inner.fnet_block(&self.inner, &tensor(&shape, xd)?))
            .py()?;
        to_numpy(py, y)
    }
}

/// A BERT encoder layer's weights (inference).
#[pyclass(module = "fft_tensor._native", frozen)]
pub struct AttentionBlock {
    inner: blocks::AttentionBlock,
}

#[pymethods]
impl AttentionBlock {
    /// The layer after `prefix` in a safetensors or `.fftt` file.
    #[staticmethod]
    #[pyo3(signature = (path, prefix, hidden, intermediate, heads, eps))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        prefix: &str,
        hidden: usize,
        intermediate: usize,
        heads: usize,
        eps: f32,
    ) -> PyResult<Self> {
        let inner = from_file(py, path, |file| {
            blocks::AttentionBlock::load(file, prefix, hidden, intermediate, heads, eps)
        })?;
        Ok(AttentionBlock { inner })
    }

    /// `(hidden, intermediate, heads)`.
    #[getter]
    fn dims(&self) -> (usize, usize, usize) {
        let d = &self.inner.ff.intermediate;
        (d.inputs, d.outputs, self.inner.heads)
    }

    /// The layer on float32 `x` `[batch, seq, hidden]`; `key_mask` bool
    /// `[batch, seq]` (false for padding).
    #[pyo3(signature = (ctx, x, key_mask = None))]
    fn forward<'py>(
        &self,
        py: Python<'py>,
        ctx: &Context,
        x: &Bound<'py, PyAny>,
        key_mask: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let xi = Input::<f32>::expect(x, "AttentionBlock x")?;
        let mi = key_mask
            .map(|m| Input::<bool>::expect(m, "AttentionBlock key_mask"))
            .transpose()?;
        let (shape, xd) = (xi.shape(), xi.data()?);
        let md = mi.as_ref().map(Input::data).transpose()?;
        let y = py
            .detach(|| {
                ctx.inner
                    .attention_block(&self.inner, &tensor(&shape, xd)?, md)
            })
            .py()?;
        to_numpy(py, y)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(global_filter, m)?)?;
    m.add_function(wrap_pyfunction!(embed, m)?)?;
    m.add_class::<FnetBlock>()?;
    m.add_class::<AttentionBlock>()?;
    Ok(())
}
