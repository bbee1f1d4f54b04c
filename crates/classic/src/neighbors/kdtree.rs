//! A KD-tree: k-nearest search that skips whole boxes of training points.
//!
//! Each node owns a contiguous range of a permutation of the training rows and the bounding
//! box of those rows. A node splits its range at the median of its widest coordinate, until a
//! range holds at most `leaf_size` rows. A query walks down the nearer child first, keeps its
//! k best candidates, and skips any node whose box is farther than the current k-th best. In
//! a few dimensions that skips most of the data; past about 15 dimensions almost no box can
//! be skipped and brute force through the GEMM is faster (the `Auto` rule).

use super::brute::distance;
use super::{Metric, NeighbourLists};
use kindling_tensor::Tensor;
use rayon::prelude::*;

/// One neighbour found by a query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    /// The training row.
    pub index: usize,
    /// Its distance to the query.
    pub distance: f64,
}

#[derive(Clone, Debug)]
struct Node {
    start: usize,
    end: usize,
    /// The two children's node positions, `None` for a leaf.
    children: Option<(usize, usize)>,
}

/// A KD-tree over the rows of a `[samples, features]` tensor.
///
/// Ties in distance are broken by the lower training index, as in brute force, so both give
/// the same neighbours.
///
/// ```
/// use kindling_classic::neighbors::{KdTree, Metric};
/// use kindling_tensor::Tensor;
///
/// let points = Tensor::from([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [5.0, 5.0]]);
/// let tree = KdTree::build(&points, Metric::Euclidean, 2);
/// let nearest = tree.query(&[0.9, 0.1], 2);
/// assert_eq!(nearest.iter().map(|n| n.index).collect::<Vec<_>>(), vec![1, 0]);
/// ```
#[derive(Clone, Debug)]
pub struct KdTree {
    points: Vec<f64>,
    dims: usize,
    metric: Metric,
    /// A permutation of the rows; each node owns `order[start..end]`.
    order: Vec<usize>,
    nodes: Vec<Node>,
    /// Per node: `dims` lower bounds then `dims` upper bounds.
    boxes: Vec<f64>,
}

impl KdTree {
    /// Builds the tree over the rows of `x` (`[samples, features]`), with at most `leaf_size`
    /// rows per leaf (scikit-learn uses 30). Panics unless `x` is 2-D with a row, or when
    /// `leaf_size` is 0.
    pub fn build(x: &Tensor<f64>, metric: Metric, leaf_size: usize) -> KdTree {
        assert!(
            x.rank() == 2 && x.shape()[0] > 0,
            "KdTree::build: x must be [samples, features] with a row, got {:?}",
            x.shape()
        );
        assert!(leaf_size > 0, "KdTree::build: leaf_size must be at least 1");
        let (rows, dims) = (x.shape()[0], x.shape()[1]);
        let mut tree = KdTree {
            points: x.contiguous().to_vec(),
            dims,
            metric,
            order: (0..rows).collect(),
            nodes: Vec::new(),
            boxes: Vec::new(),
        };
        tree.split(0, rows, leaf_size);
        tree
    }

    /// The number of training rows.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the tree holds no rows (never, once built).
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.points[i * self.dims..(i + 1) * self.dims]
    }

    /// Adds the node for `order[start..end]` and its subtree; returns its position.
    fn split(&mut self, start: usize, end: usize, leaf_size: usize) -> usize {
        let d = self.dims;
        let mut bounds = vec![f64::INFINITY; d];
        bounds.extend(std::iter::repeat_n(f64::NEG_INFINITY, d));
        for &i in &self.order[start..end] {
            for (j, v) in self.points[i * d..(i + 1) * d].iter().enumerate() {
                bounds[j] = bounds[j].min(*v);
                bounds[d + j] = bounds[d + j].max(*v);
            }
        }
        let widest = (0..d).max_by(|&a, &b| (bounds[d + a] - bounds[a]).total_cmp(&(bounds[d + b] - bounds[b])));
        let node = self.nodes.len();
        self.nodes.push(Node { start, end, children: None });
        self.boxes.extend_from_slice(&bounds);
        let Some(axis) = widest else { return node };
        if end - start <= leaf_size || bounds[d + axis] == bounds[axis] {
            return node; // small enough, or every row identical
        }
        let mid = start + (end - start) / 2;
        let points = &self.points;
        self.order[start..end].select_nth_unstable_by(mid - start, |&a, &b| {
            points[a * d + axis].total_cmp(&points[b * d + axis]).then(a.cmp(&b))
        });
        let left = self.split(start, mid, leaf_size);
        let right = self.split(mid, end, leaf_size);
        self.nodes[node].children = Some((left, right));
        node
    }

    /// The smallest distance from `query` to any point in `node`'s box (in the metric's
    /// reduced form: squared for Euclidean). Rounding is monotone, so it never exceeds the
    /// reduced distance of a point inside the box.
    fn box_distance(&self, node: usize, query: &[f64]) -> f64 {
        let d = self.dims;
        let b = &self.boxes[node * 2 * d..(node + 1) * 2 * d];
        let gaps = query.iter().enumerate().map(|(j, &q)| (b[j] - q).max(q - b[d + j]).max(0.0));
        match self.metric {
            Metric::Euclidean => gaps.map(|g| g * g).sum(),
            Metric::Manhattan => gaps.sum(),
        }
    }

    fn reduced_distance(&self, a: &[f64], b: &[f64]) -> f64 {
        match self.metric {
            Metric::Euclidean => a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum(),
            Metric::Manhattan => distance(Metric::Manhattan, a, b),
        }
    }

    /// The `k` nearest rows to `query`, nearest first, ties by lower index. Panics when
    /// `query` has the wrong length or `k` exceeds the number of rows.
    pub fn query(&self, query: &[f64], k: usize) -> Vec<Neighbour> {
        assert!(
            query.len() == self.dims,
            "KdTree::query: the tree has {} features but the query has {}",
            self.dims,
            query.len()
        );
        assert!(k <= self.len(), "KdTree::query: k = {k} exceeds the {} rows in the tree", self.len());
        let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
        if k > 0 {
            self.search(0, query, k, &mut best);
        }
        best.into_iter()
            .map(|(reduced, index)| Neighbour {
                index,
                distance: if self.metric == Metric::Euclidean { reduced.sqrt() } else { reduced },
            })
            .collect()
    }

    /// `best` is sorted by (reduced distance, index) and holds at most k entries.
    fn search(&self, node: usize, query: &[f64], k: usize, best: &mut Vec<(f64, usize)>) {
        let Node { start, end, children } = self.nodes[node];
        match children {
            None => {
                for &i in &self.order[start..end] {
                    let candidate = (self.reduced_distance(query, self.row(i)), i);
                    if best.len() == k {
                        let worst = best[k - 1];
                        if candidate.0 > worst.0 || (candidate.0 == worst.0 && candidate.1 > worst.1) {
                            continue;
                        }
                        best.pop();
                    }
                    let at = best.partition_point(|b| b.0 < candidate.0 || (b.0 == candidate.0 && b.1 < candidate.1));
                    best.insert(at, candidate);
                }
            }
            Some((left, right)) => {
                let (dl, dr) = (self.box_distance(left, query), self.box_distance(right, query));
                let visits = if dl <= dr { [(left, dl), (right, dr)] } else { [(right, dr), (left, dl)] };
                for (child, gap) in visits {
                    // Strictly farther boxes are skipped; an equal one may hold a lower index.
                    if best.len() < k || gap <= best[k - 1].0 {
                        self.search(child, query, k, best);
                    }
                }
            }
        }
    }

    /// The k nearest rows of each query row, in parallel over queries.
    pub(crate) fn query_rows(&self, queries: &[f64], k: usize) -> NeighbourLists {
        let found: Vec<Vec<Neighbour>> = queries.par_chunks(self.dims.max(1)).map(|q| self.query(q, k)).collect();
        let mut out = NeighbourLists::with_capacity(found.len(), k);
        for n in found.iter().flatten() {
            out.push(n.index, n.distance);
        }
        out
    }
}
