//! Probability distributions: densities, log-densities, CDFs, moments and samplers.
//!
//! Every sampler draws from an explicit [`Rng`], so one seed reproduces the same samples on
//! every platform. Constructors check their parameters and panic with a message naming the
//! distribution and the bad value (`Normal::new: std must be positive and finite, got -1`).
//! Parameters follow SciPy's meaning (the normal's standard deviation, the gamma's scale, the
//! exponential's rate is `1 / scale`), so `scipy.stats` values check them.
//!
//! ```
//! use kindling_tensor::stats::distributions::{Continuous, Discrete, Normal, Poisson};
//! use kindling_tensor::Rng;
//!
//! let n = Normal::new(0.0, 1.0);
//! assert!((n.cdf(1.96) - 0.975).abs() < 1e-4);
//! let mut rng = Rng::seed(0);
//! let xs = n.sample_n(&mut rng, 1000);
//! assert_eq!(xs.shape(), &[1000]);
//! assert!((Poisson::new(3.0).pmf(0) - (-3.0f64).exp()).abs() < 1e-16);
//! ```
//!
//! Samplers: the normal by Marsaglia's polar method ([`Rng::normal_f64`]); the gamma by
//! Marsaglia and Tsang's squeeze (with the `U^{1/a}` boost below shape 1); the beta from two
//! gammas, in logarithms so small shapes do not underflow; the Poisson by inversion below a
//! mean of 10 and Hörmann's transformed rejection (PTRS) above; the binomial likewise, by
//! inversion when `n·min(p, 1−p) < 10` and Hörmann's BTRS above. All of them are exact (a
//! rejection step accepts with exactly the target probability): no normal approximation.

mod continuous;
mod discrete;
mod samplers;

pub use continuous::{Beta, Exponential, Gamma, Normal, Uniform};
pub use discrete::{Bernoulli, Binomial, Categorical, Multinomial, Poisson};

use crate::{Rng, Tensor};

/// A distribution over the real line (or an interval of it).
pub trait Continuous {
    /// The log-density at `x` (−∞ outside the support).
    fn logpdf(&self, x: f64) -> f64;
    /// The cumulative distribution function `P(X ≤ x)`.
    fn cdf(&self, x: f64) -> f64;
    fn mean(&self) -> f64;
    fn variance(&self) -> f64;
    /// One sample.
    fn sample(&self, rng: &mut Rng) -> f64;

    /// The density at `x` (0 outside the support).
    fn pdf(&self, x: f64) -> f64 {
        self.logpdf(x).exp()
    }

    fn std(&self) -> f64 {
        self.variance().sqrt()
    }

    /// `n` independent samples as a 1-D tensor, drawn in order from `rng`.
    fn sample_n(&self, rng: &mut Rng, n: usize) -> Tensor<f64> {
        Tensor::from_vec((0..n).map(|_| self.sample(rng)).collect(), [n])
    }
}

/// A distribution over the integers.
pub trait Discrete {
    /// The log-probability of `k` (−∞ outside the support).
    fn logpmf(&self, k: i64) -> f64;
    /// `P(X ≤ k)`.
    fn cdf(&self, k: i64) -> f64;
    fn mean(&self) -> f64;
    fn variance(&self) -> f64;
    /// One sample.
    fn sample(&self, rng: &mut Rng) -> i64;

    /// The probability of `k`.
    fn pmf(&self, k: i64) -> f64 {
        self.logpmf(k).exp()
    }

    fn std(&self) -> f64 {
        self.variance().sqrt()
    }

    /// `n` independent samples as a 1-D tensor, drawn in order from `rng`.
    fn sample_n(&self, rng: &mut Rng, n: usize) -> Tensor<i64> {
        Tensor::from_vec((0..n).map(|_| self.sample(rng)).collect(), [n])
    }
}

/// `c · ln x`, taken as 0 when `c` is 0 (even at `x = 0`), as densities need at their edges.
fn xlogy(c: f64, x: f64) -> f64 {
    if c == 0.0 {
        0.0
    } else {
        c * x.ln()
    }
}

/// `c · ln(1 + x)`, 0 when `c` is 0.
fn xlog1py(c: f64, x: f64) -> f64 {
    if c == 0.0 {
        0.0
    } else {
        c * x.ln_1p()
    }
}

fn check_positive(op: &str, name: &str, v: f64) {
    if !(v > 0.0 && v.is_finite()) {
        panic!("{op}: {name} must be positive and finite, got {v}");
    }
}

fn check_probability(op: &str, name: &str, p: f64) {
    if !(0.0..=1.0).contains(&p) {
        panic!("{op}: {name} must be a probability in [0, 1], got {p}");
    }
}
