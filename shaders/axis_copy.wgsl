// Copies along one axis of a row-major tensor viewed as (outer, len, inner),
// between tensors whose axis lengths differ, converting as it goes:
//   mode 0: real -> complex (imaginary part zero)
//   mode 1: complex -> real part
//   mode 2: complex -> complex (the first `count` points: truncation)
//   mode 3: complex half spectrum (src_len = full/2 + 1) -> full Hermitian
//           spectrum of length `full`: X[i] = conj X[full - i] for i >= src_len
// Buffers are f32 arrays; complex values take two slots. One thread per
// output element.

override WG_SIZE: u32 = 256u;

struct Params {
    outer: u32,
    inner: u32,
    count: u32,
    src_len: u32,
    dst_len: u32,
    mode: u32,
    groups_x: u32,
    full: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let inner = params.inner;
    let j = id % inner;
    let r = id / inner;
    let i = r % params.count;
    let o = r / params.count;
    if o >= params.outer {
        return;
    }
    let d = (o * params.dst_len + i) * inner + j;
    switch params.mode {
        case 0u: {
            let s = (o * params.src_len + i) * inner + j;
            dst[2u * d] = src[s];
            dst[2u * d + 1u] = 0.0;
        }
        case 1u: {
            let s = (o * params.src_len + i) * inner + j;
            dst[d] = src[2u * s];
        }
        case 2u: {
            let s = (o * params.src_len + i) * inner + j;
            dst[2u * d] = src[2u * s];
            dst[2u * d + 1u] = src[2u * s + 1u];
        }
        default: {
            if i < params.src_len {
                let s = (o * params.src_len + i) * inner + j;
                dst[2u * d] = src[2u * s];
                dst[2u * d + 1u] = src[2u * s + 1u];
            } else {
                let s = (o * params.src_len + params.full - i) * inner + j;
                dst[2u * d] = src[2u * s];
                dst[2u * d + 1u] = -src[2u * s + 1u];
            }
        }
    }
}
