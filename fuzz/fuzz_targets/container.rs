//! Fuzzes the `.fftt` reader: parsing, CRC checks and every codec decoder.
//!
//! ```sh
//! cargo install cargo-fuzz
//! cd fuzz && cargo +nightly fuzz run container
//! ```
//!
//! Inputs are read twice: as they are (the CRCs reject almost all damage),
//! and with both CRCs of the preamble recomputed, so that the table parser
//! sees damaged tables; payloads are also decoded without their CRC check,
//! so the codec decoders see damaged bytes. Any panic, overflow or huge
//! allocation is a bug; errors are expected.

#![no_main]

use fft_tensor::store::format::Container;
use fft_tensor::Context;
use libfuzzer_sys::fuzz_target;

fn read(bytes: Vec<u8>) {
    let ctx = Context::cpu();
    if let Ok(c) = Container::from_bytes("fuzz", bytes) {
        for i in 0..c.entries().len() {
            let _ = c.decode_bytes(&ctx, i);
            let _ = c.decode_unchecked(&ctx, i);
        }
    }
}

fn fix_crcs(bytes: &mut [u8]) {
    if bytes.len() < 32 {
        return;
    }
    let tl = u64::from_le_bytes(bytes[16..24].try_into().unwrap());
    if tl <= bytes.len() as u64 - 32 {
        let t = crc32(&bytes[32..32 + tl as usize]);
        bytes[24..28].copy_from_slice(&t.to_le_bytes());
    }
    let p = crc32(&bytes[..28]);
    bytes[28..32].copy_from_slice(&p.to_le_bytes());
}

fn crc32(b: &[u8]) -> u32 {
    let mut c = !0u32;
    for &x in b {
        c ^= u32::from(x);
        for _ in 0..8 {
            c = (c >> 1) ^ (0xEDB8_8320 & (c & 1).wrapping_neg());
        }
    }
    !c
}

fuzz_target!(|data: &[u8]| {
    read(data.to_vec());
    let mut fixed = data.to_vec();
    fix_crcs(&mut fixed);
    read(fixed);
});
