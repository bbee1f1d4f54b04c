//! Loading the NumPy/SciPy reference values written by `tests/fixtures/stats/make_stats.py`.

use kindling_tensor::Tensor;
use serde_json::Value;
use std::path::PathBuf;

pub fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stats").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is valid JSON")
}

/// A number, or one of the strings "inf", "-inf", "nan" the script writes for non-finite values.
pub fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => match s.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            "nan" => f64::NAN,
            other => panic!("unexpected string {other} in a fixture"),
        },
        _ => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(num).collect()
}

pub fn i64s(v: &Value) -> Vec<i64> {
    v.as_array().expect("an array").iter().map(|x| x.as_i64().expect("an integer")).collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v["shape"].as_array().expect("a shape").iter().map(|d| d.as_u64().expect("a size") as usize).collect()
}

pub fn tensor_f64(v: &Value) -> Tensor<f64> {
    Tensor::from_vec(f64s(&v["data"]), shape(v))
}

pub fn tensor_i64(v: &Value) -> Tensor<i64> {
    Tensor::from_vec(i64s(&v["data"]), shape(v))
}

/// The same values as a non-contiguous view: a 2-D tensor stored transposed and viewed back.
pub fn strided<T: kindling_tensor::Element>(t: &Tensor<T>) -> Tensor<T> {
    assert_eq!(t.rank(), 2);
    let view = t.transpose(0, 1).contiguous().transpose(0, 1);
    assert!(!view.is_contiguous());
    view
}

/// Element-wise `|a − e| ≤ rtol·|e| + atol`, infinities and NaN matched exactly.
pub fn assert_close_rel(actual: &[f64], expected: &[f64], rtol: f64, atol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let ok = if e.is_nan() {
            a.is_nan()
        } else if e.is_infinite() {
            a == e
        } else {
            (a - e).abs() <= rtol * e.abs() + atol
        };
        assert!(ok, "{what}[{i}]: got {a:e}, expected {e:e} (rel err {:e})", ((a - e) / e).abs());
    }
}
