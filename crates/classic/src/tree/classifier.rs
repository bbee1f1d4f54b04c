//! [`DecisionTreeClassifier`]: CART with Gini or entropy.

use super::data::TreeData;
use super::grow::grow;
use super::split::Task;
use super::structure::Tree;
use super::{tree_builders, Criterion, TreeParams};
use crate::input;
use crate::{ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{kernel_mode, KernelMode, Tensor};

const NAME: &str = "DecisionTreeClassifier";

/// A classification tree, as scikit-learn's `DecisionTreeClassifier` (see the [module
/// docs](super) for thresholds, growth order and ties).
///
/// ```
/// use kindling_classic::tree::{Criterion, DecisionTreeClassifier};
/// use kindling_classic::{PredictProba, Supervised};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[0.0, 1.0], [1.0, 1.0], [2.0, 0.0], [3.0, 0.0]]);
/// let mut tree = DecisionTreeClassifier::new().criterion(Criterion::Entropy).max_depth(Some(2));
/// tree.fit(&x, &[0, 0, 1, 1]).unwrap();
/// assert_eq!(tree.predict(&Tensor::from([[0.5, 1.0], [2.5, 0.0]])), vec![0, 1]);
/// assert_eq!(tree.tree().split(0), Some((0, 1.5)));
/// assert_eq!(tree.predict_proba(&Tensor::from([[3.0, 0.0]])).to_vec(), vec![0.0, 1.0]);
/// print!("{}", tree.tree().export_text(None));
/// ```
#[derive(Clone, Debug)]
pub struct DecisionTreeClassifier {
    pub(crate) params: TreeParams,
    tree: Option<Tree>,
}

impl Default for DecisionTreeClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl DecisionTreeClassifier {
    /// Gini, no depth limit, every feature, best thresholds, seed 0 (scikit-learn's defaults).
    pub fn new() -> Self {
        DecisionTreeClassifier { params: TreeParams::new(Criterion::Gini), tree: None }
    }

    tree_builders!();

    /// `fit` with a weight per row (a row of weight 0 is left out; weight 2 counts twice).
    pub fn fit_weighted(&mut self, x: &Tensor<f64>, y: &[i64], sample_weight: &[f64]) -> Result<(), ClassicError> {
        input::check_targets(&format!("{NAME}::fit_weighted"), x.shape()[0], y.len());
        self.fit_prepared(&TreeData::new(x), y, Some(sample_weight))
    }

    /// `fit` on rows prepared once with [`TreeData::new`] (for ensembles fitting many trees).
    pub fn fit_prepared(
        &mut self,
        data: &TreeData,
        y: &[i64],
        sample_weight: Option<&[f64]>,
    ) -> Result<(), ClassicError> {
        input::check_targets(&format!("{NAME}::fit"), data.rows, y.len());
        let (classes, codes) = input::encode_labels(y);
        let codes: Vec<u32> = codes.into_iter().map(|c| c as u32).collect();
        self.fit_encoded(data, &codes, classes, sample_weight, kernel_mode())
    }

    /// The fit behind every entry: labels already coded as positions in `classes`.
    pub(crate) fn fit_encoded(
        &mut self,
        data: &TreeData,
        codes: &[u32],
        classes: Vec<i64>,
        sample_weight: Option<&[f64]>,
        mode: KernelMode,
    ) -> Result<(), ClassicError> {
        if self.params.criterion == Criterion::SquaredError {
            return Err(ClassicError::param(NAME, "criterion", "must be Gini or Entropy for classification"));
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
        let task = Task { criterion: self.params.criterion, classes: classes.len(), codes, targets: &[], weights };
        self.tree = Some(grow(data, &task, &self.params, classes, mode));
        Ok(())
    }

    /// A tree with these hyperparameters (the forests' template).
    pub(crate) fn with_params(params: TreeParams) -> Self {
        DecisionTreeClassifier { params, tree: None }
    }

    /// The fitted tree, taken out of the model.
    pub(crate) fn into_tree(self) -> Option<Tree> {
        self.tree
    }

    /// The fitted tree. Panics before `fit`.
    pub fn tree(&self) -> &Tree {
        self.tree.as_ref().unwrap_or_else(|| panic!("{NAME}::tree: the model is not fitted; call fit first"))
    }

    /// Each feature's share of the total weighted impurity decrease (sums to 1), as
    /// scikit-learn's `feature_importances_`.
    pub fn feature_importances(&self) -> Vec<f64> {
        self.tree().feature_importances()
    }

    fn fitted(&self, op: &str, x: &Tensor<f64>) -> &Tree {
        let tree =
            self.tree.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"));
        assert!(x.rank() == 2, "{NAME}::{op}: x must be [samples, features], got shape {:?}", x.shape());
        input::check_features(&format!("{NAME}::{op}"), tree.features, x.shape()[1]);
        tree
    }
}

/// The checks every tree fit makes before growing: hyperparameters, rows, finite values,
/// weights.
pub(crate) fn check_fit_input(
    name: &'static str,
    params: &TreeParams,
    data: &TreeData,
    weights: &[f64],
) -> Result<(), ClassicError> {
    assert!(
        weights.len() == data.rows,
        "{name}::fit: x has {} rows but sample_weight has {} values",
        data.rows,
        weights.len()
    );
    params.validate(name, data.features)?;
    input::check_not_empty(name, data.rows)?;
    if data.features == 0 {
        return Err(ClassicError::data(name, "x has no features; a tree needs at least one column to split on"));
    }
    data.check_finite(name)?;
    if let Some(at) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(ClassicError::data(
            name,
            format!("sample_weight[{at}] is {}; weights must be finite and ≥ 0", weights[at]),
        ));
    }
    if !weights.iter().any(|&w| w > 0.0) {
        return Err(ClassicError::data(name, "every sample_weight is 0; give at least one row a positive weight"));
    }
    Ok(())
}

impl Supervised for DecisionTreeClassifier {
    type Target = i64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        input::check_targets(&format!("{NAME}::fit"), x.shape()[0], y.len());
        self.fit_prepared(&TreeData::new(x), y, None)
    }

    /// The class with the largest weight fraction in the row's leaf (the smallest label on a
    /// tie).
    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let tree = self.fitted("predict", x);
        let leaves = tree.apply(x);
        let argmax =
            input::argmax_rows(&leaves.iter().flat_map(|&l| tree.value(l).to_vec()).collect::<Vec<_>>(), tree.width);
        argmax.into_iter().map(|c| tree.classes[c]).collect()
    }
}

impl Classifier for DecisionTreeClassifier {
    fn classes(&self) -> &[i64] {
        &self.tree().classes
    }
}

impl PredictProba for DecisionTreeClassifier {
    /// The class weight fractions of each row's leaf.
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let tree = self.fitted("predict_proba", x);
        let leaves = tree.apply(x);
        let values: Vec<f64> = leaves.iter().flat_map(|&l| tree.value(l).iter().copied()).collect();
        Tensor::from_vec(values, [leaves.len(), tree.width])
    }
}

impl Persist for DecisionTreeClassifier {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        self.params.save(&mut state);
        self.tree().save(&mut state, "tree");
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let tree = Tree::load(state, "tree")?;
        if tree.classes.len() != tree.width || tree.classes.is_empty() {
            return Err("the classes do not match the node values".into());
        }
        Ok(DecisionTreeClassifier { params: TreeParams::load(state)?, tree: Some(tree) })
    }
}
