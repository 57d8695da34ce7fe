//! The GPU path: compression and decompression recorded into one
//! [`Recording`] each (upload, transform, selection, dropped energy,
//! readbacks), so a call is one submission with one wait.

use super::{
    coefficient_shape, components, select, CompressOptions, Parseval, SparseSpectral, Spectrum,
    Transform,
};
use crate::backend::{BufferSlice, Completed, Context, Groups, Readback, Recording};
use crate::error::{Error, Result};
use crate::fft::recipe::WORKGROUP_SIZE as WG;
use crate::fft::Normalization;
use crate::shaders::{self, kernel_params};
use crate::tensor::{shape_len, GpuElement, Tensor};
use crate::topk::RecordedTopK;

kernel_params! {
/// Uniforms of `sparse_scatter.wgsl`.
struct ScatterParams {
    count: u32,
    comps: u32,
    groups_x: u32,
    _pad: u32,
}
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

/// A compression recorded by [`Context::record_compress`]; its result is
/// taken from the completed submission with [`RecordedCompress::finish`].
pub struct RecordedCompress {
    shape: Vec<usize>,
    options: CompressOptions,
    energy: Option<f64>,
    pending: Pending,
}

impl std::fmt::Debug for RecordedCompress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedCompress")
            .field("shape", &self.shape)
            .field("options", &self.options)
            .finish()
    }
}

enum Pending {
    /// A count fixed in advance: top-k, values and dropped energy on the GPU.
    Selected {
        top: Box<RecordedTopK>,
        positions: Readback,
        values: Readback,
        partials: Readback,
    },
    /// An error or ratio target: the spectrum itself comes back and the
    /// search runs on the host (see [`Context::record_compress`]).
    Spectrum(Readback),
}

impl Context {
    /// Records [`Context::compress`] of the f32 tensor of `shape` in `src`
    /// into `rec`: the transform, and for [`Keep::Count`](super::Keep::Count) and
    /// [`Keep::Fraction`](super::Keep::Fraction) the exact top-k, the kept values and the dropped
    /// energy, with readbacks of only what is kept. Submit the recording and
    /// pass the completed submission to [`RecordedCompress::finish`].
    ///
    /// For [`Keep::RelativeError`](super::Keep::RelativeError) and [`Keep::Ratio`](super::Keep::Ratio) the spectrum is read
    /// back in the same submission and the smallest sufficient count is
    /// searched on the host by the CPU twin's own code. That host step
    /// remains because the search is sequential by nature: the error of
    /// keeping the first `k` coefficients counts the f16 rounding of each
    /// kept value against a scale set by the largest one, and half-spectrum
    /// pairs whose partner is kept remove less error than their weight
    /// (see `Parseval::gain`); the ratio search needs the encoded size of
    /// each candidate position set. Running it on the host keeps the
    /// result identical to the CPU twin's.
    ///
    /// The input energy is taken from the spectrum (Parseval), so the
    /// predicted error can differ from [`Context::compress`]'s (which sums
    /// the input itself) in the last digits.
    ///
    /// # Errors
    /// [`Error::NoGpu`] on the CPU backend; the keep settings' errors of
    /// [`Context::compress`]; [`Error::ShapeMismatch`] when `src` holds
    /// fewer than `shape`'s elements; [`Error::DeviceLimit`] when the
    /// spectrum exceeds one storage binding or holds more than `u32::MAX`
    /// coefficients; transform, pipeline and budget errors. Non-finite
    /// input is reported by [`RecordedCompress::finish`].
    pub fn record_compress(
        &self,
        rec: &mut Recording,
        src: &BufferSlice,
        shape: &[usize],
        options: &CompressOptions,
    ) -> Result<RecordedCompress> {
        record(self, rec, src, shape, options, None)
    }

    /// Records [`Context::decompress`] of `sparse` into `rec`: uploads of
    /// its positions and values, the scatter into a zero spectrum and the
    /// inverse transform into `dst` (f32, the original shape).
    ///
    /// # Errors
    /// [`Error::NoGpu`] on the CPU backend; [`Error::ShapeMismatch`] when
    /// `dst` is smaller than the tensor; [`Error::DeviceLimit`] for more
    /// than `u32::MAX` coefficients; transform, pipeline and budget errors.
    pub fn record_decompress(
        &self,
        rec: &mut Recording,
        sparse: &SparseSpectral,
        dst: &BufferSlice,
    ) -> Result<()> {
        let shape = sparse.shape();
        let axes: Vec<usize> = (0..shape.len()).collect();
        let coefs = sparse.coefficients();
        if coefs > u32::MAX as usize {
            return Err(Error::DeviceLimit {
                what: "coefficients of a GPU sparse spectral tensor (u32 positions)",
                requested: coefs as u64,
                max: u64::from(u32::MAX),
            });
        }
        let comps = sparse.components();
        let dense = rec.temporary("sparse dense spectrum", (coefs * comps * 4) as u64)?;
        let positions: Vec<u32> = sparse.positions().iter().map(|&p| p as u32).collect();
        let positions = rec.upload("sparse positions", &positions)?;
        let values = rec.upload("sparse values", sparse.values())?;
        rec.clear(&dense)?;
        rec.launch(
            &shaders::SPARSE_SCATTER,
            &[("WG_SIZE", WG)],
            &[&positions, &values, &dense],
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
        match sparse.transform() {
            Transform::Dct => self.record_dctn(rec, &dense, dst, shape, &axes, true),
            Transform::Rfft => self.record_irfftn(
                rec,
                &dense,
                dst,
                &coefficient_shape(shape, Transform::Rfft),
                &axes,
                shape[shape.len() - 1],
                Normalization::Ortho,
            ),
        }
    }
}

impl RecordedCompress {
    /// The sparse tensor, from the completed submission the compression was
    /// recorded in.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for non-finite input (naming the first
    /// non-finite coefficient) or an unreachable error or ratio target;
    /// [`Error::Gpu`] for an inconsistent selection; readback errors when
    /// `done` is another submission.
    pub fn finish(self, done: &mut Completed) -> Result<SparseSpectral> {
        let RecordedCompress {
            shape,
            options,
            energy,
            pending,
        } = self;
        match pending {
            Pending::Spectrum(readback) => {
                let spectrum = match options.transform {
                    Transform::Dct => Spectrum::Real(done.take(readback)?),
                    Transform::Rfft => Spectrum::Complex(done.take(readback)?, 1.0),
                };
                let energy = match energy {
                    Some(e) => e,
                    None => spectrum_energy(&shape, options.transform, &spectrum)?,
                };
                select::from_spectrum(&shape, &options, &spectrum, energy)
            }
            Pending::Selected {
                top,
                positions,
                values,
                partials,
            } => {
                top.finish(done)?;
                let positions: Vec<u64> = done
                    .take::<u32>(positions)?
                    .into_iter()
                    .map(u64::from)
                    .collect();
                let values: Vec<f32> = done.take(values)?;
                let dropped: f64 = done
                    .take::<u32>(partials)?
                    .chunks_exact(2)
                    .map(|w| f64::from(f32::from_bits(w[0])) * 2f64.powi(2 * w[1] as i32))
                    .sum();
                let energy = energy.unwrap_or_else(|| {
                    let parseval = Parseval::new(options.transform, &shape);
                    let comps = components(options.transform);
                    let kept: f64 = positions
                        .iter()
                        .zip(values.chunks_exact(comps))
                        .map(|(&p, v)| {
                            let e = v.iter().map(|&x| f64::from(x).powi(2)).sum();
                            parseval.weighted(p as usize, e)
                        })
                        .sum();
                    kept + dropped
                });
                Ok(select::finish(
                    &shape, &options, positions, values, dropped, energy,
                ))
            }
        }
    }
}

/// Parseval's total of a spectrum read back from the GPU: the input energy.
fn spectrum_energy(shape: &[usize], transform: Transform, spectrum: &Spectrum) -> Result<f64> {
    let parseval = Parseval::new(transform, shape);
    let total: f64 = (0..spectrum.len())
        .map(|p| parseval.weighted(p, spectrum.energy(p)))
        .sum();
    if !total.is_finite() {
        let p = (0..spectrum.len())
            .position(|p| !spectrum.energy(p).is_finite())
            .unwrap_or(0);
        return Err(Error::invalid(
            "tensor",
            format!("spectral coefficient {p} is not finite: the input holds NaN or infinity"),
        ));
    }
    Ok(total)
}

/// Whether [`compress`] runs as one GPU submission for a tensor with
/// `coefs` coefficients of `transform`: the spectrum must fit one storage
/// binding (one top-k window) and `u32` positions.
///
/// # Errors
/// Device limits the top-k windows cannot meet.
pub(crate) fn fits(ctx: &Context, coefs: usize, transform: Transform) -> Result<bool> {
    Ok(coefs <= u32::MAX as usize
        && crate::topk::fits_one_window(
            ctx,
            coefs,
            components(transform) as u32,
            &crate::topk::TopKOptions::default(),
        )?)
}

/// Compresses a host tensor in one submission; `energy` is the input's.
pub(crate) fn compress(
    ctx: &Context,
    tensor: &Tensor<f32>,
    options: &CompressOptions,
    energy: f64,
) -> Result<SparseSpectral> {
    let mut rec = ctx.recording("sparse compress")?;
    let input = rec.upload("compress input", tensor.data())?;
    let recorded = record(ctx, &mut rec, &input, tensor.shape(), options, Some(energy))?;
    let mut done = rec.submit()?.wait()?;
    recorded.finish(&mut done)
}

/// Decompresses into a host tensor in one submission.
pub(crate) fn decompress(ctx: &Context, sparse: &SparseSpectral) -> Result<Tensor<f32>> {
    let shape = sparse.shape().to_vec();
    let mut rec = ctx.recording("sparse decompress")?;
    let out = rec.temporary("decompressed", shape_len(&shape)? as u64 * 4)?;
    ctx.record_decompress(&mut rec, sparse, &out)?;
    let readback = rec.read_back(&out)?;
    let data = rec.submit()?.wait()?.take(readback)?;
    Tensor::new(&shape, data)
}

fn record(
    ctx: &Context,
    rec: &mut Recording,
    src: &BufferSlice,
    shape: &[usize],
    options: &CompressOptions,
    energy: Option<f64>,
) -> Result<RecordedCompress> {
    if ctx.gpu().is_none() {
        return Err(Error::NoGpu {
            op: "record_compress",
        });
    }
    let coefs = super::checked_coefficients(shape, options.transform)?;
    select::check_keep(options.keep, coefs)?;
    if !fits(ctx, coefs, options.transform)? {
        return Err(Error::DeviceLimit {
            what: "storage binding size (the spectrum of a recorded compression)",
            requested: (coefs * components(options.transform) * 4) as u64,
            max: rec.gpu().max_binding_bytes(),
        });
    }
    let axes: Vec<usize> = (0..shape.len()).collect();
    let comps = components(options.transform);
    let spectrum = rec.temporary("compress spectrum", (coefs * comps * 4) as u64)?;
    match options.transform {
        Transform::Dct => ctx.record_dctn(rec, src, &spectrum, shape, &axes, false)?,
        Transform::Rfft => {
            ctx.record_rfftn(rec, src, &spectrum, shape, &axes, Normalization::Ortho)?
        }
    }
    let pending = match select::direct_count(options.keep, coefs) {
        None => Pending::Spectrum(rec.read_back(&spectrum)?),
        Some(k) => {
            let dtype = if comps == 2 {
                GpuElement::Complex32
            } else {
                GpuElement::F32
            };
            let top = ctx.record_top_k(rec, &spectrum, dtype, coefs, k)?;
            let partials = record_dropped(rec, &spectrum, &top.positions(), k, shape, options)?;
            Pending::Selected {
                positions: rec.read_back(&top.positions())?,
                values: rec.read_back(&top.values())?,
                partials: rec.read_back(&partials)?,
                top: Box::new(top),
            }
        }
    };
    Ok(RecordedCompress {
        shape: shape.to_vec(),
        options: *options,
        energy,
        pending,
    })
}

/// Records the weighted energy of the coefficients in `spectrum` not among
/// the first `kept` entries of the sorted `positions`, as one scaled
/// partial sum per workgroup (see `spectral_dropped.wgsl`).
fn record_dropped(
    rec: &mut Recording,
    spectrum: &BufferSlice,
    positions: &BufferSlice,
    kept: usize,
    shape: &[usize],
    options: &CompressOptions,
) -> Result<BufferSlice> {
    let max = rec.gpu().max_binding_bytes();
    if spectrum.size() > max {
        return Err(Error::DeviceLimit {
            what: "storage binding size (spectrum energy)",
            requested: spectrum.size(),
            max,
        });
    }
    let comps = components(options.transform);
    let count = spectrum.size() as usize / (4 * comps);
    let n_last = shape[shape.len() - 1];
    let groups = (count as u64).div_ceil(u64::from(WG));
    // Every workgroup of the folded grid writes its entry (those past the
    // end write zero sums), so the buffer holds the whole grid.
    let grid = rec.gpu().grid(groups)?;
    let partials = rec.temporary(
        "spectral dropped partials",
        u64::from(grid.0) * u64::from(grid.1) * 8,
    )?;
    let half_spectrum = options.transform == Transform::Rfft;
    rec.launch(
        &shaders::SPECTRAL_DROPPED,
        &[("WG_SIZE", WG)],
        &[spectrum, positions, &partials],
        Groups::Count(groups),
        |grid| DroppedParams {
            count: count as u32,
            comps: comps as u32,
            kept: kept as u32,
            h1: if half_spectrum {
                (n_last / 2 + 1) as u32
            } else {
                1
            },
            n_last: n_last as u32,
            groups_x: grid.0,
            half_spectrum: u32::from(half_spectrum),
            _pad: 0,
        },
    )?;
    Ok(partials)
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
