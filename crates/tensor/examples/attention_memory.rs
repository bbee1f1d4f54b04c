//! Peak memory of attention's forward + backward pass, naive against fast, as the context
//! grows: batch 1, 4 heads, head dim 32, causal, f32. A counting global allocator records the
//! most bytes allocated at once beyond what the operands (q, k, v and the output gradient)
//! already hold. Prints a markdown table.
//!
//! ```text
//! cargo run --release -p kindling-tensor --example attention_memory [-- 256 1024 4096]
//! ```
//!
//! The naive kernel materialises `[L, S]` matrices for one head at a time (scores, weights,
//! their gradients), so its peak grows with the square of the context; the fast kernel keeps
//! per-row statistics and 32 × 32 tiles, so its peak is its outputs (linear in the context).
//! The naive kernel runs up to `NAIVE_MAX` (half a minute at 4096); past it the table shows
//! the three `[L, S]` matrices it would hold instead.
//!
//! Measured (2-core Zen 4 VM, shared; times are indicative only):
//!
//! | context | one [L, S] matrix | naive peak | fast peak | naive / fast | naive time | fast time |
//! |---|---|---|---|---|---|---|
//! | 256 | 0.25 MiB | 1.26 MiB | 0.55 MiB | 2.3× | 0.158 s | 0.009 s |
//! | 1024 | 4.00 MiB | 14.02 MiB | 2.09 MiB | 6.7× | 1.852 s | 0.063 s |
//! | 4096 | 64.00 MiB | 200.06 MiB | 8.13 MiB | 24.6× | 26.088 s | 0.850 s |

use kindling_tensor::attention::{backward, forward, AttentionConfig};
use kindling_tensor::{release_cached_buffers, with_kernel_mode, KernelMode, Rng, Tensor};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::SeqCst) + bytes;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters change.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's contract for this call, passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's contract for this call, passed on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: the caller's contract for this call, passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grew(new_size - layout.size());
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
        }
        // SAFETY: the caller's contract for this call, passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Contexts above this run the fast kernel only.
const NAIVE_MAX: usize = 4096;
const HEADS: usize = 4;
const HEAD_DIM: usize = 32;

/// Peak bytes allocated beyond the operands, and seconds, for one forward + backward.
fn measure(mode: KernelMode, t: usize) -> (usize, f64) {
    let mut rng = Rng::seed(0);
    let [q, k, v, d_out] = [0; 4].map(|_| Tensor::<f32>::randn([1, HEADS, t, HEAD_DIM], &mut rng));
    let cfg = AttentionConfig::causal();
    release_cached_buffers();
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let start = Instant::now();
    with_kernel_mode(mode, || {
        let fwd = forward(&q, &k, &v, &cfg);
        let grads = backward(&q, &k, &v, &cfg, &fwd, &d_out);
        std::hint::black_box((fwd, grads));
    });
    let seconds = start.elapsed().as_secs_f64();
    let peak = PEAK.load(Ordering::SeqCst) - base;
    release_cached_buffers();
    (peak, seconds)
}

fn mib(bytes: usize) -> String {
    format!("{:.2} MiB", bytes as f64 / (1 << 20) as f64)
}

fn main() {
    let contexts: Vec<usize> = {
        let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a context length")).collect();
        if args.is_empty() {
            vec![256, 1024, 4096]
        } else {
            args
        }
    };
    println!("Attention forward + backward, batch 1, {HEADS} heads, head dim {HEAD_DIM}, causal, f32; peak bytes allocated beyond the operands.\n");
    println!("| context | one [L, S] matrix | naive peak | fast peak | naive / fast | naive time | fast time |");
    println!("|---|---|---|---|---|---|---|");
    for t in contexts {
        let (fast, fast_s) = measure(KernelMode::Fast, t);
        let matrix = t * t * 4;
        let (naive, naive_time, ratio) = if t <= NAIVE_MAX {
            let (naive, naive_s) = measure(KernelMode::Naive, t);
            (mib(naive), format!("{naive_s:.3} s"), format!("{:.1}×", naive as f64 / fast as f64))
        } else {
            ("not run (≥ 3 matrices: ".to_string() + &mib(3 * matrix) + ")", "–".to_string(), "–".to_string())
        };
        println!("| {t} | {} | {naive} | {} | {ratio} | {naive_time} | {fast_s:.3} s |", mib(matrix), mib(fast));
    }
}
