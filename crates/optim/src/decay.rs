//! Weight decay on matrices only: the parameter split GPT-style models are trained with.

use kindling_autograd::Variable;
use kindling_tensor::Float;

use crate::adam::{AdamW, AdamWConfig};
use crate::Optim;

/// Named parameters split by whether weight decay should shrink them.
#[derive(Clone, Debug)]
pub struct DecaySplit<T: Float = f32> {
    /// Every parameter of rank ≥ 2: the weight matrices of linear layers, attention
    /// projections, and embedding tables.
    pub decay: Vec<(String, Variable<T>)>,
    /// Every parameter of rank 0 or 1: biases and normalisation gains and shifts.
    pub no_decay: Vec<(String, Variable<T>)>,
}

impl<T: Float> DecaySplit<T> {
    /// The number of scalars in each group, `(decayed, not decayed)`.
    pub fn numels(&self) -> (usize, usize) {
        let count = |group: &[(String, Variable<T>)]| group.iter().map(|(_, p)| p.numel()).sum();
        (count(&self.decay), count(&self.no_decay))
    }
}

/// Splits `named` (a module's `named_parameters()`) into the parameters weight decay should
/// shrink and the ones it should leave alone, by rank alone: matrices (rank ≥ 2) are decayed,
/// vectors and scalars are not.
///
/// Decay pulls weights toward 0. That is a sensible prior for a matrix, whose scale the
/// following layers can absorb, but not for a bias (its right value is wherever the data puts
/// it) or a LayerNorm gain (whose natural value is 1). Embedding tables are 2-D, so they are
/// decayed, as nanoGPT decays them; with tied weights the table is also the output layer's
/// matrix. Frozen parameters are left out (the optimizer would skip them anyway), and a
/// parameter that appears twice under two names (tied weights) is kept once, under its first
/// name.
pub fn split_for_weight_decay<T: Float>(named: impl IntoIterator<Item = (String, Variable<T>)>) -> DecaySplit<T> {
    let mut split = DecaySplit { decay: Vec::new(), no_decay: Vec::new() };
    let mut seen: Vec<Variable<T>> = Vec::new();
    for (name, param) in named {
        if !param.requires_grad() || seen.iter().any(|p| p.same_as(&param)) {
            continue;
        }
        seen.push(param.clone());
        if param.shape().len() >= 2 {
            split.decay.push((name, param));
        } else {
            split.no_decay.push((name, param));
        }
    }
    split
}

/// AdamW with `config.weight_decay` on the matrices of `named` (group 0) and no decay on the
/// rest (group 1, only when there is a rest), as [`split_for_weight_decay`] splits them; both
/// groups share every other hyperparameter. Panics, naming the function, when `named` holds no
/// matrix.
pub fn adamw_decay_matrices<T: Float>(
    named: impl IntoIterator<Item = (String, Variable<T>)>,
    config: AdamWConfig,
) -> AdamW<T> {
    let split = split_for_weight_decay(named);
    if split.decay.is_empty() {
        panic!(
            "adamw_decay_matrices: no parameter of rank >= 2 to decay ({} vectors or scalars); use AdamW::new",
            split.no_decay.len()
        );
    }
    let mut optimizer = Optim::new(split.decay.into_iter().map(|(_, p)| p), config);
    if !split.no_decay.is_empty() {
        optimizer
            .add_param_group(split.no_decay.into_iter().map(|(_, p)| p), AdamWConfig { weight_decay: 0.0, ..config });
    }
    optimizer
}
