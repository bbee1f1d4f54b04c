//! The checks of chapter 12's exercises. `cargo test -p ch12-seq2seq --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex12_3_...`
//! checks exercise 12.3).

use ch12_seq2seq::checked::*;
use kindling_autograd::{gradcheck, Variable};
use kindling_sequence::seq2seq::{
    self, length_penalty, AttentionLayer, TeacherForcing,
};
use kindling_tensor::{Rng, Tensor};

fn close_all(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: {} values, expected {}",
        a.len(),
        b.len()
    );
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "{what}[{i}]: got {x}, expected {y}");
    }
}

#[test]
fn ex12_1_hand_computed_weights_and_zero_padding() {
    let w = masked_softmax(&[0.0, 2f64.ln(), 1000.0], 2);
    close_all(
        &w,
        &[1.0 / 3.0, 2.0 / 3.0, 0.0],
        1e-12,
        "softmax of [0, ln 2] then padding",
    );
    assert_eq!(w[2], 0.0, "padding gets exactly zero");
}

#[test]
fn ex12_1_matches_the_library_and_survives_large_scores() {
    let scores = [800.0, 799.0, -3.0, 5.0];
    let mine = masked_softmax(&scores, 3);
    let theirs = seq2seq::masked_softmax(
        &Variable::constant(Tensor::from_vec(scores.to_vec(), [1, 1, 4])),
        &[3],
    );
    close_all(&mine, &theirs.value().to_vec(), 1e-12, "masked softmax");
    assert!(mine.iter().all(|x| x.is_finite()));
}

#[test]
fn ex12_2_equals_the_library_attention_layer() {
    let mut rng = Rng::seed(1);
    let layer =
        AttentionLayer::<f64>::new(seq2seq::Attention::Additive, 3, 4, 5, &mut rng);
    let query = Variable::constant(Tensor::randn([3], &mut rng));
    let keys = Variable::constant(Tensor::randn([6, 4], &mut rng));
    let w_q = layer.w_query.as_ref().unwrap();
    let w_k = &layer.w_key.as_ref().unwrap().weight;
    let v = layer.v.as_ref().unwrap().weight.reshape([-1]);
    // The layer's W_q has a bias; the exercise's has none, so compare with a zero
    // bias.
    w_q.bias.as_ref().unwrap().set_value(Tensor::zeros([5]));
    let expected = layer
        .scores(&query.reshape([1, 1, 3]), &layer.project_keys(&keys.unsqueeze(0)));
    let got = additive_scores(&query, &keys, &w_q.weight, w_k, &v);
    assert_eq!(got.shape(), [6]);
    close_all(
        &got.value().to_vec(),
        &expected.value().to_vec(),
        1e-12,
        "additive scores",
    );
}

#[test]
fn ex12_2_gradients_check() {
    let mut rng = Rng::seed(2);
    let inputs = [
        Tensor::randn([3], &mut rng),
        Tensor::randn([4, 2], &mut rng),
        Tensor::randn([5, 3], &mut rng),
        Tensor::randn([5, 2], &mut rng),
        Tensor::randn([5], &mut rng),
    ];
    gradcheck("additive_scores", &inputs, |v| {
        additive_scores(&v[0], &v[1], &v[2], &v[3], &v[4])
    });
}

#[test]
fn ex12_3_keeps_the_best_extensions_across_beams() {
    let ln = f64::ln;
    let beams = vec![(vec![5], ln(0.6)), (vec![6], ln(0.4))];
    let next =
        vec![vec![ln(0.5), ln(0.3), ln(0.2)], vec![ln(0.9), ln(0.05), ln(0.05)]];
    let out = beam_step(&beams, &next, 3);
    let tokens: Vec<Vec<i64>> = out.iter().map(|b| b.0.clone()).collect();
    assert_eq!(
        tokens,
        vec![vec![6, 0], vec![5, 0], vec![5, 1]],
        "0.36, 0.30, 0.18"
    );
    close_all(
        &out.iter().map(|b| b.1.exp()).collect::<Vec<_>>(),
        &[0.36, 0.30, 0.18],
        1e-12,
        "probabilities",
    );
}

#[test]
fn ex12_3_ties_keep_the_lower_beam_then_token() {
    let beams = vec![(vec![], 0.0), (vec![], 0.0)];
    let next = vec![vec![-1.0, -1.0], vec![-1.0, -2.0]];
    let out = beam_step(&beams, &next, 3);
    let picks: Vec<(Vec<i64>, f64)> =
        vec![(vec![0], -1.0), (vec![1], -1.0), (vec![0], -1.0)];
    assert_eq!(out, picks);
    assert_eq!(beam_step(&beams, &next, 1).len(), 1);
}

#[test]
fn ex12_4_length_normalisation_changes_the_winner() {
    // A short output at log p = -1.2 (2 steps) against a long one at -1.6 (10
    // steps).
    let hyps = [(2, -1.2), (10, -1.6)];
    assert_eq!(
        best_normalized(&hyps, 0.0),
        0,
        "raw log-probabilities favour the short one"
    );
    assert_eq!(
        best_normalized(&hyps, 1.0),
        1,
        "-1.2/(7/6) = -1.03 < -1.6/2.5 = -0.64"
    );
    let lp = -1.6 / length_penalty(10, 1.0);
    assert!((lp + 0.64).abs() < 1e-12);
    assert_eq!(best_normalized(&[(3, -1.0), (3, -1.0)], 0.6), 0, "first of equals");
}

#[test]
fn ex12_5_inverse_sigmoid_schedule_picks_per_row() {
    let gold = [7, 7, 7, 7];
    let own = [3, 3, 3, 3];
    let coins = [0.01, 0.4, 0.6, 0.95];
    // k = 10: step 0 → 10/11 = 0.909: only the last coin is not forced.
    assert_eq!(scheduled_inputs(&gold, &own, &coins, 10.0, 0), vec![7, 7, 7, 3]);
    let mid = TeacherForcing::InverseSigmoid { k: 10.0 }.ratio(30); // 0.332
    assert!((0.3..0.4).contains(&mid));
    assert_eq!(scheduled_inputs(&gold, &own, &coins, 10.0, 30), vec![7, 3, 3, 3]);
    assert_eq!(scheduled_inputs(&gold, &own, &coins, 10.0, 1000), vec![3, 3, 3, 3]);
}

#[test]
fn ex12_6_counts_positions_of_the_reference() {
    let refs = vec![vec![1, 2, 3, 4], vec![5, 6]];
    let outs = vec![vec![1, 2, 9], vec![5, 6, 7, 8]];
    // 2 of 4 (the missing fourth is wrong) + 2 of 2 (extra tokens ignored) = 4 / 6.
    assert!((token_accuracy(&outs, &refs) - 4.0 / 6.0).abs() < 1e-12);
    assert_eq!(token_accuracy(&refs, &refs), 1.0);
    assert_eq!(token_accuracy(&[vec![]], &[vec![]]), 0.0);
    assert_eq!(
        token_accuracy(&[vec![2, 1]], &[vec![1, 2]]),
        0.0,
        "position-wise, not a bag of tokens"
    );
    let (outs, refs) = (
        vec![vec![3, 4, 5], vec![6], vec![]],
        vec![vec![3, 5, 5, 7], vec![6, 6], vec![8]],
    );
    let library = kindling_metrics::metrics::text::token_accuracy(&outs, &refs);
    assert!(
        (token_accuracy(&outs, &refs) - library).abs() < 1e-12,
        "the same as kindling_metrics"
    );
}
