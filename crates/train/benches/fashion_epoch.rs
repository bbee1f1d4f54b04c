//! One epoch of the course's Fashion-MNIST MLP (784-128-64-10, ReLU, Adam 1e-3, batch 64),
//! timed, with the share of the epoch the training loop spent waiting for its next batch.
//!
//! ```sh
//! KINDLING_DATASETS=../shared/datasets cargo bench -p kindling-train --bench fashion_epoch
//! /work/venv/bin/python crates/train/benches/torch_fashion_epoch.py   # PyTorch, same MLP
//! ```
//!
//! The loader builds batches on background workers (`workers(n)`); the wait share is the time
//! spent inside the batch iterator's `next` over the whole epoch's wall time
//! ([`kindling_train::EpochStats::wait_fraction`]). The target is under 5%.

use kindling_data::{datasets_dir, fashion_mnist, DataLoader, Split, TensorDataset};
use kindling_nn::{cross_entropy, Flatten, Linear, Module, ReLU, Sequential};
use kindling_optim::{Adam, AdamConfig};
use kindling_tensor::Tensor;
use kindling_train::metrics::Accuracy;
use kindling_train::{evaluate, seed_everything, train_epoch, EpochStats, Metric};

fn main() {
    let Ok(root) = datasets_dir() else {
        eprintln!("SKIPPED: KINDLING_DATASETS is unset; the Fashion-MNIST epoch benchmark did not run");
        return;
    };
    let dir = root.join("fashion-mnist");
    let train = fashion_mnist(&dir, Split::Train).expect("Fashion-MNIST training files").to_dataset();
    let test = fashion_mnist(&dir, Split::Test).expect("Fashion-MNIST test files").to_dataset();
    let test = DataLoader::new(test, 1000);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("Fashion-MNIST, one epoch of 60,000 images, MLP 784-128-64-10, Adam 1e-3, batch 64 ({threads} cores)");
    println!(
        "{:<10} {:>10} {:>14} {:>10} {:>10} {:>9}",
        "workers", "epoch s", "samples/s", "wait s", "wait %", "test acc"
    );
    // An untimed warm-up epoch: page in the data, start the thread pool.
    let _ = one_epoch(&train, &test, 0);
    for workers in [0, 1, 2] {
        let (stats, eval) = one_epoch(&train, &test, workers);
        println!(
            "{:<10} {:>10.3} {:>14.0} {:>10.3} {:>9.2}% {:>9.4}",
            workers,
            stats.seconds,
            stats.samples_per_second(),
            stats.wait_seconds,
            100.0 * stats.wait_fraction(),
            eval.metric("accuracy").unwrap_or(f64::NAN)
        );
    }
}

fn one_epoch(train: &TensorDataset, test: &DataLoader<TensorDataset>, workers: usize) -> (EpochStats, EpochStats) {
    let seed = seed_everything(0);
    let loader = DataLoader::new(train.clone(), 64).shuffle(true).seed(seed.loader()).workers(workers);
    let mut init = seed.init();
    let model = Sequential::new()
        .add(Flatten::new())
        .add(Linear::new(784, 128, &mut init))
        .add(ReLU)
        .add(Linear::new(128, 64, &mut init))
        .add(ReLU)
        .add(Linear::new(64, 10, &mut init));
    let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: 1e-3, ..Default::default() });
    let stats = train_epoch(&model, loader.iter_epoch(0), &cross_entropy, &mut optimizer);
    let mut metrics: Vec<Box<dyn Metric<Tensor<i64>>>> = vec![Box::new(Accuracy::new())];
    let eval = evaluate(&model, test.iter_epoch(0), &cross_entropy, &mut metrics);
    (stats, eval)
}
