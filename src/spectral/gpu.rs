//! The GPU path: transform and top-k chained on GPU buffers; scatter for
//! decompression.

use super::{components, select, CompressOptions, SparseSpectral, Transform};
use crate::backend::Context;
use crate::error::{Error, Result};
use crate::fft::recipe::WORKGROUP_SIZE as WG;
use crate::fft::Normalization;
use crate::shaders;
use crate::tensor::{DType, GpuTensor, Tensor};

/// Uniforms of `sparse_scatter.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ScatterParams {
    count: u32,
    comps: u32,
    groups_x: u32,
    _pad: u32,
}

/// Compress keeping `k` coefficients: upload, transform, top-k, read back
/// only what is kept.
pub(crate) fn compress(
    ctx: &Context,
    tensor: &Tensor<f32>,
    options: &CompressOptions,
    k: usize,
    energy: f64,
) -> Result<SparseSpectral> {
    let shape = tensor.shape();
    let axes: Vec<usize> = (0..shape.len()).collect();
    let input = GpuTensor::from_f32(ctx, tensor.data(), shape)?;
    let spectrum = match options.transform {
        Transform::Dct => ctx.dctn_gpu(&input, &axes)?,
        Transform::Rfft => ctx.rfftn_gpu(&input, &axes, Normalization::Ortho)?,
    };
    drop(input);
    let kept = ctx.top_k_gpu(&spectrum, k)?;
    let positions: Vec<u64> = kept
        .positions_to_host()?
        .into_iter()
        .map(u64::from)
        .collect();
    let values: Vec<f32> = match options.transform {
        Transform::Dct => kept.values.to_f32()?,
        Transform::Rfft => kept
            .values
            .to_complex()?
            .iter()
            .flat_map(|c| [c.re, c.im])
            .collect(),
    };
    let dropped = dropped_energy(ctx, &spectrum, &kept.positions, k, shape, options.transform)?;
    Ok(select::finish(
        shape, options, positions, values, dropped, energy,
    ))
}

/// Uniforms of `spectral_dropped.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct DroppedParams {
    count: u32,
    comps: u32,
    kept: u32,
    h1: u32,
    n_last: u32,
    groups_x: u32,
    half_spectrum: u32,
    _pad: u32,
}

/// Weighted energy of the coefficients of `spectrum` not among `positions`
/// (the first `kept` entries of a sorted u32 buffer), summed on the GPU.
fn dropped_energy(
    ctx: &Context,
    spectrum: &GpuTensor,
    positions: &crate::backend::GpuBuffer,
    kept: usize,
    shape: &[usize],
    transform: Transform,
) -> Result<f64> {
    let gpu = ctx
        .gpu()
        .ok_or_else(|| Error::invalid("ctx", "GPU work needs a GPU context"))?;
    if spectrum.bytes() > gpu.max_binding_bytes() {
        return Err(Error::DeviceLimit {
            what: "storage binding size (spectrum energy)",
            requested: spectrum.bytes(),
            max: gpu.max_binding_bytes(),
        });
    }
    let count = spectrum.len();
    let n_last = shape[shape.len() - 1];
    let groups = (count as u64).div_ceil(u64::from(WG));
    let grid = gpu.grid(groups)?;
    let params = DroppedParams {
        count: count as u32,
        comps: components(transform) as u32,
        kept: kept as u32,
        h1: if transform == Transform::Rfft {
            (n_last / 2 + 1) as u32
        } else {
            1
        },
        n_last: n_last as u32,
        groups_x: grid.0,
        half_spectrum: u32::from(transform == Transform::Rfft),
        _pad: 0,
    };
    let partials = gpu.storage(
        "spectral dropped partials",
        u64::from(grid.0) * u64::from(grid.1) * 4,
    )?;
    let pipeline = gpu.pipeline(&shaders::SPECTRAL_DROPPED, &[("WG_SIZE", WG)])?;
    let uniform = gpu.uniform("spectral_dropped params", &params);
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("spectral dropped energy"),
        });
    encoder.clear_buffer(partials.raw(), 0, None);
    gpu.dispatch(
        &mut encoder,
        &pipeline,
        &[
            spectrum.buffer().binding(),
            positions.binding(),
            partials.binding(),
            uniform.as_entire_binding(),
        ],
        grid,
    )?;
    gpu.submit_and_wait(encoder, "spectral dropped energy")?;
    let sums: Vec<f32> = gpu.read_back(partials.raw(), groups * 4)?;
    Ok(sums.iter().map(|&v| f64::from(v)).sum())
}

/// The dense coefficient tensor of `sparse` on the GPU (zeros elsewhere).
pub(crate) fn scatter(ctx: &Context, sparse: &SparseSpectral) -> Result<GpuTensor> {
    let gpu = ctx
        .gpu()
        .ok_or_else(|| Error::invalid("ctx", "GPU work needs a GPU context"))?;
    let comps = sparse.components();
    let coef_shape = super::coefficient_shape(sparse.shape(), sparse.transform());
    let dtype = if comps == 2 {
        DType::Complex32
    } else {
        DType::F32
    };
    let dense = GpuTensor::uninit(ctx, &coef_shape, dtype)?;
    let positions: Vec<u32> = sparse.positions().iter().map(|&p| p as u32).collect();
    let positions = gpu.storage_from("sparse positions", &positions)?;
    let values = gpu.storage_from("sparse values", sparse.values())?;
    let pipeline = gpu.pipeline(&shaders::SPARSE_SCATTER, &[("WG_SIZE", WG)])?;
    let grid = gpu.grid((sparse.kept() as u64).div_ceil(u64::from(WG)))?;
    let params = ScatterParams {
        count: sparse.kept() as u32,
        comps: comps as u32,
        groups_x: grid.0,
        _pad: 0,
    };
    let uniform = gpu.uniform("sparse_scatter params", &params);
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("sparse scatter"),
        });
    encoder.clear_buffer(dense.buffer().raw(), 0, None);
    gpu.dispatch(
        &mut encoder,
        &pipeline,
        &[
            positions.binding(),
            values.binding(),
            dense.buffer().binding(),
            uniform.as_entire_binding(),
        ],
        grid,
    )?;
    gpu.submit_and_wait(encoder, "sparse scatter")?;
    Ok(dense)
}
