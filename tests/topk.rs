//! Exact top-k: the CPU twin against a sort-based reference, the GPU kernels
//! against the CPU twin (same positions, same value bits), the tie rule,
//! windows and 2-D grids, complex keys, and the error cases.
//!
//! GPU tests run on the default adapter (lavapipe in CI). Without one they
//! print a skip line, and with `FFT_TENSOR_REQUIRE_GPU=1` they fail.

use std::time::Instant;

use fft_tensor::num_complex::Complex32;
use fft_tensor::testing::{gpu_context_or_skip, SplitMix64};
use fft_tensor::topk::{
    magnitude_key_complex, magnitude_key_f32, top_k_cpu_complex, top_k_cpu_f32,
};
use fft_tensor::{Context, Error, GpuElement, GpuTensor, TopK, TopKOptions};

// ---------------------------------------------------------------- inputs

#[derive(Debug, Clone, Copy)]
enum Pattern {
    /// Magnitudes over many binades.
    Wide,
    /// Uniform in [-1, 1) with 24-bit resolution (ties at large sizes).
    Uniform,
    /// Every entry of magnitude 1.5, random signs.
    AllEqual,
    /// Five magnitudes (0 included), random signs.
    FewDistinct,
    /// Only +0.0 and -0.0.
    Zeros,
    /// Mostly zeros, about one entry in 50 non-zero.
    Sparse,
}

const PATTERNS: [Pattern; 6] = [
    Pattern::Wide,
    Pattern::Uniform,
    Pattern::AllEqual,
    Pattern::FewDistinct,
    Pattern::Zeros,
    Pattern::Sparse,
];

fn sign(rng: &mut SplitMix64) -> f32 {
    if rng.next_u64() & 1 == 0 {
        1.0
    } else {
        -1.0
    }
}

fn f32_data(pattern: Pattern, n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    (0..n)
        .map(|_| match pattern {
            Pattern::Wide => rng.uniform() * ((rng.next_u64() % 61) as f32 - 30.0).exp2(),
            Pattern::Uniform => rng.uniform(),
            Pattern::AllEqual => 1.5 * sign(&mut rng),
            Pattern::FewDistinct => {
                [0.0, 0.25, 1.0, 2.0, 3.0][(rng.next_u64() % 5) as usize] * sign(&mut rng)
            }
            Pattern::Zeros => 0.0 * sign(&mut rng),
            Pattern::Sparse => {
                if rng.next_u64().is_multiple_of(50) {
                    rng.uniform()
                } else {
                    0.0
                }
            }
        })
        .collect()
}

/// Complex values whose parts are multiples of 1/8 in [-4, 4): squares and
/// their sums are exact in f32, so GPU and CPU keys agree bit for bit.
fn dyadic_complex(n: usize, seed: u64) -> Vec<Complex32> {
    let mut rng = SplitMix64(seed);
    let mut part = || ((rng.next_u64() % 64) as f32 - 32.0) / 8.0;
    (0..n).map(|_| Complex32::new(part(), part())).collect()
}

/// The k values the tests use for length n: 1, 2, n/2, n-1, n and a random one.
fn ks_for(n: usize, seed: u64) -> Vec<usize> {
    let random = 1 + (SplitMix64(seed).next_u64() % n as u64) as usize;
    let mut ks: Vec<usize> = [1, 2, n / 2, n.saturating_sub(1), n, random]
        .into_iter()
        .filter(|&k| (1..=n).contains(&k))
        .collect();
    ks.sort_unstable();
    ks.dedup();
    ks
}

// ---------------------------------------------------------------- checks

/// The definition: sort by (key descending, position ascending), keep k,
/// sort the kept positions.
fn reference<T: Copy>(data: &[T], k: usize, key: impl Fn(T) -> u32) -> Vec<u32> {
    let mut order: Vec<u32> = (0..data.len() as u32).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(key(data[i as usize])), i));
    let mut kept = order[..k].to_vec();
    kept.sort_unstable();
    kept
}

/// Every kept key >= every dropped key, k entries strictly ascending, values
/// equal (bitwise) to the input at the positions, and among keys equal to
/// the smallest kept key no dropped entry precedes a kept one.
fn assert_valid<T: Copy + PartialEq + std::fmt::Debug>(
    what: &str,
    data: &[T],
    k: usize,
    top: &TopK<T>,
    key: impl Fn(T) -> u32,
) {
    assert_eq!(top.positions.len(), k, "{what}: count");
    assert_eq!(top.values.len(), k, "{what}: values count");
    assert!(
        top.positions.windows(2).all(|w| w[0] < w[1]),
        "{what}: positions not strictly ascending"
    );
    let mut kept = vec![false; data.len()];
    for (&p, v) in top.positions.iter().zip(&top.values) {
        assert!(
            (p as usize) < data.len(),
            "{what}: position {p} out of range"
        );
        assert_eq!(data[p as usize], *v, "{what}: value at {p}");
        kept[p as usize] = true;
    }
    let min_kept = top
        .positions
        .iter()
        .map(|&p| key(data[p as usize]))
        .min()
        .unwrap();
    let mut last_tie_kept = None;
    let mut first_tie_dropped = None;
    for (i, &x) in data.iter().enumerate() {
        let kx = key(x);
        if !kept[i] {
            assert!(
                kx <= min_kept,
                "{what}: dropped {i} (key {kx:#x}) beats kept key {min_kept:#x}"
            );
            if kx == min_kept && first_tie_dropped.is_none() {
                first_tie_dropped = Some(i);
            }
        } else if kx == min_kept {
            last_tie_kept = Some(i);
        }
    }
    if let (Some(kept), Some(dropped)) = (last_tie_kept, first_tie_dropped) {
        assert!(
            kept < dropped,
            "{what}: tie at {dropped} dropped before kept tie at {kept}"
        );
    }
}

fn assert_same_f32(what: &str, gpu: &TopK<f32>, cpu: &TopK<f32>) {
    assert_eq!(
        gpu.positions.len(),
        cpu.positions.len(),
        "{what}: counts differ"
    );
    if let Some(i) = (0..gpu.positions.len()).find(|&i| gpu.positions[i] != cpu.positions[i]) {
        panic!(
            "{what}: slot {i}: GPU position {} vs CPU {} (thresholds GPU {:?}, CPU {:?})",
            gpu.positions[i], cpu.positions[i], gpu.threshold, cpu.threshold
        );
    }
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert!(
        bits(&gpu.values) == bits(&cpu.values),
        "{what}: value bits differ"
    );
}

fn assert_same_complex(what: &str, gpu: &TopK<Complex32>, cpu: &TopK<Complex32>) {
    assert_eq!(gpu.positions, cpu.positions, "{what}: positions differ");
    let bits = |v: &[Complex32]| {
        v.iter()
            .map(|z| (z.re.to_bits(), z.im.to_bits()))
            .collect::<Vec<_>>()
    };
    assert!(
        bits(&gpu.values) == bits(&cpu.values),
        "{what}: value bits differ"
    );
}

fn gpu_f32(ctx: &Context, data: &[f32], k: usize, options: &TopKOptions) -> TopK<f32> {
    let tensor = GpuTensor::from_f32(ctx, data, &[data.len()]).unwrap();
    let top = ctx.top_k_gpu_with(&tensor, k, options).unwrap();
    TopK {
        positions: top.positions_to_host().unwrap(),
        values: top.values.to_f32().unwrap(),
        threshold: top.threshold,
    }
}

fn gpu_complex(
    ctx: &Context,
    data: &[Complex32],
    k: usize,
    options: &TopKOptions,
) -> TopK<Complex32> {
    let tensor = GpuTensor::from_complex(ctx, data, &[data.len()]).unwrap();
    let top = ctx.top_k_gpu_with(&tensor, k, options).unwrap();
    TopK {
        positions: top.positions_to_host().unwrap(),
        values: top.values.to_complex().unwrap(),
        threshold: top.threshold,
    }
}

// ---------------------------------------------------------------- CPU twin

#[test]
fn keys_order_like_magnitudes() {
    let xs = [0.0f32, 1e-40, 1e-38, 0.5, 1.0, 1.5, 3.0e38, f32::MAX];
    for w in xs.windows(2) {
        assert!(magnitude_key_f32(w[0]) < magnitude_key_f32(w[1]), "{w:?}");
        assert_eq!(magnitude_key_f32(-w[1]), magnitude_key_f32(w[1]));
    }
    assert_eq!(magnitude_key_f32(-0.0), 0);
    let c = |re, im| magnitude_key_complex(Complex32::new(re, im));
    assert_eq!(c(0.0, 0.0), 0);
    assert_eq!(c(-0.0, 0.0), 0);
    assert_eq!(c(-3.0, -4.0), c(4.0, 3.0));
    assert!(c(1.0, 0.0) < c(1.0, 1e-3));
    assert_eq!(c(3.0, 4.0), c(5.0, 0.0), "|3+4i| = 5 exactly");
    assert!(
        c(1e-45, 0.0) > 0,
        "the smallest subnormal has a non-zero key"
    );
    assert!(
        c(1e-20, 1e-20) > 0,
        "no underflow where the f32 square would"
    );
    assert!(
        c(3e19, 0.0) < c(f32::MAX, 0.0),
        "no overflow where it would"
    );
    assert!(c(f32::MAX, f32::MAX) > c(f32::MAX, 0.0));
    // Keys order like |z| over the whole f32 range (not strictly: values
    // within the 22-bit truncation may tie).
    let mut rng = SplitMix64(7);
    let mut zs: Vec<Complex32> = (0..20_000)
        .map(|_| {
            let mut part = || {
                let e = (rng.next_u64() % 250) as i32 - 140;
                let m = 1.0 + f64::from(rng.uniform().abs());
                let s = if rng.next_u64().is_multiple_of(2) {
                    1.0
                } else {
                    -1.0
                };
                (s * m * 2f64.powi(e)) as f32
            };
            Complex32::new(part(), part())
        })
        .collect();
    zs.sort_by(|a, b| {
        let m = |z: &Complex32| f64::from(z.re).hypot(f64::from(z.im));
        m(a).total_cmp(&m(b))
    });
    for w in zs.windows(2) {
        let (m0, m1) = (
            f64::from(w[0].re).hypot(f64::from(w[0].im)),
            f64::from(w[1].re).hypot(f64::from(w[1].im)),
        );
        assert!(c(w[0].re, w[0].im) <= c(w[1].re, w[1].im), "{w:?}");
        if m1 > m0 * (1.0 + 1e-6) {
            assert!(c(w[0].re, w[0].im) < c(w[1].re, w[1].im), "{w:?}");
        }
    }
}

#[test]
fn complex_keys_shift_alike_under_power_of_two_scaling() {
    let zs = dyadic_complex(5000, 11);
    for j in [-120i32, -64, -1, 1, 30, 64, 120] {
        let f = 2f32.powi(j.clamp(-126, 127));
        for z in &zs {
            let scaled = Complex32::new(z.re * f, z.im * f);
            if *z == Complex32::new(0.0, 0.0) {
                assert_eq!(magnitude_key_complex(scaled), 0);
                continue;
            }
            let shift = (2 * j) << 22;
            assert_eq!(
                magnitude_key_complex(scaled) as i64 - magnitude_key_complex(*z) as i64,
                shift as i64,
                "{z:?} * 2^{j}"
            );
        }
    }
}

#[test]
fn cpu_twin_matches_the_sort_reference() {
    for &n in &[1usize, 2, 3, 17, 1000, 4097, 70_001, 200_000] {
        for (p, &pattern) in PATTERNS.iter().enumerate() {
            let data = f32_data(pattern, n, (n * 7 + p) as u64);
            for k in ks_for(n, n as u64 + p as u64) {
                let what = format!("cpu f32 n={n} k={k} {pattern:?}");
                let top = top_k_cpu_f32(&data, k).unwrap();
                assert_eq!(
                    top.positions,
                    reference(&data, k, magnitude_key_f32),
                    "{what}"
                );
                assert_valid(&what, &data, k, &top, magnitude_key_f32);
                let t = top.threshold;
                assert_eq!(t.above as usize + t.need_ties as usize, k, "{what}: {t:?}");
                assert!(t.need_ties >= 1, "{what}: {t:?}");
            }
        }
        let data = dyadic_complex(n, n as u64);
        for k in ks_for(n, 3 * n as u64) {
            let top = top_k_cpu_complex(&data, k).unwrap();
            assert_eq!(
                top.positions,
                reference(&data, k, magnitude_key_complex),
                "cpu complex n={n} k={k}"
            );
        }
        let data = SplitMix64(n as u64).complex_vec(n);
        let k = n.div_ceil(3);
        let top = top_k_cpu_complex(&data, k).unwrap();
        assert_eq!(
            top.positions,
            reference(&data, k, magnitude_key_complex),
            "cpu complex random n={n} k={k}"
        );
    }
}

#[test]
fn cpu_twin_selects_from_2_26_elements() {
    let n = 1 << 26;
    let data = f32_data(Pattern::Uniform, n, 26);
    let k = n / 5;
    let start = Instant::now();
    let top = top_k_cpu_f32(&data, k).unwrap();
    let elapsed = start.elapsed();
    println!(
        "CPU twin top-k of 2^26 f32, k = n/5: {elapsed:.2?} on {} threads",
        rayon::current_num_threads()
    );
    assert_valid("cpu 2^26", &data, k, &top, magnitude_key_f32);
}

#[test]
fn bad_input_and_k_out_of_range_are_typed_errors_on_the_cpu() {
    let cpu = Context::cpu();
    let mut data = f32_data(Pattern::Wide, 10_000, 1);
    data[5000] = f32::INFINITY;
    data[777] = f32::NAN;
    for err in [
        top_k_cpu_f32(&data, 10).unwrap_err(),
        cpu.top_k_f32(&data, 10).unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::InvalidArgument { name: "data", detail } if detail.contains("element 777 ")),
            "{err}"
        );
    }
    let mut z = dyadic_complex(100, 2);
    z[3].im = f32::NEG_INFINITY;
    let err = cpu.top_k_complex(&z, 1).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { detail, .. } if detail.contains("element 3 ")),
        "{err}"
    );

    let data = [1.0f32, 2.0, 3.0];
    let err = cpu.top_k_f32(&data, 4).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { name: "k", detail } if detail.contains("k = 4 exceeds the input length 3")),
        "{err}"
    );
    let err = cpu.top_k_f32(&[], 1).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { name: "k", detail } if detail.contains("k = 1 exceeds the input length 0")),
        "{err}"
    );
}

#[test]
fn k_zero_is_an_empty_result_on_the_cpu() {
    let cpu = Context::cpu();
    for data in [&[][..], &[1.0f32, -2.0, 3.0][..]] {
        let top = cpu.top_k_f32(data, 0).unwrap();
        assert!(top.is_empty() && top.values.is_empty(), "{top:?}");
        assert!(top_k_cpu_f32(data, 0).unwrap().is_empty());
    }
    assert!(top_k_cpu_complex(&[], 0).unwrap().is_empty());
    assert!(top_k_cpu_complex(&dyadic_complex(10, 1), 0)
        .unwrap()
        .is_empty());
    // Non-finite input is still reported.
    assert!(top_k_cpu_f32(&[1.0, f32::NAN], 0).is_err());
}

// ---------------------------------------------------------------- GPU

#[test]
fn gpu_matches_cpu_for_f32_of_many_sizes() {
    let Some(ctx) = gpu_context_or_skip("gpu_matches_cpu_for_f32_of_many_sizes") else {
        return;
    };
    for &n in &[1usize, 2, 1000, 4097, 1 << 20] {
        let data = f32_data(Pattern::Wide, n, n as u64);
        for k in ks_for(n, 5 * n as u64) {
            let what = format!("f32 n={n} k={k}");
            let gpu = ctx.top_k_f32(&data, k).unwrap();
            let cpu = top_k_cpu_f32(&data, k).unwrap();
            assert_same_f32(&what, &gpu, &cpu);
            let t = gpu.threshold;
            assert_eq!(t.above as usize + t.need_ties as usize, k, "{what}: {t:?}");
        }
    }
    // A selection inside a run of ties needs all four digits and reports the
    // exact threshold, as the CPU twin does.
    let data = f32_data(Pattern::FewDistinct, 1 << 16, 9);
    let gpu = ctx.top_k_f32(&data, 12345).unwrap();
    let cpu = top_k_cpu_f32(&data, 12345).unwrap();
    assert_same_f32("few distinct 2^16", &gpu, &cpu);
    assert_eq!(gpu.threshold, cpu.threshold);
    assert_eq!(
        (cpu.threshold.key, cpu.threshold.above),
        (3.0f32.to_bits(), 0)
    );
    // One that ends after the first digit: the ten 3.0s fill the top bin.
    let mut data = vec![1.0f32; 5000];
    for i in 0..10 {
        data[i * 397] = -3.0;
    }
    let gpu = ctx.top_k_f32(&data, 10).unwrap();
    assert_same_f32("early exit", &gpu, &top_k_cpu_f32(&data, 10).unwrap());
    assert_eq!(
        (
            gpu.threshold.key,
            gpu.threshold.above,
            gpu.threshold.need_ties
        ),
        (0x4000_0000 - 1, 10, 0)
    );
}

#[test]
fn gpu_keeps_the_lowest_positions_among_ties() {
    let Some(ctx) = gpu_context_or_skip("gpu_keeps_the_lowest_positions_among_ties") else {
        return;
    };
    for &n in &[1000usize, 4097, 100_000] {
        for (p, &pattern) in PATTERNS.iter().enumerate().skip(1) {
            let data = f32_data(pattern, n, (n + p) as u64);
            for k in ks_for(n, (n * 3 + p) as u64) {
                let what = format!("ties n={n} k={k} {pattern:?}");
                let gpu = ctx.top_k_f32(&data, k).unwrap();
                assert_valid(&what, &data, k, &gpu, magnitude_key_f32);
                assert_same_f32(&what, &gpu, &top_k_cpu_f32(&data, k).unwrap());
                if n <= 4097 {
                    assert_eq!(
                        gpu.positions,
                        reference(&data, k, magnitude_key_f32),
                        "{what}"
                    );
                }
            }
        }
    }
    // All equal: the first k positions, whatever k.
    let data = vec![-2.5f32; 3000];
    let top = ctx.top_k_f32(&data, 1234).unwrap();
    assert_eq!(top.positions, (0..1234).collect::<Vec<u32>>());
}

#[test]
fn gpu_windows_and_2d_grids_give_the_same_result() {
    let Some(ctx) = gpu_context_or_skip("gpu_windows_and_2d_grids_give_the_same_result") else {
        return;
    };
    let tight = [
        TopKOptions {
            window_elems: Some(4096),
            max_groups_per_dim: Some(2),
        },
        TopKOptions {
            window_elems: Some(1024),
            max_groups_per_dim: None,
        },
        TopKOptions {
            window_elems: None,
            max_groups_per_dim: Some(8),
        },
    ];
    let n = 50_001;
    for (p, &pattern) in [Pattern::Wide, Pattern::FewDistinct, Pattern::Sparse]
        .iter()
        .enumerate()
    {
        let data = f32_data(pattern, n, 40 + p as u64);
        for k in [1, 7, 4096, n / 3, n - 1, n] {
            let cpu = top_k_cpu_f32(&data, k).unwrap();
            for options in &tight {
                let what = format!("windows n={n} k={k} {pattern:?} {options:?}");
                assert_same_f32(&what, &gpu_f32(&ctx, &data, k, options), &cpu);
            }
        }
    }
    let data = dyadic_complex(n, 41);
    for k in [3, n / 2] {
        let cpu = top_k_cpu_complex(&data, k).unwrap();
        assert_same_complex(
            "complex windows",
            &gpu_complex(&ctx, &data, k, &tight[0]),
            &cpu,
        );
    }
}

#[test]
fn gpu_matches_cpu_for_complex_input() {
    let Some(ctx) = gpu_context_or_skip("gpu_matches_cpu_for_complex_input") else {
        return;
    };
    // Exact keys: identical selections.
    for &n in &[1usize, 2, 1000, 4097, 1 << 18] {
        let data = dyadic_complex(n, n as u64);
        for k in ks_for(n, 11 * n as u64) {
            let what = format!("dyadic complex n={n} k={k}");
            assert_same_complex(
                &what,
                &ctx.top_k_complex(&data, k).unwrap(),
                &top_k_cpu_complex(&data, k).unwrap(),
            );
        }
    }
    // Rounded keys: identical except, where the driver fuses the multiply-add,
    // entries whose squared magnitude is within an ulp of the threshold.
    let n = 1 << 18;
    let data = SplitMix64(5).complex_vec(n);
    for k in ks_for(n, 12) {
        let gpu = ctx.top_k_complex(&data, k).unwrap();
        let cpu = top_k_cpu_complex(&data, k).unwrap();
        assert_eq!(gpu.positions.len(), k);
        assert!(gpu.positions.windows(2).all(|w| w[0] < w[1]));
        let g: std::collections::BTreeSet<u32> = gpu.positions.iter().copied().collect();
        let c: std::collections::BTreeSet<u32> = cpu.positions.iter().copied().collect();
        let differ: Vec<u32> = g.symmetric_difference(&c).copied().collect();
        for &p in &differ {
            let key = magnitude_key_complex(data[p as usize]);
            assert!(
                key.abs_diff(cpu.threshold.key) <= 2,
                "complex k={k}: position {p} key {key:#x} far from threshold {:?}",
                cpu.threshold
            );
        }
        for (p, v) in gpu.positions.iter().zip(&gpu.values) {
            assert_eq!(data[*p as usize], *v);
        }
        if !differ.is_empty() {
            println!(
                "complex k={k}: {} entries differ within one ulp of the threshold",
                differ.len()
            );
        }
    }
}

#[test]
fn gpu_resident_result_matches_the_host_form() {
    let Some(ctx) = gpu_context_or_skip("gpu_resident_result_matches_the_host_form") else {
        return;
    };
    let data = f32_data(Pattern::FewDistinct, 30_000, 3);
    let tensor = GpuTensor::from_f32(&ctx, &data, &[100, 300]).unwrap();
    let top = ctx.top_k_gpu(&tensor, 10_000).unwrap();
    assert_eq!(top.count, 10_000);
    assert_eq!(top.values.shape(), &[10_000]);
    assert_eq!(top.values.dtype(), GpuElement::F32);
    let cpu = top_k_cpu_f32(&data, 10_000).unwrap();
    assert_eq!(top.positions_to_host().unwrap(), cpu.positions);
    assert_eq!(top.values.to_f32().unwrap(), cpu.values);
    // The input stays as it was.
    assert_eq!(tensor.to_f32().unwrap(), data);

    let z = dyadic_complex(5000, 4);
    let tensor = GpuTensor::from_complex(&ctx, &z, &[5000]).unwrap();
    let top = ctx.top_k_gpu(&tensor, 77).unwrap();
    assert_eq!(top.values.dtype(), GpuElement::Complex32);
    let cpu = top_k_cpu_complex(&z, 77).unwrap();
    assert_eq!(top.positions_to_host().unwrap(), cpu.positions);
    assert_eq!(top.values.to_complex().unwrap(), cpu.values);
}

#[test]
fn gpu_reports_bad_input_and_bad_k_as_typed_errors() {
    let Some(ctx) = gpu_context_or_skip("gpu_reports_bad_input_and_bad_k_as_typed_errors") else {
        return;
    };
    let mut data = f32_data(Pattern::Wide, 10_000, 1);
    data[5000] = f32::INFINITY;
    data[777] = f32::NAN;
    let err = ctx.top_k_f32(&data, 10).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { detail, .. } if detail.contains("element 777 ")),
        "{err}"
    );
    // In a later window, through the resident form.
    let mut data = f32_data(Pattern::Wide, 10_000, 2);
    data[9000] = -f32::INFINITY;
    let tensor = GpuTensor::from_f32(&ctx, &data, &[10_000]).unwrap();
    let options = TopKOptions {
        window_elems: Some(2048),
        max_groups_per_dim: None,
    };
    let err = ctx.top_k_gpu_with(&tensor, 5, &options).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { detail, .. } if detail.contains("element 9000 ")),
        "{err}"
    );
    let mut z = dyadic_complex(100, 2);
    z[3].im = f32::NAN;
    let err = ctx.top_k_complex(&z, 1).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { detail, .. } if detail.contains("element 3 ")),
        "{err}"
    );

    let k = 10_001;
    let err = ctx.top_k_gpu(&tensor, k).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "k", .. }),
        "{err}"
    );
    let err = ctx.top_k_f32(&data, k).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "k", .. }),
        "{err}"
    );
    let err = Context::cpu().top_k_gpu(&tensor, 1).unwrap_err();
    assert!(matches!(err, Error::NoGpu { .. }), "{err}");
    // The context still works after the errors.
    data[9000] = 1.0;
    assert_same_f32(
        "after errors",
        &ctx.top_k_f32(&data, 99).unwrap(),
        &top_k_cpu_f32(&data, 99).unwrap(),
    );
}

#[test]
fn gpu_k_zero_is_an_empty_result() {
    let Some(ctx) = gpu_context_or_skip("gpu_k_zero_is_an_empty_result") else {
        return;
    };
    for data in [&[][..], &[1.0f32, -2.0, 3.0][..]] {
        let top = ctx.top_k_f32(data, 0).unwrap();
        assert!(top.is_empty() && top.values.is_empty(), "{top:?}");
    }
    assert!(ctx
        .top_k_complex(&dyadic_complex(10, 1), 0)
        .unwrap()
        .is_empty());
    let tensor = GpuTensor::from_f32(&ctx, &[1.0, 2.0], &[2]).unwrap();
    let top = ctx.top_k_gpu(&tensor, 0).unwrap();
    assert_eq!(top.count, 0);
    assert!(top.positions_to_host().unwrap().is_empty());
    let err = ctx.top_k_f32(&[], 1).unwrap_err();
    assert!(
        err.to_string().contains("k = 1 exceeds the input length 0"),
        "{err}"
    );
    assert!(
        ctx.top_k_f32(&[1.0, f32::NAN], 0).is_err(),
        "non-finite input is reported"
    );
}

#[test]
fn gpu_top_k_is_one_submission() {
    let Some(ctx) = gpu_context_or_skip("gpu_top_k_is_one_submission") else {
        return;
    };
    let data = f32_data(Pattern::Wide, 100_000, 3);
    let z = dyadic_complex(50_000, 4);
    let count = || ctx.gpu().unwrap().submissions();
    let before = count();
    let top = ctx.top_k_f32(&data, 777).unwrap();
    assert_eq!(count() - before, 1, "top_k_f32");
    assert_same_f32("one submission", &top, &top_k_cpu_f32(&data, 777).unwrap());
    let before = count();
    ctx.top_k_complex(&z, 1000).unwrap();
    assert_eq!(count() - before, 1, "top_k_complex");
    // The record form chains with other work in the caller's recording.
    let before = count();
    let mut rec = ctx.recording("chained top-k").unwrap();
    let input = rec.upload("input", &data).unwrap();
    let top = ctx
        .record_top_k(&mut rec, &input, GpuElement::F32, data.len(), 777)
        .unwrap();
    let positions = rec.read_back(&top.positions()).unwrap();
    let mut done = rec.submit().unwrap().wait().unwrap();
    let positions: Vec<u32> = done.take(positions).unwrap();
    top.finish(&done).unwrap();
    assert_eq!(count() - before, 1, "record_top_k");
    assert_eq!(positions, top_k_cpu_f32(&data, 777).unwrap().positions);
}

#[test]
fn gpu_matches_cpu_on_2_26_elements() {
    let Some(ctx) = gpu_context_or_skip("gpu_matches_cpu_on_2_26_elements") else {
        return;
    };
    // 256 MiB of f32: two windows on lavapipe's 128 MiB bindings.
    let n = 1 << 26;
    let data = f32_data(Pattern::Uniform, n, 2026);
    let k = 13_421_773; // about 20 %
    let start = Instant::now();
    let cpu = top_k_cpu_f32(&data, k).unwrap();
    let cpu_time = start.elapsed();
    let start = Instant::now();
    let gpu = ctx.top_k_f32(&data, k).unwrap();
    let gpu_time = start.elapsed();
    println!(
        "2^26 f32, k = {k}: CPU twin {cpu_time:.2?}, GPU {gpu_time:.2?} ({})",
        ctx.description()
    );
    assert_same_f32("2^26", &gpu, &cpu);
}

#[test]
fn gpu_matches_cpu_on_2_26_complex_elements() {
    let Some(ctx) = gpu_context_or_skip("gpu_matches_cpu_on_2_26_complex_elements") else {
        return;
    };
    // 512 MiB in, and with k = n - 1 512 MiB of values out: both the input
    // and the outputs span several storage bindings on lavapipe.
    let n = 1 << 26;
    let data = dyadic_complex(n, 2027);
    let k = n - 1;
    let start = Instant::now();
    let cpu = top_k_cpu_complex(&data, k).unwrap();
    let cpu_time = start.elapsed();
    let start = Instant::now();
    let gpu = ctx.top_k_complex(&data, k).unwrap();
    let gpu_time = start.elapsed();
    println!("2^26 complex, k = n - 1: CPU twin {cpu_time:.2?}, GPU {gpu_time:.2?}");
    assert_same_complex("2^26 complex", &gpu, &cpu);
}
