//! Batched complex-to-complex FFTs on the GPU or the CPU twin.
//!
//! Any length from 1 to 2^24 runs on the GPU. Lengths whose prime factors
//! are 2, 3, 5 and 7 run mixed-radix Stockham stages (radix 2, 3, 4, 5, 7,
//! 8): in one dispatch when a line fits a workgroup's memory (4096 points
//! for powers of two, 3840 with radix 3 or 5, 3584 with radix 7 on 32 KiB),
//! as a four-step algorithm over two such factors, or as one dispatch per
//! stage through global memory. Every other length (large prime factors,
//! e.g. 65537 or 1009) runs Bluestein's algorithm through power-of-two FFTs
//! of length `m >= 2n - 2`. [`recipe::plan`] makes the choice;
//! [`FftPlan::recipe`] shows it.
//!
//! Accuracy (RMS relative error against an f64 FFT, random data, bounds
//! held by the tests, measured maxima on lavapipe): one dispatch 1e-6
//! (1.3e-7), four-step 1e-6 up to 2^20 and 2e-6 beyond (2.0e-7 at 3^12),
//! Bluestein 2e-6 up to 2^20 (2.8e-7 at 1048573).
//!
//! ```no_run
//! use fft_tensor::{Context, FftDirection, Normalization};
//! use fft_tensor::num_complex::Complex32;
//!
//! let ctx = Context::from_env()?;
//! let plan = ctx.plan_fft(1024, FftDirection::Forward, Normalization::Backward)?;
//! let mut data = vec![Complex32::new(1.0, 0.0); 8 * 1024]; // 8 lines
//! plan.process(&mut data)?;
//! # Ok::<(), fft_tensor::Error>(())
//! ```

mod bluestein;
pub(crate) mod buffer;
mod cpu;
mod cpu64;
pub mod freq;
mod generate;
mod generate_dft;
mod gpu;
pub(crate) mod lines;
mod nd;
pub mod numpy;
mod real;
mod real_cpu;
mod real_packed;
pub mod recipe;
pub(crate) mod twiddle;
mod workers;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustfft::num_complex::Complex32;

pub use real::rfftn_shape;
pub use recipe::{Algorithm, AlgorithmChoice, DeviceCaps, FftRecipe};

use crate::backend::{BufferSlice, Context, Recording};
use crate::error::{Error, Result};
use crate::tensor::{GpuElement, GpuTensor};

/// Transform direction: forward uses `exp(-2 pi i jk / n)`, inverse `exp(+...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FftDirection {
    /// `X[k] = sum_j x[j] exp(-2 pi i jk/n)`.
    Forward,
    /// `x[j] = sum_k X[k] exp(+2 pi i jk/n)` (times the normalisation).
    Inverse,
}

/// Scaling applied to the output, named as numpy's `norm` argument.
///
/// For a transform over `n` points in total: `Backward` (the default)
/// divides the inverse by `n`, `Forward` divides the forward transform by
/// `n`, `Ortho` divides both by `sqrt(n)`, and `None` (rustfft's convention)
/// scales neither, so a round trip multiplies by `n`. Over several axes the
/// factor is the product of the per-axis factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Normalization {
    /// No scaling either way (a round trip multiplies by n).
    None,
    /// `1/n` on the inverse only (numpy's `norm="backward"`, the default).
    #[default]
    Backward,
    /// `1/sqrt(n)` both ways (numpy's `norm="ortho"`, unitary).
    Ortho,
    /// `1/n` on the forward transform only (numpy's `norm="forward"`).
    Forward,
}

#[allow(non_upper_case_globals)]
impl Normalization {
    /// Former name of [`Normalization::Backward`].
    #[deprecated(since = "0.2.0", note = "use Normalization::Backward (numpy's name)")]
    pub const Inverse: Self = Self::Backward;
    /// Former name of [`Normalization::Ortho`].
    #[deprecated(since = "0.2.0", note = "use Normalization::Ortho (numpy's name)")]
    pub const Unitary: Self = Self::Ortho;
}

impl Normalization {
    /// The factor for a transform of length `n` in `direction`, in f32 (the
    /// scale the GPU kernels and the f32 CPU twin apply).
    pub fn factor(self, n: usize, direction: FftDirection) -> f32 {
        self.factor_f64(n, direction) as f32
    }

    /// The factor for a transform of length `n` in `direction`, in f64.
    pub fn factor_f64(self, n: usize, direction: FftDirection) -> f64 {
        let n = n as f64;
        match (self, direction) {
            (Normalization::None, _)
            | (Normalization::Backward, FftDirection::Forward)
            | (Normalization::Forward, FftDirection::Inverse) => 1.0,
            (Normalization::Backward, FftDirection::Inverse)
            | (Normalization::Forward, FftDirection::Forward) => 1.0 / n,
            (Normalization::Ortho, _) => 1.0 / n.sqrt(),
        }
    }
}

/// Plans are cached per context by length, direction and algorithm; the
/// normalisation is a per-call scale, not part of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PlanKey(usize, FftDirection, AlgorithmChoice);

pub(crate) struct PlanInner {
    len: usize,
    direction: FftDirection,
    /// The rustfft plan, built on first CPU use (a GPU context never pays
    /// for it unless it runs the CPU twin).
    rust: OnceLock<Arc<dyn rustfft::Fft<f32>>>,
    pub(crate) gpu: Option<gpu::GpuFft>,
}

/// A planned FFT of one length and direction on a context's backend.
/// Plans are cached per context; cloning is cheap.
#[derive(Clone)]
pub struct FftPlan {
    ctx: Context,
    inner: Arc<PlanInner>,
    normalization: Normalization,
    scale: f32,
}

impl std::fmt::Debug for FftPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FftPlan")
            .field("len", &self.inner.len)
            .field("direction", &self.inner.direction)
            .field("normalization", &self.normalization)
            .field("recipe", &self.recipe())
            .finish()
    }
}

impl Context {
    /// Plans (or fetches from the cache) a batched FFT of length `len`.
    ///
    /// # Errors
    /// [`Error::UnsupportedLength`] for lengths the backend cannot run (on
    /// the GPU: zero, over 2^24, or a line, or Bluestein's convolution row,
    /// over the storage-binding limit); shader and device errors while
    /// building pipelines.
    pub fn plan_fft(
        &self,
        len: usize,
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<FftPlan> {
        self.plan_fft_with(len, direction, normalization, AlgorithmChoice::Auto)
    }

    /// As [`Context::plan_fft`], forcing a GPU algorithm (for tests and
    /// benchmarks; the CPU backend ignores the choice).
    ///
    /// # Errors
    /// As [`Context::plan_fft`], and when the forced algorithm cannot run `len`.
    pub fn plan_fft_with(
        &self,
        len: usize,
        direction: FftDirection,
        normalization: Normalization,
        choice: AlgorithmChoice,
    ) -> Result<FftPlan> {
        if len == 0 {
            return Err(Error::UnsupportedLength {
                len,
                reason: "length must be at least 1".into(),
            });
        }
        let inner = self.cached(PlanKey(len, direction, choice), || {
            let gpu = match self.gpu() {
                Some(device) => {
                    let caps = DeviceCaps {
                        generated_kernels: device.specializes_kernels(),
                        ..DeviceCaps::with_padding(device.limits(), device.pads_shared_memory())
                    };
                    let recipe = recipe::plan(len, &caps, choice)?;
                    Some(gpu::GpuFft::new(
                        self,
                        recipe,
                        direction == FftDirection::Inverse,
                    )?)
                }
                None => None,
            };
            Ok(PlanInner {
                len,
                direction,
                rust: OnceLock::new(),
                gpu,
            })
        })?;
        Ok(FftPlan {
            ctx: self.clone(),
            inner,
            normalization,
            scale: normalization.factor(len, direction),
        })
    }

    /// One-shot convenience: transforms every length-`len` line of `data` in place.
    ///
    /// # Errors
    /// As [`Context::plan_fft`] and [`FftPlan::process`].
    pub fn fft(
        &self,
        data: &mut [Complex32],
        len: usize,
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()> {
        self.plan_fft(len, direction, normalization)?.process(data)
    }
}

impl FftPlan {
    /// Transform length.
    pub fn len(&self) -> usize {
        self.inner.len
    }

    /// Always false (lengths are at least 1).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Direction.
    pub fn direction(&self) -> FftDirection {
        self.inner.direction
    }

    /// Normalisation.
    pub fn normalization(&self) -> Normalization {
        self.normalization
    }

    /// The factor every output value is multiplied by.
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The CPU twin of this plan (rustfft), built on first use.
    pub(crate) fn cpu(&self) -> cpu::CpuFft {
        let fft = self.inner.rust.get_or_init(|| {
            let mut planner = rustfft::FftPlanner::<f32>::new();
            match self.inner.direction {
                FftDirection::Forward => planner.plan_fft_forward(self.inner.len),
                FftDirection::Inverse => planner.plan_fft_inverse(self.inner.len),
            }
        });
        cpu::CpuFft::from_plan(Arc::clone(fft), self.scale)
    }

    /// The GPU plan, or [`Error::NoGpu`] on the CPU backend.
    pub(crate) fn gpu_plan(&self) -> Result<&gpu::GpuFft> {
        self.inner
            .gpu
            .as_ref()
            .ok_or(Error::NoGpu { op: "a GPU FFT" })
    }

    /// The GPU recipe, or `None` on the CPU backend.
    pub fn recipe(&self) -> Option<&FftRecipe> {
        self.inner.gpu.as_ref().map(|g| &g.recipe)
    }

    fn check_lines(&self, elements: usize) -> Result<usize> {
        if elements == 0 || !elements.is_multiple_of(self.inner.len) {
            return Err(Error::shape(
                "FftPlan input",
                format!("a non-zero multiple of {} elements", self.inner.len),
                elements,
            ));
        }
        Ok(elements / self.inner.len)
    }

    /// Transforms every line of `data` (length a multiple of [`Self::len`])
    /// in place, on the context's backend. On the GPU, batches larger than a
    /// storage binding run in several submissions (one per chunk, upload,
    /// transform and readback together).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `data.len()` is not a non-zero multiple
    /// of the length; GPU errors (budget, device limits, device loss).
    pub fn process(&self, data: &mut [Complex32]) -> Result<()> {
        let lines = self.check_lines(data.len())?;
        let Some(plan) = self.inner.gpu.as_ref() else {
            self.cpu().process(data);
            return Ok(());
        };
        let device = self.ctx.gpu().ok_or(Error::NoGpu { op: "a GPU FFT" })?;
        let len = self.inner.len;
        let chunk_lines = lines.min(plan.recipe.max_lines_per_call);
        let chunk_bytes = (chunk_lines * len * 8) as u64;
        let input = device.storage("fft input", chunk_bytes)?;
        let output = device.storage("fft output", chunk_bytes)?;
        for chunk in data.chunks_mut(chunk_lines * len) {
            let bytes = std::mem::size_of_val(chunk) as u64;
            let src = input.slice().sub(0, bytes)?;
            let dst = output.slice().sub(0, bytes)?;
            let mut rec = self.ctx.recording("fft")?;
            rec.write(&src, chunk)?;
            self.record(&mut rec, &src, &dst)?;
            let result = rec.read_back(&dst)?;
            rec.submit()?.wait()?.copy_to(result, chunk)?;
        }
        Ok(())
    }

    /// Records the transform of every line in `src` (a whole number of
    /// lines of complex f32) into `dst` of the same size; `src` is left
    /// unchanged. Chain it with other recorded work and submit once.
    ///
    /// # Errors
    /// [`Error::NoGpu`] on the CPU backend; [`Error::ShapeMismatch`] for
    /// sizes; [`Error::DeviceLimit`] beyond one storage binding.
    pub fn record(&self, rec: &mut Recording, src: &BufferSlice, dst: &BufferSlice) -> Result<()> {
        self.record_lines(
            rec,
            src,
            dst,
            gpu::LineBatch::rows(self.lines_in(src, dst)?),
        )
    }

    fn lines_in(&self, src: &BufferSlice, dst: &BufferSlice) -> Result<usize> {
        if src.size() != dst.size() || !src.size().is_multiple_of(8) {
            return Err(Error::shape(
                "FftPlan::record output",
                format!("{} bytes of complex f32", src.size()),
                dst.size(),
            ));
        }
        self.check_lines((src.size() / 8) as usize)
    }

    /// Records the transform of the lines of `batch` (strided axes too).
    pub(crate) fn record_lines(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dst: &BufferSlice,
        batch: gpu::LineBatch,
    ) -> Result<()> {
        self.gpu_plan()?.record(rec, src, dst, batch, self.scale)
    }

    fn check_gpu_tensors(&self, input: &GpuTensor, output: &GpuTensor) -> Result<usize> {
        if input.dtype() != GpuElement::Complex32 || output.dtype() != GpuElement::Complex32 {
            return Err(Error::invalid("tensor", "FFT tensors must be complex"));
        }
        if input.len() != output.len() {
            return Err(Error::shape(
                "FftPlan::process_gpu output",
                input.len(),
                output.len(),
            ));
        }
        if !Arc::ptr_eq(&input.context().inner, &self.ctx.inner)
            || !Arc::ptr_eq(&output.context().inner, &self.ctx.inner)
        {
            return Err(Error::invalid(
                "tensor",
                "tensors belong to another context",
            ));
        }
        self.check_lines(input.len())
    }

    /// Transforms a GPU-resident tensor into `output` without touching the
    /// host, so later kernels can use the result where it is. `input` is
    /// left unchanged. One submission, one wait.
    ///
    /// # Errors
    /// [`Error::NoGpu`] on the CPU backend; [`Error::InvalidArgument`] for
    /// non-complex tensors or tensors from another context;
    /// [`Error::ShapeMismatch`] for sizes; [`Error::DeviceLimit`] if the
    /// tensor exceeds one storage binding.
    pub fn process_gpu(&self, input: &GpuTensor, output: &mut GpuTensor) -> Result<()> {
        self.run_gpu(input, output, false).map(|_| ())
    }

    /// As [`Self::process_gpu`], also returning the GPU time of the
    /// transform measured with timestamp queries, when the device has them.
    ///
    /// # Errors
    /// As [`Self::process_gpu`].
    pub fn process_gpu_timed(
        &self,
        input: &GpuTensor,
        output: &mut GpuTensor,
    ) -> Result<Option<Duration>> {
        self.run_gpu(input, output, true)
    }

    fn run_gpu(
        &self,
        input: &GpuTensor,
        output: &mut GpuTensor,
        timed: bool,
    ) -> Result<Option<Duration>> {
        self.check_gpu_tensors(input, output)?;
        let mut rec = self.ctx.recording("fft")?;
        let timer = if timed { rec.begin_timer() } else { None };
        self.record(&mut rec, &input.buffer().slice(), &output.buffer().slice())?;
        if let Some(t) = timer {
            rec.end_timer(t);
        }
        let done = rec.submit()?.wait()?;
        Ok(timer.and_then(|t| done.elapsed(t)))
    }
}
