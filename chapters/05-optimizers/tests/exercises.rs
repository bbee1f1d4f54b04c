//! The checks of chapter 5's exercises. `cargo test -p ch05-optimizers --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex5_3_...`
//! checks exercise 5.3).
//!
//! Most checks run your update rule and Kindling's optimizer side by side on the
//! same gradients: the trajectories must agree to 1e-12.

use ch05_optimizers::checked::*;
use ch05_optimizers::Surface;
use kindling_autograd::Variable;
use kindling_optim::schedule::{
    CosineAnnealingLr, LrSchedule, PlateauConfig, ReduceLrOnPlateau,
};
use kindling_optim::{
    clip_grad_norm, clip_grad_value, Adam, AdamConfig, Optimizer, Sgd, SgdConfig,
};
use kindling_tensor::Tensor;

/// The gradient of Rosenbrock at (x, y), by hand.
fn rosenbrock_grad(t: &[f64]) -> Vec<f64> {
    let (x, y) = (t[0], t[1]);
    vec![-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)]
}

/// Runs the library optimizer made by `make` and `step` side by side for `steps`
/// steps on Rosenbrock from (−1.2, 1) and asserts the points agree.
fn agree_with_library(
    make: impl Fn(&Variable<f64>) -> Box<dyn Optimizer>,
    mut step: impl FnMut(&mut [f64], &[f64]),
    steps: usize,
    what: &str,
) {
    let start = [-1.2, 1.0];
    let p = Variable::param(Tensor::from_slice(&start));
    let mut opt = make(&p);
    let mut mine = start.to_vec();
    for k in 1..=steps {
        opt.zero_grad();
        Surface::Rosenbrock.loss(&p).backward();
        opt.step();
        let g = rosenbrock_grad(&mine);
        step(&mut mine, &g);
        let theirs = p.value().to_vec();
        for i in 0..2 {
            let scale = 1.0 + theirs[i].abs();
            assert!(
                (mine[i] - theirs[i]).abs() <= 1e-12 * scale,
                "{what}: after step {k}, coordinate {i} is {} but Kindling's optimizer has {}",
                mine[i],
                theirs[i]
            );
        }
    }
}

#[test]
fn ex5_1_gd_step() {
    let mut theta = vec![1.0, -2.0, 0.5];
    gd_step(&mut theta, &[0.5, 0.5, -1.0], 0.1);
    assert_eq!(theta, [0.95, -2.05, 0.6]);
    agree_with_library(
        |p| {
            Box::new(Sgd::<f64>::new(
                [p.clone()],
                SgdConfig { lr: 1e-3, ..Default::default() },
            ))
        },
        |t, g| gd_step(t, g, 1e-3),
        100,
        "gradient descent",
    );
}

#[test]
fn ex5_2_momentum_classic() {
    // By hand: g = 1 every step, η = 1, μ = 0.5: buffers 1, 1.5, 1.75.
    let mut m = Momentum::new(1.0, 0.5, false);
    let mut theta = vec![0.0];
    for expected in [-1.0, -2.5, -4.25] {
        m.step(&mut theta, &[1.0]);
        assert_eq!(theta[0], expected);
    }
    let mut m = Momentum::new(1e-4, 0.9, false);
    agree_with_library(
        |p| {
            Box::new(Sgd::<f64>::new(
                [p.clone()],
                SgdConfig { lr: 1e-4, momentum: 0.9, ..Default::default() },
            ))
        },
        |t, g| m.step(t, g),
        200,
        "momentum",
    );
}

#[test]
fn ex5_2_momentum_nesterov() {
    let mut m = Momentum::new(1e-4, 0.9, true);
    agree_with_library(
        |p| {
            Box::new(Sgd::<f64>::new(
                [p.clone()],
                SgdConfig {
                    lr: 1e-4,
                    momentum: 0.9,
                    nesterov: true,
                    ..Default::default()
                },
            ))
        },
        |t, g| m.step(t, g),
        200,
        "Nesterov momentum",
    );
}

#[test]
fn ex5_3_adam_first_step_is_lr_sized() {
    // Bias correction makes the first step ±η whatever the gradient's size.
    let mut adam = AdamFromScratch::new(0.1, (0.9, 0.999), 1e-8, 3);
    let mut theta = vec![0.0, 0.0, 0.0];
    adam.step(&mut theta, &[1000.0, -0.01, 3.0]);
    for (t, want) in theta.iter().zip([-0.1, 0.1, -0.1]) {
        assert!(
            (t - want).abs() < 1e-6,
            "first step {theta:?}, expected ±0.1 per coordinate"
        );
    }
}

#[test]
fn ex5_3_adam_matches_kindling() {
    let mut adam = AdamFromScratch::new(0.01, (0.9, 0.999), 1e-8, 2);
    agree_with_library(
        |p| {
            Box::new(Adam::<f64>::new(
                [p.clone()],
                AdamConfig { lr: 0.01, ..Default::default() },
            ))
        },
        |t, g| adam.step(t, g),
        300,
        "Adam",
    );
}

#[test]
fn ex5_4_cosine_fixture() {
    // The course's settings: T_max = 10, η_min = 1e-6, from η_max = 0.1.
    assert!((cosine_lr(0.1, 1e-6, 0, 10) - 0.1).abs() < 1e-15);
    assert!((cosine_lr(0.1, 1e-6, 5, 10) - 0.0500005).abs() < 1e-12);
    assert!((cosine_lr(0.1, 1e-6, 10, 10) - 1e-6).abs() < 1e-15);
    let schedule = CosineAnnealingLr { t_max: 37, eta_min: 0.002 };
    for t in 0..=37 {
        assert!(
            (cosine_lr(0.3, 0.002, t, 37) - schedule.lr(0.3, t)).abs() < 1e-15,
            "t = {t}"
        );
    }
}

#[test]
fn ex5_5_clip_by_norm_fixture() {
    let mut g = vec![vec![3.0, 4.0]];
    let norm = clip_by_norm(&mut g, 1.0);
    assert_eq!(norm, 5.0);
    assert!(
        (g[0][0] - 0.6).abs() < 1e-15 && (g[0][1] - 0.8).abs() < 1e-15,
        "{g:?}"
    );
    // Small gradients are left alone: min(1, ·) never scales up.
    let mut small = vec![vec![0.3, 0.4]];
    clip_by_norm(&mut small, 1.0);
    assert_eq!(small, [[0.3, 0.4]]);
}

#[test]
fn ex5_5_clip_by_norm_is_global_and_matches_kindling() {
    let parts = vec![vec![1.0, -2.0, 2.0], vec![4.0], vec![-0.5, 0.5]];
    let mut mine = parts.clone();
    let norm = clip_by_norm(&mut mine, 2.0);
    let vars: Vec<Variable<f64>> = parts
        .iter()
        .map(|p| {
            let v = Variable::param(Tensor::<f64>::zeros([p.len()]));
            v.set_grad(Some(Tensor::from_slice(p)));
            v
        })
        .collect();
    let theirs = clip_grad_norm(&vars, 2.0);
    assert!((norm - theirs).abs() < 1e-12, "norm {norm} vs {theirs}");
    let total: f64 = mine.iter().flatten().map(|g| g * g).sum::<f64>().sqrt();
    assert!(
        (total - 2.0).abs() < 1e-9,
        "after clipping the global norm is {total}, not 2"
    );
    for (m, v) in mine.iter().zip(&vars) {
        for (a, b) in m.iter().zip(v.grad().unwrap().to_vec()) {
            // Kindling adds 1e-6 to the norm
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
    // Clipping by value is a different operation: it bends the direction.
    let v = Variable::param(Tensor::<f64>::zeros([2]));
    v.set_grad(Some(Tensor::from([-2.0, 0.5])));
    clip_grad_value([&v], 1.0);
    assert_eq!(v.grad().unwrap().to_vec(), [-1.0, 0.5]);
}

#[test]
fn ex5_6_plateau_fixture() {
    // Factor 0.5, patience 3, min_lr 1e-6: the fourth epoch in a row without
    // improvement cuts.
    let losses = [
        1.0, 0.8, 0.7, 0.7, 0.75, 0.71, 0.72, 0.6, 0.65, 0.6, 0.61, 0.62, 0.63,
        0.64, 0.65,
    ];
    let mut mine = Plateau::new(0.5, 3, 1e-6);
    let mut lr = 0.1;
    let mut rates = Vec::new();
    for &l in &losses {
        lr = mine.step(lr, l);
        rates.push(lr);
    }
    let expected = [
        0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025,
        0.025, 0.025,
    ];
    assert_eq!(rates, expected);

    // The same as Kindling's ReduceLrOnPlateau with no improvement threshold.
    let w = Variable::param(Tensor::from([0.0f64]));
    let mut opt = Sgd::<f64>::new([w], SgdConfig { lr: 0.1, ..Default::default() });
    let mut theirs = ReduceLrOnPlateau::new(PlateauConfig {
        factor: 0.5,
        patience: 3,
        min_lr: 1e-6,
        threshold: 0.0,
        ..Default::default()
    });
    for (&l, &r) in losses.iter().zip(&rates) {
        theirs.step(&mut opt, l);
        assert_eq!(opt.learning_rate(), r);
    }
}

#[test]
fn ex5_6_plateau_respects_min_lr() {
    let mut p = Plateau::new(0.1, 0, 1e-3);
    let mut lr = 1.0;
    for _ in 0..10 {
        lr = p.step(lr, 5.0); // never improves after the first epoch
    }
    assert_eq!(lr, 1e-3);
}
