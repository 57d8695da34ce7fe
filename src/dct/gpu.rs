//! The GPU path of the DCT: reorder, real FFT, rotate (and back).

use std::sync::Arc;

use crate::backend::{BufferSlice, Context, GpuBuffer, Groups, Recording};
use crate::error::{Error, Result};
use crate::fft::recipe::WORKGROUP_SIZE as WG;
use crate::fft::{twiddle, Normalization};
use crate::shaders::{self, kernel_params};
use crate::tensor::axis_split;

kernel_params! {
/// Uniforms of `dct_reorder.wgsl`.
struct ReorderParams {
    outer: u32,
    n: u32,
    inner: u32,
    mode: u32,
    groups_x: u32,
    _pad: [u32; 3],
}
}

kernel_params! {
/// Uniforms of `dct_spectrum.wgsl`.
struct SpectrumParams {
    outer: u32,
    n: u32,
    inner: u32,
    mode: u32,
    groups_x: u32,
    s0: f32,
    s: f32,
    _pad: u32,
}
}

const CONSTANTS: &[(&str, u32)] = &[("WG_SIZE", WG)];

fn threads(count: usize) -> Groups {
    Groups::Threads {
        threads: count as u64,
        per_group: WG,
    }
}

/// The DCT's twiddles `exp(-2 pi i k / 4n)`, `k < n`, on the GPU, cached
/// per context.
fn twiddles(ctx: &Context, n: usize) -> Result<Arc<GpuBuffer>> {
    #[derive(Hash, PartialEq, Eq)]
    struct DctTwiddles(usize);
    ctx.cached(DctTwiddles(n), || {
        let gpu = ctx.gpu().ok_or(Error::NoGpu { op: "DCT twiddles" })?;
        gpu.storage_from("dct twiddles", &twiddle::forward(4 * n, n))
    })
}

/// Records an orthonormal DCT-II (or, `inverse`, DCT-III) along `axis` of a
/// tensor of `shape` from `src` into `dst`.
pub(crate) fn record_dct_axis(
    ctx: &Context,
    rec: &mut Recording,
    src: &BufferSlice,
    dst: &BufferSlice,
    shape: &[usize],
    axis: usize,
    inverse: bool,
) -> Result<()> {
    let (outer, n, inner) = axis_split(shape, axis);
    let lines = outer * inner;
    let h1 = n / 2 + 1;
    let rows = rec.temporary("dct rows", (lines * n * 4) as u64)?;
    let half = rec.temporary("dct half spectrum", (lines * h1 * 8) as u64)?;
    let twiddles = twiddles(ctx, n)?.slice();
    let reorder_params = |mode: u32| {
        move |grid: (u32, u32)| ReorderParams {
            outer: outer as u32,
            n: n as u32,
            inner: inner as u32,
            mode,
            groups_x: grid.0,
            _pad: [0; 3],
        }
    };
    let spectrum_params = |grid: (u32, u32)| SpectrumParams {
        outer: outer as u32,
        n: n as u32,
        inner: inner as u32,
        mode: u32::from(inverse),
        groups_x: grid.0,
        s0: (1.0 / n as f64).sqrt() as f32,
        s: (2.0 / n as f64).sqrt() as f32,
        _pad: 0,
    };
    if inverse {
        rec.launch(
            &shaders::DCT_SPECTRUM,
            CONSTANTS,
            &[src, &half, &twiddles],
            threads(lines * h1),
            spectrum_params,
        )?;
        ctx.record_irfft_axis(rec, &half, &rows, (lines, n, 1), Normalization::Backward)?;
        rec.launch(
            &shaders::DCT_REORDER,
            CONSTANTS,
            &[&rows, dst],
            threads(lines * n),
            reorder_params(1),
        )
    } else {
        rec.launch(
            &shaders::DCT_REORDER,
            CONSTANTS,
            &[src, &rows],
            threads(lines * n),
            reorder_params(0),
        )?;
        ctx.record_rfft_axis(rec, &rows, &half, (lines, n, 1), Normalization::None)?;
        rec.launch(
            &shaders::DCT_SPECTRUM,
            CONSTANTS,
            &[&half, dst, &twiddles],
            threads(lines * n),
            spectrum_params,
        )
    }
}

#[cfg(test)]
mod params_layout {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<ReorderParams>(&shaders::DCT_REORDER);
        assert_params::<SpectrumParams>(&shaders::DCT_SPECTRUM);
    }
}
