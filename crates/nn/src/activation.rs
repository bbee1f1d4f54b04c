//! Every activation of the course as a module, so it can sit in a [`Sequential`](crate::Sequential).
//!
//! | module | f(z) | f′ |
//! |---|---|---|
//! | [`Step`] | 1 if z > 0 else 0 | 0 almost everywhere: nothing to learn from, hence sigmoid |
//! | [`Sigmoid`] | 1/(1 + e^{−z}) | σ(1 − σ) ≤ 1/4, equal at z = 0 |
//! | [`Tanh`] | (e^z − e^{−z})/(e^z + e^{−z}) | 1 − tanh² ≤ 1, equal at z = 0 |
//! | [`ReLU`] | max(0, z) | 1 for z > 0, 0 for z < 0 (a unit stuck below 0 stops learning) |
//! | [`LeakyReLU`] | max(αz, z), α = 0.01 | α for z < 0, so no unit dies |
//! | [`PReLU`] | max(0, z) + a·min(0, z), a learned (0.25) | |
//! | [`ELU`] | z if z > 0 else α(e^z − 1) | |
//! | [`GELU`] | z·Φ(z) (or its tanh approximation) | |
//! | [`SiLU`] | z·σ(z) | |
//! | [`Softplus`] | (1/β)·ln(1 + e^{βz}), z once βz > threshold | σ(βz), then 1 |
//! | [`Hardtanh`] | z clamped to [min, max] | 1 strictly inside, 0 at the bounds and outside |
//! | [`Softmax`] | e^{zᵢ/T}/Σⱼ e^{zⱼ/T} over one axis | T > 1 flattens, T < 1 sharpens |
//! | [`LogSoftmax`] | zᵢ − log Σⱼ e^{zⱼ} | feed it to `nll_loss`, or use `cross_entropy` on raw logits |

use crate::{Forward, Module, Visitor};
use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

/// Declares a parameter-free activation module whose forward is `$body` applied to `x`.
macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, |$self_:ident, $x:ident| $body:expr) => {
        activation!(@impl $(#[$doc])* $name, |$self_, $x| $body; #[derive(Clone, Copy, Debug, Default)] pub struct $name;);
    };
    ($(#[$doc:meta])* $name:ident($($field:ident: $ty:ty),*), |$self_:ident, $x:ident| $body:expr) => {
        activation!(@impl $(#[$doc])* $name, |$self_, $x| $body; #[derive(Clone, Copy, Debug)] pub struct $name { $(pub $field: $ty),* });
    };
    (@impl $(#[$doc:meta])* $name:ident, |$self_:ident, $x:ident| $body:expr; $decl:item) => {
        $(#[$doc])*
        $decl

        impl<T: Float> Module<T> for $name {
            fn visit(&self, _: &mut Visitor<'_, T>) {}
        }

        impl<T: Float> Forward<T> for $name {
            fn forward(&self, $x: &Variable<T>) -> Variable<T> {
                let $self_ = self;
                $body
            }
        }
    };
}

activation!(
    /// The perceptron's threshold: 1 where z > 0, else 0. Its derivative is zero wherever it
    /// exists, so no gradient flows through it (the output is a constant).
    Step, |_s, x| Variable::constant(x.value().gt_scalar(T::ZERO).cast::<T>())
);
activation!(
    /// The logistic function, squashing to (0, 1).
    Sigmoid, |_s, x| x.sigmoid()
);
activation!(
    /// Hyperbolic tangent, squashing to (−1, 1) and centred on 0.
    Tanh, |_s, x| x.tanh()
);
activation!(
    /// max(0, z).
    ReLU, |_s, x| x.relu()
);
activation!(
    /// z for z ≥ 0, `alpha`·z below (the SELU-free way to keep every unit alive).
    LeakyReLU(alpha: f64), |s, x| x.leaky_relu(T::from_f64(s.alpha))
);
activation!(
    /// z for z > 0, α(e^z − 1) below: smooth, with negative outputs that pull means toward 0.
    ELU(alpha: f64), |s, x| x.elu(T::from_f64(s.alpha))
);
activation!(
    /// z·Φ(z) with Φ the standard normal CDF; `tanh_approximation` uses
    /// ½z(1 + tanh(√(2/π)(z + 0.044715z³))) as GPT-2 did.
    GELU(tanh_approximation: bool), |s, x| if s.tanh_approximation { x.gelu_tanh() } else { x.gelu() }
);
activation!(
    /// z·σ(z) (also called swish).
    SiLU, |_s, x| x.silu()
);
activation!(
    /// A smooth ReLU, (1/β)·ln(1 + e^{βz}); `beta` sharpens it. As in PyTorch, where
    /// βz > `threshold` the output is z itself (gradient 1), which it equals there to within
    /// e^{−threshold}.
    Softplus(beta: f64, threshold: f64), |s, x| {
        let bx = x.mul_scalar(T::from_f64(s.beta));
        let smooth = bx.softplus().mul_scalar(T::from_f64(1.0 / s.beta));
        Variable::where_cond(&bx.value().gt_scalar(T::from_f64(s.threshold)), x, &smooth)
    }
);
activation!(
    /// z limited to [`min_val`, `max_val`] (default [−1, 1]). As in PyTorch, the gradient is 1
    /// strictly inside and 0 at the bounds and beyond.
    Hardtanh(min_val: f64, max_val: f64), |s, x| x.hardtanh(T::from_f64(s.min_val), T::from_f64(s.max_val))
);
activation!(
    /// Log-probabilities over `axis`.
    LogSoftmax(axis: isize), |s, x| x.log_softmax(s.axis)
);

/// The usual slope, 0.01.
impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU { alpha: 0.01 }
    }
}

impl LeakyReLU {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Default for ELU {
    fn default() -> Self {
        ELU { alpha: 1.0 }
    }
}

impl ELU {
    pub fn new() -> Self {
        Self::default()
    }
}

/// The exact form, z·Φ(z).
#[allow(clippy::derivable_impls)] // the macro cannot derive Default for some structs only
impl Default for GELU {
    fn default() -> Self {
        GELU { tanh_approximation: false }
    }
}

impl GELU {
    pub fn new() -> Self {
        Self::default()
    }
}

/// PyTorch's defaults: β = 1, threshold 20.
impl Default for Softplus {
    fn default() -> Self {
        Softplus { beta: 1.0, threshold: 20.0 }
    }
}

impl Softplus {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn beta(mut self, beta: f64) -> Self {
        assert!(beta != 0.0, "Softplus: beta must not be 0");
        self.beta = beta;
        self
    }

    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }
}

impl Default for Hardtanh {
    fn default() -> Self {
        Hardtanh { min_val: -1.0, max_val: 1.0 }
    }
}

impl Hardtanh {
    /// Panics if `min_val > max_val`.
    pub fn new(min_val: f64, max_val: f64) -> Self {
        assert!(min_val <= max_val, "Hardtanh: min_val {min_val} is greater than max_val {max_val}");
        Hardtanh { min_val, max_val }
    }
}

impl LogSoftmax {
    pub fn new(axis: isize) -> Self {
        LogSoftmax { axis }
    }
}

/// Probabilities over `axis`, optionally at a temperature T: softmax(z/T). T > 1 spreads the
/// probability out (more exploration when sampling), T < 1 concentrates it on the argmax.
#[derive(Clone, Copy, Debug)]
pub struct Softmax {
    pub axis: isize,
    pub temperature: f64,
}

impl Softmax {
    pub fn new(axis: isize) -> Self {
        Softmax { axis, temperature: 1.0 }
    }

    pub fn temperature(mut self, temperature: f64) -> Self {
        assert!(temperature > 0.0, "Softmax: temperature must be positive, got {temperature}");
        self.temperature = temperature;
        self
    }
}

impl<T: Float> Module<T> for Softmax {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}

impl<T: Float> Forward<T> for Softmax {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let scaled =
            if self.temperature == 1.0 { x.clone() } else { x.mul_scalar(T::from_f64(1.0 / self.temperature)) };
        scaled.softmax(self.axis)
    }
}

/// Leaky ReLU whose negative slope is learned: one slope shared by all channels, or one per
/// channel (axis 1 of the input). PyTorch starts the slopes at 0.25.
pub struct PReLU<T: Float = f32> {
    pub weight: Variable<T>,
}

impl<T: Float> PReLU<T> {
    /// `num_parameters` is 1 (shared) or the number of channels.
    pub fn new(num_parameters: usize) -> Self {
        assert!(num_parameters > 0, "PReLU: needs at least one slope");
        PReLU { weight: Variable::param(Tensor::full([num_parameters], T::from_f64(0.25))) }
    }
}

impl<T: Float> Module<T> for PReLU<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", &self.weight);
    }
}

impl<T: Float> Forward<T> for PReLU<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let n = self.weight.shape()[0];
        let shape = x.shape();
        let slope = if n == 1 {
            self.weight.clone()
        } else {
            if shape.len() < 2 || shape[1] != n {
                panic!("PReLU: {n} slopes need input [N, {n}, *], got {}", dims_str(&shape));
            }
            let mut per_channel = vec![n];
            per_channel.extend(std::iter::repeat_n(1, shape.len() - 2));
            self.weight.reshape(per_channel)
        };
        // max(0, z) + a·min(0, z), with min(0, z) = −relu(−z).
        &x.relu() - &(&slope * &(-x).relu())
    }
}
