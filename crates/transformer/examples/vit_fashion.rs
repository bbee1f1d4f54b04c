//! The vision transformer on Fashion-MNIST (book chapter 15): trains
//! `VitConfig::fashion_mnist()` with `VitTrainConfig::fashion_mnist()` (AdamW, warm-up then
//! cosine; `--augment` adds flips and shifts), printing the test accuracy and the time of every epoch, and
//! writes the curve as JSON when asked.
//!
//! ```text
//! KINDLING_DATASETS=/work/shared/datasets RAYON_NUM_THREADS=2 \
//!     cargo run --release -p kindling-transformer --example vit_fashion -- \
//!     [--epochs 8] [--batch 128] [--lr 0.002] [--seed 0] [--max-steps N] [--augment] [--curve out.json]
//! ```
//!
//! `--step` instead times the training step on random images (the same model, batch and
//! optimizer as `tools/peers/vit_torch.py`): the median milliseconds over `--steps` steps after
//! `--warmup`. The threads are rayon's global pool (`RAYON_NUM_THREADS`).

use kindling_autograd::Variable;
use kindling_data::{fashion_mnist, Split};
use kindling_nn::{cross_entropy, Module};
use kindling_optim::{adamw_decay_matrices, AdamWConfig, Optimizer};
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::vit::{Vit, VitConfig, VitTrainConfig, VitTrainer};
use std::time::Instant;

fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .map(|i| args.get(i + 1).unwrap_or_else(|| panic!("{name} needs a value")).as_str())
}

fn number<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    value(args, name).map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name}: `{v}` is not a number")))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Median milliseconds of a training step (zero_grad, forward, loss, backward, AdamW).
fn time_step(config: VitConfig, batch: usize, steps: usize, warmup: usize) {
    let mut rng = Rng::seed(0);
    let model = Vit::<f32>::new(config, &mut rng);
    let adamw = AdamWConfig { lr: 1e-3, weight_decay: 0.05, ..AdamWConfig::default() };
    let mut opt = adamw_decay_matrices(model.named_parameters(), adamw);
    let mut times = Vec::new();
    let mut last = 0.0;
    for step in 0..warmup + steps {
        let side = config.image_size;
        let x = Tensor::<f32>::rand([batch, config.in_channels, side, side], &mut rng);
        let y = Tensor::from_vec((0..batch).map(|_| rng.below(config.num_classes as u64) as i64).collect(), [batch]);
        let start = Instant::now();
        opt.zero_grad();
        let loss = cross_entropy(&model.forward(&Variable::constant(x)), &y);
        loss.backward();
        opt.step();
        if step >= warmup {
            times.push(start.elapsed().as_secs_f64());
        }
        last = loss.item();
    }
    let ms = median(times) * 1e3;
    println!(
        "kindling vit step: batch {batch}, threads {}: median {ms:.2} ms/step ({:.0} images/s), last loss {last:.4}",
        rayon::current_num_threads(),
        batch as f64 / ms * 1e3
    );
}

fn images(split: &kindling_data::LabeledImages) -> (Tensor<f32>, Tensor<i64>) {
    let n = split.len();
    let x = (split.images.cast::<f32>() * (1.0 / 255.0)).reshape([n as isize, 1, 28, 28]);
    (x, split.labels.cast::<i64>())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = VitConfig {
        patch_size: number(&args, "--patch", 7),
        dim: number(&args, "--dim", 64),
        depth: number(&args, "--depth", VitConfig::fashion_mnist().depth),
        heads: number(&args, "--heads", 4),
        mlp_dim: number(&args, "--mlp", 128),
        ..VitConfig::fashion_mnist()
    };
    let defaults = VitTrainConfig::fashion_mnist();
    let batch = number(&args, "--batch", defaults.batch_size);
    if args.iter().any(|a| a == "--step") {
        time_step(config, batch, number(&args, "--steps", 20), number(&args, "--warmup", 3));
        return Ok(());
    }
    let Ok(root) = std::env::var("KINDLING_DATASETS") else {
        eprintln!("SKIPPED: KINDLING_DATASETS is unset (point it at the folder holding fashion-mnist/)");
        return Ok(());
    };
    let dir = std::path::Path::new(&root).join("fashion-mnist");
    let (train_x, train_y) = images(&fashion_mnist(&dir, Split::Train)?);
    let (test_x, test_y) = images(&fashion_mnist(&dir, Split::Test)?);
    let train = VitTrainConfig {
        epochs: number(&args, "--epochs", defaults.epochs),
        batch_size: batch,
        lr: number(&args, "--lr", defaults.lr),
        weight_decay: number(&args, "--wd", defaults.weight_decay),
        warmup_steps: number(&args, "--warmup-steps", defaults.warmup_steps),
        augment: args.iter().any(|a| a == "--augment"),
        max_steps_per_epoch: value(&args, "--max-steps").map(|v| v.parse().expect("--max-steps: a number")),
        seed: number(&args, "--seed", defaults.seed),
        ..defaults
    };
    let model = Vit::<f32>::new(config, &mut Rng::seed(train.seed));
    println!("{config:?}\n{} parameters, {train:?}, {} threads", model.num_parameters(), rayon::current_num_threads());
    let mut trainer = VitTrainer::new(&model, &train, train_y.numel());
    let history = trainer.run((&train_x, &train_y), (&test_x, &test_y), |e| {
        println!(
            "epoch {:2}: train loss {:.4}, test loss {:.4}, test accuracy {:.2}%, {:.1} s ({:.1} ms/step)",
            e.epoch,
            e.train_loss,
            e.test_loss,
            100.0 * e.test_accuracy,
            e.seconds,
            1e3 * e.seconds / e.steps as f64
        );
    });
    let last = history.last().expect("at least one epoch");
    let total: f64 = history.iter().map(|e| e.seconds).sum();
    println!(
        "final test accuracy {:.2}% after {} epochs, {total:.0} s of training ({:.1} s/epoch)",
        100.0 * last.test_accuracy,
        history.len(),
        total / history.len() as f64
    );
    if let Some(path) = value(&args, "--curve") {
        let epochs: Vec<serde_json::Value> = history
            .iter()
            .map(|e| {
                serde_json::json!({"epoch": e.epoch, "train_loss": e.train_loss, "test_loss": e.test_loss,
                    "test_accuracy": e.test_accuracy, "seconds": e.seconds, "steps": e.steps})
            })
            .collect();
        let json = serde_json::json!({
            "model": format!("{config:?}"), "parameters": model.num_parameters(),
            "train": format!("{train:?}"), "threads": rayon::current_num_threads(), "epochs": epochs,
        });
        kindling_tensor::io::write_atomic(std::path::Path::new(path), serde_json::to_string_pretty(&json)?.as_bytes())?;
        println!("wrote {path}");
    }
    Ok(())
}
