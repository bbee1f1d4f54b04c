//! Adagrad: a per-coordinate learning rate that shrinks with the gradients seen so far.

use kindling_tensor::{Float, Tensor};

use crate::optimizer::{non_negative, t, Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule};

/// Adagrad, `torch.optim.Adagrad`.
///
/// With step count k (1 on the first step), learning-rate decay d and accumulator G:
///
/// ```text
/// g ← g + λθ                       (weight decay as L2, when λ ≠ 0)
/// η_k = η / (1 + (k − 1)·d)
/// G ← G + g²
/// θ ← θ − η_k · g / (√G + ε)
/// ```
///
/// Defaults (PyTorch's): lr 1e-2, lr_decay 0, weight decay 0, initial accumulator value 0,
/// eps 1e-10. Coordinates with large past gradients take small steps, rare ones large steps;
/// because G only grows, the steps eventually vanish (what Adadelta and RMSprop fix).
/// Some texts write √(G + ε); PyTorch, and this type, add ε after the square root.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdagradConfig {
    pub lr: f64,
    pub lr_decay: f64,
    pub weight_decay: f64,
    pub initial_accumulator_value: f64,
    pub eps: f64,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig { lr: 1e-2, lr_decay: 0.0, weight_decay: 0.0, initial_accumulator_value: 0.0, eps: 1e-10 }
    }
}

/// Adagrad; see [`AdagradConfig`] for the update rule.
pub type Adagrad<T = f32> = Optim<AdagradConfig, T>;

/// Adagrad's memory of one parameter: the step count and the sum of squared gradients G.
#[derive(Clone, Debug)]
pub struct AdagradState<T: Float> {
    pub step: i64,
    pub sum: Tensor<T>,
}

impl<T: Float> ParamState<T> for AdagradState<T> {
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
        vec![("step", Entry::Step(&mut self.step)), ("sum", Entry::Buffer(&mut self.sum))]
    }
}

impl Hyperparameters for AdagradConfig {
    const OPTIMIZER: &'static str = "Adagrad";

    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn check(&self) -> Result<(), String> {
        non_negative("learning rate", self.lr)?;
        non_negative("lr_decay", self.lr_decay)?;
        non_negative("weight_decay", self.weight_decay)?;
        non_negative("initial_accumulator_value", self.initial_accumulator_value)?;
        non_negative("eps", self.eps)
    }

    fn fields(&mut self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("lr", Field::Real(&mut self.lr)),
            ("lr_decay", Field::Real(&mut self.lr_decay)),
            ("weight_decay", Field::Real(&mut self.weight_decay)),
            ("initial_accumulator_value", Field::Real(&mut self.initial_accumulator_value)),
            ("eps", Field::Real(&mut self.eps)),
        ]
    }
}

impl<T: Float> UpdateRule<T> for AdagradConfig {
    type State = AdagradState<T>;

    fn init_state(&self, param: &Tensor<T>) -> AdagradState<T> {
        AdagradState { step: 0, sum: param.full_like(t(self.initial_accumulator_value)) }
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut AdagradState<T>) -> Tensor<T> {
        state.step += 1;
        let mut g = grad.clone();
        if self.weight_decay != 0.0 {
            g = &g + &(param * t::<T>(self.weight_decay));
        }
        let clr = self.lr / (1.0 + (state.step - 1) as f64 * self.lr_decay);
        state.sum = &state.sum + &(&g * &g);
        let std = state.sum.sqrt() + t::<T>(self.eps);
        param + &((g * t::<T>(-clr)) / std)
    }
}
