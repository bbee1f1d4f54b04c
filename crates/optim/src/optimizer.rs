//! What every optimizer shares: parameter groups, skipping parameters that have no gradient,
//! per-parameter state, and state dicts. An optimizer itself is only a set of hyperparameters
//! plus an update rule ([`UpdateRule`]); [`Optim`] does the rest once for all of them.

use std::fmt::Debug;

use kindling_autograd::Variable;
use kindling_tensor::{Float, Tensor};

use crate::state::StateDict;
use crate::OptimError;

/// The interface a training loop and a learning-rate schedule see, whatever the optimizer.
///
/// The protocol of one training step is `zero_grad` → forward → `backward` → `step`:
/// gradients add up across `backward` calls until they are cleared.
pub trait Optimizer {
    /// The optimizer's name as PyTorch spells it (`"SGD"`, `"Adam"`, ...), for messages.
    fn name(&self) -> &'static str;
    /// Updates every parameter that requires a gradient and has one; frozen parameters and
    /// parameters without a gradient are left alone (their state too).
    fn step(&mut self);
    /// Forgets every parameter's gradient.
    fn zero_grad(&self);
    fn num_groups(&self) -> usize;
    fn group_lr(&self, group: usize) -> f64;
    fn set_group_lr(&mut self, group: usize, lr: f64);
    /// The momentum a schedule may cycle: SGD's and RMSprop's `momentum`, Adam's and Lion's β1;
    /// `None` for optimizers without one.
    fn group_momentum(&self, group: usize) -> Option<f64>;
    /// Sets what [`Optimizer::group_momentum`] reads. Panics for optimizers without one.
    fn set_group_momentum(&mut self, group: usize, momentum: f64);
    /// The first group's learning rate (the only one, usually).
    fn learning_rate(&self) -> f64 {
        self.group_lr(0)
    }
    /// Sets the learning rate of every group.
    fn set_learning_rate(&mut self, lr: f64) {
        for group in 0..self.num_groups() {
            self.set_group_lr(group, lr);
        }
    }
    /// Every hyperparameter and every state tensor, so that training can resume exactly.
    fn state_dict(&self) -> StateDict;
    /// Restores what [`Optimizer::state_dict`] saved, for an optimizer built over the same
    /// parameters in the same groups. Nothing changes when it returns an error.
    fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), OptimError>;
}

/// A mutable view of one hyperparameter, so that saving and loading are written once.
#[derive(Debug)]
pub enum Field<'a> {
    Real(&'a mut f64),
    Flag(&'a mut bool),
    Pair(&'a mut (f64, f64)),
}

/// The hyperparameters of one parameter group. Every optimizer's config implements it.
pub trait Hyperparameters: Copy + Debug + Send + Sync + 'static {
    /// The optimizer's name, as PyTorch spells it.
    const OPTIMIZER: &'static str;
    fn lr(&self) -> f64;
    fn set_lr(&mut self, lr: f64);
    /// See [`Optimizer::group_momentum`].
    fn momentum(&self) -> Option<f64> {
        None
    }
    /// Only called when [`Hyperparameters::momentum`] is `Some`.
    fn set_momentum(&mut self, _momentum: f64) {}
    /// `Err` with a message naming the bad value (the optimizer's name is added by the caller).
    fn check(&self) -> Result<(), String>;
    /// Every hyperparameter by its PyTorch name, for state dicts.
    fn fields(&mut self) -> Vec<(&'static str, Field<'_>)>;
}

/// A mutable view of one per-parameter state entry, so that saving and loading are written once.
#[derive(Debug)]
pub enum Entry<'a, T: Float> {
    /// A step counter (stored as an i64 scalar).
    Step(&'a mut i64),
    /// A running number kept per parameter, such as NAdam's product of momentum coefficients
    /// (stored as an f64 scalar).
    Real(&'a mut f64),
    /// A buffer shaped like the parameter.
    Buffer(&'a mut Tensor<T>),
    /// A buffer that exists only after the first step or for some settings.
    MaybeBuffer(&'a mut Option<Tensor<T>>),
}

/// The per-parameter memory of an optimizer (momentum buffers, running averages, step count).
pub trait ParamState<T: Float>: Clone + Debug + Send + Sync {
    /// Every entry by its PyTorch name.
    fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)>;
}

/// An optimizer's update rule, implemented by its config. This is all a new optimizer needs:
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_optim::{Entry, Field, Hyperparameters, Optim, Optimizer, ParamState, UpdateRule};
/// use kindling_tensor::{Float, Tensor};
///
/// /// signSGD: θ ← θ − η·sign(g).
/// #[derive(Clone, Copy, Debug)]
/// struct SignSgd {
///     lr: f64,
/// }
///
/// /// signSGD remembers nothing between steps.
/// #[derive(Clone, Debug)]
/// struct Stateless;
///
/// impl<T: Float> ParamState<T> for Stateless {
///     fn entries(&mut self) -> Vec<(&'static str, Entry<'_, T>)> {
///         vec![]
///     }
/// }
///
/// impl Hyperparameters for SignSgd {
///     const OPTIMIZER: &'static str = "SignSGD";
///     fn lr(&self) -> f64 { self.lr }
///     fn set_lr(&mut self, lr: f64) { self.lr = lr; }
///     fn check(&self) -> Result<(), String> {
///         if self.lr >= 0.0 { Ok(()) } else { Err(format!("invalid learning rate {}", self.lr)) }
///     }
///     fn fields(&mut self) -> Vec<(&'static str, Field<'_>)> {
///         vec![("lr", Field::Real(&mut self.lr))]
///     }
/// }
///
/// impl<T: Float> UpdateRule<T> for SignSgd {
///     type State = Stateless;
///     fn init_state(&self, _param: &Tensor<T>) -> Stateless {
///         Stateless
///     }
///     fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, _state: &mut Stateless) -> Tensor<T> {
///         param - &(grad.sign() * T::from_f64(self.lr))
///     }
/// }
///
/// let w = Variable::param(Tensor::from([1.0f32, -1.0]));
/// let mut opt = Optim::new([w.clone()], SignSgd { lr: 0.5 });
/// w.set_grad(Some(Tensor::from([3.0, -0.1])));
/// opt.step();
/// assert_eq!(w.value().to_vec(), vec![0.5, -0.5]);
/// ```
pub trait UpdateRule<T: Float>: Hyperparameters {
    type State: ParamState<T>;
    /// The state of a parameter before its first step.
    fn init_state(&self, param: &Tensor<T>) -> Self::State;
    /// The parameter's new value after one step with gradient `grad`.
    fn update(&self, param: &Tensor<T>, grad: &Tensor<T>, state: &mut Self::State) -> Tensor<T>;
    /// The same step fused into one pass that writes `param` in place (dense elements, the
    /// gradient's in the same order), giving bit for bit what [`UpdateRule::update`] gives.
    /// Returns false, touching nothing, when the rule has no fused form (the default) or
    /// cannot use it for this state; the step then goes through `update`. Fused forms run
    /// in [`KernelMode::Fast`](kindling_tensor::KernelMode) only, so the naive mode keeps
    /// the readable tensor-op version.
    fn update_in_place(&self, _param: &mut [T], _grad: &[T], _state: &mut Self::State) -> bool {
        false
    }
}

/// Elements per task when a fused step is split across threads: below this a parameter is
/// updated on the calling thread (waking a second thread costs more than the pass it saves).
pub(crate) const PAR_MIN_ELEMENTS: usize = 1 << 16;

/// Runs `f` over matching parts of a parameter, its gradient and up to two state buffers
/// (empty when a rule keeps fewer), on the rayon pool when the parameter is large enough
/// for more than one part of [`PAR_MIN_ELEMENTS`]: a fused update of a large weight matrix
/// is memory-bound, and a second core's cache and bandwidth help it.
pub(crate) fn fused_parts<T: Float>(
    param: &mut [T],
    grad: &[T],
    s1: &mut [T],
    s2: &mut [T],
    f: impl Fn(&mut [T], &[T], &mut [T], &mut [T]) + Send + Sync,
) {
    use rayon::prelude::*;
    let len = param.len();
    let parts = (len / PAR_MIN_ELEMENTS).clamp(1, rayon::current_num_threads());
    if parts == 1 {
        return f(param, grad, s1, s2);
    }
    let chunk = len.div_ceil(parts);
    // A buffer the rule does not keep is empty: every part gets an empty slice of it.
    fn split<T>(s: &mut [T], chunk: usize, parts: usize) -> Vec<&mut [T]> {
        if s.is_empty() {
            (0..parts).map(|_| <&mut [T]>::default()).collect()
        } else {
            s.chunks_mut(chunk).collect()
        }
    }
    let (s1, s2) = (split(s1, chunk, parts), split(s2, chunk, parts));
    let work: Vec<_> = param.chunks_mut(chunk).zip(grad.chunks(chunk)).zip(s1).zip(s2).collect();
    work.into_par_iter().for_each(|(((p, g), a), b)| f(p, g, a, b));
}

/// Some parameters and the hyperparameters they are trained with (a different learning rate
/// for a pretrained backbone than for a new head, no weight decay for biases, ...).
#[derive(Clone, Debug)]
pub struct ParamGroup<C, T: Float = f32> {
    params: Vec<Variable<T>>,
    /// The hyperparameters of this group; change them freely between steps.
    pub config: C,
}

impl<C, T: Float> ParamGroup<C, T> {
    pub fn params(&self) -> &[Variable<T>] {
        &self.params
    }
}

/// `states[g][i]`: the state of parameter `i` of group `g`, `None` until its first step.
pub(crate) type States<S> = Vec<Vec<Option<S>>>;

/// An optimizer: parameter groups, each with its own config `C`, and the state of every
/// parameter. [`crate::Sgd`], [`crate::Adam`] and the others are aliases of it.
#[derive(Clone, Debug)]
pub struct Optim<C: UpdateRule<T>, T: Float = f32> {
    defaults: C,
    groups: Vec<ParamGroup<C, T>>,
    states: States<C::State>,
}

/// Panics with the optimizer's name when a config is invalid (a programming error).
pub(crate) fn check_config<C: Hyperparameters>(config: &C) {
    if let Err(msg) = config.check() {
        panic!("{}: {msg}", C::OPTIMIZER);
    }
}

impl<C: UpdateRule<T>, T: Float> Optim<C, T> {
    /// An optimizer over `params` with hyperparameters `config` (also the defaults that
    /// [`Optim::defaults`] returns for later groups). Panics on an invalid config, an empty
    /// parameter list or a parameter listed twice.
    pub fn new(params: impl IntoIterator<Item = Variable<T>>, config: C) -> Self {
        let mut optim = Optim { defaults: config, groups: Vec::new(), states: Vec::new() };
        optim.add_param_group(params, config);
        optim
    }

    /// Adds parameters trained with their own hyperparameters, e.g.
    /// `opt.add_param_group(head, SgdConfig { lr: 0.1, ..opt.defaults() })`.
    pub fn add_param_group(&mut self, params: impl IntoIterator<Item = Variable<T>>, config: C) {
        check_config(&config);
        let params: Vec<Variable<T>> = params.into_iter().collect();
        if params.is_empty() {
            panic!("{}: got an empty parameter list", C::OPTIMIZER);
        }
        for (i, p) in params.iter().enumerate() {
            let twice_here = params[..i].iter().any(|q| q.same_as(p));
            let in_other_group = self.params().any(|q| q.same_as(p));
            if twice_here || in_other_group {
                panic!(
                    "{}: a parameter of shape {:?} appears more than once (in this group or another)",
                    C::OPTIMIZER,
                    p.shape()
                );
            }
        }
        self.states.push(vec![None; params.len()]);
        self.groups.push(ParamGroup { params, config });
    }

    /// The config given to [`Optim::new`]: a starting point for the config of a new group.
    pub fn defaults(&self) -> C {
        self.defaults
    }

    pub fn param_groups(&self) -> &[ParamGroup<C, T>] {
        &self.groups
    }

    /// The groups, to change their hyperparameters (their parameter lists stay fixed).
    /// A changed config is checked at the next step.
    pub fn param_groups_mut(&mut self) -> &mut [ParamGroup<C, T>] {
        &mut self.groups
    }

    /// Every parameter, group after group (what gradient clipping takes).
    pub fn params(&self) -> impl Iterator<Item = &Variable<T>> {
        self.groups.iter().flat_map(|g| g.params.iter())
    }

    /// The optimizer's memory of `param` (`None` before its first step or if it is not ours).
    pub fn state_of(&self, param: &Variable<T>) -> Option<&C::State> {
        for (group, states) in self.groups.iter().zip(&self.states) {
            for (p, s) in group.params.iter().zip(states) {
                if p.same_as(param) {
                    return s.as_ref();
                }
            }
        }
        None
    }

    pub(crate) fn groups_and_states(&self) -> (&[ParamGroup<C, T>], &States<C::State>) {
        (&self.groups, &self.states)
    }

    pub(crate) fn replace(&mut self, configs: Vec<C>, states: States<C::State>) {
        for (group, config) in self.groups.iter_mut().zip(configs) {
            group.config = config;
        }
        self.states = states;
    }
}

impl<C: UpdateRule<T>, T: Float> Optimizer for Optim<C, T> {
    fn name(&self) -> &'static str {
        C::OPTIMIZER
    }

    fn step(&mut self) {
        for (group, states) in self.groups.iter().zip(&mut self.states) {
            check_config(&group.config);
            for (param, slot) in group.params.iter().zip(states.iter_mut()) {
                if !param.requires_grad() {
                    continue;
                }
                let Some(grad) = param.grad() else { continue };
                let state = slot.get_or_insert_with(|| group.config.init_state(&param.value()));
                // In place when the rule has a fused form: no new buffer for the parameter,
                // and one pass over it instead of a tensor op per term of the formula.
                let fused = kindling_tensor::kernel_mode() == kindling_tensor::KernelMode::Fast
                    && grad.shape() == param.shape().as_slice()
                    && match grad.as_slice() {
                        Some(g) => param.update_value(|p| group.config.update_in_place(p, g, state)),
                        None => false,
                    };
                if !fused {
                    let value = param.value();
                    param.set_value(group.config.update(&value, &grad, state));
                }
            }
        }
    }

    fn zero_grad(&self) {
        for p in self.params() {
            p.zero_grad();
        }
    }

    fn num_groups(&self) -> usize {
        self.groups.len()
    }

    fn group_lr(&self, group: usize) -> f64 {
        self.groups[group].config.lr()
    }

    fn set_group_lr(&mut self, group: usize, lr: f64) {
        self.groups[group].config.set_lr(lr);
    }

    fn group_momentum(&self, group: usize) -> Option<f64> {
        self.groups[group].config.momentum()
    }

    fn set_group_momentum(&mut self, group: usize, momentum: f64) {
        let config = &mut self.groups[group].config;
        if config.momentum().is_none() {
            panic!("{}: has no momentum or beta1 to set", C::OPTIMIZER);
        }
        config.set_momentum(momentum);
    }

    fn state_dict(&self) -> StateDict {
        crate::state::optimizer_state_dict(self)
    }

    fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), OptimError> {
        crate::state::load_optimizer_state_dict(self, dict)
    }
}

/// Checks shared by several optimizers; each returns a message naming the value.
pub(crate) fn non_negative(name: &str, value: f64) -> Result<(), String> {
    if value >= 0.0 {
        Ok(())
    } else {
        Err(format!("invalid {name} {value}: must be >= 0"))
    }
}

/// Adam-family checks: learning rate, eps and weight decay non-negative, both betas in [0, 1).
pub(crate) fn check_adam_like(lr: f64, betas: (f64, f64), eps: f64, weight_decay: f64) -> Result<(), String> {
    non_negative("learning rate", lr)?;
    non_negative("eps", eps)?;
    beta("beta1", betas.0)?;
    beta("beta2", betas.1)?;
    non_negative("weight_decay", weight_decay)
}

pub(crate) fn beta(name: &str, value: f64) -> Result<(), String> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(format!("invalid {name} {value}: must be in [0, 1)"))
    }
}

/// `T` from an f64 hyperparameter.
#[inline]
pub(crate) fn t<T: Float>(x: f64) -> T {
    T::from_f64(x)
}

/// `start + w·(end − start)`, rounded the way PyTorch's `lerp` rounds it (it switches form at
/// w = ½), so that trajectories match PyTorch's to the last bits.
pub(crate) fn lerp<T: Float>(start: &Tensor<T>, end: &Tensor<T>, w: f64) -> Tensor<T> {
    let diff = end - start;
    if w < 0.5 {
        start + &(diff * t::<T>(w))
    } else {
        end - &(diff * t::<T>(1.0 - w))
    }
}
