//! The merge tree, fast: O(n²) time and memory instead of the naive loop's O(n³).
//!
//! Versions (timing: `cargo run --release -p kindling-classic --example pca_vs_sklearn`, which
//! fits Ward on the standardised optdigits training rows, 3823 × 64, one thread; run it
//! alternately with `tools/peers/pca_sklearn.py`):
//! - v1 [`super::linkage_naive`]: the whole matrix scanned for the closest pair at every merge.
//! - v2: the pairwise distances as ‖a‖² + ‖b‖² − 2·a·b, the n·n·d work one matrix
//!   product through the packed GEMM (`kernel_api::gemm`), blocked over rows; then
//!   - Ward, complete and average linkage by the **nearest-neighbour chain**: follow nearest
//!     neighbours from any cluster until two clusters are each other's nearest, and merge
//!     them. These three linkages are *reducible* (a merge never brings the merged cluster
//!     closer to a third than its parts were), so such a reciprocal pair is merged by the
//!     naive loop too, only perhaps later; sorting the merges by distance at the end gives the
//!     same tree. Each chain step is one scan of a contiguous matrix row.
//!   - single linkage by **Prim's minimum spanning tree**: the single-linkage tree is the MST's
//!     edges sorted by length, and Prim's algorithm over the dense matrix is one O(n) pass per
//!     point.
//! - v3 (here): the chain reads rows only and keeps the active slots in a sorted list (v2 wrote
//!   +∞ over a retired slot's column, n strided writes per merge); Ward keeps squared
//!   distances (no root per update); the GEMM fills the upper triangle only, into the tensor
//!   crate's huge-page buffers (`kernel_api::zeroed_buffer`), which cut the first-touch page
//!   faults of the 117 MB matrix. On a loaded machine Ward went from 1.2–2.2 s (v2) to
//!   0.62–0.86 s, beside scikit-learn's 0.86–1.25 s in the same alternating runs; what is left
//!   is about 0.05 s GEMM, 0.25 s filling and mirroring the matrix, 0.4 s the chain (one
//!   strided write per update keeps the matrix symmetric).
//!
//! Slots: slot i starts as point i; a merge of slots x < y keeps the new cluster in slot y and
//! retires slot x (SciPy's choice), so a slot's cluster always holds its own point, and the
//! merges found as slot pairs can be renamed into SciPy's cluster ids afterwards ([`label`]).

use super::agglomerative::{lance_williams, Linkage, Merge};
use kindling_tensor::kernel_api::{gemm, recycle_buffer, zeroed_buffer, MatRef};

/// Rows per GEMM block of the distance matrix (512 × n products at a time).
const BLOCK: usize = 512;

/// A squared distance below this fraction of ‖a‖² + ‖b‖² is recomputed directly: there the
/// product form has lost most of its digits to cancellation (near-duplicate points).
const CANCELLATION: f64 = 1e-6;

/// The merges of `rows` (`n × dims`, row-major) under `linkage`, sorted by distance, with
/// SciPy's cluster ids.
pub(crate) fn linkage(rows: &[f64], n: usize, dims: usize, linkage: Linkage) -> Vec<Merge> {
    if n < 2 {
        return Vec::new();
    }
    // Ward runs on squared distances: its update is a weighted sum of squares, so storing
    // them saves a square root per update and two squarings; the heights are rooted at the end.
    let squared = linkage == Linkage::Ward;
    let mut d = distances(rows, n, dims, squared);
    let mut pairs = match linkage {
        Linkage::Single => prim(&d, n),
        _ => nn_chain(&mut d, n, linkage),
    };
    recycle_buffer(d);
    if squared {
        pairs.iter_mut().for_each(|p| p.2 = p.2.sqrt());
    }
    label(pairs, n)
}

/// The full, symmetric `n × n` matrix of Euclidean distances (or their squares), through the
/// GEMM.
fn distances(rows: &[f64], n: usize, dims: usize, squared: bool) -> Vec<f64> {
    // Centring first shrinks ‖a‖² and ‖b‖², and with them the cancellation in the product
    // form; distances do not change.
    let mut mean = vec![0.0; dims];
    for row in rows.chunks(dims.max(1)) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let centred: Vec<f64> = rows.chunks(dims.max(1)).flat_map(|r| r.iter().zip(&mean).map(|(v, m)| v - m)).collect();
    let norms: Vec<f64> = centred.chunks(dims.max(1)).map(|r| r.iter().map(|v| v * v).sum()).collect();
    // The tensor crate's buffers: huge pages for the n² matrix (far fewer first-touch page
    // faults than 4 KiB pages) and a cached scratch for the products.
    let mut d = zeroed_buffer::<f64>(n * n);
    let mut products = zeroed_buffer::<f64>(BLOCK.min(n) * n);
    for start in (0..n).step_by(BLOCK) {
        let b = BLOCK.min(n - start);
        // Upper triangle only (columns from `start` on); the lower is its mirror, so the
        // matrix is exactly symmetric and the GEMM does half the work.
        let width = n - start;
        let block = MatRef::row_major(&centred[start * dims..(start + b) * dims], b, dims);
        let tail = MatRef::row_major(&centred[start * dims..], width, dims);
        gemm(block, tail.t(), &mut products[..b * width]);
        for r in 0..b {
            let i = start + r;
            for j in i + 1..n {
                let scale = norms[i] + norms[j];
                let mut sq = scale - 2.0 * products[r * width + j - start];
                if sq < CANCELLATION * scale {
                    let (a, c) = (&centred[i * dims..(i + 1) * dims], &centred[j * dims..(j + 1) * dims]);
                    sq = a.iter().zip(c).map(|(x, y)| (x - y) * (x - y)).sum();
                }
                d[i * n + j] = if squared { sq.max(0.0) } else { sq.max(0.0).sqrt() };
            }
        }
    }
    recycle_buffer(products);
    mirror_upper(&mut d, n);
    d
}

/// Copies the upper triangle onto the lower, tile by tile so both sides stay in cache.
fn mirror_upper(d: &mut [f64], n: usize) {
    const TILE: usize = 64;
    for ib in (0..n).step_by(TILE) {
        for jb in (ib..n).step_by(TILE) {
            for i in ib..(ib + TILE).min(n) {
                for j in jb.max(i + 1)..(jb + TILE).min(n) {
                    d[j * n + i] = d[i * n + j];
                }
            }
        }
    }
}

/// Ward, complete or average linkage by the nearest-neighbour chain, on the distance matrix
/// `d` (overwritten; squared distances for Ward). Returns the merges as (slot x, slot y,
/// distance) with x < y, in the order found. Ties: a cluster's nearest neighbour is its
/// predecessor in the chain if that is among the nearest, else the lowest slot.
///
/// Only rows are read, and the active slots are kept in a sorted list, so a retired slot costs
/// nothing; the one strided access per update is the write that keeps the matrix symmetric.
fn nn_chain(d: &mut [f64], n: usize, linkage: Linkage) -> Vec<(usize, usize, f64)> {
    let mut size = vec![1usize; n];
    let mut active: Vec<usize> = (0..n).collect();
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let mut merges = Vec::with_capacity(n - 1);
    for _ in 0..n - 1 {
        if chain.is_empty() {
            chain.push(active[0]);
        }
        let (a, b, dist) = loop {
            let x = chain[chain.len() - 1];
            let previous = (chain.len() > 1).then(|| chain[chain.len() - 2]);
            let (mut y, mut best) = match previous {
                Some(p) => (p, d[x * n + p]),
                None => (usize::MAX, f64::INFINITY),
            };
            let row = &d[x * n..(x + 1) * n];
            for &i in &active {
                if row[i] < best && i != x {
                    (y, best) = (i, row[i]);
                }
            }
            if Some(y) == previous {
                chain.truncate(chain.len() - 2);
                break (x, y, best);
            }
            chain.push(y);
        };
        let (x, y) = (a.min(b), a.max(b));
        let (nx, ny) = (size[x], size[y]);
        for &k in &active {
            if k == x || k == y {
                continue;
            }
            let updated = update(linkage, d[x * n + k], d[y * n + k], dist, nx, ny, size[k]);
            d[y * n + k] = updated;
            d[k * n + y] = updated;
        }
        size[y] = nx + ny;
        size[x] = 0;
        let at = active.binary_search(&x).expect("x is active");
        active.remove(at);
        merges.push((x, y, dist));
    }
    merges
}

/// The Lance–Williams update on the matrix's own scale: squared distances for Ward.
#[inline(always)]
fn update(linkage: Linkage, dki: f64, dkj: f64, dij: f64, ni: usize, nj: usize, nk: usize) -> f64 {
    match linkage {
        Linkage::Ward => {
            let (ni, nj, nk) = (ni as f64, nj as f64, nk as f64);
            (((nk + ni) * dki + (nk + nj) * dkj - nk * dij) / (ni + nj + nk)).max(0.0)
        }
        _ => lance_williams(linkage, dki, dkj, dij, ni, nj, nk),
    }
}

/// Single linkage by Prim's algorithm from point 0: each step adds the point nearest to the
/// tree (ties: the lowest index). As in SciPy, the step is recorded as (the point added last,
/// the point added now); [`label`] joins their clusters, which is the single-linkage merge
/// because every edge Prim added since the partner joined is no longer than this one.
fn prim(d: &[f64], n: usize) -> Vec<(usize, usize, f64)> {
    let mut nearest = vec![f64::INFINITY; n];
    let mut in_tree = vec![false; n];
    let mut merges = Vec::with_capacity(n - 1);
    let mut x = 0;
    for _ in 0..n - 1 {
        in_tree[x] = true;
        let (mut y, mut best) = (usize::MAX, f64::INFINITY);
        let row = &d[x * n..(x + 1) * n];
        for i in 0..n {
            if in_tree[i] {
                continue;
            }
            nearest[i] = nearest[i].min(row[i]);
            if nearest[i] < best {
                (y, best) = (i, nearest[i]);
            }
        }
        merges.push((x, y, best));
        x = y;
    }
    merges
}

/// Sorts merges found as slot pairs by distance (stably, so equal heights keep the order
/// found) and names the clusters as SciPy does: point i is cluster i, the cluster made by
/// merge s is n + s, and each row lists the smaller id first.
pub(crate) fn label(mut pairs: Vec<(usize, usize, f64)>, n: usize) -> Vec<Merge> {
    pairs.sort_by(|a, b| a.2.total_cmp(&b.2));
    let mut parent: Vec<usize> = (0..2 * n - 1).collect();
    let mut size = vec![1usize; 2 * n - 1];
    let find = |parent: &mut Vec<usize>, mut i: usize| {
        let mut root = i;
        while parent[root] != root {
            root = parent[root];
        }
        while parent[i] != root {
            let next = parent[i];
            parent[i] = root;
            i = next;
        }
        root
    };
    pairs
        .into_iter()
        .enumerate()
        .map(|(s, (x, y, distance))| {
            let (rx, ry) = (find(&mut parent, x), find(&mut parent, y));
            let id = n + s;
            parent[rx] = id;
            parent[ry] = id;
            size[id] = size[rx] + size[ry];
            Merge { left: rx.min(ry), right: rx.max(ry), distance, size: size[id] }
        })
        .collect()
}
