//! Chapter 4 of the Kindling book: classification with neural networks.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch04-classification`) runs it and writes what the
//! chapter shows. Your exercises are in [`exercises`]; check them with
//! `cargo test -p ch04-classification --features learner`.

use kindling_autograd::Variable;
use kindling_data::{synthetic, DataLoader, TensorDataset};
use kindling_nn::{
    binary_cross_entropy_with_logits, cross_entropy, module, Forward, Linear,
    Module, ReLU, Reduction, Sequential, Tanh,
};
use kindling_optim::{Adam, AdamConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_train::metrics::Accuracy;
use kindling_train::{History, Progress, Trainer};

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

// ANCHOR: squash
/// The logistic sigmoid 1/(1 + e^(−z)), evaluated so that no exponential can
/// overflow: for negative z it uses the equal form e^z/(1 + e^z).
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Softmax with the largest score subtracted first: the result is the same (the
/// factor e^(−max) cancels), but every exponent is ≤ 0, so nothing overflows.
pub fn softmax(z: &[f64]) -> Vec<f64> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = z.iter().map(|&v| (v - max).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}
// ANCHOR_END: squash

// ANCHOR: data
/// A classification dataset: points `[n, 2]` and class labels `[n]`.
#[derive(Clone)]
pub struct Data {
    pub x_train: Tensor<f32>,
    pub y_train: Tensor<i64>,
    pub x_test: Tensor<f32>,
    pub y_test: Tensor<i64>,
}

/// Two rings (radius 1 and 0.5): class 0 outside, class 1 inside. 1000 points to
/// train on, 500 fresh ones to test on.
pub fn circles_data(seed: u64) -> Data {
    let (x_train, y_train) = synthetic::circles(1000, 0.5, 0.08, seed);
    let (x_test, y_test) = synthetic::circles(500, 0.5, 0.08, seed.wrapping_add(1));
    Data { x_train, y_train, x_test, y_test }
}

/// Two interleaved half-moons.
pub fn moons_data(seed: u64) -> Data {
    let (x_train, y_train) = synthetic::moons(1000, 0.15, seed);
    let (x_test, y_test) = synthetic::moons(500, 0.15, seed.wrapping_add(1));
    Data { x_train, y_train, x_test, y_test }
}

/// Three spiral arms, one class per arm.
pub fn spirals_data(seed: u64) -> Data {
    let (x_train, y_train) = synthetic::spirals(1500, 3, 0.3, seed);
    let (x_test, y_test) = synthetic::spirals(600, 3, 0.3, seed.wrapping_add(1));
    Data { x_train, y_train, x_test, y_test }
}
// ANCHOR_END: data

// ANCHOR: models
/// What sits between the hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// Nothing: the layers compose into one linear map.
    None,
    ReLU,
    Tanh,
}

/// 2 → hidden → hidden → `outputs`, with `activation` after each hidden layer. The
/// last layer has no activation: it outputs logits (one for a binary head, K for K
/// classes).
pub fn mlp(
    hidden: usize,
    outputs: usize,
    activation: Activation,
    rng: &mut Rng,
) -> Sequential {
    let mut model = Sequential::new();
    for inputs in [2, hidden] {
        model.push(Linear::new(inputs, hidden, rng));
        match activation {
            Activation::None => {}
            Activation::ReLU => model.push(ReLU),
            Activation::Tanh => model.push(Tanh),
        }
    }
    model.add(Linear::new(hidden, outputs, rng))
}

/// The simplest binary classifier: logistic regression, one logit z = w·x + b.
pub fn linear_classifier(rng: &mut Rng) -> Sequential {
    Sequential::new().add(Linear::new(2, 1, rng))
}
// ANCHOR_END: models

// ANCHOR: binary_loss
/// The binary head's loss: BCE on the raw logit (`[B, 1]`), with the 0/1 labels as
/// floats. The sigmoid happens inside the loss, in its stable fused form.
pub fn binary_loss(logits: &Variable, labels: &Tensor<i64>) -> Variable {
    let targets = labels.cast::<f32>().reshape([-1, 1]);
    binary_cross_entropy_with_logits(logits, &targets, None, None, Reduction::Mean)
}
// ANCHOR_END: binary_loss

// ANCHOR: train
/// Adam on mini-batches of 32 (reshuffled every epoch), tracking accuracy on the
/// training batches and on the test set after every epoch.
pub fn train_classifier(
    model: &dyn Forward,
    data: &Data,
    loss: impl Fn(&Variable, &Tensor<i64>) -> Variable,
    lr: f64,
    epochs: usize,
    seed: u64,
) -> History {
    let train = DataLoader::new(
        TensorDataset::new(data.x_train.clone(), data.y_train.clone()),
        32,
    )
    .shuffle(true)
    .seed(seed);
    let test = vec![(data.x_test.clone(), data.y_test.clone())];
    let mut optimizer =
        Adam::new(model.parameters(), AdamConfig { lr, ..Default::default() });
    let mut trainer = Trainer::new(model, &mut optimizer, loss)
        .metric(Accuracy::new())
        .progress(Progress::Quiet);
    trainer
        .fit(&train, Some(&test), epochs)
        .expect("no checkpoints are written")
        .clone()
}
// ANCHOR_END: train

// ANCHOR: multiclass_model
/// A multi-class network as a plain struct: a body that makes features and a head
/// that turns them into K logits. `module!` registers the two fields, so parameters
/// are named `body.0.weight`, ..., `head.weight`, `head.bias`.
pub struct SpiralNet {
    body: Sequential,
    head: Linear,
}

module!(SpiralNet { body, head });

impl SpiralNet {
    pub fn new(hidden: usize, classes: usize, rng: &mut Rng) -> Self {
        let body = Sequential::new()
            .add(Linear::new(2, hidden, rng))
            .add(ReLU)
            .add(Linear::new(hidden, hidden, rng))
            .add(ReLU);
        SpiralNet { body, head: Linear::new(hidden, classes, rng) }
    }
}

impl Forward for SpiralNet {
    fn forward(&self, x: &Variable) -> Variable {
        self.head.call(&self.body.call(x)) // logits: no softmax here
    }
}

/// The multi-class loss: cross-entropy of the raw logits against the class indices.
pub fn multiclass_loss(logits: &Variable, labels: &Tensor<i64>) -> Variable {
    cross_entropy(logits, labels)
}
// ANCHOR_END: multiclass_model

// ANCHOR: fixtures
/// Fixture 16: a one-input logistic model z = w·x + b with w = 1, b = −0.5 at x =
/// 0.7, so the logit is 0.2, and the label is 1. Returns (ŷ, loss, ∂L/∂z, ∂L/∂w)
/// from autograd.
pub fn bce_fixture() -> (f64, f64, f64, f64) {
    let (w, b) = (
        Variable::param(Tensor::from([[1.0f64]])),
        Variable::param(Tensor::from([-0.5f64])),
    );
    let x = Variable::constant(Tensor::from([[0.7f64]]));
    let z = &x.matmul(&w) + &b; // [1, 1]
    z.retain_grad(); // keep ∂L/∂z, an intermediate, for inspection
    let loss = binary_cross_entropy_with_logits(
        &z,
        &Tensor::from([[1.0]]),
        None,
        None,
        Reduction::Mean,
    );
    loss.backward();
    let y_hat = z.value().sigmoid().item();
    (
        y_hat,
        loss.item(),
        z.grad().expect("retained").item(),
        w.grad().expect("param").item(),
    )
}

/// Cross-entropy of `logits` `[N, C]` against `labels`, with the gradient
/// ∂L/∂logits, in f64.
pub fn cross_entropy_with_gradient(
    logits: &[Vec<f64>],
    labels: &[i64],
) -> (f64, Vec<Vec<f64>>) {
    let (n, c) = (logits.len(), logits[0].len());
    let z = Variable::param(Tensor::from_vec(logits.concat(), [n, c]));
    let loss = cross_entropy(&z, &Tensor::from_vec(labels.to_vec(), [n]));
    loss.backward();
    let grad = z.grad().expect("param").to_vec();
    (loss.item(), grad.chunks(c).map(<[f64]>::to_vec).collect())
}
// ANCHOR_END: fixtures

// ANCHOR: jacobian_chain
/// ∂L/∂z for L = −ln s_t, s = softmax(z), the long way: the gradient with respect
/// to the probabilities, then back through the softmax Jacobian J_kj = s_k(δ_kj −
/// s_j).
pub fn cross_entropy_gradient_through_jacobian(
    z: &[f64],
    target: usize,
) -> Vec<f64> {
    let s = softmax(z);
    let k = z.len();
    // ∂L/∂s_k is −1/s_t for k = t and 0 elsewhere.
    let dl_ds: Vec<f64> =
        (0..k).map(|i| if i == target { -1.0 / s[target] } else { 0.0 }).collect();
    // ∂L/∂z_j = Σ_k ∂L/∂s_k · J_kj: the vector-Jacobian product.
    (0..k)
        .map(|j| {
            (0..k)
                .map(|i| dl_ds[i] * s[i] * (f64::from(u8::from(i == j)) - s[j]))
                .sum()
        })
        .collect()
}
// ANCHOR_END: jacobian_chain

// ANCHOR: pitfalls
/// −ln softmax(z)_t computed the way it is written: exponentials first, no max
/// subtracted, then a quotient, then a log. In f32.
pub fn cross_entropy_written_out(z: &[f32], target: usize) -> f32 {
    let exps: Vec<f32> = z.iter().map(|v| v.exp()).collect();
    let p = exps[target] / exps.iter().sum::<f32>();
    -p.ln()
}

/// The same after a stable softmax: no overflow any more, but a probability can
/// still round to 0 before the log sees it.
pub fn cross_entropy_after_softmax(z: &[f32], target: usize) -> f32 {
    let probs = Tensor::from_slice(z).softmax(-1).to_vec();
    -probs[target].ln()
}

/// Kindling's fused loss on the same logits: ln Σ e^(z_j − max) + max − z_t.
pub fn cross_entropy_fused(z: &[f32], target: usize) -> f32 {
    let logits = Variable::constant(Tensor::from_vec(z.to_vec(), [1, z.len()]));
    cross_entropy(&logits, &Tensor::from([target as i64])).item()
}

/// The mistake of applying softmax *before* `cross_entropy`: returns (loss,
/// ‖∂L/∂z‖) for the correct use and for the doubled softmax, at the same logits.
pub fn softmax_before_cross_entropy(
    z: &[f32],
    target: usize,
) -> ((f32, f32), (f32, f32)) {
    let run = |double: bool| {
        let logits = Variable::param(Tensor::from_vec(z.to_vec(), [1, z.len()]));
        let input = if double { logits.softmax(-1) } else { logits.clone() };
        let loss = cross_entropy(&input, &Tensor::from([target as i64]));
        loss.backward();
        let g = logits.grad().expect("param");
        (loss.item(), g.square().sum_all().sqrt())
    };
    (run(false), run(true))
}

/// A model whose last layer is a softmax: the wrong head for `cross_entropy`.
pub struct SoftmaxHead<M>(pub M);

impl<M: Module> Module for SoftmaxHead<M> {
    fn visit(&self, visitor: &mut kindling_nn::Visitor<'_, f32>) {
        self.0.visit(visitor);
    }
}

impl<M: Forward> Forward for SoftmaxHead<M> {
    fn forward(&self, x: &Variable) -> Variable {
        self.0.call(x).softmax(-1)
    }
}
// ANCHOR_END: pitfalls

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_16_bce_with_logits() {
        let (y_hat, loss, dz, dw) = bce_fixture();
        assert!((y_hat - 0.5498339973).abs() < 1e-9);
        assert!((loss + 0.5498339973f64.ln()).abs() < 1e-9);
        assert!((dz + 0.4501660027).abs() < 1e-9, "∂L/∂z = ŷ − y, got {dz}");
        assert!((dw + 0.3151162019).abs() < 1e-9, "∂L/∂w = (ŷ − y)·x, got {dw}");
    }

    #[test]
    fn fixtures_17_and_18_cross_entropy() {
        let (loss, grad) =
            cross_entropy_with_gradient(&[vec![2.0, 1.0, 0.1]], &[1]);
        assert!((loss - 1.4170300163).abs() < 1e-9);
        let s = softmax(&[2.0, 1.0, 0.1]);
        assert!((grad[0][1] - (s[1] - 1.0)).abs() < 1e-12);
        let (loss, grad) = cross_entropy_with_gradient(
            &[vec![0.2, -1.0], vec![1.5, 0.3]],
            &[0, 1],
        );
        assert!((loss - 0.8632824673).abs() < 1e-9);
        let want = [[-0.1157376083, 0.1157376083], [0.3842623917, -0.3842623917]];
        for (row, w) in grad.iter().zip(want) {
            for (a, b) in row.iter().zip(w) {
                assert!((a - b).abs() < 1e-9, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn the_jacobian_route_gives_softmax_minus_one_hot() {
        let z = [2.0, 1.0, 0.1];
        let g = cross_entropy_gradient_through_jacobian(&z, 1);
        let s = softmax(&z);
        for (j, v) in g.iter().enumerate() {
            let want = s[j] - if j == 1 { 1.0 } else { 0.0 };
            assert!((v - want).abs() < 1e-12);
        }
    }

    #[test]
    fn only_the_fused_loss_survives_large_logits() {
        assert!(cross_entropy_written_out(&[1000.0, 0.0], 0).is_nan());
        assert!(cross_entropy_after_softmax(&[0.0, -200.0], 1).is_infinite());
        assert!((cross_entropy_fused(&[0.0, -200.0], 1) - 200.0).abs() < 1e-3);
        assert!(cross_entropy_fused(&[1000.0, 0.0], 0).abs() < 1e-6);
    }

    #[test]
    fn a_doubled_softmax_cannot_reach_zero_loss() {
        let ((good, _), (bad, _)) = softmax_before_cross_entropy(&[8.0, -8.0], 0);
        assert!(good < 1e-6);
        assert!((bad - (1.0 + 1f32.exp()).ln() + 1.0).abs() < 1e-4, "{bad}");
    }

    #[test]
    fn parameter_names_come_from_the_fields() {
        let net = SpiralNet::new(8, 3, &mut Rng::seed(0));
        let names: Vec<String> =
            net.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "body.0.weight",
                "body.0.bias",
                "body.2.weight",
                "body.2.bias",
                "head.weight",
                "head.bias"
            ]
        );
    }
}
