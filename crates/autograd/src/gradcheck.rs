//! The gradient checker: backpropagation compared with central differences, in f64.
//!
//! For a function `f` of some input tensors, the checker draws a random tensor `r` shaped like
//! the output and looks at the scalar L = Σ r ⊙ f(x). Backpropagating `r` gives the analytic
//! ∂L/∂x; central differences give the numeric one:
//!
//! ∂L/∂xⱼ ≈ (L(x + ε eⱼ) − L(x − ε eⱼ)) / 2ε,  error O(ε²).
//!
//! It checks sampled elements of every input one by one, and the whole input at once along
//! random directions v (L(x + εv) − L(x − εv))/2ε = ∇L·v. Everything is seeded, so a failure
//! reproduces. Choose test points away from kinks (|x| at 0, relu at 0, ties in max), where
//! the derivative does not exist and the two sides disagree by design.

use crate::{no_grad, Variable};
use kindling_tensor::shape::unravel_index;
use kindling_tensor::{Rng, Tensor};
use std::fmt;

/// Settings of a check. `GradCheck::default()` suits smooth f64 functions of order-1 values.
#[derive(Clone, Debug)]
pub struct GradCheck {
    /// Finite-difference step.
    pub eps: f64,
    /// Accept |analytic − numeric| ≤ atol + rtol·|numeric|.
    pub atol: f64,
    pub rtol: f64,
    /// Seed for the output projection, the sampled elements and the directions.
    pub seed: u64,
    /// Per input, at most this many single elements are checked (all of them if fewer).
    pub max_elements: usize,
    /// Random whole-input directions checked.
    pub directions: usize,
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck { eps: 1e-6, atol: 1e-6, rtol: 1e-4, seed: 0, max_elements: 64, directions: 2 }
    }
}

/// Where a check failed, with both values.
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckFailure {
    pub op: String,
    /// Which input (0-based).
    pub argument: usize,
    /// The element's multi-index, or `None` for a whole-input direction.
    pub index: Option<Vec<usize>>,
    pub analytic: f64,
    pub numeric: f64,
}

impl fmt::Display for GradCheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = match &self.index {
            Some(i) => format!("index {i:?}"),
            None => "a random direction over the whole input".to_string(),
        };
        write!(
            f,
            "gradcheck `{}`: argument {}, {at}: analytic {:.9e}, numeric {:.9e} (difference {:.3e})",
            self.op,
            self.argument,
            self.analytic,
            self.numeric,
            (self.analytic - self.numeric).abs()
        )
    }
}

impl std::error::Error for GradCheckFailure {}

impl GradCheck {
    fn accepts(&self, analytic: f64, numeric: f64) -> bool {
        (analytic - numeric).abs() <= self.atol + self.rtol * numeric.abs()
    }

    /// Checks `f` at `inputs`; `op` names it in the failure.
    pub fn check(
        &self,
        op: &str,
        inputs: &[Tensor<f64>],
        f: impl Fn(&[Variable<f64>]) -> Variable<f64>,
    ) -> Result<(), GradCheckFailure> {
        let vars: Vec<Variable<f64>> = inputs.iter().map(|x| Variable::param(x.clone())).collect();
        self.check_leaves(op, &vars, || f(&vars))
    }

    /// Checks `f` as a function of existing leaves (a layer's parameters and its input, say):
    /// the checker moves the leaves' values with `set_value`, so `f` can keep using the same
    /// variables. The leaves' gradients are overwritten; their values are restored afterwards.
    pub fn check_leaves(
        &self,
        op: &str,
        leaves: &[Variable<f64>],
        f: impl Fn() -> Variable<f64>,
    ) -> Result<(), GradCheckFailure> {
        let inputs: Vec<Tensor<f64>> = leaves.iter().map(|v| v.value()).collect();
        let set_all = |xs: &[Tensor<f64>]| leaves.iter().zip(xs).for_each(|(v, x)| v.set_value(x.clone()));
        let result = self.compare(op, &inputs, leaves, &f, &set_all);
        set_all(&inputs);
        result
    }

    fn compare(
        &self,
        op: &str,
        inputs: &[Tensor<f64>],
        leaves: &[Variable<f64>],
        f: &impl Fn() -> Variable<f64>,
        set_all: &impl Fn(&[Tensor<f64>]),
    ) -> Result<(), GradCheckFailure> {
        let mut rng = Rng::seed(self.seed);
        leaves.iter().for_each(|v| v.zero_grad());
        let out = f();
        let r = Tensor::<f64>::randn(out.value().shape(), &mut rng);
        let analytic: Vec<Vec<f64>> = if out.requires_grad() {
            out.backward_with(&r);
            leaves.iter().map(|v| v.grad().map_or_else(|| vec![0.0; v.numel()], |g| g.to_vec())).collect()
        } else {
            inputs.iter().map(|x| vec![0.0; x.numel()]).collect()
        };
        // L(x) = Σ r ⊙ f(x), evaluated without recording.
        let loss = |xs: &[Tensor<f64>]| -> f64 {
            set_all(xs);
            no_grad(|| (&f().value() * &r).sum_all())
        };
        let base: Vec<Vec<f64>> = inputs.iter().map(|x| x.to_vec()).collect();
        let rebuild = |data: &[Vec<f64>]| -> Vec<Tensor<f64>> {
            data.iter().zip(inputs).map(|(d, x)| Tensor::from_vec(d.clone(), x.shape())).collect()
        };

        for (arg, x) in inputs.iter().enumerate() {
            let n = x.numel();
            let picks: Vec<usize> = if n <= self.max_elements {
                (0..n).collect()
            } else {
                rng.permutation(n).into_iter().take(self.max_elements).collect()
            };
            for j in picks {
                let mut plus = base.clone();
                plus[arg][j] += self.eps;
                let mut minus = base.clone();
                minus[arg][j] -= self.eps;
                let numeric = (loss(&rebuild(&plus)) - loss(&rebuild(&minus))) / (2.0 * self.eps);
                if !self.accepts(analytic[arg][j], numeric) {
                    return Err(GradCheckFailure {
                        op: op.to_string(),
                        argument: arg,
                        index: Some(unravel_index(j, x.shape())),
                        analytic: analytic[arg][j],
                        numeric,
                    });
                }
            }
        }

        for _ in 0..self.directions {
            let dirs: Vec<Vec<f64>> =
                inputs.iter().map(|x| Tensor::<f64>::randn(x.shape(), &mut rng).to_vec()).collect();
            let shifted = |sign: f64| -> Vec<Vec<f64>> {
                base.iter()
                    .zip(&dirs)
                    .map(|(b, d)| b.iter().zip(d).map(|(x, v)| x + sign * self.eps * v).collect())
                    .collect()
            };
            let numeric = (loss(&rebuild(&shifted(1.0))) - loss(&rebuild(&shifted(-1.0)))) / (2.0 * self.eps);
            // Directions cover every input at once; report the first input as the argument.
            let analytic_dot: f64 =
                analytic.iter().zip(&dirs).map(|(g, d)| g.iter().zip(d).map(|(a, b)| a * b).sum::<f64>()).sum();
            if !self.accepts(analytic_dot, numeric) {
                return Err(GradCheckFailure {
                    op: op.to_string(),
                    argument: 0,
                    index: None,
                    analytic: analytic_dot,
                    numeric,
                });
            }
        }
        Ok(())
    }
}

/// Checks `f` at `inputs` with the default settings and panics with the failure's message
/// (the op, the argument, the index, both values).
#[track_caller]
pub fn gradcheck(op: &str, inputs: &[Tensor<f64>], f: impl Fn(&[Variable<f64>]) -> Variable<f64>) {
    if let Err(failure) = GradCheck::default().check(op, inputs, f) {
        panic!("{failure}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_gradient_is_caught_and_described() {
        // A deliberately broken op: value x², but it claims the derivative is x (not 2x).
        let broken = |v: &[Variable<f64>]| {
            let x = v[0].value();
            Variable::from_op("broken_square", x.square(), vec![v[0].clone()], move |g, _| vec![Some(g * &x)])
        };
        let failure = GradCheck::default().check("broken_square", &[Tensor::from([1.5, -2.0])], broken).unwrap_err();
        assert_eq!((failure.op.as_str(), failure.argument, failure.index.clone()), ("broken_square", 0, Some(vec![0])));
        let message = failure.to_string();
        assert!(message.starts_with("gradcheck `broken_square`: argument 0, index [0]: analytic"), "{message}");
        // The numeric value is the true derivative (2x·r), twice the analytic (x·r).
        assert!((failure.numeric - 2.0 * failure.analytic).abs() < 1e-6, "{message}");
    }

    #[test]
    fn a_correct_gradient_passes() {
        let inputs = [Tensor::from([[0.3, -1.2], [2.0, 0.7]])];
        assert!(GradCheck::default().check("tanh", &inputs, |v| v[0].tanh()).is_ok());
    }

    #[test]
    fn leaves_are_checked_in_place_and_restored() {
        let w = Variable::param(Tensor::from([[0.5, -1.0], [2.0, 0.25]]));
        let x = Variable::constant(Tensor::from([1.0, 3.0]));
        let before = w.value().to_vec();
        let ok = GradCheck::default().check_leaves("matvec", std::slice::from_ref(&w), || w.matmul(&x).tanh());
        assert!(ok.is_ok());
        assert_eq!(w.value().to_vec(), before);
        // A function that ignores the leaf's value through a detach gets a zero analytic
        // gradient, which the numeric one contradicts.
        let err = GradCheck::default()
            .check_leaves("detached", std::slice::from_ref(&w), || &w.detach().sum_all() + &(&w * 0.0).sum_all())
            .unwrap_err();
        assert_eq!(err.analytic, 0.0);
        assert!(err.numeric.abs() > 0.1);
    }
}
