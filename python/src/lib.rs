//! The native half of the `fft_tensor` Python package (`fft_tensor._native`).
//!
//! Each file binds one capability of the library and registers its
//! functions and classes through its own `register`; adding a capability is
//! one new file and one line below. The Python half (`fft_tensor/*.py`)
//! gives the functions numpy's and scipy's signatures, dtype rules and
//! PyTorch support; the functions here take C-contiguous numpy arrays of
//! the exact element type and a `Context` first.
//!
//! Every function releases the GIL while the library works.

mod arrays;
mod bench;
mod circulant;
mod context;
mod dct;
mod encoders;
mod errors;
mod fft;
mod layers;
mod linalg;
mod spectral;
mod store;
mod topk;

use pyo3::prelude::*;

/// The compiled module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    context::register(m)?;
    fft::register(m)?;
    dct::register(m)?;
    topk::register(m)?;
    spectral::register(m)?;
    store::register(m)?;
    linalg::register(m)?;
    layers::register(m)?;
    encoders::register(m)?;
    circulant::register(m)?;
    bench::register(m)?;
    Ok(())
}
