//! The language-model recipe: warm-up then cosine ([`WarmupCosineLr`]) and weight decay on
//! matrices only ([`split_for_weight_decay`], [`adamw_decay_matrices`]).

use std::f64::consts::PI;

use kindling_autograd::Variable;
use kindling_optim::schedule::{LrSchedule, Scheduler, WarmupCosineLr};
use kindling_optim::{adamw_decay_matrices, split_for_weight_decay, AdamWConfig, Optimizer};
use kindling_tensor::{Tensor, Tolerance};

/// The formula of the doc comment, written out again independently.
fn expected(base: f64, min: f64, warmup: usize, decay: usize, t: usize) -> f64 {
    if t < warmup {
        base * (t as f64 + 1.0) / (warmup as f64 + 1.0)
    } else if t > decay {
        min
    } else {
        let ratio = (t - warmup) as f64 / (decay - warmup) as f64;
        min + 0.5 * (1.0 + (PI * ratio).cos()) * (base - min)
    }
}

#[test]
fn warmup_cosine_matches_its_formula_at_every_step() {
    for (warmup, decay) in [(0, 1), (0, 7), (1, 2), (4, 10), (10, 37)] {
        let schedule = WarmupCosineLr { warmup, decay_steps: decay, min_lr: 6e-5 };
        for t in 0..decay + 5 {
            let (got, want) = (schedule.lr(6e-4, t), expected(6e-4, 6e-5, warmup, decay, t));
            assert!(Tolerance::STRICT.accepts(got, want), "warmup {warmup}, decay {decay}, step {t}: {got} vs {want}");
        }
    }
}

#[test]
fn warmup_cosine_by_hand() {
    // W = 3, D = 7, η₀ = 1, η_min = 0.2: ramp 1/4, 2/4, 3/4; cosine over 4 steps from 1 to
    // 0.2: 1, 0.6 + 0.4·√½, 0.6, 0.6 − 0.4·√½, 0.2; then flat at 0.2.
    let schedule = WarmupCosineLr { warmup: 3, decay_steps: 7, min_lr: 0.2 };
    let h = 0.5f64.sqrt();
    let want = [0.25, 0.5, 0.75, 1.0, 0.6 + 0.4 * h, 0.6, 0.6 - 0.4 * h, 0.2, 0.2, 0.2];
    for (t, &w) in want.iter().enumerate() {
        let got = schedule.lr(1.0, t);
        assert!(Tolerance::STRICT.accepts(got, w), "step {t}: got {got}, expected {w}");
    }
    // The floor is reached exactly and never left (a plain cosine would climb back up).
    assert_eq!(schedule.lr(1.0, 7), 0.2);
    assert_eq!(schedule.lr(1.0, 10_000), 0.2);
}

#[test]
fn warmup_cosine_drives_every_group_and_resumes_from_its_state_dict() {
    let schedule = WarmupCosineLr { warmup: 2, decay_steps: 6, min_lr: 0.01 };
    let a = Variable::param(Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]));
    let b = Variable::param(Tensor::from([1.0f64]));
    let named = vec![("a".to_string(), a), ("b".to_string(), b)];
    let config = AdamWConfig { lr: 0.1, ..Default::default() };
    let mut opt = adamw_decay_matrices(named.clone(), config);
    let mut sched = Scheduler::new(&mut opt, schedule);
    assert_eq!(opt.group_lr(0), 0.1 / 3.0);
    assert_eq!(opt.group_lr(1), 0.1 / 3.0);
    for _ in 0..4 {
        sched.step(&mut opt);
    }
    let at_4 = expected(0.1, 0.01, 2, 6, 4);
    assert!(Tolerance::STRICT.accepts(opt.group_lr(1), at_4));

    // A fresh scheduler loaded from the state dict carries on at step 4.
    let mut opt2 = adamw_decay_matrices(named, config);
    let mut sched2 = Scheduler::new(&mut opt2, schedule);
    sched2.load_state_dict(&sched.state_dict()).unwrap();
    sched.step(&mut opt);
    sched2.step(&mut opt2);
    assert_eq!(sched2.steps(), 5);
    assert_eq!(opt2.group_lr(0).to_bits(), opt.group_lr(0).to_bits());
}

#[test]
#[should_panic(expected = "WarmupCosineLr: decay_steps (5) must be greater than warmup (5)")]
fn warmup_cosine_needs_a_decay_phase() {
    let w = Variable::param(Tensor::from([1.0f32]));
    let mut opt = kindling_optim::AdamW::new([w], AdamWConfig::default());
    let _ = Scheduler::new(&mut opt, WarmupCosineLr { warmup: 5, decay_steps: 5, min_lr: 0.0 });
}

#[test]
fn the_split_decays_matrices_and_embeddings_but_not_biases_or_gains() {
    let p = |shape: &[usize]| Variable::param(Tensor::<f32>::zeros(shape));
    let wte = p(&[10, 4]);
    let frozen = p(&[4, 4]);
    frozen.set_requires_grad(false);
    let named = vec![
        ("wte.weight".to_string(), wte.clone()),
        ("ln.weight".to_string(), p(&[4])),
        ("ln.bias".to_string(), p(&[4])),
        ("fc.weight".to_string(), p(&[8, 4])),
        ("fc.bias".to_string(), p(&[8])),
        ("conv.weight".to_string(), p(&[2, 1, 3, 3])),
        ("frozen.weight".to_string(), frozen),
        ("lm_head.weight".to_string(), wte), // tied: the same tensor again
        ("temperature".to_string(), p(&[])),
    ];
    let split = split_for_weight_decay(named.clone());
    let names = |g: &[(String, Variable<f32>)]| g.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&split.decay), ["wte.weight", "fc.weight", "conv.weight"]);
    assert_eq!(names(&split.no_decay), ["ln.weight", "ln.bias", "fc.bias", "temperature"]);
    assert_eq!(split.numels(), (40 + 32 + 18, 4 + 4 + 8 + 1));

    let opt = adamw_decay_matrices(named, AdamWConfig { weight_decay: 0.1, ..Default::default() });
    let groups = opt.param_groups();
    assert_eq!(groups.len(), 2);
    assert_eq!((groups[0].params().len(), groups[0].config.weight_decay), (3, 0.1));
    assert_eq!((groups[1].params().len(), groups[1].config.weight_decay), (4, 0.0));
}

#[test]
fn only_the_decayed_group_shrinks_without_gradient() {
    // With a zero gradient Adam's step is 0, so all that moves a weight is the decay θ·(1 − ηλ).
    let (w, b) = (Variable::param(Tensor::from([[2.0f64]])), Variable::param(Tensor::from([2.0f64])));
    let named = vec![("w".to_string(), w.clone()), ("b".to_string(), b.clone())];
    let mut opt = adamw_decay_matrices(named, AdamWConfig { lr: 0.1, weight_decay: 0.5, ..Default::default() });
    w.set_grad(Some(Tensor::from([[0.0]])));
    b.set_grad(Some(Tensor::from([0.0])));
    opt.step();
    assert_eq!(w.value().to_vec(), [2.0 * (1.0 - 0.1 * 0.5)]);
    assert_eq!(b.value().to_vec(), [2.0]);
}

#[test]
#[should_panic(expected = "adamw_decay_matrices: no parameter of rank >= 2 to decay (1 vectors or scalars)")]
fn the_split_needs_a_matrix() {
    let named = vec![("b".to_string(), Variable::param(Tensor::from([1.0f32])))];
    let _ = adamw_decay_matrices(named, AdamWConfig::default());
}
