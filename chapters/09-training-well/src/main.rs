//! Chapter 9's demo: `cargo run --release -p ch09-training-well`.
//!
//! Measures activations through deep stacks under different initialisations; trains
//! deep sigmoid and ReLU networks and records every layer's gradient norm; checks
//! what each normalisation layer normalises and how batch norm behaves in training
//! and evaluation; rescues an exploding network with gradient clipping; overfits a
//! small data set and regularises it with dropout, L2 and decoupled weight decay;
//! sweeps the model size; stops early; and runs a learning-rate range test and a
//! learning-rate sweep. Everything the book shows is written to
//! `book/src/generated/09-training-well/`.

use ch09_training_well::solutions::steepest_lr;
use ch09_training_well::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_autograd::Variable;
use kindling_nn::{
    BatchNorm1d, BatchNorm2d, Forward, GroupNorm, LayerNorm, Module, RMSNorm,
};
use kindling_optim::{
    Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, Sgd, SgdConfig,
};
use kindling_tensor::{Rng, Tensor};
use kindling_train::{Control, EarlyStopping};
use std::time::Instant;

fn sgd(model: &DeepMlp, lr: f64) -> Sgd<f32> {
    Sgd::new(
        model.parameters(),
        SgdConfig { lr, momentum: 0.9, ..Default::default() },
    )
}

fn adam(model: &DeepMlp, lr: f64, weight_decay: f64) -> Adam<f32> {
    Adam::new(
        model.parameters(),
        AdamConfig { lr, weight_decay, ..Default::default() },
    )
}

fn adamw(model: &DeepMlp, lr: f64, weight_decay: f64) -> AdamW<f32> {
    AdamW::new(
        model.parameters(),
        AdamWConfig { lr, weight_decay, ..Default::default() },
    )
}

fn f3(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "diverged".to_string()
    }
}

fn sci(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1e}")
    } else {
        "∞".to_string()
    }
}

fn main() -> std::io::Result<()> {
    let out = Output::for_chapter("09-training-well")?;
    if cfg!(debug_assertions) {
        out.step("note: this is a debug build; run with --release");
    }
    let start = Instant::now();

    // -----------------------------------------------------------------------------
    out.step("activations through 20 layers of 256 units, six initialisations");
    let setups = [
        (Act::Tanh, Init::Fixed(0.01), "tanh, N(0, 0.01²)"),
        (Act::Tanh, Init::Fixed(1.0), "tanh, N(0, 1)"),
        (Act::Tanh, Init::Xavier, "tanh, Xavier (gain 5/3)"),
        (
            Act::Relu,
            Init::KaimingTimes(std::f64::consts::FRAC_1_SQRT_2),
            "ReLU, Var = 1/n (gain 1)",
        ),
        (Act::Relu, Init::Kaiming, "ReLU, Kaiming"),
        (Act::Relu, Init::KaimingTimes(1.5), "ReLU, 1.5 × Kaiming"),
    ];
    let mut chart = LineChart::new("Size of the activations through depth")
        .x_label("layer")
        .y_label("log10 root mean square of the activations");
    let mut rows = Vec::new();
    for (act, init, name) in setups {
        let stds = activation_stds(act, init, 256, 20, 256, 1);
        chart = chart.series(
            name,
            stds.iter()
                .enumerate()
                .map(|(l, s)| ((l + 1) as f64, s.log10()))
                .collect(),
        );
        rows.push(vec![
            name.to_string(),
            sci(stds[0]),
            sci(stds[4]),
            sci(stds[9]),
            sci(stds[19]),
        ]);
    }
    out.write("activation-stds.svg", &chart.to_svg())?;
    out.write(
        "activation-stds.md",
        &markdown_table(
            &["initialisation", "layer 1", "layer 5", "layer 10", "layer 20"],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("gradient norms per layer and training curves: 16 hidden layers, sigmoid against ReLU");
    let train_set = spiral_split(600, 3, 0.15, 21);
    let val_set = spiral_split(600, 3, 0.15, 22);
    let deep = |act, init, norm| MlpConfig {
        inputs: 2,
        width: 32,
        depth: 16,
        classes: 3,
        act,
        init,
        norm,
        dropout: 0.0,
    };
    let runs = [
        ("sigmoid, Xavier", deep(Act::Sigmoid, Init::Xavier, Norm::None)),
        ("tanh, Xavier", deep(Act::Tanh, Init::Xavier, Norm::None)),
        ("ReLU, Kaiming", deep(Act::Relu, Init::Kaiming, Norm::None)),
        (
            "sigmoid, Xavier + batch norm",
            deep(Act::Sigmoid, Init::Xavier, Norm::Batch),
        ),
    ];
    let mut grad_chart =
        LineChart::new("Gradient norm of every layer's weights at initialisation")
            .x_label("layer (1 = next to the input)")
            .y_label("log10 ‖∂L/∂W‖");
    let mut loss_chart = LineChart::new(
        "Training loss, 16 hidden layers of 32 units, SGD with momentum",
    )
    .x_label("step")
    .y_label("cross-entropy on the training set");
    let mut rows = Vec::new();
    for (name, config) in runs {
        let mut rng = Rng::seed(7);
        let model = DeepMlp::new(config, &mut rng);
        // One backward pass at initialisation, to look at the gradients.
        model.set_training(true);
        kindling_nn::cross_entropy(
            &model.forward(&Variable::constant(train_set.x.clone())),
            &train_set.y,
        )
        .backward();
        let norms = weight_grad_norms(&model);
        grad_chart = grad_chart.series(
            name,
            norms
                .iter()
                .enumerate()
                .map(|(l, n)| ((l + 1) as f64, n.log10()))
                .collect(),
        );
        let mut opt = sgd(&model, 0.005);
        let curves = train(&model, &mut opt, &train_set, &val_set, 600, 20, None);
        loss_chart = loss_chart.series(
            name,
            curves
                .steps
                .iter()
                .zip(&curves.train_loss)
                .map(|(&s, &l)| (s as f64, l))
                .collect(),
        );
        rows.push(vec![
            name.to_string(),
            sci(norms[0]),
            sci(norms[norms.len() - 1]),
            sci(norms[0] / norms[norms.len() - 1]),
            f3(*curves.train_loss.last().unwrap()),
            format!("{:.0} %", 100.0 * curves.val_acc.last().unwrap()),
        ]);
        out.step(&format!(
            "  {name:<30} final loss {}",
            f3(*curves.train_loss.last().unwrap())
        ));
    }
    out.write("depth-grad-norms.svg", &grad_chart.to_svg())?;
    out.write("depth-loss.svg", &loss_chart.to_svg())?;
    out.write(
        "depth.md",
        &markdown_table(
            &[
                "network",
                "‖∂L/∂W₁‖",
                "‖∂L/∂W₁₇‖",
                "ratio first/last",
                "loss after 600 steps",
                "validation accuracy",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("what each normalisation layer normalises, on a batch [8, 6, 4, 4]");
    norm_axes_table(&out)?;
    out.step("batch norm in training and in evaluation mode");
    batch_norm_modes(&out)?;

    // -----------------------------------------------------------------------------
    out.step("exploding gradients and clipping: ReLU with 1.5 × Kaiming, 16 hidden layers");
    let config = deep(Act::Relu, Init::KaimingTimes(1.5), Norm::None);
    let mut chart = LineChart::new(
        "Too-large initialisation, plain SGD with momentum, η = 0.01",
    )
    .x_label("step")
    .y_label("log10 training loss");
    let mut rows = Vec::new();
    for (name, clip) in
        [("no clipping", None), ("clip global norm at 1", Some(1.0))]
    {
        let mut rng = Rng::seed(7);
        let model = DeepMlp::new(config, &mut rng);
        let mut opt = sgd(&model, 0.01);
        let curves = train(&model, &mut opt, &train_set, &val_set, 300, 10, clip);
        chart = chart.series(
            name,
            curves
                .steps
                .iter()
                .zip(&curves.train_loss)
                .filter(|(_, l)| l.is_finite())
                .map(|(&s, &l)| (s as f64, l.max(1e-3).log10()))
                .collect(),
        );
        let finite: Vec<f64> =
            curves.grad_norm.iter().copied().filter(|g| g.is_finite()).collect();
        rows.push(vec![
            name.to_string(),
            sci(curves.grad_norm[0]),
            sci(finite.iter().cloned().fold(0.0, f64::max)),
            f3(*curves.train_loss.last().unwrap()),
            format!("{:.0} %", 100.0 * curves.val_acc.last().unwrap()),
        ]);
    }
    out.write("clipping.svg", &chart.to_svg())?;
    out.write(
        "clipping.md",
        &markdown_table(
            &[
                "run",
                "‖g‖ at step 0",
                "largest finite ‖g‖",
                "final training loss",
                "validation accuracy",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("overfitting 150 points with 3 × 128 ReLU units, and four ways to regularise");
    let small = spiral_split(150, 3, 0.3, 31);
    let held_out = spiral_split(1500, 3, 0.3, 32);
    let wide = |dropout| MlpConfig {
        inputs: 2,
        width: 128,
        depth: 3,
        classes: 3,
        act: Act::Relu,
        init: Init::Kaiming,
        norm: Norm::None,
        dropout,
    };
    let (steps, every, lr) = (1500, 25, 3e-3);
    let mut chart = LineChart::new(
        "Training (dashed) and validation (solid) loss on 150 spiral points",
    )
    .x_label("step")
    .y_label("cross-entropy");
    let mut rows = Vec::new();
    let mut plain_curves = Curves::default();
    for (name, dropout, opt_kind) in [
        ("no regularisation", 0.0, 0),
        ("dropout 0.3", 0.3, 0),
        ("Adam + L2, λ = 1e-3", 0.0, 1),
        ("AdamW, λ = 0.3", 0.0, 2),
    ] {
        let mut rng = Rng::seed(5);
        let model = DeepMlp::new(wide(dropout), &mut rng);
        let mut opt: Box<dyn Optimizer> = match opt_kind {
            0 => Box::new(adam(&model, lr, 0.0)),
            1 => Box::new(adam(&model, lr, 1e-3)),
            _ => Box::new(adamw(&model, lr, 0.3)),
        };
        let curves =
            train(&model, opt.as_mut(), &small, &held_out, steps, every, None);
        let pts = |ys: &[f64]| {
            curves
                .steps
                .iter()
                .zip(ys)
                .map(|(&s, &l)| (s as f64, l))
                .collect::<Vec<_>>()
        };
        if opt_kind != 1 {
            chart = chart.dashed_series(
                &format!("{name}, training"),
                pts(&curves.train_loss),
            );
            chart =
                chart.series(&format!("{name}, validation"), pts(&curves.val_loss));
        }
        let (best_i, best) = curves.val_loss.iter().enumerate().fold(
            (0, f64::INFINITY),
            |b, (i, &v)| if v < b.1 { (i, v) } else { b },
        );
        let weights: f64 = model
            .layers
            .iter()
            .map(|l| {
                l.weight
                    .value()
                    .to_vec()
                    .iter()
                    .map(|w| (w * w) as f64)
                    .sum::<f64>()
            })
            .sum();
        rows.push(vec![
            name.to_string(),
            f3(*curves.train_loss.last().unwrap()),
            f3(*curves.val_loss.last().unwrap()),
            format!("{} at step {}", f3(best), curves.steps[best_i]),
            format!("{:.1} %", 100.0 * curves.val_acc.last().unwrap()),
            format!("{:.1}", weights.sqrt()),
        ]);
        out.step(&format!(
            "  {name:<22} val loss {}",
            f3(*curves.val_loss.last().unwrap())
        ));
        if opt_kind == 0 && dropout == 0.0 {
            plain_curves = curves;
        }
    }
    out.write("regularisation.svg", &chart.to_svg())?;
    out.write(
        "regularisation.md",
        &markdown_table(
            &[
                "run",
                "final training loss",
                "final validation loss",
                "best validation loss",
                "validation accuracy",
                "‖W‖",
            ],
            &rows,
        ),
    )?;

    // Early stopping on the unregularised run, replayed from its validation losses.
    let mut stopper = EarlyStopping::new("val_loss", 8).restore_best_weights(false);
    let mut stopped_at = None;
    for (i, &v) in plain_curves.val_loss.iter().enumerate() {
        if let Control::Stop = stopper.observe(i, v, Default::default) {
            stopped_at = Some(i);
            break;
        }
    }
    let best_epoch = stopper.best_epoch().unwrap_or(0);
    let stop_text = match stopped_at {
        Some(i) => format!(
            "Evaluations every {every} steps, patience 8 evaluations: the best validation loss, {}, came at step {}; \
             training stops at step {} (instead of {steps}), where the validation loss is {}.\n",
            f3(plain_curves.val_loss[best_epoch]),
            plain_curves.steps[best_epoch],
            plain_curves.steps[i],
            f3(plain_curves.val_loss[i])
        ),
        None => "The validation loss never stopped improving for 8 evaluations in a row.\n".to_string(),
    };
    out.write("early-stopping.txt", &stop_text)?;

    // -----------------------------------------------------------------------------
    out.step("model size against training and validation loss");
    let mut train_pts = Vec::new();
    let mut val_pts = Vec::new();
    let mut rows = Vec::new();
    for width in [2usize, 4, 8, 16, 32, 64, 128, 256] {
        let mut rng = Rng::seed(5);
        let config = MlpConfig { width, depth: 2, ..wide(0.0) };
        let model = DeepMlp::new(config, &mut rng);
        let mut opt = adam(&model, lr, 0.0);
        let curves = train(&model, &mut opt, &small, &held_out, steps, steps, None);
        let (tl, vl) =
            (*curves.train_loss.last().unwrap(), *curves.val_loss.last().unwrap());
        train_pts.push(((width as f64).log2(), tl));
        val_pts.push(((width as f64).log2(), vl));
        let params: usize = model.parameters().iter().map(|p| p.numel()).sum();
        rows.push(vec![
            width.to_string(),
            params.to_string(),
            f3(tl),
            f3(vl),
            f3(vl - tl),
        ]);
    }
    let chart = LineChart::new(
        "Two hidden layers of growing width, 1500 steps of Adam on 150 points",
    )
    .x_label("log2 width")
    .y_label("cross-entropy after training")
    .series("training", train_pts)
    .series("validation", val_pts);
    out.write("model-size.svg", &chart.to_svg())?;
    out.write(
        "model-size.md",
        &markdown_table(
            &["width", "parameters", "training loss", "validation loss", "gap"],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step(
        "learning-rate range test and learning-rate sweep (SGD with momentum 0.9)",
    );
    let mid = MlpConfig { width: 64, depth: 3, ..wide(0.0) };
    let mut rng = Rng::seed(3);
    let model = DeepMlp::new(mid, &mut rng);
    let mut opt = sgd(&model, 1e-4);
    let curve = lr_range_test(&model, &mut opt, &train_set, 1e-4, 10.0, 200);
    // The steepest fall before the lowest point (after it, the loss only rises or
    // is noise).
    let lowest =
        curve
            .iter()
            .enumerate()
            .fold(0, |b, (i, p)| if p.1 < curve[b].1 { i } else { b });
    let steepest = steepest_lr(&curve[..=lowest.max(1)]);
    let (lr_at_min, _) = curve
        .iter()
        .cloned()
        .fold((0.0, f64::INFINITY), |b, p| if p.1 < b.1 { p } else { b });
    let range_chart =
        LineChart::new("Learning-rate range test: one run, η grows every step")
            .x_label("log10 learning rate")
            .y_label("smoothed training loss")
            .series("loss", curve.iter().map(|&(lr, l)| (lr.log10(), l)).collect());
    out.write("lr-range.svg", &range_chart.to_svg())?;
    let mut sweep = Vec::new();
    let mut rows = Vec::new();
    for lr in [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0] {
        let mut rng = Rng::seed(3);
        let model = DeepMlp::new(mid, &mut rng);
        let mut opt = sgd(&model, lr);
        let curves = train(&model, &mut opt, &train_set, &val_set, 300, 300, None);
        let tl = *curves.train_loss.last().unwrap();
        if tl.is_finite() {
            sweep.push((f64::log10(lr), tl));
        }
        rows.push(vec![
            format!("{lr}"),
            f3(tl),
            format!("{:.1} %", 100.0 * curves.val_acc.last().unwrap()),
        ]);
    }
    let sweep_chart = LineChart::new("Learning-rate sweep: 300 steps for each η")
        .x_label("log10 learning rate")
        .y_label("training loss after 300 steps")
        .series("final loss", sweep);
    out.write("lr-sweep.svg", &sweep_chart.to_svg())?;
    out.write(
        "lr-sweep.md",
        &markdown_table(
            &[
                "learning rate",
                "training loss after 300 steps",
                "validation accuracy",
            ],
            &rows,
        ),
    )?;
    out.write(
        "lr-range.txt",
        &format!(
            "range test: {} steps before the loss blew up (η reached {:.3}); steepest fall at η = {:.4}; \
             lowest smoothed loss at η = {:.3}, so a tenth of it is {:.4}\n",
            curve.len(),
            curve.last().unwrap().0,
            steepest,
            lr_at_min,
            lr_at_min / 10.0
        ),
    )?;

    out.step(&format!("done in {:.1} s", start.elapsed().as_secs_f64()));
    Ok(())
}

/// One row of the normalisation table: name, axes, number of groups, output values,
/// and the group of every value.
type NormCase =
    (&'static str, &'static str, usize, Vec<f32>, Box<dyn Fn(usize) -> usize>);

/// Mean, standard deviation and root mean square of each group of values.
fn group_stats(
    values: &[f32],
    group_of: impl Fn(usize) -> usize,
    groups: usize,
) -> Vec<(f64, f64, f64)> {
    let mut members: Vec<Vec<f64>> = vec![Vec::new(); groups];
    for (i, &v) in values.iter().enumerate() {
        members[group_of(i)].push(v as f64);
    }
    members
        .iter()
        .map(|m| {
            let n = m.len() as f64;
            let mean = m.iter().sum::<f64>() / n;
            let var = m.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            let rms = (m.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
            (mean, var.sqrt(), rms)
        })
        .collect()
}

fn norm_axes_table(out: &Output) -> std::io::Result<()> {
    let (n, c, h, w) = (8usize, 6usize, 4usize, 4usize);
    let mut rng = Rng::seed(12);
    let x = &(&Tensor::<f32>::randn([n, c, h, w], &mut rng) * 3.0) + 2.0;
    let xv = Variable::constant(x.clone());
    let idx = move |i: usize| (i / (c * h * w), (i / (h * w)) % c);
    let bn = BatchNorm2d::<f32>::new(c).forward(&xv).value().to_vec();
    let ln = LayerNorm::<f32>::new(vec![c, h, w]).forward(&xv).value().to_vec();
    let gn = GroupNorm::<f32>::new(3, c).forward(&xv).value().to_vec();
    let rms =
        RMSNorm::<f32>::new(vec![c, h, w]).eps(1e-5).forward(&xv).value().to_vec();
    let cases: [NormCase; 5] = [
        (
            "input (no normalisation)",
            "per sample",
            n,
            x.to_vec(),
            Box::new(move |i| idx(i).0),
        ),
        (
            "BatchNorm2d(6)",
            "N, H, W: one channel across the batch",
            c,
            bn,
            Box::new(move |i| idx(i).1),
        ),
        (
            "LayerNorm([6, 4, 4])",
            "C, H, W: one sample",
            n,
            ln,
            Box::new(move |i| idx(i).0),
        ),
        (
            "GroupNorm(3 groups, 6 channels)",
            "2 channels × H × W: one group of one sample",
            n * 3,
            gn,
            Box::new(move |i| idx(i).0 * 3 + idx(i).1 / 2),
        ),
        (
            "RMSNorm([6, 4, 4])",
            "C, H, W: one sample (no centring)",
            n,
            rms,
            Box::new(move |i| idx(i).0),
        ),
    ];
    let mut rows = Vec::new();
    for (name, over, groups, values, group_of) in cases {
        let stats = group_stats(&values, group_of, groups);
        let max_mean = stats.iter().map(|s| s.0.abs()).fold(0.0, f64::max);
        let avg_std = stats.iter().map(|s| s.1).sum::<f64>() / groups as f64;
        let avg_rms = stats.iter().map(|s| s.2).sum::<f64>() / groups as f64;
        rows.push(vec![
            name.to_string(),
            over.to_string(),
            groups.to_string(),
            format!("{max_mean:.3}"),
            format!("{avg_std:.3}"),
            format!("{avg_rms:.3}"),
        ]);
    }
    out.write(
        "norm-axes.md",
        &markdown_table(
            &[
                "layer",
                "statistics over",
                "groups",
                "largest |group mean|",
                "mean group std",
                "mean group RMS",
            ],
            &rows,
        ),
    )
}

fn batch_norm_modes(out: &Output) -> std::io::Result<()> {
    let bn = BatchNorm1d::<f32>::new(1);
    let column =
        |v: &[f32]| Variable::constant(Tensor::from_vec(v.to_vec(), [v.len(), 1]));
    let first = |y: Variable<f32>| y.value().to_vec()[0];
    let mut rows = Vec::new();
    let a = first(bn.forward(&column(&[1.0, 2.0, 3.0])));
    rows.push(vec!["training".into(), "[1, 2, 3]".into(), format!("{a:.4}")]);
    let b = first(bn.forward(&column(&[1.0, 1.5, 8.0])));
    rows.push(vec!["training".into(), "[1, 1.5, 8]".into(), format!("{b:.4}")]);
    // 300 batches of 32 values from N(5, 2²) fill the running statistics.
    let mut rng = Rng::seed(1);
    for _ in 0..300 {
        let x = &(&Tensor::<f32>::randn([32, 1], &mut rng) * 2.0) + 5.0;
        bn.forward(&Variable::constant(x));
    }
    bn.eval();
    let mean = bn
        .state_dict()
        .get("running_mean")
        .map(|t| t.cast::<f32>().to_vec()[0])
        .unwrap_or(f32::NAN);
    let var = bn
        .state_dict()
        .get("running_var")
        .map(|t| t.cast::<f32>().to_vec()[0])
        .unwrap_or(f32::NAN);
    for batch in [&[1.0f32, 2.0, 3.0][..], &[1.0, 1.5, 8.0], &[1.0]] {
        let y = first(bn.forward(&column(batch)));
        rows.push(vec![
            "evaluation".into(),
            format!("{batch:?}"),
            format!("{y:.4}"),
        ]);
    }
    let mut text = markdown_table(
        &["mode", "batch holding the value 1", "output for the value 1"],
        &rows,
    );
    text.push_str(&format!(
        "\nRunning statistics after 300 training batches from N(5, 2²): mean {mean:.3}, variance {var:.3}.\n"
    ));
    out.write("bn-modes.md", &text)
}
