//! The optimizers in use: the zero_grad → backward → step protocol with real autograd,
//! convergence on a quadratic, parameter groups, frozen parameters, and f32/f64.

use kindling_autograd::Variable;
use kindling_optim::{
    clip_grad_norm, Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax,
    AdamaxConfig, Ewma, Lion, LionConfig, NAdam, NAdamConfig, Optimizer, RAdam, RAdamConfig, Rmsprop, RmspropConfig,
    Sgd, SgdConfig,
};
use kindling_tensor::{Tensor, Tolerance};

/// loss(θ) = Σ c⊙(θ − target)²/2, an ill-conditioned bowl (curvatures 0.5 to 4).
fn loss(theta: &Variable<f32>) -> Variable<f32> {
    let c = Variable::constant(Tensor::from([4.0f32, 1.0, 0.5]));
    let target = Variable::constant(Tensor::from([1.0f32, -2.0, 3.0]));
    (&(theta - &target).square() * &c).sum_all() * 0.5
}

/// Trains from θ = 0 and returns (first loss, last loss).
fn train(opt: &mut dyn Optimizer, theta: &Variable<f32>, steps: usize) -> (f32, f32) {
    let first = loss(theta).item();
    for _ in 0..steps {
        opt.zero_grad();
        let l = loss(theta);
        l.backward();
        opt.step();
    }
    (first, loss(theta).item())
}

/// Builds an optimizer over one parameter.
type MakeOptimizer = dyn Fn(Variable<f32>) -> Box<dyn Optimizer>;

#[test]
fn every_optimizer_descends_a_quadratic() {
    let theta = || Variable::param(Tensor::<f32>::zeros([3]));
    let cases: Vec<(&str, Box<MakeOptimizer>)> = vec![
        ("SGD", Box::new(|t| Box::new(Sgd::new([t], SgdConfig { lr: 0.1, ..Default::default() })))),
        (
            "SGD momentum",
            Box::new(|t| Box::new(Sgd::new([t], SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() }))),
        ),
        (
            "SGD Nesterov",
            Box::new(|t| {
                Box::new(Sgd::new([t], SgdConfig { lr: 0.05, momentum: 0.9, nesterov: true, ..Default::default() }))
            }),
        ),
        ("Adagrad", Box::new(|t| Box::new(Adagrad::new([t], AdagradConfig { lr: 0.5, ..Default::default() })))),
        ("Adadelta", Box::new(|t| Box::new(Adadelta::new([t], AdadeltaConfig { lr: 10.0, ..Default::default() })))),
        ("RMSprop", Box::new(|t| Box::new(Rmsprop::new([t], RmspropConfig { lr: 0.01, ..Default::default() })))),
        (
            "RMSprop centered",
            Box::new(|t| {
                Box::new(Rmsprop::new(
                    [t],
                    RmspropConfig { lr: 0.01, centered: true, momentum: 0.5, ..Default::default() },
                ))
            }),
        ),
        ("Adam", Box::new(|t| Box::new(Adam::new([t], AdamConfig { lr: 0.05, ..Default::default() })))),
        (
            "Adam AMSGrad",
            Box::new(|t| Box::new(Adam::new([t], AdamConfig { lr: 0.05, amsgrad: true, ..Default::default() }))),
        ),
        ("AdamW", Box::new(|t| Box::new(AdamW::new([t], AdamWConfig { lr: 0.05, ..Default::default() })))),
        ("Lion", Box::new(|t| Box::new(Lion::new([t], LionConfig { lr: 0.03, ..Default::default() })))),
        ("Adamax", Box::new(|t| Box::new(Adamax::new([t], AdamaxConfig { lr: 0.05, ..Default::default() })))),
        ("NAdam", Box::new(|t| Box::new(NAdam::new([t], NAdamConfig { lr: 0.05, ..Default::default() })))),
        ("RAdam", Box::new(|t| Box::new(RAdam::new([t], RAdamConfig { lr: 0.05, ..Default::default() })))),
    ];
    for (name, make) in cases {
        let t = theta();
        let mut opt = make(t.clone());
        let (first, last) = train(opt.as_mut(), &t, 300);
        assert!(last < 0.01 * first, "{name}: loss went from {first} to {last}");
    }
}

#[test]
fn frozen_parameters_and_parameters_without_gradients_are_skipped() {
    let (trained, frozen, unused) = (
        Variable::param(Tensor::from([1.0f32])),
        Variable::param(Tensor::from([1.0f32])),
        Variable::param(Tensor::from([1.0f32])),
    );
    let mut opt = Adam::new([trained.clone(), frozen.clone(), unused.clone()], AdamConfig::default());
    trained.set_grad(Some(Tensor::from([1.0])));
    frozen.set_grad(Some(Tensor::from([1.0])));
    frozen.set_requires_grad(false);
    opt.step();
    assert!(trained.item() < 1.0);
    assert_eq!((frozen.item(), unused.item()), (1.0, 1.0));
    assert!(opt.state_of(&trained).is_some());
    assert!(opt.state_of(&frozen).is_none() && opt.state_of(&unused).is_none());
    opt.zero_grad();
    assert!(trained.grad().is_none() && frozen.grad().is_none());
}

#[test]
fn each_group_trains_with_its_own_hyperparameters() {
    let (backbone, head) = (Variable::param(Tensor::from([1.0f64])), Variable::param(Tensor::from([1.0f64])));
    let mut opt = Sgd::new([backbone.clone()], SgdConfig { lr: 0.01, ..Default::default() });
    opt.add_param_group([head.clone()], SgdConfig { lr: 0.1, weight_decay: 1.0, ..opt.defaults() });
    assert_eq!(opt.num_groups(), 2);
    assert_eq!(opt.params().count(), 2);
    backbone.set_grad(Some(Tensor::from([1.0])));
    head.set_grad(Some(Tensor::from([1.0])));
    opt.step();
    // backbone: 1 − 0.01·1; head: 1 − 0.1·(1 + 1·1).
    assert!(Tolerance::STRICT.accepts(backbone.item(), 0.99));
    assert!(Tolerance::STRICT.accepts(head.item(), 0.8));

    opt.set_learning_rate(0.5);
    assert_eq!((opt.group_lr(0), opt.group_lr(1)), (0.5, 0.5));
    opt.param_groups_mut()[1].config.lr = 0.25;
    assert_eq!(opt.param_groups()[1].config.lr, 0.25);
    assert_eq!(opt.name(), "SGD");
}

#[test]
fn defaults_are_pytorchs() {
    let sgd = SgdConfig::default();
    assert_eq!((sgd.lr, sgd.momentum, sgd.dampening, sgd.nesterov, sgd.weight_decay), (1e-3, 0.0, 0.0, false, 0.0));
    let adam = AdamConfig::default();
    assert_eq!(
        (adam.lr, adam.betas, adam.eps, adam.weight_decay, adam.amsgrad),
        (1e-3, (0.9, 0.999), 1e-8, 0.0, false)
    );
    let adamw = AdamWConfig::default();
    assert_eq!((adamw.lr, adamw.betas, adamw.eps, adamw.weight_decay), (1e-3, (0.9, 0.999), 1e-8, 0.01));
    let adagrad = AdagradConfig::default();
    assert_eq!((adagrad.lr, adagrad.lr_decay, adagrad.initial_accumulator_value, adagrad.eps), (1e-2, 0.0, 0.0, 1e-10));
    let adadelta = AdadeltaConfig::default();
    assert_eq!((adadelta.lr, adadelta.rho, adadelta.eps), (1.0, 0.9, 1e-6));
    let rmsprop = RmspropConfig::default();
    assert_eq!(
        (rmsprop.lr, rmsprop.alpha, rmsprop.eps, rmsprop.momentum, rmsprop.centered),
        (1e-2, 0.99, 1e-8, 0.0, false)
    );
    let lion = LionConfig::default();
    assert_eq!((lion.lr, lion.betas, lion.weight_decay), (1e-4, (0.9, 0.99), 0.0));
    let adamax = AdamaxConfig::default();
    assert_eq!((adamax.lr, adamax.betas, adamax.eps, adamax.weight_decay), (2e-3, (0.9, 0.999), 1e-8, 0.0));
    let nadam = NAdamConfig::default();
    assert_eq!(
        (nadam.lr, nadam.betas, nadam.eps, nadam.weight_decay, nadam.momentum_decay, nadam.decoupled_weight_decay),
        (2e-3, (0.9, 0.999), 1e-8, 0.0, 4e-3, false)
    );
    let radam = RAdamConfig::default();
    assert_eq!(
        (radam.lr, radam.betas, radam.eps, radam.weight_decay, radam.decoupled_weight_decay),
        (1e-3, (0.9, 0.999), 1e-8, 0.0, false)
    );
}

#[test]
fn f32_and_f64_models_take_the_same_steps() {
    let t32 = Variable::param(Tensor::from([1.0f32, -2.0]));
    let t64 = Variable::param(Tensor::from([1.0f64, -2.0]));
    let config = AdamConfig { lr: 0.1, ..Default::default() };
    let (mut o32, mut o64) = (Adam::new([t32.clone()], config), Adam::new([t64.clone()], config));
    for step in 0..5 {
        let g = [0.5 + step as f64, -1.0];
        t32.set_grad(Some(Tensor::from([g[0] as f32, g[1] as f32])));
        t64.set_grad(Some(Tensor::from(g)));
        o32.step();
        o64.step();
    }
    let (a, b) = (t32.value().to_vec(), t64.value().to_vec());
    for i in 0..2 {
        assert!(Tolerance::DEFAULT.accepts(a[i] as f64, b[i]), "{a:?} vs {b:?}");
    }
}

#[test]
fn clipping_fits_between_backward_and_step() {
    let theta = Variable::param(Tensor::from([10.0f32, -10.0, 10.0]));
    let mut opt = Sgd::new([theta.clone()], SgdConfig { lr: 0.1, ..Default::default() });
    opt.zero_grad();
    loss(&theta).backward();
    let norm = clip_grad_norm(opt.params(), 1.0);
    assert!(norm > 1.0);
    let clipped: f32 = theta.grad().unwrap().to_vec().iter().map(|g| g * g).sum::<f32>().sqrt();
    assert!(Tolerance::DEFAULT.accepts(clipped as f64, 1.0), "norm after clipping {clipped}");
    opt.step();
}

#[test]
fn ewma_smooths_with_and_without_bias_correction() {
    // β = 0.5: m = 0.5·0 + 0.5·4 = 2, then 0.5·2 + 0.5·8 = 5.
    // Corrected: 2/(1 − 0.5) = 4, 5/(1 − 0.25) = 6.666…
    let mut corrected = Ewma::new(0.5);
    let mut raw = Ewma::new(0.5).without_bias_correction();
    assert_eq!(corrected.value(), None);
    assert_eq!([corrected.update(4.0), corrected.update(8.0)], [4.0, 5.0 / 0.75]);
    assert_eq!([raw.update(4.0), raw.update(8.0)], [2.0, 5.0]);
    assert_eq!(corrected.count(), 2);
    corrected.reset();
    assert_eq!(corrected.value(), None);
    let message = std::panic::catch_unwind(|| Ewma::new(1.0)).unwrap_err();
    assert_eq!(message.downcast_ref::<String>().unwrap(), "Ewma: beta must be in [0, 1), got 1");
}
