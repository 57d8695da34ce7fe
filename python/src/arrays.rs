//! numpy arrays in and out: contiguous input read in place (one copy into
//! the library's tensor, made without the GIL), results moved into numpy
//! without a copy.

use fft_tensor::Tensor;
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{
    Element, IntoPyArray, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// A borrowed C-contiguous input array of element type `T`.
pub struct Input<'py, T: Element> {
    array: PyReadonlyArrayDyn<'py, T>,
}

impl<'py, T: Element> Input<'py, T> {
    /// `None` when `a` is not an array of `T`.
    pub fn of(a: &Bound<'py, PyAny>) -> Option<Self> {
        let array = a.cast::<PyArrayDyn<T>>().ok()?;
        Some(Input {
            array: array.readonly(),
        })
    }

    /// Like [`Input::of`], with a TypeError naming `what` otherwise.
    pub fn expect(a: &Bound<'py, PyAny>, what: &str) -> PyResult<Self> {
        Self::of(a).ok_or_else(|| {
            PyTypeError::new_err(format!(
                "{what}: expected a numpy array of {}",
                std::any::type_name::<T>()
            ))
        })
    }

    pub fn shape(&self) -> Vec<usize> {
        self.array.shape().to_vec()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> PyResult<&[T]> {
        self.array
            .as_slice()
            .map_err(|_| PyValueError::new_err("the array must be C-contiguous"))
    }
}

/// Copies `data` of `shape` into a library tensor (call without the GIL).
pub fn tensor<T: Clone>(shape: &[usize], data: &[T]) -> fft_tensor::Result<Tensor<T>> {
    Tensor::new(shape, data.to_vec())
}

/// Moves a tensor into a numpy array of its shape (no copy).
pub fn to_numpy<'py, T: Element>(py: Python<'py>, t: Tensor<T>) -> PyResult<Bound<'py, PyAny>> {
    let shape = t.shape().to_vec();
    vec_to_numpy(py, &shape, t.into_data())
}

/// Moves a vector into a numpy array of `shape` (no copy).
pub fn vec_to_numpy<'py, T: Element>(
    py: Python<'py>,
    shape: &[usize],
    data: Vec<T>,
) -> PyResult<Bound<'py, PyAny>> {
    let array = ArrayD::from_shape_vec(IxDyn(shape), data)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(array.into_pyarray(py).into_any())
}
