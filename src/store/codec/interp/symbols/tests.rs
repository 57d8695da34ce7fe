use super::*;

fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

/// Codes `vals` (context, value) and decodes them back, checking every
/// value and that the stream is consumed exactly; returns the stream.
fn round_trip(vals: &[(usize, i64)], contexts: usize) -> Vec<u8> {
    let mut e = Encoder::new();
    let mut m = SymbolModel::new(contexts);
    for &(c, v) in vals {
        m.put(&mut e, c, v);
    }
    let s = e.finish();
    let mut d = Decoder::new(&s);
    let mut m = SymbolModel::new(contexts);
    for (i, &(c, v)) in vals.iter().enumerate() {
        assert_eq!(m.get(&mut d, c), v, "value {i}");
    }
    assert!(d.consumed_exactly());
    s
}

#[test]
fn adversarial_integer_streams_round_trip() {
    let big = (1i64 << 48) - 1;
    assert_eq!(round_trip(&[], 1).len(), 5);
    round_trip(&[(0, 0)], 1);
    round_trip(&[(0, -big)], 1);
    round_trip(&[(0, big)], 1);
    let zeros: Vec<(usize, i64)> = (0..100_000).map(|i| (i % 3, 0)).collect();
    // 100000 zeros cost about 0.0014 bits each (18 bytes), plus what the
    // three zero flags spend while they learn.
    let n = round_trip(&zeros, 3).len();
    assert!(n < 100, "{n} bytes");
    let alternating: Vec<(usize, i64)> = (0..20_000)
        .map(|i| (0, if i % 2 == 0 { big } else { -big }))
        .collect();
    round_trip(&alternating, 1);
    // Every class edge and every bit length, both signs.
    let mut edges = Vec::new();
    for k in 0..48 {
        for m in [1i64 << k, (1i64 << k) + 1, (2i64 << k) - 1] {
            edges.push((k % 2, m.min(big)));
            edges.push((k % 2, -m.min(big)));
        }
    }
    for m in 0..70 {
        edges.push((0, m));
        edges.push((1, -m));
    }
    round_trip(&edges, 2);
    let mut r = xorshift(11);
    let mixed: Vec<(usize, i64)> = (0..50_000)
        .map(|i| {
            let v = match r() % 6 {
                0 => 0,
                1 => (r() % 7) as i64 - 3,
                2 => (r() % 64) as i64 - 32,
                3 => (r() >> 17) as i64 * if r() & 1 == 0 { 1 } else { -1 },
                _ => (r() % 1000) as i64 - 500,
            };
            (i % 5, v)
        })
        .collect();
    round_trip(&mixed, 5);
}

#[test]
fn counted_cost_is_close_to_the_coded_size() {
    let mut r = xorshift(9);
    // Mostly small integers, skewed per context, and a few large ones.
    let vals: Vec<(usize, i64)> = (0..50_000)
        .map(|i| {
            let c = i % 4;
            let v = match r() % (4 + 8 * c as u64) {
                0 => (r() % 2000) as i64 - 1000,
                1..=3 => (r() % 9) as i64 - 4,
                _ => 0,
            };
            (c, v)
        })
        .collect();
    let real = (round_trip(&vals, 4).len() - 5) as f64 * 8.0;
    let mut cost = SymbolCost::new(4);
    for &(c, v) in &vals {
        cost.put(c, v);
    }
    let est = cost.bits();
    assert!((est / real - 1.0).abs() < 0.03, "{est} vs {real}");
}

#[test]
fn damaged_and_short_streams_do_not_panic() {
    let mut m = SymbolModel::new(2);
    let mut d = Decoder::new(&[]);
    for i in 0..1000 {
        let v = m.get(&mut d, i % 2);
        assert!(v.unsigned_abs() < 1 << 48);
    }
    assert!(d.overrun() > 0);
    let mut r = xorshift(3);
    for len in [1usize, 5, 17, 300] {
        let junk: Vec<u8> = (0..len).map(|_| r() as u8).collect();
        let mut m = SymbolModel::new(3);
        let mut d = Decoder::new(&junk);
        for i in 0..2000 {
            let v = m.get(&mut d, i % 3);
            assert!(v.unsigned_abs() < 1 << 48);
        }
        let ones = vec![0xffu8; len];
        let mut d = Decoder::new(&ones);
        for i in 0..2000 {
            let _ = m.get(&mut d, i % 3);
        }
    }
}
