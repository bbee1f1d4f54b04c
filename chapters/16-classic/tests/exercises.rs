//! The checks of chapter 16's exercises. `cargo test -p ch16-classic --features
//! learner --test exercises` runs them against your `src/exercises.rs`; without the
//! feature, against the solutions. Every test name starts with its exercise number
//! (`ex16_4_...` checks 16.4). Reference numbers come from scikit-learn:
//! `tests/fixtures/make_fixtures.py`.

use ch16_classic::checked::*;
use kindling_tensor::{Rng, Tensor};
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/exercises.json"))
        .expect("exercises.json parses")
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn matrix(v: &Value) -> Tensor<f64> {
    let rows: Vec<Vec<f64>> =
        v.as_array().expect("rows").iter().map(numbers).collect();
    let cols = rows[0].len();
    Tensor::from_vec(rows.concat(), [rows.len(), cols])
}

fn assert_all_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: {} values, expected {}",
        actual.len(),
        expected.len()
    );
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tol * (1.0 + e.abs()),
            "{what}[{i}]: got {a}, scikit-learn has {e}"
        );
    }
}

fn regression() -> (Tensor<f64>, Vec<f64>, Value) {
    let f = fixtures();
    let r = &f["regression"];
    (matrix(&r["x"]), numbers(&r["y"]), r.clone())
}

#[test]
fn ex16_1_r2_and_adjusted_r2_match_scikit_learn() {
    let (_, y, r) = regression();
    let ols = &r["ols_two_features"];
    let (r2, adjusted) = r2_and_adjusted(&y, &numbers(&ols["prediction"]), 2);
    assert!((r2 - ols["r2"].as_f64().unwrap()).abs() < 1e-12, "R² {r2}");
    assert!(
        (adjusted - ols["adjusted_r2"].as_f64().unwrap()).abs() < 1e-12,
        "adjusted R² {adjusted}"
    );
    assert!(adjusted < r2, "adjusting for two features must lower R²");
}

#[test]
fn ex16_1_the_two_reference_points_and_the_library() {
    let y = [3.0, -1.0, 2.0, 7.0, 4.0, 0.5];
    assert_eq!(r2_and_adjusted(&y, &y, 2), (1.0, 1.0), "perfect predictions");
    let mean = y.iter().sum::<f64>() / 6.0;
    let (r2, adjusted) = r2_and_adjusted(&y, &[mean; 6], 1);
    assert!(r2.abs() < 1e-15, "predicting the mean gives R² = 0, got {r2}");
    assert!(
        (adjusted - (-0.25)).abs() < 1e-12,
        "0 adjusted for 1 feature over 6 samples is −1/4, got {adjusted}"
    );
    let mut rng = Rng::seed(3);
    let targets: Vec<f64> = (0..50).map(|_| rng.normal_f64()).collect();
    let predictions: Vec<f64> =
        targets.iter().map(|t| t + 0.5 * rng.normal_f64()).collect();
    let library = kindling_metrics::metrics::r2_score(&targets, &predictions);
    assert!((r2_and_adjusted(&targets, &predictions, 3).0 - library).abs() < 1e-12);
}

#[test]
fn ex16_2_ridge_matches_scikit_learn() {
    let (x, y, r) = regression();
    for alpha in ["0.5", "5.0"] {
        let reference = &r[format!("ridge_{alpha}")];
        let (w, b) = ridge_closed_form(&x, &y, alpha.parse().unwrap());
        assert_all_close(
            &w,
            &numbers(&reference["coef"]),
            1e-9,
            &format!("ridge α = {alpha} coefficients"),
        );
        assert_all_close(
            &[b],
            &[reference["intercept"].as_f64().unwrap()],
            1e-9,
            "ridge intercept",
        );
    }
}

#[test]
fn ex16_2_ridge_shrinks_and_keeps_the_intercept_free() {
    let (x, y, _) = regression();
    let norm = |w: &[f64]| w.iter().map(|v| v * v).sum::<f64>().sqrt();
    let norms: Vec<f64> = [0.1, 10.0, 1000.0]
        .iter()
        .map(|&a| norm(&ridge_closed_form(&x, &y, a).0))
        .collect();
    assert!(
        norms[0] > norms[1] && norms[1] > norms[2],
        "a larger α must shrink w: {norms:?}"
    );
    // Shifting every target by 100 moves only the intercept.
    let shifted: Vec<f64> = y.iter().map(|v| v + 100.0).collect();
    let (w0, b0) = ridge_closed_form(&x, &y, 2.0);
    let (w1, b1) = ridge_closed_form(&x, &shifted, 2.0);
    assert_all_close(&w1, &w0, 1e-10, "coefficients after shifting y");
    assert!(
        (b1 - b0 - 100.0).abs() < 1e-9,
        "the intercept must absorb the shift: {b0} → {b1}"
    );
}

#[test]
fn ex16_3_soft_threshold() {
    let cases = [
        (3.0, 1.0, 2.0),
        (-3.0, 1.0, -2.0),
        (0.5, 1.0, 0.0),
        (-0.5, 1.0, 0.0),
        (1.0, 1.0, 0.0),
        (2.5, 0.0, 2.5),
    ];
    for (z, t, expected) in cases {
        assert_eq!(soft_threshold(z, t), expected, "S({z}, {t})");
    }
    // It is the minimiser of ½(w − z)² + t|w|: no w on a fine grid does better.
    for &(z, t) in &[(1.7, 0.4), (-0.9, 0.3), (0.2, 0.5)] {
        let objective = |w: f64| 0.5 * (w - z) * (w - z) + t * w.abs();
        let best = objective(soft_threshold(z, t));
        for i in -300..=300 {
            let w = i as f64 / 100.0;
            assert!(
                objective(w) >= best - 1e-12,
                "S({z}, {t}) is not the minimiser: w = {w} does better"
            );
        }
    }
}

#[test]
fn ex16_4_lasso_matches_scikit_learn() {
    let (x, y, r) = regression();
    for alpha in ["0.05", "0.5"] {
        let reference = &r[format!("lasso_{alpha}")];
        let (w, b) = lasso_coordinate_descent(&x, &y, alpha.parse().unwrap(), 5000);
        assert_all_close(
            &w,
            &numbers(&reference["coef"]),
            1e-7,
            &format!("lasso α = {alpha} coefficients"),
        );
        assert_all_close(
            &[b],
            &[reference["intercept"].as_f64().unwrap()],
            1e-7,
            "lasso intercept",
        );
    }
}

#[test]
fn ex16_4_lasso_zeroes_coefficients_and_a_large_alpha_zeroes_all() {
    let (x, y, _) = regression();
    let (w, _) = lasso_coordinate_descent(&x, &y, 0.5, 5000);
    // Feature 3 has a true weight of 0: the lasso sets it to exactly 0, and only
    // it.
    assert_eq!(w[3], 0.0, "α = 0.5 must zero feature 3 exactly: {w:?}");
    assert_eq!(
        w.iter().filter(|v| **v == 0.0).count(),
        1,
        "α = 0.5 keeps the other four: {w:?}"
    );
    let (w, b) = lasso_coordinate_descent(&x, &y, 100.0, 10);
    assert!(
        w.iter().all(|v| *v == 0.0),
        "α = 100 sets every coefficient to 0: {w:?}"
    );
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    assert!((b - mean).abs() < 1e-12, "with w = 0 the intercept is the mean of y");
    // Zero sweeps leave w at its starting point.
    assert!(lasso_coordinate_descent(&x, &y, 0.05, 0).0.iter().all(|v| *v == 0.0));
}

#[test]
fn ex16_5_gaussian_naive_bayes_matches_scikit_learn() {
    let f = fixtures();
    let nb = &f["gaussian_nb"];
    let rows =
        |v: &Value| v.as_array().unwrap().iter().map(numbers).collect::<Vec<_>>();
    let (means, variances, priors) =
        (rows(&nb["means"]), rows(&nb["variances"]), numbers(&nb["priors"]));
    let expected = rows(&nb["joint_log_likelihood"]);
    let predicted = numbers(&nb["predicted"]);
    for (i, query) in rows(&nb["queries"]).iter().enumerate() {
        let jll = gaussian_joint_log_likelihood(query, &means, &variances, &priors);
        assert_all_close(
            &jll,
            &expected[i],
            1e-10,
            &format!("joint log-likelihood of query {i}"),
        );
        let best =
            (0..jll.len()).max_by(|&a, &b| jll[a].total_cmp(&jll[b])).unwrap();
        assert_eq!(
            best as f64, predicted[i],
            "query {i}: the argmax is scikit-learn's prediction"
        );
    }
}

#[test]
fn ex16_5_far_samples_stay_finite() {
    // A density of e^(−5000) underflows to 0 in f64; its logarithm does not.
    let jll = gaussian_joint_log_likelihood(
        &[100.0, -100.0],
        &[vec![0.0, 0.0], vec![1.0, -1.0]],
        &[vec![1.0, 1.0], vec![1.0, 1.0]],
        &[0.5, 0.5],
    );
    assert!(jll.iter().all(|v| v.is_finite()), "{jll:?}");
    assert!(jll[1] > jll[0], "the second class is closer: {jll:?}");
    assert!(
        (jll[0] - (0.5f64.ln() - (2.0 * std::f64::consts::PI).ln() - 10_000.0))
            .abs()
            < 1e-9,
        "{jll:?}"
    );
}

#[test]
fn ex16_6_distances_match_scikit_learn() {
    let f = fixtures();
    let knn = &f["knn"];
    let d = squared_distances(&matrix(&knn["queries"]), &matrix(&knn["train"]));
    let expected = matrix(&knn["squared_distances"]);
    assert_eq!(d.shape(), expected.shape());
    assert_all_close(&d.to_vec(), &expected.to_vec(), 1e-12, "squared distances");
}

#[test]
fn ex16_6_distances_to_themselves_are_never_negative() {
    // Far from the origin ‖a‖² + ‖a‖² − 2a·a cancels badly: the clamp keeps it at 0
    // or above.
    let mut rng = Rng::seed(6);
    let points = &Tensor::<f64>::randn([40, 3], &mut rng) + 1e4;
    let d = squared_distances(&points, &points);
    assert_eq!(d.shape(), &[40, 40]);
    for i in 0..40 {
        assert!(
            d.get(&[i, i]) >= 0.0 && d.get(&[i, i]) < 1e-3,
            "d[{i}, {i}] = {}",
            d.get(&[i, i])
        );
    }
    assert!(
        d.to_vec().iter().all(|v| *v >= 0.0),
        "a squared distance came out negative"
    );
}

#[test]
fn ex16_7_vote_matches_scikit_learn() {
    let f = fixtures();
    let knn = &f["knn"];
    let labels: Vec<i64> =
        numbers(&knn["labels"]).iter().map(|&v| v as i64).collect();
    let distances = matrix(&knn["squared_distances"]);
    let m = labels.len();
    for k in [1, 3, 5] {
        let expected = numbers(&knn[format!("predicted_k{k}")]);
        for (q, e) in expected.iter().enumerate() {
            let row = distances.to_vec()[q * m..(q + 1) * m].to_vec();
            assert_eq!(
                majority_vote(&row, &labels, k) as f64,
                *e,
                "query {q}, k = {k}"
            );
        }
    }
}

#[test]
fn ex16_7_ties_break_by_index_then_by_label() {
    // Two votes each for 7 and 3: the smaller label wins.
    assert_eq!(majority_vote(&[0.1, 0.2, 0.3, 0.4, 9.0], &[7, 3, 7, 3, 3], 4), 3);
    // Points 1 and 3 are equally far; the lower index is the one taken.
    assert_eq!(majority_vote(&[5.0, 1.0, 0.5, 1.0], &[0, 4, 9, 2], 2), 4);
    // A clear majority beats the nearest point.
    assert_eq!(majority_vote(&[0.1, 0.2, 0.3, 9.0], &[1, 2, 2, 1], 3), 2);
    assert_eq!(majority_vote(&[0.1, 0.2, 0.3, 9.0], &[1, 2, 2, 1], 1), 1);
}

#[test]
fn ex16_8_alpha_max_matches_scikit_learn() {
    let (x, y, r) = regression();
    let alpha_max = lasso_alpha_max(&x, &y);
    assert_all_close(
        &[alpha_max],
        &[r["alpha_max"].as_f64().unwrap()],
        1e-12,
        "α_max (lasso_path's first α)",
    );
}

#[test]
fn ex16_8_alpha_max_is_where_the_path_starts() {
    // The chapter's own lasso (the solution of 16.4) on either side of α_max.
    use ch16_classic::solutions::lasso_coordinate_descent as lasso;
    let (x, y, _) = regression();
    let alpha_max = lasso_alpha_max(&x, &y);
    let (above, _) = lasso(&x, &y, alpha_max * 1.0001, 100);
    assert!(
        above.iter().all(|v| *v == 0.0),
        "just above α_max every coefficient is 0: {above:?}"
    );
    let (below, _) = lasso(&x, &y, alpha_max * 0.99, 100);
    assert_eq!(
        below.iter().filter(|v| **v != 0.0).count(),
        1,
        "just below α_max one coefficient enters: {below:?}"
    );
    // Scaling y scales α_max with it.
    let doubled: Vec<f64> = y.iter().map(|v| 2.0 * v).collect();
    assert!(
        (lasso_alpha_max(&x, &doubled) - 2.0 * alpha_max).abs() < 1e-12 * alpha_max
    );
}
