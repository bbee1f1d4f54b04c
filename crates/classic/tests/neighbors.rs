//! k-nearest neighbours against scikit-learn 1.9.1 (fixtures/neighbors/make_neighbors.py),
//! the GEMM search against its naive twin, the KD-tree against brute force, errors, save and
//! load, and optdigits accuracy when KINDLING_DATASETS is set.

mod support;

use kindling_classic::neighbors::{Algorithm, KNeighborsClassifier, KNeighborsRegressor, KdTree, Metric, Weights};
use kindling_classic::{ClassicError, Persist, PredictProba, Supervised};
use kindling_tensor::{assert_close, with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};
use serde_json::Value;
use support::{floats, ints, matrix, optdigits_standardised, read_fixture};

/// scikit-learn's GEMM distances put an identical point at up to ~1e-7 instead of 0.
const NEAR: Tolerance = Tolerance { atol: 1e-6, rtol: 1e-9 };

fn fixture() -> Value {
    read_fixture("neighbors/neighbors.json")
}

#[test]
fn every_search_matches_scikit_learn() {
    let all = fixture();
    for (problem_name, problem) in all.as_object().unwrap() {
        let (x, x_test) = (matrix(&problem["x"]), matrix(&problem["x_test"]));
        let (labels, target) = (ints(&problem["y"]), floats(&problem["target"]));
        for case in problem["cases"].as_array().unwrap() {
            let k = case["k"].as_u64().unwrap() as usize;
            let weights = if case["weights"] == "uniform" { Weights::Uniform } else { Weights::Distance };
            let metric = if case["metric"] == "euclidean" { Metric::Euclidean } else { Metric::Manhattan };
            let searches = [
                (Algorithm::Brute, KernelMode::Fast),
                (Algorithm::Brute, KernelMode::Naive),
                (Algorithm::KdTree, KernelMode::Fast),
                (Algorithm::Auto, KernelMode::Fast),
            ];
            for (algorithm, mode) in searches {
                let what = format!("{problem_name} k={k} {weights:?} {metric:?} {algorithm:?} {mode:?}");
                with_kernel_mode(mode, || {
                    let mut clf = KNeighborsClassifier::new(k).weights(weights).metric(metric).algorithm(algorithm);
                    clf.fit(&x, &labels).unwrap();
                    assert_eq!(clf.predict(&x_test), ints(&case["predict"]), "{what}");
                    assert_close(&clf.predict_proba(&x_test), &matrix(&case["proba"]), NEAR);
                    let (distances, indices) = clf.kneighbors(&x_test);
                    assert_eq!(indices.to_vec(), matrix(&case["indices"]).cast::<i64>().to_vec(), "{what}");
                    assert_close(&distances, &matrix(&case["distances"]), NEAR);

                    let mut reg = KNeighborsRegressor::new(k).weights(weights).metric(metric).algorithm(algorithm);
                    reg.fit(&x, &target).unwrap();
                    assert_close(
                        &Tensor::from_slice(&reg.predict(&x_test)),
                        &Tensor::from_slice(&floats(&case["regress"])),
                        NEAR,
                    );
                });
            }
        }
    }
}

#[test]
fn auto_picks_the_tree_for_few_features_only() {
    let mut rng = Rng::seed(1);
    let few = Tensor::from_vec((0..100 * 3).map(|_| rng.normal_f64()).collect(), [100, 3]);
    let many = Tensor::from_vec((0..100 * 16).map(|_| rng.normal_f64()).collect(), [100, 16]);
    let y: Vec<i64> = (0..100).map(|i| i % 2).collect();
    let mut model = KNeighborsClassifier::new(5);
    model.fit(&few, &y).unwrap();
    assert!(model.uses_kd_tree());
    model.fit(&many, &y).unwrap();
    assert!(!model.uses_kd_tree());
    let mut large_k = KNeighborsClassifier::new(50);
    large_k.fit(&few, &y).unwrap();
    assert!(!large_k.uses_kd_tree(), "k ≥ n/2 goes to brute force");
}

fn random_matrix(rng: &mut Rng, rows: usize, cols: usize) -> Tensor<f64> {
    Tensor::from_vec((0..rows * cols).map(|_| rng.normal_f64()).collect(), [rows, cols])
}

#[test]
fn the_gemm_search_agrees_with_the_naive_loop() {
    let mut rng = Rng::seed(3);
    // Query counts across the 512-row block (513), odd widths, k up to n.
    for (train_rows, query_rows, dims, k) in
        [(1, 5, 3, 1), (7, 300, 1, 3), (63, 257, 17, 7), (65, 513, 64, 10), (257, 40, 5, 257)]
    {
        let x = random_matrix(&mut rng, train_rows, dims);
        let q = random_matrix(&mut rng, query_rows, dims);
        let y: Vec<i64> = (0..train_rows as i64).map(|i| i % 3).collect();
        for metric in [Metric::Euclidean, Metric::Manhattan] {
            let mut model = KNeighborsClassifier::new(k).metric(metric).algorithm(Algorithm::Brute);
            model.fit(&x, &y).unwrap();
            let (fast_d, fast_i) = with_kernel_mode(KernelMode::Fast, || model.kneighbors(&q));
            let (naive_d, naive_i) = with_kernel_mode(KernelMode::Naive, || model.kneighbors(&q));
            assert_eq!(fast_i.to_vec(), naive_i.to_vec(), "{train_rows}x{dims} k={k} {metric:?}");
            assert_eq!(fast_d.to_vec(), naive_d.to_vec(), "{train_rows}x{dims} k={k} {metric:?}");
        }
    }
}

#[test]
fn the_kd_tree_finds_what_brute_force_finds_even_with_duplicates() {
    let mut rng = Rng::seed(5);
    for (rows, dims, k, leaf) in [(1, 2, 1, 1), (50, 1, 5, 3), (200, 2, 10, 4), (500, 3, 7, 30), (300, 6, 20, 8)] {
        // Small integer coordinates: many exact duplicates and exactly tied distances.
        let grid = |rng: &mut Rng, n: usize| {
            Tensor::from_vec((0..n * dims).map(|_| rng.below(5) as f64).collect::<Vec<_>>(), [n, dims])
        };
        let x = grid(&mut rng, rows);
        let mut q = grid(&mut rng, 60).to_vec();
        q.extend(random_matrix(&mut rng, 40, dims).to_vec());
        let queries = Tensor::from_vec(q, [100, dims]);
        let y = vec![0i64; rows];
        for metric in [Metric::Euclidean, Metric::Manhattan] {
            let tree = KdTree::build(&x, metric, leaf);
            let mut brute = KNeighborsClassifier::new(k).metric(metric).algorithm(Algorithm::Brute);
            brute.fit(&x, &y).unwrap();
            let (d, i) = with_kernel_mode(KernelMode::Naive, || brute.kneighbors(&queries));
            let (d, i) = (d.to_vec(), i.to_vec());
            for (row, query) in queries.to_vec().chunks(dims).enumerate() {
                let found = tree.query(query, k);
                let indices: Vec<i64> = found.iter().map(|n| n.index as i64).collect();
                let distances: Vec<f64> = found.iter().map(|n| n.distance).collect();
                assert_eq!(
                    indices,
                    i[row * k..(row + 1) * k],
                    "{rows}x{dims} k={k} leaf={leaf} {metric:?} query {row}"
                );
                assert_eq!(distances, d[row * k..(row + 1) * k], "{rows}x{dims} {metric:?} query {row}");
            }
        }
    }
}

#[test]
fn a_tied_vote_goes_to_the_smallest_label() {
    // Two neighbours at the same distance, labels 9 and 4: scikit-learn picks 4.
    let x = Tensor::from([[-1.0], [1.0], [10.0]]);
    for algorithm in [Algorithm::Brute, Algorithm::KdTree] {
        let mut model = KNeighborsClassifier::new(2).algorithm(algorithm);
        model.fit(&x, &[9, 4, 4]).unwrap();
        assert_eq!(model.predict(&Tensor::from([[0.0]])), vec![4]);
    }
}

#[test]
fn save_and_load_give_the_same_predictions() {
    let all = fixture();
    let problem = &all["dims_4"];
    let (x, x_test) = (matrix(&problem["x"]), matrix(&problem["x_test"]));
    let dir = std::env::temp_dir().join(format!("kindling-knn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut clf = KNeighborsClassifier::new(5).weights(Weights::Distance).metric(Metric::Manhattan);
    clf.fit(&x, &ints(&problem["y"])).unwrap();
    clf.save(dir.join("clf.safetensors")).unwrap();
    let back = KNeighborsClassifier::load(dir.join("clf.safetensors")).unwrap();
    assert_eq!(back.predict_proba(&x_test).to_vec(), clf.predict_proba(&x_test).to_vec());
    let mut reg = KNeighborsRegressor::new(3).algorithm(Algorithm::Brute);
    reg.fit(&x, &floats(&problem["target"])).unwrap();
    reg.save(dir.join("reg.safetensors")).unwrap();
    let back = KNeighborsRegressor::load(dir.join("reg.safetensors")).unwrap();
    assert_eq!(back.predict(&x_test), reg.predict(&x_test));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn k_larger_than_the_training_set_is_refused() {
    let x = Tensor::from([[0.0], [1.0], [2.0]]);
    let err = KNeighborsClassifier::new(4).fit(&x, &[0, 1, 1]).unwrap_err();
    assert!(matches!(err, ClassicError::Data { .. }));
    assert_eq!(
        err.to_string(),
        "KNeighborsClassifier: k = 4 is more than the 3 training samples; lower k or fit on more data"
    );
    let err = KNeighborsRegressor::new(0).fit(&x, &[0.0, 1.0, 1.0]).unwrap_err();
    assert_eq!(err.to_string(), "KNeighborsRegressor: k must be at least 1");
}

#[test]
fn nan_inputs_are_refused() {
    let x = Tensor::from([[0.0, 1.0], [1.0, f64::NAN]]);
    let err = KNeighborsClassifier::new(1).fit(&x, &[0, 1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "KNeighborsClassifier: x holds NaN at row 1, column 1; impute or drop missing values first"
    );
    let ok = Tensor::from([[0.0, 1.0], [1.0, 2.0]]);
    let err = KNeighborsRegressor::new(1).fit(&ok, &[0.0, f64::NAN]).unwrap_err();
    assert_eq!(err.to_string(), "KNeighborsRegressor: y holds NaN at position 1; drop or impute it first");
}

#[test]
#[should_panic(expected = "KNeighborsClassifier::predict: x holds NaN at row 0, column 0")]
fn predicting_a_nan_panics() {
    let mut model = KNeighborsClassifier::new(1);
    model.fit(&Tensor::from([[0.0], [1.0]]), &[0, 1]).unwrap();
    model.predict(&Tensor::from([[f64::NAN]]));
}

#[test]
#[should_panic(expected = "KNeighborsRegressor::predict: the model is not fitted; call fit first")]
fn predicting_before_fit_panics() {
    KNeighborsRegressor::new(3).predict(&Tensor::from([[1.0]]));
}

#[test]
#[should_panic(expected = "KNeighborsClassifier::predict: the model was fitted on 1 features but x has 2")]
fn predicting_with_the_wrong_width_panics() {
    let mut model = KNeighborsClassifier::new(1);
    model.fit(&Tensor::from([[0.0], [1.0]]), &[0, 1]).unwrap();
    model.predict(&Tensor::from([[0.0, 1.0]]));
}

#[test]
#[should_panic(expected = "KNeighborsClassifier::fit: x has 2 rows but y has 1 values")]
fn a_target_of_the_wrong_length_panics() {
    let _ = KNeighborsClassifier::new(1).fit(&Tensor::from([[0.0], [1.0]]), &[0]);
}

#[test]
#[should_panic(expected = "KdTree::query: k = 3 exceeds the 2 rows in the tree")]
fn a_tree_query_for_too_many_neighbours_panics() {
    KdTree::build(&Tensor::from([[0.0], [1.0]]), Metric::Euclidean, 30).query(&[0.5], 3);
}

#[test]
fn optdigits_accuracy_is_close_to_scikit_learn() {
    let Some([(x_train, y_train), (x_test, y_test)]) = optdigits_standardised() else { return };
    // scikit-learn 1.9.1, KNeighborsClassifier(5) on the same standardised split:
    // 0.9649 (fixtures/neighbors/peer_scikit_learn.py).
    let mut model = KNeighborsClassifier::new(5);
    model.fit(&x_train, &y_train).unwrap();
    let accuracy = model.score(&x_test, &y_test);
    eprintln!("optdigits k-NN (k = 5): {accuracy:.4}");
    assert!((accuracy - 0.9649).abs() <= 0.01, "{accuracy}");
}
