//! Adamax: Adam with the second moment replaced by a decaying maximum of |g|.

use kindling_tensor::{Float, Tensor};

use crate::adam::adam_hyperparameters;
use crate::optimizer::{check_adam_like, lerp, t, Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule};

/// Adamax, `torch.optim.Adamax` (Kingma and Ba, section 7 of the Adam paper).
///
/// With step count k (1 on the first step), β1, β2 and ε:
///
/// ```text
/// g ← g + λθ                          (L2 weight decay, when λ ≠ 0)
/// m ← β1·m + (1 − β1)·g
/// u ← max(β2·u, |g| + ε)              (an infinity norm that forgets)
/// θ ← θ − η/(1 − β1^k) · m / u
/// ```
///
/// Defaults (PyTorch's): lr 2e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.
/// ε sits inside the maximum, as in PyTorch, so u > 0 even where every gradient so far was 0;
/// u needs no bias correction because a maximum does not start biased towards 0 the way an
/// average does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamaxConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamaxConfig {
    fn default() -> Self {
        AdamaxConfig { lr: 2e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0 }
    }
}

/// Adamax; see [`AdamaxConfig`] for the update rule.
pub type Adamax<T = f32> = Optim<AdamaxConfig, T>;

/// Adamax's memory of one parameter: step count, m, and the decaying maximum u.
#[derive(Clone, Debug)]
pub struct AdamaxState<T: Float> {
    pub step: i64,
    pub exp_avg: Tensor<T>,
    pub exp_inf: Tensor<T>,
}

impl<T: Float> ParamState<T> for AdamaxState<T> {
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
        vec![
            ("step", Entry::Step(&mut self.step)),
            ("exp_avg", Entry::Buffer(&mut self.exp_avg)),
            ("exp_inf", Entry::Buffer(&mut self.exp_inf)),
        ]
    }
}

adam_hyperparameters!(AdamaxConfig, "Adamax");

impl<T: Float> UpdateRule<T> for AdamaxConfig {
    type State = AdamaxState<T>;

    fn init_state(&self, param: &Tensor<T>) -> AdamaxState<T> {
        AdamaxState { step: 0, exp_avg: param.zeros_like(), exp_inf: param.zeros_like() }
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut AdamaxState<T>) -> Tensor<T> {
        let (beta1, beta2) = self.betas;
        state.step += 1;
        let mut g = grad.clone();
        if self.weight_decay != 0.0 {
            g = &g + &(param * t::<T>(self.weight_decay));
        }
        state.exp_avg = lerp(&state.exp_avg, &g, 1.0 - beta1);
        state.exp_inf = (&state.exp_inf * t::<T>(beta2)).maximum(&(g.abs() + t::<T>(self.eps)));
        let step_size = self.lr / (1.0 - beta1.powf(state.step as f64));
        param + &((&state.exp_avg * t::<T>(-step_size)) / &state.exp_inf)
    }
}
