//! Lion: a momentum method whose step is only the sign of an interpolated gradient.

use kindling_tensor::{Float, Tensor};

use crate::optimizer::{beta, non_negative, t, Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule};

/// Lion ("EvoLved Sign Momentum", Chen et al. 2023). Not in `torch.optim`; this follows the
/// paper and its reference implementation.
///
/// ```text
/// θ ← θ·(1 − ηλ)                       (decoupled weight decay, as in AdamW)
/// θ ← θ − η · sign(β1·m + (1 − β1)·g)
/// m ← β2·m + (1 − β2)·g                (the momentum is updated after the step, with β2)
/// ```
///
/// Defaults: lr 1e-4, betas (0.9, 0.99), weight decay 0. Every coordinate moves by exactly ±η
/// (or 0), so Lion wants a learning rate 3-10× smaller than AdamW's and a weight decay
/// 3-10× larger to keep ηλ the same; it keeps one buffer per parameter where Adam keeps two.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LionConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub weight_decay: f64,
}

impl Default for LionConfig {
    fn default() -> Self {
        LionConfig { lr: 1e-4, betas: (0.9, 0.99), weight_decay: 0.0 }
    }
}

/// Lion; see [`LionConfig`] for the update rule.
pub type Lion<T = f32> = Optim<LionConfig, T>;

/// Lion's memory of one parameter: the momentum m.
#[derive(Clone, Debug)]
pub struct LionState<T: Float> {
    pub exp_avg: Tensor<T>,
}

impl<T: Float> ParamState<T> for LionState<T> {
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
        vec![("exp_avg", Entry::Buffer(&mut self.exp_avg))]
    }
}

impl Hyperparameters for LionConfig {
    const OPTIMIZER: &'static str = "Lion";

    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn momentum(&self) -> Option<f64> {
        Some(self.betas.0)
    }
    fn set_momentum(&mut self, momentum: f64) {
        self.betas.0 = momentum;
    }
    fn check(&self) -> Result<(), String> {
        non_negative("learning rate", self.lr)?;
        beta("beta1", self.betas.0)?;
        beta("beta2", self.betas.1)?;
        non_negative("weight_decay", self.weight_decay)
    }
    fn fields(&mut self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("lr", Field::Real(&mut self.lr)),
            ("betas", Field::Pair(&mut self.betas)),
            ("weight_decay", Field::Real(&mut self.weight_decay)),
        ]
    }
}

impl<T: Float> UpdateRule<T> for LionConfig {
    type State = LionState<T>;

    fn init_state(&self, param: &Tensor<T>) -> LionState<T> {
        LionState { exp_avg: param.zeros_like() }
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut LionState<T>) -> Tensor<T> {
        let (beta1, beta2) = self.betas;
        let decayed = param * t::<T>(1.0 - self.lr * self.weight_decay);
        let direction = (&(&state.exp_avg * t::<T>(beta1)) + &(grad * t::<T>(1.0 - beta1))).sign();
        state.exp_avg = &(&state.exp_avg * t::<T>(beta2)) + &(grad * t::<T>(1.0 - beta2));
        decayed + &(direction * t::<T>(-self.lr))
    }
}
