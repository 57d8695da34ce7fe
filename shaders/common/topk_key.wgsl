// Magnitude keys for exact top-k selection. Prepended to kernels that
// declare `// use common/topk_key.wgsl`.
//
// Elements are read as raw 32-bit words (never as floats) so that values are
// copied bit for bit and keys involve no float arithmetic at all.
//
// * f32 (WORDS = 1): key = bits of |x| = word & 0x7fffffff. For non-negative
//   floats the bit pattern orders like the value, so keys compare as u32.
// * complex (WORDS = 2): key = |z|^2 as a 10-bit exponent field and a 22-bit
//   truncated mantissa, from integer operations only (the mantissas aligned
//   to the larger exponent, a^2 + b^2 formed exactly in two 24-bit limbs).
//   The CPU twin (`complex_key` in src/topk/mod.rs) performs the same
//   operations, so both backends compute the same key bit for bit; it never
//   under- or overflows, and power-of-two scaling shifts every key's
//   exponent field alike.
//
// A non-finite input (NaN or +-inf in any part) is "bad"; the kernels that
// check report the first bad index instead of selecting.

override WORDS: u32 = 1u;

const KEY_INF: u32 = 0x7f800000u;
const ABS_MASK: u32 = 0x7fffffffu;

// State words ST_* shared with Rust: see SHARED_CONSTANTS in src/shaders.rs.

// Exponent field (at least 1) and 24-bit integer mantissa of a float's bits.
fn key_exponent(w: u32) -> u32 {
    return max((w & ABS_MASK) >> 23u, 1u);
}

fn key_mantissa(w: u32) -> u32 {
    let bits = w & ABS_MASK;
    var implicit = 0u;
    if (bits >> 23u) > 0u {
        implicit = 0x800000u;
    }
    return (bits & 0x7fffffu) | implicit;
}

fn key_align(m: u32, d: u32) -> u32 {
    if d >= 24u {
        return 0u;
    }
    return m >> d;
}

fn complex_key(w0: u32, w1: u32) -> u32 {
    let ex = key_exponent(w0);
    let ey = key_exponent(w1);
    let e = max(ex, ey);
    let a = key_align(key_mantissa(w0), e - ex);
    let b = key_align(key_mantissa(w1), e - ey);
    let ah = a >> 12u;
    let al = a & 0xfffu;
    let bh = b >> 12u;
    let bl = b & 0xfffu;
    let mid = 2u * (ah * al + bh * bl);
    let low0 = al * al + bl * bl + ((mid & 0xfffu) << 12u);
    let high = ah * ah + bh * bh + (mid >> 12u) + (low0 >> 24u);
    let low = low0 & 0xffffffu;
    if high == 0u && low == 0u {
        return 0u;
    }
    var lead = 0u;
    if high > 0u {
        lead = 55u - countLeadingZeros(high);
    } else {
        lead = 31u - countLeadingZeros(low);
    }
    var window = 0u;
    if lead < 23u {
        window = low << (23u - lead);
    } else if lead - 23u >= 24u {
        window = high >> (lead - 47u);
    } else {
        let sh = lead - 23u;
        // sh == 0 only when high == 0; avoid a shift by 24 of a nonzero word.
        var top = 0u;
        if high != 0u {
            top = high << (24u - sh);
        }
        window = top | (low >> sh);
    }
    let exponent = lead + 2u * e - 1u;
    return (exponent << 22u) | ((window & 0x7fffffu) >> 1u);
}

fn topk_key(w0: u32, w1: u32) -> u32 {
    if WORDS == 1u {
        return w0 & ABS_MASK;
    }
    return complex_key(w0, w1);
}

fn topk_bad(w0: u32, w1: u32) -> bool {
    let bad0 = (w0 & ABS_MASK) >= KEY_INF;
    if WORDS == 1u {
        return bad0;
    }
    return bad0 || (w1 & ABS_MASK) >= KEY_INF;
}
