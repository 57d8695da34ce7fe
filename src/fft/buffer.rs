//! Large output buffers of the CPU twins, touched before the transform
//! writes them.
//!
//! A fresh allocation of tens of megabytes comes from the OS as untouched
//! pages; the first pass writing it then pays one page fault per 4 KiB page.
//! [`output_buffer`] asks Linux for transparent huge pages on large buffers
//! (where the system allows them on request) and fills the buffer on all
//! cores, so the faults are fewer and spread over the threads.

use rayon::prelude::*;

/// Buffers smaller than this (in bytes) are allocated and filled plainly:
/// glibc serves them from its heap once a first one was freed (its mmap
/// threshold grows up to 32 MiB), so repeated calls reuse touched pages.
const LARGE_BYTES: usize = 32 << 20;
/// Elements filled per rayon task.
const FILL_CHUNK_BYTES: usize = 1 << 20;

/// A vector of `len` default values; large ones are backed by huge pages
/// where the OS allows and are filled in parallel.
pub(crate) fn output_buffer<T: Copy + Default + Send + Sync>(len: usize) -> Vec<T> {
    let size = std::mem::size_of::<T>().max(1);
    if len.saturating_mul(size) < LARGE_BYTES {
        return vec![T::default(); len];
    }
    let mut v: Vec<T> = Vec::with_capacity(len);
    advise_huge_pages(v.as_mut_ptr().cast(), len * size);
    let chunk = (FILL_CHUNK_BYTES / size).max(1);
    v.spare_capacity_mut()[..len]
        .par_chunks_mut(chunk)
        .for_each(|c| {
            c.iter_mut().for_each(|x| {
                x.write(T::default());
            })
        });
    // SAFETY: the capacity is at least `len` and the first `len` elements
    // were all initialised just above.
    unsafe { v.set_len(len) };
    v
}

/// Asks for transparent huge pages on the whole pages inside
/// `start..start + bytes`; a refusal only costs speed, so it is ignored.
#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, bytes: usize) {
    const PAGE: usize = 4096;
    const MADV_HUGEPAGE: i32 = 14;
    extern "C" {
        fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
    }
    let addr = start as usize;
    let first = addr.next_multiple_of(PAGE);
    let end = (addr + bytes) / PAGE * PAGE;
    if end > first {
        // SAFETY: the range lies inside one live allocation owned by the
        // caller; MADV_HUGEPAGE changes no contents, only how pages are backed.
        unsafe {
            madvise(first as *mut std::ffi::c_void, end - first, MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::num_complex::Complex32;

    #[test]
    fn buffers_hold_len_default_values() {
        for len in [
            0usize,
            1,
            7,
            LARGE_BYTES / 8 - 1,
            LARGE_BYTES / 8,
            3 * LARGE_BYTES / 8 + 5,
        ] {
            let v: Vec<Complex32> = output_buffer(len);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|c| c.re == 0.0 && c.im == 0.0), "{len}");
            let r: Vec<f64> = output_buffer(len);
            assert_eq!(r.len(), len);
            assert!(r.iter().all(|&x| x == 0.0), "{len}");
        }
    }
}
