//! The differentiable ops. Each computes its value with `kindling-tensor` and records a
//! backward closure that maps the output's gradient to its inputs' gradients.

mod arith;
pub mod attention;
pub mod conv;
mod index;
mod linalg;
mod norm;
pub mod pool;
pub mod recurrent;
mod reduce;
mod unary;
mod view;

use kindling_tensor::{Axes, Numeric, Tensor};

/// Sums `grad` down to `shape`: the backward of broadcasting. Axes that broadcasting added in
/// front are summed away; axes that were 1 and got stretched are summed with keepdim.
pub fn sum_to<T: Numeric>(grad: &Tensor<T>, shape: &[usize]) -> Tensor<T> {
    if grad.shape() == shape {
        return grad.clone();
    }
    let extra = grad.rank() - shape.len();
    let mut axes: Vec<isize> = (0..extra as isize).collect();
    for (i, &d) in shape.iter().enumerate() {
        if d == 1 && grad.shape()[extra + i] != 1 {
            axes.push((extra + i) as isize);
        }
    }
    grad.sum(Axes::These(axes), true).reshape(shape)
}
