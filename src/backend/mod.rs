//! Choosing where work runs: a GPU through wgpu, or the CPU twin.
//!
//! A [`Context`] owns (or borrows) one wgpu device and queue, its pipeline
//! cache and its tracked buffer pool, or stands for the CPU backend. Every
//! operation of the crate takes a context and runs on its backend.

mod gpu;
mod memory;
mod recording;
mod submission;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, Once, OnceLock};

pub(crate) use gpu::grid_within;
pub use gpu::GpuDevice;
#[cfg(test)]
pub(crate) use gpu::{parse_kernel, workgroup_bytes};
pub use memory::{GpuBuffer, MemoryPool, MemoryStats, TagUsage};
pub use recording::{BufferSlice, Groups, Readback, Recording, Timer};
pub use submission::{Completed, Submission};

use crate::error::{Error, Result};

/// Which backend a [`Context`] should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// A real GPU (discrete, integrated or virtual) if one exists, Vulkan
    /// first, then other wgpu backends; otherwise the CPU backend. Software
    /// adapters (Mesa's llvmpipe) are skipped: the CPU backend is much faster
    /// on such machines.
    #[default]
    Auto,
    /// Any wgpu adapter, software ones included (best device type first).
    /// No adapter at all is an error, not a fallback.
    Gpu,
    /// The CPU backend (rustfft-based twins of every kernel).
    Cpu,
}

impl DeviceChoice {
    /// Reads `FFT_TENSOR_BACKEND` (`auto`, `gpu` or `cpu`); unset means `auto`.
    ///
    /// # Errors
    /// [`Error::BadBackendVariable`] for any other value.
    pub fn from_env() -> Result<Self> {
        match std::env::var("FFT_TENSOR_BACKEND") {
            Err(_) => Ok(DeviceChoice::Auto),
            Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "auto" => Ok(DeviceChoice::Auto),
                "gpu" => Ok(DeviceChoice::Gpu),
                "cpu" => Ok(DeviceChoice::Cpu),
                _ => Err(Error::BadBackendVariable { value: v }),
            },
        }
    }
}

/// The backend a context ended up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// WGSL kernels on a wgpu device.
    Gpu,
    /// The CPU twins.
    Cpu,
}

/// Options for [`Context::with_options`].
#[derive(Debug, Clone, Default)]
pub struct ContextOptions {
    /// Which backend to use.
    pub choice: DeviceChoice,
    /// The wgpu backends to search; `None` means all compiled in (and
    /// whatever `WGPU_BACKEND` narrows them to).
    pub backends: Option<wgpu::Backends>,
    /// A byte budget for the GPU buffer pool.
    pub memory_budget: Option<u64>,
    /// Generate FFT kernels per transform length (`Some(true)`), use one
    /// generic kernel (`Some(false)`), or decide by `FFT_TENSOR_SPECIALIZE=1|0`
    /// and else generate them (`None`, on every adapter).
    pub specialize_kernels: Option<bool>,
    /// Pad FFT tiles in workgroup memory against bank conflicts
    /// (`Some(true)`); `None` reads `FFT_TENSOR_PAD=1|0`, default off.
    pub pad_shared_memory: Option<bool>,
}

/// The context's GPU device, or `None` for the CPU backend. With
/// [`DeviceChoice::Auto`] the adapters are probed only when something first
/// asks for the device (a transform on the GPU, [`Context::backend`]), so
/// work that never needs one (quantisers, INT8) never loads a driver.
pub(crate) struct LazyGpu {
    cell: OnceLock<Option<GpuDevice>>,
    /// The options to probe with on first use (`None`: decided already).
    pending: Option<ContextOptions>,
}

impl std::ops::Deref for LazyGpu {
    type Target = Option<GpuDevice>;

    fn deref(&self) -> &Option<GpuDevice> {
        self.cell.get_or_init(|| {
            let Some(options) = &self.pending else {
                return None;
            };
            let gpu = match Context::open_gpu(options) {
                Ok(gpu) => gpu,
                Err(e) => {
                    log::warn!("fft-tensor: {e}; using the CPU backend");
                    None
                }
            };
            Context::log_description(gpu.as_ref());
            gpu
        })
    }
}

impl LazyGpu {
    fn ready(gpu: Option<GpuDevice>) -> Self {
        LazyGpu {
            cell: OnceLock::from(gpu),
            pending: None,
        }
    }
}

pub(crate) struct ContextInner {
    pub(crate) gpu: LazyGpu,
    /// Plans and tables of every kind, one map per (key, value) type; see
    /// [`Context::cached`].
    caches: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

/// Where the crate's work runs: a GPU device with its caches, or the CPU.
///
/// Cheap to clone (shared handle). Safe to use from several threads.
#[derive(Clone)]
pub struct Context {
    pub(crate) inner: Arc<ContextInner>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("backend", &self.backend())
            .field("description", &self.description())
            .finish()
    }
}

static LOG_ONCE: Once = Once::new();
static RUNTIME_DIR_ONCE: Once = Once::new();

/// Mesa's Vulkan drivers print `XDG_RUNTIME_DIR is invalid or not set` on
/// every instance when the variable is unset (containers, CI, cron). Before
/// the first probe, a process without it gets a private directory
/// (`$TMPDIR/fft-tensor-runtime-<uid>`, mode 0700). A variable the user set
/// is left alone.
fn quiet_driver_runtime_dir() {
    RUNTIME_DIR_ONCE.call_once(|| {
        if std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| std::path::Path::new(&d).is_dir()) {
            return;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
            let uid = std::fs::metadata("/proc/self")
                .map(|m| m.uid())
                .unwrap_or(0);
            let dir = std::env::temp_dir().join(format!("fft-tensor-runtime-{uid}"));
            let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
            let private = std::fs::metadata(&dir)
                .is_ok_and(|m| m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o077 == 0);
            if private {
                // Set once, before this crate creates any Vulkan instance.
                std::env::set_var("XDG_RUNTIME_DIR", &dir);
            }
        }
    });
}

fn device_type_rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

fn backend_rank(b: wgpu::Backend) -> u8 {
    match b {
        wgpu::Backend::Vulkan => 0,
        wgpu::Backend::Metal | wgpu::Backend::Dx12 => 1,
        _ => 2,
    }
}

impl Context {
    /// A context on the backend `choice` selects.
    ///
    /// # Errors
    /// [`Error::NoAdapter`] for [`DeviceChoice::Gpu`] with no adapter;
    /// [`Error::DeviceRequest`] if the chosen adapter refuses a device.
    pub fn new(choice: DeviceChoice) -> Result<Self> {
        Self::with_options(ContextOptions {
            choice,
            ..Default::default()
        })
    }

    /// A context on the backend named by `FFT_TENSOR_BACKEND` (default `auto`).
    ///
    /// # Errors
    /// As [`Context::new`], plus [`Error::BadBackendVariable`].
    pub fn from_env() -> Result<Self> {
        Self::new(DeviceChoice::from_env()?)
    }

    /// The CPU backend. Never fails.
    pub fn cpu() -> Self {
        Self::wrap(None)
    }

    /// A context with every option spelled out.
    ///
    /// # Errors
    /// As [`Context::new`].
    pub fn with_options(options: ContextOptions) -> Result<Self> {
        if options.choice == DeviceChoice::Cpu {
            let ctx = Self::cpu();
            ctx.log_choice();
            return Ok(ctx);
        }
        if options.choice == DeviceChoice::Auto {
            // Probed on first use: see `LazyGpu`.
            return Ok(Self::wrap_lazy(LazyGpu {
                cell: OnceLock::new(),
                pending: Some(options),
            }));
        }
        let ctx = Self::wrap(Self::open_gpu(&options)?);
        ctx.log_choice();
        Ok(ctx)
    }

    /// The adapter `options` select, opened, or `None` for the CPU backend
    /// (with [`DeviceChoice::Auto`] and no hardware adapter).
    fn open_gpu(options: &ContextOptions) -> Result<Option<GpuDevice>> {
        quiet_driver_runtime_dir();
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if let Some(backends) = options.backends {
            descriptor.backends = backends;
        }
        let searched = descriptor.backends;
        let instance = wgpu::Instance::new(descriptor);
        let mut adapters = pollster::block_on(instance.enumerate_adapters(searched));
        adapters.sort_by_key(|a| {
            let info = a.get_info();
            (
                device_type_rank(info.device_type),
                backend_rank(info.backend),
            )
        });
        let found: Vec<String> = adapters
            .iter()
            .map(|a| {
                let i = a.get_info();
                format!("{} ({:?}, {:?})", i.name, i.backend, i.device_type)
            })
            .collect();
        let pick = adapters.into_iter().find(|a| {
            options.choice == DeviceChoice::Gpu || a.get_info().device_type != wgpu::DeviceType::Cpu
        });
        Ok(match pick {
            Some(adapter) => {
                let mut gpu = GpuDevice::open(&adapter)?;
                let from_env = std::env::var("FFT_TENSOR_SPECIALIZE")
                    .ok()
                    .map(|v| v.trim() == "1");
                if let Some(on) = options.specialize_kernels.or(from_env) {
                    gpu.set_specialize_kernels(on);
                }
                let pad_env = std::env::var("FFT_TENSOR_PAD")
                    .ok()
                    .map(|v| v.trim() == "1");
                if let Some(on) = options.pad_shared_memory.or(pad_env) {
                    gpu.set_pad_shared_memory(on);
                }
                gpu.memory.set_budget(options.memory_budget);
                Some(gpu)
            }
            None if options.choice == DeviceChoice::Gpu => {
                return Err(Error::NoAdapter {
                    detail: format!("searched backends {searched:?}, found none"),
                });
            }
            None => {
                log::info!(
                    "fft-tensor: no hardware GPU adapter (found: {}); using the CPU backend",
                    if found.is_empty() {
                        "none".to_string()
                    } else {
                        found.join(", ")
                    }
                );
                None
            }
        })
    }

    /// A context on a device the caller already uses, so one program shares
    /// one GPU. The crate adds its pipelines and buffers to that device.
    pub fn from_wgpu(device: wgpu::Device, queue: wgpu::Queue, info: wgpu::AdapterInfo) -> Self {
        let ctx = Self::wrap(Some(GpuDevice::from_parts(device, queue, info)));
        ctx.log_choice();
        ctx
    }

    fn wrap(gpu: Option<GpuDevice>) -> Self {
        Self::wrap_lazy(LazyGpu::ready(gpu))
    }

    fn wrap_lazy(gpu: LazyGpu) -> Self {
        Context {
            inner: Arc::new(ContextInner {
                gpu,
                caches: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The value cached under `key` in this context, built by `build` the
    /// first time. Plans of every module (FFT, real, DCT, Bluestein's inner
    /// FFTs, twiddle tables) live here, one map per key type, so the
    /// backend knows nothing of them. `build` runs without the cache locked
    /// (it may plan other things); if two threads race, the first stored
    /// value wins.
    ///
    /// # Errors
    /// Whatever `build` returns.
    pub(crate) fn cached<K, V>(&self, key: K, build: impl FnOnce() -> Result<V>) -> Result<Arc<V>>
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        let lookup = |caches: &HashMap<TypeId, Box<dyn Any + Send + Sync>>, key: &K| {
            caches
                .get(&TypeId::of::<(K, V)>())
                .and_then(|m| m.downcast_ref::<HashMap<K, Arc<V>>>())
                .and_then(|m| m.get(key))
                .cloned()
        };
        if let Some(v) = lookup(&self.lock_caches(), &key) {
            return Ok(v);
        }
        let built = Arc::new(build()?);
        let mut caches = self.lock_caches();
        let map = caches
            .entry(TypeId::of::<(K, V)>())
            .or_insert_with(|| Box::new(HashMap::<K, Arc<V>>::new()))
            .downcast_mut::<HashMap<K, Arc<V>>>()
            .expect("each cache map is stored under its own type");
        Ok(Arc::clone(map.entry(key).or_insert(built)))
    }

    fn lock_caches(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<TypeId, Box<dyn Any + Send + Sync>>> {
        self.inner.caches.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn log_choice(&self) {
        Self::log_description(self.inner.gpu.as_ref());
    }

    fn log_description(gpu: Option<&GpuDevice>) {
        let description = Self::describe(gpu);
        LOG_ONCE.call_once(|| log::info!("fft-tensor backend: {description}"));
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        if self.inner.gpu.is_some() {
            Backend::Gpu
        } else {
            Backend::Cpu
        }
    }

    /// Whether the GPU is probed on first use ([`DeviceChoice::Auto`]), so
    /// a caller may keep small work on the CPU without loading a driver.
    pub(crate) fn gpu_on_demand(&self) -> bool {
        self.inner.gpu.pending.is_some()
    }

    /// The GPU device, if this context runs on one.
    pub fn gpu(&self) -> Option<&GpuDevice> {
        self.inner.gpu.as_ref()
    }

    /// One line: adapter name, wgpu backend, device type and driver, or the
    /// CPU backend with its thread count.
    pub fn description(&self) -> String {
        Self::describe(self.inner.gpu.as_ref())
    }

    fn describe(gpu: Option<&GpuDevice>) -> String {
        match gpu {
            Some(gpu) => {
                let i = gpu.adapter_info();
                format!(
                    "GPU `{}` via {:?} ({:?}; driver {} {})",
                    i.name, i.backend, i.device_type, i.driver, i.driver_info
                )
            }
            None => format!(
                "CPU backend (rustfft, {} threads)",
                rayon::current_num_threads()
            ),
        }
    }

    /// GPU memory accounting (all zeros on the CPU backend).
    pub fn memory_stats(&self) -> MemoryStats {
        self.gpu().map(|g| g.memory.stats()).unwrap_or_default()
    }

    /// Sets or clears the GPU memory budget; allocations beyond it fail with
    /// [`Error::BudgetExceeded`]. No effect on the CPU backend.
    pub fn set_memory_budget(&self, budget: Option<u64>) {
        if let Some(g) = self.gpu() {
            g.memory.set_budget(budget);
        }
    }

    /// Resets the peak memory counters.
    pub fn reset_peak_memory(&self) {
        if let Some(g) = self.gpu() {
            g.memory.reset_peak();
        }
    }

    /// Frees pooled GPU buffers that are not in use.
    pub fn trim_memory(&self) {
        if let Some(g) = self.gpu() {
            g.memory.trim();
        }
    }
}

#[cfg(test)]
mod lazy_tests {
    use super::*;

    #[test]
    fn auto_probes_only_when_asked() {
        let ctx = Context::with_options(ContextOptions {
            choice: DeviceChoice::Auto,
            ..Default::default()
        })
        .unwrap();
        assert!(ctx.gpu_on_demand());
        assert!(ctx.inner.gpu.cell.get().is_none(), "probed at creation");
        // Small transforms stay on the CPU without probing.
        let small = crate::store::codec::transform_context(&ctx, 1000);
        assert_eq!(small.backend(), Backend::Cpu);
        assert!(ctx.inner.gpu.cell.get().is_none());
        // Asking for the backend probes (a hardware GPU or the CPU).
        let _ = ctx.backend();
        assert!(ctx.inner.gpu.cell.get().is_some());
        assert!(!Context::cpu().gpu_on_demand());
    }
}
