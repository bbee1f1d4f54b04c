//! Attention against PyTorch's `scaled_dot_product_attention` in f64: the output and the
//! gradients of q, k and v for `loss = sum(out * r)`, on both kernel sets, to 1e-9. Fixtures
//! from tests/fixtures/make_attention_torch.py (no mask, causal with L < S and L > S, a
//! boolean mask with a fully masked query, an additive mask, a custom scale, key padding).

use kindling_autograd::attention::scaled_dot_product_attention;
use kindling_autograd::Variable;
use kindling_tensor::attention::{AttentionConfig, AttentionMask};
use kindling_tensor::testing::check_close;
use kindling_tensor::{with_kernel_mode, KernelMode, Tensor, Tolerance};
use serde_json::Value;
use std::path::PathBuf;

const TOL: Tolerance = Tolerance { atol: 1e-9, rtol: 1e-9 };

fn tensor(v: &Value) -> Tensor<f64> {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    // JSON has no infinities: the script writes an additive mask's -inf as "-inf".
    let data: Vec<f64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| x.as_str().unwrap().parse().unwrap()))
        .collect();
    Tensor::from_vec(data, shape)
}

fn bools(v: &Value) -> Tensor<bool> {
    let t = tensor(v);
    Tensor::from_vec(t.to_vec().into_iter().map(|x| x != 0.0).collect(), t.shape())
}

fn config(case: &Value) -> AttentionConfig<f64> {
    let mask = if !case["bool_mask"].is_null() {
        Some(AttentionMask::Bool(bools(&case["bool_mask"])))
    } else if !case["additive_mask"].is_null() {
        Some(AttentionMask::Additive(tensor(&case["additive_mask"])))
    } else {
        None
    };
    AttentionConfig {
        mask,
        key_padding: (!case["key_padding"].is_null()).then(|| bools(&case["key_padding"])),
        is_causal: case["is_causal"].as_bool().unwrap(),
        scale: case["scale"].as_f64(),
        ..Default::default()
    }
}

#[test]
fn attention_matches_pytorch_on_both_kernel_sets() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/attention_torch.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cases = all["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8, "{}", path.display());
    for case in cases {
        let cfg = config(case);
        for mode in [KernelMode::Naive, KernelMode::Fast] {
            with_kernel_mode(mode, || {
                let what = format!("{} ({mode:?})", case["name"].as_str().unwrap());
                let [q, k, v] = ["q", "k", "v"].map(|n| Variable::param(tensor(&case[n])));
                let out = scaled_dot_product_attention(&q, &k, &v, &cfg);
                check_close(&format!("{what}: output"), &out.value(), &tensor(&case["out"]), TOL);
                (&out * &Variable::constant(tensor(&case["r"]))).sum_all().backward();
                for (name, x) in [("dq", &q), ("dk", &k), ("dv", &v)] {
                    check_close(&format!("{what}: {name}"), &x.grad().unwrap(), &tensor(&case[name]), TOL);
                }
            });
        }
    }
}
