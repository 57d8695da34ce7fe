//! Error modes: what a per-tensor bound limits, and its measurement on a
//! reconstruction in the tensor's own dtype.

use safetensors::Dtype as SafetensorsDtype;

use crate::error::{Error, Result};

/// What `--max-error` bounds for each tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ErrorMode {
    /// Nothing: the tensor is stored exactly (raw).
    Exact,
    /// Relative Frobenius (L2) error `||x - y|| / ||x||`.
    #[default]
    RelL2,
    /// Absolute root-mean-square error `||x - y|| / sqrt(n)`.
    AbsRms,
    /// Largest absolute error of any element, `max |x - y|` (pointwise).
    AbsMax,
}

impl ErrorMode {
    /// The byte stored in a version-2 table entry.
    pub fn id(self) -> u8 {
        match self {
            ErrorMode::Exact => 0,
            ErrorMode::RelL2 => 1,
            ErrorMode::AbsRms => 2,
            ErrorMode::AbsMax => 3,
        }
    }

    /// The mode with this id.
    pub fn from_id(id: u8) -> Option<Self> {
        [
            ErrorMode::Exact,
            ErrorMode::RelL2,
            ErrorMode::AbsRms,
            ErrorMode::AbsMax,
        ]
        .into_iter()
        .find(|m| m.id() == id)
    }

    /// Parses a `--error-mode` value (`rel-l2`, `abs-rms`, `abs-max`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the accepted values.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "rel-l2" => Ok(ErrorMode::RelL2),
            "abs-rms" => Ok(ErrorMode::AbsRms),
            "abs-max" => Ok(ErrorMode::AbsMax),
            _ => Err(Error::invalid(
                "error_mode",
                format!("`{s}`: rel-l2, abs-rms or abs-max"),
            )),
        }
    }

    /// The command-line spelling.
    pub fn name(self) -> &'static str {
        match self {
            ErrorMode::Exact => "exact",
            ErrorMode::RelL2 => "rel-l2",
            ErrorMode::AbsRms => "abs-rms",
            ErrorMode::AbsMax => "abs-max",
        }
    }
}

impl std::fmt::Display for ErrorMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Sums that every mode is computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ErrorSums {
    /// Elements compared.
    pub n: u64,
    /// `sum (x - y)^2`.
    pub diff2: f64,
    /// `sum x^2`.
    pub norm2: f64,
    /// `max |x - y|` (infinity once a difference is not finite).
    pub max_abs: f64,
}

impl ErrorSums {
    /// Adds one pair (original `x`, reconstruction `y`).
    #[inline]
    pub fn push(&mut self, x: f64, y: f64) {
        let d = x - y;
        self.n += 1;
        self.diff2 += d * d;
        self.norm2 += x * x;
        let a = d.abs();
        if a.is_nan() {
            self.max_abs = f64::INFINITY;
        } else if a > self.max_abs {
            self.max_abs = a;
        }
    }

    /// Sums of both parts.
    pub fn merge(self, o: ErrorSums) -> ErrorSums {
        ErrorSums {
            n: self.n + o.n,
            diff2: self.diff2 + o.diff2,
            norm2: self.norm2 + o.norm2,
            max_abs: self.max_abs.max(o.max_abs),
        }
    }

    /// The error in `mode` (0 for [`ErrorMode::Exact`] when nothing
    /// differs, infinity otherwise).
    pub fn error(&self, mode: ErrorMode) -> f64 {
        if !self.diff2.is_finite() {
            return f64::INFINITY;
        }
        match mode {
            ErrorMode::Exact => {
                if self.diff2 == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                }
            }
            ErrorMode::RelL2 => {
                if self.norm2 == 0.0 {
                    if self.diff2 == 0.0 {
                        0.0
                    } else {
                        f64::INFINITY
                    }
                } else {
                    (self.diff2 / self.norm2).sqrt()
                }
            }
            ErrorMode::AbsRms => (self.diff2 / self.n.max(1) as f64).sqrt(),
            ErrorMode::AbsMax => self.max_abs,
        }
    }
}

/// Error sums of `decoded` (f32 values as a codec returns them) against
/// the original tensor's bytes in `dtype`, with `decoded` first rounded to
/// `dtype` (as a reader of the decompressed file sees it): f64 originals
/// are compared in f64.
///
/// # Panics
/// Never for float dtypes; other dtypes count as all zeros.
pub fn sums(dtype: SafetensorsDtype, original: &[u8], decoded: &[f32]) -> ErrorSums {
    use half::{bf16, f16};
    let mut s = ErrorSums::default();
    match dtype {
        SafetensorsDtype::F32 => {
            for (b, &y) in original.chunks_exact(4).zip(decoded) {
                let x = f32::from_le_bytes(b.try_into().unwrap());
                s.push(f64::from(x), f64::from(y));
            }
        }
        SafetensorsDtype::F64 => {
            for (b, &y) in original.chunks_exact(8).zip(decoded) {
                let x = f64::from_le_bytes(b.try_into().unwrap());
                s.push(x, f64::from(y));
            }
        }
        SafetensorsDtype::F16 => {
            for (b, &y) in original.chunks_exact(2).zip(decoded) {
                let x = f16::from_le_bytes([b[0], b[1]]).to_f64();
                s.push(x, f16::from_f32(y).to_f64());
            }
        }
        SafetensorsDtype::BF16 => {
            for (b, &y) in original.chunks_exact(2).zip(decoded) {
                let x = bf16::from_le_bytes([b[0], b[1]]).to_f64();
                s.push(x, bf16::from_f32(y).to_f64());
            }
        }
        _ => {}
    }
    s
}

/// [`sums`] turned into the error of `mode`.
pub fn measure(mode: ErrorMode, dtype: SafetensorsDtype, original: &[u8], decoded: &[f32]) -> f64 {
    sums(dtype, original, decoded).error(mode)
}

/// The relative-L2 bound that is equivalent to an RMS bound (`None` when
/// the tensor is all zeros).
pub fn rel_of_rms(rms: f64, n: usize, norm: f64) -> Option<f64> {
    (norm > 0.0).then(|| rms * (n as f64).sqrt() / norm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_measure_what_they_say() {
        let x = [3.0f32, -4.0, 0.0, 1.0];
        let y = [3.0f32, -3.0, 0.5, 1.0];
        let b: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
        let d2: f64 = 1.0 + 0.25;
        let n2: f64 = 9.0 + 16.0 + 1.0;
        let t = SafetensorsDtype::F32;
        assert!((measure(ErrorMode::RelL2, t, &b, &y) - (d2 / n2).sqrt()).abs() < 1e-15);
        assert!((measure(ErrorMode::AbsRms, t, &b, &y) - (d2 / 4.0).sqrt()).abs() < 1e-15);
        assert_eq!(measure(ErrorMode::AbsMax, t, &b, &y), 1.0);
        assert_eq!(measure(ErrorMode::Exact, t, &b, &x), 0.0);
        assert_eq!(measure(ErrorMode::Exact, t, &b, &y), f64::INFINITY);
        assert_eq!(
            measure(ErrorMode::AbsMax, t, &b, &[f32::NAN, -4.0, 0.0, 1.0]),
            f64::INFINITY
        );
        for m in [ErrorMode::RelL2, ErrorMode::AbsRms, ErrorMode::AbsMax] {
            assert_eq!(ErrorMode::parse(m.name()).unwrap(), m);
            assert_eq!(ErrorMode::from_id(m.id()), Some(m));
        }
        assert!(ErrorMode::parse("l2").is_err());
        assert_eq!(ErrorMode::from_id(9), None);
    }

    #[test]
    fn f64_originals_are_compared_in_f64() {
        let x = [1.0f64 + 1e-12, 2.0];
        let b: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
        let e = measure(ErrorMode::AbsMax, SafetensorsDtype::F64, &b, &[1.0, 2.0]);
        assert!(e > 0.9e-12 && e < 1.1e-12, "{e}");
    }
}
