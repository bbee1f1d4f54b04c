//! Chapter 16's code in small: the numbers the chapter prints, asserted.

use ch16_classic::*;
use kindling_tensor::{Rng, Tensor};

#[test]
fn fixture_10_polynomial_by_qr_and_by_the_normal_equation() {
    // The course's five points of y = x², degree-2 features: exactly (0, 0, 1).
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    let y = [1.0, 4.0, 9.0, 16.0, 25.0];
    let design = vandermonde(&x, 2);
    assert_eq!(design.shape(), &[5, 3]);
    assert_eq!(design.to_vec()[6..9], [1.0, 3.0, 9.0]);
    for (solver, w) in [
        ("QR", qr_least_squares(&design, &y)),
        ("normal equation", normal_equation(&design, &y).unwrap()),
    ] {
        for (c, expected) in w.iter().zip([0.0, 0.0, 1.0]) {
            assert!((c - expected).abs() < 1e-10, "{solver}: {w:?}");
        }
    }
    assert_eq!(polynomial_value(&[1.0, -2.0, 3.0], 2.0), 9.0);
}

#[test]
fn cholesky_by_hand_factors_and_refuses() {
    let a = [4.0, 2.0, 2.0, 3.0];
    let l = cholesky_by_hand(&a, 2).unwrap();
    assert_eq!(l, vec![2.0, 0.0, 1.0, 2f64.sqrt()]);
    assert!(
        cholesky_by_hand(&[1.0, 2.0, 2.0, 1.0], 2).is_none(),
        "eigenvalues 3 and −1: not positive definite"
    );
    let w =
        cholesky_solve_by_hand(&Tensor::from_vec(a.to_vec(), [2, 2]), &[2.0, 1.0]);
    assert!((w[0] - 0.5).abs() < 1e-15 && w[1].abs() < 1e-15, "{w:?}");
}

#[test]
fn qr_and_normal_equation_agree_when_well_conditioned() {
    let mut rng = Rng::seed(1);
    let x = Tensor::<f64>::randn([30, 4], &mut rng);
    let y: Vec<f64> = (0..30).map(|_| rng.normal_f64()).collect();
    let a = qr_least_squares(&x, &y);
    let b = normal_equation(&x, &y).unwrap();
    for (p, q) in a.iter().zip(&b) {
        assert!((p - q).abs() < 1e-12, "{a:?} vs {b:?}");
    }
    // The residual is orthogonal to every column: the normal equation holds.
    let residual: Vec<f64> = (0..30)
        .map(|i| y[i] - (0..4).map(|j| x.get(&[i, j]) * a[j]).sum::<f64>())
        .collect();
    for j in 0..4 {
        let dot: f64 = (0..30).map(|i| x.get(&[i, j]) * residual[i]).sum();
        assert!(dot.abs() < 1e-12, "column {j}: {dot}");
    }
}

#[test]
fn the_normal_equation_loses_twice_the_digits() {
    let low = conditioning_row(2, 50);
    assert!(low.normal_equation_error < 1e-12 && low.qr_error < 1e-13, "{low:?}");
    let twelve = conditioning_row(12, 50);
    assert!(
        twelve.normal_equation_error > 1e-2,
        "degree 12, normal equation: {twelve:?}"
    );
    assert!(twelve.qr_error < 1e-6, "degree 12, QR: {twelve:?}");
    assert!(
        twelve.library_normal_equation_error > 1e-2
            && twelve.library_qr_error < 1e-6,
        "library: {twelve:?}"
    );
    let fourteen = conditioning_row(14, 50);
    assert!(
        fourteen.library_normal_equation_error.is_infinite(),
        "LinearRegression's normal equation refuses: {fourteen:?}"
    );
    assert!(
        fourteen.normal_equation_error.is_infinite(),
        "XᵀX at degree 14 is no longer positive definite: {fourteen:?}"
    );
    assert!(fourteen.qr_error < 1e-4, "{fourteen:?}");
    // Error of the normal equation ≈ (error of QR)² / ε, within a few powers of
    // ten.
    for d in [6, 8, 10] {
        let r = conditioning_row(d, 50);
        let predicted = r.qr_error * r.qr_error / f64::EPSILON;
        let ratio = r.normal_equation_error / predicted;
        assert!(
            (1e-3..1e3).contains(&ratio),
            "degree {d}: {r:?}, κ² prediction {predicted:e}"
        );
    }
}

#[test]
fn bias_variance_decomposition_adds_up() {
    let noise = 0.3;
    let rows = bias_variance(&[0, 1, 3, 6, 12], 20, noise, 300, 5);
    for r in &rows {
        let sum = r.bias_squared + r.variance + noise * noise;
        assert!(
            (r.test_error - sum).abs() < 0.03 * sum,
            "degree {}: test {} vs bias²+var+σ² {}",
            r.degree,
            r.test_error,
            sum
        );
        assert!(r.train_error < r.test_error, "degree {}: {r:?}", r.degree);
    }
    // Degree 0 predicts the sample mean: its bias² is the variance of the curve
    // over the grid.
    let grid: Vec<f64> = (0..201).map(|i| -1.0 + i as f64 / 100.0).collect();
    let on_grid: Vec<f64> = grid.iter().map(|&x| true_curve(x)).collect();
    let design_mean =
        noisy_curve(20, 0.0, &mut Rng::seed(0)).1.iter().sum::<f64>() / 20.0;
    let bias0: f64 =
        on_grid.iter().map(|f| (f - design_mean).powi(2)).sum::<f64>() / 201.0;
    assert!(
        (rows[0].bias_squared - bias0).abs() < 0.01,
        "{} vs {bias0}",
        rows[0].bias_squared
    );
    // Bias falls and variance rises with the degree; the test error is lowest in
    // the middle.
    assert!(rows.windows(2).all(|w| w[1].variance > w[0].variance), "{rows:?}");
    assert!(rows[3].bias_squared < 0.01 && rows[0].bias_squared > 0.5);
    assert!(
        rows[3].test_error < rows[0].test_error.min(rows[4].test_error),
        "{rows:?}"
    );
    // The variance of degree d with a fixed design is about σ²(d+1)/n in the middle
    // of the range.
    assert!(
        (rows[1].variance - noise * noise * 2.0 / 20.0).abs() < 0.006,
        "degree 1 variance {}",
        rows[1].variance
    );
}

// ---------------------------------------------------------------------------------
// The library's estimators, as the chapter uses them
// ---------------------------------------------------------------------------------

use kindling_classic::linear::{alpha_grid, Lasso, Ridge};
use kindling_classic::Supervised;
use serde_json::Value;

fn fixture_regression() -> (Tensor<f64>, Vec<f64>, Value) {
    let f: Value =
        serde_json::from_str(include_str!("fixtures/exercises.json")).unwrap();
    let r = f["regression"].clone();
    let rows: Vec<Vec<f64>> =
        r["x"].as_array().unwrap().iter().map(numbers).collect();
    let x = Tensor::from_vec(rows.concat(), [rows.len(), rows[0].len()]);
    (x, numbers(&r["y"]), r)
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn fixture_10_through_the_library_pipeline() {
    let model =
        fit_polynomial(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.0, 4.0, 9.0, 16.0, 25.0], 2)
            .unwrap();
    let coef = model.estimator().coef().to_vec();
    assert_eq!(coef.len(), 2, "x and x²; the intercept is the model's own");
    assert!(coef[0].abs() < 1e-9 && (coef[1] - 1.0).abs() < 1e-9, "{coef:?}");
    assert!(model.estimator().intercept().abs() < 1e-9);
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [6, 1]);
    let predicted = model.predict(&x);
    assert!((predicted[5] - 36.0).abs() < 1e-9, "x = 6 predicts 36: {predicted:?}");
}

#[test]
fn library_ridge_and_lasso_agree_with_the_exercises_and_scikit_learn() {
    let (x, y, r) = fixture_regression();
    let mut ridge = Ridge::new().alpha(5.0);
    ridge.fit(&x, &y).unwrap();
    let expected = numbers(&r["ridge_5.0"]["coef"]);
    let by_hand = ch16_classic::solutions::ridge_closed_form(&x, &y, 5.0).0;
    for ((a, b), c) in ridge.coef().to_vec().iter().zip(&expected).zip(&by_hand) {
        assert!(
            (a - b).abs() < 1e-9 && (a - c).abs() < 1e-9,
            "library {a}, scikit-learn {b}, closed form {c}"
        );
    }
    let mut lasso = Lasso::new().alpha(0.5).tol(1e-12).max_iter(100_000);
    lasso.fit(&x, &y).unwrap();
    for (a, b) in lasso.coef().to_vec().iter().zip(numbers(&r["lasso_0.5"]["coef"]))
    {
        assert!((a - b).abs() < 1e-8, "lasso: library {a}, scikit-learn {b}");
    }
    let grid = alpha_grid(&x, &y, 1.0, 5, 1e-3);
    assert!(
        (grid[0] - r["alpha_max"].as_f64().unwrap()).abs() < 1e-10,
        "the path starts at α_max: {grid:?}"
    );
}

#[test]
fn paths_start_empty_and_ridge_shrinks_smoothly() {
    let (x, y, _) = fixture_regression();
    let paths = regularisation_paths(&x, &y, 20).unwrap();
    let p = x.shape()[1];
    let lasso = paths.lasso.coefs.to_vec();
    assert!(
        lasso[..p].iter().all(|c| *c == 0.0),
        "at α_max every lasso coefficient is 0"
    );
    assert!(
        lasso[19 * p..].iter().all(|c| *c != 0.0),
        "at α_max/1000 every feature is in"
    );
    assert_eq!(paths.lasso.alphas.len(), 20);
    assert!(
        paths.lasso.alphas.windows(2).all(|w| w[0] > w[1]),
        "α decreases along the path"
    );
    let norms: Vec<f64> = paths
        .ridge_coefs
        .iter()
        .map(|c| c.iter().map(|v| v * v).sum::<f64>())
        .collect();
    assert!(
        norms.windows(2).all(|w| w[0] < w[1]),
        "ridge's norm grows as α falls: {norms:?}"
    );
    assert!(
        paths.ridge_coefs.iter().all(|c| c.iter().all(|v| *v != 0.0)),
        "ridge zeroes nothing"
    );
}

/// Two well-separated Gaussian blobs in 3-D, 120 points, labels 0 and 1.
fn blobs(seed: u64) -> (Tensor<f64>, Vec<i64>) {
    let mut rng = Rng::seed(seed);
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for i in 0..120 {
        let label = (i % 2) as i64;
        for _ in 0..3 {
            values.push(rng.normal_f64() + 3.0 * label as f64);
        }
        labels.push(label);
    }
    (Tensor::from_vec(values, [120, 3]), labels)
}

#[test]
fn the_three_classifiers_separate_blobs() {
    let (x, y) = blobs(1);
    let (xt, yt) = blobs(2);
    let results = compare_classifiers((&x, &y), (&xt, &yt)).unwrap();
    assert_eq!(results.len(), 3);
    for (name, accuracy, seconds) in results {
        assert!(accuracy > 0.95, "{name}: {accuracy}");
        assert!(seconds >= 0.0);
    }
}

#[test]
fn kd_tree_and_brute_force_find_the_same_neighbours() {
    let mut rng = Rng::seed(3);
    let train = Tensor::<f64>::rand([500, 2], &mut rng);
    let labels: Vec<i64> = (0..500).map(|_| rng.below(4) as i64).collect();
    let queries = Tensor::<f64>::rand([100, 2], &mut rng);
    let (_, brute) = knn_timed(
        kindling_classic::neighbors::Algorithm::Brute,
        (&train, &labels),
        &queries,
    )
    .unwrap();
    let (_, tree) = knn_timed(
        kindling_classic::neighbors::Algorithm::KdTree,
        (&train, &labels),
        &queries,
    )
    .unwrap();
    assert_eq!(brute, tree);
    // The chapter's exercise solutions give the same votes.
    let d = ch16_classic::solutions::squared_distances(&queries, &train).to_vec();
    let by_hand: Vec<i64> = (0..100)
        .map(|q| {
            ch16_classic::solutions::majority_vote(
                &d[q * 500..(q + 1) * 500],
                &labels,
                5,
            )
        })
        .collect();
    assert_eq!(brute, by_hand);
}

#[test]
fn grid_search_and_the_scaler_in_the_folds() {
    let (x, y, _) = fixture_regression();
    let alphas = [0.01, 1.0, 100.0, 10_000.0];
    let search = choose_ridge_alpha(&x, &y, &alphas, 0).unwrap();
    assert_eq!(search.mean_scores.len(), 4);
    assert!(
        search.mean_scores[0] > 0.9,
        "little penalty fits this linear data: {:?}",
        search.mean_scores
    );
    assert!(
        search.mean_scores[3] < search.mean_scores[0],
        "α = 10,000 shrinks too much: {:?}",
        search.mean_scores
    );
    assert_ne!(search.best_index, 3);
    let (xb, yb) = blobs(4);
    let knn = choose_k(&xb, &yb, &[1, 5, 15], 0).unwrap();
    assert!(knn.best_score > 0.95, "{:?}", knn.mean_scores);
    let (outside, inside) = scaler_outside_and_inside(&xb, &yb, 0).unwrap();
    assert!(
        outside > 0.95 && inside > 0.95 && (outside - inside).abs() < 0.05,
        "{outside} {inside}"
    );
}

// ---------------------------------------------------------------------------------
// Real data (KINDLING_DATASETS): the chapter's tables beside scikit-learn
// ---------------------------------------------------------------------------------

fn datasets() -> Option<std::path::PathBuf> {
    match std::env::var_os("KINDLING_DATASETS") {
        Some(dir) => Some(dir.into()),
        None => {
            eprintln!("skipped: KINDLING_DATASETS is unset");
            None
        }
    }
}

fn splits() -> Value {
    serde_json::from_str(include_str!("fixtures/splits.json")).unwrap()
}

fn positions(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect()
}

#[test]
fn real_data_scores_equal_scikit_learns_on_the_same_splits() {
    let Some(dir) = datasets() else { return };
    let splits = splits();
    let small = dir.join("sklearn-small");
    let cancer = kindling_data::datasets::breast_cancer(&small).unwrap();
    let wine = kindling_data::datasets::wine(&small).unwrap();
    for (key, table) in [("breast_cancer", &cancer), ("wine", &wine)] {
        let y = table.labels.to_vec();
        let (train, test) =
            (positions(&splits[key]["train"]), positions(&splits[key]["test"]));
        let (xtr, ytr) = rows_of(&table.features, &y, &train);
        let (xte, yte) = rows_of(&table.features, &y, &test);
        let results = compare_classifiers((&xtr, &ytr), (&xte, &yte)).unwrap();
        for ((name, accuracy, _), sk) in
            results.iter().zip(["logistic", "gaussian_nb", "knn5"])
        {
            let reference = splits[key]["scores"][sk].as_f64().unwrap();
            assert!(
                (accuracy - reference).abs() < 1e-12,
                "{key}, {name}: {accuracy} vs scikit-learn's {reference}"
            );
        }
    }
    let diabetes = kindling_data::datasets::diabetes(&small).unwrap();
    let d = &splits["diabetes"];
    let y = diabetes.targets.to_vec();
    let (xtr, ytr) = rows_of(&diabetes.features, &y, &positions(&d["train"]));
    let (xte, yte) = rows_of(&diabetes.features, &y, &positions(&d["test"]));
    let r2 = ridge_score((&xtr, &ytr), (&xte, &yte), 1.0).unwrap();
    let reference = d["scores"]["ridge"].as_f64().unwrap();
    assert!(
        (r2 - reference).abs() < 1e-9,
        "ridge α = 1 on standardised diabetes: {r2} vs {reference}"
    );
}
