//! The GPU path of the spectral matmul, one recording.

use super::SpectralWeight;
use crate::backend::{Context, Groups};
use crate::error::Result;
use crate::shaders::{self, kernel_params};

kernel_params! {
/// Uniforms of `spectral_gather.wgsl`.
struct GatherParams {
    batch: u32,
    n: u32,
    m: u32,
    groups_x: u32,
}
}

const WG: u32 = 256;

pub(super) fn spectral_matmul(
    ctx: &Context,
    x: &[f32],
    w: &SpectralWeight,
    batch: usize,
) -> Result<Vec<f32>> {
    let (m, n) = (w.rows, w.cols);
    let mut rec = ctx.recording("spectral matmul")?;
    let xs = rec.upload("spectral X", x)?;
    let xhat = rec.temporary("spectral X DCT", (4 * batch * n) as u64)?;
    let starts = rec.upload("spectral W rows", &w.starts)?;
    // Empty spectra still bind a word.
    let columns = rec.upload("spectral W columns", &pad(&w.columns, 0))?;
    let values = rec.upload("spectral W values", &pad(&w.values, 0.0))?;
    let z = rec.temporary("spectral Z", (4 * batch * m) as u64)?;
    let y = rec.temporary("spectral Y", (4 * batch * m) as u64)?;
    ctx.record_dctn(&mut rec, &xs, &xhat, &[batch, n], &[1], false)?;
    rec.launch(
        &shaders::SPECTRAL_GATHER,
        &[("WG_SIZE", WG)],
        &[&starts, &columns, &values, &xhat, &z],
        Groups::Threads {
            threads: (batch * m) as u64,
            per_group: WG,
        },
        |grid| GatherParams {
            batch: batch as u32,
            n: n as u32,
            m: m as u32,
            groups_x: grid.0,
        },
    )?;
    ctx.record_dctn(&mut rec, &z, &y, &[batch, m], &[1], true)?;
    let out = rec.read_back(&y)?;
    rec.submit()?.wait()?.take(out)
}

fn pad<T: Copy>(v: &[T], fill: T) -> Vec<T> {
    if v.is_empty() {
        vec![fill]
    } else {
        v.to_vec()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_match_the_kernel() {
        crate::shaders::assert_params::<super::GatherParams>(&crate::shaders::SPECTRAL_GATHER);
    }
}
