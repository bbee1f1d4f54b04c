//! [`LossTarget`]: what a loss accepts as its target (and as any other value input that PyTorch
//! differentiates, such as Gaussian NLL's variance), so one function serves a fixed target and a
//! learned one.

use kindling_autograd::Variable;
use kindling_tensor::{Float, Tensor};

/// A loss target: a plain [`Tensor`] (a constant, no gradient) or a [`Variable`] (part of the
/// graph: `backward` also fills the gradient of the target).
///
/// Every value-target loss takes `impl LossTarget<T>`, so both
/// `mse_loss(&out, &y, Reduction::Mean)` with `y: Tensor<T>` and
/// `mse_loss(&student, &teacher, Reduction::Mean)` with `teacher: Variable<T>` compile. A
/// learned target (distillation with a trainable teacher, the reconstruction term of a VAE
/// whose target is itself computed, a GAN's generated sample) needs the second form. Class-index
/// targets stay `Tensor<i64>`, and ±1 labels stay plain tensors: they are labels, not values.
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::loss::{mse_loss, Reduction};
/// use kindling_tensor::Tensor;
///
/// let student = Variable::param(Tensor::from([1.0f64, 2.0]));
/// let teacher = Variable::param(Tensor::from([0.5f64, 3.0]));
/// mse_loss(&student, &teacher, Reduction::Sum).backward();
/// // ∂/∂y (ŷ − y)² = −2(ŷ − y): the target is pulled toward the prediction.
/// assert_eq!(teacher.grad().unwrap().to_vec(), vec![-1.0, 2.0]);
/// ```
pub trait LossTarget<T: Float> {
    /// The target as a node of the graph: a constant for a tensor, the variable itself otherwise.
    fn to_variable(&self) -> Variable<T>;
}

// Only borrowed forms: an owned impl would make clippy ask every caller to drop the `&` of
// `mse_loss(&out, &y, ..)`, and a loss never needs to own its target.
impl<T: Float> LossTarget<T> for &Tensor<T> {
    fn to_variable(&self) -> Variable<T> {
        Variable::constant((*self).clone())
    }
}

impl<T: Float> LossTarget<T> for &Variable<T> {
    fn to_variable(&self) -> Variable<T> {
        (*self).clone()
    }
}
