//! [`Module`]: what a model is made of (named parameters, buffers, submodules, train/eval
//! mode), and [`Forward`]: what it computes.
//!
//! A module describes its contents in one method, [`Module::visit`]; everything else (named
//! parameters, freezing, train/eval, state dicts, summaries) is built on that walk, the way
//! PyTorch builds them on the attributes a module registers.

use crate::state::{self, LoadError, StateDictError};
use crate::summary;
use kindling_autograd::Variable;
use kindling_tensor::safetensors::AnyTensor;
use kindling_tensor::safetensors::{SafetensorsError, StateDict};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Element, Float, Rng, Tensor};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};

/// A piece of a model: it owns parameters (and buffers such as running statistics) and
/// submodules, each under a name, so `features.0.weight` finds the same tensor PyTorch would.
///
/// Implement [`visit`](Module::visit) by announcing each parameter, buffer and child; the
/// [`module!`](crate::module!) macro writes it for structs whose fields are all modules.
pub trait Module<T: Float = f32> {
    /// Announces this module's own parameters, buffers and train/eval flag, and its children.
    fn visit(&self, visitor: &mut Visitor<'_, T>);

    /// A short type name for summaries (`Linear`, `Sequential`).
    fn type_name(&self) -> &'static str {
        short_type_name(std::any::type_name::<Self>())
    }

    /// Every trainable tensor with its dotted name, in registration order.
    fn named_parameters(&self) -> Vec<(String, Variable<T>)> {
        let mut out = Vec::new();
        self.walk(&mut |name, item| {
            if let Item::Param(p) = item {
                out.push((name.to_string(), p.clone()));
            }
        });
        out
    }

    /// Every parameter (frozen ones too; optimizers skip those without a gradient).
    fn parameters(&self) -> Vec<Variable<T>> {
        self.named_parameters().into_iter().map(|(_, p)| p).collect()
    }

    /// The number of scalar parameters (109,386 for the course's 784-128-64-10 MLP).
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Variable::numel).sum()
    }

    /// The number of scalar parameters that are not frozen.
    fn num_trainable_parameters(&self) -> usize {
        self.parameters().iter().filter(|p| p.requires_grad()).map(Variable::numel).sum()
    }

    /// Switches this module and every submodule to training (`true`) or evaluation mode.
    fn set_training(&self, training: bool) {
        self.walk(&mut |_, item| {
            if let Item::Mode(flag) = item {
                flag.set(training);
            }
        });
    }

    /// Training mode: dropout drops, batch norm uses and updates batch statistics.
    fn train(&self) {
        self.set_training(true);
    }

    /// Evaluation mode: dropout is the identity, batch norm uses its running statistics.
    fn eval(&self) {
        self.set_training(false);
    }

    /// Whether the module is in training mode (modules with no mode-dependent layer are
    /// always "training", as in PyTorch where the flag exists but changes nothing).
    fn is_training(&self) -> bool {
        let mut training = true;
        self.walk(&mut |_, item| {
            if let Item::Mode(flag) = item {
                training &= flag.get();
            }
        });
        training
    }

    /// Stops gradients for every parameter (feature extraction, fine-tuning a new head).
    fn freeze(&self) {
        self.parameters().iter().for_each(|p| p.set_requires_grad(false));
    }

    /// Lets every parameter train again.
    fn unfreeze(&self) {
        self.parameters().iter().for_each(|p| p.set_requires_grad(true));
    }

    /// Forgets every parameter's accumulated gradient.
    fn zero_grad(&self) {
        self.parameters().iter().for_each(Variable::zero_grad);
    }

    /// Parameters and buffers by dotted name, as PyTorch's `state_dict()` names them.
    fn state_dict(&self) -> StateDict {
        state::state_dict(self)
    }

    /// Loads a state dict strictly: every key must fit, or nothing is loaded and the error
    /// lists every missing, unexpected and wrongly shaped key.
    fn load_state_dict(&self, dict: &StateDict) -> Result<(), StateDictError> {
        state::load_state_dict(self, dict)
    }

    /// Checks a state dict the way [`Module::load_state_dict`] does, loading nothing.
    fn check_state_dict(&self, dict: &StateDict) -> Result<(), StateDictError> {
        state::check_state_dict(self, dict)
    }

    /// Loads the keys that fit and returns what was skipped (a pretrained body, a new head).
    fn load_matching(&self, dict: &StateDict) -> StateDictError {
        state::load_matching(self, dict)
    }

    /// Saves the state dict as a safetensors file, atomically.
    fn save(&self, path: impl AsRef<Path>) -> Result<(), SafetensorsError>
    where
        Self: Sized,
    {
        state::save(self, path.as_ref())
    }

    /// Loads a safetensors file written by [`Module::save`] or by PyTorch, through
    /// [`Module::load_state_dict`] (so a module that overrides it, tied weights say, loads
    /// files the same way).
    fn load(&self, path: impl AsRef<Path>) -> Result<(), LoadError>
    where
        Self: Sized,
    {
        let path = path.as_ref();
        let dict = StateDict::load(path).map_err(LoadError::File)?;
        self.load_state_dict(&dict).map_err(|error| LoadError::Mismatch { path: path.to_path_buf(), error })
    }

    /// The state of every layer's random generator (dropout), by layer path, as four-word
    /// xoshiro states. Save it beside the state dict to resume a run exactly.
    fn rng_states(&self) -> StateDict {
        let mut dict = StateDict::new();
        self.walk(&mut |name, item| {
            if let Item::Rng(rng) = item {
                let words = rng.lock().expect("layer rng").state().map(|w| w as i64);
                dict.insert(name, Tensor::from_vec(words.to_vec(), [4]));
            }
        });
        dict
    }

    /// Restores what [`Module::rng_states`] saved; layers missing from `states` keep theirs.
    fn set_rng_states(&self, states: &StateDict) {
        self.walk(&mut |name, item| {
            if let (Item::Rng(rng), Some(t)) = (item, states.get(name)) {
                let words = t.cast::<i64>().to_vec();
                let words: [u64; 4] = std::array::from_fn(|i| words[i] as u64);
                *rng.lock().expect("layer rng") = Rng::from_state(words);
            }
        });
    }

    /// Calls `f` on every parameter, buffer, mode flag and generator with its dotted name.
    fn walk(&self, f: &mut dyn FnMut(&str, Item<'_, T>)) {
        let mut walker = FnWalker(f);
        let mut visitor = Visitor::new(&mut walker);
        self.visit(&mut visitor);
    }
}

/// What a module computes: an input `X` in, a differentiable output out.
///
/// `X` is one `Variable<T>` by default, which is what a [`Sequential`] chains; a module that
/// reads something else names it: `Forward<f32, Tensor<i64>>` for token ids (as
/// [`Embedding`](crate::Embedding) does), a tuple such as `(Tensor<i64>, Tensor<bool>)` for
/// tokens and a mask, or a struct of its own for several inputs.
///
/// Implement [`forward`](Forward::forward). Run a module, a child inside your own `forward`
/// included, with [`call`](Forward::call): it runs `forward` and then reports the output to a
/// running [`summary`](crate::summary()), as PyTorch's `module(x)` runs its hooks around
/// `forward`. A child run through `forward` computes the same thing but is missing from
/// summaries.
pub trait Forward<T: Float = f32, X: ?Sized = Variable<T>>: Module<T> {
    /// The computation itself.
    fn forward(&self, input: &X) -> Variable<T>;

    /// [`forward`](Forward::forward), seen by summaries. Not meant to be overridden.
    fn call(&self, input: &X) -> Variable<T> {
        let out = self.forward(input);
        summary::record(self, &out);
        out
    }
}

fn short_type_name(full: &'static str) -> &'static str {
    // `kindling_nn::layers::Linear<f32>` → `Linear`
    let before_generics = full.split('<').next().unwrap_or(full);
    before_generics.rsplit("::").next().unwrap_or(before_generics)
}

/// One thing a module owns, as seen by a walk.
pub enum Item<'a, T: Float> {
    Param(&'a Variable<T>),
    Buffer(&'a dyn BufferSlot),
    Mode(&'a TrainingFlag),
    /// A layer's own random generator (dropout masks): not part of the state dict, which
    /// PyTorch could not read, but of a checkpoint that resumes a run exactly.
    Rng(&'a Mutex<Rng>),
}

/// What a walk over a module tree does at each step. Implemented by the library's walkers
/// (state dicts, summaries); module authors use [`Visitor`]'s methods instead.
pub trait Walker<T: Float> {
    fn item(&mut self, name: &str, item: Item<'_, T>);
    fn enter(&mut self, _name: &str, _module: &dyn Module<T>) {}
    fn exit(&mut self) {}
}

struct FnWalker<'f, T: Float>(&'f mut dyn FnMut(&str, Item<'_, T>));

impl<T: Float> Walker<T> for FnWalker<'_, T> {
    fn item(&mut self, name: &str, item: Item<'_, T>) {
        (self.0)(name, item)
    }
}

/// Handed to [`Module::visit`]: tracks the dotted path and tells the walker what it finds.
pub struct Visitor<'w, T: Float> {
    path: Vec<String>,
    walker: &'w mut dyn Walker<T>,
}

impl<'w, T: Float> Visitor<'w, T> {
    pub fn new(walker: &'w mut dyn Walker<T>) -> Self {
        Visitor { path: Vec::new(), walker }
    }

    fn full_name(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path.join("."))
        }
    }

    /// A trainable tensor.
    pub fn param(&mut self, name: &str, param: &Variable<T>) {
        let full = self.full_name(name);
        self.walker.item(&full, Item::Param(param));
    }

    /// State that is saved but not trained (running statistics, counters).
    pub fn buffer(&mut self, name: &str, buffer: &dyn BufferSlot) {
        let full = self.full_name(name);
        self.walker.item(&full, Item::Buffer(buffer));
    }

    /// The module's train/eval switch (only layers that behave differently need one).
    pub fn mode(&mut self, flag: &TrainingFlag) {
        let full = self.path.join(".");
        self.walker.item(&full, Item::Mode(flag));
    }

    /// The generator a layer draws from during training, for exact resumption.
    pub fn rng(&mut self, rng: &Mutex<Rng>) {
        let full = self.path.join(".");
        self.walker.item(&full, Item::Rng(rng));
    }

    /// A submodule: its names get the prefix `name.`.
    pub fn child(&mut self, name: &str, module: &dyn Module<T>) {
        self.path.push(name.to_string());
        let full = self.path.join(".");
        self.walker.enter(&full, module);
        module.visit(self);
        self.walker.exit();
        self.path.pop();
    }
}

/// A train/eval switch shared through `&self` (modules are used through shared references).
#[derive(Debug)]
pub struct TrainingFlag(AtomicBool);

impl Default for TrainingFlag {
    /// New modules start in training mode, as in PyTorch.
    fn default() -> Self {
        TrainingFlag(AtomicBool::new(true))
    }
}

impl TrainingFlag {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, training: bool) {
        self.0.store(training, Ordering::Relaxed)
    }
}

/// Type-erased access to a buffer, for state dicts.
pub trait BufferSlot {
    fn get(&self) -> AnyTensor;
    fn shape(&self) -> Vec<usize>;
    /// Replaces the value, converting the element type; the shape must match.
    fn set(&self, value: &AnyTensor);
}

/// A tensor a module keeps and saves but does not train, updated through `&self`.
#[derive(Debug)]
pub struct Buffer<E: Element>(RwLock<Tensor<E>>);

impl<E: Element> Buffer<E> {
    pub fn new(value: Tensor<E>) -> Self {
        Buffer(RwLock::new(value))
    }

    pub fn value(&self) -> Tensor<E> {
        self.0.read().expect("buffer lock").clone()
    }

    pub fn replace(&self, value: Tensor<E>) {
        *self.0.write().expect("buffer lock") = value;
    }
}

impl<E: Element> BufferSlot for Buffer<E>
where
    AnyTensor: From<Tensor<E>>,
{
    fn get(&self) -> AnyTensor {
        AnyTensor::from(self.value())
    }

    fn shape(&self) -> Vec<usize> {
        self.0.read().expect("buffer lock").shape().to_vec()
    }

    fn set(&self, value: &AnyTensor) {
        let current = self.shape();
        assert_eq!(
            value.shape(),
            current.as_slice(),
            "buffer: a value of shape {} cannot replace one of shape {}",
            dims_str(value.shape()),
            dims_str(&current)
        );
        self.replace(value.cast::<E>());
    }
}

/// Layers applied one after another; children are named `0`, `1`, ... as in PyTorch.
///
/// ```
/// use kindling_nn::{Forward, Linear, Module, ReLU, Sequential};
/// use kindling_tensor::Rng;
///
/// let mut rng = Rng::seed(0);
/// let mlp = Sequential::new()
///     .add(Linear::new(784, 128, &mut rng))
///     .add(ReLU)
///     .add(Linear::new(128, 64, &mut rng))
///     .add(ReLU)
///     .add(Linear::new(64, 10, &mut rng));
/// assert_eq!(mlp.num_parameters(), 109_386);
/// assert_eq!(mlp.named_parameters()[0].0, "0.weight");
/// ```
pub struct Sequential<T: Float = f32> {
    layers: Vec<Box<dyn Forward<T>>>,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Sequential { layers: Vec::new() }
    }
}

impl Sequential {
    /// An empty f32 stack (for another float type: `Sequential::<f64>::default()`).
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Float> Sequential<T> {
    /// Appends a layer (builder style).
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl Forward<T> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends a layer to an existing stack.
    pub fn push(&mut self, layer: impl Forward<T> + 'static) {
        self.layers.push(Box::new(layer));
    }

    pub fn len(&self) -> usize {
        self.layers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The `i`-th layer.
    pub fn layer(&self, i: usize) -> &dyn Forward<T> {
        self.layers[i].as_ref()
    }

    /// Replaces the `i`-th layer (swapping a pretrained model's head).
    pub fn replace(&mut self, i: usize, layer: impl Forward<T> + 'static) {
        self.layers[i] = Box::new(layer);
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn visit(&self, visitor: &mut Visitor<'_, T>) {
        for (i, layer) in self.layers.iter().enumerate() {
            visitor.child(&i.to_string(), layer.as_ref());
        }
    }
}

impl<T: Float> Forward<T> for Sequential<T> {
    fn forward(&self, input: &Variable<T>) -> Variable<T> {
        self.layers.iter().fold(input.clone(), |x, layer| layer.call(&x))
    }
}

/// A list of modules is a module whose children are named `0`, `1`, ... (PyTorch's
/// `ModuleList`).
impl<T: Float, M: Module<T>> Module<T> for Vec<M> {
    fn visit(&self, visitor: &mut Visitor<'_, T>) {
        for (i, m) in self.iter().enumerate() {
            visitor.child(&i.to_string(), m);
        }
    }
}

/// An optional submodule (a bias-free variant, an optional head) contributes nothing when
/// absent.
impl<T: Float, M: Module<T>> Module<T> for Option<M> {
    fn visit(&self, visitor: &mut Visitor<'_, T>) {
        if let Some(m) = self {
            m.visit(visitor);
        }
    }
}

impl<T: Float, M: Module<T> + ?Sized> Module<T> for Box<M> {
    fn visit(&self, visitor: &mut Visitor<'_, T>) {
        (**self).visit(visitor);
    }

    fn type_name(&self) -> &'static str {
        (**self).type_name()
    }
}

/// A boxed module is its content: `call` reports the inner module (the one a walk over the
/// tree finds), not the box.
impl<T: Float, X: ?Sized, M: Forward<T, X> + ?Sized> Forward<T, X> for Box<M> {
    fn forward(&self, input: &X) -> Variable<T> {
        (**self).forward(input)
    }

    fn call(&self, input: &X) -> Variable<T> {
        (**self).call(input)
    }
}

/// Implements [`Module`] for a struct by visiting the listed fields as submodules, named
/// after the fields:
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::{module, Forward, Linear, Module};
/// use kindling_tensor::Rng;
///
/// struct TwoLayer {
///     hidden: Linear,
///     out: Linear,
/// }
/// module!(TwoLayer { hidden, out });
///
/// impl Forward for TwoLayer {
///     fn forward(&self, x: &Variable) -> Variable {
///         self.out.call(&self.hidden.call(x).relu()) // children through `call`
///     }
/// }
///
/// let mut rng = Rng::seed(1);
/// let net = TwoLayer { hidden: Linear::new(10, 20, &mut rng), out: Linear::new(20, 1, &mut rng) };
/// assert_eq!(net.num_parameters(), 241);
/// let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]);
/// ```
#[macro_export]
macro_rules! module {
    ($name:ident { $($field:ident),* $(,)? }) => {
        impl $crate::Module for $name {
            fn visit(&self, visitor: &mut $crate::Visitor<'_, f32>) {
                $(visitor.child(stringify!($field), &self.$field);)*
            }
        }
    };
    ($name:ident<$t:ident> { $($field:ident),* $(,)? }) => {
        impl<$t: $crate::Float> $crate::Module<$t> for $name<$t> {
            fn visit(&self, visitor: &mut $crate::Visitor<'_, $t>) {
                $(visitor.child(stringify!($field), &self.$field);)*
            }
        }
    };
}
