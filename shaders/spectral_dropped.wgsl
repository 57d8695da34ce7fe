// Parseval energy of the coefficients a sparse spectral tensor drops: every
// coefficient whose position is not among the kept ones (sorted, found by
// binary search) adds its squared magnitude, times 2 for interior bins of a
// real FFT's half spectrum.
//
// Scaled so that it neither over- nor underflows anywhere in the f32 range:
// each workgroup finds the largest dropped component, scales its values by
// the power of two 2^-e that brings that one into [1, 2) (two exact
// multiplications by normal powers of two), and sums the scaled squares.
// It writes (sum, e) per workgroup; the host adds sum * 2^(2e) in f64.
// Summing only what is dropped keeps the result accurate relative to
// itself, however small it is next to the total.

override WG_SIZE: u32 = 256u;

struct Params {
    count: u32,
    comps: u32,
    kept: u32,
    h1: u32,
    n_last: u32,
    groups_x: u32,
    half_spectrum: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read> spectrum: array<u32>;
@group(0) @binding(1) var<storage, read> positions: array<u32>;
@group(0) @binding(2) var<storage, read_write> partials: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> sums: array<f32, WG_SIZE>;
var<workgroup> wg_max: atomic<u32>;

const ABS_MASK: u32 = 0x7fffffffu;

fn is_kept(p: u32) -> bool {
    var lo = 0u;
    var hi = params.kept;
    while lo < hi {
        let mid = (lo + hi) / 2u;
        let q = positions[mid];
        if q == p {
            return true;
        }
        if q < p {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return false;
}

// 2^k for k in -126..=127, built from its bits (exact).
fn pow2(k: i32) -> f32 {
    return bitcast<f32>(u32(k + 127) << 23u);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let group = wid.x + wid.y * params.groups_x;
    let p = group * WG_SIZE + li;
    if li == 0u {
        atomicStore(&wg_max, 0u);
    }
    workgroupBarrier();
    let dropped = p < params.count && !is_kept(p);
    if dropped {
        var m = 0u;
        for (var c = 0u; c < params.comps; c++) {
            m = max(m, spectrum[p * params.comps + c] & ABS_MASK);
        }
        atomicMax(&wg_max, m);
    }
    workgroupBarrier();
    let largest = atomicLoad(&wg_max);
    // Exponent of the largest dropped component (subnormals count as 2^-126).
    let e = max(i32(largest >> 23u), 1) - 127;
    let down0 = pow2(-(e / 2));
    let down1 = pow2(-(e - e / 2));
    var x = 0.0;
    if dropped {
        for (var c = 0u; c < params.comps; c++) {
            let v = bitcast<f32>(spectrum[p * params.comps + c]) * down0 * down1;
            x += v * v;
        }
        let k = p % params.h1;
        let edge = k == 0u || (params.n_last % 2u == 0u && k == params.h1 - 1u);
        if params.half_spectrum != 0u && !edge {
            x *= 2.0;
        }
    }
    sums[li] = x;
    workgroupBarrier();
    var stride = WG_SIZE / 2u;
    while stride > 0u {
        if li < stride {
            sums[li] += sums[li + stride];
        }
        workgroupBarrier();
        stride /= 2u;
    }
    if li == 0u {
        partials[2u * group] = bitcast<u32>(sums[0]);
        partials[2u * group + 1u] = bitcast<u32>(e);
    }
}
