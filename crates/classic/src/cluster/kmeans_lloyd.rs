//! The numerical core of k-means, shared by [`KMeans`](super::KMeans) and
//! [`MiniBatchKMeans`](super::MiniBatchKMeans): squared distances from rows to centers, the
//! k-means++ and random initialisations, and Lloyd's iterations, in scikit-learn's manner.
//!
//! Versions of the distance step (the whole cost; timed by
//! `tools/peers/classic_compare.py --only KMeans`):
//! - v1 naive ([`KernelMode::Naive`]): Σ (xᵢ − cᵢ)² by a direct loop over (row, center) pairs.
//!   Obviously right; the oracle in the tests.
//! - v2 fast: ‖x‖² − 2x·c + ‖c‖², the n·k·d products as one GEMM (`Tensor::matmul`). For the
//!   nearest center ‖x‖² is the same for every candidate, so only ‖c‖² − 2x·c is compared.
//!
//!   (Tried: a direct loop reading each row once against the k = 10 centers held in L1; on
//!   optdigits it was 1.7× slower than the GEMM, so the GEMM stays.)
//!
//! Both pick the lower center index on an exact tie; the GEMM form rounds differently from the
//! direct sum, so the two can differ only where two centers are within rounding of each other.

use kindling_tensor::{kernel_mode, KernelMode, Rng, Tensor};

/// The rows being clustered, with what every distance step needs.
pub(crate) struct Rows {
    /// The same values twice: a plain buffer for the loops, a tensor for the GEMM.
    values: Vec<f64>,
    pub(crate) tensor: Tensor<f64>,
    pub(crate) n: usize,
    pub(crate) d: usize,
    /// ‖xᵢ‖² of each row.
    pub(crate) norms: Vec<f64>,
}

impl Rows {
    pub(crate) fn new(values: Vec<f64>, n: usize, d: usize) -> Self {
        let norms = values.chunks(d.max(1)).take(n).map(|r| r.iter().map(|v| v * v).sum()).collect();
        Rows { tensor: Tensor::from_vec(values.clone(), [n, d]), values, n, d, norms }
    }

    pub(crate) fn values(&self) -> &[f64] {
        &self.values
    }

    pub(crate) fn row(&self, i: usize) -> &[f64] {
        &self.values()[i * self.d..(i + 1) * self.d]
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum()
}

/// `[n, m]` products of every row with each of the m row-major `others`, through the GEMM.
fn products_with(rows: &Rows, others: &[f64], m: usize) -> Vec<f64> {
    rows.tensor.matmul(&Tensor::from_vec(others.to_vec(), [m, rows.d]).t()).contiguous().to_vec()
}

/// The nearest center of each row and the squared distance to it (`centers`: k × d row-major).
/// The distance is the GEMM form's in fast mode (clipped at 0), the direct sum in naive mode.
pub(crate) fn nearest(rows: &Rows, centers: &[f64], k: usize) -> (Vec<usize>, Vec<f64>) {
    let d = rows.d;
    let mut labels = Vec::with_capacity(rows.n);
    let mut distances = Vec::with_capacity(rows.n);
    match kernel_mode() {
        KernelMode::Naive => {
            for i in 0..rows.n {
                let row = rows.row(i);
                let (mut best, mut best_d) = (0, f64::INFINITY);
                for c in 0..k {
                    let dist = squared_distance(row, &centers[c * d..(c + 1) * d]);
                    if dist < best_d {
                        (best, best_d) = (c, dist);
                    }
                }
                labels.push(best);
                distances.push(best_d);
            }
        }
        KernelMode::Fast => {
            let center_norms: Vec<f64> = centers.chunks(d.max(1)).map(|c| c.iter().map(|v| v * v).sum()).collect();
            let products = products_with(rows, centers, k);
            for (i, row) in products.chunks(k).enumerate() {
                let (mut best, mut best_key) = (0, f64::INFINITY);
                for (c, (&p, &norm)) in row.iter().zip(&center_norms).enumerate() {
                    let key = norm - 2.0 * p;
                    if key < best_key {
                        (best, best_key) = (c, key);
                    }
                }
                labels.push(best);
                distances.push((rows.norms[i] + best_key).max(0.0));
            }
        }
    }
    (labels, distances)
}

/// Squared distances from each of `picked` rows to every row, `[picked.len() × n]`.
fn distances_from(rows: &Rows, picked: &[usize]) -> Vec<f64> {
    let n = rows.n;
    match kernel_mode() {
        KernelMode::Naive => {
            picked.iter().flat_map(|&p| (0..n).map(move |j| squared_distance(rows.row(p), rows.row(j)))).collect()
        }
        KernelMode::Fast => {
            let chosen: Vec<f64> = picked.iter().flat_map(|&p| rows.row(p).iter().copied()).collect();
            // [n, t]: the long operand on the left, as in `nearest` (the GEMM packs the short
            // one, which is cheaper than repacking all n rows for a handful of candidates).
            let t = picked.len();
            let products = products_with(rows, &chosen, t);
            let mut out = vec![0.0; t * n];
            for (j, row) in products.chunks(t).enumerate() {
                for (c, &p) in picked.iter().enumerate() {
                    out[c * n + j] = (rows.norms[p] - 2.0 * row[c] + rows.norms[j]).max(0.0);
                }
            }
            out
        }
    }
}

/// k-means++ (scikit-learn's greedy variant): the first center a uniformly drawn row, then
/// each next one the best of 2 + ⌊ln k⌋ candidates drawn with probability ∝ D(x)², best
/// meaning the lowest total squared distance once it is added.
pub(crate) fn plus_plus(rows: &Rows, k: usize, rng: &mut Rng) -> Vec<f64> {
    let n = rows.n;
    let trials = 2 + (k as f64).ln() as usize;
    let first = rng.below(n as u64) as usize;
    let mut centers = rows.row(first).to_vec();
    let mut closest = distances_from(rows, &[first]);
    let mut potential: f64 = closest.iter().sum();
    for _ in 1..k {
        // Cumulative D², searched for each uniform draw scaled by the total (NumPy's
        // searchsorted, left side: the first position whose running sum reaches the draw).
        let mut running = Vec::with_capacity(n);
        let mut sum = 0.0;
        for &v in &closest {
            sum += v;
            running.push(sum);
        }
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let target = rng.uniform_f64() * potential;
                running.partition_point(|&s| s < target).min(n - 1)
            })
            .collect();
        let to_candidates = distances_from(rows, &candidates);
        let mut best: Option<(f64, usize)> = None;
        for t in 0..trials {
            let pot: f64 = to_candidates[t * n..(t + 1) * n].iter().zip(&closest).map(|(a, b)| a.min(*b)).sum();
            if best.is_none_or(|(b, _)| pot < b) {
                best = Some((pot, t));
            }
        }
        let (pot, t) = best.expect("at least two trials");
        potential = pot;
        for (c, &v) in closest.iter_mut().zip(&to_candidates[t * n..(t + 1) * n]) {
            *c = c.min(v);
        }
        centers.extend_from_slice(rows.row(candidates[t]));
    }
    centers
}

/// k distinct rows drawn uniformly (scikit-learn's `init="random"`).
pub(crate) fn random_rows(rows: &Rows, k: usize, rng: &mut Rng) -> Vec<f64> {
    rng.permutation(rows.n)[..k].iter().flat_map(|&i| rows.row(i).iter().copied()).collect()
}

/// One run of Lloyd's algorithm: what it ends with.
pub(crate) struct Run {
    pub(crate) centers: Vec<f64>,
    pub(crate) labels: Vec<usize>,
    pub(crate) inertia: f64,
    pub(crate) n_iter: usize,
}

/// Σ ‖xᵢ − c_{labelᵢ}‖², summed directly (not from the GEMM form).
pub(crate) fn inertia(rows: &Rows, centers: &[f64], labels: &[usize]) -> f64 {
    let d = rows.d;
    labels.iter().enumerate().map(|(i, &c)| squared_distance(rows.row(i), &centers[c * d..(c + 1) * d])).sum()
}

/// Lloyd's iterations from `centers` until the labels stop changing, the centers move less
/// than `tol` in total squared shift, or `max_iter` passes; then a last assignment so that
/// the labels are those of the final centers (scikit-learn's order of steps).
pub(crate) fn lloyd(rows: &Rows, mut centers: Vec<f64>, k: usize, max_iter: usize, tol: f64) -> Run {
    let mut previous: Option<Vec<usize>> = None;
    let mut labels = Vec::new();
    let mut strict = false;
    let mut n_iter = 0;
    for _ in 0..max_iter {
        n_iter += 1;
        labels = nearest(rows, &centers, k).0;
        let updated = means(rows, &centers, &labels, k);
        let shift: f64 = updated.iter().zip(&centers).map(|(a, b)| (a - b) * (a - b)).sum();
        centers = updated;
        if previous.as_ref() == Some(&labels) {
            strict = true;
            break;
        }
        if shift <= tol {
            break;
        }
        previous = Some(labels.clone());
    }
    if !strict {
        labels = nearest(rows, &centers, k).0;
    }
    let inertia = inertia(rows, &centers, &labels);
    Run { centers, labels, inertia, n_iter }
}

/// Each cluster's mean. An empty cluster takes the row farthest from its current center
/// (which leaves its old cluster), as scikit-learn relocates them.
pub(crate) fn means(rows: &Rows, old: &[f64], labels: &[usize], k: usize) -> Vec<f64> {
    let d = rows.d;
    let mut sums = vec![0.0; k * d];
    let mut counts = vec![0.0; k];
    for (i, &c) in labels.iter().enumerate() {
        counts[c] += 1.0;
        sums[c * d..(c + 1) * d].iter_mut().zip(rows.row(i)).for_each(|(s, v)| *s += v);
    }
    let empty: Vec<usize> = (0..k).filter(|&c| counts[c] == 0.0).collect();
    if !empty.is_empty() {
        let far: Vec<f64> =
            labels.iter().enumerate().map(|(i, &c)| squared_distance(rows.row(i), &old[c * d..(c + 1) * d])).collect();
        let mut order: Vec<usize> = (0..rows.n).collect();
        order.sort_by(|&a, &b| far[b].total_cmp(&far[a]).then(a.cmp(&b)));
        for (&new, &i) in empty.iter().zip(&order) {
            let from = labels[i];
            for (j, &v) in rows.row(i).iter().enumerate() {
                sums[from * d + j] -= v;
                sums[new * d + j] = v;
            }
            counts[new] = 1.0;
            counts[from] -= 1.0;
        }
    }
    for (c, center) in sums.chunks_mut(d.max(1)).enumerate() {
        if counts[c] > 0.0 {
            center.iter_mut().for_each(|s| *s /= counts[c]);
        }
    }
    sums
}

/// scikit-learn's tolerance: `tol` times the mean of the per-feature variances, so that it
/// does not depend on the data's scale.
pub(crate) fn scaled_tolerance(rows: &Rows, tol: f64) -> f64 {
    if tol == 0.0 || rows.n == 0 {
        return 0.0;
    }
    let (n, d) = (rows.n as f64, rows.d);
    let mean: Vec<f64> = (0..d).map(|j| rows.values.iter().skip(j).step_by(d).sum::<f64>() / n).collect();
    let mut squares = vec![0.0; d];
    for row in rows.values.chunks(d.max(1)) {
        for ((s, v), m) in squares.iter_mut().zip(row).zip(&mean) {
            *s += (v - m) * (v - m);
        }
    }
    let total: f64 = squares.iter().map(|s| s / n).sum();
    total / d as f64 * tol
}
