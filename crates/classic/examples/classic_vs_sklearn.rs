//! The classic estimators beside scikit-learn on the course's splits: one line per (dataset,
//! estimator), each giving the test score (accuracy or R²) and the median fit and predict
//! times. The scikit-learn side is `tools/peers/classic_sklearn.py`, which reads the split
//! positions this program writes; `tools/peers/classic_compare.py` runs both in alternating
//! rounds and prints the table.
//!
//! ```text
//! RAYON_NUM_THREADS=1 KINDLING_DATASETS=../shared/datasets cargo run --release -p kindling-classic \
//!     --example classic_vs_sklearn -- --splits /tmp/splits.json --results /tmp/rust.json --repeats 5
//! ```
//!
//! Splits (the targets' "same splits"): optdigits with its own train/test files; iris, breast
//! cancer and wine stratified 70/30 with seed 0; diabetes 70/30 with seed 0, drawn by
//! kindling-data's generator, or read from `--read-splits FILE` (the driver's
//! `--sklearn-splits` hands over scikit-learn's own `train_test_split(random_state=0)`, the
//! split behind the course's published figures). Features are
//! standardised with a scaler fitted on the training part (MultinomialNB reads the raw pixel
//! counts of optdigits instead: it needs counts, not standardised values).

use kindling_classic::linear::{ElasticNet, Lasso, LinearRegression, LogisticRegression, Penalty, Perceptron, Ridge};
use kindling_classic::model_selection::{stratified_train_test_split, take, take_rows, train_test_split, TrainTest};
use kindling_classic::naive_bayes::{BernoulliNb, GaussianNb, MultinomialNb};
use kindling_classic::neighbors::{KNeighborsClassifier, KNeighborsRegressor};
use kindling_classic::{ClassicError, Classifier, Supervised, Target, Transformer};
use kindling_data::{datasets, StandardScaler};
use kindling_tensor::Tensor;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;

/// One dataset cut into a training and a test part, standardised and raw.
struct Prepared<T> {
    name: &'static str,
    train: Vec<usize>,
    test: Vec<usize>,
    x_train: Tensor<f64>,
    x_test: Tensor<f64>,
    raw_train: Tensor<f64>,
    raw_test: Tensor<f64>,
    y_train: Vec<T>,
    y_test: Vec<T>,
}

impl<T: Copy> Prepared<T> {
    fn cut(name: &'static str, x: &Tensor<f64>, y: &[T], train: Vec<usize>, test: Vec<usize>) -> Self {
        let (raw_train, raw_test) = (take_rows(x, &train), take_rows(x, &test));
        Self::from_parts(name, raw_train, raw_test, take(y, &train), take(y, &test), train, test)
    }

    fn from_parts(
        name: &'static str,
        raw_train: Tensor<f64>,
        raw_test: Tensor<f64>,
        y_train: Vec<T>,
        y_test: Vec<T>,
        train: Vec<usize>,
        test: Vec<usize>,
    ) -> Self {
        let mut scaler = StandardScaler::new();
        let x_train = Transformer::fit_transform(&mut scaler, &raw_train).expect("finite features");
        let x_test = Transformer::transform(&scaler, &raw_test);
        Prepared { name, train, test, x_train, x_test, raw_train, raw_test, y_train, y_test }
    }

    fn split_json(&self) -> Value {
        json!({ "train": self.train, "test": self.test })
    }
}

/// One measured line.
struct Row {
    dataset: &'static str,
    estimator: String,
    score: f64,
    fit_s: f64,
    predict_s: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Fits a fresh clone `repeats` times and predicts the test part as often; the score is the
/// last run's (every run gives the same).
fn measure<E: Supervised>(data: &Prepared<E::Target>, raw: bool, name: &str, model: E, repeats: usize) -> Row {
    let (x_train, x_test) = if raw { (&data.raw_train, &data.raw_test) } else { (&data.x_train, &data.x_test) };
    let (mut fits, mut predicts, mut score) = (Vec::new(), Vec::new(), f64::NAN);
    for _ in 0..repeats {
        let mut fitted = model.clone();
        let start = Instant::now();
        if let Err(e) = fitted.fit(x_train, &data.y_train) {
            // One failing case should not stop the table: it shows as NaN (null in the JSON).
            eprintln!("classic_vs_sklearn: {name} on {}: {e}", data.name);
            return Row {
                dataset: data.name,
                estimator: name.to_string(),
                score: f64::NAN,
                fit_s: f64::NAN,
                predict_s: f64::NAN,
            };
        }
        fits.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        let predicted = fitted.predict(x_test);
        predicts.push(start.elapsed().as_secs_f64());
        score = E::Target::default_score(&data.y_test, &predicted);
    }
    Row { dataset: data.name, estimator: name.to_string(), score, fit_s: median(fits), predict_s: median(predicts) }
}

/// The unsupervised rows (chapter 17's clustering): fits a fresh clone on the training rows
/// `repeats` times; the score is the adjusted Rand index of the training rows' clusters
/// against the true labels, and predict is timed on the test rows.
fn measure_unsupervised<C: kindling_classic::Clusterer>(
    data: &Prepared<i64>,
    name: &str,
    model: C,
    predict: impl Fn(&C, &Tensor<f64>) -> Vec<usize>,
    repeats: usize,
) -> Row {
    let (mut fits, mut predicts, mut score) = (Vec::new(), Vec::new(), f64::NAN);
    for _ in 0..repeats {
        let mut fitted = model.clone();
        let start = Instant::now();
        if let Err(e) = fitted.fit(&data.x_train) {
            eprintln!("classic_vs_sklearn: {name} on {}: {e}", data.name);
            return Row {
                dataset: data.name,
                estimator: name.to_string(),
                score: f64::NAN,
                fit_s: f64::NAN,
                predict_s: f64::NAN,
            };
        }
        fits.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        let _ = predict(&fitted, &data.x_test);
        predicts.push(start.elapsed().as_secs_f64());
        let clusters: Vec<i64> = fitted.labels().iter().map(|&c| c as i64).collect();
        score = kindling_metrics::metrics::adjusted_rand_index(&data.y_train, &clusters);
    }
    Row { dataset: data.name, estimator: name.to_string(), score, fit_s: median(fits), predict_s: median(predicts) }
}

/// A harness check with an answer known on both sides: scikit-learn's `NearestCentroid`
/// (Euclidean distance to each class mean). Its scores must agree exactly, which shows that
/// both sides read the same rows and standardise them the same way.
#[derive(Clone, Default)]
struct NearestCentroid {
    classes: Vec<i64>,
    centroids: Vec<f64>,
    features: usize,
}

impl Supervised for NearestCentroid {
    type Target = i64;
    fn name(&self) -> &'static str {
        "NearestCentroid"
    }
    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        let d = x.shape()[1];
        let mut classes = y.to_vec();
        classes.sort_unstable();
        classes.dedup();
        let (mut sums, mut counts) = (vec![0.0; classes.len() * d], vec![0.0; classes.len()]);
        for (row, &label) in x.to_vec().chunks(d).zip(y) {
            let c = classes.binary_search(&label).unwrap();
            counts[c] += 1.0;
            for (s, v) in sums[c * d..(c + 1) * d].iter_mut().zip(row) {
                *s += v;
            }
        }
        for (c, chunk) in sums.chunks_mut(d).enumerate() {
            chunk.iter_mut().for_each(|s| *s /= counts[c]);
        }
        *self = NearestCentroid { classes, centroids: sums, features: d };
        Ok(())
    }
    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let d = self.features;
        let distance = |row: &[f64], c: usize| -> f64 {
            row.iter().zip(&self.centroids[c * d..(c + 1) * d]).map(|(a, b)| (a - b) * (a - b)).sum()
        };
        x.to_vec()
            .chunks(d)
            .map(|row| {
                let best = (0..self.classes.len()).min_by(|&a, &b| distance(row, a).total_cmp(&distance(row, b)));
                self.classes[best.unwrap()]
            })
            .collect()
    }
}

impl Classifier for NearestCentroid {
    fn classes(&self) -> &[i64] {
        &self.classes
    }
}

struct Args {
    datasets: PathBuf,
    splits: Option<PathBuf>,
    read_splits: Option<PathBuf>,
    results: Option<PathBuf>,
    repeats: usize,
    only: Option<String>,
}

fn parse_args() -> Args {
    let mut args = Args {
        datasets: kindling_data::datasets_dir().unwrap_or_else(|e| panic!("classic_vs_sklearn: {e}")),
        splits: None,
        read_splits: None,
        results: None,
        repeats: 5,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("classic_vs_sklearn: {flag} needs a value"));
        match flag.as_str() {
            "--datasets" => args.datasets = PathBuf::from(value()),
            "--splits" => args.splits = Some(PathBuf::from(value())),
            "--read-splits" => args.read_splits = Some(PathBuf::from(value())),
            "--results" => args.results = Some(PathBuf::from(value())),
            "--repeats" => args.repeats = value().parse().expect("--repeats takes a count"),
            "--only" => args.only = Some(value()),
            other => panic!(
                "classic_vs_sklearn: unknown flag {other}; use --datasets DIR --splits FILE --read-splits FILE \
                 --results FILE --repeats N --only SUBSTRING"
            ),
        }
    }
    args
}

fn labels(t: &Tensor<i64>) -> Vec<i64> {
    t.to_vec()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args();
    let root = &args.datasets;
    let small = root.join("sklearn-small");

    let tra = datasets::optdigits(root.join("optdigits"), kindling_data::Split::Train)?;
    let tes = datasets::optdigits(root.join("optdigits"), kindling_data::Split::Test)?;
    let (n_tra, n_tes) = (tra.labels.shape()[0], tes.labels.shape()[0]);
    let optdigits = Prepared::from_parts(
        "optdigits",
        tra.features.clone(),
        tes.features.clone(),
        labels(&tra.labels),
        labels(&tes.labels),
        (0..n_tra).collect(),
        (0..n_tes).collect(),
    );
    // Positions given by --read-splits (scikit-learn's own train_test_split, say) win over ours.
    let given: Value = match &args.read_splits {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => Value::Null,
    };
    let given_split = |name: &str| -> Option<TrainTest> {
        let positions = |part: &str| -> Option<Vec<usize>> {
            given[name][part].as_array()?.iter().map(|v| v.as_u64().map(|i| i as usize)).collect()
        };
        Some(TrainTest { train: positions("train")?, test: positions("test")? })
    };
    let stratified = |name, table: kindling_data::LabeledTable<f64>| {
        let y = labels(&table.labels);
        let split = given_split(name).unwrap_or_else(|| stratified_train_test_split(&y, 0.3, 0));
        Prepared::cut(name, &table.features, &y, split.train, split.test)
    };
    let iris = stratified("iris", kindling_data::iris_f64(root.join("iris"))?);
    let breast_cancer = stratified("breast_cancer", datasets::breast_cancer(&small)?);
    let wine = stratified("wine", datasets::wine(&small)?);
    let table = datasets::diabetes(&small)?;
    let y = table.targets.to_vec();
    let split = given_split("diabetes").unwrap_or_else(|| train_test_split(y.len(), 0.3, 0));
    let diabetes = Prepared::cut("diabetes", &table.features, &y, split.train, split.test);

    if let Some(path) = &args.splits {
        let mut splits = serde_json::Map::new();
        splits.insert(optdigits.name.into(), optdigits.split_json());
        for d in [&iris, &breast_cancer, &wine] {
            splits.insert(d.name.into(), d.split_json());
        }
        splits.insert(diabetes.name.into(), diabetes.split_json());
        std::fs::write(path, serde_json::to_string(&Value::Object(splits))?)?;
    }

    let mut rows = Vec::new();
    let repeats = args.repeats;
    let wanted = |dataset: &str, estimator: &str| {
        args.only.as_ref().is_none_or(|s| format!("{dataset}/{estimator}").contains(s.as_str()))
    };
    // One line per case: (dataset, the estimator's name as the Python side knows it, the model).
    macro_rules! case {
        ($data:expr, $name:expr, $model:expr) => {
            if wanted($data.name, $name) {
                rows.push(measure(&$data, false, $name, $model, repeats));
            }
        };
        (raw $data:expr, $name:expr, $model:expr) => {
            if wanted($data.name, $name) {
                rows.push(measure(&$data, true, $name, $model, repeats));
            }
        };
    }
    for data in [&optdigits, &iris, &breast_cancer, &wine] {
        case!(data, "NearestCentroid", NearestCentroid::default());
        case!(data, "LogisticRegression", LogisticRegression::new().c(1.0).max_iter(1000));
        case!(data, "LogisticRegression(L1)", LogisticRegression::new().c(1.0).penalty(Penalty::L1).max_iter(1000));
        case!(data, "Perceptron", Perceptron::new());
        // Unshuffled, the perceptron visits the samples in the same order on both sides, so the
        // two runs must agree; shuffled, each library draws its own order.
        case!(data, "Perceptron(no shuffle)", Perceptron::new().shuffle(false));
        case!(data, "KNeighborsClassifier(5)", KNeighborsClassifier::new(5));
        case!(data, "GaussianNB", GaussianNb::new());
        case!(data, "BernoulliNB", BernoulliNb::new().alpha(1.0).binarize(Some(0.0)));
    }
    case!(raw optdigits, "MultinomialNB", MultinomialNb::new().alpha(1.0));
    case!(diabetes, "LinearRegression", LinearRegression::new());
    case!(diabetes, "Ridge(1.0)", Ridge::new().alpha(1.0));
    case!(diabetes, "Lasso(0.1)", Lasso::new().alpha(0.1));
    case!(diabetes, "ElasticNet(0.1, 0.5)", ElasticNet::new().alpha(0.1).l1_ratio(0.5));
    case!(diabetes, "KNeighborsRegressor(5)", KNeighborsRegressor::new(5));

    // Chapter 17: trees and forests.
    case!(optdigits, "DecisionTreeClassifier", kindling_classic::tree::DecisionTreeClassifier::new());
    case!(optdigits, "RandomForestClassifier(100)", kindling_classic::ensemble::RandomForestClassifier::new(100));
    case!(optdigits, "ExtraTreesClassifier(100)", kindling_classic::ensemble::ExtraTreesClassifier::new(100));
    case!(diabetes, "DecisionTreeRegressor", kindling_classic::tree::DecisionTreeRegressor::new());
    case!(diabetes, "RandomForestRegressor(100)", kindling_classic::ensemble::RandomForestRegressor::new(100));

    // Chapter 17: AdaBoost and gradient boosting.
    case!(optdigits, "AdaBoostClassifier(100)", kindling_classic::ensemble::AdaBoostClassifier::new(100));
    case!(
        optdigits,
        "GradientBoostingClassifier(100)",
        kindling_classic::ensemble::GradientBoostingClassifier::new(100)
    );
    case!(diabetes, "GradientBoostingRegressor(100)", kindling_classic::ensemble::GradientBoostingRegressor::new(100));

    // Chapter 17: histogram gradient boosting.
    {
        use kindling_classic::ensemble::{
            EarlyStopping, HistGradientBoostingClassifier, HistGradientBoostingRegressor,
        };
        let hgb_c = HistGradientBoostingClassifier::new().max_iter(100).early_stopping(EarlyStopping::Off);
        case!(optdigits, "HistGradientBoostingClassifier(100)", hgb_c);
        let hgb_r = HistGradientBoostingRegressor::new().max_iter(100).early_stopping(EarlyStopping::Off);
        case!(diabetes, "HistGradientBoostingRegressor(100)", hgb_r);
    }

    // Chapter 17: support vector machines.
    for data in [&optdigits, &iris, &breast_cancer, &wine] {
        case!(data, "SVC(rbf)", kindling_classic::svm::Svc::new().c(1.0).kernel(kindling_classic::svm::Kernel::Rbf));
    }
    case!(optdigits, "SVC(linear)", kindling_classic::svm::Svc::new().kernel(kindling_classic::svm::Kernel::Linear));
    let cubic = kindling_classic::svm::Kernel::Poly { degree: 3, coef0: 0.0 };
    case!(optdigits, "SVC(poly)", kindling_classic::svm::Svc::new().kernel(cubic));

    // Chapter 17: clustering and PCA (unsupervised rows).
    // Score: the adjusted Rand index of the clusters of optdigits' (standardised) training rows
    // against the true digits; predict is timed on the test rows.
    {
        use kindling_classic::cluster::{Covariance, GaussianMixture, KMeans, MiniBatchKMeans};
        if wanted(optdigits.name, "KMeans(10)") {
            let model = KMeans::new(10).n_init(10);
            rows.push(measure_unsupervised(&optdigits, "KMeans(10)", model, |m, x| m.predict(x), repeats));
        }
        if wanted(optdigits.name, "MiniBatchKMeans(10)") {
            let model = MiniBatchKMeans::new(10).n_init(3);
            rows.push(measure_unsupervised(&optdigits, "MiniBatchKMeans(10)", model, |m, x| m.predict(x), repeats));
        }
        if wanted(optdigits.name, "GaussianMixture(10, diag)") {
            let model = GaussianMixture::new(10).covariance(Covariance::Diag);
            rows.push(measure_unsupervised(
                &optdigits,
                "GaussianMixture(10, diag)",
                model,
                |m, x| m.predict(x),
                repeats,
            ));
        }
    }
    // Agglomerative clustering and PCA rows (lead adds)

    println!("| dataset | estimator | score | fit (s) | predict (s) |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        println!("| {} | {} | {:.4} | {:.6} | {:.6} |", r.dataset, r.estimator, r.score, r.fit_s, r.predict_s);
    }
    if let Some(path) = &args.results {
        let list: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({"dataset": r.dataset, "estimator": r.estimator, "score": r.score,
                       "fit_s": r.fit_s, "predict_s": r.predict_s})
            })
            .collect();
        std::fs::write(path, serde_json::to_string_pretty(&list)?)?;
    }
    Ok(())
}
