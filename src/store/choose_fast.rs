//! [`Search::Estimate`](super::auto::Search::Estimate): rank every
//! candidate by a cheap estimate ([`super::estimate`]), encode only the
//! cheapest in full, check its bound on the real reconstruction in the
//! tensor's dtype, and fall back to the next estimate when it misses.
//!
//! On data the smoothness test passes, the prediction and block codecs
//! (`lorenzo`, `bdct`) are estimated on a centred block of the tensor at
//! its error per element (without coding: cost models of their integers),
//! `interp` by its own sub-block estimate, and the whole-tensor transforms
//! (`dct-quant`, `dct`, `rfft`) from one DCT and one real FFT of the whole
//! tensor ([`spectral`]; on the centred block above
//! [`WHOLE_SPECTRUM_MAX`] values); with relative or RMS bounds these
//! estimates run in parallel. The plain quantiser then comes only if its
//! rough entropy on a few thousand values is below [`QUANT_SKIP`] times
//! the smallest estimate. The fixed layouts (f16, INT8, INT4), whose sizes
//! are exact, are measured last and not at all on smooth data when they
//! are [`FIXED_SKIP`] times the smallest estimate. When the cheapest
//! estimate may take more ([`pessimistic`]) than a later one may take
//! ([`optimistic`]), both are encoded at once.
//! `interp` and `dct-quant` know their reconstruction when they encode
//! (the decoder's output, bit for bit), so the winner's bound is measured
//! on it without a second decode.
//!
//! The quantiser and the INT8/INT4 layouts are encoded directly as row
//! blocks, in parallel, and checked block by block, so a large tensor
//! never has a second full-size copy besides its values and payload.

use safetensors::Dtype as SafetensorsDtype;

use super::auto::{
    encode_for, encode_method, raw_limit, rel_target, Candidate, Choice, Grouping, Method, Request,
};
use super::codec::{self, blocks, CodecId, Encoded};
use super::error_mode::{self, ErrorMode, ErrorSums};
use super::estimate::{self, Estimate, Sample};
use super::format::MAX_ELEMENTS_PER_BYTE;
use crate::backend::Context;
use crate::error::Result;
use rayon::prelude::*;

/// Elements of the centred block the prediction and block codecs are
/// estimated on, at least (or the whole tensor).
const SUB_MIN: usize = 1 << 14;
/// Real size of `interp` on a large tensor over its sub-block estimate
/// (which counts the coarse levels of a small block at full weight): about
/// 0.5-0.9 on seeded smooth fields.
const INTERP_FACTOR: f64 = 0.7;
/// The least `interp` on a large tensor has taken of its sub-block
/// estimate on seeded smooth fields (0.33-0.91 seen): it is encoded in
/// full unless the best real size so far is below this share.
const INTERP_LOW: f64 = 0.3;

/// The share of a whole-tensor transform's estimate on a centred block of
/// a large tensor that it may still take on the whole tensor (a block
/// leaks energy across the spectrum that the whole tensor concentrates:
/// a 64^3 field at 1e-3 took 3411 B where its block said more than
/// `interp`'s 3598 B).
const TRANSFORM_LOW: f64 = 0.5;

/// The smallest size an estimate leaves plausible: the estimate itself,
/// but [`INTERP_LOW`] of `interp`'s sub-block estimate and
/// [`TRANSFORM_LOW`] of a whole-tensor transform's block estimate.
fn optimistic(r: &Ranked) -> f64 {
    match r.method {
        Method::Interp if r.whole.is_none() => r.est.bytes / INTERP_FACTOR * INTERP_LOW,
        Method::DctQuant | Method::SparseDct | Method::SparseRfft if r.from_block => {
            r.est.bytes * TRANSFORM_LOW
        }
        _ => r.est.bytes,
    }
}

/// A size `interp` on a large tensor may well take, over its sub-block
/// estimate: the estimate itself (0.45-1.06 of it seen on the quick-set
/// fields; pairing on the most seen would encode a loser beside it).
const INTERP_HIGH: f64 = 1.0;

/// A size the estimate's method may well take: [`INTERP_HIGH`] of
/// `interp`'s sub-block estimate, a fifth above an estimate made on a
/// block, a fiftieth above the others (whole-tensor estimates: the
/// spectral ones are within a per cent).
fn pessimistic(r: &Ranked) -> f64 {
    match r.method {
        Method::Interp if r.whole.is_none() => r.est.bytes / INTERP_FACTOR * INTERP_HIGH,
        _ if r.from_block => r.est.bytes * 1.2,
        _ => r.est.bytes * 1.02,
    }
}

/// Largest tensor whose two leading candidates may be encoded at once
/// (two full encodings in memory).
const PAIR_MAX: usize = 1 << 22;

/// Largest tensor whose whole-tensor transforms are estimated from one
/// transform of the whole tensor ([`spectral`]); larger ones on the
/// centred block.
const WHOLE_SPECTRUM_MAX: usize = 1 << 22;
/// On smooth data a fixed layout (f16, INT8, INT4), whose size is known
/// exactly, is measured only if it is below this multiple of the smallest
/// estimate of the codecs that solve their setting from the bound.
const FIXED_SKIP: f64 = 2.0;

/// On smooth data the quantiser is estimated only if its rough size
/// ([`estimate::quant_bits_rough`], which errs low) is below this multiple
/// of the smallest estimate of the other codecs that solve their setting
/// from the bound (on smooth fields it takes 16-700 times the winner).
const QUANT_SKIP: f64 = 3.0;

/// Full encodings tried at most (cheapest estimates first).
const MAX_WINNERS: usize = 3;
/// Encodings per method while aiming lower after a miss.
const TRIES: usize = 5;

/// One candidate with its estimate.
struct Ranked {
    method: Method,
    est: Estimate,
    /// A step for the whole tensor derived from the sample's (quantiser,
    /// Lorenzo).
    step: Option<f64>,
    /// The estimate's own encoding when the sample was the whole tensor.
    whole: Option<Encoded>,
    /// Whether `est.error` is `whole`'s error measured on the real
    /// reconstruction (otherwise it is checked if `whole` wins).
    checked: bool,
    /// Whether the estimate was made on a centred block of the tensor
    /// (a whole-tensor transform may then take much less, see
    /// [`TRANSFORM_LOW`]).
    from_block: bool,
    /// `interp`'s settings chosen by its estimate, for its encoding at the
    /// same bound.
    plan: Option<codec::interp::Plan>,
}

/// See the module documentation; arguments as for
/// [`super::auto::choose_with`]. Always `Some` (the caller searches
/// exhaustively on `None`).
///
/// # Errors
/// Device failures; candidates that cannot encode are skipped.
#[allow(clippy::too_many_arguments)]
pub(super) fn choose(
    ctx: &Context,
    req: &Request,
    dt: SafetensorsDtype,
    values: &[f32],
    shape: &[usize],
    raw_bytes: &[u8],
    done: &mut dyn FnMut(usize, usize),
) -> Result<Option<Choice>> {
    let n = values.len();
    let norm = codec::quant::norm_par(values);
    // The raw form is built only if it wins: it is a copy of the tensor.
    // A lossy entry is kept only below its size less the bound record.
    let raw_size = raw_limit(raw_bytes.len());
    let s = estimate::sample(values, raw_bytes, shape);
    let s_norm = codec::quant::norm(&s.values);
    let smooth = estimate::smooth(&s);
    // The prediction and block codecs are estimated on a centred block (of
    // a quarter of a small tensor); the whole-tensor transforms on the
    // whole of a small tensor and on the same block of a large one.
    let block = smooth.then(|| {
        let limit = if s.whole {
            (n / 4).max(SUB_MIN)
        } else {
            estimate::SAMPLE_ELEMENTS
        };
        let b = estimate::centred(values, raw_bytes, shape, limit);
        let b_norm = codec::quant::norm(&b.values);
        (b, b_norm)
    });
    // Pruning pays only when most values are negligible.
    let small = match req.mode {
        ErrorMode::RelL2 => req.bound * s_norm / (s.values.len().max(1) as f64).sqrt(),
        _ => req.bound,
    };
    let sparse = 2 * s
        .values
        .iter()
        .filter(|x| f64::from(x.abs()) <= small)
        .count()
        > s.values.len();
    let last = shape.last().copied().unwrap_or(1);
    // The codecs that solve their setting from the bound first, then the
    // fixed layouts (skipped on smooth data when far above them).
    // On smooth data the quantiser comes after them, so that it can be
    // screened out against their estimates ([`QUANT_SKIP`]).
    let all = req.family.methods();
    let l2 = matches!(req.mode, ErrorMode::RelL2 | ErrorMode::AbsRms);
    let deferred = |m: Method| smooth && l2 && m == Method::Quant;
    let methods: Vec<Method> = all
        .iter()
        .copied()
        .filter(|&m| m.error_driven() && !deferred(m))
        .chain(all.iter().copied().filter(|&m| deferred(m)))
        .chain(all.iter().copied().filter(|m| !m.error_driven()))
        .collect();
    let skip = |method: Method| {
        method == Method::Raw
            || (method == Method::F16
                && !matches!(dt, SafetensorsDtype::F32 | SafetensorsDtype::F64))
            || (method.needs_smooth_data() && !smooth)
            || (method == Method::Prune && !sparse)
            || (req.mode == ErrorMode::AbsMax
                && method.error_driven()
                && !matches!(method, Method::Quant | Method::Lorenzo | Method::Interp))
    };
    let transforms = [Method::DctQuant, Method::SparseDct, Method::SparseRfft];
    let spectral_whole = smooth && n <= WHOLE_SPECTRUM_MAX && req.mode != ErrorMode::AbsMax;
    // The estimates of the smooth-data codecs that need no device (on the
    // whole tensor or the centred block) run beside the spectra.
    let side: Vec<Method> = [Method::Interp, Method::Bdct, Method::Lorenzo]
        .into_iter()
        .filter(|&m| smooth && l2 && methods.contains(&m) && !skip(m))
        .collect();
    let side_estimate = |method: Method| -> Result<Option<Ranked>> {
        let Some((b, b_norm)) = &block else {
            return Ok(None);
        };
        Ok(match method {
            Method::Interp => interp_estimate(req, values, shape, n, norm)?,
            Method::Bdct => bdct_estimate(req, b, *b_norm, n, norm),
            Method::Lorenzo => lorenzo_estimate(req, b, *b_norm, n, norm),
            _ => None,
        })
    };
    let (spectral_est, side_est) = rayon::join(
        || {
            if spectral_whole {
                let want = transforms.map(|m| methods.contains(&m) && !skip(m));
                spectral::estimates(ctx, req, values, shape, norm, want)
            } else {
                Ok(Vec::new())
            }
        },
        || {
            side.par_iter()
                .map(|&m| (m, side_estimate(m)))
                .collect::<Vec<_>>()
        },
    );
    let mut spectral_est = spectral_est?;
    let mut side_est = side_est;
    let mut ranked: Vec<Ranked> = Vec::new();
    let mut candidates = Vec::new();
    for (i, &method) in methods.iter().enumerate() {
        done(i, methods.len() + 1);
        if skip(method) {
            continue;
        }
        let least = || {
            ranked
                .iter()
                .filter(|r| r.method.error_driven())
                .map(|r| r.est.bytes)
                .fold(f64::INFINITY, f64::min)
        };
        if !method.error_driven()
            && smooth
            && estimate::fixed_bytes(method, n, last).is_some_and(|b| b >= FIXED_SKIP * least())
        {
            continue;
        }
        if deferred(method) {
            let rough = target(req, method, n, norm)
                .and_then(|t| estimate::quant_bits_rough(values, t))
                .map(|bits| bits * n as f64 / 8.0);
            if rough.is_some_and(|b| b >= QUANT_SKIP * least()) {
                continue;
            }
        }
        let r = if spectral_whole && transforms.contains(&method) {
            spectral_est
                .iter()
                .position(|r| r.method == method)
                .map(|i| spectral_est.swap_remove(i))
        } else if let Some(i) = side_est.iter().position(|(m, _)| *m == method) {
            side_est.swap_remove(i).1?
        } else if method == Method::Interp {
            interp_estimate(req, values, shape, n, norm)?
        } else if let (true, Some((b, b_norm))) = (method.needs_smooth_data(), &block) {
            if method == Method::Bdct {
                bdct_estimate(req, b, *b_norm, n, norm)
            } else if method == Method::Lorenzo && l2 {
                lorenzo_estimate(req, b, *b_norm, n, norm)
            } else {
                estimate_one(ctx, req, method, dt, b, *b_norm, n, norm, last, true)?
            }
        } else {
            estimate_one(ctx, req, method, dt, &s, s_norm, n, norm, last, false)?
        };
        let Some(r) = r else {
            continue;
        };
        candidates.push(Candidate {
            method,
            bytes: r.est.bytes.round() as u64,
            error: r.est.error,
        });
        // Fixed layouts measured on a part of the tensor keep a margin.
        let margin = if s.whole || method.error_driven() {
            1.0
        } else {
            0.97
        };
        let slack = if method.error_driven() { 1.01 } else { 1.0 };
        if r.est.error <= req.bound * margin * slack && r.est.bytes < raw_size as f64 {
            ranked.push(r);
        }
    }
    ranked.sort_by(|a, b| a.est.bytes.total_cmp(&b.est.bytes));
    done(methods.len(), methods.len() + 1);
    // Encode the cheapest estimate; go on to the next while the best real
    // size so far is above what the next one may take ([`optimistic`]).
    let mut best: Option<Full> = None;
    let mut tried = 0;
    let encode = |r: &Ranked, candidates: &mut Vec<Candidate>| {
        encode_checked(ctx, req, r, dt, values, shape, raw_bytes, norm, candidates)
    };
    // When the cheapest estimate may well take more than what a later one
    // may take, both are encoded at once (the later one would be encoded
    // after it anyway unless the first comes out well below its estimate).
    let mut early: Vec<(usize, Option<Full>)> = Vec::new();
    let pair = (n <= PAIR_MAX && ranked.first().is_some_and(|r| reuse(req, r, n).is_none()))
        .then(|| (1..ranked.len()).find(|&j| optimistic(&ranked[j]) < pessimistic(&ranked[0])))
        .flatten()
        .filter(|&j| reuse(req, &ranked[j], n).is_none());
    if let Some(j) = pair {
        let (mut first, mut second) = (Vec::new(), Vec::new());
        let (a, b) = rayon::join(
            || encode(&ranked[0], &mut first),
            || encode(&ranked[j], &mut second),
        );
        candidates.append(&mut first);
        candidates.append(&mut second);
        early = vec![(0, a?), (j, b?)];
    }
    for (i, r) in ranked.iter().enumerate() {
        if tried == MAX_WINNERS {
            break;
        }
        let done_early = early
            .iter()
            .position(|(k, _)| *k == i)
            .map(|p| early.swap_remove(p).1);
        if done_early.is_none()
            && best
                .as_ref()
                .is_some_and(|b| optimistic(r) >= b.0.stored_bytes() as f64)
        {
            continue;
        }
        tried += 1;
        let full = match (done_early, reuse(req, r, n)) {
            (Some(full), _) => full,
            (None, Some(full)) => Some(full),
            (None, None) => encode(r, &mut candidates)?,
        };
        if let Some(full) = full {
            let size = full.0.stored_bytes();
            if size < raw_size && best.as_ref().is_none_or(|b| size < b.0.stored_bytes()) {
                best = Some(full);
            }
        }
    }
    if let Some((enc, rows, lengths, error)) = best {
        return Ok(Some(Choice {
            encoded: enc,
            error,
            candidates,
            block_rows: rows,
            block_lengths: lengths,
        }));
    }
    Ok(Some(Choice {
        encoded: codec::raw::encode(raw_bytes),
        error: 0.0,
        candidates,
        block_rows: 0,
        block_lengths: Vec::new(),
    }))
}

/// The estimate's encoding of the whole tensor as the final one, when it
/// met the bound (measured on the real reconstruction in the tensor's
/// dtype) and the method writes one payload (the quantiser and INT8/INT4
/// are written as row blocks instead).
fn reuse(req: &Request, r: &Ranked, n: usize) -> Option<Full> {
    let enc = r.whole.as_ref().filter(|_| r.checked)?;
    let one_payload = !matches!(r.method, Method::Quant | Method::Int8(_) | Method::Int4(_));
    let dense_enough = n as u64 <= (enc.payload.len() as u64).saturating_mul(MAX_ELEMENTS_PER_BYTE);
    (one_payload && dense_enough && r.est.error <= req.bound)
        .then(|| (enc.clone(), 0, Vec::new(), r.est.error))
}

/// The error of a one-piece encoding of the whole tensor, measured on its
/// real reconstruction in `dt` (`None`: too dense for the container, or it
/// does not decode).
#[allow(clippy::too_many_arguments)]
fn measure_whole(
    ctx: &Context,
    req: &Request,
    dt: SafetensorsDtype,
    raw_bytes: &[u8],
    shape: &[usize],
    n: usize,
    enc: &Encoded,
) -> Result<Option<f64>> {
    if n as u64 > (enc.payload.len() as u64).saturating_mul(MAX_ELEMENTS_PER_BYTE) {
        return Ok(None);
    }
    match codec::decode(ctx, enc.codec, &enc.params, &enc.payload, shape) {
        Ok(back) => Ok(Some(error_mode::measure(req.mode, dt, raw_bytes, &back))),
        Err(e) if e.is_device_failure() => Err(e),
        Err(_) => Ok(None),
    }
}

/// The target an error-driven codec aims at for `n` values of norm `norm`
/// (just inside the bound), or `None` when it cannot aim at this mode.
fn target(req: &Request, method: Method, n: usize, norm: f64) -> Option<f64> {
    let t = if !method.error_driven() {
        0.0
    } else if req.mode == ErrorMode::AbsMax {
        req.bound
    } else {
        rel_target(req, n, norm)?
    };
    Some(t * (1.0 - 1e-6))
}

/// RMS of `n` values of L2 norm `norm`.
fn rms(norm: f64, n: usize) -> f64 {
    norm / (n.max(1) as f64).sqrt()
}

/// The factor that turns a relative-L2 error on a sample (`m` values of
/// norm `s_norm`) into the same error per element relative to the whole
/// tensor (`n` values of norm `norm`); 1 where either is zero.
fn to_whole(m: usize, s_norm: f64, n: usize, norm: f64) -> f64 {
    let (rs, rw) = (rms(s_norm, m), rms(norm, n));
    if rs > 0.0 && rw > 0.0 {
        rs / rw
    } else {
        1.0
    }
}

/// The estimate of `method` on the sample (`None`: it cannot encode it).
/// With `same_rms` the sample is coded at the whole tensor's error per
/// element (a block of the tensor, not representative of its energy),
/// otherwise at the same relative error.
#[allow(clippy::too_many_arguments)]
fn estimate_one(
    ctx: &Context,
    req: &Request,
    method: Method,
    dt: SafetensorsDtype,
    s: &Sample,
    s_norm: f64,
    n: usize,
    norm: f64,
    last: usize,
    same_rms: bool,
) -> Result<Option<Ranked>> {
    let m = s.values.len();
    // Relative errors on the sample per relative error on the tensor.
    let k = if same_rms && req.mode == ErrorMode::RelL2 {
        1.0 / to_whole(m, s_norm, n, norm)
    } else {
        1.0
    };
    let t = if same_rms {
        block_target(req, method, m, s_norm, n, norm)
    } else {
        target(req, method, m, s_norm)
    };
    let Some(t) = t else {
        return Ok(None);
    };
    if method == Method::Quant {
        return Ok(quant_estimate(req, dt, s, s_norm, n, norm, t));
    }
    let mut failure = None;
    let mut step = None;
    let mut whole = None;
    let est = estimate::sampled(
        s,
        n,
        dt,
        req.mode,
        |v, sh| match encode_for(ctx, method, req, v, sh, t) {
            Ok(e) => Some(e),
            Err(e) if e.is_device_failure() => {
                failure = Some(e);
                None
            }
            Err(_) => None,
        },
        |e, sh| {
            let back = codec::decode(ctx, e.codec, &e.params, &e.payload, sh).ok()?;
            if s.whole {
                whole = Some(e.clone());
            }
            if e.codec == CodecId::Lorenzo && req.mode != ErrorMode::AbsMax {
                // The same error per element on the whole tensor: the
                // step scales with the RMS the bound allows (already
                // with `same_rms`).
                let scale = if same_rms {
                    1.0
                } else {
                    1.0 / to_whole(m, s_norm, n, norm)
                };
                step = codec::quant::read_step(&e.params)
                    .ok()
                    .filter(|_| s_norm > 0.0 && norm > 0.0)
                    .map(|d| d * scale);
            }
            Some(back)
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    let Some(mut est) = est else {
        return Ok(None);
    };
    est.error /= k;
    if let Some(b) = estimate::fixed_bytes(method, n, last) {
        est.bytes = b;
    }
    Ok(Some(Ranked {
        method,
        est,
        step,
        checked: whole.is_some(),
        from_block: same_rms,
        whole,
        plan: None,
    }))
}

/// The relative target for a block of `m` values of norm `b_norm` at the
/// whole tensor's error per element (its `n` values of norm `norm`).
fn block_target(
    req: &Request,
    method: Method,
    m: usize,
    b_norm: f64,
    n: usize,
    norm: f64,
) -> Option<f64> {
    target(req, method, n, norm).map(|t| match req.mode {
        ErrorMode::RelL2 | ErrorMode::AbsRms => t / to_whole(m, b_norm, n, norm),
        _ => t,
    })
}

/// An encoding of the whole tensor: payload in one piece or row blocks.
type Full = (Encoded, u64, Vec<u64>, f64);

/// Encodes `r.method` on the whole tensor, aiming lower (by the measured
/// excess) up to [`TRIES`] times while the real error misses the bound.
/// Every full encoding is recorded in `candidates`.
#[allow(clippy::too_many_arguments)]
fn encode_checked(
    ctx: &Context,
    req: &Request,
    r: &Ranked,
    dt: SafetensorsDtype,
    values: &[f32],
    shape: &[usize],
    raw_bytes: &[u8],
    norm: f64,
    candidates: &mut Vec<Candidate>,
) -> Result<Option<Full>> {
    let n = values.len();
    let Some(t0) = target(req, r.method, n, norm) else {
        return Ok(None);
    };
    let tries = if r.method.error_driven() { TRIES } else { 1 };
    let mut k = 1.0f64;
    for _ in 0..tries {
        let enc = match encode_full(
            ctx,
            req,
            r,
            dt,
            raw_bytes,
            values,
            shape,
            t0 * k,
            r.step.map(|d| d * k),
            norm,
        ) {
            Ok(enc) => enc,
            Err(e) if e.is_device_failure() => return Err(e),
            Err(_) => return Ok(None),
        };
        let (enc, rows, lengths, error) = match enc {
            Whole(enc) => {
                let Some(error) = measure_whole(ctx, req, dt, raw_bytes, shape, n, &enc)? else {
                    return Ok(None);
                };
                (enc, 0, Vec::new(), error)
            }
            Blocks(s) => {
                let Some(sums) = blocks::error_sums(ctx, &s, dt, raw_bytes, shape) else {
                    return Ok(None);
                };
                (s.encoded, s.rows, s.lengths, sums.error(req.mode))
            }
            Checked(s, sums) => (s.encoded, s.rows, s.lengths, sums.error(req.mode)),
            Measured(enc, error) => {
                if n as u64 > (enc.payload.len() as u64).saturating_mul(MAX_ELEMENTS_PER_BYTE) {
                    return Ok(None);
                }
                (enc, 0, Vec::new(), error)
            }
        };
        candidates.push(Candidate {
            method: r.method,
            bytes: enc.stored_bytes(),
            error,
        });
        if error <= req.bound {
            return Ok(Some((enc, rows, lengths, error)));
        }
        if !(error.is_finite() && t0 > 0.0) {
            return Ok(None);
        }
        k *= (req.bound / error).min(1.0) * (1.0 - 2e-4);
    }
    Ok(None)
}

enum FullEncoding {
    Whole(Encoded),
    Blocks(blocks::Split),
    /// Row blocks with the error sums of their reconstruction.
    Checked(blocks::Split, ErrorSums),
    /// One piece with the error of its reconstruction, measured by the
    /// encoder on what the decoder returns for the payload.
    Measured(Encoded, f64),
}
use FullEncoding::{Blocks, Checked, Measured, Whole};

/// One full encoding of `r.method` aiming at `target` (or with `step`).
#[allow(clippy::too_many_arguments)]
fn encode_full(
    ctx: &Context,
    req: &Request,
    r: &Ranked,
    dt: SafetensorsDtype,
    raw_bytes: &[u8],
    values: &[f32],
    shape: &[usize],
    target: f64,
    step: Option<f64>,
    norm: f64,
) -> Result<FullEncoding> {
    let split = |codec: CodecId, params: Vec<u8>| {
        req.blocks
            .then(|| blocks::encode_split(codec, &params, values, shape))
            .flatten()
    };
    let unsupported = |detail: String| crate::Error::CodecUnsupported {
        codec: "auto",
        detail,
    };
    match r.method {
        Method::Quant => {
            let d = if req.mode == ErrorMode::AbsMax {
                2.0 * target
            } else {
                // The sample's step, corrected by one pass over the tensor;
                // the block encoder measures the real error.
                step.and_then(|g| codec::quant::correct_step(values, norm, target, g))
                    .or_else(|| codec::quant::solve_step_fast(values, target, None))
                    .ok_or_else(|| unsupported(format!("no quant step meets {target}")))?
            };
            let checked = req
                .blocks
                .then(|| blocks::encode_quant_checked(d, values, shape, dt, raw_bytes))
                .flatten();
            match checked {
                Some((s, sums)) => Ok(Checked(s, sums)),
                None => codec::quant::encode_with_step(values, d).map(|(e, _)| Whole(e)),
            }
        }
        Method::Int8(g) | Method::Int4(g) => {
            // The parameter block is the group size.
            let group = match g {
                Grouping::PerRow => shape.last().copied().unwrap_or(1).max(1),
                Grouping::Group(k) => k,
            };
            let codec = if matches!(r.method, Method::Int8(_)) {
                CodecId::Int8
            } else {
                CodecId::Int4
            };
            match split(codec, (group as u32).to_le_bytes().to_vec()) {
                Some(s) => Ok(Blocks(s)),
                None => encode_method(ctx, r.method, values, shape, 0.0).map(Whole),
            }
        }
        Method::DctQuant if req.mode != ErrorMode::AbsMax => {
            let ctx = &codec::transform_context(ctx, values.len());
            codec::dct_quant::encode_measured_from(ctx, values, shape, target, step, |back| {
                error_mode::measure(req.mode, dt, raw_bytes, back)
            })
            .map(|(e, _, error)| Measured(e, error))
        }
        Method::Interp => {
            let bound = if req.mode == ErrorMode::AbsMax {
                codec::interp::Bound::AbsMax(target)
            } else {
                codec::interp::Bound::RelL2(target)
            };
            match r.plan.as_ref().filter(|p| p.bound() == bound) {
                Some(plan) => codec::interp::encode_planned_reconstructed(values, shape, plan),
                None => codec::interp::encode_reconstructed(values, shape, bound),
            }
            .map(|(e, back)| Measured(e, error_mode::measure(req.mode, dt, raw_bytes, &back)))
        }
        Method::Lorenzo if step.is_some() => {
            codec::lorenzo::encode_with_step(values, shape, step.unwrap_or(1.0)).map(Whole)
        }
        m => encode_for(ctx, m, req, values, shape, target).map(Whole),
    }
}

mod side;
mod spectral;
use side::{bdct_estimate, interp_estimate, lorenzo_estimate, quant_estimate};

#[cfg(test)]
mod tests;
