//! The CPU twin: batched FFTs through rustfft (f32 and f64), lines along any
//! axis spread over all cores by the shared line driver ([`super::lines`]).

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::FftNum;

use super::lines::{self, LineKernel};

/// A rustfft plan for one length and direction, plus the output scale.
pub(crate) struct CpuFft<T: FftNum = f32> {
    fft: Arc<dyn rustfft::Fft<T>>,
    len: usize,
    scale: T,
}

impl<T: FftNum + Default> CpuFft<T> {
    /// The rustfft plan `fft` (shared through the context's plan cache)
    /// with the output scale of one normalisation.
    pub(crate) fn from_plan(fft: Arc<dyn rustfft::Fft<T>>, scale: T) -> Self {
        let len = fft.len();
        CpuFft { fft, len, scale }
    }

    /// Transforms every line of `data` (a whole number of lines) in place.
    pub(crate) fn process(&self, data: &mut [Complex<T>]) {
        lines::transform_axis(self, data, 1);
    }

    /// Transforms every line along an axis: `outer` blocks of `len * inner`
    /// elements, each holding `inner` interleaved lines of stride `inner`.
    pub(crate) fn process_axis(&self, data: &mut [Complex<T>], inner: usize) {
        lines::transform_axis(self, data, inner);
    }

    fn apply_scale(&self, data: &mut [Complex<T>]) {
        if self.scale != T::one() {
            for v in data {
                *v = *v * self.scale;
            }
        }
    }
}

impl<T: FftNum + Default> LineKernel for CpuFft<T> {
    type Elem = Complex<T>;
    type Work = Vec<Complex<T>>;

    fn len(&self) -> usize {
        self.len
    }

    fn new_work(&self) -> Self::Work {
        vec![Complex::default(); self.fft.get_inplace_scratch_len()]
    }

    fn transform(&self, lines: &mut [Complex<T>], stride: usize, scratch: &mut Self::Work) {
        if stride == self.len {
            self.fft.process_with_scratch(lines, scratch);
            self.apply_scale(lines);
            return;
        }
        for line in lines.chunks_mut(stride) {
            let line = &mut line[..self.len];
            self.fft.process_with_scratch(line, scratch);
            self.apply_scale(line);
        }
    }
}
