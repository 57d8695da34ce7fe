//! Choosing a codec per tensor. By default ([`Search::Estimate`]) every
//! candidate is estimated cheaply on a sample of the tensor (fixed layouts
//! have known sizes; the prediction and transform codecs are estimated only
//! when a smoothness test says they can win), then only the cheapest is
//! encoded in full and its error measured on the real reconstruction in
//! the tensor's dtype; if that misses the bound the next estimate is tried.
//! On smooth data the prediction and block codecs are estimated on a
//! centred block of the tensor, `interp` by its own sub-block estimate,
//! the whole-tensor transforms from one transform of the tensor (see
//! `choose_fast`).
//! [`Search::Exhaustive`] encodes, decodes and measures every candidate:
//! the smallest whose actual error (in the requested [`ErrorMode`]) is
//! within the bound wins. Raw wins when nothing is smaller.

use safetensors::Dtype as SafetensorsDtype;

use super::codec::{self, CodecId, Encoded};
use super::dtype;
use super::error_mode::{self, ErrorMode};
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
    /// Block DCT with context-adaptive arithmetic coding.
    Bdct,
    /// Lorenzo prediction and quantisation.
    Lorenzo,
    /// Multi-level interpolation prediction and quantisation.
    Interp,
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
            Method::Bdct => "bdct".into(),
            Method::Lorenzo => "lorenzo".into(),
            Method::Interp => "interp".into(),
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
            Method::Bdct => Family::Bdct,
            Method::Lorenzo => Family::Lorenzo,
            Method::Interp => Family::Interp,
        }
    }

    /// Whether the method is estimated only on data the smoothness test
    /// passes ([`super::estimate::smooth`]): the prediction and transform
    /// codecs, which lose to the plain quantiser on noise-like data (trained
    /// weights) and cost the most to try. A new method is gated unless
    /// listed here as cheap.
    pub fn needs_smooth_data(self) -> bool {
        !matches!(
            self,
            Method::Raw
                | Method::F16
                | Method::Int8(_)
                | Method::Int4(_)
                | Method::Quant
                | Method::Prune
        )
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
                | Method::Bdct
                | Method::Lorenzo
                | Method::Interp
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
    /// Block DCT transform coder.
    Bdct,
    /// Lorenzo prediction.
    Lorenzo,
    /// Interpolation prediction.
    Interp,
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
            "bdct" => Family::Bdct,
            "lorenzo" => Family::Lorenzo,
            "interp" => Family::Interp,
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
                Family::Bdct,
                Family::Lorenzo,
                Family::Interp,
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
            Family::Bdct => vec![Method::Bdct],
            Family::Lorenzo => vec![Method::Lorenzo],
            Family::Interp => vec![Method::Interp],
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
    let ctx = &codec::transform_context(ctx, values.len());
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
        Method::Bdct => codec::bdct::encode(values, shape, target),
        Method::Lorenzo => codec::lorenzo::encode(values, shape, target),
        Method::Interp => codec::interp::encode(values, shape, codec::interp::Bound::RelL2(target)),
    }
}

/// One encoding tried for a tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The method.
    pub method: Method,
    /// Parameter plus payload bytes.
    pub bytes: u64,
    /// Measured error (in the request's mode, after rounding to the
    /// tensor's dtype).
    pub error: f64,
}

/// The choice for one tensor.
#[derive(Debug, Clone)]
pub struct Choice {
    /// What is stored.
    pub encoded: Encoded,
    /// Its measured error.
    pub error: f64,
    /// Everything tried, in order (with [`Search::Estimate`], the sample
    /// estimates of every candidate, then the full encodings measured).
    pub candidates: Vec<Candidate>,
    /// Rows per row block of `encoded`'s payload (0: one piece).
    pub block_rows: u64,
    /// Bytes of each row block (empty: one piece).
    pub block_lengths: Vec<u64>,
}

/// What a tensor must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    /// Codec family.
    pub family: Family,
    /// What the bound limits.
    pub mode: ErrorMode,
    /// The bound.
    pub bound: f64,
    /// A kept fraction for the spectral codecs (`dct`, `rfft`) instead of a
    /// bound (the bound is then not enforced).
    pub keep: Option<f64>,
    /// How candidates are compared.
    pub search: Search,
    /// Whether the encoding may be cut into row blocks
    /// ([`codec::blocks`]), as the container stores large tensors.
    pub blocks: bool,
}

/// How `auto` compares candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Search {
    /// Estimate every candidate on a sample, encode only the cheapest (then
    /// the next if it misses the bound).
    #[default]
    Estimate,
    /// Encode, decode and measure every candidate.
    Exhaustive,
}

impl Search {
    /// Parses `estimate` or `exhaustive`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] for anything else.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "estimate" => Ok(Search::Estimate),
            "exhaustive" => Ok(Search::Exhaustive),
            _ => Err(crate::Error::invalid(
                "search",
                format!("`{s}`: estimate or exhaustive"),
            )),
        }
    }
}

/// Tries `family`'s methods on a float tensor and returns the smallest
/// encoding whose measured relative error is at most `max_error` (see
/// [`choose_with`]).
///
/// # Errors
/// As [`choose_with`].
pub fn choose(
    ctx: &Context,
    family: Family,
    dt: SafetensorsDtype,
    values: &[f32],
    shape: &[usize],
    raw_bytes: &[u8],
    max_error: f64,
) -> Result<Choice> {
    let req = Request {
        family,
        mode: ErrorMode::RelL2,
        bound: max_error,
        keep: None,
        search: Search::default(),
        blocks: false,
    };
    choose_with(ctx, &req, dt, values, shape, raw_bytes, &mut |_, _| {})
}

/// Bytes an entry holds beside a lossy encoding that a raw entry does not:
/// the bound it was given and the error measured on it (f64 each; a raw
/// entry is written with the exact mode and neither, see FORMAT.md).
pub(super) const BOUND_RECORD_BYTES: u64 = 16;

/// The stored bytes (parameters plus payload) a lossy encoding must stay
/// below to take less room in the file than the raw entry of `raw_len`
/// bytes (which needs no [`BOUND_RECORD_BYTES`]); zero when none can.
pub(super) fn raw_limit(raw_len: usize) -> u64 {
    (codec::raw::encode(&[]).stored_bytes() + raw_len as u64).saturating_sub(BOUND_RECORD_BYTES)
}

/// The relative-L2 target an error-driven codec aims at for `req`
/// (`None`: the codec cannot aim at this mode).
pub(super) fn rel_target(req: &Request, n: usize, norm: f64) -> Option<f64> {
    match req.mode {
        ErrorMode::RelL2 => Some(req.bound),
        ErrorMode::AbsRms => error_mode::rel_of_rms(req.bound, n, norm),
        ErrorMode::Exact | ErrorMode::AbsMax => None,
    }
}

/// Encodes with an error-driven `method` aiming at `target` (relative L2),
/// or with the pointwise quantisers at an absolute bound.
pub(super) fn encode_for(
    ctx: &Context,
    method: Method,
    req: &Request,
    values: &[f32],
    shape: &[usize],
    target: f64,
) -> Result<Encoded> {
    let ctx = &codec::transform_context(ctx, values.len());
    match (req.mode, method, req.keep) {
        (_, Method::SparseDct, Some(f)) => {
            codec::sparse::encode_keep(ctx, Transform::Dct, values, shape, f)
        }
        (_, Method::SparseRfft, Some(f)) => {
            codec::sparse::encode_keep(ctx, Transform::Rfft, values, shape, f)
        }
        (ErrorMode::AbsMax, Method::Quant, _) => {
            codec::quant::encode_with_step(values, 2.0 * target).map(|(e, _)| e)
        }
        (ErrorMode::AbsMax, Method::Lorenzo, _) => {
            codec::lorenzo::encode_with_step(values, shape, 2.0 * target)
        }
        (ErrorMode::AbsMax, Method::Interp, _) => {
            codec::interp::encode(values, shape, codec::interp::Bound::AbsMax(target))
        }
        _ => encode_method(ctx, method, values, shape, target),
    }
}

/// [`encode_for`] with the values the decoder gives for the encoding when
/// the codec hands them out as it encodes (`interp`: its last quantisation
/// pass keeps them, bit for bit), so that they need no decoding.
fn encode_for_values(
    ctx: &Context,
    method: Method,
    req: &Request,
    values: &[f32],
    shape: &[usize],
    target: f64,
) -> Result<(Encoded, Option<Vec<f32>>)> {
    let bound = match (req.mode, method) {
        (ErrorMode::AbsMax, Method::Interp) => codec::interp::Bound::AbsMax(target),
        (_, Method::Interp) => codec::interp::Bound::RelL2(target),
        _ => return encode_for(ctx, method, req, values, shape, target).map(|e| (e, None)),
    };
    codec::interp::encode_reconstructed(values, shape, bound).map(|(e, y)| (e, Some(y)))
}

/// Tries `req.family`'s methods on a float tensor and returns the smallest
/// encoding whose error, measured in `req.mode` on the reconstruction
/// rounded to `dt` against the original bytes `raw_bytes` (f64 originals in
/// f64), is at most `req.bound`; or the tensor raw when nothing smaller
/// meets it. With a single family forced and none of its layouts meeting
/// the bound, the one with the smallest error is kept (if smaller than
/// raw). Error-driven codecs aim just inside the bound and, when the
/// reconstruction lands above it, aim lower by the measured excess (a few
/// parts in 10^4 past it), not by a fixed step. `done(methods_tried,
/// methods)` is called after each method.
///
/// # Errors
/// Device failures (lost device, memory budget, no GPU); candidates that
/// cannot encode the tensor are skipped.
#[allow(clippy::too_many_arguments)]
pub fn choose_with(
    ctx: &Context,
    req: &Request,
    dt: SafetensorsDtype,
    values: &[f32],
    shape: &[usize],
    raw_bytes: &[u8],
    done: &mut dyn FnMut(usize, usize),
) -> Result<Choice> {
    // `auto`, and the cheap families forced, take the estimating path; a
    // forced family falls back to the full search when nothing of it met
    // the bound there (that search keeps the closest layout).
    let cheap = req.family == Family::Auto
        || matches!(
            req.family,
            Family::Quant | Family::Int8 | Family::Int4 | Family::F16
        );
    if req.search == Search::Estimate && cheap && req.keep.is_none() {
        if let Some(c) = super::choose_fast::choose(ctx, req, dt, values, shape, raw_bytes, done)? {
            if req.family == Family::Auto || c.encoded.codec != CodecId::Raw {
                return Ok(c);
            }
        }
    }
    let mut c = choose_exhaustive(ctx, req, dt, values, shape, raw_bytes, done)?;
    if req.blocks {
        if let Some(s) = codec::blocks::split(&c.encoded, values, shape) {
            c.encoded = s.encoded;
            c.block_rows = s.rows;
            c.block_lengths = s.lengths;
        }
    }
    Ok(c)
}

#[allow(clippy::too_many_arguments)]
fn choose_exhaustive(
    ctx: &Context,
    req: &Request,
    dt: SafetensorsDtype,
    values: &[f32],
    shape: &[usize],
    raw_bytes: &[u8],
    done: &mut dyn FnMut(usize, usize),
) -> Result<Choice> {
    let n = values.len() as u64;
    let norm = codec::quant::norm(values);
    let mut candidates = Vec::new();
    // The raw form is a copy of the tensor: built only if it is kept.
    let raw_size = raw_limit(raw_bytes.len());
    let mut best: Option<(Encoded, f64)> = None;
    let mut closest: Option<(Encoded, f64)> = None;
    let methods = req.family.methods();
    for (i, &method) in methods.iter().enumerate() {
        done(i, methods.len());
        if method == Method::Raw {
            continue;
        }
        if method == Method::F16 && !matches!(dt, SafetensorsDtype::F32 | SafetensorsDtype::F64) {
            continue; // never smaller than an f16/bf16 original
        }
        let driven = method.error_driven();
        let mut target = if !driven {
            0.0
        } else if req.mode == ErrorMode::AbsMax {
            if !matches!(method, Method::Quant | Method::Lorenzo | Method::Interp) {
                continue; // only the quantisers bound every element
            }
            req.bound
        } else {
            match rel_target(req, values.len(), norm) {
                Some(t) => t,
                None => continue,
            }
        };
        // Just inside the bound: the codecs solve to it from their own
        // estimate, and the reconstruction's rounding adds a little.
        target *= 1.0 - 1e-6;
        let tries = if driven && req.keep.is_none() { 5 } else { 1 };
        for _ in 0..tries {
            // A codec that cannot represent the tensor drops out; a failing
            // device (lost, out of budget, no GPU) is the caller's to see.
            let (enc, given) = match encode_for_values(ctx, method, req, values, shape, target) {
                Ok(enc) => enc,
                Err(e) if e.is_device_failure() => return Err(e),
                Err(_) => break,
            };
            if n > (enc.payload.len() as u64).saturating_mul(MAX_ELEMENTS_PER_BYTE) {
                break;
            }
            let decoded = match given {
                Some(back) => Ok(back),
                None => codec::decode(ctx, enc.codec, &enc.params, &enc.payload, shape),
            };
            let back = match decoded {
                Ok(back) => back,
                Err(e) if e.is_device_failure() => return Err(e),
                Err(_) => break,
            };
            let error = error_mode::measure(req.mode, dt, raw_bytes, &back);
            drop(back);
            candidates.push(Candidate {
                method,
                bytes: enc.stored_bytes(),
                error,
            });
            let size = enc.stored_bytes();
            if error <= req.bound || req.keep.is_some() {
                if best.as_ref().is_none_or(|(b, _)| size < b.stored_bytes()) {
                    best = Some((enc, error));
                }
                break;
            }
            if closest.as_ref().is_none_or(|(_, e)| error < *e) {
                closest = Some((enc, error));
            }
            if !(error.is_finite() && target > 0.0) {
                break;
            }
            // Aim lower by the measured excess, and a little more.
            target *= (req.bound / error).min(1.0) * (1.0 - 2e-4);
        }
    }
    let pick = match (best, req.family) {
        (Some(b), _) => Some(b),
        (None, Family::Auto) => None,
        (None, _) => closest,
    };
    let (encoded, error) = match pick {
        Some((e, err)) if e.stored_bytes() < raw_size => (e, err),
        _ => (codec::raw::encode(raw_bytes), 0.0),
    };
    debug_assert!(encoded.codec != CodecId::Raw || error == 0.0);
    Ok(Choice {
        encoded,
        error,
        candidates,
        block_rows: 0,
        block_lengths: Vec::new(),
    })
}
