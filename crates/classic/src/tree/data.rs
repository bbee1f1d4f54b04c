//! [`TreeData`]: the training rows prepared once for the split search.

use crate::input;
use kindling_tensor::Tensor;

/// `x` prepared for growing trees: a column-major copy (a node's scan walks one feature) and,
/// per feature, the row indices sorted by value (ties by row index). A tree partitions these
/// sorted lists as it splits nodes, so no node sorts again; forests and boosting build one
/// `TreeData` and grow every tree from it.
///
/// ```
/// use kindling_classic::tree::{DecisionTreeRegressor, TreeData};
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[1.0], [2.0], [3.0], [4.0]]);
/// let data = TreeData::new(&x);
/// let mut tree = DecisionTreeRegressor::new().max_depth(Some(1));
/// tree.fit_prepared(&data, &[1.0, 1.0, 5.0, 5.0], None).unwrap();
/// assert_eq!(tree.predict(&x), vec![1.0, 1.0, 5.0, 5.0]);
/// ```
#[derive(Clone, Debug)]
pub struct TreeData {
    pub(crate) rows: usize,
    pub(crate) features: usize,
    /// `columns[f * rows + i]` = x[i, f].
    pub(crate) columns: Vec<f64>,
    /// `sorted[f * rows ..][..rows]`: the rows in ascending order of feature f.
    pub(crate) sorted: Vec<u32>,
    /// The first NaN or infinity (row, column), reported by `fit_prepared`.
    pub(crate) non_finite: Option<(usize, usize)>,
}

impl TreeData {
    /// Copies `x` (`[samples, features]`) column by column and sorts each column once. Panics
    /// unless `x` is 2-D.
    pub fn new(x: &Tensor<f64>) -> TreeData {
        let (values, rows, features) = input::matrix("TreeData::new", x);
        assert!(rows < u32::MAX as usize, "TreeData::new: {rows} rows do not fit the u32 indices");
        let mut columns = vec![0.0; rows * features];
        for (i, row) in values.chunks(features.max(1)).enumerate() {
            for (f, &v) in row.iter().enumerate() {
                columns[f * rows + i] = v;
            }
        }
        let non_finite = values.iter().position(|v| !v.is_finite()).map(|at| (at / features, at % features));
        let mut sorted = Vec::with_capacity(rows * features);
        for f in 0..features {
            let column = &columns[f * rows..(f + 1) * rows];
            let mut order: Vec<u32> = (0..rows as u32).collect();
            // Stable, so equal values keep row order: the naive twin sorts the same way.
            order.sort_by(|&a, &b| column[a as usize].total_cmp(&column[b as usize]));
            sorted.extend_from_slice(&order);
        }
        TreeData { rows, features, columns, sorted, non_finite }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.features
    }

    pub(crate) fn column(&self, f: usize) -> &[f64] {
        &self.columns[f * self.rows..(f + 1) * self.rows]
    }

    pub(crate) fn sorted(&self, f: usize) -> &[u32] {
        &self.sorted[f * self.rows..(f + 1) * self.rows]
    }

    pub(crate) fn check_finite(&self, estimator: &'static str) -> Result<(), crate::ClassicError> {
        match self.non_finite {
            None => Ok(()),
            Some((row, col)) => Err(crate::ClassicError::data(
                estimator,
                format!(
                    "x holds {} at row {row}, column {col}; impute or drop missing values first",
                    self.column(col)[row]
                ),
            )),
        }
    }
}
