//! A submitted recording: waiting for it and reading its results back.

use std::time::Duration;

use super::memory::GpuBuffer;
use super::recording::{Readback, Timer};
use super::Context;
use crate::error::{Error, Result};

/// Recorded work on its way through the GPU.
pub struct Submission {
    pub(super) ctx: Context,
    pub(super) label: &'static str,
    pub(super) index: wgpu::SubmissionIndex,
    pub(super) keep: Vec<GpuBuffer>,
    pub(super) staged: Vec<(GpuBuffer, u64)>,
    pub(super) mapped: std::sync::mpsc::Receiver<Mapped>,
    pub(super) timer_slot: Option<usize>,
    pub(super) _query_set: Option<wgpu::QuerySet>,
}

/// What a readback's mapping callback reports: its index and the outcome.
pub(super) type Mapped = (usize, std::result::Result<(), wgpu::BufferAsyncError>);

impl std::fmt::Debug for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submission")
            .field("label", &self.label)
            .field("readbacks", &self.staged.len())
            .finish()
    }
}

impl Submission {
    /// Waits for the work and maps its readbacks.
    ///
    /// # Errors
    /// [`Error::Gpu`] when the device is lost or a readback cannot be mapped.
    pub fn wait(self) -> Result<Completed> {
        let gpu = self
            .ctx
            .gpu()
            .expect("submissions exist on GPU contexts only");
        gpu.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(self.index.clone()),
                timeout: None,
            })
            .map_err(|e| Error::gpu(self.label, e))?;
        for _ in 0..self.staged.len() {
            let (_, result) = self.mapped.recv().map_err(|e| Error::gpu("readback", e))?;
            result.map_err(|e| Error::gpu("readback map", e))?;
        }
        drop(self.keep);
        let period = f64::from(gpu.queue.get_timestamp_period());
        Ok(Completed {
            staged: self.staged.into_iter().map(Some).collect(),
            timer_slot: self.timer_slot,
            period,
        })
    }
}

/// A finished submission: its readbacks, mapped.
pub struct Completed {
    staged: Vec<Option<(GpuBuffer, u64)>>,
    timer_slot: Option<usize>,
    period: f64,
}

impl std::fmt::Debug for Completed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Completed")
            .field("readbacks", &self.staged.len())
            .finish()
    }
}

impl Completed {
    fn bytes(&self, readback: Readback) -> Result<(&GpuBuffer, u64)> {
        match self.staged.get(readback.0) {
            Some(Some((buffer, bytes))) => Ok((buffer, *bytes)),
            _ => Err(Error::invalid(
                "readback",
                format!(
                    "readback {} was already taken or does not exist",
                    readback.0
                ),
            )),
        }
    }

    /// Copies a readback into `out`, whose byte size must equal it.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a different size; [`Error::Gpu`] if the
    /// mapping fails.
    pub fn copy_to<T: bytemuck::Pod>(&self, readback: Readback, out: &mut [T]) -> Result<()> {
        let (buffer, bytes) = self.bytes(readback)?;
        let want = std::mem::size_of_val(out) as u64;
        if want != bytes {
            return Err(Error::shape("readback", format!("{bytes} bytes"), want));
        }
        if bytes == 0 {
            return Ok(());
        }
        let view = buffer
            .raw()
            .slice(0..bytes)
            .get_mapped_range()
            .map_err(|e| Error::gpu("readback map", e))?;
        bytemuck::cast_slice_mut::<T, u8>(out).copy_from_slice(&view);
        Ok(())
    }

    /// A readback as a vector of `T`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when its size is not a multiple of `T`'s;
    /// as [`Self::copy_to`] otherwise.
    pub fn take<T: bytemuck::Pod>(&mut self, readback: Readback) -> Result<Vec<T>> {
        let (_, bytes) = self.bytes(readback)?;
        let size = std::mem::size_of::<T>() as u64;
        if bytes % size != 0 {
            return Err(Error::shape(
                "readback",
                format!("a multiple of {size} bytes"),
                bytes,
            ));
        }
        let mut out = vec![T::zeroed(); (bytes / size) as usize];
        self.copy_to(readback, &mut out)?;
        if let Some((buffer, _)) = self.staged[readback.0].take() {
            buffer.raw().unmap();
        }
        Ok(out)
    }

    /// The GPU time between a timer's begin and end, `None` if no dispatch
    /// ran between them.
    pub fn elapsed(&self, timer: Timer) -> Option<Duration> {
        let slot = self.timer_slot?;
        let (buffer, _) = self.staged.get(slot)?.as_ref()?;
        let range = 16 * u64::from(timer.0)..16 * u64::from(timer.0) + 16;
        let view = buffer.raw().slice(range).get_mapped_range().ok()?;
        let ticks: &[u64] = bytemuck::cast_slice(&view);
        if ticks[1] <= ticks[0] {
            return None;
        }
        let ns = (ticks[1] - ticks[0]) as f64 * self.period;
        Some(Duration::from_nanos(ns as u64))
    }
}

impl Drop for Completed {
    fn drop(&mut self) {
        for (buffer, _) in self.staged.drain(..).flatten() {
            buffer.raw().unmap();
        }
    }
}
