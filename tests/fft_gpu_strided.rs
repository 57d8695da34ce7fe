//! Strided axes of lengths whose workgroups hold few lines (600..4096
//! points, one to six lines a workgroup), against the f64 reference: odd
//! and prime line counts, inner sizes from 15 to 513 (groups whose lines
//! cross a carry between line indices), 2-D complex transforms both ways,
//! real 2-D transforms at 1e-30 and their inverses.

use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::{
    assert_rms_close, compare_real, gpu_context_or_skip, reference_fft, SplitMix64,
};
use fft_tensor::{Context, FftDirection, Normalization, Tensor};

/// Lines `(o, i)` of axis 1 of an `[outer, n, inner]` tensor as rows.
fn rows(v: &[Complex32], outer: usize, n: usize, inner: usize) -> Vec<Complex32> {
    let mut out = Vec::with_capacity(v.len());
    for o in 0..outer {
        for i in 0..inner {
            out.extend((0..n).map(|k| v[o * n * inner + k * inner + i]));
        }
    }
    out
}

#[test]
fn strided_axes_of_long_lines_match_the_reference() {
    let Some(ctx) = gpu_context_or_skip("strided_axes_of_long_lines_match_the_reference") else {
        return;
    };
    for (outer, n, inner) in [
        (1usize, 1024usize, 16usize),
        (3, 1024, 17),
        (1, 2048, 31),
        (2, 4096, 16),
        (1, 4096, 65),
        (1, 1000, 513),
        (5, 1000, 16),
        (1, 4095, 19),
        (1, 3888, 23),
        (1, 600, 97),
        (2, 729, 16),
        (3, 1024, 15),
        (1, 1, 16),
    ] {
        let data = SplitMix64((n * inner) as u64).complex_vec(outer * n * inner);
        for dir in [FftDirection::Forward, FftDirection::Inverse] {
            for norm in [Normalization::Ortho, Normalization::Backward] {
                let shape = [outer, n, inner];
                let mut t = Tensor::new(&shape, data.clone()).unwrap();
                ctx.fftn(&mut t, &[1], dir, norm).unwrap();
                let expected = reference_fft(
                    &rows(&data, outer, n, inner),
                    n,
                    dir == FftDirection::Inverse,
                    f64::from(norm.factor(n, dir)),
                );
                let what = format!("strided {shape:?} {dir:?} {norm:?}");
                assert_rms_close(&what, &rows(t.data(), outer, n, inner), &expected, 1e-6);
            }
        }
    }
}

#[test]
fn two_d_transforms_of_long_columns_match_the_reference() {
    let Some(ctx) = gpu_context_or_skip("two_d_transforms_of_long_columns_match_the_reference")
    else {
        return;
    };
    let cpu = Context::cpu();
    for shape in [[1024usize, 48usize], [2048, 20], [1000, 33], [4096, 16]] {
        let n: usize = shape.iter().product();
        let data = SplitMix64(n as u64 + 1).complex_vec(n);
        let wide: Vec<Complex64> = data
            .iter()
            .map(|c| Complex64::new(c.re.into(), c.im.into()))
            .collect();
        for dir in [FftDirection::Forward, FftDirection::Inverse] {
            let mut t = Tensor::new(&shape, data.clone()).unwrap();
            ctx.fftn(&mut t, &[0, 1], dir, Normalization::Ortho)
                .unwrap();
            let mut r = Tensor::new(&shape, wide.clone()).unwrap();
            cpu.fftn_f64(&mut r, &[0, 1], dir, Normalization::Ortho)
                .unwrap();
            let what = format!("2-D {shape:?} {dir:?}");
            assert_rms_close(&what, t.data(), r.data(), 1e-6);
        }
        // Real: the column pass runs over shape[1] / 2 + 1 strided lines.
        let real: Vec<f32> = data.iter().map(|c| c.re * 1e-30).collect();
        let t = Tensor::new(&shape, real.clone()).unwrap();
        let spectrum = ctx.rfftn(&t, &[0, 1], Normalization::None).unwrap();
        let r = Tensor::new(&shape, real.iter().map(|&x| f64::from(x)).collect()).unwrap();
        let expected = cpu.rfftn_f64(&r, &[0, 1], Normalization::None).unwrap();
        let what = format!("rfft2 {shape:?} at 1e-30");
        assert_rms_close(&what, spectrum.data(), expected.data(), 1e-6);
        let back = ctx
            .irfftn(&spectrum, &[0, 1], shape[1], Normalization::Backward)
            .unwrap();
        let wide: Vec<f64> = real.iter().map(|&x| f64::from(x)).collect();
        let r = compare_real(back.data(), &wide);
        assert!(r.rms_relative <= 1e-6, "irfft2 {shape:?}: {r:?}");
    }
}

/// Axis 1 of `[outer, n, inner]` against the f64 reference (relative RMS).
fn check_axis(ctx: &Context, (outer, n, inner): (usize, usize, usize), scale: f32, bound: f64) {
    let data: Vec<Complex32> = SplitMix64((n * inner + outer) as u64)
        .complex_vec(outer * n * inner)
        .into_iter()
        .map(|c| c * scale)
        .collect();
    for dir in [FftDirection::Forward, FftDirection::Inverse] {
        let norm = Normalization::Backward;
        let shape = [outer, n, inner];
        let mut t = Tensor::new(&shape, data.clone()).unwrap();
        ctx.fftn(&mut t, &[1], dir, norm).unwrap();
        let expected = reference_fft(
            &rows(&data, outer, n, inner),
            n,
            dir == FftDirection::Inverse,
            f64::from(norm.factor(n, dir)),
        );
        let what = format!("strided Bluestein {shape:?} {dir:?} at {scale:e}");
        assert_rms_close(&what, &rows(t.data(), outer, n, inner), &expected, bound);
    }
}

/// Prime lengths (Bluestein's algorithm, whose chirp and output kernels are
/// specialised per line length, row length and stride) along strided axes:
/// odd and prime strides and block counts, extreme scales, and a batch of
/// strided lines beyond one binding of convolution rows (two chunks, the
/// second starting mid-block).
#[test]
fn strided_bluestein_axes_match_the_reference() {
    let Some(ctx) = gpu_context_or_skip("strided_bluestein_axes_match_the_reference") else {
        return;
    };
    let bound = 2e-6;
    for dims in [
        (1usize, 97usize, 1usize),
        (3, 97, 5),
        (2, 1009, 17),
        (1, 4099, 3),
        (5, 17, 7),
    ] {
        check_axis(&ctx, dims, 1.0, bound);
    }
    for scale in [1e-30f32, 1e30] {
        check_axis(&ctx, (2, 101, 3), scale, bound);
    }
    // 4097 = 17 * 241 convolves in 8192-point rows; a 128 MiB binding
    // holds 2048 of them, so 2051 strided lines take two chunks.
    let caps = fft_tensor::fft::DeviceCaps::from_limits(ctx.gpu().unwrap().limits());
    let rows_per_binding = (caps.max_binding_bytes / (8192 * 8)) as usize;
    if rows_per_binding <= 4096 {
        check_axis(&ctx, (1, 4097, rows_per_binding + 3), 1.0, bound);
    } else {
        println!("bindings hold {rows_per_binding} rows: no chunking to test here");
    }
}
