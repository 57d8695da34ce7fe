// use common/complex.wgsl
//
// Complex-to-real pre-processing, the inverse of rfft_post: from a half
// spectrum X[0..=h] of a length-N real row (N = 2h) it forms
// E[k] = (X[k] + conj X[h-k]) / 2, O[k] = (X[k] - conj X[h-k]) conj(W_N^k) / 2
// and Z[k] = E[k] + i O[k], whose inverse h-point FFT interleaves the even
// and odd samples as re/im. One thread per point of Z.

override WG_SIZE: u32 = 256u;

struct Params {
    h: u32,
    num_lines: u32,
    groups_x: u32,
    scale: f32,
}

@group(0) @binding(0) var<storage, read> half_spectrum: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> packed: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> twiddles: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let h = params.h;
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let line = id / h;
    if line >= params.num_lines {
        return;
    }
    let k = id % h;
    var a = half_spectrum[line * (h + 1u) + k];
    var m = half_spectrum[line * (h + 1u) + h - k];
    if k == 0u {
        // A real signal's spectrum is real at 0 and n/2: ignore anything else.
        a.y = 0.0;
        m.y = 0.0;
    }
    let b = vec2<f32>(m.x, -m.y);
    let e = 0.5 * (a + b);
    let t = twiddles[k];
    let o = 0.5 * cmul(a - b, vec2<f32>(t.x, -t.y));
    packed[line * h + k] = (e + vec2<f32>(-o.y, o.x)) * params.scale;
}
