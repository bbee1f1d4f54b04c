//! The checks of chapter 13's exercises. `cargo test -p ch13-attention --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex13_3_...`
//! checks exercise 13.3).

use ch13_attention::checked::*;
use ch13_attention::{attention_by_hand, tiny_example};
use kindling_autograd::Variable;
use kindling_nn::Forward;
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::attention::{MhaOptions, MultiheadAttention};
use kindling_transformer::layer::{Activation, TransformerEncoderLayer};
use kindling_transformer::position::{Rotary, SinusoidalEncoding};

fn close_all(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: {} values, expected {}",
        a.len(),
        b.len()
    );
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol || x == y,
            "{what}[{i}]: got {x}, expected {y}"
        );
    }
}

#[test]
fn ex13_1_the_worked_example_by_hand() {
    let (q, k, v) = tiny_example();
    // Row 0: scaled scores [1, 0, 0.5]; weights e^s / (e + 1 + e^0.5).
    let total = 1f64.exp() + 1.0 + 0.5f64.exp();
    let w = [1f64.exp() / total, 1.0 / total, 0.5f64.exp() / total];
    close_all(
        &attend(&q[0], &k, &v),
        &[w[0] + w[2], w[1] + w[2]],
        1e-12,
        "output of query 0",
    );
    // Query 2 scores every key 1: the plain mean of the values.
    close_all(
        &attend(&q[2], &k, &v),
        &[2.0 / 3.0, 2.0 / 3.0],
        1e-12,
        "output of query 2",
    );
}

#[test]
fn ex13_1_agrees_with_attention_by_hand_on_random_data() {
    let mut rng = Rng::seed(1);
    let mut m = |r: usize, c: usize| {
        (0..r)
            .map(|_| (0..c).map(|_| 3.0 * rng.normal_f64()).collect())
            .collect::<Vec<Vec<f64>>>()
    };
    let (q, k, v) = (m(4, 16), m(6, 16), m(6, 3));
    let (_, outputs) = attention_by_hand(&q, &k, &v, false);
    for (i, qi) in q.iter().enumerate() {
        close_all(&attend(qi, &k, &v), &outputs[i], 1e-12, "attend");
    }
}

#[test]
fn ex13_2_causal_weights_follow_course_fixture_33() {
    let mask = causal_mask(4);
    assert_eq!(mask.shape(), [4, 4]);
    let m = mask.to_vec();
    for i in 0..4 {
        for j in 0..4 {
            let want = if j > i { f64::NEG_INFINITY } else { 0.0 };
            assert_eq!(m[i * 4 + j], want, "mask[{i}][{j}]");
        }
    }
    // Added to scores, rows sum to 1 over j ≤ i, and row 0 is [1, 0, 0, 0].
    let scores = Tensor::randn([4, 4], &mut Rng::seed(2));
    let weights = (&scores + &mask).softmax(-1).to_vec();
    close_all(&weights[..4], &[1.0, 0.0, 0.0, 0.0], 0.0, "row 0");
    for i in 0..4 {
        let row = &weights[i * 4..i * 4 + 4];
        assert!(
            (row[..=i].iter().sum::<f64>() - 1.0).abs() < 1e-12
                && row[i + 1..].iter().all(|&w| w == 0.0)
        );
    }
}

#[test]
fn ex13_3_split_heads_moves_columns_into_heads() {
    let x = Variable::constant(Tensor::from_vec(
        (0..2 * 3 * 6).map(f64::from).collect(),
        [2, 3, 6],
    ));
    let y = split_heads(&x, 3);
    assert_eq!(y.shape(), [2, 3, 3, 2]);
    let (xv, yv) = (x.value(), y.value());
    for b in 0..2 {
        for h in 0..3 {
            for t in 0..3 {
                for d in 0..2 {
                    let want = xv.to_vec()[(b * 3 + t) * 6 + h * 2 + d];
                    assert_eq!(
                        yv.to_vec()[((b * 3 + h) * 3 + t) * 2 + d],
                        want,
                        "[{b}, {h}, {t}, {d}]"
                    );
                }
            }
        }
    }
}

#[test]
fn ex13_4_equals_the_library_layer() {
    let mut rng = Rng::seed(3);
    let mha = MultiheadAttention::<f64>::new(8, 2, &mut rng).batch_first(true);
    // Non-zero biases, so forgetting one shows.
    for (_, p) in kindling_nn::Module::named_parameters(&mha) {
        p.set_value(Tensor::randn(p.shape(), &mut rng));
    }
    let x = Variable::constant(Tensor::randn([2, 5, 8], &mut rng));
    let (expected, _) = mha.forward(&x, &x, &x, &MhaOptions::output_only());
    let got = self_attention_by_hand(&mha, &x);
    assert_eq!(got.shape(), [2, 5, 8]);
    close_all(
        &got.value().to_vec(),
        &expected.value().to_vec(),
        1e-12,
        "self-attention",
    );
}

#[test]
fn ex13_5_sinusoidal_rows_follow_course_fixture_32() {
    close_all(&sinusoidal_row(0, 4), &[0.0, 1.0, 0.0, 1.0], 1e-12, "position 0");
    close_all(
        &sinusoidal_row(1, 4),
        &[0.841471, 0.540302, 0.0099998, 0.99995],
        1e-6,
        "position 1",
    );
    let table = SinusoidalEncoding::<f64>::new(50, 10).table();
    close_all(
        &sinusoidal_row(37, 10),
        &table.select(0, 37).to_vec(),
        1e-12,
        "position 37, width 10",
    );
}

#[test]
fn ex13_6_rotation_matches_the_library_and_keeps_lengths() {
    let mut rng = Rng::seed(4);
    let x: Vec<f64> = (0..8).map(|_| rng.normal_f64()).collect();
    let rope = Rotary::<f64>::new(8, 32, 10000.0);
    let expected = rope
        .apply(&Variable::constant(Tensor::from_vec(x.clone(), [1, 1, 1, 8])), 13)
        .value()
        .to_vec();
    let got = rotate(&x, 13, 10000.0);
    close_all(&got, &expected, 1e-12, "rotated vector");
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    assert!((norm(&got) - norm(&x)).abs() < 1e-12);
    // q·k depends on the offset only.
    let k: Vec<f64> = (0..8).map(|_| rng.normal_f64()).collect();
    let dot =
        |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let (near, far) = (
        dot(&rotate(&x, 5, 100.0), &rotate(&k, 2, 100.0)),
        dot(&rotate(&x, 23, 100.0), &rotate(&k, 20, 100.0)),
    );
    assert!((near - far).abs() < 1e-10, "offset 3 at two places: {near} vs {far}");
}

#[test]
fn ex13_7_pre_norm_block_equals_the_layer() {
    let mut rng = Rng::seed(5);
    let layer = TransformerEncoderLayer::<f64>::new(8, 2, 16, &mut rng)
        .batch_first(true)
        .norm_first(true)
        .activation(Activation::Gelu)
        .dropout(0.0);
    for (_, p) in kindling_nn::Module::named_parameters(&layer) {
        p.set_value(Tensor::randn(p.shape(), &mut rng));
    }
    let x = Variable::constant(Tensor::randn([2, 4, 8], &mut rng));
    let got = pre_norm_block(&layer, &x);
    close_all(
        &got.value().to_vec(),
        &layer.call(&x).value().to_vec(),
        1e-12,
        "pre-norm block",
    );
}
