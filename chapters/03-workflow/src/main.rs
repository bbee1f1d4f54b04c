//! Chapter 3's demo: `cargo run --release -p ch03-workflow`.
//!
//! The whole workflow on a noisy line: data and split, a model, one step inspected,
//! the hand-written loop, the same with `Trainer::fit` and with mini-batches, the
//! closed-form answer, saving and loading, and three runs whose curves show
//! underfitting, a good fit and overfitting. Everything the book shows is written
//! to `book/src/generated/03-workflow/`.

use ch03_workflow::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_nn::{summary, Module};
use kindling_tensor::Tensor;
use kindling_train::plot::{self, PlotOptions};
use kindling_train::{metrics, predict, seed_everything};
use std::fmt::Write as _;

/// (epoch, log10 loss) points from 1.
fn log_curve(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i + 1) as f64, v.max(1e-12).log10()))
        .collect()
}

fn curves_chart(title: &str, curves: &Curves) -> String {
    LineChart::new(title)
        .x_label("epoch")
        .y_label("log10 MSE")
        .series("train loss", log_curve(&curves.train))
        .series("test loss", log_curve(&curves.test))
        .to_svg()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = Output::for_chapter("03-workflow")?;
    let seed = seed_everything(42);

    out.step("data: 100 noisy points of y = 0.7x + 0.3, split 80/20");
    let data = make_data(100, seed.data());
    let mut text = String::new();
    let _ = writeln!(
        text,
        "x_train {:?}  y_train {:?}",
        data.x_train.shape(),
        data.y_train.shape()
    );
    let _ = writeln!(
        text,
        "x_test  {:?}  y_test  {:?}",
        data.x_test.shape(),
        data.y_test.shape()
    );
    let _ = writeln!(text, "\nthe first three training pairs:");
    let (xs, ys) = (data.x_train.to_vec(), data.y_train.to_vec());
    for i in 0..3 {
        let _ = writeln!(
            text,
            "  x = {:.2}  y = {:.4}  (the line alone: {:.4})",
            xs[i],
            ys[i],
            TRUE_WEIGHT * xs[i] + TRUE_BIAS
        );
    }
    out.write("data.txt", &text)?;

    out.step("the model: one Linear layer");
    let model = make_model(&mut seed.init());
    let (w0, b0) = weight_and_bias(&model);
    let mut text = format!("{}\n", summary(&model, &[80, 1]));
    let _ = writeln!(text, "initial parameters: w = {w0:.4}, b = {b0:.4} (the line has w = 0.7, b = 0.3)");
    out.write("model.txt", &text)?;
    let before = predict(&model, &data.x_test).to_vec();
    let opts = |title: &str| PlotOptions::sized(640, 400).title(title);
    plot::predictions(
        &data.x_test.to_vec(),
        &data.y_test.to_vec(),
        &before,
        out.dir().join("predictions-before.svg"),
        &opts("Test targets and the untrained model's predictions"),
    )?;
    println!("[03-workflow]   wrote book/src/generated/03-workflow/predictions-before.svg");

    out.step("one gradient-descent step, inspected");
    let probe = make_model(&mut seed.init()); // the same initial weights as `model`
    let r = inspect_one_step(&probe, &data.x_train, &data.y_train, 0.5);
    let rows = vec![
        vec![
            "before the step".into(),
            format!("{:.6}", r.before.0),
            format!("{:.6}", r.before.1),
        ],
        vec![
            "gradient from backward".into(),
            format!("{:.6}", r.autograd.0),
            format!("{:.6}", r.autograd.1),
        ],
        vec![
            "gradient from the formula".into(),
            format!("{:.6}", r.formula.0),
            format!("{:.6}", r.formula.1),
        ],
        vec![
            "after the step (lr 0.5)".into(),
            format!("{:.6}", r.after.0),
            format!("{:.6}", r.after.1),
        ],
    ];
    out.write("one-step.md", &markdown_table(&["", "w", "b"], &rows))?;

    out.step("training by hand: full-batch SGD, lr 0.5, 300 epochs");
    let epochs = 300;
    let curves = train_by_hand(&model, &data, 0.5, epochs);
    let (w, b) = weight_and_bias(&model);
    out.step(&format!(
        "  w = {w:.4}, b = {b:.4}, test MSE {:.5}",
        curves.test[epochs - 1]
    ));
    out.write(
        "loss-curves.svg",
        &curves_chart("Linear regression: loss per epoch", &curves),
    )?;
    let rows: Vec<Vec<String>> = [1, 10, 50, 100, 200, 300]
        .iter()
        .map(|&e| {
            vec![
                e.to_string(),
                format!("{:.5}", curves.train[e - 1]),
                format!("{:.5}", curves.test[e - 1]),
            ]
        })
        .collect();
    out.write(
        "loss-table.md",
        &markdown_table(&["epoch", "train MSE", "test MSE"], &rows),
    )?;
    let after = predict(&model, &data.x_test).to_vec();
    plot::predictions(
        &data.x_test.to_vec(),
        &data.y_test.to_vec(),
        &after,
        out.dir().join("predictions-after.svg"),
        &opts("Test targets and the trained model's predictions"),
    )?;
    println!("[03-workflow]   wrote book/src/generated/03-workflow/predictions-after.svg");

    out.step("how large may the learning rate be?");
    let n = xs.len() as f64;
    let mean_x = xs.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let mean_x2 = xs.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / n;
    // The Hessian of the MSE is 2·[[mean x², mean x], [mean x, 1]]; its largest
    // eigenvalue:
    let (tr, det) = (2.0 * (mean_x2 + 1.0), 4.0 * (mean_x2 - mean_x * mean_x));
    let (l_max, l_min) = (
        (tr + (tr * tr - 4.0 * det).sqrt()) / 2.0,
        (tr - (tr * tr - 4.0 * det).sqrt()) / 2.0,
    );
    let mut rows = Vec::new();
    for lr in [0.01, 0.1, 0.5, 0.75, 0.8, 0.85, 1.0] {
        let sweep = make_model(&mut seed.init());
        let c = train_by_hand(&sweep, &data, lr, 100);
        rows.push(vec![
            format!("{lr}"),
            format!("{:.2e}", c.train[99]),
            format!("{:.2e}", c.test[99]),
        ]);
    }
    let mut table = markdown_table(
        &[
            "learning rate",
            "train MSE after 100 epochs",
            "test MSE after 100 epochs",
        ],
        &rows,
    );
    let _ = write!(
        table,
        "\nCurvatures of this loss (eigenvalues of its Hessian): {l_max:.3} and {l_min:.3}, so steps are stable below 2/{l_max:.3} = {:.3}.\n",
        2.0 / l_max
    );
    out.write("lr-sweep.md", &table)?;

    out.step("the answer without iterations: least squares");
    let (w_ls, b_ls) = least_squares(&xs, &ys);
    let targets: Vec<f64> =
        data.y_test.to_vec().into_iter().map(f64::from).collect();
    let r2 = metrics::r2_score(
        &targets,
        &after.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
    );
    let rows = vec![
        vec![
            "the line the data came from".into(),
            "0.7000".into(),
            "0.3000".into(),
        ],
        vec![
            "least squares on the training set".into(),
            format!("{w_ls:.4}"),
            format!("{b_ls:.4}"),
        ],
        vec![
            "gradient descent, 300 epochs".into(),
            format!("{w:.4}"),
            format!("{b:.4}"),
        ],
    ];
    let mut table = markdown_table(&["", "w", "b"], &rows);
    let _ = write!(
        table,
        "\nTest MSE {:.5} (the noise alone has variance {:.5}); R² on the test set {:.4}.\n",
        curves.test[epochs - 1],
        NOISE * NOISE,
        r2
    );
    out.write("least-squares.md", &table)?;

    out.step("the same training with Trainer::fit, and with mini-batches");
    let engine = make_model(&mut seed.init());
    let history = train_with_fit(&engine, &data, 0.5, epochs);
    let (we, be) = weight_and_bias(&engine);
    let mut text = String::new();
    for row in [0, 1, 99, 299] {
        let _ = writeln!(text, "{}", history.epoch_log(row).summary());
    }
    let same = (we, be) == (w, b);
    let _ = writeln!(text, "\nhand-written loop: w = {w:.6}, b = {b:.6}");
    let _ = writeln!(text, "Trainer::fit:      w = {we:.6}, b = {be:.6}  (bit for bit the same: {same})");
    out.write("fit.txt", &text)?;
    let mini = make_model(&mut seed.init());
    let mini_history = train_mini_batches(&mini, &data, 0.1, 60, 16, seed.loader());
    let (wm, bm) = weight_and_bias(&mini);
    let rows = vec![
        vec![
            "full batch (80 samples), lr 0.5".into(),
            "300".into(),
            "300".into(),
            format!("{w:.4}"),
            format!("{b:.4}"),
            format!("{:.5}", curves.test[epochs - 1]),
        ],
        vec![
            "mini-batches of 16, lr 0.1".into(),
            "60".into(),
            "300".into(),
            format!("{wm:.4}"),
            format!("{bm:.4}"),
            format!("{:.5}", mini_history.last("val_loss").unwrap_or(f64::NAN)),
        ],
    ];
    out.write(
        "mini-batches.md",
        &markdown_table(&["run", "epochs", "updates", "w", "b", "test MSE"], &rows),
    )?;

    out.step("saving and loading the trained model");
    let path = std::env::temp_dir()
        .join(format!("ch03-workflow-{}.safetensors", std::process::id()));
    let restored = save_and_reload(&model, &path, &mut seed.rng("fresh"));
    let mut text = String::new();
    let bytes = std::fs::metadata(&path)?.len();
    let _ = writeln!(text, "saved {bytes} bytes; the state dict holds:");
    for (name, p) in model.named_parameters() {
        let _ = writeln!(
            text,
            "  {name:<7} shape {:?}  value {:?}",
            p.shape(),
            p.value().to_vec()
        );
    }
    let probe = Tensor::from([[0.0f32], [0.5], [1.0]]);
    let (p1, p2) =
        (predict(&model, &probe).to_vec(), predict(&restored, &probe).to_vec());
    let _ = writeln!(text, "\npredictions at x = 0, 0.5, 1: trained {p1:?}");
    let _ = writeln!(
        text,
        "                             reloaded {p2:?}  (equal: {})",
        p1 == p2
    );
    out.write("save-load.txt", &text)?;
    let _ = std::fs::remove_file(&path);

    out.step("three runs: underfitting, a good fit, overfitting");
    let under_model = make_model(&mut seed.init());
    let under = train_by_hand(&under_model, &data, 0.01, 100);
    out.write(
        "regime-underfit.svg",
        &curves_chart("Underfitting: lr 0.01, stopped after 100 epochs", &under),
    )?;
    out.write(
        "regime-good.svg",
        &curves_chart("A good fit: lr 0.5, 300 epochs", &curves),
    )?;
    let few = make_data_with(100, 0.1, 0.1, seed.seed_for("few"));
    let flexible = flexible_model(&mut seed.init());
    let over = train_curves(&flexible, &few, 0.01, 1400);
    out.write(
        "regime-overfit.svg",
        &curves_chart("Overfitting: 4,353 parameters, 10 training points", &over),
    )?;
    let best = over.test.iter().enumerate().fold((0, f64::MAX), |a, (i, &v)| {
        if v < a.1 {
            (i, v)
        } else {
            a
        }
    });
    let rows = vec![
        vec![
            "underfit: line, lr 0.01, 100 epochs".into(),
            format!("{:.1e}", under.train[99]),
            format!("{:.1e}", under.test[99]),
            "both high and still falling".into(),
        ],
        vec![
            "good: line, lr 0.5, 300 epochs".into(),
            format!("{:.1e}", curves.train[epochs - 1]),
            format!("{:.1e}", curves.test[epochs - 1]),
            "both low, close together, flat".into(),
        ],
        vec![
            "overfit: MLP, 10 points, 1400 epochs".into(),
            format!("{:.1e}", over.train[1399]),
            format!("{:.1e}", over.test[1399]),
            format!(
                "test loss lowest at epoch {} ({:.1e}), then rising",
                best.0 + 1,
                best.1
            ),
        ],
    ];
    out.write(
        "regimes.md",
        &markdown_table(
            &["run", "final train MSE", "final test MSE", "the curves"],
            &rows,
        ),
    )?;
    let grid = Tensor::linspace(0.0f32, 1.0, 201).reshape([201, 1]);
    let curve = predict(&flexible, &grid).to_vec();
    let pairs = |x: &Tensor<f32>, y: &[f32]| -> Vec<(f64, f64)> {
        x.to_vec()
            .iter()
            .zip(y)
            .map(|(&a, &b)| (f64::from(a), f64::from(b)))
            .collect()
    };
    let chart =
        LineChart::new("The overfitted model between its 10 training points")
            .x_label("x")
            .y_label("y")
            .scatter_series(
                "training points",
                pairs(&few.x_train, &few.y_train.to_vec()),
            )
            .scatter_series("test points", pairs(&few.x_test, &few.y_test.to_vec()))
            .series("the MLP's prediction", pairs(&grid, &curve))
            .dashed_series("y = 0.7x + 0.3", vec![(0.0, 0.3), (1.0, 1.0)]);
    out.write("overfit-curve.svg", &chart.to_svg())?;

    out.step("done");
    Ok(())
}
