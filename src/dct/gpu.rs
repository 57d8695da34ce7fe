//! The GPU path of the DCT: reorder, real FFT, rotate (and back).

use crate::backend::{Context, GpuBuffer};
use crate::error::{Error, Result};
use crate::fft::recipe::WORKGROUP_SIZE as WG;
use crate::fft::{twiddle, Normalization};
use crate::shaders;
use crate::tensor::axis_split;

/// Uniforms of `dct_reorder.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ReorderParams {
    outer: u32,
    n: u32,
    inner: u32,
    mode: u32,
    groups_x: u32,
    _pad: [u32; 3],
}

/// Uniforms of `dct_spectrum.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
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

/// Records an orthonormal DCT-II (or, `inverse`, DCT-III) along `axis` of a
/// tensor of `shape` from `src` into `dst`. Returns the temporaries, to be
/// kept until the work is submitted.
pub(crate) fn encode_dct_axis(
    ctx: &Context,
    encoder: &mut wgpu::CommandEncoder,
    src: &GpuBuffer,
    dst: &GpuBuffer,
    shape: &[usize],
    axis: usize,
    inverse: bool,
) -> Result<Vec<GpuBuffer>> {
    let gpu = ctx
        .gpu()
        .ok_or_else(|| Error::invalid("ctx", "GPU work needs a GPU context"))?;
    let (outer, n, inner) = axis_split(shape, axis);
    let lines = outer * inner;
    let h1 = n / 2 + 1;
    let rows = gpu.storage("dct rows", (lines * n * 4) as u64)?;
    let half = gpu.storage("dct half spectrum", (lines * h1 * 8) as u64)?;
    let twiddles = gpu.storage_from("dct twiddles", &twiddle::forward(4 * n, n))?;
    let reorder = gpu.pipeline(&shaders::DCT_REORDER, &[("WG_SIZE", WG)])?;
    let spectrum = gpu.pipeline(&shaders::DCT_SPECTRUM, &[("WG_SIZE", WG)])?;
    let reorder_grid = gpu.grid(((lines * n) as u64).div_ceil(u64::from(WG)))?;
    let reorder_params = |mode: u32| ReorderParams {
        outer: outer as u32,
        n: n as u32,
        inner: inner as u32,
        mode,
        groups_x: reorder_grid.0,
        _pad: [0; 3],
    };
    let spectrum_threads = if inverse { lines * h1 } else { lines * n };
    let spectrum_grid = gpu.grid((spectrum_threads as u64).div_ceil(u64::from(WG)))?;
    let spectrum_params = SpectrumParams {
        outer: outer as u32,
        n: n as u32,
        inner: inner as u32,
        mode: u32::from(inverse),
        groups_x: spectrum_grid.0,
        s0: (1.0 / n as f64).sqrt() as f32,
        s: (2.0 / n as f64).sqrt() as f32,
        _pad: 0,
    };
    let spectrum_uniform = gpu.uniform("dct_spectrum params", &spectrum_params);
    let mut keep;
    if inverse {
        gpu.dispatch(
            encoder,
            &spectrum,
            &[
                src.binding(),
                half.binding(),
                twiddles.binding(),
                spectrum_uniform.as_entire_binding(),
            ],
            spectrum_grid,
        )?;
        keep = ctx.encode_irfft_axis(
            encoder,
            &half,
            &rows,
            (lines, n, 1),
            Normalization::Backward,
        )?;
        let uniform = gpu.uniform("dct_reorder params", &reorder_params(1));
        gpu.dispatch(
            encoder,
            &reorder,
            &[rows.binding(), dst.binding(), uniform.as_entire_binding()],
            reorder_grid,
        )?;
    } else {
        let uniform = gpu.uniform("dct_reorder params", &reorder_params(0));
        gpu.dispatch(
            encoder,
            &reorder,
            &[src.binding(), rows.binding(), uniform.as_entire_binding()],
            reorder_grid,
        )?;
        keep = ctx.encode_rfft_axis(encoder, &rows, &half, (lines, n, 1), Normalization::None)?;
        gpu.dispatch(
            encoder,
            &spectrum,
            &[
                half.binding(),
                dst.binding(),
                twiddles.binding(),
                spectrum_uniform.as_entire_binding(),
            ],
            spectrum_grid,
        )?;
    }
    keep.extend([rows, half, twiddles]);
    Ok(keep)
}
