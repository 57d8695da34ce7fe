//! The GPU path: transform and top-k chained on GPU buffers; scatter for
//! decompression.

use super::{select, CompressOptions, SparseSpectral, Transform};
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
        Transform::Rfft => ctx.rfftn_gpu(&input, &axes, Normalization::Unitary)?,
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
    // The whole spectrum's energy equals the input's (Parseval).
    Ok(select::finish(
        shape, options, positions, values, energy, energy,
    ))
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
