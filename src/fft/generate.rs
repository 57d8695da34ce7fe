//! Per-plan WGSL for the shared-memory FFT pass: every stage of one length
//! written out, every radix, span, stride and index a literal, butterflies
//! as straight-line code on named values (`generate_dft.rs`), so the driver
//! sees no runtime radix switch, no register array indexed at run time, no
//! division by uniforms in the butterflies and no loops.
//!
//! Compared with `fft_shared.wgsl` (the generic fallback), a generated
//! kernel also takes radices up to 16 (4096 = 16^3: three passes over the
//! tile instead of four) and reads its first stage straight from `src` and
//! writes its last stage straight to `dst`: two trips through workgroup
//! memory and two barriers fewer. The accesses stay coalesced: in those two
//! stages neighbouring threads take neighbouring butterflies of a line where
//! lines are contiguous, and the same butterfly of neighbouring lines where
//! they are strided (the lines of a workgroup are neighbours in memory).
//! Bindings, uniforms, the twiddle table and the
//! four-step twist are the generic kernel's, so the Rust side launches both
//! the same way and results agree to rounding.
//!
//! A generated kernel is parsed and validated by naga like every kernel
//! when its pipeline is built, and the GPU conformance tests run both
//! kernels. Each distinct (length, lines per group, workgroup size) is
//! generated once per process and kept for its life (a few KiB each).

use std::fmt::Write;
use std::sync::Mutex;

use crate::fft::generate_dft::Emitter;
use crate::fft::recipe::WORKGROUP_SIZE;
use crate::shaders::{Kernel, FFT_SHARED};

/// The cache key of a generated kernel and the kernel.
type Generated = ((u32, u32, u32, Twiddles, Variant), &'static Kernel);

/// Largest power-of-two radix of a generated stage in lengths of three
/// stages or more.
pub(crate) const MAX_RADIX: u32 = 16;
/// Largest power-of-two radix of a length split into two stages: where
/// wider butterflies save a stage (and a round trip through the tile),
/// 512 = 32 x 16 and 1024 = 32 x 32 take two stages instead of three.
/// Default 32: radix 64 (2048 = 64 x 32, 4096 = 64 x 64) ran 4096 x 256
/// and 4096 x 4096 slower than three radix-16 stages in three of three
/// alternating runs on lavapipe (0.89-1.13 against 1.18-1.33 of VkFFT's
/// speed) and took 2-2.5 s to compile cold against 0.8-1.2 s.
/// `FFT_TENSOR_MAX_RADIX=16|32|64` overrides it (16: no wide powers of
/// two; other radices of two-stage splits stay up to
/// [`MAX_TWO_STAGE_RADIX`]).
pub(crate) fn max_wide_radix() -> u32 {
    match std::env::var("FFT_TENSOR_MAX_RADIX").as_deref() {
        Ok("16") => 16,
        Ok("64") => 64,
        _ => 32,
    }
}

/// Largest radix of a length split into two stages (see [`radices`]).
pub(crate) const MAX_TWO_STAGE_RADIX: u32 = 64;

/// Largest odd radix of a generated stage (a product of odd primes: 9, 15,
/// 21, 25, 27). A thread then holds at most 32 values in any tile of up to
/// 4096 points: a stage of radix R > 16 has at most 4096 / R < 256
/// butterflies, one per thread.
pub(crate) const MAX_ODD_RADIX: u32 = 27;

/// Stage radices of a generated kernel for a length whose prime factors are
/// 2, 3, 5, 7, 11 or 13: two stages where the length is the product of two
/// radices of at most [`MAX_TWO_STAGE_RADIX`] (the most balanced such
/// split, larger first: 1000 = 40 x 25, 4096 = 64 x 64); else the power of
/// two in as few stages of at most 16 as possible, split evenly (larger
/// first), then the odd primes, grouped into products of at most
/// [`MAX_ODD_RADIX`] (each stage from the largest prime left, times the
/// largest that fit). `None` for other lengths and zero.
pub(crate) fn radices(n: usize) -> Option<Vec<u32>> {
    if n == 0 {
        return None;
    }
    let bits = n.trailing_zeros();
    let mut rest = n >> bits;
    let stages = bits.div_ceil(MAX_RADIX.trailing_zeros());
    let mut out = Vec::new();
    for s in 0..stages {
        // Bits of stage s: bits / stages, the first (bits % stages) one more.
        let b = bits / stages + u32::from(s < bits % stages);
        out.push(1u32 << b);
    }
    // Odd primes, largest first.
    let mut primes = Vec::new();
    for p in [13u32, 11, 7, 5, 3] {
        while rest.is_multiple_of(p as usize) {
            primes.push(p);
            rest /= p as usize;
        }
    }
    if rest != 1 {
        return None;
    }
    let mut odd = Vec::new();
    while !primes.is_empty() {
        let mut radix = primes.remove(0);
        let mut i = 0;
        while i < primes.len() {
            if radix * primes[i] <= MAX_ODD_RADIX {
                radix *= primes.remove(i);
            } else {
                i += 1;
            }
        }
        odd.push(radix);
    }
    out.extend(odd);
    if out.len() > 2 {
        if let Some(pair) = two_stages(n) {
            return Some(pair);
        }
    }
    Some(out)
}

/// The most balanced split of `n` into two stages of at most
/// [`MAX_TWO_STAGE_RADIX`] (larger first), if any: 1000 = 40 x 25.
fn two_stages(n: usize) -> Option<Vec<u32>> {
    let max = MAX_TWO_STAGE_RADIX as usize;
    let wide = max_wide_radix() as usize;
    (n.div_ceil(max)..=max.min(n))
        .filter(|&a| n.is_multiple_of(a) && n / a <= a)
        .find(|&a| {
            // Power-of-two radices above 16 only where they are allowed.
            let b = n / a;
            [a, b].iter().all(|&r| !r.is_power_of_two() || r <= wide)
        })
        .map(|a| vec![a as u32, (n / a) as u32])
}

/// How a pass reads or writes its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Io {
    /// Contiguous rows: line `b` starts at `b * n` (the first stage reads,
    /// the last writes, global memory directly).
    Rows,
    /// Contiguous lines at `line_offset(b)` (directly, too).
    Contiguous,
    /// Strided lines (neighbouring threads take neighbouring lines).
    Strided,
    /// Output only: the spectrum `Z` of each line is that of a real row of
    /// `2n` points read as `n` complex pairs; written as the row's half
    /// spectrum `X[k] = E[k] + W_2n^k O[k]`, `k = 0..=n`, with
    /// `E[k] = (Z[k] + conj Z[n-k]) / 2` and `O[k] = -i (Z[k] - conj Z[n-k]) / 2`,
    /// in contiguous rows of `n + 1` (the post-processing of
    /// `rfft_post.wgsl` fused into the pass). `W_2n^k` sits at
    /// `stage_off + n + k` in the twiddle table.
    HalfSpectrum,
}

/// What a dispatch of a generated kernel does beyond its stages. Known when
/// the pass is recorded, so each combination is its own kernel with no
/// branch on a uniform: software drivers run both sides of such branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Variant {
    pub(crate) input: Io,
    pub(crate) output: Io,
    /// Every workgroup holds its full number of lines and the grid has no
    /// spare workgroups: no bounds checks.
    pub(crate) exact: bool,
    /// The four-step twist `W_N^(b0 k)`, `b0 = b mod dim0`, from the
    /// two-level table with `lo_len` low entries: `(lo_len, dim0)`.
    pub(crate) twist: Option<(u32, u32)>,
    /// No more lines to a workgroup than `dim0`: the line offsets of
    /// [`Io::Contiguous`] and [`Io::Strided`] come from the first line's
    /// `(b0, b1, b2)`, split once per invocation, and at most one carry
    /// (no division per butterfly).
    pub(crate) hoist: bool,
}

impl Variant {
    /// Whether line offsets come from the layout's strides.
    fn strided(&self) -> bool {
        [self.input, self.output]
            .iter()
            .any(|io| matches!(io, Io::Contiguous | Io::Strided))
    }
}

/// Invocations of a generated kernel: [`WORKGROUP_SIZE`], or for two
/// stages one wider than [`MAX_RADIX`], one per butterfly of the stage with
/// the fewest (1024-point lines, 4 to a tile, 32 x 32: 128; 4096 = 64 x
/// 64: 64; 4 lines of 1000 = 40 x 25: 100), so no thread sits idle through
/// the wide stage.
pub(crate) fn workgroup_size(n: u32, radices: &[u32], lines: u32) -> u32 {
    if radices.len() == 2 && radices.iter().any(|&r| r > MAX_RADIX) {
        radices
            .iter()
            .map(|&r| lines * n / r)
            .min()
            .unwrap_or(1)
            .clamp(1, WORKGROUP_SIZE)
    } else {
        WORKGROUP_SIZE
    }
}

/// The shared kernel for lines of length `n` with stage `radices` (their
/// product is `n`; at least one stage), `lines` lines per workgroup, `wg`
/// invocations, for one [`Variant`].
pub(crate) fn shared_kernel(
    n: u32,
    radices: &[u32],
    lines: u32,
    wg: u32,
    variant: Variant,
) -> &'static Kernel {
    static CACHE: Mutex<Vec<Generated>> = Mutex::new(Vec::new());
    let twiddles = Twiddles::from_env();
    let key = (n, lines, wg, twiddles, variant);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, k)) = cache.iter().find(|(k, _)| *k == key) {
        return k;
    }
    let shape = Shape {
        n,
        lines,
        wg,
        twiddles,
        v: variant,
    };
    let kernel: &'static Kernel = Box::leak(Box::new(Kernel {
        name: Box::leak(
            format!("fft_shared.wgsl (generated: n {n}, {lines} lines, {twiddles:?}, {variant:?})")
                .into_boxed_str(),
        ),
        body: Box::leak(body(&shape, radices).into_boxed_str()),
    }));
    cache.push((key, kernel));
    kernel
}

/// The declarations of `fft_shared.wgsl` (everything before its entry
/// point) and a generated entry point.
fn body(shape: &Shape, radices: &[u32]) -> String {
    let text = FFT_SHARED.body;
    let start = text
        .find("@compute")
        .expect("fft_shared.wgsl has an entry point");
    let mut out = String::with_capacity(start + 16384);
    out.push_str(&text[..start]);
    finish_fn(&mut out, shape.v.twist);
    if shape.v.hoist && shape.v.strided() {
        line_at_fn(&mut out);
    }
    entry(&mut out, shape, radices);
    out
}

/// Output scaling and the optional four-step twist, as in the generic
/// kernel's store loop.
fn finish_fn(s: &mut String, twist: Option<(u32, u32)>) {
    let _ = writeln!(
        s,
        "fn finish(v: vec2<f32>, b: u32, idx: u32, sign: f32) -> vec2<f32> {{"
    );
    if let Some((lo_len, dim0)) = twist {
        let _ = write!(
            s,
            "    let m = (b % {dim0}u) * idx;
    let t = cmul(twiddles[params.twist_lo_off + m % {lo_len}u],
                 twiddles[params.twist_hi_off + m / {lo_len}u]);
    return cmul(v, twiddle_dir(t, sign)) * params.scale;
"
        );
    } else {
        let _ = writeln!(s, "    return v * params.scale;");
    }
    let _ = writeln!(s, "}}\n");
}

/// The offset of line `first + c` of a group from the first line's split
/// `g = (b0, b1, b2)`, for `c < dim0` (at most one carry into `b1`, one
/// from `b1` into `b2`).
fn line_at_fn(s: &mut String) {
    let _ = write!(
        s,
        "fn line_at(g: vec3<u32>, c: u32, s0: u32, s1: u32, s2: u32) -> u32 {{
    let b0 = g.x + c;
    let wrap0 = b0 >= params.dim0;
    let b1 = g.y + select(0u, 1u, wrap0);
    let wrap1 = b1 >= params.dim1;
    return select(b0, b0 - params.dim0, wrap0) * s0 + select(b1, 0u, wrap1) * s1
        + (g.z + select(0u, 1u, wrap1)) * s2;
}}

"
    );
}

struct Shape {
    n: u32,
    lines: u32,
    wg: u32,
    twiddles: Twiddles,
    v: Variant,
}

/// How a generated kernel gets its stage twiddles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Twiddles {
    /// Every `W^(t k)` read from the f64-computed table (one rounding each).
    Table,
    /// `W^k`, `W^2k`, `W^4k`, `W^8k` read, the others their products (up to
    /// three roundings more; 4 reads instead of 15 for radix 16).
    Products,
}

impl Twiddles {
    /// `FFT_TENSOR_TWIDDLES=table|products`, default products: on lavapipe
    /// they ran every row of the VkFFT comparison as fast or faster (4096-
    /// point lines about 1.25x) at RMS errors 1.1-1.3x the table's, still
    /// below VkFFT's on every row (1.4e-7 against 1.2e-7 and VkFFT's 2.1e-7
    /// for 4096 points).
    pub(crate) fn from_env() -> Self {
        match std::env::var("FFT_TENSOR_TWIDDLES").as_deref() {
            Ok("table") => Twiddles::Table,
            _ => Twiddles::Products,
        }
    }
}

fn entry(s: &mut String, shape: &Shape, radices: &[u32]) {
    let Shape { lines, wg, v, .. } = *shape;
    let regs = radices
        .iter()
        .map(|&r| per_thread(shape, r) * r)
        .max()
        .unwrap_or(0);
    let _ = write!(
        s,
        "@compute @workgroup_size({wg})
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {{
    let group = wid.x + wid.y * params.groups_x;
    let first_line = group * {lines}u;
    let sign = params.sign;
"
    );
    if v.exact {
        let _ = writeln!(s, "    let lines_here = {lines}u;");
    } else {
        let _ = write!(
            s,
            "    // Uniform across the workgroup: whole groups leave together.
    if first_line >= params.num_lines {{
        return;
    }}
    let lines_here = min({lines}u, params.num_lines - first_line);
"
        );
    }
    if v.hoist && v.strided() {
        let _ = write!(
            s,
            "    let g_rest = first_line / params.dim0;
    let g = vec3<u32>(first_line % params.dim0, g_rest % params.dim1, g_rest / params.dim1);
"
        );
    }
    for r in 0..regs {
        let _ = writeln!(s, "    var v{r}: vec2<f32>;");
    }
    let mut span = 1u32;
    let last = radices.len() - 1;
    for (stage, &radix) in radices.iter().enumerate() {
        let global_in = stage == 0;
        let global_out = stage == last && v.output != Io::HalfSpectrum;
        // Strided lines are walked line-fastest in the stages that touch
        // them, so neighbouring threads touch neighbouring addresses.
        let order =
            if (global_in && v.input == Io::Strided) || (global_out && v.output == Io::Strided) {
                Order::LineFastest
            } else {
                Order::IndexFastest
            };
        let _ = writeln!(s, "    // stage {stage}: radix {radix}, span {span}");
        read_stage(s, shape, radix, span, global_in, order);
        if global_out {
            write_direct(s, shape, radix, order);
            break;
        }
        // Between reading and overwriting the tile.
        if !global_in {
            let _ = writeln!(s, "    workgroupBarrier();");
        }
        write_tile(s, shape, radix, span, order);
        let _ = writeln!(s, "    workgroupBarrier();");
        if stage == last {
            half_spectrum(s, shape);
        }
        span *= radix;
    }
    let _ = writeln!(s, "}}");
}

/// The half spectra of [`Io::HalfSpectrum`] from the tile (the lines'
/// spectra in natural order): one output point per thread and step.
fn half_spectrum(s: &mut String, shape: &Shape) {
    let Shape {
        n, lines, wg, v, ..
    } = *shape;
    let h1 = n + 1;
    let total = lines * h1;
    for i in 0..total.div_ceil(wg) {
        let guard = !v.exact || (i + 1) * wg > total;
        let _ = writeln!(s, "    {{");
        let _ = writeln!(s, "        let e = li + {}u;", i * wg);
        if guard {
            let _ = writeln!(s, "        if e < lines_here * {h1}u {{");
        } else {
            let _ = writeln!(s, "        {{");
        }
        let _ = write!(
            s,
            "            let c = e / {h1}u;
            let k = e % {h1}u;
            let zk = lines[slot(c * {n}u + k % {n}u)];
            let zm = lines[slot(c * {n}u + ({n}u - k) % {n}u)];
            let zc = vec2<f32>(zm.x, -zm.y);
            let d = zk - zc;
            let o = vec2<f32>(0.5 * d.y, -0.5 * d.x);
            let w = twiddles[params.stage_off + {n}u + k];
            dst[(first_line + c) * {h1}u + k] = (0.5 * (zk + zc) + cmul(w, o)) * params.scale;
"
        );
        close(s);
    }
}

/// How a stage's butterflies are spread over the threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Neighbouring threads take neighbouring butterflies of one line.
    IndexFastest,
    /// Neighbouring threads take the same butterfly of neighbouring lines.
    LineFastest,
}

/// Butterflies per thread in a stage of `radix`.
fn per_thread(shape: &Shape, radix: u32) -> u32 {
    (shape.lines * (shape.n / radix)).div_ceil(shape.wg)
}

/// Opens the block of butterfly `q` of this thread: `c` (line in the
/// group), `j` (butterfly in the line), `k = j mod span` in scope. The
/// bounds check is left out where every thread's slot `q` is in range.
fn open(s: &mut String, shape: &Shape, radix: u32, span: u32, q: u32, order: Order) {
    let quarter = shape.n / radix;
    let _ = writeln!(s, "    {{");
    let _ = writeln!(s, "        let bf = li + {}u;", q * shape.wg);
    let guard = !shape.v.exact || (q + 1) * shape.wg > shape.lines * quarter;
    if guard {
        let _ = writeln!(s, "        if bf < lines_here * {quarter}u {{");
    } else {
        let _ = writeln!(s, "        {{");
    }
    match order {
        Order::IndexFastest => {
            let _ = writeln!(s, "            let c = bf / {quarter}u;");
            let _ = writeln!(s, "            let j = bf % {quarter}u;");
        }
        Order::LineFastest => {
            let _ = writeln!(s, "            let c = bf % lines_here;");
            let _ = writeln!(s, "            let j = bf / lines_here;");
        }
    }
    if span > 1 {
        let _ = writeln!(s, "            let k = j % {span}u;");
    }
}

fn close(s: &mut String) {
    let _ = writeln!(s, "        }}\n    }}");
}

/// The offset of line `first_line + c` for direct access.
fn line_base(io: Io, n: u32, out: bool, hoist: bool) -> String {
    let b = "(first_line + c)";
    match (io, out) {
        (Io::Rows, _) => format!("{b} * {n}u"),
        (Io::HalfSpectrum, _) => format!("{b} * {}u", n + 1),
        (_, false) if hoist => "line_at(g, c, params.in_s0, params.in_s1, params.in_s2)".into(),
        (_, true) if hoist => "line_at(g, c, params.out_s0, params.out_s1, params.out_s2)".into(),
        (_, false) => format!("line_offset({b}, params.in_s0, params.in_s1, params.in_s2)"),
        (_, true) => format!("line_offset({b}, params.out_s0, params.out_s1, params.out_s2)"),
    }
}

/// The address of point `i` (an expression) of the line at `at`.
fn point(io: Io, out: bool, i: &str) -> String {
    match (io, out) {
        (Io::Strided, false) => format!("src[at + ({i}) * params.in_elem]"),
        (Io::Strided, true) => format!("dst[at + ({i}) * params.out_elem]"),
        (_, false) => format!("src[at + {i}]"),
        (_, true) => format!("dst[at + {i}]"),
    }
}

/// Every butterfly of the thread: inputs (twiddled), the DFT, outputs into
/// `v(q * radix + t)`. `global` reads the first stage from `src`.
fn read_stage(s: &mut String, shape: &Shape, radix: u32, span: u32, global: bool, order: Order) {
    let n = shape.n;
    let quarter = n / radix;
    let table_step = n / (span * radix);
    let io = shape.v.input;
    for q in 0..per_thread(shape, radix) {
        open(s, shape, radix, span, q, order);
        if global {
            let _ = writeln!(
                s,
                "            let at = {};",
                line_base(io, n, false, shape.v.hoist)
            );
        }
        if span > 1 {
            stage_twiddles(s, radix, table_step, shape.twiddles);
        }
        for t in 0..radix {
            let load = if global {
                point(io, false, &format!("j + {}u", t * quarter))
            } else {
                format!("lines[slot(c * {n}u + j + {}u)]", t * quarter)
            };
            if t == 0 || span == 1 {
                let _ = writeln!(s, "            let x{t} = {load};");
            } else {
                let _ = writeln!(s, "            let x{t} = cmul({load}, w{t});");
            }
        }
        let inputs: Vec<String> = (0..radix).map(|t| format!("x{t}")).collect();
        let outputs = Emitter::new(s, "            ", "d").dft(&inputs);
        for (t, o) in outputs.iter().enumerate() {
            let _ = writeln!(s, "            v{} = {o};", q * radix + t as u32);
        }
        close(s);
    }
}

/// `w1 .. w(R-1)`: the twiddles `W^(t k)` of butterfly `k` in direction
/// `sign`, all from the table, or from the table at powers of two `t` and
/// as products of those (at most three deep) for the others.
fn stage_twiddles(s: &mut String, radix: u32, table_step: u32, twiddles: Twiddles) {
    for t in 1..radix {
        let hi = 1u32 << (31 - t.leading_zeros());
        if twiddles == Twiddles::Products && hi != t {
            let _ = writeln!(s, "            let w{t} = cmul(w{hi}, w{});", t - hi);
        } else {
            let _ = writeln!(
                s,
                "            let w{t} = twiddle_dir(twiddles[params.stage_off + k * {}u], sign);",
                t * table_step
            );
        }
    }
}

/// Every output of the thread to its sorted position in the tile.
fn write_tile(s: &mut String, shape: &Shape, radix: u32, span: u32, order: Order) {
    let n = shape.n;
    for q in 0..per_thread(shape, radix) {
        open(s, shape, radix, span, q, order);
        let k = if span > 1 { "k" } else { "0u" };
        let _ = writeln!(
            s,
            "            let out = c * {n}u + (j - {k}) * {radix}u + {k};"
        );
        for t in 0..radix {
            let _ = writeln!(
                s,
                "            lines[slot(out + {}u)] = v{};",
                t * span,
                q * radix + t
            );
        }
        close(s);
    }
}

/// The last stage's outputs straight to the lines of `dst`: output `t` of
/// butterfly `j` is point `j + t n / R` of its line.
fn write_direct(s: &mut String, shape: &Shape, radix: u32, order: Order) {
    let n = shape.n;
    let quarter = n / radix;
    let io = shape.v.output;
    // In the last stage span = n / R, so k = j.
    for q in 0..per_thread(shape, radix) {
        open(s, shape, radix, 1, q, order);
        let _ = writeln!(s, "            let b = first_line + c;");
        let _ = writeln!(
            s,
            "            let at = {};",
            line_base(io, n, true, shape.v.hoist)
        );
        for t in 0..radix {
            let i = format!("j + {}u", t * quarter);
            let _ = writeln!(
                s,
                "            {} = finish(v{r}, b, {i}, sign);",
                point(io, true, &i),
                r = q * radix + t
            );
        }
        close(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fft::recipe::lines_per_group;

    #[test]
    fn radices_multiply_to_the_length() {
        assert_eq!(radices(4096), Some(vec![16, 16, 16]));
        assert_eq!(radices(1024), Some(vec![32, 32]));
        assert_eq!(radices(512), Some(vec![32, 16]));
        assert_eq!(radices(2048), Some(vec![16, 16, 8]));
        assert_eq!(radices(256), Some(vec![16, 16]));
        assert_eq!(radices(8192), Some(vec![16, 8, 8, 8]));
        assert_eq!(radices(3072), Some(vec![16, 8, 8, 3]));
        assert_eq!(radices(3600), Some(vec![60, 60]));
        assert_eq!(radices(6144), Some(vec![16, 16, 8, 3]));
        assert_eq!(radices(2), Some(vec![2]));
        assert_eq!(radices(32), Some(vec![8, 4]));
        assert_eq!(radices(4095), Some(vec![13, 21, 15]));
        assert_eq!(radices(1000), Some(vec![40, 25]));
        assert_eq!(radices(96), Some(vec![12, 8]));
        assert_eq!(radices(729), Some(vec![27, 27]));
        assert_eq!(radices(3888), Some(vec![16, 27, 9]));
        assert_eq!(radices(11 * 11 * 13), Some(vec![13, 11, 11]));
        assert_eq!(radices(1), Some(vec![]));
        assert_eq!(radices(0), None);
        assert_eq!(radices(17), None);
        for n in 1..=5000usize {
            if let Some(r) = radices(n) {
                assert_eq!(r.iter().map(|&x| x as usize).product::<usize>(), n);
                assert!(
                    r.iter().all(|&x| x <= MAX_RADIX
                        || (x % 2 == 1 && x <= MAX_ODD_RADIX)
                        || (r.len() == 2 && x <= MAX_TWO_STAGE_RADIX)),
                    "{n}: {r:?}"
                );
            }
        }
    }

    /// Every generated kernel parses and validates with naga, for lengths
    /// of every radix mix and tile shape the planner makes.
    #[test]
    fn generated_kernels_validate() {
        let variants = [Io::Rows, Io::Contiguous, Io::Strided]
            .into_iter()
            .flat_map(|input| {
                [Io::Rows, Io::Strided, Io::HalfSpectrum]
                    .into_iter()
                    .flat_map(move |output| {
                        [false, true].into_iter().flat_map(move |exact| {
                            [None, Some((64, 7))].into_iter().flat_map(move |twist| {
                                [false, true].into_iter().map(move |hoist| Variant {
                                    input,
                                    output,
                                    exact,
                                    twist,
                                    hoist,
                                })
                            })
                        })
                    })
            });
        let lengths = [
            2usize, 3, 8, 13, 60, 96, 143, 512, 1000, 1024, 2187, 3584, 4095, 4096,
        ];
        // Radix 64 (`FFT_TENSOR_MAX_RADIX=64`) beside the default splits.
        let splits = lengths.iter().map(|&n| (n, radices(n).unwrap())).chain([
            (4096, vec![64, 64]),
            (2048, vec![64, 32]),
            (3072, vec![64, 48]),
        ]);
        for ((n, r), variant) in splits.flat_map(|s| variants.clone().map(move |v| (s.clone(), v)))
        {
            let lines = lines_per_group(n, &r, 4096, true) as u32;
            let wg = workgroup_size(n as u32, &r, lines);
            let k = shared_kernel(n as u32, &r, lines, wg, variant);
            let src = k.source();
            let module = naga::front::wgsl::parse_str(&src)
                .unwrap_or_else(|e| panic!("{}: {}", k.name, e.emit_to_string(&src)));
            naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::empty(),
            )
            .validate(&module)
            .unwrap_or_else(|e| panic!("{}: {e:?}", k.name));
            assert!(
                !src.contains("for (var s = 0u"),
                "{}: stage loop left",
                k.name
            );
        }
        let v = Variant {
            input: Io::Rows,
            output: Io::Rows,
            exact: true,
            twist: None,
            hoist: false,
        };
        let a = shared_kernel(64, &[8, 8], 64, WORKGROUP_SIZE, v);
        let b = shared_kernel(64, &[8, 8], 64, WORKGROUP_SIZE, v);
        assert!(std::ptr::eq(a, b), "generated once per shape");
    }
}
