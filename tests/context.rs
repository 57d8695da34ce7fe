//! Backend choice and its errors.

use fft_tensor::{Backend, Context, ContextOptions, DeviceChoice, Error};

#[test]
fn gpu_without_any_adapter_is_an_error_not_a_fallback() {
    let err = Context::with_options(ContextOptions {
        choice: DeviceChoice::Gpu,
        backends: Some(fft_tensor::wgpu::Backends::empty()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(err, Error::NoAdapter { .. }), "{err}");
}

#[test]
fn auto_without_any_adapter_falls_back_to_the_cpu() {
    let ctx = Context::with_options(ContextOptions {
        choice: DeviceChoice::Auto,
        backends: Some(fft_tensor::wgpu::Backends::empty()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(ctx.backend(), Backend::Cpu);
    assert!(ctx.description().starts_with("CPU backend"));
}

#[test]
fn cpu_choice_is_the_cpu_backend() {
    let ctx = Context::new(DeviceChoice::Cpu).unwrap();
    assert_eq!(ctx.backend(), Backend::Cpu);
    assert_eq!(ctx.memory_stats().current, 0);
}

#[test]
fn a_borrowed_device_is_shared_not_reopened() {
    let Some(owner) =
        fft_tensor::testing::gpu_context_or_skip("a_borrowed_device_is_shared_not_reopened")
    else {
        return;
    };
    let gpu = owner.gpu().unwrap();
    let borrowed = Context::from_wgpu(
        gpu.device().clone(),
        gpu.queue().clone(),
        gpu.adapter_info().clone(),
    );
    assert_eq!(borrowed.backend(), Backend::Gpu);
    assert!(borrowed.gpu().unwrap().device() == gpu.device());
    let mut data = vec![fft_tensor::num_complex::Complex32::new(1.0, 0.0); 64];
    borrowed
        .fft(
            &mut data,
            64,
            fft_tensor::FftDirection::Forward,
            fft_tensor::Normalization::None,
        )
        .unwrap();
    assert!((data[0].re - 64.0).abs() < 1e-4 && data[1].norm() < 1e-4);
}

/// The former names of the element-type enums keep working, deprecated.
#[test]
#[allow(deprecated)]
fn former_type_names_still_work() {
    let a: fft_tensor::DType = fft_tensor::GpuElement::F32;
    assert_eq!(a.size(), 4);
    let b: fft_tensor::spectral::ValueType = fft_tensor::spectral::StoredPrecision::F16;
    assert_eq!(b, fft_tensor::spectral::StoredPrecision::default());
    let c: fft_tensor::store::SafetensorsDtype = safetensors::Dtype::F32;
    assert_eq!(c, safetensors::Dtype::F32);
}
