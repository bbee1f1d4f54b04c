//! Fit and predict times of the linear models on the real datasets, to set beside
//! scikit-learn's (fixtures/linear/bench_linear.py prints the same lines). Ignored by default;
//! run with a release build on one thread, alternating with the Python script:
//!
//! ```text
//! export KINDLING_DATASETS=/work/shared/datasets RAYON_NUM_THREADS=1
//! cargo test -p kindling-classic --release --test linear_timing -- --ignored --nocapture
//! OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python crates/classic/tests/fixtures/linear/bench_linear.py
//! ```

mod linear_support;

use kindling_classic::linear::{Lasso, LinearRegression, LogisticRegression, Ridge};
use kindling_classic::Supervised;
use kindling_tensor::Tensor;
use linear_support::*;
use std::time::Instant;

/// The median seconds of `f` over repeats (at least 5, until about 0.5 s are spent).
fn median_seconds(mut f: impl FnMut()) -> f64 {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed().as_secs_f64() < 0.5 && times.len() < 500) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn time_model<M: Supervised>(what: &str, model: M, x: &Tensor<f64>, y: &[M::Target], test: &Tensor<f64>) {
    let fit = median_seconds(|| {
        let mut m = model.clone();
        m.fit(x, y).unwrap();
    });
    let mut fitted = model.clone();
    fitted.fit(x, y).unwrap();
    let predict = median_seconds(|| {
        std::hint::black_box(fitted.predict(test));
    });
    println!("kindling {what:<28} fit {:>10.1} µs  predict {:>8.1} µs", fit * 1e6, predict * 1e6);
}

fn split(xs: &[Vec<f64>], ys: &[f64], case: &serde_json::Value) -> (Tensor<f64>, Vec<f64>, Tensor<f64>) {
    let (train, test) = (indices(&case["train"]), indices(&case["test"]));
    let (xtr, xte) = standardise(&take(xs, &train), &take(xs, &test));
    (xtr, train.iter().map(|&i| ys[i]).collect(), xte)
}

#[test]
#[ignore = "timing: run with --release --ignored --nocapture"]
fn linear_models_fit_and_predict_times() {
    let Some(dir) = datasets() else { return };
    let real = fixture("real.json");
    let (xs, ys) = read_csv(dir.join("sklearn-small/diabetes.csv"));
    let (x, y, test) = split(&xs, &ys, &real["diabetes"]);
    time_model("diabetes LinearRegression", LinearRegression::new(), &x, &y, &test);
    time_model("diabetes Ridge(1)", Ridge::new(), &x, &y, &test);
    time_model("diabetes Lasso(0.1)", Lasso::new().alpha(0.1), &x, &y, &test);
    let labels = |v: &[f64]| v.iter().map(|&c| c as i64).collect::<Vec<_>>();
    for (name, (xs, ys)) in [
        ("iris", read_iris(dir.join("iris/iris.data"))),
        ("breast_cancer", read_csv(dir.join("sklearn-small/breast_cancer.csv"))),
        ("wine", read_csv(dir.join("sklearn-small/wine.csv"))),
    ] {
        let (x, y, test) = split(&xs, &ys, &real[name]);
        time_model(
            &format!("{name} LogisticRegression"),
            LogisticRegression::new().max_iter(1000),
            &x,
            &labels(&y),
            &test,
        );
    }
    let (train_x, train_y) = read_plain_csv(dir.join("optdigits/optdigits.tra"));
    let (test_x, _) = read_plain_csv(dir.join("optdigits/optdigits.tes"));
    let all = |n: usize| (0..n).collect::<Vec<_>>();
    let (x, test) = standardise(&take(&train_x, &all(train_x.len())), &take(&test_x, &all(test_x.len())));
    time_model("optdigits LogisticRegression", LogisticRegression::new(), &x, &labels(&train_y), &test);
}
