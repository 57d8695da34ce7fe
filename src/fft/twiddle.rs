//! Twiddle tables, computed in f64 on the host and rounded once to f32.
//!
//! Tables hold forward twiddles `exp(-2 pi i k / n)` as `[cos, -sin]`; the
//! kernels conjugate them for the inverse direction.

/// `exp(-2 pi i k / n)` for `k` in `0..count`, in f64 then rounded.
pub fn forward(n: usize, count: usize) -> Vec<[f32; 2]> {
    (0..count)
        .map(|k| {
            // Reduce k/n exactly before scaling so large n keeps full accuracy.
            let angle = -2.0 * std::f64::consts::PI * (k as f64 / n as f64);
            let (s, c) = angle.sin_cos();
            [c as f32, s as f32]
        })
        .collect()
}

/// A two-level table for `exp(-2 pi i m / n)`, `m < n`: the product of
/// `lo[m mod 2^lo_bits]` and `hi[m >> lo_bits]`. Each factor is rounded once,
/// so a twiddle carries about two f32 roundings instead of the error of an
/// f32 angle, with tables of size about 2 sqrt(n).
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLevel {
    /// Bits of `m` resolved by the low table.
    pub lo_bits: u32,
    /// `exp(-2 pi i j / n)`, `j < 2^lo_bits`.
    pub lo: Vec<[f32; 2]>,
    /// `exp(-2 pi i j 2^lo_bits / n)`, `j < n >> lo_bits`.
    pub hi: Vec<[f32; 2]>,
}

impl TwoLevel {
    /// Tables for a power-of-two `n`.
    pub fn new(n: usize) -> Self {
        let log2n = n.trailing_zeros();
        let lo_bits = log2n.div_ceil(2);
        let lo = forward(n, 1 << lo_bits);
        let hi_len = (n >> lo_bits).max(1);
        let hi = (0..hi_len)
            .map(|j| {
                let angle = -2.0 * std::f64::consts::PI * ((j << lo_bits) as f64 / n as f64);
                let (s, c) = angle.sin_cos();
                [c as f32, s as f32]
            })
            .collect();
        TwoLevel { lo_bits, lo, hi }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_level_twiddles_are_accurate_to_f32() {
        for log2n in [1u32, 4, 11, 20, 24] {
            let n = 1usize << log2n;
            let t = TwoLevel::new(n);
            let step = (n / 4096).max(1);
            for m in (0..n).step_by(step) {
                let a = t.lo[m & ((1 << t.lo_bits) - 1)];
                let b = t.hi[m >> t.lo_bits];
                let re = a[0] as f64 * b[0] as f64 - a[1] as f64 * b[1] as f64;
                let im = a[0] as f64 * b[1] as f64 + a[1] as f64 * b[0] as f64;
                let exact = -2.0 * std::f64::consts::PI * m as f64 / n as f64;
                let err = ((re - exact.cos()).powi(2) + (im - exact.sin()).powi(2)).sqrt();
                assert!(err < 2.5 * f32::EPSILON as f64, "n={n} m={m} err={err:e}");
            }
        }
    }
}
