//! One epoch of TinyVGG (hidden 10) on Fashion-MNIST's 60,000 training images: batch 32,
//! SGD lr 0.1, shuffled, through `kindling_train::train_epoch` as chapter 7 trains it; then
//! the test accuracy, so a fast epoch that learns nothing would show.
//!
//! ```sh
//! KINDLING_DATASETS=../shared/datasets RAYON_NUM_THREADS=1 cargo bench -p kindling-vision --bench tinyvgg_epoch
//! KINDLING_DATASETS=../shared/datasets /work/venv/bin/python crates/vision/benches/torch_reference.py --only epoch --threads 1
//! ```
//!
//! Prints the epoch's seconds and images per second, best of `KINDLING_EPOCHS` runs (default
//! 2) after an untimed warm-up of 200 batches. Threads: `RAYON_NUM_THREADS`.

use kindling_data::datasets::{fashion_mnist, Split};
use kindling_data::{datasets_dir, DataLoader, TensorDataset};
use kindling_nn::{cross_entropy, Module};
use kindling_optim::{Sgd, SgdConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_train::metrics::Accuracy;
use kindling_train::{evaluate, train_epoch, Metric};
use kindling_vision::models::TinyVgg;

fn load(split: Split) -> TensorDataset {
    let dir = datasets_dir().expect("checked in main").join("fashion-mnist");
    let raw = fashion_mnist(&dir, split).expect("Fashion-MNIST files (see README, Data)");
    let n = raw.len() as isize;
    let x = (raw.images.cast::<f32>() * (1.0 / 255.0)).reshape([n, 1, 28, 28]);
    TensorDataset::new(x, raw.labels.cast::<i64>())
}

fn main() {
    if datasets_dir().is_err() {
        eprintln!("SKIPPED: KINDLING_DATASETS is unset; the TinyVGG epoch benchmark did not run");
        return;
    }
    let (train, test) = (load(Split::Train), load(Split::Test));
    let epochs: usize = std::env::var("KINDLING_EPOCHS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let threads = rayon::current_num_threads();
    println!("Fashion-MNIST, TinyVGG hidden 10, SGD lr 0.1, batch 32, {threads} thread(s)");
    let mut rng = Rng::seed(0);
    let model = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut rng);
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.1, ..SgdConfig::default() });
    let loader = DataLoader::new(train, 32).shuffle(true).seed(0).workers(1);
    // Warm-up: page in the data, fill the buffer cache, start the thread pool.
    let _ = train_epoch(&model, loader.iter_epoch(100).take(200), &cross_entropy, &mut opt);
    let mut best = f64::INFINITY;
    for epoch in 0..epochs {
        let stats = train_epoch(&model, loader.iter_epoch(epoch as u64), &cross_entropy, &mut opt);
        println!("epoch {epoch}: {:.2} s, {:.0} images/s", stats.seconds, stats.samples_per_second());
        best = best.min(stats.seconds);
    }
    let mut metrics: Vec<Box<dyn Metric<Tensor<i64>>>> = vec![Box::new(Accuracy::new())];
    let eval = evaluate(&model, DataLoader::new(test, 1000).iter_epoch(0), &cross_entropy, &mut metrics);
    let accuracy = eval.metric("accuracy").unwrap_or(f64::NAN);
    println!("kindling_tinyvgg_epoch: {best:.2} s ({:.0} images/s), test accuracy {accuracy:.4}", 60000.0 / best);
}
