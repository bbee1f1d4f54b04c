//! Descriptive statistics: median, quantiles, mode, covariance, correlation, entropy.

use super::{total_cmp, Lanes};
use crate::dtype::{Float, Numeric};
use crate::shape::dims_str;
use crate::Tensor;

fn check_nonempty(op: &str, lane_len: usize, shape: &[usize]) {
    if lane_len == 0 {
        panic!("{op}: cannot summarise an empty axis (shape {})", dims_str(shape));
    }
}

fn sorted_lane<T: Numeric>(op: &str, lane: &[T], shape: &[usize]) -> Vec<T> {
    check_nonempty(op, lane.len(), shape);
    let mut sorted = lane.to_vec();
    sorted.sort_unstable_by(total_cmp);
    sorted
}

/// Above this many order statistics per lane, one full sort beats repeated selection.
const MAX_SELECTIONS: usize = 8;

/// Puts the order statistics at the ascending `positions` in place (the values a full sort
/// would put there) by successive quickselects, each on the part right of the previous one:
/// O(n) per position instead of O(n log n) for a sort (how NumPy's `partition` serves
/// `median` and `quantile`).
fn select_positions<T: Numeric>(lane: &mut [T], positions: &[usize]) {
    if positions.len() > MAX_SELECTIONS {
        lane.sort_unstable_by(total_cmp);
        return;
    }
    let mut start = 0;
    for &k in positions {
        if k >= start {
            lane[start..].select_nth_unstable_by(k - start, total_cmp);
            start = k + 1;
        }
    }
}

/// NumPy's interpolation: exact at both ends, and symmetric in which end it starts from.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if t < 0.5 {
        a + (b - a) * t
    } else {
        b - (b - a) * (1.0 - t)
    }
}

/// Where NumPy's "linear" method reads a lane of `n` sorted values for quantile `q`: the two
/// neighbouring positions and the weight of the upper one.
fn linear_positions(n: usize, q: f64) -> (usize, usize, f64) {
    let h = q * (n - 1) as f64;
    let lo = h.floor() as usize;
    (lo, (lo + 1).min(n - 1), h - lo as f64)
}

/// Quantiles along `axis` by NumPy's default "linear" method (`np.quantile(x, qs, axis)`):
/// the sorted lane is read at position `q·(n−1)`, interpolating between neighbours. The result
/// has shape `[qs.len()]` followed by the input's shape without `axis`. A lane holding NaN
/// gives NaN. Panics if a `q` is outside [0, 1] or the axis is empty.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let x = Tensor::from([[1.0f64, 2.0, 3.0, 4.0], [10.0, 0.0, 5.0, 5.0]]);
/// let q = stats::quantile(&x, &[0.5, 0.9], 1);
/// assert_eq!(q.shape(), &[2, 2]);
/// let want = [2.5, 5.0, 3.7, 8.5]; // rows: q = 0.5, then q = 0.9
/// assert!(q.to_vec().iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12));
/// ```
pub fn quantile<T: Float>(x: &Tensor<T>, qs: &[f64], axis: isize) -> Tensor<T> {
    if let Some(q) = qs.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        panic!("quantile: quantiles must lie in [0, 1], got {q}");
    }
    quantiles_of("quantile", x, qs, axis)
}

/// Percentiles along `axis` (`np.percentile`): [`quantile`] with `ps` in [0, 100].
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let x = Tensor::from([15.0f64, 20.0, 35.0, 40.0, 50.0]);
/// assert_eq!(stats::percentile(&x, &[25.0, 50.0], 0).to_vec(), vec![20.0, 35.0]);
/// ```
pub fn percentile<T: Float>(x: &Tensor<T>, ps: &[f64], axis: isize) -> Tensor<T> {
    if let Some(p) = ps.iter().find(|p| !(0.0..=100.0).contains(*p)) {
        panic!("percentile: percentiles must lie in [0, 100], got {p}");
    }
    let qs: Vec<f64> = ps.iter().map(|p| p / 100.0).collect();
    quantiles_of("percentile", x, &qs, axis)
}

fn quantiles_of<T: Float>(op: &str, x: &Tensor<T>, qs: &[f64], axis: isize) -> Tensor<T> {
    let lanes = Lanes::new(op, x, axis);
    let lane_count: usize = lanes.reduced_shape.iter().product();
    let mut out = vec![T::ZERO; qs.len() * lane_count];
    check_nonempty(op, lanes.len, x.shape());
    let reads: Vec<(usize, usize, f64)> = qs.iter().map(|&q| linear_positions(lanes.len, q)).collect();
    let mut positions: Vec<usize> = reads.iter().flat_map(|&(lo, hi, _)| [lo, hi]).collect();
    positions.sort_unstable();
    positions.dedup();
    let mut work = Vec::with_capacity(lanes.len);
    for (l, lane) in lanes.lanes().enumerate() {
        let has_nan = lane.iter().any(|v| v.is_nan());
        work.clear();
        work.extend_from_slice(lane);
        if !has_nan {
            select_positions(&mut work, &positions);
        }
        for (qi, &(lo, hi, t)) in reads.iter().enumerate() {
            out[qi * lane_count + l] =
                if has_nan { T::NAN } else { T::from_f64(lerp(work[lo].to_f64(), work[hi].to_f64(), t)) };
        }
    }
    let mut shape = vec![qs.len()];
    shape.extend_from_slice(&lanes.reduced_shape);
    Tensor::from_vec(out, shape)
}

/// The median along `axis` (`np.median`): the middle value, or the mean of the two middle
/// values for an even count. NaN in a lane gives NaN; an empty axis panics.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let x = Tensor::from([[7.0f32, 1.0, 3.0, 2.0]]);
/// assert_eq!(stats::median(&x, 1).to_vec(), vec![2.5]);
/// ```
pub fn median<T: Float>(x: &Tensor<T>, axis: isize) -> Tensor<T> {
    let lanes = Lanes::new("median", x, axis);
    let n = lanes.len;
    check_nonempty("median", n, x.shape());
    let mut work = Vec::with_capacity(n);
    let out: Vec<T> = lanes
        .lanes()
        .map(|lane| {
            if lane.iter().any(|v| v.is_nan()) {
                return T::NAN;
            }
            work.clear();
            work.extend_from_slice(lane);
            select_positions(&mut work, &[(n - 1) / 2, n / 2]);
            if n % 2 == 1 {
                work[n / 2]
            } else {
                T::from_f64((work[n / 2 - 1].to_f64() + work[n / 2].to_f64()) / 2.0)
            }
        })
        .collect();
    Tensor::from_vec(out, lanes.reduced_shape.clone())
}

/// The most frequent value along `axis` and how often it occurs, the smallest value winning
/// ties (like `scipy.stats.mode`). NaN counts as a value of its own, sorted last.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let votes = Tensor::from([[3i64, 1, 3, 1, 2], [0, 0, 4, 4, 4]]);
/// let (values, counts) = stats::mode(&votes, 1);
/// assert_eq!(values.to_vec(), vec![1, 4]);
/// assert_eq!(counts.to_vec(), vec![2, 3]);
/// ```
pub fn mode<T: Numeric>(x: &Tensor<T>, axis: isize) -> (Tensor<T>, Tensor<i64>) {
    let lanes = Lanes::new("mode", x, axis);
    let mut values = Vec::new();
    let mut counts = Vec::new();
    for lane in lanes.lanes() {
        let sorted = sorted_lane("mode", lane, x.shape());
        let same = |a: T, b: T| a == b || (a.is_nan() && b.is_nan());
        let (mut best, mut best_count) = (sorted[0], 0i64);
        let mut start = 0;
        for i in 1..=sorted.len() {
            if i == sorted.len() || !same(sorted[i], sorted[start]) {
                // Strictly greater: an earlier (smaller) value keeps a tie.
                if (i - start) as i64 > best_count {
                    best = sorted[start];
                    best_count = (i - start) as i64;
                }
                start = i;
            }
        }
        values.push(best);
        counts.push(best_count);
    }
    let shape = lanes.reduced_shape.clone();
    (Tensor::from_vec(values, shape.clone()), Tensor::from_vec(counts, shape))
}

/// The covariance matrix of the variables in the rows of `x` (observations in the columns),
/// dividing by `N − ddof`: `np.cov(x, ddof=ddof)`. A 1-D `x` is one variable and gives a
/// scalar. For data laid out as `[samples, features]` pass `x.transpose(0, 1)`. Panics if
/// `N ≤ ddof`.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let x = Tensor::from([[0.0f64, 1.0, 2.0], [2.0, 1.0, 0.0]]);
/// assert_eq!(stats::cov(&x, 1).to_vec(), vec![1.0, -1.0, -1.0, 1.0]);
/// ```
pub fn cov<T: Float>(x: &Tensor<T>, ddof: usize) -> Tensor<T> {
    let rows = match x.rank() {
        1 => x.reshape([1, -1]),
        2 => x.clone(),
        _ => panic!("cov: expects a 1-D or 2-D tensor (variables × observations), got shape {}", dims_str(x.shape())),
    };
    let n = rows.shape()[1];
    if n <= ddof {
        panic!("cov: {n} observations leave no degrees of freedom with ddof = {ddof} (shape {})", dims_str(x.shape()));
    }
    let centered = (&rows - &rows.mean(1, true)).contiguous();
    let c = centered.matmul(&centered.transpose(0, 1)) / T::from_f64((n - ddof) as f64);
    if x.rank() == 1 {
        c.reshape(Vec::<usize>::new())
    } else {
        c
    }
}

/// Pearson correlation coefficients of the variables in the rows of `x` (`np.corrcoef`),
/// clipped to [−1, 1]. A constant variable gives NaN, as in NumPy.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let x = Tensor::from([[1.0f64, 2.0, 3.0], [2.0, 4.0, 6.5], [3.0, 2.0, 1.0]]);
/// let r = stats::corrcoef(&x);
/// assert!((r.get(&[0, 2]) + 1.0).abs() < 1e-15);
/// assert!(r.get(&[0, 1]) > 0.99);
/// ```
pub fn corrcoef<T: Float>(x: &Tensor<T>) -> Tensor<T> {
    if x.rank() != 2 {
        panic!("corrcoef: expects a 2-D tensor (variables × observations), got shape {}", dims_str(x.shape()));
    }
    let c = cov(x, 1);
    let p = c.shape()[0];
    let v = c.to_vec();
    let sd: Vec<f64> = (0..p).map(|i| v[i * p + i].to_f64().sqrt()).collect();
    let r: Vec<T> = (0..p * p)
        .map(|k| {
            let r = v[k].to_f64() / sd[k / p] / sd[k % p];
            T::from_f64(if r.is_nan() { r } else { r.clamp(-1.0, 1.0) })
        })
        .collect();
    Tensor::from_vec(r, [p, p])
}

fn probabilities<T: Float>(op: &str, name: &str, p: &Tensor<T>) -> Vec<f64> {
    let v: Vec<f64> = p.to_vec().iter().map(|x| x.to_f64()).collect();
    if let Some(bad) = v.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
        panic!("{op}: {name} must hold finite non-negative weights, found {bad}");
    }
    let total: f64 = v.iter().sum();
    if total <= 0.0 {
        panic!("{op}: {name} sums to zero; it needs at least one positive weight");
    }
    v.iter().map(|x| x / total).collect()
}

fn log_base(base: Option<f64>) -> f64 {
    match base {
        None => 1.0,
        Some(b) if b > 0.0 && b != 1.0 => b.ln(),
        Some(b) => panic!("entropy: the logarithm base must be positive and not 1, got {b}"),
    }
}

/// Shannon entropy `H(p) = −Σ p log p` of all elements of `p`, normalised to sum to 1 first
/// (`scipy.stats.entropy(p, base=base)`); `base` `None` means nats, `Some(2.0)` bits.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let coin = Tensor::from([0.5f64, 0.5]);
/// assert!((stats::entropy(&coin, Some(2.0)) - 1.0).abs() < 1e-15);
/// ```
pub fn entropy<T: Float>(p: &Tensor<T>, base: Option<f64>) -> T {
    let p = probabilities("entropy", "p", p);
    let h: f64 = p.iter().filter(|&&x| x > 0.0).map(|&x| -x * x.ln()).sum();
    T::from_f64(h / log_base(base))
}

/// Kullback–Leibler divergence `Σ p log(p / q)` between the normalised `p` and `q`
/// (`scipy.stats.entropy(p, q, base=base)`): infinite where `q` is 0 and `p` is not.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let p = Tensor::from([0.5f64, 0.5]);
/// let q = Tensor::from([0.9f64, 0.1]);
/// let kl = stats::kl_divergence(&p, &q, None);
/// assert!((kl - (0.5 * (0.5f64 / 0.9).ln() + 0.5 * 5.0f64.ln())).abs() < 1e-15);
/// ```
pub fn kl_divergence<T: Float>(p: &Tensor<T>, q: &Tensor<T>, base: Option<f64>) -> T {
    if p.shape() != q.shape() {
        panic!("kl_divergence: p of shape {} and q of shape {} differ", dims_str(p.shape()), dims_str(q.shape()));
    }
    let (p, q) = (probabilities("kl_divergence", "p", p), probabilities("kl_divergence", "q", q));
    let d: f64 = p.iter().zip(&q).filter(|(&a, _)| a > 0.0).map(|(&a, &b)| a * (a / b).ln()).sum();
    T::from_f64(d / log_base(base))
}
