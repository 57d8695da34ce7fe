//! `prune` (id 4): spatial top-k. The `k` values of largest magnitude are
//! kept as f16; every other value decodes to zero.
//!
//! Parameters: `u64` k. Payload: the kept positions (row-major element
//! indices, ascending) in the encoding of [`crate::sparse::positions`] with
//! universe `n` and count `k`, followed by `k` f16 values (little-endian),
//! in position order. Nothing follows.

use half::f16;

use super::{params_err, payload_err, CodecId, Cursor, Encoded};
use crate::error::{Error, Result};
use crate::sparse::positions::{decode_positions, encode_positions};

/// Keeps the `k` values of largest magnitude (ties: lower position first).
///
/// # Errors
/// [`Error::CodecUnsupported`] for more than `u32::MAX` elements;
/// [`Error::InvalidArgument`] for NaN/inf values or `k > n`.
pub fn encode_count(data: &[f32], k: usize) -> Result<Encoded> {
    if data.len() > u32::MAX as usize {
        return Err(Error::CodecUnsupported {
            codec: "prune",
            detail: format!("{} elements, at most 2^32 - 1", data.len()),
        });
    }
    if k > data.len() {
        return Err(Error::invalid(
            "k",
            format!("{k} of {} elements", data.len()),
        ));
    }
    let (positions, values): (Vec<u64>, Vec<f32>) = if k == 0 {
        (Vec::new(), Vec::new())
    } else {
        let top = crate::topk::top_k_cpu_f32(data, k)?;
        (
            top.positions.iter().map(|&p| u64::from(p)).collect(),
            top.values,
        )
    };
    let mut payload = Vec::new();
    encode_positions(&positions, data.len() as u64, &mut payload)?;
    for v in values {
        payload.extend_from_slice(&f16::from_f32(v).to_le_bytes());
    }
    Ok(Encoded {
        codec: CodecId::Prune,
        params: (k as u64).to_le_bytes().to_vec(),
        payload,
    })
}

/// Keeps the fewest values whose reconstruction (f16 rounding included)
/// has relative error at most `max_error`.
///
/// # Errors
/// As [`encode_count`]; [`Error::CodecUnsupported`] when even keeping
/// everything misses the bound (f16 overflow or rounding).
pub fn encode(data: &[f32], max_error: f64) -> Result<Encoded> {
    let n = data.len();
    // The magnitudes in ascending order, as f32 (half an f64 copy): an
    // f32's square is exact in f64, so the energies summed from them are
    // those of the values, in the same order.
    let mut mags: Vec<f32> = data.iter().map(|x| x.abs()).collect();
    mags.sort_unstable_by(f32::total_cmp);
    let sq = |i: usize| f64::from(mags[i]) * f64::from(mags[i]);
    // Largest first.
    let total: f64 = (0..n).rev().map(sq).sum();
    let mut budget = (max_error * 0.995).powi(2) * total;
    for _ in 0..6 {
        // Drop the smallest while their energy fits the budget.
        let mut dropped = 0.0;
        let mut k = n;
        while k > 0 && dropped + sq(n - k) <= budget {
            dropped += sq(n - k);
            k -= 1;
        }
        let enc = encode_count(data, k)?;
        let back = decode(&enc.params, &enc.payload, n)?;
        let err = super::relative_error(data, &back);
        if err <= max_error {
            return Ok(enc);
        }
        if k == n {
            break;
        }
        budget *= 0.9;
    }
    Err(Error::CodecUnsupported {
        codec: "prune",
        detail: format!("no k meets relative error {max_error}"),
    })
}

/// Scatters the kept values into a zero tensor of `n` elements.
pub fn decode(params: &[u8], payload: &[u8], n: usize) -> Result<Vec<f32>> {
    let mut p = Cursor::params(params);
    let k = p.u64("k")?;
    p.finish("k")?;
    if k > n as u64 {
        return Err(params_err(0, format!("k = {k} above {n} elements")));
    }
    if k.saturating_mul(2) > payload.len() as u64 {
        return Err(payload_err(
            payload.len(),
            format!("{k} f16 values do not fit in {} bytes", payload.len()),
        ));
    }
    let (positions, used) = decode_positions(payload, n as u64, k)
        .map_err(|e| payload_err(0, format!("positions: {e}")))?;
    let mut c = Cursor::payload(payload);
    c.take(used, "positions")?;
    let vals = c.take(2 * k as usize, "values")?;
    c.finish("values")?;
    let mut out = vec![0.0f32; n];
    for (&p, b) in positions.iter().zip(vals.chunks_exact(2)) {
        out[p as usize] = f16::from_le_bytes([b[0], b[1]]).to_f32();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{relative_error, test_data::gaussian};

    #[test]
    fn keeps_the_largest_and_meets_the_bound() {
        let e = encode_count(&[0.1, -3.0, 0.2, 2.0], 2).unwrap();
        assert_eq!(
            decode(&e.params, &e.payload, 4).unwrap(),
            [0.0, -3.0, 0.0, 2.0]
        );
        let x = gaussian(20_000, 11);
        for eps in [0.05, 0.3, 0.7] {
            let e = encode(&x, eps).unwrap();
            let y = decode(&e.params, &e.payload, x.len()).unwrap();
            let err = relative_error(&x, &y);
            assert!(err <= eps && err > 0.9 * eps, "{eps}: {err}");
        }
        let e = encode_count(&x, 0).unwrap();
        assert!(decode(&e.params, &e.payload, x.len())
            .unwrap()
            .iter()
            .all(|&v| v == 0.0));
    }

    #[test]
    fn damaged_prune_payloads_are_errors() {
        let x = gaussian(1000, 12);
        let e = encode_count(&x, 100).unwrap();
        assert!(decode(&e.params, &e.payload[..e.payload.len() - 1], 1000).is_err());
        assert!(decode(&1001u64.to_le_bytes(), &e.payload, 1000).is_err());
        assert!(decode(&u64::MAX.to_le_bytes(), &e.payload, 1000).is_err());
        let mut long = e.payload.clone();
        long.push(0);
        assert!(decode(&e.params, &long, 1000).is_err());
    }

    /// The count the encoder's first try keeps, as it was found before the
    /// magnitudes were sorted as f32: from the f64 squares sorted largest
    /// first.
    fn first_count_from_f64_squares(data: &[f32], max_error: f64) -> usize {
        let mut sq: Vec<f64> = data.iter().map(|&x| f64::from(x) * f64::from(x)).collect();
        sq.sort_unstable_by(|a, b| b.total_cmp(a));
        let total: f64 = sq.iter().sum();
        let budget = (max_error * 0.995).powi(2) * total;
        let (mut dropped, mut k) = (0.0, sq.len());
        while k > 0 && dropped + sq[k - 1] <= budget {
            dropped += sq[k - 1];
            k -= 1;
        }
        k
    }

    #[test]
    fn f32_magnitudes_keep_what_f64_squares_kept() {
        let mut ties = gaussian(5_001, 13);
        for (i, v) in ties.iter_mut().enumerate() {
            *v = (*v * 4.0).round() * if i % 3 == 0 { -1.0 } else { 1.0 };
        }
        // (Values beyond f16's range are refused either way.)
        for x in [
            gaussian(7_919, 5),
            ties,
            vec![0.5; 3],
            vec![-300.0, 2.0, 1e-3],
        ] {
            for eps in [0.01, 0.2, 0.9] {
                let e = encode(&x, eps).unwrap();
                let k = u64::from_le_bytes(e.params[..].try_into().unwrap()) as usize;
                let first = first_count_from_f64_squares(&x, eps);
                // The first try meets the bound on data without f16 trouble.
                assert_eq!(k, first, "{} values at {eps}", x.len());
                assert_eq!(e, encode_count(&x, first).unwrap());
            }
        }
    }
}
