//! Saving and restoring optimizers and schedulers: a run interrupted, saved to a file and
//! resumed in fresh objects must follow the uninterrupted run bit for bit.

use std::path::PathBuf;

use kindling_autograd::Variable;
use kindling_optim::schedule::{
    CosineAnnealingLr, LinearLr, OneCycleLr, PlateauConfig, ReduceLrOnPlateau, Scheduler, SequentialLr,
};
use kindling_optim::state::StateDict;
use kindling_optim::{
    Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax, AdamaxConfig, Lion,
    LionConfig, NAdam, NAdamConfig, Optimizer, RAdam, RAdamConfig, Rmsprop, RmspropConfig, Sgd, SgdConfig,
};
use kindling_tensor::Tensor;

fn temp_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("kindling-optim-{}-{name}.safetensors", std::process::id()))
}

/// A round trip through a file, as a checkpoint would make.
fn through_file(dict: &StateDict, name: &str) -> StateDict {
    let path = temp_file(name);
    dict.save(&path).expect("save");
    let back = StateDict::load(&path).expect("load");
    std::fs::remove_file(&path).ok();
    back
}

/// Two parameters of different shapes.
fn params() -> Vec<Variable<f32>> {
    vec![
        Variable::param(Tensor::from([0.5f32, -1.5, 2.0])),
        Variable::param(Tensor::from([[1.0f32, -0.25], [0.75, -2.0]])),
    ]
}

/// A gradient that changes with θ and with the step, so state really matters.
fn set_grads(params: &[Variable<f32>], step: usize) {
    for (i, p) in params.iter().enumerate() {
        let v = p.value();
        let wobble = ((step * 7 + i * 3) % 5) as f32 * 0.1 - 0.2;
        p.set_grad(Some(&(&v * 1.5) + wobble));
    }
}

fn values(params: &[Variable<f32>]) -> Vec<Vec<f32>> {
    params.iter().map(|p| p.value().to_vec()).collect()
}

/// Runs `total` steps uninterrupted, then `split` steps + save/load into a fresh optimizer +
/// the rest, and compares every value bit for bit.
fn check_resume<O: Optimizer>(name: &str, make: impl Fn(&[Variable<f32>]) -> O) {
    let (split, total) = (4, 9);
    let reference = params();
    let mut opt = make(&reference);
    let mut expected = Vec::new();
    for step in 0..total {
        opt.zero_grad();
        set_grads(&reference, step);
        opt.step();
        expected.push(values(&reference));
    }

    let resumed = params();
    let mut first = make(&resumed);
    for step in 0..split {
        first.zero_grad();
        set_grads(&resumed, step);
        first.step();
    }
    let saved = through_file(&first.state_dict(), name);
    drop(first);
    let mut second = make(&resumed);
    second.load_state_dict(&saved).unwrap_or_else(|e| panic!("{name}: {e}"));
    for (step, want) in expected.iter().enumerate().skip(split) {
        second.zero_grad();
        set_grads(&resumed, step);
        second.step();
        assert_eq!(&values(&resumed), want, "{name}: step {} differs after resuming", step + 1);
    }
}

/// Group 0 holds the first parameter, group 1 the second with its own rate and decay.
macro_rules! two_groups {
    ($ty:ident, $config:expr) => {
        |p: &[Variable<f32>]| {
            let config = $config;
            let mut opt = $ty::new([p[0].clone()], config);
            let mut other = config;
            other.lr *= 0.5;
            opt.add_param_group([p[1].clone()], other);
            opt
        }
    };
}

#[test]
fn every_optimizer_resumes_bit_for_bit() {
    check_resume(
        "sgd",
        two_groups!(
            Sgd,
            SgdConfig { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.01, ..Default::default() }
        ),
    );
    check_resume("adagrad", two_groups!(Adagrad, AdagradConfig { lr: 0.1, lr_decay: 0.01, ..Default::default() }));
    check_resume("adadelta", two_groups!(Adadelta, AdadeltaConfig { weight_decay: 0.01, ..Default::default() }));
    check_resume(
        "rmsprop",
        two_groups!(Rmsprop, RmspropConfig { momentum: 0.5, centered: true, ..Default::default() }),
    );
    check_resume("adam", two_groups!(Adam, AdamConfig { lr: 0.05, amsgrad: true, ..Default::default() }));
    check_resume("adamw", two_groups!(AdamW, AdamWConfig { lr: 0.05, ..Default::default() }));
    check_resume("lion", two_groups!(Lion, LionConfig { lr: 0.01, weight_decay: 0.1, ..Default::default() }));
    check_resume("adamax", two_groups!(Adamax, AdamaxConfig { lr: 0.05, weight_decay: 0.01, ..Default::default() }));
    // NAdam's mu_product is a running product: a resume that lost it would drift from step 5.
    check_resume(
        "nadam",
        two_groups!(
            NAdam,
            NAdamConfig { lr: 0.05, weight_decay: 0.01, decoupled_weight_decay: true, ..Default::default() }
        ),
    );
    // Split at step 4 of 9 with beta2 = 0.9: the resumed half crosses the rectification threshold.
    check_resume("radam", two_groups!(RAdam, RAdamConfig { lr: 0.05, betas: (0.9, 0.9), ..Default::default() }));
}

#[test]
fn new_optimizers_save_their_state_under_torch_names() {
    let p = params();
    set_grads(&p, 0);
    let mut nadam = NAdam::new(p.clone(), NAdamConfig::default());
    nadam.step();
    let dict = nadam.state_dict();
    for key in ["step", "mu_product", "exp_avg", "exp_avg_sq"] {
        assert!(dict.contains_key(&format!("state.1.{key}")), "NAdam: no state.1.{key}");
    }
    let mu_1 = 0.9 * (1.0 - 0.5 * 0.96f64.powf(4e-3));
    assert_eq!(dict.get("state.0.mu_product").unwrap().cast::<f64>().item(), mu_1);
    assert!(dict.contains_key("param_groups.0.momentum_decay"));
    assert!(dict.contains_key("param_groups.0.decoupled_weight_decay"));

    let mut adamax = Adamax::new(p.clone(), AdamaxConfig::default());
    adamax.step();
    assert!(adamax.state_dict().contains_key("state.0.exp_inf"));
    let mut radam = RAdam::new(p, RAdamConfig::default());
    radam.step();
    assert!(radam.state_dict().contains_key("param_groups.0.decoupled_weight_decay"));
}

#[test]
fn hyperparameters_are_restored_from_the_state_dict() {
    let p = params();
    let mut opt =
        Adam::new(p.clone(), AdamConfig { lr: 0.123, betas: (0.8, 0.95), amsgrad: true, ..Default::default() });
    set_grads(&p, 0);
    opt.step();
    let dict = opt.state_dict();
    let names: Vec<&str> = dict.keys().collect();
    for key in ["param_groups.0.params", "param_groups.0.lr", "param_groups.0.betas", "state.0.step", "state.1.exp_avg"]
    {
        assert!(names.contains(&key), "{key} missing from {names:?}");
    }
    assert_eq!(dict.get("state.0.step").unwrap().cast::<i64>().item(), 1);
    assert_eq!(dict.get("param_groups.0.params").unwrap().cast::<i64>().to_vec(), vec![0, 1]);

    let mut fresh = Adam::new(p, AdamConfig::default());
    fresh.load_state_dict(&dict).unwrap();
    let config = fresh.param_groups()[0].config;
    assert_eq!((config.lr, config.betas, config.amsgrad), (0.123, (0.8, 0.95), true));
}

#[test]
fn a_parameter_never_stepped_has_no_state_and_resumes_as_fresh() {
    let p = params();
    let mut opt = Sgd::new(p.clone(), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() });
    p[0].set_grad(Some(Tensor::from([1.0f32, 1.0, 1.0])));
    opt.step();
    let dict = opt.state_dict();
    assert!(dict.contains_key("state.0.momentum_buffer"));
    assert!(!dict.keys().any(|k| k.starts_with("state.1.")));
    let mut fresh = Sgd::new(p.clone(), SgdConfig::default());
    fresh.load_state_dict(&dict).unwrap();
    assert!(fresh.state_of(&p[0]).is_some());
    assert!(fresh.state_of(&p[1]).is_none());
}

#[test]
fn schedulers_resume_bit_for_bit() {
    let make_schedule = || {
        SequentialLr::new(
            vec![Box::new(LinearLr::warmup(0.1, 3)), Box::new(CosineAnnealingLr { t_max: 10, eta_min: 1e-4 })],
            vec![3],
        )
    };
    let make_opt = |p: &[Variable<f32>]| AdamW::new(p.to_vec(), AdamWConfig { lr: 0.05, ..Default::default() });

    let reference = params();
    let mut opt = make_opt(&reference);
    let mut sched = Scheduler::new(&mut opt, make_schedule());
    let mut expected = Vec::new();
    for step in 0..10 {
        opt.zero_grad();
        set_grads(&reference, step);
        opt.step();
        sched.step(&mut opt);
        expected.push((values(&reference), opt.learning_rate()));
    }

    let resumed = params();
    let mut opt = make_opt(&resumed);
    let mut sched = Scheduler::new(&mut opt, make_schedule());
    for step in 0..5 {
        opt.zero_grad();
        set_grads(&resumed, step);
        opt.step();
        sched.step(&mut opt);
    }
    let opt_dict = through_file(&opt.state_dict(), "sched-opt");
    let sched_dict = through_file(&sched.state_dict(), "sched");
    // Fresh objects, built as at the start; then both state dicts.
    let mut opt = make_opt(&resumed);
    let mut sched = Scheduler::new(&mut opt, make_schedule());
    opt.load_state_dict(&opt_dict).unwrap();
    sched.load_state_dict(&sched_dict).unwrap();
    assert_eq!(sched.steps(), 5);
    for (step, want) in expected.iter().enumerate().skip(5) {
        opt.zero_grad();
        set_grads(&resumed, step);
        opt.step();
        sched.step(&mut opt);
        assert_eq!(&(values(&resumed), opt.learning_rate()), want, "step {}", step + 1);
    }
}

#[test]
fn one_cycle_and_plateau_state_round_trips() {
    let p = params();
    let mut opt = Sgd::new(p.clone(), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() });
    let mut sched = Scheduler::new(&mut opt, OneCycleLr::new(20));
    for _ in 0..7 {
        sched.step(&mut opt);
    }
    let mut other = Scheduler::new(&mut opt, OneCycleLr::new(20));
    other.load_state_dict(&through_file(&sched.state_dict(), "one-cycle")).unwrap();
    assert_eq!(other.steps(), 7);
    assert_eq!(other.base_lrs(), sched.base_lrs());
    assert_eq!(other.last_lrs(), sched.last_lrs());

    let config = PlateauConfig { patience: 1, factor: 0.5, ..Default::default() };
    let mut plateau = ReduceLrOnPlateau::new(config);
    for loss in [1.0, 0.5, 0.6] {
        plateau.step(&mut opt, loss);
    }
    let mut restored = ReduceLrOnPlateau::new(config);
    restored.load_state_dict(&through_file(&plateau.state_dict(), "plateau")).unwrap();
    assert_eq!((restored.best(), restored.num_bad_epochs()), (0.5, 1));
    // One more bad epoch cuts in both.
    let mut twin = Sgd::new(params(), SgdConfig { lr: opt.learning_rate(), ..Default::default() });
    assert!(plateau.step(&mut opt, 0.7));
    assert!(restored.step(&mut twin, 0.7));
    assert_eq!(opt.learning_rate(), twin.learning_rate());
}
