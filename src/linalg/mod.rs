//! Linear algebra on weights: `Y = X W^T (+ bias)` on the GPU (WGSL,
//! workgroup-tiled) and the CPU (the `matrixmultiply` crate), with a record
//! form so other GPU work can chain the product into one submission.
//!
//! * [`dense`]: f32 weights ([`Context::matmul`](crate::Context::matmul),
//!   [`Context::record_matmul`](crate::Context::record_matmul),
//!   [`matmul_cpu`]).
//! * [`quantized`]: INT8/INT4 weights with f16 group scales, kept as the
//!   store's codecs keep them and dequantised inside the kernel
//!   ([`Context::matmul_quantized`](crate::Context::matmul_quantized),
//!   [`Context::record_matmul_quantized`](crate::Context::record_matmul_quantized)).
//!
//! * [`streamed`]: W compressed in host memory as row blocks, decoded block
//!   by block into a double-buffered scratch
//!   ([`Context::matmul_streamed`](crate::Context::matmul_streamed)).
//! * [`circulant`]: circulant and block-circulant W through the FFT
//!   ([`Context::circulant_matmul`](crate::Context::circulant_matmul),
//!   [`CirculantLinear`]).
//! * [`spectral`]: `y = W x` from W's sparse 2-D DCT spectrum without
//!   building W ([`Context::spectral_matmul`](crate::Context::spectral_matmul)).
//! * [`linear`]: [`Linear`], a layer loaded from a safetensors or `.fftt`
//!   file by name, holding W dense, quantised or streamed by a budget.
//!
//! Shapes follow the usual linear-layer convention: `X` is `batch x inputs`
//! (`B x N`), `W` is `outputs x inputs` (`M x N`), both row-major, and `Y`
//! is `batch x outputs` (`B x M`).

pub mod circulant;
pub mod dense;
pub mod linear;
pub mod quantized;
pub mod spectral;
pub mod streamed;

pub use circulant::{circulant_matmul_cpu, BlockCirculant, CirculantLinear};
pub use dense::{matmul_cpu, matmul_cpu_into, MatmulShape};
pub use linear::{Linear, LinearOptions, LinearPath};
pub use quantized::{matmul_quantized_cpu, GpuQuantizedWeight, QuantBits, QuantizedWeight};
pub use spectral::SpectralWeight;
pub use streamed::{matmul_streamed_cpu, BlockCodec, StreamedWeight};
