//! Element types of stored tensors (the safetensors dtypes) and their
//! conversions to and from f32.

use half::{bf16, f16};
use safetensors::Dtype;

/// The dtype with this safetensors name (`"F32"`, `"BF16"`, `"I64"`, ...).
pub fn parse(name: &str) -> Option<Dtype> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// The safetensors name of a dtype.
pub fn name(dtype: Dtype) -> String {
    match serde_json::to_value(dtype) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{dtype:?}"),
    }
}

/// Whether lossy codecs may store this dtype (f32, f16 and bf16; other
/// tensors are kept exact with the raw codec).
pub fn is_lossy_float(dtype: Dtype) -> bool {
    matches!(dtype, Dtype::F32 | Dtype::F16 | Dtype::BF16)
}

/// Bytes that `n` elements of `dtype` take, or `None` on overflow.
pub fn byte_len(dtype: Dtype, n: u64) -> Option<u64> {
    n.checked_mul(dtype.bitsize() as u64)
        .map(|bits| bits.div_ceil(8))
}

/// Widens little-endian elements to f32 (floats and integers; `None` for
/// the types that have no plain numeric reading, such as F8, F4 and C64).
pub fn to_f32(dtype: Dtype, bytes: &[u8]) -> Option<Vec<f32>> {
    macro_rules! conv {
        ($t:ty, $n:expr, $f:expr) => {
            bytes
                .chunks_exact($n)
                .map(|b| $f(<$t>::from_le_bytes(b.try_into().unwrap())))
                .collect()
        };
    }
    Some(match dtype {
        Dtype::F32 => conv!(f32, 4, |x| x),
        Dtype::F16 => conv!(f16, 2, |x: f16| x.to_f32()),
        Dtype::BF16 => conv!(bf16, 2, |x: bf16| x.to_f32()),
        Dtype::F64 => conv!(f64, 8, |x| x as f32),
        Dtype::I8 => conv!(i8, 1, f32::from),
        Dtype::U8 => conv!(u8, 1, f32::from),
        Dtype::I16 => conv!(i16, 2, f32::from),
        Dtype::U16 => conv!(u16, 2, f32::from),
        Dtype::I32 => conv!(i32, 4, |x| x as f32),
        Dtype::U32 => conv!(u32, 4, |x| x as f32),
        Dtype::I64 => conv!(i64, 8, |x| x as f32),
        Dtype::U64 => conv!(u64, 8, |x| x as f32),
        Dtype::BOOL => bytes.iter().map(|&b| f32::from(b)).collect(),
        _ => return None,
    })
}

/// Narrows f32 values to little-endian `dtype` elements (f32, f16, bf16;
/// round to nearest even).
///
/// # Panics
/// For any other dtype: callers only pass [`is_lossy_float`] types.
pub fn from_f32(dtype: Dtype, values: &[f32]) -> Vec<u8> {
    match dtype {
        Dtype::F32 => values.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Dtype::F16 => values
            .iter()
            .flat_map(|&x| f16::from_f32(x).to_le_bytes())
            .collect(),
        Dtype::BF16 => values
            .iter()
            .flat_map(|&x| bf16::from_f32(x).to_le_bytes())
            .collect(),
        other => panic!("from_f32 called for {other:?}"),
    }
}

/// `values` rounded to `dtype` and widened back (what a reader of the
/// written file sees).
pub fn round_trip(dtype: Dtype, values: Vec<f32>) -> Vec<f32> {
    match dtype {
        Dtype::F16 => values
            .into_iter()
            .map(|x| f16::from_f32(x).to_f32())
            .collect(),
        Dtype::BF16 => values
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
            (Dtype::F32, "F32"),
            (Dtype::BF16, "BF16"),
            (Dtype::I64, "I64"),
        ] {
            assert_eq!(name(d), n);
            assert_eq!(parse(n), Some(d));
        }
        assert_eq!(parse("F33"), None);
        let v = [1.0f32, -2.5, 0.125];
        for d in [Dtype::F32, Dtype::F16, Dtype::BF16] {
            assert_eq!(to_f32(d, &from_f32(d, &v)).unwrap(), v);
        }
        assert_eq!(byte_len(Dtype::F4, 3), Some(2));
        assert_eq!(to_f32(Dtype::I16, &[0xff, 0xff]).unwrap(), [-1.0]);
    }
}
