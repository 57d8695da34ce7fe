//! The subset of ZIP that `numpy.savez` writes: stored (uncompressed)
//! members, zip64 sizes and offsets read; writing stores members below
//! 4 GiB in total.

use std::io::Write;

use crate::error::{Error, Result};
use crate::store::source::Source;

/// One stored member: name and where its bytes lie in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Name inside the archive (`x.npy`).
    pub name: String,
    /// Offset of its data.
    pub offset: u64,
    /// Bytes of data.
    pub len: u64,
    /// CRC32 of the data.
    pub crc32: u32,
}

fn bad(detail: impl Into<String>) -> Error {
    Error::invalid("npz", detail.into())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Lists the members of an archive.
///
/// # Errors
/// [`Error::InvalidArgument`] (`npz`) for anything that is not a ZIP with
/// stored members (`numpy.savez_compressed` output is refused: use
/// `numpy.savez`); [`Error::Io`].
pub fn members(path: &str, src: &Source) -> Result<Vec<Member>> {
    let len = src.len();
    let tail_len = len.min(65536 + 22);
    let tail = src.read(path, len - tail_len, tail_len)?;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(&tail, i) == 0x0605_4b50)
        .ok_or_else(|| bad("no end of central directory: not a ZIP archive"))?;
    let mut count = u64::from(u16_at(&tail, eocd + 10));
    let mut cd_len = u64::from(u32_at(&tail, eocd + 12));
    let mut cd_off = u64::from(u32_at(&tail, eocd + 16));
    if eocd >= 20 && u32_at(&tail, eocd - 20) == 0x0706_4b50 {
        let z_off = u64_at(&tail, eocd - 20 + 8);
        if z_off > len.saturating_sub(56) {
            return Err(bad("zip64 end record out of range"));
        }
        let z = src.read(path, z_off, 56)?;
        if u32_at(&z, 0) != 0x0606_4b50 {
            return Err(bad("zip64 end record missing"));
        }
        count = u64_at(&z, 32);
        cd_len = u64_at(&z, 40);
        cd_off = u64_at(&z, 48);
    }
    if cd_off.checked_add(cd_len).is_none_or(|e| e > len) || count * 46 > cd_len {
        return Err(bad("central directory out of range"));
    }
    let cd = src.read(path, cd_off, cd_len)?;
    let mut out = Vec::with_capacity(count as usize);
    let mut at = 0usize;
    for _ in 0..count {
        if at + 46 > cd.len() || u32_at(&cd, at) != 0x0201_4b50 {
            return Err(bad("damaged central directory"));
        }
        let method = u16_at(&cd, at + 10);
        let crc32 = u32_at(&cd, at + 16);
        let mut csize = u64::from(u32_at(&cd, at + 20));
        let mut usize_ = u64::from(u32_at(&cd, at + 24));
        let nl = usize::from(u16_at(&cd, at + 28));
        let el = usize::from(u16_at(&cd, at + 30));
        let cl = usize::from(u16_at(&cd, at + 32));
        let mut local = u64::from(u32_at(&cd, at + 42));
        let end = at + 46 + nl + el + cl;
        if end > cd.len() {
            return Err(bad("damaged central directory"));
        }
        let name = String::from_utf8(cd[at + 46..at + 46 + nl].to_vec())
            .map_err(|_| bad("member name is not UTF-8"))?;
        // zip64 extra field: the 0xFFFFFFFF fields, in order.
        let mut x = at + 46 + nl;
        while x + 4 <= at + 46 + nl + el {
            let (id, sz) = (u16_at(&cd, x), usize::from(u16_at(&cd, x + 2)));
            if id == 1 {
                let mut f = x + 4;
                for v in [&mut usize_, &mut csize, &mut local] {
                    if *v == 0xFFFF_FFFF && f + 8 <= x + 4 + sz {
                        *v = u64_at(&cd, f);
                        f += 8;
                    }
                }
            }
            x += 4 + sz;
        }
        if method != 0 || csize != usize_ {
            return Err(bad(format!(
                "member `{name}` is compressed (method {method}); only stored members are read: write it with numpy.savez, not savez_compressed"
            )));
        }
        if local.checked_add(30).is_none_or(|e| e > len) {
            return Err(bad(format!("member `{name}` out of range")));
        }
        let lh = src.read(path, local, 30)?;
        if u32_at(&lh, 0) != 0x0403_4b50 {
            return Err(bad(format!("member `{name}`: no local header")));
        }
        let offset = local + 30 + u64::from(u16_at(&lh, 26)) + u64::from(u16_at(&lh, 28));
        if offset.checked_add(usize_).is_none_or(|e| e > len) {
            return Err(bad(format!("member `{name}` runs past the archive")));
        }
        out.push(Member {
            name,
            offset,
            len: usize_,
            crc32,
        });
        at = end;
    }
    Ok(out)
}

/// Writes stored members to `w` as a ZIP archive.
pub(crate) struct ZipWriter {
    at: u64,
    central: Vec<u8>,
    count: u16,
}

impl ZipWriter {
    pub(crate) fn new() -> Self {
        ZipWriter {
            at: 0,
            central: Vec::new(),
            count: 0,
        }
    }

    /// Writes one member made of `parts` (concatenated).
    pub(crate) fn add(
        &mut self,
        w: &mut dyn Write,
        name: &str,
        parts: &[&[u8]],
    ) -> Result<std::io::Result<()>> {
        let len: u64 = parts.iter().map(|p| p.len() as u64).sum();
        if self.at + len + 30 + name.len() as u64 >= 0xFFFF_FFFF || self.count == u16::MAX {
            return Err(bad(
                "archives of 4 GiB or more are not written; use .fftt or safetensors",
            ));
        }
        let mut h = crc32fast::Hasher::new();
        for p in parts {
            h.update(p);
        }
        let crc = h.finalize();
        let fixed = |sig: u32| {
            let mut b = Vec::new();
            b.extend_from_slice(&sig.to_le_bytes());
            b
        };
        let common = |b: &mut Vec<u8>| {
            b.extend_from_slice(&20u16.to_le_bytes()); // version needed
            b.extend_from_slice(&0u16.to_le_bytes()); // flags
            b.extend_from_slice(&0u16.to_le_bytes()); // stored
            b.extend_from_slice(&0u16.to_le_bytes()); // time
            b.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            b.extend_from_slice(&crc.to_le_bytes());
            b.extend_from_slice(&(len as u32).to_le_bytes());
            b.extend_from_slice(&(len as u32).to_le_bytes());
            b.extend_from_slice(&(name.len() as u16).to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        let mut local = fixed(0x0403_4b50);
        common(&mut local);
        local.extend_from_slice(name.as_bytes());
        let mut c = fixed(0x0201_4b50);
        c.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut c);
        c.extend_from_slice(&[0u8; 10]); // comment, disk, attributes
        c.extend_from_slice(&(self.at as u32).to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        self.central.extend_from_slice(&c);
        self.count += 1;
        self.at += local.len() as u64 + len;
        Ok((|| {
            w.write_all(&local)?;
            for p in parts {
                w.write_all(p)?;
            }
            Ok(())
        })())
    }

    /// Writes the central directory and end record.
    pub(crate) fn finish(self, w: &mut dyn Write) -> std::io::Result<()> {
        w.write_all(&self.central)?;
        let mut e = Vec::new();
        e.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        e.extend_from_slice(&[0u8; 4]);
        e.extend_from_slice(&self.count.to_le_bytes());
        e.extend_from_slice(&self.count.to_le_bytes());
        e.extend_from_slice(&(self.central.len() as u32).to_le_bytes());
        e.extend_from_slice(&(self.at as u32).to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        w.write_all(&e)
    }
}
