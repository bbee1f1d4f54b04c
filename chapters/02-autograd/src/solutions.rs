//! Chapter 2: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

use crate::{Tape, Var};
use kindling_autograd::Variable;
use kindling_tensor::Tensor;

/// Exercise 2.1.
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// Exercise 2.2.
pub fn sin_5x3_by_hand(x: f64) -> (f64, f64) {
    let u = 5.0 * x * x * x;
    let du_dx = 15.0 * x * x;
    (u.sin(), u.cos() * du_dx)
}

/// Exercise 2.3.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dual {
    pub value: f64,
    pub deriv: f64,
}

impl Dual {
    pub fn variable(x: f64) -> Dual {
        Dual { value: x, deriv: 1.0 }
    }

    pub fn constant(c: f64) -> Dual {
        Dual { value: c, deriv: 0.0 }
    }

    pub fn sin(self) -> Dual {
        Dual { value: self.value.sin(), deriv: self.value.cos() * self.deriv }
    }

    pub fn exp(self) -> Dual {
        let e = self.value.exp();
        Dual { value: e, deriv: e * self.deriv }
    }
}

impl std::ops::Add for Dual {
    type Output = Dual;
    fn add(self, rhs: Dual) -> Dual {
        Dual { value: self.value + rhs.value, deriv: self.deriv + rhs.deriv }
    }
}

impl std::ops::Mul for Dual {
    type Output = Dual;
    fn mul(self, rhs: Dual) -> Dual {
        Dual {
            value: self.value * rhs.value,
            deriv: self.deriv * rhs.value + self.value * rhs.deriv,
        }
    }
}

/// Exercise 2.4.
pub fn tape_tanh(tape: &mut Tape, a: Var) -> Var {
    let t = tape.value(a).tanh();
    tape.record(t, &[(a, 1.0 - t * t)])
}

/// Exercise 2.5.
pub fn softmax_jacobian(z: &[f64]) -> Vec<Vec<f64>> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
    let total: f64 = exps.iter().sum();
    let s: Vec<f64> = exps.iter().map(|e| e / total).collect();
    (0..z.len())
        .map(|i| {
            (0..z.len())
                .map(|j| s[i] * (f64::from(u8::from(i == j)) - s[j]))
                .collect()
        })
        .collect()
}

/// Exercise 2.6.
pub fn dense_backward(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    dz: &Tensor<f64>,
) -> (Tensor<f64>, Tensor<f64>, Tensor<f64>) {
    let dx = dz.matmul(&w.t()); // [batch, out]·[out, in]
    let dw = x.t().matmul(dz); // [in, batch]·[batch, out]
    let db = dz.sum(0, false); // b was broadcast: its gradient sums over the batch
    (dx, dw, db)
}

/// Exercise 2.7.
pub fn jacobian(
    f: impl Fn(&Variable<f64>) -> Variable<f64>,
    x: &Tensor<f64>,
) -> Tensor<f64> {
    let xv = Variable::param(x.clone());
    let y = f(&xv);
    let (m, n) = (y.numel(), x.numel());
    let mut rows = Vec::with_capacity(m * n);
    for i in 0..m {
        let mut e_i = vec![0.0; m];
        e_i[i] = 1.0;
        xv.zero_grad();
        y.backward_retaining_graph(&Tensor::from_vec(e_i, y.shape()));
        rows.extend(xv.grad().map_or_else(|| vec![0.0; n], |g| g.to_vec()));
    }
    Tensor::from_vec(rows, [m, n])
}
