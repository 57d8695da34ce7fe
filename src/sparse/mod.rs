//! Sparse tensors: kept positions and values, and their compact encodings.

pub mod positions;
