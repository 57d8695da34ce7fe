use super::*;
use crate::store::codec::{relative_error, test_data};

/// A smooth N-D field of `shape` with a little noise, scaled by `scale`.
fn field(shape: &[usize], scale: f64) -> Vec<f32> {
    let n: usize = shape.iter().product();
    let noise = test_data::gaussian(n, 7);
    (0..n)
        .map(|k| {
            let (mut r, mut t) = (k, 0.0f64);
            for (e, &d) in shape.iter().enumerate().rev() {
                let x = (r % d) as f64 / d.max(1) as f64;
                t += ((e as f64 + 2.0) * x).sin();
                r /= d;
            }
            ((t + 0.01 * f64::from(noise[k])) * scale) as f32
        })
        .collect()
}

/// A seeded xorshift generator of `u64`s.
fn xorshift(mut s: u64) -> impl FnMut() -> u64 {
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

/// `payload` with one to four bits flipped and up to two bytes cut off.
fn damaged(payload: &[u8], next: &mut impl FnMut() -> u64) -> Vec<u8> {
    let mut b = payload.to_vec();
    for _ in 0..1 + next() % 4 {
        let i = (next() % b.len() as u64) as usize;
        b[i] ^= 1 << (next() % 8);
    }
    b.truncate(b.len() - (next() % 3) as usize);
    b
}

/// Half a unit in the last place of `v` as f32 (at most): f32 data
/// decodes to f32 values, rounded after the bound was met.
fn half_ulp(v: f64) -> f64 {
    v.abs().max(f64::from(f32::MIN_POSITIVE)) * 2f64.powi(-24)
}

/// Every predictor and axis order: (cubic, one-sided, reversed).
const PREDICTIONS: [(bool, bool, bool); 6] = [
    (false, false, false),
    (false, false, true),
    (true, false, false),
    (true, false, true),
    (true, true, false),
    (true, true, true),
];

#[test]
fn every_element_within_the_pointwise_bound_at_any_shape_and_scale() {
    let shapes: [&[usize]; 9] = [
        &[1],
        &[2],
        &[7],
        &[13, 17],
        &[1, 31],
        &[5, 1, 9],
        &[3, 5, 7, 11],
        &[2, 3, 1, 4, 5],
        &[1000],
    ];
    for shape in shapes {
        for scale in [1e-30, 1.0, 1e30] {
            let x = field(shape, scale);
            for (cubic, one_sided, reversed) in PREDICTIONS {
                let c = Config {
                    cubic,
                    one_sided,
                    reversed,
                    alpha: 1.5,
                    beta: 2.0,
                };
                let b = 1e-3 * scale;
                let e = encode_config(&x, shape, 2.0 * b, c).unwrap();
                let y = decode_f64(&e.params, &e.payload, shape).unwrap();
                for (i, (&a, &v)) in x.iter().zip(&y).enumerate() {
                    let err = (f64::from(a) - v).abs();
                    assert!(
                        err <= b * (1.0 + 1e-9) + half_ulp(v),
                        "{shape:?} {scale} {i}: {err} > {b}"
                    );
                }
            }
            let e = encode(&x, shape, Bound::AbsMax(1e-4 * scale)).unwrap();
            let y = decode_f64(&e.params, &e.payload, shape).unwrap();
            let worst = x
                .iter()
                .zip(&y)
                .map(|(&a, &v)| (f64::from(a) - v).abs() - half_ulp(v))
                .fold(0.0, f64::max);
            assert!(worst <= 1e-4 * scale * (1.0 + 1e-9), "{shape:?} {worst}");
        }
    }
}

#[test]
fn relative_bound_holds_after_rounding_and_lands_near_it() {
    for shape in [&[64usize, 80][..], &[4, 16, 20], &[3000], &[2, 3, 5, 7, 11]] {
        for eps in [1e-2, 1e-3, 1e-4] {
            let x = field(shape, 3.0);
            let e = encode(&x, shape, Bound::RelL2(eps)).unwrap();
            let y = decode(&e.params, &e.payload, shape).unwrap();
            let r = relative_error(&x, &y);
            assert!(r <= eps, "{shape:?} {eps}: {r}");
            assert!(r > 0.5 * eps, "{shape:?} {eps}: {r} far inside the bound");
            assert!(e.payload.len() < x.len() * 4, "{shape:?} {eps}");
        }
    }
}

#[test]
fn f64_input_is_measured_in_f64() {
    let x: Vec<f64> = (0..500)
        .map(|i| 1.0 + (i as f64 * 0.01).sin() * 1e-9)
        .collect();
    let e = encode(&x, &[500], Bound::AbsMax(1e-12)).unwrap();
    let y = decode_f64(&e.params, &e.payload, &[500]).unwrap();
    for (a, b) in x.iter().zip(&y) {
        assert!((a - b).abs() <= 1e-12 * (1.0 + 1e-9));
    }
    let e = encode(&x, &[500], Bound::RelL2(1e-10)).unwrap();
    let y = decode_f64(&e.params, &e.payload, &[500]).unwrap();
    let (a, b) = x.iter().zip(&y).fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - y) * (x - y), b + x * x)
    });
    assert!((a / b).sqrt() <= 1e-10);
}

#[test]
fn empty_zero_and_constant_tensors() {
    let e = encode::<f32>(&[], &[0], Bound::RelL2(1e-3)).unwrap();
    assert!(decode(&e.params, &e.payload, &[0]).unwrap().is_empty());
    let e = encode::<f32>(&[], &[3, 0, 2], Bound::AbsMax(1e-3)).unwrap();
    assert!(decode(&e.params, &e.payload, &[3, 0, 2])
        .unwrap()
        .is_empty());
    let z = vec![0.0f32; 4096];
    let e = encode(&z, &[64, 64], Bound::RelL2(1e-3)).unwrap();
    assert_eq!(decode(&e.params, &e.payload, &[64, 64]).unwrap(), z);
    assert!(e.payload.len() < 64, "{}", e.payload.len());
    let k = vec![2.5f32; 1];
    let e = encode(&k, &[], Bound::RelL2(1e-6)).unwrap();
    let y = decode(&e.params, &e.payload, &[]).unwrap();
    assert!(relative_error(&k, &y) <= 1e-6);
}

#[test]
fn bad_input_is_refused() {
    let mut x = field(&[10, 10], 1.0);
    assert!(encode(&x, &[10, 9], Bound::RelL2(1e-3)).is_err());
    assert!(encode(&x, &[10, 10], Bound::RelL2(0.0)).is_err());
    assert!(encode(&x, &[10, 10], Bound::AbsMax(f64::NAN)).is_err());
    assert!(encode_config(&x, &[10, 10], 0.0, CONFIGS[0]).is_err());
    x[37] = f32::NAN;
    assert!(matches!(
        encode(&x, &[10, 10], Bound::RelL2(1e-3)),
        Err(Error::CodecUnsupported { .. })
    ));
    x[37] = f32::INFINITY;
    assert!(encode(&x, &[10, 10], Bound::AbsMax(1e-3)).is_err());
    // A step so small that residuals leave the coder's range.
    let big = vec![1e30f32; 8];
    assert!(encode_config(&big, &[8], 1e-30, CONFIGS[1]).is_err());
}

#[test]
fn damaged_parameters_and_payloads_give_typed_errors() {
    let shape = [23, 29];
    let x = field(&shape, 1.0);
    let e = encode(&x, &shape, Bound::RelL2(1e-3)).unwrap();
    assert!(decode(&e.params[..16], &e.payload, &shape).is_err());
    for bad in [4, 5, 8, 255] {
        let mut p = e.params.clone();
        p[0] = bad;
        assert!(decode(&p, &e.payload, &shape).is_err(), "{bad}");
    }
    let mut p = e.params.clone();
    p[1..9].copy_from_slice(&f64::NAN.to_le_bytes());
    assert!(decode(&p, &e.payload, &shape).is_err());
    let mut p = e.params.clone();
    p[9..13].copy_from_slice(&9.0f32.to_le_bytes());
    assert!(decode(&p, &e.payload, &shape).is_err());
    assert!(decode(&e.params, &e.payload[..e.payload.len() - 1], &shape).is_err());
    let mut long = e.payload.clone();
    long.push(0);
    assert!(decode(&e.params, &long, &shape).is_err());
    assert!(decode(&e.params, &e.payload, &[1 << 40, 1 << 30]).is_err());
    assert!(decode(&e.params, &[], &[1 << 20, 1 << 20]).is_err());
    // Fuzz-style: random flips and truncations never panic.
    let mut next = xorshift(0x1234_5678_9abc_def0);
    for _ in 0..300 {
        let _ = decode(&e.params, &damaged(&e.payload, &mut next), &shape);
        let junk: Vec<u8> = (0..next() % 64).map(|_| next() as u8).collect();
        let _ = decode(&e.params, &junk, &[7, 5, 3]);
    }
}

#[test]
fn smooth_fields_code_smaller_than_lorenzo_and_estimate_is_close() {
    let shape = [128, 160];
    let x = test_data::smooth(128, 160);
    for eps in [1e-3, 1e-4] {
        let e = encode(&x, &shape, Bound::RelL2(eps)).unwrap();
        let l = crate::store::codec::lorenzo::encode(&x, &shape, eps).unwrap();
        assert!(
            e.payload.len() < l.payload.len(),
            "{eps}: interp {} lorenzo {}",
            e.payload.len(),
            l.payload.len()
        );
        let est = estimate(&x, &shape, Bound::RelL2(eps)).unwrap() as f64;
        let got = e.stored_bytes() as f64;
        assert!(est > 0.3 * got && est < 3.0 * got, "{eps}: {est} vs {got}");
    }
}

/// The estimate against the stored size on seeded fields: within 5 % for
/// stored sizes of 1000 bytes or more (measured with the second form's
/// coder: -2.7 % to +1.5 %), within 10 % below that where the sub-block is
/// the whole tensor (the coder's cost counted on the very integers it codes;
/// measured -8.6 % at 209 bytes: the learning cost of a few hundred
/// integers); outputs of a few hundred bytes from a sub-block within a
/// factor of two (measured: -32 % to +85 %: the whole tensor's search lands
/// closer to the bound than the sub-block's).
#[test]
fn estimate_is_within_a_few_percent_of_the_stored_size() {
    let smooth = test_data::smooth(128, 160);
    let cases: [(&[usize], Vec<f32>); 6] = [
        (&[64, 64], field(&[64, 64], 1.0)),
        (&[7000], field(&[7000], 2.0)),
        (&[128, 160], smooth),
        (&[256, 256], field(&[256, 256], 1.0)),
        (&[40000], field(&[40000], 1.0)),
        (&[24, 48, 64], field(&[24, 48, 64], 1.0)),
    ];
    let mut worst = 0.0f64;
    for (shape, x) in &cases {
        for eps in [1e-2, 1e-3, 1e-4] {
            let est = estimate(x, shape, Bound::RelL2(eps)).unwrap() as f64;
            let got = encode(x, shape, Bound::RelL2(eps)).unwrap().stored_bytes() as f64;
            let off = est / got - 1.0;
            let tol = if got >= 1000.0 {
                0.05
            } else if x.len() <= SAMPLE_WHOLE {
                0.1
            } else {
                1.0
            };
            println!(
                "{shape:?} {eps}: estimate {est} stored {got} ({:+.1} %)",
                100.0 * off
            );
            worst = worst.max(off.abs() / tol);
        }
    }
    assert!(
        worst <= 1.0,
        "an estimate off by {worst} times its tolerance"
    );
}

/// Payloads written by the first released encoder (container v2): they
/// decode to the same values, bit for bit (FNV-1a over the f64 bits).
#[test]
fn payloads_of_the_first_encoder_decode_unchanged() {
    let golden: [(&[usize], &str, &str, u64); 4] = [
        (&[9, 13], "017b14ae47e17a843f0000c03f00000040", "006fe83be4303e2eec008ed2033d16e3917e6b75f9082aabe6ab562d3fbf7617d1d9997cf34e9b94665e925136231ea9d649de40fe5b60c3c15d2e9bdda8a09566bbcf752250", 0xa96954d162c86ef8),
        (&[4, 6, 11], "00fa7e6abc7493683f0000c03f00000040", "006ff0c717c60598b1b554c80c09d3217a990d7cf49d5dcb0e39829da1e75f03a9adfb71fbbbdde8fa9d5135c3bc77b131ab8c6bd755eb43454cd27cff8e5f30ac8eef8305bd69bd30d9a771b10da34d0a8a5ef0daae4a7bd523d9c391275ad75a0e3130784bc4ea4c1954834eb11ee9f9e3e57cb447c7ee62b9cea859da58bd117e33fe444de32778060e43858b8c1deaf32a195ccc0f455ebf7f742724f4eb65ed5b8772658d306eb45d02522581a06032b60df0e84fa11354f3c0ed1d605a39e118bc14d4ee3a1f6b9897e7aefdb7610a0aa0a8423ff9aa0037f9e6d4b627f254b051897b3e50e45f43e287e259ccea5842e691cfa510ea2a78f577e9e489c66ee9440d070e84b16f922c34291ee86bafbfb8d3a88768cf8e614be784db543b30fe534d3610b48d0d204a00", 0xc78c4a5918e0e53d),
        (&[37], "017b14ae47e17a943f0000c03f00000040", "006fdefebe362ecf104e32b676c77fc25e674769ac341547e790", 0xfcf0b5bea8fa3913),
        (&[3, 1, 5, 4], "019a9999999999a93f0000c03f00000040", "006f2590ef877beb388392730879d93ffc26208e86734eb75753822c6aa49049274319fb3eb06b9179e65c36d9a1e97b6d05b16c29b41100", 0xc870a72e3084241c),
    ];
    let unhex = |h: &str| -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    };
    for (shape, params, payload, hash) in golden {
        let y = decode_f64(&unhex(params), &unhex(payload), shape).unwrap();
        let h = y.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
            (h ^ v.to_bits()).wrapping_mul(0x100_0000_01b3)
        });
        assert_eq!(h, hash, "{shape:?}");
    }
}

/// The second payload form: f32 data keeps (and predicts from) f32
/// values, and the encoder's values are what the decoder gives, bit for
/// bit; f64 data keeps f64 values.
#[test]
fn reconstruction_handed_out_is_the_decoded_one_bit_for_bit() {
    let shapes: [&[usize]; 7] = [
        &[1],
        &[3],
        &[97],
        &[31, 37],
        &[300, 257],
        &[2, 3, 1, 4, 5],
        &[9, 17, 33],
    ];
    for shape in shapes {
        for scale in [1e-30, 1.0, 1e30] {
            let x = field(shape, scale);
            for bound in [
                Bound::RelL2(1e-2),
                Bound::RelL2(1e-5),
                Bound::AbsMax(1e-3 * scale),
            ] {
                let (e, y) = encode_reconstructed(&x, shape, bound).unwrap();
                assert_eq!(
                    e.params[0] & (FLAG_SYMBOLS | FLAG_F32),
                    FLAG_SYMBOLS | FLAG_F32
                );
                let back = decode(&e.params, &e.payload, shape).unwrap();
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&y), bits(&back), "{shape:?} {scale} {bound:?}");
                let wide = decode_f64(&e.params, &e.payload, shape).unwrap();
                assert!(wide.iter().zip(&back).all(|(&a, &b)| a == f64::from(b)));
                assert_eq!(e, encode(&x, shape, bound).unwrap());
                if let Bound::RelL2(eps) = bound {
                    assert!(relative_error(&x, &y) <= eps, "{shape:?} {scale} {eps}");
                }
            }
        }
    }
    let x: Vec<f64> = (0..700).map(|i| (i as f64 * 0.03).sin()).collect();
    let e = encode(&x, &[700], Bound::AbsMax(1e-9)).unwrap();
    assert_eq!(e.params[0] & (FLAG_SYMBOLS | FLAG_F32), FLAG_SYMBOLS);
}

/// Payloads of the first form (binary integer model, f64 values) written
/// by this encoder's predecessor still decode: the first form's coder on
/// integers quantised here decodes to the same values as the second form.
#[test]
fn first_form_payloads_decode_like_the_second() {
    let shape = [40, 51];
    let x = field(&shape, 2.0);
    let c = CONFIGS[3];
    let d = 1e-3;
    let mut y = vec![0.0f64; x.len()];
    let mut q = vec![0i64; x.len()];
    let xs: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    quantise_all::<f64, true>(&xs, &shape, c, d, &mut y, &mut q, Slabs::whole(&shape)).unwrap();
    let mags: Vec<u8> = q.iter().map(|&v| mag(v)).collect();
    let mut m = IntModel::new(CONTEXTS);
    let mut enc = Encoder::new();
    walk::<false, f64>(&shape, c, &mut [], |p, _, l, near| {
        m.put(&mut enc, context(&mags, l, near), q[p]);
        0.0
    });
    let old = enc.finish();
    let mut params = vec![u8::from(c.cubic)];
    params.extend_from_slice(&d.to_le_bytes());
    params.extend_from_slice(&c.alpha.to_le_bytes());
    params.extend_from_slice(&c.beta.to_le_bytes());
    let back = decode_f64(&params, &old, &shape).unwrap();
    assert_eq!(back, y);
    let new = encode_config(&xs, &shape, d, c).unwrap();
    assert_eq!(decode_f64(&new.params, &new.payload, &shape).unwrap(), y);
    assert!(new.payload.len() <= old.len() + old.len() / 20);
}

/// [`encode_reconstructed`] (for f64 data [`encode`] with its values)
/// cut into as many slabs as the shape allows, whatever the expected size.
fn encode_cut<T: Sample>(x: &[T], shape: &[usize], bound: Bound) -> (Encoded, Vec<T::Store>) {
    let mut p = plan(x, shape, bound).unwrap();
    p.chosen.bytes = u64::MAX;
    encode_chosen(x, shape, bound, p.chosen).unwrap()
}

/// Shapes over one slab: two slabs with a short last one, three slabs of
/// a 1-D tensor, a 3-D tensor, and a first axis too short to cut.
const SLABBED: [&[usize]; 4] = [&[1100, 300], &[600_000], &[70, 64, 64], &[3, 100_001]];

#[test]
fn large_tensors_are_cut_into_slabs_and_every_bound_still_holds() {
    for shape in SLABBED {
        let slabs = Slabs::of(shape, u64::MAX);
        let x = field(shape, 2.0);
        for bound in [Bound::RelL2(1e-3), Bound::AbsMax(1e-3)] {
            let (e, y) = encode_cut(&x, shape, bound);
            assert_eq!(
                e.params[0] & FLAG_SLABS != 0,
                slabs.count() > 1,
                "{shape:?}"
            );
            if slabs.count() > 1 {
                let rows = u32::from_le_bytes(e.params[17..21].try_into().unwrap());
                assert_eq!(rows as usize, slabs.rows());
            }
            let back = decode(&e.params, &e.payload, shape).unwrap();
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&y), bits(&back), "{shape:?} {bound:?}");
            match bound {
                Bound::RelL2(eps) => {
                    let r = relative_error(&x, &back);
                    assert!(r <= eps && r > 0.5 * eps, "{shape:?} {r}");
                }
                Bound::AbsMax(b) => {
                    for (i, (&a, &v)) in x.iter().zip(&back).enumerate() {
                        let err = (f64::from(a) - f64::from(v)).abs();
                        assert!(err <= b + half_ulp(f64::from(v)), "{shape:?} {i}: {err}");
                    }
                }
            }
        }
    }
    // f64 data, measured in f64.
    let shape = [40, 10_000];
    let x: Vec<f64> = (0..400_000)
        .map(|i| (i as f64 * 1e-4).sin() * 1e30)
        .collect();
    let (e, _) = encode_cut(&x, &shape, Bound::RelL2(1e-6));
    assert_ne!(e.params[0] & FLAG_SLABS, 0);
    let y = decode_f64(&e.params, &e.payload, &shape).unwrap();
    let (num, den) = x.iter().zip(&y).fold((0.0, 0.0), |(n, d), (&a, &b)| {
        (n + (a / 1e30 - b / 1e30).powi(2), d + (a / 1e30).powi(2))
    });
    assert!((num / den).sqrt() <= 1e-6);
}

#[test]
fn slabbed_bytes_do_not_depend_on_the_thread_count() {
    let shape = [1100, 300];
    let x = field(&shape, 1.0);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            (
                encode_cut(&x, &shape, Bound::RelL2(1e-3)).0,
                encode_cut(&x, &shape, Bound::AbsMax(1e-2)).0,
                encode(&x, &shape, Bound::RelL2(1e-3)).unwrap(),
            )
        })
    };
    let one = run(1);
    assert_eq!(one, run(3));
    assert_eq!(one, run(2));
}

#[test]
fn damaged_slab_tables_give_typed_errors() {
    let shape = [1100, 300];
    let x = field(&shape, 1.0);
    let (e, _) = encode_cut(&x, &shape, Bound::RelL2(1e-2));
    assert!(decode(&e.params, &e.payload, &shape).is_ok());
    let table = 8 * Slabs::of(&shape, u64::MAX).count();
    let bad_params = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut p = e.params.clone();
        edit(&mut p);
        decode(&p, &e.payload, &shape)
    };
    // Rows per slab missing, zero, or not what the streams were cut by;
    // the slab flag without the second form's coder.
    assert!(bad_params(&|p| p.truncate(17)).is_err());
    assert!(bad_params(&|p| p[17..21].copy_from_slice(&0u32.to_le_bytes())).is_err());
    assert!(bad_params(&|p| p[17..21].copy_from_slice(&1u32.to_le_bytes())).is_err());
    assert!(bad_params(&|p| p[17..21].copy_from_slice(&u32::MAX.to_le_bytes())).is_err());
    assert!(bad_params(&|p| p[0] &= !FLAG_SYMBOLS).is_err());
    assert!(bad_params(&|p| p[0] &= !FLAG_SLABS).is_err());
    let bad_payload = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut b = e.payload.clone();
        edit(&mut b);
        decode(&e.params, &b, &shape)
    };
    assert!(bad_payload(&|b| b.truncate(table - 1)).is_err());
    assert!(bad_payload(&|b| b.truncate(e.payload.len() - 1)).is_err());
    assert!(bad_payload(&|b| b.push(0)).is_err());
    assert!(bad_payload(&|b| b[..8].copy_from_slice(&u64::MAX.to_le_bytes())).is_err());
    assert!(bad_payload(&|b| b[..8].fill(0)).is_err());
    // A damaged second stream is reported at its place in the payload.
    let first = u64::from_le_bytes(e.payload[..8].try_into().unwrap()) as usize;
    let err = bad_payload(&|b| b.truncate(table + first + 3)).unwrap_err();
    assert!(format!("{err}").contains("slab"), "{err}");
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..40 {
        let _ = decode(&e.params, &damaged(&e.payload, &mut next), &shape);
        let mut t = e.payload.clone();
        let i = (next() % table as u64) as usize;
        t[i] ^= 1 << (next() % 8);
        let _ = decode(&e.params, &t, &shape);
    }
}

/// Tensors are cut only where the expected stream gives each slab at
/// least `SLAB_BYTES`: not a smooth field at a loose bound (a few hundred
/// bytes a slab would cost there), but noise at a tight one.
#[test]
fn slabs_are_cut_only_where_the_stream_is_large() {
    let shape = [1024, 512];
    let smooth = field(&shape, 1.0);
    let e = encode(&smooth, &shape, Bound::RelL2(1e-2)).unwrap();
    assert_eq!(e.params[0] & FLAG_SLABS, 0, "{} bytes", e.payload.len());
    let noise = test_data::gaussian(shape[0] * shape[1], 3);
    let p = plan(&noise, &shape, Bound::RelL2(1e-4)).unwrap();
    let (e, y) = encode_planned_reconstructed(&noise, &shape, &p).unwrap();
    let most = (p.bytes() / slabs::SLAB_BYTES) as usize;
    assert!(most >= 2, "{}", p.bytes());
    let cut = Slabs::of(&shape, p.bytes());
    assert!(cut.count() > 1 && cut.count() <= most);
    assert_ne!(e.params[0] & FLAG_SLABS, 0);
    assert_eq!(decode(&e.params, &e.payload, &shape).unwrap(), y);
    assert!(relative_error(&noise, &y) <= 1e-4);
}

/// A step edge along the first axis of an image: the one-sided cubic and
/// the reversed axis order (the pass across the edge first, on half the
/// elements) each code it smaller than the plain cubic, and the chooser
/// finds them; a smooth field keeps the plain forward cubic or linear.
#[test]
fn edges_choose_the_one_sided_cubic_and_the_order_across_them_first() {
    let (rows, cols) = (256usize, 256usize);
    let at = |i: usize| {
        (
            (i / cols) as f64 / rows as f64,
            (i % cols) as f64 / cols as f64,
        )
    };
    let smooth: Vec<f32> = (0..rows * cols)
        .map(|i| {
            let (r, c) = at(i);
            ((3.0 * c).sin() * (2.0 * r).cos()) as f32
        })
        .collect();
    let x: Vec<f32> = (0..rows * cols)
        .map(|i| {
            let (r, c) = at(i);
            let edge = if c > 0.4 + 0.3 * r { 0.8 } else { 0.0 };
            smooth[i] + edge as f32
        })
        .collect();
    let shape = [rows, cols];
    let d = 2e-4;
    let size = |c: Config| encode_config(&x, &shape, d, c).unwrap().payload.len();
    let plain = Config {
        cubic: true,
        one_sided: false,
        reversed: false,
        alpha: 1.5,
        beta: 2.0,
    };
    let one_sided = size(Config {
        one_sided: true,
        ..plain
    });
    let reversed = size(Config {
        reversed: true,
        ..plain
    });
    assert!(
        one_sided * 10 < size(plain) * 9,
        "{one_sided} vs {}",
        size(plain)
    );
    assert!(
        reversed * 10 < size(plain) * 9,
        "{reversed} vs {}",
        size(plain)
    );
    let p = plan(&x, &shape, Bound::RelL2(1e-4)).unwrap();
    assert!(
        p.chosen.config.one_sided && p.chosen.config.reversed,
        "{:?}",
        p.chosen.config
    );
    let e = encode(&x, &shape, Bound::RelL2(1e-4)).unwrap();
    assert_ne!(e.params[0] & FLAG_ONE_SIDED, 0);
    assert_ne!(e.params[0] & FLAG_REVERSED, 0);
    let y = decode(&e.params, &e.payload, &shape).unwrap();
    assert!(relative_error(&x, &y) <= 1e-4);
    // A smooth field along both axes alike: neither flag pays its way.
    let p = plan(&smooth, &shape, Bound::RelL2(1e-3)).unwrap();
    assert!(!p.chosen.config.one_sided, "{:?}", p.chosen.config);
}

/// The new flags only in the forms that have them: the one-sided cubic
/// needs the cubic predictor, both need the second form's coder.
#[test]
fn one_sided_and_reversed_flags_are_checked() {
    let shape = [30, 20];
    let x = field(&shape, 1.0);
    let e = encode_config(&x, &shape, 1e-3, CONFIGS[4]).unwrap();
    for (flags, ok) in [
        (1 | FLAG_SYMBOLS | FLAG_F32 | FLAG_ONE_SIDED, true),
        (1 | FLAG_SYMBOLS | FLAG_F32 | FLAG_REVERSED, true),
        (FLAG_SYMBOLS | FLAG_F32 | FLAG_ONE_SIDED, false),
        (1 | FLAG_ONE_SIDED, false),
        (FLAG_REVERSED, false),
        (1 | FLAG_SYMBOLS | FLAG_F32 | 64, false),
    ] {
        let mut params = e.params.clone();
        params[0] = flags;
        let r = decode(&params, &e.payload, &shape);
        if ok {
            // A valid form. The one-sided cubic changes predictions only
            // (the integers decode as before); the reversed order reads
            // the integers in another order, which may not consume the
            // stream exactly: either way no panic.
            if flags & FLAG_REVERSED == 0 {
                assert_eq!(r.unwrap().len(), x.len(), "{flags}");
            }
        } else {
            assert!(matches!(r, Err(Error::Corrupt { .. })), "{flags}: {r:?}");
        }
    }
}

/// The quantisation passes of the step search (row by row, `solve.rs`)
/// against one element at a time through [`walk`], in the same order:
/// the same reconstruction, integers and error sum, bit for bit, for
/// every predictor, order and step shape, on shapes with edges of every
/// kind (1 to 5 axes, lengths 1 to 3 and primes), in f32 and f64.
#[test]
fn row_quantiser_matches_the_element_walk_bit_for_bit() {
    fn reference<T: Sample>(
        x: &[T],
        shape: &[usize],
        c: Config,
        d: f64,
    ) -> Option<(Vec<T::Store>, Vec<i64>, f64)> {
        let steps = walk::step_table(shape, d, c);
        let (mut y, mut q) = (vec![T::Store::default(); x.len()], vec![0i64; x.len()]);
        let mut sum = 0.0f64;
        let ok = walk::<true, T::Store>(shape, c, &mut y, |p, pred, l, _| {
            let (st, inv) = steps[l as usize];
            let v = x[p].to_f64();
            let u = (v - pred) * inv;
            let in_range = u.abs() <= crate::store::codec::quant::MAX_Q;
            if !in_range {
                return f64::NAN;
            }
            let k = round_small(u);
            q[p] = k as i64;
            let r = pred + k * st;
            let e = v - T::round(r);
            sum += e * e;
            r
        });
        ok.then_some((y, q, sum))
    }
    fn check<T: Sample>(x: &[T], shape: &[usize], c: Config, d: f64) -> bool
    where
        T::Store: PartialEq + std::fmt::Debug,
    {
        let want = reference(x, shape, c, d);
        let (mut y, mut q) = (vec![T::Store::default(); x.len()], vec![0i64; x.len()]);
        let got = quantise_all::<T, true>(x, shape, c, d, &mut y, &mut q, Slabs::whole(shape));
        match (want, got) {
            (Some((wy, wq, ws)), Some(s)) => {
                assert_eq!(wy, y, "{shape:?} {c:?}");
                assert_eq!(wq, q, "{shape:?} {c:?}");
                assert_eq!(ws.to_bits(), s.to_bits(), "{shape:?} {c:?}");
                true
            }
            (None, None) => false,
            (w, g) => panic!("{shape:?} {c:?}: {:?} vs {:?}", w.is_some(), g.is_some()),
        }
    }
    let shapes: [&[usize]; 10] = [
        &[1],
        &[2],
        &[3],
        &[97],
        &[5, 3],
        &[33, 17],
        &[1, 1, 300],
        &[4, 9, 6],
        &[13, 2, 11],
        &[2, 3, 4, 5, 3],
    ];
    for shape in shapes {
        let x = field(shape, 1.0);
        let x64: Vec<f64> = x.iter().map(|&v| f64::from(v) * (1.0 + 1e-9)).collect();
        for (cubic, one_sided, reversed) in PREDICTIONS {
            for (alpha, beta) in [(1.0, 1.0), (1.5, 2.0), (2.0, 4.0)] {
                let c = Config {
                    cubic,
                    one_sided,
                    reversed,
                    alpha,
                    beta,
                };
                for d in [1e-4, 3e-2, 0.7] {
                    assert!(check(&x, shape, c, d));
                    assert!(check(&x64, shape, c, d));
                }
            }
        }
    }
    // A residual out of range stops both at the same element.
    let mut x = field(&[33, 17], 1.0);
    x[33 * 17 - 2] = 1e30;
    let c = CONFIGS[3];
    assert!(!check(&x, &[33, 17], c, 1e-3));
}
