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

use crate::error::DataError;
use crate::split::k_fold;
use kindling_tensor::{Float, Tensor};
use std::collections::HashMap;

/// A preprocessing step fitted on training data and then applied to any data.
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

/// Rescales each column to `[low, high]` (default `[0, 1]`): `x' = low + (x − min)(high − low) /
/// (max − min)`, with the minimum and maximum of the training data.
///
/// Values outside the training range map outside `[low, high]`; one outlier squeezes all other
/// values together. A constant column maps to `low`.
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
    fn fit<T: Float>(&mut self, x: &Tensor<T>) -> &mut Self {
        let t = Table::read("MinMaxScaler::fit", x);
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
/// standard deviation 1. A constant column maps to 0.
#[derive(Clone, Debug, Default)]
pub struct StandardScaler {
    fitted: Option<(Vec<f64>, Vec<f64>)>,
}

impl StandardScaler {
    /// An unfitted scaler.
    pub fn new() -> Self {
        Self::default()
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
    fn fit<T: Float>(&mut self, x: &Tensor<T>) -> &mut Self {
        let t = Table::read("StandardScaler::fit", x);
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

/// What a [`SimpleImputer`] fills missing values with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ImputeStrategy {
    /// The column's mean over the training rows where it is present.
    Mean,
    /// The column's median (the mean of the two middle values for an even count).
    Median,
    /// The column's most frequent value (the smallest one on a tie).
    MostFrequent,
    /// A fixed value (for example −999, so a model can learn that "missing" means something).
    Constant(f64),
}

/// Fills missing values (`NaN`) column by column with a statistic of the training data.
#[derive(Clone, Debug)]
pub struct SimpleImputer {
    strategy: ImputeStrategy,
    fill: Option<Vec<f64>>,
}

impl SimpleImputer {
    /// An unfitted imputer with the given strategy.
    pub fn new(strategy: ImputeStrategy) -> Self {
        SimpleImputer { strategy, fill: None }
    }

    /// The fitted fill value of each column.
    pub fn fill_values(&self) -> Option<&[f64]> {
        self.fill.as_deref()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn most_frequent(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let (mut best, mut best_count) = (f64::NAN, 0);
    let mut i = 0;
    while i < v.len() {
        let j = v[i..].iter().position(|&x| x != v[i]).map_or(v.len(), |p| i + p);
        if j - i > best_count {
            (best, best_count) = (v[i], j - i);
        }
        i = j;
    }
    best
}

impl Transform for SimpleImputer {
    fn fit<T: Float>(&mut self, x: &Tensor<T>) -> &mut Self {
        let t = Table::read("SimpleImputer::fit", x);
        let fill = (0..t.cols)
            .map(|c| match self.strategy {
                ImputeStrategy::Mean => mean(&t.present(c)),
                ImputeStrategy::Median => median(t.present(c)),
                ImputeStrategy::MostFrequent => most_frequent(t.present(c)),
                ImputeStrategy::Constant(v) => v,
            })
            .collect();
        self.fill = Some(fill);
        self
    }

    fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let step = "SimpleImputer::transform";
        let fill = self.fill.as_ref().unwrap_or_else(|| not_fitted(step));
        let t = Table::read(step, x);
        t.check_cols(step, fill.len());
        t.map(|c, v| if v.is_nan() { fill[c] } else { v })
    }
}

/// Fills each missing value with the last value present above it in the same column (for
/// series ordered in time along axis 0). Leading gaps stay missing. Needs no fitting: it only
/// looks backwards in time, so it cannot leak the future.
pub fn forward_fill<T: Float>(x: &Tensor<T>) -> Tensor<T> {
    fill_along_rows(x, "forward_fill", false)
}

/// Fills each missing value with the next value present below it in the same column. Trailing
/// gaps stay missing. Note that this copies future values into the past.
pub fn backward_fill<T: Float>(x: &Tensor<T>) -> Tensor<T> {
    fill_along_rows(x, "backward_fill", true)
}

fn fill_along_rows<T: Float>(x: &Tensor<T>, step: &str, backwards: bool) -> Tensor<T> {
    let t = Table::read(step, x);
    let mut out = t.data.clone();
    for c in 0..t.cols {
        let mut last = f64::NAN;
        let rows: Vec<usize> = if backwards { (0..t.rows).rev().collect() } else { (0..t.rows).collect() };
        for r in rows {
            let v = &mut out[r * t.cols + c];
            if v.is_nan() {
                *v = last;
            } else {
                last = *v;
            }
        }
    }
    Tensor::from_vec(out.into_iter().map(T::from_f64).collect(), t.shape)
}

/// Fills a missing value with the mean of that column over the `k` nearest training rows that
/// have it.
///
/// Distances ignore coordinates missing in either row and scale up for them (the
/// "NaN-Euclidean" distance): `d(a, b) = sqrt(D / m · Σ (a_j − b_j)²)` over the `m` of `D`
/// coordinates present in both. When fewer than `k` training rows have the column, all of them
/// are used; when none do, the value stays missing.
#[derive(Clone, Debug)]
pub struct KnnImputer {
    k: usize,
    train: Option<Table>,
}

impl KnnImputer {
    /// An unfitted imputer using `k` neighbours. Panics if `k == 0`.
    pub fn new(k: usize) -> Self {
        assert!(k > 0, "KnnImputer::new: k must be at least 1");
        KnnImputer { k, train: None }
    }
}

fn nan_euclidean(a: &[f64], b: &[f64]) -> f64 {
    let (mut sum, mut present) = (0.0, 0usize);
    for (x, y) in a.iter().zip(b) {
        if !x.is_nan() && !y.is_nan() {
            sum += (x - y) * (x - y);
            present += 1;
        }
    }
    if present == 0 {
        f64::INFINITY
    } else {
        (a.len() as f64 / present as f64 * sum).sqrt()
    }
}

impl Transform for KnnImputer {
    fn fit<T: Float>(&mut self, x: &Tensor<T>) -> &mut Self {
        self.train = Some(Table::read("KnnImputer::fit", x));
        self
    }

    fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let step = "KnnImputer::transform";
        let train = self.train.as_ref().unwrap_or_else(|| not_fitted(step));
        let t = Table::read(step, x);
        t.check_cols(step, train.cols);
        let d = t.cols;
        let mut out = t.data.clone();
        for r in 0..t.rows {
            let row = &t.data[r * d..(r + 1) * d];
            if !row.iter().any(|v| v.is_nan()) {
                continue;
            }
            let dist: Vec<f64> = (0..train.rows).map(|i| nan_euclidean(row, &train.data[i * d..(i + 1) * d])).collect();
            for c in (0..d).filter(|&c| row[c].is_nan()) {
                let mut donors: Vec<usize> =
                    (0..train.rows).filter(|&i| !train.at(i, c).is_nan() && dist[i].is_finite()).collect();
                donors.sort_by(|&a, &b| dist[a].total_cmp(&dist[b]).then(a.cmp(&b)));
                donors.truncate(self.k);
                out[r * d + c] = mean(&donors.iter().map(|&i| train.at(i, c)).collect::<Vec<_>>());
            }
        }
        Tensor::from_vec(out.into_iter().map(T::from_f64).collect(), t.shape)
    }
}

/// Expands features into all their products up to a total degree: for one feature `x` and
/// degree 2, `[1, x, x²]`; for two features `a, b`, `[1, a, b, a², ab, b²]`.
///
/// Terms come by increasing degree, and within a degree in lexicographic order of the feature
/// indices. `include_bias(false)` drops the constant column; `interaction_only(true)` keeps only
/// products of distinct features (`[1, a, b, ab]`). A linear model on these features fits
/// polynomial curves.
#[derive(Clone, Debug)]
pub struct PolynomialFeatures {
    degree: usize,
    include_bias: bool,
    interaction_only: bool,
    terms: Option<(usize, Vec<Vec<usize>>)>,
}

impl PolynomialFeatures {
    /// All products up to `degree`, with the bias column. Panics if `degree == 0`.
    pub fn new(degree: usize) -> Self {
        assert!(degree >= 1, "PolynomialFeatures::new: degree must be at least 1");
        PolynomialFeatures { degree, include_bias: true, interaction_only: false, terms: None }
    }

    /// Whether to emit the constant column `1` first (default `true`).
    pub fn include_bias(mut self, on: bool) -> Self {
        self.include_bias = on;
        self
    }

    /// Whether to keep only products of distinct features (default `false`).
    pub fn interaction_only(mut self, on: bool) -> Self {
        self.interaction_only = on;
        self
    }

    /// The fitted terms, each as the list of input columns multiplied together (`[]` is the bias).
    pub fn terms(&self) -> Option<&[Vec<usize>]> {
        self.terms.as_ref().map(|(_, t)| t.as_slice())
    }

    /// Human-readable names of the output columns, for input columns named `inputs`
    /// (`["1", "a", "b", "a^2", "a b", "b^2"]`).
    pub fn feature_names(&self, inputs: &[&str]) -> Vec<String> {
        let (n, terms) = self.terms.as_ref().unwrap_or_else(|| not_fitted("PolynomialFeatures::feature_names"));
        assert_eq!(
            inputs.len(),
            *n,
            "PolynomialFeatures::feature_names: fitted on {n} columns, got {} names",
            inputs.len()
        );
        terms
            .iter()
            .map(|term| {
                if term.is_empty() {
                    return "1".to_string();
                }
                let mut parts = Vec::new();
                let mut i = 0;
                while i < term.len() {
                    let power = term[i..].iter().take_while(|&&c| c == term[i]).count();
                    parts.push(if power == 1 {
                        inputs[term[i]].to_string()
                    } else {
                        format!("{}^{power}", inputs[term[i]])
                    });
                    i += power;
                }
                parts.join(" ")
            })
            .collect()
    }
}

/// All non-decreasing index lists of length `len` over `0..n` (strictly increasing when
/// `distinct`), in lexicographic order.
fn combinations(n: usize, len: usize, distinct: bool) -> Vec<Vec<usize>> {
    fn extend(n: usize, len: usize, distinct: bool, start: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == len {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            current.push(i);
            extend(n, len, distinct, if distinct { i + 1 } else { i }, current, out);
            current.pop();
        }
    }
    let mut out = Vec::new();
    extend(n, len, distinct, 0, &mut Vec::new(), &mut out);
    out
}

impl Transform for PolynomialFeatures {
    fn fit<T: Float>(&mut self, x: &Tensor<T>) -> &mut Self {
        let t = Table::read("PolynomialFeatures::fit", x);
        let first = if self.include_bias { 0 } else { 1 };
        let terms = (first..=self.degree).flat_map(|deg| combinations(t.cols, deg, self.interaction_only)).collect();
        self.terms = Some((t.cols, terms));
        self
    }

    fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let step = "PolynomialFeatures::transform";
        let (n, terms) = self.terms.as_ref().unwrap_or_else(|| not_fitted(step));
        let t = Table::read(step, x);
        t.check_cols(step, *n);
        let mut out = Vec::with_capacity(t.rows * terms.len());
        for r in 0..t.rows {
            for term in terms {
                out.push(T::from_f64(term.iter().map(|&c| t.at(r, c)).product()));
            }
        }
        Tensor::from_vec(out, [t.rows, terms.len()])
    }
}

/// The order in which categorical encoders number the categories they see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CategoryOrder {
    /// In order of first appearance in the training data (the default): fitting on
    /// `[Red, Green, Blue]` numbers them 0, 1, 2.
    #[default]
    FirstSeen,
    /// In sorted (byte-wise) order, independent of the row order: `Blue 0, Green 1, Red 2`.
    Sorted,
}

/// What a categorical encoder does with a category it did not see while fitting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HandleUnknown {
    /// Return [`DataError::UnknownCategory`] (the default).
    #[default]
    Error,
    /// Encode it as "none of the known categories" (an all-zero one-hot row).
    Ignore,
}

/// The categories seen while fitting, numbered.
#[derive(Clone, Debug, Default)]
struct Vocabulary {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Vocabulary {
    fn fit<S: AsRef<str>>(values: &[S], order: CategoryOrder) -> Vocabulary {
        let mut names: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for v in values {
            if seen.insert(v.as_ref()) {
                names.push(v.as_ref().to_string());
            }
        }
        if order == CategoryOrder::Sorted {
            names.sort();
        }
        let index = names.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
        Vocabulary { names, index }
    }

    fn lookup(&self, encoder: &'static str, value: &str) -> Result<usize, DataError> {
        self.index.get(value).copied().ok_or_else(|| DataError::UnknownCategory {
            encoder,
            value: value.to_string(),
            known: self.names.clone(),
        })
    }
}

/// Numbers categories `0, 1, 2, ...` (for class labels, or as input to an embedding).
///
/// With the default [`CategoryOrder::FirstSeen`], fitting on `[Red, Green, Blue]` gives
/// `Red → 0, Green → 1, Blue → 2`.
#[derive(Clone, Debug, Default)]
pub struct LabelEncoder {
    order: CategoryOrder,
    vocab: Option<Vocabulary>,
}

impl LabelEncoder {
    /// An unfitted encoder numbering categories in order of first appearance.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses how categories are numbered.
    pub fn order(mut self, order: CategoryOrder) -> Self {
        self.order = order;
        self
    }

    /// Learns the categories.
    pub fn fit<S: AsRef<str>>(&mut self, values: &[S]) -> &mut Self {
        self.vocab = Some(Vocabulary::fit(values, self.order));
        self
    }

    /// The known categories in code order. Panics before `fit`.
    pub fn categories(&self) -> &[String] {
        &self.vocab.as_ref().unwrap_or_else(|| not_fitted("LabelEncoder::categories")).names
    }

    /// The code of each value, `[n]`; an unknown value is an error.
    pub fn transform<S: AsRef<str>>(&self, values: &[S]) -> Result<Tensor<i64>, DataError> {
        let vocab = self.vocab.as_ref().unwrap_or_else(|| not_fitted("LabelEncoder::transform"));
        let codes = values
            .iter()
            .map(|v| vocab.lookup("LabelEncoder", v.as_ref()).map(|i| i as i64))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Tensor::from_vec(codes, [values.len()]))
    }

    /// `fit` then `transform` on the same values (which cannot fail).
    pub fn fit_transform<S: AsRef<str>>(&mut self, values: &[S]) -> Tensor<i64> {
        self.fit(values);
        self.transform(values).expect("every value was just fitted")
    }

    /// The category of each code. Panics on a code that is not a known category's.
    pub fn inverse_transform(&self, codes: &Tensor<i64>) -> Vec<String> {
        let names = self.categories();
        codes
            .to_vec()
            .into_iter()
            .map(|c| {
                usize::try_from(c)
                    .ok()
                    .and_then(|i| names.get(i))
                    .cloned()
                    .unwrap_or_else(|| panic!("LabelEncoder::inverse_transform: code {c} is not in 0..{}", names.len()))
            })
            .collect()
    }
}

/// Encodes each category as a 0/1 indicator row with one column per known category:
/// with categories `[Red, Green, Blue]`, `Red → [1, 0, 0]` and `Blue → [0, 0, 1]`.
#[derive(Clone, Debug, Default)]
pub struct OneHotEncoder {
    order: CategoryOrder,
    unknown: HandleUnknown,
    vocab: Option<Vocabulary>,
}

impl OneHotEncoder {
    /// An unfitted encoder: first-appearance order, unknown categories are errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses the column order.
    pub fn order(mut self, order: CategoryOrder) -> Self {
        self.order = order;
        self
    }

    /// Chooses what an unknown category at transform time does.
    pub fn handle_unknown(mut self, unknown: HandleUnknown) -> Self {
        self.unknown = unknown;
        self
    }

    /// Learns the categories.
    pub fn fit<S: AsRef<str>>(&mut self, values: &[S]) -> &mut Self {
        self.vocab = Some(Vocabulary::fit(values, self.order));
        self
    }

    /// The known categories in column order. Panics before `fit`.
    pub fn categories(&self) -> &[String] {
        &self.vocab.as_ref().unwrap_or_else(|| not_fitted("OneHotEncoder::categories")).names
    }

    /// The indicator rows, `[n, categories]`.
    pub fn transform<S: AsRef<str>>(&self, values: &[S]) -> Result<Tensor<f32>, DataError> {
        let vocab = self.vocab.as_ref().unwrap_or_else(|| not_fitted("OneHotEncoder::transform"));
        let k = vocab.names.len();
        let mut out = vec![0.0f32; values.len() * k];
        for (r, v) in values.iter().enumerate() {
            match vocab.lookup("OneHotEncoder", v.as_ref()) {
                Ok(c) => out[r * k + c] = 1.0,
                Err(e) if self.unknown == HandleUnknown::Error => return Err(e),
                Err(_) => {}
            }
        }
        Ok(Tensor::from_vec(out, [values.len(), k]))
    }

    /// `fit` then `transform` on the same values (which cannot fail).
    pub fn fit_transform<S: AsRef<str>>(&mut self, values: &[S]) -> Tensor<f32> {
        self.fit(values);
        self.transform(values).expect("every value was just fitted")
    }
}

/// One-hot rows for integer class labels: `[n]` labels in `0..classes` become `[n, classes]`.
/// Panics on a label outside that range.
pub fn one_hot(labels: &Tensor<i64>, classes: usize) -> Tensor<f32> {
    let labels = labels.to_vec();
    let mut out = vec![0.0f32; labels.len() * classes];
    for (r, &l) in labels.iter().enumerate() {
        let c = usize::try_from(l).ok().filter(|&c| c < classes);
        let c = c.unwrap_or_else(|| panic!("one_hot: label {l} at position {r} is not in 0..{classes}"));
        out[r * classes + c] = 1.0;
    }
    Tensor::from_vec(out, [labels.len(), classes])
}

/// Replaces a category by the mean target of its training rows, shrunk toward the global mean:
/// `enc(c) = (Σ_c y + m · ȳ) / (n_c + m)` with smoothing `m`. For a 0/1 target that is the
/// (smoothed) proportion of positive cases in the category.
///
/// Encoding the training rows with statistics that include their own targets leaks the answer
/// into the feature; [`TargetEncoder::fit_transform_out_of_fold`] encodes each training row
/// with an encoder fitted on the other folds only. Unknown categories at transform time get
/// the global mean.
#[derive(Clone, Debug)]
pub struct TargetEncoder {
    smoothing: f64,
    fitted: Option<(HashMap<String, f64>, f64)>,
}

impl TargetEncoder {
    /// An unfitted encoder with smoothing `m >= 0` (0 means plain category means).
    pub fn new(smoothing: f64) -> Self {
        assert!(smoothing >= 0.0, "TargetEncoder::new: smoothing must be non-negative, got {smoothing}");
        TargetEncoder { smoothing, fitted: None }
    }

    /// Learns each category's smoothed mean target. Panics if the lengths differ or there are
    /// no rows.
    pub fn fit<S: AsRef<str>>(&mut self, categories: &[S], targets: &[f64]) -> &mut Self {
        assert_eq!(
            categories.len(),
            targets.len(),
            "TargetEncoder::fit: {} categories but {} targets",
            categories.len(),
            targets.len()
        );
        assert!(!targets.is_empty(), "TargetEncoder::fit: no rows to fit on");
        let global = mean(targets);
        let mut stats: HashMap<String, (f64, f64)> = HashMap::new();
        for (c, &y) in categories.iter().zip(targets) {
            let s = stats.entry(c.as_ref().to_string()).or_insert((0.0, 0.0));
            s.0 += y;
            s.1 += 1.0;
        }
        let m = self.smoothing;
        let table = stats.into_iter().map(|(c, (sum, n))| (c, (sum + m * global) / (n + m))).collect();
        self.fitted = Some((table, global));
        self
    }

    /// The global mean target of the training data.
    pub fn global_mean(&self) -> f64 {
        self.fitted.as_ref().unwrap_or_else(|| not_fitted("TargetEncoder::global_mean")).1
    }

    /// The encoding of each category, `[n]`.
    pub fn transform<S: AsRef<str>>(&self, categories: &[S]) -> Tensor<f64> {
        let (table, global) = self.fitted.as_ref().unwrap_or_else(|| not_fitted("TargetEncoder::transform"));
        let out: Vec<f64> = categories.iter().map(|c| table.get(c.as_ref()).copied().unwrap_or(*global)).collect();
        Tensor::from_vec(out, [categories.len()])
    }

    /// Encodes the training rows without leakage: the rows of each of `k` folds (shuffled by
    /// `seed`) are encoded by an encoder fitted on the other folds. Afterwards `self` is fitted
    /// on all rows, ready to transform validation and test data.
    pub fn fit_transform_out_of_fold<S: AsRef<str>>(
        &mut self,
        categories: &[S],
        targets: &[f64],
        k: usize,
        seed: u64,
    ) -> Tensor<f64> {
        let n = categories.len();
        assert_eq!(
            n,
            targets.len(),
            "TargetEncoder::fit_transform_out_of_fold: {n} categories but {} targets",
            targets.len()
        );
        let mut out = vec![0.0; n];
        for fold in k_fold(n, k, Some(seed)) {
            let cats: Vec<&str> = fold.train.iter().map(|&i| categories[i].as_ref()).collect();
            let ys: Vec<f64> = fold.train.iter().map(|&i| targets[i]).collect();
            let mut inner = TargetEncoder::new(self.smoothing);
            inner.fit(&cats, &ys);
            let held: Vec<&str> = fold.test.iter().map(|&i| categories[i].as_ref()).collect();
            for (&i, v) in fold.test.iter().zip(inner.transform(&held).to_vec()) {
                out[i] = v;
            }
        }
        self.fit(categories, targets);
        Tensor::from_vec(out, [n])
    }
}
