//! Every optimizer and schedule against its update rule, on steps worked out by hand.
//!
//! The gradients are set directly (`set_grad`), one fixed number per step, so each value can
//! be followed with pencil and paper from the formulas in the doc comments. ε is set to 0
//! where it would only blur an exact value.

use kindling_autograd::Variable;
use kindling_optim::schedule::{
    CosineAnnealingLr, CosineWarmRestarts, ExponentialLr, LinearLr, LrSchedule, MultiStepLr, OneCycleLr, Scheduler,
    SequentialLr, StepLr,
};
use kindling_optim::{
    Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax, AdamaxConfig, Lion,
    LionConfig, Optimizer, RAdam, RAdamConfig, Rmsprop, RmspropConfig, Sgd, SgdConfig,
};
use kindling_tensor::{Tensor, Tolerance};

/// Steps `opt` once per gradient (θ is one number) and returns θ after each step.
fn run(opt: &mut dyn Optimizer, theta: &Variable<f64>, grads: &[f64]) -> Vec<f64> {
    grads
        .iter()
        .map(|&g| {
            opt.zero_grad();
            theta.set_grad(Some(Tensor::from([g])));
            opt.step();
            theta.item()
        })
        .collect()
}

#[track_caller]
fn assert_steps(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len());
    for (k, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(Tolerance::STRICT.accepts(a, e), "step {}: got {a}, expected {e}", k + 1);
    }
}

fn one(x: f64) -> Variable<f64> {
    Variable::param(Tensor::from([x]))
}

#[test]
fn sgd_plain_steps_against_the_gradient() {
    // θ ← θ − ηg with η = 0.1: 1 − 0.1 = 0.9, 0.9 − 0.2 = 0.7, 0.7 + 0.1 = 0.8.
    let theta = one(1.0);
    let mut opt = Sgd::new([theta.clone()], SgdConfig { lr: 0.1, ..Default::default() });
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0, -1.0]), &[0.9, 0.7, 0.8]);
}

#[test]
fn sgd_momentum_accumulates_the_buffer() {
    // μ = 0.9, η = 0.1.
    // step 1: b = g = 1 (no decay on the first step),     θ = 1 − 0.1·1 = 0.9
    // step 2: b = 0.9·1 + 2 = 2.9,                          θ = 0.9 − 0.29 = 0.61
    // step 3: b = 0.9·2.9 − 1 = 1.61,                       θ = 0.61 − 0.161 = 0.449
    let theta = one(1.0);
    let mut opt = Sgd::new([theta.clone()], SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() });
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0, -1.0]), &[0.9, 0.61, 0.449]);
    let buf = opt.state_of(&theta).unwrap().momentum_buffer.as_ref().unwrap().item();
    assert!(Tolerance::STRICT.accepts(buf, 1.61));
}

#[test]
fn sgd_dampening_scales_new_gradients_but_not_the_first() {
    // μ = 0.9, τ = 0.5, η = 0.1.
    // step 1: b = g = 1,                   θ = 0.9
    // step 2: b = 0.9·1 + 0.5·2 = 1.9,     θ = 0.9 − 0.19 = 0.71
    // step 3: b = 0.9·1.9 − 0.5 = 1.21,    θ = 0.71 − 0.121 = 0.589
    let theta = one(1.0);
    let config = SgdConfig { lr: 0.1, momentum: 0.9, dampening: 0.5, ..Default::default() };
    let mut opt = Sgd::new([theta.clone()], config);
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0, -1.0]), &[0.9, 0.71, 0.589]);
}

#[test]
fn sgd_nesterov_looks_ahead_along_the_buffer() {
    // μ = 0.9, η = 0.1; the step uses g + μb with the updated b.
    // step 1: b = 1,     g' = 1 + 0.9·1 = 1.9,       θ = 1 − 0.19 = 0.81
    // step 2: b = 2.9,   g' = 2 + 0.9·2.9 = 4.61,    θ = 0.81 − 0.461 = 0.349
    // step 3: b = 1.61,  g' = −1 + 0.9·1.61 = 0.449, θ = 0.349 − 0.0449 = 0.3041
    let theta = one(1.0);
    let config = SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, ..Default::default() };
    let mut opt = Sgd::new([theta.clone()], config);
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0, -1.0]), &[0.81, 0.349, 0.3041]);
}

#[test]
fn sgd_weight_decay_adds_lambda_theta_to_the_gradient() {
    // λ = 0.1, η = 0.1.
    // step 1: g' = 1 + 0.1·1 = 1.1,       θ = 1 − 0.11 = 0.89
    // step 2: g' = 2 + 0.1·0.89 = 2.089,  θ = 0.89 − 0.2089 = 0.6811
    let theta = one(1.0);
    let mut opt = Sgd::new([theta.clone()], SgdConfig { lr: 0.1, weight_decay: 0.1, ..Default::default() });
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0]), &[0.89, 0.6811]);
}

#[test]
fn adagrad_divides_by_the_root_of_the_summed_squares() {
    // η = 0.5, ε = 0.
    // step 1: G = 1,      θ = 1 − 0.5·1/√1 = 0.5
    // step 2: G = 1 + 4,  θ = 0.5 − 0.5·2/√5 = 0.5 − 1/√5 ≈ 0.0527864045
    let theta = one(1.0);
    let mut opt = Adagrad::new([theta.clone()], AdagradConfig { lr: 0.5, eps: 0.0, ..Default::default() });
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0]), &[0.5, 0.5 - 1.0 / 5f64.sqrt()]);
}

#[test]
fn adagrad_lr_decay_and_initial_accumulator() {
    // η = 0.5, decay d = 0.5, G₀ = 3, ε = 0.
    // step 1: η₁ = 0.5/(1 + 0·d) = 0.5,  G = 3 + 1 = 4,  θ = 1 − 0.5·1/2 = 0.75
    // step 2: η₂ = 0.5/(1 + 1·d) = 1/3,  G = 4 + 4 = 8,  θ = 0.75 − (1/3)·2/√8 ≈ 0.5143001
    let theta = one(1.0);
    let config =
        AdagradConfig { lr: 0.5, lr_decay: 0.5, initial_accumulator_value: 3.0, eps: 0.0, ..Default::default() };
    let mut opt = Adagrad::new([theta.clone()], config);
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0]), &[0.75, 0.75 - 2.0 / (3.0 * 8f64.sqrt())]);
}

#[test]
fn adadelta_scales_by_the_ratio_of_rms_values() {
    // ρ = 0.9, ε = 1e-6, η = 1, g = 1 twice.
    // step 1: E[g²] = 0.1,  Δ₁ = √(0 + ε)/√(0.1 + ε) ≈ 0.0031622619,  E[Δ²] = 0.1·Δ₁²
    // step 2: E[g²] = 0.19, Δ₂ = √(0.1·Δ₁² + ε)/√(0.19 + ε) ≈ 0.0033167,
    // θ = 1 − Δ₁ − Δ₂: the steps grow, because E[Δ²] has started to fill in.
    let eps = 1e-6f64;
    let d1 = eps.sqrt() / (0.1 + eps).sqrt();
    let d2 = (0.1 * d1 * d1 + eps).sqrt() / (0.19f64 + eps).sqrt();
    assert!(d2 > d1);
    let theta = one(1.0);
    let mut opt = Adadelta::new([theta.clone()], AdadeltaConfig::default());
    assert_steps(&run(&mut opt, &theta, &[1.0, 1.0]), &[1.0 - d1, 1.0 - d1 - d2]);
}

#[test]
fn rmsprop_plain_centered_and_with_momentum() {
    // α = 0.99, η = 0.01, ε = 0, g = 1 then 2.
    // plain:    v₁ = 0.01, θ = 1 − 0.01·1/0.1 = 0.9;  v₂ = 0.0099 + 0.04 = 0.0499, θ = 0.9 − 0.02/√0.0499
    let theta = one(1.0);
    let config = RmspropConfig { lr: 0.01, eps: 0.0, ..Default::default() };
    let mut opt = Rmsprop::new([theta.clone()], config);
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0]), &[0.9, 0.9 - 0.02 / 0.0499f64.sqrt()]);

    // centered: E[g] = 0.01 after step 1, so s = √(0.01 − 0.0001) = √0.0099, θ = 1 − 0.01/√0.0099
    let theta = one(1.0);
    let mut opt = Rmsprop::new([theta.clone()], RmspropConfig { centered: true, ..config });
    assert_steps(&run(&mut opt, &theta, &[1.0]), &[1.0 - 0.01 / 0.0099f64.sqrt()]);

    // momentum μ = 0.9: b₁ = 1/0.1 = 10, θ = 1 − 0.01·10 = 0.9;
    //                   b₂ = 0.9·10 + 2/√0.0499, θ = 0.9 − 0.01·b₂
    let theta = one(1.0);
    let mut opt = Rmsprop::new([theta.clone()], RmspropConfig { momentum: 0.9, ..config });
    let b2 = 9.0 + 2.0 / 0.0499f64.sqrt();
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0]), &[0.9, 0.9 - 0.01 * b2]);
}

#[test]
fn adam_bias_correction_makes_the_first_step_exactly_lr() {
    // β = (0.9, 0.999), η = 0.1, ε = 0.
    // step 1: m = 0.1, v = 0.001; m̂ = 0.1/0.1 = 1, v̂ = 0.001/0.001 = 1; θ = 1 − 0.1·1/1 = 0.9
    // step 2: m = 0.09 + 0.2 = 0.29, v = 0.000999 + 0.004 = 0.004999
    //         m̂ = 0.29/0.19 ≈ 1.5263158, v̂ = 0.004999/0.001999 ≈ 2.5007504
    //         θ = 0.9 − 0.1·m̂/√v̂ ≈ 0.9 − 0.0965181 = 0.8034819
    let theta = one(1.0);
    let mut opt = Adam::new([theta.clone()], AdamConfig { lr: 0.1, eps: 0.0, ..Default::default() });
    let m_hat = 0.29 / (1.0 - 0.9f64 * 0.9);
    let v_hat = 0.004999 / (1.0 - 0.999f64 * 0.999);
    assert_steps(&run(&mut opt, &theta, &[1.0, 2.0]), &[0.9, 0.9 - 0.1 * m_hat / v_hat.sqrt()]);
    let state = opt.state_of(&theta).unwrap();
    assert_eq!(state.step, 2);
    assert!(Tolerance::STRICT.accepts(state.exp_avg.item(), 0.29));
    assert!(Tolerance::STRICT.accepts(state.exp_avg_sq.item(), 0.004999));
}

#[test]
fn adam_puts_eps_outside_the_square_root_of_v_hat() {
    // One step with g = 1e-4 and ε = 1e-4: m̂ = 1e-4, v̂ = 1e-8, so
    // θ = 1 − 0.1·1e-4/(√1e-8 + 1e-4) = 1 − 0.1·1e-4/2e-4 = 0.95.
    // (With ε inside the root it would be 1 − 0.1·1e-4/√(1e-8 + 1e-4) ≈ 0.999.)
    let theta = one(1.0);
    let mut opt = Adam::new([theta.clone()], AdamConfig { lr: 0.1, eps: 1e-4, ..Default::default() });
    let after = run(&mut opt, &theta, &[1e-4]);
    assert!(Tolerance::new(1e-12, 1e-9).accepts(after[0], 0.95), "got {}", after[0]);
}

#[test]
fn amsgrad_keeps_the_largest_second_moment() {
    // β = (0.9, 0.999), η = 0.1, ε = 0, g = 10 then 0: v₁ = 0.1, v₂ = 0.0999 < v₁.
    // step 2: m = 0.9, m̂ = 0.9/0.19; AMSGrad divides by √(max(v)/0.001999) = √(0.1/0.001999),
    //         plain Adam by √(0.0999/0.001999), a slightly larger step.
    let m_hat = 0.9 / (1.0 - 0.9f64 * 0.9);
    let bc2 = 1.0 - 0.999f64 * 0.999;
    let config = AdamConfig { lr: 0.1, eps: 0.0, amsgrad: true, ..Default::default() };
    let theta = one(1.0);
    let mut opt = Adam::new([theta.clone()], config);
    let ams = run(&mut opt, &theta, &[10.0, 0.0]);
    assert_steps(&ams, &[0.9, 0.9 - 0.1 * m_hat / (0.1 / bc2).sqrt()]);
    let theta = one(1.0);
    let mut opt = Adam::new([theta.clone()], AdamConfig { amsgrad: false, ..config });
    let plain = run(&mut opt, &theta, &[10.0, 0.0]);
    assert_steps(&plain, &[0.9, 0.9 - 0.1 * m_hat / (0.0999 / bc2).sqrt()]);
    assert!(plain[1] < ams[1]);
}

#[test]
fn adamw_decays_outside_the_adaptive_scale_and_adam_l2_does_not() {
    // η = 0.1, λ = 0.5, ε = 0, θ = 1, g = 1.
    // AdamW: θ ← 1·(1 − 0.1·0.5) = 0.95, then the Adam step (exactly η on step 1): 0.85.
    // Adam + L2: g' = 1 + 0.5·1 = 1.5, but m̂/√v̂ = 1.5/1.5 = 1: the decay is normalized away
    // and θ = 0.9, as if there were no decay at all.
    let theta = one(1.0);
    let mut opt =
        AdamW::new([theta.clone()], AdamWConfig { lr: 0.1, weight_decay: 0.5, eps: 0.0, ..Default::default() });
    assert_steps(&run(&mut opt, &theta, &[1.0]), &[0.85]);
    let theta = one(1.0);
    let mut opt = Adam::new([theta.clone()], AdamConfig { lr: 0.1, weight_decay: 0.5, eps: 0.0, ..Default::default() });
    assert_steps(&run(&mut opt, &theta, &[1.0]), &[0.9]);
    assert_eq!(AdamWConfig::default().weight_decay, 0.01);
}

#[test]
fn lion_moves_every_coordinate_by_exactly_lr() {
    // β = (0.9, 0.99), η = 0.1, no decay.
    // step 1: c = 0.9·0 + 0.1·1 = 0.1 > 0,           θ = 1 − 0.1 = 0.9;  m = 0.01·1 = 0.01
    // step 2: c = 0.009 + 0.1·(−0.5) = −0.041 < 0,   θ = 0.9 + 0.1 = 1.0; m = 0.0099 − 0.005 = 0.0049
    // step 3: c = 0.00441 + 0.1·(−0.01) = 0.00341 > 0: momentum outvotes a small opposite
    //         gradient,                               θ = 1.0 − 0.1 = 0.9; m = 0.004851 − 0.0001 = 0.004751
    let theta = one(1.0);
    let mut opt = Lion::new([theta.clone()], LionConfig { lr: 0.1, ..Default::default() });
    assert_steps(&run(&mut opt, &theta, &[1.0, -0.5, -0.01]), &[0.9, 1.0, 0.9]);
    let m = opt.state_of(&theta).unwrap().exp_avg.item();
    assert!(Tolerance::STRICT.accepts(m, 0.004751), "m = {m}");

    // With λ = 0.5 the decay comes first: θ = 1·(1 − 0.1·0.5) − 0.1 = 0.85. A zero gradient
    // with zero momentum gives sign 0: only the decay acts.
    let theta = Variable::param(Tensor::from([1.0f64, 2.0]));
    let mut opt = Lion::new([theta.clone()], LionConfig { lr: 0.1, weight_decay: 0.5, ..Default::default() });
    theta.set_grad(Some(Tensor::from([3.0, 0.0])));
    opt.step();
    let got = theta.value().to_vec();
    assert!(Tolerance::STRICT.accepts(got[0], 0.85) && Tolerance::STRICT.accepts(got[1], 1.9), "{got:?}");
}

/// The rates a schedule gives for base rate `base` at steps 0..n.
fn lrs(schedule: &dyn LrSchedule, base: f64, n: usize) -> Vec<f64> {
    (0..n).map(|t| schedule.lr(base, t)).collect()
}

#[test]
fn step_multistep_and_exponential_decay() {
    // StepLr: ×0.5 every 3 steps.
    assert_steps(&lrs(&StepLr { step_size: 3, gamma: 0.5 }, 1.0, 7), &[1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]);
    // MultiStepLr: ×0.1 at steps 2 and 4.
    let multi = MultiStepLr { milestones: vec![2, 4], gamma: 0.1 };
    assert_steps(&lrs(&multi, 1.0, 5), &[1.0, 1.0, 0.1, 0.1, 0.01]);
    // ExponentialLr: ×0.5 every step.
    assert_steps(&lrs(&ExponentialLr { gamma: 0.5 }, 1.0, 4), &[1.0, 0.5, 0.25, 0.125]);
}

#[test]
fn cosine_annealing_and_warm_restarts() {
    // T_max = 4, η_min = 0: ½(1 + cos(πt/4)) = 1, (1 + √½)/2, ½, (1 − √½)/2, 0, then back up.
    let h = 0.5f64.sqrt();
    let cosine = CosineAnnealingLr { t_max: 4, eta_min: 0.0 };
    assert_steps(&lrs(&cosine, 1.0, 7), &[1.0, (1.0 + h) / 2.0, 0.5, (1.0 - h) / 2.0, 0.0, (1.0 - h) / 2.0, 0.5]);
    // T_0 = 2, T_mult = 2: cycles [0, 2), [2, 6), [6, 14); each restarts at the base rate.
    let sgdr = CosineWarmRestarts { t_0: 2, t_mult: 2, eta_min: 0.0 };
    assert_steps(&lrs(&sgdr, 1.0, 7), &[1.0, 0.5, 1.0, (1.0 + h) / 2.0, 0.5, (1.0 - h) / 2.0, 1.0]);
    assert_steps(&lrs(&CosineWarmRestarts::new(2), 1.0, 5), &[1.0, 0.5, 1.0, 0.5, 1.0]);
}

#[test]
fn linear_warmup_reaches_the_base_rate_and_stays() {
    // From 0.25·0.4 = 0.1 up to 0.4 in 3 steps.
    assert_steps(&lrs(&LinearLr::warmup(0.25, 3), 0.4, 6), &[0.1, 0.2, 0.3, 0.4, 0.4, 0.4]);
}

#[test]
fn one_cycle_warms_up_then_anneals_with_momentum_mirrored() {
    // 10 steps, peak 1: start 1/25 = 0.04, warmup ends at step 0.3·10 − 1 = 2, the last phase
    // ends at step 9 at 0.04/1e4 = 4e-6. Halfway through the warmup (step 1) the cosine is at
    // its midpoint: 0.04 + (1 − 0.04)/2 = 0.52. Momentum goes 0.95 → 0.85 → 0.95.
    let one_cycle = OneCycleLr::new(10);
    let got = lrs(&one_cycle, 1.0, 10);
    assert_steps(&[got[0], got[1], got[2], got[9]], &[0.04, 0.52, 1.0, 4e-6]);
    let m: Vec<f64> = [0, 1, 2, 9].iter().map(|&t| one_cycle.momentum(t).unwrap()).collect();
    assert_steps(&m, &[0.95, 0.9, 0.85, 0.95]);

    // Applied to SGD, it sets the momentum too (PyTorch's cycle_momentum default).
    let theta = one(0.0);
    let mut opt = Sgd::new([theta], SgdConfig { lr: 1.0, momentum: 0.9, ..Default::default() });
    let mut sched = Scheduler::new(&mut opt, one_cycle);
    assert_steps(&[opt.learning_rate(), opt.group_momentum(0).unwrap()], &[0.04, 0.95]);
    sched.step(&mut opt);
    sched.step(&mut opt);
    assert_steps(&[opt.learning_rate(), opt.group_momentum(0).unwrap()], &[1.0, 0.85]);
}

#[test]
fn sequential_restarts_the_next_schedule_at_its_milestone() {
    // Warmup 0.5 → 1 over 2 steps, then ×0.5 per step counted from the milestone.
    let seq =
        SequentialLr::new(vec![Box::new(LinearLr::warmup(0.5, 2)), Box::new(ExponentialLr { gamma: 0.5 })], vec![2]);
    assert_steps(&lrs(&seq, 1.0, 5), &[0.5, 0.75, 1.0, 0.5, 0.25]);
}

#[test]
fn scheduler_uses_each_groups_own_base_rate() {
    let (a, b) = (one(0.0), one(0.0));
    let mut opt = Sgd::new([a], SgdConfig { lr: 0.1, ..Default::default() });
    opt.add_param_group([b], SgdConfig { lr: 0.01, ..opt.defaults() });
    let mut sched = Scheduler::new(&mut opt, StepLr { step_size: 1, gamma: 0.5 });
    sched.step(&mut opt);
    assert_steps(&[opt.group_lr(0), opt.group_lr(1)], &[0.05, 0.005]);
    assert_eq!(sched.last_lrs(), vec![opt.group_lr(0), opt.group_lr(1)]);
    assert_eq!(sched.steps(), 1);
}

#[test]
fn adamax_divides_by_a_decaying_maximum() {
    // β1 = β2 = ½, ε = 0, η = 0.1, g = 2 then 4.
    // Step 1: m = 1, u = max(0, 2) = 2, θ = 1 − (0.1/½)·1/2 = 0.9.
    // Step 2: m = 2.5, u = max(½·2, 4) = 4, θ = 0.9 − (0.1/¾)·2.5/4 = 0.9 − 1/12.
    let theta = one(1.0);
    let config = AdamaxConfig { lr: 0.1, betas: (0.5, 0.5), eps: 0.0, ..Default::default() };
    let mut opt = Adamax::new([theta.clone()], config);
    assert_steps(&run(&mut opt, &theta, &[2.0, 4.0]), &[0.9, 0.9 - 1.0 / 12.0]);
}

#[test]
fn radam_takes_plain_momentum_steps_until_rho_passes_5() {
    // With β2 = 0.999, ρ_k ≤ 5 for k ≤ 5: θ ← θ − η·m̂, and with a constant g, m̂ = g exactly
    // (up to rounding), so the first steps are −ηg = −0.2 each.
    let theta = one(1.0);
    let mut opt = RAdam::new([theta.clone()], RAdamConfig { lr: 0.1, ..Default::default() });
    let steps = run(&mut opt, &theta, &[2.0; 6]);
    assert_steps(&steps[..5], &[0.8, 0.6, 0.4, 0.2, 0.0]);
    // Step 6 is rectified: m̂·√(1 − β2⁶)/√v = g/|g| = 1 (v̂ = g²), so it moves by η·r, with r < 1.
    assert!(steps[5] < 0.0 && steps[5] > -0.2, "step 6: {}", steps[5]);
}
