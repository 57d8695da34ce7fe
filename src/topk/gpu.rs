//! The GPU path: radix select and compaction dispatches over windows of the
//! input that each fit one storage binding.

use crate::backend::{grid_within, GpuBuffer, GpuDevice};
use crate::error::{Error, Result};
use crate::shaders;

use super::{TopKOptions, TopKThreshold};

/// Elements per compaction block (`BLOCK` in the WGSL).
pub(crate) const BLOCK: usize = 1024;
/// Elements per histogram workgroup (`TILE` in the WGSL).
const TILE: usize = 4096;
/// Radix passes of 8 bits over the 32-bit keys.
const PASSES: u32 = 4;
const BINS: u64 = 256;

// Words of the selection state buffer (ST_* in common/topk_key.wgsl).
const ST_ABOVE: usize = 2;
const ST_DONE: usize = 3;
const ST_THRESHOLD: usize = 4;
const ST_NEED_TIES: usize = 5;
const ST_BAD: usize = 6;
const ST_TOTAL: usize = 7;
const STATE_BYTES: u64 = 32;

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
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

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct DigitParams {
    shift: u32,
    hist_offset: u32,
    _pad: [u32; 2],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct BlockParams {
    window_base: u32,
    window_len: u32,
    block_base: u32,
    groups_x: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ScanParams {
    num_blocks: u32,
    _pad: [u32; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ScatterParams {
    window_base: u32,
    window_len: u32,
    block_base: u32,
    groups_x: u32,
    pos_origin: u32,
    val_origin: u32,
    _pad: [u32; 2],
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
fn windows(gpu: &GpuDevice, n: usize, elem: u64, options: &TopKOptions) -> Result<Vec<Window>> {
    let align = u64::from(gpu.limits().min_storage_buffer_offset_alignment).max(4);
    if (BLOCK as u64 * elem) % align != 0 {
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

fn range(
    buffer: &GpuBuffer,
    elem_offset: usize,
    elems: usize,
    elem: u64,
) -> wgpu::BindingResource<'_> {
    buffer.binding_range(elem_offset as u64 * elem, elems as u64 * elem)
}

/// Selects the `k` largest-magnitude entries of the `n` elements of `words`
/// 32-bit words each in `input`, leaving positions and values on the GPU.
///
/// Two submissions: the radix select and block scan, then (after reading
/// back 32 bytes of state and one slot number per window) the scatter,
/// whose output bindings start where each window's kept entries land.
pub(crate) fn select(
    gpu: &GpuDevice,
    input: &GpuBuffer,
    n: usize,
    words: u32,
    k: usize,
    options: &TopKOptions,
) -> Result<Selected> {
    let elem = u64::from(words) * 4;
    let constants = [("WORDS", words)];
    let histogram = gpu.pipeline(&shaders::TOPK_HISTOGRAM, &constants)?;
    let digit = gpu.pipeline(&shaders::TOPK_DIGIT, &[])?;
    let block_count = gpu.pipeline(&shaders::TOPK_BLOCK_COUNT, &constants)?;
    let scan = gpu.pipeline(&shaders::TOPK_SCAN, &[])?;
    let scatter = gpu.pipeline(&shaders::TOPK_SCATTER, &constants)?;

    let windows = windows(gpu, n, elem, options)?;
    let max_dim = options
        .max_groups_per_dim
        .unwrap_or(u32::MAX)
        .min(gpu.limits().max_compute_workgroups_per_dimension);
    let num_blocks = n.div_ceil(BLOCK);

    let initial: [u32; 8] = [0, k as u32, 0, 0, 0, 0, u32::MAX, 0];
    let state = gpu.storage_from("topk state", &initial)?;
    let hist = gpu.storage("topk histogram", u64::from(PASSES) * BINS * 4)?;
    let blocks = gpu.storage("topk blocks", num_blocks as u64 * 8)?;
    let readback = gpu.storage("topk readback", STATE_BYTES + windows.len() as u64 * 4)?;

    // Submission 1: select the threshold, count and scan the blocks.
    let mut groups = Vec::new();
    for pass in 0..PASSES {
        let shift = 24 - 8 * pass;
        let mask = if pass == 0 {
            0
        } else {
            u32::MAX << (shift + 8)
        };
        for w in &windows {
            let (gx, gy) = grid_within(w.len.div_ceil(TILE) as u64, max_dim)?;
            let params = HistogramParams {
                window_base: w.start as u32,
                window_len: w.len as u32,
                shift,
                mask,
                hist_offset: pass * BINS as u32,
                groups_x: gx,
                check: u32::from(pass == 0),
                _pad: 0,
            };
            let uniform = gpu.uniform("topk_histogram params", &params);
            let group = gpu.bind_group(
                &histogram,
                &[
                    range(input, w.start, w.len, elem),
                    hist.binding(),
                    state.binding(),
                    uniform.as_entire_binding(),
                ],
            )?;
            groups.push((&histogram, group, gx, gy));
        }
        let params = DigitParams {
            shift,
            hist_offset: pass * BINS as u32,
            _pad: [0; 2],
        };
        let uniform = gpu.uniform("topk_digit params", &params);
        let group = gpu.bind_group(
            &digit,
            &[hist.binding(), state.binding(), uniform.as_entire_binding()],
        )?;
        groups.push((&digit, group, 1, 1));
    }
    for w in &windows {
        let (gx, gy) = grid_within(w.len.div_ceil(BLOCK) as u64, max_dim)?;
        let params = BlockParams {
            window_base: w.start as u32,
            window_len: w.len as u32,
            block_base: (w.start / BLOCK) as u32,
            groups_x: gx,
        };
        let uniform = gpu.uniform("topk_block_count params", &params);
        let group = gpu.bind_group(
            &block_count,
            &[
                range(input, w.start, w.len, elem),
                blocks.binding(),
                state.binding(),
                uniform.as_entire_binding(),
            ],
        )?;
        groups.push((&block_count, group, gx, gy));
    }
    let params = ScanParams {
        num_blocks: num_blocks as u32,
        _pad: [0; 3],
    };
    let uniform = gpu.uniform("topk_scan params", &params);
    let group = gpu.bind_group(
        &scan,
        &[
            blocks.binding(),
            state.binding(),
            uniform.as_entire_binding(),
        ],
    )?;
    groups.push((&scan, group, 1, 1));

    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("topk select"),
        });
    encoder.clear_buffer(hist.raw(), 0, Some(u64::from(PASSES) * BINS * 4));
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("topk select"),
            timestamp_writes: None,
        });
        for (pipeline, group, gx, gy) in &groups {
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(*gx, *gy, 1);
        }
    }
    encoder.copy_buffer_to_buffer(state.raw(), 0, readback.raw(), 0, STATE_BYTES);
    for (i, w) in windows.iter().enumerate() {
        let at = (w.start / BLOCK) as u64 * 8;
        encoder.copy_buffer_to_buffer(
            blocks.raw(),
            at,
            readback.raw(),
            STATE_BYTES + 4 * i as u64,
            4,
        );
    }
    gpu.submit_and_wait(encoder, "topk select")?;
    let words_back: Vec<u32> =
        gpu.read_back(readback.raw(), STATE_BYTES + windows.len() as u64 * 4)?;
    let (st, slots) = words_back.split_at(STATE_BYTES as usize / 4);
    if st[ST_BAD] != u32::MAX {
        return Err(super::cpu::non_finite(st[ST_BAD] as usize));
    }
    if st[ST_DONE] != 1 || st[ST_TOTAL] as usize != k {
        return Err(Error::Gpu {
            during: "top-k selection",
            detail: format!(
                "inconsistent selection state (done {}, kept {} of k = {k})",
                st[ST_DONE], st[ST_TOTAL]
            ),
        });
    }
    let threshold = TopKThreshold {
        key: st[ST_THRESHOLD],
        above: st[ST_ABOVE],
        need_ties: st[ST_NEED_TIES],
    };

    // Submission 2: scatter each window into the output slots it owns.
    let positions = gpu.storage("topk positions", k as u64 * 4)?;
    let values = gpu.storage("topk values", k as u64 * elem)?;
    let align = u64::from(gpu.limits().min_storage_buffer_offset_alignment).max(4);
    let mut groups = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        let first = slots[i] as usize;
        let end = slots.get(i + 1).map_or(k, |&s| s as usize);
        if end <= first {
            continue;
        }
        // Origins rounded down so the binding offsets are aligned.
        let origin = |size: u64| -> usize {
            let unit = align.max(size);
            ((first as u64 * size) / unit * unit / size) as usize
        };
        let (pos_origin, val_origin) = (origin(4), origin(elem));
        let (gx, gy) = grid_within(w.len.div_ceil(BLOCK) as u64, max_dim)?;
        let params = ScatterParams {
            window_base: w.start as u32,
            window_len: w.len as u32,
            block_base: (w.start / BLOCK) as u32,
            groups_x: gx,
            pos_origin: pos_origin as u32,
            val_origin: val_origin as u32,
            _pad: [0; 2],
        };
        let uniform = gpu.uniform("topk_scatter params", &params);
        let group = gpu.bind_group(
            &scatter,
            &[
                range(input, w.start, w.len, elem),
                blocks.binding(),
                state.binding(),
                range(&positions, pos_origin, end - pos_origin, 4),
                range(&values, val_origin, end - val_origin, elem),
                uniform.as_entire_binding(),
            ],
        )?;
        groups.push((gx, gy, group));
    }
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("topk scatter"),
        });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("topk scatter"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&scatter.pipeline);
        for (gx, gy, group) in &groups {
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(*gx, *gy, 1);
        }
    }
    gpu.submit_and_wait(encoder, "topk scatter")?;
    Ok(Selected {
        positions,
        values,
        threshold,
    })
}
