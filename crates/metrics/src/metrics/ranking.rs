//! Scores ranked against labels: the area under the ROC curve.

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
