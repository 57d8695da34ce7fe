//! Every WGSL kernel parses and validates with naga, every file in shaders/
//! is registered, and the bindings the Rust side binds match the WGSL.

use std::collections::BTreeSet;

use fft_tensor::backend::{parse_kernel, workgroup_bytes};
use fft_tensor::shaders::{BindingKind, KERNELS};

#[test]
fn every_kernel_validates_and_declares_the_bindings_rust_binds() {
    assert!(!KERNELS.is_empty(), "no kernels registered");
    for kernel in KERNELS {
        let (module, _) = parse_kernel(kernel).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            module.entry_points.len(),
            1,
            "{}: one entry point",
            kernel.name
        );
        assert_eq!(module.entry_points[0].name, "main", "{}", kernel.name);
        let mut found = Vec::new();
        for (_, var) in module.global_variables.iter() {
            let Some(binding) = &var.binding else {
                continue;
            };
            assert_eq!(
                binding.group, 0,
                "{}: everything binds in group 0",
                kernel.name
            );
            let kind = match var.space {
                naga::AddressSpace::Uniform => BindingKind::Uniform,
                naga::AddressSpace::Storage { access }
                    if access.contains(naga::StorageAccess::STORE) =>
                {
                    BindingKind::StorageReadWrite
                }
                naga::AddressSpace::Storage { .. } => BindingKind::StorageRead,
                other => panic!("{}: unexpected binding space {other:?}", kernel.name),
            };
            found.push((binding.binding, kind));
        }
        found.sort_by_key(|(b, _)| *b);
        let expected: Vec<_> = kernel
            .bindings
            .iter()
            .enumerate()
            .map(|(i, k)| (i as u32, *k))
            .collect();
        assert_eq!(
            found, expected,
            "{}: WGSL bindings vs the Rust list",
            kernel.name
        );
    }
}

#[test]
fn every_shader_file_is_registered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    let files: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wgsl"))
        .collect();
    assert!(!files.is_empty(), "no .wgsl files found in {dir}");
    let registered: BTreeSet<String> = KERNELS.iter().map(|k| k.name.to_string()).collect();
    assert_eq!(files, registered);
}

#[test]
fn workgroup_memory_is_measured_after_specialisation() {
    let kernel = &fft_tensor::shaders::FFT_SHARED;
    let parsed = parse_kernel(kernel).unwrap();
    assert_eq!(
        workgroup_bytes(kernel, &parsed, &[("SHARED_ALLOC", 4096), ("WG_SIZE", 256)]).unwrap(),
        32768
    );
    assert_eq!(
        workgroup_bytes(kernel, &parsed, &[("SHARED_ALLOC", 4352), ("WG_SIZE", 256)]).unwrap(),
        34816
    );
}
