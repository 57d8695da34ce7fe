//! `Context`: the backend (GPU or CPU) every call runs on.

use fft_tensor::{Backend, ContextOptions, DeviceChoice};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::IntoPy;

/// Where the work runs: a GPU device with its caches and memory pool, or
/// the CPU backend (rustfft). `Context(backend="auto", memory_budget=None)`;
/// `backend` is "auto" (a real GPU if there is one, else the CPU), "gpu"
/// (any adapter, software ones included; an error without one) or "cpu";
/// `None` reads the environment variable FFT_TENSOR_BACKEND.
///
/// Raises DeviceError when "gpu" finds no adapter, ValueError for an unknown
/// backend name.
#[pyclass(module = "fft_tensor._native", frozen)]
pub struct Context {
    pub inner: fft_tensor::Context,
}

#[pymethods]
impl Context {
    #[new]
    #[pyo3(signature = (backend = None, memory_budget = None))]
    fn new(py: Python<'_>, backend: Option<&str>, memory_budget: Option<u64>) -> PyResult<Self> {
        let choice = match backend.map(|b| b.trim().to_ascii_lowercase()) {
            None => DeviceChoice::from_env().py()?,
            Some(b) => match b.as_str() {
                "auto" => DeviceChoice::Auto,
                "gpu" => DeviceChoice::Gpu,
                "cpu" => DeviceChoice::Cpu,
                _ => {
                    return Err(PyValueError::new_err(format!(
                        "backend {b:?} is not one of \"auto\", \"gpu\", \"cpu\""
                    )))
                }
            },
        };
        let inner = py
            .detach(|| {
                fft_tensor::Context::with_options(ContextOptions {
                    choice,
                    memory_budget,
                    ..Default::default()
                })
            })
            .py()?;
        Ok(Context { inner })
    }

    /// "gpu" or "cpu": the backend this context ended up on.
    #[getter]
    fn backend(&self) -> &'static str {
        match self.inner.backend() {
            Backend::Gpu => "gpu",
            Backend::Cpu => "cpu",
        }
    }

    /// One line: adapter name, wgpu backend, device type and driver, or the
    /// CPU backend with its thread count.
    #[getter]
    fn device(&self) -> String {
        self.inner.description()
    }

    /// GPU memory accounting as a dict: current, peak, pooled (bytes),
    /// budget (bytes or None) and by_tag ({tag: {"current", "peak"}}).
    /// All zeros on the CPU backend.
    fn memory_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.memory_stats();
        let d = PyDict::new(py);
        d.set_item("current", s.current)?;
        d.set_item("peak", s.peak)?;
        d.set_item("pooled", s.pooled)?;
        d.set_item("budget", s.budget)?;
        let tags = PyDict::new(py);
        for (tag, u) in &s.by_tag {
            let t = PyDict::new(py);
            t.set_item("current", u.current)?;
            t.set_item("peak", u.peak)?;
            tags.set_item(*tag, t)?;
        }
        d.set_item("by_tag", tags)?;
        Ok(d)
    }

    /// Sets (bytes) or clears (None) the GPU memory budget; allocations
    /// beyond it raise DeviceError. No effect on the CPU backend.
    #[pyo3(signature = (budget))]
    fn set_memory_budget(&self, budget: Option<u64>) {
        self.inner.set_memory_budget(budget);
    }

    /// Resets the peak memory counters.
    fn reset_peak_memory(&self) {
        self.inner.reset_peak_memory();
    }

    /// Frees pooled GPU buffers that are not in use.
    fn trim_memory(&self) {
        self.inner.trim_memory();
    }

    fn __repr__(&self) -> String {
        format!(
            "Context(backend={:?}, device={:?})",
            self.backend(),
            self.device()
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Context>()
}
