//! LinearRegression and Ridge against scikit-learn 1.9.1 (fixtures/linear/make_linear.py),
//! the course's polynomial fixture, and the normal equation's conditioning problem.

mod support;

use kindling_classic::linear::{LinearRegression, LstsqSolver, Ridge};
use kindling_classic::{ClassicError, Persist, Supervised};
use kindling_data::preprocess::{PolynomialFeatures, Transform};
use kindling_tensor::Tensor;
use support::{assert_close, fixture, floats, matrix};

const SOLVERS: [LstsqSolver; 3] = [LstsqSolver::Qr, LstsqSolver::Svd, LstsqSolver::NormalEquation];

#[test]
fn ols_matches_scikit_learn_with_every_solver() {
    let f = fixture("linear.json");
    let (x, y) = (matrix(&f["ols"]["x"]), floats(&f["ols"]["y"]));
    for solver in SOLVERS {
        let mut model = LinearRegression::new().solver(solver);
        model.fit(&x, &y).unwrap();
        assert_close(&format!("{solver:?} coef"), &model.coef().to_vec(), &floats(&f["ols"]["coef"]), 1e-10, 1e-10);
        assert_close(&format!("{solver:?} b"), &[model.intercept()], &floats(&f["ols"]["intercept"]), 1e-10, 1e-10);
        let mut origin = LinearRegression::new().solver(solver).fit_intercept(false);
        origin.fit(&x, &y).unwrap();
        assert_close("no intercept", &origin.coef().to_vec(), &floats(&f["ols_no_intercept"]["coef"]), 1e-10, 1e-10);
        assert_eq!(origin.intercept(), 0.0);
    }
}

#[test]
fn a_rank_deficient_design_gets_the_minimum_norm_solution() {
    let f = fixture("linear.json");
    let case = &f["ols_rank_deficient"];
    let (x, y) = (matrix(&case["x"]), floats(&case["y"]));
    for solver in [LstsqSolver::Qr, LstsqSolver::Svd] {
        let mut model = LinearRegression::new().solver(solver);
        model.fit(&x, &y).unwrap();
        assert_eq!(model.rank(), 4, "{solver:?}");
        assert_close(&format!("{solver:?} coef"), &model.coef().to_vec(), &floats(&case["coef"]), 1e-8, 1e-8);
        assert_close(&format!("{solver:?} b"), &[model.intercept()], &floats(&case["intercept"]), 1e-8, 1e-8);
    }
    let err = LinearRegression::new().solver(LstsqSolver::NormalEquation).fit(&x, &y).unwrap_err();
    assert!(matches!(err, ClassicError::Data { estimator: "LinearRegression", .. }));
    assert!(err.to_string().contains("linearly dependent (or nearly); use LstsqSolver::Qr"), "{err}");
}

/// Course fixture #10: y = x² on x = 1..5 with degree-2 features is fitted exactly.
#[test]
fn polynomial_regression_recovers_y_equals_x_squared() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0], [5, 1]);
    let y = [1.0, 4.0, 9.0, 16.0, 25.0];
    let features = PolynomialFeatures::new(2).fit_transform(&x); // [1, x, x²]
    assert_eq!(features.shape(), &[5, 3]);
    for solver in SOLVERS {
        // The bias column carries β0, so the model adds no intercept of its own.
        let mut model = LinearRegression::new().fit_intercept(false).solver(solver);
        model.fit(&features, &y).unwrap();
        assert_close(&format!("{solver:?} (β0, β1, β2)"), &model.coef().to_vec(), &[0.0, 0.0, 1.0], 1e-10, 0.0);
        assert_close("predictions", &model.predict(&features), &y, 1e-10, 0.0);
        assert!((model.score(&features, &y) - 1.0).abs() < 1e-12);
    }
    // The same with the intercept fitted separately: β0 = intercept, (β1, β2) = coef.
    let features = PolynomialFeatures::new(2).include_bias(false).fit_transform(&x);
    let mut model = LinearRegression::new();
    model.fit(&features, &y).unwrap();
    assert_close(
        "(β0, β1, β2)",
        &[model.intercept(), model.coef().get(&[0]), model.coef().get(&[1])],
        &[0.0, 0.0, 1.0],
        1e-10,
        0.0,
    );
    assert_eq!(model.score(&features, &y), 1.0);
}

/// Degree-8 polynomial features of x in [0, 10]: forming XᵀX squares X's large condition
/// number, so the normal equation's error is the square of QR's in units of ε (measured:
/// relative coefficient error 1e-11 by QR, 1e-5 by the normal equation).
#[test]
fn the_normal_equation_loses_digits_that_qr_keeps() {
    let x = Tensor::linspace(0.0f64, 10.0, 60).reshape([60, 1]);
    let features = PolynomialFeatures::new(8).include_bias(false).fit_transform(&x);
    let truth = [1.0, -0.5, 0.25, 0.3, -0.2, 0.05, -0.004, 1e-4];
    let y: Vec<f64> = features
        .to_vec()
        .chunks_exact(8)
        .map(|r| 2.0 + r.iter().zip(&truth).map(|(a, b)| a * b).sum::<f64>())
        .collect();
    let relative_error = |coef: &[f64]| {
        let num: f64 = coef.iter().zip(&truth).map(|(a, b)| (a - b).powi(2)).sum();
        (num / truth.iter().map(|b| b * b).sum::<f64>()).sqrt()
    };
    let mut qr = LinearRegression::new();
    qr.fit(&features, &y).unwrap();
    let qr_error = relative_error(&qr.coef().to_vec());
    let mut normal = LinearRegression::new().solver(LstsqSolver::NormalEquation);
    let normal_error = match normal.fit(&features, &y) {
        Ok(()) => relative_error(&normal.coef().to_vec()),
        Err(_) => f64::INFINITY,
    };
    eprintln!("degree-8 polynomial: relative coefficient error QR {qr_error:.1e}, normal equation {normal_error:.1e}");
    assert!(qr_error < 1e-5, "QR lost its digits too: {qr_error:e}");
    assert!(normal_error > 1e4 * qr_error, "normal equation {normal_error:e} vs QR {qr_error:e}");
}

#[test]
fn ridge_matches_scikit_learn_on_multi_target_and_wide_data() {
    let f = fixture("linear.json");
    for case in ["ridge_multi", "ridge_wide"] {
        let c = &f[case];
        let (x, y) = (matrix(&c["x"]), matrix(&c["y"]));
        let mut model = Ridge::new().alpha(c["alpha"].as_f64().unwrap());
        model.fit_multi(&x, &y).unwrap();
        assert_eq!(model.coef().shape(), &[y.shape()[1], x.shape()[1]]);
        assert_close(&format!("{case} coef"), &model.coef().to_vec(), &floats(&c["coef"]), 1e-10, 1e-10);
        assert_close(&format!("{case} b"), model.intercepts(), &floats(&c["intercept"]), 1e-10, 1e-10);
        // Each target alone gives the same row.
        let column: Vec<f64> = y.select(1, 1).to_vec();
        let mut one = model.clone();
        one.fit(&x, &column).unwrap();
        assert_close("one target", &one.coef().to_vec(), &model.coef().select(0, 1).to_vec(), 1e-10, 1e-10);
        let predicted = model.predict_multi(&x);
        assert_close("predict column", &predicted.select(1, 1).to_vec(), &one.predict(&x), 1e-10, 1e-10);
    }
}

#[test]
fn ridge_with_no_penalty_is_least_squares_and_bad_alphas_are_errors() {
    let f = fixture("linear.json");
    let (x, y) = (matrix(&f["ols"]["x"]), floats(&f["ols"]["y"]));
    let mut ridge = Ridge::new().alpha(0.0);
    ridge.fit(&x, &y).unwrap();
    assert_close("alpha 0", &ridge.coef().to_vec(), &floats(&f["ols"]["coef"]), 1e-10, 1e-10);
    let err = Ridge::new().alpha(-0.5).fit(&x, &y).unwrap_err();
    assert_eq!(err.to_string(), "Ridge: alpha must be a finite number ≥ 0, got -0.5");
    let case = &f["ols_rank_deficient"];
    let err = Ridge::new().alpha(0.0).fit(&matrix(&case["x"]), &floats(&case["y"])).unwrap_err();
    assert!(err.to_string().contains("use alpha > 0"), "{err}");
}

#[test]
fn non_finite_values_are_data_errors() {
    let mut x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    x[3] = f64::NAN;
    let err = LinearRegression::new().fit(&Tensor::from_vec(x, [3, 2]), &[1.0, 2.0, 3.0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "LinearRegression: x holds NaN at row 1, column 1; impute or drop missing values before fitting"
    );
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], [3, 1]);
    let err = Ridge::new().fit(&x, &[1.0, f64::NEG_INFINITY, 3.0]).unwrap_err();
    assert_eq!(err.to_string(), "Ridge: y holds -inf at row 1; drop that sample or impute it");
}

#[test]
#[should_panic(expected = "LinearRegression::fit: x has 3 rows but y has 2 values")]
fn a_short_y_panics() {
    let _ = LinearRegression::new().fit(&Tensor::zeros([3, 2]), &[1.0, 2.0]);
}

#[test]
#[should_panic(expected = "Ridge::predict: the model was fitted on 1 features, x has 2")]
fn predicting_with_other_features_panics() {
    let mut model = Ridge::new();
    model.fit(&Tensor::from_vec(vec![1.0, 2.0, 3.0], [3, 1]), &[1.0, 2.0, 4.0]).unwrap();
    model.predict(&Tensor::zeros([1, 2]));
}

#[test]
#[should_panic(expected = "LinearRegression::fit: x must be 2-D [samples, features], got shape [3]")]
fn a_1d_x_panics() {
    let _ = LinearRegression::new().fit(&Tensor::zeros([3]), &[1.0, 2.0, 3.0]);
}

#[test]
#[should_panic(expected = "LinearRegression::predict: the model is not fitted; call fit first")]
fn predicting_before_fit_panics() {
    LinearRegression::new().predict(&Tensor::zeros([1, 2]));
}

#[test]
fn saved_models_predict_the_same() {
    let f = fixture("linear.json");
    let (x, y) = (matrix(&f["ridge_multi"]["x"]), matrix(&f["ridge_multi"]["y"]));
    let dir = std::env::temp_dir().join(format!("kindling-linear-ols-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ridge = Ridge::new().alpha(0.3);
    ridge.fit_multi(&x, &y).unwrap();
    ridge.save(dir.join("ridge.safetensors")).unwrap();
    let back = Ridge::load(dir.join("ridge.safetensors")).unwrap();
    assert_eq!(back.predict_multi(&x).to_vec(), ridge.predict_multi(&x).to_vec());
    let mut ols = LinearRegression::new().solver(LstsqSolver::Svd);
    ols.fit(&x, &y.select(1, 0).to_vec()).unwrap();
    ols.save(dir.join("ols.safetensors")).unwrap();
    let back = LinearRegression::load(dir.join("ols.safetensors")).unwrap();
    assert_eq!(back.predict(&x), ols.predict(&x));
    assert_eq!(back.intercept(), ols.intercept());
    std::fs::remove_dir_all(&dir).unwrap();
}
