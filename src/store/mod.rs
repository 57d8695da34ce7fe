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
//! Files are processed tensor by tensor with positioned reads (one
//! tensor's bytes in memory at a time, dropped before the next), so peak
//! memory stays near a few copies of the largest tensor and a file
//! truncated by another process gives [`Error::FileShrank`], not a crash.
//! Every output is written to a temporary file in the destination directory
//! and renamed into place, so a failure never leaves a partial file (see
//! [`temp`] for the names and cleanup of temporary files); an output that is
//! one of the inputs is refused ([`paths::check_output`]).

pub mod auto;
mod choose_fast;
pub mod codec;
pub mod compress;
pub mod dtype;
pub mod error_mode;
pub mod estimate;
pub mod example;
pub mod format;
pub mod numpy;
pub mod paths;
pub mod rd;
pub mod safetensors_io;
mod source;
pub mod temp;

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A checkpoint tensor's element type, as safetensors files name it
/// (re-exported from the `safetensors` crate).
pub use safetensors::Dtype as SafetensorsDtype;
use serde_json::json;

pub use auto::{Candidate, Family, Grouping, Method};
pub use compress::{compress_file, decompress_file, CompressOptions, OutputKind, VectorPolicy};
pub use error_mode::ErrorMode;
pub use format::{Container, ContainerWriter, Entry};
pub use rd::{rate_distortion, rd_csv, RdPoint, RD_TARGETS};
pub use safetensors_io::SafetensorsFile;

use crate::backend::Context;
use crate::error::{Error, Result};

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
#[non_exhaustive]
pub enum Progress<'a> {
    /// Work starts: this many tensors and bytes.
    Begin {
        /// Tensors to process.
        tensors: u64,
        /// Their bytes.
        bytes: u64,
    },
    /// Part of the current tensor is done: `done` of its `bytes` (the
    /// same units as `Tensor`, so a bar can move inside a large tensor).
    Within {
        /// The tensor's name.
        name: &'a str,
        /// Bytes of it done so far.
        done: u64,
        /// Its bytes.
        bytes: u64,
    },
    /// A tensor is done.
    Tensor {
        /// Its name.
        name: &'a str,
        /// Its bytes.
        bytes: u64,
    },
    /// The output file is being written after the last tensor: `done` of
    /// its `bytes`.
    Write {
        /// Bytes of the output written so far.
        done: u64,
        /// The output's size.
        bytes: u64,
    },
}

/// The per-tensor table of a container: codec, sizes, ratio and the error
/// recorded when it was written. Every tensor is decoded on the CPU (one at
/// a time, its values handed out in pieces and dropped, as `decompress`
/// hands them to its output), so payload CRCs and every codec parameter
/// are checked by the decoders themselves: a file `inspect` accepts is one
/// `decompress` accepts. No GPU is used.
///
/// # Errors
/// As [`Container::open`] and [`Container::decode_bytes_into`].
pub fn inspect(path: &Path, progress: &mut dyn FnMut(Progress<'_>)) -> Result<FileReport> {
    let c = Container::open(path)?;
    let cpu = Context::cpu();
    progress(Progress::Begin {
        tensors: c.entries().len() as u64,
        bytes: c.entries().iter().map(|e| e.length).sum(),
    });
    let mut tensors = Vec::with_capacity(c.entries().len());
    for (i, e) in c.entries().iter().enumerate() {
        let held = e.original_bytes() / 2;
        c.decode_bytes_into(&cpu, i, held, &|_, _| Ok(()), &mut |_| {})?;
        let payload = c.payload(i)?;
        tensors.push(TensorReport {
            name: e.name.clone(),
            dtype: dtype::name(e.dtype),
            shape: e.shape.clone(),
            codec: match e.codec() {
                Some(k) => codec::describe(k, &e.params, Some(&payload), &e.shape),
                None => e.codec_name(),
            },
            original_bytes: e.original_bytes(),
            stored_bytes: e.stored_bytes(),
            error: e.error,
            candidates: Vec::new(),
        });
        progress(Progress::Tensor {
            name: &e.name,
            bytes: e.length,
        });
    }
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
            let (mut f, _) = source::open_input(path)?;
            f.read(&mut head).map_err(|e| Error::io(path, e))?
        };
        if format::has_magic(&head[..n]) {
            Ok(AnyFile::Fftt(Container::open(path)?))
        } else {
            Ok(AnyFile::Safetensors(SafetensorsFile::open(path)?))
        }
    }

    /// `(name, dtype, shape)` of every tensor, in file order.
    pub fn list(&self) -> Vec<(String, SafetensorsDtype, Vec<usize>)> {
        match self {
            AnyFile::Fftt(c) => c
                .entries()
                .iter()
                .map(|e| (e.name.clone(), e.dtype, e.shape.clone()))
                .collect(),
            AnyFile::Safetensors(s) => s
                .tensor_refs()
                .iter()
                .map(|t| (t.name.clone(), t.dtype, t.shape.clone()))
                .collect(),
        }
    }

    /// The values of tensor `name` widened to f32 (`None` when absent or
    /// of a dtype without a numeric reading). Finds the tensor by a scan:
    /// for many tensors use [`AnyFile::values_at`] with positions from
    /// [`AnyFile::list`].
    ///
    /// # Errors
    /// Reading or decoding errors.
    pub fn values(&self, ctx: &Context, name: &str) -> Result<Option<Vec<f32>>> {
        match self.list().iter().position(|(n, _, _)| n == name) {
            Some(i) => self.values_at(ctx, i),
            None => Ok(None),
        }
    }

    /// The values of the `i`-th tensor of [`AnyFile::list`] widened to f32
    /// (`None` when out of range or of a dtype without a numeric reading).
    ///
    /// # Errors
    /// Reading or decoding errors.
    pub fn values_at(&self, ctx: &Context, i: usize) -> Result<Option<Vec<f32>>> {
        match self {
            AnyFile::Fftt(c) if i < c.entries().len() => c.decode_f32(ctx, i),
            AnyFile::Safetensors(s) => match s.tensor_refs().get(i) {
                Some(t) => Ok(dtype::to_f32(t.dtype, &s.data(t)?)),
                None => Ok(None),
            },
            AnyFile::Fftt(_) => Ok(None),
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
/// or a container), matched by name (through a map, so the time is linear
/// in the number of tensors).
///
/// # Errors
/// Opening, reading or decoding either file.
pub fn eval(
    ctx: &Context,
    a: &Path,
    b: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<EvalRow>> {
    let fa = AnyFile::open(a)?;
    let fb = AnyFile::open(b)?;
    let la = fa.list();
    let lb = fb.list();
    let in_b: HashMap<&str, usize> = lb
        .iter()
        .enumerate()
        .map(|(j, (n, _, _))| (n.as_str(), j))
        .collect();
    let size = |(_, d, s): &(String, SafetensorsDtype, Vec<usize>)| {
        dtype::byte_len(*d, s.iter().map(|&x| x as u64).product()).unwrap_or(0)
    };
    progress(Progress::Begin {
        tensors: la.len() as u64,
        bytes: la.iter().map(size).sum(),
    });
    let mut rows = Vec::with_capacity(la.len());
    for (i, t) in la.iter().enumerate() {
        let (name, _, shape) = t;
        let bytes = size(t);
        let mut row = EvalRow {
            name: name.clone(),
            shape: shape.clone(),
            error: None,
            max_abs: None,
            note: String::new(),
        };
        match in_b.get(name.as_str()).map(|&j| (j, &lb[j].2)) {
            None => row.note = "missing in the second file".into(),
            Some((_, sb)) if sb != shape => row.note = format!("shape {sb:?} in the second file"),
            Some((j, _)) => match (fa.values_at(ctx, i)?, {
                progress(Progress::Within {
                    name,
                    done: bytes / 2,
                    bytes,
                });
                fb.values_at(ctx, j)?
            }) {
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
        progress(Progress::Tensor { name, bytes });
    }
    let in_a: HashSet<&str> = la.iter().map(|(n, _, _)| n.as_str()).collect();
    for (name, _, _) in &lb {
        if !in_a.contains(name.as_str()) {
            rows.push(EvalRow {
                name: name.clone(),
                shape: Vec::new(),
                error: None,
                max_abs: None,
                note: "missing in the first file".into(),
            });
        }
    }
    Ok(rows)
}

/// Writes `bytes` to `path` atomically: to a temporary file beside it (see
/// [`temp`]), synced, then renamed over it; an existing file keeps its
/// permissions.
///
/// # Errors
/// [`Error::Io`] naming `path`; `path` is then untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    format::write_atomically(path, |w| {
        use std::io::Write;
        w.write_all(bytes).map_err(|e| Error::io(path, e))
    })
}
