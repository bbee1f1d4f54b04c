//! k-nearest neighbours: predict from the k training samples closest to each query.
//!
//! [`KNeighborsClassifier`] votes among the neighbours' labels, [`KNeighborsRegressor`]
//! averages their targets; with [`Weights::Distance`] closer neighbours count more. Finding
//! the neighbours is the whole cost, and there are two ways:
//! - brute force ([`Algorithm::Brute`]): all distances at once, the Euclidean ones as
//!   ‖a‖² + ‖b‖² − 2·a·bᵀ through the fast GEMM (see `brute.rs` for the naive twin);
//! - a [`KdTree`] ([`Algorithm::KdTree`]), which skips whole boxes of points in a few
//!   dimensions.
//!
//! [`Algorithm::Auto`] follows scikit-learn's rule: brute force when there are more than 15
//! features or k is at least half the training set, the KD-tree otherwise. On uniform
//! Gaussian data the crossover comes earlier (20,000 rows, 2,000 queries, k = 5, one thread:
//! the tree wins 1.8 ms to 396 ms at 2 features and 106 to 205 ms at 8, loses 1,248 to 271 ms
//! at 16); real data usually lies near a lower-dimensional surface, where trees do better. Ties in distance
//! go to the lower training index and tied votes to the smallest label, as in scikit-learn.

mod brute;
mod classifier;
mod kdtree;
mod regressor;

pub use classifier::KNeighborsClassifier;
pub use kdtree::{KdTree, Neighbour};
pub use regressor::KNeighborsRegressor;

use crate::input;
use crate::ClassicError;
use brute::BruteIndex;
use kindling_tensor::{kernel_mode, KernelMode, Tensor};

/// How neighbours' votes (or targets) are weighted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weights {
    /// Every neighbour counts the same.
    Uniform,
    /// A neighbour counts 1 / distance; a query that coincides with training points takes
    /// only those (distance 0) into account.
    Distance,
}

/// The distance between samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// √Σ (aᵢ − bᵢ)².
    Euclidean,
    /// Σ |aᵢ − bᵢ|.
    Manhattan,
}

/// How neighbours are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// [`Algorithm::KdTree`] for at most 15 features and k below half the training set,
    /// [`Algorithm::Brute`] otherwise.
    Auto,
    /// Every distance, through the GEMM for Euclidean.
    Brute,
    /// A [`KdTree`] built in `fit`.
    KdTree,
}

/// Features above which `Auto` picks brute force (a KD-tree prunes little past this).
const TREE_MAX_FEATURES: usize = 15;
/// scikit-learn's default leaf size.
const LEAF_SIZE: usize = 30;

impl Metric {
    fn as_str(self) -> &'static str {
        match self {
            Metric::Euclidean => "euclidean",
            Metric::Manhattan => "manhattan",
        }
    }

    fn parse(text: &str) -> Result<Metric, String> {
        match text {
            "euclidean" => Ok(Metric::Euclidean),
            "manhattan" => Ok(Metric::Manhattan),
            other => Err(format!("unknown metric {other:?}")),
        }
    }
}

/// k neighbours per query, flattened row-major: `indices[q * k + i]`.
#[derive(Clone, Debug, Default)]
pub(crate) struct NeighbourLists {
    pub(crate) indices: Vec<usize>,
    pub(crate) distances: Vec<f64>,
}

impl NeighbourLists {
    fn with_capacity(rows: usize, k: usize) -> Self {
        NeighbourLists { indices: Vec::with_capacity(rows * k), distances: Vec::with_capacity(rows * k) }
    }

    fn push(&mut self, index: usize, distance: f64) {
        self.indices.push(index);
        self.distances.push(distance);
    }
}

/// The search structure `fit` builds, and what it needs to rebuild it after loading.
#[derive(Clone, Debug)]
enum Index {
    Brute(BruteIndex),
    Tree(KdTree),
}

/// The settings and fitted search shared by the classifier and the regressor.
#[derive(Clone, Debug)]
pub(crate) struct Search {
    k: usize,
    weights: Weights,
    metric: Metric,
    algorithm: Algorithm,
    /// The index, the training rows `[rows, dims]`, rows, dims.
    fitted: Option<(Index, Tensor<f64>, usize, usize)>,
}

impl Search {
    fn new(k: usize) -> Self {
        Search { k, weights: Weights::Uniform, metric: Metric::Euclidean, algorithm: Algorithm::Auto, fitted: None }
    }

    /// Checks `x` and `k`, then builds the index.
    fn fit(&mut self, name: &'static str, x: &Tensor<f64>, targets: usize) -> Result<(), ClassicError> {
        let (values, rows, dims) = input::matrix(&format!("{name}::fit"), x);
        input::check_targets(&format!("{name}::fit"), rows, targets);
        input::check_not_empty(name, rows)?;
        input::check_finite(name, &values, dims)?;
        if self.k == 0 {
            return Err(ClassicError::param(name, "k", "must be at least 1"));
        }
        if self.k > rows {
            return Err(ClassicError::data(
                name,
                format!("k = {} is more than the {rows} training samples; lower k or fit on more data", self.k),
            ));
        }
        let index = self.build(&values, rows, dims);
        self.fitted = Some((index, Tensor::from_vec(values, [rows, dims]), rows, dims));
        Ok(())
    }

    fn build(&self, values: &[f64], rows: usize, dims: usize) -> Index {
        let tree = match self.algorithm {
            Algorithm::Auto => dims <= TREE_MAX_FEATURES && self.k < rows / 2,
            Algorithm::Brute => false,
            Algorithm::KdTree => true,
        };
        if tree {
            Index::Tree(KdTree::build(&Tensor::from_vec(values.to_vec(), [rows, dims]), self.metric, LEAF_SIZE))
        } else {
            Index::Brute(BruteIndex::new(values, rows, dims))
        }
    }

    fn uses_tree(&self) -> bool {
        matches!(self.fitted, Some((Index::Tree(_), ..)))
    }

    /// The k nearest training rows of every row of `x`. Panics when not fitted or when `x`
    /// has the wrong width; a NaN in `x` also panics (its distances would be meaningless).
    fn kneighbors(&self, name: &str, op: &str, x: &Tensor<f64>) -> NeighbourLists {
        let op = format!("{name}::{op}");
        let (index, train, _, dims) =
            self.fitted.as_ref().unwrap_or_else(|| panic!("{op}: the model is not fitted; call fit first"));
        let (queries, _, cols) = input::matrix(&op, x);
        input::check_features(&op, *dims, cols);
        if let Some(at) = queries.iter().position(|v| !v.is_finite()) {
            panic!("{op}: x holds {} at row {}, column {}", queries[at], at / cols.max(1), at % cols.max(1));
        }
        match (index, kernel_mode()) {
            (Index::Tree(tree), _) => tree.query_rows(&queries, self.k),
            (Index::Brute(_), KernelMode::Naive) => {
                brute::naive(train.as_slice().expect("contiguous"), &queries, *dims, self.k, self.metric)
            }
            (Index::Brute(brute), KernelMode::Fast) => brute.fast(train, &queries, *dims, self.k, self.metric),
        }
    }

    /// Each neighbour's weight; rows of `k`.
    fn weights(&self, found: &NeighbourLists) -> Vec<f64> {
        match self.weights {
            Weights::Uniform => vec![1.0; found.distances.len()],
            Weights::Distance => found
                .distances
                .chunks(self.k)
                .flat_map(|row| {
                    let exact = row.contains(&0.0);
                    row.iter().map(move |&d| if exact { f64::from(u8::from(d == 0.0)) } else { 1.0 / d })
                })
                .collect(),
        }
    }

    /// `kneighbors` as scikit-learn returns it: distances and indices, `[samples, k]` each.
    fn kneighbors_tensors(&self, name: &str, x: &Tensor<f64>) -> (Tensor<f64>, Tensor<i64>) {
        let found = self.kneighbors(name, "kneighbors", x);
        let rows = found.indices.len() / self.k;
        (
            Tensor::from_vec(found.distances, [rows, self.k]),
            Tensor::from_vec(found.indices.iter().map(|&i| i as i64).collect(), [rows, self.k]),
        )
    }

    fn save(&self, state: &mut kindling_tensor::safetensors::StateDict, name: &str) {
        let (_, train, rows, dims) =
            self.fitted.as_ref().unwrap_or_else(|| panic!("{name}::to_state: the model is not fitted; call fit first"));
        debug_assert_eq!(train.shape(), &[*rows, *dims]);
        state.insert("x", train.clone());
        state.set_metadata("k", self.k.to_string());
        state.set_metadata("weights", if self.weights == Weights::Uniform { "uniform" } else { "distance" });
        state.set_metadata("metric", self.metric.as_str());
        let algorithm = match self.algorithm {
            Algorithm::Auto => "auto",
            Algorithm::Brute => "brute",
            Algorithm::KdTree => "kd_tree",
        };
        state.set_metadata("algorithm", algorithm);
    }

    fn load(state: &kindling_tensor::safetensors::StateDict) -> Result<Search, String> {
        let mut search = Search::new(input::state_meta(state, "k")?);
        search.weights = match state.metadata().get("weights").map(String::as_str) {
            Some("uniform") => Weights::Uniform,
            Some("distance") => Weights::Distance,
            other => return Err(format!("unknown weights {other:?}")),
        };
        search.metric = Metric::parse(state.metadata().get("metric").map_or("", String::as_str))?;
        search.algorithm = match state.metadata().get("algorithm").map(String::as_str) {
            Some("auto") => Algorithm::Auto,
            Some("brute") => Algorithm::Brute,
            Some("kd_tree") => Algorithm::KdTree,
            other => return Err(format!("unknown algorithm {other:?}")),
        };
        let x = input::state_f64(state, "x")?;
        if x.rank() != 2 || x.shape()[0] < search.k || search.k == 0 {
            return Err(format!("x has shape {:?}, which does not fit k = {}", x.shape(), search.k));
        }
        let (rows, dims) = (x.shape()[0], x.shape()[1]);
        let x = x.contiguous();
        let index = search.build(x.as_slice().expect("contiguous"), rows, dims);
        search.fitted = Some((index, x, rows, dims));
        Ok(search)
    }
}
