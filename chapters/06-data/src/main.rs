//! Chapter 6's demo: `cargo run --release -p ch06-data`.
//!
//! Builds datasets and loaders, shows how epochs are shuffled and that workers keep
//! the order, splits data (hold-out, k-fold, stratified), demonstrates leakage,
//! runs every preprocessing step on the course's fixtures, shows why scaling
//! matters for gradient descent, measures how well a loader keeps a model fed, and
//! reads the real Iris and Fashion-MNIST files when `KINDLING_DATASETS` is set (it
//! says what it skipped otherwise). Everything the book shows is written to
//! `book/src/generated/06-data/`.

use ch06_data::*;
use chapter_kit::{
    best_of, format_value, markdown_table, BarChart, LineChart, Output,
};
use kindling_data::split::{split_sizes, stratified_train_val_test_split};
use kindling_data::{
    datasets, k_fold, one_hot, stratified_k_fold, train_val_test_split, DataLoader,
    Dataset, ImputeStrategy, KnnImputer, LabelEncoder, MinMaxScaler, OneHotEncoder,
    PolynomialFeatures, SimpleImputer, StandardScaler, TensorDataset, Transform,
};
use kindling_tensor::Tensor;
use std::fmt::Write as _;
use std::time::Duration;

fn fmt_rows(t: &Tensor<f64>) -> String {
    let cols = t.shape().get(1).copied().unwrap_or(1);
    let v = t.to_vec();
    let rows: Vec<String> = v
        .chunks(cols)
        .map(|r| {
            format!(
                "[{}]",
                r.iter()
                    .map(|x| format!("{}", (x * 1e6).round() / 1e6))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

/// Writes `name` unless the real dataset was skipped and an earlier run's file is
/// already there (a skipped run never replaces real results with a note).
fn write_real(
    out: &Output,
    name: &str,
    contents: Option<String>,
    skipped: &str,
) -> std::io::Result<()> {
    match contents {
        Some(c) => out.write(name, &c),
        None if out.dir().join(name).exists() => {
            out.step(&format!(
                "  kept the existing {name} from an earlier run with the data"
            ));
            Ok(())
        }
        None => out.write(name, &format!("(skipped: {skipped})\n")),
    }
}

fn main() -> std::io::Result<()> {
    let out = Output::for_chapter("06-data")?;
    if cfg!(debug_assertions) {
        out.step("note: this is a debug build; run with --release for meaningful timings");
    }

    // -----------------------------------------------------------------------------
    out.step("a dataset made on demand, and its loader");
    let sine = NoisySine { n: 100, seed: 3 };
    let mut text = String::new();
    let (x, y) = sine.get(0);
    let _ = writeln!(
        text,
        "len = {}, sample 0 = (x {:?}, y {:?})",
        sine.len(),
        x.to_vec(),
        y.to_vec()
    );
    let loader = DataLoader::new(sine, 32);
    for (i, (xb, yb)) in loader.iter_epoch(0).enumerate() {
        let _ = writeln!(
            text,
            "batch {i}: inputs {:?}, targets {:?}",
            xb.shape(),
            yb.shape()
        );
    }
    out.write("custom-dataset.txt", &text)?;

    out.step("shuffling per epoch, drop_last, workers");
    let n: usize = 10;
    let data = TensorDataset::new(
        Tensor::<f32>::arange(n as f32).reshape([n as isize, 1]),
        Tensor::<i64>::zeros([n]),
    );
    let plain = DataLoader::new(data.clone(), 4).shuffle(true).seed(7);
    let busy = DataLoader::new(data.clone(), 4).shuffle(true).seed(7).workers(3);
    let dropping = DataLoader::new(data, 4).shuffle(true).seed(7).drop_last(true);
    let show = |batches: Vec<(Tensor<f32>, Tensor<i64>)>| {
        batches
            .iter()
            .map(|(x, _)| {
                format!(
                    "{:?}",
                    x.to_vec().iter().map(|v| *v as i64).collect::<Vec<_>>()
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rows = vec![
        vec![
            "shuffle, seed 7".into(),
            "0".into(),
            show(plain.iter_epoch(0).collect()),
        ],
        vec![
            "shuffle, seed 7".into(),
            "1".into(),
            show(plain.iter_epoch(1).collect()),
        ],
        vec![
            "shuffle, seed 7".into(),
            "2".into(),
            show(plain.iter_epoch(2).collect()),
        ],
        vec![
            "shuffle, seed 7, 3 workers".into(),
            "0".into(),
            show(busy.iter_epoch(0).collect()),
        ],
        vec![
            "shuffle, seed 7, 3 workers".into(),
            "1".into(),
            show(busy.iter_epoch(1).collect()),
        ],
        vec![
            "shuffle, seed 7, drop_last".into(),
            "0".into(),
            show(dropping.iter_epoch(0).collect()),
        ],
    ];
    out.write(
        "loader-epochs.md",
        &markdown_table(
            &["loader (10 samples, batch 4)", "epoch", "batches"],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("splits: hold-out, k-fold, stratified");
    let split = train_val_test_split(1000, [0.8, 0.1, 0.1], 42);
    let disjoint = {
        let mut all: Vec<usize> =
            [split.train.clone(), split.validation.clone(), split.test.clone()]
                .concat();
        all.sort_unstable();
        all.dedup();
        all.len() == 1000
    };
    let mut rows = Vec::new();
    for (n, r) in [
        (1000, [0.8, 0.1, 0.1]),
        (1000, [0.7, 0.15, 0.15]),
        (150, [0.7, 0.15, 0.15]),
        (101, [0.8, 0.1, 0.1]),
    ] {
        let s = split_sizes(n, &r);
        rows.push(vec![
            n.to_string(),
            format!("{} / {} / {}", r[0], r[1], r[2]),
            format!("{} / {} / {}", s[0], s[1], s[2]),
        ]);
    }
    let mut text =
        markdown_table(&["samples", "ratios", "train / validation / test"], &rows);
    let _ = writeln!(text, "\nThe 80/10/10 split of 1000 positions covers each exactly once: {disjoint}.");
    out.write("split-sizes.md", &text)?;
    let folds = k_fold(12, 5, None);
    let rows: Vec<Vec<String>> = folds
        .iter()
        .enumerate()
        .map(|(j, f)| {
            vec![
                (j + 1).to_string(),
                format!("{:?}", f.test),
                format!("{:?}", f.train),
            ]
        })
        .collect();
    out.write(
        "k-fold.md",
        &markdown_table(&["fold", "test positions", "train positions"], &rows),
    )?;
    // Imbalanced labels: 70 of class 0, 25 of class 1, 5 of class 2.
    let labels: Vec<i64> = (0..100)
        .map(|i| {
            if i < 70 {
                0
            } else if i < 95 {
                1
            } else {
                2
            }
        })
        .collect();
    let count = |idx: &[usize]| {
        let mut c = [0; 3];
        idx.iter().for_each(|&i| c[labels[i] as usize] += 1);
        format!("{} / {} / {}", c[0], c[1], c[2])
    };
    let plain = k_fold(100, 5, Some(3));
    let strat = stratified_k_fold(&labels, 5, 3);
    let rows: Vec<Vec<String>> = (0..5)
        .map(|j| {
            vec![(j + 1).to_string(), count(&plain[j].test), count(&strat[j].test)]
        })
        .collect();
    out.write(
        "stratified.md",
        &markdown_table(
            &[
                "fold",
                "shuffled k-fold: classes 0 / 1 / 2",
                "stratified k-fold: classes 0 / 1 / 2",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("leakage: target encoding in-sample against out of fold");
    let [[nt, ns], [ot, os]] = target_encoding_leak(2000, 400, 1);
    let rows = vec![
        vec![
            "fitted on all training rows, encoding those same rows".into(),
            format!("{:.1}%", 100.0 * nt),
            format!("{:.1}%", 100.0 * ns),
        ],
        vec![
            "out of fold (5 folds) for the training rows".into(),
            format!("{:.1}%", 100.0 * ot),
            format!("{:.1}%", 100.0 * os),
        ],
    ];
    out.write(
        "leakage.md",
        &markdown_table(
            &[
                "target encoding of the training rows",
                "training accuracy",
                "test accuracy",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("preprocessing on the course's fixtures");
    let mut text = String::new();
    let x = Tensor::from([[1.0f64], [2.0], [3.0]]);
    let _ = writeln!(text, "scaling [1, 2, 3]:");
    let _ = writeln!(
        text,
        "  min-max      {}",
        fmt_rows(&MinMaxScaler::new().fit_transform(&x))
    );
    let mut standard = StandardScaler::new();
    let z = standard.fit_transform(&x);
    let (mu, sigma) = standard.mean_std().unwrap();
    let _ = writeln!(
        text,
        "  standardized {} (mean {}, population std {:.6})",
        fmt_rows(&z),
        mu[0],
        sigma[0]
    );
    out.write("scaling.txt", &text)?;
    let mut text = String::new();
    let colors = ["Red", "Green", "Blue"];
    let mut labels = LabelEncoder::new();
    let codes = labels.fit_transform(&colors);
    let _ = writeln!(text, "encoding {colors:?}:");
    let _ = writeln!(
        text,
        "  label codes  {:?} (categories {:?})",
        codes.to_vec(),
        labels.categories()
    );
    let hot = OneHotEncoder::new().fit_transform(&colors);
    let _ = writeln!(
        text,
        "  one-hot      {:?}",
        hot.to_vec().chunks(3).map(|r| r.to_vec()).collect::<Vec<_>>()
    );
    let _ = writeln!(
        text,
        "  one_hot(labels [2, 0], 3 classes) = {:?}",
        one_hot(&Tensor::from([2i64, 0]), 3).to_vec()
    );
    out.write("encoding.txt", &text)?;
    let mut text = String::new();
    let missing = Tensor::from([[1.0f64, 2.0], [f64::NAN, 3.0], [7.0, 6.0]]);
    let _ = writeln!(text, "imputing [[1, 2], [NaN, 3], [7, 6]]:");
    for (name, strategy) in [
        ("mean", ImputeStrategy::Mean),
        ("median", ImputeStrategy::Median),
        ("constant −999", ImputeStrategy::Constant(-999.0)),
    ] {
        let mut imp = SimpleImputer::new(strategy);
        let filled = imp.fit_transform(&missing);
        let _ = writeln!(text, "  {name:<14} {}", fmt_rows(&filled));
    }
    let _ = writeln!(
        text,
        "  {:<14} {}",
        "2 neighbours",
        fmt_rows(&KnnImputer::new(2).fit_transform(&missing))
    );
    let mut poly = PolynomialFeatures::new(2);
    let features =
        poly.fit_transform(&Tensor::from([[1.0f64], [2.0], [3.0], [4.0], [5.0]]));
    out.write("imputing.txt", &text)?;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "polynomial features of degree 2 of x = 1..5 ({:?}):",
        poly.feature_names(&["x"])
    );
    let _ = writeln!(text, "  {}", fmt_rows(&features));
    let mut poly2 = PolynomialFeatures::new(2);
    poly2.fit(&Tensor::<f64>::zeros([1, 2]));
    let _ = writeln!(
        text,
        "  two inputs a, b give {:?}",
        poly2.feature_names(&["a", "b"])
    );
    // A linear model on these columns, fitted by least squares to y = x²: the
    // coefficients of 1, x and x², and the values the fitted model gives back,
    // rounded to six decimals (−0 printed as 0).
    let targets = Tensor::from([1.0f64, 4.0, 9.0, 16.0, 25.0]);
    let fit = kindling_tensor::linalg::lstsq(&features, &targets, None);
    let rounded = |t: &Tensor<f64>| {
        t.to_vec()
            .iter()
            .map(|c| format!("{}", (c * 1e6).round() / 1e6 + 0.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(text, "least squares for y = x^2 on the columns of x = 1..5:");
    let _ = writeln!(
        text,
        "  coefficients of [1, x, x^2]: [{}]",
        rounded(&fit.solution)
    );
    let _ = writeln!(
        text,
        "  fitted values: [{}]",
        rounded(&features.matmul(&fit.solution))
    );
    out.write("polynomial.txt", &text)?;

    // -----------------------------------------------------------------------------
    out.step("scaling and gradient descent");
    let steps = 200;
    let (raw, scaled) = scaling_comparison(steps);
    let series = |v: &[f64]| {
        v.iter().enumerate().map(|(i, l)| (i as f64, l.log10())).collect::<Vec<_>>()
    };
    let chart =
        LineChart::new("Gradient descent on rooms and area, raw and standardized")
            .x_label("step")
            .y_label("log10 mean squared error")
            .series("raw features (η = 4e-7)", series(&raw))
            .series("standardized (η = 0.3)", series(&scaled));
    out.write("scaling-gd.svg", &chart.to_svg())?;
    let rows: Vec<Vec<String>> = [0, 10, 50, 200]
        .iter()
        .map(|&k| {
            vec![k.to_string(), format_value(raw[k]), format_value(scaled[k])]
        })
        .collect();
    out.write(
        "scaling-gd.md",
        &markdown_table(&["step", "raw features", "standardized"], &rows),
    )?;

    // -----------------------------------------------------------------------------
    out.step(
        "keeping the model fed: a loader that reads slowly, with 0 to 4 workers",
    );
    let mut rows = Vec::new();
    let mut bars =
        BarChart::new("One epoch, 4096 samples at 100 µs each to read", "seconds");
    // caches, allocator, thread pool
    let _warm_up = one_epoch(blob_data(512, 256, 10, 1), 64, 0, 512);
    for workers in [0, 1, 2, 4] {
        let data = Slow {
            inner: blob_data(4096, 256, 10, 1),
            delay: Duration::from_micros(100),
        };
        let stats = one_epoch(data, 64, workers, 512);
        out.step(&format!(
            "  {workers} workers: {:.2} s, waiting {:.0}% of it",
            stats.seconds,
            100.0 * stats.wait_fraction()
        ));
        bars = bars.bar(
            &format!("{workers} worker{}", if workers == 1 { "" } else { "s" }),
            stats.seconds,
        );
        rows.push(vec![
            workers.to_string(),
            format!("{:.2}", stats.seconds),
            format!("{:.0}%", 100.0 * stats.wait_fraction()),
            format!("{:.0}", stats.samples_per_second()),
        ]);
    }
    let compute = one_epoch(blob_data(4096, 256, 10, 1), 64, 0, 512);
    rows.push(vec![
        "in memory, 0 workers".into(),
        format!("{:.2}", compute.seconds),
        format!("{:.0}%", 100.0 * compute.wait_fraction()),
        format!("{:.0}", compute.samples_per_second()),
    ]);
    bars = bars.bar("in memory (no sleep)", compute.seconds);
    out.write("slow-loader.svg", &bars.to_svg())?;
    out.write(
        "slow-loader.md",
        &markdown_table(
            &["workers", "epoch (s)", "waiting for data", "samples/s"],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("under the hood: the reorder buffer and its bound");
    let mut rows = Vec::new();
    for (workers, capacity) in [(2, 2), (4, 4), (4, 8), (8, 4)] {
        let stats = prefetch_in_order(
            200,
            workers,
            capacity,
            |i| {
                // Uneven work, so batches finish out of order.
                std::thread::sleep(Duration::from_micros(
                    100 + ((i * 7919) % 17) as u64 * 40,
                ));
                i
            },
            |_, _| std::thread::sleep(Duration::from_micros(150)),
        );
        rows.push(vec![
            workers.to_string(),
            capacity.to_string(),
            stats.max_in_flight.to_string(),
            stats.max_buffered.to_string(),
        ]);
    }
    out.write(
        "prefetch.md",
        &markdown_table(
            &[
                "workers",
                "capacity",
                "most batches in flight",
                "most waiting in the reorder buffer",
            ],
            &rows,
        ),
    )?;

    out.step("under the hood: one gather per batch against stacking samples");
    let big = blob_data(20_000, 784, 10, 9);
    let mut rows = Vec::new();
    for batch in [32, 128, 512] {
        let (t_gather, a) = best_of(3, || read_epoch(&big, batch, true));
        let (t_stack, b) = best_of(3, || read_epoch(&big, batch, false));
        assert_eq!(a, b);
        let gb = 20_000.0 * 784.0 * 4.0 / 1e9;
        rows.push(vec![
            batch.to_string(),
            format_value(t_stack.as_secs_f64() * 1e3),
            format_value(t_gather.as_secs_f64() * 1e3),
            format!("{:.1}", t_stack.as_secs_f64() / t_gather.as_secs_f64()),
            format_value(gb / t_gather.as_secs_f64()),
        ]);
    }
    out.write(
        "gather.md",
        &markdown_table(
            &[
                "batch",
                "stack samples (ms/epoch)",
                "one gather (ms/epoch)",
                "speed-up",
                "gather GB/s",
            ],
            &rows,
        ),
    )?;

    // -----------------------------------------------------------------------------
    out.step("real files");
    let dir = datasets::datasets_dir();
    let skipped = match &dir {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    };
    if let Err(e) = &dir {
        out.step(&format!("  skipped Iris and Fashion-MNIST: {e}"));
    }
    let iris =
        dir.as_ref().ok().and_then(|d| match datasets::iris(d.join("iris")) {
            Ok(t) => Some(t),
            Err(e) => {
                out.step(&format!("  skipped Iris: {e}"));
                None
            }
        });
    let iris_md = iris.map(|table| {
        let y = table.labels.to_vec();
        let split = stratified_train_val_test_split(&y, [0.7, 0.15, 0.15], 0);
        let pick = |idx: &[usize]| {
            let i = Tensor::from_vec(idx.iter().map(|&v| v as i64).collect(), [idx.len()]);
            (table.features.index_select(0, &i), table.labels.index_select(0, &i))
        };
        let ((tx, ty), (vx, vy), (sx, sy)) = (pick(&split.train), pick(&split.validation), pick(&split.test));
        let mut scaler = StandardScaler::new();
        let (tx, vx, sx) = (scaler.fit_transform(&tx), scaler.transform(&vx), scaler.transform(&sx));
        let (mu, sd) = scaler.mean_std().unwrap();
        let mut md = format!(
            "{} rows, {} features, classes {:?}; stratified split {} / {} / {}.\n\n",
            table.labels.shape()[0],
            table.feature_names.len(),
            table.classes,
            split.train.len(),
            split.validation.len(),
            split.test.len()
        );
        let rows: Vec<Vec<String>> = table
            .feature_names
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let col = |t: &Tensor<f32>| t.to_vec().chunks(4).map(|r| r[c] as f64).collect::<Vec<f64>>();
                let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
                vec![name.clone(), format!("{:.3}", mu[c]), format!("{:.3}", sd[c]), format!("{:+.3}", mean(&col(&vx))), format!("{:+.3}", mean(&col(&sx)))]
            })
            .collect();
        md.push_str(&markdown_table(
            &["feature (cm)", "training mean", "training std", "validation mean after scaling", "test mean after scaling"],
            &rows,
        ));
        let val_acc = softmax_regression(&tx, &ty, &vx, &vy, 200);
        let test_acc = softmax_regression(&tx, &ty, &sx, &sy, 200);
        let _ = writeln!(
            md,
            "\nA softmax regression (one linear layer, 200 full-batch steps) on the scaled features: validation accuracy {:.1}%, test accuracy {:.1}%.",
            100.0 * val_acc,
            100.0 * test_acc
        );
        md
    });
    write_real(&out, "iris.md", iris_md, &skipped)?;

    let fashion = dir.as_ref().ok().and_then(|d| {
        let dir = d.join("fashion-mnist");
        match (
            datasets::fashion_mnist(&dir, datasets::Split::Train),
            datasets::fashion_mnist(&dir, datasets::Split::Test),
        ) {
            (Ok(a), Ok(b)) => Some((a, b)),
            (Err(e), _) | (_, Err(e)) => {
                out.step(&format!("  skipped Fashion-MNIST: {e}"));
                None
            }
        }
    });
    let fashion_md = match fashion {
        None => None,
        Some((train, test)) => {
            let ds = train.to_dataset();
            let (x, y) = ds.into_parts();
            let n = 20_000;
            let head = Tensor::from_vec((0..n as i64).collect(), [n]);
            let x = x.index_select(0, &head);
            let grid = x.narrow(0, 0, 16);
            let actual: Vec<i64> = y.narrow(0, 0, 16).to_vec();
            let names: Vec<&str> = datasets::FASHION_MNIST_CLASSES.to_vec();
            let path = out.dir().join("fashion-grid.png");
            kindling_train::plot::image_grid(
                &grid,
                &actual,
                None,
                &names,
                8,
                &path,
                &kindling_train::plot::PlotOptions::sized(800, 260)
                    .title("The first 16 Fashion-MNIST training images"),
            )
            .map_err(|e| std::io::Error::other(e.to_string()))?;
            out.step("  wrote fashion-grid.png");
            let flat = TensorDataset::new(
                x.reshape([n as isize, 784]),
                y.index_select(0, &head),
            );
            let mut md = format!(
                "Read {} training and {} test images of {:?} pixels (IDX, gzip), bytes 0-255 scaled to [0, 1].\n\n",
                train.len(),
                test.len(),
                &train.images.shape()[1..]
            );
            let mut rows = Vec::new();
            let _warm_up =
                one_epoch(flat.select(&(0..2048).collect::<Vec<_>>()), 128, 0, 256);
            for workers in [0, 2] {
                let stats = one_epoch(flat.clone(), 128, workers, 256);
                rows.push(vec![
                    workers.to_string(),
                    format!("{:.2}", stats.seconds),
                    format!("{:.1}%", 100.0 * stats.wait_fraction()),
                    format!("{:.0}", stats.samples_per_second()),
                    format!("{:.3}", stats.loss),
                ]);
            }
            md.push_str(&markdown_table(
                &[
                    "workers",
                    "epoch of 20,000 images (s)",
                    "waiting for data",
                    "samples/s",
                    "mean training loss",
                ],
                &rows,
            ));
            Some(md)
        }
    };
    write_real(&out, "fashion.md", fashion_md, &skipped)?;

    out.step("done");
    Ok(())
}
