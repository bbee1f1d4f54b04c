//! Gradient boosting with exact (presorted) tree splits, as scikit-learn's
//! `GradientBoostingClassifier` and `GradientBoostingRegressor`.
//!
//! Both start from a constant raw prediction F₀ (the mean target, or the log-odds of the class
//! priors) and add, stage after stage, a regression tree fitted to the negative gradient of
//! the loss at the current F, shrunk by the learning rate: `F ← F + ν · tree(x)`. For squared
//! error the negative gradient is the residual `y − F` and a leaf's value is its mean residual.
//! For log loss the tree is fitted to `y − p`, and each leaf then takes one Newton step,
//! `Σ(y − p) / Σ p(1 − p)` over its rows (times (K − 1)/K with K classes, a factor scikit-learn
//! keeps from Friedman's paper). With K > 2 classes every stage fits K trees, one per class.

mod classifier;
mod regressor;
pub(crate) mod support;

pub use classifier::GradientBoostingClassifier;
pub use regressor::GradientBoostingRegressor;

use crate::tree::{DecisionTreeRegressor, MaxFeatures, TreeData};
use crate::{ClassicError, Persist};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};
use support::{check_positive, nest_state, sample_mask, state_f64, state_meta, unnest_state};

/// The hyperparameters both estimators share (scikit-learn's defaults).
#[derive(Clone, Debug)]
struct Config {
    n_estimators: usize,
    learning_rate: f64,
    max_depth: Option<usize>,
    min_samples_split: usize,
    min_samples_leaf: usize,
    max_features: MaxFeatures,
    subsample: f64,
    seed: u64,
}

impl Config {
    fn new(n_estimators: usize) -> Self {
        Config {
            n_estimators,
            learning_rate: 0.1,
            max_depth: Some(3),
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::All,
            subsample: 1.0,
            seed: 0,
        }
    }

    fn check(&self, name: &'static str) -> Result<(), ClassicError> {
        if self.n_estimators == 0 {
            return Err(ClassicError::param(name, "n_estimators", "must be at least 1, got 0"));
        }
        check_positive(name, "learning_rate", self.learning_rate)?;
        if !(self.subsample > 0.0 && self.subsample <= 1.0) {
            return Err(ClassicError::param(name, "subsample", format!("must be in (0, 1], got {}", self.subsample)));
        }
        Ok(())
    }

    fn tree(&self, seed: u64) -> DecisionTreeRegressor {
        DecisionTreeRegressor::new()
            .max_depth(self.max_depth)
            .min_samples_split(self.min_samples_split)
            .min_samples_leaf(self.min_samples_leaf)
            .max_features(self.max_features)
            .seed(seed)
    }

    fn save(&self, state: &mut StateDict) {
        state.set_metadata("n_estimators", self.n_estimators.to_string());
        state.set_metadata("learning_rate", self.learning_rate.to_string());
        state.set_metadata("max_depth", self.max_depth.map_or("none".to_string(), |d| d.to_string()));
        state.set_metadata("min_samples_split", self.min_samples_split.to_string());
        state.set_metadata("min_samples_leaf", self.min_samples_leaf.to_string());
        state.set_metadata("subsample", self.subsample.to_string());
        let features = match &self.max_features {
            MaxFeatures::All => "all".to_string(),
            MaxFeatures::Sqrt => "sqrt".to_string(),
            MaxFeatures::Log2 => "log2".to_string(),
            MaxFeatures::Count(n) => format!("count:{n}"),
            MaxFeatures::Fraction(f) => format!("fraction:{f}"),
        };
        state.set_metadata("max_features", features);
        state.set_metadata("seed", self.seed.to_string());
    }

    /// The configuration back from [`Config::save`].
    fn load(state: &StateDict) -> Result<Self, String> {
        let depth: String = state_meta(state, "max_depth")?;
        let features: String = state_meta(state, "max_features")?;
        let bad = || format!("max_features {features:?} does not parse");
        let max_features = match features.split_once(':') {
            None if features == "all" => MaxFeatures::All,
            None if features == "sqrt" => MaxFeatures::Sqrt,
            None if features == "log2" => MaxFeatures::Log2,
            Some(("count", n)) => MaxFeatures::Count(n.parse().map_err(|_| bad())?),
            Some(("fraction", f)) => MaxFeatures::Fraction(f.parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        };
        Ok(Config {
            n_estimators: state_meta(state, "n_estimators")?,
            learning_rate: state_meta(state, "learning_rate")?,
            max_depth: if depth == "none" {
                None
            } else {
                Some(depth.parse().map_err(|_| format!("max_depth {depth:?} does not parse"))?)
            },
            min_samples_split: state_meta(state, "min_samples_split")?,
            min_samples_leaf: state_meta(state, "min_samples_leaf")?,
            max_features,
            subsample: state_meta(state, "subsample")?,
            seed: state_meta(state, "seed")?,
        })
    }
}

/// The loss being boosted, with what each needs to know.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Loss {
    /// Half squared error; one tree per stage.
    Squared,
    /// Log loss of two classes; one tree per stage on the second class's log-odds.
    Binomial,
    /// Log loss of K > 2 classes; K trees per stage.
    Multinomial(usize),
}

impl Loss {
    /// Trees per stage, the width of a row of raw predictions.
    fn width(self) -> usize {
        match self {
            Loss::Multinomial(k) => k,
            _ => 1,
        }
    }
}

/// What a fit learns: the initial raw prediction and the trees, stage-major.
#[derive(Clone, Debug)]
struct Ensemble {
    features: usize,
    width: usize,
    learning_rate: f64,
    init: Vec<f64>,
    trees: Vec<DecisionTreeRegressor>,
    train_score: Vec<f64>,
}

impl Ensemble {
    fn stages(&self) -> usize {
        self.trees.len() / self.width
    }

    /// Raw predictions `[samples × width]` after each stage, passed to `visit(stage, raw)`.
    fn visit_stages(&self, x: &Tensor<f64>, mut visit: impl FnMut(usize, &[f64])) {
        // One row-major copy of x serves every tree (`Tree::apply` would copy it per tree).
        let values = x.contiguous().to_vec();
        let rows = x.shape()[0];
        let mut raw: Vec<f64> = (0..rows).flat_map(|_| self.init.iter().copied()).collect();
        for (stage, trees) in self.trees.chunks(self.width).enumerate() {
            for (k, tree) in trees.iter().enumerate() {
                let fitted = tree.tree();
                for (i, row) in values.chunks(self.features.max(1)).enumerate() {
                    raw[i * self.width + k] += self.learning_rate * fitted.value(fitted.leaf_of(row))[0];
                }
            }
            visit(stage, &raw);
        }
    }

    fn raw(&self, x: &Tensor<f64>) -> Vec<f64> {
        let mut last = Vec::new();
        let stages = self.stages();
        self.visit_stages(x, |stage, raw| {
            if stage + 1 == stages {
                last = raw.to_vec();
            }
        });
        last
    }

    /// scikit-learn's importances: each tree's weighted impurity decreases per feature, over
    /// the root's weight, averaged over the trees that split at all, normalised to sum 1.
    fn feature_importances(&self) -> Vec<f64> {
        let mut total = vec![0.0; self.features];
        for tree in self.trees.iter().map(|t| t.tree()).filter(|t| t.node_count() > 1) {
            let root_weight = tree.samples(0).1;
            let weighted = |node: usize| tree.samples(node).1 * tree.impurity(node);
            for node in 0..tree.node_count() {
                if let (Some((left, right)), Some((feature, _))) = (tree.children(node), tree.split(node)) {
                    total[feature] += (weighted(node) - weighted(left) - weighted(right)) / root_weight;
                }
            }
        }
        let sum: f64 = total.iter().sum();
        if sum > 0.0 {
            total.iter_mut().for_each(|t| *t /= sum);
        }
        total
    }

    fn save(&self, state: &mut StateDict) {
        state.insert("init", Tensor::from_slice(&self.init));
        state.insert("train_score", Tensor::from_slice(&self.train_score));
        for (i, tree) in self.trees.iter().enumerate() {
            nest_state(state, &format!("tree{i}"), &tree.to_state());
        }
        state.set_metadata("features", self.features.to_string());
        state.set_metadata("trees", self.trees.len().to_string());
    }

    fn load(state: &StateDict, learning_rate: f64) -> Result<Self, String> {
        let init = state_f64(state, "init")?;
        let count: usize = state_meta(state, "trees")?;
        let trees = (0..count)
            .map(|i| DecisionTreeRegressor::from_state(&unnest_state(state, &format!("tree{i}"))))
            .collect::<Result<Vec<_>, _>>()?;
        if init.is_empty() || trees.is_empty() || trees.len() % init.len() != 0 {
            return Err(format!("{} trees do not make whole stages of {}", trees.len(), init.len()));
        }
        Ok(Ensemble {
            features: state_meta(state, "features")?,
            width: init.len(),
            learning_rate,
            init,
            trees,
            train_score: state_f64(state, "train_score")?,
        })
    }
}

/// The targets of one fit: real values, or class codes with the loss that fits them.
enum Targets<'a> {
    Real(&'a [f64]),
    Codes(&'a [usize], Loss),
}

/// Boosts `config.n_estimators` stages on `x` (already checked) and returns what was learned.
fn boost(
    config: &Config,
    x: &Tensor<f64>,
    targets: Targets<'_>,
    sample_weight: Option<&[f64]>,
) -> Result<Ensemble, ClassicError> {
    let rows = x.shape()[0];
    let weight: Vec<f64> = sample_weight.map_or_else(|| vec![1.0; rows], <[f64]>::to_vec);
    let loss = match targets {
        Targets::Real(_) => Loss::Squared,
        Targets::Codes(_, loss) => loss,
    };
    let width = loss.width();
    let init = initial_raw(&targets, &weight);
    let mut raw: Vec<f64> = (0..rows).flat_map(|_| init.iter().copied()).collect();
    // The presort is done once and shared by every tree of every stage.
    let data = TreeData::new(x);
    let mut rng = Rng::seed(config.seed);
    let in_bag = ((config.subsample * rows as f64) as usize).max(1);
    let mut trees = Vec::with_capacity(config.n_estimators * width);
    let mut train_score = Vec::with_capacity(config.n_estimators);
    let values = x.contiguous().to_vec();
    let features = x.shape()[1].max(1);
    let mut neg_gradient = vec![0.0; rows * width];
    let mut column = vec![0.0; rows];
    let unweighted = sample_weight.is_none() && config.subsample >= 1.0;
    for _ in 0..config.n_estimators {
        let mask = if config.subsample < 1.0 { sample_mask(rows, in_bag, &mut rng) } else { vec![true; rows] };
        let bag_weight: Vec<f64> = weight.iter().zip(&mask).map(|(w, &m)| if m { *w } else { 0.0 }).collect();
        // The gradient at the start of the stage serves all of its K trees, as in scikit-learn.
        let probability = negative_gradient(&targets, &raw, width, &mut neg_gradient);
        for k in 0..width {
            column.iter_mut().enumerate().for_each(|(i, c)| *c = neg_gradient[i * width + k]);
            let mut tree = config.tree(rng.next_u64());
            tree.fit_prepared(&data, &column, if unweighted { None } else { Some(&bag_weight) })?;
            let leaves: Vec<usize> = values.chunks(features).map(|row| tree.tree().leaf_of(row)).collect();
            if loss != Loss::Squared {
                newton_leaves(&mut tree, &leaves, &column, &probability, k, width, &bag_weight, loss);
            }
            let fitted = tree.tree();
            for (i, &leaf) in leaves.iter().enumerate() {
                raw[i * width + k] += config.learning_rate * fitted.value(leaf)[0];
            }
            trees.push(tree);
        }
        train_score.push(training_loss(&targets, &raw, width, &bag_weight));
    }
    Ok(Ensemble { features: x.shape()[1], width, learning_rate: config.learning_rate, init, trees, train_score })
}

/// F₀: the weighted mean for squared error, the log-odds of the prior for two classes, and
/// `ln p_k − mean_j ln p_j` for K classes (scikit-learn's symmetric multinomial link), with the
/// priors clipped to [ε, 1 − ε].
fn initial_raw(targets: &Targets<'_>, weight: &[f64]) -> Vec<f64> {
    let total: f64 = weight.iter().sum();
    match *targets {
        Targets::Real(y) => vec![y.iter().zip(weight).map(|(v, w)| v * w).sum::<f64>() / total],
        Targets::Codes(codes, loss) => {
            let classes = loss.width().max(2);
            let mut prior = vec![0.0; classes];
            codes.iter().zip(weight).for_each(|(&c, w)| prior[c] += w);
            let prior: Vec<f64> = prior.iter().map(|p| (p / total).clamp(f64::EPSILON, 1.0 - f64::EPSILON)).collect();
            if loss == Loss::Binomial {
                vec![(prior[1] / (1.0 - prior[1])).ln()]
            } else {
                let logs: Vec<f64> = prior.iter().map(|p| p.ln()).collect();
                let mean = logs.iter().sum::<f64>() / classes as f64;
                logs.iter().map(|l| l - mean).collect()
            }
        }
    }
}

/// Fills `out` with the negative gradient (`y − F` or `y_k − p_k`) and returns the
/// probabilities behind it (empty for squared error).
fn negative_gradient(targets: &Targets<'_>, raw: &[f64], width: usize, out: &mut [f64]) -> Vec<f64> {
    match *targets {
        Targets::Real(y) => {
            out.iter_mut().zip(y.iter().zip(raw)).for_each(|(g, (y, f))| *g = y - f);
            Vec::new()
        }
        Targets::Codes(codes, loss) => {
            let mut probability = raw.to_vec();
            if loss == Loss::Binomial {
                probability.iter_mut().for_each(|p| *p = expit(*p));
            } else {
                support::softmax_rows(&mut probability, width);
            }
            for (i, &c) in codes.iter().enumerate() {
                for k in 0..width {
                    let hit = if loss == Loss::Binomial { c == 1 } else { c == k };
                    out[i * width + k] = f64::from(u8::from(hit)) - probability[i * width + k];
                }
            }
            probability
        }
    }
}

/// The Newton step in each leaf: `Σ w(y − p) / Σ w p(1 − p)` over its in-bag rows, times
/// (K − 1)/K for K classes; 0 where the denominator vanishes (scikit-learn's `_safe_divide`).
#[allow(clippy::too_many_arguments)]
fn newton_leaves(
    tree: &mut DecisionTreeRegressor,
    leaves: &[usize],
    neg_gradient: &[f64],
    probability: &[f64],
    k: usize,
    width: usize,
    weight: &[f64],
    loss: Loss,
) {
    let nodes = tree.tree().node_count();
    let mut numerator = vec![0.0; nodes];
    let mut denominator = vec![0.0; nodes];
    let mut seen = vec![false; nodes];
    for (i, &leaf) in leaves.iter().enumerate() {
        seen[leaf] = true;
        let p = probability[i * width + k];
        numerator[leaf] += weight[i] * neg_gradient[i];
        denominator[leaf] += weight[i] * p * (1.0 - p);
    }
    let factor = match loss {
        Loss::Multinomial(classes) => (classes as f64 - 1.0) / classes as f64,
        _ => 1.0,
    };
    for leaf in (0..nodes).filter(|&n| seen[n]) {
        let step = if denominator[leaf].abs() < 1e-150 { 0.0 } else { numerator[leaf] * factor / denominator[leaf] };
        tree.tree_mut().set_value(leaf, &[step]);
    }
}

/// scikit-learn's `train_score_`: the weighted mean loss over the in-bag rows, as its older
/// losses counted it (twice the half squared error and twice the binomial log loss, the plain
/// multinomial log loss).
fn training_loss(targets: &Targets<'_>, raw: &[f64], width: usize, weight: &[f64]) -> f64 {
    let total: f64 = weight.iter().sum();
    let sum: f64 = match *targets {
        Targets::Real(y) => y.iter().zip(raw).zip(weight).map(|((y, f), w)| w * (y - f) * (y - f)).sum(),
        Targets::Codes(codes, Loss::Binomial) => codes
            .iter()
            .zip(raw)
            .zip(weight)
            .map(|((&c, &f), w)| 2.0 * w * (log1p_exp(f) - if c == 1 { f } else { 0.0 }))
            .sum(),
        Targets::Codes(codes, _) => codes
            .iter()
            .zip(raw.chunks(width))
            .zip(weight)
            .map(|((&c, row), w)| {
                let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let lse = top + row.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
                w * (lse - row[c])
            })
            .sum(),
    };
    sum / total
}

/// The logistic function 1 / (1 + e^(−t)), stable for large |t|.
fn expit(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^t), stable for large |t|.
fn log1p_exp(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}
