//! Precision-recall curve, average precision, PR AUC, Cohen's κ, MCC, adjusted R² and MAPE
//! against scikit-learn (fixtures/classic_metrics.json, written by make_classic_metrics.py),
//! to 1e-12, plus the edge cases and messages that are ours.

use kindling_metrics::metrics::{
    adjusted_r2, average_precision, cohen_kappa, mape, matthews_corrcoef, pr_auc, precision_recall_curve, r2_score,
    KappaWeights,
};
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("../fixtures/classic_metrics.json");
    serde_json::from_str(text).expect("classic_metrics.json parses")
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

/// Numbers, with null for NaN.
fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn close(case: &str, what: &str, ours: f64, theirs: f64) {
    let same = (ours.is_nan() && theirs.is_nan()) || (ours - theirs).abs() <= 1e-12;
    assert!(same, "{case}: {what} is {ours}, scikit-learn says {theirs}");
}

fn close_all(case: &str, what: &str, ours: &[f64], theirs: &[f64]) {
    assert_eq!(ours.len(), theirs.len(), "{case}: {what} has {} points, scikit-learn {}", ours.len(), theirs.len());
    for (k, (&a, &b)) in ours.iter().zip(theirs).enumerate() {
        close(case, &format!("{what}[{k}]"), a, b);
    }
}

#[test]
fn ranking_metrics_match_scikit_learn() {
    let f = fixture();
    for case in f["ranking"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (labels, scores) = (ints(&case["labels"]), floats(&case["scores"]));
        let curve = precision_recall_curve(&labels, &scores);
        close_all(name, "precision", &curve.precision, &floats(&case["precision"]));
        close_all(name, "recall", &curve.recall, &floats(&case["recall"]));
        close_all(name, "thresholds", &curve.thresholds, &floats(&case["thresholds"]));
        close(name, "average_precision", average_precision(&labels, &scores), number(&case["average_precision"]));
        close(name, "pr_auc", pr_auc(&labels, &scores), number(&case["pr_auc"]));
    }
}

#[test]
fn agreement_metrics_match_scikit_learn() {
    let f = fixture();
    for case in f["agreement"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (actual, predicted) = (ints(&case["actual"]), ints(&case["predicted"]));
        close(name, "kappa", cohen_kappa(&actual, &predicted, KappaWeights::None), number(&case["kappa"]));
        close(
            name,
            "linear kappa",
            cohen_kappa(&actual, &predicted, KappaWeights::Linear),
            number(&case["kappa_linear"]),
        );
        let quadratic = cohen_kappa(&actual, &predicted, KappaWeights::Quadratic);
        close(name, "quadratic kappa", quadratic, number(&case["kappa_quadratic"]));
        close(name, "mcc", matthews_corrcoef(&actual, &predicted), number(&case["mcc"]));
    }
}

#[test]
fn regression_metrics_match_scikit_learn() {
    let f = fixture();
    for case in f["regression"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (targets, predictions) = (floats(&case["targets"]), floats(&case["predictions"]));
        let p = case["n_features"].as_u64().unwrap() as usize;
        close(name, "adjusted_r2", adjusted_r2(&targets, &predictions, p), number(&case["adjusted_r2"]));
        close(name, "mape", mape(&targets, &predictions), number(&case["mape"]));
    }
}

#[test]
fn average_precision_steps_where_the_trapezoid_draws_slopes() {
    // Positives at ranks 1 and 3 of 4. Points (recall, precision) from the top threshold down:
    // (½, 1), (½, ½), (1, ⅔), (1, ½), after the final (0, 1).
    let (labels, scores) = ([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]);
    // Steps: ½·1 (reaching recall ½ at precision 1) + ½·⅔ (recall 1 first reached at ⅔).
    close("hand", "average_precision", average_precision(&labels, &scores), 0.5 + 0.5 * 2.0 / 3.0);
    // Trapezoids: ½·(1 + 1)/2 from recall 0 to ½, then ½·(½ + ⅔)/2 from ½ to 1.
    close("hand", "pr_auc", pr_auc(&labels, &scores), 0.5 + 0.5 * (0.5 + 2.0 / 3.0) / 2.0);
}

#[test]
fn mcc_is_minus_one_for_total_disagreement_and_kappa_symmetric() {
    close("flip", "mcc", matthews_corrcoef(&[0, 1, 0, 1], &[1, 0, 1, 0]), -1.0);
    let (a, b) = ([0, 1, 2, 2, 1, 0, 1], [0, 2, 2, 1, 1, 0, 0]);
    close("swap", "kappa", cohen_kappa(&a, &b, KappaWeights::Linear), cohen_kappa(&b, &a, KappaWeights::Linear));
}

#[test]
fn adjusted_r2_penalises_features_and_equals_r2_for_none() {
    let (t, p) = ([1.0, 2.0, 3.0, 4.0, 6.0], [1.1, 1.9, 3.2, 4.1, 5.5]);
    close("none", "adjusted_r2", adjusted_r2(&t, &p, 0), r2_score(&t, &p));
    assert!(adjusted_r2(&t, &p, 2) < adjusted_r2(&t, &p, 1));
}

#[test]
#[should_panic(expected = "adjusted_r2: needs more samples than features + 1, got 3 samples and 2 features")]
fn adjusted_r2_refuses_too_few_samples() {
    adjusted_r2(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 2);
}

#[test]
#[should_panic(expected = "precision_recall_curve: labels must be 0 or 1, got 2")]
fn precision_recall_curve_refuses_other_labels() {
    precision_recall_curve(&[0, 2], &[0.1, 0.2]);
}

#[test]
#[should_panic(expected = "matthews_corrcoef: 2 actual values but 1 predictions")]
fn mcc_refuses_lengths_that_differ() {
    matthews_corrcoef(&[0, 1], &[0]);
}
