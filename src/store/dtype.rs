//! Element types of stored tensors (the safetensors dtypes) and their
//! conversions to and from f32.

use half::{bf16, f16};
use safetensors::Dtype as SafetensorsDtype;

/// The dtype with this safetensors name (`"F32"`, `"BF16"`, `"I64"`, ...).
pub fn parse(name: &str) -> Option<SafetensorsDtype> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// The safetensors name of a dtype.
pub fn name(dtype: SafetensorsDtype) -> String {
    match serde_json::to_value(dtype) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{dtype:?}"),
    }
}

/// Whether lossy codecs may store this dtype (f32, f16, bf16 and f64, the
/// last through f32 values with its error measured in f64; other tensors
/// are kept exact with the raw codec).
pub fn is_lossy_float(dtype: SafetensorsDtype) -> bool {
    matches!(
        dtype,
        SafetensorsDtype::F32
            | SafetensorsDtype::F16
            | SafetensorsDtype::BF16
            | SafetensorsDtype::F64
    )
}

/// Bytes that `n` elements of `dtype` take, or `None` on overflow.
pub fn byte_len(dtype: SafetensorsDtype, n: u64) -> Option<u64> {
    n.checked_mul(dtype.bitsize() as u64)
        .map(|bits| bits.div_ceil(8))
}

/// Widens little-endian elements to f32 (floats and integers; `None` for
/// the types that have no plain numeric reading, such as F8, F4 and C64).
pub fn to_f32(dtype: SafetensorsDtype, bytes: &[u8]) -> Option<Vec<f32>> {
    macro_rules! conv {
        ($t:ty, $n:expr, $f:expr) => {
            bytes
                .chunks_exact($n)
                .map(|b| $f(<$t>::from_le_bytes(b.try_into().unwrap())))
                .collect()
        };
    }
    Some(match dtype {
        SafetensorsDtype::F32 => conv!(f32, 4, |x| x),
        SafetensorsDtype::F16 => conv!(f16, 2, |x: f16| x.to_f32()),
        SafetensorsDtype::BF16 => conv!(bf16, 2, |x: bf16| x.to_f32()),
        SafetensorsDtype::F64 => conv!(f64, 8, |x| x as f32),
        SafetensorsDtype::I8 => conv!(i8, 1, f32::from),
        SafetensorsDtype::U8 => conv!(u8, 1, f32::from),
        SafetensorsDtype::I16 => conv!(i16, 2, f32::from),
        SafetensorsDtype::U16 => conv!(u16, 2, f32::from),
        SafetensorsDtype::I32 => conv!(i32, 4, |x| x as f32),
        SafetensorsDtype::U32 => conv!(u32, 4, |x| x as f32),
        SafetensorsDtype::I64 => conv!(i64, 8, |x| x as f32),
        SafetensorsDtype::U64 => conv!(u64, 8, |x| x as f32),
        SafetensorsDtype::BOOL => bytes.iter().map(|&b| f32::from(b)).collect(),
        _ => return None,
    })
}

/// Element `i` of little-endian float bytes as f64 (NaN for other
/// dtypes or out of range).
pub fn to_f64_at(dtype: SafetensorsDtype, bytes: &[u8], i: usize) -> f64 {
    let w = dtype.bitsize() / 8;
    let Some(b) = bytes.get(i * w..i * w + w) else {
        return f64::NAN;
    };
    match dtype {
        SafetensorsDtype::F64 => f64::from_le_bytes(b.try_into().unwrap()),
        SafetensorsDtype::F32 => f64::from(f32::from_le_bytes(b.try_into().unwrap())),
        SafetensorsDtype::F16 => f16::from_le_bytes([b[0], b[1]]).to_f64(),
        SafetensorsDtype::BF16 => bf16::from_le_bytes([b[0], b[1]]).to_f64(),
        _ => f64::NAN,
    }
}

/// Narrows f32 values to little-endian `dtype` elements (f32, f16, bf16;
/// round to nearest even), or widens them to f64.
///
/// # Panics
/// For any other dtype: callers only pass [`is_lossy_float`] types.
pub fn from_f32(dtype: SafetensorsDtype, values: &[f32]) -> Vec<u8> {
    match dtype {
        SafetensorsDtype::F32 => values.iter().flat_map(|x| x.to_le_bytes()).collect(),
        SafetensorsDtype::F16 => values
            .iter()
            .flat_map(|&x| f16::from_f32(x).to_le_bytes())
            .collect(),
        SafetensorsDtype::BF16 => values
            .iter()
            .flat_map(|&x| bf16::from_f32(x).to_le_bytes())
            .collect(),
        SafetensorsDtype::F64 => values
            .iter()
            .flat_map(|&x| f64::from(x).to_le_bytes())
            .collect(),
        other => panic!("from_f32 called for {other:?}"),
    }
}

/// `values` rounded to `dtype` and widened back (what a reader of the
/// written file sees).
pub fn round_trip(dtype: SafetensorsDtype, values: Vec<f32>) -> Vec<f32> {
    match dtype {
        SafetensorsDtype::F16 => values
            .into_iter()
            .map(|x| f16::from_f32(x).to_f32())
            .collect(),
        SafetensorsDtype::BF16 => values
            .into_iter()
            .map(|x| bf16::from_f32(x).to_f32())
            .collect(),
        _ => values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_conversions() {
        for (d, n) in [
            (SafetensorsDtype::F32, "F32"),
            (SafetensorsDtype::BF16, "BF16"),
            (SafetensorsDtype::I64, "I64"),
        ] {
            assert_eq!(name(d), n);
            assert_eq!(parse(n), Some(d));
        }
        assert_eq!(parse("F33"), None);
        let v = [1.0f32, -2.5, 0.125];
        for d in [
            SafetensorsDtype::F32,
            SafetensorsDtype::F16,
            SafetensorsDtype::BF16,
        ] {
            assert_eq!(to_f32(d, &from_f32(d, &v)).unwrap(), v);
        }
        assert_eq!(byte_len(SafetensorsDtype::F4, 3), Some(2));
        assert_eq!(
            to_f32(SafetensorsDtype::I16, &[0xff, 0xff]).unwrap(),
            [-1.0]
        );
    }
}
