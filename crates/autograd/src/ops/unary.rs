//! Elementwise math and activations. Each backward multiplies the incoming gradient by the
//! local derivative dy/dx, written here from x (the input) and y (the output).

use super::sum_to;
use crate::Variable;
use kindling_tensor::{Float, Tensor};

/// Records `y = f(x)` with local derivative `dy_dx(x, y)`.
fn unary<T: Float>(
    name: &'static str,
    x: &Variable<T>,
    y: Tensor<T>,
    dy_dx: impl Fn(&Tensor<T>, &Tensor<T>) -> Tensor<T> + Send + Sync + 'static,
) -> Variable<T> {
    let (xv, yv) = (x.value(), y.clone());
    Variable::from_op(name, y, vec![x.clone()], move |g, _| vec![Some(g * &dy_dx(&xv, &yv))])
}

fn c<T: Float>(v: f64) -> T {
    T::from_f64(v)
}

/// 1 where the condition holds, else 0, as floats.
fn indicator<T: Float>(mask: Tensor<bool>) -> Tensor<T> {
    mask.cast::<T>()
}

impl<T: Float> Variable<T> {
    pub fn exp(&self) -> Variable<T> {
        unary("exp", self, self.value().exp(), |_, y| y.clone())
    }

    /// Natural logarithm.
    pub fn log(&self) -> Variable<T> {
        unary("log", self, self.value().log(), |x, _| x.recip())
    }

    pub fn log1p(&self) -> Variable<T> {
        unary("log1p", self, self.value().log1p(), |x, _| (x + T::ONE).recip())
    }

    pub fn sqrt(&self) -> Variable<T> {
        unary("sqrt", self, self.value().sqrt(), |_, y| (y * c::<T>(2.0)).recip())
    }

    pub fn sin(&self) -> Variable<T> {
        unary("sin", self, self.value().sin(), |x, _| x.cos())
    }

    pub fn cos(&self) -> Variable<T> {
        unary("cos", self, self.value().cos(), |x, _| -x.sin())
    }

    /// tanh' = 1 − tanh².
    pub fn tanh(&self) -> Variable<T> {
        unary("tanh", self, self.value().tanh(), |_, y| (-y.square()) + T::ONE)
    }

    /// σ' = σ(1 − σ), at most 1/4 (at 0).
    pub fn sigmoid(&self) -> Variable<T> {
        unary("sigmoid", self, self.value().sigmoid(), |_, y| y * &((-y) + T::ONE))
    }

    /// max(x, 0). The derivative at exactly 0 is taken as 0, as in PyTorch.
    pub fn relu(&self) -> Variable<T> {
        unary("relu", self, self.value().relu(), |x, _| indicator(x.gt_scalar(T::ZERO)))
    }

    /// x for x > 0, α·x otherwise.
    pub fn leaky_relu(&self, alpha: T) -> Variable<T> {
        let x = self.value();
        let y = Tensor::where_cond(&x.gt_scalar(T::ZERO), &x, &(&x * alpha));
        unary("leaky_relu", self, y, move |x, _| {
            Tensor::where_cond(&x.gt_scalar(T::ZERO), &Tensor::scalar(T::ONE), &Tensor::scalar(alpha))
        })
    }

    /// x for x > 0, α(eˣ − 1) otherwise.
    pub fn elu(&self, alpha: T) -> Variable<T> {
        let x = self.value();
        let negative = &(&x.exp() - T::ONE) * alpha;
        let y = Tensor::where_cond(&x.gt_scalar(T::ZERO), &x, &negative);
        // For x ≤ 0, dy/dx = α·eˣ = y + α.
        unary("elu", self, y, move |x, y| {
            Tensor::where_cond(&x.gt_scalar(T::ZERO), &Tensor::scalar(T::ONE), &(y + alpha))
        })
    }

    /// The exact GELU, x·Φ(x) with Φ the standard normal CDF: ½x(1 + erf(x/√2)). One fused
    /// pass each way (`Tensor::gelu`, `Tensor::gelu_backward`); the backward is
    /// g·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π).
    pub fn gelu(&self) -> Variable<T> {
        let x = self.value();
        let y = x.gelu();
        Variable::from_op("gelu", y, vec![self.clone()], move |g, _| vec![Some(x.gelu_backward(g))])
    }

    /// GELU's tanh approximation (GPT-2's `gelu_new`): ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    /// One fused pass each way (`Tensor::gelu_tanh`, `Tensor::gelu_tanh_backward`).
    pub fn gelu_tanh(&self) -> Variable<T> {
        let x = self.value();
        let y = x.gelu_tanh();
        Variable::from_op("gelu_tanh", y, vec![self.clone()], move |g, _| vec![Some(x.gelu_tanh_backward(g))])
    }

    /// SiLU (swish): x·σ(x).
    pub fn silu(&self) -> Variable<T> {
        let x = self.value();
        let s = x.sigmoid();
        unary("silu", self, &x * &s, move |x, _| &s * &(&(x * &((-&s) + T::ONE)) + T::ONE))
    }

    /// ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so it never overflows.
    pub fn softplus(&self) -> Variable<T> {
        let x = self.value();
        let y = &x.relu() + &(-x.abs()).exp().log1p();
        unary("softplus", self, y, |x, _| x.sigmoid())
    }

    /// |x|; the derivative at 0 is taken as 0.
    pub fn abs(&self) -> Variable<T> {
        unary("abs", self, self.value().abs(), |x, _| x.sign())
    }

    pub fn square(&self) -> Variable<T> {
        unary("square", self, self.value().square(), |x, _| x * c::<T>(2.0))
    }

    /// xᵖ for a constant p.
    pub fn powf(&self, p: T) -> Variable<T> {
        unary("powf", self, self.value().powf(p), move |x, _| &x.powf(p - T::ONE) * p)
    }

    pub fn erf(&self) -> Variable<T> {
        unary("erf", self, self.value().erf(), |x, _| &(-x.square()).exp() * c::<T>(2.0 / std::f64::consts::PI.sqrt()))
    }

    /// Limits every element to `[min, max]`. The gradient passes only strictly inside,
    /// `min < x < max`: at a bound it is 0, as PyTorch's `clamp` with number bounds gives.
    pub fn clamp(&self, min: T, max: T) -> Variable<T> {
        self.clamp_named("clamp", min, max)
    }

    /// PyTorch's `hardtanh`: the same function and gradient as [`Variable::clamp`] (0 at the
    /// bounds), under the activation's name.
    pub fn hardtanh(&self, min: T, max: T) -> Variable<T> {
        self.clamp_named("hardtanh", min, max)
    }

    fn clamp_named(&self, name: &'static str, min: T, max: T) -> Variable<T> {
        unary(name, self, self.value().clamp(min, max), move |x, _| {
            indicator(x.gt_scalar(min).logical_and(&x.lt_scalar(max)))
        })
    }

    /// xʸ with both differentiable and broadcast: ∂/∂x = y·x^(y−1), ∂/∂y = xʸ·ln x.
    pub fn pow(&self, exponent: &Variable<T>) -> Variable<T> {
        let (x, e) = (self.value(), exponent.value());
        let y = x.pow(&e);
        let out = y.clone();
        Variable::from_op("pow", out, vec![self.clone(), exponent.clone()], move |g, needs| {
            vec![
                needs[0].then(|| sum_to(&(g * &(&e * &x.pow(&(&e - T::ONE)))), x.shape())),
                needs[1].then(|| sum_to(&(g * &(&y * &x.log())), e.shape())),
            ]
        })
    }
}
