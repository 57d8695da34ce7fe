//! Writing a version-2 container in one streaming pass: the header, then
//! each payload as its tensor is added, then the table and trailer, all
//! into a temporary file beside the destination that is renamed over it
//! when finished.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use safetensors::Dtype as SafetensorsDtype;

use super::{table_entry_len, HEADER_LEN, MAGIC, TRAILER_MAGIC, VERSION};
use crate::error::{Error, Result};
use crate::store::codec::{CodecId, Encoded};
use crate::store::dtype;
use crate::store::error_mode::ErrorMode;
use crate::store::temp::TempFile;
use crate::tensor::MAX_DIMS;

/// What the table records about a tensor besides its codec and payload.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorMeta {
    /// What the bound limits.
    pub mode: ErrorMode,
    /// The bound asked for (NaN if none).
    pub bound: f64,
    /// The error measured on the reconstruction, in `mode`.
    pub error: f64,
    /// The array was Fortran-ordered (see [`super::Entry::fortran`]).
    pub fortran: bool,
    /// Rows per row block (0: the payload is one piece).
    pub block_rows: u64,
    /// Length of each row block, tiling the payload (empty when
    /// `block_rows` is 0).
    pub block_lengths: Vec<u64>,
}

impl Default for TensorMeta {
    fn default() -> Self {
        TensorMeta {
            mode: ErrorMode::RelL2,
            bound: f64::NAN,
            error: f64::NAN,
            fortran: false,
            block_rows: 0,
            block_lengths: Vec::new(),
        }
    }
}

/// Writes a container. Payloads are written to a temporary file beside the
/// destination as tensors are added (so the run needs the disk space of
/// the output once); [`ContainerWriter::finish`] appends the table and the
/// trailer, syncs, and renames the file over the destination. Dropping the
/// writer unfinished removes the temporary file.
pub struct ContainerWriter {
    path: PathBuf,
    tmp: TempFile,
    written: u64,
    entries: Vec<Pending>,
}

struct Pending {
    name: String,
    dtype: SafetensorsDtype,
    shape: Vec<usize>,
    codec: CodecId,
    params: Vec<u8>,
    offset: u64,
    length: u64,
    crc32: u32,
    meta: TensorMeta,
    block_crcs: Vec<u32>,
}

impl ContainerWriter {
    /// Starts a container that [`ContainerWriter::finish`] will put at
    /// `path`, writing its header to the temporary file.
    ///
    /// # Errors
    /// [`Error::Io`] if the temporary file cannot be created or written in
    /// `path`'s directory.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut tmp = TempFile::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut head = Vec::with_capacity(HEADER_LEN as usize);
        head.extend_from_slice(&MAGIC);
        head.extend_from_slice(&VERSION.to_le_bytes());
        head.extend_from_slice(&0u16.to_le_bytes());
        let crc = crc32fast::hash(&head);
        head.extend_from_slice(&crc.to_le_bytes());
        tmp.file_mut()
            .write_all(&head)
            .map_err(|e| Error::io(&path, e))?;
        Ok(ContainerWriter {
            path,
            tmp,
            written: HEADER_LEN,
            entries: Vec::new(),
        })
    }

    /// Appends one encoded tensor with only its relative error recorded.
    ///
    /// # Errors
    /// As [`ContainerWriter::add_with`].
    pub fn add(
        &mut self,
        name: &str,
        dtype: SafetensorsDtype,
        shape: &[usize],
        encoded: &Encoded,
        error: f32,
    ) -> Result<()> {
        let meta = TensorMeta {
            error: f64::from(error),
            ..TensorMeta::default()
        };
        self.add_with(name, dtype, shape, encoded, meta)
    }

    /// Appends one encoded tensor and writes its payload.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty or over-long name, a name
    /// given twice, more than 8 dimensions, a parameter block over 4 GiB,
    /// a negative bound, or row blocks that do not tile the payload and the
    /// rows; [`Error::Io`] when the temporary file cannot be written.
    pub fn add_with(
        &mut self,
        name: &str,
        dtype: SafetensorsDtype,
        shape: &[usize],
        encoded: &Encoded,
        meta: TensorMeta,
    ) -> Result<()> {
        if name.is_empty() || name.len() > usize::from(u16::MAX) {
            return Err(Error::invalid(
                "name",
                format!("{} bytes, 1 to 65535 allowed", name.len()),
            ));
        }
        if self.entries.iter().any(|e| e.name == name) {
            return Err(Error::invalid("name", format!("`{name}` given twice")));
        }
        if shape.len() > MAX_DIMS {
            return Err(Error::invalid(
                "shape",
                format!("{} dimensions", shape.len()),
            ));
        }
        if encoded.params.len() > u32::MAX as usize {
            return Err(Error::invalid("params", "parameter block over 4 GiB"));
        }
        if meta.bound < 0.0 || meta.bound.is_infinite() {
            return Err(Error::invalid("bound", format!("{}", meta.bound)));
        }
        if meta.mode == ErrorMode::Exact && encoded.codec != CodecId::Raw {
            return Err(Error::invalid("mode", "only raw tensors are exact"));
        }
        let block_crcs = block_crcs(shape, &encoded.payload, &meta)?;
        self.tmp
            .file_mut()
            .write_all(&encoded.payload)
            .map_err(|e| Error::io(&self.path, e))?;
        let length = encoded.payload.len() as u64;
        self.entries.push(Pending {
            name: name.to_string(),
            dtype,
            shape: shape.to_vec(),
            codec: encoded.codec,
            params: encoded.params.clone(),
            offset: self.written,
            length,
            crc32: crc32fast::hash(&encoded.payload),
            meta,
            block_crcs,
        });
        self.written += length;
        Ok(())
    }

    /// Writes table and trailer and renames the file into place; returns
    /// its size.
    ///
    /// # Errors
    /// [`Error::Io`] for any write, sync or rename failure (the destination
    /// is then untouched).
    pub fn finish(self, metadata: &[(String, String)]) -> Result<u64> {
        self.finish_with_progress(metadata, &mut |_, _| {})
    }

    /// [`ContainerWriter::finish`], calling `progress(done, total)` with the
    /// bytes of the output written so far, before and after the table.
    ///
    /// # Errors
    /// As [`ContainerWriter::finish`].
    pub fn finish_with_progress(
        mut self,
        metadata: &[(String, String)],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        let path = self.path.clone();
        let io = |e: std::io::Error| Error::io(&path, e);
        let table = self.table(metadata);
        let total = self.written + table.len() as u64 + super::TRAILER_LEN;
        progress(self.written, total);
        let mut trailer = Vec::with_capacity(super::TRAILER_LEN as usize);
        trailer.extend_from_slice(&self.written.to_le_bytes());
        trailer.extend_from_slice(&(table.len() as u64).to_le_bytes());
        trailer.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        trailer.extend_from_slice(&crc32fast::hash(&table).to_le_bytes());
        trailer.extend_from_slice(&TRAILER_MAGIC);
        let crc = crc32fast::hash(&trailer);
        trailer.extend_from_slice(&crc.to_le_bytes());
        {
            let mut w = BufWriter::new(self.tmp.file_mut());
            w.write_all(&table).map_err(io)?;
            w.write_all(&trailer).map_err(io)?;
            w.flush().map_err(io)?;
        }
        self.tmp.persist(&path).map_err(io)?;
        progress(total, total);
        Ok(total)
    }

    fn table(&self, metadata: &[(String, String)]) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&(metadata.len() as u32).to_le_bytes());
        for (k, v) in metadata {
            t.extend_from_slice(&(k.len() as u32).to_le_bytes());
            t.extend_from_slice(k.as_bytes());
            t.extend_from_slice(&(v.len() as u32).to_le_bytes());
            t.extend_from_slice(v.as_bytes());
        }
        for e in &self.entries {
            let start = t.len();
            t.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            t.extend_from_slice(e.name.as_bytes());
            let d = dtype::name(e.dtype);
            t.push(d.len() as u8);
            t.extend_from_slice(d.as_bytes());
            t.push(e.shape.len() as u8);
            for &s in &e.shape {
                t.extend_from_slice(&(s as u64).to_le_bytes());
            }
            t.push(e.codec.id());
            t.extend_from_slice(&(e.params.len() as u32).to_le_bytes());
            t.extend_from_slice(&e.params);
            t.extend_from_slice(&e.offset.to_le_bytes());
            t.extend_from_slice(&e.length.to_le_bytes());
            t.extend_from_slice(&e.crc32.to_le_bytes());
            t.push(e.meta.mode.id());
            if e.meta.mode != ErrorMode::Exact {
                t.extend_from_slice(&e.meta.bound.to_bits().to_le_bytes());
                t.extend_from_slice(&e.meta.error.to_bits().to_le_bytes());
            }
            let blocked = e.meta.block_rows > 0;
            t.push(u8::from(e.meta.fortran) | (u8::from(blocked) << 1));
            if blocked {
                t.extend_from_slice(&e.meta.block_rows.to_le_bytes());
                t.extend_from_slice(&(e.block_crcs.len() as u32).to_le_bytes());
                for (len, crc) in e.meta.block_lengths.iter().zip(&e.block_crcs) {
                    t.extend_from_slice(&len.to_le_bytes());
                    t.extend_from_slice(&crc.to_le_bytes());
                }
            }
            debug_assert_eq!(
                (t.len() - start) as u64,
                table_entry_len(&e.name, e.dtype, e.shape.len(), e.params.len(), &e.meta)
            );
        }
        t
    }
}

/// CRC32 of each row block, after checking that the blocks tile the rows
/// and the payload.
fn block_crcs(shape: &[usize], payload: &[u8], meta: &TensorMeta) -> Result<Vec<u32>> {
    if meta.block_rows == 0 {
        if !meta.block_lengths.is_empty() {
            return Err(Error::invalid(
                "blocks",
                "block lengths without rows per block",
            ));
        }
        return Ok(Vec::new());
    }
    let rows = shape.first().copied().unwrap_or(0) as u64;
    let want = rows.div_ceil(meta.block_rows);
    if rows == 0 || meta.block_lengths.len() as u64 != want || want > u64::from(u32::MAX) {
        return Err(Error::invalid(
            "blocks",
            format!(
                "{} row blocks for {rows} rows in blocks of {}",
                meta.block_lengths.len(),
                meta.block_rows
            ),
        ));
    }
    let mut at = 0usize;
    let mut crcs = Vec::with_capacity(meta.block_lengths.len());
    for &len in &meta.block_lengths {
        let end = at
            .checked_add(len as usize)
            .filter(|&e| e <= payload.len())
            .ok_or_else(|| Error::invalid("blocks", "row blocks run past the payload"))?;
        crcs.push(crc32fast::hash(&payload[at..end]));
        at = end;
    }
    if at != payload.len() {
        return Err(Error::invalid(
            "blocks",
            format!("row blocks hold {at} of {} payload bytes", payload.len()),
        ));
    }
    Ok(crcs)
}

/// Writes `path` atomically through `write`: to a temporary file beside it
/// (see [`crate::store::temp`]), synced, then renamed over `path`. Errors
/// name `path`, never the temporary file.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> Result<()>,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io(path, e);
    let mut tmp = TempFile::create(path).map_err(io)?;
    {
        let mut w = BufWriter::new(tmp.file_mut());
        write(&mut w)?;
        w.flush().map_err(io)?;
    }
    tmp.persist(path).map_err(io)
}

/// [`write_atomically`] for a writer that places its bytes itself
/// (positioned writes, from any thread): `write` gets the temporary file.
pub(crate) fn write_atomically_file(
    path: &Path,
    write: impl FnOnce(&File) -> Result<()>,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io(path, e);
    let mut tmp = TempFile::create(path).map_err(io)?;
    write(tmp.file_mut())?;
    tmp.persist(path).map_err(io)
}
