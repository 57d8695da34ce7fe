// Magnitude keys for exact top-k selection. Prepended to kernels that
// declare `// use common/topk_key.wgsl`.
//
// Elements are read as raw 32-bit words (never as floats) so that values are
// copied bit for bit and f32 keys involve no arithmetic at all.
//
// * f32 (WORDS = 1): key = bits of |x| = word & 0x7fffffff. For non-negative
//   floats the bit pattern orders like the value, so keys compare as u32.
// * complex (WORDS = 2): key = bits of re*re + im*im computed in f32, with
//   each product and the sum flushed to zero when subnormal and the result
//   capped at the bits of +inf. The CPU twin computes the same expression;
//   a driver may still fuse a multiply-add, which can move a key by one ulp.
//
// A non-finite input (NaN or +-inf in any part) is "bad"; the kernels that
// check report the first bad index instead of selecting.

override WORDS: u32 = 1u;

const KEY_INF: u32 = 0x7f800000u;
const ABS_MASK: u32 = 0x7fffffffu;
const MIN_NORMAL: u32 = 0x00800000u;

// State words ST_* shared with Rust: see SHARED_CONSTANTS in src/shaders.rs.

fn flush_subnormal(x: f32) -> f32 {
    if (bitcast<u32>(x) & ABS_MASK) < MIN_NORMAL {
        return 0.0;
    }
    return x;
}

fn topk_key(w0: u32, w1: u32) -> u32 {
    if WORDS == 1u {
        return w0 & ABS_MASK;
    }
    let re = bitcast<f32>(w0);
    let im = bitcast<f32>(w1);
    let m = flush_subnormal(re * re) + flush_subnormal(im * im);
    var key = bitcast<u32>(m) & ABS_MASK;
    if key < MIN_NORMAL {
        key = 0u;
    }
    return min(key, KEY_INF);
}

fn topk_bad(w0: u32, w1: u32) -> bool {
    let bad0 = (w0 & ABS_MASK) >= KEY_INF;
    if WORDS == 1u {
        return bad0;
    }
    return bad0 || (w1 & ABS_MASK) >= KEY_INF;
}
