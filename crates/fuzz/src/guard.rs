//! The child process's guards: a counting allocator that refuses oversized requests, a watchdog
//! for inputs that take too long, and the counters both report when they abort the process.
//!
//! Both guards end the process with [`std::process::abort`] after writing one line to standard
//! error, `kindling-fuzz: abort cause=... index=... tried=... ok=... err=... peak=...`, which the
//! parent parses. The line is formatted into a buffer on the stack: inside the allocator, a
//! `String` would recurse into the very allocator that is refusing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// The largest single allocation an input may make: 256 MiB. No loader needs that much for a
/// file of a few KiB; a request this large means a header field was trusted.
pub const MAX_ALLOCATION: usize = 256 << 20;

/// The most heap an input may hold live at once (the child's own few MiB included): 512 MiB.
pub const MAX_LIVE: usize = 512 << 20;

/// How long one input may take before the watchdog calls it a hang: 10 s. The slowest target
/// (an image folder, opened four ways) takes milliseconds per input in a debug build.
pub const MAX_INPUT_TIME: Duration = Duration::from_secs(10);

/// `INDEX` while no input is running.
const IDLE: u64 = u64::MAX;

static ARMED: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static INDEX: AtomicU64 = AtomicU64::new(IDLE);
static TRIED: AtomicU64 = AtomicU64::new(0);
static OK: AtomicU64 = AtomicU64::new(0);
static ERR: AtomicU64 = AtomicU64::new(0);

/// The global allocator of the `kindling-fuzz` binary: the system allocator plus a count of
/// live bytes, and, once [`arm`]ed, the caps [`MAX_ALLOCATION`] and [`MAX_LIVE`].
pub struct CountingAlloc;

impl CountingAlloc {
    /// Counts `grow` more live bytes for a request of `size` bytes, aborting if a cap is broken.
    fn admit(&self, size: usize, grow: usize) {
        let armed = ARMED.load(Ordering::Relaxed);
        if armed && size > MAX_ALLOCATION {
            abort_with("alloc", format_args!("over=single size={size} live={}", LIVE.load(Ordering::Relaxed)));
        }
        let live = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
        if armed && live > MAX_LIVE {
            abort_with("alloc", format_args!("over=live size={size} live={live}"));
        }
        // Only admitted bytes count towards the peak, so a reported peak is within the caps.
        PEAK.fetch_max(live, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees carry over; the bookkeeping around it only touches atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.admit(layout.size(), layout.size());
        // SAFETY: the caller guarantees `layout` has a non-zero size, as `System.alloc` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.admit(layout.size(), layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller guarantees `ptr` came from this allocator (hence `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            self.admit(new_size, new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: the caller guarantees `ptr` and `layout` match a live block of this allocator
        // (hence of `System`) and that `new_size` is valid for `layout`'s alignment.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Turns the caps on (the child does this once its seeds are built).
pub fn arm() {
    ARMED.store(true, Ordering::Relaxed);
}

/// Restarts the peak count from the bytes live now.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// The most bytes that were live at once since [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Marks input `index` as running (for the abort line and the watchdog).
pub fn begin(index: u64) {
    INDEX.store(index, Ordering::SeqCst);
}

/// Marks the running input as done, with whether the loader accepted it.
pub fn end(accepted: bool) {
    INDEX.store(IDLE, Ordering::SeqCst);
    TRIED.fetch_add(1, Ordering::Relaxed);
    if accepted { &OK } else { &ERR }.fetch_add(1, Ordering::Relaxed);
}

/// `(tried, ok, err)` so far.
pub fn counts() -> (u64, u64, u64) {
    (TRIED.load(Ordering::Relaxed), OK.load(Ordering::Relaxed), ERR.load(Ordering::Relaxed))
}

/// Starts a thread that aborts the process when one input has been running for longer than
/// `limit`. Indices only grow, so "the same index for longer than `limit`" is a hang.
pub fn start_watchdog(limit: Duration) {
    let tick = Duration::from_millis(50);
    std::thread::spawn(move || {
        let (mut seen, mut since) = (IDLE, std::time::Instant::now());
        loop {
            std::thread::sleep(tick);
            let now = INDEX.load(Ordering::SeqCst);
            if now != seen {
                (seen, since) = (now, std::time::Instant::now());
            } else if now != IDLE && since.elapsed() > limit {
                abort_with("hang", format_args!("ms={}", since.elapsed().as_millis()));
            }
        }
    });
}

/// A fixed buffer on the stack that `write!` can format into without allocating.
struct Line {
    bytes: [u8; 512],
    len: usize,
}

impl std::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let n = s.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Writes the abort line and aborts. Allocates nothing, so it is safe inside the allocator.
fn abort_with(cause: &str, detail: std::fmt::Arguments<'_>) -> ! {
    // Stop counting against the caps: nothing below allocates, but a second refusal on another
    // thread must not interleave its line with this one.
    ARMED.store(false, Ordering::Relaxed);
    let mut line = Line { bytes: [0; 512], len: 0 };
    let (tried, ok, err) = counts();
    let _ = writeln!(
        line,
        "kindling-fuzz: abort cause={cause} index={} tried={tried} ok={ok} err={err} peak={} {detail}",
        INDEX.load(Ordering::SeqCst) as i64,
        peak(),
    );
    let _ = std::io::stderr().write_all(&line.bytes[..line.len]);
    std::process::abort()
}
