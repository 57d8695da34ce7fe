// use common/topk_key.wgsl
//
// Compaction, step 3: writes the kept positions (u32) and their values to
// their output slots, in ascending position order. Each invocation owns
// ITEMS consecutive elements of a block; a workgroup exclusive scan of the
// per-invocation counts (above, ties) gives every element the number of
// kept elements before it in the block:
//
//   kept_before = above_before + min(ties_before, allowance)
//
// where the block's allowance (from topk_scan) is how many of its ties are
// still inside the global tie budget, so ties are kept lowest position first.
// Outputs are sub-range bindings: slot s lands at index s - pos_origin of
// `positions` and s - val_origin of `values`.

const WG: u32 = TOPK_WG;
const BLOCK: u32 = TOPK_BLOCK;
const ITEMS: u32 = BLOCK / WG;

struct Params {
    window_base: u32,
    window_len: u32,
    block_base: u32,
    groups_x: u32,
    pos_origin: u32,
    val_origin: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> blocks: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> positions: array<u32>;
@group(0) @binding(4) var<storage, read_write> values: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> sums: array<vec2<u32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let block = wid.x + wid.y * params.groups_x;
    let start = block * BLOCK;
    if start >= params.window_len {
        return;
    }
    let threshold = state[ST_THRESHOLD];
    let first = start + li * ITEMS;
    var keys: array<u32, ITEMS>;
    var own = vec2<u32>(0u, 0u);
    for (var j = 0u; j < ITEMS; j++) {
        let i = first + j;
        var key = 0u;
        if i < params.window_len {
            let w0 = src[i * WORDS];
            var w1 = 0u;
            if WORDS == 2u {
                w1 = src[i * 2u + 1u];
            }
            key = topk_key(w0, w1);
            own.x += select(0u, 1u, key > threshold);
            own.y += select(0u, 1u, key == threshold);
        }
        keys[j] = key;
    }
    sums[li] = own;
    workgroupBarrier();
    for (var offset = 1u; offset < WG; offset *= 2u) {
        var add = vec2<u32>(0u, 0u);
        if li >= offset {
            add = sums[li - offset];
        }
        workgroupBarrier();
        sums[li] += add;
        workgroupBarrier();
    }
    let info = blocks[params.block_base + block];
    let slot_base = info.x;
    let allowance = info.y;
    var above = sums[li].x - own.x;
    var ties = sums[li].y - own.y;
    for (var j = 0u; j < ITEMS; j++) {
        let i = first + j;
        if i >= params.window_len {
            break;
        }
        let key = keys[j];
        var keep = false;
        var slot = 0u;
        if key > threshold {
            keep = true;
            slot = slot_base + above + min(ties, allowance);
            above += 1u;
        } else if key == threshold {
            keep = ties < allowance;
            slot = slot_base + above + ties;
            ties += 1u;
        }
        if keep {
            positions[slot - params.pos_origin] = params.window_base + i;
            let v = (slot - params.val_origin) * WORDS;
            values[v] = src[i * WORDS];
            if WORDS == 2u {
                values[v + 1u] = src[i * 2u + 1u];
            }
        }
    }
}
