//! [`Tree`]: the fitted structure, shared by the single trees, the forests and boosting.

use crate::input::{state_f64, state_i64};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// Marks "no child" (a leaf) in `left` / `right`.
pub(crate) const LEAF: usize = usize::MAX;

/// A fitted binary tree stored as parallel arrays indexed by node id (root 0), as
/// scikit-learn's `tree_`: a row goes left at node `i` when `x[feature(i)] <= threshold(i)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    pub(crate) features: usize,
    /// Values per node: the number of classes, or 1 for regression.
    pub(crate) width: usize,
    /// The class labels of a classification tree (empty for regression), for drawings.
    pub(crate) classes: Vec<i64>,
    pub(crate) left: Vec<usize>,
    pub(crate) right: Vec<usize>,
    pub(crate) feature: Vec<usize>,
    pub(crate) threshold: Vec<f64>,
    pub(crate) impurity: Vec<f64>,
    pub(crate) samples: Vec<usize>,
    pub(crate) weighted_samples: Vec<f64>,
    /// `values[node * width ..][..width]`.
    pub(crate) values: Vec<f64>,
}

impl Tree {
    pub(crate) fn empty(features: usize, width: usize, classes: Vec<i64>) -> Tree {
        Tree {
            features,
            width,
            classes,
            left: Vec::new(),
            right: Vec::new(),
            feature: Vec::new(),
            threshold: Vec::new(),
            impurity: Vec::new(),
            samples: Vec::new(),
            weighted_samples: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Appends a leaf and returns its id (it becomes a split node through `make_split`).
    pub(crate) fn push_leaf(&mut self, impurity: f64, samples: usize, weighted: f64, value: &[f64]) -> usize {
        debug_assert_eq!(value.len(), self.width);
        self.left.push(LEAF);
        self.right.push(LEAF);
        self.feature.push(0);
        self.threshold.push(0.0);
        self.impurity.push(impurity);
        self.samples.push(samples);
        self.weighted_samples.push(weighted);
        self.values.extend_from_slice(value);
        self.left.len() - 1
    }

    /// Number of nodes (splits and leaves).
    pub fn node_count(&self) -> usize {
        self.left.len()
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> usize {
        self.left.iter().filter(|&&l| l == LEAF).count()
    }

    /// The depth of the deepest leaf (a lone root has depth 0).
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(0usize, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            if !self.is_leaf(node) {
                stack.push((self.left[node], depth + 1));
                stack.push((self.right[node], depth + 1));
            }
        }
        deepest
    }

    /// Number of features the tree was fitted on.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Whether `node` is a leaf.
    pub fn is_leaf(&self, node: usize) -> bool {
        self.left[node] == LEAF
    }

    /// The children of a split node (`None` for a leaf).
    pub fn children(&self, node: usize) -> Option<(usize, usize)> {
        (!self.is_leaf(node)).then(|| (self.left[node], self.right[node]))
    }

    /// The feature and threshold of a split node (`None` for a leaf).
    pub fn split(&self, node: usize) -> Option<(usize, f64)> {
        (!self.is_leaf(node)).then(|| (self.feature[node], self.threshold[node]))
    }

    /// The node's impurity (Gini, entropy or variance of its training samples).
    pub fn impurity(&self, node: usize) -> f64 {
        self.impurity[node]
    }

    /// How many training samples reached the node, and their total weight.
    pub fn samples(&self, node: usize) -> (usize, f64) {
        (self.samples[node], self.weighted_samples[node])
    }

    /// The node's prediction: the class weight fractions of a classification tree (in the
    /// order of the classifier's `classes()`), `[mean]` for regression.
    pub fn value(&self, node: usize) -> &[f64] {
        &self.values[node * self.width..(node + 1) * self.width]
    }

    /// Replaces a node's value (boosting's Newton step rewrites its leaves this way). Panics
    /// when the length is not the tree's value width.
    pub fn set_value(&mut self, node: usize, value: &[f64]) {
        assert!(
            value.len() == self.width,
            "Tree::set_value: node values have {} entries but {} were given",
            self.width,
            value.len()
        );
        self.values[node * self.width..(node + 1) * self.width].copy_from_slice(value);
    }

    /// The leaf `row` ends in.
    pub fn leaf_of(&self, row: &[f64]) -> usize {
        assert!(
            row.len() == self.features,
            "Tree::leaf_of: the tree was fitted on {} features but the row has {}",
            self.features,
            row.len()
        );
        self.leaf_unchecked(row)
    }

    #[inline]
    pub(crate) fn leaf_unchecked(&self, row: &[f64]) -> usize {
        let mut node = 0;
        while self.left[node] != LEAF {
            node = if row[self.feature[node]] <= self.threshold[node] { self.left[node] } else { self.right[node] };
        }
        node
    }

    /// The leaf of each row of `x` (`[samples, features]`).
    pub fn apply(&self, x: &Tensor<f64>) -> Vec<usize> {
        let (values, _, d) = crate::input::matrix("Tree::apply", x);
        assert!(d == self.features, "Tree::apply: the tree was fitted on {} features but x has {d}", self.features);
        values.chunks(d.max(1)).map(|row| self.leaf_unchecked(row)).collect()
    }

    /// The weighted impurity decrease each feature brings, summed over the splits and divided
    /// by the root's weight (not normalised).
    pub(crate) fn raw_importances(&self) -> Vec<f64> {
        let mut importances = vec![0.0; self.features];
        for node in 0..self.node_count() {
            if let Some((l, r)) = self.children(node) {
                importances[self.feature[node]] += self.weighted_samples[node] * self.impurity[node]
                    - self.weighted_samples[l] * self.impurity[l]
                    - self.weighted_samples[r] * self.impurity[r];
            }
        }
        let root = self.weighted_samples.first().copied().unwrap_or(1.0);
        importances.iter_mut().for_each(|v| *v /= root);
        importances
    }

    /// The importances normalised to sum to 1 (all zeros for a lone root), as scikit-learn's
    /// `feature_importances_`.
    pub fn feature_importances(&self) -> Vec<f64> {
        let mut importances = self.raw_importances();
        let total: f64 = importances.iter().sum();
        if total > 0.0 {
            importances.iter_mut().for_each(|v| *v /= total);
        }
        importances
    }

    /// The tree as tensors (under `prefix.`) and its sizes as metadata.
    pub(crate) fn save(&self, state: &mut StateDict, prefix: &str) {
        let n = self.node_count();
        let ids =
            |v: &[usize]| Tensor::from_vec(v.iter().map(|&i| if i == LEAF { -1 } else { i as i64 }).collect(), [n]);
        state.insert(format!("{prefix}.left"), ids(&self.left));
        state.insert(format!("{prefix}.right"), ids(&self.right));
        state.insert(format!("{prefix}.feature"), ids(&self.feature));
        state.insert(format!("{prefix}.samples"), ids(&self.samples));
        state.insert(format!("{prefix}.threshold"), Tensor::from_vec(self.threshold.clone(), [n]));
        state.insert(format!("{prefix}.impurity"), Tensor::from_vec(self.impurity.clone(), [n]));
        state.insert(format!("{prefix}.weighted_samples"), Tensor::from_vec(self.weighted_samples.clone(), [n]));
        state.insert(format!("{prefix}.values"), Tensor::from_vec(self.values.clone(), [n, self.width]));
        let k = self.classes.len();
        state.insert(format!("{prefix}.classes"), Tensor::from_vec(self.classes.clone(), [k]));
        state.insert(format!("{prefix}.features"), Tensor::from_vec(vec![self.features as i64], [1]));
    }

    pub(crate) fn load(state: &StateDict, prefix: &str) -> Result<Tree, String> {
        let sub = state.sub(prefix);
        let ids = |name: &str| -> Result<Vec<usize>, String> {
            Ok(state_i64(&sub, name)?.into_iter().map(|i| if i < 0 { LEAF } else { i as usize }).collect())
        };
        let values = state_f64(&sub, "values")?;
        let width = *values.shape().get(1).ok_or("values must be [nodes, width]")?;
        let tree = Tree {
            features: *state_i64(&sub, "features")?.first().ok_or("features is empty")? as usize,
            width,
            classes: state_i64(&sub, "classes")?,
            left: ids("left")?,
            right: ids("right")?,
            feature: ids("feature")?,
            threshold: state_f64(&sub, "threshold")?.to_vec(),
            impurity: state_f64(&sub, "impurity")?.to_vec(),
            samples: ids("samples")?,
            weighted_samples: state_f64(&sub, "weighted_samples")?.to_vec(),
            values: values.to_vec(),
        };
        let n = tree.left.len();
        let lengths = [tree.right.len(), tree.feature.len(), tree.threshold.len(), tree.samples.len()];
        if n == 0 || lengths.iter().any(|&l| l != n) || tree.values.len() != n * width {
            return Err(format!("the arrays under {prefix:?} disagree on the number of nodes"));
        }
        // Children come after their parent in both growth orders, so a walk always ends.
        let child_ok = |(node, &c): (usize, &usize)| c == LEAF || (c > node && c < n);
        if !tree.left.iter().enumerate().chain(tree.right.iter().enumerate()).all(child_ok)
            || tree.feature.iter().zip(&tree.left).any(|(&f, &l)| l != LEAF && f >= tree.features)
        {
            return Err(format!("the tree under {prefix:?} points outside itself"));
        }
        Ok(tree)
    }
}
