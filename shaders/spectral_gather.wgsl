// Spectral matmul's middle step: z[b * m + u] = sum over kept coefficients
// (u, v) of value * xhat[b * n + v], the kept coefficients in compressed
// rows (row u's entries at starts[u]..starts[u + 1], columns and values).
// One thread per output (b, u).

override WG_SIZE: u32 = 256u;

struct Params {
    batch: u32,
    n: u32,
    m: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<storage, read> starts: array<u32>;
@group(0) @binding(1) var<storage, read> columns: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read> xhat: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if t >= params.batch * params.m {
        return;
    }
    let b = t / params.m;
    let u = t % params.m;
    var acc = 0.0;
    for (var k = starts[u]; k < starts[u + 1u]; k++) {
        acc += values[k] * xhat[b * params.n + columns[k]];
    }
    z[t] = acc;
}
