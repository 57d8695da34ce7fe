//! `sparse-rfft` (id 7) and `sparse-dct` (id 8): the largest coefficients of
//! the unitary real FFT (half spectrum) or the orthonormal DCT-II over all
//! axes, from [`crate::spectral`].
//!
//! No parameters. The payload is exactly the serialized
//! [`SparseSpectral`] (`SparseSpectral::to_bytes`, magic `FTSP`; its layout
//! is in `FORMAT.md`), whose shape must equal the tensor's (a tensor of zero
//! dimensions is stored as shape `[1]`) and whose transform must match the
//! codec id.

use super::{inverse_err, params_err, payload_err, CodecId, Encoded};
use crate::backend::Context;
use crate::error::{Error, Result};
use crate::spectral::{CompressOptions, Keep, SparseSpectral, StoredPrecision, Transform};
use crate::tensor::Tensor;

fn shape_of(shape: &[usize]) -> Vec<usize> {
    if shape.is_empty() {
        vec![1]
    } else {
        shape.to_vec()
    }
}

fn codec_of(t: Transform) -> CodecId {
    match t {
        Transform::Rfft => CodecId::SparseRfft,
        Transform::Dct => CodecId::SparseDct,
    }
}

/// Keeps the fewest coefficients meeting `max_error` (values as f16 with a
/// power-of-two scale, or f32 below an error of 1e-3 where f16 rounding
/// would not fit the bound).
///
/// # Errors
/// The spectral module's errors (non-finite input, bound out of range).
pub fn encode(
    ctx: &Context,
    transform: Transform,
    data: &[f32],
    shape: &[usize],
    max_error: f64,
) -> Result<Encoded> {
    let value_type = if max_error < 1e-3 {
        StoredPrecision::F32
    } else {
        StoredPrecision::F16
    };
    // The CPU real FFT reads `data` where it lies; the CPU DCT transforms
    // a copy in place.
    let s = ctx.compress_slice(
        data,
        &shape_of(shape),
        &CompressOptions {
            transform,
            value_type,
            keep: Keep::RelativeError(max_error),
        },
    )?;
    Ok(Encoded {
        codec: codec_of(transform),
        params: Vec::new(),
        payload: s.to_bytes(),
    })
}

/// Keeps the largest `fraction` of the coefficients (in (0, 1]; values as
/// f16 with a power-of-two scale).
///
/// # Errors
/// The spectral module's errors (non-finite input, fraction out of range).
pub fn encode_keep(
    ctx: &Context,
    transform: Transform,
    data: &[f32],
    shape: &[usize],
    fraction: f64,
) -> Result<Encoded> {
    let t = Tensor::new(&shape_of(shape), data.to_vec())?;
    let s = ctx.compress(
        &t,
        &CompressOptions {
            transform,
            value_type: StoredPrecision::F16,
            keep: Keep::Fraction(fraction),
        },
    )?;
    Ok(Encoded {
        codec: codec_of(transform),
        params: Vec::new(),
        payload: s.to_bytes(),
    })
}

/// Rebuilds the dense tensor.
pub fn decode(
    ctx: &Context,
    codec: CodecId,
    params: &[u8],
    payload: &[u8],
    shape: &[usize],
) -> Result<Vec<f32>> {
    if !params.is_empty() {
        return Err(params_err(0, "sparse codecs take no parameters"));
    }
    let s = SparseSpectral::from_bytes(payload).map_err(|e| match e {
        Error::Corrupt { offset, detail, .. } => payload_err(offset as usize, detail),
        other => payload_err(0, other.to_string()),
    })?;
    if s.shape() != shape_of(shape).as_slice() {
        return Err(payload_err(
            8,
            format!(
                "sparse tensor of shape {:?}, the entry says {shape:?}",
                s.shape()
            ),
        ));
    }
    if codec_of(s.transform()) != codec {
        return Err(payload_err(5, "transform does not match the codec id"));
    }
    ctx.decompress(&s)
        .map(Tensor::into_data)
        .map_err(|e| inverse_err("inverse transform", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{relative_error, test_data};

    #[test]
    fn sparse_codecs_round_trip_within_the_bound() {
        let ctx = Context::cpu();
        let x = test_data::smooth(64, 48);
        for t in [Transform::Dct, Transform::Rfft] {
            let e = encode(&ctx, t, &x, &[64, 48], 0.01).unwrap();
            let y = decode(&ctx, e.codec, &e.params, &e.payload, &[64, 48]).unwrap();
            assert!(relative_error(&x, &y) <= 0.01);
            assert!(e.payload.len() < x.len());
            assert!(decode(&ctx, e.codec, &e.params, &e.payload, &[48, 64]).is_err());
            assert!(decode(&ctx, e.codec, &e.params, &e.payload[1..], &[64, 48]).is_err());
        }
        let e = encode(&ctx, Transform::Dct, &x, &[64, 48], 0.01).unwrap();
        assert!(decode(&ctx, CodecId::SparseRfft, &[], &e.payload, &[64, 48]).is_err());
    }
}
