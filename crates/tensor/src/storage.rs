//! The flat buffer a tensor's elements live in, shared between views behind an `Arc`.

use crate::device::Device;
use crate::dtype::{Element, Numeric};
use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE_BUFFERS: AtomicUsize = AtomicUsize::new(0);

/// How many tensor buffers are alive in this process right now.
///
/// Views share a buffer, so they do not count; every op result that allocates does. Autograd's
/// tests use this to prove that `backward()` frees the graph's intermediate buffers.
pub fn live_buffers() -> usize {
    LIVE_BUFFERS.load(Ordering::SeqCst)
}

/// Buffers of at least this many bytes ask for transparent huge pages.
pub const HUGE_PAGE_MIN_BYTES: usize = 4 << 20;

/// A buffer of `n` zeros (`0`, `0.0`, `false`) for an op's result.
///
/// Large buffers come from the [buffer cache](cached_buffer_bytes) when one of the same size is
/// there (zeroed again: a memset is cheaper than the page faults of fresh memory), else straight
/// from the allocator's zeroed memory (fresh pages, not yet touched) with a request to Linux for
/// transparent huge pages on the aligned part, before the kernel's first write. Streaming
/// kernels then take 512× fewer TLB misses: on the development machine a 4M-element add went
/// from 30 to 40 GB/s (NumPy does the same for its arrays).
pub fn zeroed_buffer<T: Element>(n: usize) -> Vec<T> {
    let bytes = n * std::mem::size_of::<T>();
    if let Some(mut v) = cache::take::<T>(n) {
        // SAFETY: the cached allocation holds room for exactly n elements of T, and every
        // Element type (integers, floats, bool) is valid as all-zero bytes.
        unsafe {
            std::ptr::write_bytes(v.as_mut_ptr(), 0, n);
            v.set_len(n);
        }
        return v;
    }
    if bytes < HUGE_PAGE_MIN_BYTES {
        return vec![T::default(); n];
    }
    let layout = std::alloc::Layout::array::<T>(n).expect("buffer size overflows");
    // SAFETY: the layout is non-zero-sized (bytes >= HUGE_PAGE_MIN_BYTES); every Element type
    // (integers, floats, bool) is valid as all-zero bytes; `Vec::from_raw_parts` gets the
    // pointer from the global allocator with exactly the layout a Vec<T> of capacity n uses.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout);
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        advise_huge_pages(ptr, bytes);
        Vec::from_raw_parts(ptr as *mut T, n, n)
    }
}

/// A buffer of `n` elements for a result that the kernel then overwrites in full (a matrix
/// product's output): like [`zeroed_buffer`], except that a buffer reused from the cache is
/// not cleared first, so its values are whatever an earlier tensor left there. Clearing
/// it was 4% of an MLP training step, every product's output written twice.
///
/// Sound for [`Numeric`] types only: the cache keeps only fully written buffers, so every
/// byte of a reused one holds part of a value, and every bit pattern is a valid integer or
/// float (not a valid `bool`).
pub fn buffer_for_overwrite<T: Numeric>(n: usize) -> Vec<T> {
    if let Some(mut v) = cache::take::<T>(n) {
        // SAFETY: the block holds room for n elements (`take`), and all of its bytes were
        // written: the cache only keeps Vecs whose length equalled their capacity (`keep`),
        // of plain data types. Any initialised bytes form a valid value of a Numeric type.
        unsafe { v.set_len(n) };
        return v;
    }
    zeroed_buffer(n)
}

/// Hands a scratch buffer that a kernel is done with to the buffer cache, where the next
/// [`zeroed_buffer`] or [`uninit_buffer`] of its size finds it: a kernel that allocates large
/// temporaries on every call (the recurrent layers' tape) then stops paying for fresh pages.
pub fn recycle_buffer<T: Element>(v: Vec<T>) {
    cache::give_back(v);
}

/// An empty Vec with room for exactly `n` elements, for a result that a kernel writes in full
/// (through `spare_capacity_mut`, then `set_len`): unlike [`zeroed_buffer`] nothing is zeroed.
/// It comes from the buffer cache when it can, and large fresh ones get the huge-page request.
pub fn uninit_buffer<T: Element>(n: usize) -> Vec<T> {
    if let Some(v) = cache::take::<T>(n) {
        return v;
    }
    let out = Vec::with_capacity(n);
    let bytes = n * std::mem::size_of::<T>();
    if bytes >= HUGE_PAGE_MIN_BYTES {
        advise_huge_pages(out.as_ptr() as *mut u8, bytes);
    }
    out
}

/// Bytes held by the buffer cache: freed tensor buffers of at least 64 KiB kept for reuse.
///
/// A training loop allocates the same shapes every step. Handing those buffers back to the
/// allocator lets it return the memory to the OS, and the next step pays a page fault and a
/// kernel zero-fill for every 4 KiB page: in a TinyVGG step that was a quarter of the time. So
/// a tensor's buffer goes to this cache when the last view of it is dropped, and an op result
/// of the same size takes it from there (PyTorch's CUDA caching allocator works the same way).
/// The cache holds at most `KINDLING_BUFFER_CACHE_MB` MiB (default 1024; `0` turns it off),
/// evicting the sizes used longest ago first.
pub fn cached_buffer_bytes() -> usize {
    cache::cached_bytes()
}

/// Frees every buffer the cache holds (as `torch.cuda.empty_cache()` does for PyTorch's), for
/// a program that is done with a phase of large tensors.
pub fn release_cached_buffers() {
    cache::release_all()
}

mod cache {
    use std::alloc::Layout;
    use std::collections::HashMap;
    use std::sync::{Mutex, MutexGuard, OnceLock};

    /// Buffers smaller than this stay with the allocator, which serves them from its own free
    /// lists without touching the OS.
    pub(super) const MIN_BYTES: usize = 64 << 10;

    struct Block(*mut u8);
    // SAFETY: a Block owns its allocation exclusively (it left its Vec), so moving it between
    // threads is moving a Box-like owner.
    unsafe impl Send for Block {}

    #[derive(Default)]
    struct Bucket {
        blocks: Vec<Block>,
        last_used: u64,
    }

    /// Freed allocations by (bytes, alignment): a block is only ever reused with the layout
    /// it was allocated with, which the allocator requires when it is finally freed.
    pub(super) struct Cache {
        buckets: HashMap<(usize, usize), Bucket>,
        bytes: usize,
        clock: u64,
        limit: usize,
    }

    impl Cache {
        pub(super) fn new(limit: usize) -> Self {
            Cache { buckets: HashMap::new(), bytes: 0, clock: 0, limit }
        }

        fn eligible(&self, bytes: usize) -> bool {
            bytes >= MIN_BYTES && bytes <= self.limit
        }

        /// An empty Vec<T> with capacity exactly `n`, from the cache, or None.
        pub(super) fn take<T>(&mut self, n: usize) -> Option<Vec<T>> {
            let bytes = n.checked_mul(std::mem::size_of::<T>())?;
            if !self.eligible(bytes) {
                return None;
            }
            self.clock += 1;
            let bucket = self.buckets.get_mut(&(bytes, std::mem::align_of::<T>()))?;
            let block = bucket.blocks.pop()?;
            bucket.last_used = self.clock;
            self.bytes -= bytes;
            // SAFETY: the block was allocated by the global allocator as a Vec of `bytes`
            // bytes with alignment align_of::<T>() (its key), which is the layout of a Vec<T>
            // of capacity n; length 0 makes no claim about its contents.
            Some(unsafe { Vec::from_raw_parts(block.0 as *mut T, 0, n) })
        }

        /// Keeps `v`'s allocation, evicting blocks of the sizes used longest ago while the
        /// cache would exceed its limit. Returns `v` when it is not kept (too small or too
        /// large), and the evicted blocks, which the caller frees outside the lock.
        fn keep<T>(&mut self, mut v: Vec<T>) -> Result<Vec<Evicted>, Vec<T>> {
            let bytes = v.capacity() * std::mem::size_of::<T>();
            // A buffer with unwritten room is not kept: `buffer_for_overwrite` relies on
            // every cached byte having been written.
            if !self.eligible(bytes) || v.len() != v.capacity() {
                return Err(v);
            }
            // SAFETY: the elements are plain data (Element types have no Drop), so forgetting
            // them is fine; the allocation is owned by the Block from here on.
            unsafe { v.set_len(0) };
            let block = Block(v.as_mut_ptr() as *mut u8);
            std::mem::forget(v);
            let mut evicted = Vec::new();
            while self.bytes + bytes > self.limit {
                let oldest = self
                    .buckets
                    .iter()
                    .filter(|(_, b)| !b.blocks.is_empty())
                    .min_by_key(|(_, b)| b.last_used)
                    .map(|(k, _)| *k);
                let Some(key) = oldest else { break };
                let b = self.buckets.get_mut(&key).expect("bucket just seen");
                evicted.push(Evicted(key, b.blocks.pop().expect("non-empty bucket")));
                self.bytes -= key.0;
            }
            self.clock += 1;
            let bucket = self.buckets.entry((bytes, std::mem::align_of::<T>())).or_default();
            bucket.blocks.push(block);
            bucket.last_used = self.clock;
            self.bytes += bytes;
            Ok(evicted)
        }

        pub(super) fn bytes(&self) -> usize {
            self.bytes
        }

        fn drain(&mut self) -> Vec<Evicted> {
            self.bytes = 0;
            let buckets = std::mem::take(&mut self.buckets);
            buckets.into_iter().flat_map(|(k, b)| b.blocks.into_iter().map(move |block| Evicted(k, block))).collect()
        }
    }

    /// A block out of the cache, freed when dropped.
    pub(super) struct Evicted((usize, usize), Block);

    impl Drop for Evicted {
        fn drop(&mut self) {
            let Evicted((bytes, align), Block(ptr)) = *self;
            // SAFETY: the block was allocated by the global allocator with exactly this layout.
            unsafe { std::alloc::dealloc(ptr, Layout::from_size_align(bytes, align).expect("layout of a Vec")) }
        }
    }

    impl Drop for Cache {
        fn drop(&mut self) {
            self.drain();
        }
    }

    /// Keeps `v` in `cache` (or lets it go), freeing evicted blocks after the lock is released.
    pub(super) fn give_back_to<T>(cache: &Mutex<Cache>, v: Vec<T>) {
        let kept = lock(cache).keep(v);
        drop(kept);
    }

    fn lock(cache: &Mutex<Cache>) -> MutexGuard<'_, Cache> {
        // A panic while holding the lock cannot leave the map inconsistent (every update is a
        // single insert or remove), so a poisoned lock is still usable.
        cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The process's cache, limited by `KINDLING_BUFFER_CACHE_MB` (default 1024 MiB).
    fn global() -> &'static Mutex<Cache> {
        static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
        CACHE.get_or_init(|| {
            let mb = std::env::var("KINDLING_BUFFER_CACHE_MB").ok().and_then(|v| v.trim().parse::<usize>().ok());
            Mutex::new(Cache::new(mb.unwrap_or(1024) << 20))
        })
    }

    pub(super) fn take<T>(n: usize) -> Option<Vec<T>> {
        lock(global()).take(n)
    }

    pub(super) fn give_back<T>(v: Vec<T>) {
        give_back_to(global(), v)
    }

    pub(super) fn cached_bytes() -> usize {
        lock(global()).bytes()
    }

    pub(super) fn release_all() {
        let drained = lock(global()).drain();
        drop(drained);
    }
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize + bytes) / HUGE * HUGE;
    if end > start {
        // SAFETY: [start, end) lies inside the allocation just made. madvise only changes how
        // the kernel backs the pages; a refusal (THP disabled) is harmless, so it is ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _bytes: usize) {}

pub(crate) struct Storage<T: Element> {
    data: Vec<T>,
    device: Device,
}

impl<T: Element> Storage<T> {
    pub(crate) fn cpu(data: Vec<T>) -> Self {
        LIVE_BUFFERS.fetch_add(1, Ordering::SeqCst);
        Storage { data, device: Device::Cpu }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.data
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }

    pub(crate) fn device(&self) -> Device {
        self.device
    }
}

impl<T: Element> Clone for Storage<T> {
    fn clone(&self) -> Self {
        LIVE_BUFFERS.fetch_add(1, Ordering::SeqCst);
        Storage { data: self.data.clone(), device: self.device }
    }
}

impl<T: Element> Drop for Storage<T> {
    fn drop(&mut self) {
        LIVE_BUFFERS.fetch_sub(1, Ordering::SeqCst);
        cache::give_back(std::mem::take(&mut self.data));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_buffers_are_zero_at_every_size_and_type() {
        let n = HUGE_PAGE_MIN_BYTES / 4 + 3; // past the huge-page threshold for 4-byte types
        let f: Vec<f32> = zeroed_buffer(n);
        assert!(f.len() == n && f.iter().all(|&x| x == 0.0 && x.is_sign_positive()));
        assert!(zeroed_buffer::<bool>(n * 4).iter().all(|&b| !b));
        assert!(zeroed_buffer::<i64>(n).iter().all(|&x| x == 0));
        assert_eq!(zeroed_buffer::<u8>(5), vec![0u8; 5]);
        let mut v: Vec<f64> = zeroed_buffer(n);
        v.push(1.0); // a normal Vec: it can grow and is freed by the global allocator
        assert_eq!(v[n], 1.0);
    }

    #[test]
    fn a_dropped_buffer_is_reused_for_the_next_result_of_its_size_and_comes_back_zeroed() {
        let n = (64 << 10) / 4 + 11; // a size no other test uses, past the cache's minimum
        let mut v: Vec<f32> = zeroed_buffer(n);
        v.iter_mut().for_each(|x| *x = 7.0);
        let ptr = v.as_ptr();
        drop(Storage::cpu(v));
        let again: Vec<f32> = zeroed_buffer(n);
        assert_eq!(again.as_ptr(), ptr, "the cached block should be handed out again");
        assert!(again.iter().all(|&x| x == 0.0));
        drop(Storage::cpu(again));
        let mut uninit: Vec<f32> = uninit_buffer(n);
        assert_eq!((uninit.as_ptr(), uninit.len(), uninit.capacity()), (ptr, 0, n));
        uninit.resize(n, 2.5); // a kernel writes it in full (within its capacity: no move)
                               // A result that is overwritten anyway gets the block as it was, not cleared.
        drop(Storage::cpu(uninit));
        let stale: Vec<f32> = buffer_for_overwrite(n);
        assert_eq!((stale.as_ptr(), stale.len()), (ptr, n));
        assert!(stale.iter().all(|&x| x == 2.5), "a reused block is not cleared");
        let uninit = stale;
        // Another element type with the same byte size and alignment may share a block; one
        // with another alignment may not (the allocator frees a block with its own layout).
        drop(Storage::cpu(uninit));
        let bytes: Vec<u8> = zeroed_buffer(n * 4);
        assert_ne!(bytes.as_ptr() as *const f32, ptr);
        let m = (64 << 10) / 8 + 13;
        let floats: Vec<f64> = zeroed_buffer(m);
        let p64 = floats.as_ptr();
        drop(Storage::cpu(floats));
        let ints: Vec<i64> = zeroed_buffer(m);
        assert_eq!(ints.as_ptr() as *const f64, p64);
        assert!(ints.iter().all(|&x| x == 0));
    }

    #[test]
    fn the_cache_skips_small_buffers_evicts_the_size_used_longest_ago_and_drains() {
        use cache::{give_back_to, Cache, MIN_BYTES};
        use std::sync::Mutex;
        let kb = |k: usize| vec![0u8; k << 10];
        let c = Mutex::new(Cache::new(256 << 10));
        let bytes = |c: &Mutex<Cache>| c.lock().unwrap().bytes();
        give_back_to(&c, vec![0u8; MIN_BYTES - 1]);
        assert_eq!(bytes(&c), 0, "a buffer under the minimum is freed, not cached");
        give_back_to(&c, kb(300));
        assert_eq!(bytes(&c), 0, "a buffer over the limit is freed, not cached");
        give_back_to(&c, kb(64));
        give_back_to(&c, kb(100));
        give_back_to(&c, kb(64));
        assert_eq!(bytes(&c), 228 << 10);
        // Using the 100 KiB size makes the 64 KiB one the oldest: adding 80 KiB (over the
        // 256 KiB limit by 52) evicts one 64 KiB block, not the 100 KiB one.
        let mut v: Vec<u8> = c.lock().unwrap().take(100 << 10).expect("a cached 100 KiB block");
        assert_eq!((v.len(), v.capacity()), (0, 100 << 10));
        give_back_to(&c, Vec::<u8>::with_capacity(90 << 10));
        assert_eq!(bytes(&c), 128 << 10, "a buffer with unwritten room is freed, not cached");
        v.resize(100 << 10, 7);
        give_back_to(&c, v);
        give_back_to(&c, kb(80));
        assert_eq!(bytes(&c), (64 + 100 + 80) << 10);
        let mut guard = c.lock().unwrap();
        assert!(guard.take::<u8>(64 << 10).is_some() && guard.take::<u8>(64 << 10).is_none());
        assert!(guard.take::<u8>(100 << 10).is_some() && guard.take::<u8>(80 << 10).is_some());
        assert_eq!(guard.bytes(), 0);
        drop(guard);
        give_back_to(&c, kb(64));
        drop(c); // dropping the cache frees what it holds (Miri/ASan would flag a leak here)
        release_cached_buffers(); // the global one: empties without panicking
    }
}
