//! # fft-tensor
//!
//! Portable GPU spectral computing: hand-written WGSL compute kernels run
//! through wgpu (Vulkan first, also Metal and DX12), each with a CPU twin
//! built on rustfft that is both the conformance reference and the fast path
//! on machines without a real GPU.
//!
//! * [`Context`] picks the backend (see [`DeviceChoice`]; the environment
//!   variable `FFT_TENSOR_BACKEND=auto|gpu|cpu` overrides), owns or borrows
//!   the wgpu device, caches pipelines and plans, and tracks GPU memory
//!   against an optional budget.
//! * [`FftPlan`]: batched complex FFTs of any length 1..=2^24 on the GPU
//!   (mixed radix 2/3/4/5/7/8, Bluestein for other prime factors; any length
//!   on the CPU backend), on host slices or GPU-resident [`GpuTensor`]s.
//! * [`fft::numpy`]: the functions of `numpy.fft` with numpy's arguments
//!   (`n`/`s` crop or zero-pad, negative axes, all axes by default, inferred
//!   `irfft` length, out of place) in f32 (the context's backend) and f64
//!   (the CPU twin), beside [`fftfreq`], [`rfftfreq`], [`fftshift`] and
//!   [`ifftshift`]; [`Normalization`] is named as numpy's `norm`.
//! * [`topk`]: exact top-k selection by magnitude (radix select and
//!   compaction kernels), ties broken by position, so GPU and CPU keep the
//!   same entries.
//! * [`store`]: compressed checkpoints (`.fftt`): per-tensor codecs chosen
//!   by measured error, safetensors in and out, validated reading.
//!
//! * [`layers`]: frequency-domain layers (inference): FFT and direct
//!   convolution, FNet and global-filter mixing, softmax attention, layer
//!   norm, GELU, complex embeddings, rotary positions, encoder blocks.
//! * [`linalg`]: `Y = X W^T (+ bias)` on the GPU (tiled WGSL) and the CPU
//!   (`matrixmultiply`), with a record form for chained GPU work.
//! * [`backend::Recording`]: GPU work of several operations recorded
//!   together and submitted once (one wait, only the results read back).
//!
//! ## Naming
//! * Host forms take and return host data and run on the context's
//!   backend: `fft`/`FftPlan::process` transform a `&mut` slice or tensor
//!   **in place**; `rfftn`, `irfftn`, `top_k_*`, `compress` **return** a new
//!   value (their output has another shape or type).
//! * `*_gpu` forms take and return GPU-resident [`GpuTensor`]s (inputs are
//!   left unchanged) and need a GPU context ([`Error::NoGpu`] otherwise);
//!   each is one submission with one wait.
//! * `record_*` forms append the same work to a [`backend::Recording`]
//!   over [`backend::BufferSlice`]s, so a chain of operations is submitted
//!   once; the one-shot forms above are thin wrappers over them.
//!
//! Accuracy: RMS relative error against an f64 FFT is below 1e-6 for every
//! power of two up to 2^20 and below 2e-6 up to 2^24, on both paths, and
//! below 2e-6 for any length up to 2^20 on the GPU (see the README for
//! measured values).
//!
//! ```no_run
//! use fft_tensor::{Context, FftDirection, Normalization};
//! use fft_tensor::num_complex::Complex32;
//!
//! let ctx = Context::from_env()?; // GPU if there is a real one, else the CPU
//! let mut rows = vec![Complex32::new(0.0, 0.0); 64 * 4096];
//! rows[0] = Complex32::new(1.0, 0.0);
//! ctx.fft(&mut rows, 4096, FftDirection::Forward, Normalization::Backward)?;
//! assert!((rows[17].re - 1.0).abs() < 1e-6); // an impulse has a flat spectrum
//! # Ok::<(), fft_tensor::Error>(())
//! ```

#![warn(missing_docs)]

pub mod backend;
pub mod dct;
pub mod error;
pub mod fft;
pub mod layers;
pub mod linalg;
mod shaders;
pub mod sparse;
pub mod spectral;
pub mod store;
pub mod tensor;
#[doc(hidden)]
pub mod testing;
pub mod topk;
#[cfg(feature = "vkfft")]
pub mod vkfft;

pub use backend::{Backend, Context, ContextOptions, DeviceChoice, MemoryStats};
pub use error::{Error, Result};
pub use fft::freq::{fftfreq, fftshift, ifftshift, rfftfreq};
pub use fft::numpy::FftFloat;
pub use fft::{FftDirection, FftPlan, Normalization};
#[allow(deprecated)]
pub use tensor::DType;
pub use tensor::{GpuElement, GpuTensor, Tensor};
pub use topk::{GpuTopK, TopK, TopKOptions, TopKThreshold};

/// The wgpu version this crate is built on, for [`Context::from_wgpu`] and
/// [`ContextOptions::backends`].
pub use wgpu;

/// Complex number types (re-exported from `num-complex`).
pub use rustfft::num_complex;

/// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
