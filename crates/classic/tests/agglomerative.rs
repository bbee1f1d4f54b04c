//! Agglomerative clustering: SciPy's linkage trees and fcluster cuts, scikit-learn's labels,
//! the naive loop against the fast path, the dendrogram, persistence and the error messages.
//! Reference values: fixtures/agglomerative/make_agglo.py.

mod support;

use kindling_classic::cluster::{
    dendrogram_svg, dendrogram_svg_lastp, fcluster, linkage, AgglomerativeClustering, Linkage, Merge,
};
use kindling_classic::{contract, ClassicError, Clusterer, Persist};
use kindling_data::datasets::{self, Split};
use kindling_data::preprocess::{StandardScaler, Transform};
use kindling_metrics::metrics::adjusted_rand_index;
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use serde_json::Value;
use support::{floats, indices, matrix, read_fixture};

const METHODS: [(&str, Linkage); 4] = [
    ("single", Linkage::Single),
    ("complete", Linkage::Complete),
    ("average", Linkage::Average),
    ("ward", Linkage::Ward),
];

fn codes(labels: &[usize]) -> Vec<i64> {
    labels.iter().map(|&l| l as i64).collect()
}

/// Same partition, whatever the numbering.
fn same_partition(a: &[usize], b: &[usize]) -> bool {
    (adjusted_rand_index(&codes(a), &codes(b)) - 1.0).abs() < 1e-12
}

fn assert_tree_eq(ours: &[Merge], expected: &[Merge], tol: f64, what: &str) {
    assert_eq!(ours.len(), expected.len(), "{what}: row count");
    for (s, (a, b)) in ours.iter().zip(expected).enumerate() {
        assert_eq!((a.left, a.right, a.size), (b.left, b.right, b.size), "{what}: row {s}: {a:?} vs {b:?}");
        assert!((a.distance - b.distance).abs() <= tol * b.distance.abs().max(1.0), "{what}: row {s}: {a:?} vs {b:?}");
    }
}

fn scipy_tree(v: &Value) -> Vec<Merge> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let r = floats(row);
            // SciPy writes the smaller id first already; canonicalise anyway.
            let (a, b) = (r[0] as usize, r[1] as usize);
            Merge { left: a.min(b), right: a.max(b), distance: r[2], size: r[3] as usize }
        })
        .collect()
}

fn fixture() -> Value {
    read_fixture("agglomerative/agglo.json")
}

#[test]
fn linkage_matches_scipy_for_all_four_methods() {
    let f = fixture();
    let x = matrix(&f["x"]);
    for (name, method) in METHODS {
        let expected = scipy_tree(&f["small"][name]["linkage"]);
        assert_tree_eq(&linkage(&x, method), &expected, 1e-10, &format!("{name} (fast)"));
        let naive = with_kernel_mode(KernelMode::Naive, || linkage(&x, method));
        assert_tree_eq(&naive, &expected, 1e-10, &format!("{name} (naive)"));
    }
}

#[test]
fn fcluster_numbers_clusters_as_scipy_and_labels_as_sklearn() {
    let f = fixture();
    let x = matrix(&f["x"]);
    for (name, method) in METHODS {
        let tree = linkage(&x, method);
        assert_eq!(fcluster(&tree, 4), indices(&f["small"][name]["fcluster4"]), "{name}: fcluster");
        let mut model = AgglomerativeClustering::new(4).linkage(method);
        let labels = model.fit_predict(&x).unwrap();
        let sklearn = indices(&f["small"][name]["sklearn4"]);
        assert!(same_partition(&labels, &sklearn), "{name}: not scikit-learn's partition");
        if method != Linkage::Single {
            // scikit-learn's own single-linkage builder orders children differently.
            assert_eq!(labels, sklearn, "{name}: scikit-learn's numbering");
        }
    }
}

#[test]
fn naive_and_fast_agree_on_random_data() {
    let mut rng = Rng::seed(11);
    for (rows, dims) in [(2, 1), (3, 2), (17, 3), (61, 5), (130, 4)] {
        let x = Tensor::from_vec((0..rows * dims).map(|_| rng.normal_f64() * 3.0).collect(), [rows, dims]);
        for (name, method) in METHODS {
            let fast = linkage(&x, method);
            let naive = with_kernel_mode(KernelMode::Naive, || linkage(&x, method));
            assert_tree_eq(&fast, &naive, 1e-10, &format!("{name} on {rows}x{dims}"));
        }
    }
}

#[test]
fn tree_properties_hold() {
    let mut rng = Rng::seed(5);
    let x = Tensor::from_vec((0..200).map(|_| rng.normal_f64()).collect(), [50, 4]);
    for (name, method) in METHODS {
        let tree = linkage(&x, method);
        assert_eq!(tree.len(), 49);
        assert_eq!(tree.last().unwrap().size, 50, "{name}: the root holds every point");
        assert!(tree.windows(2).all(|w| w[0].distance <= w[1].distance), "{name}: heights not monotone");
        for (s, m) in tree.iter().enumerate() {
            assert!(m.left < m.right && m.right < 50 + s, "{name}: row {s} refers forward: {m:?}");
        }
        for k in 1..=50 {
            let labels = fcluster(&tree, k);
            let mut seen = labels.clone();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen, (0..k).collect::<Vec<_>>(), "{name}: fcluster({k}) ids");
        }
    }
}

#[test]
fn iris_labels_and_ari_as_scikit_learn() {
    let Ok(dir) = std::env::var("KINDLING_DATASETS") else {
        eprintln!("skipped: KINDLING_DATASETS is unset");
        return;
    };
    let iris = datasets::iris_f64(std::path::Path::new(&dir).join("iris")).unwrap();
    let truth = iris.labels.to_vec();
    let f = fixture();
    for (name, method) in METHODS {
        let labels = AgglomerativeClustering::new(3).linkage(method).fit_predict(&iris.features).unwrap();
        let ari = adjusted_rand_index(&truth, &codes(&labels));
        let expected = f["iris"][name]["ari"].as_f64().unwrap();
        assert!((ari - expected).abs() < 1e-12, "{name}: ARI {ari} vs scikit-learn's {expected}");
        assert!(same_partition(&labels, &indices(&f["iris"][name]["labels"])), "{name}: partition differs");
    }
}

#[test]
fn optdigits_ward_reproduces_scikit_learn() {
    let Ok(dir) = std::env::var("KINDLING_DATASETS") else {
        eprintln!("skipped: KINDLING_DATASETS is unset");
        return;
    };
    let table = datasets::optdigits(std::path::Path::new(&dir).join("optdigits"), Split::Train).unwrap();
    let mut scaler = StandardScaler::new();
    let x = scaler.fit_transform(&table.features);
    let f = &fixture()["optdigits_ward"];
    let mut model = AgglomerativeClustering::new(10);
    // The naive O(n³) loop would take minutes on 3823 rows; this test is about the answer.
    let labels = with_kernel_mode(KernelMode::Fast, || model.fit_predict(&x)).unwrap();
    let ari = adjusted_rand_index(&table.labels.to_vec(), &codes(&labels));
    let expected = f["ari"].as_f64().unwrap();
    assert!((ari - expected).abs() < 1e-9, "ARI {ari} vs scikit-learn's {expected}");
    assert_eq!(labels, indices(&f["labels"]), "not scikit-learn's labels");
    let top = floats(&f["top_distances"]);
    let ours: Vec<f64> = model.merges()[model.merges().len() - top.len()..].iter().map(|m| m.distance).collect();
    for (a, b) in ours.iter().zip(&top) {
        assert!((a - b).abs() <= 1e-9 * b, "top Ward heights: {ours:?} vs {top:?}");
    }
}

#[test]
fn persist_round_trip_keeps_tree_and_labels() {
    let x = matrix(&fixture()["x"]);
    let mut model = AgglomerativeClustering::new(3).linkage(Linkage::Average);
    model.fit(&x).unwrap();
    let path = std::env::temp_dir().join(format!("kindling-agglo-{}.safetensors", std::process::id()));
    model.save(&path).unwrap();
    let loaded = AgglomerativeClustering::load(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(loaded.labels(), model.labels());
    assert_eq!(loaded.merges(), model.merges());
    assert_eq!(loaded.linkage_method(), Linkage::Average);
    assert_eq!(loaded.n_clusters(), 3);
}

#[test]
fn clone_refit_and_determinism() {
    let x = matrix(&fixture()["x"]);
    let model = AgglomerativeClustering::new(3);
    let first = model.clone().fit_predict(&x).unwrap();
    let mut refit = model.clone();
    refit.fit(&x.narrow(0, 0, 10)).unwrap();
    assert_eq!(refit.fit_predict(&x).unwrap(), first, "a second fit does not replace the first");
    assert_eq!(refit.clone().labels(), first.as_slice());
}

#[test]
fn errors_say_what_to_do() {
    let x = Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0], [2, 2]);
    match AgglomerativeClustering::new(3).fit(&x) {
        Err(ClassicError::Data { reason, .. }) => assert!(reason.contains("2 rows but 3 clusters"), "{reason}"),
        other => panic!("expected a data error, got {other:?}"),
    }
    assert!(matches!(AgglomerativeClustering::new(0).fit(&x), Err(ClassicError::Param { name: "k", .. })));
    let bad = Tensor::from_vec(vec![0.0, f64::NAN, 2.0, 3.0], [2, 2]);
    let message = AgglomerativeClustering::new(1).fit(&bad).unwrap_err().to_string();
    assert!(message.contains("row 0, column 1"), "{message}");
    let unfitted = std::panic::catch_unwind(|| AgglomerativeClustering::new(2).labels().len()).unwrap_err();
    let text = unfitted.downcast_ref::<String>().unwrap();
    assert!(text.contains("AgglomerativeClustering::labels") && text.contains("not fitted"), "{text}");
}

#[test]
fn dendrogram_draws_every_merge_and_truncates() {
    let f = fixture();
    let x = matrix(&f["x"]);
    let tree = linkage(&x, Linkage::Ward);
    let names: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
    let svg = dendrogram_svg(&tree, Some(&names));
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<path").count(), 39, "one ∪ per merge");
    assert!(names.iter().all(|n| svg.contains(&format!(">{n}</text>"))));
    let short = dendrogram_svg_lastp(&tree, None, 5);
    assert_eq!(short.matches("<path").count(), 4);
    // Five leaves: single points by index, larger clusters by "(size)"; together every point.
    let leaves: Vec<&str> = short
        .split("transform=\"rotate(90")
        .skip(1)
        .map(|s| s.split("\">").nth(1).unwrap().split("</text>").next().unwrap())
        .collect();
    assert_eq!(leaves.len(), 5, "{leaves:?}");
    let points: usize = leaves
        .iter()
        .map(|l| l.strip_prefix('(').map_or(1, |s| s.trim_end_matches(')').parse::<usize>().unwrap()))
        .sum();
    assert_eq!(points, 40, "{leaves:?}");
}

#[test]
fn every_linkage_keeps_the_clusterer_contract() {
    let x = Tensor::<f64>::randn([40, 3], &mut Rng::seed(8));
    for linkage in [Linkage::Single, Linkage::Complete, Linkage::Average, Linkage::Ward] {
        contract::check_clusterer(&AgglomerativeClustering::new(4).linkage(linkage), &x);
    }
}
