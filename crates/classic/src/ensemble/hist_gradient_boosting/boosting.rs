//! The boosting loop both estimators share: bin the rows, start from the best constant, then
//! each round compute every sample's gradients and hessians and grow one tree per output on
//! them, stopping early when the validation loss stops improving.

use super::binning::BinMapper;
use super::grower::{self, TreeInput, TreeLimits, Workspace};
use super::histogram::{Layout, SplitRules};
use super::loss::Loss;
use super::predictor::HistTree;
use super::EarlyStopping;
use crate::model_selection::{stratified_train_test_split, train_test_split};
use crate::ClassicError;
use kindling_tensor::{kernel_mode, KernelMode};

/// The hyperparameters, shared by the classifier and the regressor.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Params {
    pub(crate) max_iter: usize,
    pub(crate) learning_rate: f64,
    pub(crate) max_leaf_nodes: Option<usize>,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_samples_leaf: usize,
    pub(crate) l2_regularization: f64,
    pub(crate) max_bins: usize,
    pub(crate) early_stopping: EarlyStopping,
    pub(crate) validation_fraction: f64,
    pub(crate) n_iter_no_change: usize,
    pub(crate) tol: f64,
    pub(crate) seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_iter: 100,
            learning_rate: 0.1,
            max_leaf_nodes: Some(31),
            max_depth: None,
            min_samples_leaf: 20,
            l2_regularization: 0.0,
            max_bins: 255,
            early_stopping: EarlyStopping::Auto,
            validation_fraction: 0.1,
            n_iter_no_change: 10,
            tol: 1e-7,
            seed: 0,
        }
    }
}

/// scikit-learn's `min_hessian_to_split`.
const MIN_HESSIAN_TO_SPLIT: f64 = 1e-3;

/// Early stopping turns on by itself above this many samples (scikit-learn's rule).
pub(crate) const AUTO_EARLY_STOPPING_ROWS: usize = 10_000;

impl Params {
    pub(crate) fn check(&self, name: &'static str) -> Result<(), ClassicError> {
        let bad = |field: &'static str, why: &str| Err(ClassicError::param(name, field, why.to_string()));
        if self.max_iter == 0 {
            return bad("max_iter", "must be at least 1");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad("learning_rate", "must be a positive number");
        }
        if self.max_leaf_nodes.is_some_and(|m| m < 2) {
            return bad("max_leaf_nodes", "must be at least 2 (or None)");
        }
        if self.max_depth == Some(0) {
            return bad("max_depth", "must be at least 1 (or None)");
        }
        if self.min_samples_leaf == 0 {
            return bad("min_samples_leaf", "must be at least 1");
        }
        if !(self.l2_regularization >= 0.0 && self.l2_regularization.is_finite()) {
            return bad("l2_regularization", "must be a finite number >= 0");
        }
        if !(2..=255).contains(&self.max_bins) {
            return bad("max_bins", "must be between 2 and 255 (bins are stored as u8)");
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return bad("validation_fraction", "must be strictly between 0 and 1");
        }
        if self.n_iter_no_change == 0 {
            return bad("n_iter_no_change", "must be at least 1");
        }
        Ok(())
    }
}

/// What a fit learned.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Booster {
    pub(crate) outputs: usize,
    pub(crate) features: usize,
    pub(crate) baseline: Vec<f64>,
    /// Round-major: round `i`'s trees are `trees[i * outputs .. (i + 1) * outputs]`.
    pub(crate) trees: Vec<HistTree>,
    pub(crate) train_score: Vec<f64>,
    pub(crate) validation_score: Vec<f64>,
}

impl Booster {
    pub(crate) fn n_iter(&self) -> usize {
        self.trees.len() / self.outputs
    }

    /// Raw predictions `[rows × outputs]` of the row-major `x` after the first `rounds` rounds.
    /// Rows go through the trees in blocks, so a block's rows and one tree's nodes stay in
    /// cache together, instead of every tree being fetched again for every row.
    pub(crate) fn raw(&self, x: &[f64], rows: usize, rounds: usize) -> Vec<f64> {
        const BLOCK: usize = 64;
        let (k, d) = (self.outputs, self.features);
        let mut raw: Vec<f64> = (0..rows).flat_map(|_| self.baseline.iter().copied()).collect();
        for (out, block) in raw.chunks_mut(BLOCK * k).zip(x.chunks(BLOCK * d)) {
            for round in self.trees[..rounds * k].chunks(k) {
                for (c, tree) in round.iter().enumerate() {
                    for (o, row) in out.chunks_mut(k).zip(block.chunks(d)) {
                        o[c] += tree.predict_row(row);
                    }
                }
            }
        }
        raw
    }

    /// Raw predictions after each round, `[rows × outputs]` each.
    pub(crate) fn staged_raw(&self, x: &[f64], rows: usize) -> Vec<Vec<f64>> {
        let k = self.outputs;
        let mut raw: Vec<f64> = (0..rows).flat_map(|_| self.baseline.iter().copied()).collect();
        let mut stages = Vec::with_capacity(self.n_iter());
        for round in self.trees.chunks(k) {
            for (r, out) in raw.chunks_mut(k).enumerate() {
                let row = &x[r * self.features..(r + 1) * self.features];
                for (o, tree) in out.iter_mut().zip(round) {
                    *o += tree.predict_row(row);
                }
            }
            stages.push(raw.clone());
        }
        stages
    }
}

/// scikit-learn's `_should_stop`: stop when none of the last `n_iter_no_change` scores beats
/// the score before them by more than `tol`.
fn should_stop(scores: &[f64], n_iter_no_change: usize, tol: f64) -> bool {
    let reference = n_iter_no_change + 1;
    if scores.len() < reference {
        return false;
    }
    let reference_score = scores[scores.len() - reference] + tol;
    !scores[scores.len() - reference + 1..].iter().any(|&s| s > reference_score)
}

/// Fits the rounds. `x` is row-major `rows × features` (finite); `y` holds the targets (class
/// codes as f64 for classification); `labels` (class codes) asks for a stratified validation
/// split.
pub(crate) fn fit(
    params: &Params,
    loss: Loss,
    x: &[f64],
    features: usize,
    y: &[f64],
    labels: Option<&[i64]>,
) -> Booster {
    let rows = y.len();
    let early = match params.early_stopping {
        EarlyStopping::Auto => rows > AUTO_EARLY_STOPPING_ROWS,
        EarlyStopping::On => true,
        EarlyStopping::Off => false,
    };
    let pick = |idx: &[usize]| -> (Vec<f64>, Vec<f64>) {
        let xs = idx.iter().flat_map(|&r| x[r * features..(r + 1) * features].iter().copied()).collect();
        (xs, idx.iter().map(|&r| y[r]).collect())
    };
    let (x_train, y_train, validation) = if early {
        let split = match labels {
            Some(labels) => stratified_train_test_split(labels, params.validation_fraction, params.seed),
            None => train_test_split(rows, params.validation_fraction, params.seed),
        };
        let (xt, yt) = pick(&split.train);
        (xt, yt, Some(pick(&split.test)))
    } else {
        (x.to_vec(), y.to_vec(), None)
    };
    let n = y_train.len();
    let mapper = BinMapper::fit(&x_train, n, features, params.max_bins, params.seed);
    let binned = mapper.transform(&x_train, n);
    let layout = Layout::new(mapper.bin_counts());
    let validation = validation.map(|(xv, yv)| (mapper.transform(&xv, yv.len()), yv));

    let k = loss.outputs();
    let baseline = loss.baseline(&y_train);
    let mut raw: Vec<f64> = (0..n).flat_map(|_| baseline.iter().copied()).collect();
    let mut raw_val: Vec<f64> = validation
        .as_ref()
        .map_or(Vec::new(), |(_, yv)| (0..yv.len()).flat_map(|_| baseline.iter().copied()).collect());
    let mut train_score = Vec::new();
    let mut validation_score = Vec::new();
    let record = |raw: &[f64], raw_val: &[f64], train: &mut Vec<f64>, val: &mut Vec<f64>| {
        train.push(-loss.mean_loss(&y_train, raw));
        if let Some((_, yv)) = &validation {
            val.push(-loss.mean_loss(yv, raw_val));
        }
    };
    if early {
        record(&raw, &raw_val, &mut train_score, &mut validation_score);
    }

    let limits = TreeLimits {
        max_leaf_nodes: params.max_leaf_nodes,
        max_depth: params.max_depth,
        rules: SplitRules {
            min_samples_leaf: params.min_samples_leaf as u32,
            min_hessian_to_split: MIN_HESSIAN_TO_SPLIT,
            l2_regularization: params.l2_regularization,
            constant_hessian: loss.constant_hessian(),
        },
        shrinkage: params.learning_rate,
    };
    let naive = kernel_mode() == KernelMode::Naive;
    let mut grad = vec![0f32; n * k];
    let mut hess = if loss.constant_hessian() { Vec::new() } else { vec![0f32; n * k] };
    let mut ws = Workspace::default();
    let mut trees = Vec::with_capacity(params.max_iter * k);
    for _ in 0..params.max_iter {
        loss.gradients(&y_train, &raw, &mut grad, &mut hess);
        for c in 0..k {
            let input = TreeInput {
                binned: &binned,
                layout: &layout,
                mapper: &mapper,
                grad: &grad[c * n..(c + 1) * n],
                hess: if hess.is_empty() { &[] } else { &hess[c * n..(c + 1) * n] },
                naive,
            };
            let (tree, leaves) = grower::grow(&input, &limits, &mut ws);
            for leaf in &leaves {
                for &r in &ws.rows[leaf.start..leaf.stop] {
                    raw[r as usize * k + c] += leaf.value;
                }
            }
            if let Some((bv, _)) = &validation {
                for r in 0..bv.rows {
                    raw_val[r * k + c] += tree.predict_binned(bv, r);
                }
            }
            trees.push(tree);
        }
        if early {
            record(&raw, &raw_val, &mut train_score, &mut validation_score);
            let scores = if validation.is_some() { &validation_score } else { &train_score };
            if should_stop(scores, params.n_iter_no_change, params.tol) {
                break;
            }
        }
    }
    Booster { outputs: k, features, baseline, trees, train_score, validation_score }
}

#[cfg(test)]
mod tests {
    use super::should_stop;

    #[test]
    fn stops_when_the_last_scores_do_not_improve() {
        assert!(!should_stop(&[0.0, 1.0], 2, 0.0));
        assert!(!should_stop(&[0.0, 1.0, 1.0], 2, 0.0));
        assert!(should_stop(&[1.0, 1.0, 1.0], 2, 0.0));
        assert!(should_stop(&[1.0, 1.0, 1.05], 2, 0.1));
    }
}
