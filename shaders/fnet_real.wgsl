// FNet mixing's last step: the real part of a full 2-D spectrum [b, S, H]
// from the half spectrum [b, S, H/2+1] of a real input, by Hermitian
// symmetry (Re X[s, h] = Re X[(S - s) % S, H - h]). One thread per output.

override WG_SIZE: u32 = 256u;

struct Params {
    total: u32,
    seq: u32,
    hidden: u32,
    half: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> spectrum: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if id >= params.total {
        return;
    }
    let h = id % params.hidden;
    let s = (id / params.hidden) % params.seq;
    let b = id / (params.hidden * params.seq);
    var row = s;
    var col = h;
    if h >= params.half {
        row = (params.seq - s) % params.seq;
        col = params.hidden - h;
    }
    y[id] = spectrum[(b * params.seq + row) * params.half + col].x;
}
