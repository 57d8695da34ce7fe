// Scatters the kept coefficients of a sparse spectral tensor into a dense,
// zero-filled coefficient buffer: dense[pos[i] * comps + c] = values[i * comps + c]
// (comps = 1 for real DCT coefficients, 2 for complex FFT coefficients).
// One thread per kept coefficient.

override WG_SIZE: u32 = 256u;

struct Params {
    count: u32,
    comps: u32,
    groups_x: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read> positions: array<u32>;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> dense: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if i >= params.count {
        return;
    }
    let p = positions[i];
    for (var c = 0u; c < params.comps; c++) {
        dense[p * params.comps + c] = values[i * params.comps + c];
    }
}
