//! Svc(rbf, C = 1, gamma scale) on the real datasets, standardised, beside scikit-learn
//! 1.9.1's SVC (fixtures/svm/svm.json, the `real` part): iris, wine and breast cancer fitted
//! and scored on all their rows, optdigits on its own train/test files. Needs KINDLING_DATASETS.

mod support;

use kindling_classic::svm::Svc;
use kindling_classic::Supervised;
use kindling_data::datasets;
use kindling_tensor::Tensor;
use serde_json::Value;
use std::path::PathBuf;
use support::{floats, read_fixture};

fn dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KINDLING_DATASETS").map(PathBuf::from);
    if dir.is_none() {
        eprintln!("skipped: KINDLING_DATASETS is unset (point it at the shared datasets folder)");
    }
    dir
}

/// Standardises `x` and `test` with the mean and population deviation of `x` (scikit-learn's
/// StandardScaler; a constant column is left centred, as it leaves it).
fn standardise(x: &Tensor<f64>, test: &Tensor<f64>) -> (Tensor<f64>, Tensor<f64>) {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let values = x.to_vec();
    let mut mean = vec![0.0; d];
    let mut scale = vec![0.0; d];
    for row in values.chunks(d) {
        row.iter().zip(&mut mean).for_each(|(v, m)| *m += v / n as f64);
    }
    for row in values.chunks(d) {
        row.iter().zip(&mean).zip(&mut scale).for_each(|((v, m), s)| *s += (v - m) * (v - m) / n as f64);
    }
    let scale: Vec<f64> = scale.iter().map(|s| if *s > 0.0 { s.sqrt() } else { 1.0 }).collect();
    let apply = |t: &Tensor<f64>| {
        let rows = t.shape()[0];
        let out: Vec<f64> = t.to_vec().chunks(d).flat_map(|r| (0..d).map(|j| (r[j] - mean[j]) / scale[j])).collect();
        Tensor::from_vec(out, [rows, d])
    };
    (apply(x), apply(test))
}

fn check(name: &str, x: &Tensor<f64>, y: &[i64], test: &Tensor<f64>, test_y: &[i64], want: &Value) {
    let (x, test) = standardise(x, test);
    let mut model = Svc::new();
    model.fit(&x, y).unwrap();
    let accuracy = model.score(&test, test_y);
    let want_accuracy = want["accuracy"].as_f64().unwrap();
    let head = Tensor::from_vec(test.to_vec()[..10 * x.shape()[1]].to_vec(), [10, x.shape()[1]]);
    let decision = model.decision_function(&head).to_vec();
    let want_decision = floats(&want["decision_head"]);
    let gap = decision.iter().zip(&want_decision).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let n_support: Vec<f64> = model.n_support().iter().map(|&n| n as f64).collect();
    eprintln!(
        "{name}: accuracy {accuracy:.4} (scikit-learn {want_accuracy:.4}), n_support {n_support:?} \
         (scikit-learn {}), decision gap {gap:.1e}",
        want["n_support"]
    );
    assert!((accuracy - want_accuracy).abs() <= 0.01, "{name}: accuracy {accuracy} vs {want_accuracy}");
    // tol = 1e-3 on both sides: the decision values agree to about that.
    assert!(gap < 5e-3, "{name}: decision values differ from scikit-learn's by {gap}");
    let support_gap = n_support.iter().zip(floats(&want["n_support"])).map(|(a, b)| (a - b).abs()).sum::<f64>();
    assert!(support_gap <= 0.02 * n_support.iter().sum::<f64>(), "{name}: n_support {n_support:?}");
}

fn fixture() -> Value {
    read_fixture("svm/svm.json")
}

#[test]
fn small_datasets_match_scikit_learn() {
    let Some(dir) = dir() else { return };
    let want = fixture();
    let small = dir.join("sklearn-small");
    for (name, table) in [
        ("iris", kindling_data::iris_f64(dir.join("iris")).unwrap()),
        ("wine", datasets::wine(&small).unwrap()),
        ("breast_cancer", datasets::breast_cancer(&small).unwrap()),
    ] {
        let y = table.labels.to_vec();
        check(name, &table.features, &y, &table.features, &y, &want["real"][name]);
    }
}

#[test]
fn optdigits_matches_scikit_learn() {
    let Some(dir) = dir() else { return };
    let train = datasets::optdigits(dir.join("optdigits"), kindling_data::Split::Train).unwrap();
    let test = datasets::optdigits(dir.join("optdigits"), kindling_data::Split::Test).unwrap();
    check(
        "optdigits",
        &train.features,
        &train.labels.to_vec(),
        &test.features,
        &test.labels.to_vec(),
        &fixture()["real"]["optdigits"],
    );
}
