//! [`KNeighborsRegressor`]: the (weighted) mean target of the k nearest training samples.

use super::{Algorithm, Metric, Search, Weights};
use crate::input;
use crate::{ClassicError, Persist, Regressor, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

const NAME: &str = "KNeighborsRegressor";

/// k-nearest-neighbours regression, as scikit-learn's `KNeighborsRegressor`.
///
/// ```
/// use kindling_classic::neighbors::KNeighborsRegressor;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[0.0], [1.0], [2.0], [3.0]]);
/// let mut model = KNeighborsRegressor::new(2);
/// model.fit(&x, &[0.0, 10.0, 20.0, 30.0]).unwrap();
/// assert_eq!(model.predict(&Tensor::from([[0.4], [2.6]])), vec![5.0, 25.0]);
/// ```
#[derive(Clone, Debug)]
pub struct KNeighborsRegressor {
    search: Search,
    targets: Vec<f64>,
}

impl KNeighborsRegressor {
    /// k neighbours, uniform weights, Euclidean distance, [`Algorithm::Auto`].
    pub fn new(k: usize) -> Self {
        KNeighborsRegressor { search: Search::new(k), targets: Vec::new() }
    }

    /// How neighbours' targets are weighted.
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

    /// The k nearest training rows of each row of `x`: distances and indices, `[samples, k]`.
    pub fn kneighbors(&self, x: &Tensor<f64>) -> (Tensor<f64>, Tensor<i64>) {
        self.search.kneighbors_tensors(NAME, x)
    }
}

impl Supervised for KNeighborsRegressor {
    type Target = f64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        self.search.fit(NAME, x, y.len())?;
        if let Some(at) = y.iter().position(|v| !v.is_finite()) {
            self.search.fitted = None;
            return Err(ClassicError::data(
                NAME,
                format!("y holds {} at position {at}; drop or impute it first", y[at]),
            ));
        }
        self.targets = y.to_vec();
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        let found = self.search.kneighbors(NAME, "predict", x);
        let weights = self.search.weights(&found);
        let k = self.search.k;
        found
            .indices
            .chunks(k)
            .zip(weights.chunks(k))
            .map(|(neighbours, w)| {
                let total: f64 = w.iter().sum();
                neighbours.iter().zip(w).map(|(&j, &w)| w * self.targets[j]).sum::<f64>() / total
            })
            .collect()
    }
}

impl Regressor for KNeighborsRegressor {}

impl Persist for KNeighborsRegressor {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        self.search.save(&mut state, NAME);
        state.insert("y", Tensor::from_vec(self.targets.clone(), [self.targets.len()]));
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let search = Search::load(state)?;
        let targets = input::state_f64(state, "y")?.to_vec();
        if search.fitted.as_ref().is_some_and(|f| f.2 != targets.len()) {
            return Err("x and y have different numbers of rows".into());
        }
        Ok(KNeighborsRegressor { search, targets })
    }
}
