//! The WGSL kernels, embedded in the binary, each declared once.
//!
//! Adding a kernel takes three things: its file in `shaders/` (entry point
//! `main`, everything in bind group 0), one line in the [`kernels!`] list
//! below, and a small Rust wrapper that records it with
//! [`Recording::launch`](crate::backend::Recording::launch). Its binding
//! list is read from the WGSL by naga when the pipeline is built (nothing to
//! keep in sync by hand); its uniform parameters are a struct declared with
//! [`kernel_params!`], whose size and field offsets are checked against
//! naga's layout of the WGSL struct the first time it is launched (and for
//! every kernel by this module's tests).
//!
//! Shared helpers live in `shaders/common/`; a kernel pulls one in with a
//! line `// use common/NAME.wgsl`, which [`Kernel::source`] resolves by
//! prepending the helper (WGSL has no include of its own). Constants that
//! WGSL and Rust both need are declared once in [`shared_constants!`] and
//! prepended to every kernel as WGSL `const`s.

/// How a binding is declared in WGSL (all in group 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindingKind {
    /// `var<storage, read>`
    StorageRead,
    /// `var<storage, read_write>`
    StorageReadWrite,
    /// `var<uniform>`
    Uniform,
}

/// One embedded compute kernel.
#[derive(Debug)]
pub(crate) struct Kernel {
    /// File name below `shaders/`, e.g. `fft_shared.wgsl`.
    pub(crate) name: &'static str,
    /// The file's text, before helpers are resolved.
    pub(crate) body: &'static str,
}

/// A kernel's uniform parameters: plain data laid out as the WGSL struct.
/// Declare with [`kernel_params!`].
pub(crate) trait KernelParams: bytemuck::Pod {
    /// Each field's name and byte offset, in declaration order.
    fn fields() -> &'static [(&'static str, usize)];
}

/// Declares a `#[repr(C)]` uniform struct and its [`KernelParams`] layout.
/// Fields named as in the WGSL struct; padding fields start with `_`.
macro_rules! kernel_params {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
        $vis struct $name { $(pub(crate) $field: $ty),* }
        impl $crate::shaders::KernelParams for $name {
            fn fields() -> &'static [(&'static str, usize)] {
                &[$((stringify!($field), std::mem::offset_of!($name, $field))),*]
            }
        }
    };
}
pub(crate) use kernel_params;

macro_rules! kernels {
    ($($(#[$doc:meta])* $name:ident = $file:literal;)*) => {
        $($(#[$doc])* pub(crate) const $name: Kernel = Kernel {
            name: $file,
            body: include_str!(concat!("../shaders/", $file)),
        };)*
        /// Every kernel of the crate.
        #[cfg(test)]
        pub(crate) const KERNELS: &[&Kernel] = &[$(&$name),*];
    };
}

kernels! {
    /// Batched FFT with whole lines in workgroup memory (strided, optional four-step twist).
    FFT_SHARED = "fft_shared.wgsl";
    /// One mixed-radix Stockham stage through global memory.
    FFT_GLOBAL_PASS = "fft_global_pass.wgsl";
    /// Real-to-complex post-processing (half spectrum from a packed FFT).
    RFFT_POST = "rfft_post.wgsl";
    /// Complex-to-real pre-processing (packed spectrum from a half spectrum).
    IRFFT_PRE = "irfft_pre.wgsl";
    /// Copy along an axis with real/complex conversion, truncation or Hermitian extension.
    AXIS_COPY = "axis_copy.wgsl";
    /// Makhoul's index shuffle for the DCT (gather before, scatter after).
    DCT_REORDER = "dct_reorder.wgsl";
    /// The DCT's twiddle step between half spectra and coefficients.
    DCT_SPECTRUM = "dct_spectrum.wgsl";
    /// Scatters kept coefficients into a zero-filled dense spectrum.
    SPARSE_SCATTER = "sparse_scatter.wgsl";
    /// Parseval energy of the dropped coefficients, one partial per workgroup.
    SPECTRAL_DROPPED = "spectral_dropped.wgsl";
    /// Top-k radix select: one pass's 256-bin digit histogram (and the non-finite check).
    TOPK_HISTOGRAM = "topk_histogram.wgsl";
    /// Top-k radix select: picks the digit holding the k-th largest key (one invocation).
    TOPK_DIGIT = "topk_digit.wgsl";
    /// Top-k compaction: per-block counts of keys above and equal to the threshold.
    TOPK_BLOCK_COUNT = "topk_block_count.wgsl";
    /// Top-k compaction: exclusive scan of the block counts into output slots (one workgroup).
    TOPK_SCAN = "topk_scan.wgsl";
    /// Top-k compaction: writes kept positions and values in ascending position order.
    TOPK_SCATTER = "topk_scatter.wgsl";
    /// Bluestein step 1: gather lines into zero-padded rows times the chirp.
    BLUESTEIN_CHIRP = "bluestein_chirp.wgsl";
    /// Bluestein step 3: rows of spectra times the chirp filter's spectrum, in place.
    BLUESTEIN_POINTWISE = "bluestein_pointwise.wgsl";
    /// Bluestein step 5: the convolution's first points times the chirp, scattered to the lines.
    BLUESTEIN_OUTPUT = "bluestein_output.wgsl";
    /// Layer norm over the last axis, with an optional fused residual add.
    LAYER_NORM = "layer_norm.wgsl";
    /// GELU (tanh or erf form) with an optional fused per-column bias.
    GELU = "gelu.wgsl";
    /// FNet mixing: the real part of a 2-D spectrum from its half spectrum.
    FNET_REAL = "fnet_real.wgsl";
    /// Scaled dot-product attention, online softmax over key tiles, masks and heads.
    ATTENTION = "attention.wgsl";
    /// Zero padding, cropping and flipping of planes, with a per-channel bias.
    CONV_WINDOW = "conv_window.wgsl";
    /// FFT convolution's channel sum of spectra (groups, conjugate for correlation).
    CONV_SPECTRAL_MIX = "conv_spectral_mix.wgsl";
    /// Direct conv2d: stride, padding, dilation, groups.
    CONV2D_DIRECT = "conv2d_direct.wgsl";
    /// Embedding lookup: rows of a table by id.
    EMBEDDING_GATHER = "embedding_gather.wgsl";
    /// Rotary position encoding as complex multiplication by a position table.
    ROPE = "rope.wgsl";
    /// Tiled `Y = X W^T (+ bias)` with W as f32, INT8 or INT4 (dequantised on load).
    MATMUL = "matmul.wgsl";
    /// Block-circulant product of half spectra: sum over block columns of weight times input.
    CIRCULANT_ACCUMULATE = "circulant_accumulate.wgsl";
    /// Spectral matmul: kept 2-D DCT coefficients (compressed rows) times the input's DCT.
    SPECTRAL_GATHER = "spectral_gather.wgsl";
}

macro_rules! shared_constants {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $($(#[$doc])* pub(crate) const $name: u32 = $value;)*
        /// The shared constants as `(name, value)`, prepended to every kernel.
        pub(crate) const SHARED_CONSTANTS: &[(&str, u32)] = &[$((stringify!($name), $name)),*];
    };
}

shared_constants! {
    /// Registers per thread in the FFT kernels: a workgroup's tile holds at
    /// most `WORKGROUP_SIZE * REGS` points.
    REGS = 16;
    /// Invocations per workgroup of the top-k kernels.
    TOPK_WG = 256;
    /// Elements per top-k compaction block (`TOPK_WG` threads, 4 each).
    TOPK_BLOCK = 1024;
    /// Elements per top-k histogram workgroup (`TOPK_WG` threads, 16 each).
    TOPK_TILE = 4096;
    /// Top-k state word: the key prefix chosen so far.
    ST_PREFIX = 0;
    /// Top-k state word: how many keys are still to select below the prefix.
    ST_REMAINING = 1;
    /// Top-k state word: keys strictly above the threshold.
    ST_ABOVE = 2;
    /// Top-k state word: 1 once the threshold is known.
    ST_DONE = 3;
    /// Top-k state word: the threshold key.
    ST_THRESHOLD = 4;
    /// Top-k state word: keys equal to the threshold that are kept.
    ST_NEED_TIES = 5;
    /// Top-k state word: first index of a non-finite input (`u32::MAX` if none).
    ST_BAD = 6;
    /// Top-k state word: keys kept in all.
    ST_TOTAL = 7;
    /// Words of the top-k state buffer.
    ST_WORDS = 8;
}

/// Shared WGSL helpers, by the path kernels name them with.
const COMMON: &[(&str, &str)] = &[
    (
        "common/complex.wgsl",
        include_str!("../shaders/common/complex.wgsl"),
    ),
    (
        "common/topk_key.wgsl",
        include_str!("../shaders/common/topk_key.wgsl"),
    ),
];

impl Kernel {
    /// The complete WGSL text: the shared constants, the helpers named by
    /// `// use` lines, then the body.
    ///
    /// # Panics
    /// Never for the kernels in [`KERNELS`]; an unknown helper name is a bug
    /// caught by this module's tests.
    pub(crate) fn source(&self) -> String {
        let mut out = String::new();
        for (name, value) in SHARED_CONSTANTS {
            out.push_str(&format!("const {name}: u32 = {value}u;\n"));
        }
        for line in self.body.lines() {
            if let Some(path) = line.trim().strip_prefix("// use ") {
                let (_, text) = COMMON
                    .iter()
                    .find(|(p, _)| *p == path.trim())
                    .unwrap_or_else(|| panic!("{}: unknown helper {path}", self.name));
                out.push_str(text);
                out.push('\n');
            }
        }
        out.push_str(self.body);
        out
    }
}

/// The bindings of group 0 of a parsed kernel, in binding order.
///
/// # Errors
/// A message when a binding is outside group 0, numbers leave gaps, or its
/// address space is not storage or uniform.
pub(crate) fn bindings_of(module: &naga::Module) -> Result<Vec<BindingKind>, String> {
    let mut found = Vec::new();
    for (_, var) in module.global_variables.iter() {
        let Some(binding) = &var.binding else {
            continue;
        };
        if binding.group != 0 {
            return Err(format!(
                "binding {} is in group {}, not 0",
                binding.binding, binding.group
            ));
        }
        let kind = match var.space {
            naga::AddressSpace::Uniform => BindingKind::Uniform,
            naga::AddressSpace::Storage { access }
                if access.contains(naga::StorageAccess::STORE) =>
            {
                BindingKind::StorageReadWrite
            }
            naga::AddressSpace::Storage { .. } => BindingKind::StorageRead,
            other => {
                return Err(format!(
                    "binding {} has address space {other:?}",
                    binding.binding
                ))
            }
        };
        found.push((binding.binding, kind));
    }
    found.sort_by_key(|(b, _)| *b);
    if let Some((i, (b, _))) = found.iter().enumerate().find(|(i, (b, _))| *b != *i as u32) {
        return Err(format!(
            "bindings are not numbered 0.. without gaps (binding {b} at position {i})"
        ));
    }
    if found
        .iter()
        .filter(|(_, k)| *k == BindingKind::Uniform)
        .count()
        > 1
    {
        return Err("more than one uniform binding".into());
    }
    Ok(found.into_iter().map(|(_, k)| k).collect())
}

/// The uniform struct of a parsed kernel: `(span, [(member, offset)])`.
pub(crate) fn uniform_layout(module: &naga::Module) -> Option<(u32, Vec<(String, u32)>)> {
    let (_, var) = module
        .global_variables
        .iter()
        .find(|(_, v)| v.space == naga::AddressSpace::Uniform)?;
    match &module.types[var.ty].inner {
        naga::TypeInner::Struct { members, span } => Some((
            *span,
            members
                .iter()
                .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
                .collect(),
        )),
        _ => None,
    }
}

/// Checks a Rust parameter struct against a WGSL uniform layout: the same
/// size (rounded to 16 bytes, as uniform bindings are) and every WGSL member
/// at the same offset under the same name, padding aside.
pub(crate) fn check_layout<P: KernelParams>(
    kernel: &str,
    layout: &(u32, Vec<(String, u32)>),
) -> Result<(), String> {
    let (span, members) = layout;
    let rust_size = std::mem::size_of::<P>();
    let wgsl_size = (*span as usize).next_multiple_of(16);
    if rust_size.next_multiple_of(16) != wgsl_size || rust_size < *span as usize {
        return Err(format!(
            "{kernel}: parameters are {rust_size} bytes in Rust, {span} in WGSL"
        ));
    }
    let rust = P::fields();
    for (name, offset) in members.iter().filter(|(n, _)| !n.starts_with('_')) {
        match rust.iter().find(|(n, _)| n == name) {
            Some((_, o)) if *o == *offset as usize => {}
            Some((_, o)) => {
                return Err(format!(
                    "{kernel}: field `{name}` at byte {o} in Rust, {offset} in WGSL"
                ))
            }
            None => return Err(format!("{kernel}: field `{name}` missing in Rust")),
        }
    }
    for (name, _) in rust.iter().filter(|(n, _)| !n.starts_with('_')) {
        if !members.iter().any(|(n, _)| n == name) {
            return Err(format!(
                "{kernel}: Rust field `{name}` is not in the WGSL struct"
            ));
        }
    }
    Ok(())
}

/// Asserts that `P` is laid out as `kernel`'s uniform struct (for the
/// wrapper modules' tests, which need no GPU).
#[cfg(test)]
#[track_caller]
pub(crate) fn assert_params<P: KernelParams>(kernel: &'static Kernel) {
    let (module, _) = crate::backend::parse_kernel(kernel).unwrap_or_else(|e| panic!("{e}"));
    let layout = uniform_layout(&module).unwrap_or_else(|| panic!("{}: no uniform", kernel.name));
    check_layout::<P>(kernel.name, &layout).unwrap_or_else(|e| panic!("{e}"));
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::backend::{parse_kernel, workgroup_bytes};

    #[test]
    fn every_kernel_validates_with_one_main_and_group_zero_bindings() {
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
            let bindings = bindings_of(&module).unwrap_or_else(|e| panic!("{}: {e}", kernel.name));
            assert!(!bindings.is_empty(), "{}: binds nothing", kernel.name);
            assert!(
                uniform_layout(&module).is_some() == bindings.contains(&BindingKind::Uniform),
                "{}: its uniform is a struct",
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
        let parsed = parse_kernel(&FFT_SHARED).unwrap();
        let bytes = |alloc| {
            workgroup_bytes(
                &FFT_SHARED,
                &parsed,
                &[("SHARED_ALLOC", alloc), ("WG_SIZE", 256)],
            )
            .unwrap()
        };
        assert_eq!(bytes(4096), 32768);
        assert_eq!(bytes(4352), 34816);
    }

    kernel_params! {
        struct Good { a: u32, b: f32, _pad: [u32; 2] }
    }
    kernel_params! {
        struct Swapped { b: f32, a: u32, _pad: [u32; 2] }
    }
    kernel_params! {
        struct Short { a: u32, b: f32 }
    }

    #[test]
    fn layout_check_catches_moved_missing_and_resized_fields() {
        let layout = (
            16,
            vec![
                ("a".to_string(), 0),
                ("b".to_string(), 4),
                ("_pad".to_string(), 8),
            ],
        );
        assert_eq!(check_layout::<Good>("k", &layout), Ok(()));
        assert!(check_layout::<Swapped>("k", &layout)
            .unwrap_err()
            .contains("field `a`"));
        assert!(check_layout::<Short>("k", &layout)
            .unwrap_err()
            .contains("bytes"));
        let extra = (
            16,
            vec![
                ("a".to_string(), 0),
                ("b".to_string(), 4),
                ("c".to_string(), 8),
            ],
        );
        assert!(check_layout::<Good>("k", &extra)
            .unwrap_err()
            .contains("`c` missing"));
    }
}
