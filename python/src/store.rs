//! Checkpoints: compressed `.fftt` containers written from named arrays or
//! a safetensors file, read back in the original dtypes, inspected.
//! Reports cross as JSON text (the library's report format).

use std::path::{Path, PathBuf};

use fft_tensor::store::{self, dtype, safetensors_io, AnyFile, Family, Progress};
use fft_tensor::Error;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::arrays::{vec_to_numpy, Input};
use crate::context::Context;
use crate::errors::IntoPy;

/// The library's options; `error_mode` is "rel-l2" (relative L2),
/// "abs-rms" or "abs-max" (pointwise).
fn options(
    max_error: f64,
    error_mode: &str,
    codec: &str,
    allow_nonfinite: bool,
) -> PyResult<store::CompressOptions> {
    let mode = store::ErrorMode::parse(error_mode).py()?;
    let family = Family::parse(codec).ok_or_else(|| {
        PyValueError::new_err(format!(
            "codec {codec:?} is not one of auto, raw, f16, int8, int4, prune, quant, dct-quant, dct, rfft"
        ))
    })?;
    Ok(store::CompressOptions {
        max_error,
        mode,
        family,
        allow_nonfinite,
        ..Default::default()
    })
}

fn json(report: &store::FileReport) -> String {
    report.to_json().to_string()
}

/// Compresses a safetensors, `.npy` or `.npz` file into a `.fftt`
/// container; returns the report as JSON.
#[pyfunction]
#[pyo3(signature = (ctx, input, output, max_error, codec, allow_nonfinite, error_mode = "rel-l2"))]
#[allow(clippy::too_many_arguments)]
fn compress_file(
    py: Python<'_>,
    ctx: &Context,
    input: PathBuf,
    output: PathBuf,
    max_error: f64,
    codec: &str,
    allow_nonfinite: bool,
    error_mode: &str,
) -> PyResult<String> {
    let options = options(max_error, error_mode, codec, allow_nonfinite)?;
    py.detach(|| store::compress_file(&ctx.inner, &input, &output, &options, &mut |_| {}))
        .py()
        .map(|r| json(&r))
}

/// Decompresses a `.fftt` container into a safetensors file (original
/// dtypes, metadata carried over); returns the tensor bytes written.
#[pyfunction]
#[pyo3(signature = (ctx, input, output))]
fn decompress_file(
    py: Python<'_>,
    ctx: &Context,
    input: PathBuf,
    output: PathBuf,
) -> PyResult<u64> {
    py.detach(|| store::decompress_file(&ctx.inner, &input, &output, &mut |_| {}))
        .py()
}

/// Writes named tensors, `(name, dtype, shape, bytes)` with a safetensors
/// dtype name and the little-endian bytes as a uint8 array, into a `.fftt`
/// container at `path` with `metadata`; returns the report as JSON.
#[pyfunction]
#[pyo3(signature = (ctx, tensors, path, metadata, max_error, codec, allow_nonfinite, error_mode = "rel-l2"))]
#[allow(clippy::too_many_arguments)]
fn save(
    py: Python<'_>,
    ctx: &Context,
    tensors: Vec<(String, String, Vec<usize>, Bound<'_, PyAny>)>,
    path: PathBuf,
    metadata: Vec<(String, String)>,
    max_error: f64,
    codec: &str,
    allow_nonfinite: bool,
    error_mode: &str,
) -> PyResult<String> {
    let options = options(max_error, error_mode, codec, allow_nonfinite)?;
    let mut outs = Vec::with_capacity(tensors.len());
    let mut inputs = Vec::with_capacity(tensors.len());
    for (name, dtype_name, shape, bytes) in &tensors {
        let dtype = dtype::parse(dtype_name).ok_or_else(|| {
            PyValueError::new_err(format!(
                "tensor {name:?}: unknown safetensors dtype {dtype_name:?}"
            ))
        })?;
        outs.push(safetensors_io::OutTensor {
            name: name.clone(),
            dtype,
            shape: shape.clone(),
        });
        inputs.push(Input::<u8>::expect(bytes, "save")?);
    }
    let data = inputs
        .iter()
        .map(Input::data)
        .collect::<PyResult<Vec<&[u8]>>>()?;
    let report = py.detach(|| -> fft_tensor::Result<_> {
        // The library compresses from a safetensors file: stage one in a
        // private directory beside the output (removed on every path).
        store::paths::check_output(&[], &path)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let staging = tempfile::Builder::new()
            .prefix(".fftt-save-")
            .tempdir_in(&dir)
            .map_err(|e| Error::Io {
                path: dir.display().to_string(),
                source: e,
            })?;
        let source = staging.path().join("tensors.safetensors");
        safetensors_io::write(&source, &outs, &metadata, |i| Ok(data[i].to_vec()))?;
        store::compress_file(&ctx.inner, &source, &path, &options, &mut |_: Progress<
            '_,
        >| {})
    });
    report.py().map(|r| json(&r))
}

/// Every tensor of a `.fftt` container or safetensors file in its original
/// dtype: `([(name, dtype, shape, uint8 bytes)], metadata pairs)`.
#[pyfunction]
#[pyo3(signature = (ctx, path))]
#[allow(clippy::type_complexity)]
fn load<'py>(
    py: Python<'py>,
    ctx: &Context,
    path: PathBuf,
) -> PyResult<(
    Vec<(String, String, Vec<usize>, Bound<'py, PyAny>)>,
    Vec<(String, String)>,
)> {
    let (tensors, metadata) = py.detach(|| read_all(&ctx.inner, &path)).py()?;
    let mut out = Vec::with_capacity(tensors.len());
    for (name, dtype, shape, bytes) in tensors {
        let n = bytes.len();
        out.push((name, dtype, shape, vec_to_numpy(py, &[n], bytes)?));
    }
    Ok((out, metadata))
}

type Named = (String, String, Vec<usize>, Vec<u8>);
type Metadata = Vec<(String, String)>;

fn read_all(ctx: &fft_tensor::Context, path: &Path) -> fft_tensor::Result<(Vec<Named>, Metadata)> {
    match AnyFile::open(path)? {
        AnyFile::Fftt(c) => {
            let mut out = Vec::with_capacity(c.entries().len());
            for (i, e) in c.entries().iter().enumerate() {
                out.push((
                    e.name.clone(),
                    dtype::name(e.dtype),
                    e.shape.clone(),
                    c.decode_bytes(ctx, i)?,
                ));
            }
            Ok((out, c.metadata().to_vec()))
        }
        AnyFile::Safetensors(s) => {
            let mut out = Vec::with_capacity(s.tensor_refs().len());
            for t in s.tensor_refs() {
                out.push((
                    t.name.clone(),
                    dtype::name(t.dtype),
                    t.shape.clone(),
                    s.data(t)?,
                ));
            }
            Ok((out, s.metadata()))
        }
    }
}

/// The per-tensor table of a `.fftt` container (every payload decoded and
/// checked on the CPU) or of a safetensors file (stored raw), as JSON.
#[pyfunction]
fn inspect(py: Python<'_>, path: PathBuf) -> PyResult<String> {
    py.detach(|| -> fft_tensor::Result<String> {
        match AnyFile::open(&path)? {
            AnyFile::Fftt(_) => Ok(json(&store::inspect(&path, &mut |_| {})?)),
            AnyFile::Safetensors(s) => {
                let tensors = s
                    .tensor_refs()
                    .iter()
                    .map(|t| store::TensorReport {
                        name: t.name.clone(),
                        dtype: dtype::name(t.dtype),
                        shape: t.shape.clone(),
                        codec: "safetensors".to_string(),
                        original_bytes: (t.range.1 - t.range.0) as u64,
                        stored_bytes: (t.range.1 - t.range.0) as u64,
                        error: 0.0,
                        candidates: Vec::new(),
                    })
                    .collect::<Vec<_>>();
                Ok(json(&store::FileReport {
                    original_bytes: tensors.iter().map(|t| t.original_bytes).sum(),
                    tensors,
                    input_bytes: s.file_len(),
                    output_bytes: s.file_len(),
                }))
            }
        }
    })
    .py()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compress_file, m)?)?;
    m.add_function(wrap_pyfunction!(decompress_file, m)?)?;
    m.add_function(wrap_pyfunction!(save, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    Ok(())
}
