//! The library's estimators as the chapter uses them: the code the book includes
//! from the `ANCHOR` markers, and the measurements the demo turns into plots and
//! tables.

use kindling_classic::cluster::{
    AgglomerativeClustering, GaussianMixture, KMeans, Linkage, MiniBatchKMeans,
};
use kindling_classic::decomposition::Pca;
use kindling_classic::ensemble::{
    AdaBoostClassifier, EarlyStopping, ExtraTreesClassifier,
    GradientBoostingClassifier, HistGradientBoostingClassifier,
    RandomForestClassifier,
};
use kindling_classic::svm::{Gamma, Kernel, Svc};
use kindling_classic::tree::{DecisionTreeClassifier, Tree};
use kindling_classic::{ClassicError, Clusterer, Supervised, Transformer};
use kindling_metrics::metrics::{
    adjusted_rand_index, normalized_mutual_info, silhouette_score,
};
use kindling_tensor::Tensor;
use std::time::Instant;

/// The test error (1 − accuracy) after each stage of a staged prediction.
pub fn staged_errors(staged: &[Vec<i64>], truth: &[i64]) -> Vec<f64> {
    staged
        .iter()
        .map(|p| 1.0 - kindling_metrics::metrics::accuracy(truth, p))
        .collect()
}

/// Seconds `f` took, and what it returned.
pub fn timed<R>(f: impl FnOnce() -> R) -> (f64, R) {
    let start = Instant::now();
    let r = f();
    (start.elapsed().as_secs_f64(), r)
}

// ANCHOR: depth
/// One tree of a depth sweep: its limit (`None`: grow until every leaf is pure),
/// accuracies and size.
#[derive(Clone, Debug)]
pub struct DepthRow {
    pub max_depth: Option<usize>,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub leaves: usize,
}

/// Fits one CART tree for each depth limit and scores it on both parts.
pub fn accuracy_by_depth(
    train: (&Tensor<f64>, &[i64]),
    test: (&Tensor<f64>, &[i64]),
    depths: &[Option<usize>],
) -> Result<Vec<DepthRow>, ClassicError> {
    depths
        .iter()
        .map(|&max_depth| {
            let mut tree =
                DecisionTreeClassifier::new().max_depth(max_depth).seed(0);
            tree.fit(train.0, train.1)?;
            Ok(DepthRow {
                max_depth,
                train_accuracy: tree.score(train.0, train.1),
                test_accuracy: tree.score(test.0, test.1),
                leaves: tree.tree().leaf_count(),
            })
        })
        .collect()
}
// ANCHOR_END: depth

// ANCHOR: forest_staged
/// The test error of a forest's first m trees, for m = 1..=n: each tree votes with
/// its leaf's class shares and the shares are averaged, as `predict_proba` does
/// with all of them. `classes` maps a column of the shares to its label.
pub fn forest_staged_errors(
    trees: &[Tree],
    classes: &[i64],
    x: &Tensor<f64>,
    truth: &[i64],
) -> Vec<f64> {
    let (n, k) = (x.shape()[0], classes.len());
    let mut summed = vec![0.0; n * k];
    trees
        .iter()
        .map(|tree| {
            for (row, leaf) in tree.apply(x).into_iter().enumerate() {
                summed[row * k..(row + 1) * k]
                    .iter_mut()
                    .zip(tree.value(leaf))
                    .for_each(|(s, v)| *s += v);
            }
            let wrong = summed
                .chunks(k)
                .zip(truth)
                .filter(|(shares, &t)| {
                    let best =
                        (0..k).fold(
                            0,
                            |b, c| if shares[c] > shares[b] { c } else { b },
                        );
                    classes[best] != t
                })
                .count();
            wrong as f64 / n as f64
        })
        .collect()
}

/// A random forest: `n_trees` trees, each on a bootstrap sample, √features per
/// split, and the out-of-bag score.
pub fn random_forest(
    x: &Tensor<f64>,
    y: &[i64],
    n_trees: usize,
    seed: u64,
) -> Result<RandomForestClassifier, ClassicError> {
    let mut forest =
        RandomForestClassifier::new(n_trees).oob_score(true).seed(seed);
    forest.fit(x, y)?;
    Ok(forest)
}

/// Extra trees: every row for every tree, one random threshold per candidate
/// feature.
pub fn extra_trees(
    x: &Tensor<f64>,
    y: &[i64],
    n_trees: usize,
    seed: u64,
) -> Result<ExtraTreesClassifier, ClassicError> {
    let mut extra = ExtraTreesClassifier::new(n_trees).seed(seed);
    extra.fit(x, y)?;
    Ok(extra)
}
// ANCHOR_END: forest_staged

// ANCHOR: boosting
/// AdaBoost (SAMME) over `rounds` stumps, scikit-learn's default weak learner.
pub fn adaboost(
    x: &Tensor<f64>,
    y: &[i64],
    rounds: usize,
    seed: u64,
) -> Result<AdaBoostClassifier, ClassicError> {
    let mut model = AdaBoostClassifier::new(rounds).seed(seed);
    model.fit(x, y)?;
    Ok(model)
}

/// Gradient boosting with exact splits: `rounds` rounds of one depth-3 regression
/// tree per class, each fitted to the negative gradient of the log loss and shrunk
/// by 0.1.
pub fn gradient_boosting(
    x: &Tensor<f64>,
    y: &[i64],
    rounds: usize,
    seed: u64,
) -> Result<GradientBoostingClassifier, ClassicError> {
    let mut model = GradientBoostingClassifier::new(rounds)
        .learning_rate(0.1)
        .max_depth(3)
        .seed(seed);
    model.fit(x, y)?;
    Ok(model)
}
// ANCHOR_END: boosting

// ANCHOR: svm_kernels
/// A support vector classifier with the given kernel, C and γ, fitted on `(x, y)`.
pub fn fit_svc(
    x: &Tensor<f64>,
    y: &[i64],
    kernel: Kernel,
    c: f64,
    gamma: Gamma,
) -> Result<Svc, ClassicError> {
    let mut svc = Svc::new().kernel(kernel).c(c).gamma(gamma);
    svc.fit(x, y)?;
    Ok(svc)
}

/// The three kernels of the chapter's pictures, scikit-learn's defaults otherwise.
pub fn three_kernels() -> [(&'static str, Kernel); 3] {
    [
        ("linear", Kernel::Linear),
        ("polynomial, degree 3", Kernel::Poly { degree: 3, coef0: 1.0 }),
        ("RBF", Kernel::Rbf),
    ]
}
// ANCHOR_END: svm_kernels

// ANCHOR: hist_boosting
/// Histogram gradient boosting on optdigits-sized data: scikit-learn's defaults
/// (255 bins, 31 leaves per tree, learning rate 0.1) for `max_iter` rounds, with or
/// without stopping early on a 10% validation split. Returns the model, its test
/// accuracy and the fit time.
pub fn hist_boosting(
    train: (&Tensor<f64>, &[i64]),
    test: (&Tensor<f64>, &[i64]),
    max_iter: usize,
    early_stopping: bool,
) -> Result<(HistGradientBoostingClassifier, f64, f64), ClassicError> {
    let stopping =
        if early_stopping { EarlyStopping::On } else { EarlyStopping::Off };
    let mut model = HistGradientBoostingClassifier::new()
        .max_iter(max_iter)
        .early_stopping(stopping)
        .seed(0);
    let (seconds, fitted) = timed(|| model.fit(train.0, train.1));
    fitted?;
    let accuracy = model.score(test.0, test.1);
    Ok((model, accuracy, seconds))
}
// ANCHOR_END: hist_boosting

/// How well one clustering of the digits agrees with the true digits, and how
/// compact it is.
#[derive(Clone, Debug)]
pub struct ClusterScore {
    pub method: String,
    /// Adjusted Rand index against the digit labels: 0 for chance, 1 for the same
    /// partition.
    pub ari: f64,
    /// Normalised mutual information against the labels (arithmetic mean
    /// normalisation).
    pub nmi: f64,
    /// Mean silhouette in the clustered space (needs no labels).
    pub silhouette: f64,
    /// The number of rows in the largest cluster.
    pub largest: usize,
    pub seconds: f64,
}

// ANCHOR: clustering
/// Clusters `x` into `k` groups with every method of the chapter and scores each
/// partition against `truth` (which no method sees).
pub fn cluster_and_score(
    x: &Tensor<f64>,
    truth: &[i64],
    k: usize,
    seed: u64,
) -> Result<Vec<ClusterScore>, ClassicError> {
    type Method<'a> =
        (String, Box<dyn Fn() -> Result<Vec<usize>, ClassicError> + 'a>);
    let methods: Vec<Method> = vec![
        (
            "k-means (k-means++, 10 restarts)".into(),
            Box::new(move || KMeans::new(k).n_init(10).seed(seed).fit_predict(x)),
        ),
        (
            "mini-batch k-means (batch 1024, 3 restarts)".into(),
            Box::new(move || MiniBatchKMeans::new(k).seed(seed).fit_predict(x)),
        ),
        (
            "agglomerative, Ward".into(),
            Box::new(move || {
                AgglomerativeClustering::new(k)
                    .linkage(Linkage::Ward)
                    .fit_predict(x)
            }),
        ),
        (
            "agglomerative, average".into(),
            Box::new(move || {
                AgglomerativeClustering::new(k)
                    .linkage(Linkage::Average)
                    .fit_predict(x)
            }),
        ),
        (
            "agglomerative, single".into(),
            Box::new(move || {
                AgglomerativeClustering::new(k)
                    .linkage(Linkage::Single)
                    .fit_predict(x)
            }),
        ),
        (
            "Gaussian mixture (full covariances)".into(),
            Box::new(move || GaussianMixture::new(k).seed(seed).fit_predict(x)),
        ),
    ];
    methods
        .into_iter()
        .map(|(method, run)| {
            let (seconds, labels) = timed(run);
            let labels: Vec<i64> = labels?.into_iter().map(|l| l as i64).collect();
            let mut sizes = vec![0usize; k];
            labels.iter().for_each(|&l| sizes[l as usize] += 1);
            Ok(ClusterScore {
                largest: sizes.iter().copied().max().unwrap_or(0),
                method,
                ari: adjusted_rand_index(truth, &labels),
                nmi: normalized_mutual_info(truth, &labels),
                silhouette: silhouette_score(x, &labels),
                seconds,
            })
        })
        .collect()
}
// ANCHOR_END: clustering

// ANCHOR: pca_library
/// The library's PCA: `n_components` directions fitted on `x`, and `x` projected
/// onto them.
pub fn project(
    x: &Tensor<f64>,
    n_components: usize,
) -> Result<(Pca, Tensor<f64>), ClassicError> {
    let mut pca = Pca::new(n_components);
    let z = pca.fit_transform(x)?;
    Ok((pca, z))
}
// ANCHOR_END: pca_library
