//! Tracked GPU buffers: current and peak bytes per purpose, a reuse pool by
//! size class, and an optional byte budget.
//!
//! Every buffer the crate allocates goes through [`MemoryPool::allocate`],
//! which counts it under a tag (`"fft scratch"`, `"upload"`, ...). Dropped
//! buffers return to a free list keyed by size class and usage, and are
//! handed out again before new memory is taken; pooled bytes still count as
//! in use (the GPU still holds them) until [`MemoryPool::trim`] frees them,
//! which an allocation over budget does first.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{Error, Result};

/// Per-tag byte counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TagUsage {
    /// Bytes held by live buffers with this tag.
    pub current: u64,
    /// The most bytes this tag held at once since the last peak reset.
    pub peak: u64,
}

/// A snapshot of the context's GPU memory accounting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Bytes allocated from the device and not yet freed (live plus pooled).
    pub current: u64,
    /// The highest `current` since creation or the last [`MemoryPool::reset_peak`].
    pub peak: u64,
    /// Bytes of `current` sitting in the reuse pool.
    pub pooled: u64,
    /// The budget, if one is set.
    pub budget: Option<u64>,
    /// Live bytes by purpose tag.
    pub by_tag: BTreeMap<&'static str, TagUsage>,
}

#[derive(Default)]
struct Books {
    current: u64,
    peak: u64,
    pooled: u64,
    budget: Option<u64>,
    by_tag: BTreeMap<&'static str, TagUsage>,
    free: HashMap<(u64, u32), Vec<wgpu::Buffer>>,
}

/// The allocator behind a GPU context.
pub struct MemoryPool {
    device: wgpu::Device,
    max_buffer: u64,
    books: Mutex<Books>,
}

/// Size classes: powers of two up to 1 MiB, then multiples of 1 MiB, so a
/// reused buffer wastes little.
fn size_class(bytes: u64) -> u64 {
    const MIB: u64 = 1 << 20;
    let bytes = bytes.max(16);
    if bytes <= MIB {
        bytes.next_power_of_two()
    } else {
        bytes.div_ceil(MIB) * MIB
    }
}

impl MemoryPool {
    pub(crate) fn new(device: wgpu::Device, max_buffer: u64) -> Self {
        MemoryPool {
            device,
            max_buffer,
            books: Mutex::new(Books::default()),
        }
    }

    fn books(&self) -> MutexGuard<'_, Books> {
        // A panic while holding the lock leaves plain counters behind: keep going.
        self.books.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Allocates (or reuses) a buffer of at least `bytes` bytes.
    ///
    /// # Errors
    /// [`Error::DeviceLimit`] when `bytes` exceeds the device's maximum buffer
    /// size; [`Error::BudgetExceeded`] when the budget would be exceeded even
    /// after the pool is emptied; [`Error::Gpu`] when the device refuses.
    pub fn allocate(
        self: &Arc<Self>,
        bytes: u64,
        usage: wgpu::BufferUsages,
        tag: &'static str,
    ) -> Result<GpuBuffer> {
        let class = size_class(bytes);
        if bytes > self.max_buffer {
            return Err(Error::DeviceLimit {
                what: "buffer size",
                requested: bytes,
                max: self.max_buffer,
            });
        }
        let class = class.min(self.max_buffer.max(bytes));
        let key = (class, usage.bits());
        let mut books = self.books();
        let reused = books.free.get_mut(&key).and_then(Vec::pop);
        let buffer = match reused {
            Some(buffer) => {
                books.pooled -= class;
                buffer
            }
            None => {
                if let Some(budget) = books.budget {
                    if books.current + class > budget {
                        Self::trim_locked(&mut books);
                    }
                    if books.current + class > budget {
                        return Err(Error::BudgetExceeded {
                            tag,
                            requested: class,
                            in_use: books.current,
                            budget,
                        });
                    }
                }
                let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
                let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(tag),
                    size: class,
                    usage,
                    mapped_at_creation: false,
                });
                if let Some(err) = pollster::block_on(scope.pop()) {
                    return Err(Error::gpu("buffer allocation", err));
                }
                books.current += class;
                books.peak = books.peak.max(books.current);
                buffer
            }
        };
        let entry = books.by_tag.entry(tag).or_default();
        entry.current += class;
        entry.peak = entry.peak.max(entry.current);
        Ok(GpuBuffer {
            buffer: Some(buffer),
            bytes,
            class,
            usage,
            tag,
            pool: Arc::clone(self),
        })
    }

    fn trim_locked(books: &mut Books) {
        for (_, list) in books.free.drain() {
            for buffer in list {
                buffer.destroy();
            }
        }
        books.current -= books.pooled;
        books.pooled = 0;
    }

    /// Frees every pooled buffer.
    pub fn trim(&self) {
        Self::trim_locked(&mut self.books());
    }

    /// Sets or clears the byte budget. Buffers already allocated are kept.
    pub fn set_budget(&self, budget: Option<u64>) {
        self.books().budget = budget;
    }

    /// Resets the peak counters to the current values.
    pub fn reset_peak(&self) {
        let mut books = self.books();
        books.peak = books.current;
        for usage in books.by_tag.values_mut() {
            usage.peak = usage.current;
        }
    }

    /// Current accounting.
    pub fn stats(&self) -> MemoryStats {
        let books = self.books();
        MemoryStats {
            current: books.current,
            peak: books.peak,
            pooled: books.pooled,
            budget: books.budget,
            by_tag: books.by_tag.clone(),
        }
    }

    fn release(&self, buffer: wgpu::Buffer, class: u64, usage: wgpu::BufferUsages, tag: &str) {
        let mut books = self.books();
        if let Some(entry) = books.by_tag.get_mut(tag) {
            entry.current -= class;
        }
        // Readback staging buffers come back unmapped and are reused too.
        books.pooled += class;
        books
            .free
            .entry((class, usage.bits()))
            .or_default()
            .push(buffer);
    }
}

/// A buffer owned by a context's [`MemoryPool`]; returns to the pool on drop.
pub struct GpuBuffer {
    buffer: Option<wgpu::Buffer>,
    bytes: u64,
    class: u64,
    usage: wgpu::BufferUsages,
    tag: &'static str,
    pool: Arc<MemoryPool>,
}

impl GpuBuffer {
    /// The wgpu buffer (its size is the size class, at least [`Self::bytes`]).
    pub fn raw(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("buffer present until drop")
    }

    /// Bytes requested (the usable size).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The purpose tag the buffer is counted under.
    pub fn tag(&self) -> &'static str {
        self.tag
    }

    /// A slice of the usable bytes, for recorded work.
    pub fn slice(&self) -> super::BufferSlice {
        super::BufferSlice::new(self.raw(), 0, self.bytes)
    }
}

impl std::fmt::Debug for GpuBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuBuffer")
            .field("bytes", &self.bytes)
            .field("tag", &self.tag)
            .finish()
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        if let Some(buffer) = self.buffer.take() {
            self.pool.release(buffer, self.class, self.usage, self.tag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_cover_the_request_with_little_waste() {
        for bytes in [
            1u64,
            16,
            17,
            1000,
            4096,
            1 << 20,
            (1 << 20) + 1,
            100 << 20,
            12345678,
        ] {
            let class = size_class(bytes);
            assert!(class >= bytes, "{bytes} -> {class}");
            assert!(
                class <= (bytes * 2).max(16) || class - bytes < 1 << 20,
                "{bytes} -> {class}"
            );
        }
    }
}
