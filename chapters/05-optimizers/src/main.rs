//! Chapter 5's demo: `cargo run --release -p ch05-optimizers`.
//!
//! Fits a line with batch, mini-batch and stochastic gradient descent; compares the
//! momentum conventions; races every optimizer on two test surfaces (each with its
//! best learning rate from a grid); shows bias correction and decoupled weight
//! decay; plots the learning-rate schedules; clips gradients; and resumes a run
//! from a saved state dict. Everything the book shows is written to
//! `book/src/generated/05-optimizers/`.

use ch05_optimizers::figure::ContourPlot;
use ch05_optimizers::*;
use chapter_kit::{format_value, markdown_table, LineChart, Output};
use kindling_autograd::Variable;
use kindling_optim::schedule::{
    CosineAnnealingLr, CosineWarmRestarts, ExponentialLr, LinearLr, LrSchedule,
    OneCycleLr, SequentialLr, StepLr,
};
use kindling_optim::{clip_grad_norm, clip_grad_value, Ewma};
use kindling_tensor::Tensor;
use std::fmt::Write as _;

/// The learning rates each optimizer is tried with; the best one is kept.
const LR_GRID: [f64; 10] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0];

struct Setup {
    name: &'static str,
    file: &'static str,
    surface: Surface,
    start: [f64; 2],
    steps: usize,
    target: f64,
    x_range: (f64, f64),
    y_range: (f64, f64),
    levels: Vec<f64>,
    shown: Vec<Method>,
}

/// One method's best run on a surface.
struct Run {
    method: Method,
    lr: f64,
    path: Vec<[f64; 2]>,
    /// (steps until the loss stays below the target, or usize::MAX; final loss).
    score: (usize, f64),
}

/// Every method on one surface, each with the learning rate from the grid that
/// reaches the target soonest (or, when none does, ends lowest). Returns the table
/// rows and the runs.
fn race_all(setup: &Setup, out: &Output) -> (Vec<Vec<String>>, Vec<Run>) {
    let mut rows = Vec::new();
    let mut paths = Vec::new();
    for method in Method::ALL {
        let final_loss = |path: &[[f64; 2]]| {
            let p = path.last().unwrap();
            let v = setup.surface.value(p[0], p[1]);
            if v.is_finite() && path.len() == setup.steps + 1 {
                v
            } else {
                f64::INFINITY
            }
        };
        let mut best: Option<Run> = None;
        for lr in LR_GRID {
            let path = race(setup.surface, method, lr, setup.start, setup.steps);
            let reached = steps_to_reach(setup.surface, &path, setup.target)
                .unwrap_or(usize::MAX);
            let score = (reached, final_loss(&path));
            let better = match &best {
                None => true,
                Some(b) => {
                    score.0 < b.score.0
                        || (score.0 == b.score.0 && score.1 < b.score.1)
                }
            };
            if better {
                best = Some(Run { method, lr, path, score });
            }
        }
        let run = best.expect("the grid is not empty");
        let (reached, loss) = run.score;
        out.step(&format!(
            "  {:<18} lr {:<6} steps to target {:>5}",
            method.name(),
            run.lr,
            fmt_steps(reached)
        ));
        rows.push(vec![
            method.name().to_string(),
            format!("{}", run.lr),
            fmt_steps(reached),
            fmt_loss(loss),
        ]);
        paths.push(run);
    }
    (rows, paths)
}

fn fmt_steps(s: usize) -> String {
    if s == usize::MAX {
        "–".to_string()
    } else {
        s.to_string()
    }
}

fn fmt_loss(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1e}")
    } else {
        "diverged".to_string()
    }
}

fn main() -> std::io::Result<()> {
    let out = Output::for_chapter("05-optimizers")?;
    if cfg!(debug_assertions) {
        out.step("note: this is a debug build; run with --release");
    }

    // -----------------------------------------------------------------------------
    out.step(
        "fitting a line with batch, mini-batch and stochastic gradient descent",
    );
    let (xs, ys) = line_data(512, 1);
    let epochs = 10;
    let mut chart =
        LineChart::new("Loss on all 512 points while fitting y = 2x − 1")
            .x_label("epochs (passes over the data)")
            .y_label("log10 mean squared error");
    let mut rows = Vec::new();
    for (name, batch, lr) in [
        ("batch (512)", 512, 0.5),
        ("mini-batch (32)", 32, 0.1),
        ("stochastic (1)", 1, 0.01),
    ] {
        let losses = fit_line(&xs, &ys, batch, lr, epochs, 2);
        let per_epoch = 512usize.div_ceil(batch);
        let points: Vec<(f64, f64)> = losses
            .iter()
            .enumerate()
            .filter(|(i, _)| per_epoch <= 16 || i % (per_epoch / 16) == 0)
            .map(|(i, l)| (i as f64 / per_epoch as f64, l.log10()))
            .collect();
        chart = chart.series(&format!("{name}, η = {lr}"), points);
        let tail = &losses[losses.len() - per_epoch..];
        let spread = tail.iter().cloned().fold(f64::MIN, f64::max)
            - tail.iter().cloned().fold(f64::MAX, f64::min);
        rows.push(vec![
            name.to_string(),
            format!("{lr}"),
            per_epoch.to_string(),
            format!("{:.4}", losses[per_epoch]),
            format!("{:.4}", losses.last().unwrap()),
            format!("{spread:.4}"),
        ]);
    }
    let noise_floor = mse_and_grad(2.0, -1.0, &xs, &ys).0;
    chart = chart.dashed_series(
        "the true line's error",
        vec![(0.0, noise_floor.log10()), (epochs as f64, noise_floor.log10())],
    );
    out.write("gd-variants.svg", &chart.to_svg())?;
    out.write(
        "gd-variants.md",
        &markdown_table(
            &[
                "method",
                "η",
                "updates per epoch",
                "loss after 1 epoch",
                "loss after 10 epochs",
                "spread in epoch 10",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("three momentum conventions, and a learning-rate drop after step 30");
    let conv = momentum_conventions(0.02, 30, 60);
    let rows: Vec<Vec<String>> = [0, 1, 2, 10, 30, 31, 35, 45, 60]
        .iter()
        .map(|&k| {
            let r = conv[k];
            vec![
                k.to_string(),
                format!("{:.6}", r[0]),
                format!("{:.6}", r[1]),
                format!("{:.6}", r[2]),
            ]
        })
        .collect();
    out.write(
        "momentum-conventions.md",
        &markdown_table(
            &[
                "step",
                "PyTorch (η)",
                "velocity form (η)",
                "averaged form (η/(1 − β))",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("bias correction: averages of a constant gradient g = 1");
    let mut chart =
        LineChart::new("Exponential averages of g = 1, starting from 0")
            .x_label("step t")
            .y_label("average after t steps");
    for beta in [0.9, 0.999] {
        let mut raw = Ewma::new(beta).without_bias_correction();
        let mut fixed = Ewma::new(beta);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for t in 1..=100 {
            a.push((t as f64, raw.update(1.0)));
            b.push((t as f64, fixed.update(1.0)));
        }
        chart = chart.series(&format!("raw, β = {beta}"), a);
        if beta == 0.9 {
            chart = chart.dashed_series("bias-corrected (either β)", b);
        }
    }
    out.write("bias-correction.svg", &chart.to_svg())?;
    let (b1, b2): (f64, f64) = (0.9, 0.999);
    let uncorrected = (1.0 - b1) / (1.0 - b2).sqrt();
    out.write(
        "bias-correction.txt",
        &format!(
            "first Adam step, as a multiple of η, for any gradient g ≠ 0 (β1 = {b1}, β2 = {b2}):\n  without bias correction  m/√v = (1 − β1)|g| / (√(1 − β2)|g|) = {uncorrected:.4}\n  with bias correction     m̂/√v̂ = |g| / |g| = 1\n"
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("weight decay: Adam + L2 against AdamW");
    let scales = [0.01, 1.0, 100.0];
    let (steps, lr, decay) = (3000, 1e-3, 0.5);
    let l2 = decay_experiment(false, &scales, lr, decay, steps);
    let decoupled = decay_experiment(true, &scales, lr, decay, steps);
    let mut chart = LineChart::new(
        "|θ| of three weights whose gradients are noise of different sizes",
    )
    .x_label("step")
    .y_label("|θ|");
    let every = |h: &Vec<Vec<f64>>, i: usize| {
        h.iter()
            .enumerate()
            .step_by(20)
            .map(|(t, v)| (t as f64, v[i]))
            .collect::<Vec<_>>()
    };
    for (i, s) in scales.iter().enumerate() {
        chart = chart.series(&format!("Adam + L2, noise {s}"), every(&l2, i));
    }
    for (i, s) in scales.iter().enumerate() {
        chart =
            chart.dashed_series(&format!("AdamW, noise {s}"), every(&decoupled, i));
    }
    let ideal = (1.0 - lr * decay).powi(steps as i32);
    out.write("adamw-vs-l2.svg", &chart.to_svg())?;
    let rows: Vec<Vec<String>> = scales
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                format!("{s}"),
                format!("{:.3}", l2[steps][i]),
                format!("{:.3}", decoupled[steps][i]),
                format!("{ideal:.3}"),
            ]
        })
        .collect();
    out.write(
        "adamw-vs-l2.md",
        &markdown_table(
            &[
                "gradient noise scale",
                "Adam + L2",
                "AdamW",
                "(1 − ηλ) to the power 3000",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    let setups = [
        Setup {
            name: "the valley κ = 25",
            file: "valley",
            surface: Surface::Valley { kappa: 25.0 },
            start: [-4.5, 1.5],
            steps: 300,
            target: 1e-4,
            x_range: (-5.0, 5.0),
            y_range: (-2.0, 2.0),
            levels: vec![
                0.05, 0.2, 0.5, 1.0, 2.0, 4.0, 7.0, 11.0, 16.0, 24.0, 35.0,
            ],
            shown: vec![
                Method::Gd,
                Method::Momentum,
                Method::Nesterov,
                Method::Rmsprop,
                Method::Adam,
            ],
        },
        Setup {
            name: "Rosenbrock",
            file: "rosenbrock",
            surface: Surface::Rosenbrock,
            start: [-1.5, 2.0],
            steps: 3000,
            target: 1e-4,
            x_range: (-2.0, 2.0),
            y_range: (-1.0, 3.0),
            levels: vec![0.03, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0],
            shown: vec![
                Method::Gd,
                Method::Momentum,
                Method::Adagrad,
                Method::Rmsprop,
                Method::Adam,
                Method::Lion,
            ],
        },
    ];
    let mut race_md = String::new();
    for setup in &setups {
        out.step(&format!(
            "racing every optimizer on {} ({} steps)",
            setup.name, setup.steps
        ));
        let (rows, paths) = race_all(setup, &out);
        let _ = writeln!(
            race_md,
            "**{}**, from ({}, {}), {} steps, target loss {:.0e}:\n",
            setup.name, setup.start[0], setup.start[1], setup.steps, setup.target
        );
        race_md.push_str(&markdown_table(
            &["optimizer", "best η", "steps to target", "final loss"],
            &rows,
        ));
        race_md.push('\n');
        let shown = paths
            .into_iter()
            .filter(|r| setup.shown.contains(&r.method))
            .map(|r| (format!("{} (η = {})", r.method.name(), r.lr), r.path))
            .collect();
        let plot = ContourPlot {
            title: &format!("Optimizers on {}", setup.name),
            x_range: setup.x_range,
            y_range: setup.y_range,
            levels: setup.levels.clone(),
            paths: shown,
            minimum: setup.surface.minimum(),
        };
        let surface = setup.surface;
        out.write(
            &format!("race-{}.svg", setup.file),
            &plot.to_svg(|x, y| surface.value(x, y)),
        )?;
    }
    out.write("race.md", &race_md)?;

    // -----------------------------------------------------------------------------
    out.step("learning-rate schedules");
    let base = 0.1;
    let decays: [(&str, Box<dyn LrSchedule>); 4] = [
        ("step: ×0.5 every 25", Box::new(StepLr { step_size: 25, gamma: 0.5 })),
        ("exponential: ×0.97 per step", Box::new(ExponentialLr { gamma: 0.97 })),
        (
            "cosine, T_max = 100",
            Box::new(CosineAnnealingLr { t_max: 100, eta_min: 1e-6 }),
        ),
        (
            "warm restarts, T_0 = 20, ×2",
            Box::new(CosineWarmRestarts { t_0: 20, t_mult: 2, eta_min: 0.0 }),
        ),
    ];
    let mut chart = LineChart::new("Decaying schedules from η₀ = 0.1")
        .x_label("step")
        .y_label("learning rate");
    for (name, s) in &decays {
        chart = chart.series(name, schedule_curve(s.as_ref(), base, 100));
    }
    out.write("schedules-decay.svg", &chart.to_svg())?;
    let warmup_cosine = SequentialLr::new(
        vec![
            Box::new(LinearLr::warmup(0.01, 10)),
            Box::new(CosineAnnealingLr { t_max: 90, eta_min: 0.0 }),
        ],
        vec![10],
    );
    let one_cycle = OneCycleLr::new(100);
    let chart = LineChart::new("Schedules that warm up first (peak 0.1)")
        .x_label("step")
        .y_label("learning rate")
        .series(
            "warmup (10 steps), then cosine",
            schedule_curve(&warmup_cosine, base, 100),
        )
        .series(
            "one-cycle (30% up, then down)",
            schedule_curve(&one_cycle, base, 99),
        )
        .dashed_series(
            "one-cycle's momentum ÷ 10",
            (0..=99)
                .map(|t| (t as f64, one_cycle.momentum(t).unwrap_or(0.0) / 10.0))
                .collect(),
        );
    out.write("schedules-warmup.svg", &chart.to_svg())?;
    let cos = CosineAnnealingLr { t_max: 10, eta_min: 1e-6 };
    let rows: Vec<Vec<String>> = [0, 1, 2, 5, 8, 10]
        .iter()
        .map(|&t| vec![t.to_string(), format!("{}", cos.lr(0.1, t))])
        .collect();
    out.write("cosine-fixture.md", &markdown_table(&["step t", "η_t"], &rows))?;
    let losses = [
        1.00, 0.80, 0.70, 0.72, 0.71, 0.70, 0.73, 0.69, 0.69, 0.70, 0.70, 0.71,
        0.68,
    ];
    let run = plateau_rates(0.1, &losses);
    let rows: Vec<Vec<String>> = losses
        .iter()
        .zip(&run)
        .enumerate()
        .map(|(e, (l, (lr, cut)))| {
            vec![
                e.to_string(),
                format!("{l:.2}"),
                format!("{lr}"),
                if *cut { "cut ×0.5".into() } else { String::new() },
            ]
        })
        .collect();
    out.write(
        "plateau.md",
        &markdown_table(
            &["epoch", "validation loss", "rate used", "after the epoch"],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("gradient clipping");
    let mut rows = Vec::new();
    for g in [[3.0, 4.0], [0.3, 0.4]] {
        let v = Variable::param(Tensor::<f64>::zeros([2]));
        v.set_grad(Some(Tensor::from_slice(&g)));
        let norm = clip_grad_norm([&v], 1.0);
        let clipped = v.grad().unwrap().to_vec();
        let without_min: Vec<f64> = g.iter().map(|x| x * 1.0 / norm).collect();
        rows.push(vec![
            format!("[{}, {}]", g[0], g[1]),
            format!("{norm}"),
            format!("[{:.4}, {:.4}]", clipped[0], clipped[1]),
            format!("[{:.4}, {:.4}]", without_min[0], without_min[1]),
        ]);
    }
    let v = Variable::param(Tensor::<f64>::zeros([2]));
    v.set_grad(Some(Tensor::from([-2.0, 0.5])));
    clip_grad_value([&v], 1.0);
    let by_value = v.grad().unwrap().to_vec();
    let mut text = markdown_table(
        &["gradient g", "‖g‖", "g·min(1, 1/‖g‖)", "g·1/‖g‖ (no min)"],
        &rows,
    );
    let _ = writeln!(
        text,
        "\nClipping [-2, 0.5] by value 1 gives [{}, {}].",
        by_value[0], by_value[1]
    );
    out.write("clipping.md", &text)?;
    let wild = quartic_descent(0.1, None, 60);
    let tame = quartic_descent(0.1, Some(1.0), 60);
    let rows: Vec<Vec<String>> = [0, 1, 2, 3, 4, 5, 10, 20, 40, 60]
        .iter()
        .map(|&k| {
            let w = wild.get(k).map_or("–".to_string(), |x| match x.abs() {
                a if !a.is_finite() => "overflow".into(),
                a if a >= 1e4 => format!("{x:.2e}"),
                _ => format_value(*x),
            });
            vec![k.to_string(), w, format!("{:.4}", tame[k])]
        })
        .collect();
    out.write(
        "clipping-quartic.md",
        &markdown_table(&["step", "x, unclipped", "x, norm clipped to 1"], &rows),
    )?;

    // -----------------------------------------------------------------------------
    out.step("parameter groups and an interrupted run");
    out.write("param-groups.txt", &(param_groups_demo().join("\n") + "\n"))?;
    let (straight, resumed, keys) =
        interrupted_run(400, 150, &std::env::temp_dir());
    let mut text = format!("saved state dict keys: {}\n", keys.join(", "));
    let _ = writeln!(
        text,
        "400 steps in one go:          ({:.17}, {:.17})",
        straight[0], straight[1]
    );
    let _ = writeln!(
        text,
        "150 steps, save, load, 250:   ({:.17}, {:.17})",
        resumed[0], resumed[1]
    );
    let _ = writeln!(
        text,
        "bit for bit identical: {}",
        straight[0].to_bits() == resumed[0].to_bits()
            && straight[1].to_bits() == resumed[1].to_bits()
    );
    out.write("resume.txt", &text)?;

    out.step("done");
    Ok(())
}
