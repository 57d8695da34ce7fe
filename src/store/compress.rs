//! `compress` and `decompress` of whole files: safetensors, `.npy` and
//! `.npz` in, `.fftt` out, and back.

use std::borrow::Cow;
use std::path::Path;

use safetensors::Dtype as SafetensorsDtype;

use super::auto::{self, Family, Request, Search};
use super::codec;
use super::error_mode::ErrorMode;
use super::format::{self, Container, ContainerWriter, Entry, TensorMeta};
use super::numpy::{self, NumpyFile, OutArray};
use super::{
    dtype, paths, safetensors_io, source, FileReport, Progress, SafetensorsFile, TensorReport,
};
use crate::backend::Context;
use crate::error::{Error, Result};

/// How 1-D tensors (biases, norm weights, scalars) are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorPolicy {
    /// Exactly (raw): the default for checkpoints, where they are a tiny
    /// part of the bytes but move the model's outputs the most.
    Exact,
    /// At a bound 100 times tighter than the others'.
    Tight,
    /// At the same bound as every other tensor: the default for numpy
    /// arrays, where a 1-D array is the data itself.
    Same,
}

impl VectorPolicy {
    /// Parses `exact`, `tight` or `same`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "exact" => Ok(VectorPolicy::Exact),
            "tight" => Ok(VectorPolicy::Tight),
            "same" => Ok(VectorPolicy::Same),
            _ => Err(Error::invalid(
                "vectors",
                format!("`{s}`: exact, tight or same"),
            )),
        }
    }
}

/// Options of [`compress_file`].
#[derive(Debug, Clone, Copy)]
pub struct CompressOptions {
    /// Largest error allowed per tensor, in `mode`.
    pub max_error: f64,
    /// What the bound limits.
    pub mode: ErrorMode,
    /// Codec family (`Auto` tries them all).
    pub family: Family,
    /// Store tensors holding NaN or infinity raw instead of refusing them.
    pub allow_nonfinite: bool,
    /// 1-D tensors; `None`: [`VectorPolicy::Exact`] for safetensors input,
    /// [`VectorPolicy::Same`] for numpy input.
    pub vectors: Option<VectorPolicy>,
    /// Keep this fraction of spectral coefficients (`dct` and `rfft`
    /// families only) instead of meeting a bound.
    pub keep: Option<f64>,
    /// Worker threads (`None`: all cores). The output is the same for any
    /// count.
    pub threads: Option<usize>,
    /// How `auto` compares candidates: estimates on a sample (the default)
    /// or every candidate encoded in full.
    pub search: Search,
}

impl Default for CompressOptions {
    fn default() -> Self {
        CompressOptions {
            max_error: 0.01,
            mode: ErrorMode::RelL2,
            family: Family::Auto,
            allow_nonfinite: false,
            vectors: None,
            keep: None,
            threads: None,
            search: Search::Estimate,
        }
    }
}

/// `bytes * i / n`: the part of a tensor's bytes that `i` of `n` steps make.
pub(super) fn part(bytes: u64, i: usize, n: usize) -> u64 {
    (u128::from(bytes) * i as u128 / n.max(1) as u128) as u64
}

pub(super) fn first_nonfinite(values: &[f32]) -> Option<(usize, f32)> {
    values
        .iter()
        .position(|v| !v.is_finite())
        .map(|i| (i, values[i]))
}

/// One tensor of an input file.
struct InTensor {
    name: String,
    dtype: SafetensorsDtype,
    shape: Vec<usize>,
    fortran: bool,
    bytes: u64,
}

/// A file to compress.
enum Input {
    Safetensors(SafetensorsFile),
    Numpy(NumpyFile),
}

impl Input {
    fn open(path: &Path) -> Result<Self> {
        let mut head = [0u8; 8];
        let n = {
            use std::io::Read;
            let (mut f, _) = source::open_input(path)?;
            f.read(&mut head).map_err(|e| Error::io(path, e))?
        };
        if numpy::is_npy(&head[..n]) || numpy::is_zip(&head[..n]) {
            Ok(Input::Numpy(NumpyFile::open(path)?))
        } else {
            Ok(Input::Safetensors(SafetensorsFile::open(path)?))
        }
    }

    fn tensors(&self) -> Vec<InTensor> {
        match self {
            Input::Safetensors(s) => s
                .tensor_refs()
                .iter()
                .map(|t| InTensor {
                    name: t.name.clone(),
                    dtype: t.dtype,
                    shape: t.shape.clone(),
                    fortran: false,
                    bytes: (t.range.1 - t.range.0) as u64,
                })
                .collect(),
            Input::Numpy(f) => f
                .tensors()
                .iter()
                .map(|t| InTensor {
                    name: t.name.clone(),
                    dtype: t.dtype,
                    shape: t.shape.clone(),
                    fortran: t.fortran,
                    bytes: dtype::byte_len(t.dtype, t.shape.iter().map(|&d| d as u64).product())
                        .unwrap_or(0),
                })
                .collect(),
        }
    }

    /// Tensor `i`'s little-endian bytes; an f32 tensor is read straight
    /// into an f32 buffer, so that the codecs use its values where they
    /// lie instead of a second copy.
    fn data(&self, i: usize, t: &InTensor) -> Result<TensorData> {
        if t.dtype == SafetensorsDtype::F32
            && cfg!(target_endian = "little")
            && t.bytes.is_multiple_of(4)
        {
            let n = usize::try_from(t.bytes / 4).map_err(|_| {
                Error::invalid("tensor", format!("{} bytes do not fit in memory", t.bytes))
            })?;
            let mut values = vec![0f32; n];
            let buf: &mut [u8] = bytemuck::cast_slice_mut(&mut values);
            match self {
                Input::Safetensors(s) => s.data_into(&s.tensor_refs()[i], buf)?,
                Input::Numpy(f) => f.data_into(i, buf)?,
            }
            return Ok(TensorData::F32(values));
        }
        Ok(TensorData::Bytes(match self {
            Input::Safetensors(s) => s.data(&s.tensor_refs()[i])?,
            Input::Numpy(f) => f.data(i)?,
        }))
    }

    fn metadata(&self) -> Vec<(String, String)> {
        match self {
            Input::Safetensors(s) => s.metadata(),
            Input::Numpy(_) => Vec::new(),
        }
    }

    fn file_len(&self) -> u64 {
        match self {
            Input::Safetensors(s) => s.file_len(),
            Input::Numpy(f) => f.file_len(),
        }
    }
}

/// A tensor's data as read: bytes, or (f32 tensors on a little-endian
/// host) the values themselves, whose bytes are the file's.
enum TensorData {
    Bytes(Vec<u8>),
    F32(Vec<f32>),
}

impl TensorData {
    fn bytes(&self) -> &[u8] {
        match self {
            TensorData::Bytes(b) => b,
            TensorData::F32(v) => bytemuck::cast_slice(v),
        }
    }

    fn f32(&self) -> Option<&[f32]> {
        match self {
            TensorData::Bytes(_) => None,
            TensorData::F32(v) => Some(v),
        }
    }
}

fn check_options(o: &CompressOptions) -> Result<()> {
    if !(o.max_error >= 0.0 && o.max_error.is_finite()) {
        return Err(Error::invalid(
            "max_error",
            format!("{} is not a finite non-negative number", o.max_error),
        ));
    }
    if o.mode == ErrorMode::Exact {
        return Err(Error::invalid(
            "error_mode",
            "exact is not a bound; use --codec raw",
        ));
    }
    if let Some(k) = o.keep {
        if !(k > 0.0 && k <= 1.0) {
            return Err(Error::invalid("keep", format!("{k} is not in (0, 1]")));
        }
        if !matches!(o.family, Family::Dct | Family::Rfft) {
            return Err(Error::invalid(
                "keep",
                "only for the spectral codecs: --codec dct or rfft",
            ));
        }
    }
    if o.threads == Some(0) {
        return Err(Error::invalid("threads", "0; at least 1"));
    }
    Ok(())
}

/// Compresses a safetensors, `.npy` or `.npz` file into a `.fftt`
/// container, tensor by tensor, each payload streamed into the output's
/// temporary file as it is encoded.
///
/// # Errors
/// [`Error::InvalidArgument`] for options out of range (a bound that is
/// not finite and non-negative, `keep` outside (0, 1] or without a
/// spectral codec, zero threads), an output that is the input, a
/// directory, or in a missing directory (checked first); [`Error::Io`],
/// [`Error::Format`] and [`Error::FileShrank`] for the input;
/// [`Error::NonFinite`] naming the tensor unless `allow_nonfinite`;
/// [`Error::Io`] for the output. On any error the output path is left
/// untouched.
pub fn compress_file(
    ctx: &Context,
    input: &Path,
    output: &Path,
    options: &CompressOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<FileReport> {
    check_options(options)?;
    paths::check_output(&[input], output)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::invalid("threads", e.to_string()))?;
    compress_in_pool(ctx, input, output, options, &pool, progress)
}

fn compress_in_pool(
    ctx: &Context,
    input: &Path,
    output: &Path,
    options: &CompressOptions,
    pool: &rayon::ThreadPool,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<FileReport> {
    let src = Input::open(input)?;
    let vectors = options.vectors.unwrap_or(match src {
        Input::Safetensors(_) => VectorPolicy::Exact,
        Input::Numpy(_) => VectorPolicy::Same,
    });
    let tensors = src.tensors();
    let total: u64 = tensors.iter().map(|t| t.bytes).sum();
    progress(Progress::Begin {
        tensors: tensors.len() as u64,
        bytes: total,
    });
    let mut writer = ContainerWriter::create(output)?;
    let mut reports = Vec::with_capacity(tensors.len());
    for (i, t) in tensors.iter().enumerate() {
        let data = src.data(i, t)?;
        let (report, encoded, meta) =
            encode_tensor(ctx, t, &data, options, vectors, pool, &mut |d, n| {
                progress(Progress::Within {
                    name: &t.name,
                    done: part(t.bytes, d, n),
                    bytes: t.bytes,
                })
            })?;
        drop(data);
        writer.add_with(&t.name, t.dtype, &t.shape, &encoded, meta)?;
        reports.push(report);
        progress(Progress::Tensor {
            name: &t.name,
            bytes: t.bytes,
        });
    }
    let output_bytes = writer.finish_with_progress(&src.metadata(), &mut |done, bytes| {
        progress(Progress::Write { done, bytes })
    })?;
    Ok(FileReport {
        original_bytes: reports.iter().map(|r| r.original_bytes).sum(),
        tensors: reports,
        input_bytes: src.file_len(),
        output_bytes,
    })
}

/// Finite f32 values of a float tensor, or why there are none: the index
/// and value of the first NaN or infinity (an f64 beyond f32's range counts
/// as infinite).
fn float_values(
    data: &TensorData,
    dt: SafetensorsDtype,
) -> std::result::Result<Cow<'_, [f32]>, (usize, f32)> {
    let values = match data.f32() {
        Some(v) => Cow::Borrowed(v),
        None => Cow::Owned(dtype::to_f32(dt, data.bytes()).expect("float dtype")),
    };
    match first_nonfinite(&values) {
        Some(bad) => Err(bad),
        None => Ok(values),
    }
}

#[allow(clippy::too_many_arguments)]
fn encode_tensor(
    ctx: &Context,
    t: &InTensor,
    data: &TensorData,
    o: &CompressOptions,
    vectors: VectorPolicy,
    pool: &rayon::ThreadPool,
    done: &mut dyn FnMut(usize, usize),
) -> Result<(TensorReport, codec::Encoded, TensorMeta)> {
    let one_d = t.shape.len() <= 1;
    let mut bound = o.max_error;
    let mode = o.mode;
    let mut family = o.family;
    if one_d && dtype::is_lossy_float(t.dtype) {
        match vectors {
            VectorPolicy::Exact => family = Family::Raw,
            VectorPolicy::Tight => bound /= 100.0,
            VectorPolicy::Same => {}
        }
    }
    let candidates = Vec::new();
    let bytes = data.bytes();
    let raw = || codec::raw::encode(bytes);
    let (encoded, error) = if !dtype::is_lossy_float(t.dtype) || bytes.is_empty() {
        (raw(), 0.0)
    } else {
        match float_values(data, t.dtype) {
            Err((index, value)) if !o.allow_nonfinite => {
                // An f64 that is finite but beyond f32 is stored raw.
                let v64 = dtype::to_f64_at(t.dtype, bytes, index);
                if v64.is_finite() {
                    (raw(), 0.0)
                } else {
                    return Err(Error::NonFinite {
                        tensor: t.name.clone(),
                        index: index as u64,
                        value,
                    });
                }
            }
            Err(_) => (raw(), 0.0),
            // Kept exact (1-D tensors by default, or `--codec raw`),
            // after the same check for NaN and infinity as every other
            // float tensor.
            Ok(_) if family == Family::Raw => (raw(), 0.0),
            Ok(values) => {
                let req = Request {
                    family,
                    mode,
                    bound,
                    keep: o.keep,
                    search: o.search,
                    blocks: true,
                };
                // The pool works on a scoped thread; its progress comes
                // back through a channel to this thread's callback: the
                // choice fills the first half of the tensor's part of the
                // bar, the row blocks of the final encoding the second.
                let (tx, rx) = std::sync::mpsc::channel::<(usize, usize)>();
                let (vals, rq) = (&values, &req);
                let c = std::thread::scope(|s| {
                    let worker = s.spawn(move || {
                        let btx = tx.clone();
                        let hook: codec::blocks::BlockProgress =
                            std::sync::Arc::new(move |d, n| {
                                let _ = btx.send((n + d, 2 * n));
                            });
                        pool.install(|| {
                            codec::blocks::with_block_progress(hook, || {
                                auto::choose_with(
                                    ctx,
                                    rq,
                                    t.dtype,
                                    vals,
                                    &t.shape,
                                    bytes,
                                    &mut |d, n| {
                                        let _ = tx.send((d, 2 * n));
                                    },
                                )
                            })
                        })
                    });
                    // Only forward: a retried encoding starts its blocks
                    // again.
                    let mut at = 0.0f64;
                    for (d, n) in rx {
                        let f = d as f64 / n.max(1) as f64;
                        if f > at {
                            at = f;
                            done(d, n);
                        }
                    }
                    worker
                        .join()
                        .unwrap_or_else(|p| std::panic::resume_unwind(p))
                })?;
                drop(values);
                let meta = (c.block_rows, c.block_lengths);
                return Ok(finish(
                    t,
                    bytes,
                    c.encoded,
                    c.error,
                    mode,
                    bound,
                    meta,
                    c.candidates,
                ));
            }
        }
    };
    Ok(finish(
        t,
        bytes,
        encoded,
        error,
        mode,
        bound,
        (0, Vec::new()),
        candidates,
    ))
}

#[allow(clippy::too_many_arguments)]
fn finish(
    t: &InTensor,
    bytes: &[u8],
    encoded: codec::Encoded,
    error: f64,
    mode: ErrorMode,
    bound: f64,
    (block_rows, block_lengths): (u64, Vec<u64>),
    candidates: Vec<auto::Candidate>,
) -> (TensorReport, codec::Encoded, TensorMeta) {
    // A raw tensor is exact, whatever was asked.
    let (mode, bound) = if encoded.codec == codec::CodecId::Raw {
        (ErrorMode::Exact, 0.0)
    } else {
        (mode, bound)
    };
    let meta = TensorMeta {
        mode,
        bound,
        error,
        fortran: t.fortran,
        block_rows,
        block_lengths,
    };
    let entry =
        format::table_entry_len(&t.name, t.dtype, t.shape.len(), encoded.params.len(), &meta);
    let report = TensorReport {
        name: t.name.clone(),
        dtype: dtype::name(t.dtype),
        shape: numpy::numpy_shape(&t.shape, t.fortran),
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
    };
    (report, encoded, meta)
}

/// What [`decompress_file`] writes, from the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// safetensors (any other extension).
    Safetensors,
    /// `.npy`: the container must hold one tensor.
    Npy,
    /// `.npz`: every tensor as a member.
    Npz,
}

impl OutputKind {
    /// The kind for `path`'s extension.
    pub fn of(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("npy") => OutputKind::Npy,
            Some("npz") => OutputKind::Npz,
            _ => OutputKind::Safetensors,
        }
    }
}

/// Decompresses a `.fftt` container into a safetensors file (tensors in
/// their original dtypes, metadata carried over), or into `.npy`/`.npz`
/// when the output has that extension (dtype and memory order restored;
/// safetensors output holds Fortran-ordered arrays in their memory order,
/// that is with the shape reversed).
///
/// # Errors
/// The output checks of [`compress_file`]; any error of [`Container::open`]
/// and [`Container::decode_bytes`]; [`Error::InvalidArgument`] for a tensor
/// the output cannot hold (named `__metadata__`, a sub-byte dtype with an
/// odd element count, a dtype numpy lacks, more than one tensor for
/// `.npy`), before anything is written; [`Error::Io`] for the output, which
/// is then left untouched.
pub fn decompress_file(
    ctx: &Context,
    input: &Path,
    output: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<u64> {
    paths::check_output(&[input], output)?;
    let c = Container::open(input)?;
    let total: u64 = c.entries().iter().map(Entry::original_bytes).sum();
    progress(Progress::Begin {
        tensors: c.entries().len() as u64,
        bytes: total,
    });
    let mut tensor_done = |i: usize| {
        let e = &c.entries()[i];
        progress(Progress::Tensor {
            name: &e.name,
            bytes: e.original_bytes(),
        });
    };
    match OutputKind::of(output) {
        OutputKind::Npy => {
            if c.entries().len() != 1 {
                return Err(Error::invalid(
                    "output",
                    format!(
                        "an .npy file holds one array, the container has {}; write .npz",
                        c.entries().len()
                    ),
                ));
            }
            // Decoded and written piece by piece, as for safetensors.
            let e = &c.entries()[0];
            let bytes = e.original_bytes();
            numpy::write_npy_positioned(
                output,
                e.dtype,
                &e.shape,
                e.fortran,
                |sink, done| c.decode_bytes_into(ctx, 0, bytes / 2, sink, done),
                &mut |done| {
                    if done < bytes {
                        progress(Progress::Within {
                            name: &e.name,
                            done,
                            bytes,
                        });
                    }
                },
            )?;
            progress(Progress::Tensor {
                name: &e.name,
                bytes,
            });
        }
        OutputKind::Npz => {
            let arrays: Vec<OutArray> = c
                .entries()
                .iter()
                .map(|e| OutArray {
                    name: e.name.clone(),
                    dtype: e.dtype,
                    shape: e.shape.clone(),
                    fortran: e.fortran,
                })
                .collect();
            // Each array decoded and written in place piece by piece, as
            // for `.npy`.
            let largest = c.entries().iter().map(Entry::original_bytes).max();
            let largest = largest.unwrap_or(0);
            numpy::write_npz_positioned(output, &arrays, |i, sink, done| {
                c.decode_bytes_into(ctx, i, largest / 2, sink, done)?;
                tensor_done(i);
                Ok(())
            })?;
        }
        OutputKind::Safetensors => {
            let outs: Vec<_> = c
                .entries()
                .iter()
                .map(|e| safetensors_io::OutTensor {
                    name: e.name.clone(),
                    dtype: e.dtype,
                    shape: e.shape.clone(),
                })
                .collect();
            // Row blocks decode in parallel, a few at a time (at most half
            // the largest tensor's bytes of decoded rows), each written
            // where it belongs by the thread that decoded it; runs of small
            // tensors (together at most a quarter of the largest tensor's
            // bytes) decode side by side. Peak memory stays below one
            // tensor besides its payload.
            let largest = c.entries().iter().map(Entry::original_bytes).max();
            let largest = largest.unwrap_or(0);
            safetensors_io::write_positioned(
                output,
                &outs,
                c.metadata(),
                |i, sink, done| c.decode_bytes_into(ctx, i, largest / 2, sink, done),
                largest / 4,
                &mut |i, done, bytes| {
                    let name = &c.entries()[i].name;
                    if done == bytes {
                        progress(Progress::Tensor { name, bytes });
                    } else {
                        progress(Progress::Within { name, done, bytes });
                    }
                },
            )?;
        }
    }
    Ok(total)
}
