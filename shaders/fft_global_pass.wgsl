// use common/complex.wgsl
//
// One radix-8/4/2 Stockham stage of a batched power-of-two FFT, reading and
// writing global memory (one dispatch per stage, ping-pong buffers). Used for
// lengths beyond what the shared-memory kernel and the four-step algorithm
// cover on a device. Lines are contiguous rows of length n. Thread id ->
// (line, j); inputs x[j + t * n / R], outputs y[(j - k) * R + k + t * span]
// with k = j mod span.

override WG_SIZE: u32 = 256u;

struct Params {
    n: u32,
    log2n: u32,
    radix_bits: u32,
    span: u32,
    num_lines: u32,
    groups_x: u32,
    lo_bits: u32,
    hi_off: u32,
    sign: f32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> twiddles: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let radix = 1u << params.radix_bits;
    let quarter = params.n >> params.radix_bits;
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    let line = id / quarter;
    if line >= params.num_lines {
        return;
    }
    let j = id % quarter;
    let k = j & (params.span - 1u);
    let row = line * params.n;
    let table_step = params.n / (params.span * radix);
    let lo_mask = (1u << params.lo_bits) - 1u;
    let sign = params.sign;

    var regs: array<vec2<f32>, REGS>;
    for (var t = 0u; t < radix; t++) {
        var v = src[row + j + t * quarter];
        if t > 0u {
            let m = t * k * table_step;
            let w = cmul(twiddles[m & lo_mask], twiddles[params.hi_off + (m >> params.lo_bits)]);
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
