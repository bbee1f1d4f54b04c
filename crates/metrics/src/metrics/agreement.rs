//! Agreement beyond chance between actual and predicted labels: Cohen's κ and the Matthews
//! correlation coefficient. Both read a confusion matrix over the labels that occur in either
//! list (any `i64` codes, sorted), as scikit-learn builds it.

use super::same_len;

/// How Cohen's κ weighs a disagreement between classes `i` and `j` (positions in the sorted
/// label list, so weights only make sense for ordered labels such as ratings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KappaWeights {
    /// Every disagreement counts 1 (plain κ).
    #[default]
    None,
    /// A disagreement counts `|i − j|`.
    Linear,
    /// A disagreement counts `(i − j)²`.
    Quadratic,
}

/// The confusion matrix over the sorted union of labels: `(rows = actual, columns = predicted)`.
fn joint_counts(what: &str, actual: &[i64], predicted: &[i64]) -> Vec<Vec<f64>> {
    same_len(what, actual.len(), predicted.len());
    let mut labels: Vec<i64> = actual.iter().chain(predicted).copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let position = |l: i64| labels.binary_search(&l).expect("every label was collected");
    let mut counts = vec![vec![0.0; labels.len()]; labels.len()];
    for (&a, &p) in actual.iter().zip(predicted) {
        counts[position(a)][position(p)] += 1.0;
    }
    counts
}

/// Cohen's κ = 1 − Σ wᵢⱼ Oᵢⱼ / Σ wᵢⱼ Eᵢⱼ, where O is the observed confusion matrix and E the
/// one expected if the two labelings were independent with the same marginals: 1 for perfect
/// agreement, 0 for chance level, negative for worse. NaN when chance alone agrees perfectly
/// (every label the same on both sides), as scikit-learn.
pub fn cohen_kappa(actual: &[i64], predicted: &[i64], weights: KappaWeights) -> f64 {
    let observed = joint_counts("cohen_kappa", actual, predicted);
    let k = observed.len();
    let total = actual.len() as f64;
    let row_sums: Vec<f64> = observed.iter().map(|r| r.iter().sum()).collect();
    let col_sums: Vec<f64> = (0..k).map(|j| observed.iter().map(|r| r[j]).sum()).collect();
    let (mut weighted_observed, mut weighted_expected) = (0.0, 0.0);
    for i in 0..k {
        for j in 0..k {
            let gap = i.abs_diff(j) as f64;
            let w = match weights {
                KappaWeights::None => f64::from(u8::from(i != j)),
                KappaWeights::Linear => gap,
                KappaWeights::Quadratic => gap * gap,
            };
            weighted_observed += w * observed[i][j];
            weighted_expected += w * row_sums[i] * col_sums[j] / total;
        }
    }
    1.0 - weighted_observed / weighted_expected
}

/// The Matthews correlation coefficient, binary or multiclass (Gorodkin's R_K, as
/// scikit-learn): the correlation between the one-hot actual and predicted labels. 1 for a
/// perfect prediction, 0 for chance, −1 for total disagreement in the binary case; 0 when
/// either side has a single class (the correlation is undefined).
pub fn matthews_corrcoef(actual: &[i64], predicted: &[i64]) -> f64 {
    let counts = joint_counts("matthews_corrcoef", actual, predicted);
    let k = counts.len();
    let n = actual.len() as f64;
    let actual_sums: Vec<f64> = counts.iter().map(|r| r.iter().sum()).collect();
    let predicted_sums: Vec<f64> = (0..k).map(|j| counts.iter().map(|r| r[j]).sum()).collect();
    let correct: f64 = (0..k).map(|i| counts[i][i]).sum();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let cov_actual_predicted = correct * n - dot(&actual_sums, &predicted_sums);
    let cov_predicted = n * n - dot(&predicted_sums, &predicted_sums);
    let cov_actual = n * n - dot(&actual_sums, &actual_sums);
    if cov_predicted * cov_actual == 0.0 {
        return 0.0;
    }
    cov_actual_predicted / (cov_actual * cov_predicted).sqrt()
}
