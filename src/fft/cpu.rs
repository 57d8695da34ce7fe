//! The CPU twin: batched FFTs through rustfft, lines spread over all cores.

use std::sync::Arc;

use rayon::prelude::*;
use rustfft::num_complex::Complex32;

/// Work (points) below which one thread beats the cost of spreading lines.
const PARALLEL_POINTS: usize = 1 << 15;

/// A rustfft plan for one length and direction, plus the output scale.
pub(crate) struct CpuFft {
    fft: Arc<dyn rustfft::Fft<f32>>,
    len: usize,
    scale: f32,
}

impl CpuFft {
    /// The rustfft plan `fft` (shared through the context's plan cache)
    /// with the output scale of one normalisation.
    pub(crate) fn new(fft: Arc<dyn rustfft::Fft<f32>>, scale: f32) -> Self {
        let len = fft.len();
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

/// A raw pointer that may cross threads; see the SAFETY notes where used.
#[derive(Clone, Copy)]
struct SharedMut<T>(*mut T);
// SAFETY: only used to hand disjoint element sets of one slice to rayon
// tasks (each task touches its own columns), never to alias.
unsafe impl<T: Send> Send for SharedMut<T> {}
unsafe impl<T: Send> Sync for SharedMut<T> {}

/// Lines gathered per task on a strided axis: enough to read whole cache
/// lines of each row, few enough to keep the gathered block in cache.
const COLUMNS_PER_TASK: usize = 16;

impl CpuFft {
    /// Transforms every line along an axis: `outer` blocks of `len * inner`
    /// elements, each holding `inner` interleaved lines of stride `inner`.
    /// Strided lines are gathered a few columns at a time into contiguous
    /// scratch, transformed and written back, in parallel over columns.
    pub(crate) fn process_axis(&self, data: &mut [Complex32], inner: usize) {
        if inner == 1 {
            self.process(data);
            return;
        }
        let len = self.len;
        let scratch_len = self.fft.get_inplace_scratch_len();
        for block in data.chunks_mut(len * inner) {
            let base = SharedMut(block.as_mut_ptr());
            let groups = inner.div_ceil(COLUMNS_PER_TASK);
            let work = |(lines, scratch): &mut (Vec<Complex32>, Vec<Complex32>), g: usize| {
                // Capture the whole wrapper (edition 2021 would capture only
                // the raw pointer field, which is not Send).
                #[allow(clippy::redundant_locals)]
                let base = base;
                let j0 = g * COLUMNS_PER_TASK;
                let width = COLUMNS_PER_TASK.min(inner - j0);
                // SAFETY: task g reads and writes only columns j0..j0+width of
                // each row of this block; the column ranges of tasks are
                // disjoint and all indices are below len * inner.
                unsafe {
                    for i in 0..len {
                        let row = base.0.add(i * inner + j0);
                        for c in 0..width {
                            lines[c * len + i] = *row.add(c);
                        }
                    }
                }
                let lines_here = &mut lines[..width * len];
                self.fft.process_with_scratch(lines_here, scratch);
                self.apply_scale(lines_here);
                // SAFETY: as above.
                unsafe {
                    for i in 0..len {
                        let row = base.0.add(i * inner + j0);
                        for c in 0..width {
                            *row.add(c) = lines[c * len + i];
                        }
                    }
                }
            };
            let init = || {
                (
                    vec![Complex32::default(); COLUMNS_PER_TASK * len],
                    vec![Complex32::default(); scratch_len],
                )
            };
            if block.len() < PARALLEL_POINTS {
                let mut state = init();
                (0..groups).for_each(|g| work(&mut state, g));
            } else {
                (0..groups).into_par_iter().for_each_init(init, work);
            }
        }
    }
}

/// `dst[c * rows + r] = src[r * cols + c]` for a `rows x cols` matrix, in
/// cache-sized tiles, spread over all cores by destination rows when large.
pub(crate) fn transpose<T: Copy + Send + Sync>(src: &[T], dst: &mut [T], rows: usize, cols: usize) {
    const TILE: usize = 32;
    let tile_rows = |c0: usize, out: &mut [T]| {
        let c_end = (c0 + TILE).min(cols);
        for r0 in (0..rows).step_by(TILE) {
            for c in c0..c_end {
                let dst_row = &mut out[(c - c0) * rows..(c - c0 + 1) * rows];
                for r in r0..(r0 + TILE).min(rows) {
                    dst_row[r] = src[r * cols + c];
                }
            }
        }
    };
    if rows * cols < PARALLEL_POINTS {
        for (i, out) in dst.chunks_mut(TILE * rows).enumerate() {
            tile_rows(i * TILE, out);
        }
    } else {
        dst.par_chunks_mut(TILE * rows)
            .enumerate()
            .for_each(|(i, out)| tile_rows(i * TILE, out));
    }
}
