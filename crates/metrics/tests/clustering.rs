//! Clustering metrics against scikit-learn 1.9 (fixtures/clustering/make_clustering.py).

use kindling_metrics::metrics::{
    adjusted_rand_index, davies_bouldin_score, inertia, mutual_info, normalized_mutual_info, silhouette_samples,
    silhouette_score,
};
use kindling_tensor::Tensor;
use serde_json::Value;

const TOL: f64 = 1e-10;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/clustering/clustering.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture exists")).expect("valid JSON")
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn matrix(v: &Value) -> Tensor<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(floats).collect();
    let (n, d) = (rows.len(), rows[0].len());
    Tensor::from_vec(rows.concat(), [n, d])
}

fn close(what: &str, got: f64, want: f64) {
    assert!((got - want).abs() <= TOL * (1.0 + want.abs()), "{what}: got {got}, scikit-learn {want}");
}

#[test]
fn label_agreement_matches_scikit_learn() {
    for (i, case) in fixture()["pairs"].as_array().unwrap().iter().enumerate() {
        let (a, b) = (ints(&case["a"]), ints(&case["b"]));
        close(&format!("case {i} ARI"), adjusted_rand_index(&a, &b), case["ari"].as_f64().unwrap());
        close(&format!("case {i} MI"), mutual_info(&a, &b), case["mi"].as_f64().unwrap());
        close(&format!("case {i} NMI"), normalized_mutual_info(&a, &b), case["nmi"].as_f64().unwrap());
        // Symmetric in the two labelings.
        close(&format!("case {i} ARI swapped"), adjusted_rand_index(&b, &a), case["ari"].as_f64().unwrap());
        close(&format!("case {i} NMI swapped"), normalized_mutual_info(&b, &a), case["nmi"].as_f64().unwrap());
    }
}

#[test]
fn internal_scores_match_scikit_learn() {
    for (i, case) in fixture()["internal"].as_array().unwrap().iter().enumerate() {
        let (x, labels) = (matrix(&case["x"]), ints(&case["labels"]));
        let samples = silhouette_samples(&x, &labels);
        for (j, (&got, want)) in samples.iter().zip(floats(&case["silhouette_samples"])).enumerate() {
            close(&format!("case {i} silhouette of sample {j}"), got, want);
        }
        close(&format!("case {i} silhouette"), silhouette_score(&x, &labels), case["silhouette"].as_f64().unwrap());
        close(
            &format!("case {i} Davies-Bouldin"),
            davies_bouldin_score(&x, &labels),
            case["davies_bouldin"].as_f64().unwrap(),
        );
    }
}

#[test]
fn perfect_and_trivial_labelings() {
    let truth = [0, 0, 1, 1, 2, 2, 2];
    let renamed = [-4, -4, 9, 9, 1, 1, 1];
    assert_eq!(adjusted_rand_index(&truth, &renamed), 1.0);
    assert!((normalized_mutual_info(&truth, &renamed) - 1.0).abs() < 1e-12);
    // Both labelings with one cluster: a perfect match by convention; one side alone: no information.
    assert_eq!(normalized_mutual_info(&[3; 5], &[1; 5]), 1.0);
    assert_eq!(normalized_mutual_info(&[3; 5], &[0, 1, 0, 1, 0]), 0.0);
    assert_eq!(mutual_info(&[3; 5], &[0, 1, 0, 1, 0]), 0.0);
}

#[test]
fn inertia_sums_squared_distances_to_the_assigned_center() {
    let x = Tensor::from_vec(vec![0.0, 0.0, 1.0, 0.0, 10.0, 10.0], [3, 2]);
    let centers = Tensor::from_vec(vec![0.5, 0.0, 10.0, 11.0], [2, 2]);
    assert!((inertia(&x, &[0, 0, 1], &centers) - 1.5).abs() < 1e-12);
}

#[test]
#[should_panic(expected = "silhouette_samples: needs between 2 and 3 distinct labels")]
fn silhouette_needs_two_clusters() {
    silhouette_samples(&Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0], [4, 1]), &[1, 1, 1, 1]);
}

#[test]
#[should_panic(expected = "adjusted_rand_index: the first labeling has 3 samples but the second 2")]
fn lengths_must_agree() {
    adjusted_rand_index(&[0, 1, 1], &[0, 1]);
}
