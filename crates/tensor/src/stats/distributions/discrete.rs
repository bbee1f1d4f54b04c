//! Discrete distributions: Bernoulli, binomial, Poisson, categorical, multinomial.

use super::samplers::{binomial_sample, poisson_sample};
use super::{check_positive, check_probability, xlogy, Discrete};
use crate::stats::special::{beta_inc, gamma_q, ln_binomial_term, ln_gamma, ln_poisson_term};
use crate::{Rng, Tensor};

/// One trial that succeeds (1) with probability `p` (`scipy.stats.bernoulli(p)`).
///
/// ```
/// use kindling_tensor::stats::distributions::{Bernoulli, Discrete};
/// let coin = Bernoulli::new(0.3);
/// assert_eq!(coin.pmf(1), 0.3);
/// assert_eq!(coin.cdf(0), 0.7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bernoulli {
    p: f64,
}

impl Bernoulli {
    /// Panics unless `p` is in [0, 1].
    pub fn new(p: f64) -> Self {
        check_probability("Bernoulli::new", "p", p);
        Bernoulli { p }
    }
}

impl Discrete for Bernoulli {
    fn logpmf(&self, k: i64) -> f64 {
        self.pmf(k).ln()
    }

    fn pmf(&self, k: i64) -> f64 {
        match k {
            0 => 1.0 - self.p,
            1 => self.p,
            _ => 0.0,
        }
    }

    fn cdf(&self, k: i64) -> f64 {
        match k {
            k if k < 0 => 0.0,
            0 => 1.0 - self.p,
            _ => 1.0,
        }
    }

    fn mean(&self) -> f64 {
        self.p
    }

    fn variance(&self) -> f64 {
        self.p * (1.0 - self.p)
    }

    fn sample(&self, rng: &mut Rng) -> i64 {
        (rng.uniform_f64() < self.p) as i64
    }
}

/// The number of successes in `n` independent trials of probability `p`
/// (`scipy.stats.binom(n, p)`).
///
/// ```
/// use kindling_tensor::stats::distributions::{Binomial, Discrete};
/// let b = Binomial::new(4, 0.5);
/// assert!((b.pmf(2) - 6.0 / 16.0).abs() < 1e-15);
/// assert!((b.cdf(1) - 5.0 / 16.0).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Binomial {
    n: u64,
    p: f64,
}

impl Binomial {
    /// Panics unless `p` is in [0, 1].
    pub fn new(n: u64, p: f64) -> Self {
        check_probability("Binomial::new", "p", p);
        Binomial { n, p }
    }
}

impl Discrete for Binomial {
    fn logpmf(&self, k: i64) -> f64 {
        if k < 0 || k as u64 > self.n {
            return f64::NEG_INFINITY;
        }
        ln_binomial_term(k as f64, self.n as f64, self.p, 1.0 - self.p)
    }

    fn cdf(&self, k: i64) -> f64 {
        if k < 0 {
            0.0
        } else if k as u64 >= self.n {
            1.0
        } else {
            // P(X ≤ k) = I_{1−p}(n − k, k + 1).
            beta_inc((self.n - k as u64) as f64, k as f64 + 1.0, 1.0 - self.p)
        }
    }

    fn mean(&self) -> f64 {
        self.n as f64 * self.p
    }

    fn variance(&self) -> f64 {
        self.n as f64 * self.p * (1.0 - self.p)
    }

    fn sample(&self, rng: &mut Rng) -> i64 {
        binomial_sample(rng, self.n, self.p) as i64
    }
}

/// The number of events at a constant `rate` λ in a unit interval (`scipy.stats.poisson(λ)`).
///
/// ```
/// use kindling_tensor::stats::distributions::{Discrete, Poisson};
/// let p = Poisson::new(2.0);
/// assert!((p.pmf(2) - 2.0 * (-2.0f64).exp()).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Poisson {
    rate: f64,
}

impl Poisson {
    /// Panics unless `rate` is positive and finite.
    pub fn new(rate: f64) -> Self {
        check_positive("Poisson::new", "rate", rate);
        Poisson { rate }
    }
}

impl Discrete for Poisson {
    fn logpmf(&self, k: i64) -> f64 {
        if k < 0 {
            return f64::NEG_INFINITY;
        }
        ln_poisson_term(k as f64, self.rate)
    }

    fn cdf(&self, k: i64) -> f64 {
        if k < 0 {
            0.0
        } else {
            gamma_q(k as f64 + 1.0, self.rate)
        }
    }

    fn mean(&self) -> f64 {
        self.rate
    }

    fn variance(&self) -> f64 {
        self.rate
    }

    fn sample(&self, rng: &mut Rng) -> i64 {
        poisson_sample(rng, self.rate) as i64
    }
}

/// Checks non-negative finite weights with a positive sum and returns them normalised.
fn normalised(op: &str, weights: &[f64]) -> Vec<f64> {
    if weights.is_empty() {
        panic!("{op}: needs at least one category");
    }
    if let Some((i, w)) = weights.iter().enumerate().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
        panic!("{op}: probabilities must be finite and non-negative, but entry {i} is {w}");
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        panic!("{op}: the probabilities sum to zero; at least one must be positive");
    }
    weights.iter().map(|w| w / total).collect()
}

/// One draw of a category `0..K` with the given probabilities (`scipy.stats.rv_discrete` on
/// `0..K`, or NumPy's `choice(K, p=probs)`).
///
/// ```
/// use kindling_tensor::stats::distributions::{Categorical, Discrete};
/// let c = Categorical::new(&[1.0, 0.0, 3.0]); // weights are normalised
/// assert_eq!(c.pmf(2), 0.75);
/// assert_eq!(c.mean(), 1.5);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Categorical {
    probs: Vec<f64>,
    /// Running sums, with every entry from the last positive category on set to exactly 1 so
    /// that rounding never selects a zero-probability category.
    cumulative: Vec<f64>,
}

impl Categorical {
    /// `probs` are non-negative weights, normalised to sum to 1. Panics if any is negative or
    /// not finite, or all are zero.
    pub fn new(probs: &[f64]) -> Self {
        let probs = normalised("Categorical::new", probs);
        let mut cumulative: Vec<f64> = probs
            .iter()
            .scan(0.0, |acc, p| {
                *acc += p;
                Some(*acc)
            })
            .collect();
        let last_positive = probs.iter().rposition(|&p| p > 0.0).expect("a positive probability");
        cumulative[last_positive..].iter_mut().for_each(|c| *c = 1.0);
        Categorical { probs, cumulative }
    }

    /// The normalised probabilities.
    pub fn probs(&self) -> &[f64] {
        &self.probs
    }
}

impl Discrete for Categorical {
    fn logpmf(&self, k: i64) -> f64 {
        self.pmf(k).ln()
    }

    fn pmf(&self, k: i64) -> f64 {
        usize::try_from(k).ok().and_then(|k| self.probs.get(k)).copied().unwrap_or(0.0)
    }

    fn cdf(&self, k: i64) -> f64 {
        if k < 0 {
            0.0
        } else {
            self.cumulative.get(k as usize).copied().unwrap_or(1.0)
        }
    }

    fn mean(&self) -> f64 {
        self.probs.iter().enumerate().map(|(k, p)| k as f64 * p).sum()
    }

    fn variance(&self) -> f64 {
        let m = self.mean();
        self.probs.iter().enumerate().map(|(k, p)| (k as f64 - m).powi(2) * p).sum()
    }

    fn sample(&self, rng: &mut Rng) -> i64 {
        let u = rng.uniform_f64();
        // The first category whose running sum exceeds u; zero-width ones are never it.
        self.cumulative.partition_point(|&c| c <= u) as i64
    }
}

/// Counts of `n` categorical draws over `K` categories (`scipy.stats.multinomial(n, p)`).
///
/// ```
/// use kindling_tensor::stats::distributions::Multinomial;
/// use kindling_tensor::Rng;
/// let m = Multinomial::new(10, &[0.2, 0.3, 0.5]);
/// let counts = m.sample(&mut Rng::seed(1));
/// assert_eq!(counts.sum_all(), 10);
/// assert!((m.pmf(&[2, 3, 5]) - 0.08505).abs() < 1e-5);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Multinomial {
    n: u64,
    probs: Vec<f64>,
}

impl Multinomial {
    /// `probs` are normalised like [`Categorical::new`]'s.
    pub fn new(n: u64, probs: &[f64]) -> Self {
        Multinomial { n, probs: normalised("Multinomial::new", probs) }
    }

    /// The log-probability of the counts (−∞ unless they are non-negative and sum to `n`).
    /// Panics if `counts` does not have one entry per category.
    pub fn logpmf(&self, counts: &[i64]) -> f64 {
        if counts.len() != self.probs.len() {
            panic!("Multinomial::logpmf: {} counts for {} categories", counts.len(), self.probs.len());
        }
        if counts.iter().any(|&c| c < 0) || counts.iter().sum::<i64>() as u64 != self.n {
            return f64::NEG_INFINITY;
        }
        counts
            .iter()
            .zip(&self.probs)
            .fold(ln_gamma(self.n as f64 + 1.0), |acc, (&c, &p)| acc + xlogy(c as f64, p) - ln_gamma(c as f64 + 1.0))
    }

    /// The probability of the counts.
    pub fn pmf(&self, counts: &[i64]) -> f64 {
        self.logpmf(counts).exp()
    }

    /// The expected counts `n·p` (1-D, one per category).
    pub fn mean(&self) -> Tensor<f64> {
        Tensor::from_vec(self.probs.iter().map(|p| self.n as f64 * p).collect(), [self.probs.len()])
    }

    /// The variance of each count, `n·p·(1 − p)`.
    pub fn variance(&self) -> Tensor<f64> {
        Tensor::from_vec(self.probs.iter().map(|p| self.n as f64 * p * (1.0 - p)).collect(), [self.probs.len()])
    }

    /// One draw: counts per category (1-D, summing to `n`), by conditional binomials.
    pub fn sample(&self, rng: &mut Rng) -> Tensor<i64> {
        let k = self.probs.len();
        Tensor::from_vec(self.draw(rng), [k])
    }

    /// `n_draws` draws stacked as `[n_draws, K]`.
    pub fn sample_n(&self, rng: &mut Rng, n_draws: usize) -> Tensor<i64> {
        let k = self.probs.len();
        let data = (0..n_draws).flat_map(|_| self.draw(rng)).collect();
        Tensor::from_vec(data, [n_draws, k])
    }

    fn draw(&self, rng: &mut Rng) -> Vec<i64> {
        let (mut left, mut mass_left) = (self.n, 1.0f64);
        let mut counts = Vec::with_capacity(self.probs.len());
        for (i, &p) in self.probs.iter().enumerate() {
            let last = i + 1 == self.probs.len();
            // Given the earlier counts, this one is Binomial(left, p / mass_left).
            let c = if last { left } else { binomial_sample(rng, left, (p / mass_left).clamp(0.0, 1.0)) };
            counts.push(c as i64);
            left -= c;
            mass_left -= p;
        }
        counts
    }
}
