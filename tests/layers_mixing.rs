//! FNet mixing and the global filter on both backends against naive f64 DFTs.

mod common;

use fft_tensor::layers::mixing::GlobalFilter;
use fft_tensor::layers::reference::{fnet_mixing_f64, global_filter_f64};
use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::{compare_real, SplitMix64};
use fft_tensor::{Context, Error, Tensor};

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    (0..n).map(|_| rng.uniform()).collect()
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// Shapes with odd, prime, 1-element and non-power-of-two axes.
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (1, 8, 16),
    (2, 7, 5),
    (3, 13, 24),
    (1, 100, 48),
    (2, 128, 33),
    (1, 1, 64),
    (1, 97, 2),
];

fn fnet_mixing_matches_the_2d_dft(ctx: Context) {
    for (i, &(b, s, h)) in SHAPES.iter().enumerate() {
        let x = random(b * s * h, i as u64);
        let t = Tensor::new(&[b, s, h], x.clone()).unwrap();
        let y = ctx.fnet_mixing(&t).unwrap();
        let want = fnet_mixing_f64(&f64s(&x), (b, s, h));
        let r = compare_real(y.data(), &want);
        assert!(
            r.rms_relative <= 2e-6,
            "{} fnet {b}x{s}x{h}: {r:?}",
            ctx.description()
        );
    }
}

fn global_filter_matches_its_definition(ctx: Context) {
    for (i, &(b, s, h)) in SHAPES.iter().enumerate() {
        let x = random(b * s * h, i as u64);
        let mut rng = SplitMix64(1000 + i as u64);
        let w = rng.complex_vec((s / 2 + 1) * h);
        let filter = GlobalFilter::new(h).with_length(s, w.clone()).unwrap();
        let t = Tensor::new(&[b, s, h], x.clone()).unwrap();
        let y = ctx.global_filter(&t, &filter).unwrap();
        let w64: Vec<Complex64> = w
            .iter()
            .map(|c| Complex64::new(c.re.into(), c.im.into()))
            .collect();
        let want = global_filter_f64(&f64s(&x), &w64, (b, s, h));
        let r = compare_real(y.data(), &want);
        assert!(
            r.rms_relative <= 2e-6,
            "{} global filter {b}x{s}x{h}: {r:?}",
            ctx.description()
        );
        // An all-ones filter is the identity.
        let ones = GlobalFilter::new(h)
            .with_length(s, vec![Complex32::new(1.0, 0.0); (s / 2 + 1) * h])
            .unwrap();
        let same = ctx.global_filter(&t, &ones).unwrap();
        let r = compare_real(same.data(), &f64s(&x));
        assert!(r.rms_relative <= 1e-6, "identity {b}x{s}x{h}: {r:?}");
    }
}

fn mixing_rejects_bad_shapes_and_missing_lengths(ctx: Context) {
    let flat = Tensor::new(&[4, 4], vec![0.0; 16]).unwrap();
    assert!(matches!(
        ctx.fnet_mixing(&flat),
        Err(Error::ShapeMismatch { .. })
    ));
    let filter = GlobalFilter::new(4)
        .with_length(8, vec![Complex32::new(1.0, 0.0); 5 * 4])
        .unwrap();
    let x = Tensor::new(&[1, 9, 4], vec![0.0; 36]).unwrap();
    match ctx.global_filter(&x, &filter) {
        Err(Error::InvalidArgument { detail, .. }) => assert!(detail.contains("[8]"), "{detail}"),
        other => panic!("expected a missing-length error, got {other:?}"),
    }
    let wrong_hidden = Tensor::new(&[1, 8, 3], vec![0.0; 24]).unwrap();
    assert!(matches!(
        ctx.global_filter(&wrong_hidden, &filter),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        GlobalFilter::new(4).with_length(8, vec![Complex32::new(1.0, 0.0); 3]),
        Err(Error::ShapeMismatch { .. })
    ));
}

backend_tests!(
    fnet_mixing_matches_the_2d_dft,
    global_filter_matches_its_definition,
    mixing_rejects_bad_shapes_and_missing_lengths
);
