//! `int8` (id 2): symmetric INT8 with one f16 scale per group.
//!
//! Parameters: `u32` group size `G` (per-row layouts store the last
//! dimension). The elements in row-major order are cut into
//! `ng = ceil(n / G)` groups of `G` consecutive elements (the last may be
//! shorter). Payload: `ng` f16 scales (little-endian), then `n` signed bytes.
//! Value `i` is `q[i] * scale[i / G]`. The encoder uses
//! `scale = absmax / 127` rounded up to an f16, and `q = round(x / scale)`.

use half::f16;

use super::{f16_scale, group_count, payload_err, read_group_params, CodecId, Encoded};
use crate::error::{Error, Result};

/// Quantises `data` in groups of `group` elements.
///
/// # Errors
/// [`Error::CodecUnsupported`] when a scale does not fit an f16 (values
/// above about 8e6) or `group` is zero or above `u32::MAX`.
pub fn encode(data: &[f32], group: usize) -> Result<Encoded> {
    let (params, payload) = quantise(data, group, 127.0, "int8", |q, out: &mut Vec<u8>, _| {
        out.push(q as i8 as u8)
    })?;
    Ok(Encoded {
        codec: CodecId::Int8,
        params,
        payload,
    })
}

/// Shared by INT8 and INT4: scales, then the quantised values through `put`.
pub(crate) fn quantise(
    data: &[f32],
    group: usize,
    levels: f32,
    codec: &'static str,
    mut put: impl FnMut(i32, &mut Vec<u8>, usize),
) -> Result<(Vec<u8>, Vec<u8>)> {
    if group == 0 || group > u32::MAX as usize {
        return Err(Error::CodecUnsupported {
            codec,
            detail: format!("group size {group}"),
        });
    }
    let ng = group_count(data.len(), group);
    let mut scales = Vec::with_capacity(ng);
    for chunk in data.chunks(group) {
        let absmax = chunk.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
        let s = f16_scale(absmax, levels).ok_or_else(|| Error::CodecUnsupported {
            codec,
            detail: format!("scale {} does not fit an f16", absmax / levels),
        })?;
        scales.push(s);
    }
    let mut payload = Vec::with_capacity(2 * ng + data.len());
    for s in &scales {
        payload.extend_from_slice(&s.to_le_bytes());
    }
    for (i, (chunk, s)) in data.chunks(group).zip(&scales).enumerate() {
        let s = s.to_f32();
        for (j, &x) in chunk.iter().enumerate() {
            let q = if s == 0.0 {
                0
            } else {
                // Half away from zero, as f32::round, without the call.
                let v = (x / s).clamp(-levels, levels);
                let t = v as i32;
                let f = v - t as f32;
                t + i32::from(f >= 0.5) - i32::from(f <= -0.5)
            };
            put(q, &mut payload, i * group + j);
        }
    }
    Ok(((group as u32).to_le_bytes().to_vec(), payload))
}

/// Reads the scales of `n` values in groups of `group` from the payload
/// start, checking that the payload holds exactly `2 ng + value_bytes`.
pub(crate) fn read_scales(
    payload: &[u8],
    n: usize,
    group: usize,
    value_bytes: u64,
) -> Result<Vec<f32>> {
    let ng = group_count(n, group) as u64;
    let want = 2 * ng + value_bytes;
    if payload.len() as u64 != want {
        return Err(payload_err(
            payload.len().min(want as usize),
            format!(
                "payload holds {} bytes, {n} values in groups of {group} need {want}",
                payload.len()
            ),
        ));
    }
    let mut scales = Vec::with_capacity(ng as usize);
    for (g, b) in payload[..2 * ng as usize].chunks_exact(2).enumerate() {
        let s = f16::from_le_bytes([b[0], b[1]]).to_f32();
        if !s.is_finite() {
            return Err(payload_err(2 * g, format!("scale {g} is {s}")));
        }
        scales.push(s);
    }
    Ok(scales)
}

/// Dequantises.
pub fn decode(params: &[u8], payload: &[u8], n: usize) -> Result<Vec<f32>> {
    let group = read_group_params(params)?;
    let scales = read_scales(payload, n, group, n as u64)?;
    let values = &payload[2 * scales.len()..];
    let mut out = Vec::with_capacity(n);
    for (chunk, &s) in values.chunks(group).zip(&scales) {
        out.extend(chunk.iter().map(|&q| f32::from(q as i8) * s));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{relative_error, test_data::gaussian};

    #[test]
    fn per_row_and_grouped_errors_are_about_one_percent() {
        let x = gaussian(256 * 512, 2);
        for g in [512, 128, 64] {
            let e = encode(&x, g).unwrap();
            assert_eq!(e.payload.len(), x.len() + 2 * x.len() / g);
            let y = decode(&e.params, &e.payload, x.len()).unwrap();
            let err = relative_error(&x, &y);
            assert!(err < 0.01, "group {g}: {err}");
            assert!(err > 0.003, "group {g}: {err}");
        }
    }

    #[test]
    fn ragged_last_group_zero_groups_and_damage() {
        let mut x = gaussian(1000, 3);
        x[..64].fill(0.0);
        let e = encode(&x, 64).unwrap();
        let y = decode(&e.params, &e.payload, x.len()).unwrap();
        assert!(y[..64].iter().all(|&v| v == 0.0));
        assert!(relative_error(&x, &y) < 0.01);
        assert!(decode(&e.params, &e.payload[..e.payload.len() - 1], x.len()).is_err());
        assert!(decode(&[0, 0, 0, 0], &e.payload, x.len()).is_err());
        assert!(decode(&[64, 0, 0], &e.payload, x.len()).is_err());
        assert!(encode(&[1e9], 1).is_err());
    }
}
