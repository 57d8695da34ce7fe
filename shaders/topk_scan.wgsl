// use common/topk_key.wgsl
//
// Compaction, step 2: one workgroup turns the per-block counts
// (above, ties) into what the scatter needs, in place:
//
//   blocks[b] = (first output slot of block b, ties block b may keep)
//
// with A_b, T_b the exclusive prefix sums of above and ties over blocks:
// slot = A_b + min(T_b, need_ties), allowance = need_ties - min(T_b, need_ties).
// Each of the 256 invocations owns a contiguous run of blocks: it sums its
// run, the workgroup scans the 256 sums, then it writes its run.
// state[ST_TOTAL] receives the number of kept elements (must equal k).

const WG: u32 = TOPK_WG;

struct Params {
    num_blocks: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> blocks: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> state: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> sums: array<vec2<u32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
    let per = (params.num_blocks + WG - 1u) / WG;
    let begin = min(li * per, params.num_blocks);
    let end = min(begin + per, params.num_blocks);
    var own = vec2<u32>(0u, 0u);
    for (var b = begin; b < end; b++) {
        own += blocks[b];
    }
    sums[li] = own;
    workgroupBarrier();
    // Hillis-Steele inclusive scan of the 256 run sums.
    for (var offset = 1u; offset < WG; offset *= 2u) {
        var add = vec2<u32>(0u, 0u);
        if li >= offset {
            add = sums[li - offset];
        }
        workgroupBarrier();
        sums[li] += add;
        workgroupBarrier();
    }
    let need = state[ST_NEED_TIES];
    var run = sums[li] - own; // exclusive prefix (above, ties)
    for (var b = begin; b < end; b++) {
        let counts = blocks[b];
        let kept_ties = min(run.y, need);
        blocks[b] = vec2<u32>(run.x + kept_ties, need - kept_ties);
        run += counts;
    }
    if li == WG - 1u {
        state[ST_TOTAL] = run.x + min(run.y, need);
    }
}
