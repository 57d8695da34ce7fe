//! LSB-first bit streams: the writer and the reader of the payload.

/// Mask of the low `bits` bits (`bits < 64`).
#[inline]
pub(super) fn low_mask(bits: u32) -> u64 {
    (1u64 << bits) - 1
}

/// Appends an LSB-first bit stream to a byte vector, 64 bits at a time.
pub(super) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Pending bits, the oldest in the least significant position.
    acc: u64,
    /// Number of pending bits, `0..64`.
    fill: u32,
}

impl<'a> BitWriter<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        Self {
            out,
            acc: 0,
            fill: 0,
        }
    }

    /// Writes the low `nbits` bits of `value` (`nbits <= 64`, higher bits of
    /// `value` zero).
    #[inline]
    pub(super) fn put(&mut self, value: u64, nbits: u32) {
        debug_assert!(nbits <= 64 && (nbits == 64 || value >> nbits == 0));
        self.acc |= value << self.fill;
        let total = self.fill + nbits;
        if total >= 64 {
            self.out.extend_from_slice(&self.acc.to_le_bytes());
            self.acc = if self.fill == 0 {
                0
            } else {
                value >> (64 - self.fill)
            };
            self.fill = total - 64;
        } else {
            self.fill = total;
        }
    }

    /// Writes one Rice code: `gap >> k` one bits, a zero bit, then the low
    /// `k` bits of `gap`.
    #[inline]
    pub(super) fn put_rice(&mut self, gap: u64, k: u8) {
        let k = u32::from(k);
        let q = gap >> k;
        let rem = gap & low_mask(k);
        if q + 1 + u64::from(k) < 64 {
            // q < 63 here, so all shifts are below 64.
            let q = q as u32;
            self.put(low_mask(q) | (rem << (q + 1)), q + 1 + k);
        } else {
            let mut q = q;
            while q >= 64 {
                self.put(u64::MAX, 64);
                q -= 64;
            }
            // q < 64: q one bits and the terminating zero fit one write.
            let q = q as u32;
            self.put(low_mask(q), q + 1);
            if k > 0 {
                self.put(rem, k);
            }
        }
    }

    /// Flushes the pending bits, padded with zeros to a whole byte.
    pub(super) fn finish(self) {
        let bytes = self.fill.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_le_bytes()[..bytes]);
    }
}

/// Reads an LSB-first bit stream from a byte slice.
pub(super) struct BitReader<'a> {
    data: &'a [u8],
    /// Current bit offset from the start of `data`.
    pub(super) pos: u64,
    /// Total number of bits in `data`.
    len_bits: u64,
}

impl<'a> BitReader<'a> {
    pub(super) fn new(data: &'a [u8], pos: u64) -> Self {
        Self {
            data,
            pos,
            len_bits: data.len() as u64 * 8,
        }
    }

    /// Bits left after the current position.
    #[inline]
    pub(super) fn remaining(&self) -> u64 {
        self.len_bits - self.pos
    }

    /// The stream from the current position on, in the low bits of a word.
    /// At least `min(57, remaining())` bits are meaningful; bits past the
    /// end of the data read as zero.
    #[inline]
    pub(super) fn peek(&self) -> u64 {
        let byte = (self.pos >> 3) as usize;
        let mut buf = [0u8; 8];
        if let Some(chunk) = self.data.get(byte..byte + 8) {
            buf.copy_from_slice(chunk);
        } else if let Some(tail) = self.data.get(byte..) {
            buf[..tail.len()].copy_from_slice(tail);
        }
        u64::from_le_bytes(buf) >> (self.pos & 7)
    }
}

/// Little-endian word from up to 8 bytes (missing high bytes are zero).
#[inline]
pub(super) fn word_le(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(buf)
}
