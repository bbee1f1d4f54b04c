//! RAdam: Adam that waits until its second-moment estimate is trustworthy.

use kindling_tensor::{Float, Tensor};

use crate::adam::adam_hyperparameters;
use crate::optimizer::{check_adam_like, lerp, t, Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule};

/// RAdam, `torch.optim.RAdam` (Liu et al., "On the variance of the adaptive learning rate and
/// beyond").
///
/// With step count k (1 on the first step), β1, β2 and ε, ρ∞ = 2/(1 − β2) − 1 and
/// ρ_k = ρ∞ − 2k·β2^k/(1 − β2^k), an estimate of how many gradients v effectively averages:
///
/// ```text
/// g ← g + λθ                    (L2 weight decay, when λ ≠ 0 and not decoupled)
/// θ ← θ·(1 − ηλ)                (decoupled weight decay, instead)
/// m ← β1·m + (1 − β1)·g,  m̂ = m/(1 − β1^k)
/// v ← β2·v + (1 − β2)·g²
/// ρ_k > 5:  r = √((ρ_k − 4)(ρ_k − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_k))
///           θ ← θ − η·m̂·r·√(1 − β2^k)/(√v + ε)
/// ρ_k ≤ 5:  θ ← θ − η·m̂          (plain momentum: v is still too noisy to divide by)
/// ```
///
/// The rectification r rises towards 1 as v settles, which does the job of a learning-rate
/// warmup. With the default β2 = 0.999 the first five steps are momentum steps. Defaults
/// (PyTorch's): lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0, not decoupled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RAdamConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    /// Shrink θ by ηλ outside the adaptive scale (as AdamW does) instead of adding λθ to g.
    pub decoupled_weight_decay: bool,
}

impl Default for RAdamConfig {
    fn default() -> Self {
        RAdamConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, decoupled_weight_decay: false }
    }
}

/// RAdam; see [`RAdamConfig`] for the update rule.
pub type RAdam<T = f32> = Optim<RAdamConfig, T>;

/// RAdam's memory of one parameter: step count, m and v.
#[derive(Clone, Debug)]
pub struct RAdamState<T: Float> {
    pub step: i64,
    pub exp_avg: Tensor<T>,
    pub exp_avg_sq: Tensor<T>,
}

impl<T: Float> ParamState<T> for RAdamState<T> {
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
        vec![
            ("step", Entry::Step(&mut self.step)),
            ("exp_avg", Entry::Buffer(&mut self.exp_avg)),
            ("exp_avg_sq", Entry::Buffer(&mut self.exp_avg_sq)),
        ]
    }
}

adam_hyperparameters!(RAdamConfig, "RAdam", decoupled_weight_decay: Flag);

impl<T: Float> UpdateRule<T> for RAdamConfig {
    type State = RAdamState<T>;

    fn init_state(&self, param: &Tensor<T>) -> RAdamState<T> {
        RAdamState { step: 0, exp_avg: param.zeros_like(), exp_avg_sq: param.zeros_like() }
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut RAdamState<T>) -> Tensor<T> {
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
        state.exp_avg = lerp(&state.exp_avg, &g, 1.0 - beta1);
        state.exp_avg_sq = &(&state.exp_avg_sq * t::<T>(beta2)) + &(&(&g * t::<T>(1.0 - beta2)) * &g);
        let bias_correction1 = 1.0 - beta1.powf(k);
        let bias_correction2 = 1.0 - beta2.powf(k);
        let corrected_momentum = &state.exp_avg / t::<T>(bias_correction1);
        let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        let rho = rho_inf - 2.0 * k * beta2.powf(k) / bias_correction2;
        let step = if rho > 5.0 {
            let rect = ((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho)).sqrt();
            let denom = state.exp_avg_sq.sqrt() + t::<T>(self.eps);
            let adaptive = param.full_like(t::<T>(bias_correction2.sqrt())) / &denom;
            &(&(corrected_momentum * t::<T>(self.lr)) * &adaptive) * t::<T>(rect)
        } else {
            corrected_momentum * t::<T>(self.lr)
        };
        &param - &step
    }
}
