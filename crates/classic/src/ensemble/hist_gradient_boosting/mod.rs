//! Histogram-based gradient boosting, in the manner of LightGBM and scikit-learn's
//! `HistGradientBoostingClassifier` / `HistGradientBoostingRegressor`.
//!
//! The pieces, in the order a fit uses them:
//! - [`binning`]: each feature cut into at most `max_bins` (255) quantile bins, stored as `u8`,
//!   column-major (scikit-learn's `_BinMapper` cut points, exactly);
//! - [`loss`]: the starting constant and each round's gradients and hessians (squared error,
//!   binary and multinomial log loss; `K` trees per round for `K` classes);
//! - [`histogram`]: per node, per feature, per bin: (Σ gradient, Σ hessian, count); the best
//!   split of a feature is one scan of its bins with the second-order gain; a child's histogram
//!   is built from its rows only when it is the smaller child, the larger is parent − smaller;
//! - [`grower`]: leaf-wise (best-first) growth to `max_leaf_nodes` (31) leaves, with optional
//!   `max_depth`; leaf values `−G / (H + λ)` times the learning rate;
//! - early stopping on a validation split (scikit-learn's `"auto"`: on above 10 000 samples,
//!   10% held out, stratified for classifiers; stop when the validation loss has not improved
//!   by `tol` in `n_iter_no_change` rounds).
//!
//! The naive twin: under `KernelMode::Naive` (`kindling_tensor::with_kernel_mode`, or
//! `KINDLING_KERNELS=naive`) the grower finds each node's split by rescanning its rows for every
//! feature and threshold, with no histograms and no subtraction; it grows the same trees.
//!
//! Missing values are not supported: `fit` refuses NaN and infinities with an error that says
//! to impute them first (scikit-learn would send them to a bin of their own).
//!
//! Speed: `cargo run --release -p kindling-classic --example classic_vs_sklearn` (with
//! `tools/peers/classic_compare.py --only HistGradientBoosting`) times both sides, one thread.

pub mod binning;
mod boosting;
mod classifier;
pub mod grower;
pub mod histogram;
pub mod loss;
mod predictor;
mod regressor;
mod state;

pub use classifier::HistGradientBoostingClassifier;
pub use predictor::HistTree;
pub use regressor::HistGradientBoostingRegressor;

/// When to stop adding rounds early (scikit-learn's `early_stopping`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EarlyStopping {
    /// On when the training set has more than 10 000 samples.
    #[default]
    Auto,
    /// Always: hold out `validation_fraction` of the rows and watch their loss.
    On,
    /// Never: run all `max_iter` rounds on all the rows.
    Off,
}

/// The builder methods both estimators share; each sets one field of `self.params`.
macro_rules! hist_gb_builders {
    () => {
        /// The number of boosting rounds (at most, with early stopping). Default 100.
        pub fn max_iter(mut self, max_iter: usize) -> Self {
            self.params.max_iter = max_iter;
            self
        }

        /// The shrinkage applied to every leaf value. Default 0.1.
        pub fn learning_rate(mut self, learning_rate: f64) -> Self {
            self.params.learning_rate = learning_rate;
            self
        }

        /// The most leaves a tree grows (`None`: no limit). Default `Some(31)`.
        pub fn max_leaf_nodes(mut self, max_leaf_nodes: Option<usize>) -> Self {
            self.params.max_leaf_nodes = max_leaf_nodes;
            self
        }

        /// The deepest a leaf may be, in edges from the root (`None`: no limit). Default `None`.
        pub fn max_depth(mut self, max_depth: Option<usize>) -> Self {
            self.params.max_depth = max_depth;
            self
        }

        /// The fewest training rows a leaf may hold. Default 20.
        pub fn min_samples_leaf(mut self, min_samples_leaf: usize) -> Self {
            self.params.min_samples_leaf = min_samples_leaf;
            self
        }

        /// λ, added to the hessian sum of every leaf. Default 0.
        pub fn l2_regularization(mut self, l2_regularization: f64) -> Self {
            self.params.l2_regularization = l2_regularization;
            self
        }

        /// The most bins per feature, 2 to 255. Default 255.
        pub fn max_bins(mut self, max_bins: usize) -> Self {
            self.params.max_bins = max_bins;
            self
        }

        /// When to stop early. Default [`EarlyStopping::Auto`](crate::ensemble::EarlyStopping::Auto).
        pub fn early_stopping(mut self, early_stopping: $crate::ensemble::EarlyStopping) -> Self {
            self.params.early_stopping = early_stopping;
            self
        }

        /// The share of rows held out to watch for early stopping. Default 0.1.
        pub fn validation_fraction(mut self, validation_fraction: f64) -> Self {
            self.params.validation_fraction = validation_fraction;
            self
        }

        /// Rounds without improvement before stopping. Default 10.
        pub fn n_iter_no_change(mut self, n_iter_no_change: usize) -> Self {
            self.params.n_iter_no_change = n_iter_no_change;
            self
        }

        /// The least improvement of the validation score that counts. Default 1e-7.
        pub fn tol(mut self, tol: f64) -> Self {
            self.params.tol = tol;
            self
        }

        /// The seed of the validation split and the quantile subsample. Default 0.
        pub fn seed(mut self, seed: u64) -> Self {
            self.params.seed = seed;
            self
        }

        /// The number of rounds the fit ran (less than `max_iter` when it stopped early).
        pub fn n_iter(&self) -> usize {
            self.fitted("n_iter").n_iter()
        }

        /// Minus the mean training loss before the first round and after each round; empty
        /// unless early stopping was on (as scikit-learn's `train_score_`).
        pub fn train_score(&self) -> &[f64] {
            &self.fitted("train_score").train_score
        }

        /// Minus the mean validation loss before the first round and after each round; empty
        /// unless early stopping was on.
        pub fn validation_score(&self) -> &[f64] {
            &self.fitted("validation_score").validation_score
        }

        /// The trees, round by round (one per round, or one per class per round).
        pub fn trees(&self) -> &[HistTree] {
            &self.fitted("trees").trees
        }
    };
}
pub(crate) use hist_gb_builders;
