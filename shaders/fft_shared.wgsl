// use common/complex.wgsl
//
// Batched FFT of any length whose prime factors are 2, 3, 5 and 7, with
// each line held whole in workgroup memory.
//
// One workgroup transforms `lines_per_group` lines of length `n`
// (lines_per_group * n <= the tile size) with mixed-radix Stockham stages
// (radix 2, 3, 4, 5, 7 or 8, listed in `radices_lo/hi`, four bits per stage,
// first stage lowest) between workgroup barriers: every thread reads all its
// butterfly inputs into registers, the workgroup synchronises, then every
// thread writes its outputs to their sorted positions, so one buffer of
// one tile of points suffices. The planner sizes tiles so that no thread holds
// more than REGS registers in any stage.
//
// Stage s of radix R after stages of total span S: butterfly j < n / R,
// k = j mod S, reads x[j + t n / R] times W_(S R)^(t k) (a table index
// t k n / (S R) into exp(-2 pi i m / n), m < n) and writes its outputs to
// y[(j - k) R + k + t S].
//
// Lines are addressed through a three-level batch index b = (b0, b1, b2) with
// separate input and output strides, which covers contiguous rows, strided
// axes of N-D tensors and both passes of the four-step algorithm. The
// optional "twist" multiplies output k of line b by W_N^(b0 * k), the
// four-step twiddle, read from a two-level table for f32 accuracy:
// W_N^m = lo[m mod L] * hi[m / L] with L = twist_lo_len.

override WG_SIZE: u32 = 256u;

// Specialisation: when SPEC_N is not 0 the line length, lines per group and
// stage radices are pipeline constants instead of uniforms. The driver then
// folds the index arithmetic, unrolls the stage and butterfly loops and keeps
// `regs` in registers. One pipeline per length, so it is used on real GPUs
// (fast compilers); software drivers run the generic kernel.
// Padding: with PAD_SHIFT > 0 point i of the tile lives at slot
// i + (i >> PAD_SHIFT), so strided tile accesses (columns of the four-step
// algorithm, the Stockham writes) spread over memory banks. SHARED_ALLOC is
// the slots allocated (the tile's points plus the padding).
override PAD_SHIFT: u32 = 0u;
override SHARED_ALLOC: u32 = 4096u;

override SPEC_N: u32 = 0u;
override SPEC_LINES: u32 = 0u;
override SPEC_STAGES: u32 = 0u;
override SPEC_RADICES_LO: u32 = 0u;
override SPEC_RADICES_HI: u32 = 0u;

struct Params {
    n: u32,
    stages: u32,
    lines_per_group: u32,
    num_lines: u32,
    groups_x: u32,
    dim0: u32,
    dim1: u32,
    twist_lo_len: u32,
    in_elem: u32,
    in_s0: u32,
    in_s1: u32,
    in_s2: u32,
    out_elem: u32,
    out_s0: u32,
    out_s1: u32,
    out_s2: u32,
    sign: f32,
    scale: f32,
    twist: u32,
    twist_lo_off: u32,
    twist_hi_off: u32,
    stage_off: u32,
    radices_lo: u32,
    radices_hi: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> twiddles: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> lines: array<vec2<f32>, SHARED_ALLOC>;

fn slot(i: u32) -> u32 {
    if PAD_SHIFT == 0u {
        return i;
    }
    return i + (i >> PAD_SHIFT);
}

fn line_len() -> u32 {
    if SPEC_N != 0u {
        return SPEC_N;
    }
    return params.n;
}

fn group_lines() -> u32 {
    if SPEC_N != 0u {
        return SPEC_LINES;
    }
    return params.lines_per_group;
}

fn stage_count() -> u32 {
    if SPEC_N != 0u {
        return SPEC_STAGES;
    }
    return params.stages;
}

fn line_offset(b: u32, s0: u32, s1: u32, s2: u32) -> u32 {
    let b0 = b % params.dim0;
    let rest = b / params.dim0;
    return b0 * s0 + (rest % params.dim1) * s1 + (rest / params.dim1) * s2;
}

// Element e of the workgroup's tile -> (line within group, index within line).
// Contiguous lines are walked index-fastest, strided lines line-fastest, so
// neighbouring threads touch neighbouring addresses either way.
fn tile_coords(e: u32, lines_here: u32, elem_stride: u32) -> vec2<u32> {
    if elem_stride == 1u {
        return vec2<u32>(e / line_len(), e % line_len());
    }
    return vec2<u32>(e % lines_here, e / lines_here);
}

// The radix of stage s.
fn stage_radix(s: u32) -> u32 {
    var word = params.radices_lo;
    if s >= 8u {
        word = params.radices_hi;
    }
    if SPEC_N != 0u {
        word = SPEC_RADICES_LO;
        if s >= 8u {
            word = SPEC_RADICES_HI;
        }
    }
    return (word >> ((s % 8u) * 4u)) & 15u;
}

@compute @workgroup_size(WG_SIZE)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let group = wid.x + wid.y * params.groups_x;
    let first_line = group * group_lines();
    // Uniform across the workgroup: whole groups leave together.
    if first_line >= params.num_lines {
        return;
    }
    let lines_here = min(group_lines(), params.num_lines - first_line);
    let n = line_len();
    let tile = lines_here * n;
    let sign = params.sign;

    for (var e = li; e < tile; e += WG_SIZE) {
        let c = tile_coords(e, lines_here, params.in_elem);
        let b = first_line + c.x;
        let addr = line_offset(b, params.in_s0, params.in_s1, params.in_s2) + c.y * params.in_elem;
        lines[slot(c.x * n + c.y)] = src[addr];
    }
    workgroupBarrier();

    var regs: array<vec2<f32>, REGS>;
    // stages: begin (src/fft/generate.rs replaces this part with unrolled stages)
    var span = 1u;
    for (var s = 0u; s < stage_count(); s++) {
        let radix = stage_radix(s);
        let quarter = n / radix;
        let butterflies = tile / radix;
        let table_step = n / (span * radix);
        // Butterflies per thread, fixed by the pipeline constants when
        // specialised; butterfly bf = li + q * WG_SIZE uses registers q * radix...
        let per_thread = (group_lines() * quarter + WG_SIZE - 1u) / WG_SIZE;

        // Read every input of this thread's butterflies, twiddled.
        for (var q = 0u; q < per_thread; q++) {
            let bf = li + q * WG_SIZE;
            if bf < butterflies {
                let c = bf / quarter;
                let j = bf % quarter;
                let k = j % span;
                let base = q * radix;
                for (var t = 0u; t < radix; t++) {
                    var v = lines[slot(c * n + j + t * quarter)];
                    if t > 0u {
                        v = cmul(v, twiddle_dir(twiddles[params.stage_off + t * k * table_step], sign));
                    }
                    regs[base + t] = v;
                }
                dft_radix(&regs, base, radix, sign);
            }
        }
        workgroupBarrier();
        for (var q = 0u; q < per_thread; q++) {
            let bf = li + q * WG_SIZE;
            if bf < butterflies {
                let c = bf / quarter;
                let j = bf % quarter;
                let k = j % span;
                let out_base = c * n + (j - k) * radix + k;
                let base = q * radix;
                for (var t = 0u; t < radix; t++) {
                    lines[slot(out_base + t * span)] = regs[base + t];
                }
            }
        }
        workgroupBarrier();
        span *= radix;
    }
    // stages: end

    let lo_len = max(params.twist_lo_len, 1u);
    for (var e = li; e < tile; e += WG_SIZE) {
        let c = tile_coords(e, lines_here, params.out_elem);
        let b = first_line + c.x;
        var v = lines[slot(c.x * n + c.y)];
        if params.twist != 0u {
            let m = (b % params.dim0) * c.y;
            let w = cmul(twiddles[params.twist_lo_off + m % lo_len],
                         twiddles[params.twist_hi_off + m / lo_len]);
            v = cmul(v, twiddle_dir(w, sign));
        }
        let addr = line_offset(b, params.out_s0, params.out_s1, params.out_s2) + c.y * params.out_elem;
        dst[addr] = v * params.scale;
    }
}
