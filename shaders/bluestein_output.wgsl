// use common/complex.wgsl
//
// Bluestein's algorithm, step 5: the first n points of each convolved row of
// length m, multiplied by the chirp c[k] = exp(sign * i * pi * k^2 / n),
// scattered back to the lines of the batch (the layout of
// bluestein_chirp.wgsl). One thread per output point. N, M and INNER are
// pipeline constants, as there.

override WG_SIZE: u32 = 256u;
override N: u32;
override M: u32;
override INNER: u32;

struct Params {
    n: u32,
    m: u32,
    inner: u32,
    first_line: u32,
    num_lines: u32,
    groups_x: u32,
    scale: f32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> rows: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> chirp: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let row = id / N;
    if row >= params.num_lines {
        return;
    }
    let k = id % N;
    let b = params.first_line + row;
    let addr = (b / INNER) * (N * INNER) + b % INNER + k * INNER;
    dst[addr] = cmul(rows[row * M + k], chirp[k]) * params.scale;
}
