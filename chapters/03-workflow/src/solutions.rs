//! Chapter 3: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

use crate::{take_rows, Split};
use kindling_autograd::{no_grad, Variable};
use kindling_nn::{mse_loss, Forward, Linear, Module, Reduction};
use kindling_optim::{Optimizer, Sgd, SgdConfig};
use kindling_tensor::{Rng, Tensor};
use std::path::Path;

/// Exercise 3.1.
pub fn train_test_split(
    x: &Tensor<f32>,
    y: &Tensor<f32>,
    train_fraction: f64,
    seed: u64,
) -> Split {
    let n = x.shape()[0];
    let order = Rng::seed(seed).permutation(n);
    let cut = (n as f64 * train_fraction).round() as usize;
    let (train, test) = order.split_at(cut);
    Split {
        x_train: take_rows(x, train),
        y_train: take_rows(y, train),
        x_test: take_rows(x, test),
        y_test: take_rows(y, test),
    }
}

/// Exercise 3.2.
pub fn mse(prediction: &Variable, target: &Tensor<f32>) -> Variable {
    let error = prediction - &Variable::constant(target.clone());
    error.square().mean_all()
}

/// Exercise 3.3. ∂L/∂w = (2/n)·Σ(ŷᵢ − yᵢ)·xᵢ and ∂L/∂b = (2/n)·Σ(ŷᵢ − yᵢ).
pub fn line_gradients(x: &[f32], y: &[f32], w: f32, b: f32) -> (f32, f32) {
    let n = x.len() as f32;
    let (mut dw, mut db) = (0.0, 0.0);
    for (&xi, &yi) in x.iter().zip(y) {
        let residual = w * xi + b - yi;
        dw += residual * xi;
        db += residual;
    }
    (2.0 * dw / n, 2.0 * db / n)
}

/// Exercise 3.4.
pub fn sgd_step(params: &[Variable], lr: f32) {
    no_grad(|| {
        for p in params {
            if let Some(g) = p.grad() {
                p.set_value(&p.value() - &(&g * lr));
            }
        }
    });
}

/// Exercise 3.5.
pub fn train_loop(
    model: &Linear,
    x: &Tensor<f32>,
    y: &Tensor<f32>,
    lr: f64,
    epochs: usize,
) -> Vec<f64> {
    let mut optimizer =
        Sgd::new(model.parameters(), SgdConfig { lr, ..Default::default() });
    let x = Variable::constant(x.clone());
    let mut losses = Vec::with_capacity(epochs);
    for _ in 0..epochs {
        let loss = mse_loss(&model.forward(&x), y, Reduction::Mean);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        losses.push(f64::from(loss.item()));
    }
    losses
}

/// Exercise 3.6.
pub fn predict(model: &dyn Forward, x: &Tensor<f32>) -> Variable {
    let was_training = model.is_training();
    model.eval();
    let out = no_grad(|| model.forward(&Variable::constant(x.clone())));
    model.set_training(was_training);
    out
}

/// Exercise 3.7.
pub fn round_trip(model: &Linear, path: &Path) -> Linear {
    model.save(path).expect("could not save the model");
    let fresh = Linear::new(1, 1, &mut Rng::seed(12345));
    fresh.load(path).expect("could not load the model");
    fresh
}
