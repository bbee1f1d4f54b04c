//! Matmul throughput table (GFLOP/s per version).
//!
//! One row per (version, shape): GFLOP/s on one thread and on all cores, and the share of the
//! FMA peak (measured by a register-only FMA loop, so it reflects the clock the core really
//! runs at). v1..v4 are single-threaded by design, so only v5 (what `gemm` runs for f32) gets
//! an all-cores figure.

use super::{median_seconds, thread_counts, with_threads};
use kindling_tensor::kernel_api::{versions, MatRef};

type Sgemm = fn(MatRef<f32>, MatRef<f32>, &mut [f32]);

/// (name, function, largest m·n·k it is timed at, whether it uses threads).
const VERSIONS: [(&str, Sgemm, usize, bool); 5] = [
    ("v1 naive i-j-k", versions::v1_naive, 512 * 512 * 512, false),
    ("v2 loop order", versions::v2_loop_order, 1024 * 1024 * 1024, false),
    ("v3 blocked", versions::v3_blocked, 1024 * 1024 * 1024, false),
    ("v4 packed SIMD", versions::v4_packed_simd, usize::MAX, false),
    ("v5 threaded", versions::v5_threaded, usize::MAX, true),
];

/// Shapes `(m, k, n)`: squares, then the MLP layers of the course (batch 128, 784-256-128).
fn shapes(quick: bool) -> Vec<(usize, usize, usize)> {
    if quick {
        return vec![(64, 64, 64), (128, 128, 128)];
    }
    let mut s: Vec<_> = [128, 256, 512, 1024, 2048].iter().map(|&n| (n, n, n)).collect();
    s.extend([(128, 784, 256), (128, 256, 128)]);
    s
}

/// Prints the markdown table. `quick`: two small sizes only (a smoke test, a few seconds).
pub fn print_table(quick: bool) {
    let threads = thread_counts();
    let all = *threads.last().unwrap_or(&1);
    let peak = versions::fma_peak_gflops();
    let (min_runs, min_seconds) = if quick { (3, 0.05) } else { (5, 0.3) };

    println!("SGEMM, microkernel {}, {all} core(s)", versions::f32_kernel_name());
    match peak {
        Some(p) => println!("FMA peak (register-only FMA loop): {p:.1} GFLOP/s per core\n"),
        None => println!("FMA peak: unknown on this CPU\n"),
    }
    // One pool per thread count for the whole pass: rayon workers of a fresh pool can sleep
    // through a short call entirely (a ~20 µs 128³ product then runs on one thread).
    let cells: Vec<_> = VERSIONS
        .iter()
        .flat_map(|v| shapes(quick).into_iter().filter(move |&(m, k, n)| m * k * n <= v.2).map(move |s| (*v, s)))
        .collect();
    let measure = |threads: usize, only_threaded: bool| -> Vec<Option<f64>> {
        with_threads(threads, || {
            cells
                .iter()
                .map(|&((_, f, _, threaded), (m, k, n))| {
                    if only_threaded && !threaded {
                        return None;
                    }
                    let (a, b) = (fill(m * k, 1), fill(k * n, 2));
                    let mut c = vec![0f32; m * n];
                    let secs = median_seconds(min_runs, min_seconds, || {
                        f(MatRef::row_major(&a, m, k), MatRef::row_major(&b, k, n), &mut c)
                    });
                    Some(2.0 * (m * n * k) as f64 / secs / 1e9)
                })
                .collect()
        })
    };
    let one = measure(1, false);
    let many = if all > 1 { measure(all, true) } else { vec![None; cells.len()] };

    println!("| version | m×k·k×n | 1 thread GFLOP/s | % peak | {all} threads GFLOP/s | % peak |");
    println!("|---|---|---:|---:|---:|---:|");
    let pct = |g: f64, t: usize| peak.map_or("–".to_string(), |p| format!("{:.0}%", 100.0 * g / (p * t as f64)));
    for (((name, ..), (m, k, n)), (one, many)) in cells.iter().zip(one.iter().zip(&many)) {
        let one = one.expect("every cell is measured on one thread");
        let (many_g, many_p) =
            many.map_or(("–".to_string(), "–".to_string()), |g| (format!("{g:.1}"), pct(g, all)));
        println!("| {name} | {m}×{k}·{k}×{n} | {one:.1} | {} | {many_g} | {many_p} |", pct(one, 1));
    }
}

/// Deterministic values in [-0.5, 0.5).
fn fill(len: usize, seed: u64) -> Vec<f32> {
    kindling_tensor::Tensor::<f32>::uniform([len], -0.5, 0.5, &mut kindling_tensor::Rng::seed(seed)).to_vec()
}
