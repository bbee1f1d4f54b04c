//! Continuous distributions: normal, uniform, exponential, gamma, beta.

use super::samplers::ln_gamma_sample;
use super::{check_positive, xlog1py, xlogy, Continuous};
use crate::stats::special::{beta_inc, erfc, gamma_p, ln_beta, ln_binomial_term, ln_gamma, ln_poisson_term};
use crate::Rng;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// The normal distribution N(mean, std²) (`scipy.stats.norm(loc=mean, scale=std)`).
///
/// ```
/// use kindling_tensor::stats::distributions::{Continuous, Normal};
/// let n = Normal::new(1.0, 2.0);
/// assert_eq!(n.cdf(1.0), 0.5);
/// assert_eq!(n.variance(), 4.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normal {
    mean: f64,
    std: f64,
}

impl Normal {
    /// Panics unless `mean` is finite and `std` positive and finite.
    pub fn new(mean: f64, std: f64) -> Self {
        if !mean.is_finite() {
            panic!("Normal::new: mean must be finite, got {mean}");
        }
        check_positive("Normal::new", "std", std);
        Normal { mean, std }
    }

    /// The standard normal N(0, 1).
    pub fn standard() -> Self {
        Normal::new(0.0, 1.0)
    }
}

impl Continuous for Normal {
    fn logpdf(&self, x: f64) -> f64 {
        let z = (x - self.mean) / self.std;
        -0.5 * z * z - self.std.ln() - 0.5 * (2.0 * PI).ln()
    }

    fn cdf(&self, x: f64) -> f64 {
        // Through erfc so the lower tail keeps its relative accuracy.
        0.5 * erfc(-(x - self.mean) / self.std * FRAC_1_SQRT_2)
    }

    fn mean(&self) -> f64 {
        self.mean
    }

    fn variance(&self) -> f64 {
        self.std * self.std
    }

    fn sample(&self, rng: &mut Rng) -> f64 {
        self.mean + self.std * rng.normal_f64()
    }
}

/// The uniform distribution on [low, high] (`scipy.stats.uniform(low, high - low)`).
///
/// ```
/// use kindling_tensor::stats::distributions::{Continuous, Uniform};
/// let u = Uniform::new(-1.0, 3.0);
/// assert_eq!(u.pdf(0.0), 0.25);
/// assert_eq!(u.cdf(2.0), 0.75);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Uniform {
    low: f64,
    high: f64,
}

impl Uniform {
    /// Panics unless both ends are finite and `low < high`.
    pub fn new(low: f64, high: f64) -> Self {
        if !(low.is_finite() && high.is_finite() && low < high) {
            panic!("Uniform::new: needs finite low < high, got low = {low}, high = {high}");
        }
        Uniform { low, high }
    }
}

impl Continuous for Uniform {
    fn logpdf(&self, x: f64) -> f64 {
        if (self.low..=self.high).contains(&x) {
            -(self.high - self.low).ln()
        } else {
            f64::NEG_INFINITY
        }
    }

    fn pdf(&self, x: f64) -> f64 {
        if (self.low..=self.high).contains(&x) {
            1.0 / (self.high - self.low)
        } else {
            0.0
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        ((x - self.low) / (self.high - self.low)).clamp(0.0, 1.0)
    }

    fn mean(&self) -> f64 {
        0.5 * (self.low + self.high)
    }

    fn variance(&self) -> f64 {
        let w = self.high - self.low;
        w * w / 12.0
    }

    fn sample(&self, rng: &mut Rng) -> f64 {
        self.low + (self.high - self.low) * rng.uniform_f64()
    }
}

/// The exponential distribution with `rate` λ (density λe^{−λx} on x ≥ 0;
/// `scipy.stats.expon(scale=1/rate)`).
///
/// ```
/// use kindling_tensor::stats::distributions::{Continuous, Exponential};
/// let e = Exponential::new(2.0);
/// assert_eq!(e.mean(), 0.5);
/// assert!((e.cdf(0.5) - (1.0 - (-1.0f64).exp())).abs() < 1e-16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exponential {
    rate: f64,
}

impl Exponential {
    /// Panics unless `rate` is positive and finite.
    pub fn new(rate: f64) -> Self {
        check_positive("Exponential::new", "rate", rate);
        Exponential { rate }
    }
}

impl Continuous for Exponential {
    fn logpdf(&self, x: f64) -> f64 {
        if x < 0.0 {
            f64::NEG_INFINITY
        } else {
            self.rate.ln() - self.rate * x
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            0.0
        } else {
            -(-self.rate * x).exp_m1()
        }
    }

    fn mean(&self) -> f64 {
        1.0 / self.rate
    }

    fn variance(&self) -> f64 {
        1.0 / (self.rate * self.rate)
    }

    fn sample(&self, rng: &mut Rng) -> f64 {
        // Inversion; 1 − U lies in (0, 1], so the logarithm is finite.
        -(-rng.uniform_f64()).ln_1p() / self.rate
    }
}

/// The gamma distribution with `shape` k and `scale` θ (mean kθ;
/// `scipy.stats.gamma(shape, scale=scale)`).
///
/// ```
/// use kindling_tensor::stats::distributions::{Continuous, Gamma};
/// let g = Gamma::new(3.0, 2.0);
/// assert_eq!((g.mean(), g.variance()), (6.0, 12.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gamma {
    shape: f64,
    scale: f64,
}

impl Gamma {
    /// Panics unless `shape` and `scale` are positive and finite.
    pub fn new(shape: f64, scale: f64) -> Self {
        check_positive("Gamma::new", "shape", shape);
        check_positive("Gamma::new", "scale", scale);
        Gamma { shape, scale }
    }
}

impl Continuous for Gamma {
    fn logpdf(&self, x: f64) -> f64 {
        if x < 0.0 {
            return f64::NEG_INFINITY;
        }
        let y = x / self.scale;
        if y == 0.0 {
            return xlogy(self.shape - 1.0, y) - ln_gamma(self.shape) - self.scale.ln();
        }
        // Loader's form, as R's dgamma: accurate for large shapes.
        if self.shape < 1.0 {
            ln_poisson_term(self.shape, y) + (self.shape / x).ln()
        } else {
            ln_poisson_term(self.shape - 1.0, y) - self.scale.ln()
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            0.0
        } else {
            gamma_p(self.shape, x / self.scale)
        }
    }

    fn mean(&self) -> f64 {
        self.shape * self.scale
    }

    fn variance(&self) -> f64 {
        self.shape * self.scale * self.scale
    }

    fn sample(&self, rng: &mut Rng) -> f64 {
        ln_gamma_sample(rng, self.shape).exp() * self.scale
    }
}

/// The beta distribution on [0, 1] with shapes `a` and `b` (`scipy.stats.beta(a, b)`).
///
/// ```
/// use kindling_tensor::stats::distributions::{Beta, Continuous};
/// let b = Beta::new(2.0, 1.0);
/// assert!((b.pdf(0.25) - 0.5).abs() < 1e-15);
/// assert!((b.cdf(0.5) - 0.25).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Beta {
    a: f64,
    b: f64,
}

impl Beta {
    /// Panics unless both shapes are positive and finite.
    pub fn new(a: f64, b: f64) -> Self {
        check_positive("Beta::new", "a", a);
        check_positive("Beta::new", "b", b);
        Beta { a, b }
    }
}

impl Continuous for Beta {
    fn logpdf(&self, x: f64) -> f64 {
        if !(0.0..=1.0).contains(&x) {
            return f64::NEG_INFINITY;
        }
        if self.a <= 2.0 || self.b <= 2.0 || x == 0.0 || x == 1.0 {
            xlogy(self.a - 1.0, x) + xlog1py(self.b - 1.0, -x) - ln_beta(self.a, self.b)
        } else {
            // Loader's form, as R's dbeta: accurate for large shapes.
            (self.a + self.b - 1.0).ln() + ln_binomial_term(self.a - 1.0, self.a + self.b - 2.0, x, 1.0 - x)
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        beta_inc(self.a, self.b, x.clamp(0.0, 1.0))
    }

    fn mean(&self) -> f64 {
        self.a / (self.a + self.b)
    }

    fn variance(&self) -> f64 {
        let s = self.a + self.b;
        self.a * self.b / (s * s * (s + 1.0))
    }

    fn sample(&self, rng: &mut Rng) -> f64 {
        // X / (X + Y) = 1 / (1 + Y/X), from the logarithms of the two gamma draws.
        let ln_x = ln_gamma_sample(rng, self.a);
        let ln_y = ln_gamma_sample(rng, self.b);
        1.0 / (1.0 + (ln_y - ln_x).exp())
    }
}
