//! The four forest estimators over [`Forest`](super::forest): random forests and extra trees,
//! for classes and for real values.

use super::forest::{Forest, Targets};
use crate::input;
use crate::tree::{Criterion, MaxFeatures, Splitter, Tree, TreeParams};
use crate::{ClassicError, Classifier, Persist, PredictProba, Regressor, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// Builders, accessors and `Persist` shared by the four forests.
macro_rules! forest_common {
    ($ty:ident, $name:literal, $classification:expr) => {
        impl $ty {
            /// Trees look at this many features per node.
            pub fn max_features(mut self, max_features: MaxFeatures) -> Self {
                self.forest.params.max_features = max_features;
                self
            }

            /// The deepest a leaf may lie; `None` (default) grows until leaves are pure.
            pub fn max_depth(mut self, depth: Option<usize>) -> Self {
                self.forest.params.max_depth = depth;
                self
            }

            /// The fewest samples each child of a split must keep (default 1).
            pub fn min_samples_leaf(mut self, n: usize) -> Self {
                self.forest.params.min_samples_leaf = n;
                self
            }

            /// The fewest samples a node needs to be split (default 2).
            pub fn min_samples_split(mut self, n: usize) -> Self {
                self.forest.params.min_samples_split = n;
                self
            }

            /// At most this many leaves per tree, grown best-first.
            pub fn max_leaf_nodes(mut self, n: Option<usize>) -> Self {
                self.forest.params.max_leaf_nodes = n;
                self
            }

            /// Each tree's sample: a bootstrap (rows drawn with replacement) or all rows.
            pub fn bootstrap(mut self, bootstrap: bool) -> Self {
                self.forest.bootstrap = bootstrap;
                self
            }

            /// Whether `fit` computes the out-of-bag score (needs `bootstrap(true)`).
            pub fn oob_score(mut self, oob: bool) -> Self {
                self.forest.oob = oob;
                self
            }

            /// The forest's seed: every tree's bootstrap and feature draws derive from it.
            pub fn seed(mut self, seed: u64) -> Self {
                self.forest.params.seed = seed;
                self
            }

            /// The out-of-bag score (accuracy or R²) when `oob_score(true)`, else `None`.
            /// Panics before `fit`.
            pub fn oob_score_value(&self) -> Option<f64> {
                self.forest.fitted($name, "oob_score_value").oob_score
            }

            /// The fitted trees. Panics before `fit`.
            pub fn trees(&self) -> &[Tree] {
                &self.forest.fitted($name, "trees").trees
            }

            /// The trees' normalised importances averaged, normalised to sum to 1.
            pub fn feature_importances(&self) -> Vec<f64> {
                self.forest.importances($name)
            }
        }

        impl Persist for $ty {
            const KIND: &'static str = $name;

            fn to_state(&self) -> StateDict {
                self.forest.to_state($name)
            }

            fn from_state(state: &StateDict) -> Result<Self, String> {
                Ok($ty { forest: Forest::from_state(state, $classification)? })
            }
        }
    };
}

/// A classification forest.
macro_rules! classifier {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $splitter:expr, $bootstrap:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $ty {
            forest: Forest,
        }

        impl $ty {
            /// `n_trees` trees with scikit-learn's defaults: Gini, √features per node, no depth
            /// limit, seed 0.
            pub fn new(n_trees: usize) -> Self {
                let mut params = TreeParams::new(Criterion::Gini);
                params.max_features = MaxFeatures::Sqrt;
                params.splitter = $splitter;
                $ty { forest: Forest::new(n_trees, params, $bootstrap) }
            }

            /// Gini or entropy.
            pub fn criterion(mut self, criterion: Criterion) -> Self {
                self.forest.params.criterion = criterion;
                self
            }
        }

        forest_common!($ty, $name, true);

        impl Supervised for $ty {
            type Target = i64;

            fn name(&self) -> &'static str {
                $name
            }

            fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
                input::check_targets(concat!($name, "::fit"), x.shape()[0], y.len());
                if self.forest.params.criterion == Criterion::SquaredError {
                    return Err(ClassicError::param($name, "criterion", "must be Gini or Entropy for classification"));
                }
                let (classes, codes) = input::encode_labels(y);
                let codes: Vec<u32> = codes.into_iter().map(|c| c as u32).collect();
                self.forest.fit($name, x, Targets::Classes { codes: &codes, classes: &classes })
            }

            /// The class with the largest averaged probability (the smallest label on a tie).
            fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
                let (proba, width) = self.forest.average($name, "predict", x);
                let classes = &self.forest.fitted($name, "predict").classes;
                input::argmax_rows(&proba, width).into_iter().map(|c| classes[c]).collect()
            }
        }

        impl Classifier for $ty {
            fn classes(&self) -> &[i64] {
                &self.forest.fitted($name, "classes").classes
            }
        }

        impl PredictProba for $ty {
            /// The trees' class fractions averaged (scikit-learn's soft vote).
            fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
                let (proba, width) = self.forest.average($name, "predict_proba", x);
                let rows = proba.len() / width;
                Tensor::from_vec(proba, [rows, width])
            }
        }
    };
}

/// A regression forest.
macro_rules! regressor {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $splitter:expr, $bootstrap:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $ty {
            forest: Forest,
        }

        impl $ty {
            /// `n_trees` trees with scikit-learn's defaults: squared error, every feature per
            /// node, no depth limit, seed 0.
            pub fn new(n_trees: usize) -> Self {
                let mut params = TreeParams::new(Criterion::SquaredError);
                params.splitter = $splitter;
                $ty { forest: Forest::new(n_trees, params, $bootstrap) }
            }
        }

        forest_common!($ty, $name, false);

        impl Supervised for $ty {
            type Target = f64;

            fn name(&self) -> &'static str {
                $name
            }

            fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
                input::check_targets(concat!($name, "::fit"), x.shape()[0], y.len());
                self.forest.fit($name, x, Targets::Values(y))
            }

            /// The trees' predictions averaged.
            fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
                self.forest.average($name, "predict", x).0
            }
        }

        impl Regressor for $ty {}
    };
}

classifier!(
    /// A random forest of classification trees, as scikit-learn's `RandomForestClassifier`:
    /// bootstrap samples, √features per node, probabilities averaged.
    ///
    /// ```
    /// use kindling_classic::ensemble::RandomForestClassifier;
    /// use kindling_classic::Supervised;
    /// use kindling_tensor::Tensor;
    ///
    /// let x = Tensor::from([[0.0, 0.1], [0.2, 0.0], [0.1, 0.3], [1.0, 0.9], [0.9, 1.1], [1.2, 1.0]]);
    /// let y = [0, 0, 0, 1, 1, 1];
    /// let mut forest = RandomForestClassifier::new(25).oob_score(true).seed(1);
    /// forest.fit(&x, &y).unwrap();
    /// assert_eq!(forest.predict(&Tensor::from([[0.1, 0.1], [1.1, 1.0]])), vec![0, 1]);
    /// assert!(forest.oob_score_value().is_some());
    /// ```
    RandomForestClassifier,
    "RandomForestClassifier",
    Splitter::Best,
    true
);

classifier!(
    /// Extremely randomised trees for classification, as scikit-learn's
    /// `ExtraTreesClassifier`: every tree sees all rows, each node draws one random threshold
    /// per visited feature and keeps the best.
    ///
    /// ```
    /// use kindling_classic::ensemble::ExtraTreesClassifier;
    /// use kindling_classic::Supervised;
    /// use kindling_tensor::Tensor;
    ///
    /// let x = Tensor::from([[0.0, 0.1], [0.2, 0.0], [0.1, 0.3], [1.0, 0.9], [0.9, 1.1], [1.2, 1.0]]);
    /// let mut forest = ExtraTreesClassifier::new(20);
    /// forest.fit(&x, &[0, 0, 0, 1, 1, 1]).unwrap();
    /// assert_eq!(forest.predict(&x), vec![0, 0, 0, 1, 1, 1]);
    /// ```
    ExtraTreesClassifier,
    "ExtraTreesClassifier",
    Splitter::Random,
    false
);

regressor!(
    /// A random forest of regression trees, as scikit-learn's `RandomForestRegressor`:
    /// bootstrap samples, every feature per node (scikit-learn 1.x's default), predictions
    /// averaged.
    ///
    /// ```
    /// use kindling_classic::ensemble::RandomForestRegressor;
    /// use kindling_classic::Supervised;
    /// use kindling_tensor::Tensor;
    ///
    /// let x = Tensor::from_vec((0..40).map(|i| i as f64 / 4.0).collect(), [40, 1]);
    /// let y: Vec<f64> = (0..40).map(|i| if i < 20 { 1.0 } else { 3.0 }).collect();
    /// let mut forest = RandomForestRegressor::new(10);
    /// forest.fit(&x, &y).unwrap();
    /// let p = forest.predict(&Tensor::from([[1.0], [9.0]]));
    /// assert!((p[0] - 1.0).abs() < 0.2 && (p[1] - 3.0).abs() < 0.2);
    /// ```
    RandomForestRegressor,
    "RandomForestRegressor",
    Splitter::Best,
    true
);

regressor!(
    /// Extremely randomised trees for regression, as scikit-learn's `ExtraTreesRegressor`.
    ///
    /// ```
    /// use kindling_classic::ensemble::ExtraTreesRegressor;
    /// use kindling_classic::Supervised;
    /// use kindling_tensor::Tensor;
    ///
    /// let x = Tensor::from_vec((0..40).map(|i| i as f64 / 4.0).collect(), [40, 1]);
    /// let y: Vec<f64> = (0..40).map(|i| if i < 20 { 1.0 } else { 3.0 }).collect();
    /// let mut forest = ExtraTreesRegressor::new(10);
    /// forest.fit(&x, &y).unwrap();
    /// assert!((forest.predict(&Tensor::from([[9.0]]))[0] - 3.0).abs() < 0.2);
    /// ```
    ExtraTreesRegressor,
    "ExtraTreesRegressor",
    Splitter::Random,
    false
);
