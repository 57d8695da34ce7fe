// C ABI over VkFFT's header-only library (Vulkan backend), for the Rust
// module `fft_tensor::vkfft`. One plan owns a VkFFTApplication and copies of
// the Vulkan handles it points to, in one heap object, so the pointers VkFFT
// keeps in its configuration stay valid for the plan's life.
#include <new>
#include <cstdint>
#include <vulkan/vulkan.h>
#include "vkFFT.h"

extern "C" {

struct ftvk_handles {
    VkPhysicalDevice physical;
    VkDevice device;
    VkQueue queue;
    VkCommandPool pool;
    VkFence fence;
};

struct ftvk_desc {
    uint64_t dims;        // 1, 2 or 3
    uint64_t size[3];     // fastest axis first
    uint64_t batches;     // lines (or planes, volumes) in the buffer
    uint64_t real;        // 1: R2C forward / C2R inverse, in place, padded rows
    uint64_t only;        // 0: both directions, 1: forward only, 2: inverse only
    VkBuffer buffer;
    uint64_t buffer_bytes;
};

struct ftvk_plan {
    ftvk_handles handles;
    VkBuffer buffer;
    uint64_t buffer_bytes;
    VkFFTApplication app;
};

// Returns a VkFFTResult (0 on success); on success *out owns the plan.
int ftvk_plan_new(const ftvk_handles* handles, const ftvk_desc* desc, ftvk_plan** out) {
    *out = nullptr;
    ftvk_plan* plan = new (std::nothrow) ftvk_plan();
    if (!plan) {
        return VKFFT_ERROR_MALLOC_FAILED;
    }
    plan->handles = *handles;
    plan->buffer = desc->buffer;
    plan->buffer_bytes = desc->buffer_bytes;
    VkFFTConfiguration config = {};
    config.FFTdim = desc->dims;
    for (int i = 0; i < 3; i++) {
        config.size[i] = i < (int)desc->dims ? desc->size[i] : 1;
    }
    config.numberBatches = desc->batches;
    config.performR2C = desc->real;
    config.makeForwardPlanOnly = desc->only == 1;
    config.makeInversePlanOnly = desc->only == 2;
    config.physicalDevice = &plan->handles.physical;
    config.device = &plan->handles.device;
    config.queue = &plan->handles.queue;
    config.commandPool = &plan->handles.pool;
    config.fence = &plan->handles.fence;
    config.buffer = &plan->buffer;
    config.bufferSize = &plan->buffer_bytes;
    VkFFTResult res = initializeVkFFT(&plan->app, config);
    if (res != VKFFT_SUCCESS) {
        deleteVkFFT(&plan->app);
        delete plan;
        return res;
    }
    *out = plan;
    return VKFFT_SUCCESS;
}

// Records the transform into `cmd` (inverse: 0 forward, 1 inverse).
int ftvk_plan_append(ftvk_plan* plan, VkCommandBuffer cmd, int inverse) {
    VkFFTLaunchParams launch = {};
    launch.commandBuffer = &cmd;
    launch.buffer = &plan->buffer;
    return VkFFTAppend(&plan->app, inverse ? 1 : -1, &launch);
}

void ftvk_plan_free(ftvk_plan* plan) {
    if (plan) {
        deleteVkFFT(&plan->app);
        delete plan;
    }
}

}  // extern "C"
