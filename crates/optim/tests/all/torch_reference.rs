//! Trajectories and learning-rate sequences produced by `torch.optim` (see
//! `fixtures/make_fixtures.py`), replayed here in f64.

use kindling_autograd::Variable;
use kindling_optim::schedule::{
    Anneal, CosineAnnealingLr, CosineWarmRestarts, ExponentialLr, LinearLr, LrSchedule, MultiStepLr, OneCycleLr,
    PlateauConfig, PlateauMode, ReduceLrOnPlateau, Scheduler, SequentialLr, StepLr, ThresholdMode,
};
use kindling_optim::{
    Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax, AdamaxConfig, Lion,
    LionConfig, NAdam, NAdamConfig, Optimizer, RAdam, RAdamConfig, Rmsprop, RmspropConfig, Sgd, SgdConfig,
};
use kindling_tensor::{Tensor, Tolerance};
use serde_json::Value;

/// We evaluate PyTorch's formulas in PyTorch's order, in f64. The results are not bit-identical
/// only because PyTorch's CPU kernels fuse `a + α·b` into one fused multiply-add (one rounding
/// where we have two); over ten steps that stays far inside the strict preset.
const TORCH_F64: Tolerance = Tolerance::STRICT;

fn fixtures() -> Value {
    let text = include_str!("../fixtures/torch_reference.json");
    serde_json::from_str(text).expect("torch_reference.json parses")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn num(config: &Value, key: &str, default: f64) -> f64 {
    config.get(key).map_or(default, |v| v.as_f64().expect("number"))
}

fn flag(config: &Value, key: &str) -> bool {
    config.get(key).is_some_and(|v| v.as_bool().expect("bool"))
}

fn pair(config: &Value, key: &str, default: (f64, f64)) -> (f64, f64) {
    config.get(key).map_or(default, |v| {
        let f = floats(v);
        (f[0], f[1])
    })
}

fn build(kind: &str, config: &Value, theta: Variable<f64>) -> Box<dyn Optimizer> {
    let params = [theta];
    match kind {
        "SGD" => {
            let d = SgdConfig::default();
            Box::new(Sgd::new(
                params,
                SgdConfig {
                    lr: num(config, "lr", d.lr),
                    momentum: num(config, "momentum", d.momentum),
                    dampening: num(config, "dampening", d.dampening),
                    nesterov: flag(config, "nesterov"),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                },
            ))
        }
        "Adagrad" => {
            let d = AdagradConfig::default();
            Box::new(Adagrad::new(
                params,
                AdagradConfig {
                    lr: num(config, "lr", d.lr),
                    lr_decay: num(config, "lr_decay", d.lr_decay),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                    initial_accumulator_value: num(config, "initial_accumulator_value", d.initial_accumulator_value),
                    eps: num(config, "eps", d.eps),
                },
            ))
        }
        "Adadelta" => {
            let d = AdadeltaConfig::default();
            Box::new(Adadelta::new(
                params,
                AdadeltaConfig {
                    lr: num(config, "lr", d.lr),
                    rho: num(config, "rho", d.rho),
                    eps: num(config, "eps", d.eps),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                },
            ))
        }
        "RMSprop" => {
            let d = RmspropConfig::default();
            Box::new(Rmsprop::new(
                params,
                RmspropConfig {
                    lr: num(config, "lr", d.lr),
                    alpha: num(config, "alpha", d.alpha),
                    eps: num(config, "eps", d.eps),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                    momentum: num(config, "momentum", d.momentum),
                    centered: flag(config, "centered"),
                },
            ))
        }
        "Adam" => {
            let d = AdamConfig::default();
            Box::new(Adam::new(
                params,
                AdamConfig {
                    lr: num(config, "lr", d.lr),
                    betas: pair(config, "betas", d.betas),
                    eps: num(config, "eps", d.eps),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                    amsgrad: flag(config, "amsgrad"),
                },
            ))
        }
        "AdamW" => {
            let d = AdamWConfig::default();
            Box::new(AdamW::new(
                params,
                AdamWConfig {
                    lr: num(config, "lr", d.lr),
                    betas: pair(config, "betas", d.betas),
                    eps: num(config, "eps", d.eps),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                    amsgrad: flag(config, "amsgrad"),
                },
            ))
        }
        "Adamax" => {
            let d = AdamaxConfig::default();
            Box::new(Adamax::new(
                params,
                AdamaxConfig {
                    lr: num(config, "lr", d.lr),
                    betas: pair(config, "betas", d.betas),
                    eps: num(config, "eps", d.eps),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                },
            ))
        }
        "NAdam" => {
            let d = NAdamConfig::default();
            Box::new(NAdam::new(
                params,
                NAdamConfig {
                    lr: num(config, "lr", d.lr),
                    betas: pair(config, "betas", d.betas),
                    eps: num(config, "eps", d.eps),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                    momentum_decay: num(config, "momentum_decay", d.momentum_decay),
                    decoupled_weight_decay: flag(config, "decoupled_weight_decay"),
                },
            ))
        }
        "RAdam" => {
            let d = RAdamConfig::default();
            Box::new(RAdam::new(
                params,
                RAdamConfig {
                    lr: num(config, "lr", d.lr),
                    betas: pair(config, "betas", d.betas),
                    eps: num(config, "eps", d.eps),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                    decoupled_weight_decay: flag(config, "decoupled_weight_decay"),
                },
            ))
        }
        "Lion" => {
            let d = LionConfig::default();
            Box::new(Lion::new(
                params,
                LionConfig {
                    lr: num(config, "lr", d.lr),
                    betas: pair(config, "betas", d.betas),
                    weight_decay: num(config, "weight_decay", d.weight_decay),
                },
            ))
        }
        other => panic!("no optimizer {other} in this test"),
    }
}

#[test]
fn every_optimizer_follows_the_torch_trajectory() {
    let fx = fixtures();
    let problem = &fx["problem"];
    let c = Tensor::from_slice(&floats(&problem["c"]));
    let d = Tensor::from_slice(&floats(&problem["d"]));
    let entries = fx["optimizers"].as_array().expect("optimizers");
    assert!(entries.len() >= 29);
    let mut largest_gap = 0.0f64;
    for entry in entries {
        let name = entry["name"].as_str().expect("name");
        let theta = Variable::param(Tensor::from_slice(&floats(&problem["theta0"])));
        let mut opt = build(entry["kind"].as_str().expect("kind"), &entry["config"], theta.clone());
        for (k, expected) in entry["trajectory"].as_array().expect("trajectory").iter().enumerate() {
            opt.zero_grad();
            // loss = Σ c⊙θ²/2 + Σ d⊙θ, so ∂loss/∂θ = c⊙θ + d.
            theta.set_grad(Some(&(&c * &theta.value()) + &d));
            opt.step();
            let expected = Tensor::from_slice(&floats(expected));
            let ours = theta.value().to_vec();
            largest_gap = ours.iter().zip(expected.to_vec()).fold(largest_gap, |m, (a, e)| m.max((a - e).abs()));
            if let Some(msg) = kindling_tensor::tolerance::first_mismatch(&theta.value(), &expected, TORCH_F64) {
                panic!("{name}, step {}: {msg}", k + 1);
            }
        }
    }
    println!("{} optimizer cases, largest |ours - torch| = {largest_gap:e}", entries.len());
}

fn schedule_from(name: &str, config: &Value) -> Box<dyn LrSchedule> {
    let usize_of = |key: &str| config[key].as_u64().expect("integer") as usize;
    match name {
        "step" => Box::new(StepLr { step_size: usize_of("step_size"), gamma: num(config, "gamma", 0.0) }),
        "multistep" => Box::new(MultiStepLr {
            milestones: config["milestones"]
                .as_array()
                .expect("milestones")
                .iter()
                .map(|m| m.as_u64().unwrap() as usize)
                .collect(),
            gamma: num(config, "gamma", 0.0),
        }),
        "exponential" => Box::new(ExponentialLr { gamma: num(config, "gamma", 0.0) }),
        "cosine" => Box::new(CosineAnnealingLr { t_max: usize_of("t_max"), eta_min: num(config, "eta_min", 0.0) }),
        "warm_restarts" | "warm_restarts_constant" => Box::new(CosineWarmRestarts {
            t_0: usize_of("t_0"),
            t_mult: usize_of("t_mult"),
            eta_min: num(config, "eta_min", 0.0),
        }),
        "linear" | "linear_decay" => Box::new(LinearLr {
            start_factor: num(config, "start_factor", 0.0),
            end_factor: num(config, "end_factor", 0.0),
            total_steps: usize_of("total_steps"),
        }),
        "one_cycle_sgd" | "one_cycle_adam" => Box::new(OneCycleLr::new(usize_of("total_steps"))),
        "one_cycle_three_phase_linear" => Box::new(OneCycleLr {
            pct_start: num(config, "pct_start", 0.0),
            anneal: Anneal::Linear,
            three_phase: true,
            cycle_momentum: false,
            ..OneCycleLr::new(usize_of("total_steps"))
        }),
        "warmup_then_cosine" => Box::new(SequentialLr::new(
            vec![
                Box::new(LinearLr::warmup(num(config, "warmup_start_factor", 0.0), usize_of("warmup_steps"))),
                Box::new(CosineAnnealingLr { t_max: usize_of("t_max"), eta_min: num(config, "eta_min", 0.0) }),
            ],
            vec![usize_of("warmup_steps")],
        )),
        other => panic!("no schedule {other} in this test"),
    }
}

fn optimizer_for(entry: &Value) -> Box<dyn Optimizer> {
    let theta = Variable::param(Tensor::<f64>::zeros([1]));
    let lr = entry["lr"].as_f64().unwrap();
    match entry["optimizer"].as_str().unwrap() {
        "SGD" => Box::new(Sgd::new(
            [theta],
            SgdConfig { lr, momentum: entry["momentum"].as_f64().unwrap(), ..Default::default() },
        )),
        "Adam" => Box::new(Adam::new([theta], AdamConfig { lr, ..Default::default() })),
        other => panic!("no optimizer {other} in this test"),
    }
}

/// Returns the largest |ours − torch|.
fn assert_sequence(name: &str, what: &str, actual: &[f64], expected: &[f64]) -> f64 {
    assert_eq!(actual.len(), expected.len(), "{name}: {what} lengths");
    for (t, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(TORCH_F64.accepts(a, e), "{name}: {what} at step {t}: ours {a}, torch {e}");
    }
    actual.iter().zip(expected).fold(0.0, |m, (a, e)| m.max((a - e).abs()))
}

#[test]
fn every_schedule_follows_the_torch_learning_rates() {
    let fx = fixtures();
    let (mut checked, mut largest_gap) = (0, 0.0f64);
    for entry in fx["schedules"].as_array().expect("schedules") {
        let name = entry["name"].as_str().unwrap();
        let expected_lrs = floats(&entry["lrs"]);
        let expected_momenta = floats(&entry["momenta"]);
        let mut opt = optimizer_for(entry);
        let (mut lrs, mut momenta) = (Vec::new(), Vec::new());
        let mut record = |opt: &dyn Optimizer| {
            lrs.push(opt.learning_rate());
            momenta.push(opt.group_momentum(0).unwrap());
        };
        if name.starts_with("plateau") {
            let config = &entry["config"];
            let mut plateau = ReduceLrOnPlateau::new(PlateauConfig {
                mode: if config.get("mode").is_some() { PlateauMode::Max } else { PlateauMode::Min },
                factor: num(config, "factor", 0.1),
                patience: config["patience"].as_u64().unwrap() as usize,
                threshold: num(config, "threshold", 1e-4),
                threshold_mode: if config.get("threshold_mode").is_some() {
                    ThresholdMode::Abs
                } else {
                    ThresholdMode::Rel
                },
                cooldown: config.get("cooldown").map_or(0, |c| c.as_u64().unwrap() as usize),
                min_lr: num(config, "min_lr", 0.0),
                ..Default::default()
            });
            record(opt.as_ref());
            for metric in floats(&config["metrics"]) {
                plateau.step(opt.as_mut(), metric);
                record(opt.as_ref());
            }
        } else {
            let mut sched = Scheduler::new(opt.as_mut(), schedule_from(name, &entry["config"]));
            record(opt.as_ref());
            for _ in 1..expected_lrs.len() {
                sched.step(opt.as_mut());
                record(opt.as_ref());
            }
        }
        largest_gap = largest_gap.max(assert_sequence(name, "lr", &lrs, &expected_lrs));
        largest_gap = largest_gap.max(assert_sequence(name, "momentum", &momenta, &expected_momenta));
        checked += 1;
    }
    println!("{checked} schedule cases, largest |ours - torch| = {largest_gap:e}");
    assert_eq!(checked, 14);
}
