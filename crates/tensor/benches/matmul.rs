//! Matmul benches: every f32 version of the catalogue (`kernel_api::versions`), the naive oracle and the
//! fast dispatcher, from tiny to large squares plus the MLP layer shapes.
//!
//! `cargo bench -p kindling-tensor --bench matmul` (a few minutes), or filter: `-- v4_`.
//! Throughput is counted in flops (2·m·n·k) as criterion "elements", so `Gelem/s` reads as
//! GFLOP/s. `fast_*` runs on the global rayon pool (all cores); `v1`..`v4` are single-threaded.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kindling_tensor::kernel_api::{gemm, naive_gemm, versions, MatRef};
use std::time::Duration;

type Sgemm = fn(MatRef<f32>, MatRef<f32>, &mut [f32]);

const SQUARES: [usize; 6] = [64, 128, 256, 512, 1024, 2048];
/// (m, k, n) of the course MLP: batch 128 through 784 → 256 → 128.
const MLP: [(usize, usize, usize); 2] = [(128, 784, 256), (128, 256, 128)];

/// Deterministic values in [-0.5, 0.5).
fn fill(len: usize, seed: u64) -> Vec<f32> {
    kindling_tensor::Tensor::<f32>::uniform([len], -0.5, 0.5, &mut kindling_tensor::Rng::seed(seed)).to_vec()
}

fn bench_shapes(c: &mut Criterion, group: &str, f: Sgemm, shapes: &[(usize, usize, usize)]) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for &(m, k, n) in shapes {
        let (a, b) = (fill(m * k, 1), fill(k * n, 2));
        let mut out = vec![0f32; m * n];
        g.throughput(Throughput::Elements(2 * (m * n * k) as u64));
        g.bench_function(BenchmarkId::from_parameter(format!("{m}x{k}x{n}")), |bench| {
            bench.iter(|| f(MatRef::row_major(&a, m, k), MatRef::row_major(&b, k, n), &mut out))
        });
    }
    g.finish();
}

fn squares(max: usize) -> Vec<(usize, usize, usize)> {
    SQUARES.iter().filter(|&&s| s <= max).map(|&s| (s, s, s)).collect()
}

fn benches(c: &mut Criterion) {
    bench_shapes(c, "naive_sgemm", naive_gemm::<f32>, &squares(256));
    bench_shapes(c, "v1_naive_sgemm", versions::v1_naive, &squares(512));
    bench_shapes(c, "v2_loop_order_sgemm", versions::v2_loop_order, &squares(1024));
    bench_shapes(c, "v3_blocked_sgemm", versions::v3_blocked, &squares(1024));
    bench_shapes(c, "v4_packed_simd_sgemm", versions::v4_packed_simd, &squares(2048));
    bench_shapes(c, "v5_threaded_sgemm", versions::v5_threaded, &squares(2048));
    bench_shapes(c, "fast_sgemm", gemm::<f32>, &squares(2048));
    bench_shapes(c, "fast_sgemm_mlp", gemm::<f32>, &MLP);
    bench_shapes(c, "v4_packed_simd_sgemm_mlp", versions::v4_packed_simd, &MLP);
    bench_shapes(c, "naive_sgemm_mlp", naive_gemm::<f32>, &MLP);
}

/// f64 (used by gradient checks): speed matters less, so a short sweep.
fn bench_dgemm(c: &mut Criterion) {
    let mut g = c.benchmark_group("fast_dgemm");
    g.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for s in [64, 256, 512] {
        let a: Vec<f64> = fill(s * s, 1).into_iter().map(f64::from).collect();
        let b: Vec<f64> = fill(s * s, 2).into_iter().map(f64::from).collect();
        let mut out = vec![0f64; s * s];
        g.throughput(Throughput::Elements(2 * (s * s * s) as u64));
        g.bench_function(BenchmarkId::from_parameter(format!("{s}x{s}x{s}")), |bench| {
            bench.iter(|| gemm(MatRef::row_major(&a, s, s), MatRef::row_major(&b, s, s), &mut out))
        });
    }
    g.finish();
}

/// (m, k, n) of decoding one token with a KV cache: `x · Wᵀ` for the tiny GPT's layers (width
/// 128, MLP 512, vocabulary 65) and a GPT-2-small layer with a batch of four.
const DECODE: [(usize, usize, usize); 5] = [(1, 128, 384), (1, 128, 512), (1, 512, 128), (1, 128, 65), (4, 768, 768)];

/// v6 against the packed kernel on decoding's products, `b` a transposed weight as in `x · Wᵀ`.
fn bench_skinny(c: &mut Criterion) {
    let mut g = c.benchmark_group("skinny_sgemm");
    g.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (m, k, n) in DECODE {
        let (x, w) = (fill(m * k, 1), fill(n * k, 2));
        let mut out = vec![0f32; m * n];
        let wt = MatRef::row_major(&w, n, k).t();
        g.throughput(Throughput::Elements(2 * (m * n * k) as u64));
        for (name, f) in [("skinny", gemm::<f32> as Sgemm), ("v4_packed", versions::v4_packed_simd as Sgemm)] {
            g.bench_function(BenchmarkId::new(name, format!("{m}x{k}x{n}")), |bench| {
                bench.iter(|| f(MatRef::row_major(&x, m, k), wt, &mut out))
            });
        }
    }
    g.finish();
}

criterion_group!(matmul, benches, bench_dgemm, bench_skinny);
criterion_main!(matmul);
