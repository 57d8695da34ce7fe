// use common/topk_key.wgsl
//
// Compaction, step 1: for each block of BLOCK = 1024 elements, the number of
// keys above the threshold T (key > T) and equal to it (key == T). Blocks
// never straddle windows (windows are whole blocks), so block b of a window
// is global block block_base + b.

const WG: u32 = TOPK_WG;
const BLOCK: u32 = TOPK_BLOCK;
const ITEMS: u32 = BLOCK / WG;

struct Params {
    window_base: u32,
    window_len: u32,
    block_base: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> blocks: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> wg_above: atomic<u32>;
var<workgroup> wg_ties: atomic<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let block = wid.x + wid.y * params.groups_x;
    let start = block * BLOCK;
    if start >= params.window_len {
        return;
    }
    if li == 0u {
        atomicStore(&wg_above, 0u);
        atomicStore(&wg_ties, 0u);
    }
    workgroupBarrier();
    let threshold = state[ST_THRESHOLD];
    var above = 0u;
    var ties = 0u;
    for (var j = 0u; j < ITEMS; j++) {
        let i = start + j * WG + li;
        if i < params.window_len {
            let w0 = src[i * WORDS];
            var w1 = 0u;
            if WORDS == 2u {
                w1 = src[i * 2u + 1u];
            }
            let key = topk_key(w0, w1);
            above += select(0u, 1u, key > threshold);
            ties += select(0u, 1u, key == threshold);
        }
    }
    if above != 0u {
        atomicAdd(&wg_above, above);
    }
    if ties != 0u {
        atomicAdd(&wg_ties, ties);
    }
    workgroupBarrier();
    if li == 0u {
        blocks[params.block_base + block] = vec2<u32>(atomicLoad(&wg_above), atomicLoad(&wg_ties));
    }
}
