//! Whole training steps under criterion: the course MLP (784-256-128-10, batch 128) with SGD
//! and with Adam, and TinyVGG (batch 32) with SGD, exactly the rows of `kindling bench train`
//! (which prints them as one table beside the inference latencies). Throughput is one step per
//! element, so `elem/s` reads as steps/s.
//!
//! `cargo bench --bench train_step`; threads: `RAYON_NUM_THREADS=1|2`. PyTorch and JAX time the
//! same steps with `tools/peers/train_step.py`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kindling::autograd::Variable;
use kindling::bench::train::{mlp, train_step};
use kindling::nn::Module;
use kindling::optim::{Adam, AdamConfig, Sgd, SgdConfig};
use kindling::tensor::{Rng, Tensor};
use kindling::vision::models::TinyVgg;
use std::time::Duration;

fn steps(c: &mut Criterion) {
    let mut g = c.benchmark_group("train_step");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(1));
    let mut rng = Rng::seed(0);
    let x = Variable::constant(Tensor::<f32>::rand([128, 784], &mut rng));
    let y = Tensor::<i64>::randint(0, 10, [128], &mut rng);

    let model = mlp(&mut rng);
    let mut sgd = Sgd::new(model.parameters(), SgdConfig { lr: 0.01, ..SgdConfig::default() });
    g.bench_function("mlp_sgd_b128", |b| b.iter(|| train_step(&model, &mut sgd, &x, &y)));

    let model = mlp(&mut rng);
    let mut adam = Adam::new(model.parameters(), AdamConfig { lr: 1e-3, ..AdamConfig::default() });
    g.bench_function("mlp_adam_b128", |b| b.iter(|| train_step(&model, &mut adam, &x, &y)));

    let vgg = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut rng);
    let mut sgd = Sgd::new(vgg.parameters(), SgdConfig { lr: 0.1, ..SgdConfig::default() });
    let images = Variable::constant(Tensor::<f32>::rand([32, 1, 28, 28], &mut rng));
    let labels = Tensor::<i64>::randint(0, 10, [32], &mut rng);
    g.bench_function("tinyvgg_sgd_b32", |b| b.iter(|| train_step(&vgg, &mut sgd, &images, &labels)));
    g.finish();
}

criterion_group!(train, steps);
criterion_main!(train);
