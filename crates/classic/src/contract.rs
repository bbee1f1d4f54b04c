//! The estimator contract, checked: one suite every estimator's tests can run (in the spirit
//! of scikit-learn's `check_estimator`), so the convention in [`crate::estimator`] holds for
//! all of them, not only for the one whose author remembered a rule.
//!
//! Each check fits clones of the model it is given (the model itself is never touched) and
//! panics with the estimator's name and the rule that failed.
//!
//! ```
//! use kindling_classic::{contract, ClassicError, Supervised};
//! use kindling_tensor::Tensor;
//!
//! /// Predicts the training mean; checks its shapes as the convention asks.
//! #[derive(Clone, Default)]
//! struct Mean { mean: f64, features: usize }
//!
//! impl Supervised for Mean {
//!     type Target = f64;
//!     fn name(&self) -> &'static str { "Mean" }
//!     fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
//!         let rows = x.shape()[0];
//!         assert!(rows == y.len(), "Mean::fit: x has {rows} rows but y has {} values", y.len());
//!         *self = Mean { mean: y.iter().sum::<f64>() / y.len() as f64, features: x.shape()[1] };
//!         Ok(())
//!     }
//!     fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
//!         let d = x.shape()[1];
//!         assert!(d == self.features, "Mean::predict: fitted on {} features but x has {d}", self.features);
//!         vec![self.mean; x.shape()[0]]
//!     }
//! }
//!
//! let x = Tensor::from_vec((0..20).map(f64::from).collect(), [10, 2]);
//! let y: Vec<f64> = (0..10).map(f64::from).collect();
//! contract::check_supervised(&Mean::default(), &x, &y);
//! ```

use crate::model_selection::{take, take_rows};
use crate::{Classifier, Clusterer, Persist, PredictProba, Supervised, Target};
use kindling_tensor::Tensor;
use std::panic::{catch_unwind, AssertUnwindSafe};

fn fitted<E: Supervised>(model: &E, x: &Tensor<f64>, y: &[E::Target]) -> E {
    let mut m = model.clone();
    m.fit(x, y).unwrap_or_else(|e| panic!("{}: fit failed on the contract's data: {e}", model.name()));
    m
}

/// The panic message of `f`, or `None` when it does not panic. (The panic is still printed:
/// the process-wide panic hook is left alone, since tests run in parallel.)
fn panic_message(f: impl FnOnce()) -> Option<String> {
    let payload = catch_unwind(AssertUnwindSafe(f)).err()?;
    let text =
        payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned());
    Some(text.unwrap_or_default())
}

/// What every supervised model must do, on data it can fit (`x`: `[samples, features]` with
/// at least 4 rows and 1 column):
///
/// - one prediction per row, the same from two fits of the same data (no hidden randomness
///   without a seed) and from a clone of the fitted model;
/// - `fit` replaces what an earlier `fit` learned (fit on half the rows, then on all, predicts
///   as a fresh fit on all);
/// - `score` is the target's default score of `predict`;
/// - `fit` with a `y` of the wrong length and `predict` with the wrong number of features
///   panic, and the message names the estimator.
pub fn check_supervised<E: Supervised>(model: &E, x: &Tensor<f64>, y: &[E::Target]) {
    let name = model.name();
    let (n, d) = (x.shape()[0], x.shape()[1]);
    assert!(n >= 4 && d >= 1 && y.len() == n, "check_supervised: needs x [n >= 4, d >= 1] and n targets");
    let first = fitted(model, x, y);
    let predicted = first.predict(x);
    assert_eq!(predicted.len(), n, "{name}: predict gave {} values for {n} rows", predicted.len());
    assert_eq!(fitted(model, x, y).predict(x), predicted, "{name}: two fits of the same data predict differently");
    assert_eq!(first.clone().predict(x), predicted, "{name}: a clone of the fitted model predicts differently");

    let half: Vec<usize> = (0..n).step_by(2).collect();
    let mut refit = fitted(model, &take_rows(x, &half), &take(y, &half));
    refit.fit(x, y).unwrap_or_else(|e| panic!("{name}: the second fit failed: {e}"));
    assert_eq!(refit.predict(x), predicted, "{name}: fit does not replace what an earlier fit learned");

    let expected = E::Target::default_score(y, &predicted);
    let score = first.score(x, y);
    assert!(
        score == expected || (score.is_nan() && expected.is_nan()),
        "{name}: score is {score}, but the default score of predict is {expected}"
    );

    let short = panic_message(|| {
        let _ = model.clone().fit(x, &y[..n - 1]);
    });
    match short {
        None => panic!("{name}: fit accepted {} targets for {n} rows", n - 1),
        Some(msg) => assert!(msg.contains(name), "{name}: the message for a short y does not name it: {msg:?}"),
    }
    let wider = Tensor::from_vec(vec![0.0; n * (d + 1)], [n, d + 1]);
    match panic_message(|| {
        first.predict(&wider);
    }) {
        None => panic!("{name}: predict accepted {} features after fitting on {d}", d + 1),
        Some(msg) => {
            assert!(msg.contains(name), "{name}: the message for a wrong feature count does not name it: {msg:?}")
        }
    }
}

/// [`check_supervised`], plus what a classifier must do: `classes()` are the labels of `y`,
/// sorted; predictions are among them; and the labels are only names (fitting on `y` mapped
/// by `c ↦ 10c − 7` predicts the mapped labels).
pub fn check_classifier<E: Classifier>(model: &E, x: &Tensor<f64>, y: &[i64]) {
    check_supervised(model, x, y);
    let name = model.name();
    let first = fitted(model, x, y);
    let mut labels = y.to_vec();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(first.classes(), labels, "{name}: classes() are not the sorted labels of y");
    let predicted = first.predict(x);
    assert!(predicted.iter().all(|p| labels.binary_search(p).is_ok()), "{name}: predicted a label not in y");

    let rename = |c: i64| 10 * c - 7;
    let renamed: Vec<i64> = y.iter().map(|&c| rename(c)).collect();
    let again = fitted(model, x, &renamed);
    let expected: Vec<i64> = predicted.iter().map(|&c| rename(c)).collect();
    assert_eq!(again.predict(x), expected, "{name}: renaming the labels changes the predictions");
}

/// [`check_classifier`], plus: `predict_proba` is `[samples, classes]`, each row in [0, 1]
/// summing to 1, and its most probable class is the prediction (where the top two
/// probabilities are not tied).
pub fn check_predict_proba<E: PredictProba>(model: &E, x: &Tensor<f64>, y: &[i64]) {
    check_classifier(model, x, y);
    let name = model.name();
    let first = fitted(model, x, y);
    let proba = first.predict_proba(x);
    let (n, k) = (x.shape()[0], first.classes().len());
    assert_eq!(proba.shape(), &[n, k], "{name}: predict_proba's shape is not [samples, classes]");
    let predicted = first.predict(x);
    for (i, row) in proba.to_vec().chunks(k).enumerate() {
        let sum: f64 = row.iter().sum();
        assert!((sum - 1.0).abs() <= 1e-9, "{name}: predict_proba row {i} sums to {sum}");
        assert!(row.iter().all(|p| (0.0..=1.0).contains(p)), "{name}: predict_proba row {i} leaves [0, 1]: {row:?}");
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
        if k > 1 && row[order[0]] - row[order[1]] > 1e-12 {
            assert_eq!(
                first.classes()[order[0]],
                predicted[i],
                "{name}: row {i}'s most probable class is not its prediction ({row:?})"
            );
        }
    }
}

/// A fitted model saved and loaded predicts exactly as before (the file goes to the system's
/// temporary folder and is removed).
pub fn check_persist<E: Supervised + Persist>(model: &E, x: &Tensor<f64>, y: &[E::Target]) {
    let name = model.name();
    let first = fitted(model, x, y);
    let path = std::env::temp_dir().join(format!("kindling-contract-{name}-{}.safetensors", std::process::id()));
    first.save(&path).unwrap_or_else(|e| panic!("{name}: save failed: {e}"));
    let loaded = E::load(&path).unwrap_or_else(|e| panic!("{name}: load failed: {e}"));
    let _ = std::fs::remove_file(&path);
    assert_eq!(loaded.predict(x), first.predict(x), "{name}: the loaded model predicts differently");
}

/// A NaN or an infinity in `x` makes `fit` return an error (a [`crate::ClassicError`] that
/// says where), neither a panic nor a silently poisoned model. Models that never read `x`
/// cannot keep this rule, so it is a check of its own.
pub fn check_rejects_non_finite<E: Supervised>(model: &E, x: &Tensor<f64>, y: &[E::Target]) {
    let name = model.name();
    for bad in [f64::NAN, f64::INFINITY] {
        let mut values = x.to_vec();
        let last = values.len() - 1;
        values[last] = bad;
        let poisoned = Tensor::from_vec(values, x.shape().to_vec());
        let mut m = model.clone();
        let outcome = panic_message(|| {
            if m.fit(&poisoned, y).is_ok() {
                panic!("accepted");
            }
        });
        match outcome {
            None => {}
            Some(msg) if msg == "accepted" => panic!("{name}: fit accepted an x holding {bad}"),
            Some(msg) => panic!("{name}: fit panicked on an x holding {bad} instead of returning an error: {msg}"),
        }
    }
}

/// What every clustering model must do, on data it can fit (`x`: `[samples, features]` with at
/// least 4 rows and 1 column):
///
/// - one cluster id per training row, the same from two fits of the same data (randomness
///   comes from a seed) and from a clone of the fitted model;
/// - `fit` replaces what an earlier `fit` learned (fit on half the rows, then on all, labels
///   as a fresh fit on all), and `fit_predict` gives `fit`'s labels;
/// - a NaN or an infinity in `x` makes `fit` return an error, not panic;
/// - asking an unfitted model for its labels panics with a message that names it.
pub fn check_clusterer<C: Clusterer>(model: &C, x: &Tensor<f64>) {
    let name = model.name();
    let (n, d) = (x.shape()[0], x.shape()[1]);
    assert!(n >= 4 && d >= 1, "check_clusterer: needs x [n >= 4, d >= 1]");
    let fit = |m: &C, x: &Tensor<f64>| {
        let mut m = m.clone();
        m.fit(x).unwrap_or_else(|e| panic!("{name}: fit failed on the contract's data: {e}"));
        m
    };
    let first = fit(model, x);
    let labels = first.labels().to_vec();
    assert_eq!(labels.len(), n, "{name}: {} labels for {n} rows", labels.len());
    assert_eq!(fit(model, x).labels(), labels, "{name}: two fits of the same data label differently");
    assert_eq!(first.clone().labels(), labels, "{name}: a clone of the fitted model labels differently");
    let mut again = model.clone();
    let predicted = again.fit_predict(x).unwrap_or_else(|e| panic!("{name}: fit_predict failed: {e}"));
    assert_eq!(predicted, labels, "{name}: fit_predict differs from fit's labels");

    let half: Vec<usize> = (0..n).step_by(2).collect();
    let mut refit = fit(model, &take_rows(x, &half));
    refit.fit(x).unwrap_or_else(|e| panic!("{name}: the second fit failed: {e}"));
    assert_eq!(refit.labels(), labels, "{name}: fit does not replace what an earlier fit learned");

    for bad in [f64::NAN, f64::INFINITY] {
        let mut values = x.to_vec();
        values[n * d - 1] = bad;
        let poisoned = Tensor::from_vec(values, x.shape().to_vec());
        let mut m = model.clone();
        let outcome = panic_message(|| {
            if m.fit(&poisoned).is_ok() {
                panic!("accepted");
            }
        });
        match outcome {
            None => {}
            Some(msg) if msg == "accepted" => panic!("{name}: fit accepted an x holding {bad}"),
            Some(msg) => panic!("{name}: fit panicked on an x holding {bad} instead of returning an error: {msg}"),
        }
    }
    match panic_message(|| {
        let _ = model.clone().labels().len();
    }) {
        None => panic!("{name}: an unfitted model gave labels"),
        Some(msg) => assert!(msg.contains(name), "{name}: the unfitted-labels message does not name it: {msg:?}"),
    }
}
