//! The perceptron: separable data, one-vs-rest, penalties, errors, save/load, and accuracy
//! beside scikit-learn 1.9.1's `Perceptron` on iris, breast cancer, wine and optdigits when
//! KINDLING_DATASETS is set (fixtures/neighbors/peer_scikit_learn.py measures scikit-learn's side).

use kindling_classic::linear::Perceptron;
use kindling_classic::model_selection::take_rows;
use kindling_classic::naive_bayes::GaussianNb;
use kindling_classic::neighbors::KNeighborsClassifier;
use kindling_classic::{ClassicError, Classifier, Persist, Supervised};
use kindling_data::datasets::{self, Split};
use kindling_data::preprocess::{StandardScaler, Transform};
use kindling_data::split::stratified_train_val_test_split;
use kindling_tensor::{Rng, Tensor};
use std::path::Path;

/// Two Gaussian blobs per class around well-separated centres.
fn blobs(rng: &mut Rng, centres: &[[f64; 2]], per_class: usize, spread: f64) -> (Tensor<f64>, Vec<i64>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (label, c) in centres.iter().enumerate() {
        for _ in 0..per_class {
            x.extend([c[0] + spread * rng.normal_f64(), c[1] + spread * rng.normal_f64()]);
            y.push(label as i64 * 10);
        }
    }
    let rows = y.len();
    (Tensor::from_vec(x, [rows, 2]), y)
}

#[test]
fn separable_data_is_separated_and_training_stops_early() {
    let (x, y) = blobs(&mut Rng::seed(1), &[[-4.0, 0.0], [4.0, 1.0]], 50, 1.0);
    let mut model = Perceptron::new().seed(3);
    model.fit(&x, &y).unwrap();
    assert_eq!(model.score(&x, &y), 1.0);
    assert_eq!(model.coef().shape(), &[1, 2]);
    assert!(model.n_iter() < 50, "stopped after {} epochs", model.n_iter());
    // On separable data the last epoch made no mistake: every margin is positive.
    let scores = model.decision_function(&x).to_vec();
    assert!(scores.iter().zip(&y).all(|(s, &label)| if label == 10 { *s > 0.0 } else { *s <= 0.0 }));
}

#[test]
fn more_classes_are_one_vs_rest() {
    let (x, y) = blobs(&mut Rng::seed(2), &[[-5.0, -5.0], [5.0, -5.0], [0.0, 6.0]], 40, 0.8);
    let mut model = Perceptron::new();
    model.fit(&x, &y).unwrap();
    assert_eq!(model.classes(), &[0, 10, 20]);
    assert_eq!(model.coef().shape(), &[3, 2]);
    assert_eq!(model.intercept().len(), 3);
    assert_eq!(model.score(&x, &y), 1.0);
}

#[test]
fn the_seed_decides_the_order_and_without_shuffling_it_does_not_matter() {
    let (x, y) = blobs(&mut Rng::seed(4), &[[-1.0, 0.0], [1.0, 0.0]], 60, 1.0);
    let fit = |model: Perceptron| {
        let mut model = model;
        model.fit(&x, &y).unwrap();
        model.coef().to_vec()
    };
    assert_eq!(fit(Perceptron::new().seed(5)), fit(Perceptron::new().seed(5)));
    assert_ne!(fit(Perceptron::new().seed(5)), fit(Perceptron::new().seed(6)));
    assert_eq!(fit(Perceptron::new().shuffle(false).seed(5)), fit(Perceptron::new().shuffle(false).seed(6)));
}

#[test]
fn one_epoch_without_shuffling_follows_the_update_rule() {
    // Hand-worked: w = 0, b = 0. Sample 1 (y = +1) has margin 0 → w = (1, 2), b = 1.
    // Sample 2 (y = −1): margin −(−1·1 + 0·2 + 1) = 0 → w = (1, 2) − (−1, 0) = (2, 2), b = 0.
    let x = Tensor::from([[1.0, 2.0], [-1.0, 0.0]]);
    let mut model = Perceptron::new().shuffle(false).max_iter(1).tol(None);
    model.fit(&x, &[1, 0]).unwrap();
    assert_eq!(model.coef().to_vec(), vec![2.0, 2.0]);
    assert_eq!(model.intercept(), &[0.0]);
}

#[test]
fn penalties_shrink_the_weights() {
    let (x, y) = blobs(&mut Rng::seed(7), &[[-2.0, 0.0], [2.0, 0.5]], 80, 1.5);
    let norm = |model: Perceptron| {
        let mut model = model.max_iter(20).tol(None);
        model.fit(&x, &y).unwrap();
        model.coef().to_vec().iter().map(|v| v.abs()).sum::<f64>()
    };
    let plain = norm(Perceptron::new());
    assert!(norm(Perceptron::new().l2(0.05)) < plain);
    assert!(norm(Perceptron::new().l1(0.05)) < plain);
    // A strong L1 penalty zeroes the weights outright.
    let mut strong = Perceptron::new().l1(10.0).max_iter(5).tol(None);
    strong.fit(&x, &y).unwrap();
    assert!(strong.coef().to_vec().iter().all(|v| *v == 0.0), "{:?}", strong.coef().to_vec());
}

#[test]
fn save_and_load_give_the_same_scores() {
    let (x, y) = blobs(&mut Rng::seed(8), &[[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]], 30, 1.0);
    let mut model = Perceptron::new().l2(1e-3).seed(9);
    model.fit(&x, &y).unwrap();
    let path = std::env::temp_dir().join(format!("kindling-perceptron-{}.safetensors", std::process::id()));
    model.save(&path).unwrap();
    let back = Perceptron::load(&path).unwrap();
    assert_eq!(back.decision_function(&x).to_vec(), model.decision_function(&x).to_vec());
    assert_eq!(back.n_iter(), model.n_iter());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn one_class_and_nan_are_refused() {
    let x = Tensor::from([[0.0], [1.0]]);
    let err = Perceptron::new().fit(&x, &[3, 3]).unwrap_err();
    assert!(matches!(err, ClassicError::Data { .. }));
    assert_eq!(err.to_string(), "Perceptron: y has only the class [3]; a classifier needs at least two");
    let err = Perceptron::new().fit(&Tensor::from([[0.0], [f64::NAN]]), &[0, 1]).unwrap_err();
    assert_eq!(err.to_string(), "Perceptron: x holds NaN at row 1, column 0; impute or drop missing values first");
    let err = Perceptron::new().eta0(0.0).fit(&x, &[0, 1]).unwrap_err();
    assert_eq!(err.to_string(), "Perceptron: eta0 must be > 0, got 0");
}

#[test]
#[should_panic(expected = "Perceptron::predict: the model is not fitted; call fit first")]
fn predicting_before_fit_panics() {
    Perceptron::new().predict(&Tensor::from([[1.0]]));
}

#[test]
#[should_panic(expected = "Perceptron::fit: x has 3 rows but y has 2 values")]
fn a_target_of_the_wrong_length_panics() {
    let _ = Perceptron::new().fit(&Tensor::from([[0.0], [1.0], [2.0]]), &[0, 1]);
}

/// A labelled table, read through kindling-data's loaders.
fn load(dir: &Path, name: &str) -> (Tensor<f64>, Vec<i64>) {
    let table = match name {
        "iris" => datasets::iris_f64(dir.join("iris")),
        "breast_cancer" => datasets::breast_cancer(dir.join("sklearn-small")),
        "wine" => datasets::wine(dir.join("sklearn-small")),
        other => panic!("no dataset {other:?}"),
    }
    .unwrap();
    (table.features, table.labels.to_vec())
}

/// Standardised (train, test) parts of a small dataset: stratified 70/30, seed 0.
fn small_split(dir: &Path, name: &str) -> [(Tensor<f64>, Vec<i64>); 2] {
    let (x, y) = load(dir, name);
    let split = stratified_train_val_test_split(&y, [0.7, 0.0, 0.3], 0);
    let pick = |at: &[usize]| (take_rows(&x, at), at.iter().map(|&i| y[i]).collect::<Vec<_>>());
    let ((train, y_train), (test, y_test)) = (pick(&split.train), pick(&split.test));
    let mut scaler = StandardScaler::new();
    [(scaler.fit_transform(&train), y_train), (scaler.transform(&test), y_test)]
}

fn optdigits(dir: &Path) -> [(Tensor<f64>, Vec<i64>); 2] {
    let read = |split| {
        let table = datasets::optdigits(dir.join("optdigits"), split).unwrap();
        (table.features, table.labels.to_vec())
    };
    let ((train, y_train), (test, y_test)) = (read(Split::Train), read(Split::Test));
    let mut scaler = StandardScaler::new();
    [(scaler.fit_transform(&train), y_train), (scaler.transform(&test), y_test)]
}

fn datasets() -> Option<std::path::PathBuf> {
    match std::env::var("KINDLING_DATASETS") {
        Ok(dir) => Some(dir.into()),
        Err(_) => {
            eprintln!("skipped: KINDLING_DATASETS is unset");
            None
        }
    }
}

#[test]
fn accuracy_is_close_to_scikit_learn() {
    let Some(dir) = datasets() else { return };
    // scikit-learn 1.9.1 Perceptron(), mean test accuracy over random_state 0..9 on the same
    // splits (fixtures/neighbors/peer_scikit_learn.py). A perceptron's accuracy swings with
    // the order of the samples (iris: from 0.78 to 0.98 on 45 test samples), and our order
    // comes from another generator, so we compare means over ten seeds: within 0.06 on the
    // small sets (about two standard errors of the difference) and 0.01 on optdigits.
    let peers =
        [("iris", 0.9222, 0.06), ("breast_cancer", 0.9702, 0.06), ("wine", 0.9849, 0.06), ("optdigits", 0.9238, 0.01)];
    for (name, theirs, within) in peers {
        let [(x_train, y_train), (x_test, y_test)] =
            if name == "optdigits" { optdigits(&dir) } else { small_split(&dir, name) };
        let accuracies: Vec<f64> = (0..10)
            .map(|seed| {
                let mut model = Perceptron::new().seed(seed);
                model.fit(&x_train, &y_train).unwrap();
                model.score(&x_test, &y_test)
            })
            .collect();
        let ours = accuracies.iter().sum::<f64>() / 10.0;
        eprintln!(
            "{name}: perceptron mean {ours:.4} over seeds 0..9 (scikit-learn {theirs:.4}), seed 0: {:.4}",
            accuracies[0]
        );
        assert!((ours - theirs).abs() <= within, "{name}: {ours} vs scikit-learn's {theirs}");
    }
}

/// GaussianNb and k-NN are deterministic, so on the same splits they must score exactly what
/// scikit-learn scores (peer_scikit_learn.py). They are checked here because this file holds
/// the small datasets' loaders.
#[test]
fn naive_bayes_and_knn_score_what_scikit_learn_scores_on_the_small_sets() {
    let Some(dir) = datasets() else { return };
    for (name, gaussian_peer, knn_peer) in
        [("iris", 1.0, 0.9778), ("breast_cancer", 0.9532, 0.9649), ("wine", 0.9811, 0.9434)]
    {
        let [(x_train, y_train), (x_test, y_test)] = small_split(&dir, name);
        let mut gaussian = GaussianNb::new();
        gaussian.fit(&x_train, &y_train).unwrap();
        let mut knn = KNeighborsClassifier::new(5);
        knn.fit(&x_train, &y_train).unwrap();
        let (g, k) = (gaussian.score(&x_test, &y_test), knn.score(&x_test, &y_test));
        eprintln!(
            "{name}: GaussianNb {g:.4} (scikit-learn {gaussian_peer:.4}), k-NN {k:.4} (scikit-learn {knn_peer:.4})"
        );
        assert!((g - gaussian_peer).abs() < 1e-4 && (k - knn_peer).abs() < 1e-4, "{name}: {g} {k}");
    }
}

/// Writes the small datasets' split positions for peer_scikit_learn.py (run with --ignored and
/// NBK_SPLITS_OUT=path).
#[test]
#[ignore = "writes the split file peer_scikit_learn.py reads: run by hand to regenerate the scikit-learn figures"]
fn write_splits() {
    let Some(dir) = datasets() else { return };
    let out = std::env::var("NBK_SPLITS_OUT").expect("NBK_SPLITS_OUT");
    let mut json = serde_json::Map::new();
    for name in ["iris", "breast_cancer", "wine"] {
        let (_, y) = load(&dir, name);
        let split = stratified_train_val_test_split(&y, [0.7, 0.0, 0.3], 0);
        json.insert(name.into(), serde_json::json!({"train": split.train, "test": split.test}));
    }
    std::fs::write(out, serde_json::Value::Object(json).to_string()).unwrap();
}
