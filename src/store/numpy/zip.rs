//! The subset of ZIP that `numpy.savez` writes: stored (uncompressed)
//! members, zip64 sizes and offsets read; writing stores members below
//! 4 GiB in total.

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

/// The layout of a ZIP archive of stored members whose sizes are known
/// before their bytes: each member's local header and data offset, so the
/// data can be written in place in any order and the CRCs filled in last.
pub(crate) struct ZipLayout {
    members: Vec<(String, u64, u64)>,
    end: u64,
}

impl ZipLayout {
    /// Lays out members `(name, data bytes)` in order.
    ///
    /// # Errors
    /// [`Error::Format`] for archives of 4 GiB or more or 65535 members or
    /// more (this writer does not write zip64).
    pub(crate) fn new(members: &[(String, u64)]) -> Result<Self> {
        let too_big = || bad("archives of 4 GiB or more are not written; use .fftt or safetensors");
        if members.len() >= u16::MAX as usize {
            return Err(too_big());
        }
        let mut at = 0u64;
        let mut out = Vec::with_capacity(members.len());
        for (name, len) in members {
            let header = 30 + name.len() as u64;
            out.push((name.clone(), at, *len));
            at = at
                .checked_add(header + len)
                .filter(|&a| a < 0xFFFF_FFFF)
                .ok_or_else(too_big)?;
        }
        Ok(ZipLayout {
            members: out,
            end: at,
        })
    }

    /// Offset of member `i`'s data.
    pub(crate) fn data_offset(&self, i: usize) -> u64 {
        let (name, at, _) = &self.members[i];
        at + 30 + name.len() as u64
    }

    /// Bytes of the archive without its central directory.
    pub(crate) fn members_end(&self) -> u64 {
        self.end
    }

    /// The local header of member `i` with data CRC `crc`, to be written
    /// at its offset (returned beside it).
    pub(crate) fn local_header(&self, i: usize, crc: u32) -> (u64, Vec<u8>) {
        let (name, at, len) = &self.members[i];
        let mut b = 0x0403_4b50u32.to_le_bytes().to_vec();
        common_fields(&mut b, name, crc, *len);
        b.extend_from_slice(name.as_bytes());
        (*at, b)
    }

    /// The central directory and end record for the members' CRCs `crcs`,
    /// to be written at [`ZipLayout::members_end`].
    pub(crate) fn directory(&self, crcs: &[u32]) -> Vec<u8> {
        let mut central = Vec::new();
        for ((name, at, len), &crc) in self.members.iter().zip(crcs) {
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes()); // version made by
            common_fields(&mut central, name, crc, *len);
            central.extend_from_slice(&[0u8; 10]); // comment, disk, attributes
            central.extend_from_slice(&(*at as u32).to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let count = self.members.len() as u16;
        let mut e = central.clone();
        e.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        e.extend_from_slice(&[0u8; 4]);
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&(central.len() as u32).to_le_bytes());
        e.extend_from_slice(&(self.end as u32).to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        e
    }
}

/// The fields local headers and central records share (version needed
/// to the extra field's length) for a stored member.
fn common_fields(b: &mut Vec<u8>, name: &str, crc: u32, len: u64) {
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
}
