//! The GPU path: transform and top-k chained on GPU buffers; scatter for
//! decompression.

use super::{components, select, CompressOptions, SparseSpectral, Transform};
use crate::backend::Context;
use crate::backend::Groups;
use crate::error::{Error, Result};
use crate::fft::recipe::WORKGROUP_SIZE as WG;
use crate::fft::Normalization;
use crate::shaders::{self, kernel_params};
use crate::tensor::{DType, GpuTensor, Tensor};

kernel_params! {
/// Uniforms of `sparse_scatter.wgsl`.
struct ScatterParams {
    count: u32,
    comps: u32,
    groups_x: u32,
    _pad: u32,
}
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

kernel_params! {
/// Uniforms of `spectral_dropped.wgsl`.
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
    let mut rec = ctx.recording("spectral dropped energy")?;
    let partials = rec.keep(partials);
    rec.clear(&partials)?;
    rec.launch(
        &shaders::SPECTRAL_DROPPED,
        &[("WG_SIZE", WG)],
        &[&spectrum.slice(), &positions.slice(), &partials],
        Groups::Count(groups),
        |_| params,
    )?;
    let sums = rec.read_back(&partials.sub(0, groups * 4)?)?;
    let sums: Vec<f32> = rec.submit()?.wait()?.take(sums)?;
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
    let mut rec = ctx.recording("sparse scatter")?;
    let dense_slice = dense.buffer().slice();
    rec.clear(&dense.buffer().slice())?;
    rec.launch(
        &shaders::SPARSE_SCATTER,
        &[("WG_SIZE", WG)],
        &[&positions.slice(), &values.slice(), &dense_slice],
        Groups::Threads {
            threads: sparse.kept() as u64,
            per_group: WG,
        },
        |grid| ScatterParams {
            count: sparse.kept() as u32,
            comps: comps as u32,
            groups_x: grid.0,
            _pad: 0,
        },
    )?;
    rec.submit()?.wait()?;
    Ok(dense)
}

#[cfg(test)]
mod params_layout {
    use super::*;
    use crate::shaders::assert_params;

    #[test]
    fn parameter_structs_match_the_wgsl_uniforms() {
        assert_params::<ScatterParams>(&shaders::SPARSE_SCATTER);
        assert_params::<DroppedParams>(&shaders::SPECTRAL_DROPPED);
    }
}
