//! Naive Bayes classifiers: Gaussian for real features, multinomial for counts, Bernoulli for
//! binary features.
//!
//! All three score a sample by `log P(class) + Σⱼ log P(xⱼ | class)`, treating features as
//! independent given the class (the "naive" assumption), and turn the scores into
//! probabilities with a log-sum-exp, so that a score of −1000 does not underflow to a 0/0.
//! They follow scikit-learn's `GaussianNB`, `MultinomialNB` and `BernoulliNB` and match their
//! parameters and probabilities to 1e-10 (tests/naive_bayes.rs).

mod discrete;
mod gaussian;

pub use discrete::{BernoulliNb, MultinomialNb};
pub use gaussian::GaussianNb;

use crate::input;
use kindling_tensor::Tensor;

/// How many samples each class code has.
fn class_counts(codes: &[usize], classes: usize) -> Vec<usize> {
    let mut counts = vec![0; classes];
    codes.iter().for_each(|&c| counts[c] += 1);
    counts
}

/// Normalises joint log-likelihoods (`[samples × classes]`, row-major) into log posteriors.
fn log_proba_from_joint(mut joint: Vec<f64>, classes: usize) -> Tensor<f64> {
    let rows = joint.len() / classes;
    let norms = input::log_sum_exp_rows(&joint, classes);
    for (row, norm) in joint.chunks_mut(classes).zip(norms) {
        row.iter_mut().for_each(|v| *v -= norm);
    }
    Tensor::from_vec(joint, [rows, classes])
}

/// Posterior probabilities from joint log-likelihoods.
fn proba_from_joint(joint: Vec<f64>, classes: usize) -> Tensor<f64> {
    let log = log_proba_from_joint(joint, classes);
    let shape = log.shape().to_vec();
    Tensor::from_vec(log.to_vec().into_iter().map(f64::exp).collect(), shape)
}

/// The label of each row's largest joint log-likelihood.
fn predict_from_joint(joint: &[f64], classes: usize, labels: &[i64]) -> Vec<i64> {
    input::argmax_rows(joint, classes).into_iter().map(|c| labels[c]).collect()
}
