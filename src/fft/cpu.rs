//! The CPU twin: batched FFTs through rustfft, lines spread over all cores.

use std::sync::Arc;

use rayon::prelude::*;
use rustfft::num_complex::Complex32;

use super::FftDirection;

/// Work (points) below which one thread beats the cost of spreading lines.
const PARALLEL_POINTS: usize = 1 << 15;

/// A rustfft plan for one length and direction, plus the output scale.
pub(crate) struct CpuFft {
    fft: Arc<dyn rustfft::Fft<f32>>,
    len: usize,
    scale: f32,
}

impl CpuFft {
    pub(crate) fn new(len: usize, direction: FftDirection, scale: f32) -> Self {
        let mut planner = rustfft::FftPlanner::<f32>::new();
        let fft = match direction {
            FftDirection::Forward => planner.plan_fft_forward(len),
            FftDirection::Inverse => planner.plan_fft_inverse(len),
        };
        CpuFft { fft, len, scale }
    }

    /// Transforms every line of `data` (a whole number of lines) in place.
    pub(crate) fn process(&self, data: &mut [Complex32]) {
        let lines = data.len() / self.len;
        let scratch_len = self.fft.get_inplace_scratch_len();
        let threads = rayon::current_num_threads();
        if data.len() < PARALLEL_POINTS || lines < 2 || threads < 2 {
            let mut scratch = vec![Complex32::default(); scratch_len];
            self.fft.process_with_scratch(data, &mut scratch);
            self.apply_scale(data);
            return;
        }
        let lines_per_task = lines.div_ceil(threads * 4).max(1);
        data.par_chunks_mut(lines_per_task * self.len)
            .for_each_init(
                || vec![Complex32::default(); scratch_len],
                |scratch, chunk| {
                    self.fft.process_with_scratch(chunk, scratch);
                    self.apply_scale(chunk);
                },
            );
    }

    fn apply_scale(&self, data: &mut [Complex32]) {
        if self.scale != 1.0 {
            for v in data {
                *v *= self.scale;
            }
        }
    }
}

impl CpuFft {
    /// Transforms every line along an axis: `outer` blocks of `len * inner`
    /// elements, each holding `inner` interleaved lines of stride `inner`.
    pub(crate) fn process_axis(&self, data: &mut [Complex32], inner: usize) {
        if inner == 1 {
            self.process(data);
            return;
        }
        let block = self.len * inner;
        let mut lines = vec![Complex32::default(); block];
        for chunk in data.chunks_mut(block) {
            transpose(chunk, &mut lines, self.len, inner);
            self.process(&mut lines);
            transpose(&lines, chunk, inner, self.len);
        }
    }
}

/// `dst[c * rows + r] = src[r * cols + c]` for a `rows x cols` matrix.
pub(crate) fn transpose<T: Copy>(src: &[T], dst: &mut [T], rows: usize, cols: usize) {
    const TILE: usize = 32;
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                for c in c0..(c0 + TILE).min(cols) {
                    dst[c * rows + r] = src[r * cols + c];
                }
            }
        }
    }
}
