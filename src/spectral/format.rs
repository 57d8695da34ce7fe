//! The serialized form of a sparse spectral tensor.
//!
//! All integers little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 4 | magic `FTSP` |
//! | 1 | version (1) |
//! | 1 | transform: 0 real FFT, 1 DCT-II |
//! | 1 | value type: 0 f16, 1 f32 |
//! | 1 | ndim, 1..=8 |
//! | 8 x ndim | shape (u64 each, all >= 1) |
//! | 4 | scale (f32, finite, > 0): stored values are value / scale |
//! | 8 | k, the number of kept coefficients (u64, 1..=coefficients) |
//! | ... | kept positions, flat row-major indices into the coefficient tensor, ascending: the positions codec of [`crate::sparse::positions`] with universe = coefficient count |
//! | k x c x b | values: c = 2 (re, im) for the FFT, 1 for the DCT; b = 2 (f16) or 4 (f32) |
//!
//! The coefficient tensor has the input's shape for the DCT, and for the
//! real FFT the last axis shortened to n/2 + 1. Nothing follows the values.

use half::f16;

use super::{checked_coefficients, components, SparseSpectral, StoredPrecision, Transform};
use crate::error::{Error, Result};
use crate::sparse::positions::{decode_positions, encode_positions, encoded_len};

/// First bytes of every serialized sparse spectral tensor.
pub const MAGIC: [u8; 4] = *b"FTSP";
/// The format version written.
pub const VERSION: u8 = 1;

/// Bytes before the positions for a tensor of `ndim` dimensions.
pub fn header_len(ndim: usize) -> usize {
    8 + 8 * ndim + 4 + 8
}

/// Serialized length for these kept positions.
pub(crate) fn serialized_len_for(
    shape: &[usize],
    value_type: StoredPrecision,
    transform: Transform,
    positions: &[u64],
) -> usize {
    let universe: usize = super::coefficient_shape(shape, transform).iter().product();
    header_len(shape.len())
        + encoded_len(positions, universe as u64).expect("positions are valid by construction")
        + positions.len() * components(transform) * value_type.bytes()
}

fn corrupt(offset: usize, detail: impl Into<String>) -> Error {
    Error::Corrupt {
        what: "sparse spectral tensor",
        offset: offset as u64,
        detail: detail.into(),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.bytes.len() - self.at < n {
            return Err(corrupt(
                self.at,
                format!(
                    "truncated: {what} needs {n} bytes, {} left",
                    self.bytes.len() - self.at
                ),
            ));
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }
}

impl SparseSpectral {
    /// Exact length of [`Self::to_bytes`].
    pub fn serialized_len(&self) -> usize {
        serialized_len_for(
            &self.shape,
            self.value_type,
            self.transform,
            &self.positions,
        )
    }

    /// The serialized form (see the module docs of `spectral::format`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.serialized_len());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(match self.transform {
            Transform::Rfft => 0,
            Transform::Dct => 1,
        });
        out.push(match self.value_type {
            StoredPrecision::F16 => 0,
            StoredPrecision::F32 => 1,
        });
        out.push(self.shape.len() as u8);
        for &d in &self.shape {
            out.extend_from_slice(&(d as u64).to_le_bytes());
        }
        out.extend_from_slice(&self.scale.to_le_bytes());
        out.extend_from_slice(&(self.positions.len() as u64).to_le_bytes());
        encode_positions(&self.positions, self.coefficients() as u64, &mut out)
            .expect("positions are valid by construction");
        for &v in &self.values {
            match self.value_type {
                StoredPrecision::F16 => {
                    out.extend_from_slice(&f16::from_f32(v / self.scale).to_le_bytes())
                }
                StoredPrecision::F32 => out.extend_from_slice(&v.to_le_bytes()),
            }
        }
        out
    }

    /// Reads and validates the serialized form.
    ///
    /// # Errors
    /// [`Error::Corrupt`] with the byte offset for a wrong magic or version,
    /// unknown codes, a bad shape, k out of range, damaged positions,
    /// non-finite values, truncation or trailing bytes. No allocation is
    /// sized by a field before it is checked against the bytes present.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4, "magic")? != MAGIC {
            return Err(corrupt(0, "not a sparse spectral tensor (bad magic)"));
        }
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(corrupt(
                4,
                format!("unsupported version {version} (this build reads {VERSION})"),
            ));
        }
        let transform = match r.u8("transform")? {
            0 => Transform::Rfft,
            1 => Transform::Dct,
            t => return Err(corrupt(5, format!("unknown transform code {t}"))),
        };
        let value_type = match r.u8("value type")? {
            0 => StoredPrecision::F16,
            1 => StoredPrecision::F32,
            t => return Err(corrupt(6, format!("unknown value type code {t}"))),
        };
        let ndim = r.u8("ndim")? as usize;
        if !(1..=crate::tensor::MAX_DIMS).contains(&ndim) {
            return Err(corrupt(7, format!("{ndim} dimensions (1 to 8 allowed)")));
        }
        let mut shape = Vec::with_capacity(ndim);
        for axis in 0..ndim {
            let at = r.at;
            let d = r.u64("shape")?;
            if d == 0 || d > 1 << 40 {
                return Err(corrupt(at, format!("dimension {axis} is {d}")));
            }
            shape.push(d as usize);
        }
        let coefs =
            checked_coefficients(&shape, transform).map_err(|e| corrupt(8, e.to_string()))?;
        if coefs as u64 > 1 << 40 || shape.iter().product::<usize>() as u64 > 1 << 40 {
            return Err(corrupt(8, format!("shape {shape:?} is too large")));
        }
        let at = r.at;
        let scale = f32::from_le_bytes(r.take(4, "scale")?.try_into().expect("4 bytes"));
        if !(scale.is_finite() && scale > 0.0) {
            return Err(corrupt(
                at,
                format!("scale {scale} is not finite and positive"),
            ));
        }
        let at = r.at;
        let k = r.u64("k")?;
        if k == 0 || k > coefs as u64 {
            return Err(corrupt(at, format!("k = {k} is not in 1..={coefs}")));
        }
        let comps = components(transform);
        // Check the values fit before decoding positions sized by k.
        let value_bytes = (k as usize)
            .checked_mul(comps * value_type.bytes())
            .ok_or_else(|| corrupt(at, "k is too large"))?;
        if bytes.len() - r.at < value_bytes {
            return Err(corrupt(
                r.at,
                format!(
                    "truncated: {k} values need {value_bytes} bytes, {} left",
                    bytes.len() - r.at
                ),
            ));
        }
        let at = r.at;
        let (positions, used) =
            decode_positions(&bytes[at..bytes.len() - value_bytes], coefs as u64, k)
                .map_err(|e| corrupt(at, format!("positions: {e}")))?;
        r.at += used;
        let at = r.at;
        let raw = r.take(value_bytes, "values")?;
        let values: Vec<f32> = match value_type {
            StoredPrecision::F16 => raw
                .chunks_exact(2)
                .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32() * scale)
                .collect(),
            StoredPrecision::F32 => raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect(),
        };
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(corrupt(
                at + i * value_type.bytes(),
                format!("value {i} is not finite"),
            ));
        }
        if r.at != bytes.len() {
            return Err(corrupt(
                r.at,
                format!("{} trailing bytes", bytes.len() - r.at),
            ));
        }
        Ok(SparseSpectral {
            shape,
            transform,
            value_type,
            scale,
            positions,
            values,
            predicted_error: None,
        })
    }
}
