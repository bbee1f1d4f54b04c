//! Chapter 17's code in small: the numbers the chapter prints, asserted. Reference
//! values come from scikit-learn (`tests/fixtures/make_fixtures.py`). The course's
//! worked examples (INVENTORY.md, section 3) have none for trees, SVMs, k-means or
//! PCA: only defaults.

use ch17_trees::*;
use kindling_tensor::{Rng, Tensor};
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/exercises.json"))
        .expect("exercises.json parses")
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn matrix(v: &Value) -> Tensor<f64> {
    let rows: Vec<Vec<f64>> =
        v.as_array().expect("rows").iter().map(numbers).collect();
    let cols = rows[0].len();
    Tensor::from_vec(rows.concat(), [rows.len(), cols])
}

fn close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (p, q)) in a.iter().zip(b).enumerate() {
        assert!((p - q).abs() <= tol * (1.0 + q.abs()), "{what}[{i}]: {p} vs {q}");
    }
}

#[test]
fn impurities_of_the_root_match_scikit_learn() {
    for case in fixtures()["impurity"].as_array().unwrap() {
        let counts: Vec<usize> =
            numbers(&case["counts"]).iter().map(|&c| c as usize).collect();
        assert!(
            (Impurity::Gini.of(&counts) - case["gini"].as_f64().unwrap()).abs()
                < 1e-12
        );
        assert!(
            (Impurity::Entropy.of(&counts) - case["entropy"].as_f64().unwrap())
                .abs()
                < 1e-12
        );
    }
}

#[test]
fn the_scan_finds_scikit_learns_stump() {
    for case in fixtures()["best_split"].as_array().unwrap() {
        let x = numbers(&case["x"]);
        let y: Vec<usize> =
            numbers(&case["y"]).iter().map(|&c| c as usize).collect();
        let classes = y.iter().max().unwrap() + 1;
        let candidates = scan_thresholds(&x, &y, classes, Impurity::Gini);
        let best = candidates.iter().fold(&candidates[0], |b, c| {
            if c.weighted_impurity < b.weighted_impurity {
                c
            } else {
                b
            }
        });
        assert_eq!(best.threshold, case["threshold"].as_f64().unwrap());
        assert!(
            (best.weighted_impurity - case["weighted_gini"].as_f64().unwrap())
                .abs()
                < 1e-12
        );
        for c in &candidates {
            assert_eq!(
                c.left.iter().sum::<usize>() + c.right.iter().sum::<usize>(),
                x.len()
            );
        }
    }
}

#[test]
fn the_fruit_roots_split_by_hand() {
    // The chapter's worked example: 4 plums, 5 apples, 3 melons.
    let (x, y, _, _) = fruit();
    assert!(
        (Impurity::Gini.of(&[4, 5, 3]) - (1.0 - (16.0 + 25.0 + 9.0) / 144.0)).abs()
            < 1e-15
    );
    let values = x.to_vec();
    let weight: Vec<f64> = values.iter().step_by(2).copied().collect();
    let diameter: Vec<f64> = values.iter().skip(1).step_by(2).copied().collect();
    let best = |f: &[f64]| {
        scan_thresholds(f, &y, 3, Impurity::Gini)
            .into_iter()
            .min_by(|a, b| a.weighted_impurity.total_cmp(&b.weighted_impurity))
            .unwrap()
    };
    // Diameter ≤ 8.75 cm keeps every melon on the right: the best root split (1/3
    // on the left only, weighted 9/12 · (1 − (16 + 25)/81)).
    let by_diameter = best(&diameter);
    assert_eq!(by_diameter.threshold, 8.75);
    assert_eq!(
        (by_diameter.left.clone(), by_diameter.right.clone()),
        (vec![4, 5, 0], vec![0, 0, 3])
    );
    assert!(
        (by_diameter.weighted_impurity - 9.0 / 12.0 * (1.0 - 41.0 / 81.0)).abs()
            < 1e-15
    );
    // Weight cannot do as well: the light melon (160 g) sits among the apples, and
    // the best weight split only peels off three plums, 9/12 · (1 − 35/81).
    let by_weight = best(&weight);
    assert_eq!(by_weight.threshold, 100.0);
    assert!(
        (by_weight.weighted_impurity - 9.0 / 12.0 * (1.0 - 35.0 / 81.0)).abs()
            < 1e-15
    );
}

#[test]
fn kmeans_plus_plus_spreads_its_seeds() {
    // Three far-apart groups: D² sampling puts one seed in each (for this seed, and
    // almost always: a second seed in a visited group has a tiny share of the total
    // D²).
    let mut rng = Rng::seed(3);
    let mut values = Vec::new();
    for centre in [0.0, 50.0, 100.0] {
        for _ in 0..20 {
            values.extend([centre + rng.normal_f64(), centre + rng.normal_f64()]);
        }
    }
    let x = Tensor::from_vec(values, [60, 2]);
    let seeds = kmeans_plus_plus(&x, 3, &mut Rng::seed(17));
    let mut groups: Vec<usize> = seeds.iter().map(|&i| i / 20).collect();
    groups.sort();
    assert_eq!(groups, [0, 1, 2], "seeds {seeds:?}");
    assert_eq!(
        seeds,
        kmeans_plus_plus(&x, 3, &mut Rng::seed(17)),
        "deterministic for a seed"
    );
}

#[test]
fn binning_and_histogram_subtraction() {
    // Few distinct values: a bin each.
    assert_eq!(bin_edges(&[3.0, 1.0, 2.0, 1.0], 255), vec![1.5, 2.5]);
    assert_eq!(bin_codes(&[3.0, 1.0, 2.0, 1.0], &[1.5, 2.5]), vec![2, 0, 1, 0]);
    // Many: about equal counts per bin.
    let mut rng = Rng::seed(11);
    let values: Vec<f64> = (0..4000).map(|_| rng.normal_f64().exp()).collect();
    let edges = bin_edges(&values, 16);
    let codes = bin_codes(&values, &edges);
    let mut counts = [0usize; 16];
    codes.iter().for_each(|&c| counts[c as usize] += 1);
    assert!(counts.iter().all(|&c| (230..=270).contains(&c)), "{counts:?}");
    // The right child's histogram is the parent's minus the left child's.
    let g: Vec<f64> = (0..4000).map(|_| rng.normal_f64()).collect();
    let h: Vec<f64> = (0..4000).map(|_| rng.uniform_f64()).collect();
    let all: Vec<usize> = (0..4000).collect();
    let (left, right): (Vec<usize>, Vec<usize>) =
        all.iter().partition(|&&i| values[i] < 1.0);
    let parent = gradient_histogram(&codes, &g, &h, &all, 16);
    let l = gradient_histogram(&codes, &g, &h, &left, 16);
    let r = gradient_histogram(&codes, &g, &h, &right, 16);
    let subtracted: Vec<f64> =
        parent.0.iter().zip(&l.0).map(|(p, q)| p - q).collect();
    close(&subtracted, &r.0, 1e-9, "gradient histogram by subtraction");
}

#[test]
fn pca_by_hand_matches_scikit_learn() {
    let f = &fixtures()["pca_small"];
    let (components, projected, variance) = pca_by_hand(&matrix(&f["x"]), 3);
    close(
        &components.to_vec(),
        &matrix(&f["components"]).to_vec(),
        1e-10,
        "components",
    );
    close(
        &projected.to_vec(),
        &matrix(&f["projected"]).to_vec(),
        1e-10,
        "projection",
    );
    close(
        &variance,
        &numbers(&f["explained_variance"]),
        1e-10,
        "explained variance",
    );
}

#[test]
fn pca_of_optdigits_explains_what_scikit_learn_says() {
    let Some(dir) = std::env::var_os("KINDLING_DATASETS") else {
        eprintln!("skipped: KINDLING_DATASETS is unset");
        return;
    };
    let train = kindling_data::datasets::optdigits(
        std::path::Path::new(&dir).join("optdigits"),
        kindling_data::datasets::Split::Train,
    )
    .expect("optdigits loads");
    let x = standardise(&train.features);
    let (_, projected, variance) = pca_by_hand(&x, 2);
    let total: f64 = {
        let n = x.shape()[0] as f64;
        let centred = &x - &x.mean(0, true);
        centred.to_vec().iter().map(|v| v * v).sum::<f64>() / (n - 1.0)
    };
    let ratio: Vec<f64> = variance.iter().map(|v| v / total).collect();
    let f = &fixtures()["optdigits_pca"];
    close(
        &ratio,
        &numbers(&f["explained_variance_ratio"]),
        1e-10,
        "explained variance ratio",
    );
    close(
        &projected.narrow(0, 0, 5).to_vec(),
        &matrix(&f["first_rows_projected"]).to_vec(),
        1e-8,
        "projection",
    );
}

// ---------------------------------------------------------------------------------
// The library's estimators as the chapter uses them (small data: seconds in a debug
// build)
// ---------------------------------------------------------------------------------

use ch17_trees::models::*;
use kindling_classic::tree::DecisionTreeClassifier;
use kindling_classic::{Classifier, Supervised};

/// Four well-separated groups in the plane, `per` points each, labelled 0..4.
fn four_groups(per: usize, seed: u64) -> (Tensor<f64>, Vec<i64>) {
    let mut rng = Rng::seed(seed);
    let centres = [(0.0, 0.0), (6.0, 0.0), (0.0, 6.0), (6.0, 6.0)];
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for (label, (cx, cy)) in centres.iter().enumerate() {
        for _ in 0..per {
            values.extend([cx + rng.normal_f64(), cy + rng.normal_f64()]);
            labels.push(label as i64);
        }
    }
    (Tensor::from_vec(values, [4 * per, 2]), labels)
}

#[test]
fn the_library_tree_agrees_with_the_hand_computation() {
    let (x, y, _, _) = fruit();
    let y: Vec<i64> = y.iter().map(|&c| c as i64).collect();
    let mut tree = DecisionTreeClassifier::new();
    tree.fit(&x, &y).unwrap();
    assert_eq!(tree.tree().split(0), Some((1, 8.75)), "root: diameter ≤ 8.75");
    assert!((tree.tree().impurity(0) - 94.0 / 144.0).abs() < 1e-12);
    assert_eq!(
        tree.score(&x, &y),
        1.0,
        "an unlimited tree is perfect on its training rows"
    );
    let text = tree
        .tree()
        .export_text(Some(&["weight".to_string(), "diameter".to_string()]));
    assert!(text.starts_with("|--- diameter <= 8.75"), "{text}");
}

#[test]
fn depth_limits_bound_the_leaves_and_training_accuracy_grows() {
    let (x, y) = four_groups(40, 1);
    let curve =
        accuracy_by_depth((&x, &y), (&x, &y), &[Some(1), Some(2), Some(3), None])
            .unwrap();
    for row in &curve {
        if let Some(d) = row.max_depth {
            assert!(row.leaves <= 1 << d, "depth {d}: {} leaves", row.leaves);
        }
    }
    assert!(
        curve.windows(2).all(|w| w[1].train_accuracy >= w[0].train_accuracy),
        "training accuracy must not fall with depth: {curve:?}"
    );
    assert_eq!(curve[3].train_accuracy, 1.0);
}

#[test]
fn a_forests_staged_error_ends_at_its_own_error() {
    let (x, y) = four_groups(30, 2);
    let (xt, yt) = four_groups(30, 3);
    let (forest, extra) = (
        random_forest(&x, &y, 15, 0).unwrap(),
        extra_trees(&x, &y, 15, 0).unwrap(),
    );
    for (name, trees, classes, score) in [
        ("random forest", forest.trees(), forest.classes(), forest.score(&xt, &yt)),
        ("extra trees", extra.trees(), extra.classes(), extra.score(&xt, &yt)),
    ] {
        let curve = forest_staged_errors(trees, classes, &xt, &yt);
        assert_eq!(curve.len(), 15, "{name}");
        assert!(
            (curve[14] - (1.0 - score)).abs() < 1e-12,
            "{name}: staged {} vs predict {}",
            curve[14],
            1.0 - score
        );
    }
    let oob = forest.oob_score_value().expect("asked for the OOB score");
    assert!(oob > 0.9, "OOB accuracy on separated groups: {oob}");
}

#[test]
fn svm_kernels_separate_what_they_should() {
    let (x, y) = four_groups(25, 4);
    // Two classes: the diagonal groups against the others (XOR): no line separates
    // them.
    let xor: Vec<i64> = y.iter().map(|&l| i64::from(l == 1 || l == 2)).collect();
    let scores: Vec<f64> = three_kernels()
        .iter()
        .map(|&(_, kernel)| {
            let svc =
                fit_svc(&x, &xor, kernel, 1.0, kindling_classic::svm::Gamma::Scale)
                    .unwrap();
            svc.score(&x, &xor)
        })
        .collect();
    assert!(scores[0] < 0.8, "a linear SVM cannot solve XOR: {scores:?}");
    assert!(scores[2] > 0.95, "the RBF kernel can: {scores:?}");
}

#[test]
fn clustering_separated_groups_is_easy_for_most_methods() {
    let (x, y) = four_groups(25, 5);
    let scores = cluster_and_score(&x, &y, 4, 0).unwrap();
    assert_eq!(scores.len(), 6);
    for s in &scores {
        assert!(
            (-0.5..=1.0).contains(&s.ari) && (0.0..=1.0 + 1e-12).contains(&s.nmi),
            "{s:?}"
        );
    }
    let ward = scores.iter().find(|s| s.method.contains("Ward")).unwrap();
    let kmeans = &scores[0];
    assert!(ward.ari > 0.9 && kmeans.ari > 0.9, "{ward:?} {kmeans:?}");
}

#[test]
fn histogram_boosting_and_the_library_pca_run_on_small_data() {
    let (x, y) = four_groups(30, 6);
    let (model, accuracy, _) =
        hist_boosting((&x, &y), (&x, &y), 10, false).unwrap();
    assert_eq!(model.n_iter(), 10);
    assert!(accuracy > 0.95, "{accuracy}");
    let errors = staged_errors(&model.staged_predict(&x), &y);
    assert_eq!(errors.len(), 10);
    assert!((errors[9] - (1.0 - accuracy)).abs() < 1e-12);
    let (pca, z) = project(&x, 2).unwrap();
    let (_, by_hand, variance) = pca_by_hand(&x, 2);
    close(pca.explained_variance(), &variance, 1e-10, "explained variance");
    close(&z.to_vec(), &by_hand.to_vec(), 1e-9, "projection");
}

#[test]
fn boosting_rounds_stage_up_to_the_final_model() {
    let (x, y) = four_groups(20, 7);
    let ada = adaboost(&x, &y, 8, 0).unwrap();
    let gb = gradient_boosting(&x, &y, 8, 0).unwrap();
    for (name, staged, score) in [
        ("AdaBoost", ada.staged_predict(&x), ada.score(&x, &y)),
        ("gradient boosting", gb.staged_predict(&x), gb.score(&x, &y)),
    ] {
        let errors = staged_errors(&staged, &y);
        assert!(
            !errors.is_empty() && errors.len() <= 8,
            "{name}: {} stages",
            errors.len()
        );
        assert!((errors[errors.len() - 1] - (1.0 - score)).abs() < 1e-12, "{name}");
    }
    assert!(gb.score(&x, &y) > 0.95, "gradient boosting on separated groups");
    // SAMME: every stump that was kept did better than chance over four classes.
    assert!(
        ada.estimator_errors().iter().all(|&e| e < 0.75),
        "{:?}",
        ada.estimator_errors()
    );
}
