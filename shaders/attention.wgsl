// Scaled dot-product attention with an online softmax over key tiles
// (flash-attention style): no score matrix is ever stored, only one tile of
// TK scores per query row in registers. q [batch, sq, heads, d], k and v
// [batch, sk, heads, d], out like q. One workgroup per (batch, head, block
// of WG_SIZE query rows), one invocation per query row; key and value tiles
// of TK rows are staged in workgroup memory.
//
// Keys may be split into ranges [k_begin, k_end) over several dispatches
// (flags bit 2: first range, bit 3: last): the running max, sum and
// accumulator of each query row are carried in `state` [rows, d + 2]
// between them, and the last one writes `out`. Mesa's lavapipe stops any
// invocation after 65535 loop iterations in all, so there the host splits
// the keys; elsewhere one range holds them all.
//
// Masks: flags bit 0 causal (key j is seen by query i when
// j <= i + causal_offset, with causal_offset = sk - sq), bit 1 a key mask
// [batch, sk] of u32 (0 hides the key). A row that sees no key is zero.

override WG_SIZE: u32 = 64u;
// Keys per tile, and the head dimension the tiles are laid out with.
override TK: u32 = 32u;
override DS: u32 = 64u;

const D_MAX: u32 = 128u;
const TK_MAX: u32 = 64u;
// Scores of hidden keys; far below any finite logit, and exp of the
// difference to a real maximum is exactly 0.
const NEG: f32 = -3.0e38;

struct Params {
    batch: u32,
    heads: u32,
    sq: u32,
    sk: u32,
    d: u32,
    q_tiles: u32,
    flags: u32,
    scale: f32,
    groups_x: u32,
    causal_offset: u32,
    k_begin: u32,
    k_end: u32,
}

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> key_mask: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> state: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

var<workgroup> kt: array<f32, TK * DS>;
var<workgroup> vt: array<f32, TK * DS>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let g = wid.x + wid.y * params.groups_x;
    // Uniform across the workgroup.
    if g >= params.batch * params.heads * params.q_tiles {
        return;
    }
    let qt = g % params.q_tiles;
    let bh = g / params.q_tiles;
    let hd = bh % params.heads;
    let b = bh / params.heads;
    let d = params.d;
    let i = qt * WG_SIZE + li;
    let live = i < params.sq;
    let causal = (params.flags & 1u) != 0u;
    let masked = (params.flags & 2u) != 0u;

    let first = (params.flags & 4u) != 0u;
    let last = (params.flags & 8u) != 0u;
    let row = (b * params.sq + i) * params.heads + hd;
    let st = row * (d + 2u);
    var qr: array<f32, D_MAX>;
    var acc: array<f32, D_MAX>;
    var m = NEG;
    var l = 0.0;
    for (var c = 0u; c < d; c++) {
        qr[c] = 0.0;
        acc[c] = 0.0;
        if live {
            qr[c] = q[row * d + c] * params.scale;
            if !first {
                acc[c] = state[st + 2u + c];
            }
        }
    }
    if live && !first {
        m = state[st];
        l = state[st + 1u];
    }
    // One past the last key any row of this block sees (uniform).
    var kend = params.k_end;
    if causal {
        kend = min(kend, min(qt * WG_SIZE + WG_SIZE, params.sq) + params.causal_offset);
    }
    var s: array<f32, TK_MAX>;
    for (var t0 = params.k_begin; t0 < kend; t0 += TK) {
        for (var idx = li; idx < TK * d; idx += WG_SIZE) {
            let j = idx / d;
            let c = idx % d;
            let key = t0 + j;
            var kv = 0.0;
            var vv = 0.0;
            if key < params.sk {
                let at = ((b * params.sk + key) * params.heads + hd) * d + c;
                kv = k[at];
                vv = v[at];
            }
            kt[j * DS + c] = kv;
            vt[j * DS + c] = vv;
        }
        workgroupBarrier();
        if live {
            var mt = NEG;
            for (var j = 0u; j < TK; j++) {
                let key = t0 + j;
                var ok = key < params.k_end;
                if causal && key > i + params.causal_offset {
                    ok = false;
                }
                if ok && masked && key_mask[b * params.sk + key] == 0u {
                    ok = false;
                }
                var dot = NEG;
                if ok {
                    dot = 0.0;
                    for (var c = 0u; c < d; c++) {
                        dot += qr[c] * kt[j * DS + c];
                    }
                }
                s[j] = dot;
                mt = max(mt, dot);
            }
            if mt > 0.5 * NEG {
                let m_new = max(m, mt);
                let corr = exp(m - m_new);
                l *= corr;
                for (var c = 0u; c < d; c++) {
                    acc[c] *= corr;
                }
                for (var j = 0u; j < TK; j++) {
                    if s[j] > 0.5 * NEG {
                        let p = exp(s[j] - m_new);
                        l += p;
                        for (var c = 0u; c < d; c++) {
                            acc[c] += p * vt[j * DS + c];
                        }
                    }
                }
                m = m_new;
            }
        }
        workgroupBarrier();
    }
    if live && last {
        let inv = select(0.0, 1.0 / l, l > 0.0);
        for (var c = 0u; c < d; c++) {
            out[row * d + c] = acc[c] * inv;
        }
    } else if live {
        state[st] = m;
        state[st + 1u] = l;
        for (var c = 0u; c < d; c++) {
            state[st + 2u + c] = acc[c];
        }
    }
}
