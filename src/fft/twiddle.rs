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
/// `lo[m % lo_len]` and `hi[m / lo_len]`. Each factor is rounded once,
/// so a twiddle carries about two f32 roundings instead of the error of an
/// f32 angle, with tables of size about 2 sqrt(n).
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLevel {
    /// Entries of the low table, `L`: a power of two for power-of-two `n`,
    /// else `ceil(sqrt(n))`.
    pub lo_len: u32,
    /// `exp(-2 pi i j / n)`, `j < L`.
    pub lo: Vec<[f32; 2]>,
    /// `exp(-2 pi i j L / n)`, `j < ceil(n / L)`.
    pub hi: Vec<[f32; 2]>,
}

impl TwoLevel {
    /// Tables for any `n >= 1`.
    pub fn new(n: usize) -> Self {
        let lo_len = if n.is_power_of_two() {
            1usize << n.trailing_zeros().div_ceil(2)
        } else {
            // ceil(sqrt(n)), exact for every n this crate plans.
            let mut r = (n as f64).sqrt() as usize;
            while r * r < n {
                r += 1;
            }
            r
        };
        let lo = forward(n, lo_len);
        let hi_len = n.div_ceil(lo_len).max(1);
        let hi = (0..hi_len)
            .map(|j| {
                let m = (j * lo_len) % n;
                let angle = -2.0 * std::f64::consts::PI * (m as f64 / n as f64);
                let (s, c) = angle.sin_cos();
                [c as f32, s as f32]
            })
            .collect();
        TwoLevel {
            lo_len: lo_len as u32,
            lo,
            hi,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_level_twiddles_are_accurate_to_f32() {
        let lengths = [
            2,
            16,
            2048,
            1 << 20,
            1 << 24,
            3,
            1000,
            59049,
            823543,
            14348907,
        ];
        for n in lengths {
            let t = TwoLevel::new(n);
            let l = t.lo_len as usize;
            assert!(t.lo.len() == l && t.hi.len() * l >= n, "{n}");
            let step = (n / 4096).max(1);
            for m in (0..n).step_by(step).chain([n - 1]) {
                let a = t.lo[m % l];
                let b = t.hi[m / l];
                let re = a[0] as f64 * b[0] as f64 - a[1] as f64 * b[1] as f64;
                let im = a[0] as f64 * b[1] as f64 + a[1] as f64 * b[0] as f64;
                let exact = -2.0 * std::f64::consts::PI * m as f64 / n as f64;
                let err = ((re - exact.cos()).powi(2) + (im - exact.sin()).powi(2)).sqrt();
                assert!(err < 2.5 * f32::EPSILON as f64, "n={n} m={m} err={err:e}");
            }
        }
    }
}
