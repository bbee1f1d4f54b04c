//! Chapter 4's demo: `cargo run --release -p ch04-classification`.
//!
//! Activations, the course's gradient fixtures, the softmax Jacobian route to the
//! cross-entropy gradient, what goes wrong with softmax before the loss, then three
//! trained classifiers (circles and moons with a binary head, spirals with a
//! multi-class head) with their curves, decision boundaries, confusion matrices and
//! scores. Everything the book shows is written to
//! `book/src/generated/04-classification/`.

use ch04_classification::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_nn::summary;
use kindling_train::metrics::{self, predicted_classes};
use kindling_train::plot::{self, PlotOptions};
use kindling_train::{predict, seed_everything, Average, ConfusionMatrix, History};
use std::fmt::Write as _;

fn curve(values: &[f64]) -> Vec<(f64, f64)> {
    values.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v)).collect()
}

/// One quantity per epoch (`loss` or `accuracy`), training and test, as a chart.
fn history_chart(
    out: &Output,
    file: &str,
    title: &str,
    history: &History,
    key: &str,
) -> std::io::Result<()> {
    let get = |key: &str| history.get(key).unwrap_or_default();
    let chart = LineChart::new(title)
        .x_label("epoch")
        .y_label(if key == "loss" { "cross-entropy" } else { key })
        .series("train", curve(&get(key)))
        .series("test", curve(&get(&format!("val_{key}"))));
    out.write(file, &chart.to_svg())
}

fn boundary(
    out: &Output,
    file: &str,
    title: &str,
    model: &dyn kindling_nn::Forward,
    data: &Data,
) -> Result<(), Box<dyn std::error::Error>> {
    plot::decision_boundary(
        |grid| predicted_classes(&predict(model, grid)),
        &data.x_test,
        &data.y_test.to_vec(),
        150,
        out.dir().join(file),
        &PlotOptions::sized(480, 440).title(title),
    )?;
    println!(
        "[04-classification]   wrote book/src/generated/04-classification/{file}"
    );
    Ok(())
}

fn test_accuracy(model: &dyn kindling_nn::Forward, data: &Data) -> f64 {
    metrics::accuracy(
        &data.y_test.to_vec(),
        &predicted_classes(&predict(model, &data.x_test)),
    )
}

fn scores_table(cm: &ConfusionMatrix, names: &[&str]) -> String {
    let mut rows: Vec<Vec<String>> = (0..cm.num_classes())
        .map(|c| {
            vec![
                names[c].to_string(),
                format!("{:.3}", cm.precision(c)),
                format!("{:.3}", cm.recall(c)),
                format!("{:.3}", cm.f1(c)),
                cm.support(c).to_string(),
            ]
        })
        .collect();
    rows.push(vec![
        "macro average".into(),
        format!("{:.3}", cm.precision_average(Average::Macro)),
        format!("{:.3}", cm.recall_average(Average::Macro)),
        format!("{:.3}", cm.f1_average(Average::Macro)),
        cm.total().to_string(),
    ]);
    markdown_table(&["class", "precision", "recall", "F1", "support"], &rows)
}

fn confusion_table(cm: &ConfusionMatrix, names: &[&str]) -> String {
    let mut headers = vec!["actual ↓ / predicted →"];
    headers.extend_from_slice(&names[..cm.num_classes()]);
    let rows: Vec<Vec<String>> = cm
        .rows()
        .iter()
        .enumerate()
        .map(|(a, r)| {
            std::iter::once(names[a].to_string())
                .chain(r.iter().map(u64::to_string))
                .collect()
        })
        .collect();
    markdown_table(&headers, &rows)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = Output::for_chapter("04-classification")?;
    let seed = seed_everything(4);

    out.step("activations");
    let zs: Vec<f64> = (0..=160).map(|i| -4.0 + 0.05 * f64::from(i)).collect();
    let chart = LineChart::new("Three activations")
        .x_label("z")
        .series("ReLU: max(0, z)", zs.iter().map(|&z| (z, z.max(0.0))).collect())
        .series("tanh(z)", zs.iter().map(|&z| (z, z.tanh())).collect())
        .series("sigmoid σ(z)", zs.iter().map(|&z| (z, sigmoid(z))).collect());
    out.write("activations.svg", &chart.to_svg())?;

    out.step("the course's fixtures 16-18, through Kindling's losses and autograd");
    let mut text = String::new();
    let (y_hat, loss, dz, dw) = bce_fixture();
    let _ = writeln!(
        text,
        "#16  binary head, z = w·x + b = 1·0.7 − 0.5 = 0.2, label y = 1"
    );
    let _ =
        writeln!(text, "     ŷ = σ(0.2) = {y_hat:.10}   loss = −ln ŷ = {loss:.10}");
    let _ = writeln!(
        text,
        "     ∂L/∂z = ŷ − y = {dz:.10}   ∂L/∂w = (ŷ − y)·x = {dw:.10}"
    );
    let (loss, grad) = cross_entropy_with_gradient(&[vec![2.0, 1.0, 0.1]], &[1]);
    let _ = writeln!(text, "\n#17  logits [2, 1, 0.1], class 1");
    let _ = writeln!(text, "     loss = −ln softmax(z)₁ = {loss:.10}");
    let _ = writeln!(
        text,
        "     ∂L/∂z = softmax(z) − one_hot(1) = [{:.10}, {:.10}, {:.10}]",
        grad[0][0], grad[0][1], grad[0][2]
    );
    let (loss, grad) =
        cross_entropy_with_gradient(&[vec![0.2, -1.0], vec![1.5, 0.3]], &[0, 1]);
    let _ = writeln!(
        text,
        "\n#18  logits [[0.2, −1.0], [1.5, 0.3]], classes [0, 1], mean over N = 2"
    );
    let _ = writeln!(text, "     loss = {loss:.10}");
    let _ = writeln!(
        text,
        "     ∂L/∂z = (softmax − one_hot)/2 = [[{:.10}, {:.10}],",
        grad[0][0], grad[0][1]
    );
    let _ = writeln!(
        text,
        "                                      [{:.10}, {:.10}]]",
        grad[1][0], grad[1][1]
    );
    out.write("fixtures.txt", &text)?;

    out.step("the cross-entropy gradient through the softmax Jacobian");
    let z = [2.0, 1.0, 0.1];
    let s = softmax(&z);
    let long_way = cross_entropy_gradient_through_jacobian(&z, 1);
    let rows: Vec<Vec<String>> = (0..3)
        .map(|j| {
            vec![
                format!("z{j}"),
                format!("{:.6}", s[j]),
                format!("{:.6}", if j == 1 { -1.0 / s[1] } else { 0.0 }),
                format!("{:.6}", long_way[j]),
                format!("{:.6}", s[j] - if j == 1 { 1.0 } else { 0.0 }),
            ]
        })
        .collect();
    out.write(
        "jacobian-route.md",
        &markdown_table(
            &["k", "s_k", "∂L/∂s_k", "Σ_i ∂L/∂s_i · J_ik", "s_k − y_k"],
            &rows,
        ),
    )?;

    out.step("three ways to compute the same cross-entropy, with large logits");
    let cases: [(&[f32], usize); 4] = [
        (&[2.0, 1.0, 0.1], 1),
        (&[1000.0, 0.0], 0),
        (&[0.0, -200.0], 1),
        (&[-1000.0, 1000.0, 0.0], 0),
    ];
    let rows: Vec<Vec<String>> = cases
        .iter()
        .map(|&(z, t)| {
            vec![
                format!("{z:?}, class {t}"),
                format!("{:.5}", cross_entropy_written_out(z, t)),
                format!("{:.5}", cross_entropy_after_softmax(z, t)),
                format!("{:.5}", cross_entropy_fused(z, t)),
            ]
        })
        .collect();
    out.write(
        "overflow.md",
        &markdown_table(
            &[
                "logits (f32)",
                "exp, sum, divide, log",
                "softmax, then log",
                "fused cross_entropy",
            ],
            &rows,
        ),
    )?;

    out.step("softmax before cross_entropy");
    let rows: Vec<Vec<String>> =
        [([8.0f32, -8.0], 0usize), ([2.0, 0.0], 0), ([-3.0, 3.0], 0)]
            .iter()
            .map(|(z, t)| {
                let ((l1, g1), (l2, g2)) = softmax_before_cross_entropy(z, *t);
                vec![
                    format!("{z:?}, class {t}"),
                    format!("{l1:.4}"),
                    format!("{g1:.4}"),
                    format!("{l2:.4}"),
                    format!("{g2:.4}"),
                ]
            })
            .collect();
    out.write(
        "double-softmax.md",
        &markdown_table(
            &[
                "logits",
                "loss (logits in)",
                "‖∂L/∂z‖ (logits in)",
                "loss (softmax in)",
                "‖∂L/∂z‖ (softmax in)",
            ],
            &rows,
        ),
    )?;

    out.step("circles: does a model without non-linearity cut it?");
    let circles = circles_data(seed.data());
    let mut rows = Vec::new();
    let logistic = linear_classifier(&mut seed.init());
    let h =
        train_classifier(&logistic, &circles, binary_loss, 0.02, 40, seed.loader());
    rows.push(vec![
        "logistic regression: 2 → 1".to_string(),
        format!("{:.3}", h.last("val_accuracy").unwrap_or(0.0)),
    ]);
    boundary(
        &out,
        "boundary-circles-linear.png",
        "Circles, logistic regression",
        &logistic,
        &circles,
    )?;
    let mut circle_model = None;
    for (name, act) in [
        ("none", Activation::None),
        ("tanh", Activation::Tanh),
        ("ReLU", Activation::ReLU),
    ] {
        let model = mlp(16, 1, act, &mut seed.init());
        let h = train_classifier(
            &model,
            &circles,
            binary_loss,
            0.02,
            40,
            seed.loader(),
        );
        let acc = h.last("val_accuracy").unwrap_or(0.0);
        out.step(&format!(
            "  2 → 16 → 16 → 1, activation {name}: test accuracy {acc:.3}"
        ));
        rows.push(vec![
            format!("MLP 2 → 16 → 16 → 1, activation: {name}"),
            format!("{acc:.3}"),
        ]);
        if act == Activation::None {
            boundary(
                &out,
                "boundary-circles-none.png",
                "Circles, MLP without activations",
                &model,
                &circles,
            )?;
        }
        if act == Activation::ReLU {
            history_chart(
                &out,
                "circles-loss.svg",
                "Circles, MLP with ReLU: loss",
                &h,
                "loss",
            )?;
            boundary(
                &out,
                "boundary-circles-relu.png",
                "Circles, MLP with ReLU",
                &model,
                &circles,
            )?;
            circle_model = Some(model);
        }
    }
    out.write(
        "circles-activations.md",
        &markdown_table(&["model", "test accuracy"], &rows),
    )?;
    let circle_model = circle_model.expect("trained above");
    let circles_acc = test_accuracy(&circle_model, &circles);
    let predicted = predicted_classes(&predict(&circle_model, &circles.x_test));
    let cm = ConfusionMatrix::from_labels(&circles.y_test.to_vec(), &predicted, 2);
    let names = ["outer (0)", "inner (1)"];
    let mut text = confusion_table(&cm, &names);
    text.push('\n');
    text.push_str(&scores_table(&cm, &names));
    out.write("circles-metrics.md", &text)?;

    out.step("moons");
    let moons = moons_data(seed.data());
    let moon_model = mlp(16, 1, Activation::ReLU, &mut seed.init());
    let mh =
        train_classifier(&moon_model, &moons, binary_loss, 0.02, 40, seed.loader());
    history_chart(
        &out,
        "moons-accuracy.svg",
        "Moons, MLP with ReLU: accuracy",
        &mh,
        "accuracy",
    )?;
    boundary(
        &out,
        "boundary-moons.png",
        "Moons, MLP with ReLU",
        &moon_model,
        &moons,
    )?;
    let moons_acc = test_accuracy(&moon_model, &moons);

    out.step("spirals: three classes, K logits and cross_entropy");
    let spirals = spirals_data(seed.data());
    let net = SpiralNet::new(64, 3, &mut seed.init());
    out.write("spiralnet-summary.txt", &format!("{}\n", summary(&net, &[32, 2])))?;
    let sh =
        train_classifier(&net, &spirals, multiclass_loss, 0.01, 60, seed.loader());
    history_chart(
        &out,
        "spirals-loss.svg",
        "Spirals, SpiralNet: loss",
        &sh,
        "loss",
    )?;
    boundary(
        &out,
        "boundary-spirals.png",
        "Spirals, three classes",
        &net,
        &spirals,
    )?;
    let spirals_acc = test_accuracy(&net, &spirals);
    let predicted = predicted_classes(&predict(&net, &spirals.x_test));
    let cm = ConfusionMatrix::from_labels(&spirals.y_test.to_vec(), &predicted, 3);
    let names = ["arm 0", "arm 1", "arm 2"];
    plot::confusion_matrix(
        &cm,
        &names,
        out.dir().join("spirals-confusion.svg"),
        &PlotOptions::sized(440, 400).title("Spirals: confusion matrix (test)"),
    )?;
    println!("[04-classification]   wrote book/src/generated/04-classification/spirals-confusion.svg");
    let mut text = confusion_table(&cm, &names);
    text.push('\n');
    text.push_str(&scores_table(&cm, &names));
    out.write("spirals-metrics.md", &text)?;
    let logits = predict(&net, &spirals.x_test.narrow(0, 0, 4));
    let probs = logits.softmax(-1);
    let mut text =
        String::from("the first four test points: logits → softmax → argmax\n");
    for (i, class) in predicted.iter().take(4).enumerate() {
        let l: Vec<String> =
            (0..3).map(|k| format!("{:7.2}", logits.get(&[i, k]))).collect();
        let p: Vec<String> =
            (0..3).map(|k| format!("{:.3}", probs.get(&[i, k]))).collect();
        let _ = writeln!(
            text,
            "  [{}] → [{}] → class {} (label {})",
            l.join(", "),
            p.join(", "),
            class,
            spirals.y_test.get(&[i])
        );
    }
    out.write("spirals-probabilities.txt", &text)?;

    out.step("the same network with a softmax layer before cross_entropy");
    let wrong = SoftmaxHead(SpiralNet::new(64, 3, &mut seed.init()));
    let wh = train_classifier(
        &wrong,
        &spirals,
        multiclass_loss,
        0.01,
        60,
        seed.loader(),
    );
    let rows = vec![
        vec![
            "logits into cross_entropy".into(),
            format!("{:.4}", sh.last("loss").unwrap_or(f64::NAN)),
            format!("{:.3}", sh.last("val_accuracy").unwrap_or(0.0)),
        ],
        vec![
            "softmax, then cross_entropy".into(),
            format!("{:.4}", wh.last("loss").unwrap_or(f64::NAN)),
            format!("{:.3}", wh.last("val_accuracy").unwrap_or(0.0)),
        ],
    ];
    out.write(
        "double-softmax-training.md",
        &markdown_table(&["head", "final training loss", "test accuracy"], &rows),
    )?;
    let chart =
        LineChart::new("Spirals: training loss with and without the extra softmax")
            .x_label("epoch")
            .y_label("cross-entropy")
            .series(
                "logits into cross_entropy",
                curve(&sh.get("loss").unwrap_or_default()),
            )
            .series(
                "softmax, then cross_entropy",
                curve(&wh.get("loss").unwrap_or_default()),
            );
    out.write("double-softmax.svg", &chart.to_svg())?;

    out.step("results");
    let rows = vec![
        vec![
            "circles (binary, 1 logit, BCE with logits)".into(),
            "2 → 16 → 16 → 1, ReLU".into(),
            format!("{:.1}%", 100.0 * circles_acc),
        ],
        vec![
            "moons (binary, 1 logit, BCE with logits)".into(),
            "2 → 16 → 16 → 1, ReLU".into(),
            format!("{:.1}%", 100.0 * moons_acc),
        ],
        vec![
            "spirals (3 classes, 3 logits, cross-entropy)".into(),
            "SpiralNet 2 → 64 → 64 → 3".into(),
            format!("{:.1}%", 100.0 * spirals_acc),
        ],
    ];
    out.write(
        "results.md",
        &markdown_table(&["data", "model", "test accuracy"], &rows),
    )?;
    out.step(&format!(
        "  test accuracy: circles {:.1}%, moons {:.1}%, spirals {:.1}%",
        100.0 * circles_acc,
        100.0 * moons_acc,
        100.0 * spirals_acc
    ));
    if circles_acc < 0.99 || moons_acc < 0.97 {
        out.step("  WARNING: below the chapter's targets (circles 99%, moons 97%)");
    }
    out.step("done");
    Ok(())
}
