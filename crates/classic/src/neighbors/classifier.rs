//! [`KNeighborsClassifier`]: the majority label among the k nearest training samples.

use super::{Algorithm, Metric, Search, Weights};
use crate::input;
use crate::{ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

const NAME: &str = "KNeighborsClassifier";

/// k-nearest-neighbours classification, as scikit-learn's `KNeighborsClassifier`.
///
/// ```
/// use kindling_classic::neighbors::{KNeighborsClassifier, Weights};
/// use kindling_classic::{PredictProba, Supervised};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [5.0, 5.0], [5.0, 6.0], [6.0, 5.0]]);
/// let mut model = KNeighborsClassifier::new(3).weights(Weights::Distance);
/// model.fit(&x, &[0, 0, 0, 1, 1, 1]).unwrap();
/// assert_eq!(model.predict(&Tensor::from([[0.5, 0.5], [5.5, 5.5]])), vec![0, 1]);
/// assert_eq!(model.predict_proba(&Tensor::from([[0.2, 0.2]])).to_vec(), vec![1.0, 0.0]);
/// ```
#[derive(Clone, Debug)]
pub struct KNeighborsClassifier {
    search: Search,
    classes: Vec<i64>,
    /// Each training row's class position in `classes`.
    codes: Vec<usize>,
}

impl KNeighborsClassifier {
    /// k neighbours, uniform weights, Euclidean distance, [`Algorithm::Auto`].
    pub fn new(k: usize) -> Self {
        KNeighborsClassifier { search: Search::new(k), classes: Vec::new(), codes: Vec::new() }
    }

    /// How votes are weighted.
    pub fn weights(mut self, weights: Weights) -> Self {
        self.search.weights = weights;
        self
    }

    /// The distance.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.search.metric = metric;
        self
    }

    /// How neighbours are found.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.search.algorithm = algorithm;
        self
    }

    /// Whether `fit` built a KD-tree (`true`) or brute force will be used.
    pub fn uses_kd_tree(&self) -> bool {
        self.search.uses_tree()
    }

    /// The k nearest training rows of each row of `x`: distances and indices, `[samples, k]`,
    /// nearest first.
    pub fn kneighbors(&self, x: &Tensor<f64>) -> (Tensor<f64>, Tensor<i64>) {
        self.search.kneighbors_tensors(NAME, x)
    }

    /// Weighted votes per class, `[samples × classes]` row-major.
    fn votes(&self, op: &str, x: &Tensor<f64>) -> Vec<f64> {
        let found = self.search.kneighbors(NAME, op, x);
        let weights = self.search.weights(&found);
        let c = self.classes.len();
        let rows = found.indices.len() / self.search.k;
        let mut votes = vec![0.0; rows * c];
        for (q, (neighbours, w)) in found.indices.chunks(self.search.k).zip(weights.chunks(self.search.k)).enumerate() {
            for (&j, &w) in neighbours.iter().zip(w) {
                votes[q * c + self.codes[j]] += w;
            }
        }
        votes
    }
}

impl Supervised for KNeighborsClassifier {
    type Target = i64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        self.search.fit(NAME, x, y.len())?;
        (self.classes, self.codes) = input::encode_labels(y);
        Ok(())
    }

    /// The label with the most (weighted) votes; a tie goes to the smallest label.
    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let votes = self.votes("predict", x);
        input::argmax_rows(&votes, self.classes.len()).into_iter().map(|c| self.classes[c]).collect()
    }
}

impl Classifier for KNeighborsClassifier {
    fn classes(&self) -> &[i64] {
        assert!(self.search.fitted.is_some(), "{NAME}::classes: the model is not fitted; call fit first");
        &self.classes
    }
}

impl PredictProba for KNeighborsClassifier {
    /// Each class's share of the (weighted) votes.
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let mut votes = self.votes("predict_proba", x);
        let c = self.classes.len();
        for row in votes.chunks_mut(c) {
            let total: f64 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= total);
        }
        let rows = votes.len() / c;
        Tensor::from_vec(votes, [rows, c])
    }
}

impl Persist for KNeighborsClassifier {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        self.search.save(&mut state, NAME);
        let labels: Vec<i64> = self.codes.iter().map(|&c| self.classes[c]).collect();
        state.insert("y", Tensor::from_vec(labels.clone(), [labels.len()]));
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let search = Search::load(state)?;
        let y = input::state_i64(state, "y")?;
        if search.fitted.as_ref().is_some_and(|f| f.2 != y.len()) {
            return Err("x and y have different numbers of rows".into());
        }
        let (classes, codes) = input::encode_labels(&y);
        Ok(KNeighborsClassifier { search, classes, codes })
    }
}
