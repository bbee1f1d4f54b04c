//! Splits: hold-out, k-fold, stratified k-fold and bootstrap, including course fixtures #34
//! and #35.

use kindling_data::split::{split_sizes, stratified_train_val_test_split};
use kindling_data::{
    bootstrap, k_fold, random_split, random_split_fractions, stratified_k_fold, train_val_test_split, Dataset,
    TensorDataset,
};
use kindling_tensor::Tensor;
use proptest::prelude::*;
use std::collections::HashSet;

fn assert_partition(parts: &[&[usize]], n: usize) {
    let mut seen = vec![false; n];
    for part in parts {
        for &i in part.iter() {
            assert!(i < n, "index {i} out of range");
            assert!(!seen[i], "index {i} is in two parts");
            seen[i] = true;
        }
    }
    assert!(seen.iter().all(|&s| s), "some index is in no part");
}

#[test]
fn fixture_35_train_val_test_80_10_10_of_1000() {
    let s = train_val_test_split(1000, [0.8, 0.1, 0.1], 42);
    assert_eq!((s.train.len(), s.validation.len(), s.test.len()), (800, 100, 100));
    assert_partition(&[&s.train, &s.validation, &s.test], 1000);
    assert_eq!(s, train_val_test_split(1000, [0.8, 0.1, 0.1], 42));
    assert_ne!(s, train_val_test_split(1000, [0.8, 0.1, 0.1], 43));
}

#[test]
fn fixture_34_five_folds_each_index_in_exactly_one_test_fold() {
    for seed in [None, Some(7)] {
        let folds = k_fold(23, 5, seed);
        assert_eq!(folds.len(), 5);
        let tests: Vec<&[usize]> = folds.iter().map(|f| f.test.as_slice()).collect();
        assert_partition(&tests, 23);
        assert_eq!(folds.iter().map(|f| f.test.len()).collect::<Vec<_>>(), vec![5, 5, 5, 4, 4]);
        for f in &folds {
            assert_partition(&[&f.train, &f.test], 23);
        }
    }
    // Unshuffled: fold 1 tests on the first fifth, as in the course's picture.
    assert_eq!(k_fold(10, 5, None)[0].test, vec![0, 1]);
    assert_eq!(k_fold(10, 5, None)[0].train, (2..10).collect::<Vec<_>>());
}

#[test]
fn split_sizes_round_to_the_total() {
    assert_eq!(split_sizes(1000, &[0.8, 0.1, 0.1]), vec![800, 100, 100]);
    assert_eq!(split_sizes(10, &[0.7, 0.15, 0.15]), vec![7, 2, 1]);
    assert_eq!(split_sizes(3, &[0.5, 0.5]).iter().sum::<usize>(), 3);
    assert_eq!(split_sizes(0, &[0.5, 0.5]), vec![0, 0]);
}

#[test]
#[should_panic(expected = "must be non-negative and add up to 1")]
fn fractions_that_do_not_add_up_panic() {
    split_sizes(10, &[0.5, 0.4]);
}

#[test]
#[should_panic(expected = "add up to 9, not to the 10 samples")]
fn counts_that_do_not_add_up_panic() {
    random_split(10, &[5, 4], 0);
}

#[test]
fn random_split_by_counts_and_fractions() {
    let parts = random_split(10, &[6, 3, 1], 1);
    assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), vec![6, 3, 1]);
    assert_partition(&[&parts[0], &parts[1], &parts[2]], 10);
    let parts = random_split_fractions(101, &[0.5, 0.5], 1);
    assert_eq!(parts[0].len() + parts[1].len(), 101);
    // Used on a dataset.
    let ds =
        TensorDataset::new(Tensor::from_vec((0..10).map(|v| v as f32).collect(), [10, 1]), Tensor::<i64>::zeros([10]));
    let train = ds.select(&parts_of_ten()[0]);
    assert_eq!(train.len(), 6);
}

fn parts_of_ten() -> Vec<Vec<usize>> {
    random_split(10, &[6, 4], 3)
}

#[test]
fn stratified_k_fold_keeps_class_proportions() {
    // 70 of class 0, 20 of class 1, 10 of class 2.
    let labels: Vec<i64> = (0..100)
        .map(|i| {
            if i < 70 {
                0
            } else if i < 90 {
                1
            } else {
                2
            }
        })
        .collect();
    let folds = stratified_k_fold(&labels, 5, 11);
    let tests: Vec<&[usize]> = folds.iter().map(|f| f.test.as_slice()).collect();
    assert_partition(&tests, 100);
    for f in &folds {
        let count = |c: i64| f.test.iter().filter(|&&i| labels[i] == c).count();
        assert_eq!((count(0), count(1), count(2)), (14, 4, 2));
        assert_partition(&[&f.train, &f.test], 100);
    }
}

#[test]
fn stratified_hold_out_split_keeps_proportions() {
    let labels: Vec<i64> = (0..200).map(|i| i64::from(i % 4 == 0)).collect(); // 25% ones
    let s = stratified_train_val_test_split(&labels, [0.8, 0.1, 0.1], 5);
    assert_partition(&[&s.train, &s.validation, &s.test], 200);
    let ones = |p: &[usize]| p.iter().filter(|&&i| labels[i] == 1).count();
    assert_eq!((ones(&s.train), ones(&s.validation), ones(&s.test)), (40, 5, 5));
}

#[test]
fn bootstrap_samples_with_replacement_and_reports_out_of_bag() {
    let samples = bootstrap(1000, 20, 9);
    assert_eq!(samples.len(), 20);
    let mut oob_fraction = 0.0;
    for b in &samples {
        assert_eq!(b.sample.len(), 1000);
        let drawn: HashSet<usize> = b.sample.iter().copied().collect();
        assert!(drawn.len() < 1000, "a bootstrap sample of 1000 without a repeat is essentially impossible");
        assert_eq!(drawn.len() + b.out_of_bag.len(), 1000);
        assert!(b.out_of_bag.iter().all(|i| !drawn.contains(i)));
        oob_fraction += b.out_of_bag.len() as f64 / 1000.0 / 20.0;
    }
    // (1 − 1/n)^n → 1/e ≈ 0.368.
    assert!((oob_fraction - 0.368).abs() < 0.02, "{oob_fraction}");
    assert_ne!(samples[0], samples[1]);
}

proptest! {
    #[test]
    fn k_fold_partitions_any_size(n in 2usize..200, k in 2usize..12, seed in 0u64..100) {
        prop_assume!(k <= n);
        let folds = k_fold(n, k, Some(seed));
        let tests: Vec<&[usize]> = folds.iter().map(|f| f.test.as_slice()).collect();
        assert_partition(&tests, n);
        let sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
        prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
    }

    #[test]
    fn stratified_folds_partition_any_labels(labels in proptest::collection::vec(0i64..4, 10..150), k in 2usize..6, seed in 0u64..50) {
        let folds = stratified_k_fold(&labels, k, seed);
        let tests: Vec<&[usize]> = folds.iter().map(|f| f.test.as_slice()).collect();
        assert_partition(&tests, labels.len());
        for c in 0..4 {
            let counts: Vec<usize> = folds.iter().map(|f| f.test.iter().filter(|&&i| labels[i] == c).count()).collect();
            prop_assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "class {} counts {:?}", c, counts);
        }
    }

    #[test]
    fn three_way_splits_are_disjoint_and_cover(n in 0usize..500, a in 1u32..10, b in 1u32..10, c in 1u32..10, seed: u64) {
        let total = f64::from(a + b + c);
        let s = train_val_test_split(n, [f64::from(a) / total, f64::from(b) / total, f64::from(c) / total], seed);
        assert_partition(&[&s.train, &s.validation, &s.test], n);
        prop_assert!((s.train.len() as f64 - n as f64 * f64::from(a) / total).abs() < 1.0 + 1e-9);
    }
}
