//! Growing one tree leaf-wise (best-first), as LightGBM and scikit-learn do: of all the leaves
//! that can still split, split the one whose best split gains most, until `max_leaf_nodes`
//! leaves exist or none can split.
//!
//! Rows live in one index array; each node owns a contiguous range of it, and a split
//! partitions its range stably (left rows first), so a leaf's rows are a slice at the end.

use super::binning::{BinMapper, Binned};
use super::histogram::{self, BinStats, Layout, NodeStats, Split, SplitRules};
use super::predictor::{HistTree, Node};

/// The limits of one tree.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TreeLimits {
    pub(crate) max_leaf_nodes: Option<usize>,
    pub(crate) max_depth: Option<usize>,
    pub(crate) rules: SplitRules,
    pub(crate) shrinkage: f64,
}

/// Buffers reused from tree to tree.
#[derive(Default)]
pub(crate) struct Workspace {
    /// The rows, permuted so each node's rows are contiguous.
    pub(crate) rows: Vec<u32>,
    scratch: Vec<u32>,
    ordered_grad: Vec<f32>,
    ordered_hess: Vec<f32>,
    pool: Vec<Vec<BinStats>>,
}

/// A leaf of the grown tree: its rows are `Workspace::rows[start..stop]`.
pub(crate) struct Leaf {
    pub(crate) start: usize,
    pub(crate) stop: usize,
    pub(crate) value: f64,
}

struct Growing {
    start: usize,
    stop: usize,
    depth: usize,
    stats: NodeStats,
    value: f64,
    hist: Option<Vec<BinStats>>,
    split: Option<Split>,
    /// Its index in the output tree.
    out: usize,
}

/// The data a tree is grown on.
pub(crate) struct TreeInput<'a> {
    pub(crate) binned: &'a Binned,
    pub(crate) layout: &'a Layout,
    pub(crate) mapper: &'a BinMapper,
    pub(crate) grad: &'a [f32],
    /// Empty when the hessian is constant (1).
    pub(crate) hess: &'a [f32],
    /// Search splits by rescanning the rows (the naive twin) instead of histograms.
    pub(crate) naive: bool,
}

/// Grows one tree; returns it and its leaves (rows in `ws.rows`).
pub(crate) fn grow(input: &TreeInput, limits: &TreeLimits, ws: &mut Workspace) -> (HistTree, Vec<Leaf>) {
    let n = input.binned.rows;
    ws.rows.clear();
    ws.rows.extend(0..n as u32);
    let constant = input.hess.is_empty();
    let grad_sum: f64 = input.grad.iter().map(|&g| f64::from(g)).sum();
    let hess_sum: f64 = if constant { n as f64 } else { input.hess.iter().map(|&h| f64::from(h)).sum() };
    let stats = NodeStats { count: n as u32, grad: grad_sum, hess: hess_sum };
    let l2 = limits.rules.l2_regularization;
    let root = Growing {
        start: 0,
        stop: n,
        depth: 0,
        stats,
        value: histogram::leaf_value(grad_sum, hess_sum, l2),
        hist: None,
        split: None,
        out: 0,
    };
    let mut grower = Grower { input, limits, nodes: vec![Node::leaf(0.0)], leaves: Vec::new(), open: Vec::new() };
    let msl = limits.rules.min_samples_leaf as usize;
    if limits.max_leaf_nodes == Some(1) || n < 2 * msl || hess_sum < limits.rules.min_hessian_to_split {
        grower.finish(root);
    } else {
        let mut root = root;
        if !input.naive {
            root.hist = Some(grower.build(ws, root.start, root.stop));
        }
        grower.search_or_finish(ws, root);
    }
    while let Some(pick) = grower.best_open() {
        let node = grower.open.remove(pick);
        grower.split(ws, node);
    }
    (HistTree { nodes: grower.nodes }, grower.leaves)
}

struct Grower<'a, 'b> {
    input: &'a TreeInput<'b>,
    limits: &'a TreeLimits,
    nodes: Vec<Node>,
    leaves: Vec<Leaf>,
    /// Nodes with a positive-gain split, waiting.
    open: Vec<Growing>,
}

impl Grower<'_, '_> {
    /// The waiting node with the largest gain (the first of equals).
    fn best_open(&self) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, node) in self.open.iter().enumerate() {
            let gain = node.split.expect("open nodes have a split").gain;
            if best.is_none_or(|b| gain > self.open[b].split.unwrap().gain) {
                best = Some(i);
            }
        }
        best
    }

    fn finish(&mut self, node: Growing) {
        let value = self.limits.shrinkage * node.value;
        self.nodes[node.out] = Node::leaf(value);
        self.leaves.push(Leaf { start: node.start, stop: node.stop, value });
    }

    /// Finds the node's best split; waits if it gains, else becomes a leaf.
    fn search_or_finish(&mut self, ws: &mut Workspace, mut node: Growing) {
        let split = match &node.hist {
            Some(hist) => histogram::find_split(hist, self.input.layout, &node.stats, &self.limits.rules),
            None => naive_split(self.input, &ws.rows[node.start..node.stop], &node.stats, &self.limits.rules),
        };
        match split {
            Some(s) => {
                node.split = Some(s);
                self.open.push(node);
            }
            None => {
                if let Some(h) = node.hist.take() {
                    ws.pool.push(h);
                }
                self.finish(node);
            }
        }
    }

    /// The histogram of the rows `ws.rows[start..stop]`.
    fn build(&self, ws: &mut Workspace, start: usize, stop: usize) -> Vec<BinStats> {
        let input = self.input;
        let mut hist = ws.pool.pop().unwrap_or_else(|| vec![BinStats::default(); input.layout.total]);
        let rows = &ws.rows[start..stop];
        ws.ordered_grad.clear();
        ws.ordered_grad.extend(rows.iter().map(|&r| input.grad[r as usize]));
        let n = input.binned.rows;
        if input.hess.is_empty() {
            histogram::build::<true>(&mut hist, input.layout, &input.binned.bins, n, rows, &ws.ordered_grad, &[]);
        } else {
            ws.ordered_hess.clear();
            ws.ordered_hess.extend(rows.iter().map(|&r| input.hess[r as usize]));
            histogram::build::<false>(
                &mut hist,
                input.layout,
                &input.binned.bins,
                n,
                rows,
                &ws.ordered_grad,
                &ws.ordered_hess,
            );
        }
        hist
    }

    fn split(&mut self, ws: &mut Workspace, mut parent: Growing) {
        let split = parent.split.expect("a node is split only after its split was found");
        let column = self.input.binned.column(split.feature);
        let left_count = partition(&mut ws.rows[parent.start..parent.stop], &mut ws.scratch, column, split.bin);
        debug_assert_eq!(left_count as u32, split.left.0);
        let depth = parent.depth + 1;
        let l2 = self.limits.rules.l2_regularization;
        let child = |start: usize, stop: usize, (count, grad, hess): (u32, f64, f64), out: usize| Growing {
            start,
            stop,
            depth,
            stats: NodeStats { count, grad, hess },
            value: histogram::leaf_value(grad, hess, l2),
            hist: None,
            split: None,
            out,
        };
        let mid = parent.start + left_count;
        let out = self.nodes.len();
        self.nodes.push(Node::leaf(0.0));
        self.nodes.push(Node::leaf(0.0));
        self.nodes[parent.out] = Node {
            feature: split.feature as u32,
            bin: split.bin,
            threshold: self.input.mapper.cuts[split.feature][split.bin as usize],
            left: out as u32,
            right: out as u32 + 1,
            value: 0.0,
            leaf: false,
        };
        let mut left = child(parent.start, mid, split.left, out);
        let mut right = child(mid, parent.stop, split.right, out + 1);

        let leaf_count = self.leaves.len() + self.open.len() + 2;
        if self.limits.max_leaf_nodes == Some(leaf_count) {
            self.finish(left);
            self.finish(right);
            for node in std::mem::take(&mut self.open) {
                self.finish(node);
            }
            ws.pool.extend(parent.hist.take());
            return;
        }
        if self.limits.max_depth == Some(depth) {
            self.finish(left);
            self.finish(right);
            ws.pool.extend(parent.hist.take());
            return;
        }
        let msl = self.limits.rules.min_samples_leaf;
        let split_left = left.stats.count >= 2 * msl;
        let split_right = right.stats.count >= 2 * msl;
        if (split_left || split_right) && !self.input.naive {
            // Build the smaller child's histogram; the larger one's is the parent's less it.
            let mut big = parent.hist.take().expect("a split node has its histogram");
            let left_smaller = left.stats.count < right.stats.count;
            let (s_start, s_stop) = if left_smaller { (left.start, left.stop) } else { (right.start, right.stop) };
            let small = self.build(ws, s_start, s_stop);
            histogram::subtract(&mut big, &small);
            (left.hist, right.hist) = if left_smaller { (Some(small), Some(big)) } else { (Some(big), Some(small)) };
        } else {
            ws.pool.extend(parent.hist.take());
        }
        for (node, go) in [(left, split_left), (right, split_right)] {
            if go {
                self.search_or_finish(ws, node);
            } else {
                let mut node = node;
                if let Some(h) = node.hist.take() {
                    ws.pool.push(h);
                }
                self.finish(node);
            }
        }
    }
}

/// Stable partition of `rows` by `column[row] <= bin` (left first); returns the left count.
fn partition(rows: &mut [u32], scratch: &mut Vec<u32>, column: &[u8], bin: u8) -> usize {
    scratch.clear();
    let mut left = 0;
    for i in 0..rows.len() {
        let r = rows[i];
        if column[r as usize] <= bin {
            rows[left] = r;
            left += 1;
        } else {
            scratch.push(r);
        }
    }
    rows[left..].copy_from_slice(scratch);
    left
}

/// The naive twin of histogram search: for every feature and every threshold, sum the node's
/// rows on the left directly. Slow (rows × bins per feature) and obviously right.
pub(crate) fn naive_split(input: &TreeInput, rows: &[u32], node: &NodeStats, rules: &SplitRules) -> Option<Split> {
    let mut best: Option<Split> = None;
    for &f in &input.layout.splittable {
        let column = input.binned.column(f);
        let found = histogram::best_threshold(node, rules, f, input.layout.bins[f], |b| {
            let (mut n, mut g, mut h) = (0u32, 0.0, 0.0);
            for &r in rows {
                if column[r as usize] as usize <= b {
                    n += 1;
                    g += f64::from(input.grad[r as usize]);
                    if !input.hess.is_empty() {
                        h += f64::from(input.hess[r as usize]);
                    }
                }
            }
            (n, g, h)
        });
        if let Some(s) = found {
            if best.is_none_or(|b| s.gain > b.gain) {
                best = Some(s);
            }
        }
    }
    best
}
