// use common/complex.wgsl
//
// Bluestein's algorithm, step 1: gathers lines of length n into contiguous
// rows of length m (m >= 2n - 2), each point multiplied by the chirp
// c[i] = exp(sign * i * pi * i^2 / n), the rest of the row zero.
//
// Line b (counted from `first_line`) of the batch starts at
// (b / inner) * n * inner + (b % inner) and steps by `inner` (an axis of a
// row-major tensor; inner = 1 for contiguous rows). One thread per row point.
//
// N, M and INNER are pipeline constants (the uniforms of the same names are
// not read), so the divisions below are by constants: shifts and multiplies
// instead of a division per thread, which software drivers run one lane at
// a time.

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

@group(0) @binding(0) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> rows: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> chirp: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let row = id / M;
    if row >= params.num_lines {
        return;
    }
    let i = id % M;
    var v = vec2<f32>(0.0, 0.0);
    if i < N {
        let b = params.first_line + row;
        let addr = (b / INNER) * (N * INNER) + b % INNER + i * INNER;
        v = cmul(src[addr], chirp[i]);
    }
    rows[id] = v;
}
