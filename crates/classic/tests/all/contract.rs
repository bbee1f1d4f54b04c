//! The contract suite over the test doubles and pipelines (which must pass), and over a
//! broken estimator (which each check must catch).

use crate::doubles::{blobs, check_fit, check_predict, LineRegressor, MeanRegressor, NearestCentroid};
use kindling_classic::contract::{
    check_classifier, check_persist, check_predict_proba, check_rejects_non_finite, check_supervised,
};
use kindling_classic::pipeline::Pipeline;
use kindling_classic::{ClassicError, Supervised};
use kindling_data::{PolynomialFeatures, StandardScaler};
use kindling_tensor::Tensor;

fn line_data() -> (Tensor<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..12).map(|i| i as f64).collect();
    let y = x.iter().map(|v| 3.0 * v - 2.0 + (v * 0.9).cos()).collect();
    (Tensor::from_vec(x, [12, 1]), y)
}

#[test]
fn the_doubles_and_pipelines_keep_the_contract() {
    let (x, y) = blobs(6);
    check_predict_proba(&NearestCentroid::default(), &x, &y);
    check_predict_proba(&Pipeline::new(NearestCentroid::default()).step(StandardScaler::new()), &x, &y);
    check_persist(&NearestCentroid::default(), &x, &y);
    let (x, y) = line_data();
    check_supervised(&MeanRegressor::default(), &x, &y);
    check_persist(&MeanRegressor::default(), &x, &y);
    check_supervised(&Pipeline::new(MeanRegressor::default()).step(PolynomialFeatures::new(3)), &x, &y);
}

/// A regressor with deliberate faults, switched on one at a time.
#[derive(Clone, Default)]
struct Faulty {
    remembers_earlier_fits: bool,
    skips_shape_checks: bool,
    total: f64,
    count: f64,
    features: usize,
}

impl Supervised for Faulty {
    type Target = f64;
    fn name(&self) -> &'static str {
        "Faulty"
    }
    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        if !self.skips_shape_checks {
            check_fit("Faulty", x, y.len());
        }
        if !self.remembers_earlier_fits {
            (self.total, self.count) = (0.0, 0.0);
        }
        self.total += y.iter().sum::<f64>();
        self.count += y.len() as f64;
        self.features = x.shape()[1];
        Ok(())
    }
    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        if !self.skips_shape_checks {
            check_predict("Faulty", x, self.features);
        }
        vec![self.total / self.count; x.shape()[0]]
    }
}

fn failure(f: impl FnOnce()) -> String {
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("the check should fail");
    payload.downcast_ref::<String>().cloned().or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

#[test]
fn the_checks_catch_a_model_that_keeps_state_or_skips_shape_checks() {
    let (x, y) = line_data();
    check_supervised(&Faulty::default(), &x, &y);
    let msg = failure(|| check_supervised(&Faulty { remembers_earlier_fits: true, ..Faulty::default() }, &x, &y));
    assert!(msg.contains("Faulty: fit does not replace what an earlier fit learned"), "{msg}");
    let msg = failure(|| check_supervised(&Faulty { skips_shape_checks: true, ..Faulty::default() }, &x, &y));
    assert_eq!(msg, "Faulty: fit accepted 11 targets for 12 rows");
}

/// A classifier that always predicts label 0, whatever the labels are called.
#[derive(Clone, Default)]
struct AlwaysZero {
    classes: Vec<i64>,
}

impl Supervised for AlwaysZero {
    type Target = i64;
    fn name(&self) -> &'static str {
        "AlwaysZero"
    }
    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        check_fit("AlwaysZero", x, y.len());
        self.classes = y.to_vec();
        self.classes.sort_unstable();
        self.classes.dedup();
        Ok(())
    }
    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        check_predict("AlwaysZero", x, 2);
        vec![0; x.shape()[0]]
    }
}

impl kindling_classic::Classifier for AlwaysZero {
    fn classes(&self) -> &[i64] {
        &self.classes
    }
}

#[test]
fn the_classifier_check_catches_a_model_that_reads_labels_as_numbers() {
    let (x, y) = blobs(4);
    check_supervised(&AlwaysZero::default(), &x, &y);
    let msg = failure(|| check_classifier(&AlwaysZero::default(), &x, &y));
    assert!(msg.contains("AlwaysZero: renaming the labels changes the predictions"), "{msg}");
}

/// Refuses a non-finite x, else predicts the training mean.
#[derive(Clone, Default)]
struct Careful(MeanRegressor);

impl Supervised for Careful {
    type Target = f64;
    fn name(&self) -> &'static str {
        "Careful"
    }
    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        if x.to_vec().iter().any(|v| !v.is_finite()) {
            return Err(ClassicError::data("Careful", "x holds a NaN or an infinity"));
        }
        self.0.fit(x, y)
    }
    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        self.0.predict(x)
    }
}

#[test]
fn the_non_finite_check_tells_refusing_from_accepting_and_panicking() {
    let (x, y) = line_data();
    check_rejects_non_finite(&Careful::default(), &x, &y);
    let msg = failure(|| check_rejects_non_finite(&MeanRegressor::default(), &x, &y));
    assert_eq!(msg, "MeanRegressor: fit accepted an x holding NaN");
    // The scaler turns an infinity into an error, but NaN is "missing" to it and reaches the model.
    let msg = failure(|| {
        check_rejects_non_finite(&Pipeline::new(MeanRegressor::default()).step(StandardScaler::new()), &x, &y)
    });
    assert_eq!(msg, "Pipeline: fit accepted an x holding NaN");
    let msg = failure(|| check_rejects_non_finite(&LineRegressor::default(), &x, &y));
    assert!(msg.starts_with("LineRegressor: fit accepted an x holding NaN"), "{msg}");
}
