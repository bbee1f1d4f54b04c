//! Elkan's k-means (scikit-learn's `algorithm="elkan"`): the same iterations as Lloyd's, but
//! the triangle inequality skips most distance computations once the centers settle.
//!
//! Each row keeps an upper bound u on the distance to its own center and a lower bound l(c)
//! on the distance to every other center. A center c cannot be nearer than the current one
//! when u ≤ l(c) or u ≤ ½‖c − c_own‖, and no center can be when u ≤ ½ min ‖c′ − c_own‖; only
//! the rows and centers that pass these tests get a real distance. After the centers move by
//! p(c), u grows by p(own) and each l(c) shrinks by p(c), so the bounds stay valid. Distances
//! are direct sums (no GEMM), and the answer is Lloyd's up to rounding.

use super::kmeans_lloyd::{inertia, means, Rows, Run};

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>().sqrt()
}

/// Half the distance between every pair of centers, and for each center half the distance to
/// its nearest other center.
fn half_gaps(centers: &[f64], k: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut half = vec![0.0; k * k];
    for a in 0..k {
        for b in (a + 1)..k {
            let h = 0.5 * distance(&centers[a * d..(a + 1) * d], &centers[b * d..(b + 1) * d]);
            half[a * k + b] = h;
            half[b * k + a] = h;
        }
    }
    let nearest =
        (0..k).map(|a| (0..k).filter(|&b| b != a).map(|b| half[a * k + b]).fold(f64::INFINITY, f64::min)).collect();
    (half, nearest)
}

/// Elkan's iterations from `centers`, stopping as [`lloyd`](super::kmeans_lloyd::lloyd) does.
pub(crate) fn elkan(rows: &Rows, mut centers: Vec<f64>, k: usize, max_iter: usize, tol: f64) -> Run {
    let (n, d) = (rows.n, rows.d);
    // Exact distances to every center to start.
    let mut lower = vec![0.0; n * k];
    let mut upper = vec![0.0; n];
    let mut labels = vec![0usize; n];
    for i in 0..n {
        let row = rows.row(i);
        for c in 0..k {
            lower[i * k + c] = distance(row, &centers[c * d..(c + 1) * d]);
            if lower[i * k + c] < lower[i * k + labels[i]] {
                labels[i] = c;
            }
        }
        upper[i] = lower[i * k + labels[i]];
    }
    let mut previous: Option<Vec<usize>> = None;
    let mut strict = false;
    let mut n_iter = 0;
    for iteration in 0..max_iter {
        n_iter += 1;
        if iteration > 0 {
            let (half, nearest_half) = half_gaps(&centers, k, d);
            for i in 0..n {
                let own = labels[i];
                if upper[i] <= nearest_half[own] {
                    continue;
                }
                let row = rows.row(i);
                let mut tight = false;
                for c in 0..k {
                    let own = labels[i];
                    if c == own || upper[i] <= lower[i * k + c] || upper[i] <= half[own * k + c] {
                        continue;
                    }
                    if !tight {
                        upper[i] = distance(row, &centers[own * d..(own + 1) * d]);
                        lower[i * k + own] = upper[i];
                        tight = true;
                        if upper[i] <= lower[i * k + c] || upper[i] <= half[own * k + c] {
                            continue;
                        }
                    }
                    let to_c = distance(row, &centers[c * d..(c + 1) * d]);
                    lower[i * k + c] = to_c;
                    if to_c < upper[i] {
                        labels[i] = c;
                        upper[i] = to_c;
                    }
                }
            }
        }
        let updated = means(rows, &centers, &labels, k);
        let moved: Vec<f64> =
            (0..k).map(|c| distance(&updated[c * d..(c + 1) * d], &centers[c * d..(c + 1) * d])).collect();
        let shift: f64 = moved.iter().map(|p| p * p).sum();
        centers = updated;
        for i in 0..n {
            upper[i] += moved[labels[i]];
            for c in 0..k {
                lower[i * k + c] = (lower[i * k + c] - moved[c]).max(0.0);
            }
        }
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
        // A last assignment against the final centers, exact for every row.
        for (i, label) in labels.iter_mut().enumerate() {
            let row = rows.row(i);
            let mut best = f64::INFINITY;
            for c in 0..k {
                let dist = distance(row, &centers[c * d..(c + 1) * d]);
                if dist < best {
                    (best, *label) = (dist, c);
                }
            }
        }
    }
    let inertia = inertia(rows, &centers, &labels);
    Run { centers, labels, inertia, n_iter }
}
