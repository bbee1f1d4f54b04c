//! `linalg` against NumPy/LAPACK (f64): random well-conditioned matrices, the Hilbert matrices
//! (condition 1e10–1e13), rank-deficient and wide least squares, and the singular inputs NumPy
//! refuses. Fixture: `tests/fixtures/linalg/linalg.json`, written by `make_linalg.py` beside it.
//! Every case runs on both kernel paths.

use kindling_tensor::linalg::{self, LinalgError};
use kindling_tensor::{with_kernel_mode, KernelMode, Tensor};
use serde_json::Value;

const MODES: [KernelMode; 2] = [KernelMode::Naive, KernelMode::Fast];

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/linalg/linalg.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"].as_array().unwrap().clone()
}

fn cases_of(op: &str) -> Vec<Value> {
    let found: Vec<Value> = cases().into_iter().filter(|c| c["op"] == op).collect();
    assert!(!found.is_empty(), "no {op} cases in the fixture");
    found
}

/// A JSON number, vector or matrix as a tensor.
fn tensor(v: &Value) -> Tensor<f64> {
    match v {
        Value::Array(rows) if rows.first().is_some_and(Value::is_array) => {
            let cols = rows[0].as_array().unwrap().len();
            let values: Vec<f64> =
                rows.iter().flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap())).collect();
            Tensor::from_vec(values, [rows.len(), cols])
        }
        Value::Array(values) => Tensor::from_vec(values.iter().map(|x| x.as_f64().unwrap()).collect(), [values.len()]),
        other => panic!("not a vector or a matrix: {other}"),
    }
}

/// `max |actual − expected| / max |expected|`: one number per comparison, so the tolerance
/// can follow the condition number.
fn relative_error(actual: &Tensor<f64>, expected: &Tensor<f64>) -> f64 {
    assert_eq!(actual.shape(), expected.shape());
    let scale = expected.to_vec().iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    actual.to_vec().iter().zip(expected.to_vec()).fold(0.0f64, |m, (a, e)| m.max((a - e).abs())) / scale
}

/// What two backward-stable solvers can differ by on a matrix of this condition number: a few
/// hundred ulps times the condition (forward error bound), never below 1e-13.
fn bound(case: &Value) -> f64 {
    (300.0 * f64::EPSILON * case["cond"].as_f64().unwrap_or(1.0)).max(1e-13)
}

#[track_caller]
fn check(what: &str, mode: KernelMode, actual: &Tensor<f64>, expected: &Tensor<f64>, tol: f64) {
    let err = relative_error(actual, expected);
    assert!(err <= tol, "{what} ({mode:?}): relative error {err:e} against NumPy, allowed {tol:e}");
}

#[test]
fn cholesky_matches_numpy() {
    for case in cases_of("cholesky") {
        let name = case["name"].as_str().unwrap();
        let a = tensor(&case["a"]);
        for mode in MODES {
            let result = with_kernel_mode(mode, || linalg::cholesky(&a));
            match case["error"].as_str() {
                Some(message) => {
                    assert_eq!(message, "Matrix is not positive definite", "{name}");
                    let err = result.unwrap_err();
                    assert!(matches!(err, LinalgError::NotPositiveDefinite { op: "cholesky", .. }), "{name}: {err}");
                    assert!(err.to_string().contains("is not positive definite"), "{err}");
                }
                // Cholesky is far better conditioned than the matrix: the factor agrees to
                // about √cond·ε.
                None => check(name, mode, &result.unwrap(), &tensor(&case["expected"]), bound(&case).sqrt().max(1e-13)),
            }
        }
    }
}

#[test]
fn solve_matches_numpy_and_refuses_singular_matrices() {
    for case in cases_of("solve") {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (tensor(&case["a"]), tensor(&case["b"]));
        for mode in MODES {
            let result = with_kernel_mode(mode, || linalg::solve(&a, &b));
            match case["error"].as_str() {
                Some(message) => {
                    assert_eq!(message, "Singular matrix", "{name}");
                    assert_eq!(result.unwrap_err(), LinalgError::Singular { op: "solve", index: 2 }, "{name}");
                }
                None => {
                    let x = result.unwrap();
                    check(name, mode, &x, &tensor(&case["expected"]), bound(&case));
                    // Backward stable whatever the conditioning: the residual is tiny.
                    let residual = relative_error(&a.matmul(&x), &b);
                    assert!(residual < 1e-13, "{name} ({mode:?}): residual {residual:e}");
                }
            }
        }
    }
}

#[test]
fn inv_matches_numpy_and_refuses_singular_matrices() {
    for case in cases_of("inv") {
        let name = case["name"].as_str().unwrap();
        let a = tensor(&case["a"]);
        for mode in MODES {
            let result = with_kernel_mode(mode, || linalg::inv(&a));
            match case["error"].as_str() {
                Some(message) => {
                    assert_eq!(message, "Singular matrix", "{name}");
                    let err = result.unwrap_err();
                    assert_eq!(err, LinalgError::Singular { op: "inv", index: 1 }, "{name}");
                    assert!(err.to_string().starts_with("inv: the matrix is singular (zero pivot at 1)"), "{err}");
                }
                None => check(name, mode, &result.unwrap(), &tensor(&case["expected"]), bound(&case)),
            }
        }
    }
}

#[test]
fn det_and_slogdet_match_numpy() {
    for case in cases_of("det") {
        let name = case["name"].as_str().unwrap();
        let a = tensor(&case["a"]);
        let (det, sign, logabs) =
            (case["det"].as_f64().unwrap(), case["sign"].as_f64().unwrap(), case["logabs"].as_f64());
        for mode in MODES {
            let (our_det, (our_sign, our_logabs)) = with_kernel_mode(mode, || (linalg::det(&a), linalg::slogdet(&a)));
            assert_eq!(our_sign, sign, "{name} ({mode:?}): sign");
            // det's relative sensitivity grows with the condition number.
            let tol = (30.0 * f64::EPSILON * case["cond"].as_f64().unwrap()).max(1e-12);
            assert!(
                (our_det - det).abs() <= tol * det.abs().max(1e-300),
                "{name} ({mode:?}): det {our_det:e}, NumPy {det:e}"
            );
            if det == 0.0 {
                assert!(our_det.abs() < 1e-12, "{name} ({mode:?}): det of a singular matrix {our_det:e}");
            }
            match logabs {
                // NumPy writes -inf as null in JSON.
                None => assert_eq!(our_logabs, f64::NEG_INFINITY, "{name} ({mode:?})"),
                Some(logabs) => {
                    // An absolute error in ln|det| is a relative one in det.
                    assert!(
                        (our_logabs - logabs).abs() <= tol,
                        "{name} ({mode:?}): logabs {our_logabs}, NumPy {logabs}"
                    )
                }
            }
        }
    }
}

#[test]
fn lstsq_matches_numpy_including_rank_deficient_and_wide() {
    for case in cases_of("lstsq") {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (tensor(&case["a"]), tensor(&case["b"]));
        let s = tensor(&case["singular_values"]).to_vec();
        let rcond = case["rcond"].as_f64();
        // The solution's sensitivity is set by the kept singular values; the QR route (fast)
        // truncates at a rank-revealing R instead of the SVD, which moves a solution by about
        // (first dropped σ) / (last kept σ).
        let rank = case["rank"].as_u64().unwrap() as usize;
        let kept_cond = s[0] / s[rank - 1];
        let dropped = s.get(rank).map_or(0.0, |d| d / s[rank - 1]);
        for mode in MODES {
            let fit = with_kernel_mode(mode, || linalg::lstsq(&a, &b, rcond));
            assert_eq!(fit.rank, rank, "{name} ({mode:?}): rank");
            let tol = (300.0 * f64::EPSILON * kept_cond * kept_cond).max(1e-12).max(10.0 * dropped);
            check(name, mode, &fit.solution, &tensor(&case["expected"]), tol);
            let numpy_residuals = tensor(&case["residuals"]);
            match fit.residuals {
                Some(ours) => check(&format!("{name} residuals"), mode, &ours, &numpy_residuals, 1e-10),
                None => assert_eq!(numpy_residuals.shape(), &[0], "{name} ({mode:?}): NumPy gave residuals"),
            }
        }
    }
}
