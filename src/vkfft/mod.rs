//! VkFFT (feature `vkfft`): the same transforms as the WGSL path, run by
//! VkFFT 1.2 on its own Vulkan instance and device, as a yardstick for
//! speed and accuracy on the same hardware.
//!
//! The API mirrors [`Context`](crate::Context)'s host forms for what VkFFT
//! covers: batched complex FFTs ([`VkFft::plan_fft`], [`VkFft::fft`]),
//! complex, real-to-complex and complex-to-real transforms over the last
//! one to three axes of a tensor ([`VkFft::fftn`], [`VkFft::rfftn`],
//! [`VkFft::irfftn`]), host slices in and out, with the crate's
//! [`Normalization`] (applied on the host after the transform). The timed
//! forms ([`VkFft::fftn_timed`], [`VkFft::rfftn_timed`]) repeat a transform
//! from the same input and return each run's GPU time (timestamp queries,
//! else the submission's wall time).
//!
//! Plans (one VkFFT application per shape, batch count and direction; each
//! compiles its shaders with glslang, 0.1-0.3 s on lavapipe) are cached, the
//! most recent [`PLAN_CACHE`] of them.
//!
//! Building needs Debian's `libvulkan-dev libvkfft-dev glslang-dev
//! spirv-tools`; the default build needs none of it.
//!
//! ```no_run
//! use fft_tensor::vkfft::VkFft;
//! use fft_tensor::{FftDirection, Normalization};
//! use fft_tensor::num_complex::Complex32;
//!
//! let vk = VkFft::new()?;
//! let mut data = vec![Complex32::new(1.0, 0.0); 8 * 1024];
//! vk.fft(&mut data, 1024, FftDirection::Forward, Normalization::Backward)?;
//! # Ok::<(), fft_tensor::Error>(())
//! ```

mod device;
mod ffi;
mod transform;

use std::sync::Mutex;
use std::time::Duration;

use rustfft::num_complex::Complex32;

pub use transform::VkFftError;

use crate::error::{Error, Result};
use crate::fft::{FftDirection, Normalization};
use crate::tensor::Tensor;
use device::Device;
use transform::{Key, Transform};

/// How many VkFFT plans (with their buffers) a [`VkFft`] keeps.
pub const PLAN_CACHE: usize = 3;

/// VkFFT on one Vulkan device. Calls are serialised by an internal lock.
pub struct VkFft {
    inner: Mutex<Inner>,
    name: String,
    timestamps: bool,
}

struct Inner {
    /// Most recently used last.
    plans: Vec<(Key, Transform)>,
    device: Device,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for (_, t) in &mut self.plans {
            t.free(&self.device);
        }
    }
}

impl std::fmt::Debug for VkFft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VkFft").field("device", &self.name).finish()
    }
}

/// A batched 1-D complex FFT of one length and direction (as
/// [`FftPlan`](crate::FftPlan)).
#[derive(Debug, Clone, Copy)]
pub struct VkFftPlan<'a> {
    vk: &'a VkFft,
    len: usize,
    direction: FftDirection,
    normalization: Normalization,
}

impl VkFftPlan<'_> {
    /// The line length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: plans have at least one point.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Transforms every line of `data` (a non-zero multiple of
    /// [`Self::len`] points) in place.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for other sizes; [`Error::Gpu`] for Vulkan
    /// and VkFFT failures (a [`VkFftError`] source for VkFFT's codes).
    pub fn process(&self, data: &mut [Complex32]) -> Result<()> {
        if data.is_empty() || !data.len().is_multiple_of(self.len) {
            return Err(Error::shape(
                "VkFftPlan input",
                format!("a non-zero multiple of {} elements", self.len),
                data.len(),
            ));
        }
        let key = Key {
            dims: vec![self.len],
            batches: data.len() / self.len,
            real: false,
            inverse: self.direction == FftDirection::Inverse,
        };
        let input = data.to_vec();
        self.vk.run(&key, bytemuck::cast_slice(&input), data, 1)?;
        scale(data, self.normalization.factor(self.len, self.direction));
        Ok(())
    }
}

fn scale<T: std::ops::MulAssign<f32>>(data: &mut [T], factor: f32) {
    if factor != 1.0 {
        for v in data {
            *v *= factor;
        }
    }
}

/// Transformed lengths (fastest first) and batch count for `axes` of
/// `shape`: VkFFT runs the last one to three axes.
fn split_axes(shape: &[usize], axes: &[usize]) -> Result<(Vec<usize>, usize)> {
    let d = shape.len();
    let k = axes.len();
    if k == 0 || k > 3 || k > d || axes.iter().copied().ne(d - k..d) {
        return Err(Error::invalid(
            "axes",
            "VkFFT transforms the last one to three axes, listed in order",
        ));
    }
    if let Some(&len) = shape[d - k..].iter().find(|&&n| n == 0) {
        return Err(Error::UnsupportedLength {
            len,
            reason: "length must be at least 1".into(),
        });
    }
    let dims = shape[d - k..].iter().rev().copied().collect();
    Ok((dims, shape[..d - k].iter().product()))
}

impl VkFft {
    /// VkFFT on the first Vulkan device with a compute queue, real GPUs
    /// before software ones.
    ///
    /// # Errors
    /// [`Error::NoAdapter`] without a Vulkan loader or device;
    /// [`Error::DeviceRequest`] / [`Error::Gpu`] when creating it fails.
    pub fn new() -> Result<Self> {
        Self::open(None)
    }

    /// VkFFT on the Vulkan device whose name contains `name` (for example
    /// the adapter name of a [`Context`](crate::Context)'s GPU, to compare
    /// both on the same device).
    ///
    /// # Errors
    /// As [`VkFft::new`], and [`Error::NoAdapter`] when no device matches.
    pub fn with_device_name(name: &str) -> Result<Self> {
        Self::open(Some(name))
    }

    fn open(name: Option<&str>) -> Result<Self> {
        let device = Device::open(name)?;
        Ok(VkFft {
            name: device.name.clone(),
            timestamps: device.has_timestamps(),
            inner: Mutex::new(Inner {
                plans: Vec::new(),
                device,
            }),
        })
    }

    /// The Vulkan device's name.
    pub fn device_name(&self) -> &str {
        &self.name
    }

    /// Whether the timed forms measure GPU time (timestamp queries) rather
    /// than wall time.
    pub fn has_timestamps(&self) -> bool {
        self.timestamps
    }

    /// A batched complex FFT of length `len`.
    ///
    /// # Errors
    /// [`Error::UnsupportedLength`] for zero; VkFFT's own limits show when
    /// the plan first runs.
    pub fn plan_fft(
        &self,
        len: usize,
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<VkFftPlan<'_>> {
        if len == 0 {
            return Err(Error::UnsupportedLength {
                len,
                reason: "length must be at least 1".into(),
            });
        }
        Ok(VkFftPlan {
            vk: self,
            len,
            direction,
            normalization,
        })
    }

    /// Transforms every `len`-line of `data` in place (as
    /// [`Context::fft`](crate::Context::fft)).
    ///
    /// # Errors
    /// As [`VkFft::plan_fft`] and [`VkFftPlan::process`].
    pub fn fft(
        &self,
        data: &mut [Complex32],
        len: usize,
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()> {
        self.plan_fft(len, direction, normalization)?.process(data)
    }

    /// Complex FFT over `axes` (the last one to three, in order) in place.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for other axes; [`Error::UnsupportedLength`]
    /// for a zero-length axis; [`Error::Gpu`] for Vulkan and VkFFT failures.
    pub fn fftn(
        &self,
        tensor: &mut Tensor<Complex32>,
        axes: &[usize],
        direction: FftDirection,
        normalization: Normalization,
    ) -> Result<()> {
        let n = self.fftn_inner(tensor, axes, direction, 1)?.0;
        scale(tensor.data_mut(), normalization.factor(n, direction));
        Ok(())
    }

    /// As [`VkFft::fftn`] without normalisation, `runs` times from the same
    /// input; returns each run's time (the result is that of one run).
    ///
    /// # Errors
    /// As [`VkFft::fftn`].
    pub fn fftn_timed(
        &self,
        tensor: &mut Tensor<Complex32>,
        axes: &[usize],
        direction: FftDirection,
        runs: usize,
    ) -> Result<Vec<Duration>> {
        Ok(self.fftn_inner(tensor, axes, direction, runs)?.1)
    }

    fn fftn_inner(
        &self,
        tensor: &mut Tensor<Complex32>,
        axes: &[usize],
        direction: FftDirection,
        runs: usize,
    ) -> Result<(usize, Vec<Duration>)> {
        let (dims, batches) = split_axes(tensor.shape(), axes)?;
        let n = dims.iter().product();
        if batches == 0 {
            return Ok((n, Vec::new()));
        }
        let key = Key {
            dims,
            batches,
            real: false,
            inverse: direction == FftDirection::Inverse,
        };
        let input = tensor.data().to_vec();
        let times = self.run(&key, bytemuck::cast_slice(&input), tensor.data_mut(), runs)?;
        Ok((n, times))
    }

    /// Real FFT along the last axis (numpy's `rfft`).
    ///
    /// # Errors
    /// As [`VkFft::rfftn`].
    pub fn rfft(
        &self,
        input: &Tensor<f32>,
        normalization: Normalization,
    ) -> Result<Tensor<Complex32>> {
        let last = input.shape().len().saturating_sub(1);
        self.rfftn(input, &[last], normalization)
    }

    /// Inverse of [`VkFft::rfft`].
    ///
    /// # Errors
    /// As [`VkFft::irfftn`].
    pub fn irfft(
        &self,
        input: &Tensor<Complex32>,
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f32>> {
        let last = input.shape().len().saturating_sub(1);
        self.irfftn(input, &[last], real_len, normalization)
    }

    /// Real-to-complex FFT over `axes` (the last one to three, in order;
    /// the last axis is the real one, shortened to n/2 + 1), as
    /// [`Context::rfftn`](crate::Context::rfftn).
    ///
    /// # Errors
    /// As [`VkFft::fftn`].
    pub fn rfftn(
        &self,
        input: &Tensor<f32>,
        axes: &[usize],
        normalization: Normalization,
    ) -> Result<Tensor<Complex32>> {
        let (mut out, _) = self.rfftn_timed(input, axes, 1)?;
        let n = split_axes(input.shape(), axes)?.0.iter().product();
        scale(
            out.data_mut(),
            normalization.factor(n, FftDirection::Forward),
        );
        Ok(out)
    }

    /// As [`VkFft::rfftn`] without normalisation, `runs` times from the same
    /// input; returns the spectrum and each run's time.
    ///
    /// # Errors
    /// As [`VkFft::fftn`].
    pub fn rfftn_timed(
        &self,
        input: &Tensor<f32>,
        axes: &[usize],
        runs: usize,
    ) -> Result<(Tensor<Complex32>, Vec<Duration>)> {
        let (dims, batches) = split_axes(input.shape(), axes)?;
        let n0 = dims[0];
        let half = n0 / 2 + 1;
        let mut shape = input.shape().to_vec();
        *shape.last_mut().expect("split_axes checked the rank") = half;
        let rows = input.len() / n0;
        if batches == 0 {
            return Ok((Tensor::new(&shape, Vec::new())?, Vec::new()));
        }
        let mut padded = vec![0.0f32; rows * 2 * half];
        for (dst, src) in padded
            .chunks_exact_mut(2 * half)
            .zip(input.data().chunks_exact(n0))
        {
            dst[..n0].copy_from_slice(src);
        }
        let key = Key {
            dims,
            batches,
            real: true,
            inverse: false,
        };
        let mut spectrum = vec![Complex32::new(0.0, 0.0); rows * half];
        let times = self.run(&key, bytemuck::cast_slice(&padded), &mut spectrum, runs)?;
        Ok((Tensor::new(&shape, spectrum)?, times))
    }

    /// Complex-to-real inverse of [`VkFft::rfftn`]: the last of `axes`
    /// holds `real_len / 2 + 1` points and becomes `real_len` real ones.
    ///
    /// # Errors
    /// As [`VkFft::fftn`], and [`Error::ShapeMismatch`] when the last axis
    /// does not hold `real_len / 2 + 1` points.
    pub fn irfftn(
        &self,
        input: &Tensor<Complex32>,
        axes: &[usize],
        real_len: usize,
        normalization: Normalization,
    ) -> Result<Tensor<f32>> {
        let mut shape = input.shape().to_vec();
        let Some(last) = shape.last_mut() else {
            return Err(Error::invalid("input", "a tensor with at least one axis"));
        };
        let half = real_len / 2 + 1;
        if *last != half {
            return Err(Error::shape(
                "irfftn input's last axis",
                format!("{half} points (real_len / 2 + 1)"),
                *last,
            ));
        }
        *last = real_len;
        let (dims, batches) = split_axes(&shape, axes)?;
        let n: usize = dims.iter().product();
        if batches == 0 {
            return Tensor::new(&shape, Vec::new());
        }
        let key = Key {
            dims,
            batches,
            real: true,
            inverse: true,
        };
        let rows = input.len() / half;
        let mut padded = vec![0.0f32; rows * 2 * half];
        self.run(&key, bytemuck::cast_slice(input.data()), &mut padded, 1)?;
        let mut real = Vec::with_capacity(input.len() / half * real_len);
        for row in padded.chunks_exact(2 * half) {
            real.extend_from_slice(&row[..real_len]);
        }
        scale(&mut real, normalization.factor(n, FftDirection::Inverse));
        Tensor::new(&shape, real)
    }

    /// Runs the transform `key` on `input` `runs` times into `out` (the
    /// same number of bytes); returns the times.
    fn run<T: bytemuck::Pod>(
        &self,
        key: &Key,
        input: &[u8],
        out: &mut [T],
        runs: usize,
    ) -> Result<Vec<Duration>> {
        let mut inner = self
            .inner
            .lock()
            .map_err(|_| Error::invalid("VkFft", "a previous call panicked"))?;
        let inner = &mut *inner;
        let at = match inner.plans.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                while inner.plans.len() >= PLAN_CACHE {
                    let (_, mut old) = inner.plans.remove(0);
                    old.free(&inner.device);
                }
                let t = Transform::new(&inner.device, key)?;
                inner.plans.push((key.clone(), t));
                inner.plans.len() - 1
            }
        };
        let entry = inner.plans.remove(at);
        inner.plans.push(entry);
        let (_, t) = inner.plans.last_mut().expect("just pushed");
        let times = t.run(&inner.device, input, runs)?;
        bytemuck::cast_slice_mut::<T, u8>(out).copy_from_slice(t.output());
        Ok(times)
    }
}
