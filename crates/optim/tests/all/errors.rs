//! Mistakes are loud: bad hyperparameters panic naming the optimizer and the value; a state
//! dict that does not fit returns an error naming every key and both shapes.

use kindling_autograd::Variable;
use kindling_optim::schedule::{CosineAnnealingLr, OneCycleLr, PlateauConfig, ReduceLrOnPlateau, Scheduler, StepLr};
use kindling_optim::state::StateDict;
use kindling_optim::{
    clip_grad_norm, Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax,
    AdamaxConfig, Lion, LionConfig, NAdam, NAdamConfig, Optimizer, RAdam, RAdamConfig, Rmsprop, RmspropConfig, Sgd,
    SgdConfig,
};
use kindling_tensor::Tensor;

fn p(shape: &[usize]) -> Variable<f32> {
    Variable::param(Tensor::ones(shape.to_vec()))
}

/// The panic message of `f`.
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

#[test]
fn bad_hyperparameters_name_the_optimizer_and_the_value() {
    let cases: Vec<(String, &str)> = vec![
        (
            panic_message(|| drop(Sgd::new([p(&[2])], SgdConfig { lr: -0.1, ..Default::default() }))),
            "SGD: invalid learning rate -0.1: must be >= 0",
        ),
        (
            panic_message(|| drop(Sgd::new([p(&[2])], SgdConfig { nesterov: true, ..Default::default() }))),
            "SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum 0 and dampening 0",
        ),
        (
            panic_message(|| {
                let config = SgdConfig { nesterov: true, momentum: 0.9, dampening: 0.1, ..Default::default() };
                drop(Sgd::new([p(&[2])], config))
            }),
            "SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum 0.9 and dampening 0.1",
        ),
        (
            panic_message(|| drop(Adam::new([p(&[2])], AdamConfig { betas: (1.0, 0.999), ..Default::default() }))),
            "Adam: invalid beta1 1: must be in [0, 1)",
        ),
        (
            panic_message(|| drop(Adam::new([p(&[2])], AdamConfig { betas: (0.9, -0.5), ..Default::default() }))),
            "Adam: invalid beta2 -0.5: must be in [0, 1)",
        ),
        (
            panic_message(|| drop(AdamW::new([p(&[2])], AdamWConfig { weight_decay: -0.01, ..Default::default() }))),
            "AdamW: invalid weight_decay -0.01: must be >= 0",
        ),
        (
            panic_message(|| drop(Adagrad::new([p(&[2])], AdagradConfig { lr_decay: -1.0, ..Default::default() }))),
            "Adagrad: invalid lr_decay -1: must be >= 0",
        ),
        (
            panic_message(|| drop(Adadelta::new([p(&[2])], AdadeltaConfig { rho: 1.5, ..Default::default() }))),
            "Adadelta: invalid rho 1.5: must be in [0, 1]",
        ),
        (
            panic_message(|| drop(Rmsprop::new([p(&[2])], RmspropConfig { eps: -1e-8, ..Default::default() }))),
            "RMSprop: invalid eps -0.00000001: must be >= 0",
        ),
        (
            panic_message(|| drop(Lion::new([p(&[2])], LionConfig { betas: (0.9, 1.2), ..Default::default() }))),
            "Lion: invalid beta2 1.2: must be in [0, 1)",
        ),
        (
            panic_message(|| drop(Adamax::new([p(&[2])], AdamaxConfig { eps: -1.0, ..Default::default() }))),
            "Adamax: invalid eps -1: must be >= 0",
        ),
        (
            panic_message(|| drop(NAdam::new([p(&[2])], NAdamConfig { momentum_decay: -4e-3, ..Default::default() }))),
            "NAdam: invalid momentum_decay -0.004: must be >= 0",
        ),
        (
            panic_message(|| drop(RAdam::new([p(&[2])], RAdamConfig { betas: (0.9, 1.0), ..Default::default() }))),
            "RAdam: invalid beta2 1: must be in [0, 1)",
        ),
        (panic_message(|| drop(Sgd::<f32>::new([], SgdConfig::default()))), "SGD: got an empty parameter list"),
        (
            panic_message(|| {
                let w = p(&[2, 3]);
                drop(Adam::new([w.clone(), w], AdamConfig::default()))
            }),
            "Adam: a parameter of shape [2, 3] appears more than once (in this group or another)",
        ),
        (
            panic_message(|| {
                let w = p(&[4]);
                let mut opt = Sgd::new([w.clone()], SgdConfig::default());
                opt.add_param_group([w], SgdConfig::default());
            }),
            "SGD: a parameter of shape [4] appears more than once (in this group or another)",
        ),
        (
            panic_message(|| {
                let w = p(&[2]);
                w.set_grad(Some(Tensor::ones([2])));
                let mut opt = Sgd::new([w], SgdConfig::default());
                opt.param_groups_mut()[0].config.lr = f64::NAN;
                opt.step();
            }),
            "SGD: invalid learning rate NaN: must be >= 0",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

#[test]
fn bad_schedules_name_the_schedule_and_the_value() {
    let mut opt = Sgd::new([p(&[1])], SgdConfig { lr: 0.1, ..Default::default() });
    let mut adagrad = Adagrad::new([p(&[1])], AdagradConfig::default());
    let cases: Vec<(String, &str)> = vec![
        (
            panic_message(std::panic::AssertUnwindSafe(|| {
                Scheduler::new(&mut opt, CosineAnnealingLr { t_max: 0, eta_min: 0.0 });
            })),
            "CosineAnnealingLr: t_max must be at least 1",
        ),
        (
            panic_message(std::panic::AssertUnwindSafe(|| {
                Scheduler::new(&mut opt, StepLr { step_size: 0, gamma: 0.1 });
            })),
            "StepLr: step_size must be at least 1",
        ),
        (
            panic_message(std::panic::AssertUnwindSafe(|| {
                Scheduler::new(&mut adagrad, OneCycleLr::new(10));
            })),
            "OneCycleLr: cycling momentum needs momentum or beta1, and Adagrad has none (group 0); turn cycle_momentum off",
        ),
        (
            panic_message(std::panic::AssertUnwindSafe(|| {
                let mut sched = Scheduler::new(&mut opt, OneCycleLr::new(2));
                for _ in 0..3 {
                    sched.step(&mut opt);
                }
            })),
            "OneCycleLr: stepped 3 times, past total_steps 2",
        ),
        (
            panic_message(|| {
                ReduceLrOnPlateau::new(PlateauConfig { factor: 1.0, ..Default::default() });
            }),
            "ReduceLrOnPlateau: factor must be < 1, got 1",
        ),
        (
            panic_message(|| {
                clip_grad_norm([&p(&[1])], -1.0);
            }),
            "clip_grad_norm: max_norm must be >= 0, got -1",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

/// An Adam over parameters of shapes [2] and [3] after one step.
fn trained_adam() -> StateDict {
    let params = [p(&[2]), p(&[3])];
    for w in &params {
        w.set_grad(Some(w.value()));
    }
    let mut opt = Adam::new(params, AdamConfig::default());
    opt.step();
    opt.state_dict()
}

#[test]
fn a_state_dict_for_other_shapes_lists_every_mismatch() {
    let mut opt = Adam::new([p(&[2]), p(&[4])], AdamConfig { lr: 0.5, ..Default::default() });
    let err = opt.load_state_dict(&trained_adam()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Adam: the state dict does not fit (2 problems):\n  \
         - state.1.exp_avg: shape [3] in the state dict, but parameter 1 has shape [4]\n  \
         - state.1.exp_avg_sq: shape [3] in the state dict, but parameter 1 has shape [4]"
    );
    // Nothing was loaded.
    assert_eq!(opt.learning_rate(), 0.5);
    assert!(opt.state_of(&opt.param_groups()[0].params()[0]).is_none());
}

#[test]
fn a_state_dict_for_other_groups_or_optimizers_is_refused() {
    // One group of 2 parameters saved; loaded into two groups of 1 each.
    let (a, b) = (p(&[2]), p(&[3]));
    let mut opt = Adam::new([a], AdamConfig::default());
    opt.add_param_group([b], AdamConfig::default());
    let err = opt.load_state_dict(&trained_adam()).unwrap_err();
    assert_eq!(err.owner, "Adam");
    assert_eq!(
        err.problems,
        vec![
            "param_groups: 1 parameter groups in the state dict, 2 in this optimizer".to_string(),
            "param_groups.0.params: 2 parameters in the state dict (shape [2]), 1 in group 0 of this optimizer"
                .to_string(),
        ]
    );

    // An Adam state dict loaded into SGD: wrong optimizer, missing SGD fields, foreign state.
    let mut sgd = Sgd::new([p(&[2]), p(&[3])], SgdConfig::default());
    let err = sgd.load_state_dict(&trained_adam()).unwrap_err();
    assert_eq!(err.problems[0], "saved by Adam, loaded into SGD");
    assert!(err.problems.contains(&"param_groups.0.momentum: missing".to_string()), "{err}");

    // State for a parameter that does not exist.
    let mut small = Adam::new([p(&[2])], AdamConfig::default());
    let err = small.load_state_dict(&trained_adam()).unwrap_err();
    assert!(err.problems.contains(&"state.1.step: no such parameter (this optimizer has 1)".to_string()), "{err}");
}

#[test]
fn a_scheduler_state_dict_for_other_groups_is_refused() {
    let mut opt = Sgd::new([p(&[1])], SgdConfig { lr: 0.1, ..Default::default() });
    opt.add_param_group([p(&[1])], SgdConfig { lr: 0.2, ..Default::default() });
    let mut sched = Scheduler::new(&mut opt, StepLr { step_size: 2, gamma: 0.5 });
    let mut dict = StateDict::new();
    dict.insert("last_epoch", Tensor::scalar(3i64));
    dict.insert("base_lrs", Tensor::from([0.1f64]));
    let err = sched.load_state_dict(&dict).unwrap_err();
    assert_eq!(
        err.to_string(),
        "StepLr: the state dict does not fit (1 problem):\n  - base_lrs: shape [1] in the state dict, expected [2]"
    );
    assert_eq!(sched.steps(), 0);
}
