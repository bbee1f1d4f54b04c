//! Adam and AdamW: momentum plus a per-coordinate scale, with bias correction.

use kindling_tensor::{Float, Tensor};

use crate::optimizer::{
    check_adam_like, fused_parts, lerp, t, Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule,
};

/// Adam, `torch.optim.Adam`, with weight decay as an L2 term added to the gradient.
///
/// With step count k (1 on the first step), β1, β2 and ε:
///
/// ```text
/// g ← g + λθ                          (L2 weight decay, when λ ≠ 0)
/// m ← β1·m + (1 − β1)·g               (first moment: momentum)
/// v ← β2·v + (1 − β2)·g²              (second moment: per-coordinate scale)
/// m̂ = m / (1 − β1^k),  v̂ = v / (1 − β2^k)   (bias correction: m and v start at 0)
/// v̂ ← max(v̂_max, v̂)                  (AMSGrad only: the denominator never shrinks)
/// θ ← θ − η · m̂ / (√v̂ + ε)
/// ```
///
/// Defaults (PyTorch's): lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0, no AMSGrad.
/// ε is added after the square root of the bias-corrected v̂, as PyTorch does.
///
/// **Adam + L2 is not AdamW.** Here λθ joins the gradient, so it is divided by √v̂ like the
/// gradient: weights whose gradients are large are barely decayed. [`AdamWConfig`] decouples
/// the decay from the adaptive scale; prefer it when you want weight decay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    pub amsgrad: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, amsgrad: false }
    }
}

/// AdamW, `torch.optim.AdamW`: Adam with decoupled weight decay.
///
/// ```text
/// θ ← θ·(1 − ηλ)                      (decay first, outside the adaptive scale)
/// then the Adam step above with the raw gradient g (no λθ added)
/// ```
///
/// so that in all θ ← θ − η(m̂/(√v̂ + ε) + λθ), with θ the value before the step. Every weight
/// shrinks by the same fraction ηλ per step, however large its gradients (Loshchilov and
/// Hutter, "Decoupled weight decay regularization"). Writing AdamW as "θ ← θ − η∇L − ηλθ"
/// with the raw gradient, as some notes do, describes SGD with decoupled decay instead.
///
/// Defaults (PyTorch's): lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01, no AMSGrad.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    pub amsgrad: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 1e-2, amsgrad: false }
    }
}

/// Adam; see [`AdamConfig`] for the update rule.
pub type Adam<T = f32> = Optim<AdamConfig, T>;
/// AdamW; see [`AdamWConfig`] for the update rule.
pub type AdamW<T = f32> = Optim<AdamWConfig, T>;

/// Adam's (and AdamW's) memory of one parameter: step count, m, v, and the running maximum
/// of v for AMSGrad.
#[derive(Clone, Debug)]
pub struct AdamState<T: Float> {
    pub step: i64,
    pub exp_avg: Tensor<T>,
    pub exp_avg_sq: Tensor<T>,
    pub max_exp_avg_sq: Option<Tensor<T>>,
}

impl<T: Float> ParamState<T> for AdamState<T> {
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
        vec![
            ("step", Entry::Step(&mut self.step)),
            ("exp_avg", Entry::Buffer(&mut self.exp_avg)),
            ("exp_avg_sq", Entry::Buffer(&mut self.exp_avg_sq)),
            ("max_exp_avg_sq", Entry::MaybeBuffer(&mut self.max_exp_avg_sq)),
        ]
    }
}

fn init_adam<T: Float>(param: &Tensor<T>, amsgrad: bool) -> AdamState<T> {
    AdamState {
        step: 0,
        exp_avg: param.zeros_like(),
        exp_avg_sq: param.zeros_like(),
        max_exp_avg_sq: amsgrad.then(|| param.zeros_like()),
    }
}

/// The Adam step shared by both: θ − η·m̂/(√v̂ + ε), after updating m and v with `g`, written
/// with tensor ops as the formula reads (the fused in-place version is [`fused_adam_step`]).
#[allow(clippy::too_many_arguments)]
fn adam_step<T: Float>(
    param: &Tensor<T>,
    g: &Tensor<T>,
    state: &mut AdamState<T>,
    lr: f64,
    (beta1, beta2): (f64, f64),
    eps: f64,
    amsgrad: bool,
    decay: f64,
) -> Tensor<T> {
    state.step += 1;
    let decayed;
    let param = if decay != 1.0 {
        decayed = param * t::<T>(decay);
        &decayed
    } else {
        param
    };
    state.exp_avg = lerp(&state.exp_avg, g, 1.0 - beta1);
    state.exp_avg_sq = &(&state.exp_avg_sq * t::<T>(beta2)) + &(&(g * t::<T>(1.0 - beta2)) * g);
    let k = state.step as f64;
    let bias_correction1 = 1.0 - beta1.powf(k);
    let bias_correction2_sqrt = (1.0 - beta2.powf(k)).sqrt();
    let step_size = lr / bias_correction1;
    let second_moment = if amsgrad {
        // Switched on after the first step: the maximum starts from the current v.
        let max = state.max_exp_avg_sq.get_or_insert_with(|| state.exp_avg_sq.clone());
        *max = max.maximum(&state.exp_avg_sq);
        max.clone()
    } else {
        state.exp_avg_sq.clone()
    };
    let denom = (second_moment.sqrt() / t::<T>(bias_correction2_sqrt)) + t::<T>(eps);
    param + &((&state.exp_avg * t::<T>(-step_size)) / denom)
}

/// [`adam_step`] (without AMSGrad) as one pass over the elements that writes the parameter,
/// m and v in place, with the same operations in the same order, so the results are bit for
/// bit those of the tensor-op version; the ten temporaries of the latter cost more than the
/// arithmetic. `weight_decay` is Adam's L2 term (added to the gradient first, as
/// `g + θ·λ`), `decay` AdamW's decoupled factor 1 − ηλ (1 for none), applied to θ as
/// `θ * decay` rounds it. False, touching nothing, for AMSGrad or a state that does not match.
#[allow(clippy::too_many_arguments)]
fn fused_adam_step<T: Float>(
    param: &mut [T],
    grad: &[T],
    state: &mut AdamState<T>,
    lr: f64,
    (beta1, beta2): (f64, f64),
    eps: f64,
    amsgrad: bool,
    weight_decay: f64,
    decay: f64,
) -> bool {
    let n = param.len();
    if amsgrad || grad.len() != n || state.exp_avg.numel() != n || state.exp_avg_sq.numel() != n {
        return false;
    }
    state.step += 1;
    let k = state.step as f64;
    let step_size = t::<T>(-(lr / (1.0 - beta1.powf(k))));
    let bias_correction2_sqrt = t::<T>((1.0 - beta2.powf(k)).sqrt());
    let (w, b2, one_minus_b2, eps) = (1.0 - beta1, t::<T>(beta2), t::<T>(1.0 - beta2), t::<T>(eps));
    let (w_t, w_rest, decay, wd) = (t::<T>(w), t::<T>(1.0 - w), t::<T>(decay), t::<T>(weight_decay));
    let c = AdamConstants { w_t, w_rest, b2, one_minus_b2, bias_correction2_sqrt, eps, step_size, decay, wd };
    let (m, v) = (state.exp_avg.make_mut(), state.exp_avg_sq.make_mut());
    // The branches on the settings are taken once here, so each loop is straight-line code
    // that the compiler vectorizes.
    let pass = match (weight_decay != 0.0, decay != T::ONE, w < 0.5) {
        (false, false, true) => adam_pass::<T, false, false, true>,
        (false, false, false) => adam_pass::<T, false, false, false>,
        (true, false, true) => adam_pass::<T, true, false, true>,
        (true, false, false) => adam_pass::<T, true, false, false>,
        (false, true, true) => adam_pass::<T, false, true, true>,
        (false, true, false) => adam_pass::<T, false, true, false>,
        (true, true, true) => adam_pass::<T, true, true, true>,
        (true, true, false) => adam_pass::<T, true, true, false>,
    };
    fused_parts(param, grad, m, v, |p, g, m, v| pass(p, g, m, v, &c));
    true
}

/// The numbers one fused Adam step uses, in the parameter's float type.
struct AdamConstants<T> {
    w_t: T,
    w_rest: T,
    b2: T,
    one_minus_b2: T,
    bias_correction2_sqrt: T,
    eps: T,
    step_size: T,
    decay: T,
    wd: T,
}

/// One fused Adam pass: `L2` adds θ·λ to the gradient, `DECOUPLED` multiplies θ by AdamW's
/// decay, `LERP_LOW` picks the form `lerp` rounds with for a weight below ½.
fn adam_pass<T: Float, const L2: bool, const DECOUPLED: bool, const LERP_LOW: bool>(
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    c: &AdamConstants<T>,
) {
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
        let g = if L2 { g + *p * c.wd } else { g };
        let diff = g - *m;
        let m1 = if LERP_LOW { *m + diff * c.w_t } else { g - diff * c.w_rest };
        let v1 = *v * c.b2 + g * c.one_minus_b2 * g;
        let denom = v1.sqrt() / c.bias_correction2_sqrt + c.eps;
        let base = if DECOUPLED { *p * c.decay } else { *p };
        *p = base + (m1 * c.step_size) / denom;
        (*m, *v) = (m1, v1);
    }
}

/// The Adam family (Adam, AdamW, Adamax, NAdam, RAdam) shares lr, betas (β1 is the momentum a
/// one-cycle schedule moves), eps and weight decay; each member lists its own extra fields and,
/// if it has any, an extra check.
macro_rules! adam_hyperparameters {
    ($config:ty, $name:literal $(, $field:ident: $kind:ident)* $(; check $extra:expr)?) => {
        impl Hyperparameters for $config {
            const OPTIMIZER: &'static str = $name;

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
                check_adam_like(self.lr, self.betas, self.eps, self.weight_decay)?;
                $(($extra)(self)?;)?
                Ok(())
            }
            fn fields(&mut self) -> Vec<(&'static str, Field<'_>)> {
                vec![
                    ("lr", Field::Real(&mut self.lr)),
                    ("betas", Field::Pair(&mut self.betas)),
                    ("eps", Field::Real(&mut self.eps)),
                    ("weight_decay", Field::Real(&mut self.weight_decay)),
                    $((stringify!($field), Field::$kind(&mut self.$field)),)*
                ]
            }
        }
    };
}
pub(crate) use adam_hyperparameters;

adam_hyperparameters!(AdamConfig, "Adam", amsgrad: Flag);
adam_hyperparameters!(AdamWConfig, "AdamW", amsgrad: Flag);

impl<T: Float> UpdateRule<T> for AdamConfig {
    type State = AdamState<T>;

    fn init_state(&self, param: &Tensor<T>) -> AdamState<T> {
        init_adam(param, self.amsgrad)
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut AdamState<T>) -> Tensor<T> {
        let mut g = grad.clone();
        if self.weight_decay != 0.0 {
            g = &g + &(param * t::<T>(self.weight_decay));
        }
        adam_step(param, &g, state, self.lr, self.betas, self.eps, self.amsgrad, 1.0)
    }

    fn update_in_place(&self, param: &mut [T], grad: &[T], state: &mut AdamState<T>) -> bool {
        fused_adam_step(param, grad, state, self.lr, self.betas, self.eps, self.amsgrad, self.weight_decay, 1.0)
    }
}

impl<T: Float> UpdateRule<T> for AdamWConfig {
    type State = AdamState<T>;

    fn init_state(&self, param: &Tensor<T>) -> AdamState<T> {
        init_adam(param, self.amsgrad)
    }

    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut AdamState<T>) -> Tensor<T> {
        let decay = 1.0 - self.lr * self.weight_decay;
        adam_step(param, grad, state, self.lr, self.betas, self.eps, self.amsgrad, decay)
    }

    fn update_in_place(&self, param: &mut [T], grad: &[T], state: &mut AdamState<T>) -> bool {
        let decay = 1.0 - self.lr * self.weight_decay;
        fused_adam_step(param, grad, state, self.lr, self.betas, self.eps, self.amsgrad, 0.0, decay)
    }
}
