//! The exponentially weighted moving average behind momentum, RMSprop and Adam, on its own:
//! a smoothed loss curve, a running throughput figure.

/// An exponentially weighted moving average of a stream of numbers.
///
/// ```text
/// m_t = β·m_{t−1} + (1 − β)·x_t,   m_0 = 0
/// m̂_t = m_t / (1 − β^t)           (bias correction, on by default)
/// ```
///
/// It averages over roughly the last 1/(1 − β) values (10 for β = 0.9). Because m starts at 0,
/// the raw average is pulled toward 0 for the first few dozen values; dividing by 1 − β^t
/// (the total weight given so far) removes that pull, which is what Adam's m̂ does too.
///
/// ```
/// use kindling_optim::Ewma;
///
/// let mut loss = Ewma::new(0.9);
/// assert_eq!(loss.update(2.0), 2.0); // bias-corrected: the first value itself
/// let raw = Ewma::new(0.9).without_bias_correction().update(2.0);
/// assert!((raw - 0.2).abs() < 1e-12); // (1 − 0.9)·2
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ewma {
    beta: f64,
    average: f64,
    count: u64,
    bias_correction: bool,
}

impl Ewma {
    /// A bias-corrected average with smoothing `beta` in [0, 1). Panics otherwise.
    pub fn new(beta: f64) -> Self {
        if !(0.0..1.0).contains(&beta) {
            panic!("Ewma: beta must be in [0, 1), got {beta}");
        }
        Ewma { beta, average: 0.0, count: 0, bias_correction: true }
    }

    /// The raw average m_t, biased toward 0 early on.
    pub fn without_bias_correction(self) -> Self {
        Ewma { bias_correction: false, ..self }
    }

    /// Adds `x` and returns the new average.
    pub fn update(&mut self, x: f64) -> f64 {
        self.average = self.beta * self.average + (1.0 - self.beta) * x;
        self.count += 1;
        self.value().expect("just updated")
    }

    /// The current average (`None` before the first value).
    pub fn value(&self) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        Some(if self.bias_correction { self.average / (1.0 - self.beta.powf(self.count as f64)) } else { self.average })
    }

    /// How many values have been added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Forgets every value.
    pub fn reset(&mut self) {
        self.average = 0.0;
        self.count = 0;
    }
}
