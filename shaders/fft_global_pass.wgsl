// use common/complex.wgsl
//
// One mixed-radix (2, 3, 4, 5, 7 or 8) Stockham stage of a batched FFT,
// reading and writing global memory (one dispatch per stage, ping-pong
// buffers). Used for lengths beyond what the shared-memory kernel and the
// four-step algorithm cover on a device. Lines are contiguous rows of length
// n. Thread id -> (line, j); inputs x[j + t * n / R], outputs
// y[(j - k) * R + k + t * span] with k = j mod span. Twiddles
// W_n^m = lo[m mod L] * hi[m / L] come from a two-level table (L = lo_len,
// `lo` at offset 0, `hi` at `hi_off`).

override WG_SIZE: u32 = 256u;

struct Params {
    n: u32,
    radix: u32,
    span: u32,
    num_lines: u32,
    groups_x: u32,
    lo_len: u32,
    hi_off: u32,
    _pad0: u32,
    sign: f32,
    scale: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> twiddles: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let radix = params.radix;
    let quarter = params.n / radix;
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let line = id / quarter;
    if line >= params.num_lines {
        return;
    }
    let j = id % quarter;
    let k = j % params.span;
    let row = line * params.n;
    let table_step = params.n / (params.span * radix);
    let lo_len = max(params.lo_len, 1u);
    let sign = params.sign;

    var regs: array<vec2<f32>, REGS>;
    for (var t = 0u; t < radix; t++) {
        var v = src[row + j + t * quarter];
        if t > 0u {
            let m = t * k * table_step;
            let w = cmul(twiddles[m % lo_len], twiddles[params.hi_off + m / lo_len]);
            v = cmul(v, twiddle_dir(w, sign));
        }
        regs[t] = v;
    }
    dft_radix(&regs, 0u, radix, sign);
    let out_base = row + (j - k) * radix + k;
    for (var t = 0u; t < radix; t++) {
        dst[out_base + t * params.span] = regs[t] * params.scale;
    }
}
