//! The GPU path: turns a recipe into dispatches of the WGSL kernels.

use std::sync::Arc;

use crate::backend::{GpuBuffer, GpuDevice, Pipeline};
use crate::error::{Error, Result};
use crate::fft::recipe::{lines_per_group, Algorithm, FftRecipe, WORKGROUP_SIZE};
use crate::fft::twiddle::{self, TwoLevel};
use crate::shaders;

/// Uniforms of `fft_shared.wgsl` (field order and padding match the WGSL struct).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct SharedParams {
    n: u32,
    log2n: u32,
    lines_per_group: u32,
    num_lines: u32,
    groups_x: u32,
    dim0: u32,
    dim1: u32,
    twist_lo_bits: u32,
    in_elem: u32,
    in_s0: u32,
    in_s1: u32,
    in_s2: u32,
    out_elem: u32,
    out_s0: u32,
    out_s1: u32,
    out_s2: u32,
    sign: f32,
    scale: f32,
    twist: u32,
    twist_lo_off: u32,
    twist_hi_off: u32,
    stage_off: u32,
    _pad: [u32; 2],
}

/// Uniforms of `fft_global_pass.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct GlobalParams {
    n: u32,
    log2n: u32,
    radix_bits: u32,
    span: u32,
    num_lines: u32,
    groups_x: u32,
    lo_bits: u32,
    hi_off: u32,
    sign: f32,
    scale: f32,
    _pad: [u32; 2],
}

/// How the lines of one pass are laid out: line `b` of `num_lines` splits
/// into `(b0, b1, b2)` with `b0 < dim0`, `b1 < dim1`; element `i` of it sits
/// at `b0*s0 + b1*s1 + b2*s2 + i*elem`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineLayout {
    pub(crate) elem: u32,
    pub(crate) s0: u32,
    pub(crate) s1: u32,
    pub(crate) s2: u32,
}

impl LineLayout {
    /// Contiguous lines of length `n`.
    pub(crate) fn rows(n: u32) -> Self {
        LineLayout {
            elem: 1,
            s0: n,
            s1: 0,
            s2: 0,
        }
    }
}

/// One dispatch of the shared-memory kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SharedPass {
    pub(crate) n: u32,
    pub(crate) dim0: u32,
    pub(crate) dim1: u32,
    pub(crate) num_lines: u32,
    pub(crate) input: LineLayout,
    pub(crate) output: LineLayout,
    pub(crate) twist: bool,
    pub(crate) stage_off: u32,
}

/// The lines one FFT call transforms: `outer` blocks of `n * inner`
/// elements; within a block, line `i < inner` starts at `i` and steps by
/// `inner` (an axis of a row-major tensor; `inner == 1` for plain rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineBatch {
    pub(crate) inner: usize,
    pub(crate) outer: usize,
}

impl LineBatch {
    /// `lines` contiguous rows.
    pub(crate) fn rows(lines: usize) -> Self {
        LineBatch {
            inner: 1,
            outer: lines,
        }
    }

    /// Number of lines.
    pub(crate) fn lines(&self) -> usize {
        self.inner * self.outer
    }
}

/// A plan compiled for one GPU: pipelines and twiddles.
pub(crate) struct GpuFft {
    pub(crate) recipe: FftRecipe,
    sign: f32,
    scale: f32,
    twiddles: GpuBuffer,
    /// Offsets in `twiddles`: per-pass stage tables, then the two-level table.
    stage_offsets: [u32; 2],
    two_level: Option<(u32, u32, u32)>, // (lo_bits, lo_off, hi_off)
    shared: Option<Arc<Pipeline>>,
    global: Option<Arc<Pipeline>>,
}

fn grid(groups: u64, max_per_dim: u32) -> Result<(u32, u32)> {
    let max = u64::from(max_per_dim);
    let x = groups.min(max).max(1);
    let y = groups.div_ceil(x);
    if y > max {
        return Err(Error::DeviceLimit {
            what: "workgroups per dispatch",
            requested: groups,
            max: max * max,
        });
    }
    Ok((x as u32, y as u32))
}

impl GpuFft {
    pub(crate) fn new(
        gpu: &GpuDevice,
        recipe: FftRecipe,
        inverse: bool,
        scale: f32,
    ) -> Result<Self> {
        let n = recipe.len;
        let mut table: Vec<[f32; 2]> = Vec::new();
        let mut stage_offsets = [0u32; 2];
        let mut two_level = None;
        let push_two_level = |table: &mut Vec<[f32; 2]>| {
            let t = TwoLevel::new(n);
            let lo_off = table.len() as u32;
            table.extend_from_slice(&t.lo);
            let hi_off = table.len() as u32;
            table.extend_from_slice(&t.hi);
            Some((t.lo_bits, lo_off, hi_off))
        };
        match &recipe.algorithm {
            Algorithm::SingleDispatch { .. } => table = twiddle::forward(n, n),
            Algorithm::FourStep { n1, n2 } => {
                table = twiddle::forward(*n1, *n1);
                stage_offsets[1] = table.len() as u32;
                table.extend(twiddle::forward(*n2, *n2));
                two_level = push_two_level(&mut table);
            }
            Algorithm::GlobalPasses { .. } => two_level = push_two_level(&mut table),
        }
        let twiddles = gpu.storage_from("fft twiddles", &table)?;
        let shared_points = recipe.shared_points as u32;
        let shared = match recipe.algorithm {
            Algorithm::GlobalPasses { .. } => None,
            _ => Some(gpu.pipeline(
                &shaders::FFT_SHARED,
                &[("SHARED_LEN", shared_points), ("WG_SIZE", WORKGROUP_SIZE)],
            )?),
        };
        let global = match recipe.algorithm {
            Algorithm::GlobalPasses { .. } => {
                Some(gpu.pipeline(&shaders::FFT_GLOBAL_PASS, &[("WG_SIZE", WORKGROUP_SIZE)])?)
            }
            _ => None,
        };
        Ok(GpuFft {
            recipe,
            sign: if inverse { 1.0 } else { -1.0 },
            scale,
            twiddles,
            stage_offsets,
            two_level,
            shared,
            global,
        })
    }

    /// The shared-kernel passes for the lines of `batch`.
    fn shared_passes(&self, batch: LineBatch) -> Vec<SharedPass> {
        let n = self.recipe.len as u32;
        let inner = batch.inner as u32;
        let outer = batch.outer as u32;
        match self.recipe.algorithm {
            Algorithm::SingleDispatch { .. } => {
                let (dim0, layout) = if inner == 1 {
                    (outer, LineLayout::rows(n))
                } else {
                    (
                        inner,
                        LineLayout {
                            elem: inner,
                            s0: 1,
                            s1: n * inner,
                            s2: 0,
                        },
                    )
                };
                vec![SharedPass {
                    n,
                    dim0,
                    dim1: if inner == 1 { 1 } else { outer },
                    num_lines: inner * outer,
                    input: layout,
                    output: layout,
                    twist: false,
                    stage_off: 0,
                }]
            }
            Algorithm::FourStep { n1, n2 } => {
                let (n1, n2) = (n1 as u32, n2 as u32);
                let block = n * inner;
                // Element a*n2 + c of a line (a < n1, c < n2): column FFTs of
                // length n1 down each c, twisted by W_n^(c * k1), stored in place.
                let columns = LineLayout {
                    elem: n2 * inner,
                    s0: inner,
                    s1: 1,
                    s2: block,
                };
                // Then row FFTs of length n2 written transposed to X[k1 + n1 * k2].
                let rows_in = LineLayout {
                    elem: inner,
                    s0: n2 * inner,
                    s1: 1,
                    s2: block,
                };
                let rows_out = LineLayout {
                    elem: n1 * inner,
                    s0: inner,
                    s1: 1,
                    s2: block,
                };
                vec![
                    SharedPass {
                        n: n1,
                        dim0: n2,
                        dim1: inner,
                        num_lines: n2 * inner * outer,
                        input: columns,
                        output: columns,
                        twist: true,
                        stage_off: self.stage_offsets[0],
                    },
                    SharedPass {
                        n: n2,
                        dim0: n1,
                        dim1: inner,
                        num_lines: n1 * inner * outer,
                        input: rows_in,
                        output: rows_out,
                        twist: false,
                        stage_off: self.stage_offsets[1],
                    },
                ]
            }
            Algorithm::GlobalPasses { .. } => Vec::new(),
        }
    }

    /// Records the transform of every line of `batch` from `src` into
    /// `dst`, using `scratch` (same size) between passes. `src` is left
    /// untouched.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn encode(
        &self,
        gpu: &GpuDevice,
        encoder: &mut wgpu::CommandEncoder,
        src: &GpuBuffer,
        dst: &GpuBuffer,
        scratch: Option<&GpuBuffer>,
        batch: LineBatch,
        timestamps: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) -> Result<()> {
        let bytes = (batch.lines() * self.recipe.len * 8) as u64;
        let max = (self.recipe.max_lines_per_call * self.recipe.len * 8) as u64;
        if bytes > max {
            return Err(Error::DeviceLimit {
                what: "storage binding size",
                requested: bytes,
                max,
            });
        }
        if batch.inner > 1 && matches!(self.recipe.algorithm, Algorithm::GlobalPasses { .. }) {
            return Err(Error::UnsupportedLength {
                len: self.recipe.len,
                reason: "strided axes this long are not supported on this device".into(),
            });
        }
        let passes = self.recipe.passes();
        if passes > 1 && scratch.is_none() {
            return Err(Error::invalid(
                "scratch",
                "multi-pass plans need a scratch buffer",
            ));
        }
        // Pass i writes `dst` when (passes - 1 - i) is even, else `scratch`,
        // so the last pass lands in `dst` and no pass reads what it writes.
        let target = |i: usize| -> &GpuBuffer {
            if (passes - 1 - i) % 2 == 0 {
                dst
            } else {
                scratch.expect("checked above")
            }
        };
        let max_dim = gpu.limits().max_compute_workgroups_per_dimension;
        let mut groups_and_bind = Vec::with_capacity(passes);
        let lines32 = batch.lines() as u32;

        if let Some(pipeline) = &self.shared {
            let (lo_bits, lo_off, hi_off) = self.two_level.unwrap_or((0, 0, 0));
            let shared_passes = self.shared_passes(batch);
            for (i, pass) in shared_passes.iter().enumerate() {
                let lpg = lines_per_group(pass.n as usize, self.recipe.shared_points) as u32;
                let num_lines = pass.num_lines;
                let (gx, gy) = grid(u64::from(num_lines.div_ceil(lpg)), max_dim)?;
                let last = i + 1 == shared_passes.len();
                let params = SharedParams {
                    n: pass.n,
                    log2n: pass.n.trailing_zeros(),
                    lines_per_group: lpg,
                    num_lines,
                    groups_x: gx,
                    dim0: pass.dim0,
                    dim1: pass.dim1,
                    twist_lo_bits: lo_bits,
                    in_elem: pass.input.elem,
                    in_s0: pass.input.s0,
                    in_s1: pass.input.s1,
                    in_s2: pass.input.s2,
                    out_elem: pass.output.elem,
                    out_s0: pass.output.s0,
                    out_s1: pass.output.s1,
                    out_s2: pass.output.s2,
                    sign: self.sign,
                    scale: if last { self.scale } else { 1.0 },
                    twist: u32::from(pass.twist),
                    twist_lo_off: lo_off,
                    twist_hi_off: hi_off,
                    stage_off: pass.stage_off,
                    _pad: [0; 2],
                };
                let input = if i == 0 { src } else { target(i - 1) };
                let uniform = gpu.uniform("fft_shared params", &params);
                let group = gpu.bind_group(
                    pipeline,
                    &[
                        input.binding(),
                        target(i).binding(),
                        self.twiddles.binding(),
                        uniform.as_entire_binding(),
                    ],
                )?;
                groups_and_bind.push((Arc::clone(pipeline), group, gx, gy));
            }
        }
        if let (Some(pipeline), Algorithm::GlobalPasses { radix_bits: bits }) =
            (&self.global, &self.recipe.algorithm)
        {
            let (lo_bits, _, hi_off) = self
                .two_level
                .expect("global plans carry a two-level table");
            let n = self.recipe.len as u32;
            let mut span = 1u32;
            for (i, &b) in bits.iter().enumerate() {
                let threads = u64::from(lines32) * u64::from(n >> b);
                let (gx, gy) = grid(threads.div_ceil(u64::from(WORKGROUP_SIZE)), max_dim)?;
                let params = GlobalParams {
                    n,
                    log2n: n.trailing_zeros(),
                    radix_bits: b,
                    span,
                    num_lines: lines32,
                    groups_x: gx,
                    lo_bits,
                    hi_off,
                    sign: self.sign,
                    scale: if i + 1 == bits.len() { self.scale } else { 1.0 },
                    _pad: [0; 2],
                };
                span <<= b;
                let input = if i == 0 { src } else { target(i - 1) };
                let uniform = gpu.uniform("fft_global_pass params", &params);
                let group = gpu.bind_group(
                    pipeline,
                    &[
                        input.binding(),
                        target(i).binding(),
                        self.twiddles.binding(),
                        uniform.as_entire_binding(),
                    ],
                )?;
                groups_and_bind.push((Arc::clone(pipeline), group, gx, gy));
            }
        }
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("fft"),
            timestamp_writes: timestamps,
        });
        for (pipeline, group, gx, gy) in &groups_and_bind {
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(*gx, *gy, 1);
        }
        Ok(())
    }
}
