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
//! - Generated sequences ([`text`]): BLEU as sacrebleu or NLTK computes it, exact match and
//!   token accuracy.
//! - Average precision is scikit-learn's Σ (Rₙ − Rₙ₋₁) Pₙ over the precision-recall curve;
//!   [`pr_auc`] is the trapezoidal area under the same curve.
//! - Cohen's κ and the Matthews correlation read labels as any `i64` codes (the confusion
//!   matrix is built over the labels seen on either side).
//! - R² = 1 − SS_res / SS_tot: 1 for a perfect fit, 0 for always predicting the mean,
//!   negative for worse than that.
//!
//! ```
//! use kindling_metrics::metrics::{self, Average, ConfusionMatrix};
//!
//! let actual = [0, 0, 1, 1, 1, 2];
//! let predicted = [0, 1, 1, 1, 0, 2];
//! assert!((metrics::accuracy(&actual, &predicted) - 4.0 / 6.0).abs() < 1e-12);
//! let cm = ConfusionMatrix::from_labels(&actual, &predicted, 3);
//! assert_eq!(cm.get(1, 0), 1); // one actual 1 predicted as 0
//! assert!((cm.recall(1) - 2.0 / 3.0).abs() < 1e-12);
//! assert!((cm.f1_average(Average::Micro) - 4.0 / 6.0).abs() < 1e-12);
//! ```

mod agreement;
mod classification;
mod clustering;
mod confusion;
mod ranking;
mod regression;
mod streaming;
pub mod text;

pub use agreement::{cohen_kappa, matthews_corrcoef, KappaWeights};
pub use classification::{accuracy, binary_log_loss, class_probabilities, log_loss, predicted_classes, LOG_LOSS_EPS};
// Clustering metrics (owner: clustering).
pub use clustering::{
    adjusted_rand_index, davies_bouldin_score, inertia, mutual_info, normalized_mutual_info, silhouette_samples,
    silhouette_score,
};

pub use confusion::{Average, ConfusionMatrix};
pub use ranking::{average_precision, pr_auc, precision_recall_curve, roc_auc, PrecisionRecallCurve};
pub use regression::{adjusted_r2, mae, mape, mse, r2_score, rmse};
pub use streaming::{Accuracy, ClassScore, ErrorKind, LogLoss, Metric, RegressionError, RocAuc, Score, R2};
pub use text::{bleu, exact_match, sentence_bleu, token_accuracy, Bleu, BleuOptions, Smoothing};

/// `num / den`, or 0 when nothing was counted (a class never predicted scores 0, as in
/// scikit-learn).
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

fn same_len(what: &str, a: usize, b: usize) {
    assert_eq!(a, b, "{what}: {a} actual values but {b} predictions");
}
