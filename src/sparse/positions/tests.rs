//! Round trips, the documented example, exact minimum sizes, and damaged input.

use super::bits::low_mask;
use super::plan::shifted_gap_sum;
use super::*;

/// The positions error inside `Error::Positions`; any other error fails the
/// test.
fn typed<T>(r: Result<T>) -> Result<T, PositionsError> {
    r.map_err(|e| match e {
        Error::Positions(p) => p,
        other => panic!("expected Error::Positions, got {other:?}"),
    })
}

// The public functions, with the positions error unwrapped, so that the
// tests compare typed errors.
fn encode_positions(
    positions: &[u64],
    universe: u64,
    out: &mut Vec<u8>,
) -> Result<PositionsLayout, PositionsError> {
    typed(super::encode_positions(positions, universe, out))
}

fn encoded_len(positions: &[u64], universe: u64) -> Result<usize, PositionsError> {
    typed(super::encoded_len(positions, universe))
}

fn decode_positions(
    bytes: &[u8],
    universe: u64,
    count: u64,
) -> Result<(Vec<u64>, usize), PositionsError> {
    typed(super::decode_positions(bytes, universe, count))
}

/// Small deterministic PRNG (splitmix64).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_subset(universe: u64, density: f64, seed: u64) -> Vec<u64> {
    let mut rng = SplitMix64(seed);
    (0..universe).filter(|_| rng.chance(density)).collect()
}

fn clustered(universe: u64, seed: u64) -> Vec<u64> {
    let mut rng = SplitMix64(seed);
    let mut out = Vec::new();
    let mut p = rng.below(100);
    while p < universe {
        let run = 1 + rng.below(40);
        for q in p..(p + run).min(universe) {
            out.push(q);
        }
        p += run + 1 + rng.below(2000);
    }
    out
}

/// Encodes (after a prefix byte, to check appending), checks the length
/// against `encoded_len`, decodes (also with trailing junk) and compares.
fn roundtrip(positions: &[u64], universe: u64) -> (PositionsLayout, Vec<u8>) {
    let mut out = vec![0xAB];
    let layout = encode_positions(positions, universe, &mut out).unwrap();
    assert_eq!(out[0], 0xAB);
    let enc = out[1..].to_vec();
    assert_eq!(encoded_len(positions, universe).unwrap(), enc.len());
    let n = positions.len() as u64;
    let (dec, used) = decode_positions(&enc, universe, n).unwrap();
    assert_eq!(dec, positions);
    assert_eq!(used, enc.len());
    let mut junk = enc.clone();
    junk.extend_from_slice(&[0xFF; 11]);
    let (dec, used) = decode_positions(&junk, universe, n).unwrap();
    assert_eq!(dec, positions);
    assert_eq!(used, enc.len());
    (layout, enc)
}

/// Rice payload bits for parameter k, by definition.
fn rice_bits(positions: &[u64], k: u8) -> u64 {
    let n = positions.len() as u64;
    n * (u64::from(k) + 1) + shifted_gap_sum(positions, k)
}

fn is_valid(list: &[u64], universe: u64) -> bool {
    list.windows(2).all(|w| w[0] < w[1]) && list.iter().all(|&p| p < universe)
}

#[test]
fn format_example_from_docs() {
    let mut out = Vec::new();
    let layout = encode_positions(&[5, 6, 20], 100, &mut out).unwrap();
    assert_eq!(layout, PositionsLayout::Rice { k: 2 });
    assert_eq!(out, [0x03, 0x02, 0x85, 0x0B]);
    assert_eq!(decode_positions(&out, 100, 3), Ok((vec![5, 6, 20], 4)));
}

#[test]
fn empty() {
    for universe in [0, 1, 10, 1 << 40] {
        let (layout, enc) = roundtrip(&[], universe);
        assert_eq!(layout, PositionsLayout::Empty);
        assert_eq!(enc, [TAG_EMPTY]);
    }
}

#[test]
fn all() {
    for universe in [1u64, 2, 7, 8, 9, 1000] {
        let positions: Vec<u64> = (0..universe).collect();
        let (layout, enc) = roundtrip(&positions, universe);
        assert_eq!(layout, PositionsLayout::All);
        assert_eq!(enc, [TAG_ALL]);
    }
}

#[test]
fn universe_one() {
    assert_eq!(roundtrip(&[], 1).0, PositionsLayout::Empty);
    assert_eq!(roundtrip(&[0], 1).0, PositionsLayout::All);
}

#[test]
fn single_position_at_ends() {
    for universe in [2u64, 3, 100, 1000, 1 << 20, 1 << 40] {
        for p in [0, universe - 1] {
            let (layout, enc) = roundtrip(&[p], universe);
            if universe >= 100 {
                assert!(matches!(layout, PositionsLayout::Rice { .. }), "{layout:?}");
                assert!(enc.len() <= 2 + 6, "{}", enc.len());
            }
        }
    }
}

#[test]
fn dense_90_percent_chooses_bitmap() {
    let universe = 1_000_000;
    let positions = random_subset(universe, 0.9, 1);
    let (layout, enc) = roundtrip(&positions, universe);
    assert_eq!(layout, PositionsLayout::Bitmap);
    assert_eq!(enc.len() as u64, 1 + universe / 8);
}

#[test]
fn random_20_percent_size() {
    let universe = 1_000_000;
    let positions = random_subset(universe, 0.2, 2);
    let (layout, enc) = roundtrip(&positions, universe);
    assert_eq!(layout, PositionsLayout::Rice { k: 2 });
    let bits_per_position = enc.len() as f64 * 8.0 / positions.len() as f64;
    assert!(bits_per_position <= 3.9, "{bits_per_position}");
}

#[test]
fn random_1_percent() {
    let universe = 1_000_000;
    let positions = random_subset(universe, 0.01, 3);
    let (layout, enc) = roundtrip(&positions, universe);
    assert!(
        matches!(layout, PositionsLayout::Rice { k: 5..=7 }),
        "{layout:?}"
    );
    let bits_per_position = enc.len() as f64 * 8.0 / positions.len() as f64;
    assert!(bits_per_position <= 8.4, "{bits_per_position}");
}

#[test]
fn clustered_runs() {
    for seed in 0..4 {
        let positions = clustered(300_000, seed);
        roundtrip(&positions, 300_000);
    }
}

#[test]
fn large_universe_few_positions() {
    let universe = 1u64 << 36;
    let mut rng = SplitMix64(4);
    let mut positions: Vec<u64> = (0..1000).map(|_| rng.below(universe)).collect();
    positions.extend([0, universe - 1]);
    positions.sort_unstable();
    positions.dedup();
    let (layout, enc) = roundtrip(&positions, universe);
    assert!(
        matches!(layout, PositionsLayout::Rice { k: 24..=28 }),
        "{layout:?}"
    );
    assert!(enc.len() < 1000 * 30 / 8 + 64);
    // The largest universe, both ends.
    let (layout, _) = roundtrip(&[0, (1 << 40) - 1], 1 << 40);
    assert!(matches!(layout, PositionsLayout::Rice { .. }));
}

#[test]
fn small_universes_exhaustive() {
    // Every subset of every universe up to 10.
    for universe in 0u64..=10 {
        for mask in 0u64..(1 << universe) {
            let positions: Vec<u64> = (0..universe).filter(|i| mask >> i & 1 == 1).collect();
            roundtrip(&positions, universe);
        }
    }
}

#[test]
fn chosen_size_is_the_exact_minimum() {
    let mut cases: Vec<(Vec<u64>, u64)> = Vec::new();
    for (i, density) in [0.001, 0.01, 0.05, 0.2, 0.5, 0.7, 0.9, 0.99]
        .iter()
        .enumerate()
    {
        cases.push((random_subset(50_000, *density, 10 + i as u64), 50_000));
    }
    cases.push((clustered(100_000, 7), 100_000));
    // Skewed gaps: many zeros and a few huge ones.
    let mut skewed: Vec<u64> = (0..1000).collect();
    skewed.extend((0..10).map(|i| 1_000_000 + i * 10_000_000));
    cases.push((skewed, 1 << 30));
    cases.push((vec![5, 1 << 39], 1 << 40));
    for (positions, universe) in &cases {
        let (layout, enc) = roundtrip(positions, *universe);
        let best_rice = (0..=MAX_RICE_K)
            .map(|k| 2 + rice_bits(positions, k).div_ceil(8))
            .min()
            .unwrap();
        let bitmap = 1 + universe.div_ceil(8);
        assert_eq!(enc.len() as u64, best_rice.min(bitmap), "{layout:?}");
        if let PositionsLayout::Rice { k } = layout {
            assert_eq!(2 + rice_bits(positions, k).div_ceil(8), best_rice);
        }
    }
}

#[test]
fn invalid_inputs_to_encode() {
    let cases: [(&[u64], u64, PositionsError); 5] = [
        (
            &[3, 2],
            10,
            PositionsError::NotAscending {
                index: 1,
                previous: 3,
                position: 2,
            },
        ),
        (
            &[1, 4, 4],
            10,
            PositionsError::NotAscending {
                index: 2,
                previous: 4,
                position: 4,
            },
        ),
        (
            &[1, 10],
            10,
            PositionsError::OutOfRange {
                index: 1,
                position: 10,
                universe: 10,
            },
        ),
        (
            &[0],
            0,
            PositionsError::OutOfRange {
                index: 0,
                position: 0,
                universe: 0,
            },
        ),
        (
            &[],
            (1 << 40) + 1,
            PositionsError::InvalidParameter {
                what: "universe",
                value: (1 << 40) + 1,
                max: 1 << 40,
            },
        ),
    ];
    for (positions, universe, expected) in cases {
        let mut out = vec![7];
        assert_eq!(
            encode_positions(positions, universe, &mut out),
            Err(expected.clone())
        );
        assert_eq!(out, [7], "nothing appended on error");
        assert_eq!(encoded_len(positions, universe), Err(expected.clone()));
        assert!(!expected.to_string().is_empty());
    }
    // Unsorted in a long list, dense enough for a bitmap.
    let mut positions: Vec<u64> = (0..1000).collect();
    positions.swap(500, 501);
    assert!(matches!(
        encode_positions(&positions, 1001, &mut Vec::new()),
        Err(PositionsError::NotAscending { index: 501, .. })
    ));
}

#[test]
fn invalid_inputs_to_decode() {
    use PositionsError as E;
    assert_eq!(
        decode_positions(&[], 10, 0),
        Err(E::Truncated {
            needed_bits: 8,
            available_bits: 0
        })
    );
    assert_eq!(
        decode_positions(&[4], 10, 0),
        Err(E::UnknownLayout { tag: 4 })
    );
    assert_eq!(
        decode_positions(&[TAG_RICE, 41, 0], 10, 1),
        Err(E::InvalidParameter {
            what: "Rice parameter k",
            value: 41,
            max: 40
        })
    );
    assert_eq!(
        decode_positions(&[TAG_EMPTY], 10, 1),
        Err(E::CountMismatch {
            expected: 1,
            found: 0
        })
    );
    assert_eq!(
        decode_positions(&[TAG_ALL], 10, 9),
        Err(E::CountMismatch {
            expected: 9,
            found: 10
        })
    );
    assert_eq!(
        decode_positions(&[TAG_ALL], 10, 11),
        Err(E::CountExceedsUniverse {
            count: 11,
            universe: 10
        })
    );
    assert_eq!(
        decode_positions(&[TAG_EMPTY], 1 << 41, 0),
        Err(E::InvalidParameter {
            what: "universe",
            value: 1 << 41,
            max: 1 << 40
        })
    );
    // Bitmap of 10 bits with a padding bit set, and with the wrong count.
    assert_eq!(
        decode_positions(&[TAG_BITMAP, 0b1, 0b100], 10, 1),
        Err(E::NonZeroPadding { bit_offset: 18 })
    );
    assert_eq!(
        decode_positions(&[TAG_BITMAP, 0b101, 0b10], 10, 2),
        Err(E::CountMismatch {
            expected: 2,
            found: 3
        })
    );
    // Rice k = 0: gap 0 is one zero bit; a set padding bit is rejected.
    assert_eq!(
        decode_positions(&[TAG_RICE, 0, 0b0], 10, 1),
        Ok((vec![0], 3))
    );
    assert_eq!(
        decode_positions(&[TAG_RICE, 0, 0b10], 10, 1),
        Err(E::NonZeroPadding { bit_offset: 17 })
    );
    // Rice k = 0: gap 10 (ten one bits) is past a universe of 10.
    assert!(matches!(
        decode_positions(&[TAG_RICE, 0, 0xFF, 0b011], 10, 1),
        Err(E::OutOfRange {
            index: 0,
            position: 10,
            universe: 10
        })
    ));
    for e in [
        E::UnknownLayout { tag: 9 },
        E::NonZeroPadding { bit_offset: 3 },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn absurd_unary_run_is_rejected_early() {
    let mut bytes = vec![TAG_RICE, 0];
    bytes.extend(std::iter::repeat_n(0xFF, 1 << 20));
    let err = decode_positions(&bytes, 100, 1).unwrap_err();
    match err {
        PositionsError::RunTooLong {
            index: 0,
            bit_offset: 16,
            min_position,
            universe: 100,
        } => assert!((100..100 + 64).contains(&min_position)),
        other => panic!("{other:?}"),
    }
    // Same with a large k: the run is seen after the first chunk.
    let mut bytes = vec![TAG_RICE, 30];
    bytes.extend(std::iter::repeat_n(0xFF, 1 << 20));
    assert!(matches!(
        decode_positions(&bytes, 1 << 32, 1),
        Err(PositionsError::RunTooLong { .. })
    ));
}

#[test]
fn huge_count_with_short_buffer() {
    let universe = 1u64 << 40;
    let start = std::time::Instant::now();
    for tag in [TAG_EMPTY, TAG_ALL, TAG_BITMAP, TAG_RICE] {
        let bytes = [tag, 3, 0xFF, 0x00, 0x12];
        for count in [1u64 << 60, u64::MAX, universe, universe - 1, 1 << 30] {
            if tag == TAG_ALL && count == universe {
                continue; // a genuine "all 2^40 positions" request
            }
            assert!(decode_positions(&bytes, universe, count).is_err());
        }
    }
    assert!(matches!(
        decode_positions(&[TAG_RICE, 0, 0], universe, 1 << 60),
        Err(PositionsError::CountExceedsUniverse { .. })
    ));
    assert_eq!(
        decode_positions(&[TAG_RICE, 0, 0], universe, 1 << 30),
        Err(PositionsError::Truncated {
            needed_bits: 16 + (1 << 30),
            available_bits: 24
        })
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
}

fn sample_encodings() -> Vec<(Vec<u64>, u64)> {
    vec![
        (vec![], 0),
        (vec![], 50),
        (vec![0], 1),
        ((0..20).collect(), 20),
        (vec![0], 300),
        (vec![299], 300),
        (random_subset(300, 0.05, 20), 300),
        (random_subset(300, 0.3, 21), 300),
        (random_subset(200, 0.9, 22), 200),
        (random_subset(203, 0.5, 23), 203),
        (clustered(3000, 24), 3000),
        (vec![3, 1 << 35, (1 << 40) - 1], 1 << 40),
    ]
}

#[test]
fn every_truncation_is_an_error() {
    for (positions, universe) in sample_encodings() {
        let (_, enc) = roundtrip(&positions, universe);
        for len in 0..enc.len() {
            let result = decode_positions(&enc[..len], universe, positions.len() as u64);
            assert!(
                result.is_err(),
                "prefix {len} of {enc:?} decoded: {result:?}"
            );
        }
    }
}

#[test]
fn every_single_bit_flip_errors_or_stays_valid() {
    for (positions, universe) in sample_encodings() {
        let (_, enc) = roundtrip(&positions, universe);
        let count = positions.len() as u64;
        for bit in 0..enc.len() * 8 {
            let mut damaged = enc.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            // Also with trailing bytes, which a flip may pull into use.
            let mut padded = damaged.clone();
            padded.extend_from_slice(&[0xFF, 0x00, 0xA5]);
            for input in [&damaged, &padded] {
                if let Ok((list, used)) = decode_positions(input, universe, count) {
                    assert_eq!(list.len() as u64, count);
                    assert!(is_valid(&list, universe), "{list:?}");
                    assert!(used <= input.len());
                }
            }
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = SplitMix64(99);
    for _ in 0..20_000 {
        let len = rng.below(24) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if let Some(b) = bytes.first_mut() {
            *b %= 5;
        }
        if let Some(b) = bytes.get_mut(1) {
            *b %= 44;
        }
        let universe = [0, 1, 5, 64, 100, 1 << 20, 1 << 40][rng.below(7) as usize];
        let count = rng.below(40);
        if let Ok((list, used)) = decode_positions(&bytes, universe, count) {
            assert_eq!(list.len() as u64, count);
            assert!(is_valid(&list, universe));
            assert!(used <= bytes.len());
        }
    }
}

#[test]
fn long_unary_runs_roundtrip() {
    // Gaps far larger than 2^k exercise the multi-word unary writer and
    // the slow reader path: force them via a skewed list.
    let mut positions: Vec<u64> = (0..2000).collect();
    positions.push(2000 + 5000);
    positions.push(2000 + 5000 + 130);
    positions.push(2000 + 5000 + 130 + 64);
    let universe = 8000;
    let (layout, _) = roundtrip(&positions, universe);
    assert!(matches!(layout, PositionsLayout::Rice { .. }), "{layout:?}");
    // Direct writer check across every quotient length near word sizes.
    for k in [0u8, 1, 7, 20] {
        let gaps: Vec<u64> = (0..200u64)
            .map(|q| (q << k) | (q % 3).min(low_mask(u32::from(k))))
            .collect();
        let mut positions = Vec::new();
        let mut next = 0u64;
        for g in &gaps {
            positions.push(next + g);
            next += g + 1;
        }
        let mut out = vec![TAG_RICE, k];
        let mut w = BitWriter::new(&mut out);
        for &g in &gaps {
            w.put_rice(g, k);
        }
        w.finish();
        let universe = next + 1;
        assert_eq!(out.len() as u64, 2 + rice_bits(&positions, k).div_ceil(8));
        let (dec, used) = decode_positions(&out, universe, positions.len() as u64).unwrap();
        assert_eq!(dec, positions);
        assert_eq!(used, out.len());
    }
}
