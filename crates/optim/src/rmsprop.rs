//! RMSprop: divide each coordinate's step by a running RMS of its gradients.

use kindling_tensor::{Float, Tensor};

use crate::optimizer::{lerp, non_negative, t, Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule};

/// RMSprop, `torch.optim.RMSprop`.
///
/// With smoothing α, an exponential average of squared gradients `E[g²]` (and, centered, of
/// gradients `E[g]`), momentum μ and buffer b:
///
/// ```text
/// g ← g + λθ                                (weight decay as L2, when λ ≠ 0)
/// E[g²] ← α·E[g²] + (1 − α)·g²
/// E[g]  ← α·E[g] + (1 − α)·g                 (centered only)
/// s = √(E[g²] − E[g]²) + ε   (centered)   or   s = √E[g²] + ε
/// b ← μb + g/s,  θ ← θ − ηb                 (μ > 0)
/// θ ← θ − η·g/s                              (μ = 0)
/// ```
///
/// Defaults (PyTorch's): lr 1e-2, alpha 0.99, eps 1e-8, weight decay 0, momentum 0, not
/// centered. It is Adagrad with an average that forgets, so steps do not die out; the centered
/// variant divides by an estimate of the gradient's standard deviation instead of its RMS.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmspropConfig {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub centered: bool,
}

impl Default for RmspropConfig {
    fn default() -> Self {
        RmspropConfig { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false }
    }
}

/// RMSprop; see [`RmspropConfig`] for the update rule.
pub type Rmsprop<T = f32> = Optim<RmspropConfig, T>;

/// RMSprop's memory of one parameter. The momentum buffer exists when momentum > 0, the
/// gradient average when centered.
#[derive(Clone, Debug)]
pub struct RmspropState<T: Float> {
    pub step: i64,
    pub square_avg: Tensor<T>,
    pub momentum_buffer: Option<Tensor<T>>,
    pub grad_avg: Option<Tensor<T>>,
}

impl<T: Float> ParamState<T> for RmspropState<T> {
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
        vec![
            ("step", Entry::Step(&mut self.step)),
            ("square_avg", Entry::Buffer(&mut self.square_avg)),
            ("momentum_buffer", Entry::MaybeBuffer(&mut self.momentum_buffer)),
            ("grad_avg", Entry::MaybeBuffer(&mut self.grad_avg)),
        ]
    }
}

impl Hyperparameters for RmspropConfig {
    const OPTIMIZER: &'static str = "RMSprop";

    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn momentum(&self) -> Option<f64> {
        Some(self.momentum)
    }
    fn set_momentum(&mut self, momentum: f64) {
        self.momentum = momentum;
    }

    fn check(&self) -> Result<(), String> {
        non_negative("learning rate", self.lr)?;
        non_negative("alpha", self.alpha)?;
        non_negative("eps", self.eps)?;
        non_negative("momentum", self.momentum)?;
        non_negative("weight_decay", self.weight_decay)
    }

    fn fields(&mut self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("lr", Field::Real(&mut self.lr)),
            ("alpha", Field::Real(&mut self.alpha)),
            ("eps", Field::Real(&mut self.eps)),
            ("weight_decay", Field::Real(&mut self.weight_decay)),
            ("momentum", Field::Real(&mut self.momentum)),
            ("centered", Field::Flag(&mut self.centered)),
        ]
    }
}

impl<T: Float> UpdateRule<T> for RmspropConfig {
    type State = RmspropState<T>;

    fn init_state(&self, param: &Tensor<T>) -> RmspropState<T> {
        RmspropState {
            step: 0,
            square_avg: param.zeros_like(),
            momentum_buffer: (self.momentum > 0.0).then(|| param.zeros_like()),
            grad_avg: self.centered.then(|| param.zeros_like()),
        }
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut RmspropState<T>) -> Tensor<T> {
        state.step += 1;
        let mut g = grad.clone();
        if self.weight_decay != 0.0 {
            g = &g + &(param * t::<T>(self.weight_decay));
        }
        state.square_avg = &(&state.square_avg * t::<T>(self.alpha)) + &(&(&g * t::<T>(1.0 - self.alpha)) * &g);
        let rms = if self.centered {
            // Switched on after the first step: start the average from zero, as PyTorch would.
            let avg = state.grad_avg.get_or_insert_with(|| param.zeros_like());
            *avg = lerp(avg, &g, 1.0 - self.alpha);
            (&state.square_avg - &(&*avg * &*avg)).sqrt()
        } else {
            state.square_avg.sqrt()
        };
        let denom = rms + t::<T>(self.eps);
        if self.momentum > 0.0 {
            let buf = state.momentum_buffer.get_or_insert_with(|| param.zeros_like());
            *buf = &(&*buf * t::<T>(self.momentum)) + &(&g / &denom);
            param + &(&*buf * t::<T>(-self.lr))
        } else {
            param + &((g * t::<T>(-self.lr)) / denom)
        }
    }
}
