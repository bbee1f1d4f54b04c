//! The split search inside one node: sufficient statistics, impurities, and the scans over a
//! feature's sorted rows (best midpoint, or one random threshold).
//!
//! Statistics are one small vector per node side: `[weight, count of class 0, …]` for
//! classification, `[weight, Σ w·y, Σ w·y²]` for regression. A scan walks the node's rows in
//! ascending order of one feature, adding each row to the left side, so every candidate
//! threshold costs O(classes), never a pass over the node.

use super::Criterion;

/// Values closer than this count as equal (scikit-learn's `FEATURE_THRESHOLD`).
pub(crate) const FEATURE_THRESHOLD: f64 = 1e-7;

/// What the tree learns from: the criterion, the targets and the row weights.
pub(crate) struct Task<'a> {
    pub(crate) criterion: Criterion,
    /// Number of classes (0 for regression).
    pub(crate) classes: usize,
    /// Each row's class position (classification).
    pub(crate) codes: &'a [u32],
    /// Each row's target (regression).
    pub(crate) targets: &'a [f64],
    pub(crate) weights: &'a [f64],
}

impl Task<'_> {
    /// Length of a statistics vector.
    pub(crate) fn width(&self) -> usize {
        if self.criterion == Criterion::SquaredError {
            3
        } else {
            1 + self.classes
        }
    }

    /// Length of a node's value (class fractions, or the mean).
    pub(crate) fn value_width(&self) -> usize {
        if self.criterion == Criterion::SquaredError {
            1
        } else {
            self.classes
        }
    }

    #[inline(always)]
    pub(crate) fn add(&self, stats: &mut [f64], row: usize) {
        let w = self.weights[row];
        stats[0] += w;
        if self.criterion == Criterion::SquaredError {
            let wy = w * self.targets[row];
            stats[1] += wy;
            stats[2] += wy * self.targets[row];
        } else {
            stats[1 + self.codes[row] as usize] += w;
        }
    }

    /// `add` times `keep` (0 or 1), for branch-free scans; the same sums as `add` when 1.
    #[inline(always)]
    pub(crate) fn add_if(&self, stats: &mut [f64], row: usize, keep: f64) {
        let w = self.weights[row] * keep;
        stats[0] += w;
        if self.criterion == Criterion::SquaredError {
            let wy = w * self.targets[row];
            stats[1] += wy;
            stats[2] += wy * self.targets[row];
        } else {
            stats[1 + self.codes[row] as usize] += w;
        }
    }

    /// Statistics of `rows`, summed in the order given.
    pub(crate) fn stats_of(&self, rows: &[u32]) -> Vec<f64> {
        let mut stats = vec![0.0; self.width()];
        for &r in rows {
            self.add(&mut stats, r as usize);
        }
        stats
    }

    /// The impurity of a node with these statistics.
    pub(crate) fn impurity(&self, stats: &[f64]) -> f64 {
        let w = stats[0];
        match self.criterion {
            Criterion::Gini => 1.0 - stats[1..].iter().map(|c| (c / w) * (c / w)).sum::<f64>(),
            Criterion::Entropy => -stats[1..]
                .iter()
                .filter(|&&c| c > 0.0)
                .map(|c| {
                    let p = c / w;
                    p * p.log2()
                })
                .sum::<f64>(),
            Criterion::SquaredError => {
                let mean = stats[1] / w;
                stats[2] / w - mean * mean
            }
        }
    }

    /// A score that ranks splits as the impurity decrease does, cheaper to compute (the
    /// parent's impurity and weight are the same for every split of a node).
    #[inline]
    pub(crate) fn proxy(&self, left: &[f64], right: &[f64]) -> f64 {
        let (wl, wr) = (left[0], right[0]);
        match self.criterion {
            Criterion::Gini => {
                let l: f64 = left[1..].iter().map(|c| c * c).sum();
                let r: f64 = right[1..].iter().map(|c| c * c).sum();
                l / wl + r / wr
            }
            Criterion::Entropy => -(wl * self.impurity(left) + wr * self.impurity(right)),
            Criterion::SquaredError => left[1] * left[1] / wl + right[1] * right[1] / wr,
        }
    }

    /// The node's value: class fractions, or the mean.
    pub(crate) fn value(&self, stats: &[f64]) -> Vec<f64> {
        let w = stats[0];
        if self.criterion == Criterion::SquaredError {
            vec![stats[1] / w]
        } else {
            stats[1..].iter().map(|c| c / w).collect()
        }
    }
}

/// A candidate split of one feature: the rows `sorted[..left_rows]` go left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Candidate {
    pub(crate) left_rows: usize,
    pub(crate) threshold: f64,
    pub(crate) proxy: f64,
}

/// The midpoint scikit-learn stores between `a < b`, falling back to `a` when rounding lands
/// on `b` (so that `b` still goes right).
fn midpoint(a: f64, b: f64) -> f64 {
    let t = a / 2.0 + b / 2.0;
    if t == b || !t.is_finite() {
        a
    } else {
        t
    }
}

/// The best midpoint split of one feature over the node's rows `sorted` (ascending in
/// `column`), keeping at least `min_leaf` rows per side; the first of equal proxies wins.
pub(crate) fn best_threshold(
    task: &Task,
    column: &[f64],
    sorted: &[u32],
    total: &[f64],
    min_leaf: usize,
    left: &mut [f64],
    right: &mut [f64],
) -> Option<Candidate> {
    let n = sorted.len();
    left.fill(0.0);
    let mut best: Option<Candidate> = None;
    if n < 2 * min_leaf {
        return None;
    }
    // The previous row's value is carried along, so each step reads one value.
    let mut previous = column[sorted[0] as usize];
    for p in 1..=n - min_leaf {
        task.add(left, sorted[p - 1] as usize);
        let (a, b) = (previous, column[sorted[p] as usize]);
        previous = b;
        if p < min_leaf || b <= a + FEATURE_THRESHOLD {
            continue;
        }
        for ((r, t), l) in right.iter_mut().zip(total).zip(left.iter()) {
            *r = t - l;
        }
        let proxy = task.proxy(left, right);
        if best.is_none_or(|b| proxy > b.proxy) {
            best = Some(Candidate { left_rows: p, threshold: midpoint(a, b), proxy });
        }
    }
    best
}

/// The split of one feature at a given `threshold` (rows with values ≤ it go left), or `None`
/// when a side keeps fewer than `min_leaf` rows. `rows` may come in any order; the left sums
/// follow it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn threshold_split(
    task: &Task,
    column: &[f64],
    rows: &[u32],
    total: &[f64],
    min_leaf: usize,
    threshold: f64,
    left: &mut [f64],
    right: &mut [f64],
) -> Option<Candidate> {
    left.fill(0.0);
    let mut p = 0;
    for &r in rows {
        // Branch-free: which side a row falls on is unpredictable.
        let keep = (column[r as usize] <= threshold) as usize;
        task.add_if(left, r as usize, keep as f64);
        p += keep;
    }
    if p < min_leaf || rows.len() - p < min_leaf {
        return None;
    }
    for ((r, t), l) in right.iter_mut().zip(total).zip(left.iter()) {
        *r = t - l;
    }
    Some(Candidate { left_rows: p, threshold, proxy: task.proxy(left, right) })
}
