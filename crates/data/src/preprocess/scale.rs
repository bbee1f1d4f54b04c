//! Scaling: [`MinMaxScaler`] maps each column onto a fixed range, [`StandardScaler`] gives it
//! mean 0 and standard deviation 1, both with statistics of the training rows.

use super::{mean, not_fitted, Table, Transform};
use kindling_tensor::{Float, Tensor};

/// Rescales each column to `[low, high]` (default `[0, 1]`): `x' = low + (x − min)(high − low) /
/// (max − min)`, with the minimum and maximum of the training data.
///
/// Values outside the training range map outside `[low, high]`; one outlier squeezes all other
/// values together. A constant column maps to `low`. `NaN` counts as missing: it is left out
/// of the minimum and maximum and stays `NaN`.
///
/// # Panics
///
/// `fit` panics on an infinite value, naming the row and column: the range would be infinite
/// and every output NaN. Impute, clip or drop such values first (scikit-learn refuses them
/// too).
#[derive(Clone, Debug)]
pub struct MinMaxScaler {
    low: f64,
    high: f64,
    fitted: Option<(Vec<f64>, Vec<f64>)>,
}

impl Default for MinMaxScaler {
    fn default() -> Self {
        Self::new()
    }
}

impl MinMaxScaler {
    /// Scales to `[0, 1]`.
    pub fn new() -> Self {
        Self::with_range(0.0, 1.0)
    }

    /// Scales to `[low, high]`. Panics unless `low < high`.
    pub fn with_range(low: f64, high: f64) -> Self {
        assert!(low < high, "MinMaxScaler::with_range: need low < high, got [{low}, {high}]");
        MinMaxScaler { low, high, fitted: None }
    }

    /// A scaler to `[low, high]` already fitted to these per-column minima and maxima, as
    /// [`MinMaxScaler::min_max`] returns them: how a saved scaler comes back. Panics unless
    /// `low < high` and the two lengths agree.
    pub fn from_min_max(low: f64, high: f64, min: Vec<f64>, max: Vec<f64>) -> Self {
        assert_eq!(min.len(), max.len(), "MinMaxScaler::from_min_max: {} minima but {} maxima", min.len(), max.len());
        MinMaxScaler { fitted: Some((min, max)), ..Self::with_range(low, high) }
    }

    /// The target range `(low, high)`.
    pub fn range(&self) -> (f64, f64) {
        (self.low, self.high)
    }

    /// The fitted per-column minima and maxima.
    pub fn min_max(&self) -> Option<(&[f64], &[f64])> {
        self.fitted.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice()))
    }

    /// Maps scaled values back to the original units.
    pub fn inverse_transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let step = "MinMaxScaler::inverse_transform";
        let (min, max) = self.fitted.as_ref().unwrap_or_else(|| not_fitted(step));
        let t = Table::read(step, x);
        t.check_cols(step, min.len());
        t.map(|c, v| {
            let span = if max[c] > min[c] { max[c] - min[c] } else { 1.0 };
            min[c] + (v - self.low) * span / (self.high - self.low)
        })
    }
}

impl Transform for MinMaxScaler {
    /// Learns each column's minimum and maximum, skipping `NaN`.
    ///
    /// # Panics
    ///
    /// On an infinite value (the message names its row and column), and on an input that is
    /// not `[n]` or `[n, d]`.
    fn fit<T: Float>(&mut self, x: &Tensor<T>) -> &mut Self {
        let t = Table::read("MinMaxScaler::fit", x);
        t.assert_no_infinity("MinMaxScaler::fit");
        let (mut min, mut max) = (Vec::new(), Vec::new());
        for c in 0..t.cols {
            let v = t.present(c);
            min.push(v.iter().copied().fold(f64::NAN, f64::min));
            max.push(v.iter().copied().fold(f64::NAN, f64::max));
        }
        self.fitted = Some((min, max));
        self
    }

    fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let step = "MinMaxScaler::transform";
        let (min, max) = self.fitted.as_ref().unwrap_or_else(|| not_fitted(step));
        let t = Table::read(step, x);
        t.check_cols(step, min.len());
        t.map(|c, v| {
            let span = if max[c] > min[c] { max[c] - min[c] } else { 1.0 };
            self.low + (v - min[c]) / span * (self.high - self.low)
        })
    }
}

/// Standardizes each column: `z = (x − μ) / σ` with the training mean and the population
/// standard deviation (dividing by `n`, not `n − 1`), so the training columns get mean 0 and
/// standard deviation 1. A constant column maps to 0. `NaN` counts as missing: it is left out
/// of the statistics and stays `NaN`.
///
/// # Panics
///
/// `fit` panics on an infinite value, naming the row and column: the mean and standard
/// deviation would be infinite or NaN and so would every output. Impute, clip or drop such
/// values first (scikit-learn refuses them too).
#[derive(Clone, Debug, Default)]
pub struct StandardScaler {
    fitted: Option<(Vec<f64>, Vec<f64>)>,
}

impl StandardScaler {
    /// An unfitted scaler.
    pub fn new() -> Self {
        Self::default()
    }

    /// A scaler already fitted to these per-column means and (population) standard
    /// deviations, as [`StandardScaler::mean_std`] returns them: how a saved scaler comes back.
    /// Panics when the two lengths differ.
    pub fn from_mean_std(mean: Vec<f64>, std: Vec<f64>) -> Self {
        assert_eq!(
            mean.len(),
            std.len(),
            "StandardScaler::from_mean_std: {} means but {} standard deviations",
            mean.len(),
            std.len()
        );
        StandardScaler { fitted: Some((mean, std)) }
    }

    /// The fitted per-column means and standard deviations.
    pub fn mean_std(&self) -> Option<(&[f64], &[f64])> {
        self.fitted.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice()))
    }

    /// Maps standardized values back to the original units.
    pub fn inverse_transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let step = "StandardScaler::inverse_transform";
        let (mu, sigma) = self.fitted.as_ref().unwrap_or_else(|| not_fitted(step));
        let t = Table::read(step, x);
        t.check_cols(step, mu.len());
        t.map(|c, v| v * if sigma[c] > 0.0 { sigma[c] } else { 1.0 } + mu[c])
    }
}

impl Transform for StandardScaler {
    /// Learns each column's mean and population standard deviation, skipping `NaN`.
    ///
    /// # Panics
    ///
    /// On an infinite value (the message names its row and column), and on an input that is
    /// not `[n]` or `[n, d]`.
    fn fit<T: Float>(&mut self, x: &Tensor<T>) -> &mut Self {
        let t = Table::read("StandardScaler::fit", x);
        t.assert_no_infinity("StandardScaler::fit");
        let (mut mu, mut sigma) = (Vec::new(), Vec::new());
        for c in 0..t.cols {
            let v = t.present(c);
            let m = mean(&v);
            let var = mean(&v.iter().map(|x| (x - m) * (x - m)).collect::<Vec<_>>());
            mu.push(m);
            sigma.push(var.sqrt());
        }
        self.fitted = Some((mu, sigma));
        self
    }

    fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let step = "StandardScaler::transform";
        let (mu, sigma) = self.fitted.as_ref().unwrap_or_else(|| not_fitted(step));
        let t = Table::read(step, x);
        t.check_cols(step, mu.len());
        t.map(|c, v| (v - mu[c]) / if sigma[c] > 0.0 { sigma[c] } else { 1.0 })
    }
}
