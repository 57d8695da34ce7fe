//! Planning: (length, device limits, preference) -> a plain-data recipe.
//!
//! Recipes are `Debug + PartialEq` data with no GPU handles, so the planner's
//! choices are unit-tested without a device.

use crate::error::{Error, Result};

/// Threads per workgroup of the FFT kernels (the `WG_SIZE` override).
pub(crate) const WORKGROUP_SIZE: u32 = 256;
/// Registers per thread in the kernels (`REGS` in common/complex.wgsl): a
/// workgroup's tile holds at most `WORKGROUP_SIZE * REGS` points.
pub(crate) const REGISTERS_PER_THREAD: u32 = crate::shaders::REGS;
/// Padded tiles hold one spare slot per this many points.
pub(crate) const PAD_EVERY: u32 = 16;

/// Slots a tile of `points` occupies in workgroup memory.
pub(crate) fn padded_slots(points: usize, padded: bool) -> usize {
    if padded {
        points + points / PAD_EVERY as usize
    } else {
        points
    }
}

/// Largest transform length supported.
pub const MAX_LEN: usize = 1 << 24;
/// Largest power-of-two convolution a Bluestein plan may use (for lengths
/// just under [`MAX_LEN`]), if the device's bindings hold it.
pub const MAX_BLUESTEIN_M: usize = 1 << 25;
/// Radices the kernels implement (their DFTs live in common/complex.wgsl).
#[cfg(test)]
pub(crate) const KERNEL_RADICES: [u32; 6] = [2, 3, 4, 5, 7, 8];
/// Stages a shared-kernel pass can run (4 bits per radix in two u32 words).
pub(crate) const MAX_SHARED_STAGES: usize = 16;

/// The device limits the planner needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceCaps {
    /// Complex points that fit in one workgroup's memory (a power of two).
    pub shared_points: usize,
    /// Largest storage binding in bytes.
    pub max_binding_bytes: u64,
    /// Largest dispatch size per grid dimension.
    pub max_workgroups_per_dim: u32,
    /// Whether the shared kernel is generated per length (`generate.rs`):
    /// stages of radix up to 16, also 11 and 13, and whole tiles for every
    /// radix mix. Else the generic kernel's radices 2..8 and its register
    /// budget apply.
    pub generated_kernels: bool,
}

impl DeviceCaps {
    /// Derives the planner's view of a device from its limits.
    pub fn from_limits(limits: &wgpu::Limits) -> Self {
        Self::with_padding(limits, false)
    }

    /// As [`DeviceCaps::from_limits`], for tiles padded with one slot per
    /// 16 points (one spare slot per 16 against bank conflicts).
    pub fn with_padding(limits: &wgpu::Limits, padded: bool) -> Self {
        let slots = limits.max_compute_workgroup_storage_size / 8;
        let by_memory = if padded {
            slots * PAD_EVERY / (PAD_EVERY + 1)
        } else {
            slots
        }
        .max(1);
        let by_registers = WORKGROUP_SIZE * REGISTERS_PER_THREAD;
        let points = by_memory.min(by_registers);
        let shared_points = if limits.max_compute_invocations_per_workgroup < WORKGROUP_SIZE {
            0
        } else {
            1usize << (31 - points.leading_zeros())
        };
        DeviceCaps {
            shared_points,
            max_binding_bytes: limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size),
            max_workgroups_per_dim: limits.max_compute_workgroups_per_dimension,
            generated_kernels: false,
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
    /// Force [`Algorithm::Bluestein`] (any length, also smooth ones).
    Bluestein,
}

/// How one batched FFT of a given length runs on the GPU.
///
/// The Stockham algorithms (the first three) handle lengths whose prime
/// factors are all 2, 3, 5 or 7 ("smooth" lengths) with stages of radix 2,
/// 3, 4, 5, 7 and 8; every other length runs through [`Algorithm::Bluestein`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    /// One dispatch; each workgroup holds `lines_per_group` whole lines in
    /// workgroup memory and runs every radix stage there. Length 1 has no
    /// stages: the dispatch copies and scales.
    SingleDispatch {
        /// Lines per workgroup.
        lines_per_group: usize,
        /// The stages' radices, in order (their product is the length).
        radices: Vec<u32>,
    },
    /// Bailey's four-step: `len = n1 * n2`; `n1`-point FFTs down the columns
    /// with the twiddle W_len^(column * k) applied on the way out, then
    /// `n2`-point FFTs along the rows written transposed. Two dispatches of
    /// the shared-memory kernel, each with mixed radices 2, 3, 4, 5, 7, 8.
    FourStep {
        /// Column FFT length.
        n1: usize,
        /// Row FFT length.
        n2: usize,
    },
    /// One Stockham stage per dispatch through global memory.
    GlobalPasses {
        /// The stages' radices, in order.
        radices: Vec<u32>,
    },
    /// Bluestein's chirp-z algorithm: the length-`len` DFT as a circular
    /// convolution of length `m` (see [`bluestein_len`]) run with
    /// two `m`-point FFTs (`inner`) around a pointwise product with the
    /// precomputed spectrum of the chirp filter.
    Bluestein {
        /// Convolution length.
        m: usize,
        /// The plan of the `m`-point FFTs (forward and inverse).
        inner: Box<FftRecipe>,
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
    /// Points per workgroup tile of the shared kernel.
    pub shared_points: usize,
}

impl FftRecipe {
    /// Number of dispatches per batch (per chunk of lines for Bluestein).
    pub fn passes(&self) -> usize {
        match &self.algorithm {
            Algorithm::SingleDispatch { .. } => 1,
            Algorithm::FourStep { .. } => 2,
            Algorithm::GlobalPasses { radices } => radices.len(),
            Algorithm::Bluestein { inner, .. } => 3 + 2 * inner.passes(),
        }
    }

    /// Whether a call needs a caller-provided scratch buffer as large as its
    /// input (multi-pass Stockham plans). Bluestein plans take their own
    /// scratch from the context's memory pool.
    pub fn needs_scratch(&self) -> bool {
        !matches!(self.algorithm, Algorithm::Bluestein { .. }) && self.passes() > 1
    }
}

/// Stage radices (as powers of two) for a 2^log2n transform: radix-8 stages,
/// with one radix-2 or radix-4 stage first where log2n is not a multiple of 3.
pub(crate) fn radix_bits(log2n: u32) -> Vec<u32> {
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

/// Stage radices for a length whose prime factors are all 2, 3, 5 or 7:
/// the power of two as in [`radix_bits`], then the 3s, 5s and 7s. `None`
/// for other lengths (and for zero); length 1 has no stages.
pub(crate) fn radices(n: usize) -> Option<Vec<u32>> {
    if n == 0 {
        return None;
    }
    let twos = n.trailing_zeros();
    let mut rest = n >> twos;
    let mut out: Vec<u32> = radix_bits(twos).into_iter().map(|b| 1 << b).collect();
    for p in [3u32, 5, 7] {
        while rest.is_multiple_of(p as usize) {
            out.push(p);
            rest /= p as usize;
        }
    }
    (rest == 1).then_some(out)
}

/// Whether `n`'s prime factors are all 2, 3, 5 or 7.
pub fn is_smooth(n: usize) -> bool {
    radices(n).is_some()
}

/// Stage radices of the shared kernel for `n`: those of a generated kernel
/// (radices up to 16, also 11 and 13) or of the generic one.
pub(crate) fn stage_radices(n: usize, generated: bool) -> Option<Vec<u32>> {
    if generated && n > 1 {
        crate::fft::generate::radices(n)
    } else {
        radices(n)
    }
}

/// Points one shared-kernel workgroup may hold: the whole tile for a
/// generated kernel (its butterflies hold at most 32 values per thread for
/// any radix mix in 4096 points, in named values rather than an array),
/// else [`shared_capacity`].
pub(crate) fn tile_capacity(radices: &[u32], shared_points: usize, generated: bool) -> usize {
    if generated {
        shared_points.min(WORKGROUP_SIZE as usize * 2 * REGISTERS_PER_THREAD as usize)
    } else {
        shared_capacity(radices, shared_points)
    }
}

/// Points one shared-kernel workgroup may hold when running `radices`:
/// the tile, and for each stage of radix R at most `WORKGROUP_SIZE *
/// floor(REGS / R)` butterflies, so no thread holds more than
/// [`REGISTERS_PER_THREAD`] values (3840 points for radix 3 and 5, 3584 for
/// radix 7, the whole 4096-point tile for powers of two).
pub(crate) fn shared_capacity(radices: &[u32], shared_points: usize) -> usize {
    let regs = REGISTERS_PER_THREAD as usize;
    let wg = WORKGROUP_SIZE as usize;
    radices.iter().fold(shared_points, |cap, &r| {
        cap.min(wg * r as usize * (regs / r as usize))
    })
}

/// Lines per workgroup for a shared-kernel pass of length `n` with
/// `radices` (at least 1; the planner only runs lengths that fit).
pub(crate) fn lines_per_group(
    n: usize,
    radices: &[u32],
    shared_points: usize,
    generated: bool,
) -> usize {
    (tile_capacity(radices, shared_points, generated) / n).max(1)
}

/// Whether the shared kernel runs a whole line of length `n`.
fn fits_shared(n: usize, caps: &DeviceCaps) -> bool {
    let generated = caps.generated_kernels;
    stage_radices(n, generated).is_some_and(|r| {
        r.len() <= MAX_SHARED_STAGES && n <= tile_capacity(&r, caps.shared_points, generated)
    })
}

/// The four-step split `n = n1 * n2` with both factors run by the shared
/// kernel and `n1 <= n2`: with generated kernels the split with the fewest
/// stages in all (each stage past a pass's first is a round trip through
/// workgroup memory; 65536 = 16 x 4096 takes 1 + 2, 256 x 256 would take
/// 2 + 2), then, as with the generic kernel, `n1` as large as possible.
pub(crate) fn four_step_split(n: usize, caps: &DeviceCaps) -> Option<(usize, usize)> {
    let generated = caps.generated_kernels;
    let stages = |d: usize| stage_radices(d, generated).map_or(usize::MAX, |r| r.len());
    let mut best: Option<(usize, (usize, usize))> = None;
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) && fits_shared(d, caps) && fits_shared(n / d, caps) {
            let cost = if generated {
                stages(d) + stages(n / d)
            } else {
                0
            };
            if best.is_none_or(|(c, _)| cost <= c) {
                best = Some((cost, (d, n / d)));
            }
        }
        d += 1;
    }
    best.map(|(_, split)| split)
}

/// Plans an FFT of any length from 1 to [`MAX_LEN`].
///
/// Smooth lengths (prime factors 2, 3, 5, 7) take the single-dispatch
/// kernel when a line fits one workgroup, else the four-step algorithm when
/// the length splits into two such factors, else global passes; every
/// other length takes Bluestein's algorithm.
///
/// # Errors
/// [`Error::UnsupportedLength`] for zero, lengths above [`MAX_LEN`], a
/// single line (or a Bluestein convolution line) larger than a storage
/// binding, or a forced algorithm that cannot handle `len` on this device.
pub fn plan(len: usize, caps: &DeviceCaps, choice: AlgorithmChoice) -> Result<FftRecipe> {
    if len > MAX_LEN {
        return Err(Error::UnsupportedLength {
            len,
            reason: format!("longest supported length is {MAX_LEN}"),
        });
    }
    plan_any(len, caps, choice)
}

fn plan_any(len: usize, caps: &DeviceCaps, choice: AlgorithmChoice) -> Result<FftRecipe> {
    let unsupported = |reason: String| Error::UnsupportedLength { len, reason };
    if len == 0 {
        return Err(unsupported("length must be at least 1".into()));
    }
    let line_bytes = len as u64 * 8;
    if line_bytes > caps.max_binding_bytes {
        return Err(unsupported(format!(
            "one line is {line_bytes} bytes, over the device's storage-binding limit of {} bytes",
            caps.max_binding_bytes
        )));
    }
    let shared = caps.shared_points;
    let max_lines_per_call = (caps.max_binding_bytes / line_bytes) as usize;
    let recipe = |algorithm| FftRecipe {
        len,
        algorithm,
        max_lines_per_call,
        shared_points: shared,
    };
    let generated = caps.generated_kernels;
    let Some(radices) = stage_radices(len, generated) else {
        return match choice {
            AlgorithmChoice::Auto | AlgorithmChoice::Bluestein => Ok(recipe(bluestein(len, caps)?)),
            forced => Err(unsupported(format!(
                "{forced:?} runs lengths whose prime factors are 2, 3, 5 and 7 only; \
                 this one takes Bluestein's algorithm"
            ))),
        };
    };
    let fits_single = fits_shared(len, caps);
    let split = four_step_split(len, caps);
    let single = || Algorithm::SingleDispatch {
        lines_per_group: lines_per_group(len, &radices, shared, generated),
        radices: radices.clone(),
    };
    let four_step = |(n1, n2)| Algorithm::FourStep { n1, n2 };
    let global = || -> Result<Algorithm> {
        if radices.is_empty() {
            return Err(unsupported(
                "length 1 needs the shared kernel, which this device cannot run".into(),
            ));
        }
        // The global-pass kernel runs radices 2..8 only.
        let radices = self::radices(len).ok_or_else(|| {
            unsupported("global passes run lengths whose prime factors are 2, 3, 5 and 7".into())
        })?;
        Ok(Algorithm::GlobalPasses { radices })
    };
    let algorithm = match (choice, split) {
        (AlgorithmChoice::Auto, _) if fits_single => single(),
        (AlgorithmChoice::Auto, Some(s)) => four_step(s),
        // Factors 11 or 13 with no shared-kernel route: Bluestein.
        (AlgorithmChoice::Auto, None) if self::radices(len).is_none() => bluestein(len, caps)?,
        (AlgorithmChoice::Auto | AlgorithmChoice::GlobalPasses, _) => global()?,
        (AlgorithmChoice::SingleDispatch, _) if fits_single => single(),
        (AlgorithmChoice::FourStep, Some(s)) => four_step(s),
        (AlgorithmChoice::Bluestein, _) => bluestein(len, caps)?,
        (forced, _) => {
            return Err(unsupported(format!(
                "{forced:?} cannot run this length with {shared} points of workgroup memory"
            )))
        }
    };
    Ok(recipe(algorithm))
}

/// The convolution length of Bluestein's algorithm for `len`: the smallest
/// power of two `m >= 2 len - 2`. The chirp filter is even (`h[d] = h[-d]`),
/// so its two ends may share the one wrap-around point `len - 1`; 65537
/// takes 131072.
pub fn bluestein_len(len: usize) -> usize {
    (2 * len).saturating_sub(2).max(1).next_power_of_two()
}

/// Bluestein's algorithm for `len`: the convolution length and the plan of
/// its FFTs.
fn bluestein(len: usize, caps: &DeviceCaps) -> Result<Algorithm> {
    let m = bluestein_len(len);
    let row_bytes = m as u64 * 8;
    if m > MAX_BLUESTEIN_M || row_bytes > caps.max_binding_bytes {
        return Err(Error::UnsupportedLength {
            len,
            reason: format!(
                "Bluestein's algorithm needs a {m}-point convolution ({row_bytes} bytes per line), \
                 over the device's storage-binding limit of {} bytes",
                caps.max_binding_bytes
            ),
        });
    }
    let inner = plan_any(m, caps, AlgorithmChoice::Auto)?;
    Ok(Algorithm::Bluestein {
        m,
        inner: Box::new(inner),
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
            generated_kernels: false,
        }
    }

    fn algorithm(len: usize) -> Algorithm {
        plan(len, &lavapipe(), AlgorithmChoice::Auto)
            .unwrap()
            .algorithm
    }

    #[test]
    fn radices_multiply_to_the_length() {
        for log2n in 0..=26 {
            let bits = radix_bits(log2n);
            assert_eq!(bits.iter().sum::<u32>(), log2n);
            assert!(bits.iter().skip(1).all(|&b| b == 3), "{bits:?}");
        }
        for n in 1..=5000usize {
            match radices(n) {
                Some(r) => {
                    assert_eq!(r.iter().map(|&x| x as usize).product::<usize>(), n);
                    assert!(r.iter().all(|x| KERNEL_RADICES.contains(x)), "{n}: {r:?}");
                }
                None => {
                    let mut rest = n;
                    for p in [2, 3, 5, 7] {
                        while rest % p == 0 {
                            rest /= p;
                        }
                    }
                    assert!(rest > 1, "{n} is smooth");
                }
            }
        }
        assert_eq!(radices(1), Some(vec![]));
        assert_eq!(radices(1000), Some(vec![8, 5, 5, 5]));
        assert_eq!(radices(12), Some(vec![4, 3]));
        assert_eq!(radices(0), None);
        assert_eq!(radices(1009), None);
    }

    #[test]
    fn tiles_respect_the_register_budget() {
        assert_eq!(shared_capacity(&[8, 8, 8, 8], 4096), 4096);
        assert_eq!(shared_capacity(&[4, 3], 4096), 3840);
        assert_eq!(shared_capacity(&[8, 5, 5, 5], 4096), 3840);
        assert_eq!(shared_capacity(&[7, 7], 4096), 3584);
        assert_eq!(shared_capacity(&[], 4096), 4096);
        for n in 1..=4096usize {
            let Some(r) = radices(n) else { continue };
            let cap = shared_capacity(&r, 4096);
            if n > cap {
                continue;
            }
            let tile = lines_per_group(n, &r, 4096, false) * n;
            assert!(tile <= 4096);
            for &radix in &r {
                let butterflies = tile / radix as usize;
                let per_thread = butterflies.div_ceil(WORKGROUP_SIZE as usize);
                assert!(
                    per_thread * radix as usize <= REGISTERS_PER_THREAD as usize,
                    "{n}: {r:?} tile {tile}"
                );
            }
        }
    }

    #[test]
    fn small_lengths_take_one_dispatch() {
        let r = plan(1024, &lavapipe(), AlgorithmChoice::Auto).unwrap();
        assert_eq!(
            r.algorithm,
            Algorithm::SingleDispatch {
                lines_per_group: 4,
                radices: vec![2, 8, 8, 8]
            }
        );
        assert_eq!(r.passes(), 1);
        assert_eq!(
            algorithm(4096),
            Algorithm::SingleDispatch {
                lines_per_group: 1,
                radices: vec![8, 8, 8, 8]
            }
        );
        assert_eq!(
            algorithm(1000),
            Algorithm::SingleDispatch {
                lines_per_group: 3,
                radices: vec![8, 5, 5, 5]
            }
        );
        assert_eq!(
            algorithm(3 * 5 * 7),
            Algorithm::SingleDispatch {
                lines_per_group: 34,
                radices: vec![3, 5, 7]
            }
        );
        // Length 1: no stages, the dispatch copies and scales.
        assert_eq!(
            algorithm(1),
            Algorithm::SingleDispatch {
                lines_per_group: 4096,
                radices: vec![]
            }
        );
    }

    #[test]
    fn large_lengths_take_four_steps_then_global_passes() {
        assert_eq!(
            algorithm(1 << 20),
            Algorithm::FourStep { n1: 1024, n2: 1024 }
        );
        assert_eq!(algorithm(1 << 13), Algorithm::FourStep { n1: 64, n2: 128 });
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
                radices: vec![8; 8]
            }
        );
    }

    #[test]
    fn smooth_lengths_split_into_smooth_factors() {
        // Over the radix-3 tile (3840 points) but inside one workgroup's memory.
        assert_eq!(algorithm(3888), Algorithm::FourStep { n1: 54, n2: 72 });
        assert_eq!(
            algorithm(3usize.pow(12)),
            Algorithm::FourStep { n1: 729, n2: 729 }
        );
        assert_eq!(
            algorithm(5usize.pow(8)),
            Algorithm::FourStep { n1: 625, n2: 625 }
        );
        assert_eq!(
            algorithm(7usize.pow(7)),
            Algorithm::FourStep { n1: 343, n2: 2401 }
        );
        assert_eq!(
            algorithm(1_000_000),
            Algorithm::FourStep { n1: 1000, n2: 1000 }
        );
        // 3^15 has no split into two factors of at most 3840 points (3^7 and
        // 3^8 = 6561): fifteen radix-3 passes through global memory.
        assert_eq!(
            algorithm(3usize.pow(15)),
            Algorithm::GlobalPasses {
                radices: vec![3; 15]
            }
        );
    }

    #[test]
    fn other_lengths_take_bluestein() {
        let r = plan(65537, &lavapipe(), AlgorithmChoice::Auto).unwrap();
        let Algorithm::Bluestein { m, inner } = &r.algorithm else {
            panic!("{r:?}");
        };
        assert_eq!(*m, 131072);
        assert_eq!(inner.len, 131072);
        assert_eq!(inner.algorithm, Algorithm::FourStep { n1: 256, n2: 512 });
        assert_eq!(bluestein_len(1), 1);
        assert_eq!(bluestein_len(2), 2);
        assert_eq!(bluestein_len(3), 4);
        assert_eq!(bluestein_len(5), 8);
        assert_eq!(r.passes(), 7);
        assert!(!r.needs_scratch());
        assert_eq!(r.max_lines_per_call, (128 << 20) / (65537 * 8));

        let Algorithm::Bluestein { m, inner } = algorithm(1009) else {
            panic!()
        };
        assert_eq!(m, 2048);
        assert!(matches!(inner.algorithm, Algorithm::SingleDispatch { .. }));
        // 2^22 + 1 = 5 * 397 * 2113: a 2^23-point convolution.
        let Algorithm::Bluestein { m, inner } = algorithm((1 << 22) + 1) else {
            panic!()
        };
        assert_eq!(m, 1 << 23);
        assert_eq!(inner.algorithm, Algorithm::FourStep { n1: 2048, n2: 4096 });
        // The longest on lavapipe: 2^23 + 1 = 3 * 2796203 in 2^24 points.
        let Algorithm::Bluestein { m, .. } = algorithm((1 << 23) + 1) else {
            panic!()
        };
        assert_eq!(m, 1 << 24);
        // Any length may be forced through Bluestein.
        let r = plan(1000, &lavapipe(), AlgorithmChoice::Bluestein).unwrap();
        assert!(matches!(r.algorithm, Algorithm::Bluestein { m: 2048, .. }));
    }

    #[test]
    fn generated_kernels_take_radices_11_13_16_and_odd_products() {
        let caps = DeviceCaps {
            generated_kernels: true,
            ..lavapipe()
        };
        let algorithm = |len| plan(len, &caps, AlgorithmChoice::Auto).unwrap().algorithm;
        assert_eq!(
            algorithm(4095),
            Algorithm::SingleDispatch {
                lines_per_group: 1,
                radices: vec![13, 21, 15]
            }
        );
        assert_eq!(
            algorithm(4096),
            Algorithm::SingleDispatch {
                lines_per_group: 1,
                radices: vec![16, 16, 16]
            }
        );
        // Whole tiles for every radix mix: 4 lines of 1000, not 3.
        assert_eq!(
            algorithm(1000),
            Algorithm::SingleDispatch {
                lines_per_group: 4,
                radices: vec![40, 25]
            }
        );
        // The split with the fewest stages, the most balanced among those:
        // 16 x 16 + 16 x 16 (16 + 16 x 16 x 16 takes as many); 8192 = 16 x
        // (32 x 16), not 64 x 128 (2 + 2).
        assert_eq!(algorithm(65536), Algorithm::FourStep { n1: 256, n2: 256 });
        assert_eq!(algorithm(8192), Algorithm::FourStep { n1: 16, n2: 512 });
        assert_eq!(
            algorithm(1 << 20),
            Algorithm::FourStep { n1: 1024, n2: 1024 }
        );
        assert_eq!(
            algorithm(3888),
            Algorithm::SingleDispatch {
                lines_per_group: 1,
                radices: vec![16, 27, 9]
            }
        );
        assert_eq!(
            algorithm(161_051),
            Algorithm::FourStep { n1: 121, n2: 1331 }
        );
        assert_eq!(
            algorithm(13 << 20),
            Algorithm::FourStep { n1: 3328, n2: 4096 }
        );
        assert!(matches!(algorithm(17), Algorithm::Bluestein { .. }));
        // Global passes run radices 2..8 only.
        assert!(plan(4095, &caps, AlgorithmChoice::GlobalPasses).is_err());
        // Without generated kernels 4095 takes Bluestein.
        assert!(matches!(
            plan(4095, &lavapipe(), AlgorithmChoice::Auto)
                .unwrap()
                .algorithm,
            Algorithm::Bluestein { .. }
        ));
    }

    #[test]
    fn batches_are_split_at_the_binding_limit() {
        let r = plan(1 << 10, &lavapipe(), AlgorithmChoice::Auto).unwrap();
        assert_eq!(r.max_lines_per_call, (128 << 20) / (8 << 10));
    }

    #[test]
    fn bad_lengths_are_errors() {
        for len in [0, MAX_LEN + 1, MAX_LEN * 2] {
            assert!(matches!(
                plan(len, &lavapipe(), AlgorithmChoice::Auto),
                Err(Error::UnsupportedLength { .. })
            ));
        }
        // Non-smooth lengths over 2^23 + 1 need a 2^25-point convolution:
        // 256 MiB per line, over lavapipe's 128 MiB binding.
        let err = plan((1 << 23) + 3, &lavapipe(), AlgorithmChoice::Auto).unwrap_err();
        assert!(err.to_string().contains("Bluestein"), "{err}");
        let tiny = DeviceCaps {
            max_binding_bytes: 1 << 20,
            ..lavapipe()
        };
        assert!(plan(1 << 18, &tiny, AlgorithmChoice::Auto).is_err());
        assert!(plan(1 << 13, &lavapipe(), AlgorithmChoice::SingleDispatch).is_err());
        assert!(plan(3888, &lavapipe(), AlgorithmChoice::SingleDispatch).is_err());
        assert!(plan(1009, &lavapipe(), AlgorithmChoice::FourStep).is_err());
        assert!(plan(3, &lavapipe(), AlgorithmChoice::FourStep).is_err());
        assert!(plan(1, &lavapipe(), AlgorithmChoice::GlobalPasses).is_err());
    }

    #[test]
    fn forced_algorithms_are_honoured() {
        let r = plan(256, &lavapipe(), AlgorithmChoice::GlobalPasses).unwrap();
        assert_eq!(
            r.algorithm,
            Algorithm::GlobalPasses {
                radices: vec![4, 8, 8]
            }
        );
        let r = plan(256, &lavapipe(), AlgorithmChoice::FourStep).unwrap();
        assert_eq!(r.algorithm, Algorithm::FourStep { n1: 16, n2: 16 });
        let r = plan(1000, &lavapipe(), AlgorithmChoice::FourStep).unwrap();
        assert_eq!(r.algorithm, Algorithm::FourStep { n1: 25, n2: 40 });
    }
}
