//! Settings chosen once on a tensor's sub-block ([`plan`]) and reused
//! for its encoding ([`encode_planned_reconstructed`]), so that a caller
//! that estimated first does not choose again.

use super::{check_bound, check_finite, check_shape, choose, encode_chosen, Bound, Chosen, Sample};
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
    check_shape(data.len(), shape)?;
    check_finite(data)?;
    check_bound(bound)?;
    Ok(Plan {
        bound,
        len: data.len(),
        chosen: choose(data, shape, bound)?,
    })
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
