//! Slabs of [`super`]: a tensor of more than [`SLAB`] elements whose
//! coding is expected to take at least [`SLAB_BYTES`] per slab is cut
//! along its first axis into blocks of `rows` indices (a power of two, the
//! smallest whose block holds at least [`SLAB`] elements and that gives at
//! most the slabs the expected size allows; the last block may be
//! shorter), each walked, predicted and coded as a tensor of its own with
//! its own model and stream. Each slab costs a few hundred bytes more
//! (its models learn afresh, its coarsest levels start again): about 0.2
//! % of a slab's stream at [`SLAB_BYTES`]. The base step is common, so the
//! error bound still holds on the whole tensor. Slabs are quantised,
//! coded and decoded in parallel, and every result is combined in slab
//! order: the bytes do not depend on the thread count.

use crate::error::Result;
use crate::store::codec::payload_err;
use rayon::prelude::*;

/// Fewest elements of a slab (when a tensor is cut at all).
pub(super) const SLAB: usize = 1 << 18;
/// Fewest expected stored bytes per slab.
pub(super) const SLAB_BYTES: u64 = 1 << 18;

/// How a tensor is cut: `rows` indices of its first axis per slab, of
/// `row_len` elements each, `total` indices in all (a scalar: one of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slabs {
    rows: usize,
    row_len: usize,
    total: usize,
}

impl Slabs {
    fn dims(shape: &[usize]) -> (usize, usize) {
        match shape.split_first() {
            Some((&first, rest)) => (first, rest.iter().product()),
            None => (1, 1),
        }
    }

    /// The cut the encoder makes of a tensor expected to take `bytes`
    /// stored: one slab up to [`SLAB`] elements or [`SLAB_BYTES`].
    pub(super) fn of(shape: &[usize], bytes: u64) -> Slabs {
        let (total, row_len) = Slabs::dims(shape);
        let n = total * row_len;
        let most = usize::try_from(bytes / SLAB_BYTES).unwrap_or(usize::MAX);
        let mut rows = if n <= SLAB || row_len == 0 || most <= 1 {
            total
        } else {
            SLAB.div_ceil(row_len).next_power_of_two().min(total)
        };
        while total.div_ceil(rows.max(1)) > most.max(1) {
            rows = (rows * 2).min(total);
        }
        Slabs {
            rows: rows.max(1),
            row_len,
            total,
        }
    }

    /// One slab: the whole tensor.
    pub(super) fn whole(shape: &[usize]) -> Slabs {
        Slabs::of(shape, 0)
    }

    /// The cut a stored `rows` describes.
    ///
    /// # Errors
    /// [`crate::Error::Corrupt`] for zero rows.
    pub(super) fn with_rows(shape: &[usize], rows: usize) -> Result<Slabs> {
        if rows == 0 {
            return Err(payload_err(0, "zero rows per slab"));
        }
        let (total, row_len) = Slabs::dims(shape);
        Ok(Slabs {
            rows,
            row_len,
            total,
        })
    }

    /// Indices of the first axis per slab.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }

    /// How many slabs (at least one).
    pub(super) fn count(&self) -> usize {
        self.total.div_ceil(self.rows).max(1)
    }

    /// Elements of every slab but the last.
    pub(super) fn elems(&self) -> usize {
        (self.rows * self.row_len).max(1)
    }

    /// The shape of slab `i` of a tensor of `shape`.
    pub(super) fn shape(&self, shape: &[usize], i: usize) -> Vec<usize> {
        let mut s = shape.to_vec();
        if let Some(first) = s.first_mut() {
            *first = self.rows.min(self.total - i * self.rows);
        }
        s
    }

    /// The slabs' parts of `v` (as long as the tensor), in order.
    pub(super) fn parts<'a, V>(&self, v: &'a [V]) -> Vec<&'a [V]> {
        let mut p: Vec<&[V]> = v.chunks(self.elems()).collect();
        p.resize(self.count(), &[]);
        p
    }

    /// The slabs' parts of `v` (as long as the tensor), in order.
    pub(super) fn parts_mut<'a, V>(&self, v: &'a mut [V]) -> Vec<&'a mut [V]> {
        let mut p: Vec<&mut [V]> = v.chunks_mut(self.elems()).collect();
        p.resize_with(self.count(), || &mut []);
        p
    }

    /// `f(slab index, slab shape, item)` for each of `items` (one per
    /// slab) in parallel, the results in slab order.
    pub(super) fn map<I: Send, R: Send>(
        &self,
        shape: &[usize],
        items: Vec<I>,
        f: impl Fn(usize, &[usize], I) -> R + Sync,
    ) -> Vec<R> {
        debug_assert_eq!(items.len(), self.count());
        items
            .into_par_iter()
            .enumerate()
            .map(|(i, item)| f(i, &self.shape(shape, i), item))
            .collect()
    }
}

/// The payload of slab streams: each one's length (`u64`), then the
/// streams in order.
pub(super) fn join(streams: Vec<Vec<u8>>) -> Vec<u8> {
    let total = streams.iter().map(Vec::len).sum::<usize>() + 8 * streams.len();
    let mut payload = Vec::with_capacity(total);
    for s in &streams {
        payload.extend_from_slice(&(s.len() as u64).to_le_bytes());
    }
    for s in streams {
        payload.extend_from_slice(&s);
    }
    payload
}

/// The `count` streams of a [`join`]ed payload, each with its offset.
///
/// # Errors
/// [`crate::Error::Corrupt`] for a table that does not fit, lengths past
/// the end, or bytes after the last stream.
pub(super) fn split(payload: &[u8], count: usize) -> Result<Vec<(usize, &[u8])>> {
    let table = count
        .checked_mul(8)
        .filter(|&t| t <= payload.len())
        .ok_or_else(|| payload_err(0, format!("too short for {count} slab lengths")))?;
    let mut streams = Vec::with_capacity(count);
    let mut at = table;
    for (i, len) in payload[..table].chunks_exact(8).enumerate() {
        let len = u64::from_le_bytes(len.try_into().unwrap());
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| at.checked_add(l))
            .filter(|&e| e <= payload.len())
            .ok_or_else(|| payload_err(8 * i, format!("slab {i}: {len} bytes past the end")))?;
        streams.push((at, &payload[at..end]));
        at = end;
    }
    if at != payload.len() {
        return Err(payload_err(at, "bytes after the last slab"));
    }
    Ok(streams)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_cover_the_tensor_in_power_of_two_rows() {
        for shape in [
            vec![],
            vec![0],
            vec![5, 0],
            vec![7],
            vec![SLAB],
            vec![SLAB + 1],
            vec![3 * SLAB + 5],
            vec![1000, 1000],
            vec![1024, 1024],
            vec![2, SLAB],
            vec![3, 7, 64, 64, 5],
        ] {
            let s = Slabs::of(&shape, u64::MAX);
            let n: usize = shape.iter().product();
            assert_eq!(Slabs::whole(&shape).count(), 1);
            for bytes in [0, 3 * SLAB_BYTES, 16 * SLAB_BYTES - 1] {
                let few = Slabs::of(&shape, bytes);
                let most = (bytes / SLAB_BYTES).max(1) as usize;
                assert!(few.count() <= most, "{shape:?} {bytes}");
                assert!(few.count() == s.count() || few.count() * 2 > most.min(s.count()));
            }
            let sizes: Vec<usize> = (0..s.count())
                .map(|i| s.shape(&shape, i).iter().product())
                .collect();
            assert_eq!(sizes.iter().sum::<usize>(), n, "{shape:?}");
            if n <= SLAB {
                assert_eq!(s.count(), 1, "{shape:?}");
            } else {
                assert!(s.rows().is_power_of_two() || s.rows() == shape[0]);
                // Every slab but the last holds at least SLAB elements;
                // all but the last are equal.
                for &z in &sizes[..sizes.len() - 1] {
                    assert!(z >= SLAB && z == s.elems(), "{shape:?} {sizes:?}");
                }
            }
        }
        assert!(Slabs::with_rows(&[4, 4], 0).is_err());
    }

    #[test]
    fn map_hands_out_each_slab_in_order() {
        let shape = [5 * SLAB / 64 + 3, 64];
        let s = Slabs::of(&shape, u64::MAX);
        let n: usize = shape.iter().product();
        let a: Vec<u32> = (0..n as u32).collect();
        let mut b = vec![0u32; n];
        let items: Vec<_> = s.parts(&a).into_iter().zip(s.parts_mut(&mut b)).collect();
        let firsts = s.map(&shape, items, |i, sh, (a, b)| {
            assert_eq!(a.len(), sh.iter().product::<usize>());
            b.copy_from_slice(a);
            (i, a[0])
        });
        assert_eq!(b, a);
        let want: Vec<(usize, u32)> = (0..s.count())
            .map(|i| (i, (i * s.elems()) as u32))
            .collect();
        assert_eq!(firsts, want);
        let empty = s.parts(&[] as &[u8]);
        assert!(empty.iter().all(|p| p.is_empty()) && empty.len() == s.count());
    }
}
