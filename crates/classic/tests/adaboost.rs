//! AdaBoost (SAMME) against scikit-learn 1.9.1 (fixtures/boost/make_boost.py: the same trees,
//! so the says, errors and staged decision values agree to 1e-8), the contract, save/load,
//! error messages, and optdigits accuracy when KINDLING_DATASETS is set.

mod support;

use kindling_classic::ensemble::AdaBoostClassifier;
use kindling_classic::tree::DecisionTreeClassifier;
use kindling_classic::{contract, ClassicError, Persist, PredictProba, Supervised};
use kindling_tensor::Tensor;
use serde_json::Value;
use support::{assert_close_rel as assert_close, floats, ints, matrix, read_fixture};

fn case_model(name: &str) -> (AdaBoostClassifier, &'static str, bool) {
    match name {
        "stumps3" => (AdaBoostClassifier::new(15), "y3", false),
        "stumps2" => (AdaBoostClassifier::new(15), "y2", false),
        "depth2_lr05" => (
            AdaBoostClassifier::new(12).learning_rate(0.5).estimator(DecisionTreeClassifier::new().max_depth(Some(2))),
            "y3",
            false,
        ),
        "weighted3" => (AdaBoostClassifier::new(10), "y3", true),
        other => panic!("unknown case {other}"),
    }
}

fn fixture(file: &str) -> Value {
    read_fixture(&format!("boost/{file}"))
}

#[test]
fn matches_scikit_learn_stage_by_stage() {
    let all = fixture("boost.json");
    let (x, x_test, w) = (matrix(&all["x"]), matrix(&all["x_test"]), floats(&all["w"]));
    for (name, want) in all["adaboost"].as_object().unwrap() {
        let (mut model, target, weighted) = case_model(name);
        let y = ints(&all[target]);
        if weighted {
            model.fit_weighted(&x, &y, &w).unwrap();
        } else {
            model.fit(&x, &y).unwrap();
        }
        assert_close(&format!("{name} says"), model.estimator_weights(), &floats(&want["estimator_weights"]), 1e-10);
        assert_close(&format!("{name} errors"), model.estimator_errors(), &floats(&want["estimator_errors"]), 1e-10);
        let staged: Vec<f64> = model.staged_decision_function(&x_test).iter().flat_map(|t| t.to_vec()).collect();
        assert_close(&format!("{name} staged decision"), &staged, &floats(&want["staged_decision"]), 1e-8);
        assert_close(&format!("{name} proba"), &model.predict_proba(&x_test).to_vec(), &floats(&want["proba"]), 1e-8);
        assert_eq!(model.predict(&x_test), ints(&want["predict"]), "{name}: predictions");
        assert_close(
            &format!("{name} importances"),
            &model.feature_importances(),
            &floats(&want["feature_importances"]),
            1e-8,
        );
    }
}

#[test]
fn staged_outputs_end_at_the_final_model() {
    let all = fixture("boost.json");
    let (x, x_test, y) = (matrix(&all["x"]), matrix(&all["x_test"]), ints(&all["y3"]));
    let mut model = AdaBoostClassifier::new(15);
    model.fit(&x, &y).unwrap();
    let staged = model.staged_predict(&x_test);
    assert_eq!(staged.len(), model.estimator_weights().len());
    assert_eq!(staged.last().unwrap(), &model.predict(&x_test));
    let decisions = model.staged_decision_function(&x_test);
    assert_eq!(decisions.last().unwrap().to_vec(), model.decision_function(&x_test).to_vec());
    let probabilities = model.staged_predict_proba(&x_test);
    assert_eq!(probabilities.len(), staged.len());
    assert_eq!(probabilities.last().unwrap().to_vec(), model.predict_proba(&x_test).to_vec());
    let scores = model.staged_score(&x, &y);
    assert_eq!(*scores.last().unwrap(), model.score(&x, &y));
    // One stump alone is weaker than the ensemble on its own training rows.
    assert!(scores[0] < *scores.last().unwrap(), "staged training accuracy {scores:?}");
}

#[test]
fn keeps_the_estimator_contract_and_saves() {
    let all = fixture("boost.json");
    let x = matrix(&all["x"]);
    for target in ["y2", "y3"] {
        let y = ints(&all[target]);
        let model = AdaBoostClassifier::new(8).seed(3);
        contract::check_predict_proba(&model, &x, &y);
        contract::check_persist(&model, &x, &y);
        contract::check_rejects_non_finite(&model, &x, &y);
    }
    // A saved model keeps its probabilities and can be refitted with its configuration.
    let y = ints(&all["y3"]);
    let mut model = AdaBoostClassifier::new(6).estimator(DecisionTreeClassifier::new().max_depth(Some(2)));
    model.fit(&x, &y).unwrap();
    let mut loaded = AdaBoostClassifier::from_state(&model.to_state()).unwrap();
    assert_eq!(loaded.predict_proba(&x).to_vec(), model.predict_proba(&x).to_vec());
    loaded.fit(&x, &y).unwrap();
    assert_eq!(loaded.estimator_weights(), model.estimator_weights());
}

#[test]
fn a_perfect_first_tree_stops_boosting_with_say_one() {
    let x = Tensor::from_vec((0..8).map(f64::from).collect(), [8, 1]);
    let y = [4, 4, 4, 4, 9, 9, 9, 9];
    let mut model = AdaBoostClassifier::new(50);
    model.fit(&x, &y).unwrap();
    assert_eq!(model.estimator_weights(), &[1.0]);
    assert_eq!(model.estimator_errors(), &[0.0]);
    assert_eq!(model.predict(&x), y.to_vec());
}

#[test]
fn data_and_parameter_errors_say_what_to_do() {
    let x = Tensor::from_vec((0..8).map(f64::from).collect(), [8, 1]);
    let message = |r: Result<(), ClassicError>| r.unwrap_err().to_string();
    let one_class = message(AdaBoostClassifier::new(5).fit(&x, &[2; 8]));
    assert!(one_class.contains("AdaBoostClassifier") && one_class.contains("single class"), "{one_class}");
    let zero = message(AdaBoostClassifier::new(0).fit(&x, &[0, 1, 0, 1, 0, 1, 0, 1]));
    assert!(zero.contains("n_estimators"), "{zero}");
    let rate = message(AdaBoostClassifier::new(5).learning_rate(-1.0).fit(&x, &[0, 1, 0, 1, 0, 1, 0, 1]));
    assert!(rate.contains("learning_rate"), "{rate}");
    // A constant feature leaves the first stump at chance level, so nothing can be boosted.
    let flat = Tensor::from_vec(vec![1.0; 8], [8, 1]);
    let chance = message(AdaBoostClassifier::new(5).fit(&flat, &[0, 1, 0, 1, 0, 1, 0, 1]));
    assert!(chance.contains("no better than chance"), "{chance}");
    let weights = message(AdaBoostClassifier::new(5).fit_weighted(&x, &[0, 1, 0, 1, 0, 1, 0, 1], &[-1.0; 8]));
    assert!(weights.contains("sample_weight"), "{weights}");
}

#[test]
#[should_panic(expected = "AdaBoostClassifier::predict: fitted on 1 features but x has 2")]
fn predicting_with_the_wrong_width_panics() {
    let mut model = AdaBoostClassifier::new(3);
    model.fit(&Tensor::from_vec((0..6).map(f64::from).collect(), [6, 1]), &[0, 0, 1, 1, 0, 0]).unwrap();
    model.predict(&Tensor::from([[1.0, 2.0]]));
}

#[test]
#[should_panic(expected = "AdaBoostClassifier::predict: the model is not fitted")]
fn predicting_before_fit_panics() {
    AdaBoostClassifier::new(3).predict(&Tensor::from([[1.0]]));
}

#[test]
fn optdigits_accuracy_is_within_a_point_of_scikit_learn() {
    use kindling_data::datasets::{self, Split};
    use kindling_data::preprocess::{StandardScaler, Transform};
    let Ok(dir) = std::env::var("KINDLING_DATASETS") else {
        eprintln!("skipped: KINDLING_DATASETS is unset");
        return;
    };
    let read = |split| datasets::optdigits(std::path::Path::new(&dir).join("optdigits"), split).unwrap();
    let (train, test) = (read(Split::Train), read(Split::Test));
    let mut scaler = StandardScaler::new();
    let x_train = scaler.fit_transform(&train.features);
    let x_test = scaler.transform(&test.features);
    let (y_train, y_test) = (train.labels.to_vec(), test.labels.to_vec());
    let mut model = AdaBoostClassifier::new(100);
    model.fit(&x_train, &y_train).unwrap();
    let accuracy = model.score(&x_test, &y_test);
    let want = &fixture("boost_real.json")["optdigits_adaboost_100"];
    let theirs = want["accuracy"].as_f64().unwrap();
    eprintln!("optdigits AdaBoost(100): {accuracy:.4}, scikit-learn {theirs:.4}");
    assert!((accuracy - theirs).abs() <= 0.01, "accuracy {accuracy} vs scikit-learn {theirs}");
    let staged = model.staged_score(&x_test, &y_test);
    assert_eq!(*staged.last().unwrap(), accuracy);
}

#[test]
fn naive_and_fast_trees_boost_alike() {
    use kindling_tensor::{with_kernel_mode, KernelMode};
    let all = fixture("boost.json");
    let (x, x_test, y) = (matrix(&all["x"]), matrix(&all["x_test"]), ints(&all["y3"]));
    let decision = |mode| {
        with_kernel_mode(mode, || {
            let mut m = AdaBoostClassifier::new(10).estimator(DecisionTreeClassifier::new().max_depth(Some(2)));
            m.fit(&x, &y).unwrap();
            m.decision_function(&x_test).to_vec()
        })
    };
    assert_close("naive vs fast", &decision(KernelMode::Naive), &decision(KernelMode::Fast), 1e-10);
}
