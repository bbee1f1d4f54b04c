//! tensor::stats descriptive statistics against NumPy/SciPy (fixtures/stats/describe.json).

use super::stats_fixtures::{assert_close_rel, f64s, i64s, load, strided, tensor_f64, tensor_i64};
use kindling_tensor::stats;
use kindling_tensor::Tensor;

fn panic_message<R>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).err().expect("expected a panic");
    err.downcast_ref::<String>().cloned().unwrap_or_else(|| err.downcast_ref::<&str>().unwrap().to_string())
}

#[test]
fn quantiles_and_percentiles_match_numpy_linear() {
    let f = load("describe.json");
    let x = tensor_f64(&f["x"]);
    let qs = f64s(&f["qs"]);
    for view in [x.clone(), strided(&x)] {
        let q0 = stats::quantile(&view, &qs, 0);
        assert_eq!(q0.shape(), &[7, 9]);
        assert_close_rel(&q0.to_vec(), &tensor_f64(&f["quantile_axis0"]).to_vec(), 1e-14, 1e-15, "quantile axis 0");
        let q1 = stats::quantile(&view, &qs, 1);
        assert_eq!(q1.shape(), &[7, 6]);
        assert_close_rel(&q1.to_vec(), &tensor_f64(&f["quantile_axis1"]).to_vec(), 1e-14, 1e-15, "quantile axis 1");
    }
    let p = stats::percentile(&x, &[5.0, 50.0, 99.0], -1);
    assert_close_rel(&p.to_vec(), &tensor_f64(&f["percentile_axis1"]).to_vec(), 1e-14, 1e-15, "percentile");
    // f32 works too, to f32 precision.
    let p32 = stats::quantile(&x.cast::<f32>(), &qs, 1).cast::<f64>();
    assert_close_rel(&p32.to_vec(), &tensor_f64(&f["quantile_axis1"]).to_vec(), 1e-6, 1e-6, "quantile f32");
}

#[test]
fn median_matches_numpy_for_odd_and_even_lengths() {
    let f = load("describe.json");
    let x = tensor_f64(&f["x"]);
    // Axis 0 has 6 values (even), axis 1 has 9 (odd).
    assert_close_rel(&stats::median(&strided(&x), 0).to_vec(), &f64s(&f["median_axis0"]), 1e-15, 0.0, "median 0");
    assert_eq!(stats::median(&x, 1).to_vec(), f64s(&f["median_axis1"]));
    let with_nan = Tensor::from([[1.0f64, f64::NAN, 3.0], [1.0, 2.0, 3.0]]);
    let m = stats::median(&with_nan, 1).to_vec();
    assert!(m[0].is_nan());
    assert_eq!(m[1], 2.0);
    assert!(stats::quantile(&with_nan, &[0.0], 1).to_vec()[0].is_nan());
}

#[test]
fn quantile_misuse_panics_clearly() {
    let x = Tensor::from([1.0f64, 2.0]);
    assert!(
        panic_message(|| stats::quantile(&x, &[1.5], 0)).contains("quantile: quantiles must lie in [0, 1], got 1.5")
    );
    assert!(
        panic_message(|| stats::percentile(&x, &[-1.0], 0)).contains("percentile: percentiles must lie in [0, 100]")
    );
    let empty = Tensor::<f64>::zeros([2, 0]);
    assert!(
        panic_message(|| stats::median(&empty, 1)).contains("median: cannot summarise an empty axis (shape [2, 0])")
    );
    assert!(panic_message(|| stats::median(&x, 3)).contains("median"));
}

#[test]
fn mode_matches_scipy_smallest_on_ties() {
    let f = load("describe.json");
    let x = tensor_i64(&f["small_ints"]);
    for view in [x.clone(), strided(&x)] {
        let (v, c) = stats::mode(&view, 0);
        assert_eq!(v.to_vec(), i64s(&f["mode_axis0"]["values"]));
        assert_eq!(c.to_vec(), i64s(&f["mode_axis0"]["counts"]));
        let (v, c) = stats::mode(&view, 1);
        assert_eq!(v.to_vec(), i64s(&f["mode_axis1"]["values"]));
        assert_eq!(c.to_vec(), i64s(&f["mode_axis1"]["counts"]));
    }
}

#[test]
fn cov_and_corrcoef_match_numpy() {
    let f = load("describe.json");
    let obs = tensor_f64(&f["obs"]);
    assert_close_rel(&stats::cov(&obs, 1).to_vec(), &tensor_f64(&f["cov"]).to_vec(), 1e-13, 1e-15, "cov");
    assert_close_rel(&stats::cov(&obs, 0).to_vec(), &tensor_f64(&f["cov_ddof0"]).to_vec(), 1e-13, 1e-15, "cov ddof 0");
    // Samples in rows: pass the transposed view (non-contiguous).
    let samples = obs.transpose(0, 1).contiguous();
    let c = stats::cov(&samples.transpose(0, 1), 1);
    assert_close_rel(&c.to_vec(), &tensor_f64(&f["cov_columns"]).to_vec(), 1e-13, 1e-15, "cov of columns");
    let one = stats::cov(&obs.narrow(0, 0, 1).reshape([-1]), 1);
    assert_eq!(one.shape(), &[] as &[usize]);
    assert_close_rel(&[one.item()], &[f["cov_1d"].as_f64().unwrap()], 1e-14, 0.0, "cov 1-D");
    let r = stats::corrcoef(&strided(&obs));
    assert_close_rel(&r.to_vec(), &tensor_f64(&f["corrcoef"]).to_vec(), 1e-13, 1e-15, "corrcoef");
    assert!(panic_message(|| stats::cov(&Tensor::from([[1.0f64]]), 1))
        .contains("cov: 1 observations leave no degrees of freedom"));
}

#[test]
fn entropy_and_kl_match_scipy() {
    let f = load("describe.json");
    let p = Tensor::from_slice(&f64s(&f["p"]));
    let q = Tensor::from_slice(&f64s(&f["q"]));
    let got = [
        stats::entropy(&p, None),
        stats::entropy(&p, Some(2.0)),
        stats::kl_divergence(&p, &q, None),
        stats::kl_divergence(&p, &q, Some(2.0)),
    ];
    let want = ["entropy", "entropy_base2", "kl", "kl_base2"].map(|k| f[k].as_f64().unwrap());
    assert_close_rel(&got, &want, 1e-14, 0.0, "entropy/KL");
    // KL is infinite when q misses mass p has, and zero against itself.
    let zero_q = Tensor::from([0.5f64, 0.0]);
    assert_eq!(stats::kl_divergence(&Tensor::from([0.5f64, 0.5]), &zero_q, None), f64::INFINITY);
    assert_eq!(stats::kl_divergence(&p, &p, None), 0.0);
    assert!(panic_message(|| stats::entropy(&Tensor::from([0.5f64, -0.1]), None))
        .contains("entropy: p must hold finite non-negative weights"));
}
