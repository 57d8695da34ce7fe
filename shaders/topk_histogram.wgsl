// use common/topk_key.wgsl
//
// One radix-select pass: a 256-bin histogram of the digit
// (key >> shift) & 255 over the keys whose higher bits equal the prefix
// chosen so far (key & mask == state[ST_PREFIX]). Each workgroup counts a
// tile of 256 * ITEMS elements in workgroup-memory atomics and flushes its
// non-zero bins to the global histogram with atomicAdd. The input is one
// window (a sub-range binding) of a possibly larger buffer; window_base is
// the window's first element index.
//
// With `check` set (first pass) it also records the smallest index of a
// non-finite element in state[ST_BAD] (atomicMin). Once the selection has
// finished early (state[ST_DONE] != 0) the pass does nothing.

const WG: u32 = TOPK_WG;
const TILE: u32 = TOPK_TILE;
const ITEMS: u32 = TILE / WG;

struct Params {
    window_base: u32,
    window_len: u32,
    shift: u32,
    mask: u32,
    hist_offset: u32,
    groups_x: u32,
    check: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> state: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> local_hist: array<atomic<u32>, 256>;
var<workgroup> wg_done: u32;
var<workgroup> wg_prefix: u32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    if li == 0u {
        wg_done = atomicLoad(&state[ST_DONE]);
        wg_prefix = atomicLoad(&state[ST_PREFIX]);
    }
    atomicStore(&local_hist[li], 0u);
    let done = workgroupUniformLoad(&wg_done);
    let prefix = workgroupUniformLoad(&wg_prefix);
    let tile = (wid.x + wid.y * params.groups_x) * TILE;
    if done != 0u || tile >= params.window_len {
        return;
    }
    var first_bad = 0xffffffffu;
    for (var j = 0u; j < ITEMS; j++) {
        let i = tile + j * WG + li;
        if i < params.window_len {
            let w0 = src[i * WORDS];
            var w1 = 0u;
            if WORDS == 2u {
                w1 = src[i * 2u + 1u];
            }
            if params.check != 0u && first_bad == 0xffffffffu && topk_bad(w0, w1) {
                first_bad = i;
            }
            let key = topk_key(w0, w1);
            if (key & params.mask) == prefix {
                atomicAdd(&local_hist[(key >> params.shift) & 255u], 1u);
            }
        }
    }
    if first_bad != 0xffffffffu {
        atomicMin(&state[ST_BAD], params.window_base + first_bad);
    }
    workgroupBarrier();
    let count = atomicLoad(&local_hist[li]);
    if count != 0u {
        atomicAdd(&hist[params.hist_offset + li], count);
    }
}
