//! `kindling bench`: one run that prints the whole performance story as tables.
//!
//! Criterion benches (`cargo bench`) give careful statistics per kernel; this command gives the
//! overview a reader wants first: every matmul version in GFLOP/s and every memory-bound kernel
//! in GB/s, on one thread and on all cores, measured in one run on the same machine.

pub mod matmul;
pub mod memory;
pub mod train;

use std::time::Instant;

/// Median wall time in seconds of `f`, after one warm-up call, over at least `min_runs` runs
/// and at least `min_seconds` of total measuring.
pub fn median_seconds(min_runs: usize, min_seconds: f64, mut f: impl FnMut()) -> f64 {
    f();
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < min_runs || start.elapsed().as_secs_f64() < min_seconds {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
        if times.len() >= 1000 {
            break;
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

/// Runs `f` on a rayon pool of exactly `threads` threads, so kernels that split work by
/// `rayon::current_num_threads()` use that many.
pub fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("could not start a rayon thread pool")
        .install(f)
}

/// The thread counts a table reports: one, and all available cores.
pub fn thread_counts() -> Vec<usize> {
    let all = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if all > 1 {
        vec![1, all]
    } else {
        vec![1]
    }
}
