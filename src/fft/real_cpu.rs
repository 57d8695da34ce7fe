//! The CPU twin of the real FFTs, generic over f32 and f64: realfft along
//! the real axis through the shared line driver, complex passes along the
//! other axes.

use std::sync::Arc;

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use rustfft::FftNum;

use super::buffer;
use super::cpu::CpuFft;
use super::lines::{self, MapKernel};
use super::{FftDirection, Normalization};
use crate::backend::Context;
use crate::error::Result;
use crate::tensor::{axis_split, Tensor};

/// One complex FFT pass over `axis` of a tensor of `shape`, in place.
pub(crate) type AxisFft<'a, T> =
    dyn FnMut(&mut [Complex<T>], &[usize], usize, FftDirection) -> Result<()> + 'a;

/// `T` from an f64 scale factor.
pub(crate) fn scale_of<T: FftNum>(factor: f64) -> T {
    T::from_f64(factor).unwrap_or_else(T::one)
}

/// Real-to-complex lines of `n` reals to `n/2 + 1` complex values.
struct Rfft<T: FftNum> {
    plan: Arc<dyn RealToComplex<T>>,
    n: usize,
    scale: T,
}

impl<T: FftNum + Default> MapKernel for Rfft<T> {
    type In = T;
    type Out = Complex<T>;
    type Work = (Vec<T>, Vec<Complex<T>>);

    fn lens(&self) -> (usize, usize) {
        (self.n, self.n / 2 + 1)
    }

    fn new_work(&self) -> Self::Work {
        (
            vec![T::default(); self.n],
            vec![Complex::default(); self.plan.get_scratch_len()],
        )
    }

    fn map(&self, src: &[T], dst: &mut [Complex<T>], (line, scratch): &mut Self::Work) {
        for (s, d) in src.chunks(self.n).zip(dst.chunks_mut(self.n / 2 + 1)) {
            line.copy_from_slice(s);
            self.plan
                .process_with_scratch(line, d, scratch)
                .expect("lengths match the plan");
            if self.scale != T::one() {
                d.iter_mut().for_each(|v| *v = *v * self.scale);
            }
        }
    }
}

/// Complex-to-real lines of `n/2 + 1` complex values to `n` reals.
struct Irfft<T: FftNum> {
    plan: Arc<dyn ComplexToReal<T>>,
    n: usize,
    scale: T,
}

impl<T: FftNum + Default> MapKernel for Irfft<T> {
    type In = Complex<T>;
    type Out = T;
    type Work = (Vec<Complex<T>>, Vec<Complex<T>>);

    fn lens(&self) -> (usize, usize) {
        (self.n / 2 + 1, self.n)
    }

    fn new_work(&self) -> Self::Work {
        (
            vec![Complex::default(); self.n / 2 + 1],
            vec![Complex::default(); self.plan.get_scratch_len()],
        )
    }

    fn map(&self, src: &[Complex<T>], dst: &mut [T], (line, scratch): &mut Self::Work) {
        let h1 = self.n / 2 + 1;
        for (s, d) in src.chunks(h1).zip(dst.chunks_mut(self.n)) {
            line.copy_from_slice(s);
            // Parts a real signal's spectrum cannot have are ignored, as numpy does.
            line[0].im = T::zero();
            if self.n.is_multiple_of(2) {
                line[h1 - 1].im = T::zero();
            }
            self.plan
                .process_with_scratch(line, d, scratch)
                .expect("lengths match the plan");
            if self.scale != T::one() {
                d.iter_mut().for_each(|v| *v = *v * self.scale);
            }
        }
    }
}

fn with_axis(shape: &[usize], axis: usize, len: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    s[axis] = len;
    s
}

/// Real-to-complex FFT over `axes` of row-major `data` of `shape` (both
/// checked by the caller, at least one axis; the last is the real axis).
pub(crate) fn rfftn<T: FftNum + Default>(
    ctx: &Context,
    (data, shape): (&[T], &[usize]),
    axes: &[usize],
    normalization: Normalization,
    complex: &mut AxisFft<'_, T>,
) -> Result<Tensor<Complex<T>>> {
    let (&axis, others) = axes.split_last().expect("at least one axis");
    let (outer, n, inner) = axis_split(shape, axis);
    let kernel = Rfft {
        plan: Arc::clone(&ctx.real_plans::<T>(n)?.forward),
        n,
        scale: scale_of(normalization.factor_f64(n, FftDirection::Forward)),
    };
    let mut out = buffer::output_buffer(outer * (n / 2 + 1) * inner);
    lines::map_axis(&kernel, data, &mut out, inner);
    let shape = with_axis(shape, axis, n / 2 + 1);
    for &a in others {
        complex(&mut out, &shape, a, FftDirection::Forward)?;
    }
    Tensor::new(&shape, out)
}

/// Complex-to-real inverse of [`rfftn`]; the half axis of `input` is checked
/// by the caller to hold `real_len / 2 + 1` points.
pub(crate) fn irfftn<T: FftNum + Default>(
    ctx: &Context,
    input: Tensor<Complex<T>>,
    axes: &[usize],
    real_len: usize,
    normalization: Normalization,
    complex: &mut AxisFft<'_, T>,
) -> Result<Tensor<T>> {
    let (&axis, others) = axes.split_last().expect("at least one axis");
    let shape = input.shape().to_vec();
    let mut spectrum = input.into_data();
    for &a in others {
        complex(&mut spectrum, &shape, a, FftDirection::Inverse)?;
    }
    let (outer, _, inner) = axis_split(&shape, axis);
    let kernel = Irfft {
        plan: Arc::clone(&ctx.real_plans::<T>(real_len)?.inverse),
        n: real_len,
        scale: scale_of(normalization.factor_f64(real_len, FftDirection::Inverse)),
    };
    let mut out = buffer::output_buffer(outer * real_len * inner);
    lines::map_axis(&kernel, &spectrum, &mut out, inner);
    Tensor::new(&with_axis(&shape, axis, real_len), out)
}

impl Context {
    /// Complex passes of the f32 CPU twin, through the context's cached plans.
    pub(crate) fn cpu_axis_fft(
        &self,
        normalization: Normalization,
    ) -> impl FnMut(&mut [Complex<f32>], &[usize], usize, FftDirection) -> Result<()> + '_ {
        move |data, shape, axis, direction| {
            let (_, n, inner) = axis_split(shape, axis);
            let plan = self.plan_fft(n, direction, normalization)?;
            plan.cpu().process_axis(data, inner);
            Ok(())
        }
    }
}

/// Complex passes in f64, with the context's cached f64 plans.
pub(crate) fn f64_axis_fft(
    ctx: &Context,
    normalization: Normalization,
) -> impl FnMut(&mut [Complex<f64>], &[usize], usize, FftDirection) -> Result<()> + '_ {
    move |data, shape, axis, direction| {
        let (_, n, inner) = axis_split(shape, axis);
        ctx.cpu_f64(n, direction, normalization)?
            .process_axis(data, inner);
        Ok(())
    }
}

impl Context {
    /// The f64 CPU twin for length `n`, its rustfft plan built once per
    /// context.
    pub(crate) fn cpu_f64(
        &self,
        n: usize,
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<CpuFft<f64>> {
        #[derive(Hash, PartialEq, Eq)]
        struct F64PlanKey(usize, FftDirection);
        let plan = self.cached(F64PlanKey(n, direction), || {
            let mut planner = rustfft::FftPlanner::<f64>::new();
            Ok(match direction {
                FftDirection::Forward => planner.plan_fft_forward(n),
                FftDirection::Inverse => planner.plan_fft_inverse(n),
            })
        })?;
        Ok(CpuFft::from_plan(
            Arc::clone(&plan),
            normalization.factor_f64(n, direction),
        ))
    }
}

/// The realfft plans of one length, both directions.
pub(crate) struct RealPlans<T: FftNum> {
    pub(crate) forward: Arc<dyn RealToComplex<T>>,
    pub(crate) inverse: Arc<dyn ComplexToReal<T>>,
}

impl Context {
    /// The realfft plans for length `n` (f32 or f64), built once per
    /// context (planning is not free at large lengths).
    pub(crate) fn real_plans<T: FftNum>(&self, n: usize) -> Result<Arc<RealPlans<T>>> {
        // The value type (which names T) keys the cache map; the length keys
        // the entry.
        #[derive(Hash, PartialEq, Eq)]
        struct RealPlanKey(usize);
        self.cached(RealPlanKey(n), || {
            let mut planner = RealFftPlanner::<T>::new();
            Ok(RealPlans {
                forward: planner.plan_fft_forward(n),
                inverse: planner.plan_fft_inverse(n),
            })
        })
    }
}
