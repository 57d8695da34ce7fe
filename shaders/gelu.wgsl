// GELU of x (plus a per-column bias when flags bit 0 is set), element-wise:
// form 0 is the tanh approximation (Hugging Face's `gelu_new`, FNet's
// default), form 1 the exact erf form. One thread per element.

override WG_SIZE: u32 = 256u;

struct Params {
    total: u32,
    cols: u32,
    form: u32,
    flags: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// tanh without overflow: |t| >= 10 is +-1 in f32.
fn safe_tanh(t: f32) -> f32 {
    let c = clamp(t, -10.0, 10.0);
    let e = exp(2.0 * c);
    return (e - 1.0) / (e + 1.0);
}

// erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7).
fn erf_approx(v: f32) -> f32 {
    let a = abs(v);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let r = 1.0 - poly * exp(-a * a);
    return select(r, -r, v < 0.0);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if id >= params.total {
        return;
    }
    var v = x[id];
    if (params.flags & 1u) != 0u {
        v += bias[id % params.cols];
    }
    var g: f32;
    if params.form == 0u {
        g = 0.5 * v * (1.0 + safe_tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
    } else {
        g = 0.5 * v * (1.0 + erf_approx(v * 0.7071067811865476));
    }
    y[id] = g;
}
