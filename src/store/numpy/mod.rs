//! numpy arrays as tensor files: `.npy` (one array) and `.npz` (a ZIP of
//! `.npy` members, as `numpy.savez` writes it), read with positioned reads
//! and written atomically.
//!
//! A Fortran-ordered array of shape `s` is handed on as the row-major
//! array of shape `reverse(s)` (the same bytes) with a `fortran` flag, so
//! codecs see its memory order and decompression restores it exactly.
//! Big-endian arrays are read as little-endian; outputs are little-endian.

pub mod npy;
pub(crate) mod zip;

use std::io::Write;
use std::path::Path;

use safetensors::Dtype as SafetensorsDtype;

use super::safetensors_io::{write_all_at, PieceSink};
use super::source::Source;
use crate::error::{Error, Result};

/// One array of a numpy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumpyTensor {
    /// Name (the member name without `.npy`; `array` for a `.npy` file).
    pub name: String,
    /// Element type.
    pub dtype: SafetensorsDtype,
    /// Row-major shape of the data as stored (numpy's shape reversed when
    /// `fortran`).
    pub shape: Vec<usize>,
    /// Fortran order in the file.
    pub fortran: bool,
    big_endian: bool,
    offset: u64,
    len: u64,
}

/// An open `.npy` or `.npz` file.
pub struct NumpyFile {
    path: String,
    source: Source,
    tensors: Vec<NumpyTensor>,
}

/// Whether `head` starts like a `.npy` file.
pub fn is_npy(head: &[u8]) -> bool {
    head.starts_with(npy::MAGIC)
}

/// Whether `head` starts like a ZIP archive (an `.npz` file).
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// The name a `.npy` file's single array gets.
pub const NPY_NAME: &str = "array";

fn array_at(path: &str, src: &Source, name: String, offset: u64, len: u64) -> Result<NumpyTensor> {
    let pre = src.read(path, offset, len.min(12))?;
    let hl = match pre.get(6) {
        Some(1) if pre.len() >= 10 => 10 + u64::from(u16::from_le_bytes([pre[8], pre[9]])),
        Some(2 | 3) if pre.len() >= 12 => {
            12 + u64::from(u32::from_le_bytes(pre[8..12].try_into().unwrap()))
        }
        _ => 12,
    };
    let h = npy::parse_header(&src.read(path, offset, hl.min(len))?)
        .map_err(|e| Error::invalid("npy", format!("{path}: `{name}`: {e}")))?;
    let data_len = len - h.data_offset as u64;
    if data_len != h.data_len() {
        return Err(Error::invalid(
            "npy",
            format!(
                "{path}: `{name}`: {} data bytes, shape {:?} of {} needs {}",
                data_len,
                h.shape,
                super::dtype::name(h.dtype),
                h.data_len()
            ),
        ));
    }
    Ok(NumpyTensor {
        name,
        dtype: h.dtype,
        shape: h.storage_shape(),
        fortran: h.fortran,
        big_endian: h.big_endian,
        offset: offset + h.data_offset as u64,
        len: data_len,
    })
}

impl NumpyFile {
    /// Opens an `.npy` or `.npz` file (told apart by their first bytes).
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::InvalidArgument`] (`npy`, `npz`) for a file
    /// that is neither, a dtype not read (complex, strings, records), data
    /// shorter or longer than its shape, compressed `.npz` members.
    pub fn open(path: &Path) -> Result<Self> {
        let source = Source::open(path)?;
        let p = path.display().to_string();
        let head = source.read(&p, 0, source.len().min(8))?;
        let tensors = if is_npy(&head) {
            vec![array_at(&p, &source, NPY_NAME.into(), 0, source.len())?]
        } else if is_zip(&head) {
            let mut v = Vec::new();
            for m in zip::members(&p, &source)? {
                let name = m.name.strip_suffix(".npy").unwrap_or(&m.name).to_string();
                v.push(array_at(&p, &source, name, m.offset, m.len)?);
            }
            v
        } else {
            return Err(Error::invalid("npy", format!("{p}: neither .npy nor .npz")));
        };
        Ok(NumpyFile {
            path: p,
            source,
            tensors,
        })
    }

    /// The arrays, in file order.
    pub fn tensors(&self) -> &[NumpyTensor] {
        &self.tensors
    }

    /// Size of the file.
    pub fn file_len(&self) -> u64 {
        self.source.len()
    }

    /// The data of array `i` as little-endian bytes.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::FileShrank`].
    pub fn data(&self, i: usize) -> Result<Vec<u8>> {
        let t = &self.tensors[i];
        let mut d = self.source.read(&self.path, t.offset, t.len)?;
        little_endian(t, &mut d);
        Ok(d)
    }

    /// [`NumpyFile::data`] into `buf`, which holds exactly the array's
    /// bytes.
    ///
    /// # Errors
    /// As [`NumpyFile::data`]; [`Error::ShapeMismatch`] when `buf` is not
    /// the array's size.
    pub(crate) fn data_into(&self, i: usize, buf: &mut [u8]) -> Result<()> {
        let t = &self.tensors[i];
        if buf.len() as u64 != t.len {
            return Err(Error::shape("array buffer", t.len, buf.len()));
        }
        self.source.read_into(&self.path, t.offset, buf)?;
        little_endian(t, buf);
        Ok(())
    }
}

/// Swaps the bytes of each element of a big-endian array in place.
fn little_endian(t: &NumpyTensor, d: &mut [u8]) {
    if t.big_endian {
        let w = t.dtype.bitsize() / 8;
        for c in d.chunks_exact_mut(w) {
            c.reverse();
        }
    }
}

/// numpy's shape of an array stored row-major as `shape` (reversed when
/// `fortran`).
pub fn numpy_shape(shape: &[usize], fortran: bool) -> Vec<usize> {
    let mut s = shape.to_vec();
    if fortran {
        s.reverse();
    }
    s
}

/// Writes one array as `.npy` atomically.
///
/// # Errors
/// [`Error::InvalidArgument`] for a dtype numpy has no type for;
/// [`Error::Io`] (the destination is then untouched).
pub fn write_npy(
    path: &Path,
    dtype: SafetensorsDtype,
    shape: &[usize],
    fortran: bool,
    data: &[u8],
) -> Result<()> {
    let head = npy::header_bytes(dtype, &numpy_shape(shape, fortran), fortran)?;
    super::format::write_atomically(path, |w| {
        let io = |e| Error::io(path, e);
        w.write_all(&head).map_err(io)?;
        w.write_all(data).map_err(io)
    })
}

/// [`write_npy`] with the data handed over in pieces: `data(sink, done)`
/// calls `sink(offset, bytes)`, from any thread, with pieces that cover the
/// array's bytes exactly once, each written where it belongs in the temp
/// file, so the array is never held whole.
///
/// # Errors
/// As [`write_npy`]; [`Error::InvalidArgument`] if the pieces reach past the
/// array's end or do not add up to its size; `data`'s errors.
pub fn write_npy_positioned(
    path: &Path,
    dtype: SafetensorsDtype,
    shape: &[usize],
    fortran: bool,
    data: impl FnOnce(&PieceSink<'_>, &mut dyn FnMut(u64)) -> Result<()>,
    done: &mut dyn FnMut(u64),
) -> Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let head = npy::header_bytes(dtype, &numpy_shape(shape, fortran), fortran)?;
    let n: u64 = shape.iter().map(|&d| d as u64).product();
    let size = super::dtype::byte_len(dtype, n)
        .ok_or_else(|| Error::invalid("npy", format!("{n} elements overflow a byte count")))?;
    let base = head.len() as u64;
    super::format::write_atomically_file(path, |file| {
        let io = |e: std::io::Error| Error::io(path, e);
        file.set_len(base + size).map_err(io)?;
        write_all_at(file, &head, 0).map_err(io)?;
        let got = AtomicU64::new(0);
        let wrong =
            |what: String| Error::invalid("array data", format!("{what}, expected {size} bytes"));
        data(
            &|at: u64, bytes: &[u8]| {
                let k = bytes.len() as u64;
                if at.checked_add(k).is_none_or(|e| e > size) {
                    return Err(wrong(format!("bytes {at}..{} given", at.saturating_add(k))));
                }
                got.fetch_add(k, Ordering::Relaxed);
                write_all_at(file, bytes, base + at).map_err(io)
            },
            done,
        )?;
        match got.into_inner() {
            g if g == size => Ok(()),
            g => Err(wrong(format!("{g} bytes given"))),
        }
    })
}

/// An array to write into an `.npz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutArray {
    /// Name (`.npy` is appended).
    pub name: String,
    /// Element type.
    pub dtype: SafetensorsDtype,
    /// Row-major shape of the data.
    pub shape: Vec<usize>,
    /// Write it Fortran-ordered (numpy's shape is `shape` reversed).
    pub fortran: bool,
}

/// Writes arrays as an `.npz` (stored members) atomically, asking `data(i)`
/// for each array's little-endian bytes in turn.
///
/// # Errors
/// As [`write_npz_positioned`].
pub fn write_npz(
    path: &Path,
    arrays: &[OutArray],
    mut data: impl FnMut(usize) -> Result<Vec<u8>>,
) -> Result<()> {
    write_npz_positioned(path, arrays, |i, sink, done| {
        let d = data(i)?;
        sink(0, &d)?;
        done(d.len() as u64);
        Ok(())
    })
}

/// Writes arrays as an `.npz` (stored members) atomically, each array's
/// bytes handed over in pieces: `data(i, sink, done)` calls
/// `sink(offset, bytes)`, from any thread, with pieces that cover array
/// `i`'s little-endian bytes exactly once, each written in place in the
/// temp file (sizes are known up front, so no array is held whole); the
/// members' CRCs are combined from the pieces' and written last.
///
/// # Errors
/// As [`write_npy`]; [`Error::InvalidArgument`] for a dtype without a
/// numpy equivalent, archives of 4 GiB or more, or pieces that reach past
/// an array's end, overlap or leave a gap; `data`'s errors.
pub fn write_npz_positioned(
    path: &Path,
    arrays: &[OutArray],
    mut data: impl FnMut(usize, &PieceSink<'_>, &mut dyn FnMut(u64)) -> Result<()>,
) -> Result<()> {
    let mut heads = Vec::with_capacity(arrays.len());
    let mut members = Vec::with_capacity(arrays.len());
    for a in arrays {
        npy::descr_of(a.dtype).ok_or_else(|| {
            Error::invalid(
                "npy",
                format!(
                    "`{}`: dtype {} has no numpy equivalent",
                    a.name,
                    super::dtype::name(a.dtype)
                ),
            )
        })?;
        let head = npy::header_bytes(a.dtype, &numpy_shape(&a.shape, a.fortran), a.fortran)?;
        let n: u64 = a.shape.iter().map(|&d| d as u64).product();
        let size = super::dtype::byte_len(a.dtype, n).ok_or_else(|| {
            Error::invalid(
                "npy",
                format!("`{}`: {n} elements overflow a byte count", a.name),
            )
        })?;
        members.push((format!("{}.npy", a.name), head.len() as u64 + size));
        heads.push((head, size));
    }
    let layout = zip::ZipLayout::new(&members)?;
    super::format::write_atomically_file(path, |file| {
        let io = |e: std::io::Error| Error::io(path, e);
        file.set_len(layout.members_end()).map_err(io)?;
        let mut crcs = Vec::with_capacity(arrays.len());
        for (i, (head, size)) in heads.iter().enumerate() {
            let base = layout.data_offset(i);
            write_all_at(file, head, base).map_err(io)?;
            let pieces = std::sync::Mutex::new(Vec::new());
            let start = base + head.len() as u64;
            let name = &arrays[i].name;
            data(
                i,
                &|at: u64, bytes: &[u8]| {
                    let k = bytes.len() as u64;
                    if at.checked_add(k).is_none_or(|e| e > *size) {
                        return Err(Error::invalid(
                            "array data",
                            format!(
                                "`{name}`: bytes {at}..{} given, it holds {size}",
                                at.saturating_add(k)
                            ),
                        ));
                    }
                    let mut h = crc32fast::Hasher::new();
                    h.update(bytes);
                    write_all_at(file, bytes, start + at).map_err(io)?;
                    pieces
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((at, k, h));
                    Ok(())
                },
                &mut |_| {},
            )?;
            let mut pieces = pieces.into_inner().unwrap_or_else(|p| p.into_inner());
            crcs.push(member_crc(name, head, *size, &mut pieces)?);
        }
        for (i, &crc) in crcs.iter().enumerate() {
            let (at, header) = layout.local_header(i, crc);
            write_all_at(file, &header, at).map_err(io)?;
        }
        write_all_at(file, &layout.directory(&crcs), layout.members_end()).map_err(io)
    })
}

/// The CRC32 of an `.npz` member: its `.npy` header followed by the pieces
/// `(offset, bytes, their CRC)` of its `size` data bytes, which must cover
/// them exactly once.
fn member_crc(
    name: &str,
    head: &[u8],
    size: u64,
    pieces: &mut [(u64, u64, crc32fast::Hasher)],
) -> Result<u32> {
    pieces.sort_by_key(|p| p.0);
    let mut crc = crc32fast::Hasher::new();
    crc.update(head);
    let mut at = 0u64;
    for (start, len, h) in pieces.iter() {
        if *start != at {
            return Err(Error::invalid(
                "array data",
                format!("`{name}`: pieces overlap or leave a gap at byte {at}"),
            ));
        }
        crc.combine(h);
        at += len;
    }
    if at != size {
        return Err(Error::invalid(
            "array data",
            format!("`{name}`: {at} bytes given, expected {size}"),
        ));
    }
    Ok(crc.finalize())
}

#[cfg(test)]
mod tests;
