//! One TinyVGG training step (batch 32, 1×28×28 input, hidden 10, SGD lr 0.1): forward,
//! cross-entropy, backward, update. `fast_` runs every kernel fast, `naive_` every kernel
//! naive (the tensor crate's switch), so the gap is the whole story of the conv chapter.
//!
//! `cargo bench -p kindling-vision --bench tinyvgg_step`; threads: `RAYON_NUM_THREADS=1|2`.
//! Throughput is one step as one criterion "element", so `elem/s` reads as steps/s.
//! `benches/torch_reference.py` times the same step in PyTorch.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kindling_autograd::Variable;
use kindling_nn::{cross_entropy, Forward, Module};
use kindling_optim::{Optimizer, Sgd, SgdConfig};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use kindling_vision::models::TinyVgg;
use std::time::Duration;

fn step_bench(c: &mut Criterion, name: &str, mode: KernelMode, time: Duration) {
    let mut rng = Rng::seed(0);
    let model = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut rng);
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.1, ..SgdConfig::default() });
    let x = Variable::constant(Tensor::<f32>::rand([32, 1, 28, 28], &mut rng));
    let y = Tensor::<i64>::randint(0, 10, [32], &mut rng);
    let mut g = c.benchmark_group(name);
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(time);
    g.throughput(Throughput::Elements(1));
    g.bench_function("batch32_hidden10", |b| {
        b.iter(|| {
            with_kernel_mode(mode, || {
                opt.zero_grad();
                let loss = cross_entropy(&model.forward(&x), &y);
                loss.backward();
                opt.step();
            })
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    step_bench(c, "fast_tinyvgg_step", KernelMode::Fast, Duration::from_secs(3));
    step_bench(c, "naive_tinyvgg_step", KernelMode::Naive, Duration::from_secs(3));
}

criterion_group!(step, benches);
criterion_main!(step);
