//! The CPU twin of the real FFTs, generic over f32 and f64: along the real
//! axis the packed half-length route of [`super::real_packed`] for even
//! lengths and realfft for odd ones, through the shared line driver; complex
//! passes along the other axes.

use std::mem::MaybeUninit;
use std::sync::Arc;

use bytemuck::Zeroable;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use rustfft::FftNum;

use super::cpu::CpuFft;
use super::lines::{self, MapKernel};
use super::real_packed::{pack_into, PackedReal};
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

/// The plans of one real length: the packed half-length route for even
/// lengths ([`PackedReal`]), realfft's for odd ones.
enum RealRoute<T: FftNum> {
    Packed(Arc<PackedReal<T>>),
    Odd(Arc<RealPlans<T>>),
}

impl<T: FftNum> RealRoute<T> {
    fn new(ctx: &Context, n: usize) -> Result<Self> {
        #[derive(Hash, PartialEq, Eq)]
        struct PackedKey(usize);
        Ok(if n.is_multiple_of(2) {
            RealRoute::Packed(ctx.cached(PackedKey(n), || Ok(PackedReal::new(n)))?)
        } else {
            RealRoute::Odd(ctx.real_plans::<T>(n)?)
        })
    }

    fn scratch_len(&self) -> usize {
        match self {
            RealRoute::Packed(p) => p.scratch_len(),
            RealRoute::Odd(p) => p.forward.get_scratch_len().max(p.inverse.get_scratch_len()),
        }
    }
}

/// Per-thread work of the real kernels: a copy of one real line for realfft
/// (which overwrites its input), a line of `n/2` complex values for the
/// packed route, and FFT scratch.
type RealWork<T> = (Vec<T>, Vec<Complex<T>>, Vec<Complex<T>>);

impl<T: FftNum + Default> RealRoute<T> {
    /// Fresh per-thread work for lines of `n` reals (`odd_line` values of
    /// the realfft copy on the odd route).
    fn new_work(&self, n: usize, odd_line: usize) -> RealWork<T> {
        let (real, packed) = match self {
            RealRoute::Packed(_) => (0, n / 2),
            RealRoute::Odd(_) => (odd_line, 0),
        };
        (
            vec![T::default(); real],
            vec![Complex::default(); packed],
            vec![Complex::default(); self.scratch_len()],
        )
    }
}

/// Real-to-complex lines of `n` reals to `n/2 + 1` complex values.
struct Rfft<T: FftNum> {
    route: RealRoute<T>,
    n: usize,
    scale: T,
}

impl<T: FftNum + Default> MapKernel for Rfft<T> {
    type In = T;
    type Out = Complex<T>;
    type Work = RealWork<T>;

    fn lens(&self) -> (usize, usize) {
        (self.n, self.n / 2 + 1)
    }

    fn new_work(&self) -> Self::Work {
        self.route.new_work(self.n, self.n)
    }

    fn map(&self, src: &[T], dst: &mut [Complex<T>], (line, _, scratch): &mut Self::Work) {
        for (s, d) in src.chunks(self.n).zip(dst.chunks_mut(self.n / 2 + 1)) {
            match &self.route {
                RealRoute::Packed(p) => p.forward(s, d, self.scale, scratch),
                RealRoute::Odd(p) => {
                    line.copy_from_slice(s);
                    p.forward
                        .process_with_scratch(line, d, scratch)
                        .expect("lengths match the plan");
                    if self.scale != T::one() {
                        d.iter_mut().for_each(|v| *v = *v * self.scale);
                    }
                }
            }
        }
    }

    fn map_uninit(&self, src: &[T], dst: &mut [MaybeUninit<Complex<T>>], work: &mut Self::Work) {
        let RealRoute::Packed(p) = &self.route else {
            return self.map(src, lines::fill_default(dst), work);
        };
        for (s, d) in src.chunks(self.n).zip(dst.chunks_mut(self.n / 2 + 1)) {
            p.forward_packed(pack_into(s, d), self.scale, &mut work.2);
        }
    }
}

/// Complex-to-real lines of `n/2 + 1` complex values to `n` reals.
struct Irfft<T: FftNum> {
    route: RealRoute<T>,
    n: usize,
    scale: T,
}

impl<T: FftNum + Default> MapKernel for Irfft<T> {
    type In = Complex<T>;
    type Out = T;
    /// On the odd route the second line holds the copy realfft overwrites.
    type Work = RealWork<T>;

    fn lens(&self) -> (usize, usize) {
        (self.n / 2 + 1, self.n)
    }

    fn new_work(&self) -> Self::Work {
        let mut work = self.route.new_work(self.n, 0);
        if let RealRoute::Odd(_) = self.route {
            work.1 = vec![Complex::default(); self.n / 2 + 1];
        }
        work
    }

    fn map(&self, src: &[Complex<T>], dst: &mut [T], (_, line, scratch): &mut Self::Work) {
        let h1 = self.n / 2 + 1;
        for (s, d) in src.chunks(h1).zip(dst.chunks_mut(self.n)) {
            match &self.route {
                // Ignores the imaginary parts at 0 and n/2 by construction.
                RealRoute::Packed(p) => p.inverse(s, d, self.scale, (line, scratch)),
                RealRoute::Odd(p) => {
                    line.copy_from_slice(s);
                    // Parts a real signal's spectrum cannot have are ignored, as numpy does.
                    line[0].im = T::zero();
                    p.inverse
                        .process_with_scratch(line, d, scratch)
                        .expect("lengths match the plan");
                    if self.scale != T::one() {
                        d.iter_mut().for_each(|v| *v = *v * self.scale);
                    }
                }
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
pub(crate) fn rfftn<T: FftNum + Default + Zeroable>(
    ctx: &Context,
    (data, shape): (&[T], &[usize]),
    axes: &[usize],
    normalization: Normalization,
    complex: &mut AxisFft<'_, T>,
) -> Result<Tensor<Complex<T>>> {
    let (kernel, inner, out_shape) = rfft_kernel(ctx, shape, axes, normalization)?;
    let mut out = lines::map_axis_new(&kernel, data, out_shape.iter().product(), inner);
    other_axes(complex, &mut out, &out_shape, axes)?;
    Tensor::new(&out_shape, out)
}

/// [`rfftn`] into `out`, which holds the output's element count (checked by
/// the caller): its memory is written in place, with no allocation.
pub(crate) fn rfftn_into<T: FftNum + Default>(
    ctx: &Context,
    (data, shape): (&[T], &[usize]),
    axes: &[usize],
    normalization: Normalization,
    complex: &mut AxisFft<'_, T>,
    out: &mut [Complex<T>],
) -> Result<()> {
    let (kernel, inner, out_shape) = rfft_kernel(ctx, shape, axes, normalization)?;
    lines::map_axis(&kernel, data, out, inner);
    other_axes(complex, out, &out_shape, axes)
}

/// The real-axis kernel of [`rfftn`], the distance between its lines
/// (`inner`) and the output shape.
fn rfft_kernel<T: FftNum>(
    ctx: &Context,
    shape: &[usize],
    axes: &[usize],
    normalization: Normalization,
) -> Result<(Rfft<T>, usize, Vec<usize>)> {
    let &axis = axes.last().expect("at least one axis");
    let (_, n, inner) = axis_split(shape, axis);
    let kernel = Rfft {
        route: RealRoute::new(ctx, n)?,
        n,
        scale: scale_of(normalization.factor_f64(n, FftDirection::Forward)),
    };
    Ok((kernel, inner, with_axis(shape, axis, n / 2 + 1)))
}

/// The complex forward passes of [`rfftn`] along the axes before the last.
fn other_axes<T: FftNum>(
    complex: &mut AxisFft<'_, T>,
    out: &mut [Complex<T>],
    shape: &[usize],
    axes: &[usize],
) -> Result<()> {
    for &a in &axes[..axes.len() - 1] {
        complex(out, shape, a, FftDirection::Forward)?;
    }
    Ok(())
}

/// Complex-to-real inverse of [`rfftn`]; the half axis of `input` is checked
/// by the caller to hold `real_len / 2 + 1` points. With `in_place` and
/// the real axis last, the output reuses `input`'s allocation.
pub(crate) fn irfftn<T: FftNum + Default + Zeroable>(
    ctx: &Context,
    input: Tensor<Complex<T>>,
    axes: &[usize],
    real_len: usize,
    normalization: Normalization,
    complex: &mut AxisFft<'_, T>,
    in_place: bool,
) -> Result<Tensor<T>> {
    let (&axis, others) = axes.split_last().expect("at least one axis");
    let shape = input.shape().to_vec();
    let mut spectrum = input.into_data();
    for &a in others {
        complex(&mut spectrum, &shape, a, FftDirection::Inverse)?;
    }
    let (outer, _, inner) = axis_split(&shape, axis);
    let kernel = Irfft {
        route: RealRoute::new(ctx, real_len)?,
        n: real_len,
        scale: scale_of(normalization.factor_f64(real_len, FftDirection::Inverse)),
    };
    let out = if in_place && inner == 1 {
        irfft_lines_in_place(&kernel, spectrum)
    } else {
        lines::map_axis_new(&kernel, &spectrum, outer * real_len * inner, inner)
    };
    Tensor::new(&with_axis(&shape, axis, real_len), out)
}

/// The inverse real transform of each contiguous line of `spectrum`
/// (`n / 2 + 1` values each) written into the line's own storage (its
/// `n + 2` or `n + 1` reals hold the `n` outputs), then the lines moved
/// together: the output reuses the spectrum's allocation, so no second
/// tensor-sized buffer is held. Each line is copied out first (realfft
/// reads its input while it writes).
fn irfft_lines_in_place<T: FftNum + Default>(
    kernel: &Irfft<T>,
    spectrum: Vec<Complex<T>>,
) -> Vec<T> {
    let (h, n) = kernel.lens();
    let lines = spectrum.len() / h;
    let mut spectrum = std::mem::ManuallyDrop::new(spectrum);
    let (ptr, len, cap) = (spectrum.as_mut_ptr(), spectrum.len(), spectrum.capacity());
    // SAFETY: `Complex<T>` is `repr(C)` `{ re: T, im: T }`, so the
    // allocation of `cap` complex values is one of `2 * cap` values of `T`
    // with the same alignment; the vector is not used again.
    let mut reals = unsafe { Vec::from_raw_parts(ptr.cast::<T>(), 2 * len, 2 * cap) };
    let per_task = TASK_LINES.max(1);
    super::workers::for_each_chunk_mut(
        &mut reals,
        2 * h * per_task,
        || (kernel.new_work(), vec![Complex::<T>::default(); h]),
        |(work, line), chunk| {
            for slot in chunk.chunks_mut(2 * h) {
                for (c, pair) in line.iter_mut().zip(slot.chunks_exact(2)) {
                    *c = Complex::new(pair[0], pair[1]);
                }
                kernel.map(line, &mut slot[..n], work);
            }
        },
    );
    for r in 1..lines {
        reals.copy_within(r * 2 * h..r * 2 * h + n, r * n);
    }
    reals.truncate(lines * n);
    reals
}

/// Lines per task of [`irfft_lines_in_place`].
const TASK_LINES: usize = 16;

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
