//! Kindling's autograd: define-by-run, reverse-mode automatic differentiation.
//!
//! A [`Variable`] wraps a [`kindling_tensor::Tensor`] and remembers the op that made it. Run
//! a computation on variables, call [`Variable::backward`] on the scalar result, and every
//! parameter's `.grad()` holds ∂result/∂parameter:
//!
//! ```
//! use kindling_autograd::Variable;
//! use kindling_tensor::Tensor;
//!
//! // y = (3x² + 1)² at x = 2: y = 169, dy/dx = 2(3x² + 1)·6x = 312.
//! let x = Variable::param(Tensor::scalar(2.0f64));
//! let y = (&(&x.square() * 3.0) + 1.0).square();
//! y.backward();
//! assert_eq!(y.item(), 169.0);
//! assert_eq!(x.grad().unwrap().item(), 312.0);
//! ```
//!
//! - Raw tensors never carry gradients; variables always might. Leaves are made with
//!   [`Variable::param`] (collects a gradient) or [`Variable::constant`] (never does).
//! - `backward` walks the graph in reverse topological order with an explicit stack (a
//!   million-node chain is fine), accumulates into `.grad()` until [`Variable::zero_grad`],
//!   and frees every saved tensor unless asked to keep the graph.
//! - [`no_grad`] turns recording off (evaluation, parameter updates).
//! - [`gradcheck()`] compares every gradient with central differences in f64.
//! - [`conv`] and [`pool`]: differentiable convolutions and pooling over the tensor crate's
//!   naive, fast and direct kernels.
//! - [`attention`]: scaled dot-product attention as one recorded op (naive or fast kernels),
//!   and the differentiable attention weights.

pub mod gradcheck;
mod ops;
mod variable;

pub use gradcheck::{gradcheck, GradCheck};
pub use ops::{attention, conv, pool, recurrent, sum_to};
pub use variable::{is_grad_enabled, no_grad, Variable};
