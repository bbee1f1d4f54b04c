//! The course's exact autograd examples (INVENTORY.md section 3, #12-#18) and a two-layer
//! network whose gradients are checked against backpropagation written out by hand.

use kindling_autograd::Variable;
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};

/// Values derived exactly (INVENTORY.md section 3) are checked to 1e-9.
const EXACT: Tolerance = Tolerance { atol: 1e-9, rtol: 0.0 };

fn scalar(v: f64) -> Variable<f64> {
    Variable::param(Tensor::scalar(v))
}

#[test]
fn fixture_12_chain_rule_on_a_polynomial() {
    // y = (3x² + 1)² at x = 2 → 169; dy/dx = 2(3x² + 1)·6x = 312.
    let x = scalar(2.0);
    let y = (&(&x.square() * 3.0) + 1.0).square();
    y.backward();
    assert_eq!(y.item(), 169.0);
    assert_eq!(x.grad().unwrap().item(), 312.0);
}

#[test]
fn fixture_13_chain_rule_through_sine() {
    // d/dx sin(5x³) = cos(5x³)·15x²; at x = 1 that is 15·cos 5.
    let x = scalar(1.0);
    (&x.powf(3.0) * 5.0).sin().backward();
    let expected = 15.0 * 5f64.cos();
    assert!(EXACT.accepts(x.grad().unwrap().item(), expected));
    assert!(EXACT.accepts(expected, 4.254932781948));
}

#[test]
fn fixture_14_softmax_jacobian() {
    // Row i of the Jacobian is the gradient of softmax(z)[i]: backpropagate a one-hot.
    let z = Variable::param(Tensor::from([2.0f64, 1.0, 0.1]));
    let s = z.softmax(0);
    assert_close(&s.value(), &Tensor::from([0.6590011389, 0.2424329707, 0.0985658904]), EXACT);
    let expected = [
        [0.2247186378, -0.1597636038, -0.0649550340],
        [-0.1597636038, 0.1836592254, -0.0238956216],
        [-0.0649550340, -0.0238956216, 0.0888506557],
    ];
    for (i, row) in expected.iter().enumerate() {
        z.zero_grad();
        let mut onehot = [0.0; 3];
        onehot[i] = 1.0;
        s.backward_retaining_graph(&Tensor::from(onehot));
        assert_close(&z.grad().unwrap(), &Tensor::from(*row), EXACT);
    }
    // The seed's printed row 1 (3 decimals).
    assert_close(&Tensor::from(expected[0]), &Tensor::from([0.225, -0.160, -0.065]), Tolerance::PRINTED);
}

/// Binary cross-entropy on a logit, in its stable form: max(z, 0) − z·y + ln(1 + e^−|z|).
fn bce_with_logits(z: &Variable<f64>, y: f64) -> Variable<f64> {
    &(&z.relu() - &(z * y)) + &(-z.abs()).exp().log1p()
}

#[test]
fn fixture_16_bce_with_logits_gradient() {
    // Logit z = w·x with x = 0.7 and z = 0.2, label 1: ∂L/∂z = σ(z) − y, ∂L/∂w = (σ(z) − y)·x.
    let x = 0.7;
    let w = scalar(0.2 / x);
    let z = &w * x;
    z.retain_grad();
    let loss = bce_with_logits(&z, 1.0);
    loss.backward();
    assert!(EXACT.accepts(z.value().sigmoid().item(), 0.5498339973));
    assert!(EXACT.accepts(z.grad().unwrap().item(), -0.4501660027));
    assert!(EXACT.accepts(w.grad().unwrap().item(), -0.3151162019));
    assert!(Tolerance::PRINTED.accepts(z.grad().unwrap().item(), -0.450));
}

/// Mean cross-entropy of logits `[n, classes]` against class indices.
fn cross_entropy(logits: &Variable<f64>, labels: &[i64]) -> Variable<f64> {
    let index = Tensor::from_vec(labels.to_vec(), [labels.len(), 1]);
    -logits.log_softmax(-1).gather(1, &index).mean_all()
}

#[test]
fn fixture_17_cross_entropy_of_one_sample() {
    // y_true = [0, 1, 0] is class index 1 (0-based; the notes call it "class 2").
    let z = Variable::param(Tensor::from([[2.0f64, 1.0, 0.1]]));
    let loss = cross_entropy(&z, &[1]);
    assert!(EXACT.accepts(loss.item(), 1.4170300163));
}

#[test]
fn fixture_18_cross_entropy_gradient_of_two_samples() {
    // Mean reduction: ∂L/∂logits = (softmax − one_hot)/N (the notes drop the 1/N).
    let z = Variable::param(Tensor::from([[0.2f64, -1.0], [1.5, 0.3]]));
    let loss = cross_entropy(&z, &[0, 1]);
    loss.backward();
    assert!(EXACT.accepts(loss.item(), 0.8632824673));
    let expected = Tensor::from([[-0.1157376083, 0.1157376083], [0.3842623917, -0.3842623917]]);
    assert_close(&z.grad().unwrap(), &expected, EXACT);
}

#[test]
fn activation_derivatives_at_zero() {
    // INVENTORY #20: σ'(0) = 1/4 exactly, tanh'(0) = 1 (not ≤ 1/4 as the notes claim), and
    // #21: LeakyReLU(α = 0.01) gives −0.02 at −2 and 3 at 3.
    let x = scalar(0.0);
    x.sigmoid().backward();
    assert_eq!(x.grad().unwrap().item(), 0.25);
    let x = scalar(0.0);
    x.tanh().backward();
    assert_eq!(x.grad().unwrap().item(), 1.0);
    let v = Variable::param(Tensor::from([-2.0f64, 3.0]));
    let y = v.leaky_relu(0.01);
    assert_close(&y.value(), &Tensor::from([-0.02, 3.0]), Tolerance::STRICT);
    y.sum_all().backward();
    assert_close(&v.grad().unwrap(), &Tensor::from([0.01, 1.0]), Tolerance::STRICT);
}

#[test]
fn two_layer_network_matches_hand_written_backpropagation() {
    // x [n, d] → z1 = x·W1 + b1 → a1 = σ(z1) → z2 = a1·W2 + b2 → mean cross-entropy.
    let (n, d, h, c) = (5, 4, 3, 2);
    let mut rng = Rng::seed(11);
    let x = Tensor::<f64>::randn([n, d], &mut rng);
    let labels = [0i64, 1, 1, 0, 1];
    let w1 = Variable::param(Tensor::randn([d, h], &mut rng));
    let b1 = Variable::param(Tensor::randn([h], &mut rng));
    let w2 = Variable::param(Tensor::randn([h, c], &mut rng));
    let b2 = Variable::param(Tensor::randn([c], &mut rng));
    let xv = Variable::constant(x.clone());
    let z1 = &xv.matmul(&w1) + &b1;
    let a1 = z1.sigmoid();
    let z2 = &a1.matmul(&w2) + &b2;
    cross_entropy(&z2, &labels).backward();

    // By hand, one row per sample (so the course's δ aᵀ becomes aᵀ·δ for a batch):
    //   δ2 = (softmax(z2) − one_hot(y)) / n          output layer, fused softmax + CE
    //   ∂W2 = a1ᵀ·δ2,  ∂b2 = Σ_rows δ2
    //   δ1 = (δ2·W2ᵀ) ⊙ σ'(z1),  σ' = σ(1 − σ)       the error sent back one layer
    //   ∂W1 = xᵀ·δ1,   ∂b1 = Σ_rows δ1
    let (z1v, a1v, z2v) = (z1.value(), a1.value(), z2.value());
    let mut onehot = Tensor::<f64>::zeros([n, c]);
    onehot = onehot.scatter_add(1, &Tensor::from_vec(labels.to_vec(), [n, 1]), &Tensor::ones([n, 1]));
    let delta2 = &(&z2v.softmax(-1) - &onehot) / n as f64;
    let dw2 = a1v.t().matmul(&delta2);
    let db2 = delta2.sum(0, false);
    let sigma = z1v.sigmoid();
    let delta1 = &delta2.matmul(&w2.value().t()) * &(&sigma * &(1.0 - &sigma));
    let dw1 = x.t().matmul(&delta1);
    let db1 = delta1.sum(0, false);

    for (name, param, expected) in [("W1", &w1, dw1), ("b1", &b1, db1), ("W2", &w2, dw2), ("b2", &b2, db2)] {
        let got = param.grad().unwrap_or_else(|| panic!("{name} has no gradient"));
        assert!(got.allclose(&expected, Tolerance::STRICT), "{name}: autograd {got} vs by hand {expected}");
    }
}
