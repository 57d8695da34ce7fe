// use common/complex.wgsl
//
// Bluestein's algorithm, step 3: multiplies each length-m row of spectra in
// place by the spectrum of the chirp filter (which also carries 1/m and the
// plan's normalisation). One thread per point. A nonzero pipeline constant
// M stands for the uniform `m` (Bluestein's power-of-two rows: the position
// in the row is then a mask, not a division per thread, which software
// drivers run one lane at a time); M = 0 reads `m` (any row length).

override WG_SIZE: u32 = 256u;
override M: u32 = 0u;

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
    rows[id] = cmul(rows[id], filter_spectrum[id % select(params.m, M, M != 0u)]);
}
