//! [`HistGradientBoostingRegressor`]: squared-error boosting of histogram trees.

use super::boosting::{self, Booster, Params};
use super::loss::Loss;
use super::{hist_gb_builders, state, HistTree};
use crate::input;
use crate::{ClassicError, Persist, Regressor, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

const NAME: &str = "HistGradientBoostingRegressor";

/// Histogram-based gradient boosting for regression (half squared error), as scikit-learn's
/// `HistGradientBoostingRegressor`.
///
/// ```
/// use kindling_classic::ensemble::HistGradientBoostingRegressor;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// // y = x² on 0 .. 10: boosting fits the curve piece by piece.
/// let x = Tensor::from_vec((0..100).map(|i| f64::from(i) / 10.0).collect(), [100, 1]);
/// let y: Vec<f64> = (0..100).map(|i| (f64::from(i) / 10.0).powi(2)).collect();
/// let mut model = HistGradientBoostingRegressor::new().max_iter(200).min_samples_leaf(2);
/// model.fit(&x, &y).unwrap();
/// assert!(model.score(&x, &y) > 0.99);
/// ```
#[derive(Clone, Debug)]
pub struct HistGradientBoostingRegressor {
    params: Params,
    booster: Option<Booster>,
}

impl Default for HistGradientBoostingRegressor {
    fn default() -> Self {
        Self::new()
    }
}

impl HistGradientBoostingRegressor {
    /// scikit-learn's defaults: 100 rounds, learning rate 0.1, 31 leaves, 20 rows per leaf,
    /// 255 bins, early stopping [`EarlyStopping::Auto`](super::EarlyStopping::Auto).
    pub fn new() -> Self {
        HistGradientBoostingRegressor { params: Params::default(), booster: None }
    }

    hist_gb_builders!();

    fn fitted(&self, op: &str) -> &Booster {
        self.booster.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"))
    }

    fn rows(&self, op: &str, x: &Tensor<f64>) -> (Vec<f64>, usize) {
        let booster = self.fitted(op);
        let (values, rows, cols) = input::matrix(&format!("{NAME}::{op}"), x);
        input::check_features(&format!("{NAME}::{op}"), booster.features, cols);
        (values, rows)
    }

    /// The predictions after each round, for a test-error-against-rounds curve.
    pub fn staged_predict(&self, x: &Tensor<f64>) -> Vec<Vec<f64>> {
        let (values, rows) = self.rows("staged_predict", x);
        self.fitted("staged_predict").staged_raw(&values, rows)
    }
}

impl Supervised for HistGradientBoostingRegressor {
    type Target = f64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        let (values, rows, cols) = input::matrix(&format!("{NAME}::fit"), x);
        input::check_targets(&format!("{NAME}::fit"), rows, y.len());
        self.params.check(NAME)?;
        input::check_not_empty(NAME, rows)?;
        input::check_finite(NAME, &values, cols)?;
        if let Some(at) = y.iter().position(|v| !v.is_finite()) {
            return Err(ClassicError::data(NAME, format!("y holds {} at row {at}; drop or impute it first", y[at])));
        }
        self.booster = Some(boosting::fit(&self.params, Loss::SquaredError, &values, cols, y, None));
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        let (values, rows) = self.rows("predict", x);
        let booster = self.fitted("predict");
        booster.raw(&values, rows, booster.n_iter())
    }
}

impl Regressor for HistGradientBoostingRegressor {}

impl Persist for HistGradientBoostingRegressor {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let mut out = StateDict::new();
        state::save(&self.params, self.fitted("to_state"), &mut out);
        out
    }

    fn from_state(saved: &StateDict) -> Result<Self, String> {
        let (params, booster) = state::load(saved)?;
        if booster.outputs != 1 {
            return Err(format!("a regressor has one output per round, not {}", booster.outputs));
        }
        Ok(HistGradientBoostingRegressor { params, booster: Some(booster) })
    }
}
