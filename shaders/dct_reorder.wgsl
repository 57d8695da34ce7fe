// The index shuffle around the FFT in Makhoul's DCT algorithm, between an
// axis of a row-major tensor viewed as (outer, n, inner) and contiguous rows
// (row = o * inner + j, one per line along the axis):
//   mode 0 (gather, before the DCT-II):  v[m] = x[2m] for m < ceil(n/2),
//                                        v[m] = x[2(n-1-m)+1] otherwise;
//   mode 1 (scatter, after the DCT-III): x[2m] = v[m], x[2m+1] = v[n-1-m].
// One thread per element.

override WG_SIZE: u32 = 256u;

struct Params {
    outer: u32,
    n: u32,
    inner: u32,
    mode: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let n = params.n;
    let inner = params.inner;
    let j = id % inner;
    let r = id / inner;
    let p = r % n;
    let o = r / n;
    if o >= params.outer {
        return;
    }
    let axis_index = (o * n + p) * inner + j;
    let row = (o * inner + j) * n;
    // Position p along the axis <-> position m in the reordered row.
    var m = p / 2u;
    if p % 2u == 1u {
        m = n - 1u - p / 2u;
    }
    if params.mode == 0u {
        dst[row + m] = src[axis_index];
    } else {
        dst[axis_index] = src[row + m];
    }
}
