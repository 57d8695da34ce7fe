//! Softmax attention on both backends against the f64 definition: heads,
//! causal and padding masks, large logits, long sequences, bad arguments.

mod common;

use fft_tensor::layers::attention::AttentionOptions;
use fft_tensor::layers::reference::attention_f64;
use fft_tensor::testing::{compare_real, SplitMix64};
use fft_tensor::{Context, Error, Tensor};

fn random(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    (0..n).map(|_| rng.uniform() * scale).collect()
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

struct Case {
    b: usize,
    sq: usize,
    sk: usize,
    heads: usize,
    d: usize,
    causal: bool,
    padded: bool,
    logit_scale: f32,
}

fn check(ctx: &Context, c: &Case, seed: u64) {
    let hidden = c.heads * c.d;
    let q = random(c.b * c.sq * hidden, seed, c.logit_scale);
    let k = random(c.b * c.sk * hidden, seed + 1, 1.0);
    let v = random(c.b * c.sk * hidden, seed + 2, 1.0);
    // Padding: batch element b keeps its first sk - 3b keys (the last
    // element may keep none).
    let mask: Vec<bool> = (0..c.b * c.sk)
        .map(|i| (i % c.sk) + 3 * (i / c.sk) < c.sk)
        .collect();
    let options = AttentionOptions {
        heads: c.heads,
        causal: c.causal,
        scale: None,
    };
    let qt = Tensor::new(&[c.b, c.sq, hidden], q.clone()).unwrap();
    let kt = Tensor::new(&[c.b, c.sk, hidden], k.clone()).unwrap();
    let vt = Tensor::new(&[c.b, c.sk, hidden], v.clone()).unwrap();
    let y = ctx
        .attention(&qt, &kt, &vt, c.padded.then_some(&mask[..]), &options)
        .unwrap();
    let off = c.sk - c.sq;
    let want = attention_f64(
        &f64s(&q),
        &f64s(&k),
        &f64s(&v),
        (c.b, c.sq, c.sk, c.heads, c.d),
        1.0 / (c.d as f64).sqrt(),
        |b, i, j| (!c.causal || j <= i + off) && (!c.padded || mask[b * c.sk + j]),
    );
    let r = compare_real(y.data(), &want);
    assert!(
        r.rms_relative <= 1e-5 && r.first_non_finite.is_none(),
        "{} attention b{} sq{} sk{} heads{} d{} causal {} padded {} logits x{}: {r:?}",
        ctx.description(),
        c.b,
        c.sq,
        c.sk,
        c.heads,
        c.d,
        c.causal,
        c.padded,
        c.logit_scale
    );
}

fn attention_matches_the_definition(ctx: Context) {
    let cases = [
        (1, 1, 1, 1, 1, false, false),
        (2, 7, 7, 1, 3, false, false),
        (1, 65, 65, 2, 64, true, false),
        (2, 33, 100, 3, 16, false, true),
        (3, 17, 40, 2, 8, true, true),
        (1, 130, 130, 1, 128, true, false),
        (2, 5, 9, 5, 7, true, false),
    ];
    for (i, &(b, sq, sk, heads, d, causal, padded)) in cases.iter().enumerate() {
        let case = Case {
            b,
            sq,
            sk,
            heads,
            d,
            causal,
            padded,
            logit_scale: 1.0,
        };
        check(&ctx, &case, 10 * i as u64);
    }
}

fn softmax_is_stable_with_large_logits(ctx: Context) {
    // Logits of magnitude ~1e4 overflow exp in any unshifted softmax.
    for (i, &scale) in [1e3f32, 3e4].iter().enumerate() {
        let case = Case {
            b: 1,
            sq: 70,
            sk: 90,
            heads: 2,
            d: 16,
            causal: false,
            padded: true,
            logit_scale: scale,
        };
        check(&ctx, &case, 100 + i as u64);
    }
}

fn long_sequences_run_in_tiles(ctx: Context) {
    let case = Case {
        b: 1,
        sq: 2048,
        sk: 2048,
        heads: 1,
        d: 16,
        causal: true,
        padded: false,
        logit_scale: 2.0,
    };
    check(&ctx, &case, 7);
}

fn causal_rows_ignore_later_keys(ctx: Context) {
    let (s, hidden) = (50, 12);
    let q = Tensor::new(&[1, s, hidden], random(s * hidden, 1, 1.0)).unwrap();
    let k = random(s * hidden, 2, 1.0);
    let v = random(s * hidden, 3, 1.0);
    let options = AttentionOptions {
        heads: 3,
        causal: true,
        scale: None,
    };
    let run = |k: &[f32], v: &[f32]| {
        let kt = Tensor::new(&[1, s, hidden], k.to_vec()).unwrap();
        let vt = Tensor::new(&[1, s, hidden], v.to_vec()).unwrap();
        ctx.attention(&q, &kt, &vt, None, &options)
            .unwrap()
            .into_data()
    };
    let base = run(&k, &v);
    let cut = 20;
    let (mut k2, mut v2) = (k.clone(), v.clone());
    for x in k2[(cut + 1) * hidden..]
        .iter_mut()
        .chain(v2[(cut + 1) * hidden..].iter_mut())
    {
        *x = 100.0;
    }
    let changed = run(&k2, &v2);
    assert_eq!(base[..(cut + 1) * hidden], changed[..(cut + 1) * hidden]);
    assert_ne!(base[(cut + 1) * hidden..], changed[(cut + 1) * hidden..]);
}

fn attention_rejects_bad_arguments(ctx: Context) {
    let t = |s: &[usize]| Tensor::new(s, vec![0.0f32; s.iter().product()]).unwrap();
    let o = |heads, causal| AttentionOptions {
        heads,
        causal,
        scale: None,
    };
    let (q, k) = (t(&[1, 4, 8]), t(&[1, 6, 8]));
    assert!(matches!(
        ctx.attention(&q, &k, &t(&[1, 5, 8]), None, &o(1, false)),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ctx.attention(&q, &k, &k, None, &o(3, false)),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ctx.attention(&k, &q, &q, None, &o(1, true)),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ctx.attention(&q, &k, &k, Some(&[true; 5]), &o(1, false)),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ctx.attention(&t(&[4, 8]), &k, &k, None, &o(1, false)),
        Err(Error::ShapeMismatch { .. })
    ));
    let nan = AttentionOptions {
        scale: Some(f32::NAN),
        ..o(1, false)
    };
    assert!(matches!(
        ctx.attention(&q, &k, &k, None, &nan),
        Err(Error::InvalidArgument { .. })
    ));
}

backend_tests!(
    attention_matches_the_definition,
    softmax_is_stable_with_large_logits,
    long_sequences_run_in_tiles,
    causal_rows_ignore_later_keys,
    attention_rejects_bad_arguments
);
