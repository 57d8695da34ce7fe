//! One VkFFT application with its buffers: a fixed shape, batch count, kind
//! and direction, run on host bytes.

use std::time::Duration;

use super::device::{Buffer, Device};
use super::ffi;
use crate::error::{Error, Result};

/// What a [`Transform`] computes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    /// Transformed lengths, fastest axis first (1 to 3 of them).
    pub(super) dims: Vec<usize>,
    pub(super) batches: usize,
    /// Real-to-complex forward / complex-to-real inverse (axis 0 real).
    pub(super) real: bool,
    pub(super) inverse: bool,
}

impl Key {
    /// Bytes of the in-place buffer: complex points, with real rows padded
    /// to `2 (n0 / 2 + 1)` floats.
    pub(super) fn bytes(&self) -> u64 {
        let first = if self.real {
            self.dims[0] / 2 + 1
        } else {
            self.dims[0]
        };
        let rest: usize = self.dims[1..].iter().product();
        (first * rest * self.batches * 8) as u64
    }
}

/// A VkFFT code that is not success (the `VkFFTResult` values of `vkFFT.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VkFftError {
    /// The `VkFFTResult` code.
    pub code: i32,
}

impl std::fmt::Display for VkFftError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "VkFFT returned error code {} (a VkFFTResult of vkFFT.h)",
            self.code
        )
    }
}

impl std::error::Error for VkFftError {}

/// `VKFFT_ERROR_UNSUPPORTED_RADIX` .. `VKFFT_ERROR_UNSUPPORTED_FFT_OMIT`:
/// lengths VkFFT does not run (length 1 is one of them).
const UNSUPPORTED_RADIX: i32 = 3001;
const UNSUPPORTED_OMIT: i32 = 3005;

fn check(code: i32, during: &'static str) -> Result<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(Error::Gpu {
            during,
            source: Box::new(VkFftError { code }),
        })
    }
}

fn largest_prime_factor(mut n: usize) -> usize {
    let mut largest = 1;
    let mut p = 2;
    while p * p <= n {
        while n.is_multiple_of(p) {
            largest = p;
            n /= p;
        }
        p += 1;
    }
    largest.max(n)
}

pub(super) struct Transform {
    plan: *mut ffi::RawPlan,
    inverse: bool,
    /// The buffer VkFFT transforms in place.
    work: Buffer,
    /// The input, kept for repeated timed runs.
    pristine: Buffer,
    /// Host-visible: input in, output out.
    staging: Buffer,
}

// SAFETY: the raw plan and buffers are only used under the owning VkFft's
// lock, and VkFFT keeps no thread-local state.
unsafe impl Send for Transform {}

impl Transform {
    pub(super) fn new(dev: &Device, key: &Key) -> Result<Self> {
        if let Some(&len) = key.dims.iter().find(|&&n| largest_prime_factor(n) > 13) {
            // Bluestein's algorithm in VkFFT 1.2.26 wrote only zeros on
            // lavapipe (17, 1009, 4097, 16411, 65537 points), without an error.
            return Err(Error::UnsupportedLength {
                len,
                reason: "VkFFT 1.2 runs lengths with prime factors up to 13 only here \
                         (its Bluestein path returned zeros)"
                    .into(),
            });
        }
        if key.real && key.dims[0] % 2 == 1 {
            // VkFFT 1.2.26 returns zeros for odd real lengths without an error.
            return Err(Error::UnsupportedLength {
                len: key.dims[0],
                reason: "VkFFT 1.2 runs real transforms of even lengths only".into(),
            });
        }
        let bytes = key.bytes();
        let mut t = Transform {
            plan: std::ptr::null_mut(),
            inverse: key.inverse,
            work: dev.buffer(bytes, false)?,
            pristine: dev.buffer(0, false)?,
            staging: dev.buffer(0, false)?,
        };
        if let Err(e) = t.build(dev, key, bytes) {
            t.free(dev);
            return Err(e);
        }
        Ok(t)
    }

    fn build(&mut self, dev: &Device, key: &Key, bytes: u64) -> Result<()> {
        self.pristine.free(dev);
        self.pristine = dev.buffer(bytes, false)?;
        self.staging.free(dev);
        self.staging = dev.buffer(bytes, true)?;
        let mut size = [1u64; 3];
        for (s, &d) in size.iter_mut().zip(&key.dims) {
            *s = d as u64;
        }
        let handles = ffi::Handles {
            physical: dev.physical,
            device: dev.device.handle(),
            queue: dev.queue,
            pool: dev.pool,
            fence: dev.plan_fence,
        };
        let desc = ffi::Desc {
            dims: key.dims.len() as u64,
            size,
            batches: key.batches as u64,
            real: u64::from(key.real),
            only: if key.inverse { 2 } else { 1 },
            buffer: self.work.buffer,
            buffer_bytes: bytes,
        };
        // SAFETY: the handles are live for the device's life (longer than
        // the plan's), `work` outlives the plan, and `plan` receives a
        // pointer only on success.
        let code = unsafe { ffi::ftvk_plan_new(&handles, &desc, &mut self.plan) };
        if (UNSUPPORTED_RADIX..=UNSUPPORTED_OMIT).contains(&code) {
            return Err(Error::UnsupportedLength {
                len: key.dims.iter().product(),
                reason: format!("VkFFT does not run shape {:?} (code {code})", key.dims),
            });
        }
        check(code, "creating a VkFFT plan")
    }

    /// Transforms `input` (exactly the buffer's bytes) `runs` times from the
    /// same input, returning the time of each run; the output of the last
    /// run is then in [`Self::output`].
    pub(super) fn run(&mut self, dev: &Device, input: &[u8], runs: usize) -> Result<Vec<Duration>> {
        let bytes = self.work.bytes;
        if input.len() as u64 != bytes {
            return Err(Error::invalid(
                "VkFFT input",
                "size differs from the plan's buffer",
            ));
        }
        self.staging.host_bytes().copy_from_slice(input);
        dev.copy(&self.staging, &self.pristine, bytes)?;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            dev.copy(&self.pristine, &self.work, bytes)?;
            let mut code = 0;
            let t = dev.submit("running a VkFFT plan", |cmd, timer| {
                timer.mark(cmd, false);
                // SAFETY: the plan is live and records into a command
                // buffer in the recording state.
                code = unsafe { ffi::ftvk_plan_append(self.plan, cmd, i32::from(self.inverse)) };
                timer.mark(cmd, true);
                check(code, "recording a VkFFT plan")
            })?;
            times.push(t);
        }
        dev.copy(&self.work, &self.staging, bytes)?;
        Ok(times)
    }

    /// The output bytes of the last [`Self::run`].
    pub(super) fn output(&mut self) -> &[u8] {
        self.staging.host_bytes()
    }

    pub(super) fn free(&mut self, dev: &Device) {
        // SAFETY: no submission is pending (every submit waits).
        unsafe { ffi::ftvk_plan_free(self.plan) };
        self.plan = std::ptr::null_mut();
        self.work.free(dev);
        self.pristine.free(dev);
        self.staging.free(dev);
    }
}
