//! Whole training steps (steps/s) and small-batch inference latencies (µs), the figures a
//! learner feels: the course MLP 784-256-128-10 (ReLU, batch 128, cross-entropy) with SGD and
//! with Adam, TinyVGG (batch 32, 1×28×28, hidden 10, SGD), and the MLP's forward pass on batches
//! of 1, 8 and 32 without recording a graph. `tools/peers/train_step.py` times the same steps in
//! PyTorch and JAX, and `tools/peers/compare_train.py` alternates the three in one run.
//!
//! A step is `zero_grad` → forward → loss → `backward` → `step`, on fixed random data (the data
//! pipeline is not part of it). Each figure is the median over at least `min_runs` calls.

use super::{median_seconds, thread_counts, with_threads};
use kindling_autograd::{no_grad, Variable};
use kindling_nn::{cross_entropy, Forward, Linear, Module, ReLU, Sequential};
use kindling_optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_vision::models::TinyVgg;

/// The course MLP, as chapters 3 to 6 build it.
pub fn mlp(rng: &mut Rng) -> Sequential {
    Sequential::new()
        .add(Linear::new(784, 256, rng))
        .add(ReLU)
        .add(Linear::new(256, 128, rng))
        .add(ReLU)
        .add(Linear::new(128, 10, rng))
}

/// One training step of `model` on `(x, y)`: the loop every chapter writes.
pub fn train_step(model: &impl Forward<f32>, opt: &mut impl Optimizer, x: &Variable<f32>, y: &Tensor<i64>) {
    opt.zero_grad();
    let loss = cross_entropy(&model.forward(x), y);
    loss.backward();
    opt.step();
}

/// One row of the table: a name, its unit, and how to measure it (seconds per call).
struct Row {
    name: &'static str,
    unit: Unit,
    seconds: fn(&Budget) -> f64,
}

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    StepsPerSecond,
    Microseconds,
}

/// How long each measurement runs.
pub struct Budget {
    pub min_runs: usize,
    pub min_seconds: f64,
}

fn mlp_step_seconds(budget: &Budget, adam: bool) -> f64 {
    let mut rng = Rng::seed(0);
    let model = mlp(&mut rng);
    let x = Variable::constant(Tensor::<f32>::rand([128, 784], &mut rng));
    let y = Tensor::<i64>::randint(0, 10, [128], &mut rng);
    if adam {
        let mut opt = Adam::new(model.parameters(), AdamConfig { lr: 1e-3, ..AdamConfig::default() });
        median_seconds(budget.min_runs, budget.min_seconds, || train_step(&model, &mut opt, &x, &y))
    } else {
        let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.01, ..SgdConfig::default() });
        median_seconds(budget.min_runs, budget.min_seconds, || train_step(&model, &mut opt, &x, &y))
    }
}

fn tinyvgg_step_seconds(budget: &Budget) -> f64 {
    let mut rng = Rng::seed(0);
    let model = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut rng);
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.1, ..SgdConfig::default() });
    let x = Variable::constant(Tensor::<f32>::rand([32, 1, 28, 28], &mut rng));
    let y = Tensor::<i64>::randint(0, 10, [32], &mut rng);
    median_seconds(budget.min_runs, budget.min_seconds, || train_step(&model, &mut opt, &x, &y))
}

fn mlp_infer_seconds(budget: &Budget, batch: usize) -> f64 {
    let mut rng = Rng::seed(0);
    let model = mlp(&mut rng);
    let x = Variable::constant(Tensor::<f32>::rand([batch, 784], &mut rng));
    median_seconds(budget.min_runs, budget.min_seconds, || {
        no_grad(|| std::hint::black_box(model.forward(&x)));
    })
}

const ROWS: [Row; 6] = [
    Row { name: "mlp_sgd_b128", unit: Unit::StepsPerSecond, seconds: |b| mlp_step_seconds(b, false) },
    Row { name: "mlp_adam_b128", unit: Unit::StepsPerSecond, seconds: |b| mlp_step_seconds(b, true) },
    Row { name: "tinyvgg_sgd_b32", unit: Unit::StepsPerSecond, seconds: tinyvgg_step_seconds },
    Row { name: "mlp_infer_b1", unit: Unit::Microseconds, seconds: |b| mlp_infer_seconds(b, 1) },
    Row { name: "mlp_infer_b8", unit: Unit::Microseconds, seconds: |b| mlp_infer_seconds(b, 8) },
    Row { name: "mlp_infer_b32", unit: Unit::Microseconds, seconds: |b| mlp_infer_seconds(b, 32) },
];

/// Prints the table: one line per row, one column per thread count. Lines are
/// `name unit value@threads...` so `tools/peers/compare_train.py` can read them back.
/// `only` names the rows to measure (all when empty).
pub fn run(quick: bool, only: &[&str]) {
    if let Some(unknown) = only.iter().find(|name| !ROWS.iter().any(|row| row.name == **name)) {
        let names: Vec<&str> = ROWS.iter().map(|row| row.name).collect();
        eprintln!("kindling bench train: no row {unknown}; the rows are {}", names.join(", "));
        std::process::exit(2);
    }
    let budget =
        if quick { Budget { min_runs: 3, min_seconds: 0.02 } } else { Budget { min_runs: 20, min_seconds: 1.0 } };
    let threads = thread_counts();
    println!("# training steps (steps/s, higher is better) and inference latency (µs, lower is better)");
    print!("{:<18} {:<8}", "row", "unit");
    for t in &threads {
        print!(" {:>12}", format!("{t} thread{}", if *t == 1 { "" } else { "s" }));
    }
    println!();
    for row in ROWS.iter().filter(|row| only.is_empty() || only.contains(&row.name)) {
        print!("{:<18} {:<8}", row.name, if row.unit == Unit::StepsPerSecond { "steps/s" } else { "us" });
        for &t in &threads {
            let secs = with_threads(t, || (row.seconds)(&budget));
            let value = if row.unit == Unit::StepsPerSecond { 1.0 / secs } else { secs * 1e6 };
            print!(" {value:>12.1}");
        }
        println!();
    }
}
