//! The library's [`Error`] as Python exceptions: `ValueError` for shapes and
//! arguments, `OSError` for files, `CorruptFileError` for damaged or foreign
//! files and `DeviceError` for the GPU; both derive from `FftTensorError`.
//! The exception carries the library's message.

use fft_tensor::Error;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    _native,
    FftTensorError,
    PyException,
    "Base class of the errors specific to fft_tensor."
);
pyo3::create_exception!(
    _native,
    CorruptFileError,
    FftTensorError,
    "A file is damaged, truncated, of a newer format version or not a checkpoint at all."
);
pyo3::create_exception!(
    _native,
    DeviceError,
    FftTensorError,
    "The GPU failed or is missing: no adapter, device loss, budget, device limits, kernel build."
);

/// The Python exception for a library error.
pub fn to_py(e: Error) -> PyErr {
    let message = e.to_string();
    match e {
        Error::Io { source, .. } => match source.raw_os_error() {
            Some(errno) => PyOSError::new_err((errno, message)),
            None => PyOSError::new_err(message),
        },
        Error::Corrupt { .. }
        | Error::Format { .. }
        | Error::UnsupportedVersion { .. }
        | Error::UnknownCodec { .. }
        | Error::Checksum { .. }
        | Error::Positions(_)
        | Error::FileShrank { .. } => CorruptFileError::new_err(message),
        Error::NoAdapter { .. }
        | Error::DeviceRequest { .. }
        | Error::ShaderCompile { .. }
        | Error::WorkgroupMemory { .. }
        | Error::DeviceLimit { .. }
        | Error::BudgetExceeded { .. }
        | Error::Gpu { .. }
        | Error::NoGpu { .. } => DeviceError::new_err(message),
        // Shapes, arguments, lengths, values, codecs, the backend variable.
        _ => PyValueError::new_err(message),
    }
}

/// `Result` of the library as a `PyResult`.
pub trait IntoPy<T> {
    /// Converts the error with [`to_py`].
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for fft_tensor::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("FftTensorError", py.get_type::<FftTensorError>())?;
    m.add("CorruptFileError", py.get_type::<CorruptFileError>())?;
    m.add("DeviceError", py.get_type::<DeviceError>())?;
    Ok(())
}
