//! [`DecisionTreeRegressor`]: CART with squared error.

use super::classifier::check_fit_input;
use super::data::TreeData;
use super::grow::grow;
use super::split::Task;
use super::structure::Tree;
use super::{tree_builders, Criterion, TreeParams};
use crate::input;
use crate::{ClassicError, Persist, Regressor, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{kernel_mode, KernelMode, Tensor};

const NAME: &str = "DecisionTreeRegressor";

/// A regression tree, as scikit-learn's `DecisionTreeRegressor`: each split lowers the
/// weighted variance of the targets most; a leaf predicts the weighted mean of its samples.
///
/// ```
/// use kindling_classic::tree::DecisionTreeRegressor;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]);
/// let y = [1.0, 1.2, 0.8, 5.0, 5.2, 4.8];
/// let mut tree = DecisionTreeRegressor::new().max_depth(Some(1));
/// tree.fit(&x, &y).unwrap();
/// assert_eq!(tree.tree().split(0), Some((0, 2.5)));
/// let predicted = tree.predict(&Tensor::from([[1.0], [4.0]]));
/// assert!((predicted[0] - 1.0).abs() < 1e-12 && (predicted[1] - 5.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct DecisionTreeRegressor {
    pub(crate) params: TreeParams,
    tree: Option<Tree>,
}

impl Default for DecisionTreeRegressor {
    fn default() -> Self {
        Self::new()
    }
}

impl DecisionTreeRegressor {
    /// Squared error, no depth limit, every feature, best thresholds, seed 0.
    pub fn new() -> Self {
        DecisionTreeRegressor { params: TreeParams::new(Criterion::SquaredError), tree: None }
    }

    tree_builders!();

    /// `fit` with a weight per row (a row of weight 0 is left out).
    pub fn fit_weighted(&mut self, x: &Tensor<f64>, y: &[f64], sample_weight: &[f64]) -> Result<(), ClassicError> {
        input::check_targets(&format!("{NAME}::fit_weighted"), x.shape()[0], y.len());
        self.fit_prepared(&TreeData::new(x), y, Some(sample_weight))
    }

    /// `fit` on rows prepared once with [`TreeData::new`] (for ensembles fitting many trees).
    pub fn fit_prepared(
        &mut self,
        data: &TreeData,
        y: &[f64],
        sample_weight: Option<&[f64]>,
    ) -> Result<(), ClassicError> {
        self.fit_with_mode(data, y, sample_weight, kernel_mode())
    }

    /// A tree with these hyperparameters (the forests' template).
    pub(crate) fn with_params(params: TreeParams) -> Self {
        DecisionTreeRegressor { params, tree: None }
    }

    /// The fitted tree, taken out of the model.
    pub(crate) fn into_tree(self) -> Option<Tree> {
        self.tree
    }

    /// `fit_prepared` with the kernel mode given (forests read it once, on the calling thread).
    pub(crate) fn fit_with_mode(
        &mut self,
        data: &TreeData,
        y: &[f64],
        sample_weight: Option<&[f64]>,
        mode: KernelMode,
    ) -> Result<(), ClassicError> {
        input::check_targets(&format!("{NAME}::fit"), data.rows, y.len());
        if self.params.criterion != Criterion::SquaredError {
            return Err(ClassicError::param(NAME, "criterion", "must be SquaredError for regression"));
        }
        if let Some(at) = y.iter().position(|v| !v.is_finite()) {
            return Err(ClassicError::data(NAME, format!("y[{at}] is {}; drop or impute that target", y[at])));
        }
        let ones;
        let weights = match sample_weight {
            Some(w) => w,
            None => {
                ones = vec![1.0; data.rows];
                &ones
            }
        };
        check_fit_input(NAME, &self.params, data, weights)?;
        let task = Task { criterion: Criterion::SquaredError, classes: 0, codes: &[], targets: y, weights };
        self.tree = Some(grow(data, &task, &self.params, Vec::new(), mode));
        Ok(())
    }

    /// The fitted tree. Panics before `fit`.
    pub fn tree(&self) -> &Tree {
        self.tree.as_ref().unwrap_or_else(|| panic!("{NAME}::tree: the model is not fitted; call fit first"))
    }

    /// The fitted tree, to rewrite leaf values (boosting). Panics before `fit`.
    pub fn tree_mut(&mut self) -> &mut Tree {
        self.tree.as_mut().unwrap_or_else(|| panic!("{NAME}::tree_mut: the model is not fitted; call fit first"))
    }

    /// Each feature's share of the total weighted variance decrease (sums to 1).
    pub fn feature_importances(&self) -> Vec<f64> {
        self.tree().feature_importances()
    }
}

impl Supervised for DecisionTreeRegressor {
    type Target = f64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        input::check_targets(&format!("{NAME}::fit"), x.shape()[0], y.len());
        self.fit_prepared(&TreeData::new(x), y, None)
    }

    /// The weighted mean target of each row's leaf.
    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        let tree =
            self.tree.as_ref().unwrap_or_else(|| panic!("{NAME}::predict: the model is not fitted; call fit first"));
        assert!(x.rank() == 2, "{NAME}::predict: x must be [samples, features], got shape {:?}", x.shape());
        input::check_features(&format!("{NAME}::predict"), tree.features, x.shape()[1]);
        tree.apply(x).into_iter().map(|leaf| tree.value(leaf)[0]).collect()
    }
}

impl Regressor for DecisionTreeRegressor {}

impl Persist for DecisionTreeRegressor {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        self.params.save(&mut state);
        self.tree().save(&mut state, "tree");
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let tree = Tree::load(state, "tree")?;
        if tree.width != 1 {
            return Err("a regression tree holds one value per node".into());
        }
        Ok(DecisionTreeRegressor { params: TreeParams::load(state)?, tree: Some(tree) })
    }
}
