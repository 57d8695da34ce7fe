//! CPU orthonormal DCT-II and DCT-III (its inverse) along the axes of
//! row-major `f32` tensors, computed through complex FFTs from `rustfft`.
//!
//! Each line of length `N` is reordered as in Makhoul (1980),
//! `v[n] = x[2n]`, `v[N-1-n] = x[2n+1]`, transformed by one complex FFT of
//! length `N`, and rotated by `exp(-i pi k / (2N))`. Two real lines share one
//! complex FFT (one in the real part, one in the imaginary part), so a tensor
//! costs about half an FFT of length `N` per line. Every `N >= 1` works.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rayon::prelude::*;
use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

/// Why a DCT along tensor axes was refused. Nothing is written to the data
/// when an error is returned.
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

/// Tensors with fewer elements than this are transformed on the calling thread.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 15;
/// Rough number of elements a rayon task should own to be worth spawning.
const TASK_MIN_ELEMENTS: usize = 1 << 14;
/// Complex elements per batched FFT call (bounds the spectrum scratch).
const BATCH_COMPLEX_ELEMENTS: usize = 1 << 13;
/// Bounds (in lines) of the group of lines of a strided axis that is gathered
/// together into a contiguous buffer: wide groups read whole cache lines from
/// each row and keep TLB misses down.
const MIN_COLUMN_GROUP: usize = 4;
/// See [`MIN_COLUMN_GROUP`].
const MAX_COLUMN_GROUP: usize = 64;
/// Target size (in `f32` elements) of one gathered group of lines, and the
/// share of a slab per thread (so that a slab stays in cache between being
/// transformed and being written back).
const COLUMN_GROUP_ELEMENTS: usize = 1 << 18;
/// Columns written back per pass over the rows when scattering gathered
/// lines (bounds the number of gathered lines read at once).
const SCATTER_COLUMNS: usize = 64;
/// Padding, in `f32` elements (one cache line), after each gathered line so
/// that a power-of-two length does not put every line in the same cache set.
const GATHERED_LINE_PADDING: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    /// Orthonormal DCT-II.
    Forward,
    /// Orthonormal DCT-III, the inverse of the DCT-II.
    Inverse,
}

/// FFT plans and pre-scaled twiddles for one transform length `N >= 1`.
struct DctPlan {
    len: usize,
    forward_fft: Arc<dyn Fft<f32>>,
    inverse_fft: Arc<dyn Fft<f32>>,
    /// `s(k) / 2 * exp(-i pi k / (2N))`; the `1/2` undoes the sum of the two
    /// halves when a pair of lines is separated out of one complex spectrum.
    dct2_twiddles: Vec<Complex32>,
    /// `c(k) * exp(+i pi k / (2N))` with `c(0) = 1/sqrt(N)`,
    /// `c(k > 0) = 1/sqrt(2N)`: folds the DCT-III scaling and the `1/N` of the
    /// unnormalised inverse FFT into one factor.
    dct3_twiddles: Vec<Complex32>,
    fft_scratch_len: usize,
    /// Lines of a strided axis gathered and transformed together.
    column_group: usize,
    /// Distance between the starts of consecutive gathered lines.
    gathered_stride: usize,
}

/// Per-worker scratch for [`DctPlan::transform_lines`].
struct FftWork {
    spectra: Vec<Complex32>,
    fft_scratch: Vec<Complex32>,
}

/// Per-worker scratch for a strided axis: FFT scratch plus a buffer of
/// gathered lines.
struct StridedWork {
    fft: FftWork,
    gathered_lines: Vec<f32>,
}

impl DctPlan {
    fn new(len: usize, fft_planner: &mut FftPlanner<f32>) -> Self {
        assert!(len >= 1, "a DCT plan needs a length of at least 1");
        let forward_fft = fft_planner.plan_fft_forward(len);
        let inverse_fft = fft_planner.plan_fft_inverse(len);
        let fft_scratch_len = forward_fft
            .get_inplace_scratch_len()
            .max(inverse_fft.get_inplace_scratch_len());
        let len_f64 = len as f64;
        let angle_step = std::f64::consts::PI / (2.0 * len_f64);
        let rotation = |k: usize, sign: f64, scale: f64| {
            let angle = sign * angle_step * k as f64;
            Complex32::new((scale * angle.cos()) as f32, (scale * angle.sin()) as f32)
        };
        let dct2_twiddles = (0..len)
            .map(|k| {
                let orthonormal = if k == 0 {
                    (1.0 / len_f64).sqrt()
                } else {
                    (2.0 / len_f64).sqrt()
                };
                rotation(k, -1.0, 0.5 * orthonormal)
            })
            .collect();
        let dct3_twiddles = (0..len)
            .map(|k| {
                let scale = if k == 0 {
                    1.0 / len_f64.sqrt()
                } else {
                    1.0 / (2.0 * len_f64).sqrt()
                };
                rotation(k, 1.0, scale)
            })
            .collect();
        Self {
            len,
            column_group: (COLUMN_GROUP_ELEMENTS / len).clamp(MIN_COLUMN_GROUP, MAX_COLUMN_GROUP),
            gathered_stride: len.next_multiple_of(GATHERED_LINE_PADDING) + GATHERED_LINE_PADDING,
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

    fn new_fft_work(&self) -> FftWork {
        FftWork {
            spectra: vec![Complex32::new(0.0, 0.0); self.pairs_per_batch() * self.len],
            fft_scratch: vec![Complex32::new(0.0, 0.0); self.fft_scratch_len],
        }
    }

    fn new_strided_work(&self) -> StridedWork {
        StridedWork {
            fft: self.new_fft_work(),
            gathered_lines: vec![0.0; self.column_group * self.gathered_stride],
        }
    }

    /// Transforms in place the lines of length `N` that start every
    /// `line_stride >= N` elements of `lines` (whose length is a multiple of
    /// `line_stride`); elements between lines are left alone.
    fn transform_lines(
        &self,
        lines: &mut [f32],
        line_stride: usize,
        direction: Direction,
        work: &mut FftWork,
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
fn pair_lines(pair: &[f32], line_stride: usize, len: usize) -> (&[f32], Option<&[f32]>) {
    (&pair[..len], pair.get(line_stride..line_stride + len))
}

/// Mutable version of [`pair_lines`].
fn pair_lines_mut(
    pair: &mut [f32],
    line_stride: usize,
    len: usize,
) -> (&mut [f32], Option<&mut [f32]>) {
    let (first, rest) = pair.split_at_mut(line_stride.min(pair.len()));
    (&mut first[..len], rest.get_mut(..len))
}

/// Makhoul's reordering of each pair of lines into one complex sequence:
/// the first line goes to the real part, the second (or zero) to the
/// imaginary part; `v[m] = x[2m]`, `v[len-1-m] = x[2m+1]`.
fn pack_dct2_pairs(lines: &[f32], line_stride: usize, spectra: &mut [Complex32], len: usize) {
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
                    *slot = Complex32::new(re, 0.0);
                }
                for (slot, &re) in odd_slots.iter_mut().rev().zip(first[1..].iter().step_by(2)) {
                    *slot = Complex32::new(re, 0.0);
                }
            }
            Some(second) => {
                let even_pairs = first.iter().step_by(2).zip(second.iter().step_by(2));
                for (slot, (&re, &im)) in even_slots.iter_mut().zip(even_pairs) {
                    *slot = Complex32::new(re, im);
                }
                let odd_pairs = first[1..]
                    .iter()
                    .step_by(2)
                    .zip(second[1..].iter().step_by(2));
                for (slot, (&re, &im)) in odd_slots.iter_mut().rev().zip(odd_pairs) {
                    *slot = Complex32::new(re, im);
                }
            }
        }
    }
}

/// Separates the two real-input spectra `V1[k] = (Z[k] + conj Z[N-k]) / 2`,
/// `V2[k] = (Z[k] - conj Z[N-k]) / (2i)` out of each complex spectrum `Z` and
/// writes `X[k] = s(k) Re(exp(-i pi k / (2N)) V[k])` back into the lines.
fn unpack_dct2_pairs(
    spectra: &[Complex32],
    lines: &mut [f32],
    line_stride: usize,
    len: usize,
    twiddles: &[Complex32],
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
fn pack_dct3_pairs(
    lines: &[f32],
    line_stride: usize,
    spectra: &mut [Complex32],
    len: usize,
    twiddles: &[Complex32],
) {
    let rotate = |coefficients: &[f32], k: usize| -> Complex32 {
        if k == 0 {
            twiddles[0] * coefficients[0]
        } else {
            twiddles[k] * Complex32::new(coefficients[k], -coefficients[len - k])
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
                    *slot = rotate(first, k) + Complex32::new(-v_second.im, v_second.re);
                }
            }
        }
    }
}

/// Reads the two real lines out of the real and imaginary parts of each
/// inverse FFT and undoes Makhoul's reordering.
fn unpack_dct3_pairs(spectra: &[Complex32], lines: &mut [f32], line_stride: usize, len: usize) {
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

/// Copies columns `column_start..column_start + width` of the `len x row_len`
/// row-major `block` into `lines`, one line per column starting every
/// `line_stride` elements (`width = lines.len() / line_stride`). Rows are read
/// one after the other, so the block is streamed.
fn gather_columns(
    block: &[f32],
    row_len: usize,
    column_start: usize,
    lines: &mut [f32],
    line_stride: usize,
) {
    let width = lines.len() / line_stride;
    for (row_index, row) in block.chunks_exact(row_len).enumerate() {
        let source = &row[column_start..column_start + width];
        for (line, &value) in lines.chunks_exact_mut(line_stride).zip(source) {
            line[row_index] = value;
        }
    }
}

/// Writes lines laid out as by [`gather_columns`] back into columns
/// `column_start..column_start + width` of `rows`, which holds whole rows of
/// `row_len` of the block starting at row `first_row`. Works through
/// [`SCATTER_COLUMNS`] columns at a time so the lines being read stay cached.
fn scatter_columns(
    lines: &[f32],
    line_stride: usize,
    first_row: usize,
    rows: &mut [f32],
    row_len: usize,
    column_start: usize,
) {
    let width = lines.len() / line_stride;
    for chunk_start in (0..width).step_by(SCATTER_COLUMNS) {
        let chunk_width = SCATTER_COLUMNS.min(width - chunk_start);
        let chunk_lines =
            &lines[chunk_start * line_stride..(chunk_start + chunk_width) * line_stride];
        let destination_start = column_start + chunk_start;
        for (row_offset, row) in rows.chunks_exact_mut(row_len).enumerate() {
            let row_index = first_row + row_offset;
            let destination = &mut row[destination_start..destination_start + chunk_width];
            for (value, line) in destination
                .iter_mut()
                .zip(chunk_lines.chunks_exact(line_stride))
            {
                *value = line[row_index];
            }
        }
    }
}

/// How the lines along one axis are distributed over threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    /// Everything on the calling thread.
    Serial,
    /// The axis is the last one: groups of contiguous lines per task.
    ContiguousParallel,
    /// Strided axis, many blocks: whole `len x inner` blocks per task.
    BlockParallel,
    /// Strided axis, few blocks: the lines of each block are gathered into a
    /// slab buffer in parallel, transformed, and scattered back by rows.
    SlabParallel,
}

/// Picks how to spread the lines of an axis viewed as `[outer, len, inner]`
/// over `threads` threads.
fn choose_strategy(
    element_count: usize,
    outer: usize,
    inner: usize,
    column_group: usize,
    threads: usize,
) -> Strategy {
    if element_count < PARALLEL_MIN_ELEMENTS || threads <= 1 {
        Strategy::Serial
    } else if inner == 1 {
        Strategy::ContiguousParallel
    } else if outer >= 2 * threads || outer >= inner.div_ceil(column_group) {
        Strategy::BlockParallel
    } else {
        Strategy::SlabParallel
    }
}

/// Transforms every line along the middle axis of `data` viewed as
/// `[outer, len, inner]` (`len = plan.len`); `threads` sizes the slabs of
/// [`Strategy::SlabParallel`].
fn transform_axis_with(
    data: &mut [f32],
    inner: usize,
    plan: &DctPlan,
    direction: Direction,
    strategy: Strategy,
    threads: usize,
) {
    let len = plan.len;
    if len == 1 {
        return;
    }
    let block_len = len * inner;
    match strategy {
        Strategy::Serial if inner == 1 => {
            plan.transform_lines(data, len, direction, &mut plan.new_fft_work());
        }
        Strategy::Serial => {
            let mut work = plan.new_strided_work();
            for block in data.chunks_exact_mut(block_len) {
                transform_strided_block(block, inner, plan, direction, &mut work);
            }
        }
        Strategy::ContiguousParallel => {
            debug_assert_eq!(inner, 1);
            let lines_per_task = TASK_MIN_ELEMENTS.div_ceil(len).next_multiple_of(2);
            data.par_chunks_mut(lines_per_task * len).for_each_init(
                || plan.new_fft_work(),
                |work, lines| plan.transform_lines(lines, len, direction, work),
            );
        }
        Strategy::BlockParallel => {
            let blocks_per_task = (TASK_MIN_ELEMENTS / block_len).max(1);
            data.par_chunks_mut(blocks_per_task * block_len)
                .for_each_init(
                    || plan.new_strided_work(),
                    |work, blocks| {
                        for block in blocks.chunks_exact_mut(block_len) {
                            transform_strided_block(block, inner, plan, direction, work);
                        }
                    },
                );
        }
        Strategy::SlabParallel => {
            for block in data.chunks_exact_mut(block_len) {
                transform_block_by_slabs(block, inner, plan, direction, threads);
            }
        }
    }
}

/// Serially transforms the `inner` lines (columns) of one `len x inner` block,
/// `plan.column_group` columns at a time.
fn transform_strided_block(
    block: &mut [f32],
    inner: usize,
    plan: &DctPlan,
    direction: Direction,
    work: &mut StridedWork,
) {
    let group = plan.column_group;
    let stride = plan.gathered_stride;
    for column_start in (0..inner).step_by(group) {
        let width = group.min(inner - column_start);
        let lines = &mut work.gathered_lines[..width * stride];
        gather_columns(block, inner, column_start, lines, stride);
        plan.transform_lines(lines, stride, direction, &mut work.fft);
        scatter_columns(lines, stride, 0, block, inner, column_start);
    }
}

/// Transforms the columns of one `len x inner` block in parallel: slabs of
/// columns are gathered (reading the block) and transformed group by group in
/// parallel, then written back in parallel by rows. A slab holds at least one
/// group per thread and about [`COLUMN_GROUP_ELEMENTS`] per thread, so it
/// stays in cache until it is written back.
fn transform_block_by_slabs(
    block: &mut [f32],
    inner: usize,
    plan: &DctPlan,
    direction: Direction,
    threads: usize,
) {
    let group = plan.column_group;
    let stride = plan.gathered_stride;
    let threads = threads.max(1);
    let groups_per_slab = (threads * COLUMN_GROUP_ELEMENTS / (group * stride)).max(threads);
    let slab_width = (groups_per_slab * group).min(inner);
    let mut slab = vec![0.0f32; slab_width * stride];
    for column_start in (0..inner).step_by(slab_width) {
        let width = slab_width.min(inner - column_start);
        let slab_lines = &mut slab[..width * stride];
        let source: &[f32] = block;
        slab_lines
            .par_chunks_mut(group * stride)
            .enumerate()
            .for_each_init(
                || plan.new_fft_work(),
                |work, (group_index, lines)| {
                    let group_start = column_start + group_index * group;
                    gather_columns(source, inner, group_start, lines, stride);
                    plan.transform_lines(lines, stride, direction, work);
                },
            );
        let slab_lines: &[f32] = slab_lines;
        let rows_per_task = (TASK_MIN_ELEMENTS / width).max(1);
        block
            .par_chunks_mut(rows_per_task * inner)
            .enumerate()
            .for_each(|(task, rows)| {
                let first_row = task * rows_per_task;
                scatter_columns(slab_lines, stride, first_row, rows, inner, column_start);
            });
    }
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
fn transform_axes(
    data: &mut [f32],
    shape: &[usize],
    axes: &[usize],
    direction: Direction,
    mut plan_for_len: impl FnMut(usize) -> Arc<DctPlan>,
) -> Result<(), DctError> {
    validate(data.len(), shape, axes)?;
    let threads = rayon::current_num_threads();
    for &axis in axes {
        let len = shape[axis];
        if len == 1 {
            continue;
        }
        let outer: usize = shape[..axis].iter().product();
        let inner: usize = shape[axis + 1..].iter().product();
        let plan = plan_for_len(len);
        let strategy = choose_strategy(data.len(), outer, inner, plan.column_group, threads);
        transform_axis_with(data, inner, &plan, direction, strategy, threads);
    }
    Ok(())
}

/// A cache of DCT plans (complex FFT plans of length `N` and the twiddles
/// `exp(-i pi k / (2N))`, computed in f64 and rounded to f32), keyed by `N`.
///
/// The free functions ([`dct2_axis`], [`dct3_axis`], [`dct2_axes`],
/// [`dct3_axes`]) share one process-wide planner; own a `DctPlanner` to keep
/// a separate cache.
pub struct DctPlanner {
    fft_planner: FftPlanner<f32>,
    plans: HashMap<usize, Arc<DctPlan>>,
}

impl fmt::Debug for DctPlanner {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut cached_lengths: Vec<usize> = self.plans.keys().copied().collect();
        cached_lengths.sort_unstable();
        formatter
            .debug_struct("DctPlanner")
            .field("cached_lengths", &cached_lengths)
            .finish_non_exhaustive()
    }
}

impl Default for DctPlanner {
    fn default() -> Self {
        Self::new()
    }
}

impl DctPlanner {
    /// Creates a planner with an empty cache.
    #[must_use]
    pub fn new() -> Self {
        Self {
            fft_planner: FftPlanner::new(),
            plans: HashMap::new(),
        }
    }

    /// Returns the cached plan for `len >= 1`, building it on first use.
    fn plan(&mut self, len: usize) -> Arc<DctPlan> {
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
    pub fn dct2_axis(
        &mut self,
        data: &mut [f32],
        shape: &[usize],
        axis: usize,
    ) -> Result<(), DctError> {
        self.dct2_axes(data, shape, &[axis])
    }

    /// Orthonormal DCT-III (inverse DCT-II) along `axis`, in place; see [`dct3_axis`].
    ///
    /// # Errors
    ///
    /// As [`dct3_axis`].
    pub fn dct3_axis(
        &mut self,
        data: &mut [f32],
        shape: &[usize],
        axis: usize,
    ) -> Result<(), DctError> {
        self.dct3_axes(data, shape, &[axis])
    }

    /// Orthonormal DCT-II along each of `axes`, in place; see [`dct2_axes`].
    ///
    /// # Errors
    ///
    /// As [`dct2_axes`].
    pub fn dct2_axes(
        &mut self,
        data: &mut [f32],
        shape: &[usize],
        axes: &[usize],
    ) -> Result<(), DctError> {
        transform_axes(data, shape, axes, Direction::Forward, |len| self.plan(len))
    }

    /// Orthonormal DCT-III along each of `axes`, in place; see [`dct3_axes`].
    ///
    /// # Errors
    ///
    /// As [`dct3_axes`].
    pub fn dct3_axes(
        &mut self,
        data: &mut [f32],
        shape: &[usize],
        axes: &[usize],
    ) -> Result<(), DctError> {
        transform_axes(data, shape, axes, Direction::Inverse, |len| self.plan(len))
    }
}

/// Plan for `len` from the process-wide planner; the lock is held only while
/// looking the plan up (or building it), never while transforming.
fn shared_plan(len: usize) -> Arc<DctPlan> {
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
/// [`DctError::EmptyShape`] if `shape` is empty, [`DctError::ZeroDimension`]
/// if a dimension is 0, [`DctError::ShapeMismatch`] if `data.len()` is not the
/// product of `shape`, [`DctError::AxisOutOfRange`] if `axis >= shape.len()`.
/// `data` is left untouched on error.
pub fn dct2_axis(data: &mut [f32], shape: &[usize], axis: usize) -> Result<(), DctError> {
    dct2_axes(data, shape, &[axis])
}

/// Orthonormal DCT-III along one axis, in place: the inverse of [`dct2_axis`]
/// (`x[n] = sum_k s(k) X[k] cos(pi (2n+1) k / (2N))`, the same as
/// `scipy.fft.dct(x, type=3, norm="ortho")`), with the same conventions.
///
/// # Errors
///
/// As [`dct2_axis`]; `data` is left untouched on error.
pub fn dct3_axis(data: &mut [f32], shape: &[usize], axis: usize) -> Result<(), DctError> {
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
pub fn dct2_axes(data: &mut [f32], shape: &[usize], axes: &[usize]) -> Result<(), DctError> {
    transform_axes(data, shape, axes, Direction::Forward, shared_plan)
}

/// Orthonormal DCT-III along each of `axes` (each at most once, in any
/// order), in place: the inverse of [`dct2_axes`] over the same axes.
///
/// # Errors
///
/// As [`dct2_axes`]; `data` is untouched on error.
pub fn dct3_axes(data: &mut [f32], shape: &[usize], axes: &[usize]) -> Result<(), DctError> {
    transform_axes(data, shape, axes, Direction::Inverse, shared_plan)
}

#[cfg(test)]
mod tests {
    use super::super::reference::{dct2_naive_f64, dct3_naive_f64};
    use super::*;

    /// splitmix64, for reproducible test inputs without the `rand` crate.
    struct SplitMix64(u64);

    impl SplitMix64 {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in [-1, 1).
        fn next_signed_unit(&mut self) -> f32 {
            let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            (2.0 * unit - 1.0) as f32
        }

        fn signal(&mut self, len: usize) -> Vec<f32> {
            (0..len).map(|_| self.next_signed_unit()).collect()
        }
    }

    fn rms_relative_error(actual: &[f32], expected: &[f64]) -> f64 {
        assert_eq!(actual.len(), expected.len());
        let error: f64 = actual
            .iter()
            .zip(expected)
            .map(|(&a, &e)| (f64::from(a) - e).powi(2))
            .sum();
        let norm: f64 = expected.iter().map(|e| e * e).sum();
        if norm == 0.0 {
            error.sqrt()
        } else {
            (error / norm).sqrt()
        }
    }

    fn to_f64(values: &[f32]) -> Vec<f64> {
        values.iter().map(|&v| f64::from(v)).collect()
    }

    /// Checks DCT-II against the naive f64 oracle, the round trip and Parseval
    /// for one length; returns the worst of the two RMS relative errors.
    fn check_length(len: usize, rng: &mut SplitMix64) -> f64 {
        let signal = rng.signal(len);
        let mut spectrum = signal.clone();
        dct2_axis(&mut spectrum, &[len], 0).unwrap();
        let expected = dct2_naive_f64(&to_f64(&signal));
        let forward_error = rms_relative_error(&spectrum, &expected);
        assert!(
            forward_error <= 1e-6,
            "N = {len}: DCT-II RMS relative error {forward_error:e}"
        );

        let energy_signal: f64 = signal.iter().map(|&v| f64::from(v).powi(2)).sum();
        let energy_spectrum: f64 = spectrum.iter().map(|&v| f64::from(v).powi(2)).sum();
        let parseval = (energy_spectrum - energy_signal).abs() / energy_signal;
        assert!(
            parseval <= 1e-5,
            "N = {len}: Parseval relative error {parseval:e}"
        );

        let mut round_trip = spectrum.clone();
        dct3_axis(&mut round_trip, &[len], 0).unwrap();
        let round_trip_error = rms_relative_error(&round_trip, &to_f64(&signal));
        assert!(
            round_trip_error <= 1e-6,
            "N = {len}: round trip RMS relative error {round_trip_error:e}"
        );

        let mut inverse = signal.clone();
        dct3_axis(&mut inverse, &[len], 0).unwrap();
        let inverse_error = rms_relative_error(&inverse, &dct3_naive_f64(&to_f64(&signal)));
        assert!(
            inverse_error <= 1e-6,
            "N = {len}: DCT-III RMS relative error {inverse_error:e}"
        );

        forward_error.max(round_trip_error).max(inverse_error)
    }

    #[test]
    fn every_length_up_to_300_matches_naive() {
        let mut rng = SplitMix64(1);
        let worst = (1..=300)
            .map(|len| check_length(len, &mut rng))
            .fold(0.0, f64::max);
        println!("worst RMS relative error over N = 1..=300: {worst:e}");
    }

    #[test]
    fn larger_lengths_match_naive() {
        let mut rng = SplitMix64(2);
        let worst = [509, 1000, 1024, 4095, 4096]
            .into_iter()
            .map(|len| check_length(len, &mut rng))
            .fold(0.0, f64::max);
        println!("worst RMS relative error over N = 509..=4096: {worst:e}");
    }

    #[test]
    fn prime_length_65537_sampled_coefficients_and_round_trip() {
        let len = 65537;
        let mut rng = SplitMix64(3);
        let signal = rng.signal(len);
        let mut spectrum = signal.clone();
        dct2_axis(&mut spectrum, &[len], 0).unwrap();

        // The full naive DCT is O(N^2); evaluate the defining sum in f64 at a
        // spread of coefficients, including both ends.
        let sampled_ks: Vec<usize> = (0..len)
            .step_by(521)
            .chain([1, 2, len - 2, len - 1])
            .collect();
        let expected: Vec<f64> = sampled_ks
            .iter()
            .map(|&k| {
                let sum: f64 = signal
                    .iter()
                    .enumerate()
                    .map(|(n, &x)| {
                        let phase = ((2 * n as u64 + 1) * k as u64) % (4 * len as u64);
                        f64::from(x)
                            * (std::f64::consts::PI * phase as f64 / (2.0 * len as f64)).cos()
                    })
                    .sum();
                let scale = if k == 0 {
                    (1.0 / len as f64).sqrt()
                } else {
                    (2.0 / len as f64).sqrt()
                };
                scale * sum
            })
            .collect();
        let actual: Vec<f32> = sampled_ks.iter().map(|&k| spectrum[k]).collect();
        let sampled_error = rms_relative_error(&actual, &expected);
        assert!(
            sampled_error <= 1e-6,
            "sampled DCT-II RMS relative error {sampled_error:e}"
        );

        let energy_signal: f64 = signal.iter().map(|&v| f64::from(v).powi(2)).sum();
        let energy_spectrum: f64 = spectrum.iter().map(|&v| f64::from(v).powi(2)).sum();
        assert!((energy_spectrum - energy_signal).abs() / energy_signal <= 1e-5);

        dct3_axis(&mut spectrum, &[len], 0).unwrap();
        let round_trip_error = rms_relative_error(&spectrum, &to_f64(&signal));
        assert!(
            round_trip_error <= 1e-6,
            "round trip RMS relative error {round_trip_error:e}"
        );
        println!("N = 65537: sampled {sampled_error:e}, round trip {round_trip_error:e}");
    }

    /// Offsets of the first element of every line along `axis`, and the stride.
    fn line_starts(shape: &[usize], axis: usize) -> (Vec<usize>, usize) {
        let stride: usize = shape[axis + 1..].iter().product();
        let outer: usize = shape[..axis].iter().product();
        let block = stride * shape[axis];
        let starts = (0..outer)
            .flat_map(|o| (0..stride).map(move |i| o * block + i))
            .collect();
        (starts, stride)
    }

    /// Applies a 1-D f64 transform along `axis` by gathering each line by hand.
    fn apply_along_axis(
        data: &mut [f64],
        shape: &[usize],
        axis: usize,
        transform: fn(&[f64]) -> Vec<f64>,
    ) {
        let (starts, stride) = line_starts(shape, axis);
        for start in starts {
            let line: Vec<f64> = (0..shape[axis]).map(|j| data[start + j * stride]).collect();
            for (j, value) in transform(&line).into_iter().enumerate() {
                data[start + j * stride] = value;
            }
        }
    }

    fn axis_subsets(ndim: usize) -> Vec<Vec<usize>> {
        (0..1usize << ndim)
            .map(|mask| (0..ndim).filter(|axis| mask & (1 << axis) != 0).collect())
            .collect()
    }

    #[test]
    fn n_dimensional_transforms_match_per_axis_naive() {
        let mut rng = SplitMix64(4);
        let shapes: [&[usize]; 5] = [&[3, 5, 7], &[8, 1, 16], &[2, 3, 4, 5], &[16, 9], &[1, 1, 6]];
        for shape in shapes {
            let count: usize = shape.iter().product();
            let signal = rng.signal(count);
            for axes in axis_subsets(shape.len()) {
                // Also exercise a non-sorted order of axes.
                let reversed: Vec<usize> = axes.iter().rev().copied().collect();
                for order in [&axes, &reversed] {
                    let mut spectrum = signal.clone();
                    dct2_axes(&mut spectrum, shape, order).unwrap();
                    let mut expected = to_f64(&signal);
                    for &axis in order {
                        apply_along_axis(&mut expected, shape, axis, dct2_naive_f64);
                    }
                    let error = rms_relative_error(&spectrum, &expected);
                    assert!(
                        error <= 1e-6,
                        "shape {shape:?} axes {order:?}: DCT-II error {error:e}"
                    );

                    let mut inverse = signal.clone();
                    dct3_axes(&mut inverse, shape, order).unwrap();
                    let mut expected_inverse = to_f64(&signal);
                    for &axis in order {
                        apply_along_axis(&mut expected_inverse, shape, axis, dct3_naive_f64);
                    }
                    let error = rms_relative_error(&inverse, &expected_inverse);
                    assert!(
                        error <= 1e-6,
                        "shape {shape:?} axes {order:?}: DCT-III error {error:e}"
                    );

                    dct3_axes(&mut spectrum, shape, order).unwrap();
                    let error = rms_relative_error(&spectrum, &to_f64(&signal));
                    assert!(
                        error <= 1e-6,
                        "shape {shape:?} axes {order:?}: round trip error {error:e}"
                    );
                }
            }
        }
    }

    #[test]
    fn single_axis_calls_equal_multi_axis_call() {
        let mut rng = SplitMix64(5);
        let shape = [4, 6, 10];
        let signal = rng.signal(shape.iter().product());
        let mut one_call = signal.clone();
        dct2_axes(&mut one_call, &shape, &[2, 0]).unwrap();
        let mut per_axis = signal.clone();
        dct2_axis(&mut per_axis, &shape, 0).unwrap();
        dct2_axis(&mut per_axis, &shape, 2).unwrap();
        let error = rms_relative_error(&one_call, &to_f64(&per_axis));
        assert!(error <= 1e-6, "{error:e}");
    }

    /// Every threading strategy must give the same result as the serial one,
    /// whatever the machine's thread count would have chosen.
    #[test]
    fn all_strategies_agree_with_naive() {
        let mut rng = SplitMix64(6);
        let cases: [(&[usize], usize); 6] = [
            (&[300, 130], 1),
            (&[130, 300], 0),
            (&[3, 257, 50], 1),
            (&[40, 33, 50], 1),
            (&[2, 17, 1000], 1),
            (&[5, 64, 9, 11], 1),
        ];
        let mut planner = DctPlanner::new();
        for (shape, axis) in cases {
            let len = shape[axis];
            let inner: usize = shape[axis + 1..].iter().product();
            let signal = rng.signal(shape.iter().product());
            let mut expected = to_f64(&signal);
            apply_along_axis(&mut expected, shape, axis, dct2_naive_f64);
            let plan = planner.plan(len);
            let mut strategies = vec![Strategy::Serial];
            if inner == 1 {
                strategies.push(Strategy::ContiguousParallel);
            } else {
                strategies.extend([Strategy::BlockParallel, Strategy::SlabParallel]);
            }
            for strategy in strategies {
                // One thread gives slabs of a single group, ragged at the end.
                for threads in [1, 3, 16] {
                    let mut spectrum = signal.clone();
                    transform_axis_with(
                        &mut spectrum,
                        inner,
                        &plan,
                        Direction::Forward,
                        strategy,
                        threads,
                    );
                    let error = rms_relative_error(&spectrum, &expected);
                    assert!(
                        error <= 1e-6,
                        "shape {shape:?} axis {axis} {strategy:?}: error {error:e}"
                    );
                    transform_axis_with(
                        &mut spectrum,
                        inner,
                        &plan,
                        Direction::Inverse,
                        strategy,
                        threads,
                    );
                    let error = rms_relative_error(&spectrum, &to_f64(&signal));
                    assert!(
                        error <= 1e-6,
                        "shape {shape:?} axis {axis} {strategy:?}: round trip {error:e}"
                    );
                }
            }
        }
    }

    /// Slabs of one or two groups per thread, a ragged last slab and a ragged
    /// last group, checked against the serial path (itself checked against
    /// the naive DCT above).
    #[test]
    fn several_slabs_match_serial() {
        let mut rng = SplitMix64(9);
        let cases: [(&[usize], usize); 2] = [(&[600, 1000], 0), (&[3, 600, 500], 1)];
        let mut planner = DctPlanner::new();
        for (shape, axis) in cases {
            let inner: usize = shape[axis + 1..].iter().product();
            let plan = planner.plan(shape[axis]);
            let signal = rng.signal(shape.iter().product());
            for direction in [Direction::Forward, Direction::Inverse] {
                let mut serial = signal.clone();
                transform_axis_with(&mut serial, inner, &plan, direction, Strategy::Serial, 1);
                let serial = to_f64(&serial);
                for strategy in [Strategy::BlockParallel, Strategy::SlabParallel] {
                    for threads in [1, 2, 5] {
                        let mut parallel = signal.clone();
                        transform_axis_with(
                            &mut parallel,
                            inner,
                            &plan,
                            direction,
                            strategy,
                            threads,
                        );
                        let error = rms_relative_error(&parallel, &serial);
                        assert!(
                            error <= 1e-7,
                            "shape {shape:?} axis {axis} {direction:?} {strategy:?} {threads} threads: {error:e}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn large_tensor_round_trip_over_all_axes() {
        let mut rng = SplitMix64(7);
        let shape = [48, 40, 36];
        let signal = rng.signal(shape.iter().product());
        let mut data = signal.clone();
        dct2_axes(&mut data, &shape, &[0, 1, 2]).unwrap();
        dct3_axes(&mut data, &shape, &[1, 2, 0]).unwrap();
        let error = rms_relative_error(&data, &to_f64(&signal));
        assert!(error <= 1e-6, "{error:e}");
    }

    #[test]
    fn strategy_choice() {
        assert_eq!(choose_strategy(1000, 1, 1, 16, 8), Strategy::Serial);
        assert_eq!(choose_strategy(1 << 20, 1024, 1, 16, 1), Strategy::Serial);
        assert_eq!(
            choose_strategy(1 << 20, 1024, 1, 16, 8),
            Strategy::ContiguousParallel
        );
        assert_eq!(
            choose_strategy(1 << 20, 1024, 32, 16, 8),
            Strategy::BlockParallel
        );
        assert_eq!(
            choose_strategy(1 << 20, 1, 1024, 16, 8),
            Strategy::SlabParallel
        );
        assert_eq!(
            choose_strategy(1 << 20, 2, 4, 16, 8),
            Strategy::BlockParallel
        );
    }

    #[test]
    fn owned_planner_matches_shared_functions() {
        let mut rng = SplitMix64(8);
        let shape = [7, 12];
        let signal = rng.signal(84);
        let mut planner = DctPlanner::new();
        let mut owned = signal.clone();
        planner.dct2_axes(&mut owned, &shape, &[0, 1]).unwrap();
        let mut shared = signal.clone();
        dct2_axes(&mut shared, &shape, &[0, 1]).unwrap();
        assert_eq!(owned, shared);
        planner.dct3_axis(&mut owned, &shape, 0).unwrap();
        planner.dct3_axis(&mut owned, &shape, 1).unwrap();
        assert!(rms_relative_error(&owned, &to_f64(&signal)) <= 1e-6);
        assert!(format!("{planner:?}").contains("cached_lengths: [7, 12]"));
    }

    #[test]
    fn errors_are_reported_and_leave_data_untouched() {
        let original = vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut data = original.clone();
        assert_eq!(
            dct2_axis(&mut data, &[2, 4], 0),
            Err(DctError::ShapeMismatch {
                expected: 8,
                found: 6
            })
        );
        assert_eq!(
            dct3_axis(&mut data, &[2, 3], 2),
            Err(DctError::AxisOutOfRange { axis: 2, ndim: 2 })
        );
        assert_eq!(
            dct2_axes(&mut data, &[2, 3], &[1, 0, 1]),
            Err(DctError::DuplicateAxis { axis: 1 })
        );
        // The first axis is valid, the second is not: nothing may be written.
        assert_eq!(
            dct2_axes(&mut data, &[2, 3], &[0, 5]),
            Err(DctError::AxisOutOfRange { axis: 5, ndim: 2 })
        );
        assert_eq!(dct2_axis(&mut data, &[], 0), Err(DctError::EmptyShape));
        assert_eq!(
            dct3_axes(&mut data, &[2, 0, 3], &[0]),
            Err(DctError::ZeroDimension { axis: 1 })
        );
        assert_eq!(
            dct2_axis(&mut data, &[usize::MAX, 2], 0),
            Err(DctError::ShapeMismatch {
                expected: usize::MAX,
                found: 6
            })
        );
        assert_eq!(data, original);

        let mut empty: Vec<f32> = Vec::new();
        assert_eq!(
            dct2_axis(&mut empty, &[0], 0),
            Err(DctError::ZeroDimension { axis: 0 })
        );

        assert_eq!(
            DctError::AxisOutOfRange { axis: 3, ndim: 2 }.to_string(),
            "axis 3 is out of range for a tensor with 2 dimensions"
        );
        assert_eq!(
            DctError::ShapeMismatch {
                expected: 8,
                found: 6
            }
            .to_string(),
            "data holds 6 elements but the shape describes 8"
        );
    }

    #[test]
    fn empty_axes_is_a_no_op() {
        let original = vec![1.0f32, -2.0, 0.5];
        let mut data = original.clone();
        dct2_axes(&mut data, &[3], &[]).unwrap();
        assert_eq!(data, original);
    }
}
