//! The C ABI of `shim.cpp` (declared by hand; the structs mirror its own).

use std::os::raw::c_int;

use ash::vk;

/// The Vulkan handles a VkFFT plan uses (copied into the plan).
#[repr(C)]
pub(super) struct Handles {
    pub(super) physical: vk::PhysicalDevice,
    pub(super) device: vk::Device,
    pub(super) queue: vk::Queue,
    pub(super) pool: vk::CommandPool,
    pub(super) fence: vk::Fence,
}

/// What one VkFFT plan transforms.
#[repr(C)]
pub(super) struct Desc {
    pub(super) dims: u64,
    /// Fastest axis first.
    pub(super) size: [u64; 3],
    pub(super) batches: u64,
    /// 1: real-to-complex forward, complex-to-real inverse, in place.
    pub(super) real: u64,
    /// 0: both directions, 1: forward only, 2: inverse only.
    pub(super) only: u64,
    pub(super) buffer: vk::Buffer,
    pub(super) buffer_bytes: u64,
}

/// An opaque VkFFT application.
#[repr(C)]
pub(super) struct RawPlan {
    _private: [u8; 0],
}

extern "C" {
    /// Returns a `VkFFTResult` (0 on success).
    pub(super) fn ftvk_plan_new(h: *const Handles, d: *const Desc, out: *mut *mut RawPlan)
        -> c_int;
    /// Records the transform into `cmd`; `inverse` is 0 or 1.
    pub(super) fn ftvk_plan_append(
        p: *mut RawPlan,
        cmd: vk::CommandBuffer,
        inverse: c_int,
    ) -> c_int;
    /// Frees a plan from `ftvk_plan_new` (null is ignored).
    pub(super) fn ftvk_plan_free(p: *mut RawPlan);
}
