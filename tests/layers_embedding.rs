//! Complex embeddings and RoPE on both backends against f64 definitions.

mod common;

use fft_tensor::layers::embedding::{ComplexEmbedding, Rope};
use fft_tensor::num_complex::{Complex32, Complex64};
use fft_tensor::testing::{compare_complex, compare_real, SplitMix64};
use fft_tensor::{Context, Error, Tensor};

fn embedding_lookup_is_exact(ctx: Context) {
    for &(vocab, dim, n) in &[(1, 1, 1), (7, 3, 20), (1000, 64, 257)] {
        let mut rng = SplitMix64(vocab as u64);
        let table = rng.complex_vec(vocab * dim);
        let ids: Vec<u32> = (0..n)
            .map(|_| (rng.next_u64() % vocab as u64) as u32)
            .collect();
        let e = ComplexEmbedding::new(vocab, dim, table.clone()).unwrap();
        let z = ctx.embed(&e, &ids).unwrap();
        assert_eq!(z.shape(), &[n, dim]);
        for (i, &id) in ids.iter().enumerate() {
            assert_eq!(
                z.data()[i * dim..][..dim],
                table[id as usize * dim..][..dim]
            );
        }
    }
    let e = ComplexEmbedding::new(5, 2, vec![Complex32::new(0.0, 0.0); 10]).unwrap();
    match ctx.embed(&e, &[1, 5]) {
        Err(Error::InvalidArgument { detail, .. }) => {
            assert!(detail.contains("id 5 at position 1"), "{detail}")
        }
        other => panic!("expected an id error, got {other:?}"),
    }
    assert!(matches!(
        ctx.embed(&e, &[]),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ComplexEmbedding::new(5, 2, vec![]),
        Err(Error::ShapeMismatch { .. })
    ));
}

fn rope_matches_the_rotation(ctx: Context) {
    // (batch, seq, heads, head_dim, offset): odd sequences, long positions.
    for &(b, s, heads, hd, offset) in &[
        (1, 1, 1, 2, 0),
        (2, 7, 3, 8, 0),
        (1, 33, 2, 64, 5000),
        (1, 3, 1, 128, 1 << 20),
    ] {
        let hidden = heads * hd;
        let mut rng = SplitMix64(s as u64);
        let x: Vec<f32> = (0..b * s * hidden).map(|_| rng.uniform()).collect();
        let rope = Rope {
            heads,
            base: 10000.0,
            offset,
        };
        let y = ctx
            .rope(&Tensor::new(&[b, s, hidden], x.clone()).unwrap(), &rope)
            .unwrap();
        let mut want = vec![0.0f64; x.len()];
        for (p, pair) in x.chunks(2).enumerate() {
            let k = p % (hd / 2);
            let pos = (p / (hidden / 2)) % s + offset;
            let a = pos as f64 * 10000f64.powf(-2.0 * k as f64 / hd as f64);
            let (c, sn) = (a.cos(), a.sin());
            let (x0, x1) = (f64::from(pair[0]), f64::from(pair[1]));
            want[2 * p] = x0 * c - x1 * sn;
            want[2 * p + 1] = x0 * sn + x1 * c;
        }
        let r = compare_real(y.data(), &want);
        assert!(
            r.rms_relative <= 1e-6,
            "{} rope {b}x{s}x{heads}x{hd} +{offset}: {r:?}",
            ctx.description()
        );
        // The complex form on the same values agrees.
        let z: Vec<Complex32> = x.chunks(2).map(|p| Complex32::new(p[0], p[1])).collect();
        let zc = ctx
            .rope_complex(&Tensor::new(&[b, s, hidden / 2], z).unwrap(), &rope)
            .unwrap();
        let want_c: Vec<Complex64> = want.chunks(2).map(|p| Complex64::new(p[0], p[1])).collect();
        let r = compare_complex(zc.data(), &want_c);
        assert!(r.rms_relative <= 1e-6, "rope_complex: {r:?}");
    }
    let odd = Tensor::new(&[1, 2, 6], vec![0.0; 12]).unwrap();
    assert!(matches!(
        ctx.rope(
            &odd,
            &Rope {
                heads: 2,
                base: 1e4,
                offset: 0
            }
        ),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ctx.rope(
            &Tensor::new(&[4], vec![0.0; 4]).unwrap(),
            &Rope {
                heads: 1,
                base: 1e4,
                offset: 0
            }
        ),
        Err(Error::ShapeMismatch { .. })
    ));
}

backend_tests!(embedding_lookup_is_exact, rope_matches_the_rotation);
