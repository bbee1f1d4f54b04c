//! Scores ranked against labels: the areas under the ROC and precision-recall curves, and
//! average precision.

use super::same_len;

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

/// The precision-recall curve of a binary problem, as scikit-learn's `precision_recall_curve`
/// returns it: one point per distinct score (the threshold "predict positive when score ≥
/// t"), thresholds ascending, then a final point (recall 0, precision 1) with no threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct PrecisionRecallCurve {
    /// Precision at each threshold, then 1.
    pub precision: Vec<f64>,
    /// Recall at each threshold (non-increasing), then 0. When there is no positive at all,
    /// recall is 1 at every threshold (scikit-learn's convention).
    pub recall: Vec<f64>,
    /// The distinct scores, ascending: one fewer than the points.
    pub thresholds: Vec<f64>,
}

/// Precision and recall at every distinct threshold of `scores` (higher means more likely
/// positive); `labels` are 0 or 1. Tied scores move together: a threshold either takes all
/// samples with that score or none.
pub fn precision_recall_curve(labels: &[i64], scores: &[f64]) -> PrecisionRecallCurve {
    same_len("precision_recall_curve", labels.len(), scores.len());
    check_binary("precision_recall_curve", labels);
    // Highest score first; the counts are read at the last sample of each run of equal scores.
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]));
    let (mut tps, mut fps, mut thresholds) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tp, mut fp) = (0.0, 0.0);
    for (rank, &i) in order.iter().enumerate() {
        if labels[i] == 1 {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let run_ends = rank + 1 == order.len() || scores[order[rank + 1]] != scores[i];
        if run_ends {
            tps.push(tp);
            fps.push(fp);
            thresholds.push(scores[i]);
        }
    }
    let positives = tp;
    let mut precision: Vec<f64> = tps.iter().zip(&fps).rev().map(|(&t, &f)| t / (t + f)).collect();
    let mut recall: Vec<f64> = tps.iter().rev().map(|&t| if positives == 0.0 { 1.0 } else { t / positives }).collect();
    precision.push(1.0);
    recall.push(0.0);
    thresholds.reverse();
    PrecisionRecallCurve { precision, recall, thresholds }
}

/// Average precision as scikit-learn defines it: Σₙ (Rₙ − Rₙ₋₁) Pₙ over the thresholds of
/// [`precision_recall_curve`], a step function with no interpolation between points (which
/// can make the trapezoidal [`pr_auc`] too optimistic). 0 when there is no positive.
pub fn average_precision(labels: &[i64], scores: &[f64]) -> f64 {
    let curve = precision_recall_curve(labels, scores);
    let points = curve.recall.len();
    (0..points - 1).map(|k| (curve.recall[k] - curve.recall[k + 1]) * curve.precision[k]).sum()
}

/// The area under the precision-recall curve by the trapezoidal rule, as scikit-learn's
/// `auc(recall, precision)`. Straight lines between points overrate precision where recall
/// jumps; [`average_precision`] is the usual summary.
pub fn pr_auc(labels: &[i64], scores: &[f64]) -> f64 {
    let curve = precision_recall_curve(labels, scores);
    let points = curve.recall.len();
    (0..points - 1)
        .map(|k| (curve.recall[k] - curve.recall[k + 1]) * (curve.precision[k] + curve.precision[k + 1]) / 2.0)
        .sum()
}

fn check_binary(what: &str, labels: &[i64]) {
    if let Some(other) = labels.iter().find(|&&l| l != 0 && l != 1) {
        panic!("{what}: labels must be 0 or 1, got {other}");
    }
}
