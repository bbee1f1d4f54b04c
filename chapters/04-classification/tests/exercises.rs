//! The checks of chapter 4's exercises. `cargo test -p ch04-classification
//! --features learner` runs them against your `src/exercises.rs`; without the
//! feature, against the solutions. Every test name starts with its exercise number
//! (`ex4_3_...` checks exercise 4.3).

use ch04_classification::checked::*;
use ch04_classification::{binary_loss, circles_data, train_classifier};
use kindling_autograd::Variable;
use kindling_nn::{
    binary_cross_entropy_with_logits, cross_entropy, Forward, Module, Reduction,
};
use kindling_tensor::{Rng, Tensor};
use kindling_train::ConfusionMatrix;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn ex4_1_log_sigmoid() {
    // σ(0.2) = 0.5498339973 (the course's fixture).
    assert!(close(log_sigmoid(0.2), 0.5498339973f64.ln(), 1e-9));
    assert!(close(log_sigmoid(0.0), -std::f64::consts::LN_2, 1e-15));
    // ln σ(z) → 0 for large z and → z for very negative z: no −∞, no NaN.
    assert!(log_sigmoid(1000.0) == 0.0 || log_sigmoid(1000.0).abs() < 1e-300);
    assert!(
        close(log_sigmoid(-1000.0), -1000.0, 1e-15),
        "ln σ(−1000) = {}",
        log_sigmoid(-1000.0)
    );
    assert!(close(log_sigmoid(-40.0), -40.0 - (-40f64).exp(), 1e-15));
}

#[test]
fn ex4_1_log_softmax() {
    let l = log_softmax(&[2.0, 1.0, 0.1]);
    assert!(
        close(l[1], -1.4170300163, 1e-9),
        "−ln s₁ is the fixture's cross-entropy, got {}",
        -l[1]
    );
    assert!(close(l.iter().map(|v| v.exp()).sum::<f64>(), 1.0, 1e-12));
    let l = log_softmax(&[1000.0, 0.0, -1000.0]);
    assert!(l.iter().all(|v| v.is_finite()), "{l:?}");
    assert!(
        close(l[0], 0.0, 1e-12)
            && close(l[1], -1000.0, 1e-12)
            && close(l[2], -2000.0, 1e-12),
        "{l:?}"
    );
}

#[test]
fn ex4_2_accuracy_of_multi_class_logits() {
    let logits = Tensor::from([
        [2.0f32, 0.1, -1.0],
        [0.0, 0.5, 0.2],
        [0.3, 0.2, 0.9],
        [5.0, 4.0, 3.0],
    ]);
    assert_eq!(accuracy_from_logits(&logits, &Tensor::from([0i64, 1, 2, 1])), 0.75);
    assert_eq!(accuracy_from_logits(&logits, &Tensor::from([0i64, 1, 2, 0])), 1.0);
}

#[test]
fn ex4_2_accuracy_of_a_binary_head() {
    // One logit per sample: positive means class 1 (σ(z) > ½), whatever its size.
    let logits = Tensor::from([[3.0f32], [-0.2], [0.1], [-7.0], [0.01]]);
    assert_eq!(
        accuracy_from_logits(&logits, &Tensor::from([1i64, 0, 1, 0, 1])),
        1.0
    );
    assert_eq!(
        accuracy_from_logits(&logits, &Tensor::from([1i64, 1, 0, 0, 1])),
        0.6
    );
}

#[test]
fn ex4_3_bce_with_logits_fixture() {
    // z = 0.2, y = 1: ŷ = 0.5498339973, L = −ln ŷ, ∂L/∂z = ŷ − y.
    let (loss, grad) = bce_with_logits(&[0.2], &[1.0]);
    assert!(close(loss, -0.5498339973f64.ln(), 1e-9), "loss {loss}");
    assert!(close(grad[0], -0.4501660027, 1e-9), "∂L/∂z = ŷ − y, got {}", grad[0]);
}

#[test]
fn ex4_3_bce_with_logits_matches_the_library_and_stays_finite() {
    let z = [0.3, -2.0, 4.0, 0.0, -0.7, 12.0];
    let y = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
    let (loss, grad) = bce_with_logits(&z, &y);
    let zv = Variable::param(Tensor::from(z));
    let lib = binary_cross_entropy_with_logits(
        &zv,
        &Tensor::from(y),
        None,
        None,
        Reduction::Mean,
    );
    lib.backward();
    assert!(close(loss, lib.item(), 1e-12), "{loss} vs {}", lib.item());
    for (mine, theirs) in grad.iter().zip(zv.grad().unwrap().to_vec()) {
        assert!(
            close(*mine, theirs, 1e-12),
            "gradient {mine} vs {theirs} (remember the 1/N)"
        );
    }
    // Confidently wrong: a loss of about 1000, and the largest possible gradient,
    // ±1/N.
    let (loss, grad) = bce_with_logits(&[1000.0, -1000.0], &[0.0, 1.0]);
    assert!(close(loss, 1000.0, 1e-12), "loss {loss}");
    assert!(close(grad[0], 0.5, 1e-12) && close(grad[1], -0.5, 1e-12), "{grad:?}");
    // Confidently right: nothing to learn.
    let (loss, grad) = bce_with_logits(&[1000.0, -1000.0], &[1.0, 0.0]);
    assert!(
        loss == 0.0 && grad.iter().all(|g| g.abs() < 1e-300),
        "{loss} {grad:?}"
    );
}

#[test]
fn ex4_4_cross_entropy_gradient_fixture() {
    // F.cross_entropy([[0.2, −1.0], [1.5, 0.3]], [0, 1]) with mean reduction.
    let g = cross_entropy_gradient(&[vec![0.2, -1.0], vec![1.5, 0.3]], &[0, 1]);
    let want = [[-0.1157376083, 0.1157376083], [0.3842623917, -0.3842623917]];
    for (i, row) in want.iter().enumerate() {
        for (k, w) in row.iter().enumerate() {
            assert!(
                (g[i][k] - w).abs() < 1e-9,
                "∂L/∂z[{i}][{k}] = {}, expected {w}",
                g[i][k]
            );
        }
    }
}

#[test]
fn ex4_4_cross_entropy_gradient_matches_autograd() {
    let logits = vec![
        vec![2.0, 1.0, 0.1],
        vec![-1.0, 3.0, 0.5],
        vec![0.0, 0.0, 0.0],
        vec![700.0, -700.0, 0.0],
    ];
    let labels = [1usize, 1, 2, 0];
    let g = cross_entropy_gradient(&logits, &labels);
    let z = Variable::param(Tensor::from_vec(logits.concat(), [4, 3]));
    cross_entropy(&z, &Tensor::from([1i64, 1, 2, 0])).backward();
    let want = z.grad().unwrap().to_vec();
    for (mine, theirs) in g.concat().iter().zip(want) {
        assert!(
            mine.is_finite() && (mine - theirs).abs() < 1e-12,
            "{mine} vs {theirs}"
        );
    }
    for row in &g {
        assert!(
            row.iter().sum::<f64>().abs() < 1e-12,
            "every row of softmax − one-hot sums to 0"
        );
    }
}

#[test]
fn ex4_5_two_layer_net_structure() {
    let net = TwoLayerNet::new(2, 16, 3, &mut Rng::seed(0));
    let names: Vec<String> =
        net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    );
    assert_eq!(net.num_parameters(), 2 * 16 + 16 + 16 * 3 + 3);
    let out = net.forward(&Variable::constant(Tensor::<f32>::randn(
        [5, 2],
        &mut Rng::seed(1),
    )));
    assert_eq!(out.shape(), [5, 3]);
    // A ReLU between the layers: for inputs whose hidden pre-activations are all
    // negative, the output is exactly the output layer's bias.
    let neg = TwoLayerNet::new(1, 4, 1, &mut Rng::seed(2));
    let w = Tensor::from([[1.0f32], [2.0], [0.5], [3.0]]);
    neg.hidden.weight.set_value(w);
    neg.hidden.bias.as_ref().unwrap().set_value(Tensor::zeros([4]));
    let y = neg.forward(&Variable::constant(Tensor::from([[-1.0f32]])));
    assert_eq!(y.item(), neg.output.bias.as_ref().unwrap().value().item());
}

#[test]
fn ex4_5_two_layer_net_learns_circles() {
    let data = circles_data(3);
    let net = TwoLayerNet::new(2, 32, 1, &mut Rng::seed(4));
    let history = train_classifier(&net, &data, binary_loss, 0.02, 25, 5);
    let acc = history.last("val_accuracy").unwrap();
    assert!(
        acc > 0.95,
        "test accuracy {acc}: is there a non-linearity between the layers?"
    );
}

#[test]
fn ex4_6_confusion_matrix() {
    let actual = [0i64, 0, 1, 1, 1, 2, 2, 2, 2];
    let predicted = [0i64, 1, 1, 1, 2, 2, 2, 0, 2];
    assert_eq!(
        confusion_matrix(&actual, &predicted, 3),
        [vec![1, 1, 0], vec![0, 2, 1], vec![1, 0, 3]]
    );
    let mut rng = Rng::seed(6);
    let a = Tensor::<i64>::randint(0, 4, [200], &mut rng).to_vec();
    let p = Tensor::<i64>::randint(0, 4, [200], &mut rng).to_vec();
    assert_eq!(
        confusion_matrix(&a, &p, 4),
        ConfusionMatrix::from_labels(&a, &p, 4).rows()
    );
    // A class that never occurs still gets its (empty) row and column.
    assert_eq!(
        confusion_matrix(&[0, 0], &[0, 1], 3),
        [vec![1, 1, 0], vec![0, 0, 0], vec![0, 0, 0]]
    );
}

#[test]
fn ex4_7_precision_recall_f1() {
    let m = vec![vec![1u64, 1, 0], vec![0, 2, 1], vec![1, 0, 3]];
    let (p, r, f) = precision_recall_f1(&m, 2);
    assert!(
        close(p, 0.75, 1e-12) && close(r, 0.75, 1e-12) && close(f, 0.75, 1e-12),
        "{p} {r} {f}"
    );
    let (p, r, f) = precision_recall_f1(&m, 0);
    assert!(close(p, 0.5, 1e-12) && close(r, 0.5, 1e-12) && close(f, 0.5, 1e-12));
    let (p, r, _) = precision_recall_f1(&m, 1);
    assert!(close(p, 2.0 / 3.0, 1e-12) && close(r, 2.0 / 3.0, 1e-12));
    // Never predicted and never present: 0, not NaN.
    assert_eq!(precision_recall_f1(&[vec![3, 0], vec![0, 0]], 1), (0.0, 0.0, 0.0));
    let mut rng = Rng::seed(7);
    let a = Tensor::<i64>::randint(0, 3, [300], &mut rng).to_vec();
    let pr = Tensor::<i64>::randint(0, 3, [300], &mut rng).to_vec();
    let lib = ConfusionMatrix::from_labels(&a, &pr, 3);
    let rows = lib.rows();
    for c in 0..3 {
        let (p, r, f) = precision_recall_f1(&rows, c);
        assert!(
            close(p, lib.precision(c), 1e-12)
                && close(r, lib.recall(c), 1e-12)
                && close(f, lib.f1(c), 1e-12)
        );
    }
    assert!(close(
        macro_f1(&rows),
        lib.f1_average(kindling_train::Average::Macro),
        1e-12
    ));
}
