//! Compressed checkpoints: the `.fftt` container, its codecs, and the
//! conversions from and to safetensors.
//!
//! * [`format`](mod@format): the container (validated reader, atomic writer); the byte
//!   layout is specified in `FORMAT.md` at the repository root.
//! * [`codec`]: one module per codec (raw, f16, INT8, INT4, spatial top-k,
//!   error-bounded quantisation with rANS, the same on DCT-II coefficients).
//! * [`auto`]: per tensor, the smallest encoding whose *measured* relative
//!   Frobenius error is within the bound; raw when nothing is smaller.
//! * [`compress_file`], [`decompress_file`], [`inspect`], [`eval`],
//!   [`rate_distortion`]: what the `fft-tensor` program runs.
//!
//! Files are processed tensor by tensor from a memory map, so peak memory
//! stays near a few copies of the largest tensor, and every output is
//! written to a temporary file in the destination directory and renamed
//! into place, so a failure never leaves a partial file.

pub mod auto;
pub mod codec;
pub mod dtype;
pub mod example;
pub mod format;
pub mod safetensors_io;
pub mod svg;

use std::path::Path;

use safetensors::Dtype;
use serde_json::json;

pub use auto::{Candidate, Family, Grouping, Method};
pub use format::{Container, ContainerWriter, Entry};
pub use safetensors_io::SafetensorsFile;

use crate::backend::Context;
use crate::error::{Error, Result};

/// Options of [`compress_file`].
#[derive(Debug, Clone, Copy)]
pub struct CompressOptions {
    /// Largest relative Frobenius error allowed per tensor.
    pub max_error: f64,
    /// Codec family (`Auto` tries them all).
    pub family: Family,
    /// Store tensors holding NaN or infinity raw instead of refusing them.
    pub allow_nonfinite: bool,
}

impl Default for CompressOptions {
    fn default() -> Self {
        CompressOptions {
            max_error: 0.01,
            family: Family::Auto,
            allow_nonfinite: false,
        }
    }
}

/// What happened to one tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorReport {
    /// Name.
    pub name: String,
    /// Original dtype (safetensors name).
    pub dtype: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Codec and setting (`int8 g64`, `quant step 1.2e-2`, ...).
    pub codec: String,
    /// Bytes in the original dtype.
    pub original_bytes: u64,
    /// Bytes in the container: table entry plus payload.
    pub stored_bytes: u64,
    /// Measured relative Frobenius error (NaN when unknown).
    pub error: f64,
    /// Every encoding tried by `compress` (empty elsewhere).
    pub candidates: Vec<Candidate>,
}

impl TensorReport {
    /// `original_bytes / stored_bytes`.
    pub fn ratio(&self) -> f64 {
        self.original_bytes as f64 / self.stored_bytes.max(1) as f64
    }

    /// A JSON object of the report.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "dtype": self.dtype,
            "shape": self.shape,
            "codec": self.codec,
            "original_bytes": self.original_bytes,
            "stored_bytes": self.stored_bytes,
            "ratio": self.ratio(),
            "error": if self.error.is_finite() { json!(self.error) } else { json!(null) },
            "candidates": self.candidates.iter().map(|c| json!({
                "method": c.method.label(),
                "bytes": c.bytes,
                "error": if c.error.is_finite() { json!(c.error) } else { json!(null) },
            })).collect::<Vec<_>>(),
        })
    }
}

/// A whole file's report.
#[derive(Debug, Clone, PartialEq)]
pub struct FileReport {
    /// Per tensor, in file order.
    pub tensors: Vec<TensorReport>,
    /// Size of the input file.
    pub input_bytes: u64,
    /// Size of the output (or inspected) file.
    pub output_bytes: u64,
    /// Sum of the tensors' original bytes.
    pub original_bytes: u64,
}

impl FileReport {
    /// `original_bytes / output_bytes`: tensor bytes against the whole
    /// container (header included).
    pub fn ratio(&self) -> f64 {
        self.original_bytes as f64 / self.output_bytes.max(1) as f64
    }

    /// Largest per-tensor error.
    pub fn max_error(&self) -> f64 {
        self.tensors
            .iter()
            .map(|t| t.error)
            .filter(|e| !e.is_nan())
            .fold(0.0, f64::max)
    }

    /// A JSON object of the report.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "tensors": self.tensors.iter().map(TensorReport::to_json).collect::<Vec<_>>(),
            "input_bytes": self.input_bytes,
            "output_bytes": self.output_bytes,
            "original_bytes": self.original_bytes,
            "ratio": self.ratio(),
            "max_error": self.max_error(),
        })
    }
}

/// Progress of a long operation.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Work starts: this many tensors and bytes.
    Begin {
        /// Tensors to process.
        tensors: u64,
        /// Their bytes.
        bytes: u64,
    },
    /// A tensor is done.
    Tensor {
        /// Its name.
        name: &'a str,
        /// Its bytes.
        bytes: u64,
    },
}

fn first_nonfinite(values: &[f32]) -> Option<(usize, f32)> {
    values
        .iter()
        .position(|v| !v.is_finite())
        .map(|i| (i, values[i]))
}

/// Compresses a safetensors file into a `.fftt` container.
///
/// # Errors
/// [`Error::Io`] and [`Error::Format`] for the input; [`Error::NonFinite`]
/// naming the tensor unless `allow_nonfinite`; [`Error::Io`] for the
/// output. On any error the output path is left untouched.
pub fn compress_file(
    ctx: &Context,
    input: &Path,
    output: &Path,
    options: &CompressOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<FileReport> {
    if !(options.max_error >= 0.0 && options.max_error.is_finite()) {
        return Err(Error::invalid(
            "max_error",
            format!("{} is not a finite non-negative number", options.max_error),
        ));
    }
    let src = SafetensorsFile::open(input)?;
    let tensors = src.tensors();
    let total: u64 = tensors.iter().map(|t| (t.range.1 - t.range.0) as u64).sum();
    progress(Progress::Begin {
        tensors: tensors.len() as u64,
        bytes: total,
    });
    let mut writer = ContainerWriter::create(output)?;
    let mut reports = Vec::with_capacity(tensors.len());
    for t in &tensors {
        let bytes = src.data(t);
        let mut candidates = Vec::new();
        let (encoded, error) = if dtype::is_lossy_float(t.dtype) && !t.is_empty() {
            let values = dtype::to_f32(t.dtype, bytes).expect("float dtype");
            match first_nonfinite(&values) {
                Some((index, value)) if !options.allow_nonfinite => {
                    return Err(Error::NonFinite {
                        tensor: t.name.clone(),
                        index: index as u64,
                        value,
                    })
                }
                Some(_) => (codec::raw::encode(bytes), 0.0),
                None if options.family == Family::Raw => (codec::raw::encode(bytes), 0.0),
                None => {
                    let c = auto::choose(
                        ctx,
                        options.family,
                        t.dtype,
                        &values,
                        &t.shape,
                        bytes,
                        options.max_error,
                    )?;
                    candidates = c.candidates;
                    (c.encoded, c.error)
                }
            }
        } else {
            (codec::raw::encode(bytes), 0.0)
        };
        writer.add(&t.name, t.dtype, &t.shape, &encoded, error as f32)?;
        let entry = format::table_entry_len(&t.name, t.dtype, t.shape.len(), encoded.params.len());
        reports.push(TensorReport {
            name: t.name.clone(),
            dtype: dtype::name(t.dtype),
            shape: t.shape.clone(),
            codec: codec::describe(
                encoded.codec,
                &encoded.params,
                Some(&encoded.payload),
                &t.shape,
            ),
            original_bytes: bytes.len() as u64,
            stored_bytes: entry + encoded.payload.len() as u64,
            error,
            candidates,
        });
        progress(Progress::Tensor {
            name: &t.name,
            bytes: bytes.len() as u64,
        });
    }
    let output_bytes = writer.finish(&src.metadata())?;
    Ok(FileReport {
        original_bytes: reports.iter().map(|r| r.original_bytes).sum(),
        tensors: reports,
        input_bytes: src.file_len(),
        output_bytes,
    })
}

/// Decompresses a `.fftt` container into a safetensors file (tensors in
/// their original dtypes, metadata carried over).
///
/// # Errors
/// Any error of [`Container::open`] and [`Container::decode_bytes`];
/// [`Error::Io`] for the output, which is then left untouched.
pub fn decompress_file(
    ctx: &Context,
    input: &Path,
    output: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<u64> {
    let c = Container::open(input)?;
    let total: u64 = c.entries().iter().map(Entry::original_bytes).sum();
    progress(Progress::Begin {
        tensors: c.entries().len() as u64,
        bytes: total,
    });
    let outs: Vec<_> = c
        .entries()
        .iter()
        .map(|e| safetensors_io::OutTensor {
            name: e.name.clone(),
            dtype: e.dtype,
            shape: e.shape.clone(),
        })
        .collect();
    safetensors_io::write(output, &outs, c.metadata(), |i| {
        let b = c.decode_bytes(ctx, i)?;
        progress(Progress::Tensor {
            name: &c.entries()[i].name,
            bytes: b.len() as u64,
        });
        Ok(b)
    })?;
    Ok(total)
}

/// The per-tensor table of a container: codec, sizes, ratio and the error
/// recorded when it was written. Payload CRCs are verified.
///
/// # Errors
/// As [`Container::open`] and [`Container::verify`].
pub fn inspect(path: &Path) -> Result<FileReport> {
    let c = Container::open(path)?;
    c.verify()?;
    let tensors: Vec<TensorReport> = c
        .entries()
        .iter()
        .enumerate()
        .map(|(i, e)| TensorReport {
            name: e.name.clone(),
            dtype: dtype::name(e.dtype),
            shape: e.shape.clone(),
            codec: match e.codec() {
                Some(k) => codec::describe(k, &e.params, c.payload(i).ok(), &e.shape),
                None => e.codec_name(),
            },
            original_bytes: e.original_bytes(),
            stored_bytes: e.stored_bytes(),
            error: f64::from(e.error),
            candidates: Vec::new(),
        })
        .collect();
    Ok(FileReport {
        original_bytes: tensors.iter().map(|t| t.original_bytes).sum(),
        tensors,
        input_bytes: c.file_len(),
        output_bytes: c.file_len(),
    })
}

/// A tensor file of either kind, opened for reading values.
pub enum AnyFile {
    /// A `.fftt` container.
    Fftt(Container),
    /// A safetensors file.
    Safetensors(SafetensorsFile),
}

impl AnyFile {
    /// Opens `path`, telling the kinds apart by the container's magic.
    ///
    /// # Errors
    /// As [`Container::open`] or [`SafetensorsFile::open`].
    pub fn open(path: &Path) -> Result<Self> {
        let mut head = [0u8; 8];
        let n = {
            use std::io::Read;
            let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            f.read(&mut head).map_err(|e| Error::io(path, e))?
        };
        if format::has_magic(&head[..n]) {
            Ok(AnyFile::Fftt(Container::open(path)?))
        } else {
            Ok(AnyFile::Safetensors(SafetensorsFile::open(path)?))
        }
    }

    /// `(name, dtype, shape)` of every tensor, in file order.
    pub fn list(&self) -> Vec<(String, Dtype, Vec<usize>)> {
        match self {
            AnyFile::Fftt(c) => c
                .entries()
                .iter()
                .map(|e| (e.name.clone(), e.dtype, e.shape.clone()))
                .collect(),
            AnyFile::Safetensors(s) => s
                .tensors()
                .into_iter()
                .map(|t| (t.name, t.dtype, t.shape))
                .collect(),
        }
    }

    /// The values of tensor `name` widened to f32 (`None` when absent or
    /// of a dtype without a numeric reading).
    ///
    /// # Errors
    /// Decoding errors of a container.
    pub fn values(&self, ctx: &Context, name: &str) -> Result<Option<Vec<f32>>> {
        match self {
            AnyFile::Fftt(c) => match c.entries().iter().position(|e| e.name == name) {
                Some(i) => c.decode_f32(ctx, i),
                None => Ok(None),
            },
            AnyFile::Safetensors(s) => Ok(s
                .tensors()
                .into_iter()
                .find(|t| t.name == name)
                .and_then(|t| dtype::to_f32(t.dtype, s.data(&t)))),
        }
    }
}

/// One row of [`eval`].
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    /// Tensor name.
    pub name: String,
    /// Shape in the first file.
    pub shape: Vec<usize>,
    /// `||b - a|| / ||a||`, or `None` with `note` saying why not.
    pub error: Option<f64>,
    /// Largest `|b - a|`.
    pub max_abs: Option<f64>,
    /// Why there is no number (missing, shape differs, non-numeric).
    pub note: String,
}

/// Per-tensor relative error of `b` against `a` (each a safetensors file
/// or a container), matched by name.
///
/// # Errors
/// Opening or decoding either file.
pub fn eval(ctx: &Context, a: &Path, b: &Path) -> Result<Vec<EvalRow>> {
    let fa = AnyFile::open(a)?;
    let fb = AnyFile::open(b)?;
    let lb = fb.list();
    let mut rows = Vec::new();
    for (name, _, shape) in fa.list() {
        let mut row = EvalRow {
            name: name.clone(),
            shape: shape.clone(),
            error: None,
            max_abs: None,
            note: String::new(),
        };
        match lb.iter().find(|(n, _, _)| *n == name) {
            None => row.note = "missing in the second file".into(),
            Some((_, _, sb)) if *sb != shape => {
                row.note = format!("shape {sb:?} in the second file")
            }
            Some(_) => match (fa.values(ctx, &name)?, fb.values(ctx, &name)?) {
                (Some(x), Some(y)) => {
                    row.error = Some(codec::relative_error(&x, &y));
                    row.max_abs = Some(
                        x.iter()
                            .zip(&y)
                            .map(|(&p, &q)| (f64::from(p) - f64::from(q)).abs())
                            .fold(0.0, f64::max),
                    );
                }
                _ => row.note = "dtype without a numeric reading".into(),
            },
        }
        rows.push(row);
    }
    for (name, _, _) in lb {
        if !rows.iter().any(|r| r.name == name) {
            rows.push(EvalRow {
                name,
                shape: Vec::new(),
                error: None,
                max_abs: None,
                note: "missing in the first file".into(),
            });
        }
    }
    Ok(rows)
}

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
}

/// Error targets swept by [`rate_distortion`] for error-driven codecs.
pub const RD_TARGETS: [f64; 9] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 0.6];

/// Rate-distortion points of every codec on the float tensors of a
/// safetensors file: fixed layouts once, error-driven codecs and `auto` at
/// each of [`RD_TARGETS`].
///
/// # Errors
/// Opening the file; [`Error::NonFinite`] for a tensor with NaN/inf.
pub fn rate_distortion(
    ctx: &Context,
    input: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<RdPoint>> {
    let src = SafetensorsFile::open(input)?;
    let tensors: Vec<_> = src
        .tensors()
        .into_iter()
        .filter(|t| dtype::is_lossy_float(t.dtype) && !t.is_empty())
        .collect();
    // (curve, setting, method or None for auto, target)
    let mut series: Vec<(String, String, Option<Method>, f64)> = Vec::new();
    for m in [
        Method::F16,
        Method::Int8(Grouping::PerRow),
        Method::Int8(Grouping::Group(64)),
        Method::Int4(Grouping::Group(128)),
        Method::Int4(Grouping::Group(64)),
    ] {
        series.push((m.family_name(), m.label(), Some(m), 0.0));
    }
    for m in [
        Method::Prune,
        Method::SparseRfft,
        Method::SparseDct,
        Method::Quant,
        Method::DctQuant,
    ] {
        for t in RD_TARGETS {
            series.push((m.label(), format!("{t:e}"), Some(m), t));
        }
    }
    for t in RD_TARGETS {
        series.push(("auto".into(), format!("{t:e}"), None, t));
    }
    // Per series: encoded bytes, largest error.
    let mut acc = vec![(0u64, 0.0f64); series.len()];
    let total: u64 = tensors.iter().map(|t| (t.range.1 - t.range.0) as u64).sum();
    progress(Progress::Begin {
        tensors: tensors.len() as u64,
        bytes: total,
    });
    let mut original = 0u64;
    for t in &tensors {
        let bytes = src.data(t);
        let values = dtype::to_f32(t.dtype, bytes).expect("float dtype");
        if let Some((index, value)) = first_nonfinite(&values) {
            return Err(Error::NonFinite {
                tensor: t.name.clone(),
                index: index as u64,
                value,
            });
        }
        original += bytes.len() as u64;
        let entry = format::table_entry_len(&t.name, t.dtype, t.shape.len(), 0);
        for (k, (_, _, method, target)) in series.iter().enumerate() {
            let (size, err) = match method {
                Some(m) => match auto::encode_method(ctx, *m, &values, &t.shape, *target) {
                    Ok(enc) => {
                        let back =
                            codec::decode(ctx, enc.codec, &enc.params, &enc.payload, &t.shape)
                                .map_err(|e| Error::invalid("rd", e.to_string()))?;
                        let err = codec::relative_error(&values, &dtype::round_trip(t.dtype, back));
                        (enc.stored_bytes(), err)
                    }
                    // Nothing meets the target: the tensor stays raw.
                    Err(_) => (bytes.len() as u64, 0.0),
                },
                None => {
                    let c = auto::choose(
                        ctx,
                        Family::Auto,
                        t.dtype,
                        &values,
                        &t.shape,
                        bytes,
                        *target,
                    )?;
                    (c.encoded.stored_bytes(), c.error)
                }
            };
            let a = &mut acc[k];
            a.0 += size + entry;
            a.1 = a.1.max(err);
        }
        progress(Progress::Tensor {
            name: &t.name,
            bytes: bytes.len() as u64,
        });
    }
    Ok(series
        .into_iter()
        .zip(acc)
        .map(|((curve, setting, _, _), (size, error))| RdPoint {
            curve,
            setting,
            ratio: original as f64 / size.max(1) as f64,
            error,
        })
        .collect())
}

/// The points as CSV (`curve,setting,ratio,error`).
pub fn rd_csv(points: &[RdPoint]) -> String {
    let mut s = String::from("curve,setting,ratio,error\n");
    for p in points {
        s.push_str(&format!(
            "{},{},{:.6},{:.6e}\n",
            p.curve, p.setting, p.ratio, p.error
        ));
    }
    s
}

impl Method {
    fn family_name(self) -> String {
        match self {
            Method::Int8(_) => "int8".into(),
            Method::Int4(_) => "int4".into(),
            other => other.label(),
        }
    }
}
