//! A recording of GPU work: dispatches, copies, clears and readbacks
//! appended by operations, submitted once.
//!
//! Every GPU operation of the crate has a form that records into a
//! [`Recording`] instead of submitting on its own, so a chain of operations
//! (transform, select, scatter, ...) runs as one submission with one wait:
//!
//! ```no_run
//! use fft_tensor::{Context, DeviceChoice, FftDirection, Normalization};
//!
//! let ctx = Context::new(DeviceChoice::Gpu)?;
//! let plan = ctx.plan_fft(1024, FftDirection::Forward, Normalization::Backward)?;
//! let inverse = ctx.plan_fft(1024, FftDirection::Inverse, Normalization::Backward)?;
//! let data = vec![fft_tensor::num_complex::Complex32::new(1.0, 0.0); 4 * 1024];
//!
//! let mut rec = ctx.recording("round trip")?;
//! let input = rec.upload("input", &data)?;
//! let spectrum = rec.temporary("spectrum", input.size())?;
//! let back = rec.temporary("back", input.size())?;
//! plan.record(&mut rec, &input, &spectrum)?;
//! inverse.record(&mut rec, &spectrum, &back)?;
//! let result = rec.read_back(&back)?;
//! let mut done = rec.submit()?.wait()?; // one submission, one wait
//! let round_trip: Vec<fft_tensor::num_complex::Complex32> = done.take(result)?;
//! # Ok::<(), fft_tensor::Error>(())
//! ```
//!
//! The recording owns its temporaries (and the staging buffers of its
//! readbacks) until its [`Submission`] completes, so the buffer pool cannot
//! hand them to other work in flight. Uniform parameters of all dispatches
//! share one buffer written once at submission; bind groups are created at
//! submission inside one error scope. Several submissions may be in flight
//! at once and waited on separately.

use std::num::NonZeroU64;
use std::sync::Arc;

use super::gpu::{GpuDevice, Pipeline};
use super::memory::GpuBuffer;
use super::submission::Submission;
use super::Context;
use crate::error::{Error, Result};
use crate::shaders::{BindingKind, Kernel};

/// A byte range of a GPU buffer that recorded commands read or write.
///
/// Cheap to clone (the wgpu handle is reference-counted). A slice does not
/// keep the crate's pool accounting alive: the [`GpuBuffer`] (or tensor, or
/// recording) it came from must live until the work using it completes.
#[derive(Clone, Debug)]
pub struct BufferSlice {
    buffer: wgpu::Buffer,
    offset: u64,
    size: u64,
}

impl BufferSlice {
    pub(crate) fn new(buffer: &wgpu::Buffer, offset: u64, size: u64) -> Self {
        BufferSlice {
            buffer: buffer.clone(),
            offset,
            size,
        }
    }

    /// Usable bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Byte offset in the underlying buffer.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The sub-range `offset..offset + size` of this slice.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the range leaves the slice.
    pub fn sub(&self, offset: u64, size: u64) -> Result<Self> {
        if offset.checked_add(size).is_none_or(|end| end > self.size) {
            return Err(Error::invalid(
                "slice",
                format!(
                    "range {offset}..{} outside a slice of {} bytes",
                    offset.saturating_add(size),
                    self.size
                ),
            ));
        }
        Ok(BufferSlice {
            buffer: self.buffer.clone(),
            offset: self.offset + offset,
            size,
        })
    }

    /// The wgpu buffer behind the slice.
    pub fn raw(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    fn binding(&self) -> wgpu::BindingResource<'_> {
        let bound = self.size.max(4).next_multiple_of(4);
        let bound = bound.min(self.buffer.size() - self.offset);
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: self.offset,
            size: NonZeroU64::new(bound),
        })
    }
}

/// Work groups of one dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Groups {
    /// Enough workgroups of `per_group` invocations for `threads` threads.
    Threads {
        /// Threads wanted.
        threads: u64,
        /// Invocations per workgroup (the kernel's workgroup size).
        per_group: u32,
    },
    /// Exactly this many workgroups (folded into a 2-D grid).
    Count(u64),
    /// This many workgroups folded with at most `max_per_dim` per grid
    /// dimension (below the device limit: tests of the folding use it).
    Folded {
        /// Workgroups wanted.
        groups: u64,
        /// Largest grid dimension to use.
        max_per_dim: u32,
    },
}

impl Groups {
    fn count(self) -> u64 {
        match self {
            Groups::Threads { threads, per_group } => threads.div_ceil(u64::from(per_group.max(1))),
            Groups::Count(n) | Groups::Folded { groups: n, .. } => n,
        }
    }
}

/// A readback recorded in a [`Recording`]; its bytes are taken from the
/// [`Completed`](super::Completed) submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readback(pub(super) usize);

/// A GPU timer over recorded work (timestamp queries); read from the
/// [`Completed`](super::Completed) submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer(pub(super) u32);

enum Command {
    Dispatch {
        pipeline: Arc<Pipeline>,
        buffers: Vec<BufferSlice>,
        uniform: Option<(u64, u64)>,
        grid: (u32, u32),
    },
    Copy {
        src: BufferSlice,
        dst: BufferSlice,
    },
    Clear(BufferSlice),
    TimerBegin(u32),
    TimerEnd(u32),
}

/// GPU work appended by operations and submitted once; see the module docs.
pub struct Recording {
    ctx: Context,
    label: &'static str,
    commands: Vec<Command>,
    uniforms: Vec<u8>,
    keep: Vec<GpuBuffer>,
    readbacks: Vec<(GpuBuffer, u64)>,
    timers: u32,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording")
            .field("label", &self.label)
            .field("commands", &self.commands.len())
            .field("temporaries", &self.keep.len())
            .field("readbacks", &self.readbacks.len())
            .finish()
    }
}

impl Context {
    /// An empty recording on this context's GPU.
    ///
    /// # Errors
    /// [`Error::NoGpu`] on the CPU backend.
    pub fn recording(&self, label: &'static str) -> Result<Recording> {
        if self.gpu().is_none() {
            return Err(Error::NoGpu { op: "a recording" });
        }
        Ok(Recording {
            ctx: self.clone(),
            label,
            commands: Vec::new(),
            uniforms: Vec::new(),
            keep: Vec::new(),
            readbacks: Vec::new(),
            timers: 0,
        })
    }
}

impl Recording {
    /// The context the recording belongs to.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    pub(crate) fn gpu(&self) -> &GpuDevice {
        self.ctx
            .gpu()
            .expect("recordings exist on GPU contexts only")
    }

    /// Whether nothing has been recorded yet.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// A storage buffer of `bytes` bytes (contents unspecified) owned by the
    /// recording until its submission completes.
    ///
    /// # Errors
    /// Device limits, budget and allocation failures of the buffer pool.
    pub fn temporary(&mut self, tag: &'static str, bytes: u64) -> Result<BufferSlice> {
        let buffer = self.gpu().storage(tag, bytes)?;
        self.keep(buffer).sub(0, bytes)
    }

    /// Takes `buffer` into the recording's keeping until the submission
    /// completes; returns a slice of its usable bytes.
    pub fn keep(&mut self, buffer: GpuBuffer) -> BufferSlice {
        let slice = buffer.slice();
        self.keep.push(buffer);
        slice
    }

    /// A temporary holding `data`, written in recording order.
    ///
    /// # Errors
    /// As [`Self::temporary`].
    pub fn upload<T: bytemuck::Pod>(
        &mut self,
        tag: &'static str,
        data: &[T],
    ) -> Result<BufferSlice> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let slice = self.temporary(tag, bytes.len() as u64)?;
        // A fresh temporary is used by nothing recorded before, so the queue
        // write (which lands before the whole submission) keeps the order.
        if !bytes.is_empty() {
            self.gpu()
                .queue
                .write_buffer(&slice.buffer, slice.offset, bytes);
        }
        Ok(slice)
    }

    /// Writes `data` into `dst` at this point of the recording (commands
    /// recorded earlier see the old contents, later ones the new).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `data` does not fit `dst`; allocation
    /// errors for the staging copy.
    pub fn write<T: bytemuck::Pod>(&mut self, dst: &BufferSlice, data: &[T]) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        if bytes.len() as u64 > dst.size {
            return Err(Error::shape(
                "Recording::write",
                format!("at most {} bytes", dst.size),
                bytes.len(),
            ));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        if self.commands.is_empty() {
            // Nothing recorded yet can read `dst`: write it directly.
            self.gpu()
                .queue
                .write_buffer(&dst.buffer, dst.offset, bytes);
            return Ok(());
        }
        let staged = self.upload("recording write", bytes)?;
        self.copy(&staged, &dst.sub(0, bytes.len() as u64)?)
    }

    /// Copies `src` into the start of `dst`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `dst` is smaller than `src`, or either
    /// size or offset is not a multiple of 4 (a copy rule of WebGPU).
    pub fn copy(&mut self, src: &BufferSlice, dst: &BufferSlice) -> Result<()> {
        if src.size > dst.size
            || !src.size.is_multiple_of(4)
            || !src.offset.is_multiple_of(4)
            || !dst.offset.is_multiple_of(4)
        {
            return Err(Error::shape(
                "Recording::copy",
                format!(
                    "4-byte aligned ranges, destination of at least {} bytes",
                    src.size
                ),
                format!(
                    "{} bytes at {} into {} bytes at {}",
                    src.size, src.offset, dst.size, dst.offset
                ),
            ));
        }
        if src.size > 0 {
            self.commands.push(Command::Copy {
                src: src.clone(),
                dst: dst.clone(),
            });
        }
        Ok(())
    }

    /// Fills `dst` with zero bytes.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a range not 4-byte aligned.
    pub fn clear(&mut self, dst: &BufferSlice) -> Result<()> {
        if !dst.size.is_multiple_of(4) || !dst.offset.is_multiple_of(4) {
            return Err(Error::invalid(
                "clear",
                format!(
                    "{} bytes at {} are not 4-byte aligned",
                    dst.size, dst.offset
                ),
            ));
        }
        if dst.size > 0 {
            self.commands.push(Command::Clear(dst.clone()));
        }
        Ok(())
    }

    /// Records a copy of `src` to the host, available once the submission
    /// completes.
    ///
    /// # Errors
    /// As [`Self::copy`]; allocation errors for the staging buffer.
    pub fn read_back(&mut self, src: &BufferSlice) -> Result<Readback> {
        let staging = self.gpu().memory.allocate(
            src.size.max(4),
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            "readback staging",
        )?;
        let dst = BufferSlice::new(staging.raw(), 0, src.size);
        self.copy(src, &dst)?;
        self.readbacks.push((staging, src.size));
        Ok(Readback(self.readbacks.len() - 1))
    }

    /// Starts a GPU timer over the work recorded until [`Self::end_timer`];
    /// `None` when the device has no timestamp queries.
    pub fn begin_timer(&mut self) -> Option<Timer> {
        if !self.gpu().has_timestamps() {
            return None;
        }
        let t = self.timers;
        self.timers += 1;
        self.commands.push(Command::TimerBegin(t));
        Some(Timer(t))
    }

    /// Ends `timer`.
    pub fn end_timer(&mut self, timer: Timer) {
        self.commands.push(Command::TimerEnd(timer.0));
    }

    /// Records one dispatch of `kernel` specialised with `constants`: its
    /// storage bindings take `buffers` in binding order, its uniform (if it
    /// declares one) takes the bytes `params` returns for the grid, which is
    /// folded into two dimensions within the device limit (`groups_x` of the
    /// grid is what kernels use to unfold it).
    ///
    /// # Errors
    /// Pipeline errors ([`Error::ShaderCompile`], [`Error::WorkgroupMemory`]);
    /// [`Error::InvalidArgument`] when the buffers do not match the kernel's
    /// bindings or the parameters its uniform's layout;
    /// [`Error::DeviceLimit`] for too many workgroups.
    pub(crate) fn launch<P: crate::shaders::KernelParams>(
        &mut self,
        kernel: &'static Kernel,
        constants: &[(&'static str, u32)],
        buffers: &[&BufferSlice],
        groups: Groups,
        params: impl FnOnce((u32, u32)) -> P,
    ) -> Result<()> {
        let gpu = self.gpu();
        let pipeline = gpu.pipeline(kernel, constants)?;
        let grid = match groups {
            Groups::Folded {
                groups,
                max_per_dim,
            } => super::grid_within(
                groups,
                max_per_dim.min(gpu.limits().max_compute_workgroups_per_dimension),
            )?,
            other => gpu.grid(other.count())?,
        };
        let storage = pipeline
            .bindings
            .iter()
            .filter(|b| **b != BindingKind::Uniform)
            .count();
        if buffers.len() != storage {
            return Err(Error::invalid(
                "bindings",
                format!(
                    "{} binds {storage} storage buffers, {} given",
                    kernel.name,
                    buffers.len()
                ),
            ));
        }
        let uniform = if pipeline.bindings.contains(&BindingKind::Uniform) {
            pipeline.check_params::<P>()?;
            let value = params(grid);
            Some(self.push_uniform(bytemuck::bytes_of(&value)))
        } else {
            None
        };
        if groups.count() == 0 {
            return Ok(());
        }
        self.commands.push(Command::Dispatch {
            pipeline,
            buffers: buffers.iter().map(|b| (*b).clone()).collect(),
            uniform,
            grid,
        });
        Ok(())
    }

    fn push_uniform(&mut self, bytes: &[u8]) -> (u64, u64) {
        let align = u64::from(self.gpu().limits().min_uniform_buffer_offset_alignment).max(16);
        let offset = (self.uniforms.len() as u64).next_multiple_of(align);
        let size = (bytes.len() as u64).next_multiple_of(16);
        self.uniforms.resize(offset as usize, 0);
        self.uniforms.extend_from_slice(bytes);
        self.uniforms.resize((offset + size) as usize, 0);
        (offset, size)
    }

    /// Submits the recorded work without waiting for it.
    ///
    /// # Errors
    /// [`Error::Gpu`] for validation errors in the recorded work (bind
    /// groups, copies, dispatches) and allocation failures of the uniform
    /// and timestamp buffers.
    pub fn submit(self) -> Result<Submission> {
        let Recording {
            ctx,
            label,
            commands,
            uniforms,
            mut keep,
            readbacks,
            timers,
        } = self;
        let gpu = ctx.gpu().expect("recordings exist on GPU contexts only");
        let uniform_buffer = if uniforms.is_empty() {
            None
        } else {
            let buffer = gpu.memory.allocate(
                uniforms.len() as u64,
                wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                "uniform arena",
            )?;
            gpu.queue.write_buffer(buffer.raw(), 0, &uniforms);
            Some(buffer)
        };
        let mut timer_readback = None;
        let query_set = (timers > 0).then(|| {
            gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("recording timers"),
                ty: wgpu::QueryType::Timestamp,
                count: 2 * timers,
            })
        });

        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        encode(
            gpu,
            &mut encoder,
            label,
            &commands,
            uniform_buffer.as_ref(),
            query_set.as_ref(),
        );
        if let Some(set) = &query_set {
            let bytes = u64::from(timers) * 16;
            let resolve = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("timestamp resolve"),
                size: bytes,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let staging = gpu.memory.allocate(
                bytes,
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                "timestamp staging",
            )?;
            encoder.resolve_query_set(set, 0..2 * timers, &resolve, 0);
            encoder.copy_buffer_to_buffer(&resolve, 0, staging.raw(), 0, bytes);
            timer_readback = Some((staging, bytes));
        }
        let index = gpu.submit(encoder.finish());
        if let Some(err) = pollster::block_on(scope.pop()) {
            return Err(Error::Gpu {
                during: label,
                source: Box::new(err),
            });
        }
        keep.extend(uniform_buffer);
        let mut staged = readbacks;
        let timer_slot = timer_readback.map(|t| {
            staged.push(t);
            staged.len() - 1
        });
        let (tx, rx) = std::sync::mpsc::channel();
        for (i, (buffer, bytes)) in staged.iter().enumerate() {
            let tx = tx.clone();
            buffer
                .raw()
                .slice(0..(*bytes).max(4))
                .map_async(wgpu::MapMode::Read, move |r| {
                    let _ = tx.send((i, r));
                });
        }
        Ok(Submission {
            ctx: ctx.clone(),
            label,
            index,
            keep,
            staged,
            mapped: rx,
            timer_slot,
            _query_set: query_set,
        })
    }
}

/// Encodes `commands`: runs of dispatches share a compute pass; copies,
/// clears and timer marks end one.
fn encode(
    gpu: &GpuDevice,
    encoder: &mut wgpu::CommandEncoder,
    label: &'static str,
    commands: &[Command],
    uniforms: Option<&GpuBuffer>,
    query_set: Option<&wgpu::QuerySet>,
) {
    // Split into passes first, so a timer's end can mark the pass before it.
    enum Segment<'a> {
        Pass {
            dispatches: Vec<&'a Command>,
            begin: Option<u32>,
            end: Option<u32>,
        },
        Other(&'a Command),
    }
    let mut segments: Vec<Segment> = Vec::new();
    let mut pending_begin = None;
    let mut open = false;
    for command in commands {
        match command {
            Command::Dispatch { .. } => {
                if !open {
                    segments.push(Segment::Pass {
                        dispatches: Vec::new(),
                        begin: pending_begin.take(),
                        end: None,
                    });
                    open = true;
                }
                if let Some(Segment::Pass { dispatches, .. }) = segments.last_mut() {
                    dispatches.push(command);
                }
            }
            Command::TimerBegin(t) => {
                open = false;
                pending_begin = Some(2 * t);
            }
            Command::TimerEnd(t) => {
                open = false;
                let last_pass = segments
                    .iter_mut()
                    .rev()
                    .find(|s| matches!(s, Segment::Pass { .. }));
                if let Some(Segment::Pass { end, .. }) = last_pass {
                    *end = Some(2 * t + 1);
                }
            }
            other => {
                open = false;
                segments.push(Segment::Other(other));
            }
        }
    }
    for segment in &segments {
        match segment {
            Segment::Pass {
                dispatches,
                begin,
                end,
            } => {
                let groups: Vec<wgpu::BindGroup> = dispatches
                    .iter()
                    .map(|d| bind_group(gpu, d, uniforms))
                    .collect();
                let timestamp_writes =
                    query_set
                        .filter(|_| begin.is_some() || end.is_some())
                        .map(|set| wgpu::ComputePassTimestampWrites {
                            query_set: set,
                            beginning_of_pass_write_index: *begin,
                            end_of_pass_write_index: *end,
                        });
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(label),
                    timestamp_writes,
                });
                for (d, group) in dispatches.iter().zip(&groups) {
                    if let Command::Dispatch { pipeline, grid, .. } = d {
                        pass.set_pipeline(&pipeline.pipeline);
                        pass.set_bind_group(0, group, &[]);
                        pass.dispatch_workgroups(grid.0, grid.1, 1);
                    }
                }
            }
            Segment::Other(Command::Copy { src, dst }) => {
                encoder.copy_buffer_to_buffer(
                    &src.buffer,
                    src.offset,
                    &dst.buffer,
                    dst.offset,
                    src.size,
                );
            }
            Segment::Other(Command::Clear(dst)) => {
                encoder.clear_buffer(&dst.buffer, dst.offset, Some(dst.size));
            }
            Segment::Other(_) => {}
        }
    }
}

fn bind_group(
    gpu: &GpuDevice,
    dispatch: &Command,
    uniforms: Option<&GpuBuffer>,
) -> wgpu::BindGroup {
    let Command::Dispatch {
        pipeline,
        buffers,
        uniform,
        ..
    } = dispatch
    else {
        unreachable!("bind groups are made for dispatches only")
    };
    let mut storage = buffers.iter();
    let entries: Vec<wgpu::BindGroupEntry> = pipeline
        .bindings
        .iter()
        .enumerate()
        .filter_map(|(i, kind)| {
            let resource = match kind {
                BindingKind::Uniform => {
                    let (offset, size) = (*uniform)?;
                    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: uniforms?.raw(),
                        offset,
                        size: NonZeroU64::new(size),
                    })
                }
                _ => storage.next()?.binding(),
            };
            Some(wgpu::BindGroupEntry {
                binding: i as u32,
                resource,
            })
        })
        .collect();
    gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(pipeline.kernel.name),
        layout: &pipeline.layout,
        entries: &entries,
    })
}
