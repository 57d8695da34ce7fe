//! `int4` (id 3): symmetric INT4 (values -7..=7) with one f16 scale per
//! group.
//!
//! Parameters: `u32` group size `G`. Payload: `ceil(n / G)` f16 scales, then
//! `ceil(n / 2)` bytes of 4-bit two's-complement values, element `2j` in the
//! low nibble of byte `j` and element `2j + 1` in its high nibble; an unused
//! last high nibble is zero. The encoder uses `scale = absmax / 7` rounded
//! up to an f16.

use super::int8::{quantise, read_scales};
use super::{payload_err, read_group_params, CodecId, Encoded};
use crate::error::Result;

/// Quantises `data` in groups of `group` elements.
///
/// # Errors
/// As [`super::int8::encode`].
pub fn encode(data: &[f32], group: usize) -> Result<Encoded> {
    let (params, mut payload) = quantise(data, group, 7.0, "int4", |q, out: &mut Vec<u8>, i| {
        let nib = (q as u8) & 0x0f;
        if i % 2 == 0 {
            out.push(nib);
        } else {
            *out.last_mut().expect("low nibble written first") |= nib << 4;
        }
    })?;
    payload.shrink_to_fit();
    Ok(Encoded {
        codec: CodecId::Int4,
        params,
        payload,
    })
}

/// Dequantises.
pub fn decode(params: &[u8], payload: &[u8], n: usize) -> Result<Vec<f32>> {
    let group = read_group_params(params)?;
    let scales = read_scales(payload, n, group, (n as u64).div_ceil(2))?;
    let start = 2 * scales.len();
    let values = &payload[start..];
    if n % 2 == 1 && values[n / 2] >> 4 != 0 {
        return Err(payload_err(start + n / 2, "unused nibble is not zero"));
    }
    Ok((0..n)
        .map(|i| {
            let b = values[i / 2];
            let nib = if i % 2 == 0 { b & 0x0f } else { b >> 4 };
            let q = ((nib << 4) as i8) >> 4;
            f32::from(q) * scales[i / group]
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{relative_error, test_data::gaussian};

    #[test]
    fn int4_error_and_layout() {
        let x = gaussian(64 * 129, 4);
        let e = encode(&x, 64).unwrap();
        assert_eq!(e.payload.len(), 2 * 129 + x.len() / 2);
        let y = decode(&e.params, &e.payload, x.len()).unwrap();
        let err = relative_error(&x, &y);
        assert!((0.08..0.16).contains(&err), "{err}");
        // Odd length, and the sign of a single value.
        let e = encode(&[-1.0, 0.5, 1.0], 64).unwrap();
        let y = decode(&e.params, &e.payload, 3).unwrap();
        assert!((y[0] + 1.0).abs() < 1e-3, "{}", y[0]);
        assert!((y[2] - 1.0).abs() < 1e-3, "{}", y[2]);
        let mut bad = e.payload.clone();
        *bad.last_mut().unwrap() |= 0x10;
        assert!(decode(&e.params, &bad, 3).is_err());
    }
}
