//! Choosing a codec per tensor: every candidate is encoded, decoded and
//! measured; the smallest whose actual relative Frobenius error is within
//! the bound wins, and raw wins when nothing is smaller.

use safetensors::Dtype as SafetensorsDtype;

use super::codec::{self, relative_error, CodecId, Encoded};
use super::dtype;
use super::format::MAX_ELEMENTS_PER_BYTE;
use crate::backend::Context;
use crate::error::Result;
use crate::spectral::Transform;

/// How INT8/INT4 scales are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One scale per row (the last dimension).
    PerRow,
    /// One scale per `n` consecutive elements.
    Group(usize),
}

/// One concrete way of encoding a tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Unchanged bytes.
    Raw,
    /// Half precision.
    F16,
    /// INT8 with f16 scales.
    Int8(Grouping),
    /// INT4 with f16 scales.
    Int4(Grouping),
    /// Spatial top-k with the fewest values meeting the bound.
    Prune,
    /// Error-bounded quantiser.
    Quant,
    /// Error-bounded quantiser on DCT-II coefficients.
    DctQuant,
    /// Largest DCT-II coefficients, fewest meeting the bound.
    SparseDct,
    /// Largest real-FFT coefficients, fewest meeting the bound.
    SparseRfft,
}

impl Method {
    /// Label such as `int8 g64`.
    pub fn label(self) -> String {
        let g = |g: Grouping| match g {
            Grouping::PerRow => "row".to_string(),
            Grouping::Group(n) => format!("g{n}"),
        };
        match self {
            Method::Raw => "raw".into(),
            Method::F16 => "f16".into(),
            Method::Int8(x) => format!("int8 {}", g(x)),
            Method::Int4(x) => format!("int4 {}", g(x)),
            Method::Prune => "prune".into(),
            Method::Quant => "quant".into(),
            Method::DctQuant => "dct-quant".into(),
            Method::SparseDct => "dct".into(),
            Method::SparseRfft => "rfft".into(),
        }
    }

    /// The codec family this method belongs to.
    pub fn family(self) -> Family {
        match self {
            Method::Raw => Family::Raw,
            Method::F16 => Family::F16,
            Method::Int8(_) => Family::Int8,
            Method::Int4(_) => Family::Int4,
            Method::Prune => Family::Prune,
            Method::Quant => Family::Quant,
            Method::DctQuant => Family::DctQuant,
            Method::SparseDct => Family::Dct,
            Method::SparseRfft => Family::Rfft,
        }
    }

    /// Whether the method solves its setting from the error bound.
    pub fn error_driven(self) -> bool {
        matches!(
            self,
            Method::Prune
                | Method::Quant
                | Method::DctQuant
                | Method::SparseDct
                | Method::SparseRfft
        )
    }
}

/// What `--codec` selects: `auto` or one family (whose best layout is used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Every family below; the smallest meeting the bound.
    Auto,
    /// Unchanged bytes.
    Raw,
    /// Half precision.
    F16,
    /// INT8: per row, groups of 128, groups of 64.
    Int8,
    /// INT4: groups of 128 and 64.
    Int4,
    /// Spatial top-k.
    Prune,
    /// Error-bounded quantiser.
    Quant,
    /// Error-bounded quantiser on DCT coefficients.
    DctQuant,
    /// Sparse DCT-II (largest coefficients).
    Dct,
    /// Sparse real FFT (largest coefficients).
    Rfft,
}

impl Family {
    /// Parses a `--codec` value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "auto" => Family::Auto,
            "raw" => Family::Raw,
            "f16" => Family::F16,
            "int8" => Family::Int8,
            "int4" => Family::Int4,
            "prune" => Family::Prune,
            "quant" => Family::Quant,
            "dct-quant" => Family::DctQuant,
            "dct" => Family::Dct,
            "rfft" => Family::Rfft,
            _ => return None,
        })
    }

    /// The methods tried for this family.
    pub fn methods(self) -> Vec<Method> {
        use Grouping::*;
        match self {
            Family::Auto => [
                Family::F16,
                Family::Int8,
                Family::Int4,
                Family::Prune,
                Family::Quant,
                Family::DctQuant,
                Family::Dct,
                Family::Rfft,
            ]
            .into_iter()
            .flat_map(Family::methods)
            .collect(),
            Family::Raw => vec![Method::Raw],
            Family::F16 => vec![Method::F16],
            Family::Int8 => vec![
                Method::Int8(PerRow),
                Method::Int8(Group(128)),
                Method::Int8(Group(64)),
            ],
            Family::Int4 => vec![Method::Int4(Group(128)), Method::Int4(Group(64))],
            Family::Prune => vec![Method::Prune],
            Family::Quant => vec![Method::Quant],
            Family::DctQuant => vec![Method::DctQuant],
            Family::Dct => vec![Method::SparseDct],
            Family::Rfft => vec![Method::SparseRfft],
        }
    }
}

/// Encodes `values` (of `shape`) with `method`; error-driven methods aim at
/// `target`.
///
/// # Errors
/// The codec's own errors (range, size, f16 overflow of scales).
pub fn encode_method(
    ctx: &Context,
    method: Method,
    values: &[f32],
    shape: &[usize],
    target: f64,
) -> Result<Encoded> {
    let group = |g: Grouping| match g {
        Grouping::PerRow => shape.last().copied().unwrap_or(1).max(1),
        Grouping::Group(n) => n,
    };
    match method {
        Method::Raw => Ok(codec::raw::encode(&dtype::from_f32(
            SafetensorsDtype::F32,
            values,
        ))),
        Method::F16 => Ok(codec::f16::encode(values)),
        Method::Int8(g) => codec::int8::encode(values, group(g)),
        Method::Int4(g) => codec::int4::encode(values, group(g)),
        Method::Prune => codec::prune::encode(values, target),
        Method::Quant => codec::quant::encode(values, target).map(|(e, _)| e),
        Method::DctQuant => codec::dct_quant::encode(ctx, values, shape, target).map(|(e, _)| e),
        Method::SparseDct => codec::sparse::encode(ctx, Transform::Dct, values, shape, target),
        Method::SparseRfft => codec::sparse::encode(ctx, Transform::Rfft, values, shape, target),
    }
}

/// One encoding tried for a tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The method.
    pub method: Method,
    /// Parameter plus payload bytes.
    pub bytes: u64,
    /// Measured relative error (after rounding to the tensor's dtype).
    pub error: f64,
}

/// The choice for one tensor.
#[derive(Debug, Clone)]
pub struct Choice {
    /// What is stored.
    pub encoded: Encoded,
    /// Its measured relative error.
    pub error: f64,
    /// Everything tried, in order.
    pub candidates: Vec<Candidate>,
}

/// Tries `family`'s methods on a float tensor and returns the smallest
/// encoding whose measured error is at most `max_error`, or `raw_bytes`
/// stored raw when nothing smaller meets it. With a single family forced
/// and none of its layouts meeting the bound, the one with the smallest
/// error is kept (if smaller than raw).
///
/// # Errors
/// None in practice: candidates that fail to encode are skipped.
pub fn choose(
    ctx: &Context,
    family: Family,
    dt: SafetensorsDtype,
    values: &[f32],
    shape: &[usize],
    raw_bytes: &[u8],
    max_error: f64,
) -> Result<Choice> {
    choose_reporting(
        ctx,
        family,
        dt,
        values,
        shape,
        raw_bytes,
        max_error,
        &mut |_, _| {},
    )
}

/// [`choose`], calling `done(methods_tried, methods)` after each method.
///
/// # Errors
/// As [`choose`].
#[allow(clippy::too_many_arguments)]
pub fn choose_reporting(
    ctx: &Context,
    family: Family,
    dt: SafetensorsDtype,
    values: &[f32],
    shape: &[usize],
    raw_bytes: &[u8],
    max_error: f64,
    done: &mut dyn FnMut(usize, usize),
) -> Result<Choice> {
    let n = values.len() as u64;
    let mut candidates = Vec::new();
    let raw = codec::raw::encode(raw_bytes);
    let raw_size = raw.stored_bytes();
    let mut best: Option<(Encoded, f64)> = None;
    let mut closest: Option<(Encoded, f64)> = None;
    let methods = family.methods();
    for (i, &method) in methods.iter().enumerate() {
        done(i, methods.len());
        if method == Method::Raw {
            continue;
        }
        if method == Method::F16 && dt != SafetensorsDtype::F32 {
            continue; // never smaller than an f16/bf16 original
        }
        let targets: &[f64] = if method.error_driven() {
            &[1.0, 0.9, 0.7]
        } else {
            &[1.0]
        };
        for &t in targets {
            // A codec that cannot represent the tensor drops out; a failing
            // device (lost, out of budget, no GPU) is the caller's to see.
            let enc = match encode_method(ctx, method, values, shape, max_error * t) {
                Ok(enc) => enc,
                Err(e) if e.is_device_failure() => return Err(e),
                Err(_) => break,
            };
            if n > (enc.payload.len() as u64).saturating_mul(MAX_ELEMENTS_PER_BYTE) {
                break;
            }
            let back = match codec::decode(ctx, enc.codec, &enc.params, &enc.payload, shape) {
                Ok(back) => back,
                Err(e) if e.is_device_failure() => return Err(e),
                Err(_) => break,
            };
            let error = relative_error(values, &dtype::round_trip(dt, back));
            candidates.push(Candidate {
                method,
                bytes: enc.stored_bytes(),
                error,
            });
            let size = enc.stored_bytes();
            if error <= max_error {
                if best.as_ref().is_none_or(|(b, _)| size < b.stored_bytes()) {
                    best = Some((enc, error));
                }
                break;
            }
            if closest.as_ref().is_none_or(|(_, e)| error < *e) {
                closest = Some((enc, error));
            }
        }
    }
    let pick = match (best, family) {
        (Some(b), _) => Some(b),
        (None, Family::Auto) => None,
        (None, _) => closest,
    };
    let (encoded, error) = match pick {
        Some((e, err)) if e.stored_bytes() < raw_size => (e, err),
        _ => (raw, 0.0),
    };
    debug_assert!(encoded.codec != CodecId::Raw || error == 0.0);
    Ok(Choice {
        encoded,
        error,
        candidates,
    })
}
