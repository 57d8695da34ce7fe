//! CPU orthonormal DCT-II and DCT-III (its inverse) along the axes of
//! row-major `f32` or `f64` tensors, computed through complex FFTs from
//! `rustfft` in the same precision.
//!
//! Each line of length `N` is reordered as in Makhoul (1980),
//! `v[n] = x[2n]`, `v[N-1-n] = x[2n+1]`, transformed by one complex FFT of
//! length `N`, and rotated by `exp(-i pi k / (2N))`. Two real lines share one
//! complex FFT (one in the real part, one in the imaginary part), so a tensor
//! costs about half an FFT of length `N` per line. Every `N >= 1` works.

//!
//! The plan and the packing live in `plan.rs`; lines along any axis are
//! handed to it by the line driver shared with the FFT twins.

mod plan;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rustfft::{FftNum, FftPlanner};

use crate::error::Result;
use crate::fft::lines;
use plan::{DctKernel, DctPlan, Direction};

/// Why a DCT along tensor axes was refused, carried by
/// [`Error::Dct`](crate::Error::Dct). Nothing is written to the data when an
/// error is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DctError {
    /// The data length differs from the product of the shape's dimensions
    /// (`expected` saturates at `usize::MAX` if that product overflows).
    #[error("data holds {found} elements but the shape describes {expected}")]
    ShapeMismatch {
        /// Product of the shape's dimensions.
        expected: usize,
        /// Length of the data slice.
        found: usize,
    },
    /// An axis index is not below the number of dimensions.
    #[error("axis {axis} is out of range for a tensor with {ndim} dimensions")]
    AxisOutOfRange {
        /// The offending axis index.
        axis: usize,
        /// Number of dimensions of the shape.
        ndim: usize,
    },
    /// The same axis is listed more than once.
    #[error("axis {axis} is listed more than once")]
    DuplicateAxis {
        /// The repeated axis index.
        axis: usize,
    },
    /// The shape has no dimensions.
    #[error("the shape is empty: a DCT needs at least one dimension")]
    EmptyShape,
    /// A dimension has length zero.
    #[error("dimension {axis} has length 0: every dimension must be at least 1")]
    ZeroDimension {
        /// Index of the first zero-length dimension.
        axis: usize,
    },
}

/// Checks `shape` against `data_len` and `axes` against `shape`.
fn validate(data_len: usize, shape: &[usize], axes: &[usize]) -> Result<(), DctError> {
    if shape.is_empty() {
        return Err(DctError::EmptyShape);
    }
    if let Some(axis) = shape.iter().position(|&dimension| dimension == 0) {
        return Err(DctError::ZeroDimension { axis });
    }
    let expected = shape
        .iter()
        .try_fold(1usize, |product, &dimension| product.checked_mul(dimension))
        .unwrap_or(usize::MAX);
    if expected != data_len {
        return Err(DctError::ShapeMismatch {
            expected,
            found: data_len,
        });
    }
    for (position, &axis) in axes.iter().enumerate() {
        if axis >= shape.len() {
            return Err(DctError::AxisOutOfRange {
                axis,
                ndim: shape.len(),
            });
        }
        if axes[..position].contains(&axis) {
            return Err(DctError::DuplicateAxis { axis });
        }
    }
    Ok(())
}

/// Validates, then transforms along each axis in turn with plans from
/// `plan_for_len`.
fn transform_axes<T: FftNum + Default>(
    data: &mut [T],
    shape: &[usize],
    axes: &[usize],
    direction: Direction,
    mut plan_for_len: impl FnMut(usize) -> Arc<DctPlan<T>>,
) -> Result<()> {
    validate(data.len(), shape, axes)?;
    for &axis in axes {
        let len = shape[axis];
        if len == 1 {
            continue;
        }
        let inner: usize = shape[axis + 1..].iter().product();
        let plan = plan_for_len(len);
        let kernel = DctKernel {
            plan: &plan,
            direction,
        };
        lines::transform_axis(&kernel, data, inner);
    }
    Ok(())
}

/// A cache of DCT plans (complex FFT plans of length `N` and the twiddles
/// `exp(-i pi k / (2N))`, computed in f64 and rounded to `T`), keyed by `N`:
/// `DctPlanner` (f32, from [`DctPlanner::new`]) or `DctPlanner<f64>` (from
/// `DctPlanner::<f64>::default()`).
///
/// The free functions ([`dct2_axis`], [`dct3_axis`], [`dct2_axes`],
/// [`dct3_axes`]) share one process-wide planner; own a `DctPlanner` to keep
/// a separate cache.
pub struct DctPlanner<T: FftNum = f32> {
    fft_planner: FftPlanner<T>,
    plans: HashMap<usize, Arc<DctPlan<T>>>,
}

impl<T: FftNum> fmt::Debug for DctPlanner<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut cached_lengths: Vec<usize> = self.plans.keys().copied().collect();
        cached_lengths.sort_unstable();
        formatter
            .debug_struct("DctPlanner")
            .field("cached_lengths", &cached_lengths)
            .finish_non_exhaustive()
    }
}

impl<T: FftNum> Default for DctPlanner<T> {
    fn default() -> Self {
        Self {
            fft_planner: FftPlanner::new(),
            plans: HashMap::new(),
        }
    }
}

impl DctPlanner {
    /// Creates an f32 planner with an empty cache.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: FftNum + Default> DctPlanner<T> {
    /// Returns the cached plan for `len >= 1`, building it on first use.
    fn plan(&mut self, len: usize) -> Arc<DctPlan<T>> {
        let fft_planner = &mut self.fft_planner;
        Arc::clone(
            self.plans
                .entry(len)
                .or_insert_with(|| Arc::new(DctPlan::new(len, fft_planner))),
        )
    }

    /// Orthonormal DCT-II along `axis`, in place; see [`dct2_axis`].
    ///
    /// # Errors
    ///
    /// As [`dct2_axis`].
    pub fn dct2_axis(&mut self, data: &mut [T], shape: &[usize], axis: usize) -> Result<()> {
        self.dct2_axes(data, shape, &[axis])
    }

    /// Orthonormal DCT-III (inverse DCT-II) along `axis`, in place; see [`dct3_axis`].
    ///
    /// # Errors
    ///
    /// As [`dct3_axis`].
    pub fn dct3_axis(&mut self, data: &mut [T], shape: &[usize], axis: usize) -> Result<()> {
        self.dct3_axes(data, shape, &[axis])
    }

    /// Orthonormal DCT-II along each of `axes`, in place; see [`dct2_axes`].
    ///
    /// # Errors
    ///
    /// As [`dct2_axes`].
    pub fn dct2_axes(&mut self, data: &mut [T], shape: &[usize], axes: &[usize]) -> Result<()> {
        transform_axes(data, shape, axes, Direction::Forward, |len| self.plan(len))
    }

    /// Orthonormal DCT-III along each of `axes`, in place; see [`dct3_axes`].
    ///
    /// # Errors
    ///
    /// As [`dct3_axes`].
    pub fn dct3_axes(&mut self, data: &mut [T], shape: &[usize], axes: &[usize]) -> Result<()> {
        transform_axes(data, shape, axes, Direction::Inverse, |len| self.plan(len))
    }
}

/// Orthonormal DCT-II (`inverse`: DCT-III) along each of `axes`, in place,
/// with plans from `planner`, whose lock is held only while a plan is looked
/// up (or built), never while transforming. A context keeps one such planner.
pub(crate) fn axes_with_planner<T: FftNum + Default>(
    planner: &Mutex<DctPlanner<T>>,
    data: &mut [T],
    shape: &[usize],
    axes: &[usize],
    inverse: bool,
) -> Result<()> {
    let direction = if inverse {
        Direction::Inverse
    } else {
        Direction::Forward
    };
    transform_axes(data, shape, axes, direction, |len| {
        planner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .plan(len)
    })
}

/// Plan for `len` from the process-wide planner; the lock is held only while
/// looking the plan up (or building it), never while transforming.
fn shared_plan(len: usize) -> Arc<DctPlan<f32>> {
    static SHARED_PLANNER: OnceLock<Mutex<DctPlanner>> = OnceLock::new();
    SHARED_PLANNER
        .get_or_init(|| Mutex::new(DctPlanner::new()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .plan(len)
}

/// Orthonormal DCT-II along one axis of a row-major `f32` tensor of `shape`,
/// in place:
/// `X[k] = s(k) * sum_n x[n] cos(pi (2n+1) k / (2N))`, `s(0) = sqrt(1/N)`,
/// `s(k > 0) = sqrt(2/N)` (the same as `scipy.fft.dct(x, type=2, norm="ortho")`).
///
/// Works for every length `N >= 1` in O(N log N) per line; lines are spread
/// over the rayon thread pool when the tensor is large. Plans are cached in a
/// process-wide [`DctPlanner`].
///
/// # Errors
///
/// [`Error::Dct`](crate::Error::Dct) holding [`DctError::EmptyShape`] if
/// `shape` is empty, [`DctError::ZeroDimension`]
/// if a dimension is 0, [`DctError::ShapeMismatch`] if `data.len()` is not the
/// product of `shape`, [`DctError::AxisOutOfRange`] if `axis >= shape.len()`.
/// `data` is left untouched on error.
pub fn dct2_axis(data: &mut [f32], shape: &[usize], axis: usize) -> Result<()> {
    dct2_axes(data, shape, &[axis])
}

/// Orthonormal DCT-III along one axis, in place: the inverse of [`dct2_axis`]
/// (`x[n] = sum_k s(k) X[k] cos(pi (2n+1) k / (2N))`, the same as
/// `scipy.fft.dct(x, type=3, norm="ortho")`), with the same conventions.
///
/// # Errors
///
/// As [`dct2_axis`]; `data` is left untouched on error.
pub fn dct3_axis(data: &mut [f32], shape: &[usize], axis: usize) -> Result<()> {
    dct3_axes(data, shape, &[axis])
}

/// Orthonormal DCT-II along each of `axes` (each at most once, in any order),
/// in place. The result equals applying [`dct2_axis`] along each axis in turn;
/// an empty `axes` leaves the data as it is.
///
/// # Errors
///
/// As [`dct2_axis`] for the shape and for each axis, plus
/// [`DctError::DuplicateAxis`] if an axis is listed twice. Everything is
/// checked before any data is written, so `data` is untouched on error.
pub fn dct2_axes(data: &mut [f32], shape: &[usize], axes: &[usize]) -> Result<()> {
    transform_axes(data, shape, axes, Direction::Forward, shared_plan)
}

/// Orthonormal DCT-III along each of `axes` (each at most once, in any
/// order), in place: the inverse of [`dct2_axes`] over the same axes.
///
/// # Errors
///
/// As [`dct2_axes`]; `data` is untouched on error.
pub fn dct3_axes(data: &mut [f32], shape: &[usize], axes: &[usize]) -> Result<()> {
    transform_axes(data, shape, axes, Direction::Inverse, shared_plan)
}
