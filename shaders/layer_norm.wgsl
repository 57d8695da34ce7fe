// Layer norm over the last axis of a [rows, hidden] tensor, with an
// optional residual added first (fused): v = x + residual (flags bit 0),
// y = (v - mean) / sqrt(var + eps) * gamma + beta. One workgroup per row;
// mean and variance by two reductions, both of values shifted by the row's
// first value (exact for nearby values), so a large common offset does not
// cancel the spread.

override WG_SIZE: u32 = 256u;

struct Params {
    rows: u32,
    hidden: u32,
    eps: f32,
    flags: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> residual: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG_SIZE>;

fn value(base: u32, h: u32) -> f32 {
    var v = x[base + h];
    if (params.flags & 1u) != 0u {
        v += residual[base + h];
    }
    return v;
}

// The sum of every invocation's `v` (all invocations call it).
fn workgroup_sum(li: u32, v: f32) -> f32 {
    partial[li] = v;
    workgroupBarrier();
    for (var s = WG_SIZE / 2u; s > 0u; s >>= 1u) {
        if li < s {
            partial[li] += partial[li + s];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
}

// The largest of every invocation's `v` (all invocations call it).
fn workgroup_max(li: u32, v: f32) -> f32 {
    partial[li] = v;
    workgroupBarrier();
    for (var s = WG_SIZE / 2u; s > 0u; s >>= 1u) {
        if li < s {
            partial[li] = max(partial[li], partial[li + s]);
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let row = wid.x + wid.y * params.groups_x;
    // Uniform across the workgroup: every invocation leaves together.
    if row >= params.rows {
        return;
    }
    let n = params.hidden;
    let base = row * n;
    let shift = value(base, 0u);
    var s = 0.0;
    for (var h = li; h < n; h += WG_SIZE) {
        s += value(base, h) - shift;
    }
    let mean = workgroup_sum(li, s) / f32(n);
    // The largest deviation: squares of deviations above 1 are summed
    // divided by it, so that rows of magnitude 1e19..1e38 do not overflow.
    var m = 0.0;
    for (var h = li; h < n; h += WG_SIZE) {
        m = max(m, abs(value(base, h) - shift - mean));
    }
    let scale = workgroup_max(li, m);
    let unit = select(1.0, scale, scale > 1.0);
    var q = 0.0;
    for (var h = li; h < n; h += WG_SIZE) {
        let d = (value(base, h) - shift - mean) / unit;
        q += d * d;
    }
    // sqrt(var + eps) = unit * sqrt(q / n + eps / unit^2).
    let inv = inverseSqrt(workgroup_sum(li, q) / f32(n) + params.eps / unit / unit) / unit;
    for (var h = li; h < n; h += WG_SIZE) {
        y[base + h] = (value(base, h) - shift - mean) * inv * gamma[h] + beta[h];
    }
}
