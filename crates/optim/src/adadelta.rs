//! Adadelta: Adagrad with forgetting, and steps measured in the units of the parameter.

use kindling_tensor::{Float, Tensor};

use crate::optimizer::{non_negative, t, Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule};

/// Adadelta, `torch.optim.Adadelta`.
///
/// With decay ρ, an average of squared gradients `E[g²]` and one of squared updates `E[Δ²]`:
///
/// ```text
/// g ← g + λθ                                  (weight decay as L2, when λ ≠ 0)
/// E[g²] ← ρ·E[g²] + (1 − ρ)·g²
/// Δ = √(E[Δ²] + ε) / √(E[g²] + ε) · g         (RMS[Δ]_{t−1} / RMS[g]_t · g)
/// E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ²
/// θ ← θ − η·Δ
/// ```
///
/// Defaults (PyTorch's): lr 1.0, rho 0.9, eps 1e-6, weight decay 0. The ratio of RMS values
/// has the units of θ, so the original method needs no learning rate at all: η = 1 is it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdadeltaConfig {
    pub lr: f64,
    pub rho: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        AdadeltaConfig { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0.0 }
    }
}

/// Adadelta; see [`AdadeltaConfig`] for the update rule.
pub type Adadelta<T = f32> = Optim<AdadeltaConfig, T>;

/// Adadelta's memory of one parameter: step count, `E[g²]` and `E[Δ²]`.
#[derive(Clone, Debug)]
pub struct AdadeltaState<T: Float> {
    pub step: i64,
    pub square_avg: Tensor<T>,
    pub acc_delta: Tensor<T>,
}

impl<T: Float> ParamState<T> for AdadeltaState<T> {
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
        vec![
            ("step", Entry::Step(&mut self.step)),
            ("square_avg", Entry::Buffer(&mut self.square_avg)),
            ("acc_delta", Entry::Buffer(&mut self.acc_delta)),
        ]
    }
}

impl Hyperparameters for AdadeltaConfig {
    const OPTIMIZER: &'static str = "Adadelta";

    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn check(&self) -> Result<(), String> {
        non_negative("learning rate", self.lr)?;
        if !(0.0..=1.0).contains(&self.rho) {
            return Err(format!("invalid rho {}: must be in [0, 1]", self.rho));
        }
        non_negative("eps", self.eps)?;
        non_negative("weight_decay", self.weight_decay)
    }

    fn fields(&mut self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("lr", Field::Real(&mut self.lr)),
            ("rho", Field::Real(&mut self.rho)),
            ("eps", Field::Real(&mut self.eps)),
            ("weight_decay", Field::Real(&mut self.weight_decay)),
        ]
    }
}

impl<T: Float> UpdateRule<T> for AdadeltaConfig {
    type State = AdadeltaState<T>;

    fn init_state(&self, param: &Tensor<T>) -> AdadeltaState<T> {
        AdadeltaState { step: 0, square_avg: param.zeros_like(), acc_delta: param.zeros_like() }
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut AdadeltaState<T>) -> Tensor<T> {
        state.step += 1;
        let mut g = grad.clone();
        if self.weight_decay != 0.0 {
            g = &g + &(param * t::<T>(self.weight_decay));
        }
        let keep = t::<T>(self.rho);
        let mix = t::<T>(1.0 - self.rho);
        let eps = t::<T>(self.eps);
        state.square_avg = &(&state.square_avg * keep) + &(&(&g * mix) * &g);
        let rms_grad = (&state.square_avg + eps).sqrt();
        let rms_delta = (&state.acc_delta + eps).sqrt();
        let delta = &(rms_delta / rms_grad) * &g;
        state.acc_delta = &(&state.acc_delta * keep) + &(&(&delta * mix) * &delta);
        param + &(delta * t::<T>(-self.lr))
    }
}
