//! Chapter 17: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

use kindling_tensor::Tensor;

/// Exercise 17.1.
pub fn gini_and_entropy(counts: &[usize]) -> (f64, f64) {
    let total: usize = counts.iter().sum();
    let mut gini = 1.0;
    let mut entropy = 0.0;
    for &c in counts.iter().filter(|&&c| c > 0) {
        let p = c as f64 / total as f64;
        gini -= p * p;
        entropy -= p * p.log2();
    }
    (gini, entropy)
}

/// The Gini impurity of a node with these class counts out of `total` samples.
fn gini_of(counts: &[usize], total: usize) -> f64 {
    let n = total as f64;
    1.0 - counts.iter().map(|&c| (c as f64 / n).powi(2)).sum::<f64>()
}

/// Exercise 17.2.
pub fn best_threshold(
    feature: &[f64],
    labels: &[usize],
    n_classes: usize,
) -> Option<(f64, f64)> {
    let n = feature.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| feature[a].total_cmp(&feature[b]));
    let mut left = vec![0usize; n_classes];
    let mut right = vec![0usize; n_classes];
    labels.iter().for_each(|&l| right[l] += 1);
    let mut best: Option<(f64, f64)> = None;
    for position in 0..n.saturating_sub(1) {
        let row = order[position];
        left[labels[row]] += 1;
        right[labels[row]] -= 1;
        let (here, next) = (feature[row], feature[order[position + 1]]);
        if here == next {
            continue; // no threshold separates equal values
        }
        let n_left = position + 1;
        let weighted = (n_left as f64 * gini_of(&left, n_left)
            + (n - n_left) as f64 * gini_of(&right, n - n_left))
            / n as f64;
        if best.is_none_or(|(_, b)| weighted < b) {
            best = Some(((here + next) / 2.0, weighted));
        }
    }
    best
}

/// Exercise 17.3.
pub fn kmeans_step(
    x: &Tensor<f64>,
    centers: &Tensor<f64>,
) -> (Vec<usize>, Tensor<f64>, f64) {
    let (n, d, k) = (x.shape()[0], x.shape()[1], centers.shape()[0]);
    let (xs, cs) = (x.to_vec(), centers.to_vec());
    let mut labels = Vec::with_capacity(n);
    let mut inertia = 0.0;
    let mut sums = vec![0.0; k * d];
    let mut sizes = vec![0usize; k];
    for row in xs.chunks(d) {
        let (best, distance) = cs
            .chunks(d)
            .map(|c| row.iter().zip(c).map(|(a, b)| (a - b).powi(2)).sum::<f64>())
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |best, (j, dist)| if dist < best.1 { (j, dist) } else { best },
            );
        labels.push(best);
        inertia += distance;
        sizes[best] += 1;
        sums[best * d..(best + 1) * d]
            .iter_mut()
            .zip(row)
            .for_each(|(s, v)| *s += v);
    }
    let moved: Vec<f64> =
        (0..k * d)
            .map(|i| {
                if sizes[i / d] > 0 {
                    sums[i] / sizes[i / d] as f64
                } else {
                    cs[i]
                }
            })
            .collect();
    (labels, Tensor::from_vec(moved, [k, d]), inertia)
}

/// Exercise 17.4.
pub fn silhouette_of(x: &Tensor<f64>, labels: &[usize], i: usize) -> f64 {
    let d = x.shape()[1];
    let values = x.to_vec();
    let row = &values[i * d..(i + 1) * d];
    let clusters = labels.iter().max().map_or(0, |m| m + 1);
    let mut sums = vec![0.0; clusters];
    let mut sizes = vec![0usize; clusters];
    for (j, other) in values.chunks(d).enumerate() {
        if j != i {
            sums[labels[j]] += row
                .iter()
                .zip(other)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt();
            sizes[labels[j]] += 1;
        }
    }
    let own = labels[i];
    if sizes[own] == 0 {
        return 0.0;
    }
    let a = sums[own] / sizes[own] as f64;
    let b = (0..clusters)
        .filter(|&c| c != own && sizes[c] > 0)
        .map(|c| sums[c] / sizes[c] as f64)
        .fold(f64::INFINITY, f64::min);
    (b - a) / a.max(b)
}

/// Exercise 17.5.
pub fn rbf_kernel(a: &Tensor<f64>, b: &Tensor<f64>, gamma: f64) -> Tensor<f64> {
    let a_norms = (a * a).sum(1, true); // [n, 1]
    let b_norms = (b * b).sum(1, false); // [m], broadcast over the rows
    let distances = (&(&a_norms + &b_norms) - &(a.matmul(&b.t()) * 2.0))
        .clamp(0.0, f64::INFINITY);
    (distances * -gamma).exp()
}

/// Exercise 17.5, second part.
pub fn gamma_scale(x: &Tensor<f64>) -> f64 {
    let values = x.to_vec();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    1.0 / (x.shape()[1] as f64 * variance)
}

/// Exercise 17.6.
pub fn samme_round(
    weights: &[f64],
    correct: &[bool],
    n_classes: usize,
    learning_rate: f64,
) -> (f64, f64, Vec<f64>) {
    let error: f64 =
        weights.iter().zip(correct).filter(|(_, &ok)| !ok).map(|(w, _)| w).sum();
    let alpha = learning_rate
        * (((1.0 - error) / error).ln() + ((n_classes - 1) as f64).ln());
    let boosted: Vec<f64> = weights
        .iter()
        .zip(correct)
        .map(|(&w, &ok)| if ok { w } else { w * alpha.exp() })
        .collect();
    let total: f64 = boosted.iter().sum();
    (error, alpha, boosted.iter().map(|w| w / total).collect())
}

/// Exercise 17.7.
pub fn explained_variance(
    singular_values: &[f64],
    n_samples: usize,
) -> (Vec<f64>, Vec<f64>) {
    let variance: Vec<f64> =
        singular_values.iter().map(|s| s * s / (n_samples - 1) as f64).collect();
    let total: f64 = variance.iter().sum();
    let ratio = variance.iter().map(|v| v / total).collect();
    (variance, ratio)
}

/// Exercise 17.8.
pub fn best_histogram_split(
    gradients: &[f64],
    hessians: &[f64],
    lambda: f64,
    min_hessian: f64,
) -> Option<(usize, f64)> {
    let (g_total, h_total): (f64, f64) =
        (gradients.iter().sum(), hessians.iter().sum());
    let score = |g: f64, h: f64| g * g / (h + lambda);
    let (mut g_left, mut h_left) = (0.0, 0.0);
    let mut best: Option<(usize, f64)> = None;
    for bin in 0..gradients.len().saturating_sub(1) {
        g_left += gradients[bin];
        h_left += hessians[bin];
        let (g_right, h_right) = (g_total - g_left, h_total - h_left);
        if h_left < min_hessian || h_right < min_hessian {
            continue;
        }
        let gain = 0.5
            * (score(g_left, h_left) + score(g_right, h_right)
                - score(g_total, h_total));
        if best.is_none_or(|(_, b)| gain > b) {
            best = Some((bin, gain));
        }
    }
    best
}
