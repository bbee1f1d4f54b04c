//! Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay.

use kindling_tensor::{Float, Tensor};

use crate::optimizer::{fused_parts, non_negative, t, Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule};

/// Stochastic gradient descent, `torch.optim.SGD`.
///
/// With gradient g, parameter θ, learning rate η, momentum μ, dampening τ and weight decay λ,
/// one step is
///
/// ```text
/// g ← g + λθ                         (weight decay as L2, when λ ≠ 0)
/// b ← g                              (first step)
/// b ← μb + (1 − τ)g                  (later steps, when μ ≠ 0)
/// g ← g + μb   (Nesterov)   or   g ← b   (classic momentum)
/// θ ← θ − ηg
/// ```
///
/// Defaults (PyTorch's): lr 1e-3, momentum 0, dampening 0, no Nesterov, weight decay 0.
///
/// **Three momentum conventions.** Books write momentum in three ways, and they are not
/// the same optimizer for the same numbers:
///
/// 1. PyTorch (this type): b ← μb + g, θ ← θ − ηb. The learning rate multiplies the whole
///    buffer, so changing η mid-training takes effect at once.
/// 2. v ← γv + η∇, θ ← θ − v (Sutskever et al., many course notes). The learning rate is
///    folded into the buffer: with a constant η, v = ηb and the two give identical steps;
///    when η changes, old gradients keep the old η.
/// 3. v ← βv + (1 − β)∇, θ ← θ − ηv (an exponential average). Here v = (1 − β)b, so it
///    equals PyTorch's rule with learning rate η(1 − β), e.g. ten times smaller for β = 0.9;
///    PyTorch's dampening τ = β gives it (except on the first step, where PyTorch takes
///    b = g undamped).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 1e-3, momentum: 0.0, dampening: 0.0, nesterov: false, weight_decay: 0.0 }
    }
}

/// Stochastic gradient descent; see [`SgdConfig`] for the update rule.
pub type Sgd<T = f32> = Optim<SgdConfig, T>;

/// SGD's memory of one parameter: the momentum buffer b (made on the first step with μ ≠ 0).
#[derive(Clone, Debug)]
pub struct SgdState<T: Float> {
    pub momentum_buffer: Option<Tensor<T>>,
}

impl<T: Float> ParamState<T> for SgdState<T> {
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
        vec![("momentum_buffer", Entry::MaybeBuffer(&mut self.momentum_buffer))]
    }
}

impl Hyperparameters for SgdConfig {
    const OPTIMIZER: &'static str = "SGD";

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
        non_negative("momentum", self.momentum)?;
        non_negative("weight_decay", self.weight_decay)?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(format!(
                "Nesterov momentum needs momentum > 0 and dampening 0, got momentum {} and dampening {}",
                self.momentum, self.dampening
            ));
        }
        Ok(())
    }

    fn fields(&mut self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("lr", Field::Real(&mut self.lr)),
            ("momentum", Field::Real(&mut self.momentum)),
            ("dampening", Field::Real(&mut self.dampening)),
            ("nesterov", Field::Flag(&mut self.nesterov)),
            ("weight_decay", Field::Real(&mut self.weight_decay)),
        ]
    }
}

impl<T: Float> UpdateRule<T> for SgdConfig {
    type State = SgdState<T>;

    fn init_state(&self, _param: &Tensor<T>) -> SgdState<T> {
        SgdState { momentum_buffer: None }
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut SgdState<T>) -> Tensor<T> {
        let mut g = grad.clone();
        if self.weight_decay != 0.0 {
            g = &g + &(param * t::<T>(self.weight_decay));
        }
        if self.momentum != 0.0 {
            let buf = match state.momentum_buffer.take() {
                None => g.clone(),
                Some(b) => &(b * t::<T>(self.momentum)) + &(&g * t::<T>(1.0 - self.dampening)),
            };
            g = if self.nesterov { &g + &(&buf * t::<T>(self.momentum)) } else { buf.clone() };
            state.momentum_buffer = Some(buf);
        }
        param + &(g * t::<T>(-self.lr))
    }

    /// [`UpdateRule::update`]'s operations in its order, element by element, so the bits
    /// agree. The first momentum step (no buffer yet) goes through `update`, which makes it.
    fn update_in_place(&self, param: &mut [T], grad: &[T], state: &mut SgdState<T>) -> bool {
        let c = SgdConstants {
            wd: t::<T>(self.weight_decay),
            mu: t::<T>(self.momentum),
            keep: t::<T>(1.0 - self.dampening),
            lr: t::<T>(-self.lr),
        };
        let decay = self.weight_decay != 0.0;
        if self.momentum == 0.0 {
            let pass = if decay { plain_pass::<T, true> } else { plain_pass::<T, false> };
            fused_parts(param, grad, &mut [], &mut [], |p, g, _, _| pass(p, g, &c));
            return true;
        }
        let Some(buffer) = state.momentum_buffer.as_mut() else { return false };
        if buffer.numel() != param.len() {
            return false;
        }
        let pass = match (decay, self.nesterov) {
            (false, false) => momentum_pass::<T, false, false>,
            (false, true) => momentum_pass::<T, false, true>,
            (true, false) => momentum_pass::<T, true, false>,
            (true, true) => momentum_pass::<T, true, true>,
        };
        fused_parts(param, grad, buffer.make_mut(), &mut [], |p, g, b, _| pass(p, g, b, &c));
        true
    }
}

/// The numbers of one fused SGD step, in the parameter's float type (`lr` already negated).
struct SgdConstants<T> {
    wd: T,
    mu: T,
    keep: T,
    lr: T,
}

/// θ ← θ + (g + θλ)·(−η), the weight-decay term only when `DECAY`. The settings are type
/// parameters so each loop is straight-line code the compiler vectorizes (with the branch
/// inside, it ran one element at a time).
fn plain_pass<T: Float, const DECAY: bool>(p: &mut [T], g: &[T], c: &SgdConstants<T>) {
    for (p, &g) in p.iter_mut().zip(g) {
        let g = if DECAY { g + *p * c.wd } else { g };
        *p += g * c.lr;
    }
}

/// The momentum step: b ← μb + (1 − τ)g, then θ ← θ − η·(g + μb) (Nesterov) or θ − η·b.
fn momentum_pass<T: Float, const DECAY: bool, const NESTEROV: bool>(
    p: &mut [T],
    g: &[T],
    b: &mut [T],
    c: &SgdConstants<T>,
) {
    for ((p, &g), b) in p.iter_mut().zip(g).zip(b) {
        let g = if DECAY { g + *p * c.wd } else { g };
        *b = *b * c.mu + g * c.keep;
        let step = if NESTEROV { g + *b * c.mu } else { *b };
        *p += step * c.lr;
    }
}
