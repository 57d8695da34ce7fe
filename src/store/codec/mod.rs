//! Per-tensor codecs of the `.fftt` container.
//!
//! Every codec turns the f32 values of one tensor into a *parameter block*
//! (stored in the container's tensor table) and a *payload* (stored after
//! it), and back. Lossy codecs work on f32 values; the original dtype is
//! restored when a tensor is written back out. The byte layouts are given in
//! `FORMAT.md` at the repository root and in each codec's module.
//!
//! Decoders validate everything: lengths are checked against the payload
//! before anything is allocated, and damaged input gives a
//! [`Error::Corrupt`] with `what` [`PARAMS`] or [`PAYLOAD`] and the byte
//! offset inside that block, never a panic. Errors that are not damage (a
//! GPU failure while a transform codec decodes) are returned as they are.

pub mod arith;
pub mod bdct;
pub mod blocks;
pub mod dct_quant;
pub mod entropy;
pub mod f16;
pub(crate) mod grid;
pub mod int4;
pub mod int8;
pub mod interp;
pub mod lorenzo;
pub mod prune;
pub mod quant;
pub mod raw;
pub mod sparse;

use std::fmt;

use crate::error::{Error, Result};

/// Codec identifiers as stored in the container (one byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CodecId {
    /// The tensor's bytes as they were (any dtype); lossless.
    Raw,
    /// IEEE half precision.
    F16,
    /// Symmetric INT8 with an f16 scale per group of consecutive elements.
    Int8,
    /// Symmetric INT4 (-7..=7) with an f16 scale per group.
    Int4,
    /// Spatial top-k: the largest `|x|` kept (positions + f16 values).
    Prune,
    /// Error-bounded uniform quantiser, rANS-coded integers.
    Quant,
    /// The same quantiser on the orthonormal DCT-II over all axes.
    DctQuant,
    /// Largest real-FFT coefficients ([`crate::spectral`]).
    SparseRfft,
    /// Largest DCT-II coefficients ([`crate::spectral`]).
    SparseDct,
    /// Block DCT, dead-zone quantiser, context-adaptive arithmetic coding.
    Bdct,
    /// Lorenzo prediction and quantisation, arithmetic-coded.
    Lorenzo,
    /// Multi-level interpolation prediction and quantisation, arithmetic-coded.
    Interp,
}

impl CodecId {
    /// All codecs this build knows, in id order.
    pub const ALL: [CodecId; 12] = [
        CodecId::Raw,
        CodecId::F16,
        CodecId::Int8,
        CodecId::Int4,
        CodecId::Prune,
        CodecId::Quant,
        CodecId::DctQuant,
        CodecId::SparseRfft,
        CodecId::SparseDct,
        CodecId::Bdct,
        CodecId::Lorenzo,
        CodecId::Interp,
    ];

    /// The byte stored in the container.
    pub fn id(self) -> u8 {
        match self {
            CodecId::Raw => 0,
            CodecId::F16 => 1,
            CodecId::Int8 => 2,
            CodecId::Int4 => 3,
            CodecId::Prune => 4,
            CodecId::Quant => 5,
            CodecId::DctQuant => 6,
            CodecId::SparseRfft => 7,
            CodecId::SparseDct => 8,
            CodecId::Bdct => 9,
            CodecId::Lorenzo => 10,
            CodecId::Interp => 11,
        }
    }

    /// The codec with this id, if this build knows it.
    pub fn from_id(id: u8) -> Option<Self> {
        CodecId::ALL.into_iter().find(|c| c.id() == id)
    }

    /// Short name, as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            CodecId::Raw => "raw",
            CodecId::F16 => "f16",
            CodecId::Int8 => "int8",
            CodecId::Int4 => "int4",
            CodecId::Prune => "prune",
            CodecId::Quant => "quant",
            CodecId::DctQuant => "dct-quant",
            CodecId::SparseRfft => "sparse-rfft",
            CodecId::SparseDct => "sparse-dct",
            CodecId::Bdct => "bdct",
            CodecId::Lorenzo => "lorenzo",
            CodecId::Interp => "interp",
        }
    }
}

impl fmt::Display for CodecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One encoded tensor: codec, parameter block and payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// The codec.
    pub codec: CodecId,
    /// The codec's parameter block (stored in the tensor table).
    pub params: Vec<u8>,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Encoded {
    /// Bytes this tensor takes in the container besides its table entry's
    /// fixed fields: parameters plus payload.
    pub fn stored_bytes(&self) -> u64 {
        (self.params.len() + self.payload.len()) as u64
    }
}

/// [`Error::Corrupt`]'s `what` for damage in a codec's parameter block.
pub const PARAMS: &str = "parameters";
/// [`Error::Corrupt`]'s `what` for damage in a codec's payload.
pub const PAYLOAD: &str = "payload";

/// Damage in the payload at `offset`: [`Error::Corrupt`] with `what`
/// [`PAYLOAD`].
pub(crate) fn payload_err(offset: usize, detail: impl Into<String>) -> Error {
    Error::Corrupt {
        what: PAYLOAD,
        offset: offset as u64,
        detail: detail.into(),
    }
}

/// Damage in the parameter block at `offset`: [`Error::Corrupt`] with
/// `what` [`PARAMS`].
pub(crate) fn params_err(offset: usize, detail: impl Into<String>) -> Error {
    Error::Corrupt {
        what: PARAMS,
        offset: offset as u64,
        detail: detail.into(),
    }
}

/// Maps an error of a codec's inverse transform: what the stored data
/// caused (a shape or argument the transform refuses) is payload damage at
/// offset 0, described with `what`; device failures (GPU errors, limits,
/// budget) pass through unchanged, since they say nothing about the file.
pub(crate) fn inverse_err(what: &str, e: Error) -> Error {
    match e {
        Error::ShapeMismatch { .. }
        | Error::InvalidArgument { .. }
        | Error::Corrupt { .. }
        | Error::Dct(_)
        | Error::Positions(_) => payload_err(0, format!("{what}: {e}")),
        other => other,
    }
}

/// Bounds-checked little-endian reader over a byte slice.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    in_params: bool,
}

impl<'a> Cursor<'a> {
    pub(crate) fn payload(bytes: &'a [u8]) -> Self {
        Cursor {
            bytes,
            pos: 0,
            in_params: false,
        }
    }

    pub(crate) fn params(bytes: &'a [u8]) -> Self {
        Cursor {
            bytes,
            pos: 0,
            in_params: true,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    pub(crate) fn err(&self, at: usize, detail: impl Into<String>) -> Error {
        if self.in_params {
            params_err(at, detail)
        } else {
            payload_err(at, detail)
        }
    }

    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.err(
                self.pos,
                format!("{what} needs {n} bytes, only {} remain", self.remaining()),
            ));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }

    pub(crate) fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }

    pub(crate) fn f64(&mut self, what: &str) -> Result<f64> {
        Ok(f64::from_bits(self.u64(what)?))
    }

    /// Unsigned LEB128, at most 10 bytes, no overlong encodings.
    pub(crate) fn varint(&mut self, what: &str) -> Result<u64> {
        let start = self.pos;
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.u8(what)?;
            let part = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(self.err(start, format!("{what}: varint overflows 64 bits")));
            }
            v |= part << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(self.err(start, format!("{what}: overlong varint")));
                }
                return Ok(v);
            }
        }
        Err(self.err(start, format!("{what}: varint longer than 10 bytes")))
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(&self, what: &str) -> Result<()> {
        if self.remaining() != 0 {
            return Err(self.err(
                self.pos,
                format!("{} unexpected bytes after the {what}", self.remaining()),
            ));
        }
        Ok(())
    }
}

/// Appends `v` as unsigned LEB128.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes `v` takes as LEB128.
pub(crate) fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Relative Frobenius error `||a - b|| / ||a||` computed in f64 (0 when both
/// are zero, infinity when only `a` is, or when `b` holds NaN/inf).
pub fn relative_error(a: &[f32], b: &[f32]) -> f64 {
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let d = f64::from(x) - f64::from(y);
        num += d * d;
        den += f64::from(x) * f64::from(x);
    }
    if !num.is_finite() {
        return f64::INFINITY;
    }
    if den == 0.0 {
        return if num == 0.0 { 0.0 } else { f64::INFINITY };
    }
    (num / den).sqrt()
}

/// Groups of `group` consecutive elements: `ceil(n / group)`.
pub(crate) fn group_count(n: usize, group: usize) -> usize {
    n.div_ceil(group)
}

/// Reads a `u32` group size parameter block and checks it.
pub(crate) fn read_group_params(params: &[u8]) -> Result<usize> {
    let mut c = Cursor::params(params);
    let g = c.u32("group size")?;
    c.finish("group size")?;
    if g == 0 {
        return Err(params_err(0, "group size is zero"));
    }
    Ok(g as usize)
}

/// f16 scale of a symmetric quantiser: `absmax / levels`, rounded up to the
/// next f16 so that `|x| / scale <= levels` still holds.
pub(crate) fn f16_scale(absmax: f32, levels: f32) -> Option<half::f16> {
    if absmax == 0.0 {
        return Some(half::f16::ZERO);
    }
    let s = absmax / levels;
    let mut h = half::f16::from_f32(s);
    if h.to_f32() < s {
        h = half::f16::from_bits(h.to_bits() + 1);
    }
    let v = h.to_f32();
    (v.is_finite() && v > 0.0).then_some(h)
}

/// Elements from which the transform codecs use a GPU found on demand
/// ([`crate::backend::DeviceChoice::Auto`]); smaller tensors (and every
/// sample `auto` estimates on) are transformed on the CPU backend, so no
/// driver is loaded for them. A context opened on the GPU explicitly is
/// always used.
pub const GPU_MIN_ELEMENTS: usize = 1 << 20;

/// The context the transform codecs use for `n` elements (see
/// [`GPU_MIN_ELEMENTS`]).
pub(crate) fn transform_context(
    ctx: &crate::backend::Context,
    n: usize,
) -> crate::backend::Context {
    static CPU: std::sync::OnceLock<crate::backend::Context> = std::sync::OnceLock::new();
    if n < GPU_MIN_ELEMENTS && ctx.gpu_on_demand() {
        CPU.get_or_init(crate::backend::Context::cpu).clone()
    } else {
        ctx.clone()
    }
}

/// Decodes a payload of a lossy codec to f32 values (`shape` gives the
/// element count, and the axes for transform codecs). Raw payloads are not
/// values: this returns an error for [`CodecId::Raw`].
///
/// # Errors
/// [`Error::Corrupt`] with `what` [`PARAMS`] or [`PAYLOAD`] and the offset
/// inside that block for damaged input; the transform codecs' device
/// failures ([`Error::Gpu`], [`Error::DeviceLimit`],
/// [`Error::BudgetExceeded`], ...) as they are.
pub fn decode(
    ctx: &crate::backend::Context,
    codec: CodecId,
    params: &[u8],
    payload: &[u8],
    shape: &[usize],
) -> Result<Vec<f32>> {
    let n: usize = shape.iter().product();
    let ctx = &transform_context(ctx, n);
    match codec {
        CodecId::Raw => Err(params_err(0, "raw payloads hold bytes, not values")),
        CodecId::F16 => f16::decode(params, payload, n),
        CodecId::Int8 => int8::decode(params, payload, n),
        CodecId::Int4 => int4::decode(params, payload, n),
        CodecId::Prune => prune::decode(params, payload, n),
        CodecId::Quant => quant::decode(params, payload, n),
        CodecId::DctQuant => dct_quant::decode(ctx, params, payload, shape),
        CodecId::Bdct => bdct::decode(params, payload, shape),
        CodecId::Lorenzo => lorenzo::decode(params, payload, shape),
        CodecId::Interp => interp::decode(params, payload, shape),
        CodecId::SparseRfft | CodecId::SparseDct => {
            sparse::decode(ctx, codec, params, payload, shape)
        }
    }
}

/// A human-readable summary of a codec and its parameter block
/// (`int8 g64`, `quant step 3.1e-3`, `sparse-dct 1.25%` kept, ...); the
/// payload, when given, adds what only it knows.
pub fn describe(codec: CodecId, params: &[u8], payload: Option<&[u8]>, shape: &[usize]) -> String {
    let group = || read_group_params(params).ok();
    let last = shape.last().copied().unwrap_or(1);
    match codec {
        CodecId::Int8 | CodecId::Int4 => match group() {
            Some(g) if g == last && shape.len() > 1 => format!("{codec} row"),
            Some(g) => format!("{codec} g{g}"),
            None => codec.to_string(),
        },
        CodecId::Bdct if params.len() == 9 => {
            let step = f64::from_le_bytes(params[1..9].try_into().unwrap());
            format!("bdct b{} step {step:.2e}", 1u32 << params[0].min(31))
        }
        CodecId::Quant | CodecId::DctQuant | CodecId::Lorenzo => match quant::read_step(params) {
            Ok(s) => format!("{codec} step {s:.2e}"),
            Err(_) => codec.to_string(),
        },
        CodecId::Interp => match interp::read_step(params) {
            Ok(s) => format!(
                "interp {} step {s:.2e}",
                if params[0] == 1 { "cubic" } else { "linear" }
            ),
            Err(_) => codec.to_string(),
        },
        CodecId::Prune => match params.try_into() {
            Ok(b) => {
                let k = u64::from_le_bytes(b);
                let n: u64 = shape.iter().map(|&d| d as u64).product();
                format!("prune {:.1}%", 100.0 * k as f64 / n.max(1) as f64)
            }
            Err(_) => codec.to_string(),
        },
        CodecId::SparseRfft | CodecId::SparseDct => {
            match payload.map(crate::spectral::SparseSpectral::from_bytes) {
                Some(Ok(s)) => format!(
                    "{codec} {:.2}%",
                    100.0 * s.kept() as f64 / s.coefficients().max(1) as f64
                ),
                _ => codec.to_string(),
            }
        }
        _ => codec.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod test_data {
    /// Deterministic pseudo-random normal values (xorshift + Box-Muller).
    pub fn gaussian(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                let (u, v) = (next(), next());
                ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
            })
            .collect()
    }

    /// A smooth 2-D field of `rows x cols`.
    pub fn smooth(rows: usize, cols: usize) -> Vec<f32> {
        let mut v = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                let (x, y) = (i as f64 / rows as f64, j as f64 / cols as f64);
                v.push(((3.0 * x).sin() * (2.0 * y).cos() + 0.5 * (x * y * 5.0).sin()) as f32);
            }
        }
        v
    }
}
