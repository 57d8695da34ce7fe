//! VkFFT's own Vulkan instance, device and queue (through `ash`), with the
//! buffers, one-shot submissions and timestamp queries the plans need.

use std::ffi::CStr;
use std::time::{Duration, Instant};

use ash::vk;

use crate::error::{Error, Result};

/// A Vulkan call failed.
pub(super) fn vk_err(during: &'static str) -> impl Fn(vk::Result) -> Error {
    move |e| Error::Gpu {
        during,
        source: Box::new(e),
    }
}

pub(super) struct Device {
    _entry: ash::Entry,
    instance: ash::Instance,
    pub(super) physical: vk::PhysicalDevice,
    pub(super) device: ash::Device,
    pub(super) queue: vk::Queue,
    pub(super) pool: vk::CommandPool,
    /// Lent to VkFFT for its own uploads at plan creation.
    pub(super) plan_fence: vk::Fence,
    fence: vk::Fence,
    cmd: vk::CommandBuffer,
    memory: vk::PhysicalDeviceMemoryProperties,
    /// Nanoseconds per timestamp tick, when the queue has timestamps.
    timestamp_ns: Option<f64>,
    queries: vk::QueryPool,
    pub(super) name: String,
}

/// Device type preference when no name is given: real GPUs first.
fn rank(t: vk::PhysicalDeviceType) -> u32 {
    match t {
        vk::PhysicalDeviceType::DISCRETE_GPU => 0,
        vk::PhysicalDeviceType::INTEGRATED_GPU => 1,
        vk::PhysicalDeviceType::VIRTUAL_GPU => 2,
        vk::PhysicalDeviceType::CPU => 3,
        _ => 4,
    }
}

impl Device {
    /// Opens the Vulkan device whose name contains `name` (any device,
    /// real GPUs first, when `None`).
    pub(super) fn open(name: Option<&str>) -> Result<Self> {
        let no_device = |detail: String| Error::NoAdapter { detail };
        // SAFETY: loading the system's Vulkan loader; its entry points are
        // used only through ash's typed wrappers.
        let entry = unsafe { ash::Entry::load() }
            .map_err(|e| no_device(format!("cannot load the Vulkan loader: {e}")))?;
        let app = vk::ApplicationInfo::default()
            .application_name(c"fft-tensor vkfft")
            .api_version(vk::API_VERSION_1_1);
        let info = vk::InstanceCreateInfo::default().application_info(&app);
        // SAFETY: valid create info; the instance is destroyed in Drop.
        let instance = unsafe { entry.create_instance(&info, None) }
            .map_err(|e| no_device(format!("vkCreateInstance: {e}")))?;
        let (physical, dev_name, family, props) = match Self::pick(&instance, name) {
            Ok(p) => p,
            Err(e) => {
                // SAFETY: nothing was created from the instance.
                unsafe { instance.destroy_instance(None) };
                return Err(e);
            }
        };
        // SAFETY: plain queries on a device of this instance.
        let families = unsafe { instance.get_physical_device_queue_family_properties(physical) };
        let timestamp_ns = (families[family as usize].timestamp_valid_bits > 0
            && props.limits.timestamp_compute_and_graphics == vk::TRUE)
            .then_some(f64::from(props.limits.timestamp_period));
        let priorities = [1.0f32];
        let queue_info = [vk::DeviceQueueCreateInfo::default()
            .queue_family_index(family)
            .queue_priorities(&priorities)];
        let info = vk::DeviceCreateInfo::default().queue_create_infos(&queue_info);
        // SAFETY: valid create info for a device of this instance.
        let device = match unsafe { instance.create_device(physical, &info, None) } {
            Ok(d) => d,
            Err(e) => {
                // SAFETY: nothing else was created from the instance.
                unsafe { instance.destroy_instance(None) };
                return Err(Error::DeviceRequest {
                    adapter: dev_name,
                    detail: e.to_string(),
                });
            }
        };
        // SAFETY: the queue family and index were requested above.
        let queue = unsafe { device.get_device_queue(family, 0) };
        // SAFETY: plain queries.
        let memory = unsafe { instance.get_physical_device_memory_properties(physical) };
        let mut d = Device {
            _entry: entry,
            instance,
            physical,
            device,
            queue,
            pool: vk::CommandPool::null(),
            plan_fence: vk::Fence::null(),
            fence: vk::Fence::null(),
            cmd: vk::CommandBuffer::null(),
            memory,
            timestamp_ns,
            queries: vk::QueryPool::null(),
            name: dev_name,
        };
        // From here Drop destroys whatever was created, device and instance.
        d.create_objects(family)?;
        Ok(d)
    }

    /// The device to open: the first match by [`rank`], with its compute
    /// queue family.
    fn pick(
        instance: &ash::Instance,
        name: Option<&str>,
    ) -> Result<(
        vk::PhysicalDevice,
        String,
        u32,
        vk::PhysicalDeviceProperties,
    )> {
        // SAFETY: plain queries on a live instance.
        let physicals = unsafe { instance.enumerate_physical_devices() }
            .map_err(vk_err("enumerating Vulkan devices"))?;
        let mut found: Vec<(
            u32,
            vk::PhysicalDevice,
            String,
            u32,
            vk::PhysicalDeviceProperties,
        )> = Vec::new();
        for pd in physicals {
            // SAFETY: `pd` comes from this instance.
            let props = unsafe { instance.get_physical_device_properties(pd) };
            let dev_name = props
                .device_name_as_c_str()
                .map(|s: &CStr| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.is_some_and(|n| !dev_name.contains(n)) {
                continue;
            }
            // SAFETY: as above.
            let families = unsafe { instance.get_physical_device_queue_family_properties(pd) };
            let Some(family) = families
                .iter()
                .position(|f| f.queue_flags.contains(vk::QueueFlags::COMPUTE))
            else {
                continue;
            };
            found.push((rank(props.device_type), pd, dev_name, family as u32, props));
        }
        found.sort_by_key(|f| f.0);
        let Some((_, physical, dev_name, family, props)) = found.into_iter().next() else {
            return Err(Error::NoAdapter {
                detail: match name {
                    Some(n) => format!("no Vulkan device with compute named like {n:?}"),
                    None => "no Vulkan device with a compute queue".into(),
                },
            });
        };
        Ok((physical, dev_name, family, props))
    }

    fn create_objects(&mut self, family: u32) -> Result<()> {
        let dev = &self.device;
        let err = vk_err("creating VkFFT's Vulkan objects");
        // SAFETY: valid create infos on a live device; destroyed in Drop.
        unsafe {
            self.pool = dev
                .create_command_pool(
                    &vk::CommandPoolCreateInfo::default()
                        .queue_family_index(family)
                        .flags(vk::CommandPoolCreateFlags::RESET_COMMAND_BUFFER),
                    None,
                )
                .map_err(&err)?;
            self.plan_fence = dev
                .create_fence(&vk::FenceCreateInfo::default(), None)
                .map_err(&err)?;
            self.fence = dev
                .create_fence(&vk::FenceCreateInfo::default(), None)
                .map_err(&err)?;
            self.cmd = dev
                .allocate_command_buffers(
                    &vk::CommandBufferAllocateInfo::default()
                        .command_pool(self.pool)
                        .level(vk::CommandBufferLevel::PRIMARY)
                        .command_buffer_count(1),
                )
                .map_err(&err)?[0];
            if self.timestamp_ns.is_some() {
                self.queries = dev
                    .create_query_pool(
                        &vk::QueryPoolCreateInfo::default()
                            .query_type(vk::QueryType::TIMESTAMP)
                            .query_count(2),
                        None,
                    )
                    .map_err(&err)?;
            }
        }
        Ok(())
    }

    /// Whether submissions are timed with GPU timestamps.
    pub(super) fn has_timestamps(&self) -> bool {
        self.timestamp_ns.is_some()
    }

    /// A buffer of `bytes` in device-local memory (`host: false`) or
    /// host-visible coherent memory (`host: true`, mapped).
    pub(super) fn buffer(&self, bytes: u64, host: bool) -> Result<Buffer> {
        let err = vk_err("allocating a VkFFT buffer");
        let usage = vk::BufferUsageFlags::STORAGE_BUFFER
            | vk::BufferUsageFlags::TRANSFER_SRC
            | vk::BufferUsageFlags::TRANSFER_DST;
        let dev = &self.device;
        // SAFETY: valid create info; the buffer is destroyed with `Buffer::free`.
        let buffer = unsafe {
            dev.create_buffer(
                &vk::BufferCreateInfo::default()
                    .size(bytes.max(4))
                    .usage(usage)
                    .sharing_mode(vk::SharingMode::EXCLUSIVE),
                None,
            )
        }
        .map_err(&err)?;
        let mut out = Buffer {
            buffer,
            memory: vk::DeviceMemory::null(),
            mapped: std::ptr::null_mut(),
            bytes,
        };
        // SAFETY: `buffer` is live.
        let req = unsafe { dev.get_buffer_memory_requirements(buffer) };
        let want = if host {
            vk::MemoryPropertyFlags::HOST_VISIBLE | vk::MemoryPropertyFlags::HOST_COHERENT
        } else {
            vk::MemoryPropertyFlags::DEVICE_LOCAL
        };
        let types = &self.memory.memory_types[..self.memory.memory_type_count as usize];
        let Some(index) = types.iter().enumerate().position(|(i, t)| {
            req.memory_type_bits & (1 << i) != 0 && t.property_flags.contains(want)
        }) else {
            out.free(self);
            return Err(Error::Gpu {
                during: "allocating a VkFFT buffer",
                source: "no memory type fits".into(),
            });
        };
        let alloc = vk::MemoryAllocateInfo::default()
            .allocation_size(req.size)
            .memory_type_index(index as u32);
        // SAFETY: valid allocation info; bound once, freed with the buffer.
        let result = unsafe {
            dev.allocate_memory(&alloc, None).and_then(|m| {
                out.memory = m;
                dev.bind_buffer_memory(buffer, m, 0)?;
                if host {
                    out.mapped = dev
                        .map_memory(m, 0, vk::WHOLE_SIZE, vk::MemoryMapFlags::empty())?
                        .cast();
                }
                Ok(())
            })
        };
        if let Err(e) = result {
            out.free(self);
            return Err(err(e));
        }
        Ok(out)
    }

    /// Records commands with `record`, submits them and waits. Returns the
    /// GPU time between the timestamps `record` was given the chance to
    /// write (through [`Timer`]) when the device has them, else the wall
    /// time of the submission.
    pub(super) fn submit(
        &self,
        during: &'static str,
        record: impl FnOnce(vk::CommandBuffer, &Timer) -> Result<()>,
    ) -> Result<Duration> {
        let err = vk_err(during);
        let dev = &self.device;
        let cmd = self.cmd;
        let timer = Timer {
            pool: self.queries,
            device: dev,
            marked: std::cell::Cell::new(false),
        };
        // SAFETY: one command buffer, used only under the caller's lock and
        // waited for before the next use.
        unsafe {
            dev.reset_command_buffer(cmd, vk::CommandBufferResetFlags::empty())
                .map_err(&err)?;
            dev.begin_command_buffer(
                cmd,
                &vk::CommandBufferBeginInfo::default()
                    .flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT),
            )
            .map_err(&err)?;
            if self.timestamp_ns.is_some() {
                dev.cmd_reset_query_pool(cmd, self.queries, 0, 2);
            }
            barrier(dev, cmd);
            record(cmd, &timer)?;
            barrier(dev, cmd);
            dev.end_command_buffer(cmd).map_err(&err)?;
            let cmds = [cmd];
            let submit = [vk::SubmitInfo::default().command_buffers(&cmds)];
            let start = Instant::now();
            dev.queue_submit(self.queue, &submit, self.fence)
                .map_err(&err)?;
            let waited = dev.wait_for_fences(&[self.fence], true, u64::MAX);
            let wall = start.elapsed();
            dev.reset_fences(&[self.fence]).map_err(&err)?;
            waited.map_err(&err)?;
            match self.timestamp_ns {
                Some(ns) if timer.marked.get() => {
                    let mut ticks = [0u64; 2];
                    dev.get_query_pool_results(
                        self.queries,
                        0,
                        &mut ticks,
                        vk::QueryResultFlags::TYPE_64 | vk::QueryResultFlags::WAIT,
                    )
                    .map_err(&err)?;
                    let t = ticks[1].saturating_sub(ticks[0]) as f64 * ns;
                    Ok(Duration::from_nanos(t as u64))
                }
                _ => Ok(wall),
            }
        }
    }

    /// Copies `bytes` from `src` to `dst` on the GPU and waits.
    pub(super) fn copy(&self, src: &Buffer, dst: &Buffer, bytes: u64) -> Result<()> {
        self.submit("copying a VkFFT buffer", |cmd, _| {
            let region = [vk::BufferCopy {
                src_offset: 0,
                dst_offset: 0,
                size: bytes,
            }];
            // SAFETY: both buffers hold at least `bytes`.
            unsafe {
                self.device
                    .cmd_copy_buffer(cmd, src.buffer, dst.buffer, &region)
            };
            Ok(())
        })
        .map(|_| ())
    }
}

/// A memory barrier between everything before and after it.
///
/// # Safety
/// `cmd` is recording on `dev`.
unsafe fn barrier(dev: &ash::Device, cmd: vk::CommandBuffer) {
    let all = vk::AccessFlags::MEMORY_READ | vk::AccessFlags::MEMORY_WRITE;
    let b = [vk::MemoryBarrier::default()
        .src_access_mask(all)
        .dst_access_mask(all)];
    // SAFETY: per the function's contract.
    unsafe {
        dev.cmd_pipeline_barrier(
            cmd,
            vk::PipelineStageFlags::ALL_COMMANDS,
            vk::PipelineStageFlags::ALL_COMMANDS,
            vk::DependencyFlags::empty(),
            &b,
            &[],
            &[],
        )
    };
}

/// Writes the start and end timestamps of the timed part of a submission.
pub(super) struct Timer<'a> {
    pool: vk::QueryPool,
    device: &'a ash::Device,
    /// Whether both timestamps were written.
    marked: std::cell::Cell<bool>,
}

impl Timer<'_> {
    /// Marks the start (`end: false`) or end of the timed commands.
    pub(super) fn mark(&self, cmd: vk::CommandBuffer, end: bool) {
        if self.pool == vk::QueryPool::null() {
            return;
        }
        self.marked.set(end);
        let stage = if end {
            vk::PipelineStageFlags::BOTTOM_OF_PIPE
        } else {
            vk::PipelineStageFlags::TOP_OF_PIPE
        };
        // SAFETY: the pool has two queries, reset at the start of `cmd`.
        unsafe {
            self.device
                .cmd_write_timestamp(cmd, stage, self.pool, u32::from(end))
        };
    }
}

/// A Vulkan buffer with its memory (freed explicitly with [`Buffer::free`]).
pub(super) struct Buffer {
    pub(super) buffer: vk::Buffer,
    memory: vk::DeviceMemory,
    mapped: *mut u8,
    pub(super) bytes: u64,
}

impl Buffer {
    /// The mapped bytes of a host buffer.
    pub(super) fn host_bytes(&mut self) -> &mut [u8] {
        assert!(!self.mapped.is_null(), "host_bytes on a device buffer");
        // SAFETY: mapped for the whole allocation (at least `bytes`), and
        // the GPU does not touch it while the caller holds the lock.
        unsafe { std::slice::from_raw_parts_mut(self.mapped, self.bytes as usize) }
    }

    pub(super) fn free(&mut self, dev: &Device) {
        // SAFETY: no submission using the buffer is pending (every submit
        // waits); null handles are ignored by Vulkan.
        unsafe {
            dev.device.destroy_buffer(self.buffer, None);
            dev.device.free_memory(self.memory, None);
        }
        self.buffer = vk::Buffer::null();
        self.memory = vk::DeviceMemory::null();
        self.mapped = std::ptr::null_mut();
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: every submission was waited for; plans and buffers are
        // freed by their owner before the device.
        unsafe {
            let _ = self.device.device_wait_idle();
            let d = &self.device;
            d.destroy_query_pool(self.queries, None);
            d.destroy_fence(self.fence, None);
            d.destroy_fence(self.plan_fence, None);
            d.destroy_command_pool(self.pool, None);
            d.destroy_device(None);
            self.instance.destroy_instance(None);
        }
    }
}
