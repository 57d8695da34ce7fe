//! Rate-distortion points over a whole file, what `fft-tensor rd` plots.
//!
//! Fixed layouts (f16, INT8/INT4 per row or per group) are one point each,
//! measured on every tensor in full. Error-driven codecs are swept over
//! [`RD_TARGETS`]; a tensor of more than [`RD_SAMPLE`] elements is measured
//! on a slab of its leading rows of about that many elements, its stored
//! bytes scaled by the element count (the points say so). `auto` costs no
//! further encoding: per tensor and target it takes the smallest of the
//! other points that meet the target (raw when none does), which is what
//! `compress` picks, less its retries just inside the bound. Series run on
//! all cores.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::auto::{self, Grouping, Method};
use super::codec;
use super::compress::{first_nonfinite, part};
use super::{dtype, format, Progress, SafetensorsFile};
use crate::backend::Context;
use crate::error::{Error, Result};

/// One point of a rate-distortion curve over a whole file.
#[derive(Debug, Clone, PartialEq)]
pub struct RdPoint {
    /// Curve (codec family or `auto`).
    pub curve: String,
    /// Setting (error target or layout).
    pub setting: String,
    /// Float tensors' original bytes over their encoded bytes (parameters,
    /// payload and table entry).
    pub ratio: f64,
    /// The largest per-tensor relative Frobenius error (the quantity that
    /// `--max-error` bounds).
    pub error: f64,
    /// A fixed layout (one point, not a trade-off curve).
    pub fixed: bool,
    /// Some tensor was measured on a slab of [`RD_SAMPLE`] elements.
    pub sampled: bool,
}

/// Error targets swept by [`rate_distortion`] for error-driven codecs.
pub const RD_TARGETS: [f64; 9] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 0.6];

/// Largest tensor (elements) that error-driven codecs measure in full.
pub const RD_SAMPLE: usize = 1 << 20;

/// Series index and its point (`None`: the codec cannot meet the target).
type Found = Vec<(usize, Option<(u64, f64)>)>;

const FIXED: [Method; 5] = [
    Method::F16,
    Method::Int8(Grouping::PerRow),
    Method::Int8(Grouping::Group(64)),
    Method::Int4(Grouping::Group(128)),
    Method::Int4(Grouping::Group(64)),
];

const DRIVEN: [Method; 8] = [
    Method::Prune,
    Method::SparseRfft,
    Method::SparseDct,
    Method::Quant,
    Method::DctQuant,
    Method::Bdct,
    Method::Lorenzo,
    Method::Interp,
];

fn family_name(m: Method) -> String {
    match m {
        Method::Int8(_) => "int8".into(),
        Method::Int4(_) => "int4".into(),
        other => other.label(),
    }
}

/// The leading rows of `values` (of `shape`) holding about [`RD_SAMPLE`]
/// elements, with their shape; the tensor itself when it is small.
fn slab<'a>(values: &'a [f32], shape: &[usize]) -> (&'a [f32], Vec<usize>) {
    if values.len() <= RD_SAMPLE || shape.is_empty() {
        return (values, shape.to_vec());
    }
    let row: usize = shape[1..].iter().product::<usize>().max(1);
    let rows = (RD_SAMPLE / row).clamp(1, shape[0]);
    let mut s = shape.to_vec();
    s[0] = rows;
    (&values[..rows * row], s)
}

/// Stored bytes and relative error of `m` on `values`, or `None` when the
/// codec cannot meet the target.
fn point(
    ctx: &Context,
    m: Method,
    dt: safetensors::Dtype,
    values: &[f32],
    shape: &[usize],
    target: f64,
) -> Result<Option<(u64, f64)>> {
    match auto::encode_method(ctx, m, values, shape, target) {
        Ok(enc) => {
            let back = codec::decode(ctx, enc.codec, &enc.params, &enc.payload, shape)?;
            let err = codec::relative_error(values, &dtype::round_trip(dt, back));
            Ok(Some((enc.stored_bytes(), err)))
        }
        Err(e) if e.is_device_failure() => Err(e),
        Err(_) => Ok(None),
    }
}

/// Rate-distortion points of every codec on the float tensors of a
/// safetensors file (see the module documentation for what is sampled).
///
/// With `allow_nonfinite`, a tensor holding NaN or infinity counts as raw
/// in every series (as [`super::compress_file`] stores it).
///
/// # Errors
/// Opening or reading the file; [`Error::NonFinite`] for a tensor with
/// NaN/inf unless `allow_nonfinite`; device failures.
pub fn rate_distortion(
    ctx: &Context,
    input: &Path,
    allow_nonfinite: bool,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<RdPoint>> {
    let src = SafetensorsFile::open(input)?;
    let tensors: Vec<_> = src
        .tensor_refs()
        .iter()
        .filter(|t| dtype::is_lossy_float(t.dtype) && !t.is_empty())
        .collect();
    // (curve, setting, method, target); `auto` series come last.
    let mut series: Vec<(String, String, Method, f64)> = FIXED
        .iter()
        .map(|&m| (family_name(m), m.label(), m, 0.0))
        .collect();
    for m in DRIVEN {
        for t in RD_TARGETS {
            series.push((m.label(), format!("{t:e}"), m, t));
        }
    }
    let encoded = series.len();
    // Per series (and auto target): bytes, largest error, sampled.
    let mut acc = vec![(0u64, 0.0f64, false); encoded + RD_TARGETS.len()];
    let total: u64 = tensors.iter().map(|t| (t.range.1 - t.range.0) as u64).sum();
    progress(Progress::Begin {
        tensors: tensors.len() as u64,
        bytes: total,
    });
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut original = 0u64;
    for t in tensors {
        let data = src.data(t)?;
        let bytes = &data[..];
        let tensor_bytes = bytes.len() as u64;
        let values = dtype::to_f32(t.dtype, bytes).expect("float dtype");
        let nonfinite = first_nonfinite(&values);
        if let Some((index, value)) = nonfinite.filter(|_| !allow_nonfinite) {
            return Err(Error::NonFinite {
                tensor: t.name.clone(),
                index: index as u64,
                value,
            });
        }
        original += tensor_bytes;
        let entry = format::table_entry_len(
            &t.name,
            t.dtype,
            t.shape.len(),
            0,
            &format::TensorMeta::default(),
        );
        let (sv, sshape) = slab(&values, &t.shape);
        let scale = values.len() as f64 / sv.len().max(1) as f64;
        let sampled = sv.len() < values.len();
        // (bytes, error) per series for this tensor; raw when none fits.
        let mut got: Vec<Option<(u64, f64)>> = vec![None; encoded];
        if nonfinite.is_none() {
            let next = AtomicUsize::new(0);
            let results = std::thread::scope(|s| -> Result<Found> {
                let work = || -> Result<Found> {
                    let mut out = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= encoded {
                            return Ok(out);
                        }
                        let (_, _, m, target) = series[k];
                        let r = if m.error_driven() {
                            point(ctx, m, t.dtype, sv, &sshape, target)?
                                .map(|(b, e)| ((b as f64 * scale).ceil() as u64, e))
                        } else {
                            point(ctx, m, t.dtype, &values, &t.shape, target)?
                        };
                        out.push((k, r));
                    }
                };
                let handles: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
                let mut all = work()?;
                for h in handles {
                    all.extend(h.join().expect("rd worker")?);
                }
                Ok(all)
            })?;
            for (k, r) in results {
                got[k] = r;
            }
        }
        progress(Progress::Within {
            name: &t.name,
            done: part(tensor_bytes, 1, 2),
            bytes: tensor_bytes,
        });
        for (k, r) in got.iter().enumerate() {
            let (size, err) = r.unwrap_or((tensor_bytes, 0.0));
            let a = &mut acc[k];
            a.0 += size + entry;
            a.1 = a.1.max(err);
            a.2 |= sampled && series[k].2.error_driven();
        }
        for (i, &target) in RD_TARGETS.iter().enumerate() {
            let best = got
                .iter()
                .enumerate()
                .filter_map(|(k, r)| r.map(|(b, e)| (k, b, e)))
                .filter(|&(_, b, e)| e <= target && b < tensor_bytes)
                .min_by_key(|&(_, b, _)| b);
            let (size, err, s) = match best {
                Some((k, b, e)) => (b, e, sampled && series[k].2.error_driven()),
                None => (tensor_bytes, 0.0, false),
            };
            let a = &mut acc[encoded + i];
            a.0 += size + entry;
            a.1 = a.1.max(err);
            a.2 |= s;
        }
        progress(Progress::Tensor {
            name: &t.name,
            bytes: tensor_bytes,
        });
    }
    let names = series
        .into_iter()
        .map(|(c, s, m, _)| (c, s, !m.error_driven()))
        .chain(
            RD_TARGETS
                .iter()
                .map(|t| ("auto".to_string(), format!("{t:e}"), false)),
        );
    Ok(names
        .zip(acc)
        .map(
            |((curve, setting, fixed), (size, error, sampled))| RdPoint {
                curve,
                setting,
                ratio: original as f64 / size.max(1) as f64,
                error,
                fixed,
                sampled,
            },
        )
        .collect())
}

/// The points as CSV (`curve,setting,ratio,error,fixed,sampled`).
pub fn rd_csv(points: &[RdPoint]) -> String {
    let mut s = String::from("curve,setting,ratio,error,fixed,sampled\n");
    for p in points {
        s.push_str(&format!(
            "{},{},{:.6},{:.6e},{},{}\n",
            p.curve, p.setting, p.ratio, p.error, p.fixed, p.sampled
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slab_keeps_leading_rows_of_large_tensors() {
        let v = vec![0.0f32; 3000 * 1000];
        let (s, shape) = slab(&v, &[3000, 1000]);
        assert_eq!(shape, vec![RD_SAMPLE / 1000, 1000]);
        assert_eq!(s.len(), shape[0] * 1000);
        let (s, shape) = slab(&v[..10], &[10]);
        assert_eq!((s.len(), shape), (10, vec![10]));
        let w = vec![0.0f32; RD_SAMPLE + 1];
        let (s, shape) = slab(&w, &[1, RD_SAMPLE + 1]);
        assert_eq!((s.len(), shape), (RD_SAMPLE + 1, vec![1, RD_SAMPLE + 1]));
    }
}
