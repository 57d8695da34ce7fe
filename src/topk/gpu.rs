//! The GPU path: radix select and compaction dispatches over windows of the
//! input that each fit one storage binding.

use crate::backend::{BufferSlice, Completed, Context, GpuBuffer, Groups, Readback, Recording};
use crate::error::{Error, Result};
use crate::shaders::{
    self, kernel_params, ST_ABOVE, ST_BAD, ST_DONE, ST_NEED_TIES, ST_THRESHOLD, ST_TOTAL, ST_WORDS,
    TOPK_BLOCK, TOPK_TILE,
};

use super::{TopKOptions, TopKThreshold};

/// Elements per compaction block.
pub(crate) const BLOCK: usize = TOPK_BLOCK as usize;
/// Elements per histogram workgroup.
const TILE: usize = TOPK_TILE as usize;
/// Radix passes of 8 bits over the 32-bit keys.
const PASSES: u32 = 4;
const BINS: u64 = 256;
const STATE_BYTES: u64 = ST_WORDS as u64 * 4;

kernel_params! {
/// Uniforms of `topk_histogram.wgsl`.
struct HistogramParams {
    window_base: u32,
    window_len: u32,
    shift: u32,
    mask: u32,
    hist_offset: u32,
    groups_x: u32,
    check: u32,
    _pad: u32,
}
}

kernel_params! {
/// Uniforms of `topk_digit.wgsl`.
struct DigitParams {
    shift: u32,
    hist_offset: u32,
    _pad: [u32; 2],
}
}

kernel_params! {
/// Uniforms of `topk_block_count.wgsl`.
struct BlockParams {
    window_base: u32,
    window_len: u32,
    block_base: u32,
    groups_x: u32,
}
}

kernel_params! {
/// Uniforms of `topk_scan.wgsl`.
struct ScanParams {
    num_blocks: u32,
    _pad: [u32; 3],
}
}

kernel_params! {
/// Uniforms of `topk_scatter.wgsl`.
struct ScatterParams {
    window_base: u32,
    window_len: u32,
    block_base: u32,
    groups_x: u32,
    pos_origin: u32,
    val_origin: u32,
    _pad: [u32; 2],
}
}

/// One window of the input: elements `start..start + len`.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: usize,
    len: usize,
}

/// What [`select`] leaves on the GPU.
pub(crate) struct Selected {
    pub(crate) positions: GpuBuffer,
    pub(crate) values: GpuBuffer,
    pub(crate) threshold: TopKThreshold,
}

/// Splits `n` elements of `elem` bytes into windows of whole blocks, each
/// small enough that it, and the output slots it can fill (plus the slack an
/// aligned output offset adds), fit one storage binding.
fn windows(ctx: &Context, n: usize, elem: u64, options: &TopKOptions) -> Result<Vec<Window>> {
    let gpu = ctx.gpu().ok_or(Error::NoGpu { op: "top-k" })?;
    let align = u64::from(gpu.limits().min_storage_buffer_offset_alignment).max(4);
    if !(BLOCK as u64 * elem).is_multiple_of(align) {
        return Err(Error::DeviceLimit {
            what: "min_storage_buffer_offset_alignment (top-k windows need it to divide 4096)",
            requested: BLOCK as u64 * elem,
            max: align,
        });
    }
    let max_binding = gpu.max_binding_bytes();
    let fit = max_binding.saturating_sub(align) / elem / BLOCK as u64 * BLOCK as u64;
    if fit == 0 {
        return Err(Error::DeviceLimit {
            what: "storage binding size",
            requested: BLOCK as u64 * elem + align,
            max: max_binding,
        });
    }
    let mut window = usize::try_from(fit).unwrap_or(usize::MAX);
    if let Some(w) = options.window_elems {
        window = window.min((w / BLOCK).max(1) * BLOCK);
    }
    Ok((0..n.div_ceil(window))
        .map(|i| Window {
            start: i * window,
            len: window.min(n - i * window),
        })
        .collect())
}

fn range(slice: &BufferSlice, elem_offset: usize, elems: usize, elem: u64) -> Result<BufferSlice> {
    slice.sub(elem_offset as u64 * elem, elems as u64 * elem)
}

/// A selection recorded into a [`Recording`]: the outputs (valid once the
/// submission completes) and the state readback that validates them.
pub(crate) struct PendingSelect {
    pub(crate) positions: GpuBuffer,
    pub(crate) values: GpuBuffer,
    state: Readback,
    k: usize,
}

impl PendingSelect {
    /// Checks the selection state of the completed submission.
    ///
    /// # Errors
    /// The first non-finite input as an error; [`Error::Gpu`] for an
    /// inconsistent state (a kernel bug or device fault).
    pub(crate) fn finish(self, done: &Completed) -> Result<Selected> {
        let mut st = [0u32; ST_WORDS as usize];
        done.copy_to(self.state, &mut st)?;
        let threshold = check_state(&st, self.k)?;
        Ok(Selected {
            positions: self.positions,
            values: self.values,
            threshold,
        })
    }
}

fn check_state(st: &[u32], k: usize) -> Result<TopKThreshold> {
    let at = |i: u32| st[i as usize];
    if at(ST_BAD) != u32::MAX {
        return Err(super::cpu::non_finite(at(ST_BAD) as usize));
    }
    if at(ST_DONE) != 1 || at(ST_TOTAL) as usize != k {
        return Err(Error::gpu(
            "top-k selection",
            format!(
                "inconsistent selection state (done {}, kept {} of k = {k})",
                at(ST_DONE),
                at(ST_TOTAL)
            ),
        ));
    }
    Ok(TopKThreshold {
        key: at(ST_THRESHOLD),
        above: at(ST_ABOVE),
        need_ties: at(ST_NEED_TIES),
    })
}

/// The buffers of one selection: state, histogram, block counts.
struct Scratch {
    state: BufferSlice,
    hist: BufferSlice,
    blocks: BufferSlice,
}

impl Scratch {
    fn bytes(n: usize) -> [(&'static str, u64); 3] {
        [
            ("topk state", STATE_BYTES),
            ("topk histogram", u64::from(PASSES) * BINS * 4),
            ("topk blocks", n.div_ceil(BLOCK).max(1) as u64 * 8),
        ]
    }

    /// Scratch owned by the recording.
    fn in_recording(rec: &mut Recording, n: usize) -> Result<Self> {
        let [a, b, c] = Self::bytes(n);
        Ok(Scratch {
            state: rec.temporary(a.0, a.1)?,
            hist: rec.temporary(b.0, b.1)?,
            blocks: rec.temporary(c.0, c.1)?,
        })
    }

    /// Scratch that outlives one recording (for the two-submission path);
    /// the returned buffers must be kept until the last use completes.
    fn owned(ctx: &Context, n: usize) -> Result<(Self, Vec<GpuBuffer>)> {
        let gpu = ctx.gpu().ok_or(Error::NoGpu { op: "top-k" })?;
        let buffers = Self::bytes(n)
            .iter()
            .map(|(tag, bytes)| gpu.storage(tag, *bytes))
            .collect::<Result<Vec<_>>>()?;
        let scratch = Scratch {
            state: buffers[0].slice(),
            hist: buffers[1].slice(),
            blocks: buffers[2].slice(),
        };
        Ok((scratch, buffers))
    }
}

/// Records the radix select and the block scan over every window.
#[allow(clippy::too_many_arguments)]
fn record_threshold(
    rec: &mut Recording,
    scratch: &Scratch,
    input: &BufferSlice,
    windows: &[Window],
    n: usize,
    words: u32,
    k: usize,
    groups: &dyn Fn(u64) -> Groups,
) -> Result<()> {
    let elem = u64::from(words) * 4;
    let constants = [("WORDS", words)];
    let mut initial = [0u32; ST_WORDS as usize];
    initial[1] = k as u32;
    initial[ST_BAD as usize] = u32::MAX;
    let Scratch {
        state,
        hist,
        blocks,
    } = scratch;
    let num_blocks = n.div_ceil(BLOCK);
    rec.write(state, &initial)?;
    rec.clear(hist)?;
    for pass in 0..PASSES {
        let shift = 24 - 8 * pass;
        let mask = if pass == 0 {
            0
        } else {
            u32::MAX << (shift + 8)
        };
        for w in windows {
            rec.launch(
                &shaders::TOPK_HISTOGRAM,
                &constants,
                &[&range(input, w.start, w.len, elem)?, hist, state],
                groups(w.len.div_ceil(TILE) as u64),
                |grid| HistogramParams {
                    window_base: w.start as u32,
                    window_len: w.len as u32,
                    shift,
                    mask,
                    hist_offset: pass * BINS as u32,
                    groups_x: grid.0,
                    check: u32::from(pass == 0),
                    _pad: 0,
                },
            )?;
        }
        rec.launch(
            &shaders::TOPK_DIGIT,
            &[],
            &[hist, state],
            Groups::Count(1),
            |_| DigitParams {
                shift,
                hist_offset: pass * BINS as u32,
                _pad: [0; 2],
            },
        )?;
    }
    for w in windows {
        rec.launch(
            &shaders::TOPK_BLOCK_COUNT,
            &constants,
            &[&range(input, w.start, w.len, elem)?, blocks, state],
            groups(w.len.div_ceil(BLOCK) as u64),
            |grid| BlockParams {
                window_base: w.start as u32,
                window_len: w.len as u32,
                block_base: (w.start / BLOCK) as u32,
                groups_x: grid.0,
            },
        )?;
    }
    rec.launch(
        &shaders::TOPK_SCAN,
        &[],
        &[blocks, state],
        Groups::Count(1),
        |_| ScanParams {
            num_blocks: num_blocks as u32,
            _pad: [0; 3],
        },
    )
}

/// Records the scatter of window `w`, whose kept entries fill output slots
/// `first..end`, into `positions` and `values`.
#[allow(clippy::too_many_arguments)]
fn record_scatter(
    rec: &mut Recording,
    input: &BufferSlice,
    scratch: &Scratch,
    (positions, values): (&BufferSlice, &BufferSlice),
    w: &Window,
    (first, end): (usize, usize),
    words: u32,
    groups: &dyn Fn(u64) -> Groups,
) -> Result<()> {
    let elem = u64::from(words) * 4;
    let align = u64::from(rec.gpu().limits().min_storage_buffer_offset_alignment).max(4);
    // Origins rounded down so the binding offsets are aligned.
    let origin = |size: u64| -> usize {
        let unit = align.max(size);
        ((first as u64 * size) / unit * unit / size) as usize
    };
    let (pos_origin, val_origin) = (origin(4), origin(elem));
    rec.launch(
        &shaders::TOPK_SCATTER,
        &[("WORDS", words)],
        &[
            &range(input, w.start, w.len, elem)?,
            &scratch.blocks,
            &scratch.state,
            &range(positions, pos_origin, end - pos_origin, 4)?,
            &range(values, val_origin, end - val_origin, elem)?,
        ],
        groups(w.len.div_ceil(BLOCK) as u64),
        |grid| ScatterParams {
            window_base: w.start as u32,
            window_len: w.len as u32,
            block_base: (w.start / BLOCK) as u32,
            groups_x: grid.0,
            pos_origin: pos_origin as u32,
            val_origin: val_origin as u32,
            _pad: [0; 2],
        },
    )
}

fn grouping(options: &TopKOptions) -> impl Fn(u64) -> Groups {
    let max = options.max_groups_per_dim;
    move |groups| match max {
        Some(max_per_dim) => Groups::Folded {
            groups,
            max_per_dim,
        },
        None => Groups::Count(groups),
    }
}

/// Whether `n` elements of `words` words run as one window (one
/// submission, see [`record_select`]).
///
/// # Errors
/// Device limits the windows cannot meet.
pub(crate) fn fits_one_window(
    ctx: &Context,
    n: usize,
    words: u32,
    options: &TopKOptions,
) -> Result<bool> {
    Ok(windows(ctx, n, u64::from(words) * 4, options)?.len() <= 1)
}

/// Records the selection of the `k` largest-magnitude entries of the `n`
/// elements (`words` 32-bit words each) in `input` when they fit one window
/// (one storage binding): select, scan and scatter in one recording, with
/// no host step between them. `None` when the input needs several windows
/// (see [`select`]).
///
/// # Errors
/// Device limits, budget, pipeline errors.
pub(crate) fn record_select(
    rec: &mut Recording,
    input: &BufferSlice,
    n: usize,
    words: u32,
    k: usize,
    options: &TopKOptions,
) -> Result<Option<PendingSelect>> {
    let ctx = rec.context().clone();
    let elem = u64::from(words) * 4;
    let windows = windows(&ctx, n, elem, options)?;
    if windows.len() > 1 {
        return Ok(None);
    }
    let gpu = rec.gpu();
    let positions = gpu.storage("topk positions", k as u64 * 4)?;
    let values = gpu.storage("topk values", k as u64 * elem)?;
    let groups = grouping(options);
    let scratch = Scratch::in_recording(rec, n)?;
    record_threshold(rec, &scratch, input, &windows, n, words, k, &groups)?;
    if k > 0 {
        record_scatter(
            rec,
            input,
            &scratch,
            (&positions.slice(), &values.slice()),
            &windows[0],
            (0, k),
            words,
            &groups,
        )?;
    }
    let state = rec.read_back(&scratch.state)?;
    Ok(Some(PendingSelect {
        positions,
        values,
        state,
        k,
    }))
}

/// Selects the `k` largest-magnitude entries of the `n` elements of `words`
/// 32-bit words each in `input`, leaving positions and values on the GPU.
///
/// One submission when the input fits one window. Larger inputs take two:
/// the radix select and block scan over all windows, then (after reading
/// back the state and one slot number per window) the scatter. The host
/// step is needed because each window's outputs must be bound at an
/// offset known when the bind group is made, and the whole output of
/// several windows can exceed one storage binding.
///
/// # Errors
/// Non-finite input, device limits, budget, pipeline and GPU errors.
pub(crate) fn select(
    ctx: &Context,
    input: &BufferSlice,
    n: usize,
    words: u32,
    k: usize,
    options: &TopKOptions,
) -> Result<Selected> {
    let mut rec = ctx.recording("topk select")?;
    if let Some(pending) = record_select(&mut rec, input, n, words, k, options)? {
        let done = rec.submit()?.wait()?;
        return pending.finish(&done);
    }
    let elem = u64::from(words) * 4;
    let windows = windows(ctx, n, elem, options)?;
    let groups = grouping(options);
    let (scratch, _scratch_buffers) = Scratch::owned(ctx, n)?;
    record_threshold(&mut rec, &scratch, input, &windows, n, words, k, &groups)?;
    let state = rec.read_back(&scratch.state)?;
    let slots: Vec<Readback> = windows
        .iter()
        .map(|w| rec.read_back(&scratch.blocks.sub((w.start / BLOCK) as u64 * 8, 4)?))
        .collect::<Result<_>>()?;
    let done = rec.submit()?.wait()?;
    let mut st = [0u32; ST_WORDS as usize];
    done.copy_to(state, &mut st)?;
    let threshold = check_state(&st, k)?;
    let slots: Vec<usize> = slots
        .into_iter()
        .map(|r| {
            let mut v = [0u32];
            done.copy_to(r, &mut v).map(|_| v[0] as usize)
        })
        .collect::<Result<_>>()?;
    drop(done);

    let gpu = ctx.gpu().ok_or(Error::NoGpu { op: "top-k" })?;
    let positions = gpu.storage("topk positions", k as u64 * 4)?;
    let values = gpu.storage("topk values", k as u64 * elem)?;
    let mut rec = ctx.recording("topk scatter")?;
    for (i, w) in windows.iter().enumerate() {
        let end = slots.get(i + 1).copied().unwrap_or(k);
        if end <= slots[i] {
            continue;
        }
        record_scatter(
            &mut rec,
            input,
            &scratch,
            (&positions.slice(), &values.slice()),
            w,
            (slots[i], end),
            words,
            &groups,
        )?;
    }
    rec.submit()?.wait()?;
    Ok(Selected {
        positions,
        values,
        threshold,
    })
}

#[cfg(test)]
mod params_layout {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<HistogramParams>(&shaders::TOPK_HISTOGRAM);
        assert_params::<DigitParams>(&shaders::TOPK_DIGIT);
        assert_params::<BlockParams>(&shaders::TOPK_BLOCK_COUNT);
        assert_params::<ScanParams>(&shaders::TOPK_SCAN);
        assert_params::<ScatterParams>(&shaders::TOPK_SCATTER);
    }
}
