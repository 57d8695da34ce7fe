//! The `.fftt` container: reading (validated, one positioned read per
//! payload or row block) and writing (one streaming pass into a temporary
//! file, renamed into place). The byte layout is specified in `FORMAT.md`.
//!
//! This build writes version 2 (header, payloads, table, trailer) and reads
//! versions 1 (preamble, table, payloads) and 2.

mod table;
mod writer;

use std::ops::Range;

use rayon::prelude::*;
use std::path::Path;

use safetensors::Dtype as SafetensorsDtype;

use super::codec::{self, CodecId};
use super::dtype;
use super::error_mode::ErrorMode;
use super::source::Source;
use crate::backend::Context;
use crate::error::{Error, Result};

pub use table::table_entry_len;
pub(crate) use writer::{write_atomically, write_atomically_file};
pub use writer::{ContainerWriter, TensorMeta};

/// The eight bytes every container starts with.
pub const MAGIC: [u8; 8] = *b"\x89FFTT\r\n\x1a";
/// The format version this build writes.
pub const VERSION: u16 = 2;
/// The oldest format version this build reads.
pub const OLDEST_VERSION: u16 = 1;
/// Bytes of a version-1 preamble before the tensor table.
pub const PREAMBLE_LEN: u64 = 32;
/// Bytes of a version-2 header before the first payload.
pub const HEADER_LEN: u64 = 16;
/// Bytes of the version-2 trailer at the end of the file.
pub const TRAILER_LEN: u64 = 32;
/// The four bytes before the trailer's CRC.
pub const TRAILER_MAGIC: [u8; 4] = *b"FTTE";
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
    /// Error measured when the tensor was written, in [`Entry::mode`]
    /// (NaN if unknown).
    pub error: f64,
    /// What the bound limits (version-1 files: relative L2).
    pub mode: ErrorMode,
    /// The bound the writer was given (NaN if unknown, as in version 1).
    pub bound: f64,
    /// The array was in Fortran (column-major) order with shape
    /// `shape` reversed; the payload holds it as the row-major array of
    /// `shape` (its transpose), which is what the codecs see.
    pub fortran: bool,
    /// Rows (of the first dimension) per row block; 0 when the payload is
    /// one piece.
    pub block_rows: u64,
    /// The row blocks, in order, tiling the payload (empty when
    /// `block_rows` is 0).
    pub blocks: Vec<Block>,
    /// Bytes the table entry takes.
    pub entry_bytes: u64,
    /// File offset of the table entry.
    pub entry_offset: u64,
    /// File offset of the codec id byte.
    pub codec_offset: u64,
    /// File offset of the parameter block.
    pub params_offset: u64,
}

/// One row block of a payload: complete codec payload of its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Absolute file offset.
    pub offset: u64,
    /// Bytes.
    pub length: u64,
    /// CRC32 of its bytes.
    pub crc32: u32,
    /// The rows of the tensor's first dimension it holds.
    pub rows: Range<usize>,
}

impl Entry {
    /// The number of row blocks (1 for a payload in one piece).
    pub fn block_count(&self) -> usize {
        self.blocks.len().max(1)
    }

    /// The shape of block `b`'s rows (the whole shape for an unblocked
    /// entry).
    pub fn block_shape(&self, b: usize) -> Vec<usize> {
        let mut s = self.shape.clone();
        if let (Some(block), Some(first)) = (self.blocks.get(b), s.first_mut()) {
            *first = block.rows.len();
        }
        s
    }

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
    version: u16,
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

impl Container {
    /// Opens and validates `path`: header (or preamble) and trailer, CRCs
    /// of them and of the table, every table field, and that the payloads
    /// (and their row blocks) tile the payload area exactly. Only the preamble and table are read here; payloads are
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
        let t = table::read(&path, &source)?;
        Ok(Container {
            path,
            source,
            entries: t.entries,
            metadata: t.metadata,
            version: t.version,
        })
    }

    /// The format version of the file.
    pub fn version(&self) -> u16 {
        self.version
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
        check_crc(
            &self.path,
            &format!("payload of tensor `{}`", e.name),
            e.offset,
            &p,
            e.crc32,
        )?;
        Ok(p)
    }

    /// The bytes of row block `b` of tensor `i` (a complete payload of the
    /// entry's codec for the rows [`Entry::block_shape`] gives), read with
    /// one positioned read and CRC-checked. An unblocked entry has one
    /// block, its whole payload.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a block that does not exist; as
    /// [`Container::payload`].
    pub fn block_payload(&self, i: usize, b: usize) -> Result<Vec<u8>> {
        let e = &self.entries[i];
        if e.blocks.is_empty() && b == 0 {
            return self.payload(i);
        }
        let block = e.blocks.get(b).ok_or_else(|| {
            Error::invalid(
                "block",
                format!(
                    "{b}: tensor `{}` has {} row blocks",
                    e.name,
                    e.block_count()
                ),
            )
        })?;
        let p = self.source.read(&self.path, block.offset, block.length)?;
        check_crc(
            &self.path,
            &format!("row block {b} of tensor `{}`", e.name),
            block.offset,
            &p,
            block.crc32,
        )?;
        Ok(p)
    }

    /// Decodes row block `b` of tensor `i` to f32 values (its rows, in
    /// row-major order), as [`Container::decode_f32`] would give them.
    ///
    /// # Errors
    /// As [`Container::block_payload`] and [`Container::decode_bytes`].
    pub fn decode_block_f32(&self, ctx: &Context, i: usize, b: usize) -> Result<Option<Vec<f32>>> {
        let e = &self.entries[i];
        let p = self.block_payload(i, b)?;
        let at = e.blocks.get(b).map_or(e.offset, |x| x.offset);
        match self.decode_piece(ctx, i, &p, &e.block_shape(b), at)? {
            Decoded::Values(v) => Ok(Some(dtype::round_trip(e.dtype, v))),
            Decoded::Bytes(b) => Ok(dtype::to_f32(e.dtype, &b)),
        }
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

    /// [`Container::decode_bytes`] handed out piece by piece: `sink(offset,
    /// bytes)` receives consecutive pieces of tensor `i`'s bytes (in its
    /// dtype) and their byte offset within the tensor, from any thread of
    /// the pool, in no particular order; together they cover the tensor
    /// exactly once. Row blocks decode in parallel, a few at a time, so at
    /// most about `max_held` bytes of decoded rows (and at least one
    /// block's) are held at once; a tensor without blocks is decoded whole
    /// and handed over in pieces of 8 MiB. `done(bytes)` is told, on the
    /// calling thread, how many bytes have been handed over so far.
    ///
    /// # Errors
    /// As [`Container::decode_bytes`], and any error of `sink`.
    pub fn decode_bytes_into(
        &self,
        ctx: &Context,
        i: usize,
        max_held: u64,
        sink: &(dyn Fn(u64, &[u8]) -> Result<()> + Sync),
        done: &mut dyn FnMut(u64),
    ) -> Result<()> {
        let e = &self.entries[i];
        if e.codec() == Some(CodecId::Raw) {
            return self.stream_raw(i, sink, done);
        }
        if e.blocks.is_empty() && e.codec() == Some(CodecId::F16) {
            return self.stream_f16(i, sink, done);
        }
        if e.blocks.is_empty() {
            // Decoded whole: values are converted piece by piece as they
            // go out (f32 not at all), so the tensor is not held twice.
            match self.decode_inner(ctx, i, true)? {
                Decoded::Bytes(bytes) => {
                    let mut at = 0u64;
                    for piece in bytes.chunks(8 << 20) {
                        sink(at, piece)?;
                        at += piece.len() as u64;
                        done(at);
                    }
                }
                Decoded::Values(v) => {
                    for (k, chunk) in v.chunks(2 << 20).enumerate() {
                        hand_over(e.dtype, k * (2 << 20), chunk, sink)?;
                        done(
                            dtype::byte_len(e.dtype, (k * (2 << 20) + chunk.len()) as u64)
                                .unwrap_or(0),
                        );
                    }
                }
            }
            return Ok(());
        }
        let p = self.payload(i)?;
        let row: usize = e.shape.iter().skip(1).product();
        // A decoded block is held as f32 values while its bytes go out
        // in small pieces.
        let block_bytes = e
            .blocks
            .iter()
            .map(|b| (b.rows.len() * row * 4) as u64)
            .max()
            .unwrap_or(1)
            .max(1);
        let at_once = ((max_held / block_bytes) as usize).max(1);
        // Values converted and handed over per piece (a multiple of 2, so
        // sub-byte dtypes split on whole bytes).
        const PIECE: usize = 1 << 14;
        let indexed: Vec<(usize, &Block)> = e.blocks.iter().enumerate().collect();
        for wave in indexed.chunks(at_once) {
            wave.par_iter().try_for_each(|&(b, block)| {
                let start = (block.offset - e.offset) as usize;
                let piece = &p[start..start + block.length as usize];
                let v = match self.decode_piece(ctx, i, piece, &e.block_shape(b), block.offset)? {
                    Decoded::Values(v) if v.len() == block.rows.len() * row => v,
                    _ => {
                        return Err(Error::Format {
                            path: self.path.clone(),
                            tensor: Some(e.name.clone()),
                            offset: block.offset,
                            detail: format!("row block {b} does not decode to its rows"),
                        })
                    }
                };
                let first = block.rows.start * row;
                for (k, chunk) in v.chunks(PIECE).enumerate() {
                    hand_over(e.dtype, first + k * PIECE, chunk, sink)?;
                }
                Ok(())
            })?;
            let rows = wave.last().map_or(0, |(_, b)| b.rows.end);
            done(dtype::byte_len(e.dtype, (rows * row) as u64).unwrap_or(0));
        }
        Ok(())
    }

    /// A raw tensor's bytes (its payload, blocked or not) handed to `sink`
    /// in pieces of [`STREAM_PIECE`] bytes as they are read, the CRC32
    /// summed on the way and checked at the end: the tensor is never held
    /// whole. A damaged payload has gone out in part when the error comes
    /// (the caller's output is a temp file it then removes).
    fn stream_raw(
        &self,
        i: usize,
        sink: &(dyn Fn(u64, &[u8]) -> Result<()> + Sync),
        done: &mut dyn FnMut(u64),
    ) -> Result<()> {
        let e = &self.entries[i];
        let n: u64 = e.shape.iter().map(|&d| d as u64).product();
        let want = dtype::byte_len(e.dtype, n).unwrap_or(u64::MAX);
        if !e.params.is_empty() || e.length != want {
            return Err(Error::Format {
                path: self.path.clone(),
                tensor: Some(e.name.clone()),
                offset: e.offset,
                detail: format!(
                    "raw: payload holds {} bytes ({} of parameters), the tensor needs {want}",
                    e.length,
                    e.params.len()
                ),
            });
        }
        let mut crc = crc32fast::Hasher::new();
        let mut buf = vec![0u8; (e.length.min(STREAM_PIECE as u64)) as usize];
        let mut at = 0u64;
        while at < e.length {
            let len = (e.length - at).min(STREAM_PIECE as u64) as usize;
            let piece = &mut buf[..len];
            self.source.read_into(&self.path, e.offset + at, piece)?;
            crc.update(piece);
            sink(at, piece)?;
            at += len as u64;
            done(at);
        }
        let what = format!("payload of tensor `{}`", e.name);
        let span = (e.offset, e.offset + e.length);
        crc_matches(&self.path, &what, span, e.crc32, crc.finalize())
    }

    /// A whole-coded f16 tensor widened and handed to `sink` piece by piece
    /// from its (CRC-checked) payload, so its values are never held whole.
    fn stream_f16(
        &self,
        i: usize,
        sink: &(dyn Fn(u64, &[u8]) -> Result<()> + Sync),
        done: &mut dyn FnMut(u64),
    ) -> Result<()> {
        let e = &self.entries[i];
        let p = self.payload(i)?;
        let n: usize = e.shape.iter().product();
        // Checks the parameters and the whole length before anything goes out.
        codec::f16::check(&e.params, &p, n)
            .map_err(|d| self.codec_error(i, CodecId::F16, d, e.offset))?;
        const VALUES: usize = 1 << 21;
        for (k, chunk) in p.chunks(2 * VALUES).enumerate() {
            let v = codec::f16::decode(&e.params, chunk, chunk.len() / 2)
                .map_err(|d| self.codec_error(i, CodecId::F16, d, e.offset))?;
            hand_over(e.dtype, k * VALUES, &v, sink)?;
            done(dtype::byte_len(e.dtype, (k * VALUES + v.len()) as u64).unwrap_or(0));
        }
        Ok(())
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

    fn decode_payload(&self, ctx: &Context, i: usize, p: &[u8], bytes: bool) -> Result<Decoded> {
        let e = &self.entries[i];
        if e.blocks.is_empty() {
            return self.decode_piece(ctx, i, p, &e.shape, e.offset);
        }
        if e.codec() == Some(CodecId::Raw) {
            let mut out = Vec::with_capacity(p.len());
            for (b, block) in e.blocks.iter().enumerate() {
                let start = (block.offset - e.offset) as usize;
                let piece = &p[start..start + block.length as usize];
                if let Decoded::Bytes(v) =
                    self.decode_piece(ctx, i, piece, &e.block_shape(b), block.offset)?
                {
                    out.extend_from_slice(&v);
                }
            }
            return Ok(Decoded::Bytes(out));
        }
        // Lossy blocks decode in parallel, each straight into its rows of
        // the output (in the tensor's dtype when bytes are wanted), so the
        // tensor is held once besides its payload.
        let row: usize = e.shape.iter().skip(1).product();
        let n = e.blocks.last().map_or(0, |b| b.rows.end) * row;
        let esz = if bytes {
            dtype::byte_len(e.dtype, 1).unwrap_or(4) as usize
        } else {
            4
        };
        let decode = |b: usize, block: &Block| -> Result<Vec<f32>> {
            let start = (block.offset - e.offset) as usize;
            let piece = &p[start..start + block.length as usize];
            match self.decode_piece(ctx, i, piece, &e.block_shape(b), block.offset)? {
                Decoded::Values(v) if v.len() == block.rows.len() * row => Ok(v),
                _ => Err(Error::Format {
                    path: self.path.clone(),
                    tensor: Some(e.name.clone()),
                    offset: block.offset,
                    detail: format!("row block {b} does not decode to its rows"),
                }),
            }
        };
        if bytes {
            let mut out = vec![0u8; n * esz];
            fill_blocks(&e.blocks, row * esz, &mut out, |b, block, dst| {
                dst.copy_from_slice(&dtype::from_f32(e.dtype, &decode(b, block)?));
                Ok(())
            })?;
            Ok(Decoded::Bytes(out))
        } else {
            let mut out = vec![0f32; n];
            fill_blocks(&e.blocks, row, &mut out, |b, block, dst| {
                dst.copy_from_slice(&decode(b, block)?);
                Ok(())
            })?;
            Ok(Decoded::Values(out))
        }
    }

    /// Decodes one complete codec payload `p` of `shape` that starts at file
    /// offset `at`.
    fn decode_piece(
        &self,
        ctx: &Context,
        i: usize,
        p: &[u8],
        shape: &[usize],
        at: u64,
    ) -> Result<Decoded> {
        let e = &self.entries[i];
        let codec = e.codec().ok_or_else(|| Error::UnknownCodec {
            path: self.path.clone(),
            tensor: e.name.clone(),
            id: e.codec_id,
            offset: e.codec_offset,
        })?;
        let wrap = |d: Error| self.codec_error(i, codec, d, at);
        if codec == CodecId::Raw {
            let n: u64 = shape.iter().map(|&d| d as u64).product();
            let want = dtype::byte_len(e.dtype, n).unwrap_or(u64::MAX);
            codec::raw::check(&e.params, p, want).map_err(wrap)?;
            return Ok(Decoded::Bytes(p.to_vec()));
        }
        let values = codec::decode(ctx, codec, &e.params, p, shape).map_err(wrap)?;
        Ok(Decoded::Values(values))
    }

    /// Damage a codec found in tensor `i`'s payload (that starts at file
    /// offset `at`) as a format error at its file offset; anything else (a
    /// GPU failure, a device limit, the memory budget) says nothing about
    /// the file and passes through unchanged.
    fn codec_error(&self, i: usize, codec: CodecId, d: Error, at: u64) -> Error {
        let e = &self.entries[i];
        match d {
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
                    at
                } + offset,
                detail: format!("{codec}: {detail}"),
            },
            other => other,
        }
    }
}

/// Bytes read, converted and handed over at a time by the streamed raw
/// and f16 decoders.
const STREAM_PIECE: usize = 8 << 20;

/// Cuts `out` into the rows of each block (`per_row` items a row) and
/// fills the pieces in parallel with `f(block index, block, piece)`.
fn fill_blocks<T: Send>(
    blocks: &[Block],
    per_row: usize,
    out: &mut [T],
    f: impl Fn(usize, &Block, &mut [T]) -> Result<()> + Sync,
) -> Result<()> {
    let mut parts = Vec::with_capacity(blocks.len());
    let mut rest = out;
    for (b, block) in blocks.iter().enumerate() {
        let (dst, tail) = rest.split_at_mut(block.rows.len() * per_row);
        parts.push((b, block, dst));
        rest = tail;
    }
    parts
        .into_par_iter()
        .try_for_each(|(b, block, dst)| f(b, block, dst))
}

enum Decoded {
    Bytes(Vec<u8>),
    Values(Vec<f32>),
}

/// Hands decoded `values`, the tensor's values from index `first` on, to
/// `sink` as bytes of `dt` at their byte offset: f32 values as they lie in
/// memory on a little-endian host, other dtypes converted.
fn hand_over(
    dt: SafetensorsDtype,
    first: usize,
    values: &[f32],
    sink: &(dyn Fn(u64, &[u8]) -> Result<()> + Sync),
) -> Result<()> {
    let at = dtype::byte_len(dt, first as u64).unwrap_or(0);
    if dt == SafetensorsDtype::F32 && cfg!(target_endian = "little") {
        sink(at, bytemuck::cast_slice(values))
    } else {
        sink(at, &dtype::from_f32(dt, values))
    }
}

fn check_crc(path: &str, what: &str, offset: u64, bytes: &[u8], expected: u32) -> Result<()> {
    let span = (offset, offset + bytes.len() as u64);
    crc_matches(path, what, span, expected, crc32fast::hash(bytes))
}

/// [`Error::Checksum`] for `what` at the byte span `(offset, end)` of
/// `path` unless the CRC32 `found` is the `expected` one.
fn crc_matches(path: &str, what: &str, span: (u64, u64), expected: u32, found: u32) -> Result<()> {
    if found != expected {
        return Err(Error::Checksum {
            path: path.to_string(),
            what: what.to_string(),
            offset: span.0,
            end: span.1,
            expected,
            found,
        });
    }
    Ok(())
}
