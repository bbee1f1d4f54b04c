//! The checks of chapter 7's exercises. `cargo test -p ch07-vision --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex7_2_...`
//! checks exercise 7.2).
//!
//! The loops you write are compared with Kindling's own convolution and pooling on
//! small random images, so they run in milliseconds.

use ch07_vision::checked::*;
use kindling_nn::Module;
use kindling_tensor::conv::conv2d as conv2d_tensor;
use kindling_tensor::pool::max_pool2d as max_pool2d_tensor;
use kindling_tensor::{Rng, Tensor};
use kindling_train::metrics::ConfusionMatrix;
use kindling_vision::models::TinyVgg;
use kindling_vision::{Conv2dOptions, Pool2dOptions};

fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: {} values, expected {}",
        a.len(),
        b.len()
    );
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
            "{what}: value {i} is {x}, expected {y}"
        );
    }
}

#[test]
fn ex7_1_output_size_formula() {
    assert_eq!(conv_output_size(28, 3, 1, 1), 28, "3×3, padding 1 keeps the size");
    assert_eq!(
        conv_output_size(28, 3, 0, 1),
        26,
        "3×3 without padding loses a pixel on each side"
    );
    assert_eq!(
        conv_output_size(28, 2, 0, 2),
        14,
        "2×2 pooling with stride 2 halves"
    );
    assert_eq!(conv_output_size(7, 2, 0, 2), 3, "an odd size is rounded down");
    assert_eq!(conv_output_size(64, 4, 1, 2), 32);
    assert_eq!(conv_output_size(5, 5, 0, 1), 1);
}

#[test]
fn ex7_2_naive_convolution_matches_kindling() {
    let mut rng = Rng::seed(1);
    for &(c, h, w, o, k, p, s) in &[
        (1, 5, 5, 1, 3, 0, 1),
        (2, 7, 6, 3, 3, 1, 1),
        (3, 9, 8, 2, 3, 1, 2),
        (2, 6, 6, 4, 5, 2, 1),
    ] {
        let x = Tensor::<f32>::randn([1, c, h, w], &mut rng);
        let wt = Tensor::<f32>::randn([o, c, k, k], &mut rng);
        let expected = conv2d_tensor(
            &x,
            &wt,
            None,
            &Conv2dOptions::default().padding(p).stride(s),
        );
        let mine =
            conv2d_single(&x.to_vec(), (c, h, w), &wt.to_vec(), (o, k, k), p, s);
        close(
            &mine,
            &expected.to_vec(),
            &format!("C={c} H={h} W={w} O={o} k={k} p={p} s={s}"),
        );
    }
}

#[test]
fn ex7_3_max_pool_by_hand() {
    let x: Vec<f32> =
        vec![1., 3., 2., 0., 4., 2., 0., 1., 5., 6., 1., 2., 7., 0., 3., 9.];
    assert_eq!(max_pool2d(&x, (1, 4, 4), 2, 2), vec![4., 2., 7., 9.]);
    let mut rng = Rng::seed(2);
    for &(c, h, w, k, s) in &[(3, 8, 8, 2, 2), (2, 7, 9, 3, 2), (1, 6, 5, 2, 1)] {
        let t = Tensor::<f32>::randn([1, c, h, w], &mut rng);
        let (expected, _) = max_pool2d_tensor(&t, &Pool2dOptions::new(k).stride(s));
        close(
            &max_pool2d(&t.to_vec(), (c, h, w), k, s),
            &expected.to_vec(),
            &format!("k={k} s={s}"),
        );
    }
}

#[test]
fn ex7_4_im2col_of_a_small_image() {
    // A 3×3 image, 2×2 kernel, no padding: four receptive fields of four pixels.
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    #[rustfmt::skip]
    let expected = vec![
        1., 2., 4., 5.,
        2., 3., 5., 6.,
        4., 5., 7., 8.,
        5., 6., 8., 9.,
    ];
    assert_eq!(im2col(&x, (1, 3, 3), 2, 0, 1), expected);
    // With padding 1 the corner window of a 3×3 kernel sees zeros.
    let padded = im2col(&x, (1, 3, 3), 3, 1, 1);
    assert_eq!(padded.len(), 9 * 9);
    assert_eq!(
        &padded[0..9],
        &[0., 0., 0., 0., 1., 2., 0., 4., 5.],
        "tap (0, 0) of every output pixel"
    );
}

#[test]
fn ex7_4_im2col_times_weights_is_the_convolution() {
    let mut rng = Rng::seed(3);
    let (c, h, w, o, k, p, s) = (2, 6, 5, 3, 3, 1, 2);
    let x = Tensor::<f32>::randn([1, c, h, w], &mut rng);
    let wt = Tensor::<f32>::randn([o, c * k * k], &mut rng);
    let cols = im2col(&x.to_vec(), (c, h, w), k, p, s);
    let (ho, wo) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
    assert_eq!(cols.len(), c * k * k * ho * wo);
    let product = wt.matmul(&Tensor::from_vec(cols, [c * k * k, ho * wo]));
    let expected = conv2d_tensor(
        &x,
        &wt.reshape([o as isize, c as isize, k as isize, k as isize]),
        None,
        &Conv2dOptions::default().padding(p).stride(s),
    );
    close(&product.to_vec(), &expected.to_vec(), "W · im2col(x)");
}

#[test]
fn ex7_5_tinyvgg_parameter_count() {
    assert_eq!(
        tinyvgg_parameters(1, 10, 10, (28, 28)),
        7_740,
        "the course's TinyVGG on Fashion-MNIST"
    );
    let mut rng = Rng::seed(4);
    for &(cin, hidden, classes, size) in
        &[(1, 10, 10, (28, 28)), (3, 16, 10, (64, 64)), (3, 8, 3, (32, 48))]
    {
        let model = TinyVgg::<f32>::new(cin, hidden, classes, size, &mut rng);
        let count: usize =
            model.parameters().iter().map(|p| p.value().numel()).sum();
        assert_eq!(
            tinyvgg_parameters(cin, hidden, classes, size),
            count,
            "TinyVgg({cin}, {hidden}, {classes}, {size:?})"
        );
    }
}

#[test]
fn ex7_6_confusion_matrix_and_worst_mistake() {
    let actual = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0];
    let predicted = [0, 1, 1, 2, 1, 2, 0, 0, 2, 0];
    let m = confusion(&actual, &predicted, 3);
    assert_eq!(m, vec![vec![2, 1, 0], vec![0, 2, 1], vec![2, 0, 2]]);
    let theirs = ConfusionMatrix::from_labels(&actual, &predicted, 3);
    assert_eq!(m, theirs.rows());
    assert_eq!(most_confused(&m), (2, 0, 2), "class 2 taken for class 0 twice");
    assert_eq!(
        most_confused(&[vec![5, 0], vec![0, 5]]),
        (0, 0, 0),
        "no mistakes at all"
    );
}
