//! The `.fftt` container: reading (validated, one positioned read per
//! payload) and writing (atomic). The byte layout is specified in
//! `FORMAT.md`.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use safetensors::Dtype as SafetensorsDtype;

use super::codec::{self, CodecId, Encoded};
use super::dtype;
use super::source::Source;
use super::temp::{dir_of, TempFile};
use crate::backend::Context;
use crate::error::{Error, Result};
use crate::tensor::MAX_DIMS;

/// The eight bytes every container starts with.
pub const MAGIC: [u8; 8] = *b"\x89FFTT\r\n\x1a";
/// The format version this build writes and reads.
pub const VERSION: u16 = 1;
/// Bytes of the fixed preamble before the tensor table.
pub const PREAMBLE_LEN: u64 = 32;
/// Most elements a tensor may decode to per payload byte (see FORMAT.md).
pub const MAX_ELEMENTS_PER_BYTE: u64 = codec::entropy::MAX_SYMBOLS_PER_BYTE;

/// One tensor of a container, as its table entry describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Tensor name.
    pub name: String,
    /// Element type of the original tensor (and of the decoded one).
    pub dtype: SafetensorsDtype,
    /// Shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// Codec id as stored; [`Entry::codec`] maps it.
    pub codec_id: u8,
    /// The codec's parameter block.
    pub params: Vec<u8>,
    /// Absolute file offset of the payload.
    pub offset: u64,
    /// Payload length in bytes.
    pub length: u64,
    /// CRC32 of the payload.
    pub crc32: u32,
    /// Relative Frobenius error measured when the tensor was written (NaN if
    /// unknown).
    pub error: f32,
    /// Bytes the table entry takes.
    pub entry_bytes: u64,
    /// File offset of the table entry.
    pub entry_offset: u64,
    /// File offset of the codec id byte.
    pub codec_offset: u64,
    /// File offset of the parameter block.
    pub params_offset: u64,
}

impl Entry {
    /// The codec, if this build knows its id.
    pub fn codec(&self) -> Option<CodecId> {
        CodecId::from_id(self.codec_id)
    }

    /// Codec name, or `unknown(ID)`.
    pub fn codec_name(&self) -> String {
        self.codec().map_or_else(
            || format!("unknown({})", self.codec_id),
            |c| c.name().to_string(),
        )
    }

    /// Element count.
    pub fn len(&self) -> u64 {
        self.shape.iter().map(|&d| d as u64).product()
    }

    /// True for a tensor without elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the tensor in its own dtype (as in safetensors).
    pub fn original_bytes(&self) -> u64 {
        dtype::byte_len(self.dtype, self.len()).unwrap_or(u64::MAX)
    }

    /// Bytes the tensor takes in the container: table entry plus payload.
    pub fn stored_bytes(&self) -> u64 {
        self.entry_bytes + self.length
    }
}

/// An open, validated container. The preamble and tensor table are held in
/// memory; each payload is read from the file when it is asked for.
pub struct Container {
    path: String,
    source: Source,
    entries: Vec<Entry>,
    metadata: Vec<(String, String)>,
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("path", &self.path)
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// Whether `bytes` start like a container.
pub fn has_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

struct Parser<'a> {
    path: &'a str,
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    tensor: Option<String>,
}

impl<'a> Parser<'a> {
    fn err(&self, at: usize, detail: impl Into<String>) -> Error {
        Error::Format {
            path: self.path.to_string(),
            tensor: self.tensor.clone(),
            offset: at as u64,
            detail: detail.into(),
        }
    }

    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8]> {
        let left = (self.end - self.pos) as u64;
        if n > left {
            return Err(self.err(
                self.pos,
                format!("{what} needs {n} bytes, the tensor table has {left} left"),
            ));
        }
        let s = &self.bytes[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2, what)?.try_into().unwrap()))
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }
    fn string(&mut self, len: u64, what: &str) -> Result<String> {
        let at = self.pos;
        let b = self.take(len, what)?;
        std::str::from_utf8(b)
            .map(str::to_string)
            .map_err(|e| self.err(at, format!("{what} is not UTF-8: {e}")))
    }
}

impl Container {
    /// Opens and validates `path`: preamble, CRCs of the preamble and
    /// table, every table field, and that the payloads tile the rest of the
    /// file exactly. Only the preamble and table are read here; payloads are
    /// read (and their CRCs checked) when a tensor is asked for
    /// ([`Container::payload`]) or by [`Container::verify`].
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Format`], [`Error::UnsupportedVersion`],
    /// [`Error::Checksum`]; [`Error::InvalidArgument`] for a directory;
    /// [`Error::FileShrank`] when the file is truncated while being read.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::parse(path.display().to_string(), Source::open(path)?)
    }

    /// Validates a container held in memory (`name` is used in errors).
    ///
    /// # Errors
    /// As [`Container::open`].
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self> {
        Self::parse(name.into(), Source::Memory(bytes))
    }

    fn parse(path: String, source: Source) -> Result<Self> {
        let len = source.len();
        let pre = source.read(&path, 0, len.min(PREAMBLE_LEN))?;
        // Read the table only behind a valid preamble, so that a large file
        // of another kind is never pulled into memory.
        let valid_pre = pre.len() as u64 == PREAMBLE_LEN
            && pre[..8] == MAGIC
            && crc32fast::hash(&pre[..28]) == u32::from_le_bytes(pre[28..32].try_into().unwrap());
        let table_len = if valid_pre {
            u64::from_le_bytes(pre[16..24].try_into().unwrap())
        } else {
            0
        };
        let head = if table_len > 0 && table_len <= len - PREAMBLE_LEN {
            source.read(&path, 0, PREAMBLE_LEN + table_len)?
        } else {
            pre
        };
        let (entries, metadata) = parse_table(&path, &head, len)?;
        Ok(Container {
            path,
            source,
            entries,
            metadata,
        })
    }

    /// The file name given when opening.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tensors, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The safetensors `__metadata__` pairs carried over.
    pub fn metadata(&self) -> &[(String, String)] {
        &self.metadata
    }

    /// File size in bytes.
    pub fn file_len(&self) -> u64 {
        self.source.len()
    }

    fn read_payload(&self, i: usize) -> Result<Vec<u8>> {
        let e = &self.entries[i];
        self.source.read(&self.path, e.offset, e.length)
    }

    /// The payload of tensor `i`, read from the file, after checking its
    /// CRC32.
    ///
    /// # Errors
    /// [`Error::Checksum`] when the bytes were damaged;
    /// [`Error::FileShrank`] when the file was truncated since it was
    /// opened; [`Error::Io`].
    pub fn payload(&self, i: usize) -> Result<Vec<u8>> {
        let e = &self.entries[i];
        let p = self.read_payload(i)?;
        let found = crc32fast::hash(&p);
        if found != e.crc32 {
            return Err(Error::Checksum {
                path: self.path.clone(),
                what: format!("payload of tensor `{}`", e.name),
                offset: e.offset,
                end: e.offset + e.length,
                expected: e.crc32,
                found,
            });
        }
        Ok(p)
    }

    /// Checks every payload's CRC32.
    ///
    /// # Errors
    /// The first [`Error::Checksum`].
    pub fn verify(&self) -> Result<()> {
        (0..self.entries.len()).try_for_each(|i| self.payload(i).map(|_| ()))
    }

    /// Decodes tensor `i` to its values as f32, as a reader of the
    /// decompressed file sees them (lossy codecs' output rounded to the
    /// tensor's dtype, or a raw tensor widened; `None` for raw dtypes without
    /// a numeric reading).
    ///
    /// # Errors
    /// As [`Container::decode_bytes`].
    pub fn decode_f32(&self, ctx: &Context, i: usize) -> Result<Option<Vec<f32>>> {
        let e = &self.entries[i];
        match self.decode_inner(ctx, i, false)? {
            Decoded::Values(v) => Ok(Some(dtype::round_trip(e.dtype, v))),
            Decoded::Bytes(b) => Ok(dtype::to_f32(e.dtype, &b)),
        }
    }

    /// Decodes tensor `i` to little-endian bytes of its dtype, as
    /// safetensors stores them.
    ///
    /// # Errors
    /// [`Error::Checksum`] for a damaged payload; [`Error::UnknownCodec`];
    /// [`Error::Format`] naming the tensor and the file offset of the first
    /// bad byte.
    pub fn decode_bytes(&self, ctx: &Context, i: usize) -> Result<Vec<u8>> {
        let e = &self.entries[i];
        match self.decode_inner(ctx, i, true)? {
            Decoded::Bytes(b) => Ok(b),
            Decoded::Values(v) => Ok(dtype::from_f32(e.dtype, &v)),
        }
    }

    /// Like [`Container::decode_bytes`] but without the CRC check, so that
    /// codec decoders see damaged bytes (for fuzzing).
    #[doc(hidden)]
    pub fn decode_unchecked(&self, ctx: &Context, i: usize) -> Result<Vec<u8>> {
        let e = &self.entries[i];
        let p = self.read_payload(i)?;
        match self.decode_payload(ctx, i, &p, true)? {
            Decoded::Bytes(b) => Ok(b),
            Decoded::Values(v) => Ok(dtype::from_f32(e.dtype, &v)),
        }
    }

    fn decode_inner(&self, ctx: &Context, i: usize, want_bytes: bool) -> Result<Decoded> {
        let p = self.payload(i)?;
        self.decode_payload(ctx, i, &p, want_bytes)
    }

    fn decode_payload(&self, ctx: &Context, i: usize, p: &[u8], _bytes: bool) -> Result<Decoded> {
        let e = &self.entries[i];
        let codec = e.codec().ok_or_else(|| Error::UnknownCodec {
            path: self.path.clone(),
            tensor: e.name.clone(),
            id: e.codec_id,
            offset: e.codec_offset,
        })?;
        // Damage found by the codec becomes a format error at its file
        // offset; anything else (a GPU failure, a device limit, the memory
        // budget) says nothing about the file and passes through unchanged.
        let wrap = |d: Error| match d {
            Error::Corrupt {
                what,
                offset,
                detail,
            } => Error::Format {
                path: self.path.clone(),
                tensor: Some(e.name.clone()),
                offset: if what == codec::PARAMS {
                    e.params_offset
                } else {
                    e.offset
                } + offset,
                detail: format!("{codec}: {detail}"),
            },
            other => other,
        };
        if codec == CodecId::Raw {
            codec::raw::check(&e.params, p, e.original_bytes()).map_err(wrap)?;
            return Ok(Decoded::Bytes(p.to_vec()));
        }
        let values = codec::decode(ctx, codec, &e.params, p, &e.shape).map_err(wrap)?;
        Ok(Decoded::Values(values))
    }
}

enum Decoded {
    Bytes(Vec<u8>),
    Values(Vec<f32>),
}

type Table = (Vec<Entry>, Vec<(String, String)>);

/// Parses the preamble and table in `bytes` (the file's first bytes: all of
/// them when shorter than the preamble, else at least preamble and table
/// when the preamble is valid) of a file of `file_len` bytes.
fn parse_table(path: &str, bytes: &[u8], file_len: u64) -> Result<Table> {
    let format_err = |offset: u64, detail: String| Error::Format {
        path: path.to_string(),
        tensor: None,
        offset,
        detail,
    };
    if file_len < PREAMBLE_LEN {
        if !MAGIC.starts_with(&bytes[..bytes.len().min(8)]) {
            return Err(format_err(0, "not an .fftt file (wrong magic)".into()));
        }
        return Err(format_err(
            file_len,
            format!("file is {file_len} bytes, shorter than the {PREAMBLE_LEN}-byte preamble"),
        ));
    }
    if bytes[..8] != MAGIC {
        return Err(format_err(0, "not an .fftt file (wrong magic)".into()));
    }
    let stored = u32::from_le_bytes(bytes[28..32].try_into().unwrap());
    let found = crc32fast::hash(&bytes[..28]);
    if stored != found {
        return Err(Error::Checksum {
            path: path.to_string(),
            what: "preamble".into(),
            offset: 0,
            end: 28,
            expected: stored,
            found,
        });
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != VERSION {
        return Err(Error::UnsupportedVersion {
            path: path.to_string(),
            found: version,
            supported: VERSION,
        });
    }
    let flags = u16::from_le_bytes([bytes[10], bytes[11]]);
    if flags != 0 {
        return Err(format_err(10, format!("unknown flags {flags:#06x}")));
    }
    let count = u32::from_le_bytes(bytes[12..16].try_into().unwrap());
    let table_len = u64::from_le_bytes(bytes[16..24].try_into().unwrap());
    if table_len > file_len - PREAMBLE_LEN {
        return Err(format_err(
            16,
            format!(
                "tensor table of {table_len} bytes does not fit in the {} bytes after the preamble",
                file_len - PREAMBLE_LEN
            ),
        ));
    }
    let table_end = PREAMBLE_LEN + table_len;
    let table_crc = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    let found = crc32fast::hash(&bytes[PREAMBLE_LEN as usize..table_end as usize]);
    if found != table_crc {
        return Err(Error::Checksum {
            path: path.to_string(),
            what: "tensor table".into(),
            offset: PREAMBLE_LEN,
            end: table_end,
            expected: table_crc,
            found,
        });
    }
    let mut p = Parser {
        path,
        bytes,
        pos: PREAMBLE_LEN as usize,
        end: table_end as usize,
        tensor: None,
    };
    // Metadata.
    let m_at = p.pos;
    let m = p.u32("metadata count")?;
    if u64::from(m) * 8 > table_len {
        return Err(p.err(m_at, format!("{m} metadata pairs cannot fit in the table")));
    }
    let mut metadata = Vec::with_capacity(m as usize);
    for _ in 0..m {
        let kl = p.u32("metadata key length")?;
        let k = p.string(u64::from(kl), "metadata key")?;
        let vl = p.u32("metadata value length")?;
        let v = p.string(u64::from(vl), "metadata value")?;
        metadata.push((k, v));
    }
    // The smallest entry is 35 bytes (1-byte name and dtype, no dims or params).
    const MIN_ENTRY: u64 = 35;
    if u64::from(count) * MIN_ENTRY > table_len {
        return Err(format_err(
            12,
            format!("{count} tensors cannot fit in a {table_len}-byte table"),
        ));
    }
    let mut entries = Vec::with_capacity(count as usize);
    let mut next_payload = table_end;
    let mut names = std::collections::HashSet::new();
    for _ in 0..count {
        p.tensor = None;
        let entry_offset = p.pos;
        let nl = p.u16("name length")?;
        if nl == 0 {
            return Err(p.err(entry_offset, "empty tensor name"));
        }
        let name = p.string(u64::from(nl), "tensor name")?;
        p.tensor = Some(name.clone());
        if !names.insert(name.clone()) {
            return Err(p.err(entry_offset, "tensor name appears twice"));
        }
        let dl_at = p.pos;
        let dl = p.u8("dtype length")?;
        let dname = p.string(u64::from(dl), "dtype")?;
        let dt =
            dtype::parse(&dname).ok_or_else(|| p.err(dl_at, format!("unknown dtype `{dname}`")))?;
        let nd_at = p.pos;
        let ndim = p.u8("dimension count")?;
        if usize::from(ndim) > MAX_DIMS {
            return Err(p.err(nd_at, format!("{ndim} dimensions, at most {MAX_DIMS}")));
        }
        let mut shape = Vec::with_capacity(usize::from(ndim));
        let mut n: u64 = 1;
        for _ in 0..ndim {
            let d_at = p.pos;
            let d = p.u64("dimension")?;
            n = n.checked_mul(d).filter(|&n| n < 1 << 48).ok_or_else(|| {
                p.err(d_at, format!("shape {shape:?} x {d} has too many elements"))
            })?;
            shape.push(d as usize);
        }
        let codec_offset = p.pos as u64;
        let codec_id = p.u8("codec id")?;
        let pl = p.u32("parameter length")?;
        let params_offset = p.pos as u64;
        let params = p.take(u64::from(pl), "codec parameters")?.to_vec();
        let off_at = p.pos;
        let offset = p.u64("payload offset")?;
        let length = p.u64("payload length")?;
        let crc32 = p.u32("payload CRC32")?;
        let error = f32::from_bits(p.u32("error")?);
        if offset != next_payload {
            return Err(p.err(
                off_at,
                format!("payload offset {offset}, expected {next_payload} (payloads follow the table in order)"),
            ));
        }
        if length > file_len - offset {
            return Err(p.err(
                off_at + 8,
                format!(
                    "payload of {length} bytes at {offset} runs past the end of the {file_len}-byte file"
                ),
            ));
        }
        let known = CodecId::from_id(codec_id);
        if known == Some(CodecId::Raw) || (known.is_some() && !dtype::is_lossy_float(dt)) {
            let want = dtype::byte_len(dt, n).unwrap_or(u64::MAX);
            if known == Some(CodecId::Raw) && length != want {
                return Err(p.err(
                    off_at + 8,
                    format!("raw payload of {length} bytes, {n} x {dname} needs {want}"),
                ));
            }
            if known != Some(CodecId::Raw) {
                return Err(p.err(
                    codec_offset as usize,
                    format!("codec {} cannot hold a {dname} tensor", known.unwrap()),
                ));
            }
        } else if n > length.saturating_mul(MAX_ELEMENTS_PER_BYTE) {
            return Err(p.err(
                off_at + 8,
                format!("{n} elements cannot be coded in {length} payload bytes"),
            ));
        }
        next_payload = offset + length;
        entries.push(Entry {
            name,
            dtype: dt,
            shape,
            codec_id,
            params,
            offset,
            length,
            crc32,
            error,
            entry_bytes: (p.pos - entry_offset) as u64,
            entry_offset: entry_offset as u64,
            codec_offset,
            params_offset,
        });
    }
    p.tensor = None;
    if p.pos != p.end {
        return Err(p.err(
            p.pos,
            format!(
                "{} unused bytes at the end of the tensor table",
                p.end - p.pos
            ),
        ));
    }
    if next_payload != file_len {
        return Err(format_err(
            next_payload,
            format!("{} bytes after the last payload", file_len - next_payload),
        ));
    }
    Ok((entries, metadata))
}

/// Writes a container: payloads go to an unnamed spill file as tensors are
/// added, and [`ContainerWriter::finish`] writes table and payloads to a
/// temporary file in the destination's directory, then renames it over the
/// destination. Dropping the writer unfinished leaves nothing behind.
pub struct ContainerWriter {
    path: PathBuf,
    spill: BufWriter<File>,
    entries: Vec<PendingEntry>,
    spilled: u64,
}

struct PendingEntry {
    name: String,
    dtype: SafetensorsDtype,
    shape: Vec<usize>,
    codec: CodecId,
    params: Vec<u8>,
    length: u64,
    crc32: u32,
    error: f32,
}

fn entry_len(e: &PendingEntry) -> u64 {
    table_entry_len(&e.name, e.dtype, e.shape.len(), e.params.len())
}

/// Bytes a table entry for this tensor takes.
pub fn table_entry_len(name: &str, dtype: SafetensorsDtype, ndim: usize, params: usize) -> u64 {
    (2 + name.len() + 1 + dtype::name(dtype).len() + 1 + 8 * ndim + 1 + 4 + params + 8 + 8 + 4 + 4)
        as u64
}

impl ContainerWriter {
    /// Starts a container that [`ContainerWriter::finish`] will write to `path`.
    ///
    /// # Errors
    /// [`Error::Io`] if the spill file cannot be created in `path`'s directory.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let spill = tempfile::tempfile_in(dir_of(&path)).map_err(|e| Error::io(&path, e))?;
        Ok(ContainerWriter {
            path,
            spill: BufWriter::new(spill),
            entries: Vec::new(),
            spilled: 0,
        })
    }

    /// Appends one encoded tensor.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty or over-long name, a name
    /// given twice, more than 8 dimensions, or a parameter block over 4 GiB;
    /// [`Error::Io`] when the spill file cannot be written.
    pub fn add(
        &mut self,
        name: &str,
        dtype: SafetensorsDtype,
        shape: &[usize],
        encoded: &Encoded,
        error: f32,
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
        self.spill
            .write_all(&encoded.payload)
            .map_err(|e| Error::io(&self.path, e))?;
        self.spilled += encoded.payload.len() as u64;
        self.entries.push(PendingEntry {
            name: name.to_string(),
            dtype,
            shape: shape.to_vec(),
            codec: encoded.codec,
            params: encoded.params.clone(),
            length: encoded.payload.len() as u64,
            crc32: crc32fast::hash(&encoded.payload),
            error,
        });
        Ok(())
    }

    /// Writes the container and renames it into place; returns its size.
    ///
    /// # Errors
    /// [`Error::Io`] for any write, sync or rename failure (the destination
    /// is then untouched).
    pub fn finish(self, metadata: &[(String, String)]) -> Result<u64> {
        self.finish_with_progress(metadata, &mut |_, _| {})
    }

    /// [`ContainerWriter::finish`], calling `progress(done, total)` with the
    /// bytes of the output written so far as it goes.
    ///
    /// # Errors
    /// As [`ContainerWriter::finish`].
    pub fn finish_with_progress(
        self,
        metadata: &[(String, String)],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        let path = self.path.clone();
        let io = |e: std::io::Error| Error::io(&path, e);
        let mut spill = self.spill.into_inner().map_err(|e| io(e.into_error()))?;
        let mut table = Vec::new();
        table.extend_from_slice(&(metadata.len() as u32).to_le_bytes());
        for (k, v) in metadata {
            table.extend_from_slice(&(k.len() as u32).to_le_bytes());
            table.extend_from_slice(k.as_bytes());
            table.extend_from_slice(&(v.len() as u32).to_le_bytes());
            table.extend_from_slice(v.as_bytes());
        }
        let table_len = table.len() as u64 + self.entries.iter().map(entry_len).sum::<u64>();
        let mut offset = PREAMBLE_LEN + table_len;
        for e in &self.entries {
            table.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            table.extend_from_slice(e.name.as_bytes());
            let d = dtype::name(e.dtype);
            table.push(d.len() as u8);
            table.extend_from_slice(d.as_bytes());
            table.push(e.shape.len() as u8);
            for &s in &e.shape {
                table.extend_from_slice(&(s as u64).to_le_bytes());
            }
            table.push(e.codec.id());
            table.extend_from_slice(&(e.params.len() as u32).to_le_bytes());
            table.extend_from_slice(&e.params);
            table.extend_from_slice(&offset.to_le_bytes());
            table.extend_from_slice(&e.length.to_le_bytes());
            table.extend_from_slice(&e.crc32.to_le_bytes());
            table.extend_from_slice(&e.error.to_bits().to_le_bytes());
            offset += e.length;
        }
        debug_assert_eq!(table.len() as u64, table_len);
        let mut pre = Vec::with_capacity(PREAMBLE_LEN as usize);
        pre.extend_from_slice(&MAGIC);
        pre.extend_from_slice(&VERSION.to_le_bytes());
        pre.extend_from_slice(&0u16.to_le_bytes());
        pre.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        pre.extend_from_slice(&table_len.to_le_bytes());
        pre.extend_from_slice(&crc32fast::hash(&table).to_le_bytes());
        let crc = crc32fast::hash(&pre);
        pre.extend_from_slice(&crc.to_le_bytes());

        let head = pre.len() as u64 + table.len() as u64;
        write_atomically(&path, |w| {
            w.write_all(&pre).map_err(io)?;
            w.write_all(&table).map_err(io)?;
            progress(head, offset);
            spill.seek(SeekFrom::Start(0)).map_err(io)?;
            let mut chunk = vec![0u8; COPY_CHUNK.min(self.spilled as usize)];
            let mut copied = 0u64;
            while copied < self.spilled {
                let n = chunk.len().min((self.spilled - copied) as usize);
                spill.read_exact(&mut chunk[..n]).map_err(|e| {
                    io(std::io::Error::new(
                        e.kind(),
                        format!("spill file shorter than written: {e}"),
                    ))
                })?;
                w.write_all(&chunk[..n]).map_err(io)?;
                copied += n as u64;
                progress(head + copied, offset);
            }
            Ok(())
        })?;
        Ok(offset)
    }
}

/// Bytes copied per step of a final write (and per progress report).
const COPY_CHUNK: usize = 8 << 20;

/// Writes `path` atomically through `write`: to a temporary file beside it
/// (see [`super::temp`]), synced, then renamed over `path`. Errors name
/// `path`, never the temporary file.
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
