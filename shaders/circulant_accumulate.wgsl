// Block-circulant product in the frequency domain: for batch row b, block
// row i and frequency f,
//   out[(b * p + i) * h + f] = sum_j w[(i * q + j) * h + f] * x[(b * q + j) * h + f]
// (complex), where w holds the half spectra of the blocks' first columns and
// x those of the input blocks. One thread per output frequency.

// use common/complex.wgsl

override WG_SIZE: u32 = 256u;

struct Params {
    batch: u32,
    p: u32,
    q: u32,
    h: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> w: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> x: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let h = params.h;
    if t >= params.batch * params.p * h {
        return;
    }
    let f = t % h;
    let row = t / h; // b * p + i
    let i = row % params.p;
    let b = row / params.p;
    var acc = vec2<f32>(0.0, 0.0);
    for (var j = 0u; j < params.q; j++) {
        acc += cmul(w[(i * params.q + j) * h + f], x[(b * params.q + j) * h + f]);
    }
    out[t] = acc;
}
