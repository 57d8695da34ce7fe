//! numpy's `.npy` format (versions 1.0, 2.0 and 3.0): one array with its
//! dtype, shape and memory order.
//!
//! Read: the float (`f2`, `f4`, `f8`), integer (`i1`..`i8`, `u1`..`u8`) and
//! boolean (`b1`) dtypes in either byte order, C or Fortran order. Written:
//! version 1.0 (2.0 when the header needs it), little-endian, the memory
//! order given.

use safetensors::Dtype as SafetensorsDtype;

use crate::error::{Error, Result};

/// The six bytes every `.npy` file starts with.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Element type.
    pub dtype: SafetensorsDtype,
    /// Elements stored big-endian (`>` in the descr).
    pub big_endian: bool,
    /// Fortran (column-major) order.
    pub fortran: bool,
    /// numpy's shape.
    pub shape: Vec<usize>,
    /// Bytes before the data.
    pub data_offset: usize,
}

impl Header {
    /// Element count.
    pub fn len(&self) -> u64 {
        self.shape.iter().map(|&d| d as u64).product()
    }

    /// True for an array without elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the data.
    pub fn data_len(&self) -> u64 {
        self.len() * (self.dtype.bitsize() as u64 / 8)
    }

    /// The row-major shape the data has in memory: numpy's shape, reversed
    /// for a Fortran-ordered array (its transpose is C-contiguous).
    pub fn storage_shape(&self) -> Vec<usize> {
        let mut s = self.shape.clone();
        if self.fortran {
            s.reverse();
        }
        s
    }
}

fn bad(detail: impl Into<String>) -> Error {
    Error::invalid("npy", detail.into())
}

/// The dtype of a numpy type string without its byte-order character
/// (`f4`, `i8`, `b1`, ...).
fn dtype_of(code: &str) -> Option<SafetensorsDtype> {
    use SafetensorsDtype::*;
    Some(match code {
        "f2" => F16,
        "f4" => F32,
        "f8" => F64,
        "i1" => I8,
        "i2" => I16,
        "i4" => I32,
        "i8" => I64,
        "u1" => U8,
        "u2" => U16,
        "u4" => U32,
        "u8" => U64,
        "b1" => BOOL,
        _ => return None,
    })
}

/// The numpy type string (little-endian) of a dtype, if numpy has one.
pub fn descr_of(dtype: SafetensorsDtype) -> Option<&'static str> {
    use SafetensorsDtype::*;
    Some(match dtype {
        F16 => "<f2",
        F32 => "<f4",
        F64 => "<f8",
        I8 => "|i1",
        I16 => "<i2",
        I32 => "<i4",
        I64 => "<i8",
        U8 => "|u1",
        U16 => "<u2",
        U32 => "<u4",
        U64 => "<u8",
        BOOL => "|b1",
        _ => return None,
    })
}

/// Parses the header at the start of `bytes` (which must hold at least the
/// whole header).
///
/// # Errors
/// [`Error::InvalidArgument`] (`npy`) saying what is wrong: not `.npy`, a
/// version other than 1 to 3, a header that is not numpy's dict, a dtype
/// this crate does not read (complex, strings, records, object).
pub fn parse_header(bytes: &[u8]) -> Result<Header> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("not an .npy file (wrong magic)"));
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
            12,
        ),
        v => {
            return Err(bad(format!(
                "version {v}.{} is not 1.0, 2.0 or 3.0",
                bytes[7]
            )))
        }
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad(format!("header of {len} bytes runs past the file")))?;
    let text = std::str::from_utf8(&bytes[start..end]).map_err(|_| bad("header is not text"))?;
    let descr = dict_value(text, "descr")?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.strip_suffix('\''))
        .ok_or_else(|| bad(format!("descr {descr} is not a plain type string")))?;
    let (order, code) = descr.split_at(descr.len().min(1));
    let dtype = dtype_of(code)
        .filter(|_| matches!(order, "<" | ">" | "|" | "="))
        .ok_or_else(|| {
            bad(format!(
                "dtype '{descr}' is not a float, integer or bool type"
            ))
        })?;
    let big_endian = order == ">" && dtype.bitsize() > 8;
    let fortran = match dict_value(text, "fortran_order")? {
        "True" => true,
        "False" => false,
        v => return Err(bad(format!("fortran_order {v}"))),
    };
    let shape_s = dict_value(text, "shape")?;
    let inner = shape_s
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| bad(format!("shape {shape_s}")))?;
    let mut shape = Vec::new();
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        shape.push(
            part.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| bad(format!("shape {shape_s}")))?,
        );
    }
    if shape.len() > crate::tensor::MAX_DIMS {
        return Err(bad(format!(
            "{} dimensions, at most {}",
            shape.len(),
            crate::tensor::MAX_DIMS
        )));
    }
    let n = shape.iter().try_fold(1u64, |a, &d| {
        a.checked_mul(d as u64).filter(|&n| n < 1 << 48)
    });
    if n.is_none() {
        return Err(bad(format!("shape {shape_s} has too many elements")));
    }
    Ok(Header {
        dtype,
        big_endian,
        fortran,
        shape,
        data_offset: end,
    })
}

/// The text after `'key':` up to the matching `,` or `}` (parentheses
/// kept together).
fn dict_value<'a>(text: &'a str, key: &str) -> Result<&'a str> {
    let pat = format!("'{key}':");
    let at = text
        .find(&pat)
        .ok_or_else(|| bad(format!("header has no '{key}'")))?
        + pat.len();
    let rest = text[at..].trim_start();
    let mut depth = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Ok(rest[..i].trim()),
            _ => {}
        }
    }
    Err(bad(format!("header value of '{key}' does not end")))
}

/// Turns data as stored (`big_endian` or not) into little-endian bytes in
/// place.
pub fn to_little_endian(h: &Header, data: &mut [u8]) {
    if h.big_endian {
        let w = h.dtype.bitsize() / 8;
        for c in data.chunks_exact_mut(w) {
            c.reverse();
        }
    }
}

/// The header bytes of a little-endian array (padded so the data starts on
/// a multiple of 64 bytes, ending in a newline).
///
/// # Errors
/// [`Error::InvalidArgument`] for a dtype numpy has no type string for.
pub fn header_bytes(dtype: SafetensorsDtype, shape: &[usize], fortran: bool) -> Result<Vec<u8>> {
    let descr = descr_of(dtype).ok_or_else(|| {
        Error::invalid(
            "npy",
            format!(
                "dtype {} has no numpy equivalent",
                super::super::dtype::name(dtype)
            ),
        )
    })?;
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_s = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let order = if fortran { "True" } else { "False" };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape_s}, }}");
    let (version, pre) = if dict.len() + 11 < 65536 {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let total = (pre + dict.len() + 1).div_ceil(64) * 64;
    while pre + dict.len() + 1 < total {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.push(version);
    out.push(0);
    if version == 1 {
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_refuse_what_they_cannot_read() {
        for (dt, shape, f) in [
            (SafetensorsDtype::F32, vec![3, 4], false),
            (SafetensorsDtype::F64, vec![5], true),
            (SafetensorsDtype::U8, vec![], false),
            (SafetensorsDtype::I64, vec![2, 3, 7], true),
        ] {
            let h = header_bytes(dt, &shape, f).unwrap();
            assert_eq!(h.len() % 64, 0);
            let p = parse_header(&h).unwrap();
            assert_eq!(
                (p.dtype, p.shape.clone(), p.fortran, p.data_offset),
                (dt, shape, f, h.len())
            );
        }
        let dict = b"{'descr': '>i4', 'fortran_order': False, 'shape': (2, 3L), }   \n";
        let mut h = b"\x93NUMPY\x01\x00".to_vec();
        h.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        h.extend_from_slice(dict);
        let p = parse_header(&h).unwrap();
        assert!(p.big_endian && p.shape == [2, 3]);
        for bad in [
            &b"\x93NUMPZ\x01\x00\x00\x00"[..],
            b"\x93NUMPY\x01\x00\x30\x00{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
            b"\x93NUMPY\x09\x00\x00\x00",
            b"\x93NUMPY\x01\x00\xff\x00{}",
        ] {
            assert!(parse_header(bad).is_err());
        }
    }
}
