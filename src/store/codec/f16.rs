//! `f16` (id 1): IEEE half precision, little-endian, round to nearest even.
//! No parameters; the payload is `2 n` bytes.

use half::f16;

use super::{params_err, payload_err, CodecId, Encoded};
use crate::error::Result;

/// Rounds every value to f16.
pub fn encode(data: &[f32]) -> Encoded {
    let mut payload = Vec::with_capacity(2 * data.len());
    for &x in data {
        payload.extend_from_slice(&f16::from_f32(x).to_le_bytes());
    }
    Encoded {
        codec: CodecId::F16,
        params: Vec::new(),
        payload,
    }
}

/// Checks the parameter block (empty) and that the payload holds `n`
/// values.
///
/// # Errors
/// [`crate::Error::Corrupt`] for parameters or a payload length that do not
/// fit.
pub fn check(params: &[u8], payload: &[u8], n: usize) -> Result<()> {
    if !params.is_empty() {
        return Err(params_err(0, "f16 takes no parameters"));
    }
    if payload.len() as u64 != 2 * n as u64 {
        return Err(payload_err(
            payload.len(),
            format!(
                "f16 payload holds {} bytes, {n} values need {}",
                payload.len(),
                2 * n as u64
            ),
        ));
    }
    Ok(())
}

/// Widens the stored halves back to f32.
///
/// # Errors
/// As [`check`].
pub fn decode(params: &[u8], payload: &[u8], n: usize) -> Result<Vec<f32>> {
    check(params, payload, n)?;
    Ok(payload
        .chunks_exact(2)
        .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_error_is_half_precision() {
        let x = crate::store::codec::test_data::gaussian(4096, 1);
        let e = encode(&x);
        assert_eq!(e.payload.len(), 8192);
        let y = decode(&e.params, &e.payload, x.len()).unwrap();
        let err = crate::store::codec::relative_error(&x, &y);
        assert!(err < 3e-4, "{err}");
        assert!(decode(&e.params, &e.payload[1..], x.len()).is_err());
    }
}
