//! The crate's one error type.
//!
//! Every variant carries the numbers a caller needs to react: what was
//! requested, what the limit is, and where.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `fft-tensor`.
///
/// The enum is `#[non_exhaustive]`: match the variants you handle and keep a
/// catch-all arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `FFT_TENSOR_BACKEND=gpu` (or [`crate::DeviceChoice::Gpu`]) was asked for
    /// but no wgpu adapter exists on this machine.
    ///
    /// Install a Vulkan driver (on a machine without a GPU, Debian's
    /// `mesa-vulkan-drivers` provides lavapipe) or choose the CPU backend.
    #[error("no GPU adapter found ({detail}); install a Vulkan driver (e.g. mesa-vulkan-drivers) or use the CPU backend")]
    NoAdapter {
        /// What was searched and why nothing was accepted.
        detail: String,
    },

    /// The adapter refused to create a device.
    #[error("adapter `{adapter}` could not create a device: {detail}")]
    DeviceRequest {
        /// Adapter name as reported by the driver.
        adapter: String,
        /// The driver's message.
        detail: String,
    },

    /// The environment variable `FFT_TENSOR_BACKEND` held an unknown value.
    #[error("FFT_TENSOR_BACKEND={value:?} is not one of auto, gpu, cpu")]
    BadBackendVariable {
        /// The value found.
        value: String,
    },

    /// A WGSL kernel failed to parse, validate or build into a pipeline.
    #[error("shader `{kernel}` failed to compile: {detail}")]
    ShaderCompile {
        /// Kernel file name.
        kernel: &'static str,
        /// The compiler's message (with source spans where available).
        detail: String,
    },

    /// A kernel needs more workgroup (shared) memory than the device offers.
    #[error("kernel `{kernel}` needs {requested} bytes of workgroup memory, device allows {max}")]
    WorkgroupMemory {
        /// Kernel file name.
        kernel: &'static str,
        /// Bytes the kernel declares after specialisation.
        requested: u64,
        /// The device's `max_compute_workgroup_storage_size`.
        max: u64,
    },

    /// A buffer or binding is larger than the device allows.
    #[error("{what}: {requested} bytes requested, device maximum is {max} bytes")]
    DeviceLimit {
        /// Which limit (buffer size, storage binding size, ...).
        what: &'static str,
        /// Bytes asked for.
        requested: u64,
        /// The device's limit.
        max: u64,
    },

    /// An allocation would take the tracked GPU memory over the context's budget.
    #[error("GPU memory budget exceeded allocating {requested} bytes for `{tag}`: {in_use} bytes in use, budget {budget}")]
    BudgetExceeded {
        /// Purpose tag of the allocation.
        tag: &'static str,
        /// Bytes asked for.
        requested: u64,
        /// Bytes already allocated by this context.
        in_use: u64,
        /// The budget set on the context.
        budget: u64,
    },

    /// A transform length this build or device cannot handle.
    #[error("unsupported transform length {len}: {reason}")]
    UnsupportedLength {
        /// The length asked for.
        len: usize,
        /// Why it is not supported.
        reason: String,
    },

    /// Input sizes do not agree with what the operation expects.
    #[error("shape mismatch in {context}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// The operation or argument concerned.
        context: &'static str,
        /// What was expected (element counts or a shape).
        expected: String,
        /// What was given.
        found: String,
    },

    /// An argument out of its valid range.
    #[error("invalid argument `{name}`: {detail}")]
    InvalidArgument {
        /// Argument name.
        name: &'static str,
        /// What is wrong with it.
        detail: String,
    },

    /// Serialized bytes that cannot be what they claim to be.
    #[error("corrupt {what} at byte {offset}: {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Byte offset of the problem.
        offset: u64,
        /// What is wrong.
        detail: String,
    },

    /// The GPU reported an error (validation, out of memory, device loss).
    #[error("GPU error during {during}: {detail}")]
    Gpu {
        /// What the crate was doing.
        during: &'static str,
        /// wgpu's message.
        detail: String,
    },
}

impl Error {
    pub(crate) fn shape(
        context: &'static str,
        expected: impl fmt::Display,
        found: impl fmt::Display,
    ) -> Self {
        Error::ShapeMismatch {
            context,
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    pub(crate) fn invalid(name: &'static str, detail: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name,
            detail: detail.into(),
        }
    }
}
