//! Build script: with the `vkfft` feature, compiles the C++ shim over
//! Debian's VkFFT header (`src/vkfft/shim.cpp`) and links glslang,
//! SPIRV-Tools and the Vulkan loader. Without it, does nothing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "vkfft")]
    vkfft::build();
}

#[cfg(feature = "vkfft")]
mod vkfft {
    use std::path::{Path, PathBuf};

    /// Debian's VkFFT 1.2.26 header initialises `glslang_resource_t` without
    /// the mesh-shader fields glslang 12 added after `maxMeshViewCountNV`;
    /// the copy in `OUT_DIR` gets them (the values glslang's defaults use).
    const MESH_NV: &str = "/* .maxMeshViewCountNV = */ 4,";
    const MESH_EXT: &str = "/* .maxMeshViewCountNV = */ 4,\n\
        256, 256, 128, 128, 128, 128, 128, 128, 4, /* glslang 12 mesh EXT fields */";

    fn header() -> PathBuf {
        let dir = std::env::var_os("VKFFT_INCLUDE")
            .map_or_else(|| PathBuf::from("/usr/include"), PathBuf::from);
        dir.join("vkFFT.h")
    }

    fn glslang_has_mesh_ext() -> bool {
        std::fs::read_to_string("/usr/include/glslang/Include/glslang_c_interface.h")
            .map(|s| s.contains("max_mesh_view_count_ext"))
            .unwrap_or(false)
    }

    pub fn build() {
        println!("cargo:rerun-if-changed=src/vkfft/shim.cpp");
        println!("cargo:rerun-if-env-changed=VKFFT_INCLUDE");
        let src = header();
        println!("cargo:rerun-if-changed={}", src.display());
        let text = std::fs::read_to_string(&src).unwrap_or_else(|e| {
            panic!(
                "feature `vkfft`: cannot read {} ({e}); install libvkfft-dev \
                 (and libvulkan-dev glslang-dev spirv-tools) or set VKFFT_INCLUDE",
                src.display()
            )
        });
        let patched = if glslang_has_mesh_ext() && !text.contains("glslang 12 mesh EXT") {
            text.replace(MESH_NV, MESH_EXT)
        } else {
            text
        };
        let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        std::fs::write(out.join("vkFFT.h"), patched).expect("write the patched VkFFT header");
        cc::Build::new()
            .cpp(true)
            .std("c++11")
            .include(&out)
            .define("VKFFT_BACKEND", "0")
            .warnings(false)
            .file(Path::new("src/vkfft/shim.cpp"))
            .compile("fft_tensor_vkfft_shim");
        for lib in [
            "glslang",
            "MachineIndependent",
            "OSDependent",
            "GenericCodeGen",
            "OGLCompiler",
            "SPIRV",
            "SPIRV-Tools-opt",
            "SPIRV-Tools",
        ] {
            println!("cargo:rustc-link-lib={lib}");
        }
        println!("cargo:rustc-link-lib=dylib=vulkan");
        println!("cargo:rustc-link-lib=dylib=pthread");
        println!("cargo:rustc-link-lib=dylib=stdc++");
    }
}
