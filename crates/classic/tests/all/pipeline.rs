//! Pipelines: steps in order, then the estimator; the preprocessing adapters; errors.

use crate::doubles::{blobs, rows, LineRegressor, MeanRegressor, NearestCentroid, ShiftByTrainingMean};
use kindling_classic::pipeline::Pipeline;
use kindling_classic::{Classifier, PredictProba, Supervised, Transformer};
use kindling_data::{MinMaxScaler, PolynomialFeatures, StandardScaler};
use kindling_tensor::Tensor;

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= 1e-12, "element {i}: {x} != {y}");
    }
}

#[test]
fn standard_scaler_uses_the_population_standard_deviation_as_scikit_learn() {
    let x = Tensor::from_vec(vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 4.0, 5.0], [4, 2]);
    let mut scaler = StandardScaler::new();
    let z = Transformer::fit_transform(&mut scaler, &x).unwrap();
    // Column 0: mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25. Column 1 is constant: 0.
    let s = 1.25f64.sqrt();
    close(&z.to_vec(), &[-1.5 / s, 0.0, -0.5 / s, 0.0, 0.5 / s, 0.0, 1.5 / s, 0.0]);
}

#[test]
fn min_max_and_polynomial_steps_transform_as_kindling_data_does() {
    let x = Tensor::from_vec(vec![1.0, -2.0, 3.0, 0.0, 2.0, 2.0], [3, 2]);
    let mut mm = MinMaxScaler::new();
    close(&Transformer::fit_transform(&mut mm, &x).unwrap().to_vec(), &[0.0, 0.0, 1.0, 0.5, 0.5, 1.0]);
    let mut poly = PolynomialFeatures::new(2);
    let p = Transformer::fit_transform(&mut poly, &x).unwrap();
    assert_eq!(p.shape(), &[3, 6]);
    close(&p.to_vec()[..6], &[1.0, 1.0, -2.0, 1.0, -2.0, 4.0]); // 1, a, b, a², ab, b²
}

#[test]
fn an_infinite_value_is_an_error_that_says_where() {
    let x = Tensor::from_vec(vec![1.0, 2.0, f64::INFINITY, 4.0], [2, 2]);
    let err = Transformer::fit(&mut StandardScaler::new(), &x).unwrap_err().to_string();
    assert_eq!(
        err,
        "StandardScaler: x holds an infinite value at row 1, column 0 (counting from 0); clip, impute or drop it \
         before fitting"
    );
    let err = Pipeline::new(MeanRegressor::default()).step(MinMaxScaler::new()).fit(&x, &[1.0, 2.0]).unwrap_err();
    assert!(err.to_string().starts_with("MinMaxScaler: x holds an infinite value at row 1"), "{err}");
}

#[test]
fn steps_run_in_the_order_added_then_the_estimator() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 6.0], [5, 1]);
    let y = [1.0, 2.0, 3.0, 4.0, 5.0];
    let mut shift_then_square =
        Pipeline::new(MeanRegressor::default()).step(ShiftByTrainingMean::default()).step(PolynomialFeatures::new(2));
    shift_then_square.fit(&x, &y).unwrap();
    // By hand: the mean of x is 3.2; then [1, v, v²] of the shifted values.
    let expected: Vec<f64> = x.to_vec().iter().flat_map(|v| [1.0, v - 3.2, (v - 3.2) * (v - 3.2)]).collect();
    close(&shift_then_square.transform(&x).to_vec(), &expected);
    assert_eq!(shift_then_square.step_names(), ["ShiftByTrainingMean", "PolynomialFeatures"]);

    // The other order learns the mean of the expanded table (1, x, x²), so the outputs differ.
    let mut square_then_shift =
        Pipeline::new(MeanRegressor::default()).step(PolynomialFeatures::new(2)).step(ShiftByTrainingMean::default());
    square_then_shift.fit(&x, &y).unwrap();
    let rows3: Vec<f64> = x.to_vec().iter().flat_map(|&v| [1.0, v, v * v]).collect();
    let shift = rows3.iter().sum::<f64>() / rows3.len() as f64;
    close(&square_then_shift.transform(&x).to_vec(), &rows3.iter().map(|v| v - shift).collect::<Vec<_>>());
    assert_eq!(square_then_shift.predict(&x), vec![3.0; 5]);
}

#[test]
fn a_classifier_pipeline_equals_scaling_by_hand_then_fitting() {
    let (x, y) = blobs(12);
    let mut model = Pipeline::new(NearestCentroid::default()).step(StandardScaler::new());
    model.fit(&x, &y).unwrap();

    let mut scaler = StandardScaler::new();
    let z = Transformer::fit_transform(&mut scaler, &x).unwrap();
    let mut bare = NearestCentroid::default();
    bare.fit(&z, &y).unwrap();

    let probe = Tensor::from_vec(vec![9.0, 1.0, 0.5, 8.0, -1.0, 0.0, 5.0, 5.0], [4, 2]);
    let probe_z = Transformer::transform(&scaler, &probe);
    assert_eq!(model.predict(&probe), bare.predict(&probe_z));
    assert_eq!(model.predict(&probe)[..3], [1, 2, 0]);
    assert_eq!(model.classes(), [0, 1, 2]);
    close(&model.predict_proba(&probe).to_vec(), &bare.predict_proba(&probe_z).to_vec());
    for row in rows(&model.predict_proba(&probe)) {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    assert_eq!(model.score(&x, &y), 1.0);
}

#[test]
fn a_clone_is_independent_of_the_original() {
    let x = Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0], [4, 1]);
    let mut fitted = Pipeline::new(LineRegressor::default()).step(MinMaxScaler::new());
    fitted.fit(&x, &[1.0, 3.0, 5.0, 7.0]).unwrap();
    let copy = fitted.clone();
    fitted.fit(&x, &[0.0, 0.0, 0.0, 1.0]).unwrap();
    close(&copy.predict(&x), &[1.0, 3.0, 5.0, 7.0]);
    assert_ne!(fitted.predict(&x), copy.predict(&x));
}

#[test]
fn the_estimators_error_comes_through_and_leaves_the_pipeline_unfitted() {
    // PolynomialFeatures puts the constant column first, which LineRegressor reads: no slope.
    let x = Tensor::from_vec(vec![0.0, 1.0, 2.0], [3, 1]);
    let mut model = Pipeline::new(LineRegressor::default()).step(PolynomialFeatures::new(2));
    let err = model.fit(&x, &[1.0, 2.0, 3.0]).unwrap_err();
    assert_eq!(err.to_string(), "LineRegressor: x is constant; a slope is undefined");
    let unfitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.predict(&x))).unwrap_err();
    let msg =
        unfitted.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| unfitted.downcast_ref::<String>().cloned());
    let msg = msg.unwrap_or_default();
    assert!(msg.contains("Pipeline::predict: the pipeline is not fitted; call fit first"), "{msg}");
}

#[test]
#[should_panic(expected = "Pipeline::fit: x [3, 1] must be [samples, features] with one target per row, got 2 targets")]
fn fit_refuses_a_target_count_that_differs() {
    let x = Tensor::from_vec(vec![0.0, 1.0, 2.0], [3, 1]);
    let _ = Pipeline::new(MeanRegressor::default()).fit(&x, &[1.0, 2.0]);
}

#[test]
#[should_panic(expected = "StandardScaler::transform: x must be [samples, features], got shape [3]")]
fn adapters_refuse_a_one_dimensional_input() {
    let x = Tensor::from_vec(vec![0.0, 1.0, 2.0], [3, 1]);
    let mut s = StandardScaler::new();
    Transformer::fit(&mut s, &x).unwrap();
    Transformer::transform(&s, &Tensor::from_vec(vec![0.0, 1.0, 2.0], [3]));
}
