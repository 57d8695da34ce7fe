//! The f64 DCT-II and DCT-III on the CPU twin, the f64 forms of
//! [`Context::dctn`] and [`Context::idctn`].
//!
//! They run on the CPU on every context, as the f64 FFTs do: a GPU context
//! routes them to its CPU twin (the GPU kernels are f32 only), so f64 data
//! keeps f64 accuracy on every backend. Plans (f64 FFTs and twiddles per
//! length) are cached in the context.
//!
//! Accuracy (RMS relative error against the O(N^2) f64 sums of
//! [`super::reference`], random data, held by `tests/dct_f64.rs`): below
//! `1e-15 * log2(n)` per axis.

use std::sync::Mutex;

use super::cpu::{self, DctPlanner};
use crate::backend::Context;
use crate::error::Result;
use crate::tensor::{check_axes, Tensor};

impl Context {
    /// Orthonormal DCT-II of an f64 `tensor` over `axes`, in place, on the
    /// CPU twin (also on a GPU context).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for axes out
    /// of range or repeated; [`Error::Dct`](crate::Error::Dct) for a
    /// dimension of length 0. `tensor` is unchanged on error.
    pub fn dctn_f64(&self, tensor: &mut Tensor<f64>, axes: &[usize]) -> Result<()> {
        self.dct_f64(tensor, axes, false)
    }

    /// Orthonormal DCT-III of an f64 `tensor` over `axes` (the inverse of
    /// [`Context::dctn_f64`]), in place, on the CPU twin.
    ///
    /// # Errors
    /// As [`Context::dctn_f64`].
    pub fn idctn_f64(&self, tensor: &mut Tensor<f64>, axes: &[usize]) -> Result<()> {
        self.dct_f64(tensor, axes, true)
    }

    fn dct_f64(&self, tensor: &mut Tensor<f64>, axes: &[usize], inverse: bool) -> Result<()> {
        check_axes(axes, tensor.shape().len())?;
        #[derive(Hash, PartialEq, Eq)]
        struct DctPlannerF64Key;
        let planner = self.cached(DctPlannerF64Key, || {
            Ok(Mutex::new(DctPlanner::<f64>::default()))
        })?;
        let shape = tensor.shape().to_vec();
        cpu::axes_with_planner(&planner, tensor.data_mut(), &shape, axes, inverse)
    }
}
