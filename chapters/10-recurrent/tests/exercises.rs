//! The checks of chapter 10's exercises. `cargo test -p ch10-recurrent --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex10_3_...`
//! checks exercise 10.3).

use ch10_recurrent::checked::*;
use ch10_recurrent::{HandRnn, RawWeights};
use kindling_autograd::{gradcheck, Variable};
use kindling_nn::Module;
use kindling_sequence::forecast::sliding_windows;
use kindling_sequence::{GruCell, LstmCell};
use kindling_tensor::{Rng, Tensor};

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol,
        "{what}: got {a}, expected {b} (tolerance {tol})"
    );
}

fn close_all(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: {} values, expected {}",
        a.len(),
        b.len()
    );
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        close(x, y, tol, &format!("{what}[{i}]"));
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn scalar(v: f64) -> Variable<f64> {
    Variable::constant(Tensor::from_vec(vec![v], [1, 1]))
}

/// Raw weights for a cell with one input and one unit: zero matrices and the given
/// biases.
fn raw(gates: usize, b_ih: &[f64], b_hh: &[f64]) -> RawWeights {
    let v = |data: Vec<f64>, shape: [usize; 2]| {
        Variable::param(Tensor::from_vec(data, shape))
    };
    RawWeights {
        w_ih: v(vec![0.0; gates], [gates, 1]),
        w_hh: v(vec![0.0; gates], [gates, 1]),
        b_ih: Variable::param(Tensor::from_vec(b_ih.to_vec(), [gates])),
        b_hh: Variable::param(Tensor::from_vec(b_hh.to_vec(), [gates])),
    }
}

/// The gradients of every parameter of `module`, in order, then cleared.
fn take_grads(module: &dyn Module<f64>) -> Vec<Vec<f64>> {
    let grads = module
        .parameters()
        .iter()
        .map(|p| p.grad().expect("a gradient").to_vec())
        .collect();
    module.zero_grad();
    grads
}

#[test]
fn ex10_1_hand_computed_values() {
    // All gates at σ(0) = 1/2, candidate tanh(0) = 0: c' = c/2, h' = tanh(c')/2.
    let w = raw(4, &[0.0; 4], &[0.0; 4]);
    let (h, c) = lstm_step(&scalar(0.3), &scalar(0.0), &scalar(2.0), &w);
    close(c.value().item(), 1.0, 1e-12, "c' with every gate at 1/2");
    close(
        h.value().item(),
        0.5 * 1f64.tanh(),
        1e-12,
        "h' = tanh(1)/2 = 0.380797...",
    );
}

#[test]
fn ex10_1_gate_order_is_i_f_g_o() {
    // Distinct biases for the four blocks (split between b_ih and b_hh): i = σ(1),
    // f = σ(2), g = tanh(3), o = σ(4).
    let w = raw(4, &[0.5, 1.0, 1.5, 2.0], &[0.5, 1.0, 1.5, 2.0]);
    let (h, c) = lstm_step(&scalar(0.7), &scalar(-0.2), &scalar(0.5), &w);
    let c_new = sigmoid(2.0) * 0.5 + sigmoid(1.0) * 3f64.tanh();
    close(c.value().item(), c_new, 1e-12, "c' = f·c + i·g");
    close(h.value().item(), sigmoid(4.0) * c_new.tanh(), 1e-12, "h' = o·tanh(c')");
}

#[test]
fn ex10_1_matches_lstm_cell_values_and_gradients() {
    let mut rng = Rng::seed(10);
    let cell = LstmCell::<f64>::new(3, 5, &mut rng);
    let x = Variable::param(Tensor::randn([4, 3], &mut rng));
    let h = Variable::constant(Tensor::randn([4, 5], &mut rng));
    let c = Variable::constant(Tensor::randn([4, 5], &mut rng));
    let (rh, rc) = (
        Variable::constant(Tensor::randn([4, 5], &mut rng)),
        Variable::constant(Tensor::randn([4, 5], &mut rng)),
    );
    let (mh, mc) = lstm_step(&x, &h, &c, &RawWeights::of(&cell.weights));
    let (th, tc) = cell.forward(&x, Some((&h, &c)));
    close_all(
        &mh.value().to_vec(),
        &th.value().to_vec(),
        1e-12,
        "h' against LstmCell",
    );
    close_all(
        &mc.value().to_vec(),
        &tc.value().to_vec(),
        1e-12,
        "c' against LstmCell",
    );
    (&(&mh * &rh).sum_all() + &(&mc * &rc).sum_all()).backward();
    let (mine, mine_x) = (take_grads(&cell), x.grad().unwrap().to_vec());
    x.zero_grad();
    (&(&th * &rh).sum_all() + &(&tc * &rc).sum_all()).backward();
    let (theirs, theirs_x) = (take_grads(&cell), x.grad().unwrap().to_vec());
    close_all(&mine_x, &theirs_x, 1e-12, "∂/∂x");
    for (k, (a, b)) in mine.iter().zip(&theirs).enumerate() {
        close_all(a, b, 1e-12, &format!("gradient of parameter {k}"));
    }
}

#[test]
fn ex10_2_reset_gate_scales_the_hidden_product_and_its_bias() {
    // Zero matrices: r = σ(1), z = σ(2), n = tanh(3 + r·0.5), h' = (1 − z)·n + z·h.
    let w = raw(3, &[1.0, 2.0, 3.0], &[0.0, 0.0, 0.5]);
    let h0 = 0.4;
    let got = gru_step(&scalar(0.9), &scalar(h0), &w).value().item();
    let (r, z) = (sigmoid(1.0), sigmoid(2.0));
    let n = (3.0 + r * 0.5).tanh();
    close(
        got,
        (1.0 - z) * n + z * h0,
        1e-12,
        "h' (PyTorch: r multiplies W_hn h + b_hn)",
    );
}

#[test]
fn ex10_2_matches_gru_cell_values_and_gradients() {
    let mut rng = Rng::seed(11);
    let cell = GruCell::<f64>::new(3, 4, &mut rng);
    let x = Variable::param(Tensor::randn([5, 3], &mut rng));
    let h = Variable::param(Tensor::randn([5, 4], &mut rng));
    let r = Variable::constant(Tensor::randn([5, 4], &mut rng));
    let mine = gru_step(&x, &h, &RawWeights::of(&cell.weights));
    let theirs = cell.forward(&x, Some(&h));
    close_all(
        &mine.value().to_vec(),
        &theirs.value().to_vec(),
        1e-12,
        "h' against GruCell",
    );
    (&mine * &r).sum_all().backward();
    let (g_mine, gx, gh) =
        (take_grads(&cell), x.grad().unwrap().to_vec(), h.grad().unwrap().to_vec());
    x.zero_grad();
    h.zero_grad();
    (&theirs * &r).sum_all().backward();
    close_all(&gx, &x.grad().unwrap().to_vec(), 1e-12, "∂/∂x");
    close_all(&gh, &h.grad().unwrap().to_vec(), 1e-12, "∂/∂h");
    for (k, (a, b)) in g_mine.iter().zip(&take_grads(&cell)).enumerate() {
        close_all(a, b, 1e-12, &format!("gradient of parameter {k}"));
    }
}

#[test]
fn ex10_3_hand_computed_mean() {
    // Lengths 3 and 1: the real values are 1, 2, 3 and 4, so the mean is 2.5 (not
    // 21/6).
    let losses = Variable::param(Tensor::from_vec(
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        [2, 3],
    ));
    let m = masked_mean(&losses, &[3, 1]);
    close(m.value().item(), 2.5, 1e-12, "masked mean");
    m.backward();
    close_all(
        &losses.grad().unwrap().to_vec(),
        &[0.25, 0.25, 0.25, 0.25, 0.0, 0.0],
        1e-12,
        "gradient",
    );
}

#[test]
fn ex10_3_padding_changes_nothing() {
    let mut rng = Rng::seed(12);
    let lengths = [4, 2, 5];
    let base = Tensor::<f64>::randn([3, 5], &mut rng);
    // The same real values with huge numbers in the padding.
    let mut noisy = base.to_vec();
    for (b, &l) in lengths.iter().enumerate() {
        for t in l..5 {
            noisy[b * 5 + t] = 1e6;
        }
    }
    let a = masked_mean(&Variable::constant(base.clone()), &lengths).value().item();
    let b =
        masked_mean(&Variable::constant(Tensor::from_vec(noisy, [3, 5])), &lengths)
            .value()
            .item();
    close(a, b, 1e-12, "value with garbage in the padding");
    let mask: Tensor<f64> = kindling_sequence::sequence_mask(&lengths, 5, true);
    let expected: f64 =
        base.to_vec().iter().zip(mask.to_vec()).map(|(v, m)| v * m).sum::<f64>()
            / 11.0;
    close(a, expected, 1e-12, "against sequence_mask");
}

#[test]
fn ex10_4_hand_computed_windows() {
    let (x, y) = windows(&[0.0, 1.0, 2.0, 3.0, 4.0], 2, 2);
    assert_eq!(x, vec![vec![0.0, 1.0], vec![1.0, 2.0]], "inputs");
    assert_eq!(y, vec![vec![2.0, 3.0], vec![3.0, 4.0]], "targets");
    let (x, y) = windows(&[0.0, 1.0, 2.0], 3, 1);
    assert!(
        x.is_empty() && y.is_empty(),
        "a series shorter than window + horizon has no pairs"
    );
}

#[test]
fn ex10_4_matches_sliding_windows() {
    let series: Vec<f64> = Tensor::<f64>::randn([40], &mut Rng::seed(13)).to_vec();
    let (x, y) = windows(&series, 7, 3);
    let (tx, ty) =
        sliding_windows(&Tensor::from_vec(series.clone(), [40, 1]), 7, 3, &[0]);
    assert_eq!(x.len(), 31, "40 − 7 − 3 + 1 windows");
    close_all(&x.concat(), &tx.to_vec(), 0.0, "inputs against sliding_windows");
    close_all(&y.concat(), &ty.to_vec(), 0.0, "targets against sliding_windows");
}

#[test]
fn ex10_5_hand_computed_two_steps() {
    // One unit: h1 = tanh(a x0), h2 = tanh(a x1 + w h1), L = r h2.
    let (a, w_, r, x0, x1) = (0.8, -1.3, 2.0, 0.5, -0.7);
    let rnn = HandRnn::<f64> {
        w_xh: Variable::param(Tensor::from_vec(vec![a], [1, 1])),
        w_hh: Variable::param(Tensor::from_vec(vec![w_], [1, 1])),
        b: Variable::param(Tensor::from_vec(vec![0.0], [1])),
    };
    let x = Tensor::from_vec(vec![x0, x1], [2, 1, 1]);
    let norms = input_grad_norms(&rnn, &x, &Tensor::from_vec(vec![r], [1, 1]));
    let h1 = (a * x0).tanh();
    let h2 = (a * x1 + w_ * h1).tanh();
    let d1 = r * (1.0 - h2 * h2) * a;
    let d0 = r * (1.0 - h2 * h2) * w_ * (1.0 - h1 * h1) * a;
    close_all(&norms, &[d0.abs(), d1.abs()], 1e-12, "‖∂L/∂x_t‖");
}

#[test]
fn ex10_5_matches_the_fused_layer_and_vanishes() {
    let mut rng = Rng::seed(14);
    let rnn = HandRnn::<f64>::new(3, 16, &mut rng);
    let x = Tensor::<f64>::randn([30, 4, 3], &mut rng);
    let readout = Tensor::<f64>::randn([4, 16], &mut rng);
    let norms = input_grad_norms(&rnn, &x, &readout);
    // The same gradients from Kindling's fused Rnn layer.
    let layer = rnn.to_layer();
    let xv = Variable::param(x.clone());
    let (y, _) = layer.forward_with_state(&xv, None);
    (&y.select(0, 29) * &Variable::constant(readout)).sum_all().backward();
    let fused: Vec<f64> = xv
        .grad()
        .unwrap()
        .to_vec()
        .chunks(12)
        .map(|g| g.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    assert_eq!(norms.len(), 30, "one norm per step");
    for (t, (a, b)) in norms.iter().zip(&fused).enumerate() {
        assert!(
            (a - b).abs() <= 1e-9 * b.max(1e-300),
            "step {t}: {a:e} against the fused layer's {b:e}"
        );
    }
    assert!(
        norms[0] < 1e-3 * norms[29],
        "the first step's gradient {:e} should be far below the last's {:e}",
        norms[0],
        norms[29]
    );
}

#[test]
fn ex10_6_softmax_with_temperature() {
    // The course's softmax example at temperature 1.
    let p = softmax_with_temperature(&[2.0, 1.0, 0.1], 1.0);
    close_all(
        &p,
        &[0.659_001_138_9, 0.242_432_970_7, 0.098_565_890_4],
        1e-9,
        "T = 1",
    );
    // At T = 1/2 the logits double: e^4, e^2, e^0.2 normalised.
    let e = [4f64.exp(), 2f64.exp(), 0.2f64.exp()];
    let s: f64 = e.iter().sum();
    close_all(
        &softmax_with_temperature(&[2.0, 1.0, 0.1], 0.5),
        &[e[0] / s, e[1] / s, e[2] / s],
        1e-12,
        "T = 1/2",
    );
    let flat = softmax_with_temperature(&[2.0, 1.0, 0.1], 1e6);
    close_all(&flat, &[1.0 / 3.0; 3], 1e-6, "a huge temperature is almost uniform");
    let big = softmax_with_temperature(&[1000.0, 999.0], 1.0);
    close_all(
        &big,
        &[0.731_058_578_6, 0.268_941_421_4],
        1e-9,
        "large logits must not overflow",
    );
}

#[test]
fn ex10_6_sampling_by_inverse_cdf_and_greedy() {
    let logits = [2.0, 1.0, 0.1];
    // Cumulative probabilities 0.659, 0.901, 1.
    assert_eq!(sample_with_temperature(&logits, 1.0, 0.5), 0);
    assert_eq!(sample_with_temperature(&logits, 1.0, 0.7), 1);
    assert_eq!(sample_with_temperature(&logits, 1.0, 0.95), 2);
    // Temperature 0: the arg max whatever u is, the first one on a tie.
    assert_eq!(sample_with_temperature(&logits, 0.0, 0.99), 0);
    assert_eq!(sample_with_temperature(&[1.0, 3.0, 3.0], 0.0, 0.0), 1);
    // A low temperature makes the likeliest token win almost every draw.
    assert_eq!(sample_with_temperature(&logits, 0.1, 0.99), 0);
}

#[test]
fn ex10_7_hand_computed_mix() {
    let h0 = Variable::constant(Tensor::from_vec(vec![1.0, 2.0], [2]));
    let h1 = Variable::constant(Tensor::from_vec(vec![3.0, 4.0], [2]));
    let equal = Variable::constant(Tensor::from_vec(vec![0.0, 0.0], [2]));
    let gamma = Variable::constant(Tensor::from_vec(vec![2.0], [1]));
    let y = scalar_mix(&[h0.clone(), h1.clone()], &equal, &gamma);
    close_all(&y.value().to_vec(), &[4.0, 6.0], 1e-12, "equal weights, γ = 2");
    // Scores (ln 3, 0) give weights 3/4 and 1/4.
    let s = Variable::constant(Tensor::from_vec(vec![3f64.ln(), 0.0], [2]));
    let one = Variable::constant(Tensor::from_vec(vec![1.0], [1]));
    close_all(
        &scalar_mix(&[h0, h1], &s, &one).value().to_vec(),
        &[1.5, 2.5],
        1e-12,
        "weights 3/4, 1/4",
    );
}

#[test]
fn ex10_7_gradients_check() {
    let mut rng = Rng::seed(15);
    let inputs = vec![
        Tensor::<f64>::randn([2, 3], &mut rng),
        Tensor::randn([2, 3], &mut rng),
        Tensor::randn([2, 3], &mut rng),
        Tensor::randn([3], &mut rng),
        Tensor::from_vec(vec![1.5], [1]),
    ];
    gradcheck("scalar_mix", &inputs, |v| {
        scalar_mix(&v[..3], &v[3], &v[4]).square().sum_all()
    });
}
