//! Metrics accumulated batch by batch over an epoch ([`Metric`]), as a training loop needs
//! them: the same numbers as the one-shot functions, without keeping every prediction.

use super::classification::{class_probabilities, is_single_logit, log_loss, predicted_classes};
use super::confusion::{Average, ConfusionMatrix};
use super::ranking::roc_auc;
use super::regression::r2_from_sums;
use super::{ratio, same_len};
use kindling_tensor::Tensor;

/// A metric accumulated over the batches of an epoch: [`update`](Metric::update) with each
/// batch's model outputs and targets, read [`value`](Metric::value) at the end, then
/// [`reset`](Metric::reset). `Y` is the target type: `Tensor<i64>` class labels or
/// `Tensor<f32>` regression targets.
pub trait Metric<Y>: Send {
    /// The name in logs and history (`accuracy`, `f1_macro`, `r2`); validation values get
    /// the prefix `val_`.
    fn name(&self) -> String;
    /// Adds one batch: the model's outputs (logits for classification) and the targets.
    fn update(&mut self, outputs: &Tensor<f32>, targets: &Y);
    /// The value over everything added since the last reset.
    fn value(&self) -> f64;
    /// Forgets everything added.
    fn reset(&mut self);
    /// Whether larger is better (accuracy) or smaller is (errors, losses).
    fn higher_is_better(&self) -> bool {
        true
    }
    /// A fresh copy with the same settings (one for training, one for validation).
    fn clone_box(&self) -> Box<dyn Metric<Y>>;
}

/// Streaming accuracy of class predictions (see [`predicted_classes`]).
#[derive(Clone, Debug, Default)]
pub struct Accuracy {
    correct: u64,
    seen: u64,
}

impl Accuracy {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Metric<Tensor<i64>> for Accuracy {
    fn name(&self) -> String {
        "accuracy".into()
    }
    fn update(&mut self, outputs: &Tensor<f32>, targets: &Tensor<i64>) {
        let predicted = predicted_classes(outputs);
        let actual = targets.to_vec();
        same_len("Accuracy", actual.len(), predicted.len());
        self.correct += actual.iter().zip(&predicted).filter(|(a, p)| a == p).count() as u64;
        self.seen += actual.len() as u64;
    }
    fn value(&self) -> f64 {
        ratio(self.correct as f64, self.seen as f64)
    }
    fn reset(&mut self) {
        *self = Self::default();
    }
    fn clone_box(&self) -> Box<dyn Metric<Tensor<i64>>> {
        Box::new(Self::new())
    }
}

/// Which class-wise score a [`ClassScore`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    /// TP / (TP + FP).
    Precision,
    /// TP / (TP + FN).
    Recall,
    /// 2PR / (P + R).
    F1,
    /// TN / (TN + FP).
    Specificity,
}

/// Streaming precision, recall, F1 or specificity, averaged over classes. Build it with
/// [`ClassScore::precision`], [`ClassScore::recall`], [`ClassScore::f1`] or
/// [`ClassScore::specificity`]. The confusion matrix grows to the number of classes seen.
#[derive(Clone, Debug)]
pub struct ClassScore {
    score: Score,
    average: Average,
    matrix: ConfusionMatrix,
}

impl ClassScore {
    /// `score` averaged with `average`.
    pub fn new(score: Score, average: Average) -> Self {
        ClassScore { score, average, matrix: ConfusionMatrix::new(0) }
    }
    /// Streaming precision (named `precision_macro`, `precision_micro` or `precision_weighted`).
    pub fn precision(average: Average) -> Self {
        Self::new(Score::Precision, average)
    }
    /// Streaming recall (named `recall_macro`, `recall_micro` or `recall_weighted`).
    pub fn recall(average: Average) -> Self {
        Self::new(Score::Recall, average)
    }
    /// Streaming f1 (named `f1_macro`, `f1_micro` or `f1_weighted`).
    pub fn f1(average: Average) -> Self {
        Self::new(Score::F1, average)
    }
    /// Streaming specificity (named `specificity_macro`, `specificity_micro` or `specificity_weighted`).
    pub fn specificity(average: Average) -> Self {
        Self::new(Score::Specificity, average)
    }
    /// The confusion matrix accumulated so far.
    pub fn matrix(&self) -> &ConfusionMatrix {
        &self.matrix
    }
}

/// Adds a batch of outputs and labels to a confusion matrix, growing it as needed.
fn accumulate(matrix: &mut ConfusionMatrix, outputs: &Tensor<f32>, targets: &Tensor<i64>) {
    let predicted = predicted_classes(outputs);
    let actual = targets.to_vec();
    let width = if is_single_logit(outputs) { 2 } else { outputs.shape()[outputs.rank() - 1] };
    let max_label = actual.iter().copied().max().unwrap_or(0).max(0) as usize + 1;
    matrix.grow(width.max(max_label));
    matrix.update(&actual, &predicted);
}

impl Metric<Tensor<i64>> for ClassScore {
    fn name(&self) -> String {
        let base = match self.score {
            Score::Precision => "precision",
            Score::Recall => "recall",
            Score::F1 => "f1",
            Score::Specificity => "specificity",
        };
        format!("{base}_{}", self.average.suffix())
    }
    fn update(&mut self, outputs: &Tensor<f32>, targets: &Tensor<i64>) {
        accumulate(&mut self.matrix, outputs, targets);
    }
    fn value(&self) -> f64 {
        match self.score {
            Score::Precision => self.matrix.precision_average(self.average),
            Score::Recall => self.matrix.recall_average(self.average),
            Score::F1 => self.matrix.f1_average(self.average),
            Score::Specificity => self.matrix.specificity_average(self.average),
        }
    }
    fn reset(&mut self) {
        self.matrix = ConfusionMatrix::new(0);
    }
    fn clone_box(&self) -> Box<dyn Metric<Tensor<i64>>> {
        Box::new(Self::new(self.score, self.average))
    }
}

/// Streaming ROC AUC of a binary classifier: keeps every score (the positive-class logit of a
/// single-logit model, or the softmax probability of class 1 of a two-logit one).
#[derive(Clone, Debug, Default)]
pub struct RocAuc {
    labels: Vec<i64>,
    scores: Vec<f64>,
}

impl RocAuc {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Metric<Tensor<i64>> for RocAuc {
    fn name(&self) -> String {
        "roc_auc".into()
    }
    fn update(&mut self, outputs: &Tensor<f32>, targets: &Tensor<i64>) {
        if is_single_logit(outputs) {
            self.scores.extend(outputs.to_vec().into_iter().map(f64::from));
        } else {
            let (probs, classes) = class_probabilities(outputs);
            assert_eq!(classes, 2, "RocAuc: needs a binary model (1 or 2 outputs), got {classes} classes");
            self.scores.extend(probs.chunks(2).map(|row| row[1]));
        }
        self.labels.extend(targets.to_vec());
    }
    fn value(&self) -> f64 {
        roc_auc(&self.labels, &self.scores)
    }
    fn reset(&mut self) {
        *self = Self::default();
    }
    fn clone_box(&self) -> Box<dyn Metric<Tensor<i64>>> {
        Box::new(Self::new())
    }
}

/// Streaming log loss of class probabilities (softmax of the logits, or sigmoid of a single
/// logit).
#[derive(Clone, Debug, Default)]
pub struct LogLoss {
    total: f64,
    seen: u64,
}

impl LogLoss {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Metric<Tensor<i64>> for LogLoss {
    fn name(&self) -> String {
        "log_loss".into()
    }
    fn update(&mut self, outputs: &Tensor<f32>, targets: &Tensor<i64>) {
        let (probs, classes) = class_probabilities(outputs);
        let labels = targets.to_vec();
        self.total += log_loss(&labels, &probs, classes) * labels.len() as f64;
        self.seen += labels.len() as u64;
    }
    fn value(&self) -> f64 {
        ratio(self.total, self.seen as f64)
    }
    fn reset(&mut self) {
        *self = Self::default();
    }
    fn higher_is_better(&self) -> bool {
        false
    }
    fn clone_box(&self) -> Box<dyn Metric<Tensor<i64>>> {
        Box::new(Self::new())
    }
}

fn regression_pairs(outputs: &Tensor<f32>, targets: &Tensor<f32>, who: &str) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(
        outputs.numel(),
        targets.numel(),
        "{who}: outputs of shape {:?} do not match targets of shape {:?}",
        outputs.shape(),
        targets.shape()
    );
    (targets.to_vec().into_iter().map(f64::from).collect(), outputs.to_vec().into_iter().map(f64::from).collect())
}

/// Which error a [`RegressionError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Mean squared error.
    Mse,
    /// Root mean squared error.
    Rmse,
    /// Mean absolute error.
    Mae,
}

/// Streaming MSE, RMSE or MAE over all elements of the outputs and targets.
#[derive(Clone, Debug)]
pub struct RegressionError {
    kind: ErrorKind,
    sum: f64,
    seen: u64,
}

impl RegressionError {
    /// An empty accumulator of `kind`.
    pub fn new(kind: ErrorKind) -> Self {
        RegressionError { kind, sum: 0.0, seen: 0 }
    }
    /// Streaming mean squared error (named `mse`).
    pub fn mse() -> Self {
        Self::new(ErrorKind::Mse)
    }
    /// Streaming root mean squared error (named `rmse`).
    pub fn rmse() -> Self {
        Self::new(ErrorKind::Rmse)
    }
    /// Streaming mean absolute error (named `mae`).
    pub fn mae() -> Self {
        Self::new(ErrorKind::Mae)
    }
}

impl Metric<Tensor<f32>> for RegressionError {
    fn name(&self) -> String {
        match self.kind {
            ErrorKind::Mse => "mse",
            ErrorKind::Rmse => "rmse",
            ErrorKind::Mae => "mae",
        }
        .into()
    }
    fn update(&mut self, outputs: &Tensor<f32>, targets: &Tensor<f32>) {
        let (t, p) = regression_pairs(outputs, targets, "RegressionError");
        self.sum += t
            .iter()
            .zip(&p)
            .map(|(t, p)| match self.kind {
                ErrorKind::Mae => (t - p).abs(),
                _ => (t - p) * (t - p),
            })
            .sum::<f64>();
        self.seen += t.len() as u64;
    }
    fn value(&self) -> f64 {
        let mean = ratio(self.sum, self.seen as f64);
        if self.kind == ErrorKind::Rmse {
            mean.sqrt()
        } else {
            mean
        }
    }
    fn reset(&mut self) {
        *self = Self::new(self.kind);
    }
    fn higher_is_better(&self) -> bool {
        false
    }
    fn clone_box(&self) -> Box<dyn Metric<Tensor<f32>>> {
        Box::new(Self::new(self.kind))
    }
}

/// Streaming R²: the count, the running mean and Σ(y − ȳ)² of the targets (Welford's update,
/// so no catastrophic cancellation) and SS_res, all in f64.
#[derive(Clone, Debug, Default)]
pub struct R2 {
    n: f64,
    mean: f64,
    ss_tot: f64,
    ss_res: f64,
}

impl R2 {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Metric<Tensor<f32>> for R2 {
    fn name(&self) -> String {
        "r2".into()
    }
    fn update(&mut self, outputs: &Tensor<f32>, targets: &Tensor<f32>) {
        let (t, p) = regression_pairs(outputs, targets, "R2");
        for (&t, &p) in t.iter().zip(&p) {
            self.n += 1.0;
            let delta = t - self.mean;
            self.mean += delta / self.n;
            self.ss_tot += delta * (t - self.mean);
            self.ss_res += (t - p) * (t - p);
        }
    }
    fn value(&self) -> f64 {
        if self.n == 0.0 {
            f64::NAN
        } else {
            r2_from_sums(self.ss_res, self.ss_tot)
        }
    }
    fn reset(&mut self) {
        *self = Self::default();
    }
    fn clone_box(&self) -> Box<dyn Metric<Tensor<f32>>> {
        Box::new(Self::new())
    }
}
