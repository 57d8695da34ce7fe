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

    /// A file is not a valid container or safetensors file: damaged,
    /// truncated or written by something else.
    #[error("{path}: {}at byte {offset}: {detail}", tensor.as_deref().map(|t| format!("tensor `{t}` ")).unwrap_or_default())]
    Format {
        /// The file.
        path: String,
        /// The tensor concerned, when the damage lies in one.
        tensor: Option<String>,
        /// Byte offset in the file where the problem was found.
        offset: u64,
        /// What is wrong.
        detail: String,
    },

    /// A container written by a newer (or unknown) version of the format.
    #[error(
        "{path}: format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// The file.
        path: String,
        /// The version in the file.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },

    /// A tensor is stored with a codec this build does not know.
    #[error("{path}: tensor `{tensor}` uses unknown codec id {id} (header byte {offset}); a newer fft-tensor may read it")]
    UnknownCodec {
        /// The file.
        path: String,
        /// The tensor.
        tensor: String,
        /// The codec id found.
        id: u8,
        /// Byte offset of the codec id in the file.
        offset: u64,
    },

    /// Stored bytes do not match their CRC32: the file was damaged.
    #[error("{path}: {what} at bytes {offset}..{end} is damaged: CRC32 {found:#010x}, expected {expected:#010x}")]
    Checksum {
        /// The file.
        path: String,
        /// What was checked: `header`, `tensor table` or `tensor `name``.
        what: String,
        /// First byte covered.
        offset: u64,
        /// One past the last byte covered.
        end: u64,
        /// The CRC32 recorded in the file.
        expected: u32,
        /// The CRC32 of the bytes found.
        found: u32,
    },

    /// A tensor holds NaN or infinity and the caller did not allow it.
    #[error("tensor `{tensor}` holds {value} at element {index}; pass --allow-nonfinite to store it raw")]
    NonFinite {
        /// The tensor.
        tensor: String,
        /// Row-major index of the first non-finite element.
        index: u64,
        /// The value found (`NaN`, `inf` or `-inf`).
        value: f32,
    },

    /// A codec cannot represent a tensor (range, size or type).
    #[error("codec `{codec}` cannot encode this tensor: {detail}")]
    CodecUnsupported {
        /// The codec.
        codec: &'static str,
        /// Why.
        detail: String,
    },

    /// An operating-system I/O error on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },

    /// The GPU reported an error (validation, out of memory, device loss).
    #[error("GPU error during {during}: {source}")]
    Gpu {
        /// What the crate was doing.
        during: &'static str,
        /// wgpu's error (or the driver's message).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// A CPU DCT along tensor axes was refused (shape, axes); the source
    /// carries the numbers.
    #[error("DCT: {0}")]
    Dct(#[from] crate::dct::cpu::DctError),

    /// Sparse positions could not be encoded or decoded; the source carries
    /// the index, bit offset or count concerned.
    #[error("sparse positions: {0}")]
    Positions(#[from] crate::sparse::positions::PositionsError),

    /// A GPU-only operation was called on a context without a GPU.
    #[error("{op} needs a GPU context; this context runs on the CPU backend")]
    NoGpu {
        /// The operation.
        op: &'static str,
    },

    /// An input file became shorter while it was being read (another
    /// process truncated or rewrote it).
    #[error("{path}: file shrank while reading: expected {expected} bytes at offset {offset}, the file now has {len} bytes")]
    FileShrank {
        /// The file.
        path: String,
        /// Offset of the read.
        offset: u64,
        /// Bytes the read needed.
        expected: u64,
        /// The file's length found after the short read.
        len: u64,
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

    /// Whether the error comes from the device or its budget (device lost,
    /// validation, out of memory, budget, missing GPU, kernel build) rather
    /// than from the data or the arguments: such errors must reach the
    /// caller instead of making a codec or an algorithm "not applicable".
    pub fn is_device_failure(&self) -> bool {
        matches!(
            self,
            Error::Gpu { .. }
                | Error::NoGpu { .. }
                | Error::BudgetExceeded { .. }
                | Error::DeviceRequest { .. }
                | Error::ShaderCompile { .. }
                | Error::WorkgroupMemory { .. }
        )
    }

    /// A GPU error with a message (or any error) as its source.
    pub(crate) fn gpu(
        during: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Error::Gpu {
            during,
            source: source.into(),
        }
    }

    pub(crate) fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
