//! kindling-data's preprocessing steps as [`Transformer`]s, so they can stand in a
//! [`Pipeline`](crate::pipeline::Pipeline) in front of an estimator.
//!
//! The steps themselves live in `kindling_data::preprocess` (one implementation for the neural
//! and the classic chapters); this module only gives them the classic convention: `fit`
//! returns a `Result`, and an infinite value is an error that says what to do rather than a
//! panic. Bring [`Transformer`] into scope (not `kindling_data::Transform` as well, or the
//! method names clash) and use them as any transformer:
//!
//! ```
//! use kindling_classic::Transformer;
//! use kindling_data::StandardScaler;
//! use kindling_tensor::Tensor;
//!
//! let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], [2, 2]);
//! let mut scaler = StandardScaler::new();
//! let z = scaler.fit_transform(&x)?;
//! assert_eq!(z.to_vec(), [-1.0, -1.0, 1.0, 1.0]);
//! # Ok::<(), kindling_classic::ClassicError>(())
//! ```
//!
//! `StandardScaler` divides by the **population** standard deviation (by `n`, not `n − 1`),
//! exactly as scikit-learn's `StandardScaler`, so standardised features agree with scikit-learn
//! to rounding. A constant column maps to 0 (scikit-learn also leaves its scale at 1). `NaN`
//! marks a missing value: it is left out of the statistics and stays `NaN` (impute first).

use crate::{ClassicError, Transformer};
use kindling_data::{MinMaxScaler, PolynomialFeatures, StandardScaler, Transform};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// Refuses what kindling-data's steps would panic on (a tensor that is not `[samples,
/// features]`) and turns an infinite value into a [`ClassicError::Data`].
fn check_input(step: &'static str, x: &Tensor<f64>) -> Result<(), ClassicError> {
    assert!(x.rank() == 2, "{step}::fit: x must be [samples, features], got shape {:?}", x.shape());
    let cols = x.shape()[1];
    match x.to_vec().iter().position(|v| v.is_infinite()) {
        None => Ok(()),
        Some(i) => Err(ClassicError::data(
            step,
            format!(
                "x holds an infinite value at row {}, column {} (counting from 0); clip, impute or drop it before \
                 fitting",
                i / cols.max(1),
                i % cols.max(1)
            ),
        )),
    }
}

fn check_rank(step: &'static str, x: &Tensor<f64>) {
    assert!(x.rank() == 2, "{step}::transform: x must be [samples, features], got shape {:?}", x.shape());
}

/// Standardisation: each column to mean 0 and (population) standard deviation 1.
impl Transformer for StandardScaler {
    fn name(&self) -> &'static str {
        "StandardScaler"
    }

    fn fit(&mut self, x: &Tensor<f64>) -> Result<(), ClassicError> {
        check_input("StandardScaler", x)?;
        Transform::fit(self, x);
        Ok(())
    }

    fn transform(&self, x: &Tensor<f64>) -> Tensor<f64> {
        check_rank("StandardScaler", x);
        Transform::transform(self, x)
    }

    fn state(&self) -> Option<StateDict> {
        let (mean, std) = self.mean_std().expect("StandardScaler::state: the scaler is not fitted; call fit first");
        let mut state = StateDict::new();
        state.insert("mean", Tensor::from_vec(mean.to_vec(), [mean.len()]));
        state.insert("std", Tensor::from_vec(std.to_vec(), [std.len()]));
        Some(state)
    }

    fn restore(&mut self, state: &StateDict) -> Result<(), String> {
        let (mean, std) = (vector(state, "mean")?, vector(state, "std")?);
        if mean.len() != std.len() {
            return Err(format!("{} means but {} standard deviations", mean.len(), std.len()));
        }
        *self = StandardScaler::from_mean_std(mean, std);
        Ok(())
    }
}

/// Min-max scaling of each column to the configured range (`[0, 1]` by default).
impl Transformer for MinMaxScaler {
    fn name(&self) -> &'static str {
        "MinMaxScaler"
    }

    fn fit(&mut self, x: &Tensor<f64>) -> Result<(), ClassicError> {
        check_input("MinMaxScaler", x)?;
        Transform::fit(self, x);
        Ok(())
    }

    fn transform(&self, x: &Tensor<f64>) -> Tensor<f64> {
        check_rank("MinMaxScaler", x);
        Transform::transform(self, x)
    }

    fn state(&self) -> Option<StateDict> {
        let (min, max) = self.min_max().expect("MinMaxScaler::state: the scaler is not fitted; call fit first");
        let mut state = StateDict::new();
        state.insert("min", Tensor::from_vec(min.to_vec(), [min.len()]));
        state.insert("max", Tensor::from_vec(max.to_vec(), [max.len()]));
        let (low, high) = self.range();
        state.set_metadata("low", low.to_string());
        state.set_metadata("high", high.to_string());
        Some(state)
    }

    fn restore(&mut self, state: &StateDict) -> Result<(), String> {
        let (min, max) = (vector(state, "min")?, vector(state, "max")?);
        let (low, high): (f64, f64) = (meta(state, "low")?, meta(state, "high")?);
        if min.len() != max.len() || low.partial_cmp(&high) != Some(std::cmp::Ordering::Less) {
            return Err(format!(
                "{} minima, {} maxima and the range [{low}, {high}] do not fit together",
                min.len(),
                max.len()
            ));
        }
        *self = MinMaxScaler::from_min_max(low, high, min, max);
        Ok(())
    }
}

/// Every product of the features up to the configured degree (scikit-learn's column order).
impl Transformer for PolynomialFeatures {
    fn name(&self) -> &'static str {
        "PolynomialFeatures"
    }

    fn fit(&mut self, x: &Tensor<f64>) -> Result<(), ClassicError> {
        check_input("PolynomialFeatures", x)?;
        Transform::fit(self, x);
        Ok(())
    }

    fn transform(&self, x: &Tensor<f64>) -> Tensor<f64> {
        check_rank("PolynomialFeatures", x);
        Transform::transform(self, x)
    }

    fn state(&self) -> Option<StateDict> {
        let inputs = self.input_features().expect("PolynomialFeatures::state: not fitted; call fit first");
        let mut state = StateDict::new();
        state.set_metadata("degree", self.degree().to_string());
        state.set_metadata("include_bias", self.has_bias().to_string());
        state.set_metadata("interaction_only", self.is_interaction_only().to_string());
        state.set_metadata("inputs", inputs.to_string());
        Some(state)
    }

    fn restore(&mut self, state: &StateDict) -> Result<(), String> {
        let degree: usize = meta(state, "degree")?;
        if degree == 0 {
            return Err("degree 0".to_string());
        }
        let inputs: usize = meta(state, "inputs")?;
        let mut step = PolynomialFeatures::new(degree)
            .include_bias(meta(state, "include_bias")?)
            .interaction_only(meta(state, "interaction_only")?);
        // The terms depend only on the number of input columns, which one row of zeros carries.
        Transform::fit(&mut step, &Tensor::<f64>::zeros([1, inputs]));
        *self = step;
        Ok(())
    }
}

/// The 1-D f64 tensor `name` of a saved step.
fn vector(state: &StateDict, name: &str) -> Result<Vec<f64>, String> {
    let t = state.get(name).ok_or_else(|| format!("no tensor {name:?}"))?;
    if t.shape().len() != 1 {
        return Err(format!("{name:?} has shape {:?}, expected one axis", t.shape()));
    }
    Ok(t.cast::<f64>().to_vec())
}

/// The metadata value `key` of a saved step, parsed.
fn meta<V: std::str::FromStr>(state: &StateDict, key: &str) -> Result<V, String> {
    let text = state.metadata().get(key).ok_or_else(|| format!("no {key:?} in the metadata"))?;
    text.parse().map_err(|_| format!("{key:?} = {text:?} cannot be read"))
}
