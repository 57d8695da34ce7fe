// The channel sum of an FFT convolution in the frequency domain:
// Y[n, co, f] = sum over ci of X[n, g * cig + ci, f] * W[co, ci, f] for the
// group g of co (W conjugated when flags bit 0 is set: a correlation).
// One thread per output frequency.

// use common/complex.wgsl

override WG_SIZE: u32 = 256u;

struct Params {
    total: u32,
    cin: u32,
    cout: u32,
    groups: u32,
    freqs: u32,
    flags: u32,
    groups_x: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if id >= params.total {
        return;
    }
    let f = id % params.freqs;
    let co = (id / params.freqs) % params.cout;
    let n = id / (params.freqs * params.cout);
    let cig = params.cin / params.groups;
    let g = co / (params.cout / params.groups);
    var acc = vec2<f32>(0.0, 0.0);
    for (var ci = 0u; ci < cig; ci++) {
        var wv = w[(co * cig + ci) * params.freqs + f];
        if (params.flags & 1u) != 0u {
            wv.y = -wv.y;
        }
        acc += cmul(x[(n * params.cin + g * cig + ci) * params.freqs + f], wv);
    }
    y[id] = acc;
}
