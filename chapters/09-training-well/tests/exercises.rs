//! The checks of chapter 9's exercises. `cargo test -p ch09-training-well
//! --features learner` runs them against your `src/exercises.rs`; without the
//! feature, against the solutions. Every test name starts with its exercise number
//! (`ex9_3_...` checks exercise 9.3).

use ch09_training_well::checked::*;
use ch09_training_well::std_of;
use kindling_autograd::{gradcheck, Variable};
use kindling_nn::init::{self, FanMode, Nonlinearity};
use kindling_nn::{BatchNorm1d, Forward, Module, RMSNorm};
use kindling_optim::clip_grad_norm;
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

#[test]
fn ex9_1_hand_computed_stds() {
    // √2 / √512 = √(2/512) = 1/16.
    close(kaiming_std(512, 2f64.sqrt()), 0.0625, 1e-12, "kaiming_std(512, √2)");
    // tanh's gain 5/3 over √9 = 3.
    close(kaiming_std(9, 5.0 / 3.0), 5.0 / 9.0, 1e-12, "kaiming_std(9, 5/3)");
    // √(2/400) = √0.005.
    close(
        xavier_std(100, 300, 1.0),
        0.070_710_678_118_654_75,
        1e-12,
        "xavier_std(100, 300, 1)",
    );
    close(xavier_std(25, 25, 2.0), 0.4, 1e-12, "xavier_std(25, 25, 2)");
}

#[test]
fn ex9_1_matches_the_library_initialisers() {
    let mut rng = Rng::seed(9);
    let w: Tensor<f64> = init::kaiming_normal(
        [256, 512],
        FanMode::FanIn,
        Nonlinearity::Relu,
        &mut rng,
    );
    let sample = std_of(&w.to_vec().iter().map(|&v| v as f32).collect::<Vec<_>>());
    close(
        sample,
        kaiming_std(512, init::gain(Nonlinearity::Relu)),
        0.002,
        "std of kaiming_normal([256, 512])",
    );
    let w: Tensor<f64> = init::xavier_normal([128, 384], 1.0, &mut rng);
    let sample = std_of(&w.to_vec().iter().map(|&v| v as f32).collect::<Vec<_>>());
    close(
        sample,
        xavier_std(384, 128, 1.0),
        0.002,
        "std of xavier_normal([128, 384])",
    );
}

#[test]
fn ex9_2_scales_the_survivors() {
    let x = [1.0, 2.0, 3.0, 4.0];
    let keep = [true, false, true, false];
    close_all(
        &inverted_dropout(&x, &keep, 0.5, true),
        &[2.0, 0.0, 6.0, 0.0],
        1e-12,
        "p = 0.5",
    );
    close_all(
        &inverted_dropout(&x, &keep, 0.25, true),
        &[4.0 / 3.0, 0.0, 4.0, 0.0],
        1e-12,
        "p = 0.25",
    );
    close_all(
        &inverted_dropout(&x, &[false; 4], 1.0, true),
        &[0.0; 4],
        0.0,
        "p = 1",
    );
}

#[test]
fn ex9_2_is_the_identity_in_evaluation() {
    let x = [1.0, -2.0, 3.0];
    close_all(
        &inverted_dropout(&x, &[false; 3], 0.5, false),
        &x,
        0.0,
        "evaluation mode",
    );
    close_all(&inverted_dropout(&x, &[false; 3], 0.0, true), &x, 0.0, "p = 0");
}

#[test]
fn ex9_2_keeps_the_expected_value() {
    // Many units of value 1 with random masks (keep probability 0.7): the mean
    // stays near 1.
    let mut rng = Rng::seed(2);
    let n = 200_000;
    let keep: Vec<bool> = (0..n).map(|_| rng.uniform_f64() < 0.7).collect();
    let out = inverted_dropout(&vec![1.0; n], &keep, 0.3, true);
    close(out.iter().sum::<f64>() / n as f64, 1.0, 0.01, "mean after dropout");
}

#[test]
fn ex9_3_hand_computed_values() {
    // Row [3, 4]: mean of squares (9 + 16)/2 = 12.5, rms √12.5; row [1, −1]: rms 1.
    let x = Variable::constant(Tensor::from_vec(vec![3.0, 4.0, 1.0, -1.0], [2, 2]));
    let w = Variable::constant(Tensor::from_vec(vec![2.0, 0.5], [2]));
    let y = rms_norm(&x, &w, 0.0);
    assert_eq!(y.shape(), vec![2, 2], "rms_norm keeps the shape of its input");
    let r = 12.5f64.sqrt();
    close_all(
        &y.value().to_vec(),
        &[2.0 * 3.0 / r, 0.5 * 4.0 / r, 2.0, -0.5],
        1e-12,
        "rms_norm",
    );
    // 3/√12.5 = 0.848528..., the number to check by hand.
    close(3.0 / r, 0.848_528_137_423_857, 1e-12, "3/√12.5");
}

#[test]
fn ex9_3_eps_and_no_centring() {
    // Unlike layer norm, a constant row is not sent to zero: [2, 2, 2] has rms 2,
    // so → [1, 1, 1].
    let x = Variable::constant(Tensor::from_vec(vec![2.0, 2.0, 2.0], [1, 3]));
    let w = Variable::constant(Tensor::from_vec(vec![1.0, 1.0, 1.0], [3]));
    close_all(
        &rms_norm(&x, &w, 0.0).value().to_vec(),
        &[1.0, 1.0, 1.0],
        1e-12,
        "constant row",
    );
    // ε sits inside the root: a zero row stays zero, and 1/√(1 + 3) = 0.5 for a row
    // of ones and ε = 3.
    let ones = Variable::constant(Tensor::from_vec(vec![1.0, 1.0, 1.0], [1, 3]));
    close_all(
        &rms_norm(&ones, &w, 3.0).value().to_vec(),
        &[0.5, 0.5, 0.5],
        1e-12,
        "ε = 3",
    );
}

#[test]
fn ex9_3_matches_the_library_layer() {
    let x = Variable::constant(Tensor::<f64>::randn([4, 6], &mut Rng::seed(3)));
    let layer = RMSNorm::<f64>::new([6]).eps(1e-5);
    layer.weight.as_ref().unwrap().set_value(Tensor::linspace(0.5, 2.0, 6));
    let ours = rms_norm(&x, layer.weight.as_ref().unwrap(), 1e-5).value().to_vec();
    close_all(
        &ours,
        &layer.forward(&x).value().to_vec(),
        1e-12,
        "rms_norm against kindling_nn::RMSNorm",
    );
}

#[test]
fn ex9_3_gradients_check() {
    let mut rng = Rng::seed(3);
    let x = Tensor::<f64>::randn([3, 5], &mut rng);
    let w = Tensor::<f64>::randn([5], &mut rng);
    gradcheck("rms_norm", &[x, w], |v| {
        rms_norm(&v[0], &v[1], 1e-5).square().sum_all()
    });
}

#[test]
fn ex9_4_hand_computed_values() {
    let mut g = vec![vec![3.0, 4.0]];
    close(clip_global_norm(&mut g, 1.0), 5.0, 1e-12, "norm of [3, 4]");
    close_all(&g[0], &[0.6, 0.8], 1e-12, "[3, 4] clipped to norm 1");
    // Below the limit nothing changes: small gradients are never scaled up.
    let mut g = vec![vec![0.3, 0.4]];
    close(clip_global_norm(&mut g, 1.0), 0.5, 1e-12, "norm of [0.3, 0.4]");
    close_all(&g[0], &[0.3, 0.4], 0.0, "[0.3, 0.4] unchanged");
}

#[test]
fn ex9_4_one_norm_over_all_tensors() {
    // ‖[1, 2], [2]‖ = 3; the limit 1.5 halves everything, both tensors alike.
    let mut g = vec![vec![1.0, 2.0], vec![2.0]];
    close(clip_global_norm(&mut g, 1.5), 3.0, 1e-12, "global norm");
    close_all(&g[0], &[0.5, 1.0], 1e-12, "first tensor");
    close_all(&g[1], &[1.0], 1e-12, "second tensor");
    // The same as Kindling's clip_grad_norm on random gradients.
    let mut rng = Rng::seed(4);
    let grads: Vec<Tensor<f64>> =
        vec![Tensor::randn([4, 3], &mut rng), Tensor::randn([7], &mut rng)];
    let params: Vec<Variable<f64>> = grads
        .iter()
        .map(|g| Variable::param(Tensor::zeros(g.shape().to_vec())))
        .collect();
    for (p, g) in params.iter().zip(&grads) {
        p.set_grad(Some(g.clone()));
    }
    let theirs = clip_grad_norm(&params, 0.7);
    let mut mine: Vec<Vec<f64>> = grads.iter().map(|g| g.to_vec()).collect();
    close(
        clip_global_norm(&mut mine, 0.7),
        theirs,
        1e-12,
        "norm against clip_grad_norm",
    );
    for (m, p) in mine.iter().zip(&params) {
        close_all(
            m,
            &p.grad().unwrap().to_vec(),
            1e-6,
            "clipped against clip_grad_norm",
        );
    }
}

#[test]
fn ex9_5_hand_computed_values() {
    // Column [1, 3]: mean 2, biased variance 1, unbiased 2.
    let mut bn = BatchNormFromScratch::new(1);
    let y = bn.forward_train(&[vec![1.0], vec![3.0]]);
    let s = (1.0f64 + 1e-5).sqrt();
    close_all(&[y[0][0], y[1][0]], &[-1.0 / s, 1.0 / s], 1e-12, "training output");
    close(bn.running_mean[0], 0.2, 1e-12, "running mean after one batch");
    close(
        bn.running_var[0],
        0.9 + 0.1 * 2.0,
        1e-12,
        "running variance after one batch (unbiased)",
    );
    // Evaluation uses the running statistics: (2 − 0.2)/√(1.1 + ε).
    let y = bn.forward_eval(&[vec![2.0]]);
    close(y[0][0], 1.8 / (1.1f64 + 1e-5).sqrt(), 1e-12, "evaluation output");
}

#[test]
fn ex9_5_matches_batchnorm1d() {
    let (n, c) = (6, 3);
    let mut rng = Rng::seed(5);
    let bn = BatchNorm1d::<f64>::new(c);
    let mut mine = BatchNormFromScratch::new(c);
    let rows = |t: &Tensor<f64>| {
        t.to_vec().chunks(c).map(|r| r.to_vec()).collect::<Vec<_>>()
    };
    for k in 0..3 {
        let x = &Tensor::<f64>::randn([n, c], &mut rng) * 2.0 + 1.0;
        let theirs = bn.forward(&Variable::constant(x.clone())).value().to_vec();
        let ours: Vec<f64> = mine.forward_train(&rows(&x)).concat();
        close_all(&ours, &theirs, 1e-9, &format!("training batch {k}"));
    }
    bn.eval();
    let x = Tensor::<f64>::randn([4, c], &mut rng);
    let theirs = bn.forward(&Variable::constant(x.clone())).value().to_vec();
    close_all(&mine.forward_eval(&rows(&x)).concat(), &theirs, 1e-9, "evaluation");
}

#[test]
fn ex9_6_geometric_lrs() {
    let lrs = geometric_lrs(1e-4, 1.0, 5);
    close_all(
        &lrs,
        &[1e-4, 1e-3, 1e-2, 1e-1, 1.0],
        1e-15,
        "five rates from 1e-4 to 1",
    );
    let lrs = geometric_lrs(1e-3, 8e-3, 4);
    close_all(&lrs, &[1e-3, 2e-3, 4e-3, 8e-3], 1e-15, "doubling");
}

#[test]
fn ex9_6_steepest_lr() {
    // Slopes per decade −0.1, −0.9, −0.2, +2.2: the fastest fall starts at 1e-3.
    let curve = [(1e-4, 2.0), (1e-3, 1.9), (1e-2, 1.0), (1e-1, 0.8), (1.0, 3.0)];
    assert_eq!(steepest_lr(&curve), 1e-3);
    // Against ln(lr) the second segment is steeper (−1.5/ln 5 < −0.5/ln 2); against
    // lr it would not be.
    let curve = [(1.0, 3.0), (2.0, 2.5), (10.0, 1.0)];
    assert_eq!(steepest_lr(&curve), 2.0);
}
