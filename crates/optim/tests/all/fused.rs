//! The fused in-place steps of SGD and Adam/AdamW (fast kernel mode) against their tensor-op
//! twins (naive mode): the same bits, step after step, for every setting that changes the
//! formula, on a parameter large enough to be split across threads and on a small one.

use kindling_autograd::Variable;
use kindling_optim::{Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, Sgd, SgdConfig};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};

/// Runs `steps` steps of the optimizer `make` builds, once per kernel mode, on the same
/// parameters and gradients, and asserts the parameters agree bit for bit after every step.
fn same_bits(name: &str, make: impl Fn(Vec<Variable<f32>>) -> Box<dyn Optimizer>) {
    let mut rng = Rng::seed(7);
    // 70,000 elements: more than one part of the threaded split on two threads.
    let shapes: [&[usize]; 3] = [&[70_000], &[37, 5], &[3]];
    let start: Vec<Tensor<f32>> = shapes.iter().map(|s| Tensor::normal(s.to_vec(), 0.0, 1.0, &mut rng)).collect();
    let grads: Vec<Vec<Tensor<f32>>> =
        (0..4).map(|_| shapes.iter().map(|s| Tensor::normal(s.to_vec(), 0.0, 0.5, &mut rng)).collect()).collect();
    let run = |mode: KernelMode| {
        let params: Vec<Variable<f32>> = start.iter().map(|t| Variable::param(t.clone())).collect();
        let mut opt = make(params.clone());
        let mut trajectory = Vec::new();
        for step in &grads {
            for (p, g) in params.iter().zip(step) {
                p.set_grad(Some(g.clone()));
            }
            with_kernel_mode(mode, || opt.step());
            trajectory.push(params.iter().map(|p| p.value().to_vec()).collect::<Vec<_>>());
        }
        trajectory
    };
    let (fast, naive) = (run(KernelMode::Fast), run(KernelMode::Naive));
    for (step, (f, n)) in fast.iter().zip(&naive).enumerate() {
        for (param, (f, n)) in f.iter().zip(n).enumerate() {
            let differ = f.iter().zip(n).position(|(a, b)| a.to_bits() != b.to_bits());
            assert!(
                differ.is_none(),
                "{name}: step {step}, parameter {param}, element {differ:?}: fused {f:?} vs tensor ops"
            );
        }
    }
    // The start values must have moved, or the comparison proves nothing.
    assert_ne!(fast[0][0], start[0].to_vec(), "{name}: the step changed nothing");
}

fn sgd(config: SgdConfig) -> impl Fn(Vec<Variable<f32>>) -> Box<dyn Optimizer> {
    move |p| Box::new(Sgd::new(p, config))
}

#[test]
fn fused_sgd_matches_tensor_ops() {
    let base = SgdConfig { lr: 0.1, ..SgdConfig::default() };
    same_bits("plain", sgd(base));
    same_bits("weight decay", sgd(SgdConfig { weight_decay: 0.01, ..base }));
    same_bits("momentum", sgd(SgdConfig { momentum: 0.9, ..base }));
    same_bits("dampening", sgd(SgdConfig { momentum: 0.9, dampening: 0.3, weight_decay: 1e-3, ..base }));
    same_bits("nesterov", sgd(SgdConfig { momentum: 0.8, nesterov: true, weight_decay: 1e-3, ..base }));
}

#[test]
fn fused_adam_matches_tensor_ops() {
    let base = AdamConfig { lr: 1e-2, ..AdamConfig::default() };
    same_bits("adam", move |p| Box::new(Adam::new(p, base)));
    same_bits("adam l2", move |p| Box::new(Adam::new(p, AdamConfig { weight_decay: 0.1, ..base })));
    // β1 < ½: lerp's weight 1 − β1 is above ½ and it rounds with its other form.
    same_bits("adam low beta1", move |p| Box::new(Adam::new(p, AdamConfig { betas: (0.3, 0.99), ..base })));
    let w = AdamWConfig { lr: 1e-2, ..AdamWConfig::default() };
    same_bits("adamw", move |p| Box::new(AdamW::new(p, w)));
    same_bits("adamw no decay", move |p| Box::new(AdamW::new(p, AdamWConfig { weight_decay: 0.0, ..w })));
    same_bits("adamw amsgrad", move |p| Box::new(AdamW::new(p, AdamWConfig { amsgrad: true, ..w })));
}

#[test]
fn fused_step_copies_a_value_that_is_still_shared() {
    // Something outside the optimizer holding the old value must keep seeing it.
    let p = Variable::param(Tensor::from([1.0f32, 2.0, 3.0]));
    let before = p.value();
    let mut opt = Sgd::new([p.clone()], SgdConfig { lr: 0.5, ..SgdConfig::default() });
    p.set_grad(Some(Tensor::from([1.0, 1.0, 1.0])));
    with_kernel_mode(KernelMode::Fast, || opt.step());
    assert_eq!(before.to_vec(), vec![1.0, 2.0, 3.0]);
    assert_eq!(p.value().to_vec(), vec![0.5, 1.5, 2.5]);
}

#[test]
fn fused_step_runs_on_a_two_thread_pool() {
    // The threaded split of a large parameter gives the same bits as one thread.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    pool.install(|| same_bits("two threads", move |p| Box::new(Adam::new(p, AdamConfig::default()))));
}
