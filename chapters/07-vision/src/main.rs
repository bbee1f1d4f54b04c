//! Chapter 7's demo: `cargo run --release -p ch07-vision` (with `KINDLING_DATASETS`
//! set to the folder holding `fashion-mnist/`).
//!
//! Checks the output-size formula against the library, prints im2col of a small
//! image, times every TinyVGG convolution with the naive loops and the fast
//! im2col + GEMM path, then (with the data) trains the linear baseline, the MLP and
//! TinyVGG on Fashion-MNIST with `Trainer::fit`, compares them in a table, draws
//! learning curves, the confusion matrix, wrong predictions and feature maps, and
//! trains TinyVGG on a longer schedule. Everything the book shows is written to
//! `book/src/generated/07-vision/`. Without the data it says what it skipped and
//! keeps the files of an earlier run. `-- --only diagrams` writes only the two
//! diagrams.

use ch07_vision::*;
use chapter_kit::{markdown_table, only_diagrams, LineChart, Output};
use kindling_data::datasets::FASHION_MNIST_CLASSES;
use kindling_nn::Forward;
use kindling_tensor::conv::conv2d as conv2d_tensor;
use kindling_tensor::kernel_api::conv::{direct, fast, ConvGeometry};
use kindling_tensor::{Rng, Tensor};
use kindling_train::metrics::ConfusionMatrix;
use kindling_train::plot::{self, PlotOptions};
use kindling_vision::models::TinyVgg;
use kindling_vision::Conv2dOptions;
use std::fmt::Write as _;
use std::time::Duration;

const SEED: u64 = 42;

/// One trained model's line in the results table.
struct Result {
    name: String,
    recipe: Recipe,
    params: usize,
    history: kindling_train::History,
    time: Duration,
    course: Option<f64>,
}

fn main() -> std::io::Result<()> {
    let out = Output::for_chapter("07-vision")?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let diagrams_only = only_diagrams("ch07-vision", &args);
    out.step("diagrams: the sliding window, and im2col as a matrix product");
    let window = diagrams::sliding_window_example();
    out.write("sliding-window.svg", &diagrams::sliding_window_diagram(&window))?;
    out.write(
        "im2col.svg",
        &diagrams::im2col_diagram(&diagrams::im2col_example()),
    )?;
    if diagrams_only {
        return Ok(());
    }
    if cfg!(debug_assertions) {
        out.step("note: this is a debug build; run with --release for meaningful timings");
    }

    // -----------------------------------------------------------------------------
    out.step("output sizes: the formula against the library");
    let mut rows = Vec::new();
    for &(n, k, p, s, what) in &[
        (28, 3, 1, 1, "TinyVGG's convolutions"),
        (28, 3, 0, 1, "the same without padding"),
        (28, 5, 2, 1, "5×5, padding 2"),
        (28, 3, 1, 2, "3×3, stride 2"),
        (28, 2, 0, 2, "2×2 max-pool, stride 2"),
        (7, 2, 0, 2, "pooling an odd size"),
        (64, 4, 1, 2, "DCGAN's downsampling"),
    ] {
        let x = Tensor::<f32>::zeros([1, 1, n, n]);
        let w = Tensor::<f32>::zeros([1, 1, k, k]);
        let y = conv2d_tensor(
            &x,
            &w,
            None,
            &Conv2dOptions::default().padding(p).stride(s),
        );
        let formula = (n + 2 * p - k) / s + 1;
        assert_eq!(y.shape()[2], formula);
        rows.push(vec![
            what.to_string(),
            n.to_string(),
            format!("{k}×{k}"),
            p.to_string(),
            s.to_string(),
            format!("⌊({n} + {} − {k}) / {s}⌋ + 1 = {formula}", 2 * p),
            y.shape()[2].to_string(),
        ]);
    }
    out.write(
        "output-sizes.md",
        &markdown_table(
            &[
                "layer",
                "n",
                "kernel",
                "padding p",
                "stride s",
                "formula",
                "library",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("im2col of a 4×4 image with a 3×3 kernel, padding 0");
    let x: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let geom = ConvGeometry::conv(
        "conv2d",
        &[1, 1, 4, 4],
        &[1, 1, 3, 3],
        &Conv2dOptions::default(),
    );
    let mut cols = vec![0.0f32; 9 * geom.ho * geom.wo];
    fast::im2col(&geom, &x, 0, &mut cols);
    let mut text = String::from("image [1, 4, 4]:\n");
    for r in x.chunks(4) {
        let _ = writeln!(
            text,
            "  {}",
            r.iter().map(|v| format!("{v:3}")).collect::<String>()
        );
    }
    let _ = writeln!(
        text,
        "\ncols [9, {}] (row = kernel tap, column = output pixel):",
        geom.ho * geom.wo
    );
    for (tap, r) in cols.chunks(geom.ho * geom.wo).enumerate() {
        let _ = writeln!(
            text,
            "  tap ({}, {}): {}",
            tap / 3,
            tap % 3,
            r.iter().map(|v| format!("{v:3}")).collect::<String>()
        );
    }
    out.write("im2col.txt", &text)?;

    // -----------------------------------------------------------------------------
    out.step("timing TinyVGG's convolutions: naive loops, im2col + GEMM, direct kernels (batch 32)");
    let mut rows = Vec::new();
    for &(name, cin, cout, size) in &[
        ("conv 1 (1 → 10, 28²)", 1, 10, 28),
        ("conv 2 (10 → 10, 28²)", 10, 10, 28),
        ("conv 3/4 (10 → 10, 14²)", 10, 10, 14),
    ] {
        let t = time_conv(32, cin, cout, size, 3);
        // forward + two backward products
        let flops = 3.0 * 2.0 * (32 * cout * cin * 9 * size * size) as f64;
        let cell = |d: Duration| {
            format!(
                "{:.2} ms ({:.1} GFLOP/s)",
                ms(d),
                flops / d.as_secs_f64() / 1e9
            )
        };
        out.step(&format!(
            "  {name}: naive {:.1} ms, im2col {:.2} ms, fast {:.2} ms",
            ms(t.naive),
            ms(t.im2col),
            ms(t.fast)
        ));
        rows.push(vec![
            name.to_string(),
            cell(t.naive),
            cell(t.im2col),
            if direct::available() {
                cell(t.fast)
            } else {
                "– (needs AVX-512)".to_string()
            },
            format!("{:.0}×", t.naive.as_secs_f64() / t.fast.as_secs_f64()),
            format!("{:.1e}", t.diff),
        ]);
    }
    out.write(
        "conv-timing.md",
        &markdown_table(
            &[
                "layer, forward + backward",
                "naive loops",
                "im2col + GEMM",
                "direct kernel",
                "speed-up",
                "largest difference",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    let datasets = match kindling_data::datasets_dir() {
        Ok(dir) => dir,
        Err(e) => {
            out.step(&format!("skipped the Fashion-MNIST part: {e}"));
            out.step("  (kept the results, plots and tables of an earlier run with the data)");
            return Ok(());
        }
    };
    out.step("loading Fashion-MNIST");
    let data = match load_fashion(&datasets) {
        Ok(d) => d,
        Err(e) => {
            out.step(&format!("skipped the Fashion-MNIST part: {e}"));
            return Ok(());
        }
    };
    out.step(&format!(
        "  train {:?} {:?}, test {:?} {:?}",
        data.train_x.shape(),
        data.train_y.shape(),
        data.test_x.shape(),
        data.test_y.shape()
    ));

    let tuned = Recipe { adam: true, lr: 3e-3, batch: 32, epochs: 3, cosine: true };
    let mut results: Vec<Result> = Vec::new();
    let mut run =
        |name: &str, model: &dyn Forward, recipe: Recipe, course: Option<f64>| {
            out.step(&format!(
                "training {name}: {} for {} epochs",
                recipe.describe(),
                recipe.epochs
            ));
            let (history, time) = train(model, &data, recipe, SEED);
            let acc = history.last("val_accuracy").unwrap();
            out.step(&format!(
                "  test accuracy {:.2}% in {:.0} s",
                100.0 * acc,
                time.as_secs_f64()
            ));
            results.push(Result {
                name: name.to_string(),
                recipe,
                params: parameter_count(model),
                history,
                time,
                course,
            });
        };

    let mut rng = Rng::seed(SEED);
    for recipe in [Recipe::COURSE, tuned] {
        let which = if recipe.adam { "our recipe" } else { "course recipe" };
        let model_0 = linear_baseline(10, &mut rng);
        run(&format!("linear baseline, {which}"), &model_0, recipe, Some(0.834));
        let model_1 = mlp(10, &mut rng);
        run(&format!("MLP with ReLU, {which}"), &model_1, recipe, Some(0.750));
    }
    let course_vgg = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut rng);
    run("TinyVGG, course recipe", &course_vgg, Recipe::COURSE, Some(0.884));
    let model_2 = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut rng);
    run("TinyVGG, our recipe", &model_2, tuned, Some(0.884));

    // Every model here has 10 hidden units or channels (the text says so): no column.
    let header = [
        "model",
        "parameters",
        "recipe",
        "epochs",
        "test accuracy",
        "course",
        "training time",
    ];
    let table_rows = |rs: &[Result]| -> Vec<Vec<String>> {
        rs.iter()
            .map(|r| {
                let acc = r.history.last("val_accuracy").unwrap();
                vec![
                    r.name.clone(),
                    r.params.to_string(),
                    r.recipe.describe(),
                    r.recipe.epochs.to_string(),
                    format!("{:.1}%", 100.0 * acc),
                    r.course.map_or("–".into(), |c| format!("{:.1}%", 100.0 * c)),
                    format!("{:.0} s", r.time.as_secs_f64()),
                ]
            })
            .collect()
    };
    out.write("results.md", &markdown_table(&header, &table_rows(&results)))?;

    let mut chart = LineChart::new(
        "Test accuracy after each epoch (dashed: the course's recipe)",
    )
    .x_label("epoch")
    .y_label("test accuracy (%)");
    for r in &results {
        let acc = r.history.get("val_accuracy").unwrap();
        let points: Vec<(f64, f64)> = acc
            .iter()
            .enumerate()
            .map(|(i, a)| ((i + 1) as f64, 100.0 * a))
            .collect();
        // The course's recipe dashed, ours solid.
        chart = if r.recipe.adam {
            chart.series(&r.name, points)
        } else {
            chart.dashed_series(&r.name, points)
        };
    }
    out.write("accuracy.svg", &chart.to_svg())?;

    // -----------------------------------------------------------------------------
    out.step("confusion matrix and wrong predictions of TinyVGG");
    let actual = data.test_y.to_vec();
    let predicted = predict_classes(&model_2, &data.test_x);
    let matrix = ConfusionMatrix::from_labels(&actual, &predicted, 10);
    let names: Vec<&str> = FASHION_MNIST_CLASSES.to_vec();
    plot::confusion_matrix(
        &matrix,
        &names,
        out.dir().join("confusion.svg"),
        &PlotOptions::sized(760, 680)
            .title("TinyVGG on the Fashion-MNIST test set"),
    )
    .map_err(std::io::Error::other)?;
    let mut per_class = Vec::new();
    for (c, name) in names.iter().enumerate() {
        let worst =
            (0..10).filter(|&p| p != c).max_by_key(|&p| matrix.get(c, p)).unwrap();
        per_class.push(vec![
            name.to_string(),
            format!("{:.1}%", 100.0 * matrix.recall(c)),
            format!("{:.1}%", 100.0 * matrix.precision(c)),
            format!("{} ({})", names[worst], matrix.get(c, worst)),
        ]);
    }
    out.write(
        "per-class.md",
        &markdown_table(
            &["class", "recall", "precision", "most often mistaken for (count)"],
            &per_class,
        ),
    )?;
    let wrong: Vec<usize> =
        (0..actual.len()).filter(|&i| actual[i] != predicted[i]).take(24).collect();
    let imgs: Vec<Tensor<f32>> =
        wrong.iter().map(|&i| data.test_x.narrow(0, i, 1)).collect();
    let imgs = Tensor::cat(&imgs.iter().collect::<Vec<_>>(), 0);
    let wa: Vec<i64> = wrong.iter().map(|&i| actual[i]).collect();
    let wp: Vec<i64> = wrong.iter().map(|&i| predicted[i]).collect();
    plot::image_grid(
        &imgs,
        &wa,
        Some(&wp),
        &names,
        6,
        out.dir().join("wrong.png"),
        &PlotOptions::sized(900, 800).title(
            "The first 24 test images TinyVGG gets wrong (true / predicted)",
        ),
    )
    .map_err(std::io::Error::other)?;

    // -----------------------------------------------------------------------------
    out.step("feature maps of one test image");
    let image = data.test_x.narrow(0, 0, 1).contiguous();
    let maps = feature_maps(&model_2, &image);
    for (i, (m, title)) in maps
        .iter()
        .zip([
            "after the first convolution + ReLU (28×28)",
            "after block 1 (14×14)",
            "after block 2 (7×7)",
        ])
        .enumerate()
    {
        let c = m.shape()[0];
        let labels: Vec<i64> = (0..c as i64).collect();
        let channel_names: Vec<String> =
            (0..c).map(|k| format!("channel {k}")).collect();
        let channel_names: Vec<&str> =
            channel_names.iter().map(|s| s.as_str()).collect();
        plot::image_grid(
            &normalize_each(m),
            &labels,
            None,
            &channel_names,
            10,
            out.dir().join(format!("feature-maps-{}.png", i + 1)),
            &PlotOptions::sized(1100, 190)
                .title(format!("{}: {title}", names[actual[0] as usize])),
        )
        .map_err(std::io::Error::other)?;
    }
    plot::image_grid(
        &image.reshape([1, 28, 28]),
        &actual[..1],
        None,
        &names,
        1,
        out.dir().join("feature-input.png"),
        &PlotOptions::sized(200, 220),
    )
    .map_err(std::io::Error::other)?;

    // -----------------------------------------------------------------------------
    let long = Recipe { adam: true, lr: 3e-3, batch: 32, epochs: 10, cosine: true };
    let long_hidden = 10;
    let mut long_results = Vec::new();
    {
        let mut rng = Rng::seed(SEED + 1);
        let model = TinyVgg::<f32>::new(1, long_hidden, 10, (28, 28), &mut rng);
        out.step(&format!(
            "training TinyVGG (hidden {long_hidden}) for {} epochs: {}",
            long.epochs,
            long.describe()
        ));
        let (history, time) = train(&model, &data, long, SEED);
        out.step(&format!(
            "  test accuracy {:.2}% in {:.0} s",
            100.0 * history.last("val_accuracy").unwrap(),
            time.as_secs_f64()
        ));
        long_results.push(Result {
            name: "TinyVGG, longer schedule".into(),
            recipe: long,
            params: parameter_count(&model),
            history,
            time,
            course: None,
        });
    }
    out.write("long.md", &markdown_table(&header, &table_rows(&long_results)))?;
    let h = &long_results[0].history;
    let epochs: Vec<String> = (1..=h.len()).map(|e| e.to_string()).collect();
    let acc = h.get("val_accuracy").unwrap();
    let loss = h.get("loss").unwrap();
    let val_loss = h.get("val_loss").unwrap();
    let rows: Vec<Vec<String>> = (0..h.len())
        .map(|i| {
            vec![
                epochs[i].clone(),
                format!("{:.4}", loss[i]),
                format!("{:.4}", val_loss[i]),
                format!("{:.2}%", 100.0 * acc[i]),
            ]
        })
        .collect();
    out.write(
        "long-epochs.md",
        &markdown_table(
            &["epoch", "training loss", "test loss", "test accuracy"],
            &rows,
        ),
    )?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
