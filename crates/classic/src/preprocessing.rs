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
}
