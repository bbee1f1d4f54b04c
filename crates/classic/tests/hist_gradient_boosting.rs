//! Histogram gradient boosting beside scikit-learn 1.9.1 (fixtures/hist/hist.json from
//! make_hist.py): the bin cut points exactly, short runs' raw predictions to 1e-9, the naive
//! twin growing the same trees, early stopping, the contract, and the real datasets (those need
//! KINDLING_DATASETS).

mod support;

use kindling_classic::ensemble::hist_gradient_boosting::binning::BinMapper;
use kindling_classic::ensemble::{EarlyStopping, HistGradientBoostingClassifier, HistGradientBoostingRegressor};
use kindling_classic::model_selection::{take, take_rows};
use kindling_classic::{contract, ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_data::datasets;
use kindling_data::preprocess::{StandardScaler, Transform};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use serde_json::Value;
use support::{assert_close_rel as assert_close, datasets, floats, ints, matrix, optdigits_standardised};

fn fixture() -> Value {
    let text = include_str!("fixtures/hist/hist.json");
    serde_json::from_str(text).unwrap()
}

fn usize_of(params: &Value, key: &str, default: usize) -> usize {
    params.get(key).map_or(default, |v| v.as_u64().unwrap() as usize)
}

fn f64_of(params: &Value, key: &str, default: f64) -> f64 {
    params.get(key).map_or(default, |v| v.as_f64().unwrap())
}

fn leaf_counts<'a>(
    trees: impl Iterator<Item = &'a kindling_classic::ensemble::hist_gradient_boosting::HistTree>,
) -> Vec<i64> {
    trees.map(|t| t.leaf_count() as i64).collect()
}

#[test]
fn bin_cut_points_match_scikit_learns_bin_mapper_exactly() {
    let fx = fixture();
    let bits =
        |v: &Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|b| f64::from_bits(b.as_u64().unwrap())).collect() };
    let x_rows: Vec<Vec<f64>> = fx["bins"]["x_bits"].as_array().unwrap().iter().map(bits).collect();
    let x = Tensor::from_vec(x_rows.concat(), [x_rows.len(), 4]);
    for max_bins in [255usize, 16] {
        let want = &fx["bins"][max_bins.to_string()];
        let mapper = BinMapper::learn(&x, max_bins, 0);
        let cuts: Vec<Vec<f64>> = want["cuts_bits"].as_array().unwrap().iter().map(bits).collect();
        assert_eq!(mapper.cuts(), cuts.as_slice(), "cut points at {max_bins} bins");
        let bins = mapper.bin(&x);
        let rows = x.shape()[0];
        for (r, row) in want["binned"].as_array().unwrap().iter().enumerate() {
            let got: Vec<i64> = (0..4).map(|f| i64::from(bins[f * rows + r])).collect();
            assert_eq!(got, ints(row), "bins of row {r} at {max_bins} bins");
        }
    }
}

fn regressor_for(params: &Value) -> HistGradientBoostingRegressor {
    HistGradientBoostingRegressor::new()
        .early_stopping(EarlyStopping::Off)
        .max_iter(usize_of(params, "max_iter", 100))
        .max_depth(params.get("max_depth").map(|v| v.as_u64().unwrap() as usize))
        .max_leaf_nodes(Some(usize_of(params, "max_leaf_nodes", 31)))
        .l2_regularization(f64_of(params, "l2_regularization", 0.0))
        .min_samples_leaf(usize_of(params, "min_samples_leaf", 20))
        .learning_rate(f64_of(params, "learning_rate", 0.1))
        .max_bins(usize_of(params, "max_bins", 255))
}

#[test]
fn short_regression_runs_match_scikit_learn() {
    let fx = fixture();
    let data = &fx["regression_data"];
    let (x, y, x_test) = (matrix(&data["x"]), floats(&data["y"]), matrix(&data["x_test"]));
    for name in ["regression", "regression_limits", "regression_few_bins"] {
        let case = &fx["cases"][name];
        let mut model = regressor_for(&case["params"]);
        model.fit(&x, &y).unwrap();
        assert_eq!(leaf_counts(model.trees().iter()), ints(&case["leaves"]), "{name}: leaves per tree");
        assert_close(name, &model.predict(&x_test), &floats(&case["raw"]), 1e-9);
    }
}

#[test]
fn short_classification_runs_match_scikit_learn() {
    let fx = fixture();
    for name in ["binary", "multiclass"] {
        let case = &fx["cases"][name];
        let (x, y, x_test) = (matrix(&case["x"]), ints(&case["y"]), matrix(&case["x_test"]));
        let mut model = HistGradientBoostingClassifier::new()
            .early_stopping(EarlyStopping::Off)
            .max_iter(usize_of(&case["params"], "max_iter", 100))
            .min_samples_leaf(usize_of(&case["params"], "min_samples_leaf", 20));
        model.fit(&x, &y).unwrap();
        assert_eq!(leaf_counts(model.trees().iter()), ints(&case["leaves"]), "{name}: leaves per tree");
        let raw = model.decision_function(&x_test).to_vec();
        let want_raw: Vec<f64> = match &case["raw"].as_array().unwrap()[0] {
            Value::Array(_) => case["raw"].as_array().unwrap().iter().flat_map(floats).collect(),
            _ => floats(&case["raw"]),
        };
        assert_close(&format!("{name} raw"), &raw, &want_raw, 1e-9);
        let proba = model.predict_proba(&x_test).to_vec();
        let want_proba: Vec<f64> = case["proba"].as_array().unwrap().iter().flat_map(floats).collect();
        assert_close(&format!("{name} proba"), &proba, &want_proba, 1e-9);
    }
}

fn random_data(rows: usize, cols: usize, seed: u64) -> Tensor<f64> {
    let mut rng = Rng::seed(seed);
    Tensor::from_vec((0..rows * cols).map(|_| rng.normal_f64()).collect(), [rows, cols])
}

#[test]
fn the_naive_split_finder_grows_the_same_trees() {
    let x = random_data(240, 6, 7);
    let v = x.to_vec();
    let y_real: Vec<f64> =
        (0..240).map(|r| v[r * 6] * 3.0 + v[r * 6 + 1].sin() + v[r * 6 + 2] * v[r * 6 + 3]).collect();
    let y_class: Vec<i64> =
        (0..240).map(|r| (v[r * 6] + v[r * 6 + 4] > 0.0) as i64 + (v[r * 6 + 5] > 0.8) as i64).collect();
    let y_binary: Vec<i64> = y_class.iter().map(|&c| i64::from(c > 0)).collect();

    let regressor = HistGradientBoostingRegressor::new().max_iter(8).min_samples_leaf(5).max_bins(32);
    let (mut fast, mut naive) = (regressor.clone(), regressor);
    fast.fit(&x, &y_real).unwrap();
    with_kernel_mode(KernelMode::Naive, || naive.fit(&x, &y_real)).unwrap();
    compare_trees("regressor", fast.trees(), naive.trees());

    for (what, y) in [("binary", &y_binary), ("three classes", &y_class)] {
        let classifier = HistGradientBoostingClassifier::new().max_iter(6).min_samples_leaf(8).l2_regularization(0.5);
        let (mut fast, mut naive) = (classifier.clone(), classifier);
        fast.fit(&x, y).unwrap();
        with_kernel_mode(KernelMode::Naive, || naive.fit(&x, y)).unwrap();
        compare_trees(what, fast.trees(), naive.trees());
    }
}

fn compare_trees(
    what: &str,
    fast: &[kindling_classic::ensemble::hist_gradient_boosting::HistTree],
    naive: &[kindling_classic::ensemble::hist_gradient_boosting::HistTree],
) {
    assert_eq!(fast.len(), naive.len(), "{what}: tree counts");
    for (i, (f, n)) in fast.iter().zip(naive).enumerate() {
        assert!(f.node_count() > 1, "{what}: tree {i} did not split, the comparison would be empty");
        assert_eq!(f.splits(), n.splits(), "{what}: tree {i}'s splits");
        assert_close(&format!("{what}: tree {i}'s leaves"), &f.leaf_values(), &n.leaf_values(), 1e-10);
    }
}

#[test]
fn early_stopping_holds_out_rows_and_stops_when_validation_stops_improving() {
    // Pure noise: the validation loss gets worse almost at once.
    let x = random_data(400, 3, 11);
    let mut rng = Rng::seed(3);
    let y: Vec<f64> = (0..400).map(|_| rng.normal_f64()).collect();
    let mut model = HistGradientBoostingRegressor::new().early_stopping(EarlyStopping::On).max_iter(200);
    model.fit(&x, &y).unwrap();
    let n = model.n_iter();
    assert!(n < 200, "ran all {n} rounds on noise");
    assert_eq!(model.train_score().len(), n + 1);
    assert_eq!(model.validation_score().len(), n + 1);
    // It stopped because none of the last 10 rounds beat the score 11 rounds back.
    let v = model.validation_score();
    assert!(v[v.len() - 10..].iter().all(|&s| s <= v[v.len() - 11] + 1e-7));

    // Auto is off at 400 rows: all rounds, no scores.
    let mut auto = HistGradientBoostingRegressor::new().max_iter(15);
    auto.fit(&x, &y).unwrap();
    assert_eq!(auto.n_iter(), 15);
    assert!(auto.train_score().is_empty() && auto.validation_score().is_empty());
}

#[test]
fn early_stopping_auto_turns_on_above_ten_thousand_rows() {
    let x = random_data(10_001, 1, 5);
    let y: Vec<i64> = x.to_vec().iter().map(|&v| i64::from(v > 0.0)).collect();
    let mut model = HistGradientBoostingClassifier::new().max_iter(3).max_leaf_nodes(Some(4));
    model.fit(&x, &y).unwrap();
    assert_eq!(model.validation_score().len(), model.n_iter() + 1);
    assert!(model.validation_score()[model.n_iter()] > model.validation_score()[0]);
}

#[test]
fn staged_predict_ends_at_predict_and_improves() {
    let x = random_data(300, 4, 2);
    let v = x.to_vec();
    let y: Vec<i64> = (0..300).map(|r| i64::from(v[r * 4] * v[r * 4 + 1] > 0.0)).collect();
    let mut model = HistGradientBoostingClassifier::new().max_iter(30);
    model.fit(&x, &y).unwrap();
    let stages = model.staged_predict(&x);
    assert_eq!(stages.len(), 30);
    assert_eq!(stages.last().unwrap(), &model.predict(&x));
    let accuracy = |p: &[i64]| p.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / 300.0;
    assert!(accuracy(&stages[29]) > accuracy(&stages[0]) + 0.1, "boosting did not improve on its first round");

    let yr: Vec<f64> = (0..300).map(|r| v[r * 4] * v[r * 4 + 1]).collect();
    let mut regressor = HistGradientBoostingRegressor::new().max_iter(12);
    regressor.fit(&x, &yr).unwrap();
    let stages = regressor.staged_predict(&x);
    assert_eq!(stages.len(), 12);
    assert_eq!(stages[11], regressor.predict(&x));
}

#[test]
fn both_estimators_keep_the_contract_and_survive_a_save() {
    let fx = fixture();
    let case = &fx["cases"]["multiclass"];
    let (x, y) = (matrix(&case["x"]), ints(&case["y"]));
    let classifier = HistGradientBoostingClassifier::new().max_iter(5).min_samples_leaf(10);
    contract::check_predict_proba(&classifier, &x, &y);
    contract::check_persist(&classifier, &x, &y);
    contract::check_rejects_non_finite(&classifier, &x, &y);
    let binary: Vec<i64> = y.iter().map(|&c| i64::from(c == 2)).collect();
    contract::check_predict_proba(&classifier, &x, &binary);
    contract::check_persist(&classifier, &x, &binary);

    let data = &fx["regression_data"];
    let (x, y) = (matrix(&data["x"]), floats(&data["y"]));
    let regressor = HistGradientBoostingRegressor::new().max_iter(5).max_depth(Some(3));
    contract::check_supervised(&regressor, &x, &y);
    contract::check_persist(&regressor, &x, &y);
    contract::check_rejects_non_finite(&regressor, &x, &y);
}

#[test]
fn a_saved_model_keeps_its_scores_and_settings() {
    let x = random_data(200, 2, 9);
    let y: Vec<f64> = x.to_vec().chunks(2).map(|r| r[0] - r[1]).collect();
    let mut model = HistGradientBoostingRegressor::new().early_stopping(EarlyStopping::On).max_iter(20).seed(4);
    model.fit(&x, &y).unwrap();
    let path = std::env::temp_dir().join(format!("kindling-hist-{}.safetensors", std::process::id()));
    model.save(&path).unwrap();
    let loaded = HistGradientBoostingRegressor::load(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(loaded.n_iter(), model.n_iter());
    assert_eq!(loaded.validation_score(), model.validation_score());
    assert_eq!(loaded.predict(&x), model.predict(&x));
    // The settings came back too: refitting the loaded model gives the same model.
    let mut refit = loaded.clone();
    refit.fit(&x, &y).unwrap();
    assert_eq!(refit.predict(&x), model.predict(&x));
    assert!(HistGradientBoostingClassifier::load(&path).is_err());
}

#[test]
fn bad_input_gets_a_message_that_says_what_to_do() {
    let x = random_data(30, 2, 1);
    let err = HistGradientBoostingClassifier::new().fit(&x, &[4; 30]).unwrap_err();
    assert!(matches!(err, ClassicError::Data { .. }));
    assert!(err.to_string().contains("single class"), "{err}");
    let err = HistGradientBoostingRegressor::new().max_bins(300).fit(&x, &[0.0; 30]).unwrap_err();
    assert!(err.to_string().contains("max_bins must be between 2 and 255"), "{err}");
    let err = HistGradientBoostingRegressor::new().learning_rate(0.0).fit(&x, &[0.0; 30]).unwrap_err();
    assert!(err.to_string().contains("learning_rate"), "{err}");
}

#[test]
#[should_panic(expected = "HistGradientBoostingRegressor::predict: the model is not fitted")]
fn predicting_before_fit_panics() {
    HistGradientBoostingRegressor::new().predict(&Tensor::from([[1.0]]));
}

#[test]
#[should_panic(expected = "HistGradientBoostingClassifier::fit: x has 3 rows but y has 2 values")]
fn a_short_y_panics_with_both_shapes() {
    let _ = HistGradientBoostingClassifier::new().fit(&Tensor::from([[1.0], [2.0], [3.0]]), &[0, 1]);
}

#[test]
fn optdigits_accuracy_is_within_a_point_of_scikit_learn() {
    let Some([(x_train, y_train), (x_test, y_test)]) = optdigits_standardised() else { return };
    let mut model = HistGradientBoostingClassifier::new().max_iter(100);
    model.fit(&x_train, &y_train).unwrap();
    assert_eq!(model.n_iter(), 100, "3823 rows: Auto leaves early stopping off");
    assert_eq!(model.classes().len(), 10);
    let accuracy = model.score(&x_test, &y_test);
    let want = fixture()["real"]["optdigits"]["accuracy"].as_f64().unwrap();
    eprintln!("optdigits: accuracy {accuracy:.4} (scikit-learn {want:.4})");
    assert!((accuracy - want).abs() <= 0.01, "accuracy {accuracy} vs scikit-learn's {want}");
}

#[test]
fn diabetes_r2_is_close_to_scikit_learn() {
    let Some(dir) = datasets() else { return };
    let table = datasets::diabetes(dir.join("sklearn-small")).unwrap();
    let (x, y) = (table.features, table.targets.to_vec());
    let real = &fixture()["real"]["diabetes"];
    let index =
        |v: &Value| -> Vec<usize> { v.as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect() };
    let (train, test) = (index(&real["train"]), index(&real["test"]));
    let mut scaler = StandardScaler::new();
    let x_train = scaler.fit_transform(&take_rows(&x, &train));
    let x_test = scaler.transform(&take_rows(&x, &test));
    let mut model = HistGradientBoostingRegressor::new().max_iter(100);
    model.fit(&x_train, &take(&y, &train)).unwrap();
    let r2 = model.score(&x_test, &take(&y, &test));
    let want = real["r2"].as_f64().unwrap();
    eprintln!("diabetes: R² {r2:.6} (scikit-learn {want:.6})");
    // Same rows, same bins, no randomness: the same model up to rounding.
    assert!((r2 - want).abs() <= 1e-6, "R² {r2} vs scikit-learn's {want}");
}

#[test]
fn the_same_trees_on_one_thread_and_on_four() {
    // Big enough that the root's histogram is shared out among threads.
    let x = random_data(2000, 40, 13);
    let v = x.to_vec();
    let y: Vec<i64> = (0..2000).map(|r| i64::from(v[r * 40] + v[r * 40 + 7] * v[r * 40 + 39] > 0.0)).collect();
    let fit_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut model = HistGradientBoostingClassifier::new().max_iter(4);
        pool.install(|| model.fit(&x, &y)).unwrap();
        model
    };
    let (one, four) = (fit_on(1), fit_on(4));
    for (a, b) in one.trees().iter().zip(four.trees()) {
        assert_eq!(a.splits(), b.splits());
        assert_eq!(a.leaf_values(), b.leaf_values());
    }
}

#[test]
fn tiny_data_fits_a_constant_and_early_stopping_copes() {
    // Too few rows to split (fewer than 2 × min_samples_leaf): every tree is one leaf, and the
    // model predicts the mean.
    let x = Tensor::from([[1.0], [2.0], [3.0]]);
    let mut model = HistGradientBoostingRegressor::new().max_iter(3);
    model.fit(&x, &[1.0, 2.0, 6.0]).unwrap();
    assert!(model.trees().iter().all(|t| t.node_count() == 1));
    for p in model.predict(&x) {
        assert!((p - 3.0).abs() < 1e-12, "{p}");
    }
    // Early stopping on eight rows: the held-out part is tiny but the fit still ends.
    let x = random_data(8, 2, 3);
    let y = [0, 1, 0, 1, 0, 1, 0, 1];
    let mut model = HistGradientBoostingClassifier::new().early_stopping(EarlyStopping::On).max_iter(50);
    model.fit(&x, &y).unwrap();
    assert!(model.n_iter() >= 1 && model.validation_score().len() == model.n_iter() + 1);
}
