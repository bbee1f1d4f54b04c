//! Fast softmax, log-softmax and logsumexp over the middle axis of a contiguous
//! `[outer, len, inner]` block (placeholder loops).

use crate::dtype::Float;

/// Softmax (or log-softmax when `log`) along the middle axis; `out` has the shape of `x`.
pub fn softmax<T: Float>(x: &[T], outer: usize, len: usize, inner: usize, out: &mut [T], log: bool) {
    for o in 0..outer {
        for i in 0..inner {
            let at = |l: usize| (o * len + l) * inner + i;
            let mut max = T::NEG_INFINITY;
            for l in 0..len {
                max = max.max_of(x[at(l)]);
            }
            let mut sum = T::ZERO;
            for l in 0..len {
                sum += (x[at(l)] - max).exp();
            }
            for l in 0..len {
                let z = x[at(l)] - max;
                out[at(l)] = if log { z - sum.ln() } else { z.exp() / sum };
            }
        }
    }
}

/// `ln Σ exp(x)` along the middle axis into `out` of shape `[outer, inner]`.
pub fn logsumexp<T: Float>(x: &[T], outer: usize, len: usize, inner: usize, out: &mut [T]) {
    for o in 0..outer {
        for i in 0..inner {
            let at = |l: usize| (o * len + l) * inner + i;
            let mut max = T::NEG_INFINITY;
            for l in 0..len {
                max = max.max_of(x[at(l)]);
            }
            if !max.is_finite() {
                out[o * inner + i] = max;
                continue;
            }
            let mut sum = T::ZERO;
            for l in 0..len {
                sum += (x[at(l)] - max).exp();
            }
            out[o * inner + i] = max + sum.ln();
        }
    }
}
