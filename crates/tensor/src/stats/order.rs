//! Ordering along an axis: sort, argsort, top-k and binary search into a sorted tensor.

use super::radix::{keys_of, radix_sort, write_from_keys, RADIX_MIN_LEN};
use super::{total_cmp, Lanes};
use crate::dtype::Numeric;
use crate::shape::dims_str;
use crate::Tensor;

/// The values along `axis` in ascending order (NaN last, like `np.sort`).
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let x = Tensor::from([[3i64, 1, 2], [0, 5, 4]]);
/// assert_eq!(stats::sort(&x, 1).to_vec(), vec![1, 2, 3, 0, 4, 5]);
/// assert_eq!(stats::sort(&x, 0).to_vec(), vec![0, 1, 2, 3, 5, 4]);
/// ```
pub fn sort<T: Numeric>(x: &Tensor<T>, axis: isize) -> Tensor<T> {
    let mut lanes = Lanes::new("sort", x, axis);
    let len = lanes.len;
    for lane in lanes.data.chunks_mut(len.max(1)) {
        sort_lane(lane);
    }
    let data = std::mem::take(&mut lanes.data);
    lanes.restore(data, len)
}

/// Sorts one lane ascending, NaN last: a radix sort on long lanes of the numeric types, else
/// a comparison sort (unstable is fine: equal values are interchangeable).
fn sort_lane<T: Numeric>(lane: &mut [T]) {
    if lane.len() >= RADIX_MIN_LEN {
        if let Some((mut keys, bytes)) = keys_of(lane, false) {
            radix_sort(&mut keys, &mut Vec::new(), bytes);
            write_from_keys(lane, &keys);
            return;
        }
    }
    lane.sort_unstable_by(total_cmp);
}

/// The values along `axis` in descending order (NaN first, the reverse of [`sort`]).
pub fn sort_descending<T: Numeric>(x: &Tensor<T>, axis: isize) -> Tensor<T> {
    let mut lanes = Lanes::new("sort_descending", x, axis);
    let len = lanes.len;
    for lane in lanes.data.chunks_mut(len.max(1)) {
        // Reversing an ascending sort puts NaN first; equal values are interchangeable.
        sort_lane(lane);
        lane.reverse();
    }
    let data = std::mem::take(&mut lanes.data);
    lanes.restore(data, len)
}

/// The indices that sort each lane along `axis`, stable: equal values keep their order (like
/// `np.argsort(kind="stable")`).
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let x = Tensor::from([2.0f32, 1.0, 2.0, 0.5]);
/// assert_eq!(stats::argsort(&x, 0).to_vec(), vec![3, 1, 0, 2]);
/// ```
pub fn argsort<T: Numeric>(x: &Tensor<T>, axis: isize) -> Tensor<i64> {
    let lanes = Lanes::new("argsort", x, axis);
    let mut out = Vec::with_capacity(lanes.data.len());
    let mut order: Vec<usize> = Vec::with_capacity(lanes.len);
    for lane in lanes.lanes() {
        if lane.len() >= RADIX_MIN_LEN && lane.len() <= u32::MAX as usize {
            if let Some((mut keys, bytes)) = keys_of(lane, true) {
                // LSD radix sort is stable, so ties keep their index order.
                let mut positions: Vec<u32> = (0..lane.len() as u32).collect();
                radix_sort(&mut keys, &mut positions, bytes);
                out.extend(positions.iter().map(|&i| i as i64));
                continue;
            }
        }
        order.clear();
        order.extend(0..lane.len());
        // `sort_by` is a stable merge sort, so ties stay in index order.
        order.sort_by(|&i, &j| total_cmp(&lane[i], &lane[j]));
        out.extend(order.iter().map(|&i| i as i64));
    }
    lanes.restore(out, lanes.len)
}

/// The `k` largest (or, with `largest = false`, smallest) values along `axis` and their
/// indices, best first; ties go to the lower index (like `torch.topk` with `sorted=True`).
/// Panics if `k` exceeds the axis length.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let scores = Tensor::from([[0.1f32, 0.7, 0.2], [0.5, 0.1, 0.4]]);
/// let (values, indices) = stats::topk(&scores, 2, -1, true);
/// assert_eq!(values.to_vec(), vec![0.7, 0.2, 0.5, 0.4]);
/// assert_eq!(indices.to_vec(), vec![1, 2, 0, 2]);
/// ```
pub fn topk<T: Numeric>(x: &Tensor<T>, k: usize, axis: isize, largest: bool) -> (Tensor<T>, Tensor<i64>) {
    let lanes = Lanes::new("topk", x, axis);
    if k > lanes.len {
        panic!("topk: k = {k} exceeds the length {} of axis {axis} (shape {})", lanes.len, dims_str(x.shape()));
    }
    let mut values = Vec::with_capacity(k * lanes.reduced_shape.iter().product::<usize>());
    let mut indices = Vec::with_capacity(values.capacity());
    let mut order: Vec<usize> = Vec::with_capacity(lanes.len);
    for lane in lanes.lanes() {
        order.clear();
        order.extend(0..lane.len());
        let better = |&i: &usize, &j: &usize| {
            let by_value = if largest { total_cmp(&lane[j], &lane[i]) } else { total_cmp(&lane[i], &lane[j]) };
            by_value.then(i.cmp(&j))
        };
        // Partition the k best to the front in O(n), then sort only those.
        if k > 0 && k < order.len() {
            order.select_nth_unstable_by(k - 1, better);
        }
        order[..k].sort_unstable_by(better);
        values.extend(order[..k].iter().map(|&i| lane[i]));
        indices.extend(order[..k].iter().map(|&i| i as i64));
    }
    (lanes.restore(values, k), lanes.restore(indices, k))
}

/// Which end of a run of equal values [`searchsorted`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The first position where the value could be inserted: `sorted[i-1] < v <= sorted[i]`.
    Left,
    /// The last position: `sorted[i-1] <= v < sorted[i]`.
    Right,
}

/// For each element of `values`, where it would be inserted into the ascending 1-D `sorted`
/// to keep it sorted (like `np.searchsorted`); the result has the shape of `values`.
/// `sorted` must already be sorted (NaN last); this is not checked.
///
/// ```
/// use kindling_tensor::{stats, stats::Side, Tensor};
/// let edges = Tensor::from([1.0f64, 2.0, 2.0, 3.0]);
/// let v = Tensor::from([2.0f64, 0.0, 9.0]);
/// assert_eq!(stats::searchsorted(&edges, &v, Side::Left).to_vec(), vec![1, 0, 4]);
/// assert_eq!(stats::searchsorted(&edges, &v, Side::Right).to_vec(), vec![3, 0, 4]);
/// ```
pub fn searchsorted<T: Numeric>(sorted: &Tensor<T>, values: &Tensor<T>, side: Side) -> Tensor<i64> {
    if sorted.rank() != 1 {
        panic!("searchsorted: the sorted sequence must be 1-D, got shape {}", dims_str(sorted.shape()));
    }
    let haystack = sorted.to_vec();
    let found: Vec<i64> = values
        .to_vec()
        .iter()
        .map(|v| {
            let pos = match side {
                Side::Left => haystack.partition_point(|s| total_cmp(s, v).is_lt()),
                Side::Right => haystack.partition_point(|s| total_cmp(s, v).is_le()),
            };
            pos as i64
        })
        .collect();
    Tensor::from_vec(found, values.shape())
}
