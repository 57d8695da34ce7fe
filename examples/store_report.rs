//! Numbers behind the README's compression section, on the example
//! checkpoint: every codec's size and measured error per tensor at a 1 %
//! bound, auto against the best INT8 layout, and how close the rANS coder
//! of `quant`/`dct-quant` gets to the order-0 entropy of its integers.
//!
//! ```sh
//! cargo run --release --example store_report
//! ```

use fft_tensor::store::codec::{dct_quant, quant};
use fft_tensor::store::{auto, dtype, example, Family, Method};
use fft_tensor::Context;

fn main() -> fft_tensor::Result<()> {
    let ctx = Context::cpu();
    let eps = 0.01;
    println!("per tensor, every candidate at max error {eps} (bytes = parameters + payload):");
    let (mut auto_total, mut int8_total, mut raw_total) = (0u64, 0u64, 0u64);
    for (name, dt, shape, values) in example::example_tensors(1) {
        let raw = if dtype::is_lossy_float(dt) {
            dtype::from_f32(dt, &values)
        } else {
            vec![0; values.len() * dt.bitsize() / 8]
        };
        raw_total += raw.len() as u64;
        if !dtype::is_lossy_float(dt) {
            auto_total += raw.len() as u64;
            int8_total += raw.len() as u64;
            continue;
        }
        let c = auto::choose(&ctx, Family::Auto, dt, &values, &shape, &raw, eps)?;
        println!("{name} {dt:?} {shape:?}: {} bytes raw", raw.len());
        for cand in &c.candidates {
            println!(
                "  {:<12} {:>9} bytes {:>8.2}x  error {:.3e}{}",
                cand.method.label(),
                cand.bytes,
                raw.len() as f64 / cand.bytes as f64,
                cand.error,
                if cand.error <= eps {
                    ""
                } else {
                    "  (misses the bound)"
                }
            );
        }
        let best_int8 = c
            .candidates
            .iter()
            .filter(|k| matches!(k.method, Method::Int8(_)) && k.error <= eps)
            .map(|k| k.bytes)
            .min()
            .unwrap_or(raw.len() as u64)
            .min(raw.len() as u64);
        println!(
            "  -> auto: {} ({} bytes); best INT8 meeting the bound: {best_int8} bytes",
            fft_tensor::store::codec::describe(
                c.encoded.codec,
                &c.encoded.params,
                Some(&c.encoded.payload),
                &shape
            ),
            c.encoded.stored_bytes()
        );
        auto_total += c.encoded.stored_bytes();
        int8_total += best_int8;

        let (_, qs) = quant::encode(&values, eps)?;
        let (_, ds) = dct_quant::encode(&ctx, &values, &shape, eps)?;
        for (label, s) in [("quant", qs), ("dct-quant", ds)] {
            let n = s.count as f64;
            println!(
                "  {label:<10} coder: {:.4} bits/value (table {:.4}, rANS {:.4}, raw bits {:.4}) vs order-0 entropy {:.4}",
                s.total_bits() as f64 / n,
                s.table_bits as f64 / n,
                s.rans_bits as f64 / n,
                s.extra_bits as f64 / n,
                s.entropy_bits / n
            );
        }
    }
    println!(
        "\ntensor bytes: raw {raw_total}, best INT8 layout per tensor {int8_total}, auto {auto_total} ({:.1} % below INT8)",
        100.0 * (1.0 - auto_total as f64 / int8_total as f64)
    );
    Ok(())
}
