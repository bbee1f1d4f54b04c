//! Chapter 16's demo: `cargo run --release -p ch16-classic [-- --only SECTION]`,
//! with `KINDLING_DATASETS` set to the folder holding `sklearn-small/` and
//! `optdigits/` for the sections on real data (they say what they skipped without
//! it and keep earlier files).
//!
//! Sections, in order (`--only` runs one):
//!
//! - `conditioning`: the normal equation against QR on polynomial features;
//! - `polynomial`: the course's five points of y = x² through `PolynomialFeatures`
//!   and `LinearRegression`;
//! - `bias-variance`: 400 resampled polynomial fits per degree;
//! - `paths`: lasso, elastic-net and ridge paths on diabetes, and its 70/30 R²
//!   beside scikit-learn's (needs the data);
//! - `boundaries`: logistic regression, Gaussian naive Bayes and k-NN on the two
//!   moons;
//! - `knn-search`: brute force (naive loops and GEMM) against the KD-tree, on
//!   uniform points and on optdigits (needs the data);
//! - `classifiers`: the three classifiers on iris, breast cancer, wine and
//!   optdigits, beside scikit-learn's accuracies on the same splits (needs the
//!   data);
//! - `model-selection`: grid searches and the scaler inside or outside the folds
//!   (needs the data).
//!
//! Timings run on one thread (the rule for comparisons with scikit-learn);
//! `--threads N` changes that. Everything goes to `book/src/generated/16-classic/`.

use ch16_classic::*;
use chapter_kit::{best_of, format_value, markdown_table, LineChart, Output};
use kindling_classic::linear::{
    Lasso, LinearRegression, LogisticRegression, Ridge,
};
use kindling_classic::naive_bayes::GaussianNb;
use kindling_classic::neighbors::{Algorithm, KNeighborsClassifier};
use kindling_classic::{Supervised, Transformer};
use kindling_data::datasets::{self, Split};
use kindling_data::preprocess::StandardScaler;
use kindling_metrics::plot::{self, PlotOptions};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use serde_json::Value;
use std::path::PathBuf;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const PROGRAM: &str = "ch16-classic";

/// One section of the demo: its name for `--only`, and what it runs.
type Section = (&'static str, fn(&Output) -> Result);

fn main() -> Result {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = chapter_kit::flag_value(PROGRAM, &args, "--only");
    let threads =
        chapter_kit::flag_number(PROGRAM, &args, "--threads").unwrap_or(1);
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global()?;
    let out = Output::for_chapter("16-classic")?;
    let sections: [Section; 8] = [
        ("conditioning", conditioning),
        ("polynomial", polynomial),
        ("bias-variance", bias_variance_section),
        ("paths", paths),
        ("boundaries", boundaries),
        ("knn-search", knn_search),
        ("classifiers", classifiers),
        ("model-selection", model_selection),
    ];
    chapter_kit::run_sections(only.as_deref(), &sections, &out)
}

/// A number in scientific notation with two digits, or "failed" for an infinite
/// error.
fn sci(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1e}")
    } else {
        "failed".to_string()
    }
}

fn conditioning(out: &Output) -> Result {
    out.step("conditioning: y = 1 + x + … + x^d at 50 points, normal equation against QR");
    let rows: Vec<Vec<String>> = [2, 4, 6, 8, 10, 12, 14, 16]
        .iter()
        .map(|&d| {
            let r = conditioning_row(d, 50);
            vec![
                d.to_string(),
                sci(r.normal_equation_error),
                sci(r.qr_error),
                sci(r.library_normal_equation_error),
                sci(r.library_qr_error),
            ]
        })
        .collect();
    let table = markdown_table(
        &[
            "degree",
            "normal equation",
            "QR",
            "LinearRegression, normal equation",
            "LinearRegression, QR",
        ],
        &rows,
    );
    out.write(
        "conditioning.md",
        &format!(
            "{table}\nThe error is the root-mean-square distance of the coefficients from 1; the first two \
             columns solve with the listings above, the last two with the library's estimator, which \
             centres the columns and fits the intercept separately.\n"
        ),
    )?;
    Ok(())
}

fn bias_variance_section(out: &Output) -> Result {
    let (n, noise, resamples) = (20, 0.3, 400);
    out.step(&format!("bias and variance: degrees 0 to 14, {resamples} training sets of {n} points"));
    let degrees: Vec<usize> = (0..=14).collect();
    let rows = bias_variance(&degrees, n, noise, resamples, 16);
    let curve = |f: fn(&BiasVariance) -> f64| {
        rows.iter().map(|r| (r.degree as f64, f(r))).collect::<Vec<_>>()
    };
    let chart = LineChart::new(&format!(
        "Polynomial fits to {n} noisy points, averaged over {resamples} samples"
    ))
    .x_label("degree")
    .y_label("mean squared error")
    .series("test error", curve(|r| r.test_error))
    .series("training error", curve(|r| r.train_error))
    .dashed_series("bias²", curve(|r| r.bias_squared))
    .dashed_series("variance", curve(|r| r.variance))
    .dashed_series("noise σ² = 0.09", curve(|_| 0.09))
    .include_y(0.0, 0.45);
    out.write("bias-variance.svg", &chart.to_svg())?;
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.degree.to_string(),
                format!("{:.4}", r.train_error),
                format!("{:.4}", r.test_error),
                format!("{:.4}", r.bias_squared),
                format!("{:.4}", r.variance),
                format!("{:.4}", r.bias_squared + r.variance + noise * noise),
            ]
        })
        .collect();
    out.write(
        "bias-variance.md",
        &markdown_table(
            &[
                "degree",
                "training",
                "test",
                "bias²",
                "variance",
                "bias² + variance + σ²",
            ],
            &table,
        ),
    )?;

    // Three fits to one training set.
    let (x, y) = noisy_curve(n, noise, &mut kindling_tensor::Rng::seed(16));
    let grid: Vec<f64> = (0..=200).map(|i| -1.0 + i as f64 / 100.0).collect();
    let mut chart =
        LineChart::new(&format!("Three polynomials fitted to the same {n} points"))
            .x_label("x")
            .y_label("y")
            .scatter_series(
                "training points",
                x.iter().copied().zip(y.iter().copied()).collect(),
            )
            .dashed_series(
                "true curve",
                grid.iter().map(|&g| (g, true_curve(g))).collect(),
            );
    for degree in [1, 6, 14] {
        let w = qr_least_squares(&vandermonde(&x, degree), &y);
        // The wildest fit leaves the frame between points; clip it to keep the
        // others readable.
        let points = grid
            .iter()
            .map(|&g| (g, polynomial_value(&w, g).clamp(-3.0, 3.0)))
            .collect();
        chart = chart.series(&format!("degree {degree}"), points);
    }
    out.write("fits.svg", &chart.to_svg())?;
    Ok(())
}

/// The folder of real datasets, or `None` (and a loud line) when
/// `KINDLING_DATASETS` is unset.
fn datasets_dir(out: &Output, section: &str) -> Option<PathBuf> {
    match std::env::var_os("KINDLING_DATASETS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            out.step(&format!("{section}: skipped: KINDLING_DATASETS is unset (earlier files are kept)"));
            None
        }
    }
}

/// The splits and scikit-learn's scores that `tests/fixtures/make_splits.py`
/// recorded.
fn sklearn_splits() -> Value {
    serde_json::from_str(include_str!("../tests/fixtures/splits.json"))
        .expect("splits.json parses")
}

fn positions(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|i| i.as_u64().expect("an index") as usize)
        .collect()
}

fn polynomial(out: &Output) -> Result {
    out.step("polynomial regression: the course's y = x² at x = 1..5, degree 2");
    let (x, y) = ([1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 4.0, 9.0, 16.0, 25.0]);
    let model = fit_polynomial(&x, &y, 2)?;
    let coef = model.estimator().coef().to_vec();
    let features = Tensor::from_vec(x.to_vec(), [5, 1]);
    let predictions = model.predict(&features);
    let rows = vec![
        vec![
            "intercept b".into(),
            format!("{:.3e}", model.estimator().intercept()),
        ],
        vec!["coefficient of x".into(), format!("{:.3e}", coef[0])],
        vec!["coefficient of x²".into(), format!("{:.12}", coef[1])],
        vec![
            "predictions".into(),
            predictions
                .iter()
                .map(|p| format!("{p:.9}"))
                .collect::<Vec<_>>()
                .join(", "),
        ],
        vec!["R²".into(), format!("{}", model.score(&features, &y))],
    ];
    out.write("polynomial.md", &markdown_table(&["", "fitted"], &rows))?;
    Ok(())
}

/// The features of a table standardised over all its rows (for pictures of a whole
/// dataset, not for scores).
fn standardised(x: &Tensor<f64>) -> Result<Tensor<f64>> {
    Ok(StandardScaler::new().fit_transform(x)?)
}

fn path_chart(
    title: &str,
    alphas: &[f64],
    coefs: &[Vec<f64>],
    names: &[String],
    x_label: &str,
) -> String {
    let x: Vec<f64> = alphas.iter().map(|a| a.log10()).collect();
    let mut chart = LineChart::new(title).x_label(x_label).y_label("coefficient");
    for (j, name) in names.iter().enumerate() {
        let points = x.iter().zip(coefs).map(|(&a, c)| (a, c[j])).collect();
        // Six colours: the features after the sixth are dashed so that no two look
        // alike.
        chart = if j < 6 {
            chart.series(name, points)
        } else {
            chart.dashed_series(name, points)
        };
    }
    // The legend covers the top 62% of the plot over the right 36% of its width:
    // raise the top of the y axis until the curves pass below it there.
    let (lo, hi) = coefs
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let (x_lo, x_hi) =
        x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let under_legend = x
        .iter()
        .zip(coefs)
        .filter(|(&a, _)| a > x_lo + 0.62 * (x_hi - x_lo))
        .flat_map(|(_, c)| c.iter().copied())
        .fold(0.0f64, f64::max);
    let lo = lo - 0.05 * (hi - lo);
    let top = ((under_legend + 0.05 * (hi - lo) - 0.62 * lo) / 0.38).max(hi);
    chart.include_y(lo, top).to_svg()
}

fn paths(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "paths") else { return Ok(()) };
    out.step("regularisation paths on diabetes (standardised): lasso, elastic net, ridge");
    let table = datasets::diabetes(dir.join("sklearn-small"))?;
    let x = standardised(&table.features)?;
    let y = table.targets.to_vec();
    let p = regularisation_paths(&x, &y, 60)?;
    let rows_of = |path: &kindling_classic::linear::RegularisationPath| {
        let k = path.coefs.shape()[1];
        path.coefs.to_vec().chunks(k).map(<[f64]>::to_vec).collect::<Vec<_>>()
    };
    let names = &table.feature_names;
    out.write(
        "lasso-path.svg",
        &path_chart(
            "Lasso path on diabetes",
            &p.lasso.alphas,
            &rows_of(&p.lasso),
            names,
            "log₁₀ α",
        ),
    )?;
    out.write(
        "enet-path.svg",
        &path_chart(
            "Elastic-net path (l1_ratio 0.5) on diabetes",
            &p.enet.alphas,
            &rows_of(&p.enet),
            names,
            "log₁₀ α",
        ),
    )?;
    out.write(
        "ridge-path.svg",
        &path_chart(
            "Ridge path on diabetes",
            &p.ridge_alphas,
            &p.ridge_coefs,
            names,
            "log₁₀ α",
        ),
    )?;

    // The order in which features enter the lasso, and where.
    let lasso = rows_of(&p.lasso);
    let mut entries: Vec<(usize, f64)> = (0..names.len())
        .filter_map(|j| {
            lasso.iter().position(|c| c[j] != 0.0).map(|i| (j, p.lasso.alphas[i]))
        })
        .collect();
    entries.sort_by(|a, b| b.1.total_cmp(&a.1));
    let ols = lasso.last().expect("a path").clone();
    let rows: Vec<Vec<String>> = entries
        .iter()
        .enumerate()
        .map(|(rank, &(j, alpha))| {
            vec![
                (rank + 1).to_string(),
                names[j].clone(),
                format_value(alpha),
                format!("{:.2}", ols[j]),
            ]
        })
        .collect();
    let text = markdown_table(
        &["enters", "feature", "at α", "coefficient at the smallest α"],
        &rows,
    );
    out.write(
        "paths.md",
        &format!(
            "{text}
The lasso path starts at α_max = {} (every coefficient 0).
",
            format_value(p.lasso.alphas[0])
        ),
    )?;

    out.step("diabetes 70/30 (scikit-learn's split): OLS, ridge α = 1, lasso α = 0.1 beside scikit-learn");
    let splits = sklearn_splits();
    let d = &splits["diabetes"];
    let (train, test) = (positions(&d["train"]), positions(&d["test"]));
    let mut rows = Vec::new();
    for (features, key, label) in [
        (&x, "scores", "standardised"),
        (&table.features, "scores_as_shipped", "as shipped"),
    ] {
        // Standardising is done inside the pipeline-free comparison by refitting
        // the scaler on the training rows, as scikit-learn's script did.
        let (xtr, ytr) = rows_of_table(features, &y, &train);
        let (xte, yte) = rows_of_table(features, &y, &test);
        let (xtr, xte) = if label == "standardised" {
            scale_pair(&xtr, &xte)?
        } else {
            (xtr, xte)
        };
        let mut ols = LinearRegression::new();
        ols.fit(&xtr, &ytr)?;
        let mut ridge = Ridge::new().alpha(1.0);
        ridge.fit(&xtr, &ytr)?;
        let mut lasso = Lasso::new().alpha(0.1);
        lasso.fit(&xtr, &ytr)?;
        for (name, model_key, score) in [
            ("OLS", "ols", ols.score(&xte, &yte)),
            ("ridge, α = 1", "ridge", ridge.score(&xte, &yte)),
            ("lasso, α = 0.1", "lasso", lasso.score(&xte, &yte)),
        ] {
            let reference = d[key][model_key].as_f64().expect("a score");
            rows.push(vec![
                label.to_string(),
                name.to_string(),
                format!("{reference:.4}"),
                format!("{score:.4}"),
            ]);
        }
    }
    out.write(
        "diabetes.md",
        &markdown_table(
            &["features", "model", "scikit-learn R²", "Kindling R²"],
            &rows,
        ),
    )?;
    Ok(())
}

/// The rows `rows` of `x` (the original, unstandardised features when `x` is them)
/// and of `y`.
fn rows_of_table(
    x: &Tensor<f64>,
    y: &[f64],
    rows: &[usize],
) -> (Tensor<f64>, Vec<f64>) {
    rows_of(x, y, rows)
}

/// A scaler fitted on the training rows, applied to both parts.
fn scale_pair(
    train: &Tensor<f64>,
    test: &Tensor<f64>,
) -> Result<(Tensor<f64>, Tensor<f64>)> {
    let mut scaler = StandardScaler::new();
    let train = scaler.fit_transform(train)?;
    Ok((train, scaler.transform(test)))
}

fn boundaries(out: &Output) -> Result {
    out.step("decision boundaries on the two moons: logistic regression, Gaussian naive Bayes, k-NN");
    let (points, labels) = kindling_data::synthetic::moons(300, 0.25, 16);
    let x = Tensor::from_vec(
        points.to_vec().into_iter().map(f64::from).collect::<Vec<_>>(),
        [300, 2],
    );
    let y = labels.to_vec();
    let draw = |model: &dyn Fn(&Tensor<f64>) -> Vec<i64>,
                name: &str,
                title: &str|
     -> Result {
        let classify = |grid: &Tensor<f32>| {
            let grid = Tensor::from_vec(
                grid.to_vec().into_iter().map(f64::from).collect::<Vec<_>>(),
                grid.shape().to_vec(),
            );
            model(&grid)
        };
        let path = out.dir().join(name);
        plot::decision_boundary(
            classify,
            &points,
            &y,
            150,
            &path,
            &PlotOptions::sized(560, 440).title(title),
        )?;
        println!("[16-classic]   wrote book/src/generated/16-classic/{name}");
        Ok(())
    };
    let accuracy = |m: &dyn Fn(&Tensor<f64>) -> Vec<i64>| {
        kindling_metrics::metrics::accuracy(&y, &m(&x))
    };
    let mut logistic = LogisticRegression::new();
    logistic.fit(&x, &y)?;
    let f = |g: &Tensor<f64>| logistic.predict(g);
    draw(
        &f,
        "boundary-logistic.png",
        &format!("Logistic regression (training accuracy {:.2})", accuracy(&f)),
    )?;
    let mut bayes = GaussianNb::new();
    bayes.fit(&x, &y)?;
    let f = |g: &Tensor<f64>| bayes.predict(g);
    draw(
        &f,
        "boundary-gaussian-nb.png",
        &format!("Gaussian naive Bayes (training accuracy {:.2})", accuracy(&f)),
    )?;
    for k in [1, 15] {
        let mut knn = KNeighborsClassifier::new(k);
        knn.fit(&x, &y)?;
        let f = |g: &Tensor<f64>| knn.predict(g);
        draw(
            &f,
            &format!("boundary-knn-{k}.png"),
            &format!("k-NN, k = {k} (training accuracy {:.2})", accuracy(&f)),
        )?;
    }
    Ok(())
}

/// A classification task cut into training and test rows.
struct LabeledSplit {
    /// The dataset's key in `splits.json`.
    key: &'static str,
    name: String,
    x_train: Tensor<f64>,
    y_train: Vec<i64>,
    x_test: Tensor<f64>,
    y_test: Vec<i64>,
}

fn knn_search(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "knn-search") else { return Ok(()) };
    out.step("k-NN search: naive loops, GEMM and the KD-tree (k = 5, one thread)");
    let mut cases: Vec<LabeledSplit> = Vec::new();
    let mut rng = Rng::seed(16);
    for dims in [2, 3] {
        let train = Tensor::<f64>::rand([20_000, dims], &mut rng);
        let labels = (0..20_000).map(|_| rng.below(3) as i64).collect();
        let queries = Tensor::<f64>::rand([2_000, dims], &mut rng);
        let name = format!("uniform points, {dims}-D: 20,000 × 2,000");
        cases.push(LabeledSplit {
            key: "",
            name,
            x_train: train,
            y_train: labels,
            x_test: queries,
            y_test: Vec::new(),
        });
    }
    let train = datasets::optdigits(dir.join("optdigits"), Split::Train)?;
    let test = datasets::optdigits(dir.join("optdigits"), Split::Test)?;
    let (xtr, xte) = scale_pair(&train.features, &test.features)?;
    let name = "optdigits, 64-D: 3,823 × 1,797".to_string();
    let y_test = test.labels.to_vec();
    cases.push(LabeledSplit {
        key: "optdigits",
        name,
        x_train: xtr,
        y_train: train.labels.to_vec(),
        x_test: xte,
        y_test,
    });
    let mut rows = Vec::new();
    for LabeledSplit {
        name,
        x_train: train,
        y_train: labels,
        x_test: queries,
        ..
    } in &cases
    {
        let time =
            |algorithm: Algorithm, mode: KernelMode| -> Result<(f64, Vec<i64>)> {
                let (elapsed, result) = best_of(3, || {
                    with_kernel_mode(mode, || {
                        knn_timed(algorithm, (train, labels), queries)
                    })
                });
                Ok((elapsed.as_secs_f64(), result?.1))
            };
        let (naive, p1) = time(Algorithm::Brute, KernelMode::Naive)?;
        let (gemm, p2) = time(Algorithm::Brute, KernelMode::Fast)?;
        let (tree, p3) = time(Algorithm::KdTree, KernelMode::Fast)?;
        assert!(p1 == p2 && p2 == p3, "{name}: the three searches disagree");
        rows.push(vec![
            name.clone(),
            format!("{:.1}", naive * 1e3),
            format!("{:.1}", gemm * 1e3),
            format!("{:.1}", tree * 1e3),
        ]);
    }
    let table = markdown_table(
        &[
            "data: training × queries",
            "brute, loops (ms)",
            "brute, GEMM (ms)",
            "KD-tree (ms)",
        ],
        &rows,
    );
    out.write(
        "knn-search.md",
        &format!(
            "{table}
Fit and predict, best of 3, one thread; the three found the same neighbours.
"
        ),
    )?;
    Ok(())
}

fn classifiers(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "classifiers") else { return Ok(()) };
    out.step("classifiers on real data beside scikit-learn's accuracies (same splits, standardised)");
    let splits = sklearn_splits();
    let small = dir.join("sklearn-small");
    let mut data: Vec<LabeledSplit> = Vec::new();
    for (key, name, table) in [
        ("iris", "iris", datasets::iris_f64(dir.join("iris"))?),
        ("breast_cancer", "breast cancer", datasets::breast_cancer(&small)?),
        ("wine", "wine", datasets::wine(&small)?),
    ] {
        let y = table.labels.to_vec();
        let (train, test) =
            (positions(&splits[key]["train"]), positions(&splits[key]["test"]));
        let (xtr, ytr) = rows_of(&table.features, &y, &train);
        let (xte, yte) = rows_of(&table.features, &y, &test);
        let name = name.to_string();
        data.push(LabeledSplit {
            key,
            name,
            x_train: xtr,
            y_train: ytr,
            x_test: xte,
            y_test: yte,
        });
    }
    let train = datasets::optdigits(dir.join("optdigits"), Split::Train)?;
    let test = datasets::optdigits(dir.join("optdigits"), Split::Test)?;
    data.push(LabeledSplit {
        key: "optdigits",
        name: "optdigits".into(),
        x_train: train.features,
        y_train: train.labels.to_vec(),
        x_test: test.features,
        y_test: test.labels.to_vec(),
    });
    let mut rows = Vec::new();
    for LabeledSplit { key, name, x_train, y_train, x_test, y_test } in &data {
        let results = compare_classifiers((x_train, y_train), (x_test, y_test))?;
        for ((model, accuracy, seconds), sklearn_key) in
            results.into_iter().zip(["logistic", "gaussian_nb", "knn5"])
        {
            let reference =
                splits[*key]["scores"][sklearn_key].as_f64().expect("a score");
            rows.push(vec![
                name.clone(),
                model.to_string(),
                format!("{reference:.4}"),
                format!("{accuracy:.4}"),
                format!("{:.1}", seconds * 1e3),
            ]);
        }
    }
    let table = markdown_table(
        &[
            "dataset",
            "classifier",
            "scikit-learn accuracy",
            "Kindling accuracy",
            "Kindling fit + predict (ms)",
        ],
        &rows,
    );
    out.write(
        "classifiers.md",
        &format!(
            "{table}
Test accuracy; the scaler is fitted on the training rows inside the pipeline; one thread.
"
        ),
    )?;
    Ok(())
}

fn model_selection(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "model-selection") else { return Ok(()) };
    let small = dir.join("sklearn-small");
    out.step(
        "grid search: ridge's α on diabetes, k-NN's k on breast cancer (5 folds)",
    );
    let diabetes = datasets::diabetes(&small)?;
    let alphas = [0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0];
    let ridge = choose_ridge_alpha(
        &diabetes.features,
        &diabetes.targets.to_vec(),
        &alphas,
        0,
    )?;
    let cancer = datasets::breast_cancer(&small)?;
    let ks = [1, 3, 5, 7, 9, 15, 25, 51];
    let knn = choose_k(&cancer.features, &cancer.labels.to_vec(), &ks, 0)?;
    let mut rows = Vec::new();
    for (i, alpha) in alphas.iter().enumerate() {
        let best = if i == ridge.best_index { " ← best" } else { "" };
        rows.push(vec![
            "ridge on diabetes, R²".into(),
            format!("α = {}{best}", format_value(*alpha)),
            format!("{:.3} ± {:.3}", ridge.mean_scores[i], ridge.std_scores[i]),
        ]);
    }
    for (i, k) in ks.iter().enumerate() {
        let best = if i == knn.best_index { " ← best" } else { "" };
        rows.push(vec![
            "k-NN on breast cancer, accuracy".into(),
            format!("k = {k}{best}"),
            format!("{:.3} ± {:.3}", knn.mean_scores[i], knn.std_scores[i]),
        ]);
    }
    out.write(
        "grid-search.md",
        &markdown_table(&["search", "candidate", "mean ± std over 5 folds"], &rows),
    )?;

    out.step("the scaler outside or inside the folds: k-NN, 5 stratified folds, 20 fold seeds");
    let wine = datasets::wine(&small)?;
    let mut rows = Vec::new();
    for (name, table) in [("breast cancer", &cancer), ("wine", &wine)] {
        let y = table.labels.to_vec();
        let (mut outside, mut inside, mut larger) = (0.0, 0.0, 0);
        let seeds = 20;
        for seed in 0..seeds {
            let (o, i) = scaler_outside_and_inside(&table.features, &y, seed)?;
            outside += o / seeds as f64;
            inside += i / seeds as f64;
            larger += usize::from(o > i);
        }
        rows.push(vec![
            name.to_string(),
            format!("{outside:.4}"),
            format!("{inside:.4}"),
            format!("{:+.4}", outside - inside),
            format!("{larger} of {seeds}"),
        ]);
    }
    out.write(
        "leakage.md",
        &markdown_table(
            &[
                "dataset",
                "scaler fitted on all rows",
                "scaler in the pipeline",
                "difference",
                "outside scored higher",
            ],
            &rows,
        ),
    )?;
    Ok(())
}
