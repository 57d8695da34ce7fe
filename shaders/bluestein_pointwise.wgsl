// use common/complex.wgsl
//
// Bluestein's algorithm, step 3: multiplies each length-m row of spectra in
// place by the spectrum of the chirp filter (which also carries 1/m and the
// plan's normalisation). One thread per point.

override WG_SIZE: u32 = 256u;

struct Params {
    m: u32,
    total: u32,
    groups_x: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<storage, read_write> rows: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> filter_spectrum: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if id >= params.total {
        return;
    }
    rows[id] = cmul(rows[id], filter_spectrum[id % params.m]);
}
