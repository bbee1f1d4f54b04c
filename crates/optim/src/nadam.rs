//! NAdam: Adam whose momentum looks one step ahead, as Nesterov's does.

use kindling_tensor::{Float, Tensor};

use crate::adam::adam_hyperparameters;
use crate::optimizer::{
    check_adam_like, lerp, non_negative, t, Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule,
};

/// NAdam, `torch.optim.NAdam` (Dozat, "Incorporating Nesterov momentum into Adam").
///
/// With step count k (1 on the first step), β1, β2, ε and momentum decay ψ, the momentum
/// coefficient itself follows a schedule, and bias correction uses the product of the
/// coefficients so far:
///
/// ```text
/// μ_k = β1·(1 − ½·0.96^(k·ψ))          (warms up from β1/2 towards β1)
/// P_k = μ_1·μ_2·…·μ_k                  (kept per parameter as mu_product)
/// g ← g + λθ                           (L2 weight decay, when λ ≠ 0 and not decoupled)
/// θ ← θ·(1 − ηλ)                       (decoupled weight decay, NAdamW, instead)
/// m ← β1·m + (1 − β1)·g
/// v ← β2·v + (1 − β2)·g²
/// d = √(v / (1 − β2^k)) + ε
/// θ ← θ − η·(1 − μ_k)/(1 − P_k) · g/d − η·μ_{k+1}/(1 − P_k·μ_{k+1}) · m/d
/// ```
///
/// The last line mixes the current gradient with the momentum the next step will use: that
/// is the Nesterov look-ahead. Defaults (PyTorch's): lr 2e-3, betas (0.9, 0.999), eps 1e-8,
/// weight decay 0, momentum decay 4e-3, weight decay not decoupled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NAdamConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    /// ψ in the μ schedule above.
    pub momentum_decay: f64,
    /// Shrink θ by ηλ outside the adaptive scale (as AdamW does) instead of adding λθ to g.
    pub decoupled_weight_decay: bool,
}

impl Default for NAdamConfig {
    fn default() -> Self {
        NAdamConfig {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            decoupled_weight_decay: false,
        }
    }
}

/// NAdam; see [`NAdamConfig`] for the update rule.
pub type NAdam<T = f32> = Optim<NAdamConfig, T>;

/// NAdam's memory of one parameter: step count, the product of the μ's so far, m and v.
#[derive(Clone, Debug)]
pub struct NAdamState<T: Float> {
    pub step: i64,
    pub mu_product: f64,
    pub exp_avg: Tensor<T>,
    pub exp_avg_sq: Tensor<T>,
}

impl<T: Float> ParamState<T> for NAdamState<T> {
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
        vec![
            ("step", Entry::Step(&mut self.step)),
            ("mu_product", Entry::Real(&mut self.mu_product)),
            ("exp_avg", Entry::Buffer(&mut self.exp_avg)),
            ("exp_avg_sq", Entry::Buffer(&mut self.exp_avg_sq)),
        ]
    }
}

adam_hyperparameters!(NAdamConfig, "NAdam", momentum_decay: Real, decoupled_weight_decay: Flag;
    check |c: &NAdamConfig| non_negative("momentum_decay", c.momentum_decay));

impl NAdamConfig {
    /// μ_k of the schedule in [`NAdamConfig`].
    fn mu(&self, k: f64) -> f64 {
        self.betas.0 * (1.0 - 0.5 * 0.96f64.powf(k * self.momentum_decay))
    }
}

impl<T: Float> UpdateRule<T> for NAdamConfig {
    type State = NAdamState<T>;

    fn init_state(&self, param: &Tensor<T>) -> NAdamState<T> {
        NAdamState { step: 0, mu_product: 1.0, exp_avg: param.zeros_like(), exp_avg_sq: param.zeros_like() }
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut NAdamState<T>) -> Tensor<T> {
        let (beta1, beta2) = self.betas;
        state.step += 1;
        let k = state.step as f64;
        let mut param = param.clone();
        let mut g = grad.clone();
        if self.weight_decay != 0.0 {
            if self.decoupled_weight_decay {
                param = &param * t::<T>(1.0 - self.lr * self.weight_decay);
            } else {
                g = &g + &(&param * t::<T>(self.weight_decay));
            }
        }
        let (mu, mu_next) = (self.mu(k), self.mu(k + 1.0));
        state.mu_product *= mu;
        let mu_product_next = state.mu_product * mu_next;
        state.exp_avg = lerp(&state.exp_avg, &g, 1.0 - beta1);
        state.exp_avg_sq = &(&state.exp_avg_sq * t::<T>(beta2)) + &(&(&g * t::<T>(1.0 - beta2)) * &g);
        let denom = (&state.exp_avg_sq / t::<T>(1.0 - beta2.powf(k))).sqrt() + t::<T>(self.eps);
        let grad_weight = -self.lr * (1.0 - mu) / (1.0 - state.mu_product);
        let momentum_weight = -self.lr * mu_next / (1.0 - mu_product_next);
        // Two separate additions, in PyTorch's order, so the roundings match its.
        let param = &param + &((g * t::<T>(grad_weight)) / &denom);
        &param + &((&state.exp_avg * t::<T>(momentum_weight)) / &denom)
    }
}
