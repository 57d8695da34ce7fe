//! Naive f64 references of the layers, written from their definitions
//! (direct sums, no FFTs, no tiling), for tests and examples.

use rustfft::num_complex::Complex64;

/// Layer norm of `[rows, hidden]` values (`x + residual` when given) in f64.
pub fn layer_norm_f64(
    x: &[f64],
    residual: Option<&[f64]>,
    gamma: &[f64],
    beta: &[f64],
    eps: f64,
) -> Vec<f64> {
    let hidden = gamma.len();
    let mut out = Vec::with_capacity(x.len());
    for (row, chunk) in x.chunks(hidden).enumerate() {
        let v: Vec<f64> = chunk
            .iter()
            .enumerate()
            .map(|(h, &a)| a + residual.map_or(0.0, |r| r[row * hidden + h]))
            .collect();
        let mean = v.iter().sum::<f64>() / hidden as f64;
        let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / hidden as f64;
        let inv = 1.0 / (var + eps).sqrt();
        out.extend(
            v.iter()
                .enumerate()
                .map(|(h, a)| (a - mean) * inv * gamma[h] + beta[h]),
        );
    }
    out
}

/// `exp(-2 pi i k / n)` in f64.
pub fn root_of_unity(k: usize, n: usize) -> Complex64 {
    let t = -2.0 * std::f64::consts::PI * (k % n) as f64 / n as f64;
    Complex64::new(t.cos(), t.sin())
}
