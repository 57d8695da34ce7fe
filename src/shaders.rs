//! The WGSL kernels, embedded in the binary.
//!
//! Each kernel is one file in `shaders/` with entry point `main`. Shared
//! helpers live in `shaders/common/`; a kernel pulls one in with a line
//! `// use common/NAME.wgsl`, which [`Kernel::source`] resolves by
//! prepending the helper (WGSL has no include of its own).
//!
//! Each kernel also lists the bindings the Rust side binds, in order; the
//! `shaders` integration test checks them against what naga reads back from
//! the WGSL, so the two cannot drift apart unnoticed.

/// How a binding is declared in WGSL (all in group 0, numbered from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    /// `var<storage, read>`
    StorageRead,
    /// `var<storage, read_write>`
    StorageReadWrite,
    /// `var<uniform>`
    Uniform,
}

/// One embedded compute kernel.
#[derive(Debug)]
pub struct Kernel {
    /// File name below `shaders/`, e.g. `fft_shared.wgsl`.
    pub name: &'static str,
    /// The file's text, before helpers are resolved.
    pub body: &'static str,
    /// Bindings of group 0 in binding order.
    pub bindings: &'static [BindingKind],
}

/// Shared WGSL helpers, by the path kernels name them with.
pub const COMMON: &[(&str, &str)] = &[
    (
        "common/complex.wgsl",
        include_str!("../shaders/common/complex.wgsl"),
    ),
    (
        "common/topk_key.wgsl",
        include_str!("../shaders/common/topk_key.wgsl"),
    ),
];

use BindingKind::{StorageRead, StorageReadWrite, Uniform};

/// Batched FFT with whole lines in workgroup memory (strided, optional four-step twist).
pub const FFT_SHARED: Kernel = Kernel {
    name: "fft_shared.wgsl",
    body: include_str!("../shaders/fft_shared.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, StorageRead, Uniform],
};

/// One mixed-radix Stockham stage through global memory.
pub const FFT_GLOBAL_PASS: Kernel = Kernel {
    name: "fft_global_pass.wgsl",
    body: include_str!("../shaders/fft_global_pass.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, StorageRead, Uniform],
};

/// Real-to-complex post-processing (half spectrum from a packed FFT).
pub const RFFT_POST: Kernel = Kernel {
    name: "rfft_post.wgsl",
    body: include_str!("../shaders/rfft_post.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, StorageRead, Uniform],
};

/// Complex-to-real pre-processing (packed spectrum from a half spectrum).
pub const IRFFT_PRE: Kernel = Kernel {
    name: "irfft_pre.wgsl",
    body: include_str!("../shaders/irfft_pre.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, StorageRead, Uniform],
};

/// Copy along an axis with real/complex conversion, truncation or Hermitian extension.
pub const AXIS_COPY: Kernel = Kernel {
    name: "axis_copy.wgsl",
    body: include_str!("../shaders/axis_copy.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, Uniform],
};

/// Makhoul's index shuffle for the DCT (gather before, scatter after).
pub const DCT_REORDER: Kernel = Kernel {
    name: "dct_reorder.wgsl",
    body: include_str!("../shaders/dct_reorder.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, Uniform],
};

/// The DCT's twiddle step between half spectra and coefficients.
pub const DCT_SPECTRUM: Kernel = Kernel {
    name: "dct_spectrum.wgsl",
    body: include_str!("../shaders/dct_spectrum.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, StorageRead, Uniform],
};

/// Top-k radix select: one pass's 256-bin digit histogram (and the non-finite check).
pub const TOPK_HISTOGRAM: Kernel = Kernel {
    name: "topk_histogram.wgsl",
    body: include_str!("../shaders/topk_histogram.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, StorageReadWrite, Uniform],
};

/// Top-k radix select: picks the digit holding the k-th largest key (one invocation).
pub const TOPK_DIGIT: Kernel = Kernel {
    name: "topk_digit.wgsl",
    body: include_str!("../shaders/topk_digit.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, Uniform],
};

/// Top-k compaction: per-block counts of keys above and equal to the threshold.
pub const TOPK_BLOCK_COUNT: Kernel = Kernel {
    name: "topk_block_count.wgsl",
    body: include_str!("../shaders/topk_block_count.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, StorageRead, Uniform],
};

/// Top-k compaction: exclusive scan of the block counts into output slots (one workgroup).
pub const TOPK_SCAN: Kernel = Kernel {
    name: "topk_scan.wgsl",
    body: include_str!("../shaders/topk_scan.wgsl"),
    bindings: &[StorageReadWrite, StorageReadWrite, Uniform],
};

/// Top-k compaction: writes kept positions and values in ascending position order.
pub const TOPK_SCATTER: Kernel = Kernel {
    name: "topk_scatter.wgsl",
    body: include_str!("../shaders/topk_scatter.wgsl"),
    bindings: &[
        StorageRead,
        StorageRead,
        StorageRead,
        StorageReadWrite,
        StorageReadWrite,
        Uniform,
    ],
};

/// Scatters kept coefficients into a zero-filled dense spectrum.
pub const SPARSE_SCATTER: Kernel = Kernel {
    name: "sparse_scatter.wgsl",
    body: include_str!("../shaders/sparse_scatter.wgsl"),
    bindings: &[StorageRead, StorageRead, StorageReadWrite, Uniform],
};

/// Bluestein step 1: gather lines into zero-padded rows times the chirp.
pub const BLUESTEIN_CHIRP: Kernel = Kernel {
    name: "bluestein_chirp.wgsl",
    body: include_str!("../shaders/bluestein_chirp.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, StorageRead, Uniform],
};

/// Bluestein step 3: rows of spectra times the chirp filter's spectrum, in place.
pub const BLUESTEIN_POINTWISE: Kernel = Kernel {
    name: "bluestein_pointwise.wgsl",
    body: include_str!("../shaders/bluestein_pointwise.wgsl"),
    bindings: &[StorageReadWrite, StorageRead, Uniform],
};

/// Bluestein step 5: the convolution's first points times the chirp, scattered to the lines.
pub const BLUESTEIN_OUTPUT: Kernel = Kernel {
    name: "bluestein_output.wgsl",
    body: include_str!("../shaders/bluestein_output.wgsl"),
    bindings: &[StorageRead, StorageReadWrite, StorageRead, Uniform],
};

/// Every kernel of the crate.
pub const KERNELS: &[&Kernel] = &[
    &FFT_SHARED,
    &FFT_GLOBAL_PASS,
    &RFFT_POST,
    &IRFFT_PRE,
    &AXIS_COPY,
    &DCT_REORDER,
    &DCT_SPECTRUM,
    &SPARSE_SCATTER,
    &TOPK_HISTOGRAM,
    &TOPK_DIGIT,
    &TOPK_BLOCK_COUNT,
    &TOPK_SCAN,
    &TOPK_SCATTER,
    &BLUESTEIN_CHIRP,
    &BLUESTEIN_POINTWISE,
    &BLUESTEIN_OUTPUT,
];

impl Kernel {
    /// The complete WGSL text: the helpers named by `// use` lines, then the body.
    ///
    /// # Panics
    /// Never for the kernels in [`KERNELS`]; an unknown helper name is a bug
    /// caught by the shader validation test.
    pub fn source(&self) -> String {
        let mut out = String::new();
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
