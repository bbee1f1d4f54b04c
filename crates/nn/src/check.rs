//! Gradient checks for whole layers: the layer's parameters and its input are all checked
//! against central differences, through [`kindling_autograd::GradCheck::check_leaves`].

use crate::Forward;
use kindling_autograd::gradcheck::GradCheckFailure;
use kindling_autograd::{GradCheck, Variable};
use kindling_tensor::Tensor;

/// Checks ∂(Σ r ⊙ layer(x))/∂x and /∂θ for every parameter θ of `layer` at `input`, with the
/// given settings. Run layers with randomness (dropout) in eval mode; pick inputs away from
/// kinks (ReLU at 0).
pub fn check_module(
    settings: &GradCheck,
    name: &str,
    layer: &dyn Forward<f64>,
    input: &Tensor<f64>,
) -> Result<(), GradCheckFailure> {
    let x = Variable::param(input.clone());
    let mut leaves = vec![x.clone()];
    leaves.extend(layer.parameters().into_iter().filter(|p| p.requires_grad()));
    settings.check_leaves(name, &leaves, || layer.forward(&x))
}

/// [`check_module`] with the default settings; panics with the failure (the layer, the
/// argument — 0 is the input, then the parameters in `named_parameters` order —, the index
/// and both values).
#[track_caller]
pub fn gradcheck_module(name: &str, layer: &dyn Forward<f64>, input: &Tensor<f64>) {
    if let Err(failure) = check_module(&GradCheck::default(), name, layer, input) {
        panic!("{failure}");
    }
}
