//! TinyVGG on Fashion-MNIST, as in the course: hidden 10, batch 32, SGD lr 0.1, 3 epochs,
//! images scaled to [0, 1]. Prints the loss and test accuracy after every epoch and the
//! training speed.
//!
//! `KINDLING_DATASETS=../shared/datasets cargo run --release -p kindling-vision --example fashion_mnist_tinyvgg [epochs] [seed]`

use kindling_autograd::{no_grad, Variable};
use kindling_data::{fashion_mnist, DataLoader, Dataset, Split};
use kindling_nn::{cross_entropy, Forward, Module};
use kindling_optim::{Optimizer, Sgd, SgdConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_vision::models::TinyVgg;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let epochs: u64 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(3);
    let seed: u64 = std::env::args().nth(2).map(|a| a.parse()).transpose()?.unwrap_or(42);
    let Ok(root) = std::env::var("KINDLING_DATASETS") else {
        eprintln!("SKIPPED: KINDLING_DATASETS is unset");
        return Ok(());
    };
    let dir = std::path::Path::new(&root).join("fashion-mnist");
    let train = fashion_mnist(&dir, Split::Train)?.to_dataset();
    let test = fashion_mnist(&dir, Split::Test)?.to_dataset();
    let mut rng = Rng::seed(seed);
    let model = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut rng);
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.1, ..SgdConfig::default() });
    let loader = DataLoader::new(train, 32).shuffle(true).seed(seed);
    let as_images = |x: Tensor<f32>| {
        let n = x.shape()[0] as isize;
        x.reshape([n, 1, 28, 28])
    };
    for epoch in 0..epochs {
        model.train();
        let (start, mut steps, mut total) = (Instant::now(), 0usize, 0f64);
        for (x, y) in loader.iter_epoch(epoch) {
            opt.zero_grad();
            let loss = cross_entropy(&model.forward(&Variable::constant(as_images(x))), &y);
            loss.backward();
            opt.step();
            total += loss.item() as f64;
            steps += 1;
            if steps % 300 == 0 {
                println!("  step {steps}: mean loss so far {:.4}", total / steps as f64);
            }
        }
        let secs = start.elapsed().as_secs_f64();
        model.eval();
        let mut correct = 0usize;
        no_grad(|| {
            for first in (0..test.len()).step_by(1000) {
                let idx: Vec<usize> = (first..(first + 1000).min(test.len())).collect();
                let (x, y) = test.get_batch(&idx);
                let logits = model.forward(&Variable::constant(as_images(x))).value();
                let pred = logits.argmax(-1, false).to_vec();
                correct += pred.iter().zip(y.to_vec()).filter(|(p, t)| **p == *t).count();
            }
        });
        println!(
            "epoch {} loss {:.4} test accuracy {:.2}% ({:.1} steps/s, {:.1} s)",
            epoch + 1,
            total / steps as f64,
            100.0 * correct as f64 / test.len() as f64,
            steps as f64 / secs,
            secs
        );
    }
    Ok(())
}
