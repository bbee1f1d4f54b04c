//! Forward values and gradients against PyTorch (float64), from
//! `fixtures/conv_reference.json`, written by `fixtures/make_conv_fixtures.py`. Every case runs
//! on the fast and on the naive kernels.

use kindling_autograd::conv::{
    conv1d, conv2d, conv_transpose2d, Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Padding, Padding1d,
};
use kindling_autograd::pool::{
    adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, Pool1dOptions, Pool2dOptions,
};
use kindling_autograd::Variable;
use kindling_nn::{AvgPool1d, AvgPool2d, BatchNorm2d, Conv1d, Forward, MaxPool1d, MaxPool2d, Module};
use kindling_tensor::{with_kernel_mode, KernelMode, Tensor, Tolerance};
use serde_json::Value;

/// The stored values have 12 significant digits.
const FIXTURE: Tolerance = Tolerance { atol: 1e-9, rtol: 1e-9 };

fn tensor(case: &Value, key: &str) -> Tensor<f64> {
    let t = &case["tensors"][key];
    let shape: Vec<usize> = t["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = t["data"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    Tensor::from_vec(data, shape)
}

fn pair(case: &Value, key: &str) -> (usize, usize) {
    let a = case["params"][key].as_array().unwrap_or_else(|| panic!("{}: no {key}", case["name"]));
    (a[0].as_u64().unwrap() as usize, a[1].as_u64().unwrap() as usize)
}

fn int(case: &Value, key: &str) -> usize {
    case["params"][key].as_u64().unwrap_or_else(|| panic!("{}: no {key}", case["name"])) as usize
}

fn cases() -> Vec<Value> {
    let text = include_str!("../fixtures/conv_reference.json");
    let root: Value = serde_json::from_str(text).unwrap();
    root["cases"].as_array().unwrap().clone()
}

fn check(case: &Value, what: &str, actual: &Tensor<f64>) {
    let expected = tensor(case, what);
    assert_eq!(actual.shape(), expected.shape(), "{} {what}: shape", case["name"]);
    if let Some(msg) = kindling_tensor::tolerance::first_mismatch(actual, &expected, FIXTURE) {
        panic!("{} {what}: {msg}", case["name"]);
    }
}

fn run_case(case: &Value) {
    let op = case["op"].as_str().unwrap();
    let x = Variable::param(tensor(case, "x"));
    let dy = tensor(case, "dy");
    let mut params = vec![("dx", x.clone())];
    let y = match op {
        "conv2d" => {
            let (w, b) = (Variable::param(tensor(case, "w")), Variable::param(tensor(case, "b")));
            let padding = match &case["params"]["padding"] {
                Value::String(s) if s == "same" => Padding::Same,
                _ => pair(case, "padding").into(),
            };
            let opts = Conv2dOptions {
                stride: pair(case, "stride"),
                padding,
                dilation: pair(case, "dilation"),
                groups: case["params"]["groups"].as_u64().unwrap() as usize,
            };
            params.extend([("dw", w.clone()), ("db", b.clone())]);
            conv2d(&x, &w, Some(&b), &opts)
        }
        "conv_transpose2d" => {
            let (w, b) = (Variable::param(tensor(case, "w")), Variable::param(tensor(case, "b")));
            let opts = ConvTranspose2dOptions {
                stride: pair(case, "stride"),
                padding: pair(case, "padding"),
                output_padding: pair(case, "output_padding"),
                dilation: pair(case, "dilation"),
                groups: case["params"]["groups"].as_u64().unwrap() as usize,
            };
            params.extend([("dw", w.clone()), ("db", b.clone())]);
            conv_transpose2d(&x, &w, Some(&b), &opts)
        }
        "max_pool2d" | "avg_pool2d" => {
            let (k, s, p) = (pair(case, "kernel"), pair(case, "stride"), pair(case, "padding"));
            let include = case["params"]["count_include_pad"].as_bool().unwrap_or(true);
            let ceil = case["params"]["ceil_mode"].as_bool().unwrap_or(false);
            let opts = Pool2dOptions::kernel2(k.0, k.1)
                .stride2(s.0, s.1)
                .padding2(p.0, p.1)
                .count_include_pad(include)
                .ceil_mode(ceil);
            // The layers, built with their own builders, give the same values.
            let x2 = Variable::constant(x.value());
            if op == "max_pool2d" {
                check(case, "y", &MaxPool2d::with_options(opts.ceil_mode(false)).ceil_mode(ceil).forward(&x2).value());
                max_pool2d(&x, &opts)
            } else {
                let layer = AvgPool2d::with_options(opts.count_include_pad(true)).count_include_pad(include);
                check(case, "y", &layer.ceil_mode(ceil).forward(&x2).value());
                avg_pool2d(&x, &opts)
            }
        }
        "adaptive_avg_pool2d" => adaptive_avg_pool2d(&x, pair(case, "output")),
        "conv1d" => {
            let padding = match &case["params"]["padding"] {
                Value::String(s) if s == "same" => Padding1d::Same,
                _ => int(case, "padding").into(),
            };
            let opts = Conv1dOptions {
                stride: int(case, "stride"),
                padding,
                dilation: int(case, "dilation"),
                groups: int(case, "groups"),
            };
            // Through the layer, so its parameter layout is checked too.
            let layer = Conv1d::from_weights(tensor(case, "w"), Some(tensor(case, "b")), opts);
            params.extend([("dw", layer.weight.clone()), ("db", layer.bias.clone().unwrap())]);
            let y = layer.forward(&x);
            let (w, b) = (layer.weight.clone(), layer.bias.clone().unwrap());
            let functional = conv1d(&Variable::constant(x.value()), &w.detach(), Some(&b.detach()), &opts);
            check(case, "y", &functional.value());
            y
        }
        "max_pool1d" | "avg_pool1d" => {
            let include = case["params"]["count_include_pad"].as_bool().unwrap_or(true);
            let opts = Pool1dOptions::new(int(case, "kernel"))
                .stride(int(case, "stride"))
                .padding(int(case, "padding"))
                .count_include_pad(include)
                .ceil_mode(case["params"]["ceil_mode"].as_bool().unwrap_or(false));
            let x2 = Variable::constant(x.value());
            if op == "max_pool1d" {
                check(case, "y", &MaxPool1d::with_options(opts).forward(&x2).value());
                max_pool1d(&x, &opts)
            } else {
                check(case, "y", &AvgPool1d::with_options(opts).forward(&x2).value());
                avg_pool1d(&x, &opts)
            }
        }
        "batch_norm2d" => {
            let bn = BatchNorm2d::<f64>::new(3);
            bn.weight().set_value(tensor(case, "w"));
            bn.bias().set_value(tensor(case, "b"));
            params.extend([("dw", bn.weight().clone()), ("db", bn.bias().clone())]);
            let y = bn.forward(&x);
            check(case, "running_mean", &bn.running_mean().value());
            check(case, "running_var", &bn.running_var().value());
            assert_eq!(bn.named_parameters().len(), 2);
            y
        }
        other => panic!("unknown op {other}"),
    };
    check(case, "y", &y.value());
    y.backward_with(&dy);
    for (key, v) in params {
        check(case, key, &v.grad().unwrap_or_else(|| panic!("{} {key}: no gradient", case["name"])));
    }
}

#[test]
fn every_case_matches_pytorch_on_fast_kernels() {
    for case in cases() {
        with_kernel_mode(KernelMode::Fast, || run_case(&case));
    }
}

#[test]
fn every_case_matches_pytorch_on_naive_kernels() {
    for case in cases() {
        with_kernel_mode(KernelMode::Naive, || run_case(&case));
    }
}

#[test]
fn fixture_covers_every_op() {
    let ops: std::collections::BTreeSet<String> =
        cases().iter().map(|c| c["op"].as_str().unwrap().to_string()).collect();
    for op in [
        "conv1d",
        "conv2d",
        "conv_transpose2d",
        "max_pool1d",
        "max_pool2d",
        "avg_pool1d",
        "avg_pool2d",
        "adaptive_avg_pool2d",
        "batch_norm2d",
    ] {
        assert!(ops.contains(op), "no {op} case");
    }
    // ceil_mode both ways, for every pooling, and averages both ways of counting the padding.
    for op in ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"] {
        for ceil in [false, true] {
            for include in [true, false] {
                let found = cases().iter().any(|c| {
                    let p = &c["params"];
                    c["op"] == op
                        && p["ceil_mode"].as_bool() == Some(ceil)
                        && (op.starts_with("max") || p["count_include_pad"].as_bool() == Some(include))
                });
                assert!(found, "no {op} case with ceil_mode {ceil}, count_include_pad {include}");
            }
        }
    }
}
