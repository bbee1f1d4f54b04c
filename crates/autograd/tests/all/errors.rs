//! Misuse panics with a message that says what went wrong and what to do.

use kindling_autograd::{no_grad, Variable};
use kindling_tensor::Tensor;

fn param(shape: [usize; 2]) -> Variable<f32> {
    Variable::param(Tensor::ones(shape))
}

#[test]
#[should_panic(
    expected = "backward: needs a scalar output (one element), got shape [2, 3]; use backward_with(grad) for tensors"
)]
fn backward_of_a_tensor() {
    param([2, 3]).exp().backward();
}

#[test]
#[should_panic(expected = "backward: gradient of shape [3] for an output of shape [2, 3]")]
fn backward_with_wrong_shape() {
    param([2, 3]).exp().backward_with(&Tensor::ones([3]));
}

#[test]
#[should_panic(expected = "backward: this variable does not require a gradient")]
fn backward_without_params() {
    Variable::constant(Tensor::<f32>::ones([1])).exp().sum_all().backward();
}

#[test]
#[should_panic(expected = "backward: this variable does not require a gradient")]
fn backward_of_no_grad_result() {
    no_grad(|| param([1, 1]).exp().sum_all()).backward();
}

#[test]
#[should_panic(
    expected = "backward: the graph was already freed by an earlier backward(); call backward_retaining_graph the first time to run backward twice"
)]
fn backward_twice() {
    let loss = param([2, 2]).exp().sum_all();
    loss.backward();
    loss.backward();
}

#[test]
#[should_panic(expected = "set_value: only a leaf's value can be replaced, not the result of an op")]
fn set_value_of_an_op_result() {
    param([1, 1]).exp().set_value(Tensor::ones([1, 1]));
}

#[test]
#[should_panic(expected = "update_value: only a leaf's value can be changed in place, not the result of an op")]
fn update_value_of_an_op_result() {
    param([1, 1]).exp().update_value(|v| v.fill(0.0));
}

#[test]
#[should_panic(expected = "set_value: new value of shape [3] replaces one of shape [1, 1]")]
fn set_value_changes_shape() {
    param([1, 1]).set_value(Tensor::ones([3]));
}

#[test]
#[should_panic(expected = "matmul: cannot multiply [2, 3] by [2, 3]: inner dimensions 3 and 2 differ")]
fn shape_errors_come_from_the_tensor_op() {
    param([2, 3]).matmul(&param([2, 3]));
}

#[test]
#[should_panic(expected = "embedding: the table must be [vocabulary, dim], got shape [4]")]
fn embedding_table_rank() {
    Variable::param(Tensor::<f32>::ones([4])).embedding(&Tensor::from([0i64]));
}
