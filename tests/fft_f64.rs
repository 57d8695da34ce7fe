//! f64 transforms on the CPU twin against an extended-precision reference:
//! the DFT by its definition in double-double arithmetic (about 106 bits),
//! twiddles `exp(-2 pi i m / n)` from a double-double Taylor series with the
//! index product `j k` reduced modulo n exactly. The reference is some 1e-30
//! relative, so the measured error is the f64 transform's own.
//!
//! Bound (RMS relative error, random data): `2e-16 * (1 + log2 n)`, that is
//! a few units of f64 rounding per FFT stage; an f32-precision result
//! (~1e-7) or a wrong twiddle fails it by orders of magnitude.

use fft_tensor::num_complex::Complex64;
use fft_tensor::testing::SplitMix64;
use fft_tensor::{Context, FftDirection, Normalization, Tensor};

/// A double-double: `hi + lo` with `|lo| <= ulp(hi) / 2`.
#[derive(Clone, Copy, Debug, Default)]
struct Dd {
    hi: f64,
    lo: f64,
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

fn quick(s: f64, e: f64) -> Dd {
    let hi = s + e;
    Dd {
        hi,
        lo: e - (hi - s),
    }
}

impl Dd {
    fn from(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }
    fn add(self, b: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, b.hi);
        let (t, f) = two_sum(self.lo, b.lo);
        let r = quick(s, e + t);
        quick(r.hi, r.lo + f)
    }
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
    fn mul(self, b: Dd) -> Dd {
        let p = self.hi * b.hi;
        let e = self.hi.mul_add(b.hi, -p);
        quick(p, e + (self.hi * b.lo + self.lo * b.hi))
    }
    fn div_f64(self, b: f64) -> Dd {
        let q = self.hi / b;
        let p = q * b;
        let e = q.mul_add(b, -p);
        let r = (self.hi - p - e + self.lo) / b;
        quick(q, r)
    }
}

/// 2 pi in double-double (`TAU` rounded to f64, plus the rounding error).
const TWO_PI: Dd = Dd {
    hi: std::f64::consts::TAU,
    lo: 2.449_293_598_294_706_4e-16,
};

/// `(cos, sin)` of `2 pi m / n` in double-double.
fn cis(m: u64, n: u64) -> (Dd, Dd) {
    // Quadrant q and remainder r/n in [0, 1/4) turns, exactly in integers.
    let q = (4 * m) / n;
    let r = 4 * m - q * n; // angle = 2 pi (q/4 + r/(4n))
    let x = TWO_PI.mul(Dd::from(r as f64)).div_f64(4.0 * n as f64); // in [0, pi/2)
    let (mut c, mut s) = (Dd::from(1.0), x);
    let (mut term_c, mut term_s) = (Dd::from(1.0), x);
    let x2 = x.mul(x);
    for k in 1..40 {
        term_c = term_c.mul(x2).neg().div_f64((2 * k * (2 * k - 1)) as f64);
        term_s = term_s.mul(x2).neg().div_f64((2 * k * (2 * k + 1)) as f64);
        c = c.add(term_c);
        s = s.add(term_s);
        if term_c.hi.abs() < 1e-40 && term_s.hi.abs() < 1e-40 {
            break;
        }
    }
    match q {
        0 => (c, s),
        1 => (s.neg(), c),
        2 => (c.neg(), s.neg()),
        _ => (s, c.neg()),
    }
}

/// The DFT of `x` by definition in double-double, rounded to f64.
fn reference_dft(x: &[Complex64], inverse: bool) -> Vec<Complex64> {
    let n = x.len() as u64;
    let sign = if inverse { 1.0 } else { -1.0 };
    let table: Vec<(Dd, Dd)> = (0..n).map(|m| cis(m, n)).collect();
    (0..n)
        .map(|k| {
            let (mut re, mut im) = (Dd::default(), Dd::default());
            for (j, v) in x.iter().enumerate() {
                let (c, s) = table[((j as u64 * k) % n) as usize];
                let s = if sign < 0.0 { s.neg() } else { s };
                let (a, b) = (Dd::from(v.re), Dd::from(v.im));
                re = re.add(a.mul(c)).add(b.mul(s).neg());
                im = im.add(a.mul(s)).add(b.mul(c));
            }
            Complex64::new(re.hi + re.lo, im.hi + im.lo)
        })
        .collect()
}

/// `sqrt(sum |a - e|^2 / sum |e|^2)`, computed on values divided by the
/// largest `|e|` so that squares neither under- nor overflow.
fn rms_relative(actual: &[Complex64], expected: &[Complex64]) -> f64 {
    assert_eq!(actual.len(), expected.len());
    let top = expected.iter().map(|e| e.norm()).fold(0.0, f64::max);
    let num: f64 = actual
        .iter()
        .zip(expected)
        .map(|(a, e)| ((a - e) / top).norm_sqr())
        .sum();
    let den: f64 = expected.iter().map(|e| (e / top).norm_sqr()).sum();
    (num / den).sqrt()
}

fn bound(n: usize) -> f64 {
    2e-16 * (1.0 + (n as f64).log2())
}

fn random(n: usize, seed: u64) -> Vec<Complex64> {
    let mut rng = SplitMix64(seed);
    (0..n)
        .map(|_| {
            let re = f64::from(rng.uniform()) + f64::from(rng.uniform()) * 2f64.powi(-24);
            let im = f64::from(rng.uniform()) + f64::from(rng.uniform()) * 2f64.powi(-24);
            Complex64::new(re, im)
        })
        .collect()
}

const LENGTHS: &[usize] = &[
    1, 2, 3, 4, 5, 7, 8, 16, 17, 60, 97, 128, 243, 256, 500, 1000, 1009, 1024, 2048, 4095, 4096,
];

#[test]
fn complex_f64_meets_the_extended_precision_reference() {
    let ctx = Context::cpu();
    let mut worst: f64 = 0.0;
    for &n in LENGTHS {
        let x = random(n, n as u64);
        for (direction, inverse) in [
            (FftDirection::Forward, false),
            (FftDirection::Inverse, true),
        ] {
            let expected = reference_dft(&x, inverse);
            let mut got = x.clone();
            ctx.fft_f64(&mut got, n, direction, Normalization::None)
                .unwrap();
            let e = rms_relative(&got, &expected);
            assert!(
                e <= bound(n),
                "n = {n} {direction:?}: {e:.3e} > {:.3e}",
                bound(n)
            );
            worst = worst.max(e / (1.0 + (n as f64).log2()));
            if n >= 1000 {
                println!("n = {n} {direction:?}: RMS relative error {e:.3e}");
            }
        }
    }
    println!("worst RMS relative error / (1 + log2 n): {worst:.3e}");
}

#[test]
fn real_f64_meets_the_extended_precision_reference() {
    let ctx = Context::cpu();
    for &n in LENGTHS {
        let x: Vec<f64> = random(n, 7 * n as u64).iter().map(|c| c.re).collect();
        let complex: Vec<Complex64> = x.iter().map(|&v| Complex64::new(v, 0.0)).collect();
        let full = reference_dft(&complex, false);
        let t = Tensor::new(&[n], x.clone()).unwrap();
        let half = ctx.rfftn_f64(&t, &[0], Normalization::None).unwrap();
        let e = rms_relative(half.data(), &full[..n / 2 + 1]);
        assert!(e <= bound(n), "rfft n = {n}: {e:.3e}");
        let back = ctx
            .irfftn_f64(&half, &[0], n, Normalization::Backward)
            .unwrap();
        let back: Vec<Complex64> = back
            .data()
            .iter()
            .map(|&v| Complex64::new(v, 0.0))
            .collect();
        let e = rms_relative(&back, &complex);
        assert!(e <= 2.0 * bound(n), "irfft round trip n = {n}: {e:.3e}");
    }
}

/// N-D: the transform over two axes of a [12, 35] tensor equals the
/// reference applied along each axis (the strided axis goes through the
/// gathered path of the line driver).
#[test]
fn nd_f64_meets_the_reference_along_each_axis() {
    let (rows, cols) = (12usize, 35usize);
    let x = random(rows * cols, 99);
    let mut expected = x.clone();
    for r in 0..rows {
        let line = reference_dft(&expected[r * cols..(r + 1) * cols], false);
        expected[r * cols..(r + 1) * cols].copy_from_slice(&line);
    }
    for c in 0..cols {
        let column: Vec<Complex64> = (0..rows).map(|r| expected[r * cols + c]).collect();
        for (r, v) in reference_dft(&column, false).into_iter().enumerate() {
            expected[r * cols + c] = v;
        }
    }
    let mut t = Tensor::new(&[rows, cols], x).unwrap();
    Context::cpu()
        .fftn_f64(&mut t, &[0, 1], FftDirection::Forward, Normalization::None)
        .unwrap();
    let e = rms_relative(t.data(), &expected);
    assert!(e <= bound(rows * cols), "{e:.3e}");
}

/// Far from unit scale (f64 range: 1e-300 .. 1e300) the relative error is
/// that of unit scale, for every normalisation.
#[test]
fn extreme_scales_keep_f64_accuracy() {
    let ctx = Context::cpu();
    let n = 1000;
    let unit = random(n, 5);
    for scale in [1e-300, 1e-30, 1e30, 1e300] {
        let x: Vec<Complex64> = unit.iter().map(|v| v * scale).collect();
        let reference = reference_dft(&x, false);
        for norm in [
            Normalization::None,
            Normalization::Backward,
            Normalization::Ortho,
            Normalization::Forward,
        ] {
            let factor = norm.factor_f64(n, FftDirection::Forward);
            let expected: Vec<Complex64> = reference.iter().map(|v| v * factor).collect();
            let mut got = x.clone();
            ctx.fft_f64(&mut got, n, FftDirection::Forward, norm)
                .unwrap();
            let e = rms_relative(&got, &expected);
            assert!(e <= bound(n), "scale {scale:e} {norm:?}: {e:.3e}");
            ctx.fft_f64(&mut got, n, FftDirection::Inverse, norm)
                .unwrap();
            // A round trip multiplies by n times the two factors (1 except for None).
            let trip = n as f64 * factor * norm.factor_f64(n, FftDirection::Inverse);
            let x_trip: Vec<Complex64> = x.iter().map(|v| v * trip).collect();
            let e = rms_relative(&got, &x_trip);
            assert!(
                e <= 2.0 * bound(n),
                "round trip scale {scale:e} {norm:?}: {e:.3e}"
            );
        }
    }
}

#[test]
fn f64_arguments_are_checked() {
    let ctx = Context::cpu();
    let mut empty: Vec<Complex64> = Vec::new();
    assert!(ctx
        .fft_f64(&mut empty, 4, FftDirection::Forward, Normalization::None)
        .is_err());
    let mut three = vec![Complex64::new(1.0, 0.0); 3];
    assert!(ctx
        .fft_f64(&mut three, 2, FftDirection::Forward, Normalization::None)
        .is_err());
    assert!(ctx
        .fft_f64(&mut three, 0, FftDirection::Forward, Normalization::None)
        .is_err());
    let t = Tensor::new(&[2, 3], vec![1.0f64; 6]).unwrap();
    assert!(ctx.rfftn_f64(&t, &[], Normalization::None).is_err());
    assert!(ctx.rfftn_f64(&t, &[2], Normalization::None).is_err());
    let half = ctx.rfftn_f64(&t, &[1], Normalization::None).unwrap();
    let err = ctx
        .irfftn_f64(&half, &[1], 0, Normalization::None)
        .unwrap_err();
    assert!(err.to_string().contains("at least 1"), "{err}");
    // Two points on the half axis: real length 2 or 3, not 4.
    assert!(ctx.irfftn_f64(&half, &[1], 3, Normalization::None).is_ok());
    assert!(ctx.irfftn_f64(&half, &[1], 2, Normalization::None).is_ok());
    assert!(ctx.irfftn_f64(&half, &[1], 4, Normalization::None).is_err());
}

/// A GPU context routes f64 work to its CPU twin, with the same result.
#[test]
fn gpu_context_runs_f64_on_the_cpu_twin() {
    let Some(gpu) =
        fft_tensor::testing::gpu_context_or_skip("gpu_context_runs_f64_on_the_cpu_twin")
    else {
        return;
    };
    let x = random(96, 3);
    let (mut a, mut b) = (x.clone(), x);
    gpu.fft_f64(&mut a, 96, FftDirection::Forward, Normalization::Ortho)
        .unwrap();
    Context::cpu()
        .fft_f64(&mut b, 96, FftDirection::Forward, Normalization::Ortho)
        .unwrap();
    assert_eq!(a, b);
}
