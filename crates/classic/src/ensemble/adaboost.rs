//! AdaBoost (SAMME): shallow trees fitted one after another on reweighted rows, each voting
//! with a weight that grows with its accuracy.

use super::gradient_boosting::support::{
    argmax_rows, check_features, check_fit_input, check_positive, encode_classes, nest_state, softmax_rows, state_f64,
    state_i64, state_meta, unnest_state,
};
use crate::tree::{DecisionTreeClassifier, TreeData};
use crate::{ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};

const NAME: &str = "AdaBoostClassifier";

/// AdaBoost for several classes by SAMME, as scikit-learn's `AdaBoostClassifier`.
///
/// Every row starts with the weight 1/n. Round m fits a tree to the weighted rows; its
/// weighted error `err` gives it the say `αₘ = learning_rate · (ln((1 − err)/err) + ln(K − 1))`
/// (the `ln(K − 1)` makes "better than chance" mean `err < 1 − 1/K` with K classes), and the
/// rows it got wrong have their weights multiplied by `exp(αₘ)` before the next round. A
/// prediction is the class with the largest sum of the trees' weighted votes. Boosting stops
/// early, as scikit-learn does, after a tree that makes no error on the weighted rows (it is
/// kept, with say 1) or before keeping one no better than chance.
///
/// The trees are depth-1 stumps unless [`AdaBoostClassifier::estimator`] gives another
/// configuration; each gets its own seed drawn from `seed`.
///
/// ```
/// use kindling_classic::ensemble::AdaBoostClassifier;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// // Class 1 sits between two stretches of class 0: no single stump can fit it.
/// let x = Tensor::from_vec((0..12).map(f64::from).collect(), [12, 1]);
/// let y = [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0];
/// let mut model = AdaBoostClassifier::new(20);
/// model.fit(&x, &y).unwrap();
/// assert_eq!(model.predict(&x), y.to_vec());
/// assert!(model.estimator_weights().len() > 1);
/// ```
#[derive(Clone, Debug)]
pub struct AdaBoostClassifier {
    n_estimators: usize,
    learning_rate: f64,
    estimator: DecisionTreeClassifier,
    seed: u64,
    fitted: Option<Fitted>,
}

#[derive(Clone, Debug)]
struct Fitted {
    classes: Vec<i64>,
    features: usize,
    /// Fitted on the label codes 0..K, so they predict codes.
    trees: Vec<DecisionTreeClassifier>,
    weights: Vec<f64>,
    errors: Vec<f64>,
}

impl AdaBoostClassifier {
    /// `n_estimators` rounds at most, `learning_rate = 1`, depth-1 stumps, seed 0.
    pub fn new(n_estimators: usize) -> Self {
        AdaBoostClassifier {
            n_estimators,
            learning_rate: 1.0,
            estimator: DecisionTreeClassifier::new().max_depth(Some(1)),
            seed: 0,
            fitted: None,
        }
    }

    /// Scales every tree's say (scikit-learn's `learning_rate`).
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// The tree configuration each round clones (its seed is replaced by one drawn per round).
    pub fn estimator(mut self, estimator: DecisionTreeClassifier) -> Self {
        self.estimator = estimator;
        self
    }

    /// Seeds the per-round tree seeds.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn fitted(&self, op: &str) -> &Fitted {
        self.fitted.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"))
    }

    /// The fitted trees, in the order they were fitted (they predict label codes 0..K, the
    /// positions of the labels in `classes()`).
    pub fn estimators(&self) -> &[DecisionTreeClassifier] {
        &self.fitted("estimators").trees
    }

    /// Each kept tree's say αₘ (scikit-learn's `estimator_weights_`, without the trailing zeros
    /// of rounds never run).
    pub fn estimator_weights(&self) -> &[f64] {
        &self.fitted("estimator_weights").weights
    }

    /// Each kept tree's weighted training error (`estimator_errors_`, likewise trimmed).
    pub fn estimator_errors(&self) -> &[f64] {
        &self.fitted("estimator_errors").errors
    }

    /// The trees' feature importances averaged with their says, summing to 1.
    pub fn feature_importances(&self) -> Vec<f64> {
        let f = self.fitted("feature_importances");
        let norm: f64 = f.weights.iter().sum();
        let mut total = vec![0.0; f.features];
        for (tree, w) in f.trees.iter().zip(&f.weights) {
            for (t, v) in total.iter_mut().zip(tree.feature_importances()) {
                *t += w * v;
            }
        }
        total.iter_mut().for_each(|t| *t /= norm);
        total
    }

    /// [`Supervised::fit`] with a weight per row (scikit-learn's `sample_weight`).
    pub fn fit_weighted(&mut self, x: &Tensor<f64>, y: &[i64], sample_weight: &[f64]) -> Result<(), ClassicError> {
        self.fit_with(x, y, Some(sample_weight))
    }

    fn fit_with(&mut self, x: &Tensor<f64>, y: &[i64], sample_weight: Option<&[f64]>) -> Result<(), ClassicError> {
        check_fit_input(NAME, x, y.len(), sample_weight)?;
        if self.n_estimators == 0 {
            return Err(ClassicError::param(NAME, "n_estimators", "must be at least 1, got 0"));
        }
        check_positive(NAME, "learning_rate", self.learning_rate)?;
        let (classes, codes) = encode_classes(NAME, y)?;
        let k = classes.len() as f64;
        let rows = codes.len();
        let code_labels: Vec<i64> = codes.iter().map(|&c| c as i64).collect();
        let data = TreeData::new(x);
        let mut rng = Rng::seed(self.seed);

        let mut weight: Vec<f64> = sample_weight.map_or_else(|| vec![1.0; rows], <[f64]>::to_vec);
        let total: f64 = weight.iter().sum();
        weight.iter_mut().for_each(|w| *w /= total);
        let zero: Vec<bool> = weight.iter().map(|&w| w == 0.0).collect();

        let (mut trees, mut weights, mut errors) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..self.n_estimators {
            // As scikit-learn: no weight may underflow to zero, except those given as zero.
            for (w, &z) in weight.iter_mut().zip(&zero) {
                *w = if z { 0.0 } else { w.max(f64::EPSILON) };
            }
            let mut tree = self.estimator.clone().seed(rng.next_u64());
            tree.fit_prepared(&data, &code_labels, Some(&weight))?;
            let wrong: Vec<bool> = tree.predict(x).iter().zip(&code_labels).map(|(p, c)| p != c).collect();
            let error = weight.iter().zip(&wrong).filter(|(_, &bad)| bad).map(|(w, _)| w).sum::<f64>()
                / weight.iter().sum::<f64>();
            if error <= 0.0 {
                trees.push(tree);
                weights.push(1.0);
                errors.push(0.0);
                break;
            }
            if error >= 1.0 - 1.0 / k {
                if trees.is_empty() {
                    return Err(ClassicError::data(
                        NAME,
                        format!(
                            "the first tree's weighted error {error:.4} is no better than chance (1 − 1/{k}); \
                             give the trees more depth or check the labels"
                        ),
                    ));
                }
                break;
            }
            let say = self.learning_rate * (((1.0 - error) / error).ln() + (k - 1.0).ln());
            trees.push(tree);
            weights.push(say);
            errors.push(error);
            if round + 1 == self.n_estimators {
                break;
            }
            for ((w, &bad), &z) in weight.iter_mut().zip(&wrong).zip(&zero) {
                if bad && !z {
                    *w = (w.ln() + say).exp();
                }
            }
            let total: f64 = weight.iter().sum();
            if !total.is_finite() || total <= 0.0 {
                break;
            }
            weight.iter_mut().for_each(|w| *w /= total);
        }
        self.fitted = Some(Fitted { classes, features: x.shape()[1], trees, weights, errors });
        Ok(())
    }

    /// The weighted votes after each tree, `[samples × classes]` row-major, unnormalised.
    fn staged_votes(&self, op: &str, x: &Tensor<f64>) -> impl Iterator<Item = (Vec<f64>, f64)> + '_ {
        let f = self.fitted(op);
        check_features(&format!("{NAME}::{op}"), f.features, x);
        let k = f.classes.len();
        let rows = x.shape()[0];
        let mut votes = vec![0.0; rows * k];
        let mut norm = 0.0;
        let predictions: Vec<Vec<i64>> = f.trees.iter().map(|t| t.predict(x)).collect();
        predictions.into_iter().zip(f.weights.clone()).map(move |(codes, w)| {
            norm += w;
            let against = -w / (k as f64 - 1.0);
            for (row, &c) in votes.chunks_mut(k).zip(&codes) {
                for (j, v) in row.iter_mut().enumerate() {
                    *v += if j as i64 == c { w } else { against };
                }
            }
            (votes.clone(), norm)
        })
    }

    /// scikit-learn's `decision_function` from the votes: `[samples]` for two classes (positive
    /// means the second), `[samples, classes]` otherwise.
    fn decision_from_votes(&self, votes: &[f64], norm: f64) -> Tensor<f64> {
        let k = self.fitted("decision_function").classes.len();
        let rows = votes.len() / k;
        if k == 2 {
            Tensor::from_vec(votes.chunks(2).map(|v| (v[1] - v[0]) / norm).collect(), [rows])
        } else {
            Tensor::from_vec(votes.iter().map(|v| v / norm).collect(), [rows, k])
        }
    }

    fn labels_from_votes(&self, votes: &[f64]) -> Vec<i64> {
        let f = self.fitted("predict");
        argmax_rows(votes, f.classes.len()).into_iter().map(|c| f.classes[c]).collect()
    }

    /// The say-weighted vote margin: `[samples]` for two classes (positive favours the second
    /// class), `[samples, classes]` otherwise, as scikit-learn's `decision_function`.
    pub fn decision_function(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (votes, norm) = self.staged_votes("decision_function", x).last().expect("at least one tree");
        self.decision_from_votes(&votes, norm)
    }

    /// [`AdaBoostClassifier::decision_function`] after each tree.
    pub fn staged_decision_function(&self, x: &Tensor<f64>) -> Vec<Tensor<f64>> {
        self.staged_votes("staged_decision_function", x).map(|(v, n)| self.decision_from_votes(&v, n)).collect()
    }

    /// The predictions after each tree: the ensemble of the first 1, 2, … trees.
    pub fn staged_predict(&self, x: &Tensor<f64>) -> Vec<Vec<i64>> {
        self.staged_votes("staged_predict", x).map(|(v, _)| self.labels_from_votes(&v)).collect()
    }

    /// [`PredictProba::predict_proba`] after each tree.
    pub fn staged_predict_proba(&self, x: &Tensor<f64>) -> Vec<Tensor<f64>> {
        self.staged_votes("staged_predict_proba", x)
            .map(|(v, n)| self.proba_from_decision(&self.decision_from_votes(&v, n)))
            .collect()
    }

    /// scikit-learn's probabilities: the softmax of the decision values over K − 1 (for two
    /// classes, of ∓d/2).
    fn proba_from_decision(&self, decision: &Tensor<f64>) -> Tensor<f64> {
        let k = self.fitted("predict_proba").classes.len();
        let decision = decision.to_vec();
        let mut scores: Vec<f64> = if k == 2 {
            decision.iter().flat_map(|d| [-d / 2.0, d / 2.0]).collect()
        } else {
            decision.iter().map(|d| d / (k as f64 - 1.0)).collect()
        };
        softmax_rows(&mut scores, k);
        let rows = scores.len() / k;
        Tensor::from_vec(scores, [rows, k])
    }

    /// The accuracy on `(x, y)` after each tree (the "error against number of trees" curve).
    pub fn staged_score(&self, x: &Tensor<f64>, y: &[i64]) -> Vec<f64> {
        assert!(
            x.shape()[0] == y.len(),
            "{NAME}::staged_score: x has {} rows but y has {} values",
            x.shape()[0],
            y.len()
        );
        self.staged_predict(x).iter().map(|p| kindling_metrics::metrics::accuracy(y, p)).collect()
    }
}

impl Supervised for AdaBoostClassifier {
    type Target = i64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        self.fit_with(x, y, None)
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let (votes, _) = self.staged_votes("predict", x).last().expect("at least one tree");
        self.labels_from_votes(&votes)
    }
}

impl Classifier for AdaBoostClassifier {
    fn classes(&self) -> &[i64] {
        &self.fitted("classes").classes
    }
}

impl PredictProba for AdaBoostClassifier {
    /// scikit-learn's probabilities: the softmax of the decision values over K − 1.
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        self.proba_from_decision(&self.decision_function(x))
    }
}

impl Persist for AdaBoostClassifier {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let f = self.fitted("to_state");
        let mut state = StateDict::new();
        state.insert("classes", Tensor::from_slice(&f.classes));
        state.insert("estimator_weights", Tensor::from_slice(&f.weights));
        state.insert("estimator_errors", Tensor::from_slice(&f.errors));
        for (i, tree) in f.trees.iter().enumerate() {
            nest_state(&mut state, &format!("tree{i}"), &tree.to_state());
        }
        state.set_metadata("n_estimators", self.n_estimators.to_string());
        state.set_metadata("learning_rate", self.learning_rate.to_string());
        state.set_metadata("seed", self.seed.to_string());
        state.set_metadata("features", f.features.to_string());
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let weights = state_f64(state, "estimator_weights")?;
        let trees = (0..weights.len())
            .map(|i| DecisionTreeClassifier::from_state(&unnest_state(state, &format!("tree{i}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let fitted = Fitted {
            classes: state_i64(state, "classes")?,
            features: state_meta(state, "features")?,
            errors: state_f64(state, "estimator_errors")?,
            trees,
            weights,
        };
        if fitted.trees.is_empty() || fitted.errors.len() != fitted.trees.len() || fitted.classes.len() < 2 {
            return Err("the trees, weights, errors and classes do not agree".into());
        }
        Ok(AdaBoostClassifier {
            n_estimators: state_meta(state, "n_estimators")?,
            learning_rate: state_meta(state, "learning_rate")?,
            // A fitted tree is also its own configuration; fit replaces what it learned.
            estimator: fitted.trees[0].clone(),
            seed: state_meta(state, "seed")?,
            fitted: Some(fitted),
        })
    }
}
