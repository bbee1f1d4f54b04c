//! Model selection over any [`Supervised`] model: hold-out splits, cross-validated scores and
//! grid search.
//!
//! Folds come from `kindling_data::split` ([`k_fold`](kindling_data::k_fold),
//! [`stratified_k_fold`](kindling_data::stratified_k_fold)). Each fold fits a fresh clone of
//! the model, so the model passed in is never touched; folds run in parallel on rayon's pool
//! and the scores come back in fold order, the same on any number of threads. The book's
//! chapter 16 ("Classic machine learning") uses them to choose a regularisation strength.
//!
//! ```
//! use kindling_classic::model_selection::{cross_val_score, stratified_train_test_split, GridSearch};
//! use kindling_classic::{ClassicError, Supervised};
//! use kindling_tensor::Tensor;
//!
//! /// Predicts 1 when the single feature exceeds a threshold.
//! #[derive(Clone)]
//! struct Threshold(f64);
//! impl Supervised for Threshold {
//!     type Target = i64;
//!     fn name(&self) -> &'static str { "Threshold" }
//!     fn fit(&mut self, _x: &Tensor<f64>, _y: &[i64]) -> Result<(), ClassicError> { Ok(()) }
//!     fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
//!         x.to_vec().iter().map(|&v| i64::from(v > self.0)).collect()
//!     }
//! }
//!
//! let x = Tensor::from_vec((0..20).map(f64::from).collect(), [20, 1]);
//! let y: Vec<i64> = (0..20).map(|i| i64::from(i >= 10)).collect();
//! let folds = kindling_data::stratified_k_fold(&y, 4, 0);
//! assert_eq!(cross_val_score(&Threshold(9.5), &x, &y, &folds), [1.0; 4]);
//!
//! let search = GridSearch::new(vec![2.5, 9.5, 15.5], |&t| Threshold(t)).folds(folds).fit(&x, &y)?;
//! assert_eq!(search.best_params, 9.5);
//!
//! let split = stratified_train_test_split(&y, 0.3, 0);
//! assert_eq!((split.train.len(), split.test.len()), (14, 6));
//! # Ok::<(), ClassicError>(())
//! ```

use crate::{ClassicError, Supervised, Target};
use kindling_data::split::{random_split_fractions, stratified_train_val_test_split};
use kindling_data::Fold;
use kindling_tensor::Tensor;
use rayon::prelude::*;

/// The rows of `x` at `rows`, in that order.
pub fn take_rows(x: &Tensor<f64>, rows: &[usize]) -> Tensor<f64> {
    assert!(x.rank() == 2, "take_rows: x must be [samples, features], got shape {:?}", x.shape());
    let indices: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
    let n = indices.len();
    x.index_select(0, &Tensor::from_vec(indices, [n]))
}

/// The values of `y` at `rows`, in that order.
pub fn take<T: Copy>(y: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&r| y[r]).collect()
}

/// A hold-out split into training and test positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainTest {
    /// Positions to fit on (and to fit the preprocessing on).
    pub train: Vec<usize>,
    /// Positions to report the score on.
    pub test: Vec<usize>,
}

fn check_fraction(what: &str, test_fraction: f64) {
    assert!(
        test_fraction > 0.0 && test_fraction < 1.0,
        "{what}: test_fraction must be strictly between 0 and 1, got {test_fraction}"
    );
}

/// Shuffles `0..n` with `seed` and holds out `test_fraction` of it (rounded as
/// [`kindling_data::split::split_sizes`] rounds). The order differs from scikit-learn's
/// `train_test_split` (another generator): to compare with it, hand it these positions.
pub fn train_test_split(n: usize, test_fraction: f64, seed: u64) -> TrainTest {
    check_fraction("train_test_split", test_fraction);
    let mut parts = random_split_fractions(n, &[1.0 - test_fraction, test_fraction], seed).into_iter();
    TrainTest { train: parts.next().unwrap(), test: parts.next().unwrap() }
}

/// Like [`train_test_split`], but each class is split on its own, so both parts keep the class
/// proportions of `labels` (the split the course uses: 70/30, seed 0).
pub fn stratified_train_test_split(labels: &[i64], test_fraction: f64, seed: u64) -> TrainTest {
    check_fraction("stratified_train_test_split", test_fraction);
    let split = stratified_train_val_test_split(labels, [1.0 - test_fraction, 0.0, test_fraction], seed);
    TrainTest { train: split.train, test: split.test }
}

/// A score of predictions against the actual values, higher is better, with the arguments in
/// the metrics' order (actual first): `kindling_metrics::metrics::accuracy`, or a closure such
/// as `|y, p| -mse(y, p)` for an error (negated, as scikit-learn's `neg_mean_squared_error`).
pub type Scorer<T> = fn(&[T], &[T]) -> f64;

/// Fits a fresh clone of `estimator` on each fold's training rows and scores it on the fold's
/// test rows with the target's default score (accuracy or R², as [`Supervised::score`]). A fold
/// whose fit fails scores NaN, as scikit-learn's default `error_score`; use
/// [`try_cross_val_score`] to get the error.
pub fn cross_val_score<E: Supervised>(estimator: &E, x: &Tensor<f64>, y: &[E::Target], folds: &[Fold]) -> Vec<f64> {
    cross_val_score_with(estimator, x, y, folds, E::Target::default_score)
}

/// [`cross_val_score`] with another score (a [`Scorer`]).
pub fn cross_val_score_with<E: Supervised>(
    estimator: &E,
    x: &Tensor<f64>,
    y: &[E::Target],
    folds: &[Fold],
    scorer: Scorer<E::Target>,
) -> Vec<f64> {
    fold_results(estimator, x, y, folds, scorer).into_iter().map(|r| r.unwrap_or(f64::NAN)).collect()
}

/// [`cross_val_score`], but the first failing fold's error (in fold order) is returned.
pub fn try_cross_val_score<E: Supervised>(
    estimator: &E,
    x: &Tensor<f64>,
    y: &[E::Target],
    folds: &[Fold],
) -> Result<Vec<f64>, ClassicError> {
    fold_results(estimator, x, y, folds, E::Target::default_score).into_iter().collect()
}

fn fold_results<E: Supervised>(
    estimator: &E,
    x: &Tensor<f64>,
    y: &[E::Target],
    folds: &[Fold],
    scorer: Scorer<E::Target>,
) -> Vec<Result<f64, ClassicError>> {
    assert!(
        x.rank() == 2 && x.shape()[0] == y.len(),
        "cross_val_score: x {:?} must be [samples, features] with one target per row, got {} targets",
        x.shape(),
        y.len()
    );
    for (k, fold) in folds.iter().enumerate() {
        if let Some(&bad) = fold.train.iter().chain(&fold.test).find(|&&i| i >= y.len()) {
            panic!("cross_val_score: fold {k} names row {bad}, but x has {} rows", y.len());
        }
    }
    folds
        .par_iter()
        .map(|fold| {
            let mut model = estimator.clone();
            model.fit(&take_rows(x, &fold.train), &take(y, &fold.train))?;
            Ok(scorer(&take(y, &fold.test), &model.predict(&take_rows(x, &fold.test))))
        })
        .collect()
}

/// The mean and population standard deviation (as NumPy's `std`, which scikit-learn reports).
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// An exhaustive search over hyperparameter candidates by cross-validation, as scikit-learn's
/// `GridSearchCV`: every candidate `P` is turned into a model by `build`, scored on every
/// fold, and the best mean score wins (the first candidate on a tie); the winner is then refit
/// on all the data.
pub struct GridSearch<P, E: Supervised, B> {
    candidates: Vec<P>,
    build: B,
    folds: Option<Vec<Fold>>,
    scorer: Option<Scorer<E::Target>>,
}

impl<P, E, B> GridSearch<P, E, B>
where
    P: Clone + Sync,
    E: Supervised,
    B: Fn(&P) -> E + Sync,
{
    /// A search over `candidates` (for several hyperparameters, a `Vec` of tuples or structs).
    /// Panics on an empty list.
    pub fn new(candidates: Vec<P>, build: B) -> Self {
        assert!(!candidates.is_empty(), "GridSearch::new: no candidates to search");
        GridSearch { candidates, build, folds: None, scorer: None }
    }

    /// The score to rank candidates by (default: [`Supervised::score`], accuracy or R²).
    pub fn scoring(mut self, scorer: Scorer<E::Target>) -> Self {
        self.scorer = Some(scorer);
        self
    }

    /// The folds to score on (default: 5 folds, stratified for labels, as
    /// [`Target::default_folds`]).
    pub fn folds(mut self, folds: Vec<Fold>) -> Self {
        self.folds = Some(folds);
        self
    }

    /// Scores every candidate on every fold, then refits the best on all of `x`. A candidate
    /// whose fit fails on any fold gets a NaN mean and is never chosen; `Err` only when every
    /// candidate fails (the first candidate's error), or when the refit fails.
    pub fn fit(&self, x: &Tensor<f64>, y: &[E::Target]) -> Result<GridSearchResult<P, E>, ClassicError> {
        let folds = self.folds.clone().unwrap_or_else(|| E::Target::default_folds(y, 5));
        let mut fold_scores = Vec::with_capacity(self.candidates.len());
        let mut first_error = None;
        for params in &self.candidates {
            let scorer = self.scorer.unwrap_or(E::Target::default_score);
            let results = fold_results(&(self.build)(params), x, y, &folds, scorer);
            match results.into_iter().collect::<Result<Vec<f64>, ClassicError>>() {
                Ok(scores) => fold_scores.push(scores),
                Err(e) => {
                    first_error.get_or_insert(e);
                    fold_scores.push(vec![f64::NAN; folds.len()]);
                }
            }
        }
        let (mean_scores, std_scores): (Vec<f64>, Vec<f64>) = fold_scores.iter().map(|s| mean_std(s)).unzip();
        let best_index = (0..mean_scores.len()).filter(|&i| !mean_scores[i].is_nan()).fold(
            None,
            |best: Option<usize>, i| match best {
                Some(b) if mean_scores[b] >= mean_scores[i] => Some(b),
                _ => Some(i),
            },
        );
        let Some(best_index) = best_index else {
            return Err(first_error.expect("a NaN mean comes from a failed fit"));
        };
        let best_params = self.candidates[best_index].clone();
        let mut best_estimator = (self.build)(&best_params);
        best_estimator.fit(x, y)?;
        Ok(GridSearchResult {
            best_index,
            best_score: mean_scores[best_index],
            best_params,
            mean_scores,
            std_scores,
            fold_scores,
            best_estimator,
        })
    }
}

/// What [`GridSearch::fit`] found. Scores are listed in candidate order.
#[derive(Clone, Debug)]
pub struct GridSearchResult<P, E> {
    /// The position of the winning candidate.
    pub best_index: usize,
    /// The winning candidate.
    pub best_params: P,
    /// Its mean score over the folds.
    pub best_score: f64,
    /// Each candidate's mean score over the folds (NaN where a fit failed).
    pub mean_scores: Vec<f64>,
    /// Each candidate's population standard deviation of its fold scores.
    pub std_scores: Vec<f64>,
    /// Each candidate's score on each fold.
    pub fold_scores: Vec<Vec<f64>>,
    /// The winner refit on all the data.
    pub best_estimator: E,
}
