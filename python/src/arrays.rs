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
use rayon::prelude::*;

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

/// Elements per thread's share of a parallel copy.
const COPY_CHUNK: usize = 1 << 18;

/// Copies `data` of `shape` into a library tensor (call without the GIL).
/// Large inputs are copied on all cores: the copy (and the first touch of
/// the new pages) is most of what the Python layer adds to a call.
pub fn tensor<T: Copy + Send + Sync>(shape: &[usize], data: &[T]) -> fft_tensor::Result<Tensor<T>> {
    if data.len() <= COPY_CHUNK {
        return Tensor::new(shape, data.to_vec());
    }
    let mut v: Vec<T> = Vec::with_capacity(data.len());
    huge_pages(v.spare_capacity_mut());
    v.spare_capacity_mut()
        .par_chunks_mut(COPY_CHUNK)
        .zip(data.par_chunks(COPY_CHUNK))
        .for_each(|(dst, src)| {
            for (d, s) in dst.iter_mut().zip(src) {
                d.write(*s);
            }
        });
    // SAFETY: every one of the `data.len()` elements was written above.
    unsafe { v.set_len(data.len()) };
    Tensor::new(shape, v)
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

/// Asks Linux for transparent huge pages on a large new buffer: touching
/// fresh 4 KiB pages one fault at a time costs as much as the copy itself.
/// Advice only; ignored where it does not apply.
fn huge_pages<T>(buf: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        extern "C" {
            fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
        }
        const MADV_HUGEPAGE: i32 = 14;
        const HUGE: usize = 2 << 20;
        let start = buf.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(buf);
        let (first, last) = (start.div_ceil(HUGE) * HUGE, end / HUGE * HUGE);
        if last > first {
            // SAFETY: the range lies inside `buf`, which this function
            // borrows mutably; madvise only changes how pages are backed.
            unsafe { madvise(first as *mut std::ffi::c_void, last - first, MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}
