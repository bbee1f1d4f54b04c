//! Chapter 17's demo: `cargo run --release -p ch17-trees [-- --only SECTION]`, with
//! `KINDLING_DATASETS` set to the folder holding `optdigits/` for the sections on
//! real data (they say what they skipped without it and keep earlier files).
//!
//! Sections, in order (`--only` runs one):
//!
//! - `tree-by-hand`: the fruit table's impurities and every candidate threshold;
//! - `trees`: the fruit tree drawn by the library, a depth-3 tree on the digits,
//!   and accuracy against depth (needs the data for the digits);
//! - `ensembles`: test error against the number of trees for forests and boosting,
//!   the out-of-bag score, and feature importances as 8 × 8 pictures (needs the
//!   data);
//! - `svm`: linear, polynomial and RBF support vector machines on the two moons,
//!   and the effect of C and γ, with the support vectors circled;
//! - `hist-boosting`: histogram gradient boosting on optdigits, with and without
//!   early stopping (needs the data);
//! - `clustering`: the elbow curve, k-means++ against random starts, every
//!   clustering method scored against the digits, and a dendrogram (needs the
//!   data);
//! - `naive-fast`: every estimator's readable twin (`KernelMode::Naive`) against
//!   its fast path on optdigits: times and whether the results agree (needs the
//!   data);
//! - `pca`: PCA of optdigits by SVD, the 2-D projection and the explained variance,
//!   checked against the library's `Pca` (needs the data).
//!
//! Timings run on one thread (the rule for comparisons with scikit-learn);
//! `--threads N` changes that. Everything goes to `book/src/generated/17-trees/`.

use ch17_trees::models::*;
use ch17_trees::plots;
use ch17_trees::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_classic::cluster::AgglomerativeClustering;
use kindling_classic::cluster::{
    dendrogram_svg_lastp, linkage, GaussianMixture, Init, KMeans, Linkage,
};
use kindling_classic::ensemble::RandomForestClassifier;
use kindling_classic::svm::{Gamma, Kernel, Svc};
use kindling_classic::tree::DecisionTreeClassifier;
use kindling_classic::{Classifier, Clusterer, Supervised};
use kindling_data::datasets::{self, Split};
use kindling_tensor::{with_kernel_mode, KernelMode, Tensor};
use std::path::PathBuf;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const PROGRAM: &str = "ch17-trees";

/// One section of the demo: its name for `--only`, and what it runs.
type Section = (&'static str, fn(&Output) -> Result);

fn main() -> Result {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = chapter_kit::flag_value(PROGRAM, &args, "--only");
    let threads =
        chapter_kit::flag_number(PROGRAM, &args, "--threads").unwrap_or(1);
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global()?;
    let out = Output::for_chapter("17-trees")?;
    let sections: [Section; 8] = [
        ("tree-by-hand", tree_by_hand),
        ("trees", trees),
        ("ensembles", ensembles),
        ("svm", svm),
        ("hist-boosting", hist_boosting_section),
        ("clustering", clustering),
        ("naive-fast", naive_fast),
        ("pca", pca),
    ];
    chapter_kit::run_sections(only.as_deref(), &sections, &out)
}

/// The folder of real datasets, or `None` (and a loud line) when
/// `KINDLING_DATASETS` is unset.
fn datasets_dir(out: &Output, section: &str) -> Option<PathBuf> {
    match std::env::var_os("KINDLING_DATASETS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            out.step(&format!("{section}: skipped: KINDLING_DATASETS is unset (earlier files are kept)"));
            None
        }
    }
}

/// Class counts as "4 / 5 / 0" (plums / apples / melons).
fn counts_text(counts: &[usize]) -> String {
    counts.iter().map(usize::to_string).collect::<Vec<_>>().join(" / ")
}

fn tree_by_hand(out: &Output) -> Result {
    out.step("a tree by hand: the fruit table, its root impurity and every candidate split");
    let (x, y, features, classes) = fruit();
    let values = x.to_vec();
    let mut root = [0usize; 3];
    y.iter().for_each(|&c| root[c] += 1);
    let mut rows = Vec::new();
    let root_gini = Impurity::Gini.of(&root);
    let root_entropy = Impurity::Entropy.of(&root);
    let mut chart = LineChart::new(
        "What each split of the fruit leaves of the root's impurity",
    )
    .x_label("diameter threshold (cm)")
    .y_label("weighted impurity / root impurity");
    for (j, feature) in features.iter().enumerate() {
        let column: Vec<f64> = values.iter().skip(j).step_by(2).copied().collect();
        let gini = scan_thresholds(&column, &y, 3, Impurity::Gini);
        let entropy = scan_thresholds(&column, &y, 3, Impurity::Entropy);
        for (g, e) in gini.iter().zip(&entropy) {
            rows.push(vec![
                feature.to_string(),
                format!("{}", g.threshold),
                counts_text(&g.left),
                counts_text(&g.right),
                format!("{:.4}", g.weighted_impurity),
                format!("{:.4}", e.weighted_impurity),
            ]);
        }
        if *feature == "diameter" {
            let relative = |c: &[Candidate], root: f64| {
                c.iter()
                    .map(|c| (c.threshold, c.weighted_impurity / root))
                    .collect()
            };
            chart = chart
                .series("Gini", relative(&gini, root_gini))
                .dashed_series("entropy", relative(&entropy, root_entropy));
        }
    }
    let header = format!("right (>): {}", classes.join(" / "));
    let table = markdown_table(
        &[
            "feature",
            "threshold",
            "left (≤)",
            &header,
            "weighted Gini",
            "weighted entropy (bits)",
        ],
        &rows,
    );
    out.write(
        "fruit-splits.md",
        &format!(
            "{table}\nThe root holds {} {}: Gini {root_gini:.4}, entropy {root_entropy:.4} bits.\n",
            counts_text(&root),
            classes.join(" / "),
        ),
    )?;
    out.write("fruit-scan.svg", &chart.include_y(0.0, 1.0).to_svg())?;
    Ok(())
}

fn pca(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "pca") else { return Ok(()) };
    out.step("PCA of optdigits (training file, standardised) by SVD");
    let train = datasets::optdigits(dir.join("optdigits"), Split::Train)?;
    let x = standardise(&train.features);
    let d = x.shape()[1];
    let (_, projected, variance) = pca_by_hand(&x, d);
    let total: f64 = variance.iter().sum();
    let ratio: Vec<f64> = variance.iter().map(|v| v / total).collect();
    let labels: Vec<usize> =
        train.labels.to_vec().iter().map(|&l| l as usize).collect();
    let p = projected.to_vec();
    let points: Vec<(f64, f64)> = p.chunks(d).map(|r| (r[0], r[1])).collect();
    let names: Vec<String> = (0..10).map(|k| format!("digit {k}")).collect();
    out.write(
        "pca-digits.svg",
        &plots::scatter_by_class(
            &format!(
                "optdigits on its first two principal components ({:.1}% of the variance)",
                100.0 * (ratio[0] + ratio[1])
            ),
            &points,
            &labels,
            &names,
            ("component 1", "component 2"),
        ),
    )?;
    let mut cumulative = 0.0;
    let curve: Vec<(f64, f64)> = ratio
        .iter()
        .enumerate()
        .map(|(i, r)| {
            cumulative += r;
            ((i + 1) as f64, cumulative)
        })
        .collect();
    let chart =
        LineChart::new("Explained variance of optdigits' principal components")
            .x_label("components kept")
            .y_label("fraction of the variance")
            .series("cumulative", curve.clone())
            .series(
                "each component",
                ratio
                    .iter()
                    .enumerate()
                    .map(|(i, r)| ((i + 1) as f64, *r))
                    .collect(),
            )
            .include_y(0.0, 1.0);
    out.write("pca-variance.svg", &chart.to_svg())?;
    let needed = |fraction: f64| {
        curve.iter().position(|&(_, c)| c >= fraction).map_or(d, |i| i + 1)
    };
    let rows = vec![
        vec!["first component".into(), format!("{:.4}", ratio[0])],
        vec!["first two".into(), format!("{:.4}", ratio[0] + ratio[1])],
        vec!["components for 50%".into(), needed(0.5).to_string()],
        vec!["components for 90%".into(), needed(0.9).to_string()],
        vec!["components for 99%".into(), needed(0.99).to_string()],
        vec![
            "components with zero variance".into(),
            variance.iter().filter(|&&v| v < 1e-20).count().to_string(),
        ],
    ];
    let (library, _) = project(&x, 2)?;
    let difference = library
        .explained_variance_ratio()
        .iter()
        .zip(&ratio)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let rows = [
        rows,
        vec![vec![
            "library Pca, largest difference in the ratios".into(),
            format!("{difference:.1e}"),
        ]],
    ]
    .concat();
    out.write("pca.md", &markdown_table(&["", "optdigits, standardised"], &rows))?;
    Ok(())
}

/// The two moons as `f64` points and labels.
fn moons(
    n: usize,
    noise: f32,
    seed: u64,
) -> (Tensor<f64>, Vec<i64>, Vec<(f64, f64)>) {
    let (points, labels) = kindling_data::synthetic::moons(n, noise, seed);
    let values: Vec<f64> = points.to_vec().into_iter().map(f64::from).collect();
    let pairs = values.chunks(2).map(|p| (p[0], p[1])).collect();
    (Tensor::from_vec(values, [n, 2]), labels.to_vec(), pairs)
}

/// The regions, margin band and support vectors of a fitted two-class `svc`.
fn svm_picture(title: &str, svc: &Svc, points: &[(f64, f64)], y: &[i64]) -> String {
    let mut support = vec![false; points.len()];
    svc.support().iter().for_each(|&i| support[i] = true);
    let labels: Vec<usize> = y.iter().map(|&l| l as usize).collect();
    plots::decision_regions(title, points, &labels, &support, 120, |grid| {
        svc.decision_function(&Tensor::from_vec(grid.to_vec(), [grid.len() / 2, 2]))
            .to_vec()
    })
}

fn svm(out: &Output) -> Result {
    out.step(
        "support vector machines on the two moons: three kernels, then C and γ",
    );
    let (x, y, points) = moons(200, 0.2, 17);
    let (x_test, y_test, _) = moons(1000, 0.2, 18);
    let mut rows = Vec::new();
    for (name, kernel) in three_kernels() {
        let svc = fit_svc(&x, &y, kernel, 1.0, Gamma::Scale)?;
        let (train, test) = (svc.score(&x, &y), svc.score(&x_test, &y_test));
        rows.push(vec![
            name.to_string(),
            "1".into(),
            "scale".into(),
            svc.support().len().to_string(),
            format!("{train:.3}"),
            format!("{test:.3}"),
        ]);
        let file = format!(
            "svm-{}.svg",
            name.split([' ', ',']).next().unwrap_or(name).to_lowercase()
        );
        let title = format!(
            "{name} kernel: {} support vectors, test accuracy {test:.3}",
            svc.support().len()
        );
        out.write(&file, &svm_picture(&title, &svc, &points, &y))?;
    }
    for (c, gamma) in [(0.1, 1.0), (100.0, 1.0), (1.0, 0.1), (1.0, 50.0)] {
        let svc = fit_svc(&x, &y, Kernel::Rbf, c, Gamma::Value(gamma))?;
        let (train, test) = (svc.score(&x, &y), svc.score(&x_test, &y_test));
        rows.push(vec![
            "RBF".into(),
            format!("{c}"),
            format!("{gamma}"),
            svc.support().len().to_string(),
            format!("{train:.3}"),
            format!("{test:.3}"),
        ]);
        let title = format!(
            "RBF, C = {c}, γ = {gamma}: {} support vectors, test {test:.3}",
            svc.support().len()
        );
        out.write(
            &format!("svm-rbf-c{c}-gamma{gamma}.svg"),
            &svm_picture(&title, &svc, &points, &y),
        )?;
    }
    out.write(
        "svm-moons.md",
        &format!(
            "{}\n200 training points, 1,000 fresh test points from the same distribution (noise 0.2).\n",
            markdown_table(&["kernel", "C", "γ", "support vectors", "training accuracy", "test accuracy"], &rows)
        ),
    )?;
    Ok(())
}

/// optdigits' training and test files, standardised with the training part's
/// scaler. Training features and labels, then test features and labels.
type TrainTest = (Tensor<f64>, Vec<i64>, Tensor<f64>, Vec<i64>);

fn optdigits_scaled(dir: &std::path::Path) -> Result<TrainTest> {
    let train = datasets::optdigits(dir.join("optdigits"), Split::Train)?;
    let test = datasets::optdigits(dir.join("optdigits"), Split::Test)?;
    let (xtr, xte) = scale_pair(&train.features, &test.features);
    Ok((xtr, train.labels.to_vec(), xte, test.labels.to_vec()))
}

fn hist_boosting_section(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "hist-boosting") else { return Ok(()) };
    out.step(
        "histogram gradient boosting on optdigits: 100 rounds, then early stopping",
    );
    let (xtr, ytr, xte, yte) = optdigits_scaled(&dir)?;
    let (full, accuracy, seconds) =
        hist_boosting((&xtr, &ytr), (&xte, &yte), 100, false)?;
    let (stopped, stopped_accuracy, stopped_seconds) =
        hist_boosting((&xtr, &ytr), (&xte, &yte), 500, true)?;
    let leaves: usize = full.trees().iter().map(|t| t.leaf_count()).sum();
    let rows = vec![
        vec![
            "100 rounds, no early stopping".into(),
            full.n_iter().to_string(),
            full.trees().len().to_string(),
            leaves.to_string(),
            format!("{accuracy:.4}"),
            format!("{seconds:.2}"),
        ],
        vec![
            "up to 500 rounds, early stopping on 10% of the rows".into(),
            stopped.n_iter().to_string(),
            stopped.trees().len().to_string(),
            stopped
                .trees()
                .iter()
                .map(|t| t.leaf_count())
                .sum::<usize>()
                .to_string(),
            format!("{stopped_accuracy:.4}"),
            format!("{stopped_seconds:.2}"),
        ],
    ];
    out.write(
        "hist-boosting.md",
        &format!(
            "{}\nTen classes: every round grows one tree per class. One thread; fit time only.\n",
            markdown_table(&["run", "rounds", "trees", "leaves in all", "test accuracy", "fit (s)"], &rows)
        ),
    )?;
    // The recorded scores are negative losses; the chart shows the losses from
    // round 5 on.
    let loss = |scores: &[f64]| {
        scores
            .iter()
            .enumerate()
            .skip(5)
            .map(|(i, &s)| (i as f64, -s))
            .collect::<Vec<_>>()
    };
    let validation = stopped.validation_score();
    let best = (0..validation.len()).fold(0, |b, i| {
        if validation[i] > validation[b] {
            i
        } else {
            b
        }
    });
    let chart =
        LineChart::new("Early stopping: the log loss histogram boosting watched")
            .x_label("round")
            .y_label("log loss")
            .series("training rows (90%)", loss(stopped.train_score()))
            .series("validation rows (10%)", loss(validation))
            .include_y(0.0, 0.5);
    out.write(
        "hist-early-stopping.md",
        &format!(
            "The validation log loss was lowest after round {best} ({:.4}); the run stopped after round {} ({:.4}).\n",
            -validation[best],
            validation.len() - 1,
            -validation[validation.len() - 1]
        ),
    )?;
    out.write("hist-early-stopping.svg", &chart.to_svg())?;
    Ok(())
}

fn clustering(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "clustering") else { return Ok(()) };
    let train = datasets::optdigits(dir.join("optdigits"), Split::Train)?;
    let x = standardise(&train.features);
    let truth = train.labels.to_vec();

    out.step(
        "the elbow: k-means inertia for k = 1..20 on optdigits (3 restarts each)",
    );
    let ks: Vec<usize> = (1..=20).collect();
    let curve = kindling_classic::cluster::elbow(&x, &ks, 3, 0)?;
    let chart =
        LineChart::new("k-means on optdigits (standardised): the elbow curve")
            .x_label("number of clusters k")
            .y_label("inertia in thousands")
            .series(
                "best of 3 restarts",
                curve.iter().map(|&(k, i)| (k as f64, i / 1e3)).collect(),
            );
    out.write("elbow.svg", &chart.include_y(0.0, curve[0].1 / 1e3).to_svg())?;

    out.step("k-means++ against random starts: 20 single runs each, on optdigits and on 16 blobs");
    let mut rows = Vec::new();
    let centers: Vec<[f32; 2]> =
        (0..16).map(|i| [(i % 4) as f32 * 6.0, (i / 4) as f32 * 6.0]).collect();
    let (blobs, _) = kindling_data::synthetic::blobs(1600, &centers, 1.0, 17);
    let blobs = Tensor::from_vec(
        blobs.to_vec().into_iter().map(f64::from).collect::<Vec<_>>(),
        [1600, 2],
    );
    for (data, x, k) in [
        ("optdigits, k = 10", &x, 10),
        ("16 blobs on a 4 × 4 grid, k = 16", &blobs, 16),
    ] {
        for (name, init) in
            [("k-means++", Init::KMeansPlusPlus), ("random rows", Init::Random)]
        {
            let mut inertias = Vec::new();
            let mut iterations = 0;
            for seed in 0..20 {
                let mut model =
                    KMeans::new(k).n_init(1).init(init.clone()).seed(seed);
                model.fit(x)?;
                inertias.push(model.inertia());
                iterations += model.n_iter();
            }
            let best = inertias.iter().copied().fold(f64::INFINITY, f64::min);
            let worst = inertias.iter().copied().fold(0.0, f64::max);
            let mean = inertias.iter().sum::<f64>() / 20.0;
            let near_best = inertias.iter().filter(|&&i| i <= best * 1.001).count();
            rows.push(vec![
                data.to_string(),
                name.to_string(),
                format!("{best:.0}"),
                format!("{mean:.0}"),
                format!("{worst:.0}"),
                format!("{near_best} of 20"),
                format!("{:.1}", iterations as f64 / 20.0),
            ]);
        }
    }
    out.write(
        "kmeans-init.md",
        &markdown_table(
            &[
                "data",
                "start",
                "best inertia",
                "mean",
                "worst",
                "within 0.1% of the best",
                "mean Lloyd iterations",
            ],
            &rows,
        ),
    )?;

    out.step("every clustering method on optdigits, scored against the digits");
    let scores = cluster_and_score(&x, &truth, 10, 0)?;
    let rows: Vec<Vec<String>> = scores
        .iter()
        .map(|s| {
            vec![
                s.method.clone(),
                format!("{:.3}", s.ari),
                format!("{:.3}", s.nmi),
                format!("{:.3}", s.silhouette),
                s.largest.to_string(),
                format!("{:.2}", s.seconds),
            ]
        })
        .collect();
    let mut truth_row =
        vec!["the digit labels themselves".to_string(), "1".into(), "1".into()];
    truth_row.push(format!(
        "{:.3}",
        kindling_metrics::metrics::silhouette_score(&x, &truth)
    ));
    let largest_digit = (0..10)
        .map(|d| truth.iter().filter(|&&l| l == d).count())
        .max()
        .unwrap_or(0);
    truth_row.push(largest_digit.to_string());
    truth_row.push("–".into());
    let mut all = rows;
    all.push(truth_row);
    out.write(
        "clustering.md",
        &format!(
            "{}\n3,823 training digits, 64 standardised pixels, 10 clusters; one thread.\n",
            markdown_table(&["method", "ARI", "NMI", "silhouette", "largest cluster (rows)", "seconds"], &all)
        ),
    )?;

    out.step("Gaussian mixtures on 10 principal components: BIC against k");
    let (_, reduced) = project(&x, 10)?;
    let mut bic = Vec::new();
    for k in 2..=20 {
        let mut mixture = GaussianMixture::new(k).seed(0);
        mixture.fit(&reduced)?;
        let labels: Vec<i64> = mixture.labels().iter().map(|&l| l as i64).collect();
        bic.push((
            k,
            mixture.bic(&reduced),
            kindling_metrics::metrics::adjusted_rand_index(&truth, &labels),
        ));
    }
    let best = bic.iter().fold(bic[0], |b, &r| if r.1 < b.1 { r } else { b });
    let chart = LineChart::new(
        "Gaussian mixtures (full covariances) on optdigits' first 10 components",
    )
    .x_label("number of components k")
    .y_label("BIC in thousands (lower is better)")
    .series("BIC", bic.iter().map(|&(k, b, _)| (k as f64, b / 1e3)).collect());
    out.write("gmm-bic.svg", &chart.to_svg())?;
    let at_ten = bic.iter().find(|r| r.0 == 10).expect("k = 10 was fitted");
    out.write(
        "gmm-bic.md",
        &format!(
            "The BIC is lowest at k = {} (ARI against the digits {:.3}); at k = 10 the ARI is {:.3}.\n",
            best.0, best.2, at_ten.2
        ),
    )?;

    out.step("a dendrogram: Ward linkage of 30 digits, 3 of each of 0 to 9");
    let mut picked = Vec::new();
    for digit in 0..10 {
        picked.extend(
            truth
                .iter()
                .enumerate()
                .filter(|(_, &l)| l == digit)
                .take(3)
                .map(|(i, _)| i),
        );
    }
    let sample = kindling_classic::model_selection::take_rows(&x, &picked);
    let names: Vec<String> = picked.iter().map(|&i| truth[i].to_string()).collect();
    let merges = linkage(&sample, Linkage::Ward);
    out.write("dendrogram.svg", &dendrogram_svg_lastp(&merges, Some(&names), 30))?;
    Ok(())
}

/// Names for the 64 pixels of an 8 × 8 digit: "px r,c".
fn pixel_names() -> Vec<String> {
    (0..64).map(|p| format!("px {},{}", p / 8, p % 8)).collect()
}

fn trees(out: &Output) -> Result {
    out.step("the fruit tree, grown by the library");
    let (x, y, features, classes) = fruit();
    let y: Vec<i64> = y.iter().map(|&c| c as i64).collect();
    let mut tree = DecisionTreeClassifier::new().seed(0);
    tree.fit(&x, &y)?;
    let feature_names: Vec<String> =
        features.iter().map(|f| f.to_string()).collect();
    let class_names: Vec<String> = classes.iter().map(|c| c.to_string()).collect();
    let fitted = tree.tree();
    // The library's root must be the split found by hand in `tree-by-hand`.
    assert_eq!(
        fitted.split(0),
        Some((1, 8.75)),
        "the root split differs from the hand computation"
    );
    out.write(
        "fruit-tree.svg",
        &fitted.export_svg(Some(&feature_names), Some(&class_names)),
    )?;
    out.write("fruit-tree.txt", &fitted.export_text(Some(&feature_names)))?;

    let Some(dir) = datasets_dir(out, "trees") else { return Ok(()) };
    let (xtr, ytr, xte, yte) = optdigits_raw(&dir)?;
    out.step("a depth-3 tree on the digits (raw pixel counts 0–16)");
    let mut small = DecisionTreeClassifier::new().max_depth(Some(3)).seed(0);
    small.fit(&xtr, &ytr)?;
    out.write("digits-tree.txt", &small.tree().export_text(Some(&pixel_names())))?;

    out.step("accuracy against depth on optdigits");
    let depths: Vec<Option<usize>> = (1..=16).map(Some).chain([None]).collect();
    let curve = accuracy_by_depth((&xtr, &ytr), (&xte, &yte), &depths)?;
    let full_depth = {
        let mut t = DecisionTreeClassifier::new().seed(0);
        t.fit(&xtr, &ytr)?;
        t.tree().depth()
    };
    let at = |r: &DepthRow| r.max_depth.unwrap_or(full_depth) as f64;
    let chart =
        LineChart::new("One decision tree on optdigits: accuracy against depth")
            .x_label("maximum depth (the last point: unlimited)")
            .y_label("accuracy")
            .series(
                "training",
                curve.iter().map(|r| (at(r), r.train_accuracy)).collect(),
            )
            .series(
                "test",
                curve.iter().map(|r| (at(r), r.test_accuracy)).collect(),
            )
            .include_y(0.0, 1.0);
    out.write("tree-depth.svg", &chart.to_svg())?;
    let rows: Vec<Vec<String>> = curve
        .iter()
        .filter(|r| {
            matches!(r.max_depth, Some(1 | 2 | 3 | 4 | 6 | 8 | 10 | 12) | None)
        })
        .map(|r| {
            vec![
                r.max_depth
                    .map_or(format!("unlimited ({full_depth})"), |d| d.to_string()),
                r.leaves.to_string(),
                format!("{:.4}", r.train_accuracy),
                format!("{:.4}", r.test_accuracy),
            ]
        })
        .collect();
    out.write(
        "tree-depth.md",
        &markdown_table(
            &["maximum depth", "leaves", "training accuracy", "test accuracy"],
            &rows,
        ),
    )?;
    Ok(())
}

/// optdigits' training and test files as shipped (pixel counts 0–16): trees do not
/// need scaling.
fn optdigits_raw(dir: &std::path::Path) -> Result<TrainTest> {
    let train = datasets::optdigits(dir.join("optdigits"), Split::Train)?;
    let test = datasets::optdigits(dir.join("optdigits"), Split::Test)?;
    Ok((train.features, train.labels.to_vec(), test.features, test.labels.to_vec()))
}

fn ensembles(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "ensembles") else { return Ok(()) };
    let (xtr, ytr, xte, yte) = optdigits_scaled(&dir)?;
    let n_trees = 200;
    out.step(&format!("forests of {n_trees} trees and boosting on optdigits: test error against the number of trees"));
    let (forest_seconds, forest) = timed(|| random_forest(&xtr, &ytr, n_trees, 0));
    let forest = forest?;
    let (extra_seconds, extra) = timed(|| extra_trees(&xtr, &ytr, n_trees, 0));
    let extra = extra?;
    let (ada_seconds, ada) = timed(|| adaboost(&xtr, &ytr, n_trees, 0));
    let ada = ada?;
    let (gb_seconds, gb) = timed(|| gradient_boosting(&xtr, &ytr, 100, 0));
    let gb = gb?;
    let (hist, _, hist_seconds) =
        hist_boosting((&xtr, &ytr), (&xte, &yte), 100, false)?;
    let mut single = DecisionTreeClassifier::new().seed(0);
    let (single_seconds, fitted) = timed(|| single.fit(&xtr, &ytr));
    fitted?;
    let single_error = 1.0 - single.score(&xte, &yte);
    let forest_curve =
        forest_staged_errors(forest.trees(), forest.classes(), &xte, &yte);
    let extra_curve =
        forest_staged_errors(extra.trees(), extra.classes(), &xte, &yte);
    let ada_curve = staged_errors(&ada.staged_predict(&xte), &yte);
    let gb_curve = staged_errors(&gb.staged_predict(&xte), &yte);
    let hist_curve = staged_errors(&hist.staged_predict(&xte), &yte);
    let line = |c: &[f64]| {
        c.iter().enumerate().map(|(i, &e)| ((i + 1) as f64, e)).collect::<Vec<_>>()
    };
    let chart = LineChart::new("Test error on optdigits against the number of trees")
        .x_label("trees (gradient and histogram boosting: rounds of 10 trees, one per class)")
        .y_label("test error")
        .series("random forest", line(&forest_curve))
        .series("extra trees", line(&extra_curve))
        .series("AdaBoost (stumps)", line(&ada_curve))
        .series("gradient boosting", line(&gb_curve))
        .series("histogram boosting", line(&hist_curve))
        .dashed_series("one full-depth tree", vec![(1.0, single_error), (n_trees as f64, single_error)])
        .include_y(0.0, 0.5);
    out.write("ensemble-error.svg", &chart.to_svg())?;
    let zoom = LineChart::new("The same, without AdaBoost: the strong ensembles up close")
        .x_label("trees (gradient and histogram boosting: rounds of 10 trees, one per class)")
        .y_label("test error")
        .series("random forest", line(&forest_curve))
        .series("extra trees", line(&extra_curve))
        .series("gradient boosting", line(&gb_curve))
        .series("histogram boosting", line(&hist_curve))
        .dashed_series("one full-depth tree", vec![(1.0, single_error), (n_trees as f64, single_error)])
        .include_y(0.0, 0.2);
    out.write("ensemble-error-zoom.svg", &zoom.to_svg())?;
    let pick = |c: &[f64], m: usize| {
        if m <= c.len() {
            format!("{:.4}", 1.0 - c[m - 1])
        } else {
            "–".into()
        }
    };
    let row = |name: &str, c: &[f64], seconds: f64| {
        vec![
            name.to_string(),
            pick(c, 1),
            pick(c, 10),
            pick(c, 100),
            pick(c, 200),
            format!("{seconds:.2}"),
        ]
    };
    let rows = vec![
        vec![
            "one full-depth tree".to_string(),
            format!("{:.4}", 1.0 - single_error),
            "–".into(),
            "–".into(),
            "–".into(),
            format!("{single_seconds:.2}"),
        ],
        row("random forest", &forest_curve, forest_seconds),
        row("extra trees", &extra_curve, extra_seconds),
        row("AdaBoost, stumps", &ada_curve, ada_seconds),
        row("gradient boosting, depth 3 (rounds)", &gb_curve, gb_seconds),
        row("histogram boosting (rounds)", &hist_curve, hist_seconds),
    ];
    let oob = forest.oob_score_value().unwrap_or(f64::NAN);
    out.write(
        "ensemble-accuracy.md",
        &format!(
            "{}\nTest accuracy of the first m trees (for gradient and histogram boosting, of the first m \
             rounds); fit time of the whole model on one thread (the forest's includes its out-of-bag \
             score). AdaBoost kept {} stumps. The forest's out-of-bag accuracy, estimated from the \
             training rows alone: {oob:.4}.\n",
            markdown_table(&["model", "m = 1", "m = 10", "m = 100", "m = 200", "fit (s)"], &rows),
            ada.estimators().len()
        ),
    )?;

    out.step("feature importances as 8 × 8 pictures");
    let importances = forest.feature_importances();
    out.write(
        "importances-forest.svg",
        &plots::pixel_heatmap(
            "Random forest: impurity decrease per pixel (%)",
            &importances,
            100.0,
        ),
    )?;
    out.write(
        "importances-tree.svg",
        &plots::pixel_heatmap(
            "One tree: impurity decrease per pixel (%)",
            &single.feature_importances(),
            100.0,
        ),
    )?;
    Ok(())
}

/// Runs `fit_and_predict` under the naive and the fast kernels: the naive run once
/// (it can be slow), the fast one best of 3; returns a table row.
fn compare_modes<R: PartialEq>(
    name: &str,
    fit_and_predict: impl Fn() -> R,
) -> Vec<String> {
    let (naive, naive_result) = chapter_kit::best_of(1, || {
        with_kernel_mode(KernelMode::Naive, &fit_and_predict)
    });
    let (fast, fast_result) = chapter_kit::best_of(3, || {
        with_kernel_mode(KernelMode::Fast, &fit_and_predict)
    });
    let (naive, fast) = (naive.as_secs_f64(), fast.as_secs_f64());
    vec![
        name.to_string(),
        format!("{:.3}", naive),
        format!("{:.3}", fast),
        format!("{:.1}×", naive / fast),
        if naive_result == fast_result { "yes" } else { "no" }.to_string(),
    ]
}

fn naive_fast(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "naive-fast") else { return Ok(()) };
    out.step("naive twins against fast paths on optdigits (one thread)");
    let (xtr, ytr, xte, _) = optdigits_scaled(&dir)?;
    let first_thousand: Vec<usize> = (0..1000).collect();
    let sample =
        kindling_classic::model_selection::take_rows(&xtr, &first_thousand);
    let fail = |e: kindling_classic::ClassicError| panic!("naive-fast: {e}");
    let rows = vec![
        compare_modes(
            "decision tree, full depth (re-sorting each node / presorted)",
            || {
                let mut tree = DecisionTreeClassifier::new().seed(0);
                tree.fit(&xtr, &ytr).unwrap_or_else(fail);
                tree.predict(&xte)
            },
        ),
        compare_modes("random forest, 20 trees", || {
            let mut forest = RandomForestClassifier::new(20).seed(0);
            forest.fit(&xtr, &ytr).unwrap_or_else(fail);
            forest.predict(&xte)
        }),
        compare_modes(
            "histogram boosting, 5 rounds (rescanning rows / histograms)",
            || {
                let mut model = kindling_classic::ensemble::HistGradientBoostingClassifier::new().max_iter(5).seed(0);
                model.fit(&xtr, &ytr).unwrap_or_else(fail);
                model.predict(&xte)
            },
        ),
        compare_modes(
            "SVC, RBF (kernel rows on demand / cached GEMM rows)",
            || {
                let mut svc = Svc::new();
                svc.fit(&xtr, &ytr).unwrap_or_else(fail);
                svc.predict(&xte)
            },
        ),
        compare_modes(
            "k-means, k = 10, one start (loops / GEMM distances)",
            || {
                let mut model = KMeans::new(10).n_init(1).seed(0);
                model.fit(&xtr).unwrap_or_else(fail);
                model.labels().to_vec()
            },
        ),
        compare_modes(
            "Ward linkage, 1,000 rows (Lance–Williams rescans / NN-chain)",
            || {
                let mut model =
                    AgglomerativeClustering::new(10).linkage(Linkage::Ward);
                model.fit(&sample).unwrap_or_else(fail);
                model.labels().to_vec()
            },
        ),
    ];
    out.write(
        "naive-fast.md",
        &format!(
            "{}\nFit and predict on optdigits (standardised), one thread; the naive run once, the fast \
             one best of 3. \"Same result\": identical test predictions (cluster labels for k-means and \
             Ward).\n",
            markdown_table(&["estimator (naive / fast)", "naive (s)", "fast (s)", "speed-up", "same result"], &rows)
        ),
    )?;
    Ok(())
}
