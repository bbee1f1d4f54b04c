//! Random forests and extra trees: the same forest for any number of threads and for either
//! split search, the contract, out-of-bag scores, errors, and optdigits / diabetes against
//! scikit-learn 1.9.1 (fixtures/tree/make_tree.py) when KINDLING_DATASETS is set.

mod support;

use kindling_classic::ensemble::{
    ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor,
};
use kindling_classic::model_selection::take_rows;
use kindling_classic::tree::{MaxFeatures, Tree};
use kindling_classic::{contract, Persist, PredictProba, Supervised};
use kindling_data::datasets;
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use serde_json::Value;
use support::{optdigits_standardised, read_fixture};

/// Two noisy blobs per class in 6 features, with a few tied values.
fn problem(seed: u64, n: usize) -> (Tensor<f64>, Vec<i64>, Vec<f64>) {
    let mut rng = Rng::seed(seed);
    let d = 6;
    let labels: Vec<i64> = (0..n).map(|i| (i % 3) as i64).collect();
    let x: Vec<f64> = (0..n * d)
        .map(|k| {
            let (i, f) = (k / d, k % d);
            let centre = if f < 3 { labels[i] as f64 } else { 0.0 };
            ((centre + rng.normal_f64()) * 4.0).round() / 4.0
        })
        .collect();
    let targets: Vec<f64> = (0..n).map(|i| x[i * d] - 2.0 * x[i * d + 1] + rng.normal_f64() * 0.3).collect();
    (Tensor::from_vec(x, [n, d]), labels, targets)
}

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

fn fixture() -> Value {
    read_fixture("tree/tree.json")
}

#[test]
fn forests_are_the_same_for_any_thread_count_and_either_search() {
    let (x, labels, targets) = problem(1, 150);
    let classify = |threads, mode| {
        in_pool(threads, || {
            with_kernel_mode(mode, || {
                let mut forest = RandomForestClassifier::new(12).oob_score(true).seed(5);
                forest.fit(&x, &labels).unwrap();
                (forest.trees().to_vec(), forest.oob_score_value())
            })
        })
    };
    let one: (Vec<Tree>, Option<f64>) = classify(1, KernelMode::Fast);
    assert_eq!(one, classify(4, KernelMode::Fast), "1 thread against 4");
    assert_eq!(one, classify(3, KernelMode::Naive), "presorted against re-sorting");
    let regress = |threads| {
        in_pool(threads, || {
            let mut forest = ExtraTreesRegressor::new(8).seed(2);
            forest.fit(&x, &targets).unwrap();
            forest.trees().to_vec()
        })
    };
    assert_eq!(regress(1), regress(4));
    // Different seeds grow different forests; different trees within one forest differ too.
    let mut other = RandomForestClassifier::new(12).oob_score(true).seed(6);
    other.fit(&x, &labels).unwrap();
    assert_ne!(other.trees(), &one.0[..]);
    assert_ne!(one.0[0], one.0[1]);
}

#[test]
fn forests_keep_the_estimator_contract() {
    let (x, labels, targets) = problem(2, 60);
    contract::check_predict_proba(&RandomForestClassifier::new(5), &x, &labels);
    contract::check_persist(&RandomForestClassifier::new(5).oob_score(true), &x, &labels);
    contract::check_rejects_non_finite(&RandomForestClassifier::new(3), &x, &labels);
    contract::check_predict_proba(&ExtraTreesClassifier::new(5).max_depth(Some(3)), &x, &labels);
    contract::check_persist(&ExtraTreesClassifier::new(5), &x, &labels);
    contract::check_supervised(&RandomForestRegressor::new(5), &x, &targets);
    contract::check_persist(&RandomForestRegressor::new(5), &x, &targets);
    contract::check_rejects_non_finite(&RandomForestRegressor::new(3), &x, &targets);
    contract::check_supervised(&ExtraTreesRegressor::new(5).min_samples_leaf(3), &x, &targets);
    contract::check_persist(&ExtraTreesRegressor::new(5), &x, &targets);
}

#[test]
fn probabilities_are_the_mean_of_the_trees() {
    let (x, labels, _) = problem(3, 90);
    let mut forest = RandomForestClassifier::new(7).max_depth(Some(3)).seed(1);
    forest.fit(&x, &labels).unwrap();
    let proba = forest.predict_proba(&x).to_vec();
    let mut row = x.to_vec()[..6].to_vec();
    row.truncate(6);
    let mut mean = [0.0; 3];
    for tree in forest.trees() {
        let leaf = tree.leaf_of(&row);
        for (m, v) in mean.iter_mut().zip(tree.value(leaf)) {
            *m += v / 7.0;
        }
    }
    for (a, b) in proba[..3].iter().zip(mean) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    let importances = forest.feature_importances();
    assert!((importances.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // Features 3..6 are noise: the informative ones carry most of the importance.
    assert!(importances[..3].iter().sum::<f64>() > 0.6, "{importances:?}");
    // Bootstrap samples hold about 63% of the distinct rows.
    let root = forest.trees()[0].samples(0).0;
    assert!((45..=70).contains(&root), "{root} distinct rows in a bootstrap of 90");
    let mut extra = ExtraTreesClassifier::new(2).max_features(MaxFeatures::All);
    extra.fit(&x, &labels).unwrap();
    assert_eq!(extra.trees()[0].samples(0), (90, 90.0), "extra trees see every row once");
}

#[test]
fn forest_mistakes_are_reported_clearly() {
    let (x, labels, targets) = problem(4, 30);
    let e = RandomForestClassifier::new(0).fit(&x, &labels).unwrap_err().to_string();
    assert_eq!(e, "RandomForestClassifier: n_trees must be at least 1, got 0");
    let e = ExtraTreesRegressor::new(3).oob_score(true).fit(&x, &targets).unwrap_err().to_string();
    assert_eq!(e, "ExtraTreesRegressor: oob_score needs bootstrap(true): without it no row is out of bag");
    let e = RandomForestRegressor::new(3).max_features(MaxFeatures::Fraction(1.5)).fit(&x, &targets).unwrap_err();
    assert_eq!(e.to_string(), "RandomForestRegressor: max_features Fraction(1.5) must lie in (0, 1]");
    let mut forest = RandomForestClassifier::new(2);
    forest.fit(&x, &labels).unwrap();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| forest.predict(&Tensor::from([[1.0, 2.0]]))))
        .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert_eq!(msg, "RandomForestClassifier::predict: fitted on 6 features but x has 2");
    let path = std::env::temp_dir().join(format!("kindling-forest-{}.safetensors", std::process::id()));
    forest.save(&path).unwrap();
    let e = ExtraTreesClassifier::load(&path).unwrap_err().to_string();
    let loaded = RandomForestClassifier::load(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(e.contains("holds a RandomForestClassifier, not a ExtraTreesClassifier"), "{e}");
    assert_eq!(loaded.trees(), forest.trees());
}

#[test]
fn optdigits_forests_are_as_accurate_as_scikit_learn() {
    let Some([(x_train, y_train), (x_test, y_test)]) = optdigits_standardised() else { return };
    let real = &fixture()["real"];
    let mut forest = RandomForestClassifier::new(100).oob_score(true);
    forest.fit(&x_train, &y_train).unwrap();
    let (accuracy, oob) = (forest.score(&x_test, &y_test), forest.oob_score_value().unwrap());
    let (theirs, their_oob) =
        (real["optdigits_forest_accuracy"].as_f64().unwrap(), real["optdigits_forest_oob"].as_f64().unwrap());
    eprintln!("optdigits random forest: {accuracy:.4} (scikit-learn {theirs:.4}), oob {oob:.4} ({their_oob:.4})");
    assert!((accuracy - theirs).abs() <= 0.01, "{accuracy} vs {theirs}");
    assert!((oob - their_oob).abs() <= 0.01, "oob {oob} vs {their_oob}");
    let mut extra = ExtraTreesClassifier::new(100);
    extra.fit(&x_train, &y_train).unwrap();
    let accuracy = extra.score(&x_test, &y_test);
    let theirs = real["optdigits_extra_accuracy"].as_f64().unwrap();
    eprintln!("optdigits extra trees: {accuracy:.4} (scikit-learn {theirs:.4})");
    assert!((accuracy - theirs).abs() <= 0.01, "{accuracy} vs {theirs}");
}

#[test]
fn diabetes_forest_scores_as_scikit_learn() {
    let Ok(dir) = std::env::var("KINDLING_DATASETS") else {
        eprintln!("skipped: KINDLING_DATASETS is unset");
        return;
    };
    let table = datasets::diabetes(std::path::Path::new(&dir).join("sklearn-small")).unwrap();
    let real = &fixture()["real"];
    let idx =
        |k: &str| -> Vec<usize> { real[k].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect() };
    let (train, test) = (idx("diabetes_train"), idx("diabetes_test"));
    let y = table.targets.to_vec();
    let pick = |rows: &[usize]| rows.iter().map(|&i| y[i]).collect::<Vec<f64>>();
    let mut forest = RandomForestRegressor::new(100).oob_score(true);
    forest.fit(&take_rows(&table.features, &train), &pick(&train)).unwrap();
    let r2 = forest.score(&take_rows(&table.features, &test), &pick(&test));
    let oob = forest.oob_score_value().unwrap();
    let (theirs, their_oob) =
        (real["diabetes_forest_r2"].as_f64().unwrap(), real["diabetes_forest_oob"].as_f64().unwrap());
    eprintln!("diabetes random forest R²: {r2:.4} (scikit-learn {theirs:.4}), oob {oob:.4} ({their_oob:.4})");
    assert!((r2 - theirs).abs() <= 0.03, "{r2} vs {theirs}");
    assert!((oob - their_oob).abs() <= 0.03, "oob {oob} vs {their_oob}");
}
