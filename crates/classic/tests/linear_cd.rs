//! Lasso and elastic net against scikit-learn 1.9.1 (fixtures/linear/make_linear.py).

mod support;

use kindling_classic::linear::{alpha_grid, enet_path, lasso_path, ElasticNet, Lasso};
use kindling_classic::{ClassicError, Persist, Supervised};
use kindling_tensor::Tensor;
use support::{assert_close, fixture, floats, matrix};

fn data() -> (Tensor<f64>, Vec<f64>, serde_json::Value) {
    let f = fixture("linear.json");
    let cd = f["cd"].clone();
    (matrix(&cd["x"]), floats(&cd["y"]), cd)
}

#[test]
fn lasso_matches_scikit_learn_at_a_tight_tolerance() {
    let (x, y, cd) = data();
    let mut model = Lasso::new().alpha(0.1).tol(1e-12).max_iter(100_000);
    model.fit(&x, &y).unwrap();
    assert_close("lasso coef", &model.coef().to_vec(), &floats(&cd["lasso"]["coef"]), 1e-9, 0.0);
    assert_close("lasso intercept", &[model.intercept()], &floats(&cd["lasso"]["intercept"]), 1e-9, 0.0);
    // The true model has zeros at 1, 3, 5, 6: the lasso finds exact zeros there.
    let coef = model.coef().to_vec();
    let zeros: Vec<usize> = (0..8).filter(|&j| coef[j] == 0.0).collect();
    let want: Vec<usize> = (0..8).filter(|&j| floats(&cd["lasso"]["coef"])[j] == 0.0).collect();
    assert_eq!(zeros, want);
    assert!(!zeros.is_empty());
}

#[test]
fn lasso_with_default_tolerance_stops_where_scikit_learn_does() {
    let (x, y, cd) = data();
    let mut model = Lasso::new().alpha(0.1);
    model.fit(&x, &y).unwrap();
    // Same sweeps and the same stopping rule: the iterates agree far below the tolerance.
    assert_close("lasso coef", &model.coef().to_vec(), &floats(&cd["lasso_default"]["coef"]), 1e-8, 0.0);
    assert!(model.n_iter() >= 1 && model.n_iter() < 1000);
}

#[test]
fn elastic_net_matches_scikit_learn_with_and_without_intercept() {
    let (x, y, cd) = data();
    let mut model = ElasticNet::new().alpha(0.2).l1_ratio(0.5).tol(1e-12).max_iter(100_000);
    model.fit(&x, &y).unwrap();
    assert_close("enet coef", &model.coef().to_vec(), &floats(&cd["enet"]["coef"]), 1e-9, 0.0);
    assert_close("enet intercept", &[model.intercept()], &floats(&cd["enet"]["intercept"]), 1e-9, 0.0);
    let mut model = model.clone().fit_intercept(false);
    model.fit(&x, &y).unwrap();
    assert_close("enet coef", &model.coef().to_vec(), &floats(&cd["enet_no_intercept"]["coef"]), 1e-9, 0.0);
    assert_eq!(model.intercept(), 0.0);
}

#[test]
fn the_path_equals_separate_fits_and_grows_from_all_zeros() {
    let (x, y, _) = data();
    let alphas = alpha_grid(&x, &y, 1.0, 8, 1e-3);
    assert!(alphas.windows(2).all(|w| w[0] > w[1]));
    // Given in increasing order, the path still runs (and reports) largest first.
    let mut reversed = alphas.clone();
    reversed.reverse();
    let path = lasso_path(&x, &y, &reversed).unwrap();
    assert_eq!(path.alphas, alphas);
    assert_eq!(path.coefs.shape(), &[8, 8]);
    // At the grid's top every coefficient is zero, just below it some are not.
    assert!(path.coefs.select(0, 0).to_vec().iter().all(|&c| c == 0.0));
    assert!(path.coefs.select(0, 1).to_vec().iter().any(|&c| c != 0.0));
    for (i, &a) in alphas.iter().enumerate() {
        let mut model = Lasso::new().alpha(a).tol(1e-10).max_iter(100_000);
        model.fit(&x, &y).unwrap();
        assert_close(
            &format!("path at alpha {a}"),
            &path.coefs.select(0, i).to_vec(),
            &model.coef().to_vec(),
            1e-3,
            1e-3,
        );
        assert!((path.intercepts[i] - model.intercept()).abs() < 1e-2);
    }
    let enet = enet_path(&x, &y, 0.5, &alphas).unwrap();
    assert!(enet.coefs.select(0, 7).to_vec().iter().all(|&c| c != 0.0));
}

#[test]
fn warm_start_continues_from_the_last_fit() {
    let (x, y, _) = data();
    let mut model = Lasso::new().alpha(0.1).tol(1e-10).max_iter(100_000).warm_start(true);
    model.fit(&x, &y).unwrap();
    let first = model.n_iter();
    model.fit(&x, &y).unwrap();
    assert!(first > 1);
    assert_eq!(model.n_iter(), 0, "already converged: the gap check passes before any sweep");
}

#[test]
fn bad_inputs_are_clear_errors() {
    let (x, mut y, _) = data();
    let err = Lasso::new().alpha(-1.0).fit(&x, &y).unwrap_err();
    assert!(matches!(err, ClassicError::Param { name: "alpha", .. }), "{err}");
    assert!(err.to_string().starts_with("Lasso: alpha must be"), "{err}");
    let err = ElasticNet::new().l1_ratio(1.5).fit(&x, &y).unwrap_err();
    assert_eq!(err.to_string(), "ElasticNet: l1_ratio must be in [0, 1], got 1.5");
    y[3] = f64::NAN;
    let err = Lasso::new().fit(&x, &y).unwrap_err();
    assert_eq!(err.to_string(), "Lasso: y holds NaN at row 3; drop that sample or impute it");
    let mut xv = x.to_vec();
    xv[2 * 8 + 5] = f64::INFINITY;
    let err = ElasticNet::new().fit(&Tensor::from_vec(xv, [50, 8]), &floats(&data().2["y"])).unwrap_err();
    assert!(err.to_string().contains("x holds inf at row 2, column 5"), "{err}");
}

#[test]
#[should_panic(expected = "Lasso::fit: x has 50 rows but y has 49 values")]
fn a_short_y_panics() {
    let (x, y, _) = data();
    let _ = Lasso::new().fit(&x, &y[..49]);
}

#[test]
#[should_panic(expected = "Lasso::predict: the model was fitted on 8 features, x has 3")]
fn predicting_with_other_features_panics() {
    let (x, y, _) = data();
    let mut model = Lasso::new();
    model.fit(&x, &y).unwrap();
    model.predict(&Tensor::zeros([2, 3]));
}

#[test]
#[should_panic(expected = "ElasticNet::coef: the model is not fitted")]
fn coef_before_fit_panics() {
    ElasticNet::new().coef();
}

#[test]
fn saved_models_predict_the_same() {
    let (x, y, _) = data();
    let dir = std::env::temp_dir().join(format!("kindling-linear-cd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut lasso = Lasso::new().alpha(0.05);
    lasso.fit(&x, &y).unwrap();
    lasso.save(dir.join("lasso.safetensors")).unwrap();
    let back = Lasso::load(dir.join("lasso.safetensors")).unwrap();
    assert_eq!(back.predict(&x), lasso.predict(&x));
    let err = ElasticNet::load(dir.join("lasso.safetensors")).unwrap_err();
    assert!(err.to_string().contains("holds a Lasso, not a ElasticNet"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// With no L1 share the elastic net is ridge with α scaled by n (the 1/2n in front of the
/// squared error), and with α = 0 the lasso is least squares: both reached by the sweeps,
/// each stopped by its own form of the gap.
#[test]
fn the_limits_of_the_elastic_net_are_ridge_and_least_squares() {
    let (x, y, _) = data();
    let mut enet = ElasticNet::new().alpha(0.3).l1_ratio(0.0).tol(1e-14).max_iter(100_000);
    enet.fit(&x, &y).unwrap();
    let mut ridge = kindling_classic::linear::Ridge::new().alpha(0.3 * 50.0);
    ridge.fit(&x, &y).unwrap();
    assert_close("enet ρ=0 vs ridge", &enet.coef().to_vec(), &ridge.coef().to_vec(), 1e-8, 1e-8);
    let mut lasso = Lasso::new().alpha(0.0).tol(1e-14).max_iter(100_000);
    lasso.fit(&x, &y).unwrap();
    let mut ols = kindling_classic::linear::LinearRegression::new();
    ols.fit(&x, &y).unwrap();
    assert_close("lasso α=0 vs OLS", &lasso.coef().to_vec(), &ols.coef().to_vec(), 1e-8, 1e-8);
    assert!((lasso.intercept() - ols.intercept()).abs() < 1e-8);
}
