//! Datasets: anything with a length that hands out samples by position.
//!
//! A [`Dataset`] is the smallest contract a loader needs: `len` and `get`. Batching is the
//! [`Stack`] trait's job (join many samples into one batch along a new axis 0), and
//! [`Dataset::get_batch`] lets a dataset that stores its samples as rows of one big tensor
//! ([`TensorDataset`]) answer a whole batch with one gather instead of stacking `B` small
//! tensors.

use kindling_tensor::{Element, Tensor};
use std::sync::Arc;

/// A collection of samples that can be read by position, in any order, from any thread.
pub trait Dataset: Send + Sync {
    /// One sample: a tensor, a `(features, target)` pair, a number, ...
    type Item;

    /// The number of samples.
    fn len(&self) -> usize;

    /// The sample at `index`. Panics if `index >= len()`.
    fn get(&self, index: usize) -> Self::Item;

    /// Whether the dataset holds no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The samples at `indices`, already joined into one batch.
    ///
    /// The default reads each sample with [`Dataset::get`] and stacks them; datasets that can
    /// gather a batch in one step (like [`TensorDataset`]) override it.
    fn get_batch(&self, indices: &[usize]) -> <Self::Item as Stack>::Batch
    where
        Self::Item: Stack,
    {
        Stack::stack(indices.iter().map(|&i| self.get(i)).collect())
    }

    /// Names sample `index` in error messages: its file, for a dataset read from files. The
    /// default is `"sample {index}"`; wrappers pass the question on to the dataset they wrap.
    fn describe(&self, index: usize) -> String {
        format!("sample {index}")
    }
}

/// Joins samples into a batch along a new leading axis (the default collation).
///
/// Implemented for tensors (`[..]` samples become one `[B, ..]` tensor), for the element types
/// (`B` numbers become a 1-D tensor) and for tuples of up to four stackable parts (stacked
/// part by part, so `(x, y)` samples become an `(xs, ys)` batch).
pub trait Stack: Sized {
    /// What a batch of these samples looks like.
    type Batch: Send;

    /// Joins `items` (at least one) into one batch. Panics on an empty batch or on samples of
    /// different shapes.
    fn stack(items: Vec<Self>) -> Self::Batch;
}

impl<T: Element> Stack for Tensor<T> {
    type Batch = Tensor<T>;

    fn stack(items: Vec<Self>) -> Tensor<T> {
        assert!(!items.is_empty(), "Stack: cannot build a batch from zero samples");
        let refs: Vec<&Tensor<T>> = items.iter().collect();
        Tensor::stack(&refs, 0)
    }
}

macro_rules! stack_scalars {
    ($($t:ty),*) => {$(
        impl Stack for $t {
            type Batch = Tensor<$t>;

            fn stack(items: Vec<Self>) -> Tensor<$t> {
                assert!(!items.is_empty(), "Stack: cannot build a batch from zero samples");
                let n = items.len();
                Tensor::from_vec(items, [n])
            }
        }
    )*};
}
stack_scalars!(f32, f64, i64, i32, u8, bool);

macro_rules! stack_tuples {
    ($(($($name:ident $idx:tt),+)),*) => {$(
        impl<$($name: Stack),+> Stack for ($($name,)+) {
            type Batch = ($($name::Batch,)+);

            #[allow(non_snake_case)]
            fn stack(items: Vec<Self>) -> Self::Batch {
                $(let mut $name = Vec::with_capacity(items.len());)+
                for item in items {
                    $($name.push(item.$idx);)+
                }
                ($($name::stack($name),)+)
            }
        }
    )*};
}
stack_tuples!((A 0), (A 0, B 1), (A 0, B 1, C 2), (A 0, B 1, C 2, D 3));

/// An in-memory dataset of two tensors whose axis 0 runs over the samples: sample `i` is
/// `(features[i], targets[i])`.
///
/// Samples are views (no copy); a batch is one `index_select` per tensor.
#[derive(Clone)]
pub struct TensorDataset<X: Element = f32, Y: Element = i64> {
    features: Tensor<X>,
    targets: Tensor<Y>,
}

impl<X: Element, Y: Element> TensorDataset<X, Y> {
    /// Pairs features and targets. Panics if either is a scalar or their axis-0 lengths differ.
    pub fn new(features: Tensor<X>, targets: Tensor<Y>) -> Self {
        assert!(
            features.rank() >= 1 && targets.rank() >= 1,
            "TensorDataset::new: features {:?} and targets {:?} must both have a sample axis 0",
            features.shape(),
            targets.shape()
        );
        assert!(
            features.shape()[0] == targets.shape()[0],
            "TensorDataset::new: features {:?} and targets {:?} differ in length along axis 0 ({} vs {})",
            features.shape(),
            targets.shape(),
            features.shape()[0],
            targets.shape()[0]
        );
        TensorDataset { features, targets }
    }

    /// All features, `[N, ..]`.
    pub fn features(&self) -> &Tensor<X> {
        &self.features
    }

    /// All targets, `[N, ..]`.
    pub fn targets(&self) -> &Tensor<Y> {
        &self.targets
    }

    /// Gives the two tensors back.
    pub fn into_parts(self) -> (Tensor<X>, Tensor<Y>) {
        (self.features, self.targets)
    }

    /// A new dataset holding copies of the samples at `indices`, in that order (for example one
    /// side of a split, materialized so later batches gather from a compact buffer).
    pub fn select(&self, indices: &[usize]) -> TensorDataset<X, Y> {
        let (features, targets) = self.get_batch(indices);
        TensorDataset { features, targets }
    }
}

/// Turns positions into the `i64` index tensor `index_select` takes, checking the range.
pub(crate) fn index_tensor(indices: &[usize], len: usize, who: &str) -> Tensor<i64> {
    let data: Vec<i64> = indices
        .iter()
        .map(|&i| {
            assert!(i < len, "{who}: index {i} is out of range for a dataset of {len} samples");
            i as i64
        })
        .collect();
    Tensor::from_vec(data, [indices.len()])
}

impl<X: Element, Y: Element> Dataset for TensorDataset<X, Y> {
    type Item = (Tensor<X>, Tensor<Y>);

    fn len(&self) -> usize {
        self.features.shape()[0]
    }

    fn get(&self, index: usize) -> Self::Item {
        assert!(
            index < self.len(),
            "TensorDataset::get: index {index} is out of range for a dataset of {} samples",
            self.len()
        );
        (self.features.select(0, index), self.targets.select(0, index))
    }

    fn get_batch(&self, indices: &[usize]) -> <Self::Item as Stack>::Batch {
        let idx = index_tensor(indices, self.len(), "TensorDataset::get_batch");
        (self.features.index_select(0, &idx), self.targets.index_select(0, &idx))
    }
}

/// A view of some samples of another dataset, by position (one side of a split, one fold).
///
/// The parent is shared through an [`Arc`], so many subsets of one dataset cost only their
/// index lists. Batches are delegated to the parent's [`Dataset::get_batch`], so a subset of
/// a [`TensorDataset`] keeps the one-gather fast path.
pub struct Subset<D> {
    dataset: Arc<D>,
    indices: Vec<usize>,
}

impl<D> Clone for Subset<D> {
    fn clone(&self) -> Self {
        Subset { dataset: Arc::clone(&self.dataset), indices: self.indices.clone() }
    }
}

impl<D: Dataset> Subset<D> {
    /// The samples of `dataset` at `indices` (in that order). Panics if an index is out of
    /// range.
    pub fn new(dataset: Arc<D>, indices: Vec<usize>) -> Self {
        let n = dataset.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            panic!("Subset::new: index {bad} is out of range for a dataset of {n} samples");
        }
        Subset { dataset, indices }
    }

    /// The positions in the parent dataset.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The parent dataset.
    pub fn dataset(&self) -> &Arc<D> {
        &self.dataset
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    type Item = D::Item;

    fn len(&self) -> usize {
        self.indices.len()
    }

    fn get(&self, index: usize) -> D::Item {
        assert!(
            index < self.indices.len(),
            "Subset::get: index {index} is out of range for a subset of {} samples",
            self.indices.len()
        );
        self.dataset.get(self.indices[index])
    }

    fn get_batch(&self, indices: &[usize]) -> <D::Item as Stack>::Batch
    where
        D::Item: Stack,
    {
        let parent: Vec<usize> = indices
            .iter()
            .map(|&i| {
                assert!(
                    i < self.indices.len(),
                    "Subset::get_batch: index {i} is out of range for a subset of {} samples",
                    self.indices.len()
                );
                self.indices[i]
            })
            .collect();
        self.dataset.get_batch(&parent)
    }

    fn describe(&self, index: usize) -> String {
        match self.indices.as_slice().get(index) {
            Some(&i) => self.dataset.describe(i),
            None => format!("sample {index} (out of range)"),
        }
    }
}

/// A shared dataset is a dataset (so loaders and subsets can hold an `Arc` of one).
impl<D: Dataset + ?Sized> Dataset for Arc<D> {
    type Item = D::Item;

    fn len(&self) -> usize {
        (**self).len()
    }

    fn get(&self, index: usize) -> D::Item {
        (**self).get(index)
    }

    fn get_batch(&self, indices: &[usize]) -> <D::Item as Stack>::Batch
    where
        D::Item: Stack,
    {
        (**self).get_batch(indices)
    }

    fn describe(&self, index: usize) -> String {
        (**self).describe(index)
    }
}

/// A vector of samples is a dataset (each `get` clones one element).
impl<I: Clone + Send + Sync> Dataset for Vec<I> {
    type Item = I;

    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn get(&self, index: usize) -> I {
        assert!(index < self.as_slice().len(), "Vec dataset: index {index} is out of range for {} samples", self.len());
        self[index].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_dataset_rows_and_batches_agree() {
        let x = Tensor::from_vec((0..12).map(|v| v as f32).collect(), [4, 3]);
        let y = Tensor::from_vec(vec![10i64, 11, 12, 13], [4]);
        let ds = TensorDataset::new(x, y);
        assert_eq!(ds.len(), 4);
        let (row, label) = ds.get(2);
        assert_eq!(row.to_vec(), vec![6.0, 7.0, 8.0]);
        assert_eq!(label.item(), 12);
        let (xb, yb) = ds.get_batch(&[3, 0]);
        assert_eq!(xb.shape(), &[2, 3]);
        assert_eq!(xb.to_vec(), vec![9.0, 10.0, 11.0, 0.0, 1.0, 2.0]);
        assert_eq!(yb.to_vec(), vec![13, 10]);
        // The generic path (stack the rows) gives the same batch as the gather.
        let stacked = <(Tensor<f32>, Tensor<i64>) as Stack>::stack(vec![ds.get(3), ds.get(0)]);
        assert_eq!(stacked.0.to_vec(), xb.to_vec());
        assert_eq!(stacked.1.to_vec(), yb.to_vec());
    }

    #[test]
    fn subset_maps_positions() {
        let ds = Arc::new(vec![1.0f64, 2.0, 3.0, 4.0]);
        let sub = Subset::new(ds, vec![3, 1]);
        assert_eq!(sub.len(), 2);
        assert_eq!(sub.get(0), 4.0);
        assert_eq!(sub.get_batch(&[1, 0]).to_vec(), vec![2.0, 4.0]);
    }

    #[test]
    #[should_panic(expected = "differ in length along axis 0 (3 vs 2)")]
    fn mismatched_lengths_panic() {
        TensorDataset::new(Tensor::<f32>::zeros([3, 2]), Tensor::<i64>::zeros([2]));
    }
}
