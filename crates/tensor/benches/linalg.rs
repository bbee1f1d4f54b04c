//! `linalg` benches: naive against fast on one thread, for each op at a few sizes.
//!
//! `cargo bench -p kindling-tensor --bench linalg` (a few minutes), or filter by group:
//! `-- cholesky`. Group names: `{naive,fast}_{op}`, the parameter is n (`lstsq_tall` is 2n × n).
//! Adding an op is one line in [`OPS`]. The NumPy comparison is the example
//! `linalg_vs_numpy` (peer: `tools/peers/linalg_numpy.py`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kindling_tensor::{linalg, with_kernel_mode, KernelMode, Rng, Tensor};
use std::hint::black_box;
use std::time::Duration;

type Call = fn(&Tensor<f64>, &Tensor<f64>);

/// (name, tall input, the call timed on `(a, b)`; `a` is SPD for cholesky, else Gaussian plus
/// `√n·I`, `b` has as many rows as `a` and 8 columns).
const OPS: &[(&str, bool, Call)] = &[
    ("cholesky", false, |a, _| drop(black_box(linalg::cholesky(a).unwrap()))),
    ("solve", false, |a, b| drop(black_box(linalg::solve(a, b).unwrap()))),
    ("inv", false, |a, _| drop(black_box(linalg::inv(a).unwrap()))),
    ("det", false, |a, _| {
        black_box(linalg::det(a));
    }),
    ("solve_triangular", false, |a, b| drop(black_box(linalg::solve_triangular(a, b, true).unwrap()))),
    ("lstsq", false, |a, b| drop(black_box(linalg::lstsq(a, b, None)))),
    ("lstsq_tall", true, |a, b| drop(black_box(linalg::lstsq(a, b, None)))),
];

const SIZES: [usize; 3] = [64, 128, 256];

fn input(name: &str, tall: bool, n: usize) -> (Tensor<f64>, Tensor<f64>) {
    let mut rng = Rng::seed(n as u64);
    let rows = if tall { 2 * n } else { n };
    let g = Tensor::<f64>::randn([rows, n], &mut rng);
    let a = match name {
        "cholesky" => g.matmul(&g.t()) + Tensor::eye(n) * n as f64,
        _ if tall => g,
        _ => g + Tensor::eye(n) * (n as f64).sqrt(),
    };
    (a, Tensor::randn([rows, 8], &mut rng))
}

fn linalg_ops(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a rayon pool");
    for &(name, tall, call) in OPS {
        for (mode, prefix) in [(KernelMode::Naive, "naive"), (KernelMode::Fast, "fast")] {
            let mut g = c.benchmark_group(format!("{prefix}_{name}"));
            g.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_secs(1));
            for n in SIZES {
                let (a, b) = input(name, tall, n);
                g.bench_function(BenchmarkId::from_parameter(n), |bench| {
                    pool.install(|| bench.iter(|| with_kernel_mode(mode, || call(&a, &b))))
                });
            }
            g.finish();
        }
    }
}

criterion_group!(benches, linalg_ops);
criterion_main!(benches);
