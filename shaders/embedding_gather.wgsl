// Embedding lookup: row ids[i] of a table of rows of `row_words` 32-bit
// words (a complex f32 is two) into row i of the output. An id outside the
// table gives a zero row (the host forms refuse such ids before this runs).
// One thread per output word.

override WG_SIZE: u32 = 256u;

struct Params {
    total: u32,
    row_words: u32,
    rows: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<storage, read> table: array<u32>;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = (wid.x + wid.y * params.groups_x) * WG_SIZE + li;
    if id >= params.total {
        return;
    }
    let row = ids[id / params.row_words];
    var v = 0u;
    if row < params.rows {
        v = table[row * params.row_words + id % params.row_words];
    }
    out[id] = v;
}
