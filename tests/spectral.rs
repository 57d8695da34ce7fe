//! Sparse spectral tensors: exact error targets through Parseval, the
//! closed-form error on Gaussian data, smooth data compressing >= 100x,
//! GPU and CPU agreeing, and damaged bytes giving errors.

mod common;

use fft_tensor::spectral::{CompressOptions, Keep, SparseSpectral, StoredPrecision, Transform};
use fft_tensor::testing::{compare_real, gpu_context_or_skip, SplitMix64};
use fft_tensor::{Context, Error, Normalization, Tensor};

fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    (0..n)
        .map(|_| {
            let u1 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 + 1e-300;
            let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
        })
        .collect()
}

fn rel_error(a: &[f32], b: &[f32]) -> f64 {
    compare_real(a, &b.iter().map(|&x| x.into()).collect::<Vec<f64>>()).rms_relative
}

/// A smooth field: a few low-frequency sinusoids and a Gaussian bump.
fn smooth(shape: &[usize]) -> Tensor<f32> {
    let len: usize = shape.iter().product();
    let mut data = Vec::with_capacity(len);
    for flat in 0..len {
        let mut rest = flat;
        let mut coords = vec![0.0f64; shape.len()];
        for (a, &d) in shape.iter().enumerate().rev() {
            coords[a] = (rest % d) as f64 / d as f64;
            rest /= d;
        }
        let s: f64 = coords
            .iter()
            .enumerate()
            .map(|(a, &x)| (2.3 * x + 0.4 * a as f64).sin())
            .sum::<f64>()
            + 0.5 * coords.iter().map(|&x| (3.7 * x).cos()).product::<f64>();
        let r2: f64 = coords.iter().map(|&x| (x - 0.45).powi(2)).sum();
        data.push((s + 2.0 * (-r2 / 0.05).exp()) as f32);
    }
    Tensor::new(shape, data).unwrap()
}

fn keeping_everything_reproduces_the_input_to_value_precision(ctx: Context) {
    let t = Tensor::new(&[32, 48], gaussian(32 * 48, 1)).unwrap();
    for (transform, vt, tol) in [
        (Transform::Dct, StoredPrecision::F32, 1e-6),
        (Transform::Rfft, StoredPrecision::F32, 1e-6),
        (Transform::Dct, StoredPrecision::F16, 5e-4),
        (Transform::Rfft, StoredPrecision::F16, 5e-4),
    ] {
        let opts = CompressOptions {
            transform,
            value_type: vt,
            keep: Keep::Fraction(1.0),
        };
        let s = ctx.compress(&t, &opts).unwrap();
        assert_eq!(s.kept(), s.coefficients());
        let back = ctx.decompress(&s).unwrap();
        let e = rel_error(back.data(), t.data());
        assert!(
            e <= tol,
            "{} {transform:?} {vt:?}: {e:e}",
            ctx.description()
        );
        let predicted = s.predicted_error().unwrap();
        assert!(
            (predicted - e).abs() <= 1e-6 + 0.05 * e,
            "predicted {predicted:e} vs actual {e:e}"
        );
    }
}

fn gaussian_error_matches_the_closed_form(ctx: Context) {
    let t = Tensor::new(&[1024, 1024], gaussian(1 << 20, 7)).unwrap();
    for p in [0.05, 0.2, 0.5] {
        let opts = CompressOptions {
            transform: Transform::Rfft,
            value_type: StoredPrecision::F32,
            keep: Keep::Fraction(p),
        };
        let s = ctx.compress(&t, &opts).unwrap();
        let back = ctx.decompress(&s).unwrap();
        let e = rel_error(back.data(), t.data());
        let closed = (1.0 - p * (1.0 - p.ln())).sqrt();
        assert!(
            (e - closed).abs() <= 0.02 * closed,
            "{} p={p}: {e:.4} vs {closed:.4}",
            ctx.description()
        );
    }
}

#[test]
fn an_error_target_is_met_and_one_coefficient_fewer_misses_it() {
    let ctx = Context::cpu();
    let mut t = smooth(&[64, 64]);
    let noise = gaussian(64 * 64, 3);
    t.data_mut()
        .iter_mut()
        .zip(&noise)
        .for_each(|(v, n)| *v += 0.01 * n);
    for transform in [Transform::Dct, Transform::Rfft] {
        for target in [0.1, 0.02, 0.005] {
            let opts = CompressOptions {
                transform,
                value_type: StoredPrecision::F16,
                keep: Keep::RelativeError(target),
            };
            let s = ctx.compress(&t, &opts).unwrap();
            let e = rel_error(ctx.decompress(&s).unwrap().data(), t.data());
            assert!(
                e <= target,
                "{transform:?} target {target}: {e:e} with k = {}",
                s.kept()
            );
            let fewer = CompressOptions {
                keep: Keep::Count(s.kept() - 1),
                ..opts
            };
            let s1 = ctx.compress(&t, &fewer).unwrap();
            let e1 = rel_error(ctx.decompress(&s1).unwrap().data(), t.data());
            assert!(
                e1 > target * (1.0 - 1e-4),
                "{transform:?} target {target}: k-1 gives {e1:e}"
            );
        }
    }
}

#[test]
fn a_ratio_target_is_met_counting_every_byte() {
    let ctx = Context::cpu();
    let t = smooth(&[128, 96]);
    for ratio in [4.0, 20.0, 150.0] {
        for transform in [Transform::Dct, Transform::Rfft] {
            let opts = CompressOptions {
                transform,
                value_type: StoredPrecision::F16,
                keep: Keep::Ratio(ratio),
            };
            let s = ctx.compress(&t, &opts).unwrap();
            let bytes = s.to_bytes();
            assert_eq!(bytes.len(), s.serialized_len());
            let achieved = (4 * 128 * 96) as f64 / bytes.len() as f64;
            assert!(
                achieved >= ratio,
                "{transform:?}: asked {ratio}, got {achieved}"
            );
            let more = CompressOptions {
                keep: Keep::Count(s.kept() + 1),
                ..opts
            };
            let s1 = ctx.compress(&t, &more).unwrap();
            assert!(
                (4 * 128 * 96) as f64 / s1.serialized_len() as f64 <= ratio * 1.01,
                "{transform:?}: k+1 still fits"
            );
        }
    }
    let unreachable = CompressOptions {
        keep: Keep::Ratio(1e9),
        ..Default::default()
    };
    assert!(matches!(
        ctx.compress(&t, &unreachable),
        Err(Error::InvalidArgument { .. })
    ));
}

fn smooth_data_compresses_at_least_100x_within_1e3_with_the_dct(ctx: Context) {
    let shapes: &[&[usize]] = &[&[8192], &[256, 256], &[64, 64, 64], &[24, 24, 24, 24]];
    for shape in shapes {
        let t = smooth(shape);
        let opts = CompressOptions {
            transform: Transform::Dct,
            value_type: StoredPrecision::F16,
            keep: Keep::RelativeError(1e-3),
        };
        let s = ctx.compress(&t, &opts).unwrap();
        let e = rel_error(ctx.decompress(&s).unwrap().data(), t.data());
        println!(
            "{} {shape:?}: ratio {:.0}x, error {e:.2e}, kept {}",
            ctx.description(),
            s.ratio(),
            s.kept()
        );
        assert!(e <= 1e-3, "{shape:?}: error {e:e}");
        assert!(s.ratio() >= 100.0, "{shape:?}: ratio {:.1}", s.ratio());
    }
}

/// The f64 magnitudes of the coefficients of `t`, in kept-position order
/// (up to one factor common to all, which the selection does not see).
fn magnitudes(t: &Tensor<f32>, transform: Transform) -> Vec<f64> {
    let cpu = Context::cpu();
    let wide = Tensor::new(t.shape(), t.data().iter().map(|&v| f64::from(v)).collect()).unwrap();
    let axes: Vec<usize> = (0..t.shape().len()).collect();
    match transform {
        Transform::Dct => {
            let mut d = wide;
            cpu.dctn_f64(&mut d, &axes).unwrap();
            d.data().iter().map(|v| v.abs()).collect()
        }
        Transform::Rfft => cpu
            .rfftn_f64(&wide, &axes, Normalization::None)
            .unwrap()
            .data()
            .iter()
            .map(|c| c.norm())
            .collect(),
    }
}

/// Two selections of the `k` largest magnitudes from spectra computed with
/// different rounding: the same kept set, except that positions whose
/// exact magnitude lies within 1e-6 of the largest magnitude from the k-th
/// largest may be exchanged for each other. An f32 transform's error is
/// relative to the whole spectrum (about 1e-7 of its largest magnitudes at
/// every point), so such magnitudes are ties at f32 precision.
fn assert_same_kept_set(what: &str, a: &[u64], b: &[u64], exact: &[f64]) {
    assert_eq!(a.len(), b.len(), "{what}: kept counts");
    let mut sorted = exact.to_vec();
    sorted.sort_by(|x, y| y.total_cmp(x));
    let kth = sorted[a.len() - 1];
    let tie = 1e-6 * sorted[0];
    let (sa, sb): (
        std::collections::BTreeSet<u64>,
        std::collections::BTreeSet<u64>,
    ) = (a.iter().copied().collect(), b.iter().copied().collect());
    for &p in sa.symmetric_difference(&sb) {
        let m = exact[p as usize];
        assert!(
            (m - kth).abs() <= tie,
            "{what}: position {p} (magnitude {m:e}) kept by one side only, \
             not within {tie:e} of the k-th magnitude {kth:e}"
        );
    }
}

/// The stored values of the positions both selections kept.
fn common_values(a: &SparseSpectral, b: &SparseSpectral) -> (Vec<f32>, Vec<f32>) {
    let comps = a.values().len() / a.kept().max(1);
    let of = |s: &SparseSpectral| -> std::collections::BTreeMap<u64, Vec<f32>> {
        let chunks = s.values().chunks(comps.max(1));
        s.positions()
            .iter()
            .copied()
            .zip(chunks.map(<[f32]>::to_vec))
            .collect()
    };
    let (ma, mb) = (of(a), of(b));
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    for (p, x) in &ma {
        if let Some(y) = mb.get(p) {
            va.extend_from_slice(x);
            vb.extend_from_slice(y);
        }
    }
    (va, vb)
}

#[test]
fn gpu_and_cpu_keep_the_same_coefficients() {
    let Some(gpu) = gpu_context_or_skip("gpu_and_cpu_keep_the_same_coefficients") else {
        return;
    };
    let cpu = Context::cpu();
    // At unit scale and far from it (where f32 squares would under- or
    // overflow): the same kept set and the same predicted error.
    for (f, transform) in [1.0, 1e-30, 1e-20, 2f64.powi(-70), 1e19, 1e30]
        .into_iter()
        .flat_map(|f| [(f, Transform::Dct), (f, Transform::Rfft)])
    {
        let t = scaled(&smooth(&[128, 64]), f);
        let opts = CompressOptions {
            transform,
            value_type: StoredPrecision::F16,
            keep: Keep::Count(200),
        };
        let a = gpu.compress(&t, &opts).unwrap();
        let b = cpu.compress(&t, &opts).unwrap();
        let what = format!("{transform:?} at {f:e}");
        assert_same_kept_set(
            &what,
            a.positions(),
            b.positions(),
            &magnitudes(&t, transform),
        );
        let (pa, pb) = (a.predicted_error().unwrap(), b.predicted_error().unwrap());
        assert!(
            close(pa, pb, 1e-4),
            "{transform:?} at {f:e}: predicted {pa} vs {pb}"
        );
        // Values agree to the stored precision (the two transforms round
        // differently in the last f32 bits, so f16 rounding may differ by
        // one step on a few values).
        let (va, vb) = common_values(&a, &b);
        let e = rel_error(&va, &vb);
        assert!(e < 1e-3, "{transform:?}: values differ by {e:e}");
        let (ba, bb) = (a.to_bytes(), b.to_bytes());
        assert_eq!(ba.len(), bb.len());
        let header = fft_tensor::spectral::header_len(2);
        assert_eq!(ba[..header], bb[..header], "{transform:?}: headers differ");
        let from_gpu = gpu.decompress(&b).unwrap();
        let from_cpu = cpu.decompress(&b).unwrap();
        assert!(rel_error(from_gpu.data(), from_cpu.data()) < 1e-6);
    }
}

#[test]
fn serialized_form_round_trips_and_damage_is_an_error() {
    let ctx = Context::cpu();
    let t = smooth(&[16, 24]);
    for transform in [Transform::Dct, Transform::Rfft] {
        for value_type in [StoredPrecision::F16, StoredPrecision::F32] {
            let opts = CompressOptions {
                transform,
                value_type,
                keep: Keep::Fraction(0.3),
            };
            let s = ctx.compress(&t, &opts).unwrap();
            let bytes = s.to_bytes();
            let back = SparseSpectral::from_bytes(&bytes).unwrap();
            assert_eq!(back, s);
            assert_eq!(back.to_bytes(), bytes);
            for cut in 0..bytes.len() {
                let err = SparseSpectral::from_bytes(&bytes[..cut]).unwrap_err();
                assert!(matches!(err, Error::Corrupt { .. }), "cut {cut}: {err}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(SparseSpectral::from_bytes(&longer).is_err());
            for i in 0..bytes.len() {
                for bit in 0..8 {
                    let mut damaged = bytes.clone();
                    damaged[i] ^= 1 << bit;
                    // Either an error or a valid tensor that decompresses: never a panic.
                    if let Ok(d) = SparseSpectral::from_bytes(&damaged) {
                        if d.shape().iter().product::<usize>() <= 1 << 16 {
                            ctx.decompress(&d).unwrap();
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn bad_input_and_settings_are_errors() {
    let ctx = Context::cpu();
    let mut data = vec![0.5f32; 64];
    data[17] = f32::NAN;
    let t = Tensor::new(&[8, 8], data).unwrap();
    let err = ctx.compress(&t, &CompressOptions::default()).unwrap_err();
    assert!(err.to_string().contains("17"), "{err}");
    let t = Tensor::new(&[8, 8], vec![0.5f32; 64]).unwrap();
    for keep in [
        Keep::Fraction(0.0),
        Keep::Fraction(1.5),
        Keep::Count(0),
        Keep::Count(65),
        Keep::Ratio(-1.0),
        Keep::RelativeError(f64::NAN),
    ] {
        let opts = CompressOptions {
            keep,
            ..Default::default()
        };
        assert!(ctx.compress(&t, &opts).is_err(), "{keep:?}");
    }
    // An all-zero tensor compresses to one coefficient and comes back exactly.
    let z = Tensor::new(&[8, 8], vec![0.0f32; 64]).unwrap();
    let s = ctx.compress(&z, &CompressOptions::default()).unwrap();
    assert_eq!(s.kept(), 1);
    assert_eq!(ctx.decompress(&s).unwrap().data(), z.data());
}

backend_tests!(
    keeping_everything_reproduces_the_input_to_value_precision,
    gaussian_error_matches_the_closed_form,
    smooth_data_compresses_at_least_100x_within_1e3_with_the_dct,
);

// ------------------------------------------------------- extreme scales

/// What a compression at one scale gives: kept positions, stored values,
/// the measured and the predicted relative error.
struct Outcome {
    positions: Vec<u64>,
    values: Vec<f32>,
    error: f64,
    predicted: f64,
}

fn outcome(ctx: &Context, t: &Tensor<f32>, opts: &CompressOptions) -> Outcome {
    let s = ctx.compress(t, opts).unwrap();
    let back = ctx.decompress(&s).unwrap();
    Outcome {
        positions: s.positions().to_vec(),
        values: s.values().to_vec(),
        error: rel_error(back.data(), t.data()),
        predicted: s.predicted_error().unwrap(),
    }
}

fn scaled(t: &Tensor<f32>, f: f64) -> Tensor<f32> {
    let data = t
        .data()
        .iter()
        .map(|&x| (f64::from(x) * f) as f32)
        .collect();
    Tensor::new(t.shape(), data).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

/// The measured and predicted errors of `o` equal `unit`'s to 1e-6
/// relative (and are finite).
fn assert_same_error(what: &str, o: &Outcome, unit: &Outcome) {
    assert!(
        close(o.error, unit.error, 1e-6),
        "{what}: error {} vs {}",
        o.error,
        unit.error
    );
    assert!(
        o.predicted.is_finite() && close(o.predicted, unit.predicted, 1e-6),
        "{what}: predicted {} vs {}",
        o.predicted,
        unit.predicted
    );
}

/// Selection, prediction and error at scales across the f32 range: under
/// power-of-two scaling the kept set and the stored values (scaled) are
/// identical; under any scaling the error and the prediction are the same
/// to 1e-6 relative, finite and non-zero.
fn check_scales(ctx: &Context) {
    let name = ctx.description();
    let noise = Tensor::new(&[1024], gaussian(1024, 5)).unwrap();
    let grid = Tensor::new(&[24, 37], gaussian(24 * 37, 6)).unwrap();
    for t in [&noise, &grid] {
        for transform in [Transform::Rfft, Transform::Dct] {
            for value_type in [StoredPrecision::F32, StoredPrecision::F16] {
                for keep in [Keep::Fraction(0.25), Keep::RelativeError(0.7)] {
                    let opts = CompressOptions {
                        transform,
                        value_type,
                        keep,
                    };
                    let what = format!(
                        "{name} {:?} {transform:?} {value_type:?} {keep:?}",
                        t.shape()
                    );
                    let unit = outcome(ctx, t, &opts);
                    assert!(unit.error > 0.3, "{what}: error {}", unit.error);
                    for j in [-100i32, -64, -30, 30, 64, 99] {
                        let f = 2f64.powi(j);
                        let o = outcome(ctx, &scaled(t, f), &opts);
                        assert_eq!(o.positions, unit.positions, "{what} at 2^{j}: kept set");
                        // Equal to the scaled values up to products with tiny
                        // twiddles that a GPU flushes to zero near 2^-126.
                        let unscaled: Vec<f32> = o
                            .values
                            .iter()
                            .map(|&v| (f64::from(v) / f) as f32)
                            .collect();
                        let e = rel_error(&unscaled, &unit.values);
                        assert!(e <= 1e-6, "{what} at 2^{j}: values differ by {e:e}");
                        assert_same_error(&format!("{what} at 2^{j}"), &o, &unit);
                    }
                    for f in [1e-30, 1e-23, 1e-20, 3e-7, 7.3e11, 1e19, 1e30] {
                        let o = outcome(ctx, &scaled(t, f), &opts);
                        assert_same_error(&format!("{what} at {f:e}"), &o, &unit);
                        assert!(
                            close(o.predicted, o.error, 1e-4),
                            "{what} at {f:e}: predicted {} vs actual {}",
                            o.predicted,
                            o.error
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn cpu_selection_prediction_and_error_do_not_depend_on_scale() {
    check_scales(&Context::cpu());
}

#[test]
fn gpu_selection_prediction_and_error_do_not_depend_on_scale() {
    if let Some(gpu) =
        gpu_context_or_skip("gpu_selection_prediction_and_error_do_not_depend_on_scale")
    {
        check_scales(&gpu);
    }
}

// ------------------------------------------------------ unreachable targets

fn check_unreachable_targets(ctx: &Context) {
    let t = Tensor::new(&[32, 48], gaussian(32 * 48, 9)).unwrap();
    for transform in [Transform::Dct, Transform::Rfft] {
        let f16 = CompressOptions {
            transform,
            value_type: StoredPrecision::F16,
            keep: Keep::RelativeError(1e-5),
        };
        let err = ctx.compress(&t, &f16).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, Error::InvalidArgument { name: "keep", .. })
                && text.contains("unreachable")
                && text.contains("F16"),
            "{transform:?}: {text}"
        );
        // The floor it names is reachable, and met.
        let floor: f64 = text
            .split("ask for at least ")
            .nth(1)
            .and_then(|r| r.split([',', ' ']).next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no floor in {text}"));
        assert!(floor > 1e-5 && floor < 1e-3, "{text}");
        let at_floor = CompressOptions {
            keep: Keep::RelativeError(floor * 1.001),
            ..f16
        };
        let s = ctx.compress(&t, &at_floor).unwrap();
        let e = rel_error(ctx.decompress(&s).unwrap().data(), t.data());
        assert!(
            e <= floor * 1.001 * (1.0 + 1e-4),
            "{transform:?}: {e:e} above {floor:e}"
        );
        // f32 values reach it.
        let f32s = CompressOptions {
            value_type: StoredPrecision::F32,
            ..f16
        };
        let s = ctx.compress(&t, &f32s).unwrap();
        let e = rel_error(ctx.decompress(&s).unwrap().data(), t.data());
        assert!(e <= 1e-5, "{transform:?} f32: {e:e}");

        let ratio = CompressOptions {
            keep: Keep::Ratio(1e6),
            ..f16
        };
        let text = ctx.compress(&t, &ratio).unwrap_err().to_string();
        assert!(
            text.contains("ratio 1000000 is unreachable")
                && text.contains("highest reachable ratio"),
            "{text}"
        );
    }
}

#[test]
fn cpu_unreachable_targets_say_what_is_reachable() {
    check_unreachable_targets(&Context::cpu());
}

#[test]
fn gpu_unreachable_targets_say_what_is_reachable() {
    if let Some(gpu) = gpu_context_or_skip("gpu_unreachable_targets_say_what_is_reachable") {
        check_unreachable_targets(&gpu);
    }
}

// ------------------------------------------------------------ submissions

#[test]
fn gpu_compress_and_decompress_are_one_submission_each() {
    let Some(ctx) = gpu_context_or_skip("gpu_compress_and_decompress_are_one_submission_each")
    else {
        return;
    };
    let count = || ctx.gpu().unwrap().submissions();
    let t = smooth(&[64, 96]);
    for transform in [Transform::Dct, Transform::Rfft] {
        for keep in [
            Keep::Fraction(0.1),
            Keep::Count(100),
            Keep::Ratio(20.0),
            Keep::RelativeError(0.01),
        ] {
            let opts = CompressOptions {
                transform,
                value_type: StoredPrecision::F16,
                keep,
            };
            let before = count();
            let s = ctx.compress(&t, &opts).unwrap();
            assert_eq!(count() - before, 1, "compress {transform:?} {keep:?}");
            let before = count();
            let back = ctx.decompress(&s).unwrap();
            assert_eq!(count() - before, 1, "decompress {transform:?} {keep:?}");
            // And the same result as the CPU twin.
            let cpu = Context::cpu().compress(&t, &opts).unwrap();
            let what = format!("{transform:?} {keep:?}");
            let exact = magnitudes(&t, transform);
            assert_same_kept_set(&what, s.positions(), cpu.positions(), &exact);
            let e = rel_error(back.data(), t.data());
            assert!(
                close(e, s.predicted_error().unwrap(), 1e-2),
                "{transform:?} {keep:?}: {e}"
            );
        }
    }
    let input = fft_tensor::GpuTensor::from_f32(&ctx, t.data(), t.shape()).unwrap();
    let before = count();
    ctx.dctn_gpu(&input, &[0, 1]).unwrap();
    assert_eq!(count() - before, 1, "dctn_gpu");
    let before = count();
    ctx.rfftn_gpu(&input, &[0, 1], Normalization::Backward)
        .unwrap();
    assert_eq!(count() - before, 1, "rfftn_gpu");

    // Compress and decompress chained in the caller's recording.
    let opts = CompressOptions {
        transform: Transform::Dct,
        value_type: StoredPrecision::F32,
        keep: Keep::Count(300),
    };
    let reference = Context::cpu().compress(&t, &opts).unwrap();
    let before = count();
    let mut rec = ctx.recording("chained").unwrap();
    let src = rec.upload("input", t.data()).unwrap();
    let compressed = ctx
        .record_compress(&mut rec, &src, t.shape(), &opts)
        .unwrap();
    let out = rec.temporary("out", (t.data().len() * 4) as u64).unwrap();
    ctx.record_decompress(&mut rec, &reference, &out).unwrap();
    let back = rec.read_back(&out).unwrap();
    let mut done = rec.submit().unwrap().wait().unwrap();
    let s = compressed.finish(&mut done).unwrap();
    let back: Vec<f32> = done.take(back).unwrap();
    assert_eq!(count() - before, 1, "chained recording");
    let exact = magnitudes(&t, Transform::Dct);
    assert_same_kept_set("chained", s.positions(), reference.positions(), &exact);
    let expected = Context::cpu().decompress(&reference).unwrap();
    assert!(rel_error(&back, expected.data()) < 1e-5);
    assert!(close(
        s.predicted_error().unwrap(),
        reference.predicted_error().unwrap(),
        1e-4
    ));
}

/// The CPU recipe's passes run on rayon's threads: the stored bytes and the
/// decompressed values are the same for any number of threads.
#[test]
fn cpu_compress_is_identical_for_any_thread_count() {
    let (rows, cols) = (300, 514);
    let data: Vec<f32> = gaussian(rows * cols, 11)
        .iter()
        .enumerate()
        .map(|(i, &g)| g + ((i % cols) as f32 * 0.05).sin() * 10.0)
        .collect();
    let t = Tensor::new(&[rows, cols], data).unwrap();
    let ctx = Context::cpu();
    for transform in [Transform::Rfft, Transform::Dct] {
        for keep in [
            Keep::Fraction(0.2),
            Keep::RelativeError(0.3),
            Keep::Ratio(4.0),
        ] {
            let opts = CompressOptions {
                transform,
                value_type: StoredPrecision::F16,
                keep,
            };
            let run = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| {
                    let s = ctx.compress(&t, &opts).unwrap();
                    let back = ctx.decompress(&s).unwrap();
                    let bits: Vec<u32> = back.data().iter().map(|v| v.to_bits()).collect();
                    (s.to_bytes(), bits)
                })
            };
            let one = run(1);
            for threads in [2, 5] {
                assert!(
                    run(threads) == one,
                    "{transform:?} {keep:?} {threads} threads"
                );
            }
        }
    }
}

#[test]
fn compressing_a_borrowed_slice_gives_the_bytes_of_the_tensor() {
    let ctx = Context::cpu();
    for shape in [&[1usize][..], &[7], &[31, 30], &[5, 4, 9]] {
        for scale in [1.0f32, 1e-30, 1e30] {
            let t = smooth(shape);
            let data: Vec<f32> = t.data().iter().map(|&v| v * scale).collect();
            let t = Tensor::new(shape, data.clone()).unwrap();
            for transform in [Transform::Rfft, Transform::Dct] {
                for keep in [Keep::RelativeError(1e-3), Keep::Fraction(0.3)] {
                    let options = CompressOptions {
                        transform,
                        value_type: StoredPrecision::F32,
                        keep,
                    };
                    let a = ctx.compress(&t, &options).unwrap().to_bytes();
                    let b = ctx
                        .compress_slice(&data, shape, &options)
                        .unwrap()
                        .to_bytes();
                    assert_eq!(a, b, "{shape:?} {scale} {transform:?}");
                }
            }
        }
    }
    let options = CompressOptions {
        transform: Transform::Rfft,
        value_type: StoredPrecision::F16,
        keep: Keep::Fraction(0.5),
    };
    let wrong = ctx.compress_slice(&[1.0; 6], &[4, 2], &options);
    assert!(
        matches!(wrong, Err(Error::ShapeMismatch { .. })),
        "{wrong:?}"
    );
    let nan = ctx.compress_slice(&[1.0, f32::NAN, 2.0], &[3], &options);
    assert!(matches!(nan, Err(Error::InvalidArgument { .. })), "{nan:?}");
}
