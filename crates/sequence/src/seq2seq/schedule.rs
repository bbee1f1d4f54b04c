//! Teacher-forcing schedules for scheduled sampling.

/// How often the decoder reads the true previous token rather than its own prediction, by
/// training step (Bengio et al. 2015, scheduled sampling).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TeacherForcing {
    /// Always the true token (ratio 1).
    Always,
    /// The true token with this probability.
    Constant(f64),
    /// From `start` down to `end` in a straight line over `steps`, then `end`.
    Linear { start: f64, end: f64, steps: usize },
    /// kˢᵗᵉᵖ with 0 < k < 1.
    Exponential { k: f64 },
    /// k / (k + exp(step / k)) with k ≥ 1: near 1 for a while, then down like a sigmoid.
    InverseSigmoid { k: f64 },
}

impl TeacherForcing {
    /// The probability of feeding the true token at `step`.
    pub fn ratio(&self, step: usize) -> f64 {
        let s = step as f64;
        let r = match *self {
            TeacherForcing::Always => 1.0,
            TeacherForcing::Constant(p) => p,
            TeacherForcing::Linear { start, end, steps } => {
                if steps == 0 || step >= steps {
                    end
                } else {
                    start + (end - start) * s / steps as f64
                }
            }
            TeacherForcing::Exponential { k } => k.powf(s),
            TeacherForcing::InverseSigmoid { k } => k / (k + (s / k).exp()),
        };
        r.clamp(0.0, 1.0)
    }
}
