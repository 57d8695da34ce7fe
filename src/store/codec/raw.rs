//! `raw` (id 0): the tensor's bytes exactly as they were, in their own
//! dtype (little-endian, as in safetensors). Lossless; the only codec for
//! integer and boolean tensors. No parameters; the payload length is the
//! tensor's byte size.

use super::{params_err, payload_err, CodecId, Encoded};
use crate::error::Result;

/// Stores `bytes` unchanged.
pub fn encode(bytes: &[u8]) -> Encoded {
    Encoded {
        codec: CodecId::Raw,
        params: Vec::new(),
        payload: bytes.to_vec(),
    }
}

/// Checks the parameter block (empty) and the payload length.
pub fn check(params: &[u8], payload: &[u8], byte_len: u64) -> Result<()> {
    if !params.is_empty() {
        return Err(params_err(0, "raw takes no parameters"));
    }
    if payload.len() as u64 != byte_len {
        return Err(payload_err(
            payload.len().min(byte_len as usize),
            format!(
                "raw payload holds {} bytes, the tensor needs {byte_len}",
                payload.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn raw_is_identity_and_checks_length() {
        let e = super::encode(&[1, 2, 3]);
        assert_eq!(e.payload, [1, 2, 3]);
        assert!(super::check(&[], &e.payload, 3).is_ok());
        assert!(super::check(&[], &e.payload, 4).is_err());
        assert!(super::check(&[0], &e.payload, 3).is_err());
    }
}
