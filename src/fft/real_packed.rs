//! Real FFTs of even length `n` on the CPU as one complex FFT of `n/2`
//! points (the even and odd samples packed as real and imaginary parts) and
//! one twiddle pass that also applies the scale. The twiddle pass works on
//! blocks of [`BLOCK`] pairs held in split real/imaginary arrays so it
//! vectorises, and runs with AVX and FMA where the CPU has them. The complex
//! forward FFT runs in place in the output, the inverse out of place from a
//! per-thread line into the output.
//!
//! With `h = n/2`, `z[j] = x[2j] + i x[2j+1]` and `Z = FFT_h(z)`:
//! `X[k] = (Z[k] + conj Z[h-k]) / 2 + W^k (Z[k] - conj Z[h-k]) / 2i`, with
//! `W = exp(-2 pi i / n)`; `X[h-k]` comes from the same pair. The inverse
//! undoes the pass, then runs the inverse FFT of `h` points into the output.

use std::mem::MaybeUninit;
use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftNum, FftPlanner};

/// Pairs per vectorised block of the twiddle pass.
const BLOCK: usize = 8;

/// The plans and twiddles of one even real length, both directions.
pub(crate) struct PackedReal<T: FftNum> {
    n: usize,
    forward: Arc<dyn Fft<T>>,
    inverse: Arc<dyn Fft<T>>,
    /// Real and imaginary parts of `W^k` for `k = 1..=(h-1)/2`.
    twiddle_re: Vec<T>,
    twiddle_im: Vec<T>,
}

/// A pair of output blocks of the twiddle pass.
type Pairs<T> = ([T; BLOCK], [T; BLOCK], [T; BLOCK], [T; BLOCK]);

impl<T: FftNum> PackedReal<T> {
    /// Plans for the even length `n >= 2`.
    pub(crate) fn new(n: usize) -> Self {
        debug_assert!(n >= 2 && n.is_multiple_of(2));
        let h = n / 2;
        let mut planner = FftPlanner::<T>::new();
        let pairs = (h - 1) / 2;
        let angle = |k: usize| -2.0 * std::f64::consts::PI * k as f64 / n as f64;
        let of = |v: f64| T::from_f64(v).unwrap_or_else(T::zero);
        PackedReal {
            n,
            forward: planner.plan_fft_forward(h),
            inverse: planner.plan_fft_inverse(h),
            twiddle_re: (1..=pairs).map(|k| of(angle(k).cos())).collect(),
            twiddle_im: (1..=pairs).map(|k| of(angle(k).sin())).collect(),
        }
    }

    /// Scratch length [`Self::forward`] and [`Self::inverse`] need (besides
    /// a line of `n/2` complex values for the inverse).
    pub(crate) fn scratch_len(&self) -> usize {
        self.forward
            .get_inplace_scratch_len()
            .max(self.inverse.get_outofplace_scratch_len())
    }

    /// The `n/2 + 1` half spectrum of the `n` reals `src`, times `scale`,
    /// into `dst`.
    pub(crate) fn forward(
        &self,
        src: &[T],
        dst: &mut [Complex<T>],
        scale: T,
        scratch: &mut [Complex<T>],
    ) {
        as_reals(&mut dst[..self.n / 2]).copy_from_slice(src);
        self.forward_packed(dst, scale, scratch);
    }

    /// [`Self::forward`] of the `n` reals that `dst[..n/2]` holds as complex
    /// values (real, imaginary, ...), in place; `dst` holds `n/2 + 1` values.
    pub(crate) fn forward_packed(
        &self,
        dst: &mut [Complex<T>],
        scale: T,
        scratch: &mut [Complex<T>],
    ) {
        let h = self.n / 2;
        self.forward.process_with_scratch(&mut dst[..h], scratch);
        let z0 = dst[0];
        dst[0] = Complex::new((z0.re + z0.im) * scale, T::zero());
        dst[h] = Complex::new((z0.re - z0.im) * scale, T::zero());
        if h.is_multiple_of(2) {
            let mid = dst[h / 2];
            dst[h / 2] = Complex::new(mid.re * scale, -mid.im * scale);
        }
        let pairs = self.twiddle_re.len();
        let (head, right) = dst[..h].split_at_mut(h - pairs);
        let left = &mut head[1..=pairs];
        let half = scale * T::from_f64(0.5).unwrap_or_else(T::zero);
        run_pairs::<T, true>(self, left, right, half);
    }

    /// The `n` reals of the half spectrum `src` (`n/2 + 1` points; the
    /// imaginary parts at 0 and `n/2` are ignored), times `scale`, into `dst`;
    /// `out` is a line of `n/2` values.
    pub(crate) fn inverse(
        &self,
        src: &[Complex<T>],
        dst: &mut [T],
        scale: T,
        (out, scratch): (&mut [Complex<T>], &mut [Complex<T>]),
    ) {
        let h = self.n / 2;
        let (x0, xh) = (src[0].re, src[h].re);
        out[0] = Complex::new((x0 + xh) * scale, (x0 - xh) * scale);
        let two = scale + scale;
        if h.is_multiple_of(2) {
            let mid = src[h / 2];
            out[h / 2] = Complex::new(mid.re * two, -mid.im * two);
        }
        let pairs = self.twiddle_re.len();
        let (head, right) = out.split_at_mut(h - pairs);
        let left = &mut head[1..=pairs];
        left.copy_from_slice(&src[1..=pairs]);
        right.copy_from_slice(&src[h - pairs..h]);
        run_pairs::<T, false>(self, left, right, scale);
        self.inverse
            .process_outofplace_with_scratch(out, as_complex(dst), scratch);
    }
}

/// Writes the `n` reals `src` into the first `n/2` values of `dst` (`n/2 + 1`
/// values) as [`PackedReal::forward_packed`] reads them, and zero into the
/// last; returns `dst`, now initialised.
pub(crate) fn pack_into<'a, T: FftNum>(
    src: &[T],
    dst: &'a mut [MaybeUninit<Complex<T>>],
) -> &'a mut [Complex<T>] {
    let h = src.len() / 2;
    assert!(src.len() == 2 * h && dst.len() == h + 1);
    // SAFETY: `Complex<T>` is two `T` in `#[repr(C)]` (see `as_reals`), so
    // the first `h` values of `dst` are `2h` places for `T`; the regions do
    // not overlap (`dst` is borrowed mutably).
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast::<T>(), 2 * h) };
    dst[h].write(Complex::new(T::zero(), T::zero()));
    // SAFETY: every value of `dst` was written above.
    unsafe { &mut *(dst as *mut [MaybeUninit<Complex<T>>] as *mut [Complex<T>]) }
}

/// Applies the forward (`FORWARD`) or inverse twiddle block to the pairs
/// `(left[j], right[len - 1 - j])`, in place.
fn run_pairs<T: FftNum, const FORWARD: bool>(
    plan: &PackedReal<T>,
    left: &mut [Complex<T>],
    right: &mut [Complex<T>],
    factor: T,
) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { pairs_avx::<T, FORWARD>(plan, left, right, factor) };
        return;
    }
    pairs_generic::<T, FORWARD>(plan, left, right, factor);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,fma")]
unsafe fn pairs_avx<T: FftNum, const FORWARD: bool>(
    plan: &PackedReal<T>,
    left: &mut [Complex<T>],
    right: &mut [Complex<T>],
    factor: T,
) {
    pairs_generic::<T, FORWARD>(plan, left, right, factor);
}

#[inline(always)]
fn pairs_generic<T: FftNum, const FORWARD: bool>(
    plan: &PackedReal<T>,
    left: &mut [Complex<T>],
    right: &mut [Complex<T>],
    factor: T,
) {
    let len = left.len();
    let full = len / BLOCK * BLOCK;
    for start in (0..full).step_by(BLOCK) {
        one_block::<T, FORWARD>(plan, left, right, factor, start, BLOCK);
    }
    if full < len {
        one_block::<T, FORWARD>(plan, left, right, factor, full, len - full);
    }
}

/// [`pairs_generic`] for the `width <= BLOCK` pairs from `start`; inlined with
/// a constant width for the full blocks.
#[inline(always)]
fn one_block<T: FftNum, const FORWARD: bool>(
    plan: &PackedReal<T>,
    left: &mut [Complex<T>],
    right: &mut [Complex<T>],
    factor: T,
    start: usize,
    width: usize,
) {
    let end = right.len() - start;
    let l = &mut left[start..start + width];
    let r = &mut right[end - width..end];
    let (wr_all, wi_all) = (
        &plan.twiddle_re[start..start + width],
        &plan.twiddle_im[start..start + width],
    );
    let zero = [T::zero(); BLOCK];
    let (mut ins, mut wr, mut wi) = ((zero, zero, zero, zero), zero, zero);
    for j in 0..width {
        let (a, b) = (l[j], r[width - 1 - j]);
        (ins.0[j], ins.1[j], ins.2[j], ins.3[j]) = (a.re, a.im, b.re, b.im);
        wr[j] = wr_all[j];
        wi[j] = wi_all[j];
    }
    if !FORWARD {
        wr.iter_mut().for_each(|w| *w = -*w);
    }
    let out = twiddle_block(&ins, &wr, &wi, factor);
    for j in 0..width {
        l[j] = Complex::new(out.0[j], out.1[j]);
        r[width - 1 - j] = Complex::new(out.2[j], out.3[j]);
    }
}

/// Forward: `X[k]` and `X[h-k]` (times `factor`, which holds the 1/2) from
/// `Z[k]`, `Z[h-k]`. Inverse, with the twiddles' real parts negated:
/// `2 Z[k]` and `2 Z[h-k]` (times `factor`) from `X[k]`, `X[h-k]`, since
/// `2 Fo = d conj(W^k)` and `Z = Fe + i Fo` rearrange to the same form.
#[inline(always)]
fn twiddle_block<T: FftNum>(
    (ar, ai, br, bi): &Pairs<T>,
    wr: &[T; BLOCK],
    wi: &[T; BLOCK],
    factor: T,
) -> Pairs<T> {
    let zero = [T::zero(); BLOCK];
    let mut out = (zero, zero, zero, zero);
    for j in 0..BLOCK {
        let (sr, si) = (ar[j] + br[j], ai[j] - bi[j]);
        let (dr, di) = (ar[j] - br[j], ai[j] + bi[j]);
        // W^k times (d / i) = W^k (di - i dr).
        let tr = wr[j] * di + wi[j] * dr;
        let ti = wi[j] * di - wr[j] * dr;
        out.0[j] = (sr + tr) * factor;
        out.1[j] = (si + ti) * factor;
        out.2[j] = (sr - tr) * factor;
        out.3[j] = (ti - si) * factor;
    }
    out
}

/// `values` seen as their real and imaginary parts in turn.
fn as_reals<T>(values: &mut [Complex<T>]) -> &mut [T] {
    let len = values.len() * 2;
    // SAFETY: `Complex<T>` is `#[repr(C)]` with two `T` fields, so a slice
    // of them is a slice of twice as many `T` with the same alignment.
    unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr().cast(), len) }
}

/// An even number of reals seen as complex values (real, imaginary, ...).
fn as_complex<T>(values: &mut [T]) -> &mut [Complex<T>] {
    let len = values.len() / 2;
    // SAFETY: as in `as_reals`: `Complex<T>` is two `T` in `#[repr(C)]`,
    // with the alignment of `T`; `len` pairs lie inside `values`.
    unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr().cast(), len) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dft(x: &[f64]) -> Vec<Complex<f64>> {
        let n = x.len();
        (0..=n / 2)
            .map(|k| {
                x.iter()
                    .enumerate()
                    .fold(Complex::new(0.0, 0.0), |acc, (j, &v)| {
                        let a = -2.0 * std::f64::consts::PI * (j * k % n) as f64 / n as f64;
                        acc + Complex::new(a.cos(), a.sin()) * v
                    })
            })
            .collect()
    }

    #[test]
    fn packed_transforms_match_the_direct_sum_and_invert() {
        for n in [2usize, 4, 6, 8, 10, 18, 34, 36, 64, 98, 130, 1000] {
            let plan = PackedReal::<f64>::new(n);
            let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 - 50.0).collect();
            let mut scratch = vec![Complex::new(0.0, 0.0); plan.scratch_len()];
            let mut line = vec![Complex::new(0.0, 0.0); n / 2];
            let mut half = vec![Complex::new(0.0, 0.0); n / 2 + 1];
            plan.forward(&x, &mut half, 2.0, &mut scratch);
            let expected = dft(&x);
            let size = x.iter().map(|v| v * v).sum::<f64>().sqrt() * (n as f64).sqrt();
            for (k, (g, e)) in half.iter().zip(&expected).enumerate() {
                assert!(
                    (g - e * 2.0).norm() <= 1e-12 * size,
                    "n {n} k {k}: {g} vs {e}"
                );
            }
            // Imaginary parts a real spectrum cannot have are ignored.
            half[0].im = 123.0;
            half[n / 2].im = -7.0;
            let mut back = vec![0.0; n];
            plan.inverse(&half, &mut back, 0.5 / n as f64, (&mut line, &mut scratch));
            for (i, (b, v)) in back.iter().zip(&x).enumerate() {
                assert!((b - v).abs() <= 1e-12 * size, "n {n} i {i}: {b} vs {v}");
            }
        }
    }
}
