// Rotary position encoding as complex multiplication: x is [b, seq, heads,
// half] complex values (a real head of 2 * half values read as interleaved
// pairs), each times rot[s, i] = exp(i * (offset + s) * theta_i), a table
// the host computes in f64. One thread per complex value, in place.

// use common/complex.wgsl

override WG_SIZE: u32 = 256u;

struct Params {
    total: u32,
    half: u32,
    per_pos: u32,
    seq: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> rot: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if id >= params.total {
        return;
    }
    let s = (id / params.per_pos) % params.seq;
    x[id] = cmul(x[id], rot[s * params.half + id % params.half]);
}
