//! Chapter 5 of the Kindling book: optimizers, learning-rate schedules and gradient
//! clipping.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch05-optimizers`) runs it and writes what the chapter
//! shows. Your exercises are in [`exercises`]; check them with
//! `cargo test -p ch05-optimizers --features learner`.

use kindling_autograd::Variable;
use kindling_optim::schedule::{
    LrSchedule, PlateauConfig, ReduceLrOnPlateau, Scheduler,
};
use kindling_optim::state::StateDict;
use kindling_optim::{
    clip_grad_norm, Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam,
    AdamConfig, AdamW, AdamWConfig, Lion, LionConfig, Optimizer, Rmsprop,
    RmspropConfig, Sgd, SgdConfig,
};
use kindling_tensor::{Rng, Tensor};

pub mod exercises;
pub mod figure;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

// ANCHOR: surfaces
/// A loss surface over two parameters (x, y), to watch optimizers move on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Surface {
    /// f = ½(x² + κ·y²): a straight valley whose walls are κ times steeper than its
    /// floor.
    Valley { kappa: f64 },
    /// f = (1 − x)² + 100·(y − x²)²: a curved, nearly flat valley with its minimum
    /// 0 at (1, 1).
    Rosenbrock,
}

impl Surface {
    /// The loss at (x, y), for contour plots.
    pub fn value(&self, x: f64, y: f64) -> f64 {
        match *self {
            Surface::Valley { kappa } => 0.5 * (x * x + kappa * y * y),
            Surface::Rosenbrock => (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2),
        }
    }

    /// The same loss on a parameter `p = [x, y]`, recorded for autograd.
    pub fn loss(&self, p: &Variable<f64>) -> Variable<f64> {
        let (x, y) = (p.select(0, 0), p.select(0, 1));
        match *self {
            Surface::Valley { kappa } => {
                &(&x.square() + &(&y.square() * kappa)) * 0.5
            }
            Surface::Rosenbrock => {
                &(&x - 1.0).square() + &(&(&y - &x.square()).square() * 100.0)
            }
        }
    }

    /// Where the minimum is.
    pub fn minimum(&self) -> [f64; 2] {
        match self {
            Surface::Valley { .. } => [0.0, 0.0],
            Surface::Rosenbrock => [1.0, 1.0],
        }
    }
}
// ANCHOR_END: surfaces

// ANCHOR: descend
/// Runs `steps` training steps of `optimizer` on `surface`, where `p` is the
/// optimizer's only parameter, and returns every point visited (the start first).
/// Stops early if the point stops being finite (a diverged run).
pub fn descend(
    surface: Surface,
    p: &Variable<f64>,
    optimizer: &mut dyn Optimizer,
    steps: usize,
) -> Vec<[f64; 2]> {
    let at = |p: &Variable<f64>| {
        let v = p.value().to_vec();
        [v[0], v[1]]
    };
    let mut path = vec![at(p)];
    for _ in 0..steps {
        optimizer.zero_grad(); // gradients add up until cleared
        surface.loss(p).backward(); // p.grad() = ∇f at the current point
        optimizer.step(); // the update rule moves p
        let now = at(p);
        path.push(now);
        if !(now[0].is_finite() && now[1].is_finite()) {
            break;
        }
    }
    path
}
// ANCHOR_END: descend

/// The optimizers the chapter races against each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Gd,
    Momentum,
    Nesterov,
    Adagrad,
    Rmsprop,
    Adadelta,
    Adam,
    AdamW,
    Lion,
}

impl Method {
    pub const ALL: [Method; 9] = [
        Method::Gd,
        Method::Momentum,
        Method::Nesterov,
        Method::Adagrad,
        Method::Rmsprop,
        Method::Adadelta,
        Method::Adam,
        Method::AdamW,
        Method::Lion,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Gd => "gradient descent",
            Method::Momentum => "momentum 0.9",
            Method::Nesterov => "Nesterov 0.9",
            Method::Adagrad => "Adagrad",
            Method::Rmsprop => "RMSprop",
            Method::Adadelta => "Adadelta",
            Method::Adam => "Adam",
            Method::AdamW => "AdamW (λ = 0.01)",
            Method::Lion => "Lion",
        }
    }
}

// ANCHOR: make_optimizer
/// One optimizer of each kind over the parameter `p`, with learning rate `lr` and
/// PyTorch's defaults for everything else.
pub fn make_optimizer(
    method: Method,
    p: &Variable<f64>,
    lr: f64,
) -> Box<dyn Optimizer> {
    let params = [p.clone()];
    match method {
        Method::Gd => Box::new(Sgd::<f64>::new(
            params,
            SgdConfig { lr, ..Default::default() },
        )),
        Method::Momentum => Box::new(Sgd::<f64>::new(
            params,
            SgdConfig { lr, momentum: 0.9, ..Default::default() },
        )),
        Method::Nesterov => Box::new(Sgd::<f64>::new(
            params,
            SgdConfig { lr, momentum: 0.9, nesterov: true, ..Default::default() },
        )),
        Method::Adagrad => Box::new(Adagrad::<f64>::new(
            params,
            AdagradConfig { lr, ..Default::default() },
        )),
        Method::Rmsprop => Box::new(Rmsprop::<f64>::new(
            params,
            RmspropConfig { lr, ..Default::default() },
        )),
        Method::Adadelta => Box::new(Adadelta::<f64>::new(
            params,
            AdadeltaConfig { lr, ..Default::default() },
        )),
        Method::Adam => Box::new(Adam::<f64>::new(
            params,
            AdamConfig { lr, ..Default::default() },
        )),
        Method::AdamW => Box::new(AdamW::<f64>::new(
            params,
            AdamWConfig { lr, ..Default::default() },
        )),
        Method::Lion => Box::new(Lion::<f64>::new(
            params,
            LionConfig { lr, ..Default::default() },
        )),
    }
}
// ANCHOR_END: make_optimizer

/// Runs one method from `start` and returns its path.
pub fn race(
    surface: Surface,
    method: Method,
    lr: f64,
    start: [f64; 2],
    steps: usize,
) -> Vec<[f64; 2]> {
    let p = Variable::param(Tensor::from_slice(&start));
    let mut opt = make_optimizer(method, &p, lr);
    descend(surface, &p, opt.as_mut(), steps)
}

/// The first step (0 = the start) from which the loss stays below `target` to the
/// end of the path, if any. (Reaching the target once and bouncing out again does
/// not count.)
pub fn steps_to_reach(
    surface: Surface,
    path: &[[f64; 2]],
    target: f64,
) -> Option<usize> {
    // false for NaN too
    let below = |p: &[f64; 2]| surface.value(p[0], p[1]) < target;
    let above = path.iter().rposition(|p| !below(p));
    match above {
        None => Some(0),
        Some(i) if i + 1 < path.len() => Some(i + 1),
        Some(_) => None,
    }
}

// ANCHOR: regression_data
/// Noisy points on the line y = 2x − 1, with x uniform in [−1, 1].
pub fn line_data(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng::seed(seed);
    let xs: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform_f64() - 1.0).collect();
    let ys = xs.iter().map(|&x| 2.0 * x - 1.0 + 0.3 * rng.normal_f64()).collect();
    (xs, ys)
}

/// The mean squared error of the line (w, b) on some points, and its gradient
/// (∂/∂w, ∂/∂b).
pub fn mse_and_grad(w: f64, b: f64, xs: &[f64], ys: &[f64]) -> (f64, [f64; 2]) {
    let n = xs.len() as f64;
    let (mut loss, mut dw, mut db) = (0.0, 0.0, 0.0);
    for (&x, &y) in xs.iter().zip(ys) {
        let r = w * x + b - y; // the residual
        loss += r * r / n;
        dw += 2.0 * r * x / n;
        db += 2.0 * r / n;
    }
    (loss, [dw, db])
}
// ANCHOR_END: regression_data

// ANCHOR: minibatch
/// Gradient descent on the line fit with batches of `batch` points drawn without
/// replacement, reshuffled every epoch: `batch = n` is batch gradient descent,
/// `batch = 1` stochastic gradient descent, anything between is mini-batch. Returns
/// the loss on all the data after every update, so runs with different batch sizes
/// can be compared per epoch.
pub fn fit_line(
    xs: &[f64],
    ys: &[f64],
    batch: usize,
    lr: f64,
    epochs: usize,
    seed: u64,
) -> Vec<f64> {
    let (mut w, mut b) = (0.0, 0.0);
    let mut rng = Rng::seed(seed);
    let mut losses = vec![mse_and_grad(w, b, xs, ys).0];
    for _ in 0..epochs {
        let order = rng.permutation(xs.len()); // a new order every epoch
        for chunk in order.chunks(batch) {
            let bx: Vec<f64> = chunk.iter().map(|&i| xs[i]).collect();
            let by: Vec<f64> = chunk.iter().map(|&i| ys[i]).collect();
            // a noisy estimate of the full gradient
            let (_, [dw, db]) = mse_and_grad(w, b, &bx, &by);
            w -= lr * dw;
            b -= lr * db;
            losses.push(mse_and_grad(w, b, xs, ys).0);
        }
    }
    losses
}
// ANCHOR_END: minibatch

// ANCHOR: momentum_conventions
/// Momentum with the learning rate inside the velocity: v ← γ·v + η·g, θ ← θ − v.
#[derive(Clone, Debug)]
pub struct VelocityMomentum {
    pub gamma: f64,
    v: Vec<f64>,
}

impl VelocityMomentum {
    pub fn new(gamma: f64, n: usize) -> Self {
        VelocityMomentum { gamma, v: vec![0.0; n] }
    }

    pub fn step(&mut self, theta: &mut [f64], grad: &[f64], lr: f64) {
        for ((t, v), g) in theta.iter_mut().zip(&mut self.v).zip(grad) {
            *v = self.gamma * *v + lr * g;
            *t -= *v;
        }
    }
}

/// Momentum as an average of gradients: v ← β·v + (1 − β)·g, θ ← θ − η·v.
#[derive(Clone, Debug)]
pub struct AveragedMomentum {
    pub beta: f64,
    v: Vec<f64>,
}

impl AveragedMomentum {
    pub fn new(beta: f64, n: usize) -> Self {
        AveragedMomentum { beta, v: vec![0.0; n] }
    }

    pub fn step(&mut self, theta: &mut [f64], grad: &[f64], lr: f64) {
        for ((t, v), g) in theta.iter_mut().zip(&mut self.v).zip(grad) {
            *v = self.beta * *v + (1.0 - self.beta) * g;
            *t -= lr * *v;
        }
    }
}
// ANCHOR_END: momentum_conventions

/// The three momentum conventions side by side on the valley κ = 10 from (1, 1),
/// with momentum 0.9 and a learning rate of `lr` that drops tenfold after `drop_at`
/// steps. The averaged form gets the learning rate lr/(1 − β), which makes it
/// PyTorch's rule exactly. Returns, per step, the x coordinate of (PyTorch,
/// velocity form, averaged form).
pub fn momentum_conventions(
    lr: f64,
    drop_at: usize,
    steps: usize,
) -> Vec<[f64; 3]> {
    let surface = Surface::Valley { kappa: 10.0 };
    let grad = |t: &[f64]| [t[0], 10.0 * t[1]];
    let p = Variable::param(Tensor::from([1.0f64, 1.0]));
    let mut torch = Sgd::<f64>::new(
        [p.clone()],
        SgdConfig { lr, momentum: 0.9, ..Default::default() },
    );
    let (mut a, mut b) = ([1.0, 1.0], [1.0, 1.0]);
    let mut velocity = VelocityMomentum::new(0.9, 2);
    let mut averaged = AveragedMomentum::new(0.9, 2);
    let mut rows = vec![[1.0; 3]];
    for step in 0..steps {
        let eta = if step < drop_at { lr } else { lr / 10.0 };
        torch.set_learning_rate(eta);
        torch.zero_grad();
        surface.loss(&p).backward();
        torch.step();
        let (ga, gb) = (grad(&a), grad(&b));
        velocity.step(&mut a, &ga, eta);
        averaged.step(&mut b, &gb, eta / (1.0 - 0.9));
        rows.push([p.value().to_vec()[0], a[0], b[0]]);
    }
    rows
}

// ANCHOR: decay_experiment
/// Weight decay under Adam + L2 against AdamW. Three weights start at 1; the loss's
/// gradient for weight i is pure noise of scale `scales[i]` (so the loss itself
/// does not care where the weights are) and only the decay pulls them toward 0.
/// Returns |θ_i| after every step.
pub fn decay_experiment(
    decoupled: bool,
    scales: &[f64],
    lr: f64,
    decay: f64,
    steps: usize,
) -> Vec<Vec<f64>> {
    let theta = Variable::param(Tensor::<f64>::ones([scales.len()]));
    let mut opt: Box<dyn Optimizer> = if decoupled {
        Box::new(AdamW::<f64>::new(
            [theta.clone()],
            AdamWConfig { lr, weight_decay: decay, ..Default::default() },
        ))
    } else {
        Box::new(Adam::<f64>::new(
            [theta.clone()],
            AdamConfig { lr, weight_decay: decay, ..Default::default() },
        ))
    };
    let mut rng = Rng::seed(5);
    let mut history = vec![vec![1.0; scales.len()]];
    for _ in 0..steps {
        let noise: Vec<f64> = scales.iter().map(|s| s * rng.normal_f64()).collect();
        // the loss's gradient
        theta.set_grad(Some(Tensor::from_vec(noise, [scales.len()])));
        opt.step(); // Adam adds λθ to it; AdamW shrinks θ by (1 − ηλ) on its own
        history.push(theta.value().to_vec().iter().map(|v| v.abs()).collect());
    }
    history
}
// ANCHOR_END: decay_experiment

// ANCHOR: schedule_curve
/// The learning rate a schedule sets after each of `steps` steps, from a base rate
/// `base_lr` (each schedule is a closed formula of the step count).
pub fn schedule_curve(
    schedule: &dyn LrSchedule,
    base_lr: f64,
    steps: usize,
) -> Vec<(f64, f64)> {
    (0..=steps).map(|t| (t as f64, schedule.lr(base_lr, t))).collect()
}
// ANCHOR_END: schedule_curve

// ANCHOR: scheduler_loop
/// The protocol of a schedule in a training loop: one `step` per epoch, after the
/// epoch's optimizer steps. Returns the learning rate each epoch trained with.
pub fn scheduled_rates(
    schedule: impl LrSchedule,
    base_lr: f64,
    epochs: usize,
) -> Vec<f64> {
    let w = Variable::param(Tensor::from([0.0f64]));
    let mut opt =
        Sgd::<f64>::new([w], SgdConfig { lr: base_lr, ..Default::default() });
    let mut scheduler = Scheduler::new(&mut opt, schedule);
    let mut rates = Vec::new();
    for _epoch in 0..epochs {
        rates.push(opt.learning_rate());
        // ... the epoch's batches: zero_grad, forward, backward, opt.step() ...
        scheduler.step(&mut opt); // the rate for the next epoch
    }
    rates
}

/// Reduce-on-plateau with the course's settings (factor 0.5, patience 3, min_lr
/// 1e-6) fed a scripted sequence of validation losses. Returns (the rate each epoch
/// trained with, whether the schedule cut after that epoch).
pub fn plateau_rates(base_lr: f64, val_losses: &[f64]) -> Vec<(f64, bool)> {
    let w = Variable::param(Tensor::from([0.0f64]));
    let mut opt =
        Sgd::<f64>::new([w], SgdConfig { lr: base_lr, ..Default::default() });
    let mut plateau = ReduceLrOnPlateau::new(PlateauConfig {
        factor: 0.5,
        patience: 3,
        min_lr: 1e-6,
        ..Default::default()
    });
    val_losses
        .iter()
        .map(|&loss| {
            let lr = opt.learning_rate();
            let cut = plateau.step(&mut opt, loss); // after validating the epoch
            (lr, cut)
        })
        .collect()
}
// ANCHOR_END: scheduler_loop

// ANCHOR: clipping
/// Gradient descent on f(x) = x⁴ from x = 3 with learning rate `lr`, optionally
/// clipping the gradient's norm to `max_norm` before every step. Returns x after
/// every step (stops when x is no longer finite).
pub fn quartic_descent(lr: f64, max_norm: Option<f64>, steps: usize) -> Vec<f64> {
    let x = Variable::param(Tensor::from([3.0f64]));
    let mut opt =
        Sgd::<f64>::new([x.clone()], SgdConfig { lr, ..Default::default() });
    let mut path = vec![3.0];
    for _ in 0..steps {
        opt.zero_grad();
        x.square().square().sum_all().backward(); // f'(x) = 4x³: 108 at x = 3
        if let Some(max_norm) = max_norm {
            clip_grad_norm([&x], max_norm); // ‖g‖ ≤ max_norm, direction unchanged
        }
        opt.step();
        let now = x.item();
        path.push(now);
        if !now.is_finite() {
            break;
        }
    }
    path
}
// ANCHOR_END: clipping

// ANCHOR: param_groups
/// Two parameter groups in one optimizer: a "body" trained slowly, with weight
/// decay, and a "head" trained ten times faster without it. A schedule scales each
/// group's own rate.
pub fn param_groups_demo() -> Vec<String> {
    let body = Variable::param(Tensor::<f64>::ones([3]));
    let head = Variable::param(Tensor::<f64>::ones([2]));
    let mut opt = AdamW::<f64>::new(
        [body.clone()],
        AdamWConfig { lr: 1e-3, weight_decay: 0.01, ..Default::default() },
    );
    opt.add_param_group(
        [head.clone()],
        AdamWConfig { lr: 1e-2, weight_decay: 0.0, ..opt.defaults() },
    );
    let mut scheduler = Scheduler::new(
        &mut opt,
        kindling_optim::schedule::StepLr { step_size: 1, gamma: 0.5 },
    );
    let mut log = vec![format!(
        "before: group rates {:?}",
        (0..opt.num_groups()).map(|g| opt.group_lr(g)).collect::<Vec<_>>()
    )];
    scheduler.step(&mut opt);
    log.push(format!(
        "after one StepLr(γ = 0.5) step: {:?}",
        (0..opt.num_groups()).map(|g| opt.group_lr(g)).collect::<Vec<_>>()
    ));
    log
}
// ANCHOR_END: param_groups

// ANCHOR: resume
/// Trains Adam on Rosenbrock for `total` steps in one go, and again stopping after
/// `stop` steps, saving the optimizer's state dict to a file, rebuilding everything
/// from scratch, loading it and finishing. Returns both final points and the saved
/// keys.
pub fn interrupted_run(
    total: usize,
    stop: usize,
    dir: &std::path::Path,
) -> ([f64; 2], [f64; 2], Vec<String>) {
    let surface = Surface::Rosenbrock;
    let config = AdamConfig { lr: 0.02, ..Default::default() };
    let start = Tensor::from([-1.5f64, 2.0]);

    let p = Variable::param(start.clone());
    let mut opt = Adam::<f64>::new([p.clone()], config);
    let straight = *descend(surface, &p, &mut opt, total).last().expect("a path");

    let p = Variable::param(start);
    let mut opt = Adam::<f64>::new([p.clone()], config);
    descend(surface, &p, &mut opt, stop);
    let path = dir.join("ch05-adam-state.safetensors");
    // every m, v and step count
    opt.state_dict().save(&path).expect("save the optimizer state");
    let saved_point = p.value();
    drop(opt); // the process could end here

    // the model's own state dict would restore this
    let p = Variable::param(saved_point);
    let mut opt = Adam::<f64>::new([p.clone()], config);
    let dict = StateDict::load(&path).expect("load the optimizer state");
    opt.load_state_dict(&dict).expect("the state fits this optimizer");
    let resumed =
        *descend(surface, &p, &mut opt, total - stop).last().expect("a path");
    let _ = std::fs::remove_file(&path);
    (straight, resumed, dict.keys().map(String::from).collect())
}
// ANCHOR_END: resume

#[cfg(test)]
mod tests {
    use super::*;
    use kindling_optim::schedule::CosineAnnealingLr;

    #[test]
    fn surfaces_agree_with_their_autograd_losses() {
        for s in [Surface::Valley { kappa: 10.0 }, Surface::Rosenbrock] {
            let p = Variable::param(Tensor::from([-0.7f64, 1.3]));
            let l = s.loss(&p);
            assert!((l.item() - s.value(-0.7, 1.3)).abs() < 1e-12);
            let m = s.minimum();
            assert_eq!(s.value(m[0], m[1]), 0.0);
        }
        // ∂f/∂x of Rosenbrock is −2(1 − x) − 400x(y − x²).
        let p = Variable::param(Tensor::from([-0.7f64, 1.3]));
        Surface::Rosenbrock.loss(&p).backward();
        let g = p.grad().unwrap().to_vec();
        assert!((g[0] - (-2.0 * 1.7 + 280.0 * (1.3 - 0.49))).abs() < 1e-9);
    }

    #[test]
    fn every_method_makes_progress_on_the_valley() {
        let s = Surface::Valley { kappa: 10.0 };
        for m in Method::ALL {
            let lr = if m == Method::Adadelta { 1.0 } else { 0.01 };
            let path = race(s, m, lr, [1.0, 1.0], 50);
            let last = path.last().unwrap();
            assert!(s.value(last[0], last[1]) < s.value(1.0, 1.0), "{m:?}");
        }
    }

    #[test]
    fn batch_sizes_all_fit_the_line() {
        let (xs, ys) = line_data(256, 1);
        for batch in [1, 16, 256] {
            let losses = fit_line(&xs, &ys, batch, 0.05, 60, 2);
            assert_eq!(losses.len(), 1 + 60 * 256usize.div_ceil(batch));
            assert!(
                *losses.last().unwrap() < 0.12,
                "batch {batch}: {}",
                losses.last().unwrap()
            );
        }
    }

    #[test]
    fn the_three_momentum_conventions_agree_until_the_rate_changes() {
        let rows = momentum_conventions(0.01, 30, 60);
        for r in &rows[..=30] {
            assert!(
                (r[0] - r[1]).abs() < 1e-12 && (r[0] - r[2]).abs() < 1e-12,
                "{r:?}"
            );
        }
        // After the drop the velocity form still carries steps taken with the old
        // rate.
        assert!((rows[40][0] - rows[40][1]).abs() > 1e-4);
        assert!((rows[40][0] - rows[40][2]).abs() < 1e-12);
    }

    #[test]
    fn adamw_decays_every_weight_alike_and_adam_l2_does_not() {
        let scales = [0.01, 1.0, 100.0];
        let w = decay_experiment(true, &scales, 1e-3, 0.5, 2000);
        let a = decay_experiment(false, &scales, 1e-3, 0.5, 2000);
        let (w, a) = (w.last().unwrap(), a.last().unwrap());
        // AdamW: all three shrank substantially (noise moves them a little).
        assert!(w.iter().all(|&v| v < 0.6), "{w:?}");
        // Adam + L2: the small-gradient weight is driven to 0, the large-gradient
        // one barely decays.
        assert!(a[0] < 0.05 && a[2] > 0.8, "{a:?}");
    }

    #[test]
    fn cosine_fixture_through_the_scheduler() {
        let rates = scheduled_rates(
            CosineAnnealingLr { t_max: 10, eta_min: 1e-6 },
            0.1,
            11,
        );
        assert!((rates[0] - 0.1).abs() < 1e-15);
        assert!((rates[5] - 0.0500005).abs() < 1e-12);
        assert!((rates[10] - 1e-6).abs() < 1e-15);
    }

    #[test]
    fn plateau_halves_after_the_fourth_bad_epoch() {
        // Epoch 1 sets the best; epochs 2 to 5 are four epochs without improvement.
        let losses = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];
        let run = plateau_rates(0.1, &losses);
        let cuts: Vec<bool> = run.iter().map(|r| r.1).collect();
        assert_eq!(cuts, [false, false, false, false, false, true, false]);
        assert_eq!(run[6].0, 0.05);
    }

    #[test]
    fn clipping_tames_the_quartic() {
        let wild = quartic_descent(0.1, None, 50);
        assert!(!wild.last().unwrap().is_finite());
        let tame = quartic_descent(0.1, Some(1.0), 200);
        assert!(tame.last().unwrap().abs() < 0.3, "{}", tame.last().unwrap());
    }

    #[test]
    fn param_groups_scale_separately() {
        let log = param_groups_demo();
        assert!(log[1].contains("0.0005") && log[1].contains("0.005"), "{log:?}");
    }

    #[test]
    fn resuming_from_a_state_dict_is_exact() {
        let (a, b, keys) = interrupted_run(60, 25, &std::env::temp_dir());
        assert_eq!(a, b);
        assert!(keys.iter().any(|k| k == "state.0.exp_avg_sq"), "{keys:?}");
    }
}
