// use common/complex.wgsl
//
// The twiddle step of Makhoul's DCT between the half spectrum V of the
// reordered rows (row = o * inner + j, n/2 + 1 complex points) and the DCT
// coefficients along an axis viewed as (outer, n, inner):
//   mode 0 (DCT-II):  X[k] = s(k) Re(exp(-i pi k / 2n) V[k]), V[k] = conj V[n-k]
//                     for k > n/2;  one thread per coefficient;
//   mode 1 (DCT-III): V[k] = exp(i pi k / 2n) (X[k]/s(k) - i X[n-k]/s(n-k)),
//                     X[n] = 0;  one thread per half-spectrum point;
// with s(0) = sqrt(1/n), s(k > 0) = sqrt(2/n) (orthonormal). The table holds
// exp(-i pi k / 2n) for k < n, computed in f64 on the host.

override WG_SIZE: u32 = 256u;

struct Params {
    outer: u32,
    n: u32,
    inner: u32,
    mode: u32,
    groups_x: u32,
    s0: f32,
    s: f32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> twiddles: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

fn scale(k: u32) -> f32 {
    return select(params.s, params.s0, k == 0u);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let n = params.n;
    let h1 = n / 2u + 1u;
    let inner = params.inner;
    if params.mode == 0u {
        let j = id % inner;
        let r = id / inner;
        let k = r % n;
        let o = r / n;
        if o >= params.outer {
            return;
        }
        let row = (o * inner + j) * h1;
        var v: vec2<f32>;
        if k < h1 {
            v = vec2<f32>(src[2u * (row + k)], src[2u * (row + k) + 1u]);
        } else {
            v = vec2<f32>(src[2u * (row + n - k)], -src[2u * (row + n - k) + 1u]);
        }
        let t = twiddles[k];
        dst[(o * n + k) * inner + j] = scale(k) * (t.x * v.x - t.y * v.y);
    } else {
        let k = id % h1;
        let line = id / h1;
        if line >= params.outer * inner {
            return;
        }
        let o = line / inner;
        let j = line % inner;
        let xk = src[(o * n + k) * inner + j] / scale(k);
        var xm = 0.0;
        if k > 0u {
            xm = src[(o * n + n - k) * inner + j] / scale(n - k);
        }
        let t = twiddles[k];
        let v = cmul(vec2<f32>(t.x, -t.y), vec2<f32>(xk, -xm));
        dst[2u * (line * h1 + k)] = v.x;
        dst[2u * (line * h1 + k) + 1u] = v.y;
    }
}
