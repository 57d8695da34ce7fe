// use common/complex.wgsl
//
// Real-to-complex post-processing. A length-N real row (N even) was read as
// N/2 complex points z[n] = x[2n] + i x[2n+1] and transformed; this kernel
// splits that spectrum Z into the spectra of the even and odd samples,
// E[k] = (Z[k] + conj Z[h-k]) / 2 and O[k] = -i (Z[k] - conj Z[h-k]) / 2,
// and writes the half spectrum X[k] = E[k] + W_N^k O[k], k = 0..=h (h = N/2).
// One thread per output point.

override WG_SIZE: u32 = 256u;

struct Params {
    h: u32,
    num_lines: u32,
    groups_x: u32,
    scale: f32,
}

@group(0) @binding(0) var<storage, read> spectrum: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> half_spectrum: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> twiddles: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let h = params.h;
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let line = id / (h + 1u);
    if line >= params.num_lines {
        return;
    }
    let k = id % (h + 1u);
    let zk = spectrum[line * h + k % h];
    let zm = spectrum[line * h + (h - k) % h];
    let zc = vec2<f32>(zm.x, -zm.y);
    let e = 0.5 * (zk + zc);
    let d = zk - zc;
    let o = vec2<f32>(0.5 * d.y, -0.5 * d.x);
    half_spectrum[line * (h + 1u) + k] = (e + cmul(twiddles[k], o)) * params.scale;
}
