//! Exact top-k selection by magnitude, on the GPU or the CPU twin.
//!
//! [`Context::top_k_f32`] and [`Context::top_k_complex`] keep the `k`
//! entries of largest magnitude, for any `k` from 0 to the length (`k = 0`
//! gives an empty result, as in numpy and torch), and return their
//! positions in ascending order with their values. The
//! selection is exact: among equal magnitudes the lower position wins, so
//! the GPU kernels and the CPU twin keep exactly the same entries.
//!
//! ```no_run
//! let ctx = fft_tensor::Context::from_env()?;
//! let top = ctx.top_k_f32(&[0.5, -2.0, 1.0, 2.0, 2.0], 2)?;
//! // Three entries of magnitude 2 tie for two places: the lower positions win.
//! assert_eq!(top.positions, [1, 3]);
//! assert_eq!(top.values, [-2.0, 2.0]);
//! # Ok::<(), fft_tensor::Error>(())
//! ```
//!
//! # Keys
//!
//! Entries are compared by a 32-bit *magnitude key*:
//!
//! * `f32`: the bit pattern of `|x|` ([`magnitude_key_f32`]). For
//!   non-negative floats the bit pattern orders like the value, so no
//!   arithmetic is involved and GPU and CPU agree exactly. `-0.0` and `0.0`
//!   have the same key; values are returned bit for bit.
//! * `Complex32`: `|z|^2` as a 32-bit code with a 10-bit exponent field
//!   and a 22-bit mantissa ([`magnitude_key_complex`]), computed with
//!   integer operations only: both parts' 24-bit mantissas are aligned to
//!   the larger exponent (truncating the smaller), `a^2 + b^2` is formed
//!   exactly in two 24-bit limbs, and its leading 23 bits with the
//!   exponent make the key. No float arithmetic is involved, so the GPU
//!   kernels and the CPU twin compute the same key bit for bit (drivers may
//!   fuse or flush float operations, integer ones are exact). The key never
//!   under- or overflows over the whole f32 range (it is 0 only for
//!   `z = 0`), and scaling the input by a power of two `2^j` adds the same
//!   `2j` to the exponent field of every key, so the kept set does not
//!   change (as long as the parts stay normal floats). The truncation makes
//!   magnitudes within about `2^-22` relative of each other tie; ties keep
//!   the lower position, as always.
//!
//! NaN or infinity anywhere in the input is an [`Error::InvalidArgument`]
//! naming the first offending index, on both backends.
//!
//! # GPU algorithm
//!
//! *Radix select* finds the threshold key `T` (the k-th largest key) in four
//! passes of 8 bits, most significant digit first. Each pass is a histogram
//! kernel (`topk_histogram.wgsl`: 256 bins in workgroup-memory atomics,
//! flushed to a global histogram with `atomicAdd`, counting only keys whose
//! higher digits match the prefix chosen so far; the first pass also flags
//! non-finite input with an `atomicMin` on the index) followed by a
//! single-invocation scan (`topk_digit.wgsl`) that walks the bins from the
//! top, finds the digit holding the k-th largest key and extends the prefix.
//! Everything stays on the GPU: later passes read the prefix from a small
//! state buffer. When a whole bin is kept (keys above it plus the bin make
//! exactly `k`), the selection ends early and the remaining passes return at
//! once; the threshold is then reported as one below the bin's lowest key
//! with no ties to keep.
//!
//! *Compaction* then writes the kept entries in ascending position order:
//! `topk_block_count.wgsl` counts per block of 1024 elements the keys above
//! `T` and equal to `T`; `topk_scan.wgsl` (one workgroup) turns these into
//! each block's first output slot and how many of its ties still fall within
//! `need_ties = k - above` (ties are kept lowest position first);
//! `topk_scatter.wgsl` ranks every element inside its block with a workgroup
//! prefix sum and writes its position (u32) and value to its slot.
//!
//! Inputs larger than one storage binding (`max_storage_buffer_binding_size`,
//! 128 MiB on lavapipe) are processed in windows of whole blocks, each bound
//! as an aligned sub-range of the buffer; outputs are bound per window at the
//! slots that window fills, which the host learns from one small readback
//! (32 bytes of state plus one word per window) between the selection and
//! the scatter. Dispatches beyond the per-dimension workgroup limit use 2-D
//! grids.
//!
//! # CPU twin
//!
//! The same keys and rule: a two-pass radix select (16 + 16 bits) with rayon
//! histograms, then per-chunk counts and a parallel scatter
//! ([`top_k_cpu_f32`], [`top_k_cpu_complex`]).
//!
//! # Limits
//!
//! Positions are `u32`: inputs hold at most `u32::MAX` elements.

mod cpu;
mod gpu;

pub(crate) use gpu::fits_one_window;

use std::sync::Arc;

use rustfft::num_complex::Complex32;

use crate::backend::{BufferSlice, Completed, Context, GpuBuffer, Recording};
use crate::error::{Error, Result};
use crate::tensor::{GpuElement, GpuTensor};

const ABS_MASK: u32 = 0x7fff_ffff;
/// Mantissa bits of a complex key (below its 10-bit exponent field).
const COMPLEX_KEY_MANTISSA: u32 = 22;

/// The magnitude key of an `f32`: the bit pattern of `|x|`.
///
/// Keys compare like magnitudes for finite values (and `+inf`).
pub fn magnitude_key_f32(x: f32) -> u32 {
    x.to_bits() & ABS_MASK
}

/// The magnitude key of a complex value: `|z|^2` in a 32-bit
/// floating-point-like code (10-bit exponent, 22-bit truncated mantissa)
/// computed with integer arithmetic only (see [`crate::topk`], *Keys*).
///
/// The key never under- or overflows for finite `f32` parts (subnormal
/// parts included), is 0 only for `z = 0`, orders like `|z|` (a larger
/// magnitude never gets a smaller key), and scaling `z` by `2^j` adds
/// `2j << 22` to the key of every non-zero value whose parts stay normal,
/// so the order of keys is unchanged.
pub fn magnitude_key_complex(z: Complex32) -> u32 {
    complex_key_f64(z.re.to_bits(), z.im.to_bits())
}

/// Each part as m * 2^(e - 150) with a 24-bit integer mantissa m, both
/// aligned to the larger exponent `e` (truncating): `(e, a, b)`.
fn aligned_mantissas(w0: u32, w1: u32) -> (u32, u32, u32) {
    let parts = |w: u32| {
        let bits = w & ABS_MASK;
        let field = bits >> 23;
        let implicit = if field > 0 { 0x80_0000 } else { 0 };
        (field.max(1), (bits & 0x7f_ffff) | implicit)
    };
    let (ex, mx) = parts(w0);
    let (ey, my) = parts(w1);
    let e = ex.max(ey);
    // m < 2^24, so shifts of 24 and more give 0.
    let align = |m: u32, d: u32| m >> d.min(31);
    (e, align(mx, e - ex), align(my, e - ey))
}

/// [`complex_key`] computed the short way on the CPU: the aligned integer
/// mantissas are below 2^24, so `s = a^2 + b^2 < 2^49` is exact in an f64,
/// whose exponent is the leading bit of `s` and whose top mantissa bits are
/// the (truncated) bits below it. Same key, bit for bit (tested against
/// [`complex_key`]), at a fraction of the operations, and without branches,
/// so a loop of keys vectorises.
#[inline(always)]
fn complex_key_f64(w0: u32, w1: u32) -> u32 {
    let (e, a, b) = aligned_mantissas(w0, w1);
    // Below 2^24, so the signed conversion (which vectorises) is exact.
    let (a, b) = (f64::from(a as i32), f64::from(b as i32));
    let s = a * a + b * b;
    let bits = s.to_bits();
    // The f64 exponent field is 1023 + lead; the key's is lead + 2e - 1.
    let field = (bits >> 52) as u32;
    let below = ((bits >> 30) & 0x3f_ffff) as u32;
    let key = ((field + 2 * e).wrapping_sub(1024) << COMPLEX_KEY_MANTISSA) | below;
    if s == 0.0 {
        0
    } else {
        key
    }
}

/// [`magnitude_key_complex`] of the parts' bit patterns. Mirrors
/// `topk_key` in `shaders/common/topk_key.wgsl` operation for operation;
/// the CPU computes the same key through [`complex_key_f64`].
#[cfg(test)]
fn complex_key(w0: u32, w1: u32) -> u32 {
    let (e, a, b) = aligned_mantissas(w0, w1);
    // s = a^2 + b^2 exactly (< 2^49) as high * 2^24 + low, from 12-bit halves.
    let (ah, al, bh, bl) = (a >> 12, a & 0xfff, b >> 12, b & 0xfff);
    let mid = 2 * (ah * al + bh * bl);
    let low = al * al + bl * bl + ((mid & 0xfff) << 12);
    let high = ah * ah + bh * bh + (mid >> 12) + (low >> 24);
    let low = low & 0xff_ffff;
    if high == 0 && low == 0 {
        return 0;
    }
    // Leading bit of s and the 23 bits below it.
    let lead = if high > 0 {
        55 - high.leading_zeros()
    } else {
        31 - low.leading_zeros()
    };
    let window = if lead < 23 {
        low << (23 - lead)
    } else if lead - 23 >= 24 {
        high >> (lead - 47)
    } else {
        let sh = lead - 23;
        (high << (24 - sh)) | (low >> sh)
    };
    // |z|^2 = s * 2^(2e - 300) lies in [2^(lead + 2e - 300), twice that):
    // exponent field lead + 2e - 1, in 1..=558.
    let exponent = lead + 2 * e - 1;
    (exponent << COMPLEX_KEY_MANTISSA) | ((window & 0x7f_ffff) >> 1)
}

/// Element types top-k accepts.
pub(crate) trait Element: Copy + Default + Send + Sync + bytemuck::Pod {
    /// 32-bit words per element on the GPU.
    const WORDS: u32;
    /// NaN or infinity.
    fn is_bad(self) -> bool;
    /// Writes the key of every value into `keys` (the same length) and
    /// tells whether any value is NaN or infinite.
    fn keys_into(values: &[Self], keys: &mut [u32]) -> bool;
}

/// Whether the f32 bit pattern `w` is a NaN or an infinity.
#[inline(always)]
fn bad_bits(w: u32) -> bool {
    w & 0x7f80_0000 == 0x7f80_0000
}

impl Element for f32 {
    const WORDS: u32 = 1;
    fn is_bad(self) -> bool {
        !self.is_finite()
    }
    fn keys_into(values: &[f32], keys: &mut [u32]) -> bool {
        let mut bad = false;
        for (k, v) in keys.iter_mut().zip(values) {
            let w = v.to_bits();
            *k = w & ABS_MASK;
            bad |= bad_bits(w);
        }
        bad
    }
}

impl Element for Complex32 {
    const WORDS: u32 = 2;
    fn is_bad(self) -> bool {
        !(self.re.is_finite() && self.im.is_finite())
    }
    fn keys_into(values: &[Complex32], keys: &mut [u32]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has the feature the function is compiled for.
            return unsafe { complex_keys_avx2(values, keys) };
        }
        complex_keys(values, keys)
    }
}

/// [`Element::keys_into`] for complex values, compiled with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn complex_keys_avx2(values: &[Complex32], keys: &mut [u32]) -> bool {
    complex_keys(values, keys)
}

#[inline(always)]
fn complex_keys(values: &[Complex32], keys: &mut [u32]) -> bool {
    let mut bad = false;
    for (k, z) in keys.iter_mut().zip(values) {
        let (w0, w1) = (z.re.to_bits(), z.im.to_bits());
        *k = complex_key_f64(w0, w1);
        bad |= bad_bits(w0) | bad_bits(w1);
    }
    bad
}

/// How a selection splits the keys: every key above `key` is kept (there
/// are `above` of them), and of the keys equal to `key` the `need_ties`
/// with the lowest positions; `above + need_ties == k`.
///
/// The CPU twin reports `key` = the k-th largest key (so `need_ties >= 1`).
/// The GPU reports the same unless its radix select ended early on a digit
/// bin that is kept whole; then `key` is one below that bin's lowest
/// possible key, `above == k` and `need_ties == 0`. Both describe the same
/// kept set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TopKThreshold {
    /// The threshold key (see [`magnitude_key_f32`], [`magnitude_key_complex`]).
    pub key: u32,
    /// Number of keys strictly above `key`.
    pub above: u32,
    /// Number of keys equal to `key` that are kept (lowest positions first).
    pub need_ties: u32,
}

/// The result of a top-k selection on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct TopK<T> {
    /// Kept positions, strictly ascending; `k` of them.
    pub positions: Vec<u32>,
    /// The values at `positions`, bit for bit as in the input.
    pub values: Vec<T>,
    /// Where the selection drew the line.
    pub threshold: TopKThreshold,
}

impl<T> TopK<T> {
    /// Number of kept entries (`k`).
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether nothing was kept (`k = 0`).
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }
}

/// The result of [`Context::top_k_gpu`], left on the GPU so a later stage can
/// use it without a host round trip.
#[derive(Debug)]
pub struct GpuTopK {
    /// `count` kept positions as `u32`, ascending (the buffer may be larger).
    pub positions: GpuBuffer,
    /// The kept values, shape `[count]`, same dtype as the input (for
    /// `count = 0` shape `[1]` holding an unused element, as GPU tensors
    /// are never empty).
    pub values: GpuTensor,
    /// Number of kept entries (`k`).
    pub count: usize,
    /// Where the selection drew the line.
    pub threshold: TopKThreshold,
}

impl GpuTopK {
    /// Copies the positions to the host.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the readback fails.
    pub fn positions_to_host(&self) -> Result<Vec<u32>> {
        let mut rec = self.values.context().recording("topk positions")?;
        let positions = rec.read_back(&self.positions.slice().sub(0, self.count as u64 * 4)?)?;
        rec.submit()?.wait()?.take(positions)
    }
}

/// A top-k selection recorded by [`Context::record_top_k`]: its outputs are
/// valid once the recording's submission completes.
pub struct RecordedTopK {
    ctx: Context,
    pending: gpu::PendingSelect,
    dtype: GpuElement,
    count: usize,
}

impl std::fmt::Debug for RecordedTopK {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedTopK")
            .field("dtype", &self.dtype)
            .field("count", &self.count)
            .finish()
    }
}

impl RecordedTopK {
    /// Number of kept entries (`k`).
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether nothing is kept (`k = 0`).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The kept positions (`u32`, ascending), `4 k` bytes.
    pub fn positions(&self) -> BufferSlice {
        self.pending
            .positions
            .slice()
            .sub(0, self.count as u64 * 4)
            .expect("the positions buffer holds k words")
    }

    /// The kept values, bit for bit as in the input, `k` elements.
    pub fn values(&self) -> BufferSlice {
        let elem = self.dtype.size() as u64;
        self.pending
            .values
            .slice()
            .sub(0, self.count as u64 * elem)
            .expect("the values buffer holds k elements")
    }

    /// Checks the selection in the completed submission and returns its
    /// outputs as a GPU-resident result.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the first non-finite input element;
    /// [`Error::Gpu`] for an inconsistent selection state; a readback error
    /// when `done` is not the submission this selection was recorded in.
    pub fn finish(self, done: &Completed) -> Result<GpuTopK> {
        let selected = self.pending.finish(done)?;
        let values =
            GpuTensor::from_buffer(&self.ctx, selected.values, &[self.count.max(1)], self.dtype)?;
        Ok(GpuTopK {
            positions: selected.positions,
            values,
            count: self.count,
            threshold: selected.threshold,
        })
    }
}

/// Tuning knobs of the GPU path, mainly to exercise the windowed and 2-D
/// grid code on small inputs. The defaults follow the device limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TopKOptions {
    /// Elements per window (rounded down to a multiple of 1024, at least
    /// 1024); never more than one storage binding holds.
    pub window_elems: Option<usize>,
    /// Workgroups per grid dimension; never more than the device allows.
    pub max_groups_per_dim: Option<u32>,
}

/// Checks `k <= len` and `len <= u32::MAX`.
fn check_k(len: usize, k: usize) -> Result<()> {
    if len > u32::MAX as usize {
        return Err(Error::invalid(
            "data",
            format!(
                "{len} elements; top-k positions are u32, so at most {} are supported",
                u32::MAX
            ),
        ));
    }
    if k > len {
        return Err(Error::invalid(
            "k",
            format!("k = {k} exceeds the input length {len}"),
        ));
    }
    Ok(())
}

/// Top-k of `f32` data by `|x|` on the CPU twin.
///
/// # Errors
/// [`Error::InvalidArgument`] when `k` exceeds `data.len()`, when
/// `data` has more than `u32::MAX` elements, or when it holds a NaN or an
/// infinity (naming the first such index).
pub fn top_k_cpu_f32(data: &[f32], k: usize) -> Result<TopK<f32>> {
    cpu::top_k(data, k)
}

/// Top-k of complex data by `|z|^2` (see [`magnitude_key_complex`]) on the
/// CPU twin.
///
/// # Errors
/// As [`top_k_cpu_f32`]; a NaN or infinity in either part is an error.
pub fn top_k_cpu_complex(data: &[Complex32], k: usize) -> Result<TopK<Complex32>> {
    cpu::top_k(data, k)
}

/// The positions (ascending) that [`top_k_cpu_f32`] or
/// [`top_k_cpu_complex`] keep, without their values.
///
/// # Errors
/// As [`top_k_cpu_f32`].
pub(crate) fn top_k_positions_cpu<T: Element>(data: &[T], k: usize) -> Result<Vec<u64>> {
    check_k(data.len(), k)?;
    cpu::top_k_positions(data, k)
}

impl Context {
    /// The `k` entries of `data` of largest `|x|`, positions ascending, on
    /// the context's backend (see [`crate::topk`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `k` exceeds `data.len()`, for
    /// more than `u32::MAX` elements, or when `data` holds a NaN or an
    /// infinity (naming the first such index). On the GPU also device-limit,
    /// budget and [`Error::Gpu`] errors.
    pub fn top_k_f32(&self, data: &[f32], k: usize) -> Result<TopK<f32>> {
        self.top_k_host(data, k)
    }

    /// The `k` entries of `data` of largest magnitude (by the key of
    /// [`magnitude_key_complex`]), positions ascending, on the context's
    /// backend.
    ///
    /// # Errors
    /// As [`Context::top_k_f32`]; a NaN or infinity in either part is an error.
    pub fn top_k_complex(&self, data: &[Complex32], k: usize) -> Result<TopK<Complex32>> {
        self.top_k_host(data, k)
    }

    fn top_k_host<T: Element>(&self, data: &[T], k: usize) -> Result<TopK<T>> {
        check_k(data.len(), k)?;
        if self.gpu().is_none() {
            return cpu::top_k(data, k);
        }
        let options = TopKOptions::default();
        let dtype = if T::WORDS == 2 {
            GpuElement::Complex32
        } else {
            GpuElement::F32
        };
        if gpu::fits_one_window(self, data.len(), T::WORDS, &options)? {
            // One submission: upload, select, scatter and readbacks together.
            let mut rec = self.recording("topk")?;
            let input = rec.upload("topk input", data)?;
            let recorded = self.record_top_k(&mut rec, &input, dtype, data.len(), k)?;
            let positions = rec.read_back(&recorded.positions())?;
            let values = rec.read_back(&recorded.values())?;
            let mut done = rec.submit()?.wait()?;
            let positions = done.take(positions)?;
            let values = done.take(values)?;
            let selected = recorded.finish(&done)?;
            return Ok(TopK {
                positions,
                values,
                threshold: selected.threshold,
            });
        }
        // Several windows (see `gpu::select` for why that takes a host step).
        let device = self.gpu().ok_or(Error::NoGpu { op: "top-k" })?;
        let input = device.storage_from("topk input", data)?;
        let selected = gpu::select(self, &input.slice(), data.len(), T::WORDS, k, &options)?;
        drop(input);
        let mut rec = self.recording("topk readback")?;
        let positions = rec.read_back(&selected.positions.slice().sub(0, k as u64 * 4)?)?;
        let values = rec.read_back(
            &selected
                .values
                .slice()
                .sub(0, (k * std::mem::size_of::<T>()) as u64)?,
        )?;
        let mut done = rec.submit()?.wait()?;
        Ok(TopK {
            positions: done.take(positions)?,
            values: done.take(values)?,
            threshold: selected.threshold,
        })
    }

    /// Records the top-k of the `len` elements of `dtype` in `src` (f32 by
    /// `|x|`, complex by [`magnitude_key_complex`]) into `rec`: radix select,
    /// block scan and scatter with no host step between them, so work
    /// recorded later can use the kept positions and values in the same
    /// submission. Take the result with [`RecordedTopK::finish`] from the
    /// completed submission.
    ///
    /// ```no_run
    /// use fft_tensor::{Context, DeviceChoice, GpuElement};
    /// let ctx = Context::new(DeviceChoice::Gpu)?;
    /// let data = [0.5f32, -2.0, 1.0, 2.0, 2.0];
    /// let mut rec = ctx.recording("top-k")?;
    /// let input = rec.upload("input", &data)?;
    /// let top = ctx.record_top_k(&mut rec, &input, GpuElement::F32, data.len(), 2)?;
    /// let positions = rec.read_back(&top.positions())?;
    /// let mut done = rec.submit()?.wait()?;
    /// let positions: Vec<u32> = done.take(positions)?;
    /// let top = top.finish(&done)?; // checks the input was finite
    /// assert_eq!(positions, [1, 3]);
    /// # Ok::<(), fft_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `k` above `len`, more than `u32::MAX`
    /// elements, or `src` smaller than `len` elements;
    /// [`Error::DeviceLimit`] when the input exceeds one storage binding
    /// (use [`Context::top_k_gpu`], which splits it into windows at the
    /// cost of a second submission); pipeline and budget errors.
    pub fn record_top_k(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        dtype: GpuElement,
        len: usize,
        k: usize,
    ) -> Result<RecordedTopK> {
        check_k(len, k)?;
        let words = match dtype {
            GpuElement::F32 => 1,
            GpuElement::Complex32 => 2,
        };
        let bytes = len as u64 * u64::from(words) * 4;
        if src.size() < bytes {
            return Err(Error::shape("record_top_k input bytes", bytes, src.size()));
        }
        let pending = gpu::record_select(
            rec,
            &src.sub(0, bytes)?,
            len,
            words,
            k,
            &TopKOptions::default(),
        )?
        .ok_or(Error::DeviceLimit {
            what: "storage binding size (one top-k window)",
            requested: bytes,
            max: rec.gpu().max_binding_bytes(),
        })?;
        Ok(RecordedTopK {
            ctx: self.clone(),
            pending,
            dtype,
            count: k,
        })
    }

    /// Top-k of a GPU-resident tensor (f32 by `|x|`, complex by `|z|^2`,
    /// all elements regardless of shape), with the result left on the GPU.
    ///
    /// Apart from the result, only a few words of selection state travel to
    /// the host (to report non-finite input and to place each window's
    /// output).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] on the CPU backend, for a tensor of another
    /// context, for `k` above the length, more than `u32::MAX` elements, or
    /// non-finite input (naming the first such index); device-limit, budget
    /// and [`Error::Gpu`] errors.
    pub fn top_k_gpu(&self, tensor: &GpuTensor, k: usize) -> Result<GpuTopK> {
        self.top_k_gpu_with(tensor, k, &TopKOptions::default())
    }

    /// As [`Context::top_k_gpu`], with explicit [`TopKOptions`].
    ///
    /// # Errors
    /// As [`Context::top_k_gpu`].
    pub fn top_k_gpu_with(
        &self,
        tensor: &GpuTensor,
        k: usize,
        options: &TopKOptions,
    ) -> Result<GpuTopK> {
        if self.gpu().is_none() {
            return Err(Error::NoGpu { op: "top_k_gpu" });
        }
        if !Arc::ptr_eq(&tensor.context().inner, &self.inner) {
            return Err(Error::invalid(
                "tensor",
                "the tensor belongs to another context",
            ));
        }
        let n = tensor.len();
        check_k(n, k)?;
        let words = match tensor.dtype() {
            GpuElement::F32 => 1,
            GpuElement::Complex32 => 2,
        };
        let selected = gpu::select(self, &tensor.slice(), n, words, k, options)?;
        let values = GpuTensor::from_buffer(self, selected.values, &[k.max(1)], tensor.dtype())?;
        Ok(GpuTopK {
            positions: selected.positions,
            values,
            count: k,
            threshold: selected.threshold,
        })
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn the_f64_key_is_the_integer_key_bit_for_bit() {
        let edges = [
            0u32,
            1,
            2,
            0x7f_ffff,
            0x80_0000,
            0x80_0001,
            0x3f80_0000,
            0x3f80_0001,
            0x4b80_0000,
            0x7f7f_ffff,
            0x7f7f_fffe,
            0x8000_0001,
            0x0c00_0000,
        ];
        for &x in &edges {
            for &y in &edges {
                assert_eq!(complex_key_f64(x, y), complex_key(x, y), "{x:#x} {y:#x}");
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1_000_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (x, y) = ((state >> 32) as u32, state as u32);
            // Finite parts only (exponent field below 255), near and far apart.
            let (x, y) = (
                x & 0xbf7f_ffff,
                y & 0xbf7f_ffff ^ ((state >> 7) as u32 & 0x3c00_0000),
            );
            assert_eq!(complex_key_f64(x, y), complex_key(x, y), "{x:#x} {y:#x}");
        }
    }
}
