//! [`Variable`]: a tensor that records how it was computed, so gradients can flow back.

use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Computes the gradients of an op's inputs from the gradient of its output. `needs[i]` says
/// whether input `i` wants one (skip the work when it does not).
pub(crate) type BackwardFn<T> = Box<dyn Fn(&Tensor<T>, &[bool]) -> Vec<Option<Tensor<T>>> + Send + Sync>;

/// The recorded step that produced a non-leaf variable.
pub(crate) struct GradFn<T: Float> {
    pub name: &'static str,
    pub inputs: Vec<Variable<T>>,
    pub backward: BackwardFn<T>,
}

pub(crate) struct Node<T: Float> {
    id: u64,
    value: RwLock<Tensor<T>>,
    /// Only a leaf's can change (freezing), so a recorded graph never changes under backward.
    requires_grad: AtomicBool,
    is_leaf: bool,
    grad_fn: Mutex<Option<GradFn<T>>>,
    /// Set once backward has released this node's saved tensors.
    released: AtomicBool,
    grad: Mutex<Option<Tensor<T>>>,
    retains_grad: AtomicBool,
}

/// A differentiable tensor: a [`Tensor`] value plus, when it was computed from variables that
/// require gradients, the op that computed it (its `grad_fn`). Calling [`Variable::backward`]
/// on a result walks these records in reverse and fills `.grad()` of the leaves.
///
/// Raw [`Tensor`]s never carry gradients; a `Variable` always might. Cloning is cheap and
/// refers to the same node (the same `.grad()`).
pub struct Variable<T: Float = f32>(pub(crate) Arc<Node<T>>);

impl<T: Float> Clone for Variable<T> {
    fn clone(&self) -> Self {
        Variable(Arc::clone(&self.0))
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

std::thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread record the graph (false inside [`no_grad`]).
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Runs `f` without recording: results are constants, no memory is kept for backward. Use it
/// for evaluation and for updating parameters.
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            GRAD_ENABLED.with(|g| g.set(self.0));
        }
    }
    let _restore = Restore(GRAD_ENABLED.with(|g| g.replace(false)));
    f()
}

impl<T: Float> Variable<T> {
    fn make(value: Tensor<T>, requires_grad: bool, grad_fn: Option<GradFn<T>>) -> Self {
        Variable(Arc::new(Node {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            value: RwLock::new(value),
            requires_grad: AtomicBool::new(requires_grad),
            is_leaf: grad_fn.is_none(),
            grad_fn: Mutex::new(grad_fn),
            released: AtomicBool::new(false),
            grad: Mutex::new(None),
            retains_grad: AtomicBool::new(false),
        }))
    }

    /// A leaf that collects a gradient: a trainable parameter or an input you differentiate by.
    pub fn param(value: Tensor<T>) -> Self {
        Self::make(value, true, None)
    }

    /// A leaf that never gets a gradient (data, labels, fixed tensors).
    pub fn constant(value: Tensor<T>) -> Self {
        Self::make(value, false, None)
    }

    /// A leaf with the given `requires_grad`.
    pub fn leaf(value: Tensor<T>, requires_grad: bool) -> Self {
        Self::make(value, requires_grad, None)
    }

    /// Records the result of an op: `value` computed from `inputs`, and `backward`, which maps
    /// the gradient of the output to one optional gradient per input (`needs[i]` says whether
    /// input `i` wants one). Every op of this crate is built this way; use it for a custom op
    /// with a hand-written derivative (PyTorch's `autograd.Function`), and gradient-check it.
    /// When recording is off or no input requires a gradient, the result is a constant and
    /// nothing is kept.
    pub fn from_op(
        name: &'static str,
        value: Tensor<T>,
        inputs: Vec<Variable<T>>,
        backward: impl Fn(&Tensor<T>, &[bool]) -> Vec<Option<Tensor<T>>> + Send + Sync + 'static,
    ) -> Self {
        if !is_grad_enabled() || !inputs.iter().any(|v| v.requires_grad()) {
            return Self::constant(value);
        }
        Self::make(value, true, Some(GradFn { name, inputs, backward: Box::new(backward) }))
    }

    /// The current value (a cheap clone sharing the buffer).
    pub fn value(&self) -> Tensor<T> {
        self.0.value.read().expect("value lock").clone()
    }

    /// Replaces the value of a leaf (what an optimizer step does). Panics on a non-leaf, whose
    /// value is defined by the graph.
    pub fn set_value(&self, value: Tensor<T>) {
        if !self.0.is_leaf {
            panic!("set_value: only a leaf's value can be replaced, not the result of an op");
        }
        let mut v = self.0.value.write().expect("value lock");
        if v.shape() != value.shape() {
            panic!(
                "set_value: new value of shape {} replaces one of shape {}",
                dims_str(value.shape()),
                dims_str(v.shape())
            );
        }
        *v = value;
    }

    /// Runs `f` on a leaf's elements in place (what a fused optimizer step does), after
    /// making them dense and unshared: a tensor that still shares the buffer (a graph kept
    /// for a second backward, a value read out earlier) keeps the old values, because the
    /// buffer is copied first in that case (copy on write). Panics on a non-leaf.
    pub fn update_value<R>(&self, f: impl FnOnce(&mut [T]) -> R) -> R {
        if !self.0.is_leaf {
            panic!("update_value: only a leaf's value can be changed in place, not the result of an op");
        }
        let mut v = self.0.value.write().expect("value lock");
        f(v.make_mut())
    }

    pub fn shape(&self) -> Vec<usize> {
        self.value().shape().to_vec()
    }

    pub fn rank(&self) -> usize {
        self.value().rank()
    }

    pub fn numel(&self) -> usize {
        self.value().numel()
    }

    /// The single value of a one-element variable.
    pub fn item(&self) -> T {
        self.value().item()
    }

    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.load(Ordering::Relaxed)
    }

    /// Freezes (`false`) or unfreezes (`true`) a leaf: a frozen parameter gets no gradient and
    /// no work is done for it in backward. Panics on the result of an op.
    pub fn set_requires_grad(&self, requires_grad: bool) {
        if !self.0.is_leaf {
            panic!("set_requires_grad: only a leaf can be frozen or unfrozen, not the result of an op");
        }
        self.0.requires_grad.store(requires_grad, Ordering::Relaxed);
    }

    /// True when both handles refer to the same variable (clones share one node).
    pub fn same_as(&self, other: &Variable<T>) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// True for variables made directly (params, constants), false for results of ops.
    pub fn is_leaf(&self) -> bool {
        self.0.is_leaf
    }

    /// The name of the op that produced this variable (`None` for leaves).
    pub fn op_name(&self) -> Option<&'static str> {
        self.0.grad_fn.lock().expect("grad_fn lock").as_ref().map(|g| g.name)
    }

    /// The accumulated gradient: set on leaves that require gradients, and on intermediates
    /// after [`Variable::retain_grad`].
    pub fn grad(&self) -> Option<Tensor<T>> {
        self.0.grad.lock().expect("grad lock").clone()
    }

    /// Forgets the accumulated gradient (gradients add up across backward calls until then).
    pub fn zero_grad(&self) {
        *self.0.grad.lock().expect("grad lock") = None;
    }

    /// Replaces the accumulated gradient (what gradient clipping does). Panics when the shape
    /// differs from the value's.
    pub fn set_grad(&self, grad: Option<Tensor<T>>) {
        if let Some(g) = &grad {
            let value = self.value();
            if g.shape() != value.shape() {
                panic!(
                    "set_grad: gradient of shape {} for a variable of shape {}",
                    dims_str(g.shape()),
                    dims_str(value.shape())
                );
            }
        }
        *self.0.grad.lock().expect("grad lock") = grad;
    }

    /// Asks backward to store this intermediate's gradient too.
    pub fn retain_grad(&self) {
        self.0.retains_grad.store(true, Ordering::Relaxed);
    }

    /// The same value, cut off from the graph: gradients do not flow through it.
    pub fn detach(&self) -> Variable<T> {
        Self::constant(self.value())
    }

    /// Backpropagates from this scalar (one-element) result: fills `.grad()` of every leaf it
    /// depends on, then frees the graph's saved tensors.
    pub fn backward(&self) {
        if self.numel() != 1 {
            panic!(
                "backward: needs a scalar output (one element), got shape {}; use backward_with(grad) for tensors",
                dims_str(&self.shape())
            );
        }
        self.run_backward(Tensor::ones(self.value().shape()), false);
    }

    /// Backpropagates `grad` (the gradient of some scalar with respect to this variable, of
    /// this variable's shape).
    pub fn backward_with(&self, grad: &Tensor<T>) {
        self.run_backward(grad.clone(), false);
    }

    /// Like [`Variable::backward_with`], but keeps the graph so backward can run again.
    pub fn backward_retaining_graph(&self, grad: &Tensor<T>) {
        self.run_backward(grad.clone(), true);
    }

    fn run_backward(&self, grad: Tensor<T>, retain_graph: bool) {
        if !self.requires_grad() {
            panic!("backward: this variable does not require a gradient (no input was a param, or it was made under no_grad)");
        }
        if grad.shape() != self.value().shape() {
            panic!(
                "backward: gradient of shape {} for an output of shape {}",
                dims_str(grad.shape()),
                dims_str(&self.shape())
            );
        }
        let order = self.topological_order();
        let mut grads: HashMap<u64, Tensor<T>> = HashMap::new();
        grads.insert(self.0.id, grad);
        // Reverse topological order: every node's gradient is complete before it is used.
        for var in order.iter().rev() {
            let node = &var.0;
            let Some(g) = grads.remove(&node.id) else { continue };
            if node.is_leaf || node.retains_grad.load(Ordering::Relaxed) {
                let mut slot = node.grad.lock().expect("grad lock");
                *slot = Some(match slot.take() {
                    Some(acc) => &acc + &g,
                    None => g.clone(),
                });
            }
            if node.is_leaf {
                continue;
            }
            let mut guard = node.grad_fn.lock().expect("grad_fn lock");
            let Some(grad_fn) = guard.as_ref() else {
                panic!("backward: the graph was already freed by an earlier backward(); call backward_retaining_graph the first time to run backward twice");
            };
            let needs: Vec<bool> = grad_fn.inputs.iter().map(|v| v.requires_grad()).collect();
            let input_grads = (grad_fn.backward)(&g, &needs);
            for ((input, gi), need) in grad_fn.inputs.iter().zip(input_grads).zip(&needs) {
                let (Some(gi), true) = (gi, *need) else { continue };
                debug_assert_eq!(
                    gi.shape(),
                    input.value().shape(),
                    "backward of `{}` returned a gradient of the wrong shape",
                    grad_fn.name
                );
                match grads.remove(&input.0.id) {
                    Some(acc) => grads.insert(input.0.id, &acc + &gi),
                    None => grads.insert(input.0.id, gi),
                };
            }
            if !retain_graph {
                // Drop the saved tensors and the links to the inputs: what nobody else holds
                // is freed now.
                node.released.store(true, Ordering::Relaxed);
                *guard = None;
            }
        }
    }

    /// Every node that requires a gradient and is reachable from `self`, inputs before the
    /// nodes computed from them. Iterative (an explicit stack), so a million-node chain is fine.
    fn topological_order(&self) -> Vec<Variable<T>> {
        let mut order = Vec::new();
        let mut visited = std::collections::HashSet::new();
        // (node, whether its inputs were already pushed)
        let mut stack = vec![(self.clone(), false)];
        while let Some((var, expanded)) = stack.pop() {
            if expanded {
                order.push(var);
                continue;
            }
            if !visited.insert(var.0.id) {
                continue;
            }
            let inputs: Vec<Variable<T>> = match var.0.grad_fn.lock().expect("grad_fn lock").as_ref() {
                Some(f) => f.inputs.iter().filter(|v| v.requires_grad()).cloned().collect(),
                None => {
                    if !var.0.is_leaf && var.0.released.load(Ordering::Relaxed) {
                        panic!("backward: the graph was already freed by an earlier backward(); call backward_retaining_graph the first time to run backward twice");
                    }
                    Vec::new()
                }
            };
            stack.push((var, true));
            for input in inputs {
                if !visited.contains(&input.0.id) {
                    stack.push((input, false));
                }
            }
        }
        order
    }
}

impl<T: Float> Drop for Node<T> {
    /// Dropping the last handle to a long chain would recurse once per node and overflow the
    /// stack; instead, unlink inputs iteratively.
    fn drop(&mut self) {
        let Some(grad_fn) = self.grad_fn.get_mut().ok().and_then(|g| g.take()) else { return };
        let mut pending = grad_fn.inputs;
        drop(grad_fn.backward);
        while let Some(var) = pending.pop() {
            if let Some(mut node) = Arc::into_inner(var.0) {
                if let Some(f) = node.grad_fn.get_mut().ok().and_then(|g| g.take()) {
                    pending.extend(f.inputs);
                }
                // `node` now has no grad_fn: its own drop does not recurse.
            }
        }
    }
}

impl<T: Float> From<Tensor<T>> for Variable<T> {
    /// A constant (no gradient).
    fn from(t: Tensor<T>) -> Self {
        Variable::constant(t)
    }
}

impl<T: Float> std::fmt::Display for Variable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.value().to_string();
        let value = value.strip_suffix(')').unwrap_or(&value);
        match self.op_name() {
            Some(op) => write!(f, "{value}, grad_fn={op})"),
            None if self.requires_grad() => write!(f, "{value}, requires_grad=true)"),
            None => write!(f, "{value})"),
        }
    }
}

impl<T: Float> std::fmt::Debug for Variable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
