//! How good is a model? Classification and regression metrics, as plain functions over
//! slices and as streaming [`Metric`]s that accumulate batch by batch during an epoch.
//!
//! Conventions (the course's and scikit-learn's):
//!
//! - Arguments come **actual first, predicted second**: `accuracy(&actual, &predicted)`.
//! - A [`ConfusionMatrix`] has one **row per actual class** and one **column per predicted
//!   class**; for two classes with class 1 as "positive" the cells read `TN FP / FN TP`.
//! - Precision, recall, F1 and specificity are computed per class, then averaged
//!   ([`Average`]): *macro* is the plain mean over classes, *weighted* weighs each class by
//!   its support (how many actual samples it has), *micro* pools the counts of every class
//!   first (for single-label problems micro precision = micro recall = micro F1 = accuracy).
//!   A ratio whose denominator is zero (a class never predicted) counts as 0.
//! - ROC AUC ranks the scores; tied scores get their average rank, which is the same as
//!   drawing the ROC curve with diagonal (trapezoid) steps through ties.
//! - R² = 1 − SS_res / SS_tot: 1 for a perfect fit, 0 for always predicting the mean,
//!   negative for worse than that.
//!
//! ```
//! use kindling_train::metrics::{self, Average, ConfusionMatrix};
//!
//! let actual = [0, 0, 1, 1, 1, 2];
//! let predicted = [0, 1, 1, 1, 0, 2];
//! assert!((metrics::accuracy(&actual, &predicted) - 4.0 / 6.0).abs() < 1e-12);
//! let cm = ConfusionMatrix::from_labels(&actual, &predicted, 3);
//! assert_eq!(cm.get(1, 0), 1); // one actual 1 predicted as 0
//! assert!((cm.recall(1) - 2.0 / 3.0).abs() < 1e-12);
//! assert!((cm.f1_average(Average::Micro) - 4.0 / 6.0).abs() < 1e-12);
//! ```

use kindling_tensor::Tensor;
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Confusion matrix and the class-wise scores built on it
// ---------------------------------------------------------------------------------------------

/// How per-class scores are combined into one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Average {
    /// The unweighted mean over classes: every class counts the same, however rare.
    Macro,
    /// Pool true/false positives and negatives over all classes, then compute the ratio once.
    Micro,
    /// The mean over classes weighted by support (the number of actual samples per class).
    Weighted,
}

impl Average {
    fn suffix(self) -> &'static str {
        match self {
            Average::Macro => "macro",
            Average::Micro => "micro",
            Average::Weighted => "weighted",
        }
    }
}

/// Counts of (actual, predicted) class pairs: rows are actual classes, columns predicted ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    counts: Vec<u64>,
}

fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

fn class_index(label: i64, classes: usize, what: &str) -> usize {
    if label < 0 || label as usize >= classes {
        panic!("ConfusionMatrix: {what} label {label} is outside 0..{classes}");
    }
    label as usize
}

impl ConfusionMatrix {
    /// An empty matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        ConfusionMatrix { classes, counts: vec![0; classes * classes] }
    }

    /// The matrix of one set of predictions. Panics if the lengths differ or a label is
    /// outside `0..classes`.
    pub fn from_labels(actual: &[i64], predicted: &[i64], classes: usize) -> Self {
        let mut cm = Self::new(classes);
        cm.update(actual, predicted);
        cm
    }

    /// Adds one batch of labels.
    pub fn update(&mut self, actual: &[i64], predicted: &[i64]) {
        assert_eq!(
            actual.len(),
            predicted.len(),
            "ConfusionMatrix: {} actual labels but {} predictions",
            actual.len(),
            predicted.len()
        );
        for (&a, &p) in actual.iter().zip(predicted) {
            let (a, p) = (class_index(a, self.classes, "actual"), class_index(p, self.classes, "predicted"));
            self.counts[a * self.classes + p] += 1;
        }
    }

    /// Grows the matrix to at least `classes` classes, keeping the counts.
    pub fn grow(&mut self, classes: usize) {
        if classes <= self.classes {
            return;
        }
        let mut counts = vec![0; classes * classes];
        for a in 0..self.classes {
            for p in 0..self.classes {
                counts[a * classes + p] = self.counts[a * self.classes + p];
            }
        }
        self.classes = classes;
        self.counts = counts;
    }

    /// The number of classes.
    pub fn num_classes(&self) -> usize {
        self.classes
    }

    /// How many samples of actual class `actual` were predicted as `predicted`.
    pub fn get(&self, actual: usize, predicted: usize) -> u64 {
        self.counts[actual * self.classes + predicted]
    }

    /// The matrix as rows (one per actual class).
    pub fn rows(&self) -> Vec<Vec<u64>> {
        self.counts.chunks(self.classes.max(1)).map(<[u64]>::to_vec).take(self.classes).collect()
    }

    /// The number of samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Samples of class `c` predicted as `c`.
    pub fn true_positives(&self, c: usize) -> u64 {
        self.get(c, c)
    }

    /// Samples of other classes predicted as `c` (the column of `c` minus the diagonal).
    pub fn false_positives(&self, c: usize) -> u64 {
        (0..self.classes).filter(|&a| a != c).map(|a| self.get(a, c)).sum()
    }

    /// Samples of class `c` predicted as something else (the row of `c` minus the diagonal).
    pub fn false_negatives(&self, c: usize) -> u64 {
        (0..self.classes).filter(|&p| p != c).map(|p| self.get(c, p)).sum()
    }

    /// Samples neither of class `c` nor predicted as `c`.
    pub fn true_negatives(&self, c: usize) -> u64 {
        self.total() - self.true_positives(c) - self.false_positives(c) - self.false_negatives(c)
    }

    /// The number of actual samples of class `c`.
    pub fn support(&self, c: usize) -> u64 {
        self.true_positives(c) + self.false_negatives(c)
    }

    /// (TP + TN) / all: the fraction on the diagonal.
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..self.classes).map(|c| self.get(c, c)).sum();
        ratio(correct as f64, self.total() as f64)
    }

    /// TP / (TP + FP) of class `c`: of what was predicted `c`, how much was right.
    pub fn precision(&self, c: usize) -> f64 {
        let tp = self.true_positives(c) as f64;
        ratio(tp, tp + self.false_positives(c) as f64)
    }

    /// TP / (TP + FN) of class `c` (sensitivity): of the actual `c`, how much was found.
    pub fn recall(&self, c: usize) -> f64 {
        let tp = self.true_positives(c) as f64;
        ratio(tp, tp + self.false_negatives(c) as f64)
    }

    /// 2PR / (P + R) of class `c`, the harmonic mean of precision and recall.
    pub fn f1(&self, c: usize) -> f64 {
        let (p, r) = (self.precision(c), self.recall(c));
        ratio(2.0 * p * r, p + r)
    }

    /// TN / (TN + FP) of class `c`: of the samples that are not `c`, how many were not
    /// flagged as `c`.
    pub fn specificity(&self, c: usize) -> f64 {
        let tn = self.true_negatives(c) as f64;
        ratio(tn, tn + self.false_positives(c) as f64)
    }

    /// Precision of every class.
    pub fn precision_per_class(&self) -> Vec<f64> {
        (0..self.classes).map(|c| self.precision(c)).collect()
    }

    /// Recall of every class.
    pub fn recall_per_class(&self) -> Vec<f64> {
        (0..self.classes).map(|c| self.recall(c)).collect()
    }

    /// F1 of every class.
    pub fn f1_per_class(&self) -> Vec<f64> {
        (0..self.classes).map(|c| self.f1(c)).collect()
    }

    /// Specificity of every class.
    pub fn specificity_per_class(&self) -> Vec<f64> {
        (0..self.classes).map(|c| self.specificity(c)).collect()
    }

    fn average(&self, per_class: Vec<f64>, average: Average, micro: impl Fn(&Self) -> f64) -> f64 {
        match average {
            Average::Macro => ratio(per_class.iter().sum(), per_class.len() as f64),
            Average::Weighted => {
                let weighted: f64 = per_class.iter().enumerate().map(|(c, v)| v * self.support(c) as f64).sum();
                ratio(weighted, self.total() as f64)
            }
            Average::Micro => micro(self),
        }
    }

    fn pooled(&self) -> (f64, f64, f64, f64) {
        let sum = |f: &dyn Fn(usize) -> u64| (0..self.classes).map(f).sum::<u64>() as f64;
        (
            sum(&|c| self.true_positives(c)),
            sum(&|c| self.false_positives(c)),
            sum(&|c| self.false_negatives(c)),
            sum(&|c| self.true_negatives(c)),
        )
    }

    /// Precision averaged over classes.
    pub fn precision_average(&self, average: Average) -> f64 {
        self.average(self.precision_per_class(), average, |m| {
            let (tp, fp, _, _) = m.pooled();
            ratio(tp, tp + fp)
        })
    }

    /// Recall averaged over classes.
    pub fn recall_average(&self, average: Average) -> f64 {
        self.average(self.recall_per_class(), average, |m| {
            let (tp, _, fn_, _) = m.pooled();
            ratio(tp, tp + fn_)
        })
    }

    /// F1 averaged over classes (macro: the mean of per-class F1, as scikit-learn does).
    pub fn f1_average(&self, average: Average) -> f64 {
        self.average(self.f1_per_class(), average, |m| {
            let (tp, fp, fn_, _) = m.pooled();
            ratio(2.0 * tp, 2.0 * tp + fp + fn_)
        })
    }

    /// Specificity averaged over classes.
    pub fn specificity_average(&self, average: Average) -> f64 {
        self.average(self.specificity_per_class(), average, |m| {
            let (_, fp, _, tn) = m.pooled();
            ratio(tn, tn + fp)
        })
    }
}

impl fmt::Display for ConfusionMatrix {
    /// A table with actual classes down and predicted classes across.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.counts.iter().map(|c| c.to_string().len()).max().unwrap_or(1).max(3);
        write!(f, "actual\\pred")?;
        for p in 0..self.classes {
            write!(f, " {p:>width$}")?;
        }
        for a in 0..self.classes {
            write!(f, "\n{a:>11}")?;
            for p in 0..self.classes {
                write!(f, " {:>width$}", self.get(a, p))?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Plain functions
// ---------------------------------------------------------------------------------------------

fn same_len(what: &str, a: usize, b: usize) {
    assert_eq!(a, b, "{what}: {a} actual values but {b} predictions");
}

/// The fraction of predictions equal to the actual labels (0 for no samples).
pub fn accuracy(actual: &[i64], predicted: &[i64]) -> f64 {
    same_len("accuracy", actual.len(), predicted.len());
    let correct = actual.iter().zip(predicted).filter(|(a, p)| a == p).count();
    ratio(correct as f64, actual.len() as f64)
}

/// The area under the ROC curve of a binary problem: the probability that a random positive
/// scores higher than a random negative, ties counting one half. `labels` are 0 (negative)
/// or 1 (positive); `scores` are any increasing function of the positive probability (logits
/// work). Returns NaN when either class is absent.
pub fn roc_auc(labels: &[i64], scores: &[f64]) -> f64 {
    same_len("roc_auc", labels.len(), scores.len());
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&i, &j| scores[i].total_cmp(&scores[j]));
    // Average ranks (1-based) over runs of equal scores.
    let mut ranks = vec![0.0; scores.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mean_rank;
        }
        start = end;
    }
    let mut positives = 0usize;
    let mut rank_sum = 0.0;
    for (i, &l) in labels.iter().enumerate() {
        match l {
            1 => {
                positives += 1;
                rank_sum += ranks[i];
            }
            0 => {}
            other => panic!("roc_auc: labels must be 0 or 1, got {other}"),
        }
    }
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return f64::NAN;
    }
    let p = positives as f64;
    (rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64)
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

/// Mean squared error.
pub fn mse(targets: &[f64], predictions: &[f64]) -> f64 {
    same_len("mse", targets.len(), predictions.len());
    ratio(targets.iter().zip(predictions).map(|(t, p)| (t - p) * (t - p)).sum(), targets.len() as f64)
}

/// Root mean squared error, √MSE, in the units of the target.
pub fn rmse(targets: &[f64], predictions: &[f64]) -> f64 {
    mse(targets, predictions).sqrt()
}

/// Mean absolute error.
pub fn mae(targets: &[f64], predictions: &[f64]) -> f64 {
    same_len("mae", targets.len(), predictions.len());
    ratio(targets.iter().zip(predictions).map(|(t, p)| (t - p).abs()).sum(), targets.len() as f64)
}

/// The coefficient of determination R² = 1 − SS_res / SS_tot. When the targets are constant
/// (SS_tot = 0) it is 1 for a perfect fit and 0 otherwise.
pub fn r2_score(targets: &[f64], predictions: &[f64]) -> f64 {
    same_len("r2_score", targets.len(), predictions.len());
    if targets.is_empty() {
        return f64::NAN;
    }
    let mean = targets.iter().sum::<f64>() / targets.len() as f64;
    let ss_tot: f64 = targets.iter().map(|t| (t - mean) * (t - mean)).sum();
    let ss_res: f64 = targets.iter().zip(predictions).map(|(t, p)| (t - p) * (t - p)).sum();
    r2_from_sums(ss_res, ss_tot)
}

fn r2_from_sums(ss_res: f64, ss_tot: f64) -> f64 {
    if ss_tot == 0.0 {
        if ss_res == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - ss_res / ss_tot
    }
}

// ---------------------------------------------------------------------------------------------
// Model outputs → labels, scores, probabilities
// ---------------------------------------------------------------------------------------------

fn is_single_logit(outputs: &Tensor<f32>) -> bool {
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

// ---------------------------------------------------------------------------------------------
// Streaming metrics
// ---------------------------------------------------------------------------------------------

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
