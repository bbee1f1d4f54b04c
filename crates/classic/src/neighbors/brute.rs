//! Brute-force k-nearest search: every query against every training row.
//!
//! Versions (bench: `cargo test --release -p kindling-classic --test neighbors -- --ignored
//! --nocapture timing`, which prints the optdigits predict time):
//! - v1 [`naive`]: a direct loop over (query, training row) pairs, Σ (aᵢ − bᵢ)², then a full
//!   sort of each row's n candidates. Obviously right; the oracle in the tests.
//! - v2 [`fast`]: squared Euclidean distances as ‖a‖² + ‖b‖² − 2·a·bᵀ, so the n·m·d work is one
//!   matrix product through the packed GEMM (`Tensor::matmul`), blocked over query rows so
//!   memory stays at `BLOCK × n` distances; then a partial selection (`select_nth_unstable`)
//!   of the k smallest in O(n) per row, and a sort of those k only.
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

/// Query rows per GEMM block: 256 × n f64 distances (7.8 MB for optdigits' 3823 rows).
const BLOCK: usize = 256;

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

/// What the fast search keeps from `fit`: the training rows and their squared norms.
#[derive(Clone, Debug)]
pub(crate) struct BruteIndex {
    train: Tensor<f64>,
    norms: Vec<f64>,
}

impl BruteIndex {
    pub(crate) fn new(train: &[f64], rows: usize, dims: usize) -> Self {
        let norms = train.chunks(dims.max(1)).take(rows).map(|r| r.iter().map(|v| v * v).sum()).collect();
        BruteIndex { train: Tensor::from_vec(train.to_vec(), [rows, dims]), norms }
    }

    /// v2: the k nearest training rows of each query, blocked over queries.
    pub(crate) fn fast(&self, queries: &[f64], dims: usize, k: usize, metric: Metric) -> NeighbourLists {
        let n = self.norms.len();
        let rows = queries.len() / dims.max(1);
        let mut out = NeighbourLists::with_capacity(rows, k);
        let train = self.train.as_slice().expect("fit stores the training rows contiguously");
        for start in (0..rows).step_by(BLOCK) {
            let b = BLOCK.min(rows - start);
            let block = &queries[start * dims..(start + b) * dims];
            let distances = match metric {
                Metric::Euclidean => self.squared_euclidean(block, b, dims),
                Metric::Manhattan => manhattan(train, block, dims, n),
            };
            let chosen: Vec<Vec<(f64, usize)>> = distances
                .par_chunks(n)
                .zip(block.par_chunks(dims.max(1)))
                .map(|(row, query)| {
                    // The GEMM form chooses; the k winners' distances are then recomputed
                    // directly, so an identical point is at exactly 0, as in the naive search.
                    let mut picked: Vec<(f64, usize)> = k_smallest(row, k)
                        .into_iter()
                        .map(|j| (distance(metric, query, &train[j as usize * dims..(j as usize + 1) * dims]), j as usize))
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

    /// `[b, n]` squared distances, ‖q‖² + ‖t‖² − 2·q·tᵀ, the product through the GEMM.
    fn squared_euclidean(&self, block: &[f64], b: usize, dims: usize) -> Vec<f64> {
        let q = Tensor::from_vec(block.to_vec(), [b, dims]);
        let mut products = q.matmul(&self.train.t()).contiguous().to_vec();
        let n = self.norms.len();
        for (query, row) in block.chunks(dims.max(1)).zip(products.chunks_mut(n)) {
            let q_norm: f64 = query.iter().map(|v| v * v).sum();
            for (p, t_norm) in row.iter_mut().zip(&self.norms) {
                *p = (q_norm + t_norm - 2.0 * *p).max(0.0);
            }
        }
        products
    }
}

/// `[b, n]` Manhattan distances by a direct loop (no product form exists for L1).
fn manhattan(train: &[f64], block: &[f64], dims: usize, n: usize) -> Vec<f64> {
    block
        .par_chunks(dims.max(1))
        .flat_map_iter(|q| (0..n).map(move |j| distance(Metric::Manhattan, q, &train[j * dims..(j + 1) * dims])))
        .collect()
}

/// The positions of the k smallest values, nearest first, ties by lower position.
fn k_smallest(row: &[f64], k: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..row.len() as u32).collect();
    if k < order.len() {
        order.select_nth_unstable_by(k - 1, |&a, &b| closer(row, a, b));
        order.truncate(k);
    }
    order.sort_unstable_by(|&a, &b| closer(row, a, b));
    order
}
