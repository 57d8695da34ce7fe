//! Planning: (length, device limits, preference) -> a plain-data recipe.
//!
//! Recipes are `Debug + PartialEq` data with no GPU handles, so the planner's
//! choices are unit-tested without a device.

use crate::error::{Error, Result};

/// Threads per workgroup of the FFT kernels (the `WG_SIZE` override).
pub const WORKGROUP_SIZE: u32 = 256;
/// Registers per thread in the kernels (`REGS` in common/complex.wgsl): a
/// workgroup's tile holds at most `WORKGROUP_SIZE * REGS` points.
pub const REGISTERS_PER_THREAD: u32 = 16;
/// Largest transform length supported.
pub const MAX_LEN: usize = 1 << 26;

/// The device limits the planner needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceCaps {
    /// Complex points that fit in one workgroup's memory (a power of two).
    pub shared_points: usize,
    /// Largest storage binding in bytes.
    pub max_binding_bytes: u64,
    /// Largest dispatch size per grid dimension.
    pub max_workgroups_per_dim: u32,
}

impl DeviceCaps {
    /// Derives the planner's view of a device from its limits.
    pub fn from_limits(limits: &wgpu::Limits) -> Self {
        let by_memory = (limits.max_compute_workgroup_storage_size / 8).max(1);
        let by_registers = WORKGROUP_SIZE * REGISTERS_PER_THREAD;
        let points = by_memory.min(by_registers);
        let shared_points = if limits.max_compute_invocations_per_workgroup < WORKGROUP_SIZE {
            0
        } else {
            1usize << (31 - points.leading_zeros())
        };
        DeviceCaps {
            shared_points,
            max_binding_bytes: u64::from(limits.max_storage_buffer_binding_size)
                .min(limits.max_buffer_size),
            max_workgroups_per_dim: limits.max_compute_workgroups_per_dimension,
        }
    }
}

/// Which algorithm to use; `Auto` lets the planner pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AlgorithmChoice {
    /// The fastest applicable algorithm.
    #[default]
    Auto,
    /// Force [`Algorithm::SingleDispatch`].
    SingleDispatch,
    /// Force [`Algorithm::FourStep`].
    FourStep,
    /// Force [`Algorithm::GlobalPasses`].
    GlobalPasses,
}

/// How one batched FFT of a given length runs on the GPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    /// One dispatch; each workgroup holds `lines_per_group` whole lines in
    /// workgroup memory and runs every radix stage there.
    SingleDispatch {
        /// Lines per workgroup.
        lines_per_group: usize,
    },
    /// Bailey's four-step: `len = n1 * n2`; `n1`-point FFTs down the columns
    /// with the twiddle W_len^(column * k) applied on the way out, then
    /// `n2`-point FFTs along the rows written transposed. Two dispatches of
    /// the shared-memory kernel.
    FourStep {
        /// Column FFT length.
        n1: usize,
        /// Row FFT length.
        n2: usize,
    },
    /// One radix-2^bits Stockham stage per dispatch through global memory.
    GlobalPasses {
        /// The stages' radices as powers of two, in order.
        radix_bits: Vec<u32>,
    },
}

/// A complete plan for batched FFTs of one length on one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FftRecipe {
    /// Transform length.
    pub len: usize,
    /// What runs.
    pub algorithm: Algorithm,
    /// Most lines per submission so every binding stays within the device's
    /// storage-binding limit (longer batches are split).
    pub max_lines_per_call: usize,
    /// Points per workgroup tile of the shared kernel (its `SHARED_LEN`).
    pub shared_points: usize,
}

impl FftRecipe {
    /// Number of dispatches per batch.
    pub fn passes(&self) -> usize {
        match &self.algorithm {
            Algorithm::SingleDispatch { .. } => 1,
            Algorithm::FourStep { .. } => 2,
            Algorithm::GlobalPasses { radix_bits } => radix_bits.len(),
        }
    }
}

/// Stage radices (as powers of two) for a 2^log2n transform: radix-8 stages,
/// with one radix-2 or radix-4 stage first where log2n is not a multiple of 3.
pub fn radix_bits(log2n: u32) -> Vec<u32> {
    let mut bits = Vec::new();
    let mut left = log2n;
    while left > 0 {
        let b = match left % 3 {
            1 => 1,
            2 => 2,
            _ => 3,
        };
        bits.push(b);
        left -= b;
    }
    bits
}

/// Lines per workgroup for a shared-kernel pass of length `n`.
pub fn lines_per_group(n: usize, shared_points: usize) -> usize {
    (shared_points / n).max(1)
}

/// Plans a power-of-two FFT of length `len`.
///
/// # Errors
/// [`Error::UnsupportedLength`] for zero, non-powers of two, lengths above
/// [`MAX_LEN`], a single line larger than a storage binding, or a forced
/// algorithm that cannot handle `len` on this device.
pub fn plan(len: usize, caps: &DeviceCaps, choice: AlgorithmChoice) -> Result<FftRecipe> {
    let unsupported = |reason: String| Error::UnsupportedLength { len, reason };
    if len == 0 {
        return Err(unsupported("length must be at least 1".into()));
    }
    if !len.is_power_of_two() {
        return Err(unsupported("the GPU FFT handles powers of two only".into()));
    }
    if len > MAX_LEN {
        return Err(unsupported(format!(
            "longest supported length is {MAX_LEN}"
        )));
    }
    let line_bytes = len as u64 * 8;
    if line_bytes > caps.max_binding_bytes {
        return Err(unsupported(format!(
            "one line is {line_bytes} bytes, over the device's storage-binding limit of {} bytes",
            caps.max_binding_bytes
        )));
    }
    let log2n = len.trailing_zeros();
    let shared = caps.shared_points;
    let fits_single = len <= shared;
    let fits_four_step = shared >= 2 && len <= shared * shared;
    let four_step = || {
        let n1 = 1usize << (log2n / 2);
        Algorithm::FourStep { n1, n2: len / n1 }
    };
    let algorithm = match choice {
        AlgorithmChoice::Auto if fits_single => Algorithm::SingleDispatch {
            lines_per_group: lines_per_group(len, shared),
        },
        AlgorithmChoice::Auto if fits_four_step => four_step(),
        AlgorithmChoice::Auto | AlgorithmChoice::GlobalPasses => Algorithm::GlobalPasses {
            radix_bits: radix_bits(log2n),
        },
        AlgorithmChoice::SingleDispatch if fits_single => Algorithm::SingleDispatch {
            lines_per_group: lines_per_group(len, shared),
        },
        AlgorithmChoice::FourStep if fits_four_step && len >= 4 => four_step(),
        forced => {
            return Err(unsupported(format!(
                "{forced:?} cannot run this length with {shared} points of workgroup memory"
            )))
        }
    };
    let max_lines_per_call = (caps.max_binding_bytes / line_bytes) as usize;
    Ok(FftRecipe {
        len,
        algorithm,
        max_lines_per_call,
        shared_points: shared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lavapipe() -> DeviceCaps {
        DeviceCaps {
            shared_points: 4096,
            max_binding_bytes: 128 << 20,
            max_workgroups_per_dim: 65535,
        }
    }

    #[test]
    fn radices_multiply_to_the_length() {
        for log2n in 0..=26 {
            let bits = radix_bits(log2n);
            assert_eq!(bits.iter().sum::<u32>(), log2n);
            assert!(bits.iter().skip(1).all(|&b| b == 3), "{bits:?}");
        }
    }

    #[test]
    fn small_lengths_take_one_dispatch() {
        let r = plan(1024, &lavapipe(), AlgorithmChoice::Auto).unwrap();
        assert_eq!(
            r.algorithm,
            Algorithm::SingleDispatch { lines_per_group: 4 }
        );
        assert_eq!(r.passes(), 1);
        let r = plan(4096, &lavapipe(), AlgorithmChoice::Auto).unwrap();
        assert_eq!(
            r.algorithm,
            Algorithm::SingleDispatch { lines_per_group: 1 }
        );
    }

    #[test]
    fn large_lengths_take_four_steps_then_global_passes() {
        let r = plan(1 << 20, &lavapipe(), AlgorithmChoice::Auto).unwrap();
        assert_eq!(r.algorithm, Algorithm::FourStep { n1: 1024, n2: 1024 });
        let r = plan(1 << 13, &lavapipe(), AlgorithmChoice::Auto).unwrap();
        assert_eq!(r.algorithm, Algorithm::FourStep { n1: 64, n2: 128 });
        let r = plan(1 << 24, &lavapipe(), AlgorithmChoice::Auto).unwrap();
        assert_eq!(r.algorithm, Algorithm::FourStep { n1: 4096, n2: 4096 });
        assert_eq!(r.max_lines_per_call, 1);
        let small = DeviceCaps {
            shared_points: 2048,
            ..lavapipe()
        };
        let r = plan(1 << 24, &small, AlgorithmChoice::Auto).unwrap();
        assert_eq!(
            r.algorithm,
            Algorithm::GlobalPasses {
                radix_bits: vec![3; 8]
            }
        );
    }

    #[test]
    fn batches_are_split_at_the_binding_limit() {
        let r = plan(1 << 10, &lavapipe(), AlgorithmChoice::Auto).unwrap();
        assert_eq!(r.max_lines_per_call, (128 << 20) / (8 << 10));
    }

    #[test]
    fn bad_lengths_are_errors() {
        for len in [0, 3, 1000, MAX_LEN * 2] {
            assert!(matches!(
                plan(len, &lavapipe(), AlgorithmChoice::Auto),
                Err(Error::UnsupportedLength { .. })
            ));
        }
        let tiny = DeviceCaps {
            max_binding_bytes: 1 << 20,
            ..lavapipe()
        };
        assert!(plan(1 << 18, &tiny, AlgorithmChoice::Auto).is_err());
        assert!(plan(1 << 13, &lavapipe(), AlgorithmChoice::SingleDispatch).is_err());
    }

    #[test]
    fn forced_algorithms_are_honoured() {
        let r = plan(256, &lavapipe(), AlgorithmChoice::GlobalPasses).unwrap();
        assert_eq!(
            r.algorithm,
            Algorithm::GlobalPasses {
                radix_bits: vec![2, 3, 3]
            }
        );
        let r = plan(256, &lavapipe(), AlgorithmChoice::FourStep).unwrap();
        assert_eq!(r.algorithm, Algorithm::FourStep { n1: 16, n2: 16 });
    }
}
