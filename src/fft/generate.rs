//! Per-plan WGSL: `fft_shared.wgsl` with its stage loop replaced by the
//! stages of one length, unrolled, every radix, span, stride and register
//! index a literal. The driver then sees no runtime radix switch, no
//! runtime-indexed register array and no division by uniforms in the
//! butterflies, which the generic kernel's loops leave to it. Loads, stores,
//! the four-step twist and the bindings are those of the hand-written
//! kernel, so the Rust side launches both the same way; the twiddles are
//! the same table, so results match the generic kernel's to rounding.
//!
//! A generated kernel is parsed and validated by naga like every kernel
//! when its pipeline is built, and the GPU conformance tests run it through
//! the "specialised" variant. Each distinct (length, lines per group) is
//! generated once per process and kept for its life (a few KiB each).

use std::fmt::Write;
use std::sync::Mutex;

use crate::shaders::{Kernel, FFT_SHARED};

/// (length, lines per group, workgroup size) and its generated kernel.
type Generated = ((u32, u32, u32), &'static Kernel);

const BEGIN: &str = "    // stages: begin";
const END: &str = "    // stages: end";

/// The shared kernel for lines of length `n` with `radices`, `lines` lines
/// per workgroup and `wg` invocations.
pub(crate) fn shared_kernel(n: u32, radices: &[u32], lines: u32, wg: u32) -> &'static Kernel {
    static CACHE: Mutex<Vec<Generated>> = Mutex::new(Vec::new());
    let key = (n, lines, wg);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, k)) = cache.iter().find(|(k, _)| *k == key) {
        return k;
    }
    let kernel: &'static Kernel = Box::leak(Box::new(Kernel {
        name: Box::leak(
            format!("fft_shared.wgsl (generated: n {n}, {lines} lines)").into_boxed_str(),
        ),
        body: Box::leak(body(n, radices, lines, wg).into_boxed_str()),
    }));
    cache.push((key, kernel));
    kernel
}

/// `fft_shared.wgsl` with the unrolled stages in place of its loop.
fn body(n: u32, radices: &[u32], lines: u32, wg: u32) -> String {
    let text = FFT_SHARED.body;
    let start = text.find(BEGIN).expect("fft_shared.wgsl marks its stages");
    let end = text.find(END).expect("fft_shared.wgsl marks its stages");
    let mut out = String::with_capacity(text.len() + 4096);
    out.push_str(&text[..start]);
    out.push_str(&stages(n, radices, lines, wg));
    out.push_str(&text[end..]);
    out
}

/// The unrolled stages, reading and writing the tile `lines` through
/// `slot()`, with `tile`, `li`, `sign` and `regs` in scope.
fn stages(n: u32, radices: &[u32], lines: u32, wg: u32) -> String {
    let mut s = String::new();
    let mut span = 1u32;
    for (stage, &radix) in radices.iter().enumerate() {
        let quarter = n / radix;
        let table_step = n / (span * radix);
        let per_thread = (lines * quarter).div_ceil(wg);
        let _ = writeln!(s, "    // stage {stage}: radix {radix}, span {span}");
        let head = |s: &mut String, q: u32| {
            let _ = writeln!(s, "    {{");
            let _ = writeln!(s, "        let bf = li + {}u;", q * wg);
            let _ = writeln!(s, "        if bf < tile / {radix}u {{");
            let _ = writeln!(s, "            let c = bf / {quarter}u;");
            let _ = writeln!(s, "            let j = bf % {quarter}u;");
            let _ = writeln!(s, "            let k = j % {span}u;");
        };
        for q in 0..per_thread {
            head(&mut s, q);
            let _ = writeln!(s, "            let at = c * {n}u + j;");
            for t in 0..radix {
                let reg = q * radix + t;
                let load = format!("lines[slot(at + {}u)]", t * quarter);
                if t == 0 || span == 1 {
                    let _ = writeln!(s, "            regs[{reg}] = {load};");
                } else {
                    let _ = writeln!(
                        s,
                        "            regs[{reg}] = cmul({load}, twiddle_dir(twiddles[params.stage_off + k * {}u], sign));",
                        t * table_step
                    );
                }
            }
            let _ = writeln!(
                s,
                "            dft_radix(&regs, {}u, {radix}u, sign);",
                q * radix
            );
            let _ = writeln!(s, "        }}\n    }}");
        }
        let _ = writeln!(s, "    workgroupBarrier();");
        for q in 0..per_thread {
            head(&mut s, q);
            let _ = writeln!(
                s,
                "            let out = c * {n}u + (j - k) * {radix}u + k;"
            );
            for t in 0..radix {
                let _ = writeln!(
                    s,
                    "            lines[slot(out + {}u)] = regs[{}];",
                    t * span,
                    q * radix + t
                );
            }
            let _ = writeln!(s, "        }}\n    }}");
        }
        let _ = writeln!(s, "    workgroupBarrier();");
        span *= radix;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fft::recipe::{lines_per_group, radices, WORKGROUP_SIZE};

    /// Every generated kernel parses and validates with naga, for lengths
    /// of every radix mix and tile shape the planner makes.
    #[test]
    fn generated_kernels_validate() {
        for n in [1usize, 2, 3, 8, 60, 96, 1000, 2187, 3584, 4096] {
            let r = radices(n).unwrap();
            let lines = lines_per_group(n, &r, 4096) as u32;
            let k = shared_kernel(n as u32, &r, lines, WORKGROUP_SIZE);
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
        let a = shared_kernel(64, &[8, 8], 64, WORKGROUP_SIZE);
        let b = shared_kernel(64, &[8, 8], 64, WORKGROUP_SIZE);
        assert!(std::ptr::eq(a, b), "generated once per shape");
    }
}
