//! The checks of chapter 6's exercises. `cargo test -p ch06-data --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex6_3_...`
//! checks exercise 6.3).

use ch06_data::checked::*;
use kindling_data::{
    k_fold, split::split_sizes as library_split_sizes, DataLoader, ImputeStrategy,
    MinMaxScaler, OneHotEncoder, SimpleImputer, TensorDataset, Transform,
};
use kindling_tensor::{Rng, Tensor};

fn to_tensor(rows: &[Vec<f64>]) -> Tensor<f64> {
    Tensor::from_vec(rows.concat(), [rows.len(), rows[0].len()])
}

#[test]
fn ex6_1_min_max_fixture() {
    // The course's example: [1, 2, 3] → [0, 0.5, 1].
    let rows = vec![vec![1.0], vec![2.0], vec![3.0]];
    let scaler = MinMax::fit(&rows);
    assert_eq!(scaler.transform(&rows), [[0.0], [0.5], [1.0]]);
    // Fitted on training rows, applied to new ones: values outside the training
    // range land outside [0, 1], and a constant column maps to 0.
    let train = vec![vec![10.0, 5.0], vec![20.0, 5.0]];
    let fitted = MinMax::fit(&train);
    assert_eq!(fitted.transform(&[vec![25.0, 7.0]]), [[1.5, 0.0]]);
}

#[test]
fn ex6_1_min_max_matches_kindling() {
    let mut rng = Rng::seed(2);
    let train: Vec<Vec<f64>> = (0..20)
        .map(|_| (0..3).map(|_| 10.0 * rng.normal_f64()).collect())
        .collect();
    let test: Vec<Vec<f64>> =
        (0..5).map(|_| (0..3).map(|_| 10.0 * rng.normal_f64()).collect()).collect();
    let mine = MinMax::fit(&train).transform(&test);
    let mut theirs = MinMaxScaler::new();
    theirs.fit(&to_tensor(&train));
    let theirs = theirs.transform(&to_tensor(&test)).to_vec();
    for (a, b) in mine.concat().iter().zip(&theirs) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

#[test]
fn ex6_2_k_fold_fixture() {
    // k = 5 over 12 samples: test groups of 3, 3, 2, 2, 2.
    let folds = k_fold_indices(12, 5);
    assert_eq!(folds.len(), 5);
    let tests: Vec<Vec<usize>> = folds.iter().map(|f| f.1.clone()).collect();
    assert_eq!(
        tests,
        vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7], vec![8, 9], vec![10, 11]]
    );
    assert_eq!(folds[1].0, [0, 1, 2, 6, 7, 8, 9, 10, 11]);
}

#[test]
fn ex6_2_k_fold_covers_everything_once() {
    for (n, k) in [(10, 2), (17, 5), (100, 7), (5, 5)] {
        let folds = k_fold_indices(n, k);
        let mut count = vec![0; n];
        for (train, test) in &folds {
            assert_eq!(train.len() + test.len(), n);
            assert!(
                test.iter().all(|i| !train.contains(i)),
                "a test position is also in training"
            );
            test.iter().for_each(|&i| count[i] += 1);
        }
        assert!(
            count.iter().all(|&c| c == 1),
            "n = {n}, k = {k}: every position must be tested exactly once"
        );
        let lib = k_fold(n, k, None);
        for ((train, test), f) in folds.iter().zip(&lib) {
            assert_eq!((train, test), (&f.train, &f.test));
        }
    }
}

#[test]
fn ex6_3_one_hot_fixture() {
    let (cats, rows) = one_hot(&["Red", "Green", "Blue", "Red"]);
    assert_eq!(cats, ["Red", "Green", "Blue"]);
    assert_eq!(
        rows,
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    );
    let values = ["b", "a", "c", "a", "b", "d"];
    let (_, mine) = one_hot(&values);
    let theirs = OneHotEncoder::new().fit_transform(&values);
    assert_eq!(mine.concat(), theirs.to_vec());
}

#[test]
fn ex6_4_epoch_batches_match_the_loader() {
    for (n, b, drop_last) in
        [(10, 4, false), (10, 4, true), (64, 8, false), (7, 10, false)]
    {
        let data = TensorDataset::new(
            Tensor::<f32>::zeros([n, 1]),
            Tensor::<i64>::zeros([n]),
        );
        let loader =
            DataLoader::new(data, b).shuffle(true).seed(11).drop_last(drop_last);
        for epoch in 0..3 {
            assert_eq!(
                epoch_batches(n, b, 11, epoch, drop_last),
                loader.batch_indices(epoch),
                "n {n}, epoch {epoch}"
            );
        }
    }
}

#[test]
fn ex6_4_epochs_differ_and_cover_everything() {
    let e0 = epoch_batches(50, 8, 3, 0, false);
    let e1 = epoch_batches(50, 8, 3, 1, false);
    assert_ne!(e0, e1, "two epochs must be shuffled differently");
    assert_eq!(
        e0,
        epoch_batches(50, 8, 3, 0, false),
        "the same (seed, epoch) must give the same batches"
    );
    let mut all: Vec<usize> = e0.concat();
    all.sort_unstable();
    assert_eq!(all, (0..50).collect::<Vec<_>>());
    assert_eq!(e0.iter().map(Vec::len).collect::<Vec<_>>(), [8, 8, 8, 8, 8, 8, 2]);
}

#[test]
fn ex6_5_mean_imputation_fixture() {
    // [[1, 2], [NaN, 3], [7, 6]]: the first column's mean over 1 and 7 is 4.
    let rows = vec![vec![1.0, 2.0], vec![f64::NAN, 3.0], vec![7.0, 6.0]];
    let means = fit_means(&rows);
    assert_eq!(means, [4.0, 11.0 / 3.0]);
    assert_eq!(impute(&rows, &means), [[1.0, 2.0], [4.0, 3.0], [7.0, 6.0]]);
}

#[test]
fn ex6_5_test_rows_use_training_means() {
    let train = vec![vec![1.0, f64::NAN], vec![3.0, 10.0], vec![f64::NAN, 20.0]];
    let test = vec![vec![f64::NAN, f64::NAN], vec![100.0, 0.0]];
    let means = fit_means(&train);
    let mine = impute(&test, &means);
    assert_eq!(mine, [[2.0, 15.0], [100.0, 0.0]]);
    let mut theirs = SimpleImputer::new(ImputeStrategy::Mean);
    theirs.fit(&to_tensor(&train));
    assert_eq!(theirs.transform(&to_tensor(&test)).to_vec(), mine.concat());
}

#[test]
fn ex6_6_split_sizes_fixture() {
    assert_eq!(split_sizes(1000, [0.8, 0.1, 0.1]), [800, 100, 100]);
    assert_eq!(split_sizes(10, [0.7, 0.15, 0.15]), [7, 2, 1]);
}

#[test]
fn ex6_6_split_sizes_always_add_up() {
    for n in [0, 1, 2, 3, 7, 99, 101, 1001] {
        for ratios in [
            [0.8, 0.1, 0.1],
            [0.7, 0.15, 0.15],
            [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
            [0.75, 0.125, 0.125],
        ] {
            let mine = split_sizes(n, ratios);
            assert_eq!(mine.iter().sum::<usize>(), n, "n = {n}, ratios {ratios:?}");
            assert_eq!(
                mine.to_vec(),
                library_split_sizes(n, &ratios),
                "n = {n}, ratios {ratios:?}"
            );
        }
    }
}
