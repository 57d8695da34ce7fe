//! Bytes of an input file read with positioned reads (`pread` on Unix),
//! one range at a time.
//!
//! Readers used to map whole files; a mapped file that another process
//! truncates kills the reader with SIGBUS. A positioned read of a range past
//! the new end instead returns fewer bytes, which becomes
//! [`Error::FileShrank`]. Nothing stays resident between reads: each range is
//! read into its own buffer, which the caller drops when done.

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

/// Where a reader's bytes come from.
pub(crate) enum Source {
    /// An open file and its length when opened.
    File {
        /// The file.
        file: File,
        /// Its length at open time.
        len: u64,
    },
    /// Bytes held in memory.
    Memory(Vec<u8>),
}

/// Opens `path` for reading, refusing a directory with a plain message.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened; [`Error::InvalidArgument`]
/// when `path` is a directory or not a regular file.
pub(crate) fn open_input(path: &Path) -> Result<(File, u64)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::invalid(
            "input",
            format!("{} is a directory, not a tensor file", path.display()),
        ));
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    Ok((file, len))
}

impl Source {
    /// Opens `path` (see [`open_input`]).
    ///
    /// # Errors
    /// As [`open_input`].
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let (file, len) = open_input(path)?;
        Ok(Source::File { file, len })
    }

    /// Length in bytes (of the file when it was opened).
    pub(crate) fn len(&self) -> u64 {
        match self {
            Source::File { len, .. } => *len,
            Source::Memory(v) => v.len() as u64,
        }
    }

    /// `len` bytes at `offset`, freshly read.
    ///
    /// # Errors
    /// [`Error::FileShrank`] when the file now ends before `offset + len`;
    /// [`Error::Io`] for other read failures; [`Error::InvalidArgument`] for
    /// a range that does not fit in memory.
    pub(crate) fn read(&self, path: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        let n = usize::try_from(len)
            .map_err(|_| Error::invalid("range", format!("{len} bytes do not fit in memory")))?;
        let mut buf = vec![0u8; n];
        self.read_into(path, offset, &mut buf)?;
        Ok(buf)
    }

    /// Fills `buf` with the `buf.len()` bytes at `offset` (into memory the
    /// caller chose, an f32 buffer say).
    ///
    /// # Errors
    /// As [`Source::read`].
    pub(crate) fn read_into(&self, path: &str, offset: u64, buf: &mut [u8]) -> Result<()> {
        let len = buf.len() as u64;
        match self {
            Source::Memory(v) => {
                let end = offset.checked_add(len).filter(|&e| e <= v.len() as u64);
                match end {
                    Some(end) => {
                        buf.copy_from_slice(&v[offset as usize..end as usize]);
                        Ok(())
                    }
                    None => Err(shrank(path, offset, len, v.len() as u64)),
                }
            }
            Source::File { file, .. } => match read_exact_at(file, buf, offset) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    let now = file.metadata().map(|m| m.len()).unwrap_or(0);
                    Err(shrank(path, offset, len, now))
                }
                Err(e) => Err(Error::io(path, e)),
            },
        }
    }
}

fn shrank(path: &str, offset: u64, expected: u64, now: u64) -> Error {
    Error::FileShrank {
        path: path.to_string(),
        offset,
        expected,
        len: now,
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}
