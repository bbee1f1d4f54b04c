//! The merge tree, fast: O(n²) time and memory instead of the naive loop's O(n³).
//!
//! Versions (bench: `cargo run --release -p kindling-classic --example agglo_timing` is not
//! kept; scratch timings are quoted in the module docs of [`super::agglomerative`]):
//! - v1 [`super::linkage_naive`]: the whole matrix scanned for the closest pair at every merge.
//! - v2 (here): the pairwise distances as ‖a‖² + ‖b‖² − 2·a·b, the n·n·d work one matrix
//!   product through the packed GEMM (`Tensor::matmul`), blocked over rows; then
//!   - Ward, complete and average linkage by the **nearest-neighbour chain**: follow nearest
//!     neighbours from any cluster until two clusters are each other's nearest, and merge
//!     them. These three linkages are *reducible* (a merge never brings the merged cluster
//!     closer to a third than its parts were), so such a reciprocal pair is merged by the
//!     naive loop too, only perhaps later; sorting the merges by distance at the end gives the
//!     same tree. Each chain step is one scan of a contiguous matrix row.
//!   - single linkage by **Prim's minimum spanning tree**: the single-linkage tree is the MST's
//!     edges sorted by length, and Prim's algorithm over the dense matrix is one O(n) pass per
//!     point.
//!
//! Slots: slot i starts as point i; a merge of slots x < y keeps the new cluster in slot y and
//! retires slot x (SciPy's choice), so a slot's cluster always holds its own point, and the
//! merges found as slot pairs can be renamed into SciPy's cluster ids afterwards ([`label`]).

use super::agglomerative::{lance_williams, Linkage, Merge};
use kindling_tensor::Tensor;

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
    let mut d = distances(rows, n, dims);
    let pairs = match linkage {
        Linkage::Single => prim(&d, n),
        _ => nn_chain(&mut d, n, linkage),
    };
    label(pairs, n)
}

/// The full, symmetric `n × n` matrix of Euclidean distances, through the GEMM.
fn distances(rows: &[f64], n: usize, dims: usize) -> Vec<f64> {
    // Centring first shrinks ‖a‖² and ‖b‖², and with them the cancellation in the product
    // form; distances do not change.
    let mut mean = vec![0.0; dims];
    for row in rows.chunks(dims.max(1)) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let centred: Vec<f64> = rows.chunks(dims.max(1)).flat_map(|r| r.iter().zip(&mean).map(|(v, m)| v - m)).collect();
    let norms: Vec<f64> = centred.chunks(dims.max(1)).map(|r| r.iter().map(|v| v * v).sum()).collect();
    let all = Tensor::from_vec(centred.clone(), [n, dims]);
    let all_t = all.t();
    let mut d = vec![0.0; n * n];
    for start in (0..n).step_by(BLOCK) {
        let b = BLOCK.min(n - start);
        let block = Tensor::from_vec(centred[start * dims..(start + b) * dims].to_vec(), [b, dims]);
        let products = block.matmul(&all_t).contiguous();
        let products = products.as_slice().expect("a fresh product is contiguous");
        for r in 0..b {
            let i = start + r;
            // Upper triangle only; the lower is its mirror, so the matrix is exactly symmetric.
            for j in i + 1..n {
                let scale = norms[i] + norms[j];
                let mut sq = scale - 2.0 * products[r * n + j];
                if sq < CANCELLATION * scale {
                    let (a, c) = (&centred[i * dims..(i + 1) * dims], &centred[j * dims..(j + 1) * dims]);
                    sq = a.iter().zip(c).map(|(x, y)| (x - y) * (x - y)).sum();
                }
                d[i * n + j] = sq.max(0.0).sqrt();
            }
        }
    }
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
/// `d` (overwritten). Returns the merges as (slot x, slot y, distance) with x < y, in the
/// order found. Ties: a cluster's nearest neighbour is its predecessor in the chain if that
/// is among the nearest, else the lowest slot.
fn nn_chain(d: &mut [f64], n: usize, linkage: Linkage) -> Vec<(usize, usize, f64)> {
    // The diagonal and retired slots hold +∞, so the row scan needs no test of activity.
    for i in 0..n {
        d[i * n + i] = f64::INFINITY;
    }
    let mut size = vec![1usize; n];
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let mut merges = Vec::with_capacity(n - 1);
    let mut first_active = 0;
    for _ in 0..n - 1 {
        if chain.is_empty() {
            while size[first_active] == 0 {
                first_active += 1;
            }
            chain.push(first_active);
        }
        let (a, b, dist) = loop {
            let x = chain[chain.len() - 1];
            let previous = (chain.len() > 1).then(|| chain[chain.len() - 2]);
            let (mut y, mut best) = match previous {
                Some(p) => (p, d[x * n + p]),
                None => (usize::MAX, f64::INFINITY),
            };
            for (i, &v) in d[x * n..(x + 1) * n].iter().enumerate() {
                if v < best {
                    (y, best) = (i, v);
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
        for k in 0..n {
            if size[k] == 0 || k == x || k == y {
                continue;
            }
            let updated = lance_williams(linkage, d[k * n + x], d[k * n + y], dist, nx, ny, size[k]);
            d[y * n + k] = updated;
            d[k * n + y] = updated;
        }
        for k in 0..n {
            d[x * n + k] = f64::INFINITY;
            d[k * n + x] = f64::INFINITY;
        }
        size[y] = nx + ny;
        size[x] = 0;
        merges.push((x, y, dist));
    }
    merges
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
