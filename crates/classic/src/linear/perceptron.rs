//! The perceptron, trained by stochastic gradient steps as scikit-learn's `Perceptron`.

use crate::input;
use crate::{ClassicError, Classifier, Persist, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};

const NAME: &str = "Perceptron";
/// Epochs without an improvement of the summed loss by `tol` before stopping (scikit-learn's
/// `n_iter_no_change`).
const PATIENCE: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Penalty {
    None,
    L2(f64),
    L1(f64),
}

/// A linear classifier `sign(w·x + b)`, learnt one sample at a time: a sample on the wrong
/// side of the boundary (or on it) moves the weights by `eta0 · y · x` (y = ±1); a sample on
/// the right side changes nothing. More than two classes are handled one-vs-rest: one
/// perceptron per class, and the class with the largest score wins.
///
/// Each epoch visits the samples in an order shuffled by the explicit seeded generator
/// (`seed`). Training stops after `max_iter` epochs, or once the summed loss (Σ max(0, −y·(w·x+b)))
/// has failed to improve on its best by `tol` × samples for 5 epochs in a row, as in
/// scikit-learn. The order of the samples differs from scikit-learn's (another generator), so
/// the weights differ; accuracies land close (tests/perceptron.rs).
///
/// ```
/// use kindling_classic::linear::Perceptron;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[0.0, 0.0], [0.0, 1.0], [3.0, 3.0], [3.0, 4.0]]);
/// let mut model = Perceptron::new().seed(1);
/// model.fit(&x, &[0, 0, 1, 1]).unwrap();
/// assert_eq!(model.predict(&x), vec![0, 0, 1, 1]);
/// ```
#[derive(Clone, Debug)]
pub struct Perceptron {
    eta0: f64,
    max_iter: usize,
    tol: Option<f64>,
    shuffle: bool,
    seed: u64,
    fit_intercept: bool,
    penalty: Penalty,
    fitted: Option<Fitted>,
}

#[derive(Clone, Debug)]
struct Fitted {
    classes: Vec<i64>,
    /// `[models, features]`: one row for two classes, one per class otherwise.
    coef: Tensor<f64>,
    intercept: Vec<f64>,
    epochs: usize,
}

impl Default for Perceptron {
    fn default() -> Self {
        Self::new()
    }
}

impl Perceptron {
    /// scikit-learn's defaults: `eta0 = 1`, `max_iter = 1000`, `tol = 1e-3`, shuffled, an
    /// intercept, no penalty; seed 0.
    pub fn new() -> Self {
        Perceptron {
            eta0: 1.0,
            max_iter: 1000,
            tol: Some(1e-3),
            shuffle: true,
            seed: 0,
            fit_intercept: true,
            penalty: Penalty::None,
            fitted: None,
        }
    }

    /// The step size.
    pub fn eta0(mut self, eta0: f64) -> Self {
        self.eta0 = eta0;
        self
    }

    /// The most epochs.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// The stopping tolerance on the summed loss; `None` runs all `max_iter` epochs.
    pub fn tol(mut self, tol: Option<f64>) -> Self {
        self.tol = tol;
        self
    }

    /// Whether to reshuffle the samples every epoch.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// The seed of the shuffling generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether to learn a bias b.
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.fit_intercept = fit_intercept;
        self
    }

    /// Shrinks the weights by `1 − eta0·alpha` at every step (weight decay).
    pub fn l2(mut self, alpha: f64) -> Self {
        self.penalty = Penalty::L2(alpha);
        self
    }

    /// Pulls each weight towards 0 by the cumulative `eta0·alpha` of the steps so far, never
    /// past 0 (the truncated-gradient rule scikit-learn uses), which makes some weights
    /// exactly 0.
    pub fn l1(mut self, alpha: f64) -> Self {
        self.penalty = Penalty::L1(alpha);
        self
    }

    fn fitted(&self, op: &str) -> &Fitted {
        self.fitted.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"))
    }

    /// The weights, `[1, features]` for two classes, `[classes, features]` otherwise.
    pub fn coef(&self) -> Tensor<f64> {
        self.fitted("coef").coef.clone()
    }

    /// The biases, one per row of `coef()`.
    pub fn intercept(&self) -> &[f64] {
        &self.fitted("intercept").intercept
    }

    /// The most epochs any of the one-vs-rest perceptrons ran (scikit-learn's `n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.fitted("n_iter").epochs
    }

    /// `w·x + b` per sample and model, `[samples, models]`.
    pub fn decision_function(&self, x: &Tensor<f64>) -> Tensor<f64> {
        self.scores("decision_function", x)
    }

    fn scores(&self, op: &str, x: &Tensor<f64>) -> Tensor<f64> {
        let f = self.fitted(op);
        let op = format!("{NAME}::{op}");
        assert!(x.rank() == 2, "{op}: x must be [samples, features], got shape {:?}", x.shape());
        input::check_features(&op, f.coef.shape()[1], x.shape()[1]);
        let mut scores = x.matmul(&f.coef.t()).contiguous().to_vec();
        let models = f.intercept.len();
        for row in scores.chunks_mut(models) {
            row.iter_mut().zip(&f.intercept).for_each(|(s, b)| *s += b);
        }
        let rows = scores.len() / models;
        Tensor::from_vec(scores, [rows, models])
    }

    /// One binary perceptron: `signs[i]` is +1 or −1. Returns (weights, bias, epochs).
    fn fit_binary(&self, values: &[f64], cols: usize, signs: &[f64], rng: &mut Rng) -> (Vec<f64>, f64, usize) {
        let rows = signs.len();
        let (mut w, mut b) = (vec![0.0; cols], 0.0);
        let mut order: Vec<usize> = (0..rows).collect();
        let (mut best_loss, mut stale) = (f64::INFINITY, 0);
        // L1 bookkeeping: the total penalty each weight could have taken, and what it took.
        let (mut l1_budget, mut l1_taken) = (0.0, vec![0.0; cols]);
        let mut epochs = 0;
        for _ in 0..self.max_iter {
            epochs += 1;
            if self.shuffle {
                rng.shuffle(&mut order);
            }
            let mut summed_loss = 0.0;
            for &i in &order {
                let (row, y) = (&values[i * cols..(i + 1) * cols], signs[i]);
                let margin = y * (row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b);
                summed_loss += (-margin).max(0.0);
                if let Penalty::L2(alpha) = self.penalty {
                    let shrink = (1.0 - self.eta0 * alpha).max(0.0);
                    w.iter_mut().for_each(|v| *v *= shrink);
                }
                if margin <= 0.0 {
                    let step = self.eta0 * y;
                    w.iter_mut().zip(row).for_each(|(v, a)| *v += step * a);
                    if self.fit_intercept {
                        b += step;
                    }
                }
                if let Penalty::L1(alpha) = self.penalty {
                    l1_budget += self.eta0 * alpha;
                    for (v, taken) in w.iter_mut().zip(l1_taken.iter_mut()) {
                        let before = *v;
                        if before > 0.0 {
                            *v = (before - (l1_budget + *taken)).max(0.0);
                        } else if before < 0.0 {
                            *v = (before + (l1_budget - *taken)).min(0.0);
                        }
                        *taken += *v - before;
                    }
                }
            }
            if let Some(tol) = self.tol {
                stale = if summed_loss > best_loss - tol * rows as f64 { stale + 1 } else { 0 };
                best_loss = best_loss.min(summed_loss);
                if stale >= PATIENCE {
                    break;
                }
            }
        }
        (w, b, epochs)
    }
}

impl Supervised for Perceptron {
    type Target = i64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        let (values, rows, cols) = input::matrix("Perceptron::fit", x);
        input::check_targets("Perceptron::fit", rows, y.len());
        input::check_not_empty(NAME, rows)?;
        input::check_finite(NAME, &values, cols)?;
        if self.eta0.is_nan() || self.eta0 <= 0.0 {
            return Err(ClassicError::param(NAME, "eta0", format!("must be > 0, got {}", self.eta0)));
        }
        if let Penalty::L1(alpha) | Penalty::L2(alpha) = self.penalty {
            if alpha.is_nan() || alpha < 0.0 {
                return Err(ClassicError::param(NAME, "alpha", format!("must be ≥ 0, got {alpha}")));
            }
        }
        let (classes, codes) = input::encode_labels(y);
        if classes.len() < 2 {
            return Err(ClassicError::data(
                NAME,
                format!("y has only the class {:?}; a classifier needs at least two", classes),
            ));
        }
        // Two classes: one perceptron for the second class; more: one per class.
        let positives: Vec<usize> = if classes.len() == 2 { vec![1] } else { (0..classes.len()).collect() };
        let mut rng = Rng::seed(self.seed);
        let (mut coef, mut intercept, mut epochs) = (Vec::new(), Vec::new(), 0);
        for positive in positives {
            let signs: Vec<f64> = codes.iter().map(|&c| if c == positive { 1.0 } else { -1.0 }).collect();
            let (w, b, n) = self.fit_binary(&values, cols, &signs, &mut rng.fork());
            coef.extend(w);
            intercept.push(b);
            epochs = epochs.max(n);
        }
        let models = intercept.len();
        self.fitted = Some(Fitted { classes, coef: Tensor::from_vec(coef, [models, cols]), intercept, epochs });
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let scores = self.scores("predict", x);
        let classes = &self.fitted("predict").classes;
        let models = scores.shape()[1];
        let scores = scores.to_vec();
        if models == 1 {
            scores.iter().map(|&s| classes[usize::from(s > 0.0)]).collect()
        } else {
            input::argmax_rows(&scores, models).into_iter().map(|c| classes[c]).collect()
        }
    }
}

impl Classifier for Perceptron {
    fn classes(&self) -> &[i64] {
        &self.fitted("classes").classes
    }
}

impl Persist for Perceptron {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let f = self.fitted("to_state");
        let mut state = StateDict::new();
        state.insert("classes", Tensor::from_vec(f.classes.clone(), [f.classes.len()]));
        state.insert("coef", f.coef.clone());
        state.insert("intercept", Tensor::from_vec(f.intercept.clone(), [f.intercept.len()]));
        state.set_metadata("eta0", self.eta0.to_string());
        state.set_metadata("max_iter", self.max_iter.to_string());
        state.set_metadata("tol", self.tol.map_or("none".to_string(), |t| t.to_string()));
        state.set_metadata("shuffle", self.shuffle.to_string());
        state.set_metadata("seed", self.seed.to_string());
        state.set_metadata("fit_intercept", self.fit_intercept.to_string());
        state.set_metadata("epochs", f.epochs.to_string());
        let penalty = match self.penalty {
            Penalty::None => "none".to_string(),
            Penalty::L2(a) => format!("l2:{a}"),
            Penalty::L1(a) => format!("l1:{a}"),
        };
        state.set_metadata("penalty", penalty);
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let classes = input::state_i64(state, "classes")?;
        let coef = input::state_f64(state, "coef")?;
        let intercept = input::state_f64(state, "intercept")?.to_vec();
        let expected_models = if classes.len() == 2 { 1 } else { classes.len() };
        if coef.rank() != 2 || coef.shape()[0] != expected_models || intercept.len() != expected_models {
            return Err(format!("coef {:?} and intercept do not fit {} classes", coef.shape(), classes.len()));
        }
        let tol = match state.metadata().get("tol").map(String::as_str) {
            Some("none") => None,
            _ => Some(input::state_meta(state, "tol")?),
        };
        let penalty_text: String = input::state_meta(state, "penalty")?;
        let penalty = match penalty_text.split_once(':') {
            None if penalty_text == "none" => Penalty::None,
            Some(("l2", a)) => Penalty::L2(a.parse().map_err(|_| "penalty does not parse")?),
            Some(("l1", a)) => Penalty::L1(a.parse().map_err(|_| "penalty does not parse")?),
            _ => return Err(format!("unknown penalty {penalty_text:?}")),
        };
        Ok(Perceptron {
            eta0: input::state_meta(state, "eta0")?,
            max_iter: input::state_meta(state, "max_iter")?,
            tol,
            shuffle: input::state_meta(state, "shuffle")?,
            seed: input::state_meta(state, "seed")?,
            fit_intercept: input::state_meta(state, "fit_intercept")?,
            penalty,
            fitted: Some(Fitted { classes, coef, intercept, epochs: input::state_meta(state, "epochs")? }),
        })
    }
}
