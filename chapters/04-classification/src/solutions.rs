//! Chapter 4: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

use kindling_autograd::Variable;
use kindling_nn::{module, Forward, Linear};
use kindling_tensor::{Rng, Tensor};

/// Exercise 4.1. For z ≥ 0, −ln(1 + e^(−z)) is already safe; for z < 0 multiply
/// inside by e^z: ln σ(z) = z − ln(1 + e^z). Together: min(z, 0) − ln(1 +
/// e^(−|z|)).
pub fn log_sigmoid(z: f64) -> f64 {
    z.min(0.0) - (-z.abs()).exp().ln_1p()
}

/// Exercise 4.1 (continued).
pub fn log_softmax(z: &[f64]) -> Vec<f64> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_total = z.iter().map(|&v| (v - max).exp()).sum::<f64>().ln();
    z.iter().map(|&v| v - max - log_total).collect()
}

/// Exercise 4.2.
pub fn accuracy_from_logits(logits: &Tensor<f32>, labels: &Tensor<i64>) -> f64 {
    let predicted: Vec<i64> = if logits.rank() == 2 && logits.shape()[1] > 1 {
        logits.argmax(-1, false).to_vec()
    } else {
        logits.to_vec().into_iter().map(|z| i64::from(z > 0.0)).collect()
    };
    let labels = labels.to_vec();
    let correct = predicted.iter().zip(&labels).filter(|(p, y)| p == y).count();
    correct as f64 / labels.len() as f64
}

/// Exercise 4.3.
pub fn bce_with_logits(z: &[f64], y: &[f64]) -> (f64, Vec<f64>) {
    let n = z.len() as f64;
    let sigmoid = |v: f64| {
        if v >= 0.0 {
            1.0 / (1.0 + (-v).exp())
        } else {
            v.exp() / (1.0 + v.exp())
        }
    };
    let loss = z
        .iter()
        .zip(y)
        .map(|(&zi, &yi)| zi.max(0.0) - zi * yi + (-zi.abs()).exp().ln_1p())
        .sum::<f64>()
        / n;
    let grad = z.iter().zip(y).map(|(&zi, &yi)| (sigmoid(zi) - yi) / n).collect();
    (loss, grad)
}

/// Exercise 4.4.
pub fn cross_entropy_gradient(
    logits: &[Vec<f64>],
    labels: &[usize],
) -> Vec<Vec<f64>> {
    let n = logits.len() as f64;
    logits
        .iter()
        .zip(labels)
        .map(|(z, &label)| {
            let probs = crate::softmax(z);
            probs
                .iter()
                .enumerate()
                .map(|(k, p)| (p - if k == label { 1.0 } else { 0.0 }) / n)
                .collect()
        })
        .collect()
}

/// Exercise 4.5.
pub struct TwoLayerNet {
    pub hidden: Linear,
    pub output: Linear,
}

module!(TwoLayerNet { hidden, output });

impl TwoLayerNet {
    pub fn new(
        inputs: usize,
        hidden: usize,
        outputs: usize,
        rng: &mut Rng,
    ) -> Self {
        TwoLayerNet {
            hidden: Linear::new(inputs, hidden, rng),
            output: Linear::new(hidden, outputs, rng),
        }
    }
}

impl Forward for TwoLayerNet {
    fn forward(&self, x: &Variable) -> Variable {
        self.output.call(&self.hidden.call(x).relu())
    }
}

/// Exercise 4.6.
pub fn confusion_matrix(
    actual: &[i64],
    predicted: &[i64],
    classes: usize,
) -> Vec<Vec<u64>> {
    let mut matrix = vec![vec![0u64; classes]; classes];
    for (&a, &p) in actual.iter().zip(predicted) {
        matrix[a as usize][p as usize] += 1;
    }
    matrix
}

fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// Exercise 4.7.
pub fn precision_recall_f1(matrix: &[Vec<u64>], c: usize) -> (f64, f64, f64) {
    let tp = matrix[c][c] as f64;
    let predicted_c: u64 = matrix.iter().map(|row| row[c]).sum(); // the column
    let actual_c: u64 = matrix[c].iter().sum(); // the row
    let precision = ratio(tp, predicted_c as f64);
    let recall = ratio(tp, actual_c as f64);
    (precision, recall, ratio(2.0 * precision * recall, precision + recall))
}

/// Exercise 4.7 (continued).
pub fn macro_f1(matrix: &[Vec<u64>]) -> f64 {
    (0..matrix.len()).map(|c| precision_recall_f1(matrix, c).2).sum::<f64>()
        / matrix.len() as f64
}
