//! Settings chosen once on a tensor's sub-block ([`plan`]) and reused
//! for its encoding ([`encode_planned_reconstructed`]), so that a caller
//! that estimated first does not choose again.

use super::{
    check_bound, check_finite, check_shape, choose, encode_chosen, unsupported, Bound, Chosen,
    Sample,
};
use crate::error::{Error, Result};
use crate::store::codec::Encoded;

/// The settings [`plan`] chose on a tensor's sub-block for one bound:
/// [`encode_planned_reconstructed`] encodes that tensor with them without
/// choosing again (the same bytes as [`encode`](super::encode)).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    bound: Bound,
    len: usize,
    pub(super) chosen: Chosen,
}

impl Plan {
    /// Estimated stored bytes of the whole tensor (see [`estimate`](super::estimate)).
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.chosen.bytes
    }

    /// The bound the settings were chosen for.
    #[must_use]
    pub fn bound(&self) -> Bound {
        self.bound
    }
}

/// [`estimate`](super::estimate) with the settings it chose, for
/// [`encode_planned_reconstructed`].
///
/// # Errors
/// As [`encode`](super::encode).
pub fn plan<T: Sample>(data: &[T], shape: &[usize], bound: Bound) -> Result<Plan> {
    // Without a limit the choice is never abandoned.
    plan_within(data, shape, bound, f64::INFINITY)?
        .ok_or_else(|| unsupported(format!("no setting meets {bound:?}")))
}

/// [`plan`], abandoned (`None`) as soon as the first setting tried on the
/// sub-block (the cubic with the middle step shape, from which the other
/// settings have saved at most a third on the seeded fields) is
/// estimated at more than `limit` bytes for the whole tensor: a caller
/// that already has a candidate of `limit / 4` bytes is spared the rest
/// of the choice.
///
/// # Errors
/// As [`plan`].
pub fn plan_within<T: Sample>(
    data: &[T],
    shape: &[usize],
    bound: Bound,
    limit: f64,
) -> Result<Option<Plan>> {
    check_shape(data.len(), shape)?;
    check_finite(data)?;
    check_bound(bound)?;
    Ok(choose(data, shape, bound, limit)?.map(|chosen| Plan {
        bound,
        len: data.len(),
        chosen,
    }))
}

/// [`encode_reconstructed`](super::encode_reconstructed) with the settings `plan` chose on this tensor
/// (by [`plan`] on the same `data`, `shape` and bound): the same bytes and
/// values, without choosing again.
///
/// # Errors
/// As [`encode`](super::encode); [`Error::InvalidArgument`] when `data` does not have the
/// length the plan was made for.
pub fn encode_planned_reconstructed(
    data: &[f32],
    shape: &[usize],
    plan: &Plan,
) -> Result<(Encoded, Vec<f32>)> {
    check_shape(data.len(), shape)?;
    if data.len() != plan.len {
        return Err(Error::invalid(
            "plan",
            format!("made for {} elements, not {}", plan.len, data.len()),
        ));
    }
    encode_chosen(data, shape, plan.bound, plan.chosen.clone())
}
