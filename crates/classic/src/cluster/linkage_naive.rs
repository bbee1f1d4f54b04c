//! v1 of the merge tree: the textbook O(n³) loop, the oracle for [`super::linkage_fast`].
//!
//! Keep the full matrix of cluster distances; n − 1 times, find the closest pair of active
//! clusters by a scan of the whole matrix, merge them, and rewrite the merged cluster's row by
//! the Lance–Williams formula ([`super::agglomerative::lance_williams`]). Distances are the
//! direct Euclidean sums, no product form.

use super::agglomerative::{lance_williams, Linkage, Merge};

/// The merges of `rows` (`n × dims`, row-major) under `linkage`, in merge order (which, for
/// these four monotone linkages, is ascending distance). A tie goes to the pair met first in a
/// row-major scan of the upper triangle (the lowest slot, then the lowest partner).
pub(crate) fn linkage(rows: &[f64], n: usize, dims: usize, linkage: Linkage) -> Vec<Merge> {
    let mut d = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (&rows[i * dims..(i + 1) * dims], &rows[j * dims..(j + 1) * dims]);
            d[i * n + j] = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
        }
    }
    // Slot i holds cluster `id[i]` of `size[i]` points while `active[i]`.
    let mut id: Vec<usize> = (0..n).collect();
    let mut size = vec![1usize; n];
    let mut active = vec![true; n];
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    for step in 0..n.saturating_sub(1) {
        let (mut best, mut bi, mut bj) = (f64::INFINITY, 0, 0);
        for i in (0..n).filter(|&i| active[i]) {
            for j in (i + 1..n).filter(|&j| active[j]) {
                if d[i * n + j] < best {
                    (best, bi, bj) = (d[i * n + j], i, j);
                }
            }
        }
        let (left, right) = (id[bi].min(id[bj]), id[bi].max(id[bj]));
        merges.push(Merge { left, right, distance: best, size: size[bi] + size[bj] });
        for k in (0..n).filter(|&k| active[k] && k != bi && k != bj) {
            let updated = lance_williams(linkage, d[k * n + bi], d[k * n + bj], best, size[bi], size[bj], size[k]);
            d[k * n + bi] = updated;
            d[bi * n + k] = updated;
        }
        // The merged cluster lives on in slot bi.
        active[bj] = false;
        size[bi] += size[bj];
        id[bi] = n + step;
    }
    merges
}
