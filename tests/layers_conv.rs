//! FFT and direct convolution on both backends against f64 sums: modes,
//! boundaries, correlation, channels, groups, stride, padding, dilation,
//! the automatic choice, and typed errors.

mod common;

use fft_tensor::layers::conv::{Boundary, Conv2dOptions, ConvAlgorithm, ConvMode, FftConvOptions};
use fft_tensor::layers::reference::{conv2d_f64, conv_f64, ConvDims};
use fft_tensor::testing::{compare_real, SplitMix64};
use fft_tensor::{Context, Error, Tensor};

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    (0..n).map(|_| rng.uniform()).collect()
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// (n, cin, h, w, cout, kh, kw, groups); h = 1 cases run as 1-D.
const DIMS: &[ConvDims] = &[
    (1, 1, 1, 1, 1, 1, 1, 1),
    (2, 3, 7, 9, 4, 3, 2, 1),
    (1, 4, 13, 5, 6, 5, 5, 2),
    (3, 2, 1, 31, 2, 1, 7, 1),
    (1, 3, 16, 16, 3, 16, 1, 3),
];

fn fft_conv_matches_the_sums(ctx: Context) {
    for (i, &d) in DIMS.iter().enumerate() {
        let (n, cin, h, w, cout, kh, kw, groups) = d;
        let x = random(n * cin * h * w, i as u64);
        let wt = random(cout * (cin / groups) * kh * kw, 50 + i as u64);
        let one_d = h == 1 && kh == 1;
        let (xs, ws) = if one_d {
            (vec![n, cin, w], vec![cout, cin / groups, kw])
        } else {
            (vec![n, cin, h, w], vec![cout, cin / groups, kh, kw])
        };
        let xt = Tensor::new(&xs, x.clone()).unwrap();
        let wtt = Tensor::new(&ws, wt.clone()).unwrap();
        for mode in [ConvMode::Full, ConvMode::Same, ConvMode::Valid] {
            for boundary in [Boundary::Linear, Boundary::Circular] {
                for correlate in [false, true] {
                    if boundary == Boundary::Circular && mode != ConvMode::Same {
                        continue;
                    }
                    let o = FftConvOptions {
                        mode,
                        boundary,
                        correlate,
                        groups,
                    };
                    let got = if one_d {
                        ctx.conv1d_fft(&xt, &wtt, None, &o)
                    } else {
                        ctx.conv2d_fft(&xt, &wtt, None, &o)
                    };
                    let region = match (boundary, mode) {
                        (Boundary::Circular, _) => (0, 0, h, w),
                        (_, ConvMode::Full) => (0, 0, h + kh - 1, w + kw - 1),
                        (_, ConvMode::Same) => ((kh - 1) / 2, (kw - 1) / 2, h, w),
                        (_, ConvMode::Valid) => {
                            if kh > h || kw > w {
                                assert!(
                                    matches!(got, Err(Error::InvalidArgument { .. })),
                                    "{d:?} valid: {got:?}"
                                );
                                continue;
                            }
                            (kh - 1, kw - 1, h - kh + 1, w - kw + 1)
                        }
                    };
                    let y = got.unwrap();
                    let want = conv_f64(
                        &f64s(&x),
                        &f64s(&wt),
                        d,
                        boundary == Boundary::Circular,
                        correlate,
                        region,
                    );
                    let r = compare_real(y.data(), &want);
                    assert!(
                        r.rms_relative <= 2e-6,
                        "{} {d:?} {mode:?} {boundary:?} correlate {correlate}: {r:?}",
                        ctx.description()
                    );
                }
            }
        }
    }
}

fn direct_and_fft_conv2d_match_pytorch(ctx: Context) {
    // (dims, stride, padding, dilation)
    let cases = [
        ((1, 1, 1, 1, 1, 1, 1, 1), (1, 1), (0, 0), (1, 1)),
        ((2, 3, 11, 8, 5, 3, 3, 1), (1, 1), (1, 1), (1, 1)),
        ((1, 4, 17, 13, 4, 5, 3, 2), (2, 3), (2, 0), (1, 2)),
        ((1, 6, 9, 9, 6, 3, 3, 6), (1, 1), (4, 4), (1, 1)),
        ((2, 2, 12, 7, 3, 4, 2, 1), (1, 1), (0, 1), (1, 1)),
    ];
    for (i, &(d, stride, padding, dilation)) in cases.iter().enumerate() {
        let (n, cin, h, w, cout, kh, kw, groups) = d;
        let x = random(n * cin * h * w, i as u64);
        let wt = random(cout * (cin / groups) * kh * kw, 10 + i as u64);
        let bias = random(cout, 20 + i as u64);
        let (want, oh, ow) = conv2d_f64(
            &f64s(&x),
            &f64s(&wt),
            Some(&f64s(&bias)),
            d,
            stride,
            padding,
            dilation,
        );
        let xt = Tensor::new(&[n, cin, h, w], x).unwrap();
        let wtt = Tensor::new(&[cout, cin / groups, kh, kw], wt).unwrap();
        let o = Conv2dOptions {
            stride,
            padding,
            dilation,
            groups,
        };
        let fft_ok = stride == (1, 1) && dilation == (1, 1);
        for alg in [ConvAlgorithm::Direct, ConvAlgorithm::Fft] {
            let got = ctx.conv2d_with(alg, &xt, &wtt, Some(&bias), &o);
            if alg == ConvAlgorithm::Fft && !fft_ok {
                assert!(matches!(got, Err(Error::InvalidArgument { .. })));
                continue;
            }
            let y = got.unwrap();
            assert_eq!(y.shape(), &[n, cout, oh, ow]);
            let r = compare_real(y.data(), &want);
            assert!(
                r.rms_relative <= 2e-6,
                "{} {alg:?} {d:?}: {r:?}",
                ctx.description()
            );
        }
        let auto = ctx.conv2d(&xt, &wtt, Some(&bias), &o).unwrap();
        let r = compare_real(auto.data(), &want);
        assert!(r.rms_relative <= 2e-6, "auto {d:?}: {r:?}");
    }
}

fn long_channel_loops_are_split(ctx: Context) {
    // 64 channels x 31 x 31 taps: more loop iterations than lavapipe runs per invocation.
    let d = (1, 64, 33, 33, 2, 31, 31, 1);
    let x = random(64 * 33 * 33, 1);
    let wt = random(2 * 64 * 31 * 31, 2);
    let (want, _, _) = conv2d_f64(&f64s(&x), &f64s(&wt), None, d, (1, 1), (0, 0), (1, 1));
    let xt = Tensor::new(&[1, 64, 33, 33], x).unwrap();
    let wtt = Tensor::new(&[2, 64, 31, 31], wt).unwrap();
    let y = ctx
        .conv2d_direct(&xt, &wtt, None, &Conv2dOptions::default())
        .unwrap();
    let r = compare_real(y.data(), &want);
    // Sums of 61504 f32 products: rounding grows as sqrt(61504) * 2^-24.
    assert!(r.rms_relative <= 2e-5, "{r:?}");
}

fn conv_rejects_bad_arguments(ctx: Context) {
    let t = |s: &[usize]| Tensor::new(s, vec![0.5f32; s.iter().product()]).unwrap();
    let valid = FftConvOptions {
        mode: ConvMode::Valid,
        ..Default::default()
    };
    assert!(matches!(
        ctx.conv2d_fft(&t(&[1, 1, 4, 4]), &t(&[1, 1, 5, 3]), None, &valid),
        Err(Error::InvalidArgument { .. })
    ));
    let circ_full = FftConvOptions {
        boundary: Boundary::Circular,
        ..Default::default()
    };
    assert!(matches!(
        ctx.conv2d_fft(&t(&[1, 1, 4, 4]), &t(&[1, 1, 3, 3]), None, &circ_full),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ctx.conv2d_fft(
            &t(&[1, 2, 4, 4]),
            &t(&[1, 3, 3, 3]),
            None,
            &Default::default()
        ),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ctx.conv2d_fft(
            &t(&[1, 2, 4, 4]),
            &t(&[1, 2, 3, 3]),
            Some(&[0.0; 2]),
            &Default::default()
        ),
        Err(Error::ShapeMismatch { .. })
    ));
    let groups = Conv2dOptions {
        groups: 3,
        ..Default::default()
    };
    assert!(matches!(
        ctx.conv2d_direct(&t(&[1, 4, 4, 4]), &t(&[3, 1, 3, 3]), None, &groups),
        Err(Error::InvalidArgument { .. })
    ));
    let stride0 = Conv2dOptions {
        stride: (0, 1),
        ..Default::default()
    };
    assert!(matches!(
        ctx.conv2d(&t(&[1, 1, 4, 4]), &t(&[1, 1, 3, 3]), None, &stride0),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ctx.conv2d(
            &t(&[1, 1, 4, 4]),
            &t(&[1, 1, 5, 5]),
            None,
            &Conv2dOptions::default()
        ),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ctx.conv1d_fft(
            &t(&[1, 1, 4, 4]),
            &t(&[1, 1, 3, 3]),
            None,
            &Default::default()
        ),
        Err(Error::ShapeMismatch { .. })
    ));
}

backend_tests!(
    fft_conv_matches_the_sums,
    direct_and_fft_conv2d_match_pytorch,
    long_channel_loops_are_split,
    conv_rejects_bad_arguments
);
