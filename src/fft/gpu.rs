//! The GPU path: turns a recipe into dispatches of the WGSL kernels.

use crate::backend::{BufferSlice, Context, GpuBuffer, GpuDevice, Groups, Recording};
use crate::error::{Error, Result};
use crate::fft::bluestein::GpuBluestein;
use crate::fft::generate;
use crate::fft::recipe::{
    lines_per_group, padded_slots, stage_radices, Algorithm, FftRecipe, MAX_SHARED_STAGES,
    PAD_EVERY, WORKGROUP_SIZE,
};
use crate::fft::twiddle::{self, TwoLevel};
use crate::shaders::{self, kernel_params, Kernel};

kernel_params! {
/// Uniforms of `fft_shared.wgsl`.
pub(crate) struct SharedParams {
    n: u32,
    stages: u32,
    lines_per_group: u32,
    num_lines: u32,
    groups_x: u32,
    dim0: u32,
    dim1: u32,
    twist_lo_len: u32,
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
    radices_lo: u32,
    radices_hi: u32,
}
}

kernel_params! {
/// Uniforms of `fft_global_pass.wgsl`.
pub(crate) struct GlobalParams {
    n: u32,
    radix: u32,
    span: u32,
    num_lines: u32,
    groups_x: u32,
    lo_len: u32,
    hi_off: u32,
    _pad0: u32,
    sign: f32,
    scale: f32,
    _pad1: [u32; 2],
}
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

/// The stages one dispatch of the shared kernel runs on lines of length `n`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SharedStages {
    n: u32,
    lines_per_group: u32,
    /// Radices, four bits each, first stage lowest.
    packed: [u32; 2],
    stages: u32,
    /// Offset of the stage table `exp(-2 pi i m / n)` in the twiddle buffer.
    table_off: u32,
    radices: Vec<u32>,
}

impl SharedStages {
    /// Stages for the generic kernel, or with `generated` for a kernel
    /// generated for the length (radices up to 16, also 11 and 13).
    fn new(n: usize, shared_points: usize, table_off: u32, generated: bool) -> Result<Self> {
        let radices = stage_radices(n, generated).ok_or_else(|| Error::UnsupportedLength {
            len: n,
            reason: "the shared kernel runs lengths with prime factors 2, 3, 5, 7 only \
                     (also 11 and 13 where kernels are generated per length)"
                .into(),
        })?;
        if radices.len() > MAX_SHARED_STAGES {
            return Err(Error::UnsupportedLength {
                len: n,
                reason: format!("more than {MAX_SHARED_STAGES} stages in one dispatch"),
            });
        }
        // The generic kernel's radix list; generated kernels need none.
        let mut packed = [0u32; 2];
        if !generated {
            for (s, &r) in radices.iter().enumerate() {
                packed[s / 8] |= r << ((s % 8) * 4);
            }
        }
        Ok(SharedStages {
            n: n as u32,
            lines_per_group: lines_per_group(n, &radices, shared_points, generated) as u32,
            packed,
            stages: radices.len() as u32,
            table_off,
            radices,
        })
    }
}

/// One dispatch of the shared-memory kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SharedPass<'a> {
    stages: &'a SharedStages,
    pub(crate) dim0: u32,
    pub(crate) dim1: u32,
    pub(crate) num_lines: u32,
    pub(crate) input: LineLayout,
    pub(crate) output: LineLayout,
    pub(crate) twist: bool,
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

/// A plan compiled for one GPU: pipelines built, twiddles uploaded. The
/// output scale is a per-call uniform, so one plan serves every
/// normalisation.
pub(crate) struct GpuFft {
    pub(crate) recipe: FftRecipe,
    engine: Engine,
}

enum Engine {
    Stockham(Stockham),
    Bluestein(Box<GpuBluestein>),
}

/// The Stockham algorithms (single dispatch, four-step, global passes):
/// specialisation constants and twiddles.
struct Stockham {
    sign: f32,
    twiddles: GpuBuffer,
    /// Stages of the shared-kernel passes (one, or two for four-step).
    shared_stages: Vec<SharedStages>,
    two_level: Option<(u32, u32, u32)>, // (lo_len, lo_off, hi_off)
    /// The shared kernel's constants for each entry of `shared_stages`.
    shared: Vec<Vec<(&'static str, u32)>>,
    /// Whether the shared passes run kernels generated per length and pass
    /// layout (`generate.rs`) rather than `fft_shared.wgsl`.
    generated: bool,
    /// The device's largest grid dimension (a 1-D grid has no spare groups).
    max_groups_per_dim: u32,
}

const GLOBAL_CONSTANTS: &[(&str, u32)] = &[("WG_SIZE", WORKGROUP_SIZE)];

impl GpuFft {
    pub(crate) fn new(ctx: &Context, recipe: FftRecipe, inverse: bool) -> Result<Self> {
        let gpu = ctx.gpu().ok_or(Error::NoGpu {
            op: "a GPU FFT plan",
        })?;
        let engine = match &recipe.algorithm {
            Algorithm::Bluestein { m, .. } => {
                Engine::Bluestein(Box::new(GpuBluestein::new(ctx, recipe.len, *m, inverse)?))
            }
            _ => Engine::Stockham(Stockham::new(gpu, &recipe, inverse)?),
        };
        Ok(GpuFft { recipe, engine })
    }

    /// Records the transform of every line of `batch` from `src` into `dst`
    /// (scaled by `scale`); `src` is left untouched. Scratch space between
    /// passes comes from the recording.
    ///
    /// # Errors
    /// [`Error::DeviceLimit`] when the batch exceeds one storage binding;
    /// [`Error::UnsupportedLength`] for strided lines of a global-pass plan.
    pub(crate) fn record(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        batch: LineBatch,
        scale: f32,
    ) -> Result<()> {
        let len = self.recipe.len;
        let bytes = (batch.lines() * len * 8) as u64;
        let max = (self.recipe.max_lines_per_call * len * 8) as u64;
        if bytes > max {
            return Err(Error::DeviceLimit {
                what: "storage binding size",
                requested: bytes,
                max,
            });
        }
        match &self.engine {
            Engine::Bluestein(b) => b.record(rec, src, dst, batch, scale),
            Engine::Stockham(s) => {
                if batch.inner > 1
                    && matches!(self.recipe.algorithm, Algorithm::GlobalPasses { .. })
                {
                    return Err(Error::UnsupportedLength {
                        len,
                        reason: "strided axes this long are not supported on this device".into(),
                    });
                }
                let scratch = if self.recipe.needs_scratch() {
                    Some(rec.temporary("fft scratch", bytes)?)
                } else {
                    None
                };
                s.record(rec, &self.recipe, src, dst, scratch.as_ref(), batch, scale)
            }
        }
    }
}

impl GpuFft {
    /// Records the forward transform of `lines` rows of this plan's length
    /// `h`, each the `2h` reals of a real row read as `h` complex pairs,
    /// into `dst` as the rows' half spectra (`h + 1` points each, scaled by
    /// `scale`): the real-input post-processing fused into the plan's one
    /// pass. `Ok(false)`, with nothing recorded, where the plan has no such
    /// pass (not a single-dispatch plan with a generated kernel, or an
    /// inverse plan); the caller then runs the transform and
    /// `rfft_post.wgsl`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for buffer sizes; recording errors.
    pub(crate) fn record_half_spectrum(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        lines: usize,
        scale: f32,
    ) -> Result<bool> {
        let Engine::Stockham(st) = &self.engine else {
            return Ok(false);
        };
        let h = self.recipe.len;
        let fused = st.generated
            && st.sign < 0.0
            && h > 1
            && matches!(self.recipe.algorithm, Algorithm::SingleDispatch { .. })
            && lines * (h + 1) <= self.recipe.max_lines_per_call * h;
        if !fused {
            return Ok(false);
        }
        for (what, slice, points) in [("packed real rows", src, h), ("half spectra", dst, h + 1)] {
            let bytes = (lines * points * 8) as u64;
            if slice.size() != bytes {
                return Err(Error::shape(what, format!("{bytes} bytes"), slice.size()));
            }
        }
        let pass = SharedPass {
            stages: &st.shared_stages[0],
            dim0: lines as u32,
            dim1: 1,
            num_lines: lines as u32,
            input: LineLayout::rows(h as u32),
            output: LineLayout::rows(h as u32 + 1),
            twist: false,
        };
        let kernel = st.shared_kernel_for(&pass, generate::Io::HalfSpectrum, 1);
        st.launch_shared(rec, kernel, &pass, 0, [src, dst], (1, 0, 0), scale)?;
        Ok(true)
    }
}

impl Stockham {
    fn new(gpu: &GpuDevice, recipe: &FftRecipe, inverse: bool) -> Result<Self> {
        let n = recipe.len;
        let shared_points = recipe.shared_points;
        let generated = gpu.specializes_kernels();
        let mut table: Vec<[f32; 2]> = Vec::new();
        let mut shared_stages = Vec::new();
        let mut two_level = None;
        let push_two_level = |table: &mut Vec<[f32; 2]>| {
            let t = TwoLevel::new(n);
            let lo_off = table.len() as u32;
            table.extend_from_slice(&t.lo);
            let hi_off = table.len() as u32;
            table.extend_from_slice(&t.hi);
            Some((t.lo_len, lo_off, hi_off))
        };
        match &recipe.algorithm {
            Algorithm::SingleDispatch { .. } => {
                shared_stages.push(SharedStages::new(n, shared_points, 0, generated)?);
                table = twiddle::forward(n, n);
                if generated && !inverse {
                    // W_2n^k, k = 0..=n, for the fused real-input pass.
                    table.extend(twiddle::forward(2 * n, n + 1));
                }
            }
            Algorithm::FourStep { n1, n2 } => {
                shared_stages.push(SharedStages::new(*n1, shared_points, 0, generated)?);
                table = twiddle::forward(*n1, *n1);
                shared_stages.push(SharedStages::new(
                    *n2,
                    shared_points,
                    table.len() as u32,
                    generated,
                )?);
                table.extend(twiddle::forward(*n2, *n2));
                two_level = push_two_level(&mut table);
            }
            Algorithm::GlobalPasses { .. } => two_level = push_two_level(&mut table),
            Algorithm::Bluestein { .. } => unreachable!("Bluestein plans have their own engine"),
        }
        let twiddles = gpu.storage_from("fft twiddles", &table)?;
        let shared: Vec<Vec<(&'static str, u32)>> = shared_stages
            .iter()
            .map(|_| {
                let pad = gpu.pads_shared_memory();
                vec![
                    ("SHARED_ALLOC", padded_slots(shared_points, pad) as u32),
                    (
                        "PAD_SHIFT",
                        if pad { PAD_EVERY.trailing_zeros() } else { 0 },
                    ),
                    ("WG_SIZE", WORKGROUP_SIZE),
                ]
            })
            .collect();
        // Build the generic pipelines now, so plan creation reports shader
        // errors; generated kernels depend on each pass's layout and are
        // generated and built when recorded.
        if !generated {
            for constants in &shared {
                gpu.pipeline(&shaders::FFT_SHARED, constants)?;
            }
        }
        if matches!(recipe.algorithm, Algorithm::GlobalPasses { .. }) {
            gpu.pipeline(&shaders::FFT_GLOBAL_PASS, GLOBAL_CONSTANTS)?;
        }
        Ok(Stockham {
            sign: if inverse { 1.0 } else { -1.0 },
            twiddles,
            shared_stages,
            two_level,
            shared,
            generated,
            max_groups_per_dim: gpu.limits().max_compute_workgroups_per_dimension,
        })
    }

    /// The kernel of one shared pass: generated for its stages and layout,
    /// or the generic one.
    fn shared_kernel(&self, pass: &SharedPass, lo_len: u32) -> &'static Kernel {
        let st = pass.stages;
        if !self.generated || st.radices.is_empty() {
            return &shaders::FFT_SHARED;
        }
        self.shared_kernel_for(pass, Self::io(st, pass, pass.output), lo_len)
    }

    /// How a generated kernel reads or writes the lines of `layout`.
    fn io(st: &SharedStages, pass: &SharedPass, layout: LineLayout) -> generate::Io {
        if layout == LineLayout::rows(st.n) && pass.dim1 == 1 {
            generate::Io::Rows
        } else if layout.elem == 1 {
            generate::Io::Contiguous
        } else {
            generate::Io::Strided
        }
    }

    /// The generated kernel of `pass` writing its lines as `output`.
    fn shared_kernel_for(
        &self,
        pass: &SharedPass,
        output: generate::Io,
        lo_len: u32,
    ) -> &'static Kernel {
        let st = pass.stages;
        let lpg = st.lines_per_group;
        let groups = pass.num_lines.div_ceil(lpg);
        let variant = generate::Variant {
            input: Self::io(st, pass, pass.input),
            output,
            exact: pass.num_lines.is_multiple_of(lpg) && groups <= self.max_groups_per_dim,
            twist: pass.twist.then_some((lo_len.max(1), pass.dim0)),
            hoist: lpg <= pass.dim0 && std::env::var("FFT_TENSOR_HOIST").as_deref() != Ok("0"),
        };
        let wg = generate::workgroup_size(st.n, &st.radices, lpg);
        generate::shared_kernel(st.n, &st.radices, lpg, wg, variant)
    }

    /// Launches one shared pass (`which`: its entry of `shared_stages`)
    /// from `io[0]` into `io[1]`; `two_level` is `(lo_len, lo_off, hi_off)`
    /// of the twist table.
    #[allow(clippy::too_many_arguments)]
    fn launch_shared(
        &self,
        rec: &mut Recording,
        kernel: &'static Kernel,
        pass: &SharedPass,
        which: usize,
        io: [&BufferSlice; 2],
        (lo_len, lo_off, hi_off): (u32, u32, u32),
        scale: f32,
    ) -> Result<()> {
        let st = pass.stages;
        let lpg = st.lines_per_group;
        let num_lines = pass.num_lines;
        let twiddles = self.twiddles.slice();
        rec.launch(
            kernel,
            &self.shared[which],
            &[io[0], io[1], &twiddles],
            Groups::Count(u64::from(num_lines.div_ceil(lpg))),
            |grid| SharedParams {
                n: st.n,
                stages: st.stages,
                lines_per_group: lpg,
                num_lines,
                groups_x: grid.0,
                dim0: pass.dim0,
                dim1: pass.dim1,
                twist_lo_len: lo_len,
                in_elem: pass.input.elem,
                in_s0: pass.input.s0,
                in_s1: pass.input.s1,
                in_s2: pass.input.s2,
                out_elem: pass.output.elem,
                out_s0: pass.output.s0,
                out_s1: pass.output.s1,
                out_s2: pass.output.s2,
                sign: self.sign,
                scale,
                twist: u32::from(pass.twist),
                twist_lo_off: lo_off,
                twist_hi_off: hi_off,
                stage_off: st.table_off,
                radices_lo: st.packed[0],
                radices_hi: st.packed[1],
            },
        )
    }

    /// The shared-kernel passes for the lines of `batch`.
    fn shared_passes(&self, recipe: &FftRecipe, batch: LineBatch) -> Vec<SharedPass<'_>> {
        let n = recipe.len as u32;
        let inner = batch.inner as u32;
        let outer = batch.outer as u32;
        match recipe.algorithm {
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
                    stages: &self.shared_stages[0],
                    dim0,
                    dim1: if inner == 1 { 1 } else { outer },
                    num_lines: inner * outer,
                    input: layout,
                    output: layout,
                    twist: false,
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
                        stages: &self.shared_stages[0],
                        dim0: n2,
                        dim1: inner,
                        num_lines: n2 * inner * outer,
                        input: columns,
                        output: columns,
                        twist: true,
                    },
                    SharedPass {
                        stages: &self.shared_stages[1],
                        dim0: n1,
                        dim1: inner,
                        num_lines: n1 * inner * outer,
                        input: rows_in,
                        output: rows_out,
                        twist: false,
                    },
                ]
            }
            Algorithm::GlobalPasses { .. } | Algorithm::Bluestein { .. } => Vec::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        rec: &mut Recording,
        recipe: &FftRecipe,
        src: &BufferSlice,
        dst: &BufferSlice,
        scratch: Option<&BufferSlice>,
        batch: LineBatch,
        scale: f32,
    ) -> Result<()> {
        let passes = recipe.passes();
        // Pass i writes `dst` when (passes - 1 - i) is even, else `scratch`,
        // so the last pass lands in `dst` and no pass reads what it writes.
        let target = |i: usize| -> Result<&BufferSlice> {
            if (passes - 1 - i).is_multiple_of(2) {
                Ok(dst)
            } else {
                scratch.ok_or_else(|| {
                    Error::invalid("scratch", "multi-pass plans need a scratch buffer")
                })
            }
        };
        let twiddles = self.twiddles.slice();
        let lines32 = batch.lines() as u32;

        if !self.shared.is_empty() {
            let two_level = self.two_level.unwrap_or((1, 0, 0));
            let shared_passes = self.shared_passes(recipe, batch);
            for (i, pass) in shared_passes.iter().enumerate() {
                let which = self
                    .shared_stages
                    .iter()
                    .position(|s| std::ptr::eq(s, pass.stages))
                    .expect("passes refer to this plan's stages");
                let last = i + 1 == shared_passes.len();
                let input = if i == 0 { src } else { target(i - 1)? };
                let kernel = self.shared_kernel(pass, two_level.0);
                let pass_scale = if last { scale } else { 1.0 };
                let io = [input, target(i)?];
                self.launch_shared(rec, kernel, pass, which, io, two_level, pass_scale)?;
            }
        }
        if let Algorithm::GlobalPasses { radices } = &recipe.algorithm {
            let (lo_len, _, hi_off) = self
                .two_level
                .expect("global plans carry a two-level table");
            let n = recipe.len as u32;
            let mut span = 1u32;
            for (i, &radix) in radices.iter().enumerate() {
                let threads = u64::from(lines32) * u64::from(n / radix);
                let input = if i == 0 { src } else { target(i - 1)? };
                let this_span = span;
                rec.launch(
                    &shaders::FFT_GLOBAL_PASS,
                    GLOBAL_CONSTANTS,
                    &[input, target(i)?, &twiddles],
                    Groups::Threads {
                        threads,
                        per_group: WORKGROUP_SIZE,
                    },
                    |grid| GlobalParams {
                        n,
                        radix,
                        span: this_span,
                        num_lines: lines32,
                        groups_x: grid.0,
                        lo_len,
                        hi_off,
                        _pad0: 0,
                        sign: self.sign,
                        scale: if i + 1 == radices.len() { scale } else { 1.0 },
                        _pad1: [0; 2],
                    },
                )?;
                span *= radix;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rustfft::num_complex::Complex32;

    use super::*;
    use crate::fft::{AlgorithmChoice, FftDirection, Normalization};
    use crate::testing::{assert_rms_close, gpu_context_or_skip, reference_fft, SplitMix64};

    /// Axis 1 of `[outer, n, inner]` tensors through `LineBatch { inner, outer }`,
    /// on every algorithm that takes strided lines.
    #[test]
    fn strided_lines_of_any_length() {
        let Some(ctx) = gpu_context_or_skip("strided_lines_of_any_length") else {
            return;
        };
        let gpu = ctx.gpu().expect("a GPU context");
        let cases = [
            (1, AlgorithmChoice::Auto),
            (7, AlgorithmChoice::Auto),
            (1000, AlgorithmChoice::Auto),
            (360, AlgorithmChoice::FourStep),
            (3888, AlgorithmChoice::Auto),
            (97, AlgorithmChoice::Auto),
            (4097, AlgorithmChoice::Auto),
            (1000, AlgorithmChoice::Bluestein),
        ];
        let (outer, inner) = (2, 3);
        for (n, choice) in cases {
            for direction in [FftDirection::Forward, FftDirection::Inverse] {
                let norm = Normalization::Ortho;
                let plan = ctx.plan_fft_with(n, direction, norm, choice).unwrap();
                let fft = plan.gpu_plan().expect("a GPU plan");
                let input = SplitMix64(n as u64).complex_vec(outer * n * inner);
                let bytes = (input.len() * 8) as u64;
                let mut rec = ctx.recording("strided fft test").unwrap();
                let src = rec.upload("test input", &input).unwrap();
                let dst = rec.temporary("test output", bytes).unwrap();
                let batch = LineBatch { inner, outer };
                plan.record_lines(&mut rec, &src, &dst, batch).unwrap();
                let result = rec.read_back(&dst).unwrap();
                let before = gpu.submissions();
                let output: Vec<Complex32> =
                    rec.submit().unwrap().wait().unwrap().take(result).unwrap();
                assert_eq!(gpu.submissions(), before + 1, "one submission");
                // Gather line (o, i) of both into contiguous rows.
                let rows = |v: &[Complex32]| -> Vec<Complex32> {
                    let mut out = Vec::with_capacity(v.len());
                    for o in 0..outer {
                        for i in 0..inner {
                            out.extend((0..n).map(|k| v[o * n * inner + k * inner + i]));
                        }
                    }
                    out
                };
                let expected = reference_fft(
                    &rows(&input),
                    n,
                    direction == FftDirection::Inverse,
                    f64::from(norm.factor(n, direction)),
                );
                let what = format!("strided {n} {direction:?} {:?}", fft.recipe.algorithm);
                assert_rms_close(&what, &rows(&output), &expected, 2e-6);
            }
        }
    }
}

#[cfg(test)]
mod params_layout {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<SharedParams>(&shaders::FFT_SHARED);
        assert_params::<GlobalParams>(&shaders::FFT_GLOBAL_PASS);
    }
}
