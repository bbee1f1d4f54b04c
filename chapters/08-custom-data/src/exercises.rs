//! Chapter 8 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch08-custom-data --features learner          # every exercise
//! cargo test -p ch08-custom-data --features learner ex8_3    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. Images are `[C, H, W]` tensors with
//! values in [0, 1]. The reference answers are in `solutions.rs`: try first, then
//! compare.
#![allow(unused_variables, dead_code)]

use kindling_tensor::{Rng, Tensor};
use std::path::Path;

// ANCHOR: ex8_1
/// Exercise 8.1 (warm-up). The mirror image: column `j` of every row becomes column
/// `w − 1 − j`.
pub fn hflip(img: &Tensor<f32>) -> Tensor<f32> {
    // TODO(8.1): reverse every row of every channel.
    unimplemented!("exercise 8.1: hflip")
}
// ANCHOR_END: ex8_1

// ANCHOR: ex8_2
/// Exercise 8.2. Normalise each channel: `(x − mean[c]) / std[c]`.
pub fn normalize(img: &Tensor<f32>, mean: &[f32], std: &[f32]) -> Tensor<f32> {
    // TODO(8.2): one mean and one standard deviation per channel.
    unimplemented!("exercise 8.2: normalize")
}

/// Exercise 8.2, continued. The mean and the (population) standard deviation of
/// every channel over all pixels of all `images` (each `[C, H, W]`, all the same
/// size): the numbers to pass to `normalize`.
pub fn channel_stats(images: &[Tensor<f32>]) -> (Vec<f32>, Vec<f32>) {
    // TODO(8.2): sums and sums of squares per channel (accumulate in f64).
    unimplemented!("exercise 8.2: channel_stats")
}
// ANCHOR_END: ex8_2

// ANCHOR: ex8_3
/// Exercise 8.3. A random crop of `size = (height, width)`: draw the top row with
/// `rng.below(h − height + 1)`, then the left column with `rng.below(w − width +
/// 1)` (in that order, so a seed fixes the crop), and return the crop with (top,
/// left).
pub fn random_crop(
    img: &Tensor<f32>,
    size: (usize, usize),
    rng: &mut Rng,
) -> (Tensor<f32>, usize, usize) {
    // TODO(8.3): two draws, then a view of the window (narrow) made contiguous.
    unimplemented!("exercise 8.3: random_crop")
}
// ANCHOR_END: ex8_3

// ANCHOR: ex8_4
/// Exercise 8.4. The classes of an image folder (`root/<class>/<image>`) and how
/// many images each holds, sorted by class name. Count files ending in `.png`,
/// `.jpg` or `.jpeg` (in any case); ignore other files and files directly in
/// `root`.
pub fn class_counts(root: &Path) -> std::io::Result<Vec<(String, usize)>> {
    // TODO(8.4): std::fs::read_dir twice.
    unimplemented!("exercise 8.4: class_counts")
}
// ANCHOR_END: ex8_4

// ANCHOR: ex8_5
/// Exercise 8.5. A stratified train/test split of samples with class `labels`
/// (0..K): from each class, shuffle its indices with one generator
/// `Rng::seed(seed)` (classes in increasing order) and put the first `round(n_c ·
/// test_fraction)` into the test set. Return (train, test) indices, each sorted.
pub fn stratified_split(
    labels: &[i64],
    test_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    // TODO(8.5): group by class, shuffle, cut.
    unimplemented!("exercise 8.5: stratified_split")
}
// ANCHOR_END: ex8_5
