//! The DCT twin against the naive f64 definitions, every strategy of the
//! line driver, and error handling.

use super::plan::{DctKernel, DctPlan, Direction};
use super::*;
use crate::dct::reference::{dct2_naive_f64, dct3_naive_f64};
use crate::error::Error;
use crate::fft::lines::Strategy;

/// The DCT error inside `Error::Dct`; any other error fails the test.
fn typed(r: Result<()>) -> Result<(), DctError> {
    r.map_err(|e| match e {
        Error::Dct(d) => d,
        other => panic!("expected Error::Dct, got {other:?}"),
    })
}

// The public functions, with the DCT error unwrapped, so that the tests
// compare typed errors.
fn dct2_axis(data: &mut [f32], shape: &[usize], axis: usize) -> Result<(), DctError> {
    typed(super::dct2_axis(data, shape, axis))
}

fn dct3_axis(data: &mut [f32], shape: &[usize], axis: usize) -> Result<(), DctError> {
    typed(super::dct3_axis(data, shape, axis))
}

fn dct2_axes(data: &mut [f32], shape: &[usize], axes: &[usize]) -> Result<(), DctError> {
    typed(super::dct2_axes(data, shape, axes))
}

fn dct3_axes(data: &mut [f32], shape: &[usize], axes: &[usize]) -> Result<(), DctError> {
    typed(super::dct3_axes(data, shape, axes))
}

/// The line driver with a given strategy, running `plan` in `direction`.
fn transform_axis_with(
    data: &mut [f32],
    inner: usize,
    plan: &DctPlan<f32>,
    direction: Direction,
    strategy: Strategy,
    threads: usize,
) {
    let kernel = DctKernel { plan, direction };
    lines::transform_axis_with(&kernel, data, inner, strategy, threads);
}

/// splitmix64, for reproducible test inputs without the `rand` crate.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn next_signed_unit(&mut self) -> f32 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (2.0 * unit - 1.0) as f32
    }

    fn signal(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| self.next_signed_unit()).collect()
    }
}

fn rms_relative_error(actual: &[f32], expected: &[f64]) -> f64 {
    assert_eq!(actual.len(), expected.len());
    let error: f64 = actual
        .iter()
        .zip(expected)
        .map(|(&a, &e)| (f64::from(a) - e).powi(2))
        .sum();
    let norm: f64 = expected.iter().map(|e| e * e).sum();
    if norm == 0.0 {
        error.sqrt()
    } else {
        (error / norm).sqrt()
    }
}

fn to_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// Checks DCT-II against the naive f64 oracle, the round trip and Parseval
/// for one length; returns the worst of the two RMS relative errors.
fn check_length(len: usize, rng: &mut SplitMix64) -> f64 {
    let signal = rng.signal(len);
    let mut spectrum = signal.clone();
    dct2_axis(&mut spectrum, &[len], 0).unwrap();
    let expected = dct2_naive_f64(&to_f64(&signal));
    let forward_error = rms_relative_error(&spectrum, &expected);
    assert!(
        forward_error <= 1e-6,
        "N = {len}: DCT-II RMS relative error {forward_error:e}"
    );

    let energy_signal: f64 = signal.iter().map(|&v| f64::from(v).powi(2)).sum();
    let energy_spectrum: f64 = spectrum.iter().map(|&v| f64::from(v).powi(2)).sum();
    let parseval = (energy_spectrum - energy_signal).abs() / energy_signal;
    assert!(
        parseval <= 1e-5,
        "N = {len}: Parseval relative error {parseval:e}"
    );

    let mut round_trip = spectrum.clone();
    dct3_axis(&mut round_trip, &[len], 0).unwrap();
    let round_trip_error = rms_relative_error(&round_trip, &to_f64(&signal));
    assert!(
        round_trip_error <= 1e-6,
        "N = {len}: round trip RMS relative error {round_trip_error:e}"
    );

    let mut inverse = signal.clone();
    dct3_axis(&mut inverse, &[len], 0).unwrap();
    let inverse_error = rms_relative_error(&inverse, &dct3_naive_f64(&to_f64(&signal)));
    assert!(
        inverse_error <= 1e-6,
        "N = {len}: DCT-III RMS relative error {inverse_error:e}"
    );

    forward_error.max(round_trip_error).max(inverse_error)
}

#[test]
fn every_length_up_to_300_matches_naive() {
    let mut rng = SplitMix64(1);
    let worst = (1..=300)
        .map(|len| check_length(len, &mut rng))
        .fold(0.0, f64::max);
    println!("worst RMS relative error over N = 1..=300: {worst:e}");
}

#[test]
fn larger_lengths_match_naive() {
    let mut rng = SplitMix64(2);
    let worst = [509, 1000, 1024, 4095, 4096]
        .into_iter()
        .map(|len| check_length(len, &mut rng))
        .fold(0.0, f64::max);
    println!("worst RMS relative error over N = 509..=4096: {worst:e}");
}

#[test]
fn prime_length_65537_sampled_coefficients_and_round_trip() {
    let len = 65537;
    let mut rng = SplitMix64(3);
    let signal = rng.signal(len);
    let mut spectrum = signal.clone();
    dct2_axis(&mut spectrum, &[len], 0).unwrap();

    // The full naive DCT is O(N^2); evaluate the defining sum in f64 at a
    // spread of coefficients, including both ends.
    let sampled_ks: Vec<usize> = (0..len)
        .step_by(521)
        .chain([1, 2, len - 2, len - 1])
        .collect();
    let expected: Vec<f64> = sampled_ks
        .iter()
        .map(|&k| {
            let sum: f64 = signal
                .iter()
                .enumerate()
                .map(|(n, &x)| {
                    let phase = ((2 * n as u64 + 1) * k as u64) % (4 * len as u64);
                    f64::from(x) * (std::f64::consts::PI * phase as f64 / (2.0 * len as f64)).cos()
                })
                .sum();
            let scale = if k == 0 {
                (1.0 / len as f64).sqrt()
            } else {
                (2.0 / len as f64).sqrt()
            };
            scale * sum
        })
        .collect();
    let actual: Vec<f32> = sampled_ks.iter().map(|&k| spectrum[k]).collect();
    let sampled_error = rms_relative_error(&actual, &expected);
    assert!(
        sampled_error <= 1e-6,
        "sampled DCT-II RMS relative error {sampled_error:e}"
    );

    let energy_signal: f64 = signal.iter().map(|&v| f64::from(v).powi(2)).sum();
    let energy_spectrum: f64 = spectrum.iter().map(|&v| f64::from(v).powi(2)).sum();
    assert!((energy_spectrum - energy_signal).abs() / energy_signal <= 1e-5);

    dct3_axis(&mut spectrum, &[len], 0).unwrap();
    let round_trip_error = rms_relative_error(&spectrum, &to_f64(&signal));
    assert!(
        round_trip_error <= 1e-6,
        "round trip RMS relative error {round_trip_error:e}"
    );
    println!("N = 65537: sampled {sampled_error:e}, round trip {round_trip_error:e}");
}

/// Offsets of the first element of every line along `axis`, and the stride.
fn line_starts(shape: &[usize], axis: usize) -> (Vec<usize>, usize) {
    let stride: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let block = stride * shape[axis];
    let starts = (0..outer)
        .flat_map(|o| (0..stride).map(move |i| o * block + i))
        .collect();
    (starts, stride)
}

/// Applies a 1-D f64 transform along `axis` by gathering each line by hand.
fn apply_along_axis(
    data: &mut [f64],
    shape: &[usize],
    axis: usize,
    transform: fn(&[f64]) -> Vec<f64>,
) {
    let (starts, stride) = line_starts(shape, axis);
    for start in starts {
        let line: Vec<f64> = (0..shape[axis]).map(|j| data[start + j * stride]).collect();
        for (j, value) in transform(&line).into_iter().enumerate() {
            data[start + j * stride] = value;
        }
    }
}

fn axis_subsets(ndim: usize) -> Vec<Vec<usize>> {
    (0..1usize << ndim)
        .map(|mask| (0..ndim).filter(|axis| mask & (1 << axis) != 0).collect())
        .collect()
}

#[test]
fn n_dimensional_transforms_match_per_axis_naive() {
    let mut rng = SplitMix64(4);
    let shapes: [&[usize]; 5] = [&[3, 5, 7], &[8, 1, 16], &[2, 3, 4, 5], &[16, 9], &[1, 1, 6]];
    for shape in shapes {
        let count: usize = shape.iter().product();
        let signal = rng.signal(count);
        for axes in axis_subsets(shape.len()) {
            // Also exercise a non-sorted order of axes.
            let reversed: Vec<usize> = axes.iter().rev().copied().collect();
            for order in [&axes, &reversed] {
                let mut spectrum = signal.clone();
                dct2_axes(&mut spectrum, shape, order).unwrap();
                let mut expected = to_f64(&signal);
                for &axis in order {
                    apply_along_axis(&mut expected, shape, axis, dct2_naive_f64);
                }
                let error = rms_relative_error(&spectrum, &expected);
                assert!(
                    error <= 1e-6,
                    "shape {shape:?} axes {order:?}: DCT-II error {error:e}"
                );

                let mut inverse = signal.clone();
                dct3_axes(&mut inverse, shape, order).unwrap();
                let mut expected_inverse = to_f64(&signal);
                for &axis in order {
                    apply_along_axis(&mut expected_inverse, shape, axis, dct3_naive_f64);
                }
                let error = rms_relative_error(&inverse, &expected_inverse);
                assert!(
                    error <= 1e-6,
                    "shape {shape:?} axes {order:?}: DCT-III error {error:e}"
                );

                dct3_axes(&mut spectrum, shape, order).unwrap();
                let error = rms_relative_error(&spectrum, &to_f64(&signal));
                assert!(
                    error <= 1e-6,
                    "shape {shape:?} axes {order:?}: round trip error {error:e}"
                );
            }
        }
    }
}

#[test]
fn single_axis_calls_equal_multi_axis_call() {
    let mut rng = SplitMix64(5);
    let shape = [4, 6, 10];
    let signal = rng.signal(shape.iter().product());
    let mut one_call = signal.clone();
    dct2_axes(&mut one_call, &shape, &[2, 0]).unwrap();
    let mut per_axis = signal.clone();
    dct2_axis(&mut per_axis, &shape, 0).unwrap();
    dct2_axis(&mut per_axis, &shape, 2).unwrap();
    let error = rms_relative_error(&one_call, &to_f64(&per_axis));
    assert!(error <= 1e-6, "{error:e}");
}

/// Every threading strategy must give the same result as the serial one,
/// whatever the machine's thread count would have chosen.
#[test]
fn all_strategies_agree_with_naive() {
    let mut rng = SplitMix64(6);
    let cases: [(&[usize], usize); 6] = [
        (&[300, 130], 1),
        (&[130, 300], 0),
        (&[3, 257, 50], 1),
        (&[40, 33, 50], 1),
        (&[2, 17, 1000], 1),
        (&[5, 64, 9, 11], 1),
    ];
    let mut planner = DctPlanner::new();
    for (shape, axis) in cases {
        let len = shape[axis];
        let inner: usize = shape[axis + 1..].iter().product();
        let signal = rng.signal(shape.iter().product());
        let mut expected = to_f64(&signal);
        apply_along_axis(&mut expected, shape, axis, dct2_naive_f64);
        let plan = planner.plan(len);
        let mut strategies = vec![Strategy::Serial];
        if inner == 1 {
            strategies.push(Strategy::ContiguousParallel);
        } else {
            strategies.extend([Strategy::BlockParallel, Strategy::SlabParallel]);
        }
        for strategy in strategies {
            // One thread gives slabs of a single group, ragged at the end.
            for threads in [1, 3, 16] {
                let mut spectrum = signal.clone();
                transform_axis_with(
                    &mut spectrum,
                    inner,
                    &plan,
                    Direction::Forward,
                    strategy,
                    threads,
                );
                let error = rms_relative_error(&spectrum, &expected);
                assert!(
                    error <= 1e-6,
                    "shape {shape:?} axis {axis} {strategy:?}: error {error:e}"
                );
                transform_axis_with(
                    &mut spectrum,
                    inner,
                    &plan,
                    Direction::Inverse,
                    strategy,
                    threads,
                );
                let error = rms_relative_error(&spectrum, &to_f64(&signal));
                assert!(
                    error <= 1e-6,
                    "shape {shape:?} axis {axis} {strategy:?}: round trip {error:e}"
                );
            }
        }
    }
}

/// Slabs of one or two groups per thread, a ragged last slab and a ragged
/// last group, checked against the serial path (itself checked against
/// the naive DCT above).
#[test]
fn several_slabs_match_serial() {
    let mut rng = SplitMix64(9);
    let cases: [(&[usize], usize); 2] = [(&[600, 1000], 0), (&[3, 600, 500], 1)];
    let mut planner = DctPlanner::new();
    for (shape, axis) in cases {
        let inner: usize = shape[axis + 1..].iter().product();
        let plan = planner.plan(shape[axis]);
        let signal = rng.signal(shape.iter().product());
        for direction in [Direction::Forward, Direction::Inverse] {
            let mut serial = signal.clone();
            transform_axis_with(&mut serial, inner, &plan, direction, Strategy::Serial, 1);
            let serial = to_f64(&serial);
            for strategy in [Strategy::BlockParallel, Strategy::SlabParallel] {
                for threads in [1, 2, 5] {
                    let mut parallel = signal.clone();
                    transform_axis_with(&mut parallel, inner, &plan, direction, strategy, threads);
                    let error = rms_relative_error(&parallel, &serial);
                    assert!(
                        error <= 1e-7,
                        "shape {shape:?} axis {axis} {direction:?} {strategy:?} {threads} threads: {error:e}"
                    );
                }
            }
        }
    }
}

#[test]
fn large_tensor_round_trip_over_all_axes() {
    let mut rng = SplitMix64(7);
    let shape = [48, 40, 36];
    let signal = rng.signal(shape.iter().product());
    let mut data = signal.clone();
    dct2_axes(&mut data, &shape, &[0, 1, 2]).unwrap();
    dct3_axes(&mut data, &shape, &[1, 2, 0]).unwrap();
    let error = rms_relative_error(&data, &to_f64(&signal));
    assert!(error <= 1e-6, "{error:e}");
}

#[test]
fn owned_planner_matches_shared_functions() {
    let mut rng = SplitMix64(8);
    let shape = [7, 12];
    let signal = rng.signal(84);
    let mut planner = DctPlanner::new();
    let mut owned = signal.clone();
    planner.dct2_axes(&mut owned, &shape, &[0, 1]).unwrap();
    let mut shared = signal.clone();
    dct2_axes(&mut shared, &shape, &[0, 1]).unwrap();
    assert_eq!(owned, shared);
    planner.dct3_axis(&mut owned, &shape, 0).unwrap();
    planner.dct3_axis(&mut owned, &shape, 1).unwrap();
    assert!(rms_relative_error(&owned, &to_f64(&signal)) <= 1e-6);
    assert!(format!("{planner:?}").contains("cached_lengths: [7, 12]"));
}

#[test]
fn errors_are_reported_and_leave_data_untouched() {
    let original = vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
    let mut data = original.clone();
    assert_eq!(
        dct2_axis(&mut data, &[2, 4], 0),
        Err(DctError::ShapeMismatch {
            expected: 8,
            found: 6
        })
    );
    assert_eq!(
        dct3_axis(&mut data, &[2, 3], 2),
        Err(DctError::AxisOutOfRange { axis: 2, ndim: 2 })
    );
    assert_eq!(
        dct2_axes(&mut data, &[2, 3], &[1, 0, 1]),
        Err(DctError::DuplicateAxis { axis: 1 })
    );
    // The first axis is valid, the second is not: nothing may be written.
    assert_eq!(
        dct2_axes(&mut data, &[2, 3], &[0, 5]),
        Err(DctError::AxisOutOfRange { axis: 5, ndim: 2 })
    );
    assert_eq!(dct2_axis(&mut data, &[], 0), Err(DctError::EmptyShape));
    assert_eq!(
        dct3_axes(&mut data, &[2, 0, 3], &[0]),
        Err(DctError::ZeroDimension { axis: 1 })
    );
    assert_eq!(
        dct2_axis(&mut data, &[usize::MAX, 2], 0),
        Err(DctError::ShapeMismatch {
            expected: usize::MAX,
            found: 6
        })
    );
    assert_eq!(data, original);

    let mut empty: Vec<f32> = Vec::new();
    assert_eq!(
        dct2_axis(&mut empty, &[0], 0),
        Err(DctError::ZeroDimension { axis: 0 })
    );

    assert_eq!(
        DctError::AxisOutOfRange { axis: 3, ndim: 2 }.to_string(),
        "axis 3 is out of range for a tensor with 2 dimensions"
    );
    assert_eq!(
        DctError::ShapeMismatch {
            expected: 8,
            found: 6
        }
        .to_string(),
        "data holds 6 elements but the shape describes 8"
    );
}

#[test]
fn empty_axes_is_a_no_op() {
    let original = vec![1.0f32, -2.0, 0.5];
    let mut data = original.clone();
    dct2_axes(&mut data, &[3], &[]).unwrap();
    assert_eq!(data, original);
}
