//! safetensors in (memory-mapped, tensor by tensor) and out (written
//! atomically, one tensor in memory at a time).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use safetensors::tensor::Metadata;
use safetensors::{Dtype, SafeTensors};

use super::dtype;
use super::format::write_atomically;
use crate::error::{Error, Result};

/// A memory-mapped safetensors file.
pub struct SafetensorsFile {
    path: String,
    map: Option<memmap2::Mmap>,
    header_len: usize,
    metadata: Metadata,
}

/// One tensor of a [`SafetensorsFile`].
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    /// Name.
    pub name: String,
    /// Element type.
    pub dtype: Dtype,
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
    /// Maps and validates `path` (header, offsets, sizes).
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Format`] with the safetensors crate's reason.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let map = if len == 0 {
            None
        } else {
            // SAFETY: read-only map; the file is validated before use.
            Some(unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?)
        };
        let bytes: &[u8] = map.as_deref().unwrap_or(&[]);
        let (header_len, metadata) =
            SafeTensors::read_metadata(bytes).map_err(|e| Error::Format {
                path: path.display().to_string(),
                tensor: None,
                offset: 0,
                detail: format!("not a valid safetensors file: {e}"),
            })?;
        Ok(SafetensorsFile {
            path: path.display().to_string(),
            map,
            header_len,
            metadata,
        })
    }

    /// The file name.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tensors in data order.
    pub fn tensors(&self) -> Vec<TensorRef> {
        self.metadata
            .offset_keys()
            .into_iter()
            .filter_map(|name| {
                let info = self.metadata.info(&name)?;
                Some(TensorRef {
                    dtype: info.dtype,
                    shape: info.shape.clone(),
                    range: info.data_offsets,
                    name,
                })
            })
            .collect()
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

    /// The bytes of a tensor.
    pub fn data(&self, t: &TensorRef) -> &[u8] {
        let base = 8 + self.header_len;
        &self.map.as_deref().unwrap_or(&[])[base + t.range.0..base + t.range.1]
    }

    /// File size.
    pub fn file_len(&self) -> u64 {
        self.map.as_ref().map_or(0, |m| m.len() as u64)
    }
}

/// Header description of one tensor to write.
#[derive(Debug, Clone)]
pub struct OutTensor {
    /// Name.
    pub name: String,
    /// Element type.
    pub dtype: Dtype,
    /// Shape.
    pub shape: Vec<usize>,
}

/// Writes a safetensors file atomically. `data(i)` produces tensor `i`'s
/// bytes when it is its turn, so only one tensor is in memory at a time.
///
/// # Errors
/// [`Error::Io`]; whatever `data` returns (the destination is then left
/// untouched); [`Error::InvalidArgument`] if `data` returns the wrong size.
pub fn write(
    path: &Path,
    tensors: &[OutTensor],
    metadata: &[(String, String)],
    mut data: impl FnMut(usize) -> Result<Vec<u8>>,
) -> Result<()> {
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
    // Pad with spaces so the data starts 8-byte aligned, as safetensors does.
    while (8 + json.len()) % 8 != 0 {
        json.push(b' ');
    }
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
            w.write_all(&bytes).map_err(io)?;
        }
        Ok(())
    })
}
