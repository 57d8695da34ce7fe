//! The rANS stream decoder: both state layouts, escapes' raw bits read
//! in the same pass.

use super::*;

/// Decodes exactly `count` integers from the rest of `c`, which must end
/// exactly where the stream does.
///
/// The caller bounds `count` (at most [`MAX_SYMBOLS_PER_BYTE`] times the
/// bytes present), so a damaged count cannot cause a huge allocation.
#[cfg(test)]
pub(crate) fn decode(c: &mut Cursor<'_>, count: usize) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    decode_map(c, count, &mut out, |q| q)?;
    Ok(out)
}

/// Like [`decode`], but appends `f(q)` for each integer `q` to `out`, in
/// one pass over the rANS stream and the raw bits together.
pub(crate) fn decode_map<T>(
    c: &mut Cursor<'_>,
    count: usize,
    out: &mut Vec<T>,
    mut f: impl FnMut(i64) -> T,
) -> Result<()> {
    let at = c.pos();
    let avail = c.remaining() as u64;
    if count as u64 > avail.saturating_mul(MAX_SYMBOLS_PER_BYTE) {
        return Err(c.err(
            at,
            format!("{count} values cannot be coded in {avail} bytes"),
        ));
    }
    let l_at = c.pos();
    let l = c.varint("literal count")?;
    if l > MAX_LITERALS {
        return Err(c.err(l_at, format!("literal count {l} above {MAX_LITERALS}")));
    }
    let s_at = c.pos();
    let s_byte = c.u8("scale bits")?;
    let two = s_byte & TWO_STATES != 0;
    let s = u32::from(s_byte & !TWO_STATES);
    if !(1..=MAX_SCALE).contains(&s) {
        return Err(c.err(s_at, format!("scale bits {s_byte} not in 1..=16 (+64)")));
    }
    let a_at = c.pos();
    let a = c.varint("alphabet size")?;
    if a < 2 || a > l + 1 + u64::from(MAX_EXTRA_BITS) {
        return Err(c.err(
            a_at,
            format!(
                "alphabet size {a} not in 2..={}",
                l + 1 + u64::from(MAX_EXTRA_BITS)
            ),
        ));
    }
    if a > c.remaining() as u64 {
        return Err(c.err(
            a_at,
            format!("alphabet of {a} symbols longer than the stream"),
        ));
    }
    let total = 1u32 << s;
    let mut freq = Vec::with_capacity(a as usize);
    let mut sum = 0u64;
    for _ in 0..a {
        let f_at = c.pos();
        let f = c.varint("frequency")?;
        if f >= u64::from(total) {
            return Err(c.err(f_at, format!("frequency {f} not below 2^{s}")));
        }
        sum += f;
        freq.push(f as u32);
    }
    if sum != u64::from(total) {
        return Err(c.err(a_at, format!("frequencies sum to {sum}, not 2^{s}")));
    }
    // Slot -> (symbol << 32 | frequency << 16 | slot - cumulative
    // frequency): one load per symbol decoded.
    let mut lut = vec![0u64; total as usize];
    let mut acc = 0usize;
    for (sym, &f) in freq.iter().enumerate() {
        let entry = (sym as u64) << 32 | u64::from(f) << 16;
        for (off, e) in lut[acc..acc + f as usize].iter_mut().enumerate() {
            *e = entry | off as u64;
        }
        acc += f as usize;
    }
    let r_at = c.pos();
    let r = c.varint("rANS length")?;
    let states = if two { 2 } else { 1 };
    if r < 4 * states || r > c.remaining() as u64 {
        return Err(c.err(
            r_at,
            format!("rANS length {r} not in {}..={}", 4 * states, c.remaining()),
        ));
    }
    let base = c.pos();
    let rans = c.take(r as usize, "rANS stream")?;
    let mut x = [RANS_L; 2];
    for (k, x) in x.iter_mut().take(states as usize).enumerate() {
        *x = u32::from_le_bytes(rans[4 * k..4 * k + 4].try_into().expect("four bytes"));
        if !(RANS_L..RANS_L << 8).contains(x) {
            return Err(c.err(
                base + 4 * k,
                format!("initial rANS state {x:#x} out of range"),
            ));
        }
    }
    // The raw bits follow the rANS bytes and end the stream.
    let raw_at = c.pos();
    let raw = c.rest();
    let mut d = Decoder {
        rans,
        pos: 4 * states as usize,
        lut: &lut,
        s,
        l,
        raw,
        bitpos: 0,
    };
    out.reserve(count);
    let mut i = 0usize;
    // Where a symbol failed to decode, as an error (kept out of the loop).
    let fail = |d: &Decoder<'_>, e: Damage, i: usize| match e {
        Damage::Ends => c.err(
            base + d.pos,
            format!("rANS stream ends at value {i} of {count}"),
        ),
        Damage::Escape(e) => c.err(raw_at, format!("escape with {e} raw bits")),
        Damage::RawEnds => c.err(
            raw_at + (d.bitpos / 8) as usize,
            "raw bits end before the last escape",
        ),
    };
    let [mut x0, mut x1] = x;
    if two {
        while i + 2 <= count {
            let a = match d.symbol(&mut x0) {
                Ok(a) => a,
                Err(e) => return Err(fail(&d, e, i)),
            };
            let b = match d.symbol(&mut x1) {
                Ok(b) => b,
                Err(e) => return Err(fail(&d, e, i + 1)),
            };
            out.push(f(unzigzag(a)));
            out.push(f(unzigzag(b)));
            i += 2;
        }
    }
    while i < count {
        match d.symbol(&mut x0) {
            Ok(a) => out.push(f(unzigzag(a))),
            Err(e) => return Err(fail(&d, e, i)),
        }
        i += 1;
    }
    let x = [x0, x1];
    let (pos, bitpos) = (d.pos, d.bitpos);
    if x[..states as usize].iter().any(|&x| x != RANS_L) || pos != rans.len() {
        return Err(c.err(
            base + pos,
            format!(
                "rANS stream does not end cleanly (states {:#x?}, {} bytes left)",
                &x[..states as usize],
                rans.len() - pos
            ),
        ));
    }
    let used = bitpos.div_ceil(8) as usize;
    if used != raw.len() {
        return Err(c.err(
            raw_at + used,
            format!("{} bytes after the raw bits", raw.len() - used),
        ));
    }
    if !bitpos.is_multiple_of(8) && raw[used - 1] >> (bitpos % 8) != 0 {
        return Err(c.err(raw_at + used - 1, "non-zero padding bits"));
    }
    c.take(raw.len(), "raw bits")?;
    Ok(())
}

/// What stops a symbol from decoding.
enum Damage {
    /// The rANS bytes end.
    Ends,
    /// An escape symbol with too many raw bits.
    Escape(u32),
    /// The raw bits end.
    RawEnds,
}

/// The shared byte stream and raw bits of [`decode_map`]'s states.
struct Decoder<'a> {
    rans: &'a [u8],
    pos: usize,
    /// Slot -> (symbol << 32 | frequency << 16 | slot - cumulative).
    lut: &'a [u64],
    s: u32,
    l: u64,
    raw: &'a [u8],
    bitpos: u64,
}

impl Decoder<'_> {
    /// Decodes one zigzag value from state `x` (and renormalises it).
    #[inline(always)]
    fn symbol(&mut self, x: &mut u32) -> std::result::Result<u64, Damage> {
        let entry = self.lut[(*x & ((1 << self.s) - 1)) as usize];
        let (fr, off) = ((entry >> 16) as u32 & 0xffff, entry as u32 & 0xffff);
        let mut y = fr * (*x >> self.s) + off;
        // The state is at least 2^7 here (2^23 >> s, s <= 16), so it takes
        // `(lz - 1) / 8` bytes (0, 1 or 2) to reach 2^23 again: read
        // without a data-dependent loop while four bytes remain.
        if let Some(w) = self.rans.get(self.pos..self.pos + 4) {
            let k = y.leading_zeros().saturating_sub(1) >> 3;
            let w = u64::from(u32::from_be_bytes(w.try_into().expect("four bytes")));
            y = ((u64::from(y) << (8 * k)) | (w >> (32 - 8 * k))) as u32;
            self.pos += k as usize;
        }
        while y < RANS_L {
            let &b = self.rans.get(self.pos).ok_or(Damage::Ends)?;
            y = (y << 8) | u32::from(b);
            self.pos += 1;
        }
        *x = y;
        let sym = entry >> 32;
        // No branch on whether the symbol escapes (escapes are common in
        // wide alphabets): a literal reads no raw bits.
        let escape = sym >= self.l;
        let e = if escape { sym - self.l } else { 0 };
        if e > u64::from(MAX_EXTRA_BITS) {
            return Err(Damage::Escape(e as u32));
        }
        let e = e as u32;
        if self.bitpos + u64::from(e) > 8 * self.raw.len() as u64 {
            return Err(Damage::RawEnds);
        }
        let v = read_bits(self.raw, self.bitpos, e);
        self.bitpos += u64::from(e);
        Ok(if escape {
            self.l + ((1u64 << e) | v) - 1
        } else {
            sym
        })
    }
}

fn read_bits(bytes: &[u8], bitpos: u64, n: u32) -> u64 {
    let at = (bitpos / 8) as usize;
    if let Some(word) = bytes.get(at..at + 8) {
        // n <= 48 and the offset < 8: the bits lie in one 64-bit word.
        let w = u64::from_le_bytes(word.try_into().unwrap()) >> (bitpos % 8);
        return w & ((1u64 << n) - 1);
    }
    let mut v = 0u64;
    let mut got = 0u32;
    let mut p = bitpos;
    while got < n {
        let byte = bytes[(p / 8) as usize];
        let off = (p % 8) as u32;
        let take = (8 - off).min(n - got);
        let bits = (u64::from(byte) >> off) & ((1u64 << take) - 1);
        v |= bits << got;
        got += take;
        p += u64::from(take);
    }
    v
}
