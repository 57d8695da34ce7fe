//! The GPU side of a context: device, queue, limits, pipeline cache.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::backend::memory::{GpuBuffer, MemoryPool};
use crate::error::{Error, Result};
use crate::shaders::{
    bindings_of, check_layout, uniform_layout, BindingKind, Kernel, KernelParams,
};

/// Features requested when the adapter offers them.
const WANTED_FEATURES: wgpu::Features = wgpu::Features::TIMESTAMP_QUERY;

/// A compiled pipeline with the layout its bind groups need.
pub(crate) struct Pipeline {
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) layout: wgpu::BindGroupLayout,
    pub(crate) kernel: &'static Kernel,
    /// Group 0 in binding order, as naga read it from the WGSL.
    pub(crate) bindings: Vec<BindingKind>,
    /// The uniform struct's span and members, as naga laid them out.
    uniform: Option<(u32, Vec<(String, u32)>)>,
    /// Parameter types already checked against `uniform`.
    checked: Mutex<Vec<TypeId>>,
}

impl Pipeline {
    /// Checks (once per type) that `P` is laid out as the kernel's uniform.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the field that differs.
    pub(crate) fn check_params<P: KernelParams>(&self) -> Result<()> {
        let id = TypeId::of::<P>();
        let mut checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        if checked.contains(&id) {
            return Ok(());
        }
        let layout = self.uniform.as_ref().ok_or_else(|| {
            Error::invalid(
                "params",
                format!("{} declares no uniform struct", self.kernel.name),
            )
        })?;
        check_layout::<P>(self.kernel.name, layout).map_err(|e| Error::invalid("params", e))?;
        checked.push(id);
        Ok(())
    }
}

type PipelineKey = (&'static str, Vec<(&'static str, u32)>);

/// A wgpu device and queue with what the crate keeps beside them.
pub struct GpuDevice {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    features: wgpu::Features,
    pub(crate) memory: Arc<MemoryPool>,
    specialize_kernels: bool,
    pad_shared_memory: bool,
    pipelines: Mutex<HashMap<PipelineKey, Arc<Pipeline>>>,
    modules: Mutex<HashMap<&'static str, Arc<(naga::Module, naga::valid::ModuleInfo)>>>,
    submissions: AtomicU64,
}

impl std::fmt::Debug for GpuDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuDevice")
            .field("adapter", &self.info.name)
            .field("backend", &self.info.backend)
            .finish()
    }
}

impl GpuDevice {
    /// Opens a device on `adapter` with the adapter's own limits (not wgpu's
    /// conservative defaults) and the optional features the crate can use.
    pub(crate) fn open(adapter: &wgpu::Adapter) -> Result<Self> {
        let info = adapter.get_info();
        let features = adapter.features() & WANTED_FEATURES;
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("fft-tensor device"),
            required_features: features,
            required_limits: adapter.limits(),
            ..Default::default()
        };
        let (device, queue) =
            pollster::block_on(adapter.request_device(&descriptor)).map_err(|e| {
                Error::DeviceRequest {
                    adapter: info.name.clone(),
                    detail: e.to_string(),
                }
            })?;
        Ok(Self::from_parts(device, queue, info))
    }

    /// Wraps a device the caller already has.
    pub(crate) fn from_parts(
        device: wgpu::Device,
        queue: wgpu::Queue,
        info: wgpu::AdapterInfo,
    ) -> Self {
        // Errors are caught in error scopes where they can happen; anything
        // that still escapes is logged instead of aborting the process.
        device.on_uncaptured_error(Arc::new(|error: wgpu::Error| {
            log::error!("uncaptured wgpu error: {error}");
        }));
        let limits = device.limits();
        let features = device.features();
        let memory = Arc::new(MemoryPool::new(device.clone(), limits.max_buffer_size));
        GpuDevice {
            specialize_kernels: true,
            pad_shared_memory: false,
            device,
            queue,
            info,
            limits,
            features,
            memory,
            pipelines: Mutex::new(HashMap::new()),
            modules: Mutex::new(HashMap::new()),
            submissions: AtomicU64::new(0),
        }
    }

    /// The adapter's description (name, backend, driver).
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The limits the device was created with.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// Whether FFT kernels are generated per transform length and pass
    /// layout (straight-line code, no branches on uniforms): on by default
    /// on every adapter, lavapipe included, where they run 2-3x faster than
    /// the generic kernel; off runs the generic `fft_shared.wgsl`.
    pub fn specializes_kernels(&self) -> bool {
        self.specialize_kernels
    }

    pub(crate) fn set_specialize_kernels(&mut self, on: bool) {
        self.specialize_kernels = on;
    }

    /// Whether FFT tiles in workgroup memory are padded (one spare slot per
    /// 16 points) so strided accesses spread over memory banks; off by
    /// default, smaller tiles where memory is tight.
    pub fn pads_shared_memory(&self) -> bool {
        self.pad_shared_memory
    }

    pub(crate) fn set_pad_shared_memory(&mut self, on: bool) {
        self.pad_shared_memory = on;
    }

    /// Whether the device records timestamp queries.
    pub fn has_timestamps(&self) -> bool {
        self.features.contains(wgpu::Features::TIMESTAMP_QUERY)
    }

    /// The wgpu device, for callers that record their own work.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The wgpu queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// Largest storage binding in bytes.
    pub fn max_binding_bytes(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }

    fn parsed(
        &self,
        kernel: &'static Kernel,
    ) -> Result<Arc<(naga::Module, naga::valid::ModuleInfo)>> {
        let mut modules = self.modules.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = modules.get(kernel.name) {
            return Ok(Arc::clone(m));
        }
        let parsed = Arc::new(parse_kernel(kernel)?);
        modules.insert(kernel.name, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// The pipeline for `kernel` specialised with `constants` (WGSL
    /// `override`s), compiled once and cached.
    ///
    /// # Errors
    /// [`Error::ShaderCompile`] if the kernel fails to parse, validate or
    /// build; [`Error::WorkgroupMemory`] if, after specialisation, it needs
    /// more workgroup memory than the device allows (checked here, because
    /// drivers do not all reject it).
    pub(crate) fn pipeline(
        &self,
        kernel: &'static Kernel,
        constants: &[(&'static str, u32)],
    ) -> Result<Arc<Pipeline>> {
        let key = (kernel.name, constants.to_vec());
        if let Some(p) = self
            .pipelines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(Arc::clone(p));
        }
        let parsed = self.parsed(kernel)?;
        let requested = workgroup_bytes(kernel, &parsed, constants)?;
        let max = u64::from(self.limits.max_compute_workgroup_storage_size);
        if requested > max {
            return Err(Error::WorkgroupMemory {
                kernel: kernel.name,
                requested,
                max,
            });
        }

        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel.name),
                source: wgpu::ShaderSource::Wgsl(kernel.source().into()),
            });
        let bindings = bindings_of(&parsed.0).map_err(|detail| Error::ShaderCompile {
            kernel: kernel.name,
            detail,
        })?;
        let entries: Vec<wgpu::BindGroupLayoutEntry> = bindings
            .iter()
            .enumerate()
            .map(|(i, kind)| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: match kind {
                    BindingKind::StorageRead => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: true },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    BindingKind::StorageReadWrite => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: false },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    BindingKind::Uniform => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                },
                count: None,
            })
            .collect();
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(kernel.name),
                entries: &entries,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(kernel.name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let overrides: Vec<(&str, f64)> = constants
            .iter()
            .map(|&(name, v)| (name, f64::from(v)))
            .collect();
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel.name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some("main"),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: &overrides,
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            });
        if let Some(err) = pollster::block_on(scope.pop()) {
            return Err(Error::ShaderCompile {
                kernel: kernel.name,
                detail: err.to_string(),
            });
        }
        let pipeline = Arc::new(Pipeline {
            pipeline,
            layout,
            kernel,
            bindings,
            uniform: uniform_layout(&parsed.0),
            checked: Mutex::new(Vec::new()),
        });
        self.pipelines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Arc::clone(&pipeline));
        Ok(pipeline)
    }

    /// A 2-D grid of `groups` workgroups within the device's per-dimension
    /// limit (see [`grid_within`]).
    ///
    /// # Errors
    /// [`Error::DeviceLimit`] if even a square grid cannot hold them.
    pub(crate) fn grid(&self, groups: u64) -> Result<(u32, u32)> {
        grid_within(groups, self.limits.max_compute_workgroups_per_dimension)
    }

    /// A tracked storage buffer filled with `data`.
    ///
    /// # Errors
    /// Device limits, budget, allocation failure (see [`MemoryPool::allocate`]).
    pub(crate) fn storage_from<T: bytemuck::Pod>(
        &self,
        tag: &'static str,
        data: &[T],
    ) -> Result<GpuBuffer> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let buffer = self.storage(tag, bytes.len() as u64)?;
        self.queue.write_buffer(buffer.raw(), 0, bytes);
        Ok(buffer)
    }

    /// A tracked storage buffer of `bytes` bytes (contents unspecified).
    pub(crate) fn storage(&self, tag: &'static str, bytes: u64) -> Result<GpuBuffer> {
        self.memory.allocate(
            bytes.max(16),
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
            tag,
        )
    }

    /// Submits finished commands, counting the submission.
    pub(crate) fn submit(&self, commands: wgpu::CommandBuffer) -> wgpu::SubmissionIndex {
        self.submissions.fetch_add(1, Ordering::Relaxed);
        self.queue.submit([commands])
    }

    /// How many submissions the crate has made on this device: tests use it
    /// to check that an operation runs as one submission.
    pub fn submissions(&self) -> u64 {
        self.submissions.load(Ordering::Relaxed)
    }
}

/// A 2-D grid of at least `groups` workgroups with at most `max_per_dim`
/// per dimension; kernels fold `(x, y)` back into `x + y * grid.0`.
///
/// # Errors
/// [`Error::DeviceLimit`] if even a square grid cannot hold them.
pub(crate) fn grid_within(groups: u64, max_per_dim: u32) -> Result<(u32, u32)> {
    let max = u64::from(max_per_dim.max(1));
    let x = groups.clamp(1, max);
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

/// Parses and validates a kernel with naga.
///
/// # Errors
/// [`Error::ShaderCompile`] with naga's message (source spans included).
pub(crate) fn parse_kernel(
    kernel: &'static Kernel,
) -> Result<(naga::Module, naga::valid::ModuleInfo)> {
    let source = kernel.source();
    let module = naga::front::wgsl::parse_str(&source).map_err(|e| Error::ShaderCompile {
        kernel: kernel.name,
        detail: e.emit_to_string(&source),
    })?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .map_err(|e| Error::ShaderCompile {
        kernel: kernel.name,
        detail: e.emit_to_string(&source),
    })?;
    Ok((module, info))
}

/// Workgroup memory a kernel declares once its overrides take `constants`.
///
/// # Errors
/// [`Error::ShaderCompile`] if the constants do not specialise the module.
pub(crate) fn workgroup_bytes(
    kernel: &'static Kernel,
    parsed: &(naga::Module, naga::valid::ModuleInfo),
    constants: &[(&'static str, u32)],
) -> Result<u64> {
    let map: naga::back::PipelineConstants = constants
        .iter()
        .map(|&(k, v)| (k.to_string(), f64::from(v)))
        .collect();
    let (module, _) =
        naga::back::pipeline_constants::process_overrides(&parsed.0, &parsed.1, None, &map)
            .map_err(|e| Error::ShaderCompile {
                kernel: kernel.name,
                detail: format!("specialisation failed: {e}"),
            })?;
    Ok(module
        .global_variables
        .iter()
        .filter(|(_, v)| v.space == naga::AddressSpace::WorkGroup)
        .map(|(_, v)| u64::from(module.types[v.ty].inner.size(module.to_ctx())))
        .sum())
}
