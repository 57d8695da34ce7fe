use super::*;

fn round_trip(values: &[i64]) -> (Vec<u8>, StreamStats) {
    let mut out = Vec::new();
    let stats = encode(values, &mut out);
    assert_eq!(
        stats.total_bits().div_ceil(8) as usize,
        out.len(),
        "size accounting"
    );
    let mut c = Cursor::payload(&out);
    let back = decode(&mut c, values.len()).unwrap();
    assert_eq!(back, values);
    c.finish("stream").unwrap();
    (out, stats)
}

/// Round trip of `values` in the layout given, the stream returned.
fn round_trip_layout(values: &[i64], two: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let stats = encode_layout(values.len(), |i| values[i], &mut out, two);
    assert_eq!(stats.total_bits().div_ceil(8) as usize, out.len());
    let mut c = Cursor::payload(&out);
    assert_eq!(decode(&mut c, values.len()).unwrap(), values);
    c.finish("stream").unwrap();
    out
}

#[test]
fn both_layouts_round_trip_at_every_parity_and_size() {
    let g = super::super::test_data::gaussian(20_001, 11);
    for n in [0usize, 1, 2, 3, 4095, 4096, 4097, 20_000, 20_001] {
        let mut q: Vec<i64> = g[..n].iter().map(|&x| (x * 40.0).round() as i64).collect();
        // Escapes with raw bits among the literals.
        for i in (0..n).step_by(331) {
            q[i] = (1i64 << (i % 45)) * if i % 2 == 0 { 1 } else { -1 };
        }
        let one = round_trip_layout(&q, false);
        let two = round_trip_layout(&q, true);
        // The second state costs at most its four bytes and a little
        // renormalisation.
        assert!(
            two.len() <= one.len() + 8,
            "{n}: {} vs {}",
            two.len(),
            one.len()
        );
        // The writer's choice.
        let mut w = Vec::new();
        encode(&q, &mut w);
        assert_eq!(w, if n >= TWO_STATES_FROM { two } else { one }, "{n}");
    }
    // One symbol throughout, and every value distinct.
    round_trip_layout(&[7; 10_000], true);
    round_trip_layout(&(0..10_000).collect::<Vec<_>>(), true);
}

#[test]
fn every_frequency_codes_in_two_states() {
    // Value v appears v + 1 times: frequencies from 1 upwards at every
    // scale the encoder picks, in both layouts.
    let mut q = Vec::new();
    for v in 0..300i64 {
        q.extend(std::iter::repeat_n(v - 150, v as usize + 1));
    }
    let mut seed = 5u64;
    for i in (1..q.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        q.swap(i, (seed >> 33) as usize % (i + 1));
    }
    round_trip_layout(&q, true);
    round_trip_layout(&q, false);
}

#[test]
fn damaged_two_state_streams_are_errors_and_never_panic() {
    let g = super::super::test_data::gaussian(5000, 6);
    let q: Vec<i64> = g.iter().map(|&x| (x * 50.0).round() as i64).collect();
    let out = round_trip_layout(&q, true);
    for cut in (0..out.len()).step_by(7).chain(out.len() - 9..out.len()) {
        let mut c = Cursor::payload(&out[..cut]);
        assert!(decode(&mut c, q.len()).is_err(), "truncated at {cut}");
    }
    for i in 0..out.len().min(600) {
        for bit in [0x01u8, 0x40, 0x80] {
            let mut bad = out.clone();
            bad[i] ^= bit;
            let mut c = Cursor::payload(&bad);
            let _ = decode(&mut c, q.len());
        }
    }
    // A second state that is out of range, and a stream too short for
    // two states.
    let mut hdr = Vec::new();
    put_varint(&mut hdr, 0);
    hdr.push(2 | TWO_STATES);
    put_varint(&mut hdr, 2);
    put_varint(&mut hdr, 2);
    put_varint(&mut hdr, 2);
    for (r, states) in [(8u64, [RANS_L, 5]), (4, [RANS_L, RANS_L])] {
        let mut bad = hdr.clone();
        put_varint(&mut bad, r);
        for x in states.iter().take(r as usize / 4) {
            bad.extend_from_slice(&x.to_le_bytes());
        }
        let mut c = Cursor::payload(&bad);
        assert!(decode(&mut c, 2).is_err(), "{r}");
    }
}

#[test]
fn zigzag_round_trip() {
    for q in [0i64, 1, -1, 2, -2, 1 << 46, -(1 << 46), i64::MAX / 4] {
        assert_eq!(unzigzag(zigzag(q)), q);
    }
}

#[test]
fn reciprocal_division_is_exact() {
    // Every frequency, states at the ends of the range and in between.
    for s in [1u32, 7, 12, 16] {
        for f in 1..(1u32 << s) {
            let e = EncSymbol::new(f, 0, s);
            let mut seed = u64::from(f) * 0x9e37_79b9_7f4a_7c15;
            let mut xs = vec![0u32, 1, f - 1, f, e.x_max - 1, e.x_max / 2];
            for _ in 0..4 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                xs.push(((seed >> 33) as u32) % e.x_max);
            }
            for x in xs {
                let q = ((u64::from(x) * e.rcp) >> e.shift) as u32;
                assert_eq!(q, x / f, "x {x} f {f}");
            }
        }
    }
}

#[test]
fn small_and_edge_streams() {
    round_trip(&[]);
    round_trip(&[0]);
    round_trip(&[5; 100]);
    round_trip(&[0, 1, -1, 1 << 40, -(1 << 40), 3]);
    round_trip(&(-300..300).collect::<Vec<_>>());
}

#[test]
fn close_to_entropy_on_gaussian_integers() {
    let g = super::super::test_data::gaussian(200_000, 3);
    let q: Vec<i64> = g.iter().map(|&x| (x * 30.0).round() as i64).collect();
    let (out, stats) = round_trip(&q);
    let bps = 8.0 * out.len() as f64 / q.len() as f64;
    let h = stats.entropy_bits / q.len() as f64;
    assert!(bps < h + 0.02, "{bps} bits/value vs entropy {h}");
}

#[test]
fn skewed_stream_costs_far_below_a_bit() {
    let mut q = vec![0i64; 100_000];
    for i in (0..q.len()).step_by(97) {
        q[i] = (i % 7) as i64 - 3;
    }
    let (out, stats) = round_trip(&q);
    let bps = 8.0 * out.len() as f64 / q.len() as f64;
    let h = stats.entropy_bits / q.len() as f64;
    assert!(bps < h * 1.1 + 0.002, "{bps} vs {h}");
}

#[test]
fn nearly_constant_long_stream_costs_its_entropy_not_the_scale() {
    // A million zeros and a few dozen other values: a small scale would
    // give each rare symbol 1/2^s and cost every zero ~0.05 bit (7.5 kB
    // here); the layout choice must see that.
    let mut q = vec![0i64; 1 << 20];
    for (j, i) in (0..q.len()).step_by(20_011).enumerate() {
        q[i] = [1, -1, 2, -7, 40, 1 << 20][j % 6];
    }
    let (out, stats) = round_trip(&q);
    let ideal = (stats.entropy_bits / 8.0).ceil() as usize;
    assert!(
        out.len() < ideal + 120,
        "{} bytes for {ideal} of entropy",
        out.len()
    );
}

#[test]
fn size_estimate_is_close_to_the_coded_size() {
    let mut streams = varied_streams();
    let mut skewed = vec![0i64; 300_000];
    for i in (0..skewed.len()).step_by(1_001) {
        skewed[i] = (i % 5) as i64 - 2;
    }
    streams.push(skewed);
    for (k, q) in streams.iter().enumerate() {
        let mut out = Vec::new();
        encode(q, &mut out);
        let est = size_by(q.len(), |i| q[i]) as f64;
        let real = out.len() as f64;
        // A byte or two of header either way on short streams.
        assert!(
            (est - real).abs() <= 0.02 * real + 8.0,
            "stream {k} (n {}): estimated {est} bytes, coded {real}",
            q.len()
        );
    }
}

#[test]
fn damaged_streams_are_errors() {
    let g = super::super::test_data::gaussian(2000, 5);
    let q: Vec<i64> = g.iter().map(|&x| (x * 50.0).round() as i64).collect();
    let mut out = Vec::new();
    encode(&q, &mut out);
    for cut in 0..out.len() {
        let mut c = Cursor::payload(&out[..cut]);
        assert!(decode(&mut c, q.len()).is_err(), "truncated at {cut}");
    }
    for i in 0..out.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = out.clone();
            bad[i] ^= bit;
            let mut c = Cursor::payload(&bad);
            // A flip may still decode (to other values); it must not panic.
            let _ = decode(&mut c, q.len());
        }
    }
}

/// Streams whose alphabets, escapes and tails differ: quantised Gaussian
/// and heavy-tailed (Student-t like) values at several scales, huge
/// values near the coder's limit, constant and tiny streams.
fn varied_streams() -> Vec<Vec<i64>> {
    let g = super::super::test_data::gaussian(300_001, 5);
    let h = super::super::test_data::gaussian(300_001, 6);
    let mut out: Vec<Vec<i64>> = Vec::new();
    for scale in [0.01f64, 0.4, 3.0, 29.0, 290.0, 2900.0, 40_000.0, 3e6] {
        for n in [0usize, 1, 2, 3, 7, 4095, 4096, 4097, 65_537, 300_001] {
            // A Gaussian divided by the root of another's square: heavy
            // tails, so escapes of every width.
            let q: Vec<i64> = (0..n)
                .map(|i| {
                    let t = f64::from(g[i]) / (0.2 + f64::from(h[i]).abs());
                    (t * scale).round() as i64
                })
                .collect();
            out.push(q);
        }
    }
    let mut extreme = vec![0i64; 10_000];
    for (i, v) in extreme.iter_mut().enumerate() {
        *v = match i % 5 {
            0 => (1i64 << 46) - 1,
            1 => -(1i64 << 46),
            2 => (i as i64) << 20,
            _ => (i % 3) as i64,
        };
    }
    out.push(extreme);
    out.push(vec![-3; 9_999]);
    out.push(vec![1 << 33; 5_000]);
    out.push((0..70_000).collect());
    out.push((0..70_000).map(|i| -i * 1_000).collect());
    out
}

#[test]
fn the_fused_encoder_writes_the_reference_bytes() {
    for (k, q) in varied_streams().iter().enumerate() {
        for two in [false, true] {
            let mut new = Vec::new();
            let stats = encode_layout(q.len(), |i| q[i], &mut new, two);
            let mut old = Vec::new();
            let ref_stats = reference::encode_layout_reference(q.len(), |i| q[i], &mut old, two);
            assert_eq!(new, old, "stream {k} (n {}, two {two})", q.len());
            assert_eq!(stats, ref_stats, "stream {k}");
            let mut c = Cursor::payload(&new);
            assert_eq!(&decode(&mut c, q.len()).unwrap(), q, "stream {k}");
            c.finish("stream").unwrap();
        }
    }
}

#[test]
fn heap_normalisation_matches_the_scanning_one() {
    // Counts of every shape: one dominant symbol, long flat tails, many
    // ties, absent symbols, and more symbols than small scales hold.
    let mut cases: Vec<Vec<u64>> = vec![
        vec![1, 0],
        vec![0, 5],
        vec![1_000_000, 1],
        vec![3; 1000],
        (1..2000).collect(),
        (0..700)
            .map(|i| if i % 3 == 0 { 0 } else { 1 + i % 11 })
            .collect(),
        (0..300).map(|i| 1u64 << (i % 40)).collect(),
    ];
    let g = super::super::test_data::gaussian(50_000, 9);
    let mut hist = vec![0u64; 4001];
    for &x in &g {
        hist[((f64::from(x) * 400.0).round() as i64 + 2000).clamp(0, 4000) as usize] += 1;
    }
    cases.push(hist);
    for (k, counts) in cases.iter().enumerate() {
        let n: u64 = counts.iter().sum::<u64>().max(1);
        let present = counts.iter().filter(|&&c| c > 0).count().max(2) as u64;
        let min_s = (64 - (present - 1).leading_zeros()).max(1);
        for s in min_s..=MAX_SCALE {
            let f = normalize(counts, n, s);
            assert_eq!(
                f,
                reference::normalize_reference(counts, n, s),
                "case {k} scale {s}"
            );
            assert_eq!(f.iter().map(|&x| u64::from(x)).sum::<u64>(), 1u64 << s);
        }
    }
}
