//! Chapter 3 of the Kindling book: the workflow end to end, on linear regression.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch03-workflow`) runs it and writes what the chapter
//! shows. Your exercises are in [`exercises`]; check them with
//! `cargo test -p ch03-workflow --features learner`.

use kindling_autograd::{no_grad, Variable};
use kindling_data::{split, synthetic, DataLoader, TensorDataset};
use kindling_nn::{mse_loss, Forward, Linear, Module, Reduction, Sequential, Tanh};
use kindling_optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_train::metrics::{ErrorKind, RegressionError};
use kindling_train::{History, Progress, Trainer};
use std::path::Path;

pub mod exercises;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

// ANCHOR: data
/// The line the data comes from; training should find these two numbers.
pub const TRUE_WEIGHT: f32 = 0.7;
pub const TRUE_BIAS: f32 = 0.3;
/// The standard deviation of the noise added to every target.
pub const NOISE: f32 = 0.05;

/// Inputs and targets, each `[n, 1]`, cut into a training part and a test part.
#[derive(Clone)]
pub struct Split {
    pub x_train: Tensor<f32>,
    pub y_train: Tensor<f32>,
    pub x_test: Tensor<f32>,
    pub y_test: Tensor<f32>,
}

/// The rows of `t` at `rows`, in that order.
pub fn take_rows(t: &Tensor<f32>, rows: &[usize]) -> Tensor<f32> {
    let index: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
    t.index_select(0, &Tensor::from_vec(index, [rows.len()]))
}

/// `n` noisy points of y = 0.7x + 0.3 with x in [0, 1), shuffled and split 80/20.
pub fn make_data(n: usize, seed: u64) -> Split {
    make_data_with(n, 0.8, NOISE, seed)
}

/// The same line with another noise level, and `train_fraction` of the rows to
/// train on.
pub fn make_data_with(
    n: usize,
    train_fraction: f64,
    noise: f32,
    seed: u64,
) -> Split {
    let (x, y) = synthetic::linear(n, TRUE_WEIGHT, TRUE_BIAS, noise, seed);
    // The positions 0..n in a seeded random order, cut into a training and a test
    // part.
    let parts = split::random_split_fractions(
        n,
        &[train_fraction, 1.0 - train_fraction],
        seed.wrapping_add(1),
    );
    let (train, test) = (&parts[0], &parts[1]);
    Split {
        x_train: take_rows(&x, train),
        y_train: take_rows(&y, train),
        x_test: take_rows(&x, test),
        y_test: take_rows(&y, test),
    }
}
// ANCHOR_END: data

// ANCHOR: model
/// The model: ŷ = w·x + b, one input and one output. `Linear` starts with w and b
/// drawn uniformly from [−1, 1] (±1/√inputs, as PyTorch initialises it).
pub fn make_model(rng: &mut Rng) -> Linear {
    Linear::new(1, 1, rng)
}

/// The model's two numbers, (w, b).
pub fn weight_and_bias(model: &Linear) -> (f32, f32) {
    let bias = model.bias.as_ref().expect("the model has a bias");
    (model.weight.value().item(), bias.value().item())
}
// ANCHOR_END: model

// ANCHOR: train_loop
/// The loss on the training data (before each update) and on the test data (after
/// it), one value per epoch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curves {
    pub train: Vec<f64>,
    pub test: Vec<f64>,
}

/// Full-batch gradient descent, written out: every epoch looks at the whole
/// training set once, takes one step, then measures the test loss.
pub fn train_by_hand(
    model: &Linear,
    data: &Split,
    lr: f64,
    epochs: usize,
) -> Curves {
    let mut optimizer =
        Sgd::new(model.parameters(), SgdConfig { lr, ..Default::default() });
    // data never needs a gradient
    let x_train = Variable::constant(data.x_train.clone());
    let x_test = Variable::constant(data.x_test.clone());
    let mut curves = Curves::default();
    for _epoch in 0..epochs {
        model.train();
        // 1. forward: ŷ = w·x + b for every row
        let prediction = model.forward(&x_train);
        // 2. how wrong, one number
        let loss = mse_loss(&prediction, &data.y_train, Reduction::Mean);
        optimizer.zero_grad(); // 3. forget the previous step's gradients
        loss.backward(); // 4. ∂loss/∂w and ∂loss/∂b into .grad()
        optimizer.step(); // 5. w ← w − lr·∂loss/∂w, and the same for b
        curves.train.push(f64::from(loss.item()));

        model.eval(); // evaluation mode, and no graph: we only measure
        let test_loss = no_grad(|| {
            mse_loss(&model.forward(&x_test), &data.y_test, Reduction::Mean).item()
        });
        curves.test.push(f64::from(test_loss));
    }
    curves
}
// ANCHOR_END: train_loop

// ANCHOR: fit
/// The same training with the engine: `Trainer::fit` runs the five moves per batch,
/// evaluates on the test batches after each epoch and keeps a history (`loss`,
/// `val_loss`, metrics). Here the whole training set is one batch, as in
/// [`train_by_hand`].
pub fn train_with_fit(
    model: &Linear,
    data: &Split,
    lr: f64,
    epochs: usize,
) -> History {
    let mut optimizer =
        Sgd::new(model.parameters(), SgdConfig { lr, ..Default::default() });
    let train = vec![(data.x_train.clone(), data.y_train.clone())];
    let test = vec![(data.x_test.clone(), data.y_test.clone())];
    let mse = |out: &Variable, y: &Tensor<f32>| mse_loss(out, y, Reduction::Mean);
    let mut trainer = Trainer::new(model, &mut optimizer, mse)
        .metric(RegressionError::new(ErrorKind::Mae))
        .progress(Progress::Quiet);
    trainer
        .fit(&train, Some(&test), epochs)
        .expect("no checkpoints are written")
        .clone()
}

/// Mini-batch SGD: a `DataLoader` deals the training set in shuffled batches of
/// `batch_size`, a new order every epoch, so every epoch takes several smaller
/// steps.
pub fn train_mini_batches(
    model: &Linear,
    data: &Split,
    lr: f64,
    epochs: usize,
    batch_size: usize,
    seed: u64,
) -> History {
    let mut optimizer =
        Sgd::new(model.parameters(), SgdConfig { lr, ..Default::default() });
    let train = DataLoader::new(
        TensorDataset::new(data.x_train.clone(), data.y_train.clone()),
        batch_size,
    )
    .shuffle(true)
    .seed(seed);
    let test = vec![(data.x_test.clone(), data.y_test.clone())];
    let mse = |out: &Variable, y: &Tensor<f32>| mse_loss(out, y, Reduction::Mean);
    let mut trainer =
        Trainer::new(model, &mut optimizer, mse).progress(Progress::Quiet);
    trainer
        .fit(&train, Some(&test), epochs)
        .expect("no checkpoints are written")
        .clone()
}
// ANCHOR_END: fit

// ANCHOR: least_squares
/// The exact minimiser of the mean squared error of a line through (x, y):
/// w = cov(x, y) / var(x), b = mean(y) − w·mean(x). No iterations, no learning
/// rate.
pub fn least_squares(x: &[f32], y: &[f32]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean_x = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let mean_y = y.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mut cov, mut var) = (0.0, 0.0);
    for (&xi, &yi) in x.iter().zip(y) {
        let (dx, dy) = (f64::from(xi) - mean_x, f64::from(yi) - mean_y);
        cov += dx * dy;
        var += dx * dx;
    }
    let w = cov / var;
    (w, mean_y - w * mean_x)
}
// ANCHOR_END: least_squares

// ANCHOR: one_step
/// What one step does to the two parameters, seen from inside.
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    pub before: (f32, f32),
    /// (∂L/∂w, ∂L/∂b) as `backward` left them in `.grad()`.
    pub autograd: (f32, f32),
    /// The same two numbers from the formulas 2·mean((ŷ − y)·x) and 2·mean(ŷ − y).
    pub formula: (f32, f32),
    pub after: (f32, f32),
}

/// Runs one full-batch step and reports the gradients and the move.
pub fn inspect_one_step(
    model: &Linear,
    x: &Tensor<f32>,
    y: &Tensor<f32>,
    lr: f64,
) -> StepReport {
    let before = weight_and_bias(model);
    let mut optimizer =
        Sgd::new(model.parameters(), SgdConfig { lr, ..Default::default() });
    let prediction = model.forward(&Variable::constant(x.clone()));
    let loss = mse_loss(&prediction, y, Reduction::Mean);
    optimizer.zero_grad();
    loss.backward();
    let grad = |p: &Variable| {
        p.grad().expect("a parameter used in the loss has a gradient").item()
    };
    let autograd = (grad(&model.weight), grad(model.bias.as_ref().expect("bias")));

    let residual = &prediction.value() - y; // ŷ − y, [n, 1]
    let formula = ((&residual * x).mean_all() * 2.0, residual.mean_all() * 2.0);
    optimizer.step();
    StepReport { before, autograd, formula, after: weight_and_bias(model) }
}
// ANCHOR_END: one_step

// ANCHOR: save_load
/// Saves the model's state dict (its parameters by name) as safetensors, then
/// builds a new, differently initialised model and loads the file into it.
pub fn save_and_reload(model: &Linear, path: &Path, rng: &mut Rng) -> Linear {
    model.save(path).expect("the folder is writable");
    let restored = make_model(rng); // random weights, replaced by the saved ones:
    restored.load(path).expect("the file was just written");
    restored
}
// ANCHOR_END: save_load

// ANCHOR: regimes
/// A model with far more freedom than a line: 1 → 64 → 64 → 1 with tanh in between
/// (4,353 parameters).
pub fn flexible_model(rng: &mut Rng) -> Sequential {
    Sequential::new()
        .add(Linear::new(1, 64, rng))
        .add(Tanh)
        .add(Linear::new(64, 64, rng))
        .add(Tanh)
        .add(Linear::new(64, 1, rng))
}

/// Trains any model full-batch with Adam and records both curves.
pub fn train_curves(
    model: &dyn Forward,
    data: &Split,
    lr: f64,
    epochs: usize,
) -> Curves {
    let mut optimizer =
        Adam::new(model.parameters(), AdamConfig { lr, ..Default::default() });
    let (x_train, x_test) = (
        Variable::constant(data.x_train.clone()),
        Variable::constant(data.x_test.clone()),
    );
    let mut curves = Curves::default();
    for _ in 0..epochs {
        model.train();
        let loss =
            mse_loss(&model.forward(&x_train), &data.y_train, Reduction::Mean);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        curves.train.push(f64::from(loss.item()));
        model.eval();
        let test = no_grad(|| {
            mse_loss(&model.forward(&x_test), &data.y_test, Reduction::Mean).item()
        });
        curves.test.push(f64::from(test));
    }
    curves
}
// ANCHOR_END: regimes

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_is_80_20_and_paired() {
        let data = make_data(100, 7);
        assert_eq!(data.x_train.shape(), &[80, 1]);
        assert_eq!(data.x_test.shape(), &[20, 1]);
        // Every target is still its input's line value plus small noise.
        for (x, y) in data.x_train.to_vec().iter().zip(data.y_train.to_vec()) {
            assert!((y - (TRUE_WEIGHT * x + TRUE_BIAS)).abs() < 6.0 * NOISE);
        }
    }

    #[test]
    fn gradient_descent_finds_the_least_squares_line() {
        let data = make_data(100, 0);
        let model = make_model(&mut Rng::seed(0));
        let curves = train_by_hand(&model, &data, 0.5, 400);
        let (w, b) = weight_and_bias(&model);
        let (w_ls, b_ls) =
            least_squares(&data.x_train.to_vec(), &data.y_train.to_vec());
        assert!(
            (f64::from(w) - w_ls).abs() < 1e-3
                && (f64::from(b) - b_ls).abs() < 1e-3,
            "{w} {b} vs {w_ls} {b_ls}"
        );
        assert!(curves.train[0] > 10.0 * curves.train[399]);
    }

    #[test]
    fn fit_reproduces_the_hand_written_loop() {
        let data = make_data(50, 3);
        let (a, b) = (make_model(&mut Rng::seed(5)), make_model(&mut Rng::seed(5)));
        let curves = train_by_hand(&a, &data, 0.3, 20);
        let history = train_with_fit(&b, &data, 0.3, 20);
        assert_eq!(weight_and_bias(&a), weight_and_bias(&b));
        assert_eq!(history.get("loss").unwrap(), curves.train);
        assert_eq!(history.get("val_loss").unwrap(), curves.test);
    }

    #[test]
    fn the_step_formulas_match_autograd() {
        let data = make_data(40, 1);
        let model = make_model(&mut Rng::seed(2));
        let r = inspect_one_step(&model, &data.x_train, &data.y_train, 0.1);
        assert!(
            (r.autograd.0 - r.formula.0).abs() < 1e-5
                && (r.autograd.1 - r.formula.1).abs() < 1e-5
        );
        assert!((r.after.0 - (r.before.0 - 0.1 * r.autograd.0)).abs() < 1e-6);
    }

    #[test]
    fn save_and_reload_round_trips() {
        let model = make_model(&mut Rng::seed(3));
        let path = std::env::temp_dir()
            .join(format!("ch03-lib-{}.safetensors", std::process::id()));
        let restored = save_and_reload(&model, &path, &mut Rng::seed(4));
        assert_eq!(weight_and_bias(&model), weight_and_bias(&restored));
        let _ = std::fs::remove_file(path);
    }
}
