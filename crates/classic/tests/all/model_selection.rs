//! Cross-validation, grid search and hold-out splits over the test doubles.

use crate::doubles::{blobs, LineRegressor, MeanRegressor, NearestCentroid};
use kindling_classic::model_selection::{
    cross_val_score, cross_val_score_with, stratified_train_test_split, take, take_rows, train_test_split,
    try_cross_val_score, GridSearch,
};
use kindling_classic::pipeline::Pipeline;
use kindling_classic::{ClassicError, Regressor, Supervised};
use kindling_data::{k_fold, stratified_k_fold, StandardScaler};
use kindling_metrics::metrics::{mae, r2_score};
use kindling_tensor::Tensor;

/// A line fitted by least squares whose slope is then multiplied by `shrink`.
#[derive(Clone, Debug)]
struct ShrunkLine {
    shrink: f64,
    line: LineRegressor,
}

impl Supervised for ShrunkLine {
    type Target = f64;
    fn name(&self) -> &'static str {
        "ShrunkLine"
    }
    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        if self.shrink < 0.0 {
            return Err(ClassicError::param("ShrunkLine", "shrink", "must be at least 0"));
        }
        self.line.fit(x, y)
    }
    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        let (slope, intercept) = self.line.line.unwrap();
        x.to_vec().iter().map(|v| intercept + self.shrink * slope * v).collect()
    }
}

impl Regressor for ShrunkLine {}

fn shrunk(shrink: f64) -> ShrunkLine {
    ShrunkLine { shrink, line: LineRegressor::default() }
}

/// y = 2x + 1 plus a deterministic wiggle, x = 0..n.
fn line_data(n: usize) -> (Tensor<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let y = x.iter().map(|v| 2.0 * v + 1.0 + (v * 1.7).sin()).collect();
    (Tensor::from_vec(x, [n, 1]), y)
}

#[test]
fn cross_val_score_equals_fitting_each_fold_by_hand() {
    let (x, y) = line_data(23);
    let folds = k_fold(23, 4, Some(3));
    let scores = cross_val_score(&LineRegressor::default(), &x, &y, &folds);
    assert_eq!(scores.len(), 4);
    for (fold, &score) in folds.iter().zip(&scores) {
        let mut model = LineRegressor::default();
        model.fit(&take_rows(&x, &fold.train), &take(&y, &fold.train)).unwrap();
        let by_hand = r2_score(&take(&y, &fold.test), &model.predict(&take_rows(&x, &fold.test)));
        assert_eq!(score, by_hand);
        assert!(score > 0.95, "{score}");
    }
    // The mean predictor scores R² ≤ 0 on held-out rows (their mean is not the training mean).
    assert!(cross_val_score(&MeanRegressor::default(), &x, &y, &folds).iter().all(|&s| s <= 0.0));
}

#[test]
fn cross_val_score_is_the_same_on_one_thread_and_on_four() {
    let (x, y) = blobs(20);
    let folds = stratified_k_fold(&y, 5, 1);
    let model = Pipeline::new(NearestCentroid::default()).step(StandardScaler::new());
    let on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| cross_val_score(&model, &x, &y, &folds))
    };
    let one = on(1);
    assert_eq!(one, on(4));
    assert_eq!(one, [1.0; 5]);
}

#[test]
fn a_failing_fold_scores_nan_or_returns_the_error() {
    let (x, mut y) = line_data(10);
    y[9] = f64::NAN; // in the training rows of every fold but the one that tests on row 9
    let folds = k_fold(10, 5, None);
    let scores = cross_val_score(&MeanRegressor::default(), &x, &y, &folds);
    assert!(scores[..4].iter().all(|s| s.is_nan()), "{scores:?}");
    let err = try_cross_val_score(&MeanRegressor::default(), &x, &y, &folds).unwrap_err();
    assert_eq!(err.to_string(), "MeanRegressor: y holds a NaN; drop or impute it");
}

#[test]
#[should_panic(expected = "cross_val_score: fold 0 names row 10, but x has 10 rows")]
fn cross_val_score_refuses_folds_for_other_data() {
    let (x, y) = line_data(10);
    let folds = k_fold(13, 2, None);
    cross_val_score(&MeanRegressor::default(), &x, &y, &folds);
}

#[test]
fn grid_search_reports_every_candidate_and_refits_the_best() {
    let (x, y) = line_data(30);
    let folds = k_fold(30, 5, Some(7));
    let candidates = vec![0.0, 0.5, 1.0, 1.5];
    let result = GridSearch::new(candidates.clone(), |&s| shrunk(s)).folds(folds.clone()).fit(&x, &y).unwrap();
    for (i, &s) in candidates.iter().enumerate() {
        let scores = cross_val_score(&shrunk(s), &x, &y, &folds);
        assert_eq!(result.fold_scores[i], scores);
        let mean = scores.iter().sum::<f64>() / 5.0;
        let std = (scores.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 5.0).sqrt();
        assert!((result.mean_scores[i] - mean).abs() < 1e-15 && (result.std_scores[i] - std).abs() < 1e-15);
    }
    assert_eq!((result.best_index, result.best_params), (2, 1.0));
    assert_eq!(result.best_score, result.mean_scores[2]);
    let mut refit = shrunk(1.0);
    refit.fit(&x, &y).unwrap();
    assert_eq!(result.best_estimator.predict(&x), refit.predict(&x));
}

#[test]
fn grid_search_takes_the_first_of_equal_scores_and_skips_failures() {
    let (x, y) = line_data(20);
    let result = GridSearch::new(vec![-1.0, 1.0, 1.0], |&s| shrunk(s)).folds(k_fold(20, 4, None)).fit(&x, &y).unwrap();
    assert!(result.mean_scores[0].is_nan());
    assert_eq!(result.best_index, 1);
    let err = GridSearch::new(vec![-1.0, -2.0], |&s| shrunk(s)).fit(&x, &y).unwrap_err();
    assert_eq!(err.to_string(), "ShrunkLine: shrink must be at least 0");
}

#[test]
fn grid_search_defaults_to_five_stratified_folds_for_labels() {
    let (x, y) = blobs(10);
    let result = GridSearch::new(vec![(); 1], |_| NearestCentroid::default()).fit(&x, &y).unwrap();
    assert_eq!(result.fold_scores[0], [1.0; 5]);
    let (x, y) = line_data(12);
    let result = GridSearch::new(vec![1.0], |&s| shrunk(s)).fit(&x, &y).unwrap();
    assert_eq!(result.fold_scores[0], cross_val_score(&shrunk(1.0), &x, &y, &k_fold(12, 5, None)));
}

#[test]
fn hold_out_splits_cover_every_row_once() {
    let split = train_test_split(10, 0.3, 0);
    assert_eq!((split.train.len(), split.test.len()), (7, 3));
    let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
    assert_eq!(split, train_test_split(10, 0.3, 0));
    assert_ne!(split, train_test_split(10, 0.3, 1));
}

#[test]
fn stratified_split_keeps_the_class_proportions() {
    let labels: Vec<i64> = (0..150).map(|i| i / 50).collect();
    let split = stratified_train_test_split(&labels, 0.3, 0);
    for c in 0..3 {
        assert_eq!(split.test.iter().filter(|&&i| labels[i] == c).count(), 15);
        assert_eq!(split.train.iter().filter(|&&i| labels[i] == c).count(), 35);
    }
    let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..150).collect::<Vec<_>>());
}

#[test]
#[should_panic(expected = "train_test_split: test_fraction must be strictly between 0 and 1, got 1")]
fn a_test_fraction_of_one_is_refused() {
    train_test_split(10, 1.0, 0);
}

#[test]
fn another_score_ranks_the_candidates() {
    let (x, y) = line_data(30);
    let folds = k_fold(30, 5, Some(7));
    let negative_mae: fn(&[f64], &[f64]) -> f64 = |y, p| -mae(y, p);
    let scores = cross_val_score_with(&shrunk(0.5), &x, &y, &folds, negative_mae);
    for (fold, &score) in folds.iter().zip(&scores) {
        let mut model = shrunk(0.5);
        model.fit(&take_rows(&x, &fold.train), &take(&y, &fold.train)).unwrap();
        assert_eq!(score, -mae(&take(&y, &fold.test), &model.predict(&take_rows(&x, &fold.test))));
    }
    let result = GridSearch::new(vec![0.5, 1.0, 1.5], |&s| shrunk(s))
        .folds(folds.clone())
        .scoring(negative_mae)
        .fit(&x, &y)
        .unwrap();
    assert_eq!(result.fold_scores[0], scores);
    assert_eq!(result.best_params, 1.0);
    assert!(result.best_score < 0.0);
}
