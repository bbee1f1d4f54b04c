//! Properties that hold for any input: clipping never lengthens or bends the gradient, Adam's
//! first step is exactly ±lr, Lion's every step is ±lr or 0, schedules stay in their range.

use kindling_autograd::Variable;
use kindling_optim::schedule::{CosineAnnealingLr, CosineWarmRestarts, LrSchedule, OneCycleLr};
use kindling_optim::{clip_grad_norm, Adam, AdamConfig, Lion, LionConfig, Optimizer};
use kindling_tensor::{Tensor, Tolerance};
use proptest::prelude::*;

fn grads() -> impl Strategy<Value = Vec<Vec<f64>>> {
    prop::collection::vec(prop::collection::vec(-10.0f64..10.0, 1..6), 1..4)
}

proptest! {
    #[test]
    fn clip_grad_norm_shortens_without_bending(gs in grads(), max_norm in 0.01f64..20.0) {
        let params: Vec<Variable<f64>> = gs.iter().map(|g| {
            let p = Variable::param(Tensor::<f64>::zeros([g.len()]));
            p.set_grad(Some(Tensor::from_slice(g)));
            p
        }).collect();
        let norm_before = gs.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
        let returned = clip_grad_norm(&params, max_norm);
        prop_assert!(Tolerance::STRICT.accepts(returned, norm_before));
        let after: Vec<Vec<f64>> = params.iter().map(|p| p.grad().unwrap().to_vec()).collect();
        let norm_after = after.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
        prop_assert!(norm_after <= max_norm.max(norm_before) * (1.0 + 1e-12));
        prop_assert!(norm_after <= norm_before * (1.0 + 1e-12));
        // One common factor for every element: the direction is kept.
        let factor = if norm_before > 0.0 { norm_after / norm_before } else { 1.0 };
        for (g, a) in gs.iter().flatten().zip(after.iter().flatten()) {
            prop_assert!(Tolerance::new(1e-12, 1e-9).accepts(*a, g * factor));
        }
    }

    #[test]
    fn adams_first_step_is_exactly_lr_against_the_sign(g in prop::collection::vec(-5.0f64..5.0, 1..8), lr in 1e-4f64..1.0) {
        prop_assume!(g.iter().all(|x| x.abs() > 1e-6));
        let theta = Variable::param(Tensor::<f64>::zeros([g.len()]));
        let mut opt = Adam::new([theta.clone()], AdamConfig { lr, eps: 0.0, ..Default::default() });
        theta.set_grad(Some(Tensor::from_slice(&g)));
        opt.step();
        for (x, gi) in theta.value().to_vec().iter().zip(&g) {
            prop_assert!(Tolerance::new(0.0, 1e-12).accepts(*x, -lr * gi.signum()));
        }
    }

    #[test]
    fn lion_steps_are_lr_or_zero(steps in prop::collection::vec(prop::collection::vec(-3.0f64..3.0, 3), 1..6)) {
        let lr = 0.01;
        let theta = Variable::param(Tensor::<f64>::zeros([3]));
        let mut opt = Lion::new([theta.clone()], LionConfig { lr, ..Default::default() });
        for g in steps {
            let before = theta.value().to_vec();
            theta.set_grad(Some(Tensor::from_slice(&g)));
            opt.step();
            opt.zero_grad();
            for (b, a) in before.iter().zip(theta.value().to_vec()) {
                let moved = (a - b).abs();
                prop_assert!(moved == 0.0 || Tolerance::new(1e-15, 1e-9).accepts(moved, lr), "moved {}", moved);
            }
        }
    }

    #[test]
    fn schedules_stay_between_their_bounds(t_max in 1usize..50, t in 0usize..200, base in 1e-4f64..1.0) {
        let eta_min = base / 100.0;
        for lr in [
            CosineAnnealingLr { t_max, eta_min }.lr(base, t),
            CosineWarmRestarts { t_0: t_max, t_mult: 2, eta_min }.lr(base, t),
        ] {
            prop_assert!(lr >= eta_min * (1.0 - 1e-12) && lr <= base * (1.0 + 1e-12), "lr {}", lr);
        }
        let one_cycle = OneCycleLr::new(200);
        let lr = one_cycle.lr(base, t);
        prop_assert!(lr > 0.0 && lr <= base * (1.0 + 1e-12));
        let m = one_cycle.momentum(t).unwrap();
        prop_assert!((0.85 - 1e-12..=0.95 + 1e-12).contains(&m));
    }
}
