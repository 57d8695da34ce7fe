//! safetensors in (positioned reads, tensor by tensor) and out (written
//! atomically, one tensor in memory at a time).

use std::io::Write;
use std::path::Path;

use safetensors::tensor::Metadata;
use safetensors::Dtype as SafetensorsDtype;

use super::dtype;
use super::format::{write_atomically, write_atomically_file};
use super::source::Source;
use crate::error::{Error, Result};

/// An open safetensors file: the header is parsed and validated when
/// opening; tensor bytes are read when asked for, one tensor at a time.
pub struct SafetensorsFile {
    path: String,
    source: Source,
    header_len: usize,
    metadata: Metadata,
    tensors: Vec<TensorRef>,
}

/// One tensor of a [`SafetensorsFile`].
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    /// Name.
    pub name: String,
    /// Element type.
    pub dtype: SafetensorsDtype,
    /// Shape.
    pub shape: Vec<usize>,
    /// Byte range inside the data section.
    pub range: (usize, usize),
}

impl TensorRef {
    /// Element count.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True without elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SafetensorsFile {
    /// Opens `path` and validates its header (offsets, sizes, and that the
    /// data section fills the rest of the file); only the header is read.
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Format`] with the safetensors crate's reason;
    /// [`Error::InvalidArgument`] for a directory.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let source = Source::open(path)?;
        let (header_len, metadata) = read_header(&name, &source)?;
        let tensors = metadata
            .offset_keys()
            .into_iter()
            .filter_map(|name| {
                let info = metadata.info(&name)?;
                Some(TensorRef {
                    dtype: info.dtype,
                    shape: info.shape.clone(),
                    range: info.data_offsets,
                    name,
                })
            })
            .collect();
        Ok(SafetensorsFile {
            path: name,
            source,
            header_len,
            metadata,
            tensors,
        })
    }

    /// The file name.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tensors in data order (a copy; see [`SafetensorsFile::tensor_refs`]).
    pub fn tensors(&self) -> Vec<TensorRef> {
        self.tensors.clone()
    }

    /// The tensors in data order.
    pub fn tensor_refs(&self) -> &[TensorRef] {
        &self.tensors
    }

    /// The `__metadata__` pairs, sorted by key.
    pub fn metadata(&self) -> Vec<(String, String)> {
        let mut m: Vec<_> = self
            .metadata
            .metadata()
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        m.sort();
        m
    }

    /// The bytes of a tensor, read from the file now (nothing is kept
    /// between calls).
    ///
    /// # Errors
    /// [`Error::FileShrank`] when the file was truncated since it was
    /// opened; [`Error::Io`].
    pub fn data(&self, t: &TensorRef) -> Result<Vec<u8>> {
        let base = 8 + self.header_len as u64;
        self.source.read(
            &self.path,
            base + t.range.0 as u64,
            (t.range.1 - t.range.0) as u64,
        )
    }

    /// [`SafetensorsFile::data`] into `buf`, which holds exactly the
    /// tensor's bytes.
    ///
    /// # Errors
    /// As [`SafetensorsFile::data`]; [`Error::ShapeMismatch`] when `buf`
    /// is not the tensor's size.
    pub(crate) fn data_into(&self, t: &TensorRef, buf: &mut [u8]) -> Result<()> {
        let len = t.range.1 - t.range.0;
        if buf.len() != len {
            return Err(Error::shape("tensor buffer", len, buf.len()));
        }
        let base = 8 + self.header_len as u64;
        self.source
            .read_into(&self.path, base + t.range.0 as u64, buf)
    }

    /// File size.
    pub fn file_len(&self) -> u64 {
        self.source.len()
    }
}

/// The largest header the safetensors crate reads.
const MAX_HEADER: u64 = 100_000_000;

/// Reads and validates the header: the safetensors crate's own checks on a
/// buffer of just the header, then that the data section ends where the
/// file does.
fn read_header(path: &str, source: &Source) -> Result<(usize, Metadata)> {
    let bad = |offset: u64, e: String| Error::Format {
        path: path.to_string(),
        tensor: None,
        offset,
        detail: format!("not a valid safetensors file: {e}"),
    };
    let len = source.len();
    if len < 8 {
        return Err(bad(
            0,
            format!("{len} bytes, shorter than the 8-byte header length"),
        ));
    }
    let n = u64::from_le_bytes(source.read(path, 0, 8)?.try_into().unwrap());
    if n > MAX_HEADER {
        return Err(bad(
            0,
            format!("header of {n} bytes, at most {MAX_HEADER} allowed"),
        ));
    }
    if n > len - 8 {
        return Err(bad(
            0,
            format!(
                "header of {n} bytes does not fit in the {} bytes after its length",
                len - 8
            ),
        ));
    }
    let header = source.read(path, 8, n)?;
    let text = std::str::from_utf8(&header).map_err(|e| bad(8, format!("header: {e}")))?;
    let metadata: Metadata =
        serde_json::from_str(text).map_err(|e| bad(8, format!("header: {e}")))?;
    let data = metadata.data_len() as u64;
    if 8 + n + data != len {
        return Err(bad(
            8 + n,
            format!(
                "the header describes {data} bytes of tensor data, the file holds {}",
                len - 8 - n
            ),
        ));
    }
    Ok((n as usize, metadata))
}

/// Header description of one tensor to write.
#[derive(Debug, Clone)]
pub struct OutTensor {
    /// Name.
    pub name: String,
    /// Element type.
    pub dtype: SafetensorsDtype,
    /// Shape.
    pub shape: Vec<usize>,
}

/// Writes a safetensors file atomically. `data(i)` produces tensor `i`'s
/// bytes when it is its turn, so only one tensor is in memory at a time.
///
/// # Errors
/// As [`write_reporting`].
pub fn write(
    path: &Path,
    tensors: &[OutTensor],
    metadata: &[(String, String)],
    data: impl FnMut(usize) -> Result<Vec<u8>>,
) -> Result<()> {
    write_reporting(path, tensors, metadata, data, &mut |_, _, _| {})
}

/// Bytes written per step (and per progress report).
const WRITE_CHUNK: usize = 8 << 20;

/// Refuses tensors that a valid safetensors file cannot hold: the name
/// `__metadata__` (reserved for the metadata block) and sub-byte dtypes
/// whose element count does not fill whole bytes.
fn check_writable(t: &OutTensor, n: u64) -> Result<()> {
    if t.name == "__metadata__" {
        return Err(Error::invalid(
            "tensor",
            "a tensor named `__metadata__` cannot be written to safetensors, which reserves \
             that name for its metadata block",
        ));
    }
    let bits = n.checked_mul(t.dtype.bitsize() as u64);
    if bits.is_some_and(|b| !b.is_multiple_of(8)) {
        return Err(Error::invalid(
            "tensor",
            format!(
                "`{}`: {n} elements of {} do not fill whole bytes, which safetensors requires",
                t.name,
                dtype::name(t.dtype)
            ),
        ));
    }
    Ok(())
}

/// [`write()`], calling `written(i, done, bytes)` as tensor `i`'s bytes go
/// out (`done == bytes` when it is complete).
///
/// # Errors
/// [`Error::InvalidArgument`] for a tensor safetensors cannot hold (named
/// `__metadata__`, or a sub-byte dtype with an element count that does not
/// fill whole bytes), before anything is written; [`Error::Io`]; whatever
/// `data` returns (the destination is then left untouched);
/// [`Error::InvalidArgument`] if `data` returns the wrong size.
pub fn write_reporting(
    path: &Path,
    tensors: &[OutTensor],
    metadata: &[(String, String)],
    mut data: impl FnMut(usize) -> Result<Vec<u8>>,
    written: &mut dyn FnMut(usize, u64, u64),
) -> Result<()> {
    write_inner(path, tensors, metadata, &mut data, written)
}

/// Receives a piece of a tensor's bytes: `(offset within the tensor,
/// bytes)`, from any thread.
pub type PieceSink<'a> = dyn Fn(u64, &[u8]) -> Result<()> + Sync + 'a;

/// [`write_reporting`] with each tensor's bytes handed over in pieces
/// (`data(i, sink, done)` calls `sink` with pieces that cover tensor `i`
/// exactly once, in any order, from any thread of the current rayon pool,
/// and may tell `done`, on its own thread, how many bytes it has handed
/// over so far)
/// and written where they belong with positioned writes, so the copy into
/// the file runs on the threads that decode and no tensor needs to be
/// whole in memory. Runs of consecutive tensors whose bytes add up to at
/// most `budget` are made at the same time; a larger tensor alone.
/// `written(i, done, bytes)` reports parts of a tensor made alone and
/// each finished tensor (`done == bytes`).
///
/// # Errors
/// As [`write_reporting`]; [`Error::InvalidArgument`] if the pieces of a
/// tensor reach past its end or do not add up to its size.
pub fn write_positioned(
    path: &Path,
    tensors: &[OutTensor],
    metadata: &[(String, String)],
    data: impl Fn(usize, &PieceSink<'_>, &mut dyn FnMut(u64)) -> Result<()> + Sync,
    budget: u64,
    written: &mut dyn FnMut(usize, u64, u64),
) -> Result<()> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    let (json, sizes) = header(tensors, metadata)?;
    let base = 8 + json.len() as u64;
    let mut starts = Vec::with_capacity(sizes.len());
    let mut end = base;
    for &size in &sizes {
        starts.push(end);
        end += size;
    }
    write_atomically_file(path, |file| {
        let io = |e: std::io::Error| Error::io(path, e);
        file.set_len(end).map_err(io)?;
        write_all_at(file, &(json.len() as u64).to_le_bytes(), 0).map_err(io)?;
        write_all_at(file, &json, 8).map_err(io)?;
        let one = |i: usize, done: &mut dyn FnMut(u64)| -> Result<()> {
            let got = AtomicU64::new(0);
            let size = sizes[i];
            let wrong = |what: String| {
                Error::invalid(
                    "tensor data",
                    format!("`{}`: {what}, expected {size} bytes", tensors[i].name),
                )
            };
            data(
                i,
                &|at: u64, bytes: &[u8]| {
                    let n = bytes.len() as u64;
                    if at.checked_add(n).is_none_or(|e| e > size) {
                        return Err(wrong(format!("bytes {at}..{} given", at.saturating_add(n))));
                    }
                    got.fetch_add(n, Ordering::Relaxed);
                    write_all_at(file, bytes, starts[i] + at).map_err(io)
                },
                done,
            )?;
            let got = got.into_inner();
            if got != size {
                return Err(wrong(format!("{got} bytes given")));
            }
            Ok(())
        };
        let mut i = 0;
        while i < sizes.len() {
            let mut end = i + 1;
            let mut sum = sizes[i];
            while end < sizes.len() && sum.saturating_add(sizes[end]) <= budget {
                sum += sizes[end];
                end += 1;
            }
            if end == i + 1 {
                let size = sizes[i];
                one(i, &mut |d| {
                    if d < size {
                        written(i, d, size);
                    }
                })?;
            } else {
                (i..end)
                    .into_par_iter()
                    .try_for_each(|k| one(k, &mut |_| {}))?;
            }
            for (k, &size) in sizes.iter().enumerate().take(end).skip(i) {
                written(k, size, size);
            }
            i = end;
        }
        Ok(())
    })
}

/// Writes all of `bytes` at `offset` of `file` (without moving a cursor
/// that other threads share).
pub(crate) fn write_all_at(file: &std::fs::File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
    }
    #[cfg(windows)]
    {
        let (mut bytes, mut offset) = (bytes, offset);
        while !bytes.is_empty() {
            let n = std::os::windows::fs::FileExt::seek_write(file, bytes, offset)?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            bytes = &bytes[n..];
            offset += n as u64;
        }
        Ok(())
    }
}

/// The JSON header (padded so the data starts 8-byte aligned, as
/// safetensors does) and each tensor's byte size, after checking that
/// safetensors can hold every tensor.
fn header(tensors: &[OutTensor], metadata: &[(String, String)]) -> Result<(Vec<u8>, Vec<u64>)> {
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        let m: serde_json::Map<String, serde_json::Value> = metadata
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        header.insert("__metadata__".into(), m.into());
    }
    let mut offset = 0u64;
    let mut sizes = Vec::with_capacity(tensors.len());
    for t in tensors {
        let n: u64 = t.shape.iter().map(|&d| d as u64).product();
        check_writable(t, n)?;
        let size = dtype::byte_len(t.dtype, n)
            .ok_or_else(|| Error::invalid("shape", format!("{:?} too large", t.shape)))?;
        header.insert(
            t.name.clone(),
            serde_json::json!({
                "dtype": dtype::name(t.dtype),
                "shape": t.shape,
                "data_offsets": [offset, offset + size],
            }),
        );
        sizes.push(size);
        offset += size;
    }
    let mut json = serde_json::to_vec(&header).expect("a JSON map serialises");
    while !(8 + json.len()).is_multiple_of(8) {
        json.push(b' ');
    }
    Ok((json, sizes))
}

fn write_inner(
    path: &Path,
    tensors: &[OutTensor],
    metadata: &[(String, String)],
    data: &mut dyn FnMut(usize) -> Result<Vec<u8>>,
    written: &mut dyn FnMut(usize, u64, u64),
) -> Result<()> {
    let (json, sizes) = header(tensors, metadata)?;
    write_atomically(path, |w| {
        let io = |e: std::io::Error| Error::io(path, e);
        w.write_all(&(json.len() as u64).to_le_bytes())
            .map_err(io)?;
        w.write_all(&json).map_err(io)?;
        for (i, &size) in sizes.iter().enumerate() {
            let bytes = data(i)?;
            if bytes.len() as u64 != size {
                return Err(Error::invalid(
                    "tensor data",
                    format!(
                        "`{}`: {} bytes, expected {size}",
                        tensors[i].name,
                        bytes.len()
                    ),
                ));
            }
            let mut done = 0u64;
            for chunk in bytes.chunks(WRITE_CHUNK) {
                w.write_all(chunk).map_err(io)?;
                done += chunk.len() as u64;
                if done < size {
                    written(i, done, size);
                }
            }
            written(i, size, size);
        }
        Ok(())
    })
}
