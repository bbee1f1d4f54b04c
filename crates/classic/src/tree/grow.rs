//! Growing a tree: depth-first (scikit-learn's `DepthFirstTreeBuilder`) or best-first under a
//! leaf budget (`BestFirstTreeBuilder`), over one of these ways to see a node's rows:
//!
//! - v1 [`Resorting`] (naive, `KernelMode::Naive`): the node's rows sit in one list; every
//!   node sorts them again for each feature it visits, O(n log n) per feature per node.
//! - v2 [`Presorted`] (best splitter): every feature's rows are sorted once ([`TreeData`]); a
//!   node owns the same range `[start, end)` of every feature's list, and a split partitions
//!   each list stably into its left and right part, O(n) per feature per node, no comparisons.
//! - v3 the partition made branch-free (each row written to both sides, only its own cursor
//!   moves): the side of a row is a coin flip to the branch predictor, and this alone made
//!   a 100-tree forest on optdigits 4× faster (2.2 s → 0.5 s, one thread).
//! - v4 [`Unsorted`] (random splitter): extra trees need no order, only each feature's range
//!   and one left sum, so their rows sit in one list kept in row order, partitioned by the
//!   chosen threshold (no per-feature lists to partition).
//! - v5 known constants: a feature found constant in a node stays constant below it, so its
//!   children skip it without a look and no split partitions its list again (as scikit-learn
//!   tracks its constant features).
//! - (tried, dropped) two copies of the lists alternating by depth, each row written straight
//!   to its place in the children's copy: no scratch and no copy back, but 13% slower on the
//!   100-tree forest (0.36 s against 0.32 s), the second copy costing more cache than the copy
//!   back it saves.
//!
//! Every view presents the rows that feed a running sum in the same order as the naive one
//! (by value then row for the best splitter, by row for the random one), and the search,
//! statistics and decisions are shared, so fast and naive grow the same tree bit for bit.
//! Bench: `tools/peers/classic_compare.py --only Tree` (and `--only Forest`).

use super::data::TreeData;
use super::split::{best_threshold, threshold_split, Candidate, Task, FEATURE_THRESHOLD};
use super::structure::Tree;
use super::{Splitter, TreeParams};
use kindling_tensor::{KernelMode, Rng};

/// scikit-learn's `EPSILON`: impurity at or below it is pure.
const EPSILON: f64 = f64::EPSILON;

/// A node's rows in ascending order of one feature.
pub(crate) trait NodeRows {
    /// The rows of `[start, end)` sorted by feature `f` (value, then row index).
    fn sorted(&mut self, data: &TreeData, f: usize, start: usize, end: usize) -> &[u32];
    /// The rows of `[start, end)` in ascending row order (the random splitter's view).
    fn ascending(&mut self, start: usize, end: usize) -> &[u32];
    /// Splits `[start, end)` so that the rows with feature `f` at most `threshold` (the first
    /// `left_rows` rows of `f`'s order) come first, the left child.
    /// Features flagged in `constant` are constant in both children, so their lists may be
    /// left as they are.
    fn partition(&mut self, data: &TreeData, split: (usize, usize, f64), start: usize, end: usize, constant: &[bool]);
}

/// v1: one list of the node's rows, sorted again for every feature visited.
pub(crate) struct Resorting {
    rows: Vec<u32>,
    buffer: Vec<u32>,
}

impl Resorting {
    fn sort_by_feature(rows: &mut [u32], column: &[f64]) {
        rows.sort_by(|&a, &b| column[a as usize].total_cmp(&column[b as usize]).then(a.cmp(&b)));
    }
}

impl NodeRows for Resorting {
    fn sorted(&mut self, data: &TreeData, f: usize, start: usize, end: usize) -> &[u32] {
        self.buffer.clear();
        self.buffer.extend_from_slice(&self.rows[start..end]);
        Self::sort_by_feature(&mut self.buffer, data.column(f));
        &self.buffer
    }

    fn ascending(&mut self, start: usize, end: usize) -> &[u32] {
        self.buffer.clear();
        self.buffer.extend_from_slice(&self.rows[start..end]);
        self.buffer.sort_unstable();
        &self.buffer
    }

    fn partition(&mut self, data: &TreeData, split: (usize, usize, f64), start: usize, end: usize, _: &[bool]) {
        let f = split.0;
        // Sorted by f, the left child is the prefix.
        Self::sort_by_feature(&mut self.rows[start..end], data.column(f));
    }
}

/// v2: every feature's rows sorted once, partitioned as nodes split.
pub(crate) struct Presorted {
    /// `lists[f * n ..][..n]`: feature f's rows in order; a node owns `[start, end)` of each.
    lists: Vec<u32>,
    n: usize,
    goes_left: Vec<bool>,
    scratch: Vec<u32>,
}

impl NodeRows for Presorted {
    #[inline]
    fn sorted(&mut self, _data: &TreeData, f: usize, start: usize, end: usize) -> &[u32] {
        &self.lists[f * self.n + start..f * self.n + end]
    }

    fn ascending(&mut self, _start: usize, _end: usize) -> &[u32] {
        unreachable!("the random splitter grows on Unsorted rows")
    }

    fn partition(&mut self, data: &TreeData, split: (usize, usize, f64), start: usize, end: usize, constant: &[bool]) {
        let (f, left_rows, _) = split;
        let n = self.n;
        let split_list = &self.lists[f * n + start..f * n + end];
        for &r in &split_list[..left_rows] {
            self.goes_left[r as usize] = true;
        }
        for &r in &split_list[left_rows..] {
            self.goes_left[r as usize] = false;
        }
        self.scratch.resize(end - start, 0);
        for g in (0..data.features).filter(|&g| g != f && !constant[g]) {
            let list = &mut self.lists[g * n + start..g * n + end];
            // Stable and branch-free (the side of a row is a coin flip to the branch
            // predictor): every row is written to both places, and only the cursor of its own
            // side moves. Writing `list[write]` is safe as `write <= i`.
            let (mut write, mut spill) = (0, 0);
            for i in 0..list.len() {
                let r = list[i];
                let left = self.goes_left[r as usize] as usize;
                list[write] = r;
                self.scratch[spill] = r;
                write += left;
                spill += 1 - left;
            }
            list[write..].copy_from_slice(&self.scratch[..spill]);
        }
    }
}

/// v4 for the random splitter, which needs no order at all: one list of rows, kept in
/// ascending row order by stable partitions, scanned for each visited feature's range and
/// left side (scikit-learn's random splitter works the same way).
pub(crate) struct Unsorted {
    rows: Vec<u32>,
    scratch: Vec<u32>,
}

impl NodeRows for Unsorted {
    fn sorted(&mut self, _data: &TreeData, _f: usize, _start: usize, _end: usize) -> &[u32] {
        unreachable!("the best splitter grows on Presorted rows")
    }

    fn ascending(&mut self, start: usize, end: usize) -> &[u32] {
        &self.rows[start..end]
    }

    fn partition(&mut self, data: &TreeData, split: (usize, usize, f64), start: usize, end: usize, _: &[bool]) {
        let (f, _, threshold) = split;
        let column = data.column(f);
        let list = &mut self.rows[start..end];
        self.scratch.resize(list.len(), 0);
        let (mut write, mut spill) = (0, 0);
        for i in 0..list.len() {
            let r = list[i];
            let left = (column[r as usize] <= threshold) as usize;
            list[write] = r;
            self.scratch[spill] = r;
            write += left;
            spill += 1 - left;
        }
        list[write..].copy_from_slice(&self.scratch[..spill]);
    }
}

/// A node waiting to be decided.
struct Open {
    start: usize,
    end: usize,
    depth: usize,
    /// The parent's id and whether this is its left child (`None` for the root).
    parent: Option<(usize, bool)>,
    stats: Vec<f64>,
    impurity: f64,
    /// Features known to be constant here (found so in an ancestor): skipped without a look.
    constant: Vec<bool>,
}

/// A node's chosen split, with both children's statistics.
struct Plan {
    feature: usize,
    threshold: f64,
    left_rows: usize,
    improvement: f64,
    left: (Vec<f64>, f64),
    right: (Vec<f64>, f64),
    /// The node's known constant features plus those it found.
    constant: Vec<bool>,
}

struct Grower<'a, R: NodeRows> {
    data: &'a TreeData,
    task: &'a Task<'a>,
    params: &'a TreeParams,
    rows: R,
    rng: Rng,
    max_features: usize,
    /// The feature order, reshuffled in place as nodes draw from it.
    order: Vec<usize>,
    root_weight: f64,
    left: Vec<f64>,
    right: Vec<f64>,
}

impl<R: NodeRows> Grower<'_, R> {
    /// The split `open` should make, or `None` when it stays a leaf.
    fn plan(&mut self, open: &Open) -> Option<Plan> {
        let n = open.end - open.start;
        let p = self.params;
        let w = open.stats[0];
        if p.max_depth.is_some_and(|d| open.depth >= d)
            || n < p.min_samples_split
            || n < 2 * p.min_samples_leaf
            || open.impurity <= EPSILON
        {
            return None;
        }
        let d = self.data.features;
        let ordered = self.max_features >= d && p.splitter == Splitter::Best;
        let (mut visited, mut found_varying) = (0, false);
        let mut best: Option<(usize, Candidate)> = None;
        let mut constant = open.constant.clone();
        for i in 0..d {
            if visited >= self.max_features && found_varying {
                break;
            }
            // Draw the next feature without replacement (a lazy Fisher–Yates shuffle).
            let f = if ordered {
                i
            } else {
                let j = i + self.rng.below((d - i) as u64) as usize;
                self.order.swap(i, j);
                self.order[i]
            };
            visited += 1;
            if constant[f] {
                continue;
            }
            let column = self.data.column(f);
            let candidate = match p.splitter {
                Splitter::Best => {
                    let sorted = self.rows.sorted(self.data, f, open.start, open.end);
                    let (lo, hi) = (column[sorted[0] as usize], column[sorted[n - 1] as usize]);
                    if hi <= lo + FEATURE_THRESHOLD {
                        constant[f] = true;
                        continue;
                    }
                    found_varying = true;
                    best_threshold(
                        self.task,
                        column,
                        sorted,
                        &open.stats,
                        p.min_samples_leaf,
                        &mut self.left,
                        &mut self.right,
                    )
                }
                Splitter::Random => {
                    let rows = self.rows.ascending(open.start, open.end);
                    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                    for &r in rows {
                        let v = column[r as usize];
                        lo = if v < lo { v } else { lo };
                        hi = if v > hi { v } else { hi };
                    }
                    if hi <= lo + FEATURE_THRESHOLD {
                        constant[f] = true;
                        continue;
                    }
                    found_varying = true;
                    let mut t = lo + (hi - lo) * self.rng.uniform_f64();
                    if t >= hi {
                        t = lo;
                    }
                    threshold_split(
                        self.task,
                        column,
                        rows,
                        &open.stats,
                        p.min_samples_leaf,
                        t,
                        &mut self.left,
                        &mut self.right,
                    )
                }
            };
            if let Some(c) = candidate {
                if best.is_none_or(|(_, b)| c.proxy > b.proxy) {
                    best = Some((f, c));
                }
            }
        }
        let (feature, c) = best?;
        let (left, right) = match p.splitter {
            Splitter::Best => {
                let sorted = self.rows.sorted(self.data, feature, open.start, open.end);
                (self.task.stats_of(&sorted[..c.left_rows]), self.task.stats_of(&sorted[c.left_rows..]))
            }
            Splitter::Random => {
                let column = self.data.column(feature);
                let rows = self.rows.ascending(open.start, open.end);
                let (l, r): (Vec<u32>, Vec<u32>) = rows.iter().partition(|&&r| column[r as usize] <= c.threshold);
                (self.task.stats_of(&l), self.task.stats_of(&r))
            }
        };
        let (li, ri) = (self.task.impurity(&left), self.task.impurity(&right));
        let improvement = (w / self.root_weight) * (open.impurity - left[0] / w * li - right[0] / w * ri);
        if improvement + EPSILON < p.min_impurity_decrease {
            return None;
        }
        Some(Plan {
            feature,
            threshold: c.threshold,
            left_rows: c.left_rows,
            improvement,
            left: (left, li),
            right: (right, ri),
            constant,
        })
    }

    fn add_node(&mut self, tree: &mut Tree, open: &Open) -> usize {
        let id = tree.push_leaf(open.impurity, open.end - open.start, open.stats[0], &self.task.value(&open.stats));
        if let Some((parent, is_left)) = open.parent {
            if is_left {
                tree.left[parent] = id;
            } else {
                tree.right[parent] = id;
            }
        }
        id
    }

    /// Records the split in the tree, partitions the rows and returns the two children.
    fn split(&mut self, tree: &mut Tree, id: usize, open: Open, plan: Plan) -> (Open, Open) {
        let split = (plan.feature, plan.left_rows, plan.threshold);
        self.rows.partition(self.data, split, open.start, open.end, &plan.constant);
        tree.feature[id] = plan.feature;
        tree.threshold[id] = plan.threshold;
        let mid = open.start + plan.left_rows;
        let child = |(stats, impurity): (Vec<f64>, f64), start, end, is_left, constant| Open {
            start,
            end,
            depth: open.depth + 1,
            parent: Some((id, is_left)),
            stats,
            impurity,
            constant,
        };
        (
            child(plan.left, open.start, mid, true, plan.constant.clone()),
            child(plan.right, mid, open.end, false, plan.constant),
        )
    }

    /// scikit-learn's depth-first order: node ids in preorder, left subtree first.
    fn depth_first(&mut self, tree: &mut Tree, root: Open) {
        let mut stack = vec![root];
        while let Some(open) = stack.pop() {
            let id = self.add_node(tree, &open);
            if let Some(plan) = self.plan(&open) {
                let (left, right) = self.split(tree, id, open, plan);
                stack.push(right);
                stack.push(left);
            }
        }
    }

    /// Best-first under a leaf budget: every node is planned when it is created; the open node
    /// with the largest improvement is split next (ties: the lower node id), until the budget
    /// of `max_leaf_nodes − 1` splits is spent.
    fn best_first(&mut self, tree: &mut Tree, root: Open, max_leaves: usize) {
        let mut splits_left = max_leaves - 1;
        let mut frontier: Vec<(usize, Open, Plan)> = Vec::new();
        let id = self.add_node(tree, &root);
        if let Some(plan) = self.plan(&root) {
            frontier.push((id, root, plan));
        }
        while splits_left > 0 && !frontier.is_empty() {
            let mut at = 0;
            for (i, entry) in frontier.iter().enumerate() {
                let best = &frontier[at];
                if entry.2.improvement > best.2.improvement
                    || (entry.2.improvement == best.2.improvement && entry.0 < best.0)
                {
                    at = i;
                }
            }
            let (id, open, plan) = frontier.swap_remove(at);
            splits_left -= 1;
            let (left, right) = self.split(tree, id, open, plan);
            for child in [left, right] {
                let child_id = self.add_node(tree, &child);
                if let Some(plan) = self.plan(&child) {
                    frontier.push((child_id, child, plan));
                }
            }
        }
    }
}

/// Grows one tree on the rows of `data` with positive weight.
pub(crate) fn grow(data: &TreeData, task: &Task, params: &TreeParams, classes: Vec<i64>, mode: KernelMode) -> Tree {
    let in_bag: Vec<u32> = (0..data.rows as u32).filter(|&r| task.weights[r as usize] > 0.0).collect();
    let stats = task.stats_of(&in_bag);
    let root = Open {
        start: 0,
        end: in_bag.len(),
        depth: 0,
        parent: None,
        impurity: task.impurity(&stats),
        stats,
        constant: vec![false; data.features],
    };
    let mut tree = Tree::empty(data.features, task.value_width(), classes);
    match mode {
        KernelMode::Naive => {
            let rows = Resorting { rows: in_bag, buffer: Vec::new() };
            run(data, task, params, rows, root, &mut tree);
        }
        KernelMode::Fast if params.splitter == Splitter::Random => {
            let scratch = Vec::with_capacity(in_bag.len());
            run(data, task, params, Unsorted { rows: in_bag, scratch }, root, &mut tree);
        }
        KernelMode::Fast => {
            let n = in_bag.len();
            let mut lists = Vec::with_capacity(n * data.features);
            if n == data.rows {
                lists.extend_from_slice(&data.sorted);
            } else {
                let in_bag: Vec<usize> = task.weights.iter().map(|&w| (w > 0.0) as usize).collect();
                let mut buffer = vec![0u32; n + 1];
                for f in 0..data.features {
                    // Branch-free filter: write every row, advance past those in the bag (the
                    // spare last slot takes the rows after the last one kept).
                    let mut write = 0;
                    for &r in data.sorted(f) {
                        buffer[write] = r;
                        write += in_bag[r as usize];
                    }
                    lists.extend_from_slice(&buffer[..n]);
                }
            }
            let rows = Presorted { lists, n, goes_left: vec![false; data.rows], scratch: Vec::with_capacity(n) };
            run(data, task, params, rows, root, &mut tree);
        }
    }
    tree
}

fn run<R: NodeRows>(data: &TreeData, task: &Task, params: &TreeParams, rows: R, root: Open, tree: &mut Tree) {
    let width = task.width();
    let mut grower = Grower {
        data,
        task,
        params,
        rows,
        rng: Rng::seed(params.seed),
        max_features: params.max_features.resolve(data.features),
        order: (0..data.features).collect(),
        root_weight: root.stats[0],
        left: vec![0.0; width],
        right: vec![0.0; width],
    };
    match params.max_leaf_nodes {
        None => grower.depth_first(tree, root),
        Some(leaves) => grower.best_first(tree, root, leaves),
    }
}
