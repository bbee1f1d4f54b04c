//! The symmetric eigendecomposition and the SVD, naive (Jacobi) against fast (tridiagonal QL +
//! inverse iteration; Gram-preconditioned Jacobi), one thread.
//!
//! Criterion: `cargo bench -p kindling-tensor --bench linalg_spectral` (a few minutes), or
//! filter by group: `-- eigh/fast`. Groups: `eigh/{naive,fast}`, `eigvalsh/fast`,
//! `svd/{naive,fast}` (square n×n) and `svd_tall/fast` (2n×n), parameter n.
//!
//! Table mode for the NumPy comparison: `SPECTRAL_TABLE=512 cargo bench -p kindling-tensor
//! --bench linalg_spectral` prints one line of medians (ms) for that n and exits, so that a
//! driver can alternate it with NumPy in one run (`tools/peers/linalg_numpy.py` has the
//! NumPy side).

use criterion::{BenchmarkId, Criterion};
use kindling_tensor::{linalg, with_kernel_mode, KernelMode, Rng, Tensor};
use std::time::{Duration, Instant};

fn symmetric(n: usize) -> Tensor<f64> {
    let x = Tensor::<f64>::randn([n, n], &mut Rng::seed(n as u64));
    (&x + &x.t()) * 0.5
}

fn general(m: usize, n: usize) -> Tensor<f64> {
    Tensor::<f64>::randn([m, n], &mut Rng::seed((m * 7 + n) as u64))
}

fn pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a rayon pool")
}

/// Median milliseconds of `reps` runs of `f`.
fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

fn table(n: usize) {
    let reps = if n >= 1024 {
        3
    } else if n >= 512 {
        5
    } else {
        11
    };
    let (s, a, tall) = (symmetric(n), general(n, n), general(2 * n, n));
    pool().install(|| {
        with_kernel_mode(KernelMode::Fast, || {
            let eigh = median_ms(reps, || drop(std::hint::black_box(linalg::eigh(&s).unwrap())));
            let eigvalsh = median_ms(reps, || drop(std::hint::black_box(linalg::eigvalsh(&s).unwrap())));
            let svd = median_ms(reps, || drop(std::hint::black_box(linalg::svd(&a).unwrap())));
            let svd_tall = median_ms(reps, || drop(std::hint::black_box(linalg::svd(&tall).unwrap())));
            println!("kindling n={n} eigh={eigh:.3} eigvalsh={eigvalsh:.3} svd={svd:.3} svd_tall={svd_tall:.3}");
        })
    });
}

fn benches(c: &mut Criterion) {
    let pool = pool();
    for (mode, name, sizes) in
        [(KernelMode::Naive, "naive", &[32usize, 128][..]), (KernelMode::Fast, "fast", &[128, 256, 512, 1024][..])]
    {
        for (op, shape) in [("eigh", 0usize), ("svd", 1), ("svd_tall", 2), ("eigvalsh", 3)] {
            if mode == KernelMode::Naive && op != "eigh" && op != "svd" {
                continue;
            }
            let mut g = c.benchmark_group(format!("{op}/{name}"));
            g.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_secs(2));
            for &n in sizes {
                let x = match shape {
                    0 | 3 => symmetric(n),
                    1 => general(n, n),
                    _ => general(2 * n, n),
                };
                g.bench_with_input(BenchmarkId::from_parameter(n), &x, |bench, x| {
                    pool.install(|| {
                        with_kernel_mode(mode, || match shape {
                            0 => bench.iter(|| linalg::eigh(x).unwrap()),
                            3 => bench.iter(|| linalg::eigvalsh(x).unwrap()),
                            _ => bench.iter(|| linalg::svd(x).unwrap()),
                        })
                    })
                });
            }
            g.finish();
        }
    }
}

fn main() {
    if let Ok(n) = std::env::var("SPECTRAL_TABLE") {
        table(n.parse().expect("SPECTRAL_TABLE: a matrix size"));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
