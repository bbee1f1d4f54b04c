//! Time-series forecasting with a recurrent encoder: cutting a series into (window, future)
//! examples, a model that reads a window and predicts the next `horizon` steps at once (direct
//! multi-step forecasting), iterated one-step forecasting, and the baseline every forecaster
//! has to beat, repeating the last value. Chapter 10 of the book walks through it.
//!
//! ```
//! use kindling_sequence::forecast::{sliding_windows, time_split};
//! use kindling_tensor::Tensor;
//!
//! // Ten steps of two features: value t and 10·t.
//! let series = Tensor::from_vec((0..10).flat_map(|t| [t as f32, 10.0 * t as f32]).collect(), [10, 2]);
//! let (train, val) = time_split(&series, 0.8);
//! assert_eq!((train.shape(), val.shape()), (&[8, 2][..], &[2, 2][..]));
//! // Windows of 3 steps, predicting the second feature 2 steps ahead.
//! let (x, y) = sliding_windows(&series, 3, 2, &[1]);
//! assert_eq!((x.shape(), y.shape()), (&[6, 3, 2][..], &[6, 2, 1][..]));
//! assert_eq!(y.select(0, 0).to_vec(), vec![30.0, 40.0]);
//! ```

use crate::{CellKind, Recurrent, RecurrentOptions};
use kindling_autograd::{no_grad, Variable};
use kindling_nn::{mse_loss, Forward, Linear, Module, Reduction, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// Every (input window, future) pair of a series `[N, F]` (N steps of F features), in time
/// order: input `m` is steps `m..m + window` with every feature, its target the `horizon`
/// steps after it, keeping only the features in `target_columns` (in that order). Returns
/// `(inputs [M, window, F], targets [M, horizon, F_target])` with `M = N − window − horizon + 1`.
///
/// Neighbouring windows overlap, so split the series in time ([`time_split`]) *before* cutting
/// windows: a random split of the windows would train on the values it validates on.
///
/// Panics on a series that is not `[steps, features]`, a zero window or horizon, a series
/// shorter than `window + horizon`, no target column, or a target column out of range.
pub fn sliding_windows<T: Float>(
    series: &Tensor<T>,
    window: usize,
    horizon: usize,
    target_columns: &[usize],
) -> (Tensor<T>, Tensor<T>) {
    let shape = series.shape();
    if shape.len() != 2 {
        panic!("sliding_windows: the series has shape {}, expected [steps, features]", dims_str(shape));
    }
    let (n, f) = (shape[0], shape[1]);
    if window == 0 || horizon == 0 {
        panic!("sliding_windows: window ({window}) and horizon ({horizon}) must both be at least 1");
    }
    if n < window + horizon {
        panic!(
            "sliding_windows: a series of {n} steps is too short for a window of {window} plus a horizon of {horizon}"
        );
    }
    if target_columns.is_empty() {
        panic!("sliding_windows: no target column given (the series has {f} features)");
    }
    if let Some(&c) = target_columns.iter().find(|&&c| c >= f) {
        panic!("sliding_windows: target column {c} is out of range for a series of {f} features");
    }
    let v = series.contiguous().to_vec();
    let m = n - window - horizon + 1;
    let ft = target_columns.len();
    let mut inputs = Vec::with_capacity(m * window * f);
    let mut targets = Vec::with_capacity(m * horizon * ft);
    for start in 0..m {
        inputs.extend_from_slice(&v[start * f..(start + window) * f]);
        for t in start + window..start + window + horizon {
            targets.extend(target_columns.iter().map(|&c| v[t * f + c]));
        }
    }
    (Tensor::from_vec(inputs, [m, window, f]), Tensor::from_vec(targets, [m, horizon, ft]))
}

/// Splits a series `[N, F]` (or `[N]`) in time: the first `round(train_fraction · N)` steps
/// for training, the rest for validation. Panics unless both parts get at least one step.
pub fn time_split<T: Float>(series: &Tensor<T>, train_fraction: f64) -> (Tensor<T>, Tensor<T>) {
    if series.rank() == 0 {
        panic!("time_split: a scalar is not a series");
    }
    let n = series.shape()[0];
    if !(0.0..=1.0).contains(&train_fraction) {
        panic!("time_split: train_fraction {train_fraction} is outside [0, 1]");
    }
    let cut = (train_fraction * n as f64).round() as usize;
    if cut == 0 || cut == n {
        panic!("time_split: a fraction of {train_fraction} of {n} steps leaves one part empty");
    }
    (series.narrow(0, 0, cut).contiguous(), series.narrow(0, cut, n - cut).contiguous())
}

/// The persistence forecast: every future step equals the last value of the window, for the
/// features in `target_columns`. `inputs` `[M, window, F]` → `[M, horizon, F_target]`. A
/// forecaster that does not beat it has learned nothing about the series' dynamics.
pub fn last_value_forecast<T: Float>(inputs: &Tensor<T>, horizon: usize, target_columns: &[usize]) -> Tensor<T> {
    let shape = inputs.shape();
    if shape.len() != 3 || shape[1] == 0 {
        panic!("last_value_forecast: inputs of shape {} must be [windows, steps, features]", dims_str(shape));
    }
    let (m, w, f) = (shape[0], shape[1], shape[2]);
    if let Some(&c) = target_columns.iter().find(|&&c| c >= f) {
        panic!("last_value_forecast: target column {c} is out of range for {f} features");
    }
    let v = inputs.contiguous().to_vec();
    let mut out = Vec::with_capacity(m * horizon * target_columns.len());
    for i in 0..m {
        let last = &v[(i * w + w - 1) * f..(i * w + w) * f];
        for _ in 0..horizon {
            out.extend(target_columns.iter().map(|&c| last[c]));
        }
    }
    Tensor::from_vec(out, [m, horizon, target_columns.len()])
}

/// The mean squared error between two tensors of one shape, in f64.
pub fn mse<T: Float>(prediction: &Tensor<T>, target: &Tensor<T>) -> f64 {
    if prediction.shape() != target.shape() {
        panic!(
            "mse: prediction of shape {} and target of shape {} differ",
            dims_str(prediction.shape()),
            dims_str(target.shape())
        );
    }
    let (p, t) = (prediction.contiguous().to_vec(), target.contiguous().to_vec());
    p.iter().zip(&t).map(|(a, b)| (a.to_f64() - b.to_f64()).powi(2)).sum::<f64>() / p.len().max(1) as f64
}

/// A recurrent encoder (batch first) read to its final state, and a linear head that maps the
/// last layer's final state (both directions, if bidirectional) to `horizon × targets` values:
/// all future steps at once (direct multi-step forecasting).
pub struct Forecaster<T: Float = f32> {
    pub encoder: Recurrent<T>,
    pub head: Linear<T>,
    horizon: usize,
    targets: usize,
}

impl<T: Float> Forecaster<T> {
    /// A forecaster reading `features` per step and predicting `targets` features for
    /// `horizon` steps. `options.batch_first` is set for you: inputs are `[B, window, F]`.
    pub fn new(
        kind: CellKind,
        features: usize,
        hidden: usize,
        horizon: usize,
        targets: usize,
        options: RecurrentOptions,
        rng: &mut Rng,
    ) -> Self {
        assert!(horizon > 0 && targets > 0, "Forecaster: horizon ({horizon}) and targets ({targets}) must be positive");
        let encoder = Recurrent::new(kind, features, hidden, options.batch_first(true), rng);
        let head = Linear::new(encoder.output_size(), horizon * targets, rng);
        Forecaster { encoder, head, horizon, targets }
    }

    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// The number of features predicted per step.
    pub fn targets(&self) -> usize {
        self.targets
    }

    /// The number of features read per step.
    pub fn features(&self) -> usize {
        self.encoder.input_size()
    }

    /// The forecast `[B, horizon, targets]` for windows `[B, window, features]`.
    pub fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let (_, state) = self.encoder.forward_with_state(x, None);
        // The last layer's final state: the last D slots of h [L·D, B, P] → [B, D·P].
        let d = self.encoder.directions();
        let slots = state.h.shape()[0];
        let last = state.h.narrow(0, slots - d, d).transpose(0, 1);
        let batch = last.shape()[0];
        let summary = last.reshape(&[batch, self.encoder.output_size()][..]);
        self.head.forward(&summary).reshape(&[batch, self.horizon, self.targets][..])
    }

    /// The mean squared error of the forecast for `inputs` against `targets` `[B, horizon, targets]`.
    pub fn loss(&self, inputs: &Tensor<T>, targets: &Tensor<T>) -> Variable<T> {
        let prediction = self.forward(&Variable::constant(inputs.clone()));
        if prediction.shape() != targets.shape() {
            panic!(
                "Forecaster::loss: the forecast has shape {}, the targets {}",
                dims_str(&prediction.shape()),
                dims_str(targets.shape())
            );
        }
        mse_loss(&prediction, targets, Reduction::Mean)
    }

    /// The forecast for `inputs` without a graph, in evaluation mode (no dropout).
    pub fn predict(&self, inputs: &Tensor<T>) -> Tensor<T> {
        let training = self.is_training();
        self.eval();
        let y = no_grad(|| self.forward(&Variable::constant(inputs.clone())).value());
        self.set_training(training);
        y
    }

    /// Iterated one-step forecasting: predicts one step, appends it to the window (dropping the
    /// oldest step), and repeats, `steps` times. Needs a horizon-1 model that predicts every
    /// feature it reads (targets = features). `context` `[B, window, F]` → `[B, steps, F]`.
    /// Its errors compound, since each step reads the model's own earlier guesses.
    pub fn predict_recursive(&self, context: &Tensor<T>, steps: usize) -> Tensor<T> {
        let f = self.features();
        if self.horizon != 1 || self.targets != f {
            panic!(
                "Forecaster::predict_recursive: needs a one-step model that predicts all {f} input features \
                 (this one has horizon {} and {} targets)",
                self.horizon, self.targets
            );
        }
        let shape = context.shape();
        if shape.len() != 3 || shape[2] != f || shape[1] == 0 {
            panic!("Forecaster::predict_recursive: context of shape {} must be [batch, window, {f}]", dims_str(shape));
        }
        let (b, w) = (shape[0], shape[1]);
        let mut window = context.contiguous().to_vec();
        let mut out = vec![T::ZERO; b * steps * f];
        for s in 0..steps {
            let next = self.predict(&Tensor::from_vec(window.clone(), [b, w, f])).to_vec();
            for i in 0..b {
                let row = &next[i * f..(i + 1) * f];
                out[(i * steps + s) * f..(i * steps + s + 1) * f].copy_from_slice(row);
                let win = &mut window[i * w * f..(i + 1) * w * f];
                win.rotate_left(f);
                win[(w - 1) * f..].copy_from_slice(row);
            }
        }
        Tensor::from_vec(out, [b, steps, f])
    }
}

impl<T: Float> Module<T> for Forecaster<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("encoder", &self.encoder);
        v.child("head", &self.head);
    }
}
