//! Decision trees (CART) for classification and regression, as scikit-learn's
//! `DecisionTreeClassifier` and `DecisionTreeRegressor`.
//!
//! A tree is grown from the root: each node looks for the one question "is feature f ≤ t?"
//! that lowers the weighted impurity of its children most (Gini or entropy for classes,
//! squared error for real values), and stops at a pure node, a depth or size limit, or when no
//! split helps enough. Leaves predict the weighted class fractions (or mean) of their samples.
//!
//! - **Thresholds** are midpoints `a/2 + b/2` between consecutive distinct values of the node,
//!   as scikit-learn computes them; values closer than 1e-7 count as equal.
//! - **Growth** is depth-first (children numbered in preorder) unless `max_leaf_nodes` is set,
//!   then best-first: the open node whose split lowers impurity most is split next.
//! - **Ties** between equal-gain splits go to the feature visited first, then the smallest
//!   threshold. With `MaxFeatures::All` and the best splitter features are visited in index
//!   order (no randomness at all); otherwise in a random order drawn from the seed per node.
//!   scikit-learn always draws a random order, so its tie-breaking depends on its seed.
//! - **Missing values** are not supported: a NaN or infinity in `x` makes `fit` return an error
//!   (impute first). (Some libraries route missing values to the better child; this one does
//!   not.)
//! - **The split search** ([`TreeData`]) sorts every feature once per fit and partitions the
//!   sorted lists as nodes split, so no node sorts again; under `KernelMode::Naive` each node
//!   re-sorts its samples per feature instead (the readable twin, tested to grow the same tree).

mod classifier;
mod data;
mod export;
mod grow;
mod regressor;
mod split;
mod structure;

pub use classifier::DecisionTreeClassifier;
pub use data::TreeData;
pub use regressor::DecisionTreeRegressor;
pub use structure::Tree;

use crate::ClassicError;

/// What a split lowers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criterion {
    /// 1 − Σ pₖ² over the classes.
    Gini,
    /// −Σ pₖ log₂ pₖ (information gain).
    Entropy,
    /// The weighted variance of the targets (regression).
    SquaredError,
}

/// How many features each node looks at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MaxFeatures {
    /// Every feature.
    All,
    /// ⌊√features⌋ (at least 1).
    Sqrt,
    /// ⌊log₂ features⌋ (at least 1).
    Log2,
    /// A fixed number (at most the number of features).
    Count(usize),
    /// ⌊fraction · features⌋ (at least 1); the fraction lies in (0, 1].
    Fraction(f64),
}

/// How a node picks its threshold for a feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Splitter {
    /// The best midpoint (CART).
    Best,
    /// One threshold drawn uniformly between the node's smallest and largest value (extra
    /// trees); the best of those over the features visited wins.
    Random,
}

impl Criterion {
    fn as_str(self) -> &'static str {
        match self {
            Criterion::Gini => "gini",
            Criterion::Entropy => "entropy",
            Criterion::SquaredError => "squared_error",
        }
    }

    fn parse(text: &str) -> Result<Criterion, String> {
        match text {
            "gini" => Ok(Criterion::Gini),
            "entropy" => Ok(Criterion::Entropy),
            "squared_error" => Ok(Criterion::SquaredError),
            other => Err(format!("unknown criterion {other:?}")),
        }
    }
}

impl MaxFeatures {
    /// The number of features a node visits out of `features`.
    pub fn resolve(self, features: usize) -> usize {
        let n = match self {
            MaxFeatures::All => features,
            MaxFeatures::Sqrt => (features as f64).sqrt() as usize,
            MaxFeatures::Log2 => (features as f64).log2() as usize,
            MaxFeatures::Count(k) => k,
            MaxFeatures::Fraction(f) => (f * features as f64) as usize,
        };
        n.clamp(1, features.max(1))
    }
}

/// The hyperparameters every tree shares (the estimators' builders set them).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TreeParams {
    pub(crate) criterion: Criterion,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_samples_split: usize,
    pub(crate) min_samples_leaf: usize,
    pub(crate) max_features: MaxFeatures,
    pub(crate) max_leaf_nodes: Option<usize>,
    pub(crate) min_impurity_decrease: f64,
    pub(crate) splitter: Splitter,
    pub(crate) seed: u64,
}

impl TreeParams {
    pub(crate) fn new(criterion: Criterion) -> Self {
        TreeParams {
            criterion,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::All,
            max_leaf_nodes: None,
            min_impurity_decrease: 0.0,
            splitter: Splitter::Best,
            seed: 0,
        }
    }

    /// `Err` for a hyperparameter out of range (checked at fit, where `features` is known).
    pub(crate) fn validate(&self, estimator: &'static str, features: usize) -> Result<(), ClassicError> {
        let bad = |name, reason: String| Err(ClassicError::param(estimator, name, reason));
        if self.max_depth == Some(0) {
            return bad("max_depth", "must be at least 1 (or None for no limit), got 0".into());
        }
        if self.min_samples_split < 2 {
            return bad("min_samples_split", format!("must be at least 2, got {}", self.min_samples_split));
        }
        if self.min_samples_leaf < 1 {
            return bad("min_samples_leaf", "must be at least 1, got 0".into());
        }
        if let Some(n) = self.max_leaf_nodes {
            if n < 2 {
                return bad("max_leaf_nodes", format!("must be at least 2 (or None for no limit), got {n}"));
            }
        }
        if self.min_impurity_decrease.is_nan() || self.min_impurity_decrease < 0.0 {
            return bad("min_impurity_decrease", format!("must be ≥ 0, got {}", self.min_impurity_decrease));
        }
        match self.max_features {
            MaxFeatures::Count(k) if k == 0 || k > features => {
                bad("max_features", format!("Count({k}) must lie between 1 and the {features} features"))
            }
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                bad("max_features", format!("Fraction({f}) must lie in (0, 1]"))
            }
            _ => Ok(()),
        }
    }

    /// The hyperparameters as metadata, for saved models.
    pub(crate) fn save(&self, state: &mut kindling_tensor::safetensors::StateDict) {
        let opt = |v: Option<usize>| v.map_or("none".to_string(), |v| v.to_string());
        state.set_metadata("criterion", self.criterion.as_str());
        state.set_metadata("max_depth", opt(self.max_depth));
        state.set_metadata("min_samples_split", self.min_samples_split.to_string());
        state.set_metadata("min_samples_leaf", self.min_samples_leaf.to_string());
        let features = match self.max_features {
            MaxFeatures::All => "all".to_string(),
            MaxFeatures::Sqrt => "sqrt".to_string(),
            MaxFeatures::Log2 => "log2".to_string(),
            MaxFeatures::Count(k) => format!("count:{k}"),
            MaxFeatures::Fraction(f) => format!("fraction:{f}"),
        };
        state.set_metadata("max_features", features);
        state.set_metadata("max_leaf_nodes", opt(self.max_leaf_nodes));
        state.set_metadata("min_impurity_decrease", self.min_impurity_decrease.to_string());
        let splitter = if self.splitter == Splitter::Best { "best" } else { "random" };
        state.set_metadata("splitter", splitter);
        state.set_metadata("seed", self.seed.to_string());
    }

    pub(crate) fn load(state: &kindling_tensor::safetensors::StateDict) -> Result<TreeParams, String> {
        use crate::input::state_meta;
        let opt = |key: &str| -> Result<Option<usize>, String> {
            let text: String = state_meta(state, key)?;
            if text == "none" {
                return Ok(None);
            }
            text.parse().map(Some).map_err(|_| format!("the metadata {key:?} = {text:?} does not parse"))
        };
        let features: String = state_meta(state, "max_features")?;
        let max_features = match features.split_once(':') {
            None if features == "all" => MaxFeatures::All,
            None if features == "sqrt" => MaxFeatures::Sqrt,
            None if features == "log2" => MaxFeatures::Log2,
            Some(("count", k)) => MaxFeatures::Count(k.parse().map_err(|_| format!("bad max_features {features:?}"))?),
            Some(("fraction", f)) => {
                MaxFeatures::Fraction(f.parse().map_err(|_| format!("bad max_features {features:?}"))?)
            }
            _ => return Err(format!("unknown max_features {features:?}")),
        };
        let splitter = match state_meta::<String>(state, "splitter")?.as_str() {
            "best" => Splitter::Best,
            "random" => Splitter::Random,
            other => return Err(format!("unknown splitter {other:?}")),
        };
        Ok(TreeParams {
            criterion: Criterion::parse(&state_meta::<String>(state, "criterion")?)?,
            max_depth: opt("max_depth")?,
            min_samples_split: state_meta(state, "min_samples_split")?,
            min_samples_leaf: state_meta(state, "min_samples_leaf")?,
            max_features,
            max_leaf_nodes: opt("max_leaf_nodes")?,
            min_impurity_decrease: state_meta(state, "min_impurity_decrease")?,
            splitter,
            seed: state_meta(state, "seed")?,
        })
    }
}

/// Builder methods shared by the two trees (and reused by the forests' docs).
macro_rules! tree_builders {
    () => {
        /// The impurity a split lowers.
        pub fn criterion(mut self, criterion: $crate::tree::Criterion) -> Self {
            self.params.criterion = criterion;
            self
        }

        /// The deepest a leaf may lie (root at depth 0); `None` grows until leaves are pure.
        pub fn max_depth(mut self, depth: Option<usize>) -> Self {
            self.params.max_depth = depth;
            self
        }

        /// The fewest samples a node needs to be split (default 2).
        pub fn min_samples_split(mut self, n: usize) -> Self {
            self.params.min_samples_split = n;
            self
        }

        /// The fewest samples each child of a split must keep (default 1).
        pub fn min_samples_leaf(mut self, n: usize) -> Self {
            self.params.min_samples_leaf = n;
            self
        }

        /// How many features each node looks at (default all).
        pub fn max_features(mut self, max_features: $crate::tree::MaxFeatures) -> Self {
            self.params.max_features = max_features;
            self
        }

        /// At most this many leaves, grown best-first; `None` (default) grows depth-first.
        pub fn max_leaf_nodes(mut self, n: Option<usize>) -> Self {
            self.params.max_leaf_nodes = n;
            self
        }

        /// A node splits only when its split lowers the total weighted impurity by at least
        /// this much (scikit-learn's `min_impurity_decrease`; default 0).
        pub fn min_impurity_decrease(mut self, decrease: f64) -> Self {
            self.params.min_impurity_decrease = decrease;
            self
        }

        /// Best thresholds (CART, default) or random ones (extra trees).
        pub fn splitter(mut self, splitter: $crate::tree::Splitter) -> Self {
            self.params.splitter = splitter;
            self
        }

        /// The seed of the feature order and random thresholds.
        pub fn seed(mut self, seed: u64) -> Self {
            self.params.seed = seed;
            self
        }
    };
}
pub(crate) use tree_builders;
