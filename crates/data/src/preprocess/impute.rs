//! Missing values (`NaN`): [`SimpleImputer`] fills with a column statistic, [`KnnImputer`] with
//! the mean of the nearest training rows, and [`forward_fill`] / [`backward_fill`] carry values
//! along a time series.

use super::{mean, not_fitted, Table, Transform};
use kindling_tensor::{Float, Tensor};

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
