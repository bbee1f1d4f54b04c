//! Brute-force k-nearest search: every query against every training row.
//!
//! Versions (bench: `cargo test --release -p kindling-classic --test neighbors -- --ignored
//! --nocapture timing`, which prints the optdigits predict time):
//! - v1 [`naive`]: a direct loop over (query, training row) pairs, Σ (aᵢ − bᵢ)², then a full
//!   sort of each row's n candidates. Obviously right; the oracle in the tests.
//! - v2 [`BruteIndex::fast`]: squared Euclidean distances as ‖a‖² + ‖b‖² − 2·a·bᵀ, so the
//!   n·m·d work is one matrix product through the packed GEMM (`Tensor::matmul`), blocked over
//!   query rows so memory stays at `BLOCK × n` products; then a partial selection
//!   (`select_nth_unstable`) of the k smallest in O(n) per row, and a sort of those k only.
//! - v3 (same function, k ≤ 32): the selection becomes one scan with a sorted buffer of the k
//!   best, the keys ‖t‖² − 2·q·t made 8 at a time (‖q‖² is the same for every candidate), and
//!   a chunk of 8 skipped after one minimum when none can enter: one comparison per candidate
//!   and no n-long array. On optdigits (1797 queries × 3823 rows, 64 features, k = 5, one
//!   thread, a noisy shared machine) predict went from 107 ms (v2) to a median of 59 ms,
//!   beside scikit-learn's 63 ms in the same alternating run; the GEMM is now most of it.
//!
//! Both break distance ties by the lower training index. The GEMM form rounds differently
//! from the direct sum (an identical point can come out at 1e-8 instead of 0), so v2 uses it
//! only to choose the k nearest and then recomputes their distances directly: the reported
//! distances are the naive ones, and the chosen rows differ only if two candidates are within
//! rounding (about 1e-15 relative) of each other at the k-th place.

use super::{Metric, NeighbourLists};
use kindling_tensor::Tensor;
use rayon::prelude::*;
use std::cmp::Ordering;

/// Query rows per GEMM block: 512 × n f64 products (15.6 MB for optdigits' 3823 rows); fewer,
/// larger blocks repack the training rows for the GEMM fewer times.
const BLOCK: usize = 512;

/// Orders candidates by distance, then by index (scikit-learn keeps the lower index first).
fn closer(distances: &[f64], a: u32, b: u32) -> Ordering {
    distances[a as usize].total_cmp(&distances[b as usize]).then(a.cmp(&b))
}

/// The distance between two rows under `metric` (the true one, not squared).
pub(crate) fn distance(metric: Metric, a: &[f64], b: &[f64]) -> f64 {
    match metric {
        Metric::Euclidean => a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt(),
        Metric::Manhattan => a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum(),
    }
}

/// v1: every pair's distance by a direct loop, then a full sort per query.
pub(crate) fn naive(train: &[f64], queries: &[f64], dims: usize, k: usize, metric: Metric) -> NeighbourLists {
    let n = train.len() / dims.max(1);
    let mut out = NeighbourLists::with_capacity(queries.len() / dims.max(1), k);
    for query in queries.chunks(dims.max(1)) {
        let mut all: Vec<(f64, usize)> =
            (0..n).map(|j| (distance(metric, query, &train[j * dims..(j + 1) * dims]), j)).collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for &(d, j) in &all[..k] {
            out.push(j, d);
        }
    }
    out
}

/// What the fast search keeps from `fit` beside the training rows: their squared norms.
#[derive(Clone, Debug)]
pub(crate) struct BruteIndex {
    norms: Vec<f64>,
}

impl BruteIndex {
    pub(crate) fn new(train: &[f64], rows: usize, dims: usize) -> Self {
        let norms = train.chunks(dims.max(1)).take(rows).map(|r| r.iter().map(|v| v * v).sum()).collect();
        BruteIndex { norms }
    }

    /// v2/v3: the k nearest training rows of each query, blocked over queries.
    /// `train_rows` is the `[n, dims]` training tensor the index was built from.
    pub(crate) fn fast(
        &self,
        train_rows: &Tensor<f64>,
        queries: &[f64],
        dims: usize,
        k: usize,
        metric: Metric,
    ) -> NeighbourLists {
        let n = self.norms.len();
        let rows = queries.len() / dims.max(1);
        let mut out = NeighbourLists::with_capacity(rows, k);
        let train = train_rows.as_slice().expect("fit stores the training rows contiguously");
        for start in (0..rows).step_by(BLOCK) {
            let b = BLOCK.min(rows - start);
            let block = &queries[start * dims..(start + b) * dims];
            // Euclidean: the products q·t; the distance is finished inside the selection.
            let scores = match metric {
                Metric::Euclidean => Tensor::from_vec(block.to_vec(), [b, dims]).matmul(&train_rows.t()).contiguous(),
                Metric::Manhattan => Tensor::from_vec(manhattan(train, block, dims, n), [b, n]),
            };
            let scores = scores.as_slice().expect("a fresh product is contiguous");
            let chosen: Vec<Vec<(f64, usize)>> = scores
                .par_chunks(n)
                .zip(block.par_chunks(dims.max(1)))
                .map(|(row, query)| {
                    let candidates = match metric {
                        // ‖q‖² is the same for every candidate, so ‖t‖² − 2·q·t orders them
                        // as the squared distance does.
                        Metric::Euclidean => k_smallest_by(n, k, |j| self.norms[j] - 2.0 * row[j]),
                        Metric::Manhattan => k_smallest_by(n, k, |j| row[j]),
                    };
                    // The product form chooses; the k winners' distances are then recomputed
                    // directly, so an identical point is at exactly 0, as in the naive search.
                    let mut picked: Vec<(f64, usize)> = candidates
                        .into_iter()
                        .map(|j| (distance(metric, query, &train[j * dims..(j + 1) * dims]), j))
                        .collect();
                    picked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    picked
                })
                .collect();
            for (d, j) in chosen.into_iter().flatten() {
                out.push(j, d);
            }
        }
        out
    }
}

/// `[b, n]` Manhattan distances by a direct loop (no product form exists for L1).
fn manhattan(train: &[f64], block: &[f64], dims: usize, n: usize) -> Vec<f64> {
    block
        .par_chunks(dims.max(1))
        .flat_map_iter(|q| (0..n).map(move |j| distance(Metric::Manhattan, q, &train[j * dims..(j + 1) * dims])))
        .collect()
}

/// Up to this k the selection scans with a sorted buffer of the k best (v3); above it, a
/// partial selection (`select_nth_unstable`, v2) over all n candidates.
const SCAN_MAX_K: usize = 32;

/// The positions `0..n` of the k smallest `key(j)`, nearest first, ties by lower position.
#[inline(always)]
fn k_smallest_by(n: usize, k: usize, key: impl Fn(usize) -> f64) -> Vec<usize> {
    if k > SCAN_MAX_K {
        let values: Vec<f64> = (0..n).map(key).collect();
        let mut order: Vec<u32> = (0..n as u32).collect();
        if k < n {
            order.select_nth_unstable_by(k - 1, |&a, &b| closer(&values, a, b));
            order.truncate(k);
        }
        order.sort_unstable_by(|&a, &b| closer(&values, a, b));
        return order.into_iter().map(|j| j as usize).collect();
    }
    // One comparison with the current k-th best per candidate; scanning in index order with
    // a strict `<` keeps the lower index on a tie. Keys are made 8 at a time, and a chunk
    // whose smallest key cannot enter is skipped after one minimum (most chunks, once the
    // buffer holds good candidates); no n-long array is written.
    let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
    let mut worst = f64::INFINITY;
    let mut chunk = [0.0f64; 8];
    for start in (0..n).step_by(8) {
        let len = 8.min(n - start);
        let mut smallest = f64::INFINITY;
        for (i, slot) in chunk[..len].iter_mut().enumerate() {
            *slot = key(start + i);
            smallest = if *slot < smallest { *slot } else { smallest };
        }
        if smallest >= worst && best.len() == k {
            continue;
        }
        for (i, &d) in chunk[..len].iter().enumerate() {
            if d < worst || best.len() < k {
                if best.len() == k {
                    best.pop();
                }
                let at = best.partition_point(|b| b.0 <= d);
                best.insert(at, (d, start + i));
                if best.len() == k {
                    worst = best[k - 1].0;
                }
            }
        }
    }
    best.into_iter().map(|(_, j)| j).collect()
}
