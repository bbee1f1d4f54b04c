//! The linear models on the real datasets, beside scikit-learn 1.9.1 on the same splits
//! (fixtures/linear/real.json from make_linear.py). Needs KINDLING_DATASETS.

mod support;

use kindling_classic::linear::{lasso_path, Lasso, LinearRegression, LogisticRegression, Ridge};
use kindling_classic::Supervised;
use kindling_tensor::Tensor;
use support::*;

struct Split {
    train_x: Tensor<f64>,
    train_y: Vec<f64>,
    test_x: Tensor<f64>,
    test_y: Vec<f64>,
}

fn split(xs: &[Vec<f64>], ys: &[f64], case: &serde_json::Value, scale: bool) -> Split {
    let (train, test) = (indices(&case["train"]), indices(&case["test"]));
    let (train_x, test_x) = (take(xs, &train), take(xs, &test));
    let (train_x, test_x) = if scale { standardise(&train_x, &test_x) } else { (train_x, test_x) };
    Split {
        train_x,
        test_x,
        train_y: train.iter().map(|&i| ys[i]).collect(),
        test_y: test.iter().map(|&i| ys[i]).collect(),
    }
}

/// Compares a fitted model's `[coef..., intercept]` and test R² with scikit-learn's.
fn check_fit(what: &str, got: Vec<f64>, r2: f64, want: &serde_json::Value, atol: f64) {
    let want_r2 = want["r2"].as_f64().unwrap();
    eprintln!(
        "{what}: max |coef − scikit-learn| = {:.1e}, R² {r2:.6} (scikit-learn {want_r2:.6})",
        max_abs_diff(&got, &floats(&want["coef"]))
    );
    assert_close(&format!("{what} coef"), &got, &floats(&want["coef"]), atol, atol);
    assert!((r2 - want_r2).abs() < 0.01, "{what}: R² {r2} vs {want_r2}");
}

/// Fits, then the coefficients followed by the intercept, and the test R².
macro_rules! fitted {
    ($model:expr, $s:expr) => {{
        let mut model = $model;
        model.fit(&$s.train_x, &$s.train_y).unwrap();
        let mut coef = model.coef().to_vec();
        coef.push(model.intercept());
        (coef, model.score(&$s.test_x, &$s.test_y))
    }};
}

fn with_intercept(fit: &serde_json::Value) -> serde_json::Value {
    let mut coef = floats(&fit["coef"]);
    coef.extend(floats(&fit["intercept"]));
    serde_json::json!({ "coef": coef, "r2": fit["r2"] })
}

#[test]
fn diabetes_regressions_match_scikit_learn() {
    let Some(dir) = datasets() else { return };
    let real = fixture("real.json");
    let case = &real["diabetes"];
    let (xs, ys) = load(&dir, "diabetes");
    for (scaled, fits) in [(true, case.clone()), (false, case["as_shipped"].clone())] {
        let s = split(&xs, &ys, case, scaled);
        let tag = if scaled { "standardised" } else { "as shipped" };
        let (coef, r2) = fitted!(LinearRegression::new(), s);
        check_fit(&format!("OLS ({tag})"), coef, r2, &with_intercept(&fits["ols"]), 1e-8);
        let (coef, r2) = fitted!(Ridge::new(), s);
        check_fit(&format!("ridge α=1 ({tag})"), coef, r2, &with_intercept(&fits["ridge"]), 1e-8);
        let (coef, r2) = fitted!(Lasso::new().alpha(0.1).tol(1e-12).max_iter(100_000), s);
        check_fit(&format!("lasso α=0.1 tight ({tag})"), coef, r2, &with_intercept(&fits["lasso"]), 1e-6);
        let (coef, r2) = fitted!(Lasso::new().alpha(0.1), s);
        check_fit(&format!("lasso α=0.1 default tol ({tag})"), coef, r2, &with_intercept(&fits["lasso_default"]), 1e-6);
    }
}

#[test]
fn diabetes_lasso_path_matches_scikit_learn() {
    let Some(dir) = datasets() else { return };
    let real = fixture("real.json");
    let case = &real["diabetes"];
    let (xs, ys) = load(&dir, "diabetes");
    let s = split(&xs, &ys, case, true);
    let alphas = floats(&case["path_alphas"]);
    let path = Lasso::new().tol(1e-12).max_iter(100_000).path(&s.train_x, &s.train_y, &alphas).unwrap();
    let default_path = lasso_path(&s.train_x, &s.train_y, &alphas).unwrap();
    let want: Vec<Vec<f64>> = case["path_coefs"].as_array().unwrap().iter().map(floats).collect();
    let mut worst = (0.0f64, 0.0f64);
    for (i, w) in want.iter().enumerate() {
        let got = path.coefs.select(0, i).to_vec();
        assert_close(&format!("path at α = {}", alphas[i]), &got, w, 1e-6, 1e-6);
        worst.0 = worst.0.max(max_abs_diff(&got, w));
        worst.1 = worst.1.max(max_abs_diff(&default_path.coefs.select(0, i).to_vec(), w));
    }
    eprintln!(
        "lasso path, 12 alphas: max |coef − scikit-learn| = {:.1e} (tol 1e-12), {:.1e} (default tol)",
        worst.0, worst.1
    );
    // With the default tolerance the path stops early on the gap, still close in R² terms.
    assert!(worst.1 < 0.5, "{}", worst.1);
}

fn check_classifier(name: &str, xs: &[Vec<f64>], ys: &[f64], case: &serde_json::Value) {
    let s = split(xs, ys, case, true);
    let to_labels = |v: &[f64]| v.iter().map(|&y| y as i64).collect::<Vec<_>>();
    let mut model = LogisticRegression::new().max_iter(1000);
    model.fit(&s.train_x, &to_labels(&s.train_y)).unwrap();
    let accuracy = model.score(&s.test_x, &to_labels(&s.test_y));
    let want = case["accuracy"].as_f64().unwrap();
    eprintln!("{name}: accuracy {accuracy:.4} (scikit-learn {want:.4}), {} iterations", model.n_iter());
    assert!(accuracy >= want - 0.01, "{name}: {accuracy} vs scikit-learn {want}");
}

#[test]
fn logistic_regression_on_the_small_datasets_matches_scikit_learn() {
    let Some(dir) = datasets() else { return };
    let real = fixture("real.json");
    let (xs, ys) = load(&dir, "iris");
    check_classifier("iris", &xs, &ys, &real["iris"]);
    let (xs, ys) = load(&dir, "breast_cancer");
    check_classifier("breast cancer", &xs, &ys, &real["breast_cancer"]);
    let (xs, ys) = load(&dir, "wine");
    check_classifier("wine", &xs, &ys, &real["wine"]);
}

#[test]
fn logistic_regression_on_optdigits_matches_scikit_learn() {
    let Some(dir) = datasets() else { return };
    let real = fixture("real.json");
    let (train_x, train_y) = load(&dir, "optdigits_train");
    let (test_x, test_y) = load(&dir, "optdigits_test");
    let all_train: Vec<usize> = (0..train_x.len()).collect();
    let all_test: Vec<usize> = (0..test_x.len()).collect();
    let (xtr, xte) = standardise(&take(&train_x, &all_train), &take(&test_x, &all_test));
    let labels = |v: &[f64]| v.iter().map(|&y| y as i64).collect::<Vec<_>>();
    let mut model = LogisticRegression::new();
    model.fit(&xtr, &labels(&train_y)).unwrap();
    let accuracy = model.score(&xte, &labels(&test_y));
    let want = real["optdigits"]["accuracy"].as_f64().unwrap();
    eprintln!("optdigits: accuracy {accuracy:.4} (scikit-learn {want:.4}), {} iterations", model.n_iter());
    assert!(accuracy >= want - 0.01, "{accuracy} vs scikit-learn {want}");
}
