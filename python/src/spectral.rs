//! Sparse spectral compression: a tensor kept as its largest DCT-II or
//! real-FFT coefficients, with the stored form's bytes.

use fft_tensor::spectral::{
    CompressOptions, Keep, SparseSpectral as Sparse, StoredPrecision, Transform,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::arrays::{tensor, to_numpy, vec_to_numpy, Input};
use crate::context::Context;
use crate::errors::IntoPy;

/// A tensor stored as its largest spectral coefficients (see
/// `fft_tensor.compress`). Immutable.
#[pyclass(module = "fft_tensor._native", name = "SparseSpectral", frozen)]
pub struct SparseSpectral {
    inner: Sparse,
}

#[pymethods]
impl SparseSpectral {
    /// Shape of the original tensor.
    #[getter]
    fn shape(&self) -> Vec<usize> {
        self.inner.shape().to_vec()
    }

    /// "dct" or "rfft".
    #[getter]
    fn transform(&self) -> &'static str {
        match self.inner.transform() {
            Transform::Dct => "dct",
            _ => "rfft",
        }
    }

    /// "f16" or "f32": how kept values are stored.
    #[getter]
    fn value_type(&self) -> &'static str {
        match self.inner.value_type() {
            StoredPrecision::F32 => "f32",
            _ => "f16",
        }
    }

    /// Number of kept coefficients.
    #[getter]
    fn kept(&self) -> usize {
        self.inner.kept()
    }

    /// Number of coefficients of the full transform.
    #[getter]
    fn coefficients(&self) -> usize {
        self.inner.coefficients()
    }

    /// Kept positions (flat indices into the coefficient tensor), uint64, ascending.
    #[getter]
    fn positions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.inner.positions().to_vec();
        vec_to_numpy(py, &[p.len()], p)
    }

    /// Kept values as stored, float32 (real and imaginary parts interleaved for "rfft").
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.inner.values().to_vec();
        vec_to_numpy(py, &[v.len()], v)
    }

    /// Relative Frobenius error predicted at compression; None after from_bytes.
    #[getter]
    fn predicted_error(&self) -> Option<f64> {
        self.inner.predicted_error()
    }

    /// float32 bytes of the original over serialized bytes.
    #[getter]
    fn ratio(&self) -> f64 {
        self.inner.ratio()
    }

    /// Length of `to_bytes()`.
    fn __len__(&self) -> usize {
        self.inner.serialized_len()
    }

    /// The serialized form (every byte counted by `ratio`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Reads the serialized form; raises CorruptFileError for damaged bytes.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let inner = py.detach(|| Sparse::from_bytes(data)).py()?;
        Ok(SparseSpectral { inner })
    }

    /// Rebuilds the dense float32 tensor on `ctx`'s backend.
    fn decompress<'py>(&self, py: Python<'py>, ctx: &Context) -> PyResult<Bound<'py, PyAny>> {
        let t = py.detach(|| ctx.inner.decompress(&self.inner)).py()?;
        to_numpy(py, t)
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> String {
        format!(
            "SparseSpectral(shape={:?}, transform={:?}, kept={} of {}, ratio={:.3})",
            self.inner.shape(),
            self.transform(),
            self.inner.kept(),
            self.inner.coefficients(),
            self.inner.ratio()
        )
    }
}

/// Compresses a float32 array. Exactly one of `max_error`, `fraction`,
/// `count`, `ratio` says how much to keep.
#[pyfunction]
#[pyo3(signature = (ctx, x, transform, value_type, max_error, fraction, count, ratio))]
#[allow(clippy::too_many_arguments)]
fn compress(
    py: Python<'_>,
    ctx: &Context,
    x: &Bound<'_, PyAny>,
    transform: &str,
    value_type: &str,
    max_error: Option<f64>,
    fraction: Option<f64>,
    count: Option<usize>,
    ratio: Option<f64>,
) -> PyResult<SparseSpectral> {
    let transform = match transform {
        "dct" => Transform::Dct,
        "rfft" => Transform::Rfft,
        _ => {
            return Err(PyValueError::new_err(format!(
                "transform {transform:?} is not \"dct\" or \"rfft\""
            )))
        }
    };
    let value_type = match value_type {
        "f16" => StoredPrecision::F16,
        "f32" => StoredPrecision::F32,
        _ => {
            return Err(PyValueError::new_err(format!(
                "value_type {value_type:?} is not \"f16\" or \"f32\""
            )))
        }
    };
    let keep = match (max_error, fraction, count, ratio) {
        (Some(e), None, None, None) => Keep::RelativeError(e),
        (None, Some(f), None, None) => Keep::Fraction(f),
        (None, None, Some(c), None) => Keep::Count(c),
        (None, None, None, Some(r)) => Keep::Ratio(r),
        _ => {
            return Err(PyValueError::new_err(
                "give exactly one of max_error, fraction, count, ratio",
            ))
        }
    };
    let input = Input::<f32>::expect(x, "compress")?;
    let (shape, data) = (input.shape(), input.data()?);
    let options = CompressOptions {
        transform,
        value_type,
        keep,
    };
    let inner = py
        .detach(|| ctx.inner.compress_owned(tensor(&shape, data)?, &options))
        .py()?;
    Ok(SparseSpectral { inner })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SparseSpectral>()?;
    m.add_function(wrap_pyfunction!(compress, m)?)
}
