//! Trains a small MLP on the two-moons data with `fit` and draws every plot of the crate.
//!
//! ```sh
//! cargo run --release -p kindling-train --example moons -- out/   # writes PNGs into out/
//! ```

use kindling_data::datasets::FASHION_MNIST_CLASSES;
use kindling_data::{synthetic, DataLoader, TensorDataset};
use kindling_nn::{cross_entropy, Linear, Module, ReLU, Sequential};
use kindling_optim::{Adam, AdamConfig};
use kindling_tensor::Tensor;
use kindling_train::metrics::{self, Accuracy, ClassScore};
use kindling_train::plot::{self, PlotOptions};
use kindling_train::{predict, seed_everything, Average, ConfusionMatrix, EarlyStopping, Trainer};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "kindling-plots".into()));
    std::fs::create_dir_all(&out)?;
    let seed = seed_everything(0);

    let (x, y) = synthetic::moons(1000, 0.15, 1);
    let (tx, ty) = synthetic::moons(400, 0.15, 2);
    let train = DataLoader::new(TensorDataset::new(x, y), 32).shuffle(true).seed(seed.loader());
    let test = DataLoader::new(TensorDataset::new(tx.clone(), ty.clone()), 400);

    let mut init = seed.init();
    let model = Sequential::new()
        .add(Linear::new(2, 32, &mut init))
        .add(ReLU)
        .add(Linear::new(32, 32, &mut init))
        .add(ReLU)
        .add(Linear::new(32, 2, &mut init));
    let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: 0.01, ..Default::default() });
    let mut trainer = Trainer::new(&model, &mut optimizer, cross_entropy)
        .metric(Accuracy::new())
        .metric(ClassScore::f1(Average::Macro))
        .callback(EarlyStopping::new("val_loss", 5))
        .checkpoint(out.join("moons.safetensors"), 5);
    let history = trainer.fit(&train, Some(&test), 30)?.clone();
    println!("{}", history.epoch_log(history.len() - 1).summary());
    history.save_json(out.join("history.json"))?;
    history.save_csv(out.join("history.csv"))?;

    plot::history(&history, out.join("history.png"), &PlotOptions::default().title("MLP on moons"))?;
    let predicted = metrics::predicted_classes(&predict(&model, &tx));
    let cm = ConfusionMatrix::from_labels(&ty.to_vec(), &predicted, 2);
    println!("{cm}");
    plot::confusion_matrix(&cm, &["upper", "lower"], out.join("confusion.png"), &PlotOptions::sized(500, 500))?;
    plot::decision_boundary(
        |grid| metrics::predicted_classes(&predict(&model, grid)),
        &tx,
        &ty.to_vec(),
        150,
        out.join("boundary.png"),
        &PlotOptions::default(),
    )?;

    // The line of the workflow chapter and an image grid, with stand-in predictions.
    let (lx, ly) = synthetic::linear(50, 0.7, 0.3, 0.02, 3);
    let guess: Vec<f32> = lx.to_vec().iter().map(|x| 0.6 * x + 0.35).collect();
    plot::predictions(&lx.to_vec(), &ly.to_vec(), &guess, out.join("predictions.png"), &PlotOptions::default())?;
    let images =
        Tensor::from_vec((0..8 * 28 * 28).map(|i| ((i / 28 + i % 28) % 28) as f32 / 27.0).collect(), [8, 28, 28]);
    let names: Vec<&str> = FASHION_MNIST_CLASSES.to_vec();
    plot::image_grid(
        &images,
        &[0, 1, 2, 3, 4, 5, 6, 7],
        Some(&[0, 1, 2, 3, 4, 5, 0, 7]),
        &names,
        4,
        out.join("images.png"),
        &PlotOptions::sized(800, 450),
    )?;
    println!("plots written to {}", out.display());
    Ok(())
}
