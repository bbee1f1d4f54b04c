//! Chapter 7 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch07-vision --features learner          # every exercise
//! cargo test -p ch07-vision --features learner ex7_2    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. Images are flat slices in `[C, H, W]`
//! order (channel, then row, then column), weights in `[O, C, kh, kw]` order. The
//! reference answers are in `solutions.rs`: try first, then compare.
#![allow(unused_variables, dead_code)]

// ANCHOR: ex7_1
/// Exercise 7.1 (warm-up). The output length of a convolution (or pooling) along
/// one axis: an input of length `n`, a kernel of length `k`, `padding` zeros on
/// each side, `stride`.
pub fn conv_output_size(
    n: usize,
    k: usize,
    padding: usize,
    stride: usize,
) -> usize {
    // TODO(7.1): count the kernel positions that fit in the padded input.
    unimplemented!("exercise 7.1: conv_output_size")
}
// ANCHOR_END: ex7_1

// ANCHOR: ex7_2
/// Exercise 7.2. A 2-D convolution of one image `[C, H, W]` with `O` filters `[O,
/// C, kh, kw]`, zero padding and a stride, by plain loops (no bias). Returns `[O,
/// Ho, Wo]`.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_single(
    x: &[f32],
    (c, h, w): (usize, usize, usize),
    weight: &[f32],
    (o, kh, kw): (usize, usize, usize),
    padding: usize,
    stride: usize,
) -> Vec<f32> {
    // TODO(7.2): six nested loops; a tap that lands in the padding contributes
    // nothing.
    unimplemented!("exercise 7.2: conv2d_single")
}
// ANCHOR_END: ex7_2

// ANCHOR: ex7_3
/// Exercise 7.3. Max pooling of `[C, H, W]` with a `k × k` window moved by
/// `stride`, no padding. Returns `[C, Ho, Wo]`.
pub fn max_pool2d(
    x: &[f32],
    (c, h, w): (usize, usize, usize),
    k: usize,
    stride: usize,
) -> Vec<f32> {
    // TODO(7.3): the largest value in every window, channel by channel.
    unimplemented!("exercise 7.3: max_pool2d")
}
// ANCHOR_END: ex7_3

// ANCHOR: ex7_4
/// Exercise 7.4. im2col: the `[C·k·k, Ho·Wo]` matrix (row-major) whose column
/// `i·Wo + j` holds the receptive field of output pixel (i, j), and whose row
/// `(c·k + di)·k + dj` holds tap (di, dj) of channel c. Padding positions are
/// zeros. Then a convolution is one matrix product: `W[O, C·k·k] · cols`.
pub fn im2col(
    x: &[f32],
    (c, h, w): (usize, usize, usize),
    k: usize,
    padding: usize,
    stride: usize,
) -> Vec<f32> {
    // TODO(7.4): copy every receptive field into its column.
    unimplemented!("exercise 7.4: im2col")
}
// ANCHOR_END: ex7_4

// ANCHOR: ex7_5
/// Exercise 7.5. The number of parameters of `TinyVgg::new(in_channels, hidden,
/// classes, (h, w))`: four 3×3 convolutions with biases (padding 1), two 2×2
/// max-pools, and a linear classifier with bias on the flattened `[hidden, h/4,
/// w/4]` features.
pub fn tinyvgg_parameters(
    in_channels: usize,
    hidden: usize,
    classes: usize,
    (h, w): (usize, usize),
) -> usize {
    // TODO(7.5): weights and biases, layer by layer.
    unimplemented!("exercise 7.5: tinyvgg_parameters")
}
// ANCHOR_END: ex7_5

// ANCHOR: ex7_6
/// Exercise 7.6. The confusion matrix, `matrix[actual][predicted]` = how many
/// samples of class `actual` were predicted as `predicted`.
pub fn confusion(
    actual: &[i64],
    predicted: &[i64],
    classes: usize,
) -> Vec<Vec<u64>> {
    // TODO(7.6): one count per (actual, predicted) pair.
    unimplemented!("exercise 7.6: confusion")
}

/// Exercise 7.6, continued. The largest off-diagonal cell, as (actual, predicted,
/// count): the mistake the model makes most often. On ties, the first in row-major
/// order.
pub fn most_confused(matrix: &[Vec<u64>]) -> (usize, usize, u64) {
    // TODO(7.6): skip the diagonal (the correct predictions).
    unimplemented!("exercise 7.6: most_confused")
}
// ANCHOR_END: ex7_6
