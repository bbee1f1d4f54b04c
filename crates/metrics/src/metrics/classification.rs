//! Class labels: accuracy and log loss, and how model outputs (logits) become predicted
//! classes and probabilities.

use super::{class_index, ratio, same_len};
use kindling_tensor::Tensor;

/// The fraction of predictions equal to the actual labels (0 for no samples).
pub fn accuracy(actual: &[i64], predicted: &[i64]) -> f64 {
    same_len("accuracy", actual.len(), predicted.len());
    let correct = actual.iter().zip(predicted).filter(|(a, p)| a == p).count();
    ratio(correct as f64, actual.len() as f64)
}

/// Probabilities are clipped to `[EPS, 1 − EPS]` before taking logs, so a confident mistake
/// costs a large but finite amount.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Binary log loss (cross-entropy): −mean(y·ln p + (1 − y)·ln(1 − p)), `p` the predicted
/// probability of class 1.
pub fn binary_log_loss(labels: &[i64], probabilities: &[f64]) -> f64 {
    same_len("binary_log_loss", labels.len(), probabilities.len());
    let total: f64 = labels
        .iter()
        .zip(probabilities)
        .map(|(&y, &p)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if y == 1 {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    ratio(total, labels.len() as f64)
}

/// Multi-class log loss: −mean ln p(actual class). `probabilities` is row-major
/// `[n, classes]`.
pub fn log_loss(labels: &[i64], probabilities: &[f64], classes: usize) -> f64 {
    same_len("log_loss", labels.len() * classes, probabilities.len());
    let total: f64 = labels
        .iter()
        .enumerate()
        .map(|(i, &y)| -probabilities[i * classes + class_index(y, classes, "actual")].clamp(LOG_LOSS_EPS, 1.0).ln())
        .sum();
    ratio(total, labels.len() as f64)
}

pub(super) fn is_single_logit(outputs: &Tensor<f32>) -> bool {
    outputs.rank() <= 1 || (outputs.rank() == 2 && outputs.shape()[1] == 1)
}

/// The class each row of model outputs predicts: argmax over the last axis of `[B, C]`
/// logits, or `logit > 0` (probability > ½) for a single logit per sample (`[B]`, `[B, 1]`).
pub fn predicted_classes(outputs: &Tensor<f32>) -> Vec<i64> {
    if is_single_logit(outputs) {
        outputs.to_vec().into_iter().map(|z| i64::from(z > 0.0)).collect()
    } else {
        outputs.argmax(-1, false).to_vec()
    }
}

/// Class probabilities of `[B, C]` logits (softmax), or `[B, 2]` probabilities of (class 0,
/// class 1) for a single logit per sample (sigmoid). Row-major, as f64.
pub fn class_probabilities(outputs: &Tensor<f32>) -> (Vec<f64>, usize) {
    if is_single_logit(outputs) {
        let probs = outputs
            .to_vec()
            .into_iter()
            .flat_map(|z| {
                let p = 1.0 / (1.0 + (-(z as f64)).exp());
                [1.0 - p, p]
            })
            .collect();
        (probs, 2)
    } else {
        let classes = outputs.shape()[outputs.rank() - 1];
        (outputs.softmax(-1).to_vec().into_iter().map(f64::from).collect(), classes)
    }
}
