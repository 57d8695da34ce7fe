//! The estimates of single codecs that `auto` makes without coding the
//! whole tensor: `bdct` and `lorenzo` on a centred block, `interp` by its
//! own sub-block estimate, the quantiser on the sample.

use safetensors::Dtype as SafetensorsDtype;

use super::{block_target, target, Ranked, INTERP_FACTOR};
use crate::error::Result;
use crate::store::auto::{Method, Request};
use crate::store::codec::{self, blocks};
use crate::store::error_mode::{self, ErrorMode};
use crate::store::estimate::{Estimate, Sample};

/// The block DCT's estimate ([`codec::bdct::estimate`]) on the centred
/// block `b`, scaled to the tensor.
pub(super) fn bdct_estimate(
    req: &Request,
    b: &Sample,
    b_norm: f64,
    n: usize,
    norm: f64,
) -> Option<Ranked> {
    let m = b.values.len();
    let t = block_target(req, Method::Bdct, m, b_norm, n, norm)?;
    let bytes = codec::bdct::estimate(&b.values, &b.shape, t)?;
    Some(Ranked {
        method: Method::Bdct,
        est: Estimate {
            bytes: 9.0 + bytes * n as f64 / m.max(1) as f64,
            error: target(req, Method::Bdct, n, norm)?,
        },
        step: None,
        whole: None,
        checked: false,
        from_block: true,
        plan: None,
    })
}

/// Lorenzo's estimate ([`codec::lorenzo::estimate`]) on the centred block
/// `b` at the tensor's error per element, scaled to the tensor; its step
/// is the whole tensor's (the same error per element).
pub(super) fn lorenzo_estimate(
    req: &Request,
    b: &Sample,
    b_norm: f64,
    n: usize,
    norm: f64,
) -> Option<Ranked> {
    let m = b.values.len().max(1);
    let t = block_target(req, Method::Lorenzo, m, b_norm, n, norm)?;
    let (d, bytes) = codec::lorenzo::estimate(&b.values, &b.shape, t, n as f64 / m as f64)?;
    Some(Ranked {
        method: Method::Lorenzo,
        est: Estimate {
            bytes,
            error: target(req, Method::Lorenzo, n, norm)?,
        },
        step: (b_norm > 0.0 && norm > 0.0).then_some(d),
        whole: None,
        checked: false,
        from_block: true,
        plan: None,
    })
}

/// Interpolation's own estimate ([`codec::interp::estimate`]: it codes a
/// centred sub-block of the tensor with the settings it tries); its error
/// is taken as the target it aims at.
pub(super) fn interp_estimate(
    req: &Request,
    values: &[f32],
    shape: &[usize],
    n: usize,
    norm: f64,
) -> Result<Option<Ranked>> {
    let Some(t) = target(req, Method::Interp, n, norm) else {
        return Ok(None);
    };
    let bound = if req.mode == ErrorMode::AbsMax {
        codec::interp::Bound::AbsMax(t)
    } else {
        codec::interp::Bound::RelL2(t)
    };
    Ok(match codec::interp::plan(values, shape, bound) {
        Ok(plan) => Some(Ranked {
            method: Method::Interp,
            est: Estimate {
                bytes: plan.bytes() as f64 * INTERP_FACTOR,
                error: t,
            },
            step: None,
            whole: None,
            checked: false,
            from_block: false,
            plan: Some(plan),
        }),
        Err(e) if e.is_device_failure() => return Err(e),
        Err(_) => None,
    })
}

/// The quantiser's estimate: its step solved on the sample (then scaled to
/// the whole tensor's RMS), the entropy of the quantised sample, and the
/// frequency tables of the row blocks.
pub(super) fn quant_estimate(
    req: &Request,
    dt: SafetensorsDtype,
    s: &Sample,
    s_norm: f64,
    n: usize,
    norm: f64,
    t: f64,
) -> Option<Ranked> {
    let fixed = (req.mode == ErrorMode::AbsMax).then_some(2.0 * t);
    let (d, bits) = codec::quant::estimate(&s.values, t, fixed)?;
    let back: Vec<f32> = codec::quant::quantise(&s.values, d)?
        .into_iter()
        .map(|q| codec::quant::dequantise(q, d))
        .collect();
    let error = error_mode::measure(req.mode, dt, &s.raw, &back);
    let symbols = 2f64.powf(bits).min(4096.0);
    let blocks = n.div_ceil(blocks::BLOCK_ELEMENTS) as f64;
    let rms = |norm: f64, n: usize| norm / (n as f64).sqrt();
    let step = (fixed.is_none() && s_norm > 0.0 && norm > 0.0)
        .then(|| d * rms(norm, n) / rms(s_norm, s.values.len()));
    Some(Ranked {
        method: Method::Quant,
        est: Estimate {
            bytes: 8.0 + bits * n as f64 / 8.0 + blocks * (16.0 + 2.0 * symbols),
            error,
        },
        step,
        whole: None,
        checked: false,
        from_block: false,
        plan: None,
    })
}
