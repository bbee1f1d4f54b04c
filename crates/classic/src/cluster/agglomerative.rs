//! Agglomerative (hierarchical) clustering: start with every row its own cluster and merge the
//! two closest clusters until one is left. The merges form a tree (the dendrogram); cutting it
//! gives any number of clusters.
//!
//! How close two clusters are is the *linkage*: the closest pair of their points (single), the
//! farthest pair (complete), the mean over all pairs (average), or Ward's increase in the
//! within-cluster sum of squares. After a merge of i and j, the distance from any other
//! cluster k to the merged one follows from d(k, i), d(k, j) and d(i, j) alone (the
//! Lance–Williams formula), so no point distances are recomputed.
//!
//! The tree is returned in SciPy's linkage format ([`Merge`]): row s merges clusters `left` and
//! `right` (points are clusters 0..n, the cluster made by row s is n + s, `left < right`) at
//! `distance`, into a cluster of `size` points. Ward distances are SciPy's (and
//! scikit-learn's): √(2·ΔSS), the Euclidean distance between the two centroids scaled by
//! √(2·|i|·|j| / (|i| + |j|)).
//!
//! [`linkage`] runs the fast path (`linkage_fast.rs`: distances through the GEMM, the
//! nearest-neighbour chain, Prim's tree for single linkage), or the textbook O(n³) loop
//! (`linkage_naive.rs`) under `KINDLING_KERNELS=naive`. On data without ties both give
//! the same tree.
//!
//! **Ties.** With equal distances the tree is not unique. The fast path merges the pair the
//! nearest-neighbour chain meets first (a cluster's predecessor in the chain wins a tie, then
//! the lowest slot), which is SciPy's rule, and sorts merges of equal height in the order
//! found; the naive loop takes the first closest pair in a row-major scan.
//!
//! ```
//! use kindling_classic::cluster::{fcluster, linkage, AgglomerativeClustering, Linkage};
//! use kindling_classic::Clusterer;
//! use kindling_tensor::Tensor;
//!
//! let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 10.0, 0.0, 10.0, 1.5, 30.0, 0.0], [5, 2]);
//! let tree = linkage(&x, Linkage::Ward);
//! assert_eq!((tree[0].left, tree[0].right, tree[0].size), (0, 1, 2));
//! assert_eq!(fcluster(&tree, 3), [0, 0, 1, 1, 2]);
//!
//! let mut model = AgglomerativeClustering::new(2).linkage(Linkage::Single);
//! let labels = model.fit_predict(&x)?;
//! assert_eq!(labels[0], labels[3]);
//! assert_ne!(labels[0], labels[4]);
//! # Ok::<(), kindling_classic::ClassicError>(())
//! ```

use super::{linkage_fast, linkage_naive};
use crate::persist::Persist;
use crate::{ClassicError, Clusterer};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;
use kindling_tensor::{kernel_mode, KernelMode};
use std::fmt;
use std::str::FromStr;

/// How the distance between two clusters is measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Linkage {
    /// The closest pair of points, one from each cluster.
    Single,
    /// The farthest pair of points.
    Complete,
    /// The mean distance over all pairs (UPGMA).
    Average,
    /// Ward's minimum variance: merge the pair whose union adds least to the within-cluster
    /// sum of squares (scikit-learn's default).
    #[default]
    Ward,
}

impl fmt::Display for Linkage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Linkage::Single => "single",
            Linkage::Complete => "complete",
            Linkage::Average => "average",
            Linkage::Ward => "ward",
        })
    }
}

impl FromStr for Linkage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "single" => Ok(Linkage::Single),
            "complete" => Ok(Linkage::Complete),
            "average" => Ok(Linkage::Average),
            "ward" => Ok(Linkage::Ward),
            other => Err(format!("unknown linkage {other:?} (single, complete, average or ward)")),
        }
    }
}

/// One row of the merge tree, as SciPy's `linkage` writes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Merge {
    /// The smaller of the two merged cluster ids (points are 0..n; row s makes cluster n + s).
    pub left: usize,
    /// The larger id.
    pub right: usize,
    /// The linkage distance at which they merge.
    pub distance: f64,
    /// Points in the merged cluster.
    pub size: usize,
}

/// The Lance–Williams update: the distance from cluster k (`nk` points) to the union of i and
/// j, from d(k, i), d(k, j) and d(i, j). Ward works on squared distances and returns the root,
/// as SciPy does.
pub(crate) fn lance_williams(linkage: Linkage, dki: f64, dkj: f64, dij: f64, ni: usize, nj: usize, nk: usize) -> f64 {
    match linkage {
        Linkage::Single => dki.min(dkj),
        Linkage::Complete => dki.max(dkj),
        Linkage::Average => (ni as f64 * dki + nj as f64 * dkj) / (ni + nj) as f64,
        Linkage::Ward => {
            let (ni, nj, nk) = (ni as f64, nj as f64, nk as f64);
            let total = ni + nj + nk;
            (((nk + ni) * dki * dki + (nk + nj) * dkj * dkj - nk * dij * dij) / total).max(0.0).sqrt()
        }
    }
}

/// The full merge tree of the rows of `x` (`[samples, features]`, Euclidean distances), n − 1
/// rows sorted by distance. Panics when `x` is not 2-D or holds a NaN or an infinity
/// ([`AgglomerativeClustering::fit`] returns an error instead).
pub fn linkage(x: &Tensor<f64>, method: Linkage) -> Vec<Merge> {
    assert!(x.rank() == 2, "linkage: x must be [samples, features], got shape {:?}", x.shape());
    let (n, dims) = (x.shape()[0], x.shape()[1]);
    let rows = x.contiguous().to_vec();
    assert!(rows.iter().all(|v| v.is_finite()), "linkage: x holds a NaN or an infinity");
    match kernel_mode() {
        KernelMode::Naive => linkage_naive::linkage(&rows, n, dims, method),
        KernelMode::Fast => linkage_fast::linkage(&rows, n, dims, method),
    }
}

/// Cuts the tree into `k` clusters by undoing its last k − 1 merges, numbered exactly as
/// SciPy's `fcluster(Z, k, 'maxclust')` numbers them, from 0 instead of 1: a walk from the root
/// visits a node's merged children (left, then right) before naming its single points, and
/// numbers clusters in the order it meets them. Panics unless 1 ≤ k ≤ n.
pub fn fcluster(merges: &[Merge], k: usize) -> Vec<usize> {
    let n = merges.len() + 1;
    assert!((1..=n).contains(&k), "fcluster: k = {k}, but the tree has {n} points");
    if n == 1 {
        return vec![0];
    }
    // Clusters are the nodes with id < 2n − k (formed before the last k − 1 merges).
    let cut = 2 * n - k;
    let mut labels = vec![0; n];
    let mut count = 0;
    // The cluster being painted: the highest node below the cut on the current path.
    let mut leader = None;
    let mut stack = vec![(2 * n - 2, false)];
    while let Some((node, children_done)) = stack.pop() {
        let m = merges[node - n];
        if !children_done {
            if leader.is_none() && node < cut {
                leader = Some(node);
                count += 1;
            }
            stack.push((node, true));
            stack.extend([m.right, m.left].into_iter().filter(|&c| c >= n).map(|c| (c, false)));
        } else {
            for point in [m.left, m.right].into_iter().filter(|&c| c < n) {
                if leader.is_none() {
                    count += 1;
                }
                labels[point] = count - 1;
            }
            if leader == Some(node) {
                leader = None;
            }
        }
    }
    labels
}

/// Gives every point under `node` the label `label`.
fn paint(merges: &[Merge], node: usize, label: usize, labels: &mut [usize]) {
    let n = merges.len() + 1;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if node < n {
            labels[node] = label;
        } else {
            let m = merges[node - n];
            stack.extend([m.left, m.right]);
        }
    }
}

/// Cuts the tree into `k` clusters numbered as scikit-learn's `AgglomerativeClustering`
/// numbers them (`_hc_cut`): the cut nodes are kept in Python's `heapq` order of their
/// negated ids, and cluster i is the i-th node of that heap array.
fn sklearn_cut(merges: &[Merge], k: usize) -> Vec<usize> {
    let n = merges.len() + 1;
    let mut heap: Vec<i64> = vec![-((2 * n - 2) as i64)];
    for _ in 1..k {
        let m = merges[(-heap[0]) as usize - n];
        heap_push(&mut heap, -(m.left as i64));
        heap_push_pop(&mut heap, -(m.right as i64));
    }
    let mut labels = vec![0; n];
    for (label, &node) in heap.iter().enumerate() {
        paint(merges, (-node) as usize, label, &mut labels);
    }
    labels
}

/// Python's `heapq.heappush`.
fn heap_push(heap: &mut Vec<i64>, item: i64) {
    heap.push(item);
    let last = heap.len() - 1;
    sift_toward_root(heap, 0, last);
}

/// Python's `heapq.heappushpop` (the popped item is not needed here).
fn heap_push_pop(heap: &mut [i64], item: i64) {
    if !heap.is_empty() && heap[0] < item {
        heap[0] = item;
        sift_toward_leaves(heap, 0);
    }
}

/// Python's `heapq._siftdown`: moves the item at `pos` up while it is smaller than its parent.
fn sift_toward_root(heap: &mut [i64], start: usize, mut pos: usize) {
    let item = heap[pos];
    while pos > start {
        let parent = (pos - 1) / 2;
        if item < heap[parent] {
            heap[pos] = heap[parent];
            pos = parent;
        } else {
            break;
        }
    }
    heap[pos] = item;
}

/// Python's `heapq._siftup`: the smaller child rises until a leaf is reached, then the item
/// settles upward from there (the exact array order matters for the labels).
fn sift_toward_leaves(heap: &mut [i64], mut pos: usize) {
    let (end, start, item) = (heap.len(), pos, heap[pos]);
    let mut child = 2 * pos + 1;
    while child < end {
        let right = child + 1;
        if right < end && heap[child] >= heap[right] {
            child = right;
        }
        heap[pos] = heap[child];
        pos = child;
        child = 2 * pos + 1;
    }
    heap[pos] = item;
    sift_toward_root(heap, start, pos);
}

/// Agglomerative clustering into `k` clusters: the full tree by [`linkage`], cut by undoing its
/// last k − 1 merges. Labels are numbered as scikit-learn numbers them, from SciPy's tree (so
/// on data without ties `labels()` equals its `labels_` for Ward, complete and average
/// linkage; for single linkage scikit-learn's own tree builder lists each merge's children
/// unordered, so its numbering can differ while the clusters are the same). [`fcluster`]
/// numbers the same clusters as SciPy's `fcluster`.
///
/// ```
/// use kindling_classic::cluster::{AgglomerativeClustering, Linkage};
/// use kindling_classic::Clusterer;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from_vec(vec![0.0, 0.1, 5.0, 5.2, 9.0, 9.3], [6, 1]);
/// let mut model = AgglomerativeClustering::new(3).linkage(Linkage::Average);
/// model.fit(&x)?;
/// let labels = model.labels();
/// assert!(labels[0] == labels[1] && labels[2] == labels[3] && labels[4] == labels[5]);
/// assert_eq!(model.merges().len(), 5);
/// # Ok::<(), kindling_classic::ClassicError>(())
/// ```
#[derive(Clone, Debug)]
pub struct AgglomerativeClustering {
    k: usize,
    linkage: Linkage,
    fitted: Option<Fitted>,
}

#[derive(Clone, Debug)]
struct Fitted {
    merges: Vec<Merge>,
    labels: Vec<usize>,
}

impl AgglomerativeClustering {
    /// `k` clusters, Ward linkage (scikit-learn's defaults).
    pub fn new(k: usize) -> Self {
        AgglomerativeClustering { k, linkage: Linkage::Ward, fitted: None }
    }

    /// The linkage (default [`Linkage::Ward`]).
    pub fn linkage(mut self, linkage: Linkage) -> Self {
        self.linkage = linkage;
        self
    }

    /// The number of clusters asked for.
    pub fn n_clusters(&self) -> usize {
        self.k
    }

    /// The linkage in use.
    pub fn linkage_method(&self) -> Linkage {
        self.linkage
    }

    /// The full merge tree of the training rows (SciPy's linkage rows). Panics when not fitted.
    pub fn merges(&self) -> &[Merge] {
        &self.fitted("merges").merges
    }

    fn fitted(&self, op: &str) -> &Fitted {
        self.fitted
            .as_ref()
            .unwrap_or_else(|| panic!("AgglomerativeClustering::{op}: the model is not fitted; call fit first"))
    }
}

impl Clusterer for AgglomerativeClustering {
    fn name(&self) -> &'static str {
        "AgglomerativeClustering"
    }

    fn fit(&mut self, x: &Tensor<f64>) -> Result<(), ClassicError> {
        const NAME: &str = "AgglomerativeClustering";
        assert!(x.rank() == 2, "{NAME}::fit: x must be [samples, features], got shape {:?}", x.shape());
        let (n, cols) = (x.shape()[0], x.shape()[1]);
        if self.k == 0 {
            return Err(ClassicError::param(NAME, "k", "must be at least 1"));
        }
        if n < self.k {
            return Err(ClassicError::data(
                NAME,
                format!("x has {n} rows but {} clusters were asked for; ask for at most {n}", self.k),
            ));
        }
        let values = x.contiguous().to_vec();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(ClassicError::data(
                NAME,
                format!(
                    "x holds {} at row {}, column {} (counting from 0); impute or drop it before fitting",
                    values[i],
                    i / cols.max(1),
                    i % cols.max(1)
                ),
            ));
        }
        let merges = linkage(x, self.linkage);
        let labels = sklearn_cut(&merges, self.k);
        self.fitted = Some(Fitted { merges, labels });
        Ok(())
    }

    fn labels(&self) -> &[usize] {
        &self.fitted("labels").labels
    }
}

impl Persist for AgglomerativeClustering {
    const KIND: &'static str = "AgglomerativeClustering";

    fn to_state(&self) -> StateDict {
        let fitted = self.fitted("to_state");
        let rows = fitted.merges.len();
        let children: Vec<i64> = fitted.merges.iter().flat_map(|m| [m.left as i64, m.right as i64]).collect();
        let mut state = StateDict::new();
        state.insert("children", Tensor::from_vec(children, [rows, 2]));
        state.insert("distances", Tensor::from_vec(fitted.merges.iter().map(|m| m.distance).collect(), [rows]));
        state.insert("sizes", Tensor::from_vec(fitted.merges.iter().map(|m| m.size as i64).collect(), [rows]));
        state.insert("labels", Tensor::from_vec(fitted.labels.iter().map(|&l| l as i64).collect(), [rows + 1]));
        state.set_metadata("k", self.k.to_string());
        state.set_metadata("linkage", self.linkage.to_string());
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let meta = |key: &str| state.metadata().get(key).cloned().ok_or_else(|| format!("no {key:?} in the metadata"));
        let k: usize = meta("k")?.parse().map_err(|_| "k cannot be read".to_string())?;
        let method: Linkage = meta("linkage")?.parse()?;
        let tensor = |name: &str| state.get(name).ok_or_else(|| format!("no tensor {name:?}"));
        let children = tensor("children")?.cast::<i64>().to_vec();
        let distances = tensor("distances")?.cast::<f64>().to_vec();
        let sizes = tensor("sizes")?.cast::<i64>().to_vec();
        let labels = tensor("labels")?.cast::<i64>().to_vec();
        let rows = distances.len();
        if children.len() != 2 * rows || sizes.len() != rows || labels.len() != rows + 1 {
            return Err(format!(
                "{} children, {rows} distances, {} sizes and {} labels do not make one tree",
                children.len(),
                sizes.len(),
                labels.len()
            ));
        }
        let limit = 2 * rows as i64;
        if children.iter().any(|&c| c < 0 || c > limit) || labels.iter().any(|&l| l < 0 || l as usize >= k.max(1)) {
            return Err("a child id or a label is out of range".to_string());
        }
        let merges = (0..rows)
            .map(|s| Merge {
                left: children[2 * s] as usize,
                right: children[2 * s + 1] as usize,
                distance: distances[s],
                size: sizes[s] as usize,
            })
            .collect();
        let labels = labels.into_iter().map(|l| l as usize).collect();
        Ok(AgglomerativeClustering { k, linkage: method, fitted: Some(Fitted { merges, labels }) })
    }
}
