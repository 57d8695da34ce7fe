// A window of each plane of [outer, sh, sw] into [outer, dh, dw]: dst
// (o, i, j) takes src (o, i + off_y, j + off_x), zero outside the source
// (zero padding and cropping in one), optionally with the source flipped
// in both axes (flags bit 0) and plus a bias per plane channel
// (flags bit 1: bias[o % channels]). One thread per destination element.

override WG_SIZE: u32 = 256u;

struct Params {
    total: u32,
    sh: u32,
    sw: u32,
    dh: u32,
    dw: u32,
    off_y: i32,
    off_x: i32,
    flags: u32,
    channels: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if id >= params.total {
        return;
    }
    let j = id % params.dw;
    let i = (id / params.dw) % params.dh;
    let o = id / (params.dw * params.dh);
    var si = i32(i) + params.off_y;
    var sj = i32(j) + params.off_x;
    var v = 0.0;
    if si >= 0 && si < i32(params.sh) && sj >= 0 && sj < i32(params.sw) {
        if (params.flags & 1u) != 0u {
            si = i32(params.sh) - 1 - si;
            sj = i32(params.sw) - 1 - sj;
        }
        v = src[(o * params.sh + u32(si)) * params.sw + u32(sj)];
    }
    if (params.flags & 2u) != 0u {
        v += bias[o % params.channels];
    }
    dst[id] = v;
}
