//! Frequency-domain layers (inference only): FFT and direct convolution,
//! FNet and global-filter token mixing, softmax attention as their
//! baseline, layer norm and GELU, complex embeddings and rotary positions.
//!
//! Every operation has three forms, as elsewhere in the crate: a host form
//! on [`Context`] that takes and returns [`Tensor`]s and runs on the
//! context's backend (on the GPU as one submission with one wait), a
//! `record_*` form that appends the same work to a [`Recording`] over
//! [`BufferSlice`]s so whole layers chain without host round trips, and a
//! CPU twin (what the host form runs on the CPU backend). [`reference`](mod@reference)
//! holds naive f64 versions of each, which the tests compare against.
//!
//! | folder | what |
//! |---|---|
//! | [`norm`] | layer norm (fused residual add), GELU (tanh or erf, fused bias) |
//! | [`mixing`] | FNet mixing `Re(FFT2(x))`, global spectral filter (GFNet-style) |
//! | [`attention`] | scaled dot-product attention with online softmax in tiles, causal and padding masks, heads |
//! | [`conv`] | 1-D/2-D FFT convolution and correlation, direct conv2d, measured automatic choice |
//! | [`embedding`] | complex embedding tables, rotary position encoding |
//! | [`blocks`] | FNet and BERT-style encoder blocks, weights by Hugging Face names |

pub mod attention;
pub mod blocks;
pub mod conv;
pub mod embedding;
pub mod mixing;
pub mod norm;
pub mod reference;

use crate::backend::{BufferSlice, Context, Groups, Recording};
use crate::error::{Error, Result};
#[allow(unused_imports)]
use crate::tensor::Tensor;

/// Invocations per workgroup of the element-wise layer kernels.
pub(crate) const WG: u32 = 256;

/// The specialisation every element-wise layer kernel takes.
pub(crate) const CONSTANTS: &[(&str, u32)] = &[("WG_SIZE", WG)];

/// Enough workgroups of [`WG`] threads for `count` threads.
pub(crate) fn threads(count: usize) -> Groups {
    Groups::Threads {
        threads: count as u64,
        per_group: WG,
    }
}

/// Checks that `slice` holds at least `elems` elements of `elem_bytes` bytes.
pub(crate) fn check_slice(
    what: &'static str,
    slice: &BufferSlice,
    elems: usize,
    elem_bytes: usize,
) -> Result<()> {
    let need = (elems * elem_bytes) as u64;
    if slice.size() < need {
        return Err(Error::shape(
            what,
            format!("at least {need} bytes ({elems} elements)"),
            format!("{} bytes", slice.size()),
        ));
    }
    Ok(())
}

/// Checks a host slice's length.
pub(crate) fn check_len(what: &'static str, len: usize, want: usize) -> Result<()> {
    if len != want {
        return Err(Error::shape(what, format!("{want} elements"), len));
    }
    Ok(())
}

/// A `u32` for a kernel parameter, or [`Error::InvalidArgument`].
pub(crate) fn as_u32(name: &'static str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::invalid(name, format!("{v} exceeds u32")))
}

/// Runs `record` on a fresh recording whose inputs are `inputs` uploaded in
/// order and whose output is a temporary of `out_elems` elements of `O`;
/// one submission, one wait; returns the output.
pub(crate) fn run_gpu<O: bytemuck::Pod>(
    ctx: &Context,
    label: &'static str,
    inputs: &[&[u8]],
    out_elems: usize,
    record: impl FnOnce(&mut Recording, &[BufferSlice], &BufferSlice) -> Result<()>,
) -> Result<Vec<O>> {
    let mut rec = ctx.recording(label)?;
    let mut slices = Vec::with_capacity(inputs.len());
    for bytes in inputs {
        // An empty input (an absent option) still needs a bindable buffer.
        let data: &[u8] = if bytes.is_empty() { &[0; 4] } else { bytes };
        slices.push(rec.upload("layer input", data)?);
    }
    let out = rec.temporary(
        "layer output",
        (out_elems * std::mem::size_of::<O>()).max(4) as u64,
    )?;
    record(&mut rec, &slices, &out)?;
    let result = rec.read_back(&out.sub(0, (out_elems * std::mem::size_of::<O>()) as u64)?)?;
    let mut done = rec.submit()?.wait()?;
    done.take(result)
}

/// Loop iterations one invocation may run on this device, if it stops
/// them: Mesa's lavapipe (`llvmpipe`, device type `Cpu`) ends an invocation
/// silently after 65535 loop iterations in all, so kernels with long loops
/// split their work into several dispatches there. A margin is kept.
pub(crate) fn loop_budget(gpu: &crate::backend::GpuDevice) -> Option<usize> {
    (gpu.adapter_info().device_type == wgpu::DeviceType::Cpu).then_some(60_000)
}
