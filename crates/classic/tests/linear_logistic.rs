//! LogisticRegression against scikit-learn 1.9.1 (fixtures/linear/make_linear.py).

mod support;

use kindling_classic::linear::{LogisticRegression, Penalty};
use kindling_classic::{ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_tensor::Tensor;
use support::{assert_close, fixture, floats, ints, matrix};

fn case(name: &str) -> (Tensor<f64>, Vec<i64>, serde_json::Value, f64) {
    let f = fixture("linear.json");
    let c = f["logistic"][name].clone();
    (matrix(&c["x"]), ints(&c["y"]), c, f["logistic"]["c"].as_f64().unwrap())
}

/// Our objective is no worse than scikit-learn's (1e-6 relative), at the defaults and at a
/// tight tolerance, and the coefficients agree as far as the tolerances allow.
#[test]
fn l2_fits_reach_scikit_learns_objective() {
    for name in ["binary", "multi"] {
        let (x, y, c, cc) = case(name);
        let reference = c["l2"]["objective"].as_f64().unwrap();
        let mut model = LogisticRegression::new().c(cc);
        model.fit(&x, &y).unwrap();
        assert!(model.converged(), "{name}");
        assert!(model.objective() <= reference * (1.0 + 1e-6), "{name}: {} vs {reference}", model.objective());
        let mut tight = LogisticRegression::new().c(cc).tol(1e-12).max_iter(1000);
        tight.fit(&x, &y).unwrap();
        assert!(tight.objective() <= reference, "{name}: {} vs {reference}", tight.objective());
        // Both solved tightly (each stops on its own ftol), the unique minimiser agrees to 1e-6.
        let exact = &c["l2_tight"];
        assert_close(&format!("{name} coef"), &tight.coef().to_vec(), &floats(&exact["coef"]), 1e-6, 1e-6);
        assert_close(&format!("{name} intercept"), tight.intercept(), &floats(&exact["intercept"]), 1e-6, 1e-6);
        let proba = tight.predict_proba(&x.narrow(0, 0, 5));
        assert_close(&format!("{name} proba"), &proba.to_vec(), &floats(&exact["proba"]), 1e-7, 0.0);
    }
}

#[test]
fn l1_fits_reach_scikit_learns_objective_with_exact_zeros() {
    for name in ["binary", "multi"] {
        let (x, y, c, cc) = case(name);
        let reference = c["l1"]["objective"].as_f64().unwrap();
        let mut model = LogisticRegression::new().c(cc).penalty(Penalty::L1).tol(1e-10).max_iter(1000);
        model.fit(&x, &y).unwrap();
        assert!(model.objective() <= reference * (1.0 + 1e-6), "{name}: {} vs {reference}", model.objective());
        let want = floats(&c["l1"]["coef"]);
        assert_close(&format!("{name} L1 coef"), &model.coef().to_vec(), &want, 1e-4, 1e-4);
        // Where scikit-learn's saga found a zero, OWL-QN finds an exact one.
        for (j, (got, w)) in model.coef().to_vec().iter().zip(&want).enumerate() {
            if *w == 0.0 {
                assert_eq!(*got, 0.0, "{name} coefficient {j}");
            }
        }
        assert!(want.contains(&0.0), "{name}: the fixture should have a zero to test");
    }
}

#[test]
fn classes_keep_their_labels_and_probabilities_sum_to_one() {
    let (x, y, _, _) = case("binary");
    let mut model = LogisticRegression::new();
    model.fit(&x, &y).unwrap();
    assert_eq!(model.classes(), &[2, 7]);
    assert_eq!(model.coef().shape(), &[1, 3]);
    let predicted = model.predict(&x);
    assert!(predicted.iter().all(|v| *v == 2 || *v == 7));
    assert!(model.score(&x, &y) > 0.75);
    let (x, y, _, _) = case("multi");
    model.fit(&x, &y).unwrap();
    assert_eq!(model.classes(), &[-1, 0, 1]);
    assert_eq!(model.coef().shape(), &[3, 4]);
    let proba = model.predict_proba(&x);
    for (i, row) in proba.to_vec().chunks_exact(3).enumerate() {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let best = (0..3).fold(0, |b, j| if row[j] > row[b] { j } else { b });
        assert_eq!(model.predict(&x.narrow(0, i, 1))[0], model.classes()[best]);
    }
}

#[test]
fn without_penalty_separable_data_still_stops_at_max_iter() {
    let x = Tensor::from_vec(vec![-2.0, -1.0, 1.0, 2.0], [4, 1]);
    let mut model = LogisticRegression::new().penalty(Penalty::None).max_iter(30);
    model.fit(&x, &[0, 0, 1, 1]).unwrap();
    assert_eq!(model.predict(&x), vec![0, 0, 1, 1]);
    assert!(model.coef().get(&[0, 0]) > 3.0, "the weight grows without a penalty");
}

#[test]
fn bad_inputs_are_clear_errors() {
    let (x, y, _, _) = case("binary");
    let err = LogisticRegression::new().fit(&x, &vec![3; y.len()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "LogisticRegression: y holds a single class (3); a classifier needs samples of at least two classes"
    );
    assert!(matches!(err, ClassicError::Data { .. }));
    let err = LogisticRegression::new().c(0.0).fit(&x, &y).unwrap_err();
    assert_eq!(err.to_string(), "LogisticRegression: C must be a finite number > 0, got 0");
    let mut values = x.to_vec();
    values[4] = f64::NAN;
    let err = LogisticRegression::new().fit(&Tensor::from_vec(values, [60, 3]), &y).unwrap_err();
    assert!(err.to_string().contains("x holds NaN at row 1, column 1"), "{err}");
}

#[test]
#[should_panic(expected = "LogisticRegression::fit: x has 60 rows but y has 10 values")]
fn a_short_y_panics() {
    let (x, y, _, _) = case("binary");
    let _ = LogisticRegression::new().fit(&x, &y[..10]);
}

#[test]
#[should_panic(expected = "LogisticRegression::decision_function: the model was fitted on 3 features, x has 2")]
fn predicting_with_other_features_panics() {
    let (x, y, _, _) = case("binary");
    let mut model = LogisticRegression::new();
    model.fit(&x, &y).unwrap();
    model.predict_proba(&Tensor::zeros([1, 2]));
}

#[test]
fn saved_models_predict_the_same() {
    let (x, y, _, _) = case("multi");
    let dir = std::env::temp_dir().join(format!("kindling-linear-logistic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut model = LogisticRegression::new().penalty(Penalty::L1).c(2.0);
    model.fit(&x, &y).unwrap();
    model.save(dir.join("logistic.safetensors")).unwrap();
    let back = LogisticRegression::load(dir.join("logistic.safetensors")).unwrap();
    assert_eq!(back.classes(), model.classes());
    assert_eq!(back.predict_proba(&x).to_vec(), model.predict_proba(&x).to_vec());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_an_intercept_the_intercept_stays_zero() {
    let (x, y, c, cc) = case("multi");
    let mut model = LogisticRegression::new().c(cc).fit_intercept(false);
    model.fit(&x, &y).unwrap();
    assert_eq!(model.intercept(), &[0.0, 0.0, 0.0]);
    // Fewer free parameters: the objective cannot beat the fit with an intercept.
    let mut with = LogisticRegression::new().c(cc).tol(1e-10).max_iter(1000);
    with.fit(&x, &y).unwrap();
    assert!(model.objective() >= with.objective());
    assert!(model.objective() < c["l2"]["objective"].as_f64().unwrap() * 1.5);
}
