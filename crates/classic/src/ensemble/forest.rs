//! Random forests and extra trees: many trees, each grown on its own bootstrap sample (random
//! forests) or on all rows with random thresholds (extra trees), looking at a random subset of
//! the features at every node; their class probabilities (or predictions) are averaged.
//!
//! - **Bootstrap without copies.** A tree's bootstrap sample is a weight per row: how many
//!   times the row was drawn (0 for the rows left out, which are that tree's out-of-bag rows).
//!   Every tree grows from one shared [`TreeData`] (x sorted once per forest).
//! - **Threads.** Trees grow in parallel on rayon's pool (`RAYON_NUM_THREADS`). Each tree's
//!   seed is drawn in order from the forest's seed before any thread starts, so the forest is
//!   the same whatever the number of threads.
//! - **Out-of-bag score.** Each row is predicted by the trees that did not see it (probabilities
//!   averaged, as scikit-learn), scored by accuracy or R² over the rows that have such trees.
//! - **Importances** are the mean of the trees' normalised impurity importances (trees that
//!   never split left out), normalised again.
//!
//! The four estimators ([`RandomForestClassifier`], [`RandomForestRegressor`],
//! [`ExtraTreesClassifier`], [`ExtraTreesRegressor`]) are defined in `forest_models.rs` over
//! the shared `Forest` below.

pub use super::forest_models::{
    ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor,
};

use crate::input;
use crate::tree::{DecisionTreeClassifier, DecisionTreeRegressor, Tree, TreeData, TreeParams};
use crate::ClassicError;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{kernel_mode, Rng, Tensor};
use rayon::prelude::*;

/// Hyperparameters and fitted trees shared by the four forests.
#[derive(Clone, Debug)]
pub(crate) struct Forest {
    pub(crate) n_trees: usize,
    pub(crate) params: TreeParams,
    pub(crate) bootstrap: bool,
    pub(crate) oob: bool,
    pub(crate) fitted: Option<Fitted>,
}

#[derive(Clone, Debug)]
pub(crate) struct Fitted {
    pub(crate) trees: Vec<Tree>,
    /// The labels (empty for regression).
    pub(crate) classes: Vec<i64>,
    pub(crate) features: usize,
    pub(crate) oob_score: Option<f64>,
}

/// How often each row is drawn in a bootstrap sample of `n` rows.
fn bootstrap_counts(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut counts = vec![0.0; n];
    for _ in 0..n {
        counts[rng.below(n as u64) as usize] += 1.0;
    }
    counts
}

/// The targets a forest learns: coded labels or real values.
#[derive(Clone, Copy)]
pub(crate) enum Targets<'a> {
    Classes { codes: &'a [u32], classes: &'a [i64] },
    Values(&'a [f64]),
}

impl Forest {
    pub(crate) fn new(n_trees: usize, params: TreeParams, bootstrap: bool) -> Self {
        Forest { n_trees, params, bootstrap, oob: false, fitted: None }
    }

    fn tree_weights(&self, seed: u64, n: usize) -> (Vec<f64>, u64) {
        let mut rng = Rng::seed(seed);
        let weights = if self.bootstrap { bootstrap_counts(&mut rng, n) } else { vec![1.0; n] };
        (weights, rng.next_u64())
    }

    /// Grows every tree (in parallel), then the out-of-bag score when asked for.
    pub(crate) fn fit(&mut self, name: &'static str, x: &Tensor<f64>, targets: Targets) -> Result<(), ClassicError> {
        let n = x.shape()[0];
        if self.n_trees == 0 {
            return Err(ClassicError::param(name, "n_trees", "must be at least 1, got 0"));
        }
        if self.oob && !self.bootstrap {
            return Err(ClassicError::param(
                name,
                "oob_score",
                "needs bootstrap(true): without it no row is out of bag",
            ));
        }
        self.params.validate(name, x.shape()[1])?;
        let data = TreeData::new(x);
        input::check_not_empty(name, n)?;
        data.check_finite(name)?;
        let mut master = Rng::seed(self.params.seed);
        let seeds: Vec<u64> = (0..self.n_trees).map(|_| master.next_u64()).collect();
        let mode = kernel_mode();
        let grown: Result<Vec<Tree>, ClassicError> = seeds
            .par_iter()
            .map(|&seed| {
                let (weights, tree_seed) = self.tree_weights(seed, n);
                let mut params = self.params.clone();
                params.seed = tree_seed;
                match targets {
                    Targets::Classes { codes, classes } => {
                        let mut tree = DecisionTreeClassifier::with_params(params);
                        tree.fit_encoded(&data, codes, classes.to_vec(), Some(&weights), mode)?;
                        Ok(tree.into_tree().expect("fitted"))
                    }
                    Targets::Values(y) => {
                        let mut tree = DecisionTreeRegressor::with_params(params);
                        tree.fit_with_mode(&data, y, Some(&weights), mode)?;
                        Ok(tree.into_tree().expect("fitted"))
                    }
                }
            })
            .collect();
        let trees = grown.map_err(|e| match e {
            ClassicError::Data { reason, .. } => ClassicError::data(name, reason),
            ClassicError::Param { name: p, reason, .. } => ClassicError::param(name, p, reason),
            other => other,
        })?;
        let classes = match targets {
            Targets::Classes { classes, .. } => classes.to_vec(),
            Targets::Values(_) => Vec::new(),
        };
        let mut fitted = Fitted { trees, classes, features: data.features, oob_score: None };
        if self.oob {
            fitted.oob_score = Some(self.oob_score_of(&fitted, x, &seeds, targets));
        }
        self.fitted = Some(fitted);
        Ok(())
    }

    /// Accuracy or R² of the out-of-bag predictions, over the rows some tree left out.
    fn oob_score_of(&self, fitted: &Fitted, x: &Tensor<f64>, seeds: &[u64], targets: Targets) -> f64 {
        let (rows, n, d) = input::matrix("oob", x);
        let width = fitted.trees[0].width;
        let mut sums = vec![0.0; n * width];
        let mut votes = vec![0usize; n];
        for (tree, &seed) in fitted.trees.iter().zip(seeds) {
            let (weights, _) = self.tree_weights(seed, n);
            for i in (0..n).filter(|&i| weights[i] == 0.0) {
                let leaf = tree.leaf_unchecked(&rows[i * d..(i + 1) * d]);
                for (s, v) in sums[i * width..(i + 1) * width].iter_mut().zip(tree.value(leaf)) {
                    *s += v;
                }
                votes[i] += 1;
            }
        }
        let seen: Vec<usize> = (0..n).filter(|&i| votes[i] > 0).collect();
        match targets {
            Targets::Classes { codes, .. } => {
                let correct = seen
                    .iter()
                    .filter(|&&i| {
                        let row = &sums[i * width..(i + 1) * width];
                        input::argmax_rows(row, width)[0] == codes[i] as usize
                    })
                    .count();
                correct as f64 / seen.len().max(1) as f64
            }
            Targets::Values(y) => {
                let actual: Vec<f64> = seen.iter().map(|&i| y[i]).collect();
                let predicted: Vec<f64> = seen.iter().map(|&i| sums[i] / votes[i] as f64).collect();
                kindling_metrics::metrics::r2_score(&actual, &predicted)
            }
        }
    }

    pub(crate) fn fitted(&self, name: &str, op: &str) -> &Fitted {
        self.fitted.as_ref().unwrap_or_else(|| panic!("{name}::{op}: the model is not fitted; call fit first"))
    }

    /// The trees' leaf values averaged per row, `[rows × width]` row-major.
    pub(crate) fn average(&self, name: &str, op: &str, x: &Tensor<f64>) -> (Vec<f64>, usize) {
        let fitted = self.fitted(name, op);
        assert!(x.rank() == 2, "{name}::{op}: x must be [samples, features], got shape {:?}", x.shape());
        let (rows, n, d) = input::matrix(op, x);
        assert!(d == fitted.features, "{name}::{op}: fitted on {} features but x has {d}", fitted.features);
        let width = fitted.trees[0].width;
        let mut out = vec![0.0; n * width];
        let scale = 1.0 / fitted.trees.len() as f64;
        const CHUNK: usize = 64;
        out.par_chunks_mut(CHUNK * width).enumerate().for_each(|(c, block)| {
            for tree in &fitted.trees {
                for (j, acc) in block.chunks_mut(width).enumerate() {
                    let i = c * CHUNK + j;
                    let leaf = tree.leaf_unchecked(&rows[i * d..(i + 1) * d]);
                    for (a, v) in acc.iter_mut().zip(tree.value(leaf)) {
                        *a += v;
                    }
                }
            }
            block.iter_mut().for_each(|v| *v *= scale);
        });
        (out, width)
    }

    pub(crate) fn importances(&self, name: &str) -> Vec<f64> {
        let fitted = self.fitted(name, "feature_importances");
        let mut mean = vec![0.0; fitted.features];
        let grown: Vec<&Tree> = fitted.trees.iter().filter(|t| t.node_count() > 1).collect();
        for tree in &grown {
            for (m, v) in mean.iter_mut().zip(tree.feature_importances()) {
                *m += v / grown.len() as f64;
            }
        }
        let total: f64 = mean.iter().sum();
        if total > 0.0 {
            mean.iter_mut().for_each(|v| *v /= total);
        }
        mean
    }

    pub(crate) fn to_state(&self, name: &str) -> StateDict {
        let fitted = self.fitted(name, "save");
        let mut state = StateDict::new();
        self.params.save(&mut state);
        state.set_metadata("n_trees", self.n_trees.to_string());
        state.set_metadata("bootstrap", self.bootstrap.to_string());
        state.set_metadata("oob", self.oob.to_string());
        state.set_metadata("oob_score", fitted.oob_score.map_or("none".into(), |s| s.to_string()));
        state.set_metadata("fitted_trees", fitted.trees.len().to_string());
        for (i, tree) in fitted.trees.iter().enumerate() {
            tree.save(&mut state, &format!("tree{i}"));
        }
        state
    }

    pub(crate) fn from_state(state: &StateDict, classification: bool) -> Result<Forest, String> {
        use crate::input::state_meta;
        let count: usize = state_meta(state, "fitted_trees")?;
        let trees = (0..count).map(|i| Tree::load(state, &format!("tree{i}"))).collect::<Result<Vec<_>, _>>()?;
        let first = trees.first().ok_or("a forest needs at least one tree")?;
        let (features, width, classes) = (first.features, first.width, first.classes.clone());
        if trees.iter().any(|t| t.features != features || t.width != width || t.classes != classes)
            || classification == classes.is_empty()
        {
            return Err("the trees disagree on features or classes".into());
        }
        let oob_text: String = state_meta(state, "oob_score")?;
        let oob_score = if oob_text == "none" {
            None
        } else {
            Some(oob_text.parse().map_err(|_| format!("bad oob_score {oob_text:?}"))?)
        };
        Ok(Forest {
            n_trees: state_meta(state, "n_trees")?,
            params: TreeParams::load(state)?,
            bootstrap: state_meta(state, "bootstrap")?,
            oob: state_meta(state, "oob")?,
            fitted: Some(Fitted { trees, classes, features, oob_score }),
        })
    }
}
