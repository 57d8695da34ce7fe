//! Parsing the header, trailer and tensor table of both format versions.
//! Everything is validated before anything is allocated from it.

use std::collections::HashSet;

use safetensors::Dtype as SafetensorsDtype;

use super::{
    Block, Entry, TensorMeta, HEADER_LEN, MAGIC, OLDEST_VERSION, PREAMBLE_LEN, TRAILER_LEN,
    TRAILER_MAGIC, VERSION,
};
use crate::error::{Error, Result};
use crate::store::codec::CodecId;
use crate::store::dtype;
use crate::store::error_mode::ErrorMode;
use crate::store::source::Source;
use crate::tensor::MAX_DIMS;

/// Most elements a tensor may decode to per payload byte (see FORMAT.md).
use super::MAX_ELEMENTS_PER_BYTE;

pub(super) struct Table {
    pub entries: Vec<Entry>,
    pub metadata: Vec<(String, String)>,
    pub version: u16,
}

struct Parser<'a> {
    path: &'a str,
    bytes: &'a [u8],
    /// File offset of `bytes[0]`.
    base: u64,
    pos: usize,
    tensor: Option<String>,
}

impl<'a> Parser<'a> {
    fn at(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn err(&self, at: u64, detail: impl Into<String>) -> Error {
        Error::Format {
            path: self.path.to_string(),
            tensor: self.tensor.clone(),
            offset: at,
            detail: detail.into(),
        }
    }

    fn left(&self) -> u64 {
        (self.bytes.len() - self.pos) as u64
    }

    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8]> {
        let left = self.left();
        if n > left {
            return Err(self.err(
                self.at(),
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
        let at = self.at();
        let b = self.take(len, what)?;
        std::str::from_utf8(b)
            .map(str::to_string)
            .map_err(|e| self.err(at, format!("{what} is not UTF-8: {e}")))
    }
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn checksum(path: &str, what: &str, offset: u64, bytes: &[u8], expected: u32) -> Result<()> {
    super::check_crc(path, what, offset, bytes, expected)
}

/// Where the table and the payload area lie, from a validated header.
struct Layout {
    version: u16,
    count: u32,
    table_offset: u64,
    table: Vec<u8>,
    table_crc: u32,
    payload_start: u64,
    payload_end: u64,
}

/// A format error of the file as a whole (no tensor named).
fn file_err(path: &str, offset: u64, detail: String) -> Error {
    Error::Format {
        path: path.to_string(),
        tensor: None,
        offset,
        detail,
    }
}

/// Reads and validates the header and the table of `source`.
pub(super) fn read(path: &str, source: &Source) -> Result<Table> {
    let len = source.len();
    let format_err = |offset: u64, detail: String| file_err(path, offset, detail);
    let head = source.read(path, 0, len.min(PREAMBLE_LEN))?;
    if head.len() < 12 {
        if !MAGIC.starts_with(&head[..head.len().min(8)]) {
            return Err(format_err(0, "not an .fftt file (wrong magic)".into()));
        }
        return Err(format_err(
            len,
            format!("file is {len} bytes, shorter than any header"),
        ));
    }
    if head[..8] != MAGIC {
        return Err(format_err(0, "not an .fftt file (wrong magic)".into()));
    }
    let version = u16::from_le_bytes([head[8], head[9]]);
    let layout = match version {
        1 => layout_v1(path, source, &head)?,
        2 => layout_v2(path, source, &head)?,
        // A damaged header is a checksum error, a sound one a new version.
        _ => {
            if head.len() < HEADER_LEN as usize {
                return Err(format_err(
                    len,
                    format!("file is {len} bytes, shorter than any header"),
                ));
            }
            let v1_ok = head.len() as u64 == PREAMBLE_LEN
                && crc32fast::hash(&head[..28]) == le_u32(&head, 28);
            if !v1_ok {
                checksum(path, "header", 0, &head[..12], le_u32(&head, 12))?;
            }
            return Err(Error::UnsupportedVersion {
                path: path.to_string(),
                found: version,
                supported: VERSION,
            });
        }
    };
    debug_assert!((OLDEST_VERSION..=VERSION).contains(&layout.version));
    let flags = u16::from_le_bytes([head[10], head[11]]);
    if flags != 0 {
        return Err(format_err(10, format!("unknown flags {flags:#06x}")));
    }
    checksum(
        path,
        "tensor table",
        layout.table_offset,
        &layout.table,
        layout.table_crc,
    )?;
    parse_entries(path, &layout)
}

fn layout_v1(path: &str, source: &Source, pre: &[u8]) -> Result<Layout> {
    let len = source.len();
    if (pre.len() as u64) < PREAMBLE_LEN {
        return Err(file_err(
            path,
            len,
            format!("file is {len} bytes, shorter than the {PREAMBLE_LEN}-byte preamble"),
        ));
    }
    checksum(path, "preamble", 0, &pre[..28], le_u32(pre, 28))?;
    let count = le_u32(pre, 12);
    let table_len = le_u64(pre, 16);
    if table_len > len - PREAMBLE_LEN {
        return Err(file_err(
            path,
            16,
            format!(
                "tensor table of {table_len} bytes does not fit in the {} bytes after the preamble",
                len - PREAMBLE_LEN
            ),
        ));
    }
    Ok(Layout {
        version: 1,
        count,
        table_offset: PREAMBLE_LEN,
        table: source.read(path, PREAMBLE_LEN, table_len)?,
        table_crc: le_u32(pre, 24),
        payload_start: PREAMBLE_LEN + table_len,
        payload_end: len,
    })
}

fn layout_v2(path: &str, source: &Source, head: &[u8]) -> Result<Layout> {
    let len = source.len();
    let format_err = |offset: u64, detail: String| file_err(path, offset, detail);
    if len < HEADER_LEN + TRAILER_LEN {
        return Err(format_err(
            len,
            format!(
                "file is {len} bytes, shorter than header and trailer ({} bytes)",
                HEADER_LEN + TRAILER_LEN
            ),
        ));
    }
    checksum(path, "header", 0, &head[..12], le_u32(head, 12))?;
    let t_at = len - TRAILER_LEN;
    let tr = source.read(path, t_at, TRAILER_LEN)?;
    checksum(path, "trailer", t_at, &tr[..28], le_u32(&tr, 28))?;
    if tr[24..28] != TRAILER_MAGIC {
        return Err(format_err(t_at + 24, "trailer magic is not `FTTE`".into()));
    }
    let table_offset = le_u64(&tr, 0);
    let table_len = le_u64(&tr, 8);
    if table_offset < HEADER_LEN || table_offset > t_at || table_len != t_at - table_offset {
        return Err(format_err(
            t_at,
            format!(
                "tensor table at {table_offset} of {table_len} bytes does not end at the trailer ({t_at})"
            ),
        ));
    }
    Ok(Layout {
        version: 2,
        count: le_u32(&tr, 16),
        table_offset,
        table: source.read(path, table_offset, table_len)?,
        table_crc: le_u32(&tr, 20),
        payload_start: HEADER_LEN,
        payload_end: table_offset,
    })
}

/// Bytes of the smallest table entry (1-byte name and dtype, no dims,
/// params or blocks, exact).
fn min_entry(version: u16) -> u64 {
    if version == 1 {
        35
    } else {
        2 + 1 + 1 + 1 + 1 + 1 + 4 + 8 + 8 + 4 + 1 + 1
    }
}

/// Bytes a version-2 table entry takes, for a tensor recorded with `meta`.
pub fn table_entry_len(
    name: &str,
    dtype: SafetensorsDtype,
    ndim: usize,
    params: usize,
    meta: &TensorMeta,
) -> u64 {
    let fixed = 2 + name.len() + 1 + dtype::name(dtype).len() + 1 + 8 * ndim + 1 + 4 + params;
    let tail = 8 + 8 + 4 + 1 + 1;
    let bound = if meta.mode == ErrorMode::Exact { 0 } else { 16 };
    let blocks = if meta.block_rows > 0 {
        8 + 4 + 12 * meta.block_lengths.len()
    } else {
        0
    };
    (fixed + tail + bound + blocks) as u64
}

fn parse_entries(path: &str, l: &Layout) -> Result<Table> {
    let mut p = Parser {
        path,
        bytes: &l.table,
        base: l.table_offset,
        pos: 0,
        tensor: None,
    };
    let table_len = l.table.len() as u64;
    let count_at = if l.version == 1 {
        12
    } else {
        l.payload_end + table_len + 16
    };
    let m_at = p.at();
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
    if u64::from(l.count) * min_entry(l.version) > table_len {
        return Err(p.err(
            count_at,
            format!("{} tensors cannot fit in a {table_len}-byte table", l.count),
        ));
    }
    let mut entries = Vec::with_capacity(l.count as usize);
    let mut next_payload = l.payload_start;
    let mut names = HashSet::new();
    for _ in 0..l.count {
        let e = parse_entry(&mut p, l, next_payload, &mut names)?;
        next_payload = e.offset + e.length;
        entries.push(e);
    }
    p.tensor = None;
    if p.left() != 0 {
        return Err(p.err(
            p.at(),
            format!("{} unused bytes at the end of the tensor table", p.left()),
        ));
    }
    if next_payload != l.payload_end {
        return Err(p.err(
            next_payload,
            format!(
                "{} bytes after the last payload",
                l.payload_end - next_payload
            ),
        ));
    }
    Ok(Table {
        entries,
        metadata,
        version: l.version,
    })
}

fn parse_entry(
    p: &mut Parser<'_>,
    l: &Layout,
    next_payload: u64,
    names: &mut HashSet<String>,
) -> Result<Entry> {
    p.tensor = None;
    let entry_offset = p.at();
    let nl = p.u16("name length")?;
    if nl == 0 {
        return Err(p.err(entry_offset, "empty tensor name"));
    }
    let name = p.string(u64::from(nl), "tensor name")?;
    p.tensor = Some(name.clone());
    if !names.insert(name.clone()) {
        return Err(p.err(entry_offset, "tensor name appears twice"));
    }
    let dl_at = p.at();
    let dl = p.u8("dtype length")?;
    let dname = p.string(u64::from(dl), "dtype")?;
    let dt =
        dtype::parse(&dname).ok_or_else(|| p.err(dl_at, format!("unknown dtype `{dname}`")))?;
    let nd_at = p.at();
    let ndim = p.u8("dimension count")?;
    if usize::from(ndim) > MAX_DIMS {
        return Err(p.err(nd_at, format!("{ndim} dimensions, at most {MAX_DIMS}")));
    }
    let mut shape = Vec::with_capacity(usize::from(ndim));
    let mut n: u64 = 1;
    for _ in 0..ndim {
        let d_at = p.at();
        let d = p.u64("dimension")?;
        n = n
            .checked_mul(d)
            .filter(|&n| n < 1 << 48)
            .ok_or_else(|| p.err(d_at, format!("shape {shape:?} x {d} has too many elements")))?;
        shape.push(d as usize);
    }
    let codec_offset = p.at();
    let codec_id = p.u8("codec id")?;
    let pl = p.u32("parameter length")?;
    let params_offset = p.at();
    let params = p.take(u64::from(pl), "codec parameters")?.to_vec();
    let off_at = p.at();
    let offset = p.u64("payload offset")?;
    let length = p.u64("payload length")?;
    let crc32 = p.u32("payload CRC32")?;
    let (error, mut mode, mut bound, mut fortran, mut block_rows);
    (mode, bound, fortran, block_rows) = (ErrorMode::RelL2, f64::NAN, false, 0u64);
    let mut blocks = Vec::new();
    if l.version == 1 {
        error = f64::from(f32::from_bits(p.u32("error")?));
    } else {
        let mode_at = p.at();
        let m = p.u8("error mode")?;
        mode = ErrorMode::from_id(m)
            .ok_or_else(|| p.err(mode_at, format!("unknown error mode {m}")))?;
        if mode == ErrorMode::Exact {
            bound = 0.0;
            error = 0.0;
            if CodecId::from_id(codec_id).is_some_and(|c| c != CodecId::Raw) {
                return Err(p.err(mode_at, "an exact tensor is stored raw"));
            }
        } else {
            let b_at = p.at();
            bound = f64::from_bits(p.u64("bound")?);
            if bound < 0.0 || bound.is_infinite() {
                return Err(p.err(b_at, format!("bound {bound} is negative or infinite")));
            }
            error = f64::from_bits(p.u64("error")?);
        }
        let f_at = p.at();
        let flags = p.u8("layout flags")?;
        if flags & !3 != 0 {
            return Err(p.err(f_at, format!("unknown layout flags {flags:#04x}")));
        }
        fortran = flags & 1 != 0;
        let r_at = p.at();
        block_rows = if flags & 2 != 0 {
            p.u64("rows per block")?
        } else {
            0
        };
        if flags & 2 != 0 && block_rows == 0 {
            return Err(p.err(r_at, "zero rows per block"));
        }
        if block_rows > 0 {
            let rows = shape.first().copied().unwrap_or(0) as u64;
            if rows == 0 {
                return Err(p.err(r_at, "row blocks of a tensor without rows"));
            }
            let want = rows.div_ceil(block_rows);
            let c_at = p.at();
            let count = u64::from(p.u32("block count")?);
            if count != want || count * 12 > p.left() {
                return Err(p.err(
                    c_at,
                    format!(
                        "{count} row blocks, {rows} rows in blocks of {block_rows} need {want}"
                    ),
                ));
            }
            let row_len = n / rows;
            let mut at = offset;
            for b in 0..count {
                let len_at = p.at();
                let blen = p.u64("block length")?;
                let bcrc = p.u32("block CRC32")?;
                let r0 = b * block_rows;
                let r1 = (r0 + block_rows).min(rows);
                check_size(p, codec_id, dt, &dname, (r1 - r0) * row_len, blen, len_at)?;
                if blen > length - (at - offset).min(length) {
                    return Err(p.err(len_at, "row blocks run past the payload"));
                }
                blocks.push(Block {
                    offset: at,
                    length: blen,
                    crc32: bcrc,
                    rows: r0 as usize..r1 as usize,
                });
                at += blen;
            }
            if at != offset + length {
                return Err(p.err(
                    r_at,
                    format!("row blocks hold {} of {length} payload bytes", at - offset),
                ));
            }
        }
    }
    if offset != next_payload {
        return Err(p.err(
            off_at,
            format!("payload offset {offset}, expected {next_payload} (payloads follow each other in order)"),
        ));
    }
    if length > l.payload_end - offset.min(l.payload_end) {
        return Err(p.err(
            off_at + 8,
            format!(
                "payload of {length} bytes at {offset} runs past the payload area ending at {}",
                l.payload_end
            ),
        ));
    }
    if blocks.is_empty() {
        check_size(p, codec_id, dt, &dname, n, length, off_at + 8)?;
    }
    let known = CodecId::from_id(codec_id);
    if let Some(k) = known.filter(|&k| k != CodecId::Raw && !dtype::is_lossy_float(dt)) {
        return Err(p.err(
            codec_offset,
            format!("codec {k} cannot hold a {dname} tensor"),
        ));
    }
    if dt == SafetensorsDtype::F64
        && l.version == 1
        && known != Some(CodecId::Raw)
        && known.is_some()
    {
        return Err(p.err(codec_offset, "version 1 keeps F64 tensors raw"));
    }
    Ok(Entry {
        name,
        dtype: dt,
        shape,
        codec_id,
        params,
        offset,
        length,
        crc32,
        error,
        mode,
        bound,
        fortran,
        block_rows,
        blocks,
        entry_bytes: p.at() - entry_offset,
        entry_offset,
        codec_offset,
        params_offset,
    })
}

/// Checks a payload (or block) length against its element count: exact
/// for raw, at most [`MAX_ELEMENTS_PER_BYTE`] elements per byte otherwise.
fn check_size(
    p: &Parser<'_>,
    codec_id: u8,
    dt: SafetensorsDtype,
    dname: &str,
    n: u64,
    length: u64,
    at: u64,
) -> Result<()> {
    if CodecId::from_id(codec_id) == Some(CodecId::Raw) {
        let want = dtype::byte_len(dt, n).unwrap_or(u64::MAX);
        if length != want {
            return Err(p.err(
                at,
                format!("raw payload of {length} bytes, {n} x {dname} needs {want}"),
            ));
        }
    } else if n > length.saturating_mul(MAX_ELEMENTS_PER_BYTE) {
        return Err(p.err(
            at,
            format!("{n} elements cannot be coded in {length} payload bytes"),
        ));
    }
    Ok(())
}
