//! The CPU twins' one driver for "transform every line along an axis" of a
//! row-major tensor viewed as `[outer, len, inner]`, shared by the complex
//! FFT (f32 and f64), the real FFTs and the DCT.
//!
//! Lines along the last axis (`inner == 1`) are contiguous and go to the
//! kernel as they are, a group of lines per rayon task. Strided lines are
//! gathered a group of columns at a time into a contiguous buffer (each line
//! padded by a cache line, so a power-of-two length does not put every line
//! in the same cache set), transformed there and scattered back. With many
//! blocks of `len x inner` elements the blocks are spread over threads; with
//! few, the groups of columns of a block are: each task gathers, transforms
//! and writes back its own columns, so a pass is one parallel region with no
//! copy of the block beyond each thread's group.
//!
//! The parallel passes go through [`super::workers`]: from outside rayon's
//! pool the calling thread starts at once and helper threads join as they
//! wake; inside a rayon pool, that pool's threads share the chunks.
//!
//! [`transform_axis`] works in place (same length and element type in and
//! out); [`map_axis`] reads lines of one length and type and writes lines of
//! another (real-to-complex and back).

use std::mem::MaybeUninit;

use super::buffer;
use super::workers::{for_each_chunk, for_each_chunk_mut, for_each_chunk_pair};

/// Tensors with fewer elements than this are transformed on the calling thread.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 15;
/// Rough number of elements a rayon task should own to be worth spawning.
const TASK_MIN_ELEMENTS: usize = 1 << 14;
/// Bounds (in lines) of a group of strided lines gathered together: wide
/// groups read whole cache lines from each row and keep TLB misses down.
const MIN_COLUMN_GROUP: usize = 4;
/// See [`MIN_COLUMN_GROUP`].
const MAX_COLUMN_GROUP: usize = 64;
/// Target size of one gathered group, and the share of a slab per thread.
const COLUMN_GROUP_BYTES: usize = 1 << 20;
/// Columns written back per pass over the rows when scattering.
const SCATTER_COLUMNS: usize = 64;
/// Padding after each gathered line (one cache line).
const PADDING_BYTES: usize = 64;

/// A transform of lines of one length, in place.
pub(crate) trait LineKernel: Sync {
    /// Element type of the lines.
    type Elem: Copy + Default + Send + Sync;
    /// Per-thread scratch.
    type Work: Send;
    /// Line length.
    fn len(&self) -> usize;
    /// Fresh scratch for one thread.
    fn new_work(&self) -> Self::Work;
    /// Transforms in place the lines of [`Self::len`] elements that start
    /// every `stride >= len` elements of `lines` (a whole number of strides);
    /// elements between lines may be overwritten.
    fn transform(&self, lines: &mut [Self::Elem], stride: usize, work: &mut Self::Work);
}

/// A transform from lines of one length and type to lines of another.
pub(crate) trait MapKernel: Sync {
    /// Element type read.
    type In: Copy + Default + Send + Sync;
    /// Element type written.
    type Out: Copy + Default + Send + Sync;
    /// Per-thread scratch.
    type Work: Send;
    /// `(input line length, output line length)`.
    fn lens(&self) -> (usize, usize);
    /// Fresh scratch for one thread.
    fn new_work(&self) -> Self::Work;
    /// Maps the contiguous lines of `src` to as many contiguous lines of `dst`.
    fn map(&self, src: &[Self::In], dst: &mut [Self::Out], work: &mut Self::Work);
    /// As [`Self::map`] into lines not yet written (here zeroed first, a
    /// chunk at a time while it is in cache; kernels that can write their
    /// output directly do without).
    fn map_uninit(
        &self,
        src: &[Self::In],
        dst: &mut [MaybeUninit<Self::Out>],
        work: &mut Self::Work,
    ) {
        self.map(src, fill_default(dst), work);
    }
}

/// `values` filled with the default value.
pub(crate) fn fill_default<T: Copy + Default>(values: &mut [MaybeUninit<T>]) -> &mut [T] {
    values.fill(MaybeUninit::new(T::default()));
    // SAFETY: every value was written just above.
    unsafe { &mut *(values as *mut [MaybeUninit<T>] as *mut [T]) }
}

/// How the lines along one axis are distributed over threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// Everything on the calling thread.
    Serial,
    /// The axis is the last one: groups of contiguous lines per task.
    ContiguousParallel,
    /// Strided axis, many blocks: whole `len x inner` blocks per task.
    BlockParallel,
    /// Strided axis, few blocks: the groups of columns of each block in
    /// parallel, each gathered, transformed and written back by one task.
    SlabParallel,
}

/// Picks how to spread the lines of an axis viewed as `[outer, len, inner]`
/// over `threads` threads.
pub(crate) fn choose_strategy(
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

/// Lines per gathered group and the distance between gathered lines, for
/// lines of `len` elements of `T`.
fn layout<T>(len: usize) -> (usize, usize) {
    let size = std::mem::size_of::<T>().max(1);
    let pad = (PADDING_BYTES / size).max(1);
    let group = (COLUMN_GROUP_BYTES / size / len.max(1)).clamp(MIN_COLUMN_GROUP, MAX_COLUMN_GROUP);
    (group, len.next_multiple_of(pad) + pad)
}

/// Copies columns `column_start..column_start + width` of the row-major
/// `block` (rows of `row_len`) into `lines`, one line per column starting
/// every `line_stride` elements (`width = lines.len() / line_stride`).
fn gather_columns<T: Copy>(
    block: &[T],
    row_len: usize,
    column_start: usize,
    lines: &mut [T],
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
/// `column_start..column_start + width` of `rows`, whole rows of `row_len`
/// starting at row `first_row` of the block, [`SCATTER_COLUMNS`] columns at
/// a time so the lines being read stay cached.
fn scatter_columns<T: Copy>(
    lines: &[T],
    line_stride: usize,
    first_row: usize,
    rows: &mut [T],
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

/// Transforms in place every line along the middle axis of `data` viewed as
/// `[outer, kernel.len(), inner]`, spread over the rayon pool when large.
pub(crate) fn transform_axis<K: LineKernel>(kernel: &K, data: &mut [K::Elem], inner: usize) {
    let len = kernel.len();
    if data.is_empty() || len == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let outer = data.len() / (len * inner);
    let (group, _) = layout::<K::Elem>(len);
    let strategy = choose_strategy(data.len(), outer, inner, group, threads);
    transform_axis_with(kernel, data, inner, strategy, threads);
}

/// As [`transform_axis`] with a given strategy, chosen for `_threads`
/// threads (the parallel strategies run on the current rayon pool).
pub(crate) fn transform_axis_with<K: LineKernel>(
    kernel: &K,
    data: &mut [K::Elem],
    inner: usize,
    strategy: Strategy,
    _threads: usize,
) {
    let len = kernel.len();
    let block_len = len * inner;
    let (group, stride) = layout::<K::Elem>(len);
    let strided_work = || (vec![K::Elem::default(); group * stride], kernel.new_work());
    match strategy {
        Strategy::Serial if inner == 1 => kernel.transform(data, len, &mut kernel.new_work()),
        Strategy::Serial => {
            let mut work = strided_work();
            for block in data.chunks_exact_mut(block_len) {
                transform_block(kernel, block, inner, &mut work);
            }
        }
        Strategy::ContiguousParallel => {
            let lines_per_task = TASK_MIN_ELEMENTS.div_ceil(len).next_multiple_of(2);
            for_each_chunk_mut(
                data,
                lines_per_task * len,
                || kernel.new_work(),
                |work, lines| kernel.transform(lines, len, work),
            );
        }
        Strategy::BlockParallel => {
            let blocks_per_task = (TASK_MIN_ELEMENTS / block_len).max(1);
            for_each_chunk_mut(
                data,
                blocks_per_task * block_len,
                strided_work,
                |work, blocks| {
                    for block in blocks.chunks_exact_mut(block_len) {
                        transform_block(kernel, block, inner, work);
                    }
                },
            );
        }
        Strategy::SlabParallel => {
            for block in data.chunks_exact_mut(block_len) {
                transform_block_by_slabs(kernel, block, inner);
            }
        }
    }
}

/// Serially transforms the `inner` columns of one `len x inner` block, a
/// group of columns at a time.
fn transform_block<K: LineKernel>(
    kernel: &K,
    block: &mut [K::Elem],
    inner: usize,
    (gathered, work): &mut (Vec<K::Elem>, K::Work),
) {
    let (group, stride) = layout::<K::Elem>(kernel.len());
    for column_start in (0..inner).step_by(group) {
        let width = group.min(inner - column_start);
        let lines = &mut gathered[..width * stride];
        gather_columns(block, inner, column_start, lines, stride);
        kernel.transform(lines, stride, work);
        scatter_columns(lines, stride, 0, block, inner, column_start);
    }
}

/// A block shared by the tasks of one parallel pass over its columns, each
/// of which reads and writes only its own columns.
#[derive(Clone, Copy)]
struct SharedColumns<T> {
    ptr: *mut T,
    rows: usize,
    row_len: usize,
}

// SAFETY: tasks only touch disjoint column ranges (see `read` and `write`),
// and the block outlives the parallel region.
unsafe impl<T: Send> Send for SharedColumns<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for SharedColumns<T> {}

impl<T: Copy> SharedColumns<T> {
    fn new(block: &mut [T], row_len: usize) -> Self {
        SharedColumns {
            ptr: block.as_mut_ptr(),
            rows: block.len() / row_len,
            row_len,
        }
    }

    /// As [`gather_columns`] on the shared block.
    ///
    /// # Safety
    /// No other task writes columns `column_start..column_start + width`
    /// (`width = lines.len() / line_stride`, inside the rows) meanwhile.
    unsafe fn read(&self, column_start: usize, lines: &mut [T], line_stride: usize) {
        let width = lines.len() / line_stride;
        assert!(column_start + width <= self.row_len && self.rows <= line_stride);
        for row_index in 0..self.rows {
            // SAFETY: inside the block (checked above); nobody writes these
            // columns meanwhile (the caller's promise).
            let source = unsafe {
                std::slice::from_raw_parts(
                    self.ptr.add(row_index * self.row_len + column_start),
                    width,
                )
            };
            for (line, &value) in lines.chunks_exact_mut(line_stride).zip(source) {
                line[row_index] = value;
            }
        }
    }

    /// As [`scatter_columns`] (from row 0) on the shared block.
    ///
    /// # Safety
    /// No other task reads or writes columns `column_start..column_start +
    /// width` meanwhile.
    unsafe fn write(&self, lines: &[T], line_stride: usize, column_start: usize) {
        let width = lines.len() / line_stride;
        assert!(column_start + width <= self.row_len && self.rows <= line_stride);
        for chunk_start in (0..width).step_by(SCATTER_COLUMNS) {
            let chunk_width = SCATTER_COLUMNS.min(width - chunk_start);
            let chunk_lines =
                &lines[chunk_start * line_stride..(chunk_start + chunk_width) * line_stride];
            for row_index in 0..self.rows {
                // SAFETY: inside the block (checked above) and owned by this
                // task (the caller's promise).
                let destination = unsafe {
                    std::slice::from_raw_parts_mut(
                        self.ptr
                            .add(row_index * self.row_len + column_start + chunk_start),
                        chunk_width,
                    )
                };
                for (value, line) in destination
                    .iter_mut()
                    .zip(chunk_lines.chunks_exact(line_stride))
                {
                    *value = line[row_index];
                }
            }
        }
    }
}

/// Transforms the columns of one `len x inner` block in parallel, one
/// group of columns per task: gathered, transformed and written back by it.
fn transform_block_by_slabs<K: LineKernel>(kernel: &K, block: &mut [K::Elem], inner: usize) {
    let (group, stride) = layout::<K::Elem>(kernel.len());
    let shared = SharedColumns::new(block, inner);
    for_each_chunk(
        inner.div_ceil(group),
        || (vec![K::Elem::default(); group * stride], kernel.new_work()),
        |(gathered, work), group_index| {
            let column_start = group_index * group;
            let width = group.min(inner - column_start);
            let lines = &mut gathered[..width * stride];
            // SAFETY: each task owns the columns of its group.
            unsafe { shared.read(column_start, lines, stride) };
            kernel.transform(lines, stride, work);
            // SAFETY: as above.
            unsafe { shared.write(lines, stride, column_start) };
        },
    );
}

/// Maps every line along the middle axis of `src` viewed as
/// `[outer, n, inner]` to the line at the same place of `dst` viewed as
/// `[outer, m, inner]`, where `(n, m) = kernel.lens()`.
pub(crate) fn map_axis<K: MapKernel>(kernel: &K, src: &[K::In], dst: &mut [K::Out], inner: usize) {
    let (n, m) = kernel.lens();
    if src.is_empty() || n == 0 || m == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let outer = src.len() / (n * inner);
    let (group, _) = layout::<K::Out>(n.max(m));
    let strategy = choose_strategy(src.len().max(dst.len()), outer, inner, group, threads);
    map_axis_with(kernel, src, dst, inner, strategy, threads);
}

/// As [`map_axis`] into a new vector of `out_len` values (`outer * m *
/// inner`). Lines along the last axis are written straight into fresh
/// memory by [`MapKernel::map_uninit`], in parallel, so the output is
/// touched first by the pass that fills it.
pub(crate) fn map_axis_new<K: MapKernel>(
    kernel: &K,
    src: &[K::In],
    out_len: usize,
    inner: usize,
) -> Vec<K::Out>
where
    K::Out: bytemuck::Zeroable,
{
    let (n, m) = kernel.lens();
    if inner != 1 || src.is_empty() || n == 0 || m == 0 || src.len() / n * m != out_len {
        let mut out = buffer::output_buffer(out_len);
        map_axis(kernel, src, &mut out, inner);
        return out;
    }
    let mut out = buffer::uninit_buffer(out_len);
    let threads = rayon::current_num_threads();
    match choose_strategy(src.len().max(out_len), src.len() / n, 1, 1, threads) {
        Strategy::ContiguousParallel => {
            let lines_per_task = TASK_MIN_ELEMENTS.div_ceil(n.max(m));
            for_each_chunk_pair(
                (src, lines_per_task * n),
                (&mut out, lines_per_task * m),
                || kernel.new_work(),
                |work, s, d| kernel.map_uninit(s, d, work),
            );
        }
        _ => kernel.map_uninit(src, &mut out, &mut kernel.new_work()),
    }
    // SAFETY: the pass wrote every line: `out_len / m == src.len() / n`
    // lines (checked above), each chunk of `src` mapped to its chunk of `out`.
    unsafe { buffer::assume_init(out) }
}

/// As [`map_axis`] with a given strategy, chosen for `_threads` threads.
pub(crate) fn map_axis_with<K: MapKernel>(
    kernel: &K,
    src: &[K::In],
    dst: &mut [K::Out],
    inner: usize,
    strategy: Strategy,
    _threads: usize,
) {
    let (n, m) = kernel.lens();
    let (group, _) = layout::<K::Out>(n.max(m));
    let (in_block, out_block) = (n * inner, m * inner);
    let block_work = || {
        (
            vec![K::In::default(); group * n],
            vec![K::Out::default(); group * m],
            kernel.new_work(),
        )
    };
    match strategy {
        Strategy::Serial if inner == 1 => kernel.map(src, dst, &mut kernel.new_work()),
        Strategy::Serial => {
            let mut work = block_work();
            for (s, d) in src
                .chunks_exact(in_block)
                .zip(dst.chunks_exact_mut(out_block))
            {
                map_block(kernel, s, d, inner, group, &mut work);
            }
        }
        Strategy::ContiguousParallel => {
            let lines_per_task = TASK_MIN_ELEMENTS.div_ceil(n.max(m));
            for_each_chunk_pair(
                (src, lines_per_task * n),
                (dst, lines_per_task * m),
                || kernel.new_work(),
                |work, s, d| kernel.map(s, d, work),
            );
        }
        Strategy::BlockParallel => {
            let blocks = (TASK_MIN_ELEMENTS / in_block.max(out_block)).max(1);
            for_each_chunk_pair(
                (src, blocks * in_block),
                (dst, blocks * out_block),
                block_work,
                |work, s, d| {
                    for (s, d) in s.chunks_exact(in_block).zip(d.chunks_exact_mut(out_block)) {
                        map_block(kernel, s, d, inner, group, work);
                    }
                },
            );
        }
        Strategy::SlabParallel => {
            for (s, d) in src
                .chunks_exact(in_block)
                .zip(dst.chunks_exact_mut(out_block))
            {
                map_block_by_slabs(kernel, s, d, inner, group);
            }
        }
    }
}

/// Serially maps the columns of one block, a group of columns at a time.
fn map_block<K: MapKernel>(
    kernel: &K,
    src: &[K::In],
    dst: &mut [K::Out],
    inner: usize,
    group: usize,
    (ins, outs, work): &mut (Vec<K::In>, Vec<K::Out>, K::Work),
) {
    let (n, m) = kernel.lens();
    for column_start in (0..inner).step_by(group) {
        let width = group.min(inner - column_start);
        gather_columns(src, inner, column_start, &mut ins[..width * n], n);
        kernel.map(&ins[..width * n], &mut outs[..width * m], work);
        scatter_columns(&outs[..width * m], m, 0, dst, inner, column_start);
    }
}

/// Maps the columns of one block in parallel, one group of columns per
/// task: gathered from `src`, mapped and written into its columns of `dst`.
fn map_block_by_slabs<K: MapKernel>(
    kernel: &K,
    src: &[K::In],
    dst: &mut [K::Out],
    inner: usize,
    group: usize,
) {
    let (n, m) = kernel.lens();
    let shared = SharedColumns::new(dst, inner);
    for_each_chunk(
        inner.div_ceil(group),
        || {
            (
                vec![K::In::default(); group * n],
                vec![K::Out::default(); group * m],
                kernel.new_work(),
            )
        },
        |(ins, outs, work), group_index| {
            let column_start = group_index * group;
            let width = group.min(inner - column_start);
            let (ins, outs) = (&mut ins[..width * n], &mut outs[..width * m]);
            gather_columns(src, inner, column_start, ins, n);
            kernel.map(ins, outs, work);
            // SAFETY: each task owns the columns of its group.
            unsafe { shared.write(outs, m, column_start) };
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reverses each line and adds its index along the axis times 1000, so
    /// a line handed over wrongly (transposed, shifted, skipped) shows.
    struct Reverse(usize);

    impl LineKernel for Reverse {
        type Elem = f64;
        type Work = ();
        fn len(&self) -> usize {
            self.0
        }
        fn new_work(&self) {}
        fn transform(&self, lines: &mut [f64], stride: usize, _: &mut ()) {
            for line in lines.chunks_mut(stride) {
                line[..self.0].reverse();
            }
        }
    }

    /// Maps a line of n reals to its n+1 prefix sums (a different length).
    struct PrefixSums(usize);

    impl MapKernel for PrefixSums {
        type In = f32;
        type Out = f64;
        type Work = ();
        fn lens(&self) -> (usize, usize) {
            (self.0, self.0 + 1)
        }
        fn new_work(&self) {}
        fn map(&self, src: &[f32], dst: &mut [f64], _: &mut ()) {
            for (s, d) in src.chunks(self.0).zip(dst.chunks_mut(self.0 + 1)) {
                d[0] = 0.0;
                for i in 0..self.0 {
                    d[i + 1] = d[i] + f64::from(s[i]);
                }
            }
        }
    }

    fn reversed(data: &[f64], (outer, n, inner): (usize, usize, usize)) -> Vec<f64> {
        let mut out = data.to_vec();
        for o in 0..outer {
            for i in 0..n {
                for j in 0..inner {
                    out[(o * n + i) * inner + j] = data[(o * n + n - 1 - i) * inner + j];
                }
            }
        }
        out
    }

    /// The strategies that apply to lines with `inner` between elements.
    fn strategies_for(inner: usize) -> &'static [Strategy] {
        if inner == 1 {
            &[Strategy::Serial, Strategy::ContiguousParallel]
        } else {
            &[
                Strategy::Serial,
                Strategy::BlockParallel,
                Strategy::SlabParallel,
            ]
        }
    }

    const SHAPES: [(usize, usize, usize); 6] = [
        (1, 7, 1),
        (300, 130, 1),
        (130, 300, 3),
        (2, 257, 200),
        (1, 33, 5000),
        (40, 1, 9),
    ];

    #[test]
    fn every_strategy_hands_over_the_right_lines() {
        for dims in SHAPES {
            let (outer, n, inner) = dims;
            let data: Vec<f64> = (0..outer * n * inner).map(|i| i as f64).collect();
            let expected = reversed(&data, dims);
            let strategies = strategies_for(inner);
            for &strategy in strategies {
                for threads in [1, 3, 16] {
                    let mut got = data.clone();
                    transform_axis_with(&Reverse(n), &mut got, inner, strategy, threads);
                    assert_eq!(got, expected, "{dims:?} {strategy:?} {threads}");
                }
            }
            let mut got = data.clone();
            transform_axis(&Reverse(n), &mut got, inner);
            assert_eq!(got, expected, "{dims:?} auto");
        }
    }

    #[test]
    fn mapped_lines_land_where_they_belong() {
        for (outer, n, inner) in SHAPES {
            let src: Vec<f32> = (0..outer * n * inner).map(|i| (i % 97) as f32).collect();
            let strategies = strategies_for(inner);
            for &strategy in strategies {
                for threads in [1, 3] {
                    let mut got = vec![-1.0f64; outer * (n + 1) * inner];
                    map_axis_with(&PrefixSums(n), &src, &mut got, inner, strategy, threads);
                    check_prefix_sums(&src, &got, (outer, n, inner));
                }
            }
            let mut got = vec![-1.0f64; outer * (n + 1) * inner];
            map_axis(&PrefixSums(n), &src, &mut got, inner);
            check_prefix_sums(&src, &got, (outer, n, inner));
        }
    }

    fn check_prefix_sums(src: &[f32], got: &[f64], (outer, n, inner): (usize, usize, usize)) {
        for o in 0..outer {
            for j in 0..inner {
                let mut sum = 0.0;
                for i in 0..=n {
                    assert_eq!(
                        got[(o * (n + 1) + i) * inner + j],
                        sum,
                        "{outer} {n} {inner}"
                    );
                    if i < n {
                        sum += f64::from(src[(o * n + i) * inner + j]);
                    }
                }
            }
        }
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
}
