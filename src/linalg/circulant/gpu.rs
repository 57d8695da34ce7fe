//! The GPU path: rfft of the input blocks, `circulant_accumulate.wgsl`,
//! irfft, in one recording.

use super::BlockCirculant;
use crate::backend::{Context, Groups};
use crate::error::Result;
use crate::fft::Normalization;
use crate::shaders::{self, kernel_params};

kernel_params! {
/// Uniforms of `circulant_accumulate.wgsl`.
struct AccumulateParams {
    batch: u32,
    p: u32,
    q: u32,
    h: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}
}

const WG: u32 = 256;

pub(super) fn circulant_matmul(
    ctx: &Context,
    x: &[f32],
    w: &BlockCirculant,
    batch: usize,
) -> Result<Vec<f32>> {
    let (p, q, n) = (w.p, w.q, w.n);
    let h = n / 2 + 1;
    let mut rec = ctx.recording("circulant matmul")?;
    let xs = rec.upload("circulant X", x)?;
    let ws = rec.upload("circulant W spectra", &w.spectra)?;
    let xf = rec.temporary("circulant X spectra", (batch * q * h * 8) as u64)?;
    let yf = rec.temporary("circulant Y spectra", (batch * p * h * 8) as u64)?;
    let ys = rec.temporary("circulant Y", (batch * p * n * 4) as u64)?;
    ctx.record_rfftn(
        &mut rec,
        &xs,
        &xf,
        &[batch * q, n],
        &[1],
        Normalization::Backward,
    )?;
    let outputs = (batch * p * h) as u64;
    rec.launch(
        &shaders::CIRCULANT_ACCUMULATE,
        &[("WG_SIZE", WG)],
        &[&ws, &xf, &yf],
        Groups::Threads {
            threads: outputs,
            per_group: WG,
        },
        |grid| AccumulateParams {
            batch: batch as u32,
            p: p as u32,
            q: q as u32,
            h: h as u32,
            groups_x: grid.0,
            ..Default::default()
        },
    )?;
    ctx.record_irfftn(
        &mut rec,
        &yf,
        &ys,
        &[batch * p, h],
        &[1],
        n,
        Normalization::Backward,
    )?;
    let out = rec.read_back(&ys)?;
    rec.submit()?.wait()?.take(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_match_the_kernel() {
        crate::shaders::assert_params::<super::AccumulateParams>(
            &crate::shaders::CIRCULANT_ACCUMULATE,
        );
    }
}
