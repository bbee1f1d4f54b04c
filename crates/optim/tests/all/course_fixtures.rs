//! The course's worked examples for this crate (INVENTORY section 3, fixtures #22-#24).

use kindling_autograd::Variable;
use kindling_optim::schedule::{CosineAnnealingLr, LrSchedule, PlateauConfig, ReduceLrOnPlateau};
use kindling_optim::{clip_grad_norm, clip_grad_value, Optimizer, Sgd, SgdConfig};
use kindling_tensor::{assert_close, Tensor, Tolerance};

/// The course's rule for derived exact values: agree to 1e-6.
const DERIVED: Tolerance = Tolerance { atol: 1e-6, rtol: 0.0 };

#[test]
fn fixture_22_cosine_annealing() {
    // η_t = η_min + ½(η_max − η_min)(1 + cos(πt/T_max)), T_max = 10, η_min = 1e-6, η_max = 0.1.
    let cosine = CosineAnnealingLr { t_max: 10, eta_min: 1e-6 };
    for (t, expected) in [(0, 0.1), (5, 0.0500005), (10, 1e-6)] {
        let got = cosine.lr(0.1, t);
        assert!(Tolerance::STRICT.accepts(got, expected), "η({t}) = {got}, expected {expected}");
    }
}

#[test]
fn fixture_23_reduce_on_plateau_halves_after_patience_and_stops_at_min_lr() {
    // factor 0.5, patience 3, min_lr 1e-6, starting at 1e-5 so the floor is reached.
    let theta = Variable::param(Tensor::from([0.0f32]));
    let mut opt = Sgd::new([theta], SgdConfig { lr: 1e-5, ..Default::default() });
    let mut plateau =
        ReduceLrOnPlateau::new(PlateauConfig { factor: 0.5, patience: 3, min_lr: 1e-6, ..Default::default() });
    // epoch:   1    2    3    4    5    6    7    8    9   10   11 ...
    // loss:   1.0  0.9  0.9  0.9  0.9  0.8  0.8  0.8  0.8  0.8  0.8 ...
    // bad:     0    0    1    2    3    0    1    2    3    4 → cut, counter reset
    // Epoch 6 improves just before the 4th bad epoch, so nothing is cut there. After that
    // every 4th bad epoch cuts: 10 (5e-6), 14 (2.5e-6), 18 (1.25e-6), and at 22 the half,
    // 6.25e-7, is clamped to min_lr = 1e-6; a 26th epoch would change nothing.
    let mut losses = vec![1.0, 0.9, 0.9, 0.9, 0.9];
    losses.extend([0.8; 20]);
    let mut lrs = Vec::new();
    for loss in losses {
        plateau.step(&mut opt, loss);
        lrs.push(opt.learning_rate());
    }
    let mut expected = vec![1e-5; 9];
    expected.extend([5e-6; 4]);
    expected.extend([2.5e-6; 4]);
    expected.extend([1.25e-6; 4]);
    expected.extend([1e-6; 4]);
    assert_eq!(lrs.len(), expected.len());
    for (epoch, (&got, &want)) in lrs.iter().zip(&expected).enumerate() {
        assert!(Tolerance::new(0.0, 1e-12).accepts(got, want), "epoch {}: lr {got}, expected {want}", epoch + 1);
    }
    assert!(lrs.iter().all(|&lr| lr >= 1e-6));
}

#[test]
fn fixture_24_clipping_by_norm_and_by_value() {
    // ‖[3, 4]‖ = 5 > 1: scaled by 1/5 → [0.6, 0.8] (PyTorch's 1e-6 guard moves it by ~1e-7).
    let g = Variable::param(Tensor::from([0.0f64, 0.0]));
    g.set_grad(Some(Tensor::from([3.0, 4.0])));
    let norm = clip_grad_norm([&g], 1.0);
    assert!(Tolerance::STRICT.accepts(norm, 5.0));
    assert_close(&g.grad().unwrap(), &Tensor::from([0.6, 0.8]), DERIVED);

    // ‖[0.3, 0.4]‖ = 0.5 < 1: min(1, 1/0.5) = 1, left exactly as it was (never scaled up).
    g.set_grad(Some(Tensor::from([0.3, 0.4])));
    let norm = clip_grad_norm([&g], 1.0);
    assert!(Tolerance::STRICT.accepts(norm, 0.5));
    assert_eq!(g.grad().unwrap().to_vec(), vec![0.3, 0.4]);

    // By value at 1.0: [−2, 0.5] → [−1, 0.5].
    g.set_grad(Some(Tensor::from([-2.0, 0.5])));
    clip_grad_value([&g], 1.0);
    assert_eq!(g.grad().unwrap().to_vec(), vec![-1.0, 0.5]);
}

#[test]
fn clip_grad_norm_is_global_across_parameters_and_skips_missing_grads() {
    // Two tensors [3] and [4] together have norm 5; each is scaled by the same 2/5.
    let (a, b, none) = (
        Variable::param(Tensor::from([0.0f32])),
        Variable::param(Tensor::from([0.0f32])),
        Variable::param(Tensor::from([0.0f32])),
    );
    a.set_grad(Some(Tensor::from([3.0])));
    b.set_grad(Some(Tensor::from([4.0])));
    let norm = clip_grad_norm([&a, &b, &none], 2.0);
    assert!(Tolerance::DEFAULT.accepts(norm, 5.0));
    assert_close(&a.grad().unwrap(), &Tensor::from([1.2f32]), Tolerance::DEFAULT);
    assert_close(&b.grad().unwrap(), &Tensor::from([1.6f32]), Tolerance::DEFAULT);
    assert!(none.grad().is_none());

    // A non-finite norm leaves the gradients alone and is reported.
    a.set_grad(Some(Tensor::from([f32::INFINITY])));
    assert!(clip_grad_norm([&a, &b], 1.0).is_infinite());
    assert_eq!(a.grad().unwrap().to_vec(), vec![f32::INFINITY]);
}
