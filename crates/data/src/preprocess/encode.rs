//! Categorical encodings: [`LabelEncoder`] numbers the categories, [`OneHotEncoder`] and
//! [`one_hot`] turn them into indicator columns, [`TargetEncoder`] into a smoothed mean target
//! (with an out-of-fold variant that does not leak).

use super::{mean, not_fitted};
use crate::error::DataError;
use crate::split::k_fold;
use kindling_tensor::Tensor;
use std::collections::HashMap;

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
