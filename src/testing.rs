//! Helpers for conformance tests: error measures against f64 references and
//! the GPU-context policy of the test suite.

use rustfft::num_complex::{Complex32, Complex64};

use crate::backend::{Context, DeviceChoice};

/// Comparison of a result with a reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorReport {
    /// `sqrt(sum |a - b|^2 / sum |b|^2)`.
    pub rms_relative: f64,
    /// Largest `|a - b|`.
    pub max_abs: f64,
    /// Where `max_abs` occurs.
    pub worst_index: usize,
    /// Index of the first non-finite value in the result, if any.
    pub first_non_finite: Option<usize>,
}

/// Compares complex f32 `actual` with an f64 `expected`.
///
/// # Panics
/// If the lengths differ.
pub fn compare_complex(actual: &[Complex32], expected: &[Complex64]) -> ErrorReport {
    assert_eq!(
        actual.len(),
        expected.len(),
        "compare_complex: lengths differ"
    );
    let mut num = 0.0f64;
    let mut den = 0.0f64;
    let mut max_abs = 0.0f64;
    let mut worst_index = 0;
    let mut first_non_finite = None;
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        if first_non_finite.is_none() && !(a.re.is_finite() && a.im.is_finite()) {
            first_non_finite = Some(i);
        }
        let d = Complex64::new(f64::from(a.re), f64::from(a.im)) - e;
        let d2 = d.norm_sqr();
        num += d2;
        den += e.norm_sqr();
        if d2.sqrt() > max_abs || d2.is_nan() {
            max_abs = d2.sqrt();
            worst_index = i;
        }
    }
    let rms_relative = if den > 0.0 {
        (num / den).sqrt()
    } else {
        num.sqrt()
    };
    ErrorReport {
        rms_relative,
        max_abs,
        worst_index,
        first_non_finite,
    }
}

/// Compares real f32 `actual` with an f64 `expected`.
///
/// # Panics
/// If the lengths differ.
pub fn compare_real(actual: &[f32], expected: &[f64]) -> ErrorReport {
    let a: Vec<Complex32> = actual.iter().map(|&x| Complex32::new(x, 0.0)).collect();
    let e: Vec<Complex64> = expected.iter().map(|&x| Complex64::new(x, 0.0)).collect();
    compare_complex(&a, &e)
}

/// Asserts that the RMS relative error of `actual` against `expected` is at
/// most `tolerance` and that every value is finite; the message names the
/// worst index and both values there.
///
/// # Panics
/// When the check fails (that is its purpose).
#[track_caller]
pub fn assert_rms_close(
    what: &str,
    actual: &[Complex32],
    expected: &[Complex64],
    tolerance: f64,
) -> ErrorReport {
    let r = compare_complex(actual, expected);
    if let Some(i) = r.first_non_finite {
        panic!("{what}: non-finite value {:?} at index {i}", actual[i]);
    }
    assert!(
        r.rms_relative <= tolerance,
        "{what}: RMS relative error {:.3e} > {tolerance:.1e}; worst |diff| {:.3e} at index {}: got {:?}, expected {:?}",
        r.rms_relative,
        r.max_abs,
        r.worst_index,
        actual[r.worst_index],
        expected[r.worst_index],
    );
    r
}

/// The reference: an f64 FFT (rustfft) of every `len`-line of `input`.
pub fn reference_fft(input: &[Complex32], len: usize, inverse: bool, scale: f64) -> Vec<Complex64> {
    let mut planner = rustfft::FftPlanner::<f64>::new();
    let fft = if inverse {
        planner.plan_fft_inverse(len)
    } else {
        planner.plan_fft_forward(len)
    };
    let mut data: Vec<Complex64> = input
        .iter()
        .map(|c| Complex64::new(f64::from(c.re), f64::from(c.im)))
        .collect();
    fft.process(&mut data);
    if scale != 1.0 {
        for v in &mut data {
            *v *= scale;
        }
    }
    data
}

/// A GPU context for tests, on any adapter including software ones.
///
/// Without an adapter it prints a skip line naming `test` and returns `None`,
/// unless `FFT_TENSOR_REQUIRE_GPU=1`, in which case it panics: CI sets it so
/// GPU tests can never pass by skipping.
///
/// # Panics
/// As described, when a GPU is required and missing.
pub fn gpu_context_or_skip(test: &str) -> Option<Context> {
    let required = std::env::var("FFT_TENSOR_REQUIRE_GPU").is_ok_and(|v| v == "1");
    match Context::new(DeviceChoice::Gpu) {
        Ok(ctx) => Some(ctx),
        Err(e) if required => panic!("{test}: FFT_TENSOR_REQUIRE_GPU=1 but no GPU context: {e}"),
        Err(e) => {
            eprintln!("SKIP {test}: no GPU adapter ({e})");
            None
        }
    }
}

/// Deterministic pseudo-random numbers for tests and examples (splitmix64).
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// `n` values uniform in [-scale, scale).
    pub fn uniform_vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform() * scale).collect()
    }

    /// `n` complex values with parts uniform in [-1, 1).
    pub fn complex_vec(&mut self, n: usize) -> Vec<Complex32> {
        (0..n)
            .map(|_| Complex32::new(self.uniform(), self.uniform()))
            .collect()
    }
}

/// The reference product `X W^T (+ bias)` in f64 (plain loops): `x` is
/// `batch x inputs`, `w` is `outputs x inputs`.
pub fn reference_matmul(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    shape: crate::linalg::MatmulShape,
) -> Vec<f64> {
    let (n, m) = (shape.inputs, shape.outputs);
    let mut y = vec![0.0f64; shape.y_len()];
    for (r, row) in y.chunks_exact_mut(m).enumerate() {
        let xr = &x[r * n..(r + 1) * n];
        for (c, out) in row.iter_mut().enumerate() {
            let dot: f64 = xr
                .iter()
                .zip(&w[c * n..(c + 1) * n])
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            *out = dot + bias.map_or(0.0, |b| f64::from(b[c]));
        }
    }
    y
}
