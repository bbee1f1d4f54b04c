//! Memory-bound kernel benches: `naive_X` (the Tensor op under `KernelMode::Naive`) against
//! `fast_X` (the fast kernel on preallocated slices) for elementwise ops, reductions and softmax,
//! at 4K, 64K and 4M f32 elements (square matrices).
//!
//! `cargo bench -p kindling-tensor --bench memory` (a few minutes), or filter: `-- exp`.
//! The 4K size stays in L1/L2: with `RAYON_NUM_THREADS=1` its time per element is a kernel's
//! compute floor, which the 4M size can approach but not beat (see the README).
//! Throughput is in bytes read + written, so criterion's `GiB/s` compares directly with the
//! copy bandwidth that `kindling bench memory` prints. `fast_*` runs on the global rayon pool
//! (all cores); the naive kernels are single-threaded.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kindling_tensor::kernel_api::elementwise::{self as ew, binary_op};
use kindling_tensor::kernel_api::{reduce as red, softmax as sm, BinaryOp, ReduceOp, UnaryOp};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use std::hint::black_box;
use std::time::Duration;

/// Square sides: 4K, 64K and 4M elements.
const SIDES: [usize; 3] = [64, 256, 2048];

struct Inputs {
    n: usize,
    a: Tensor<f32>,
    b: Tensor<f32>,
    bias: Tensor<f32>,
    out: Vec<f32>,
    small: Vec<f32>,
}

impl Inputs {
    fn new(n: usize) -> Self {
        let mut rng = Rng::seed(0);
        Inputs {
            n,
            a: Tensor::<f32>::rand(&[n, n][..], &mut rng),
            b: Tensor::<f32>::rand(&[n, n][..], &mut rng),
            bias: Tensor::<f32>::rand(&[n][..], &mut rng),
            out: vec![0.0; n * n],
            small: vec![0.0; n],
        }
    }
}

type Naive = fn(&Inputs);
type Fast = fn(&mut Inputs);

/// One kernel: name, bytes moved per input element (read + write; a reduction's small output
/// is not counted), naive and fast runs.
struct Case(&'static str, f64, Naive, Fast);

fn naive<R>(f: impl FnOnce() -> R) {
    black_box(with_kernel_mode(KernelMode::Naive, f));
}

fn cases() -> Vec<Case> {
    vec![
        Case(
            "add",
            12.0,
            |d| naive(|| &d.a + &d.b),
            |d| {
                let (a, b) = (d.a.as_slice().unwrap(), d.b.as_slice().unwrap());
                ew::binary(BinaryOp::Add, a, b, &mut d.out)
            },
        ),
        Case(
            "mul",
            12.0,
            |d| naive(|| &d.a * &d.b),
            |d| {
                let (a, b) = (d.a.as_slice().unwrap(), d.b.as_slice().unwrap());
                ew::binary(BinaryOp::Mul, a, b, &mut d.out)
            },
        ),
        // The broadcast goes through the Tensor op on both sides (the broadcasting lives there).
        Case(
            "add_row_vector",
            8.0,
            |d| naive(|| &d.a + &d.bias),
            |d| {
                black_box(binary_op(BinaryOp::Add, &d.a, &d.bias));
            },
        ),
        Case("relu", 8.0, |d| naive(|| d.a.relu()), |d| ew::unary(UnaryOp::Relu, d.a.as_slice().unwrap(), &mut d.out)),
        Case("exp", 8.0, |d| naive(|| d.a.exp()), |d| ew::unary(UnaryOp::Exp, d.a.as_slice().unwrap(), &mut d.out)),
        Case("tanh", 8.0, |d| naive(|| d.a.tanh()), |d| ew::unary(UnaryOp::Tanh, d.a.as_slice().unwrap(), &mut d.out)),
        Case(
            "sigmoid",
            8.0,
            |d| naive(|| d.a.sigmoid()),
            |d| ew::unary(UnaryOp::Sigmoid, d.a.as_slice().unwrap(), &mut d.out),
        ),
        Case("erf", 8.0, |d| naive(|| d.a.erf()), |d| ew::unary(UnaryOp::Erf, d.a.as_slice().unwrap(), &mut d.out)),
        Case(
            "sum_rows",
            4.0,
            |d| naive(|| d.a.sum(1, false)),
            |d| {
                let n = d.n;
                red::reduce(ReduceOp::Sum, d.a.as_slice().unwrap(), n, n, 1, &mut d.small)
            },
        ),
        Case(
            "sum_cols",
            4.0,
            |d| naive(|| d.a.sum(0, false)),
            |d| {
                let n = d.n;
                red::reduce(ReduceOp::Sum, d.a.as_slice().unwrap(), 1, n, n, &mut d.small)
            },
        ),
        Case(
            "max_rows",
            4.0,
            |d| naive(|| d.a.max(1, false)),
            |d| {
                let n = d.n;
                red::reduce(ReduceOp::Max, d.a.as_slice().unwrap(), n, n, 1, &mut d.small)
            },
        ),
        Case(
            "max_cols",
            4.0,
            |d| naive(|| d.a.max(0, false)),
            |d| {
                let n = d.n;
                red::reduce(ReduceOp::Max, d.a.as_slice().unwrap(), 1, n, n, &mut d.small)
            },
        ),
        Case(
            "softmax_rows",
            8.0,
            |d| naive(|| d.a.softmax(-1)),
            |d| {
                let n = d.n;
                sm::softmax(d.a.as_slice().unwrap(), n, n, 1, &mut d.out, false)
            },
        ),
        Case(
            "log_softmax_rows",
            8.0,
            |d| naive(|| d.a.log_softmax(-1)),
            |d| {
                let n = d.n;
                sm::softmax(d.a.as_slice().unwrap(), n, n, 1, &mut d.out, true)
            },
        ),
        Case(
            "softmax_cols",
            8.0,
            |d| naive(|| d.a.softmax(0)),
            |d| {
                let n = d.n;
                sm::softmax(d.a.as_slice().unwrap(), 1, n, n, &mut d.out, false)
            },
        ),
    ]
}

fn memory(c: &mut Criterion) {
    for Case(name, bytes_per_element, naive_run, fast_run) in cases() {
        let mut g = c.benchmark_group(name);
        g.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_millis(800));
        for n in SIDES {
            let mut d = Inputs::new(n);
            g.throughput(Throughput::Bytes((bytes_per_element * (n * n) as f64) as u64));
            let size = format!("{}", n * n);
            g.bench_function(BenchmarkId::new(format!("naive_{name}"), &size), |bench| bench.iter(|| naive_run(&d)));
            g.bench_function(BenchmarkId::new(format!("fast_{name}"), &size), |bench| bench.iter(|| fast_run(&mut d)));
        }
        g.finish();
    }
}

criterion_group!(benches, memory);
criterion_main!(benches);
