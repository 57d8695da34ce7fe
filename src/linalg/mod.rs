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
//!
//! Shapes follow the usual linear-layer convention: `X` is `batch x inputs`
//! (`B x N`), `W` is `outputs x inputs` (`M x N`), both row-major, and `Y`
//! is `batch x outputs` (`B x M`).

pub mod dense;
pub mod quantized;
pub mod streamed;

pub use dense::{matmul_cpu, matmul_cpu_into, MatmulShape};
pub use quantized::{matmul_quantized_cpu, GpuQuantizedWeight, QuantBits, QuantizedWeight};
pub use streamed::{matmul_streamed_cpu, BlockCodec, StreamedWeight};
