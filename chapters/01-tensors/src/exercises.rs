//! Chapter 1 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch01-tensors --features learner          # every exercise
//! cargo test -p ch01-tensors --features learner ex1_3    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables)]

use kindling_tensor::Tensor;

// ANCHOR: ex1_1
/// Exercise 1.1 (warm-up). The strides of a contiguous row-major tensor of this
/// shape: how many elements to skip in storage to move one step along each axis.
/// `[2, 3, 4]` → `[12, 4, 1]`; a scalar (`[]`) has no strides.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    // TODO(1.1): walk the axes from the last to the first, multiplying sizes as you
    // go.
    unimplemented!("exercise 1.1: contiguous_strides")
}
// ANCHOR_END: ex1_1

// ANCHOR: ex1_2
/// Exercise 1.2. Where the element at `index` lives in storage, for a view with
/// these `strides` starting at `offset`.
pub fn storage_position(
    index: &[usize],
    strides: &[usize],
    offset: usize,
) -> usize {
    // TODO(1.2): offset plus, for every axis, index times stride.
    unimplemented!("exercise 1.2: storage_position")
}
// ANCHOR_END: ex1_2

// ANCHOR: ex1_3
/// Exercise 1.3. The shape two tensors broadcast to, or `None` when they cannot be
/// combined. `[2, 3]` with `[3]` → `Some([2, 3])`; `[2, 1]` with `[1, 4]` →
/// `Some([2, 4])`; `[2, 3]` with `[2]` → `None`.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    // TODO(1.3): align the shapes on the right; a missing axis counts as 1; two
    // sizes agree when they are equal or one of them is 1.
    unimplemented!("exercise 1.3: broadcast_shape")
}
// ANCHOR_END: ex1_3

// ANCHOR: ex1_4
/// Exercise 1.4. The product of `a` (m × k) and `b` (k × n), both row-major slices,
/// as a row-major m × n vector, with the textbook loops: for each (i, j), a dot
/// product over p.
pub fn matmul_ijk(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    // TODO(1.4): c[i·n + j] = Σ_p a[i·k + p] · b[p·n + j].
    unimplemented!("exercise 1.4: matmul_ijk")
}
// ANCHOR_END: ex1_4

// ANCHOR: ex1_5
/// Exercise 1.5. The same product with the loops in the order i, p, j: for each row
/// i and each p, add `a[i, p]` times row p of `b` to row i of `c`. (This is v2 of
/// the catalogue.)
pub fn matmul_ipj(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    // TODO(1.5): start from zeros; the innermost loop runs over j.
    unimplemented!("exercise 1.5: matmul_ipj")
}
// ANCHOR_END: ex1_5

// ANCHOR: ex1_6
/// Exercise 1.6. A dense layer with a ReLU on a batch: relu(x · w + b) for x
/// `[batch, inputs]`, w `[inputs, outputs]` and b `[outputs]`. Use tensor
/// operations, no loops.
pub fn dense_relu(
    x: &Tensor<f32>,
    w: &Tensor<f32>,
    b: &Tensor<f32>,
) -> Tensor<f32> {
    // TODO(1.6): one matmul, one broadcast add, one relu.
    unimplemented!("exercise 1.6: dense_relu")
}
// ANCHOR_END: ex1_6

// ANCHOR: ex1_7
/// Exercise 1.7. Squared Euclidean distances between every row of `a` `[n, d]` and
/// every row of `b` `[m, d]`, as an `[n, m]` tensor, with broadcasting and a
/// reduction (no loops).
pub fn pairwise_sq_distances(a: &Tensor<f32>, b: &Tensor<f32>) -> Tensor<f32> {
    // TODO(1.7): give a and b the shapes [n, 1, d] and [1, m, d], subtract, square,
    // and sum over the last axis.
    unimplemented!("exercise 1.7: pairwise_sq_distances")
}
// ANCHOR_END: ex1_7
