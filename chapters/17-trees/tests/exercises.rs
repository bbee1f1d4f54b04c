//! The checks of chapter 17's exercises. `cargo test -p ch17-trees --features
//! learner --test exercises` runs them against your `src/exercises.rs`; without the
//! feature, against the solutions. Every test name starts with its exercise number
//! (`ex17_4_...` checks 17.4). Reference numbers come from scikit-learn:
//! `tests/fixtures/make_fixtures.py`.

use ch17_trees::checked::*;
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

fn indices(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_u64().expect("an index") as usize)
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
            "{what}[{i}]: got {a}, expected {e}"
        );
    }
}

#[test]
fn ex17_1_impurities_match_scikit_learns_root_nodes() {
    for case in fixtures()["impurity"].as_array().unwrap() {
        let counts = indices(&case["counts"]);
        let (gini, entropy) = gini_and_entropy(&counts);
        assert!(
            (gini - case["gini"].as_f64().unwrap()).abs() < 1e-12,
            "Gini of {counts:?}: {gini}"
        );
        assert!(
            (entropy - case["entropy"].as_f64().unwrap()).abs() < 1e-12,
            "entropy of {counts:?}: {entropy}"
        );
    }
}

#[test]
fn ex17_1_the_extremes() {
    assert_eq!(gini_and_entropy(&[0, 12, 0]), (0.0, 0.0), "a pure node");
    let (gini, entropy) = gini_and_entropy(&[3, 3, 3, 3]);
    assert!(
        (gini - 0.75).abs() < 1e-15 && (entropy - 2.0).abs() < 1e-15,
        "four equal classes: {gini}, {entropy}"
    );
}

#[test]
fn ex17_2_the_best_threshold_matches_a_scikit_learn_stump() {
    for (i, case) in fixtures()["best_split"].as_array().unwrap().iter().enumerate()
    {
        let (x, y) = (numbers(&case["x"]), indices(&case["y"]));
        let classes = y.iter().max().unwrap() + 1;
        let (threshold, weighted) =
            best_threshold(&x, &y, classes).expect("a split exists");
        assert_eq!(
            threshold,
            case["threshold"].as_f64().unwrap(),
            "case {i}: threshold"
        );
        assert!(
            (weighted - case["weighted_gini"].as_f64().unwrap()).abs() < 1e-12,
            "case {i}: weighted Gini {weighted}"
        );
    }
}

#[test]
fn ex17_2_ties_constant_features_and_a_perfect_split() {
    assert_eq!(
        best_threshold(&[2.0; 5], &[0, 1, 0, 1, 0], 2),
        None,
        "a constant feature has no split"
    );
    // Unsorted input, and a split that leaves both children pure.
    let (t, g) = best_threshold(&[5.0, 1.0, 4.0, 2.0], &[1, 0, 1, 0], 2).unwrap();
    assert_eq!((t, g), (3.0, 0.0));
    // Both thresholds 1.5 and 2.5 isolate one pure row: the smaller wins.
    let (t, _) = best_threshold(&[1.0, 2.0, 3.0], &[0, 1, 0], 2).unwrap();
    assert_eq!(t, 1.5);
}

#[test]
fn ex17_3_one_lloyd_step_matches_numpy() {
    let f = &fixtures()["kmeans_step"];
    let (labels, moved, inertia) =
        kmeans_step(&matrix(&f["x"]), &matrix(&f["centers"]));
    assert_eq!(labels, indices(&f["labels"]));
    assert_all_close(
        &moved.to_vec(),
        &matrix(&f["new_centers"]).to_vec(),
        1e-12,
        "new centres",
    );
    assert!(
        (inertia - f["inertia"].as_f64().unwrap()).abs() < 1e-9,
        "inertia {inertia}"
    );
}

#[test]
fn ex17_3_steps_never_raise_the_inertia_and_empty_centres_stay() {
    let mut rng = Rng::seed(17);
    let x = Tensor::<f64>::randn([60, 3], &mut rng);
    // The third centre is far from every row: nobody joins it, so it must not move.
    let mut centers = Tensor::from_vec(
        vec![0.5, 0.0, 0.0, -0.5, 0.0, 0.0, 100.0, 100.0, 100.0],
        [3, 3],
    );
    let mut last = f64::INFINITY;
    for step in 0..5 {
        let (labels, moved, inertia) = kmeans_step(&x, &centers);
        assert!(
            inertia <= last + 1e-12,
            "step {step}: inertia rose from {last} to {inertia}"
        );
        assert!(!labels.contains(&2), "step {step}: a row joined the far centre");
        assert_eq!(
            &moved.to_vec()[6..],
            &[100.0, 100.0, 100.0],
            "step {step}: the empty centre moved"
        );
        (last, centers) = (inertia, moved);
    }
}

#[test]
fn ex17_4_silhouettes_match_scikit_learn() {
    let f = &fixtures()["silhouette"];
    let (x, labels) = (matrix(&f["x"]), indices(&f["labels"]));
    let expected = numbers(&f["samples"]);
    let actual: Vec<f64> =
        (0..labels.len()).map(|i| silhouette_of(&x, &labels, i)).collect();
    assert_all_close(&actual, &expected, 1e-12, "silhouette_samples");
    assert_eq!(actual[labels.len() - 1], 0.0, "the single point of cluster 3");
}

#[test]
fn ex17_4_a_misplaced_point_is_negative() {
    // Two tight groups; the last point sits in the second group but carries the
    // first label.
    let x = Tensor::from_vec(
        vec![0.0, 0.0, 0.1, 0.0, 0.0, 0.1, 5.0, 5.0, 5.1, 5.0, 5.0, 5.1],
        [6, 2],
    );
    let labels = [0, 0, 0, 1, 1, 0];
    assert!(
        silhouette_of(&x, &labels, 5) < -0.9,
        "{}",
        silhouette_of(&x, &labels, 5)
    );
    assert!(silhouette_of(&x, &labels, 0) > 0.0);
}

#[test]
fn ex17_5_the_rbf_kernel_matches_scikit_learn() {
    let f = &fixtures()["rbf"];
    let (a, b) = (matrix(&f["a"]), matrix(&f["b"]));
    let k = rbf_kernel(&a, &b, f["gamma"].as_f64().unwrap());
    assert_eq!(k.shape(), &[5, 4]);
    assert_all_close(
        &k.to_vec(),
        &matrix(&f["kernel"]).to_vec(),
        1e-12,
        "rbf_kernel",
    );
    let gamma = gamma_scale(&a);
    assert!(
        (gamma - f["gamma_scale_of_a"].as_f64().unwrap()).abs() < 1e-12,
        "gamma 'scale': {gamma}"
    );
}

#[test]
fn ex17_5_a_kernel_matrix_on_itself_is_symmetric_with_ones_on_the_diagonal() {
    let mut rng = Rng::seed(5);
    // Far from the origin: the expanded distance formula must not go negative.
    let x = &Tensor::<f64>::randn([12, 4], &mut rng) + 1e4;
    let k = rbf_kernel(&x, &x, 0.5);
    for i in 0..12 {
        assert!(
            (k.get(&[i, i]) - 1.0).abs() < 1e-9,
            "K[{i}][{i}] = {}",
            k.get(&[i, i])
        );
        for j in 0..12 {
            assert!(
                k.get(&[i, j]) <= 1.0
                    && (k.get(&[i, j]) - k.get(&[j, i])).abs() < 1e-12
            );
        }
    }
}

#[test]
fn ex17_6_samme_reproduces_scikit_learns_boosting_rounds() {
    let f = &fixtures()["samme"];
    let y = indices(&f["y"]);
    let (k, rate) = (
        f["n_classes"].as_u64().unwrap() as usize,
        f["learning_rate"].as_f64().unwrap(),
    );
    let (weights_ref, errors_ref) =
        (numbers(&f["estimator_weights"]), numbers(&f["estimator_errors"]));
    let mut weights = vec![1.0 / y.len() as f64; y.len()];
    // Each round's error depends on the weights the previous rounds left: the chain
    // checks the update.
    for (round, predictions) in
        f["predictions"].as_array().unwrap().iter().enumerate()
    {
        let correct: Vec<bool> =
            indices(predictions).iter().zip(&y).map(|(p, t)| p == t).collect();
        let (error, alpha, next) = samme_round(&weights, &correct, k, rate);
        assert!(
            (error - errors_ref[round]).abs() < 1e-12,
            "round {round}: error {error}"
        );
        assert!(
            (alpha - weights_ref[round]).abs() < 1e-12,
            "round {round}: alpha {alpha}"
        );
        assert!(
            (next.iter().sum::<f64>() - 1.0).abs() < 1e-12,
            "round {round}: the weights must sum to 1"
        );
        weights = next;
    }
}

#[test]
fn ex17_6_mistakes_gain_weight_and_chance_level_earns_nothing() {
    let weights = vec![0.25; 4];
    let (error, alpha, next) =
        samme_round(&weights, &[true, true, true, false], 2, 1.0);
    assert_eq!(error, 0.25);
    assert!(
        (alpha - 3f64.ln()).abs() < 1e-15,
        "ln((1 − ε)/ε) = ln 3 for two classes, got {alpha}"
    );
    // The misclassified row now carries half the weight: the next learner must care
    // about it.
    assert_all_close(
        &next,
        &[1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 0.5],
        1e-15,
        "new weights",
    );
    // With three classes, guessing is right a third of the time: ε = 2/3 gives α =
    // 0.
    let (_, alpha, _) = samme_round(&[1.0 / 3.0; 3], &[true, false, false], 3, 1.0);
    assert!(alpha.abs() < 1e-15, "chance level must earn α = 0, got {alpha}");
}

#[test]
fn ex17_7_explained_variance_matches_scikit_learns_pca() {
    let f = &fixtures()["pca"];
    let (variance, ratio) = explained_variance(
        &numbers(&f["singular_values"]),
        f["n_samples"].as_u64().unwrap() as usize,
    );
    assert_all_close(
        &variance,
        &numbers(&f["explained_variance"]),
        1e-12,
        "explained_variance_",
    );
    assert_all_close(
        &ratio,
        &numbers(&f["explained_variance_ratio"]),
        1e-12,
        "explained_variance_ratio_",
    );
}

#[test]
fn ex17_7_the_variances_add_up_to_the_total_variance() {
    // Σ sᵢ² is the squared Frobenius norm of the centred data, so the variances sum
    // to the sum of the columns' sample variances.
    let mut rng = Rng::seed(7);
    let x = Tensor::<f64>::randn([40, 3], &mut rng);
    let centred = &x - &x.mean(0, true);
    let s = kindling_tensor::linalg::svd(&centred).unwrap().s.to_vec();
    let (variance, ratio) = explained_variance(&s, 40);
    let column_variances: f64 =
        centred.to_vec().iter().map(|v| v * v).sum::<f64>() / 39.0;
    assert!((variance.iter().sum::<f64>() - column_variances).abs() < 1e-12);
    assert!(
        (ratio.iter().sum::<f64>() - 1.0).abs() < 1e-12
            && ratio.windows(2).all(|w| w[0] >= w[1])
    );
}

/// The squared-error reduction of splitting `y` (bins given per row) after bin `b`.
fn squared_error_reduction(y: &[f64], bins: &[usize], b: usize) -> f64 {
    let sse = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>()
    };
    let (left, right): (Vec<f64>, Vec<f64>) = {
        let l =
            y.iter().zip(bins).filter(|(_, &k)| k <= b).map(|(v, _)| *v).collect();
        let r =
            y.iter().zip(bins).filter(|(_, &k)| k > b).map(|(v, _)| *v).collect();
        (l, r)
    };
    sse(y) - sse(&left) - sse(&right)
}

#[test]
fn ex17_8_with_squared_error_the_gain_is_half_the_variance_reduction() {
    // Squared error from the mean prediction p = ȳ: gᵢ = p − yᵢ, hᵢ = 1. With λ = 0
    // the second-order gain is exactly half of what a regression tree's split
    // saves.
    let mut rng = Rng::seed(8);
    let n = 200;
    let bins: Vec<usize> = (0..n).map(|_| rng.below(16) as usize).collect();
    let y: Vec<f64> = bins
        .iter()
        .map(|&b| (b as f64 / 3.0).sin() + 0.3 * rng.normal_f64())
        .collect();
    let mean = y.iter().sum::<f64>() / n as f64;
    let (mut g, mut h) = (vec![0.0; 16], vec![0.0; 16]);
    for (&b, &v) in bins.iter().zip(&y) {
        g[b] += mean - v;
        h[b] += 1.0;
    }
    let (bin, gain) = best_histogram_split(&g, &h, 0.0, 1.0).expect("a split");
    let reductions: Vec<f64> =
        (0..15).map(|b| squared_error_reduction(&y, &bins, b)).collect();
    let best =
        (0..15).fold(
            0,
            |best, b| if reductions[b] > reductions[best] { b } else { best },
        );
    assert_eq!(bin, best, "gain picks bin {bin}, the squared error bin {best}");
    assert!(
        (gain - 0.5 * reductions[best]).abs() < 1e-9,
        "gain {gain}, half the reduction {}",
        0.5 * reductions[best]
    );
}

#[test]
fn ex17_8_regularisation_and_the_hessian_limit() {
    let g = [-4.0, -1.0, 3.0, 2.0];
    let h = [2.0, 1.0, 1.0, 2.0];
    // By hand: after bin 1, G_L = −5, H_L = 3, G_R = 5, H_R = 3, G = 0: ½(25/3 +
    // 25/3) = 25/3.
    let (bin, gain) = best_histogram_split(&g, &h, 0.0, 0.0).unwrap();
    assert_eq!(bin, 1);
    assert!((gain - 25.0 / 3.0).abs() < 1e-12, "{gain}");
    let (_, shrunk) = best_histogram_split(&g, &h, 1.0, 0.0).unwrap();
    assert!(
        (shrunk - 25.0 / 4.0).abs() < 1e-12,
        "λ = 1: ½(25/4 + 25/4), got {shrunk}"
    );
    // Each side needs a hessian sum of 3.5: none of the three cuts allows that.
    assert_eq!(best_histogram_split(&g, &h, 0.0, 3.5), None);
    assert_eq!(
        best_histogram_split(&[1.0], &[1.0], 0.0, 0.0),
        None,
        "one bin has no split"
    );
}
