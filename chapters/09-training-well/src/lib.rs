//! Chapter 9 of the Kindling book: training deep networks well.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch09-training-well`) runs it and writes what the
//! chapter shows. Your exercises are in [`exercises`]; check them with
//! `cargo test -p ch09-training-well --features learner`.

use kindling_autograd::{no_grad, Variable};
use kindling_nn::init::{self, FanMode, Nonlinearity};
use kindling_nn::{
    cross_entropy, BatchNorm1d, Dropout, Forward, GroupNorm, LayerNorm, Linear,
    Module, RMSNorm,
};
use kindling_optim::{clip_grad_norm, Optimizer};
use kindling_tensor::{Rng, Tensor};

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

/// The nonlinearity between the hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Sigmoid,
    Tanh,
    Relu,
}

impl Act {
    pub fn apply(self, x: &Variable<f32>) -> Variable<f32> {
        match self {
            Act::Sigmoid => x.sigmoid(),
            Act::Tanh => x.tanh(),
            Act::Relu => x.relu(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Act::Sigmoid => "sigmoid",
            Act::Tanh => "tanh",
            Act::Relu => "ReLU",
        }
    }

    fn nonlinearity(self) -> Nonlinearity {
        match self {
            Act::Sigmoid => Nonlinearity::Sigmoid,
            Act::Tanh => Nonlinearity::Tanh,
            Act::Relu => Nonlinearity::Relu,
        }
    }
}

// ANCHOR: init
/// How the weights of every layer are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// N(0, s²) with a fixed standard deviation s, whatever the layer's size.
    Fixed(f64),
    /// Xavier/Glorot normal: Var = gain² · 2 / (fan_in + fan_out).
    Xavier,
    /// Kaiming/He normal: Var = gain² / fan_in.
    Kaiming,
    /// Kaiming's standard deviation times a factor (to make it too small or too
    /// large).
    KaimingTimes(f64),
}

impl Init {
    /// A `[out, in]` weight for a layer followed by `act`.
    pub fn weight(
        self,
        act: Act,
        out: usize,
        inp: usize,
        rng: &mut Rng,
    ) -> Tensor<f32> {
        let gain = init::gain(act.nonlinearity());
        match self {
            Init::Fixed(std) => init::normal([out, inp], 0.0, std, rng),
            Init::Xavier => init::xavier_normal([out, inp], gain, rng),
            Init::Kaiming => init::kaiming_normal(
                [out, inp],
                FanMode::FanIn,
                act.nonlinearity(),
                rng,
            ),
            Init::KaimingTimes(k) => {
                init::normal([out, inp], 0.0, k * gain / (inp as f64).sqrt(), rng)
            }
        }
    }
}
// ANCHOR_END: init

// ANCHOR: activation_stats
/// Sends a batch of N(0, 1) inputs through `depth` layers of `width` units (no
/// bias) and returns the root mean square of the activations after every layer (the
/// second moment that the variance argument tracks): does the signal keep its size,
/// shrink or blow up?
pub fn activation_stds(
    act: Act,
    init: Init,
    width: usize,
    depth: usize,
    batch: usize,
    seed: u64,
) -> Vec<f64> {
    let mut rng = Rng::seed(seed);
    let mut h = Variable::constant(Tensor::<f32>::randn([batch, width], &mut rng));
    let mut stds = Vec::with_capacity(depth);
    for _ in 0..depth {
        let w = Variable::constant(init.weight(act, width, width, &mut rng));
        h = act.apply(&h.matmul(&w.t()));
        stds.push(rms_of(&h.value().to_vec()));
    }
    stds
}
// ANCHOR_END: activation_stats

/// The root mean square of some numbers, √(mean of x²).
pub fn rms_of(xs: &[f32]) -> f64 {
    (xs.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / xs.len() as f64).sqrt()
}

/// The population standard deviation of some numbers.
pub fn std_of(xs: &[f32]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / n;
    (xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// A normalisation layer after each hidden linear layer (before the activation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    None,
    Batch,
    Layer,
    /// Group normalisation with this many groups.
    Group(usize),
    /// RMS normalisation over each sample's features.
    Rms,
}

/// Everything that defines one of the chapter's multilayer perceptrons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MlpConfig {
    pub inputs: usize,
    pub width: usize,
    /// Hidden layers; the model has `depth + 1` linear layers.
    pub depth: usize,
    pub classes: usize,
    pub act: Act,
    pub init: Init,
    pub norm: Norm,
    /// Dropout probability after each hidden activation (0 for none).
    pub dropout: f64,
}

// ANCHOR: deep_mlp
/// linear → (norm) → activation → (dropout), `depth` times, then a linear layer to
/// the class scores. The layers are kept in plain vectors so that the demo can look
/// at each one.
pub struct DeepMlp {
    pub config: MlpConfig,
    pub layers: Vec<Linear<f32>>,
    pub norms: Vec<Box<dyn Forward<f32>>>,
    pub dropout: Option<Dropout>,
}

impl DeepMlp {
    pub fn new(config: MlpConfig, rng: &mut Rng) -> Self {
        let c = config;
        let mut layers = Vec::new();
        let mut norms: Vec<Box<dyn Forward<f32>>> = Vec::new();
        for i in 0..=c.depth {
            let inp = if i == 0 { c.inputs } else { c.width };
            let out = if i == c.depth { c.classes } else { c.width };
            // The output layer is followed by softmax, not by `act`: gain 1
            // (Xavier-like).
            let weight = if i == c.depth {
                init::xavier_normal([out, inp], 1.0, rng)
            } else {
                c.init.weight(c.act, out, inp, rng)
            };
            layers.push(Linear::from_weights(weight, Some(Tensor::zeros([out]))));
            if i < c.depth {
                match c.norm {
                    Norm::None => {}
                    Norm::Batch => {
                        norms.push(Box::new(BatchNorm1d::<f32>::new(c.width)))
                    }
                    Norm::Layer => {
                        norms.push(Box::new(LayerNorm::<f32>::new(vec![c.width])))
                    }
                    Norm::Group(g) => {
                        norms.push(Box::new(GroupNorm::<f32>::new(g, c.width)))
                    }
                    Norm::Rms => {
                        norms.push(Box::new(RMSNorm::<f32>::new(vec![c.width])))
                    }
                }
            }
        }
        let dropout = (c.dropout > 0.0).then(|| Dropout::new(c.dropout, rng));
        DeepMlp { config: c, layers, norms, dropout }
    }

    /// Class scores (logits) for a batch `[N, inputs]`.
    pub fn forward(&self, x: &Variable<f32>) -> Variable<f32> {
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h);
            if i == self.config.depth {
                break; // the output layer: logits
            }
            if let Some(norm) = self.norms.get(i) {
                h = norm.forward(&h);
            }
            h = self.config.act.apply(&h);
            if let Some(d) = &self.dropout {
                h = d.forward(&h);
            }
        }
        h
    }

    /// Training mode (dropout on, batch norm uses the batch) or evaluation mode.
    pub fn set_training(&self, on: bool) {
        for n in &self.norms {
            n.set_training(on);
        }
        if let Some(d) = &self.dropout {
            Module::<f32>::set_training(d, on);
        }
    }

    pub fn parameters(&self) -> Vec<Variable<f32>> {
        let mut ps: Vec<Variable<f32>> =
            self.layers.iter().flat_map(|l| l.parameters()).collect();
        ps.extend(self.norms.iter().flat_map(|n| n.parameters()));
        ps
    }
}
// ANCHOR_END: deep_mlp

// ANCHOR: grad_norms
/// ‖∂L/∂W‖ (the Frobenius norm) of every linear layer's weight, first layer first,
/// after a backward pass.
pub fn weight_grad_norms(model: &DeepMlp) -> Vec<f64> {
    model
        .layers
        .iter()
        .map(|l| {
            let g = l.weight.grad().expect("run backward() first").to_vec();
            g.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>().sqrt()
        })
        .collect()
}
// ANCHOR_END: grad_norms

/// A labelled set of points.
pub struct Split {
    pub x: Tensor<f32>,
    pub y: Tensor<i64>,
}

/// Two-dimensional spirals: `n` points, `arms` classes, angle noise `noise`.
pub fn spiral_split(n: usize, arms: usize, noise: f32, seed: u64) -> Split {
    let (x, y) = kindling_data::synthetic::spirals(n, arms, noise, seed);
    Split { x, y }
}

/// (mean cross-entropy, accuracy) of `model` on `split`, in evaluation mode,
/// without a graph.
pub fn evaluate(model: &DeepMlp, split: &Split) -> (f64, f64) {
    model.set_training(false);
    let (loss, acc) = no_grad(|| {
        let logits = model.forward(&Variable::constant(split.x.clone()));
        let loss = cross_entropy(&logits, &split.y).value().item() as f64;
        (loss, accuracy(&logits.value(), &split.y))
    });
    model.set_training(true);
    (loss, acc)
}

/// The fraction of rows of `logits` whose largest score is at the label.
pub fn accuracy(logits: &Tensor<f32>, labels: &Tensor<i64>) -> f64 {
    let k = logits.shape()[1];
    let (scores, labels) = (logits.to_vec(), labels.to_vec());
    let hits = labels
        .iter()
        .enumerate()
        .filter(|&(i, &label)| {
            let row = &scores[i * k..(i + 1) * k];
            let best = (0..k).fold(0, |b, j| if row[j] > row[b] { j } else { b });
            best as i64 == label
        })
        .count();
    hits as f64 / labels.len() as f64
}

/// What one training run recorded.
#[derive(Clone, Debug, Default)]
pub struct Curves {
    /// Steps at which the model was evaluated.
    pub steps: Vec<usize>,
    pub train_loss: Vec<f64>,
    pub val_loss: Vec<f64>,
    pub val_acc: Vec<f64>,
    /// The global gradient norm before clipping, at every step.
    pub grad_norm: Vec<f64>,
}

// ANCHOR: train
/// Full-batch training for `steps` steps, evaluating every `every` steps. With
/// `clip = Some(c)` the gradients are rescaled to a global norm of at most `c`
/// before each step. A run whose loss stops being finite ends early.
pub fn train(
    model: &DeepMlp,
    optimizer: &mut dyn Optimizer,
    train: &Split,
    val: &Split,
    steps: usize,
    every: usize,
    clip: Option<f64>,
) -> Curves {
    let params = model.parameters();
    let x = Variable::constant(train.x.clone());
    let mut curves = Curves::default();
    model.set_training(true);
    for step in 0..=steps {
        if step % every == 0 || step == steps {
            let (tl, _) = evaluate(model, train);
            let (vl, va) = evaluate(model, val);
            curves.steps.push(step);
            curves.train_loss.push(tl);
            curves.val_loss.push(vl);
            curves.val_acc.push(va);
            if !tl.is_finite() {
                break;
            }
        }
        if step == steps {
            break;
        }
        optimizer.zero_grad();
        cross_entropy(&model.forward(&x), &train.y).backward();
        // Measure the norm always; clip only when asked (an infinite limit changes
        // nothing).
        curves
            .grad_norm
            .push(clip_grad_norm(&params, clip.unwrap_or(f64::INFINITY)));
        optimizer.step();
    }
    curves
}
// ANCHOR_END: train

// ANCHOR: lr_range_test
/// The learning-rate range test: one short run in which the learning rate grows
/// geometrically from `lr_min` to `lr_max` over `steps` steps. Returns (learning
/// rate, exponentially smoothed training loss) at every step, and stops once the
/// smoothed loss exceeds four times its minimum (the run has diverged; larger rates
/// are pointless).
pub fn lr_range_test(
    model: &DeepMlp,
    optimizer: &mut dyn Optimizer,
    data: &Split,
    lr_min: f64,
    lr_max: f64,
    steps: usize,
) -> Vec<(f64, f64)> {
    let x = Variable::constant(data.x.clone());
    let ratio = (lr_max / lr_min).powf(1.0 / (steps - 1) as f64);
    let (mut smooth, mut best, beta) = (0.0, f64::INFINITY, 0.9);
    let mut curve = Vec::with_capacity(steps);
    model.set_training(true);
    for k in 0..steps {
        let lr = lr_min * ratio.powi(k as i32);
        optimizer.set_learning_rate(lr);
        optimizer.zero_grad();
        let loss = cross_entropy(&model.forward(&x), &data.y);
        let value = loss.value().item() as f64;
        // Bias-corrected exponential average, as in Adam (chapter 5).
        smooth = beta * smooth + (1.0 - beta) * value;
        let smoothed = smooth / (1.0 - beta.powi(k as i32 + 1));
        if !smoothed.is_finite() || smoothed > 4.0 * best {
            break;
        }
        best = best.min(smoothed);
        curve.push((lr, smoothed));
        loss.backward();
        optimizer.step();
    }
    curve
}
// ANCHOR_END: lr_range_test
