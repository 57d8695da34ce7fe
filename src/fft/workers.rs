//! Work sharing for the CPU line passes called from outside rayon's pool.
//!
//! A rayon pass started from a thread outside the pool queues its work,
//! wakes the workers and sleeps until they are done: every call waits for
//! at least two thread wake-ups, which on a busy machine cost more than a
//! whole transform of a few megabytes. [`for_each_chunk`] instead starts on
//! the calling thread at once and lets a few helper threads join in as they
//! wake: the chunks are claimed one at a time from a shared counter, so a
//! helper that wakes late finds less (or nothing) left, and the caller only
//! ever waits for a helper in the middle of a chunk.
//!
//! Calls from inside a rayon pool (a caller's `install` or parallel
//! iterator) go to that pool, so nested work still shares its threads and a
//! pool's thread count is kept. While one call holds the helpers, another
//! caller does its chunks alone.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rayon::prelude::*;

/// How long an idle helper spins on the job number after a job before it
/// sleeps: long enough to bridge the gap between the passes of one N-D
/// transform, short enough not to take a core from other work (no yields:
/// a yielding thread still competes for the core).
const SPIN: Duration = Duration::from_micros(100);

/// The chunks of one call, claimed in turn by every participant.
pub(crate) struct Claims {
    next: AtomicUsize,
    count: usize,
}

impl Claims {
    /// The next unclaimed chunk index, if any is left.
    pub(crate) fn claim(&self) -> Option<usize> {
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        (index < self.count).then_some(index)
    }

    fn exhausted(&self) -> bool {
        self.next.load(Ordering::Relaxed) >= self.count
    }
}

/// A participant's part of a call: claims chunks until none are left.
type Body<'a> = dyn Fn(&Claims) + Sync + 'a;

/// A call shared with the helpers.
struct Job {
    claims: Claims,
    /// The caller's body with its lifetime erased; only dereferenced by a
    /// helper counted in `active`, which the caller waits to drop to zero.
    body: *const Body<'static>,
    /// Helpers inside the call.
    active: AtomicUsize,
    /// Whether `body` panicked on a helper (the caller panics in turn).
    panicked: AtomicBool,
}

// SAFETY: `body` points at a `Sync` closure, called only while the caller
// keeps it alive (see `for_each_chunk`); the other fields are atomics.
unsafe impl Send for Job {}
// SAFETY: as above.
unsafe impl Sync for Job {}

struct Pool {
    /// The job on offer, if any, and its number.
    slot: Mutex<(u64, Option<Arc<Job>>)>,
    posted: Condvar,
    /// Number of the latest job posted (polled by spinning helpers).
    generation: AtomicU64,
    helpers: usize,
}

thread_local! {
    static IS_HELPER: Cell<bool> = const { Cell::new(false) };
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<&'static Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            slot: Mutex::new((0, None)),
            posted: Condvar::new(),
            generation: AtomicU64::new(0),
            helpers: rayon::current_num_threads().saturating_sub(1),
        }));
        for index in 0..pool.helpers {
            let spawned = std::thread::Builder::new()
                .name(format!("fft-tensor-lines-{index}"))
                .spawn(move || helper_loop(pool));
            if spawned.is_err() {
                // Fewer helpers only cost speed: the callers do the chunks.
                break;
            }
        }
        pool
    })
}

fn helper_loop(pool: &'static Pool) {
    IS_HELPER.with(|h| h.set(true));
    let mut seen = 0u64;
    loop {
        let started = Instant::now();
        while pool.generation.load(Ordering::Acquire) == seen && started.elapsed() < SPIN {
            std::hint::spin_loop();
        }
        let job = {
            let mut slot = pool.slot.lock().unwrap_or_else(|e| e.into_inner());
            while slot.0 == seen || slot.1.is_none() {
                seen = slot.0;
                slot = pool.posted.wait(slot).unwrap_or_else(|e| e.into_inner());
            }
            seen = slot.0;
            let job = slot.1.clone().expect("checked above");
            // Counted while the slot is locked: the caller takes the job out
            // of the slot before it waits for `active` to reach zero.
            job.active.fetch_add(1, Ordering::Acquire);
            job
        };
        if !job.claims.exhausted() {
            // SAFETY: this helper is counted in `active`, so the caller is
            // still inside `for_each_chunk` and `body` is alive.
            let body = unsafe { &*job.body };
            if catch_unwind(AssertUnwindSafe(|| body(&job.claims))).is_err() {
                job.panicked.store(true, Ordering::Relaxed);
            }
        }
        job.active.fetch_sub(1, Ordering::Release);
    }
}

/// Runs `body` on the calling thread and on every helper that joins before
/// the `count` chunks are gone; each call of `body` creates its own scratch
/// and claims chunk indices from the [`Claims`] it is given until there are
/// none. Inside a rayon pool the chunks go to that pool's threads instead.
pub(crate) fn for_each_chunk<W, I, F>(count: usize, init: I, work: F)
where
    I: Fn() -> W + Sync,
    F: Fn(&mut W, usize) + Sync,
{
    if count == 0 {
        return;
    }
    if rayon::current_thread_index().is_some() {
        (0..count).into_par_iter().for_each_init(&init, &work);
        return;
    }
    let body = |claims: &Claims| {
        if let Some(first) = claims.claim() {
            let mut scratch = init();
            work(&mut scratch, first);
            while let Some(index) = claims.claim() {
                work(&mut scratch, index);
            }
        }
    };
    let claims = || Claims {
        next: AtomicUsize::new(0),
        count,
    };
    let pool = pool();
    if count == 1 || pool.helpers == 0 || IS_HELPER.with(Cell::get) {
        body(&claims());
        return;
    }
    let body_ref: &Body<'_> = &body;
    // SAFETY: only the lifetime is erased; the job leaves the slot and every
    // helper that took it is done before this function returns (below).
    let body_ptr: *const Body<'static> = unsafe { std::mem::transmute(body_ref) };
    let job = Arc::new(Job {
        claims: claims(),
        body: body_ptr,
        active: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
    });
    let posted = {
        let mut slot = pool.slot.lock().unwrap_or_else(|e| e.into_inner());
        if slot.1.is_some() {
            false
        } else {
            slot.0 += 1;
            slot.1 = Some(Arc::clone(&job));
            pool.generation.store(slot.0, Ordering::Release);
            true
        }
    };
    if !posted {
        // Another call holds the helpers.
        body(&job.claims);
        return;
    }
    pool.posted.notify_all();
    {
        // Taken out of the slot and waited for even if `body` panics.
        let _finish = Finish { pool, job: &job };
        body(&job.claims);
    }
    assert!(
        !job.panicked.load(Ordering::Relaxed),
        "a line pass panicked on a helper thread"
    );
}

/// A mutable slice whose chunks of one size are handed out by index.
struct SharedChunks<T> {
    ptr: *mut T,
    len: usize,
    size: usize,
}

// SAFETY: each chunk index is handed to one participant only (see `get`).
unsafe impl<T: Send> Send for SharedChunks<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for SharedChunks<T> {}

impl<T> SharedChunks<T> {
    fn new(data: &mut [T], size: usize) -> Self {
        SharedChunks {
            ptr: data.as_mut_ptr(),
            len: data.len(),
            size: size.max(1),
        }
    }

    fn count(&self) -> usize {
        self.len.div_ceil(self.size)
    }

    /// Chunk `index` (the last one may be shorter).
    ///
    /// # Safety
    /// No other reference to this chunk exists while the result lives.
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&self, index: usize) -> &mut [T] {
        let start = index * self.size;
        assert!(start < self.len);
        let len = self.size.min(self.len - start);
        // SAFETY: inside the slice (checked above); exclusive by the
        // caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }
}

/// `data.par_chunks_mut(size).for_each_init(init, work)`, through
/// [`for_each_chunk`].
pub(crate) fn for_each_chunk_mut<T, W, I, F>(data: &mut [T], size: usize, init: I, work: F)
where
    T: Send,
    I: Fn() -> W + Sync,
    F: Fn(&mut W, &mut [T]) + Sync,
{
    let chunks = SharedChunks::new(data, size);
    // SAFETY: `for_each_chunk` hands each index out once.
    for_each_chunk(chunks.count(), init, |w, i| {
        work(w, unsafe { chunks.get(i) })
    });
}

/// Chunk `i` of `src` (chunks of `src_size`) with chunk `i` of `dst`
/// (chunks of `dst_size`), for as many chunks as both have, through
/// [`for_each_chunk`].
pub(crate) fn for_each_chunk_pair<A, B, W, I, F>(
    (src, src_size): (&[A], usize),
    (dst, dst_size): (&mut [B], usize),
    init: I,
    work: F,
) where
    A: Sync,
    B: Send,
    I: Fn() -> W + Sync,
    F: Fn(&mut W, &[A], &mut [B]) + Sync,
{
    let chunks = SharedChunks::new(dst, dst_size);
    let src_size = src_size.max(1);
    let count = chunks.count().min(src.len().div_ceil(src_size));
    for_each_chunk(count, init, |w, i| {
        let s = &src[i * src_size..((i + 1) * src_size).min(src.len())];
        // SAFETY: `for_each_chunk` hands each index out once.
        work(w, s, unsafe { chunks.get(i) });
    });
}

/// Ends a posted call: takes the job out of the slot, then waits for the
/// helpers inside it.
struct Finish<'a> {
    pool: &'static Pool,
    job: &'a Arc<Job>,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        {
            let mut slot = self.pool.slot.lock().unwrap_or_else(|e| e.into_inner());
            slot.1 = None;
        }
        let mut spins = 0u32;
        while self.job.active.load(Ordering::Acquire) != 0 {
            spins += 1;
            if spins < 1 << 10 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_runs_once_from_any_caller() {
        for count in [0usize, 1, 2, 7, 100, 1000] {
            let hits: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
            for_each_chunk(
                count,
                || 0usize,
                |calls, i| {
                    *calls += 1;
                    hits[i].fetch_add(1, Ordering::Relaxed);
                },
            );
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                "{count}"
            );
        }
        // Several callers at once (some run alone), and calls from rayon.
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let sum = AtomicUsize::new(0);
                        for_each_chunk(
                            64,
                            || (),
                            |_, i| {
                                sum.fetch_add(i, Ordering::Relaxed);
                            },
                        );
                        assert_eq!(sum.load(Ordering::Relaxed), 63 * 64 / 2);
                    }
                });
            }
        });
        let sums: Vec<usize> = (0..8)
            .into_par_iter()
            .map(|_| {
                let sum = AtomicUsize::new(0);
                for_each_chunk(
                    33,
                    || (),
                    |_, i| {
                        sum.fetch_add(i, Ordering::Relaxed);
                    },
                );
                sum.into_inner()
            })
            .collect();
        assert!(sums.iter().all(|&s| s == 32 * 33 / 2));
    }
}
