//! Preprocessing that learns from the training data and is then applied, unchanged, to the
//! validation and test data: scaling, imputation, polynomial features and categorical
//! encodings.
//!
//! Every step is a small struct with a `fit` / `transform` pair (and `fit_transform` for the
//! training data itself). Fitting on all the data before splitting lets statistics of the test
//! set leak into training, so the habit is: split first, `fit` on the training part, then
//! `transform` every part. Calling `transform` before `fit` is a programming error and panics
//! with a message naming the step.
//!
//! Numeric steps take a `[n]` tensor (one feature) or an `[n, d]` tensor (one column per
//! feature) of `f32` or `f64`, treat `NaN` as missing, and return the same element type.
//!
//! One file per family: `scale.rs` (min-max and standard scaling), `impute.rs` (missing
//! values), `polynomial.rs` (polynomial features) and `encode.rs` (categorical encodings). This
//! file holds what they share: the [`Transform`] trait and the table every numeric step reads.

use kindling_tensor::{Float, Tensor};

mod encode;
mod impute;
mod polynomial;
mod scale;

pub use encode::{one_hot, CategoryOrder, HandleUnknown, LabelEncoder, OneHotEncoder, TargetEncoder};
pub use impute::{backward_fill, forward_fill, ImputeStrategy, KnnImputer, SimpleImputer};
pub use polynomial::PolynomialFeatures;
pub use scale::{MinMaxScaler, StandardScaler};

/// A preprocessing step fitted on training data and then applied to any data.
///
/// Named as in scikit-learn (fit, then transform); vision's image steps are `ImageTransform`s.
pub trait Transform {
    /// Learns the step's parameters from training data `x`.
    fn fit<T: Float>(&mut self, x: &Tensor<T>) -> &mut Self;

    /// Applies the fitted step. Panics if the step was not fitted or `x` has a different
    /// number of columns than the data it was fitted on.
    fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T>;

    /// `fit(x)` then `transform(x)`: for the training data itself.
    fn fit_transform<T: Float>(&mut self, x: &Tensor<T>) -> Tensor<T> {
        self.fit(x);
        self.transform(x)
    }
}

/// A numeric input read as rows × columns of `f64`, remembering its original shape.
#[derive(Clone, Debug)]
struct Table {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
    shape: Vec<usize>,
}

impl Table {
    fn read<T: Float>(step: &str, x: &Tensor<T>) -> Table {
        let (rows, cols) = match x.shape() {
            [n] => (*n, 1),
            [n, d] => (*n, *d),
            s => panic!("{step}: expected a [n] or [n, d] tensor, got shape {s:?}"),
        };
        Table { rows, cols, data: x.to_vec().into_iter().map(|v| v.to_f64()).collect(), shape: x.shape().to_vec() }
    }

    fn at(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }

    fn column(&self, c: usize) -> impl Iterator<Item = f64> + '_ {
        (0..self.rows).map(move |r| self.at(r, c))
    }

    /// The column's values that are not missing.
    fn present(&self, c: usize) -> Vec<f64> {
        self.column(c).filter(|v| !v.is_nan()).collect()
    }

    /// Panics at the first infinite value: one would make the fitted statistics infinite and
    /// every transformed value NaN. (NaN itself means "missing" and is skipped.)
    fn assert_no_infinity(&self, step: &str) {
        if let Some(i) = self.data.iter().position(|v| v.is_infinite()) {
            panic!(
                "{step}: input contains infinity: {} at row {}, column {} (counting from 0); impute or clip it, \
                 or drop the row, before fitting (NaN marks a missing value and is skipped)",
                self.data[i],
                i / self.cols,
                i % self.cols
            );
        }
    }

    fn check_cols(&self, step: &str, fitted: usize) {
        assert!(
            self.cols == fitted,
            "{step}: fitted on {fitted} column(s), but this input {:?} has {}",
            self.shape,
            self.cols
        );
    }

    /// Applies `f(column, value)` to every element, keeping the original shape.
    fn map<T: Float>(&self, f: impl Fn(usize, f64) -> f64) -> Tensor<T> {
        let out = self.data.iter().enumerate().map(|(i, &v)| T::from_f64(f(i % self.cols, v))).collect();
        Tensor::from_vec(out, self.shape.clone())
    }
}

fn not_fitted(step: &str) -> ! {
    panic!("{step}: transform called before fit; fit it on the training data first")
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}
