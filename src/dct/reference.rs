//! Textbook O(N^2) orthonormal DCT-II and DCT-III in f64.
//!
//! These are deliberately direct evaluations of the defining sums, meant as
//! test oracles for the FFT-based CPU path and for the GPU path.

use std::f64::consts::PI;

/// Orthonormal scale factor `s(k)` of the DCT-II / DCT-III of length `len`:
/// `sqrt(1/N)` for `k == 0`, `sqrt(2/N)` otherwise.
fn orthonormal_scale(k: usize, len: usize) -> f64 {
    if k == 0 {
        (1.0 / len as f64).sqrt()
    } else {
        (2.0 / len as f64).sqrt()
    }
}

/// `cos(pi (2n+1) k / (2N))`, with the integer phase reduced modulo `4N`
/// before converting to floating point so that the argument stays small.
fn dct_cosine(n: usize, k: usize, len: usize) -> f64 {
    let period = 4 * len as u128;
    let phase = ((2 * n as u128 + 1) * k as u128) % period;
    (PI * phase as f64 / (2.0 * len as f64)).cos()
}

/// Orthonormal DCT-II by the defining sum:
/// `X[k] = s(k) * sum_n x[n] cos(pi (2n+1) k / (2N))`, with `s(0) = sqrt(1/N)`
/// and `s(k > 0) = sqrt(2/N)` (the same as `scipy.fft.dct(x, type=2, norm="ortho")`).
///
/// Costs O(N^2); every length is accepted and an empty input gives an empty
/// output.
#[must_use]
pub fn dct2_naive_f64(x: &[f64]) -> Vec<f64> {
    let len = x.len();
    (0..len)
        .map(|k| {
            let sum: f64 = x
                .iter()
                .enumerate()
                .map(|(n, &value)| value * dct_cosine(n, k, len))
                .sum();
            orthonormal_scale(k, len) * sum
        })
        .collect()
}

/// Orthonormal DCT-III by the defining sum, the inverse (and transpose) of
/// [`dct2_naive_f64`]: `x[n] = sum_k s(k) X[k] cos(pi (2n+1) k / (2N))`
/// (the same as `scipy.fft.dct(x, type=3, norm="ortho")`).
///
/// Costs O(N^2); every length is accepted and an empty input gives an empty
/// output.
#[must_use]
pub fn dct3_naive_f64(x: &[f64]) -> Vec<f64> {
    let len = x.len();
    (0..len)
        .map(|n| {
            x.iter()
                .enumerate()
                .map(|(k, &value)| orthonormal_scale(k, len) * value * dct_cosine(n, k, len))
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: &[f64], expected: &[f64], tolerance: f64) {
        assert_eq!(actual.len(), expected.len());
        for (index, (a, e)) in actual.iter().zip(expected).enumerate() {
            assert!(
                (a - e).abs() <= tolerance,
                "index {index}: got {a}, expected {e}"
            );
        }
    }

    /// Row `k` of the DCT-II matrix is the DCT-II basis function `k`;
    /// column `n` is the DCT-II of the unit vector `e_n`.
    fn dct2_matrix(len: usize) -> Vec<Vec<f64>> {
        let columns: Vec<Vec<f64>> = (0..len)
            .map(|n| {
                let mut unit = vec![0.0; len];
                unit[n] = 1.0;
                dct2_naive_f64(&unit)
            })
            .collect();
        (0..len)
            .map(|k| (0..len).map(|n| columns[n][k]).collect())
            .collect()
    }

    #[test]
    fn empty_input_gives_empty_output() {
        assert!(dct2_naive_f64(&[]).is_empty());
        assert!(dct3_naive_f64(&[]).is_empty());
    }

    #[test]
    fn length_one_is_identity() {
        assert_close(&dct2_naive_f64(&[3.5]), &[3.5], 1e-15);
        assert_close(&dct3_naive_f64(&[-2.25]), &[-2.25], 1e-15);
    }

    #[test]
    fn length_two_by_hand() {
        // X0 = (a + b) / sqrt 2, X1 = (a - b) cos(pi/4) = (a - b) / sqrt 2.
        let (a, b) = (3.0, -1.0);
        let root_half = std::f64::consts::FRAC_1_SQRT_2;
        let expected = [(a + b) * root_half, (a - b) * root_half];
        assert_close(&dct2_naive_f64(&[a, b]), &expected, 1e-14);
        // The 2x2 matrix is symmetric and its own inverse.
        assert_close(&dct3_naive_f64(&[a, b]), &expected, 1e-14);
    }

    #[test]
    fn length_three_by_hand() {
        // X0 = (a+b+c)/sqrt3; X1 = sqrt(2/3)(sqrt3/2)(a-c) = (a-c)/sqrt2;
        // X2 = sqrt(2/3)(a/2 - b + c/2) = (a - 2b + c)/sqrt6.
        let (a, b, c) = (1.0, 2.0, 4.0);
        let expected = [
            (a + b + c) / 3f64.sqrt(),
            (a - c) / 2f64.sqrt(),
            (a - 2.0 * b + c) / 6f64.sqrt(),
        ];
        assert_close(&dct2_naive_f64(&[a, b, c]), &expected, 1e-14);
        assert_close(&dct3_naive_f64(&expected), &[a, b, c], 1e-14);
    }

    #[test]
    fn constant_input_has_only_a_dc_term() {
        for len in 1..=33 {
            let value = 1.75;
            let spectrum = dct2_naive_f64(&vec![value; len]);
            let dc = value * (len as f64).sqrt();
            assert!((spectrum[0] - dc).abs() <= 1e-12 * dc, "len {len}");
            for (k, coefficient) in spectrum.iter().enumerate().skip(1) {
                assert!(coefficient.abs() <= 1e-12, "len {len} k {k}: {coefficient}");
            }
        }
    }

    #[test]
    fn dct2_matrix_is_orthonormal() {
        for len in 1..=64 {
            let matrix = dct2_matrix(len);
            for i in 0..len {
                for j in 0..len {
                    let dot: f64 = (0..len).map(|n| matrix[i][n] * matrix[j][n]).sum();
                    let identity = if i == j { 1.0 } else { 0.0 };
                    assert!(
                        (dot - identity).abs() <= 1e-12,
                        "len {len}: (M M^T)[{i}][{j}] = {dot}"
                    );
                }
            }
        }
    }

    #[test]
    fn dct3_is_the_transpose_and_inverse_of_dct2() {
        for len in [1, 2, 3, 4, 5, 8, 17, 64] {
            let matrix = dct2_matrix(len);
            for k in 0..len {
                let mut unit = vec![0.0; len];
                unit[k] = 1.0;
                // Column k of the DCT-III matrix is row k of the DCT-II matrix.
                assert_close(&dct3_naive_f64(&unit), &matrix[k], 1e-13);
            }
            let signal: Vec<f64> = (0..len).map(|n| ((n * 7 + 3) % 11) as f64 - 5.0).collect();
            assert_close(&dct3_naive_f64(&dct2_naive_f64(&signal)), &signal, 1e-12);
        }
    }
}
