// Direct 2-D convolution as PyTorch's `conv2d` (cross-correlation) of
// x [n, cin, h, w] with w [cout, cin / groups, kh, kw]: stride, zero
// padding, dilation, groups. One thread per output element; the input
// channels of a group run from ci_begin to ci_end in this dispatch, added
// to y when flags bit 0 is set (the host splits long channel loops), with
// the bias when flags bit 1 is set.

override WG_SIZE: u32 = 256u;

struct Params {
    total: u32,
    cin: u32,
    h: u32,
    w: u32,
    cout: u32,
    kh: u32,
    kw: u32,
    oh: u32,
    ow: u32,
    stride_y: u32,
    stride_x: u32,
    pad_y: u32,
    pad_x: u32,
    dil_y: u32,
    dil_x: u32,
    groups: u32,
    ci_begin: u32,
    ci_end: u32,
    flags: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if id >= params.total {
        return;
    }
    let ox = id % params.ow;
    let oy = (id / params.ow) % params.oh;
    let co = (id / (params.ow * params.oh)) % params.cout;
    let n = id / (params.ow * params.oh * params.cout);
    let cig = params.cin / params.groups;
    let g = co / (params.cout / params.groups);
    var acc = 0.0;
    if (params.flags & 1u) != 0u {
        acc = y[id];
    } else if (params.flags & 2u) != 0u {
        acc = bias[co];
    }
    let y0 = i32(oy * params.stride_y) - i32(params.pad_y);
    let x0 = i32(ox * params.stride_x) - i32(params.pad_x);
    for (var ci = params.ci_begin; ci < params.ci_end; ci++) {
        let xc = (n * params.cin + g * cig + ci) * params.h;
        let wc = (co * cig + ci) * params.kh;
        for (var ky = 0u; ky < params.kh; ky++) {
            let iy = y0 + i32(ky * params.dil_y);
            if iy < 0 || iy >= i32(params.h) {
                continue;
            }
            let xr = (xc + u32(iy)) * params.w;
            let wr = (wc + ky) * params.kw;
            for (var kx = 0u; kx < params.kw; kx++) {
                let ix = x0 + i32(kx * params.dil_x);
                if ix >= 0 && ix < i32(params.w) {
                    acc += x[xr + u32(ix)] * wt[wr + kx];
                }
            }
        }
    }
    y[id] = acc;
}
