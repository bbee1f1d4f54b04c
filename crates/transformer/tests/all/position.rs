//! Positional encodings: the course's sinusoidal fixture (#32), offsets, the learned table's
//! gradient, and the two properties that make rotary embeddings work.

use kindling_autograd::Variable;
use kindling_nn::Module;
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};
use kindling_transformer::position::{LearnedPositions, Rotary, SinusoidalEncoding};

#[test]
fn sinusoidal_table_matches_course_fixture_32() {
    let table = SinusoidalEncoding::<f64>::new(2, 4).table();
    // Position 0: sin 0 = 0 and cos 0 = 1 in every pair.
    // Position 1: sin 1, cos 1, sin(1/100), cos(1/100) (the second pair turns 100× slower).
    let expected = Tensor::from_vec(vec![0.0, 1.0, 0.0, 1.0, 0.841471, 0.540302, 0.0099998, 0.99995], [2, 4]);
    assert_close(&table, &expected, Tolerance { atol: 1e-6, rtol: 0.0 });
}

#[test]
fn sinusoidal_forward_adds_the_rows_from_the_offset() {
    let pe = SinusoidalEncoding::<f64>::new(10, 6);
    let x = Tensor::randn([2, 3, 6], &mut Rng::seed(3));
    let y = pe.forward(&Variable::constant(x.clone()), 4).value();
    let rows = pe.table().narrow(0, 4, 3);
    assert_close(&y, &(&x + &rows), Tolerance::STRICT);
    assert_eq!(pe.num_parameters(), 0);
    // An odd width ends with a sine column.
    assert_eq!(SinusoidalEncoding::<f64>::new(3, 5).table().shape(), [3, 5]);
}

#[test]
#[should_panic(expected = "SinusoidalEncoding: positions 8..12 do not fit the table of max_len 10")]
fn sinusoidal_rejects_positions_past_the_table() {
    let pe = SinusoidalEncoding::<f64>::new(10, 4);
    pe.forward(&Variable::constant(Tensor::zeros([1, 4, 4])), 8);
}

#[test]
#[should_panic(expected = "SinusoidalEncoding: input of shape [4, 6] must be [B, T, d_model] with d_model = 4")]
fn sinusoidal_rejects_a_wrong_width() {
    SinusoidalEncoding::<f64>::new(10, 4).forward(&Variable::constant(Tensor::zeros([4, 6])), 0);
}

#[test]
fn learned_positions_train_only_the_rows_used() {
    let pos = LearnedPositions::<f64>::new(8, 3, &mut Rng::seed(0));
    assert_eq!(pos.named_parameters()[0].0, "weight");
    let x = Variable::param(Tensor::zeros([2, 3, 3]));
    let y = pos.forward(&x, 2);
    assert_close(&y.value().select(0, 1), &pos.weight.value().narrow(0, 2, 3), Tolerance::STRICT);
    y.sum_all().backward();
    let grad = pos.weight.grad().unwrap();
    // Rows 2, 3, 4 were added to both sequences of the batch: gradient 2; the others 0.
    let rows: Vec<f64> = (0..8).map(|r| grad.select(0, r).to_vec()[0]).collect();
    assert_eq!(rows, [0.0, 0.0, 2.0, 2.0, 2.0, 0.0, 0.0, 0.0]);
}

#[test]
#[should_panic(expected = "LearnedPositions: positions 6..9 do not fit the table of max_len 8")]
fn learned_positions_reject_positions_past_the_table() {
    LearnedPositions::<f64>::new(8, 3, &mut Rng::seed(0)).forward(&Variable::constant(Tensor::zeros([1, 3, 3])), 6);
}

fn norms(x: &Tensor<f64>) -> Tensor<f64> {
    x.square().sum(-1, false).sqrt()
}

#[test]
fn rotary_keeps_every_vector_length() {
    let rope = Rotary::<f64>::new(8, 64, 10000.0);
    let x = Tensor::randn([2, 3, 5, 8], &mut Rng::seed(4));
    let y = rope.apply(&Variable::constant(x.clone()), 7).value();
    assert_close(&norms(&y), &norms(&x), Tolerance { atol: 1e-12, rtol: 1e-12 });
    // Position 0 is not rotated at all.
    let at_zero = rope.apply(&Variable::constant(x.narrow(2, 0, 1)), 0).value();
    assert_close(&at_zero, &x.narrow(2, 0, 1), Tolerance::STRICT);
}

#[test]
fn rotary_scores_depend_only_on_the_relative_offset() {
    let rope = Rotary::<f64>::new(6, 64, 100.0);
    let mut rng = Rng::seed(5);
    let (q, k) = (Tensor::randn([1, 1, 1, 6], &mut rng), Tensor::randn([1, 1, 1, 6], &mut rng));
    let score = |m: usize, n: usize| {
        let qm = rope.apply(&Variable::constant(q.clone()), m).value();
        let kn = rope.apply(&Variable::constant(k.clone()), n).value();
        (&qm * &kn).sum_all()
    };
    let plain = (&q * &k).sum_all();
    for (m, n) in [(3, 1), (10, 8), (40, 38)] {
        assert!((score(m, n) - score(2, 0)).abs() < 1e-10, "q·k at ({m}, {n}) differs from (2, 0)");
    }
    assert!((score(5, 5) - plain).abs() < 1e-10, "equal positions give the unrotated score");
    assert!((score(3, 1) - plain).abs() > 1e-3, "a nonzero offset changes the score");
}

#[test]
fn rotary_with_an_offset_equals_the_slice_of_a_longer_run() {
    // What a KV cache relies on: rotating tokens 4..7 alone at offset 4 gives the same
    // vectors as rotating 0..7 and keeping 4..7.
    let rope = Rotary::<f64>::new(4, 16, 10000.0);
    let x = Tensor::randn([2, 2, 7, 4], &mut Rng::seed(6));
    let whole = rope.apply(&Variable::constant(x.clone()), 0).value().narrow(2, 4, 3);
    let part = rope.apply(&Variable::constant(x.narrow(2, 4, 3)), 4).value();
    assert_close(&part, &whole, Tolerance::STRICT);
}

#[test]
fn rotary_is_differentiable() {
    let rope = Rotary::<f64>::new(4, 8, 10000.0);
    let x = Tensor::randn([1, 2, 3, 4], &mut Rng::seed(7));
    kindling_autograd::gradcheck::gradcheck("Rotary::apply", &[x], |v| rope.apply(&v[0], 2));
}

#[test]
#[should_panic(expected = "Rotary: head_dim 5 must be even and positive")]
fn rotary_needs_an_even_head_dim() {
    Rotary::<f64>::new(5, 8, 10000.0);
}

#[test]
#[should_panic(expected = "Rotary: input of shape [2, 3, 8] must be [B, H, T, D] with D = 8")]
fn rotary_needs_four_axes() {
    Rotary::<f64>::new(8, 8, 10000.0).apply(&Variable::constant(Tensor::zeros([2, 3, 8])), 0);
}

#[test]
#[should_panic(expected = "Rotary: positions 6..9 do not fit the table of max_len 8")]
fn rotary_rejects_positions_past_the_table() {
    Rotary::<f64>::new(4, 8, 10000.0).apply(&Variable::constant(Tensor::zeros([1, 1, 3, 4])), 6);
}
