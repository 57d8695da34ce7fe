//! Large output buffers of the CPU twins.
//!
//! A fresh allocation of megabytes comes from the OS as untouched pages; the
//! first pass writing it then pays one page fault per 4 KiB page.
//! [`output_buffer`] asks the allocator for zeroed memory (fresh pages of a
//! large allocation are zero already, so nothing writes them twice) and
//! Linux for transparent huge pages on it (where the system allows them on
//! request, as numpy does for arrays of 4 MiB and more). The transform's own
//! parallel passes then touch the pages first, on all cores, and fault once
//! per 2 MiB where huge pages are granted.

use std::alloc::{alloc_zeroed, Layout};
use std::mem::MaybeUninit;

use bytemuck::Zeroable;

/// Buffers smaller than this (in bytes) are allocated plainly.
const LARGE_BYTES: usize = 4 << 20;

/// A vector of `len` zero values; large ones are backed by huge pages where
/// the OS allows.
pub(crate) fn output_buffer<T: Zeroable + Clone>(len: usize) -> Vec<T> {
    let size = std::mem::size_of::<T>();
    let Ok(layout) = Layout::array::<T>(len) else {
        // Longer than memory can hold: let Vec report it.
        return vec![T::zeroed(); len];
    };
    if size == 0 || layout.size() < LARGE_BYTES {
        return vec![T::zeroed(); len];
    }
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    advise_huge_pages(ptr.cast(), layout.size());
    // SAFETY: `ptr` was allocated by the global allocator with the layout of
    // `len` values of `T`, and all-zero bytes are a valid `T` (`Zeroable`).
    unsafe { Vec::from_raw_parts(ptr, len, len) }
}

/// A vector of `len` values not yet written, for passes that write every
/// one (no zeroing pass over memory about to be overwritten); large ones
/// are backed by huge pages where the OS allows.
pub(crate) fn uninit_buffer<T>(len: usize) -> Vec<MaybeUninit<T>> {
    let mut v: Vec<MaybeUninit<T>> = Vec::with_capacity(len);
    // SAFETY: `MaybeUninit` values need no initialisation.
    unsafe { v.set_len(len) };
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    if bytes >= LARGE_BYTES {
        advise_huge_pages(v.as_mut_ptr().cast(), bytes);
    }
    v
}

/// `buffer` once every value has been written.
///
/// # Safety
/// Every value of `buffer` is initialised.
pub(crate) unsafe fn assume_init<T>(buffer: Vec<MaybeUninit<T>>) -> Vec<T> {
    let mut buffer = std::mem::ManuallyDrop::new(buffer);
    let (ptr, len, capacity) = (buffer.as_mut_ptr(), buffer.len(), buffer.capacity());
    // SAFETY: `MaybeUninit<T>` has the layout of `T`; the allocation is the
    // vector's own; the values are initialised (the caller's promise).
    unsafe { Vec::from_raw_parts(ptr.cast::<T>(), len, capacity) }
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
