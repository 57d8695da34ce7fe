// Y = X W^T (+ bias): X is B x N, W is M x N (both row-major, N contiguous),
// Y is B x M. Workgroup-tiled: a 16 x 16 workgroup computes a 64 x 64 tile
// of Y, each thread 4 x 4 outputs (rows ty + 16 i, columns tx + 16 j, so
// shared-memory reads and global writes are contiguous across tx). Tiles
// of X and W of TK columns of N are staged in workgroup memory; ragged
// edges load zeros and skip their writes.
//
// W is bound as 32-bit words and read in the format W_FORMAT names, so a
// quantised W is used as stored and dequantised while its tile is loaded:
//   0: f32 (one word per element)
//   1: INT8 with one f16 scale per `group` consecutive elements (row-major
//      over all of W): `values_offset` bytes of f16 scales, then one signed
//      byte per element
//   2: INT4 as INT8, two elements per byte (even element in the low nibble)

override W_FORMAT: u32 = 0u;

const TILE: u32 = 64u;
const TK: u32 = 16u;
// Row stride of the staged tiles: 65 keeps the transposed stores free of
// bank conflicts.
const STRIDE: u32 = 65u;

struct Params {
    batch: u32,
    n: u32,
    m: u32,
    has_bias: u32,
    groups_x: u32,
    tiles_m: u32,
    group: u32,
    values_offset: u32,
    // Y element (r, c) is written at r * ldy + col0 + c (and takes
    // bias[col0 + c]), so row blocks of W fill column blocks of Y.
    ldy: u32,
    col0: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> xs: array<f32, 1040>; // TK * STRIDE
var<workgroup> ws: array<f32, 1040>;

fn byte_at(offset: u32) -> u32 {
    return (w[offset >> 2u] >> ((offset & 3u) * 8u)) & 0xffu;
}

// The f16 scale of group `g` (finite: the host checks the scales), decoded
// by hand (unpack2x16float needs a capability naga's validation lacks).
fn scale_of(g: u32) -> f32 {
    let h = (w[g >> 1u] >> ((g & 1u) * 16u)) & 0xffffu;
    let sign = (h & 0x8000u) << 16u;
    let e = (h >> 10u) & 0x1fu;
    let f = h & 0x3ffu;
    if e == 0u {
        let v = f32(f) * 5.9604645e-8; // subnormal: f * 2^-24
        return select(v, -v, sign != 0u);
    }
    return bitcast<f32>(sign | ((e + 112u) << 23u) | (f << 13u));
}

// Element `i` (row-major index into W) as f32.
fn weight(i: u32) -> f32 {
    if W_FORMAT == 0u {
        return bitcast<f32>(w[i]);
    }
    let scale = scale_of(i / params.group);
    if W_FORMAT == 1u {
        let q = bitcast<i32>(byte_at(params.values_offset + i) << 24u) >> 24u;
        return f32(q) * scale;
    }
    let b = byte_at(params.values_offset + (i >> 1u));
    let nib = (b >> ((i & 1u) * 4u)) & 0xfu;
    let q = bitcast<i32>(nib << 28u) >> 28u;
    return f32(q) * scale;
}

@compute @workgroup_size(16, 16)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let tile = wid.x + wid.y * params.groups_x;
    let tiles_b = (params.batch + TILE - 1u) / TILE;
    // Every thread of a workgroup takes the same branch (uniform exit).
    if tile >= tiles_b * params.tiles_m {
        return;
    }
    let row0 = (tile / params.tiles_m) * TILE;
    let col0 = (tile % params.tiles_m) * TILE;
    let tx = lid.x;
    let ty = lid.y;
    let li = ty * 16u + tx;
    let n = params.n;

    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = 0.0;
    }

    for (var k0 = 0u; k0 < n; k0 += TK) {
        for (var e = 0u; e < 4u; e++) {
            let idx = li + e * 256u;
            let r = idx / TK;
            let k = idx % TK;
            let gk = k0 + k;
            var xv = 0.0;
            let gr = row0 + r;
            if gr < params.batch && gk < n {
                xv = x[gr * n + gk];
            }
            xs[k * STRIDE + r] = xv;
            var wv = 0.0;
            let gc = col0 + r;
            if gc < params.m && gk < n {
                wv = weight(gc * n + gk);
            }
            ws[k * STRIDE + r] = wv;
        }
        workgroupBarrier();
        for (var k = 0u; k < TK; k++) {
            var a: array<f32, 4>;
            var b: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                a[i] = xs[k * STRIDE + ty + 16u * i];
                b[i] = ws[k * STRIDE + tx + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] += a[i] * b[j];
                }
            }
        }
        workgroupBarrier();
    }

    for (var i = 0u; i < 4u; i++) {
        let r = row0 + ty + 16u * i;
        if r >= params.batch {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let c = col0 + tx + 16u * j;
            if c < params.m {
                var v = acc[i * 4u + j];
                if params.has_bias != 0u {
                    v += bias[params.col0 + c];
                }
                y[r * params.ldy + params.col0 + c] = v;
            }
        }
    }
}
