// Parseval energy of the coefficients a sparse spectral tensor drops: every
// coefficient whose position is not among the kept ones (sorted, found by
// binary search) adds its squared magnitude, times 2 for interior bins of a
// real FFT's half spectrum. One partial sum per workgroup; the host adds the
// partials in f64. Summing only what is dropped keeps the result accurate
// relative to itself, however small it is next to the total.

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

@group(0) @binding(0) var<storage, read> spectrum: array<f32>;
@group(0) @binding(1) var<storage, read> positions: array<u32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> sums: array<f32, WG_SIZE>;

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

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let group = wid.x + wid.y * params.groups_x;
    let p = group * WG_SIZE + li;
    var e = 0.0;
    if p < params.count && !is_kept(p) {
        for (var c = 0u; c < params.comps; c++) {
            let v = spectrum[p * params.comps + c];
            e += v * v;
        }
        let k = p % params.h1;
        let edge = k == 0u || (params.n_last % 2u == 0u && k == params.h1 - 1u);
        if params.half_spectrum != 0u && !edge {
            e *= 2.0;
        }
    }
    sums[li] = e;
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
        partials[group] = sums[0];
    }
}
