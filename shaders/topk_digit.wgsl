// use common/topk_key.wgsl
//
// The scan step of one radix-select pass, run by a single invocation: walks
// the pass's 256-bin histogram from the highest digit down to find the bin
// holding the k-th largest key among those still in play, and updates the
// selection state:
//
// * ST_ABOVE   += keys in higher bins (all kept);
// * ST_PREFIX  |= digit << shift;
// * ST_REMAINING = keys still to take from that bin.
//
// The selection ends (ST_DONE = 1, ST_THRESHOLD and ST_NEED_TIES set) on
// the last pass (shift 0: the bin is one key value T, keep its lowest
// `remaining` positions), or early when the whole bin is kept: then every
// key >= prefix is kept, expressed as threshold prefix - 1 with no ties.
// (A zero prefix cannot end early; it only arises when every key is kept
// and simply runs on to the last pass.)

struct Params {
    shift: u32,
    hist_offset: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> hist: array<u32>;
@group(0) @binding(1) var<storage, read_write> state: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main() {
    if state[ST_DONE] != 0u {
        return;
    }
    let need = state[ST_REMAINING];
    var above = 0u;
    var digit = 255u;
    var count = 0u;
    loop {
        count = hist[params.hist_offset + digit];
        if above + count >= need || digit == 0u {
            break;
        }
        above += count;
        digit -= 1u;
    }
    let prefix = state[ST_PREFIX] | (digit << params.shift);
    let left = need - min(above, need);
    let total_above = state[ST_ABOVE] + above;
    state[ST_PREFIX] = prefix;
    state[ST_ABOVE] = total_above;
    state[ST_REMAINING] = left;
    if params.shift == 0u {
        state[ST_THRESHOLD] = prefix;
        state[ST_NEED_TIES] = left;
        state[ST_DONE] = 1u;
    } else if count == left && prefix != 0u {
        state[ST_THRESHOLD] = prefix - 1u;
        state[ST_NEED_TIES] = 0u;
        state[ST_ABOVE] = total_above + count;
        state[ST_DONE] = 1u;
    }
}
