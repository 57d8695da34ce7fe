//! A DCT plan for one length: FFT plans, pre-scaled twiddles and Makhoul's
//! packing of two real lines into one complex FFT.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::num_traits::Zero;
use rustfft::{Fft, FftNum, FftPlanner};

use crate::fft::lines::LineKernel;

/// Complex elements per batched FFT call (bounds the spectrum scratch).
const BATCH_COMPLEX_ELEMENTS: usize = 1 << 13;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    /// Orthonormal DCT-II.
    Forward,
    /// Orthonormal DCT-III, the inverse of the DCT-II.
    Inverse,
}

/// FFT plans and pre-scaled twiddles for one transform length `N >= 1`,
/// in `f32` or `f64` (twiddles computed in f64, then rounded).
pub(super) struct DctPlan<T: FftNum> {
    pub(super) len: usize,
    forward_fft: Arc<dyn Fft<T>>,
    inverse_fft: Arc<dyn Fft<T>>,
    /// `s(k) / 2 * exp(-i pi k / (2N))`; the `1/2` undoes the sum of the two
    /// halves when a pair of lines is separated out of one complex spectrum.
    dct2_twiddles: Vec<Complex<T>>,
    /// `c(k) * exp(+i pi k / (2N))` with `c(0) = 1/sqrt(N)`,
    /// `c(k > 0) = 1/sqrt(2N)`: folds the DCT-III scaling and the `1/N` of the
    /// unnormalised inverse FFT into one factor.
    dct3_twiddles: Vec<Complex<T>>,
    fft_scratch_len: usize,
}

/// Per-worker scratch for [`DctPlan::transform_lines`].
pub(super) struct FftWork<T> {
    spectra: Vec<Complex<T>>,
    fft_scratch: Vec<Complex<T>>,
}

/// `v` (an f64 twiddle part, at most 1 in magnitude) in `T`; f32 and f64
/// convert every such value.
fn from_f64<T: FftNum>(v: f64) -> T {
    T::from_f64(v).unwrap_or_else(T::zero)
}

impl<T: FftNum> DctPlan<T> {
    pub(super) fn new(len: usize, fft_planner: &mut FftPlanner<T>) -> Self {
        assert!(len >= 1, "a DCT plan needs a length of at least 1");
        let forward_fft = fft_planner.plan_fft_forward(len);
        let inverse_fft = fft_planner.plan_fft_inverse(len);
        let fft_scratch_len = forward_fft
            .get_inplace_scratch_len()
            .max(inverse_fft.get_inplace_scratch_len());
        let len_f64 = len as f64;
        let angle_step = std::f64::consts::PI / (2.0 * len_f64);
        // One sine and cosine per index for both tables: the DCT-II's
        // rotation is by `-angle` (cos(-a) = cos(a), sin(-a) = -sin(a)
        // exactly), the DCT-III's by `+angle`.
        let mut dct2_twiddles = Vec::with_capacity(len);
        let mut dct3_twiddles = Vec::with_capacity(len);
        for k in 0..len {
            let (sin, cos) = (angle_step * k as f64).sin_cos();
            let (dct2_scale, dct3_scale) = if k == 0 {
                (0.5 * (1.0 / len_f64).sqrt(), 1.0 / len_f64.sqrt())
            } else {
                (0.5 * (2.0 / len_f64).sqrt(), 1.0 / (2.0 * len_f64).sqrt())
            };
            dct2_twiddles.push(Complex::new(
                from_f64(dct2_scale * cos),
                from_f64(dct2_scale * -sin),
            ));
            dct3_twiddles.push(Complex::new(
                from_f64(dct3_scale * cos),
                from_f64(dct3_scale * sin),
            ));
        }
        Self {
            len,
            forward_fft,
            inverse_fft,
            dct2_twiddles,
            dct3_twiddles,
            fft_scratch_len,
        }
    }

    /// Pairs of lines transformed per batched FFT call.
    fn pairs_per_batch(&self) -> usize {
        (BATCH_COMPLEX_ELEMENTS / self.len).max(1)
    }

    fn new_fft_work(&self) -> FftWork<T> {
        FftWork {
            spectra: vec![Complex::zero(); self.pairs_per_batch() * self.len],
            fft_scratch: vec![Complex::zero(); self.fft_scratch_len],
        }
    }

    /// Transforms in place the lines of length `N` that start every
    /// `line_stride >= N` elements of `lines` (whose length is a multiple of
    /// `line_stride`); elements between lines are left alone.
    fn transform_lines(
        &self,
        lines: &mut [T],
        line_stride: usize,
        direction: Direction,
        work: &mut FftWork<T>,
    ) {
        let len = self.len;
        debug_assert!(line_stride >= len);
        debug_assert_eq!(lines.len() % line_stride, 0);
        if len == 1 {
            // The orthonormal transforms of length 1 are the identity.
            return;
        }
        let lines_per_batch = 2 * self.pairs_per_batch();
        for batch in lines.chunks_mut(lines_per_batch * line_stride) {
            let pair_count = (batch.len() / line_stride).div_ceil(2);
            let spectra = &mut work.spectra[..pair_count * len];
            match direction {
                Direction::Forward => {
                    pack_dct2_pairs(batch, line_stride, spectra, len);
                    self.forward_fft
                        .process_with_scratch(spectra, &mut work.fft_scratch);
                    unpack_dct2_pairs(spectra, batch, line_stride, len, &self.dct2_twiddles);
                }
                Direction::Inverse => {
                    pack_dct3_pairs(batch, line_stride, spectra, len, &self.dct3_twiddles);
                    self.inverse_fft
                        .process_with_scratch(spectra, &mut work.fft_scratch);
                    unpack_dct3_pairs(spectra, batch, line_stride, len);
                }
            }
        }
    }
}

/// The first line (of `len`) of `pair` and the second one, which starts at
/// `line_stride` and is `None` when `pair` holds a single line.
fn pair_lines<T>(pair: &[T], line_stride: usize, len: usize) -> (&[T], Option<&[T]>) {
    (&pair[..len], pair.get(line_stride..line_stride + len))
}

/// Mutable version of [`pair_lines`].
fn pair_lines_mut<T>(
    pair: &mut [T],
    line_stride: usize,
    len: usize,
) -> (&mut [T], Option<&mut [T]>) {
    let (first, rest) = pair.split_at_mut(line_stride.min(pair.len()));
    (&mut first[..len], rest.get_mut(..len))
}

/// Makhoul's reordering of each pair of lines into one complex sequence:
/// the first line goes to the real part, the second (or zero) to the
/// imaginary part; `v[m] = x[2m]`, `v[len-1-m] = x[2m+1]`.
fn pack_dct2_pairs<T: FftNum>(
    lines: &[T],
    line_stride: usize,
    spectra: &mut [Complex<T>],
    len: usize,
) {
    let evens = len.div_ceil(2);
    for (pair, spectrum) in lines
        .chunks(2 * line_stride)
        .zip(spectra.chunks_exact_mut(len))
    {
        let (first, second) = pair_lines(pair, line_stride, len);
        let (even_slots, odd_slots) = spectrum.split_at_mut(evens);
        match second {
            None => {
                for (slot, &re) in even_slots.iter_mut().zip(first.iter().step_by(2)) {
                    *slot = Complex::new(re, T::zero());
                }
                for (slot, &re) in odd_slots.iter_mut().rev().zip(first[1..].iter().step_by(2)) {
                    *slot = Complex::new(re, T::zero());
                }
            }
            Some(second) => {
                let even_pairs = first.iter().step_by(2).zip(second.iter().step_by(2));
                for (slot, (&re, &im)) in even_slots.iter_mut().zip(even_pairs) {
                    *slot = Complex::new(re, im);
                }
                let odd_pairs = first[1..]
                    .iter()
                    .step_by(2)
                    .zip(second[1..].iter().step_by(2));
                for (slot, (&re, &im)) in odd_slots.iter_mut().rev().zip(odd_pairs) {
                    *slot = Complex::new(re, im);
                }
            }
        }
    }
}

/// Separates the two real-input spectra `V1[k] = (Z[k] + conj Z[N-k]) / 2`,
/// `V2[k] = (Z[k] - conj Z[N-k]) / (2i)` out of each complex spectrum `Z` and
/// writes `X[k] = s(k) Re(exp(-i pi k / (2N)) V[k])` back into the lines.
fn unpack_dct2_pairs<T: FftNum>(
    spectra: &[Complex<T>],
    lines: &mut [T],
    line_stride: usize,
    len: usize,
    twiddles: &[Complex<T>],
) {
    for (pair, spectrum) in lines
        .chunks_mut(2 * line_stride)
        .zip(spectra.chunks_exact(len))
    {
        let (first, second) = pair_lines_mut(pair, line_stride, len);
        // k = 0 pairs with itself.
        let sum = spectrum[0] + spectrum[0].conj();
        let difference = spectrum[0] - spectrum[0].conj();
        first[0] = (twiddles[0] * sum).re;
        let mirrored = spectrum[1..].iter().rev();
        let terms = spectrum[1..].iter().zip(mirrored).zip(&twiddles[1..]);
        match second {
            None => {
                for (out, ((&z, &z_mirror), &twiddle)) in first[1..].iter_mut().zip(terms) {
                    *out = (twiddle * (z + z_mirror.conj())).re;
                }
            }
            Some(second) => {
                second[0] = (twiddles[0] * difference).im;
                let outs = first[1..].iter_mut().zip(second[1..].iter_mut());
                for ((out_first, out_second), ((&z, &z_mirror), &twiddle)) in outs.zip(terms) {
                    let z_conj = z_mirror.conj();
                    *out_first = (twiddle * (z + z_conj)).re;
                    // Re(-i w) = Im(w): the division by i of V2 becomes an Im.
                    *out_second = (twiddle * (z - z_conj)).im;
                }
            }
        }
    }
}

/// Builds the Hermitian spectrum `V[k] = c(k) exp(i pi k/(2N)) (X[k] - i X[N-k])`
/// (`X[N] = 0`) of each line and packs a pair of them as `Z = V1 + i V2`.
fn pack_dct3_pairs<T: FftNum>(
    lines: &[T],
    line_stride: usize,
    spectra: &mut [Complex<T>],
    len: usize,
    twiddles: &[Complex<T>],
) {
    let rotate = |coefficients: &[T], k: usize| -> Complex<T> {
        if k == 0 {
            twiddles[0] * coefficients[0]
        } else {
            twiddles[k] * Complex::new(coefficients[k], -coefficients[len - k])
        }
    };
    for (pair, spectrum) in lines
        .chunks(2 * line_stride)
        .zip(spectra.chunks_exact_mut(len))
    {
        match pair_lines(pair, line_stride, len) {
            (first, None) => {
                for (k, slot) in spectrum.iter_mut().enumerate() {
                    *slot = rotate(first, k);
                }
            }
            (first, Some(second)) => {
                for (k, slot) in spectrum.iter_mut().enumerate() {
                    let v_second = rotate(second, k);
                    // Z = V1 + i V2.
                    *slot = rotate(first, k) + Complex::new(-v_second.im, v_second.re);
                }
            }
        }
    }
}

/// Reads the two real lines out of the real and imaginary parts of each
/// inverse FFT and undoes Makhoul's reordering.
fn unpack_dct3_pairs<T: FftNum>(
    spectra: &[Complex<T>],
    lines: &mut [T],
    line_stride: usize,
    len: usize,
) {
    let evens = len.div_ceil(2);
    for (pair, sequence) in lines
        .chunks_mut(2 * line_stride)
        .zip(spectra.chunks_exact(len))
    {
        let (first, second) = pair_lines_mut(pair, line_stride, len);
        let (even_values, odd_values) = sequence.split_at(evens);
        for (out, value) in first.iter_mut().step_by(2).zip(even_values) {
            *out = value.re;
        }
        for (out, value) in first[1..]
            .iter_mut()
            .step_by(2)
            .zip(odd_values.iter().rev())
        {
            *out = value.re;
        }
        if let Some(second) = second {
            for (out, value) in second.iter_mut().step_by(2).zip(even_values) {
                *out = value.im;
            }
            for (out, value) in second[1..]
                .iter_mut()
                .step_by(2)
                .zip(odd_values.iter().rev())
            {
                *out = value.im;
            }
        }
    }
}

/// A plan applied in one direction: the kernel the shared line driver runs.
pub(super) struct DctKernel<'a, T: FftNum> {
    pub(super) plan: &'a DctPlan<T>,
    pub(super) direction: Direction,
}

impl<T: FftNum + Default> LineKernel for DctKernel<'_, T> {
    type Elem = T;
    type Work = FftWork<T>;

    fn len(&self) -> usize {
        self.plan.len
    }

    fn new_work(&self) -> FftWork<T> {
        self.plan.new_fft_work()
    }

    fn transform(&self, lines: &mut [T], stride: usize, work: &mut FftWork<T>) {
        self.plan
            .transform_lines(lines, stride, self.direction, work);
    }
}
