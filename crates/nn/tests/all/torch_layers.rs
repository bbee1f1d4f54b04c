//! Layers against PyTorch: outputs, input and parameter gradients, running statistics and
//! eval-mode outputs, from fixtures written by tests/fixtures/make_layer_fixtures.py; and a
//! PyTorch state dict loaded into the same architecture giving the same predictions.

use kindling_autograd::Variable;
use kindling_nn::{
    BatchNorm1d, Embedding, Flatten, Forward, GroupNorm, Identity, LayerNorm, Linear, Module, PReLU, RMSNorm, ReLU,
    Sequential,
};
use kindling_nn::{Hardtanh, LeakyReLU, LogSoftmax, SiLU, Sigmoid, Softmax, Softplus, Step, Tanh, ELU, GELU};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn tensor(v: &Value) -> Tensor<f64> {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect();
    Tensor::from_vec(data, shape)
}

fn cases() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("layers.json")).unwrap()).unwrap()
}

/// Loads the case's parameters into `layer`, replays its training passes, and compares
/// everything PyTorch recorded.
fn compare(name: &str, layer: &dyn Forward<f64>, train_steps: usize) {
    let all = cases();
    let case = &all[name];
    for (key, value) in case["params"].as_object().unwrap() {
        let (_, p) = layer.named_parameters().into_iter().find(|(n, _)| n == key).unwrap_or_else(|| {
            panic!("{name}: PyTorch parameter `{key}` has no Kindling counterpart");
        });
        p.set_value(tensor(value));
    }
    let x_value = tensor(&case["x"]);
    layer.train();
    for _ in 1..train_steps {
        layer.forward(&Variable::constant(&(&x_value * 0.5) + 0.1));
    }
    let x = Variable::param(x_value);
    let out = layer.forward(&x);
    assert_close(&out.value(), &tensor(&case["out"]), Tolerance::STRICT);
    out.backward_with(&tensor(&case["r"]));
    assert_close(&x.grad().unwrap(), &tensor(&case["grad_x"]), Tolerance::STRICT);
    for (key, value) in case["grads"].as_object().unwrap() {
        let p = layer.named_parameters().into_iter().find(|(n, _)| n == key).unwrap().1;
        assert_close(&p.grad().unwrap(), &tensor(value), Tolerance::STRICT);
    }
    let dict = layer.state_dict();
    for (key, value) in case["buffers"].as_object().unwrap() {
        let ours = dict.get(key).unwrap_or_else(|| panic!("{name}: buffer `{key}` missing"));
        assert_close(&ours.cast::<f64>(), &tensor(value), Tolerance::STRICT);
    }
    layer.eval();
    assert_close(&layer.forward(&x).value(), &tensor(&case["eval_out"]), Tolerance::STRICT);
}

#[test]
fn batchnorm1d_matches_pytorch_in_training_and_evaluation() {
    compare("batchnorm1d_2d", &BatchNorm1d::<f64>::new(3), 3);
    compare("batchnorm1d_3d", &BatchNorm1d::<f64>::new(2).momentum(0.3).eps(1e-3), 2);
}

#[test]
fn layernorm_and_groupnorm_match_pytorch() {
    compare("layernorm", &LayerNorm::<f64>::new([2, 3]), 1);
    compare("groupnorm", &GroupNorm::<f64>::new(2, 4), 1);
}

#[test]
fn linear_and_prelu_match_pytorch() {
    let mut rng = Rng::seed(0);
    compare("linear", &Linear::<f64>::new(4, 3, &mut rng), 1);
    compare("prelu_channels", &PReLU::<f64>::new(3), 1);
}

#[test]
fn activations_match_pytorch() {
    compare("gelu", &GELU::new(), 1);
    compare("gelu_tanh", &GELU { tanh_approximation: true }, 1);
    compare("elu", &ELU { alpha: 0.7 }, 1);
    compare("silu", &SiLU, 1);
    compare("softplus_beta2", &Softplus::new().beta(2.0), 1);
    compare("softplus_threshold", &Softplus::new().beta(1.5).threshold(3.0), 1);
    compare("hardtanh", &Hardtanh::new(-0.5, 0.75), 1);
    compare("leaky_relu", &LeakyReLU::new(), 1);
    compare("relu", &ReLU, 1);
    compare("sigmoid", &Sigmoid, 1);
    compare("tanh", &Tanh, 1);
    compare("log_softmax", &LogSoftmax::new(1), 1);
    compare("softmax_temperature", &Softmax::new(1).temperature(2.5), 1);
    // Step's output is a constant (no derivative), so there is no backward pass to run: the
    // values must match, and PyTorch's gradient through the same step is zero.
    let step = Forward::<f64>::forward(&Step, &Variable::param(tensor(&cases()["step"]["x"])));
    assert_close(&step.value(), &tensor(&cases()["step"]["out"]), Tolerance::STRICT);
    assert!(!step.requires_grad());
    assert!(tensor(&cases()["step"]["grad_x"]).to_vec().iter().all(|&g| g == 0.0));
}

#[test]
fn shape_layers_match_pytorch() {
    compare("flatten", &Flatten::new(), 1);
    compare("identity", &Identity, 1);
}

#[test]
fn rmsnorm_and_layernorm_without_bias_match_pytorch() {
    compare("rmsnorm", &RMSNorm::<f64>::new([2, 3]), 1);
    compare("rmsnorm_eps_no_affine", &RMSNorm::<f64>::new([5]).eps(1e-3).without_affine(), 1);
    let no_bias = LayerNorm::<f64>::new([4]).without_bias();
    assert_eq!(no_bias.named_parameters().len(), 1);
    compare("layernorm_no_bias", &no_bias, 1);
}

/// An op case: `f` applied to the case's input, its output and input gradient compared.
fn compare_op(name: &str, f: impl Fn(&Variable<f64>) -> Variable<f64>) {
    let all = cases();
    let case = &all[name];
    let x = Variable::param(tensor(&case["x"]));
    let out = f(&x);
    let want = tensor(&case["out"]);
    assert_close(&out.value().reshape(want.shape()), &want, Tolerance::STRICT);
    out.backward_with(&tensor(&case["r"]).reshape(&out.shape()[..]));
    assert_close(&x.grad().unwrap(), &tensor(&case["grad_x"]), Tolerance::STRICT);
}

#[test]
fn ops_match_pytorch_at_ties_bounds_and_tiny_terms() {
    let other = || Variable::constant(Tensor::from([[0.5, -1.0, 2.0, 0.25]]));
    compare_op("maximum", |x| x.maximum(&other()));
    compare_op("minimum", |x| x.minimum(&other()));
    compare_op("max_dim_ties", |x| x.max(1isize, false));
    compare_op("max_all_ties", |x| x.max(kindling_tensor::Axes::All, false));
    compare_op("clamp_bounds", |x| x.clamp(-0.5, 0.5));
    compare_op("std_dim", |x| x.std_with_correction(1isize, 0, false));
    compare_op("std_all", |x| x.std(kindling_tensor::Axes::All, false));
    compare_op("flip", |x| x.flip([0, 2]));
    compare_op("repeat", |x| x.repeat(&[2, 1, 3]));
    compare_op("split_sizes", |x| {
        let mut pieces = x.split_with_sizes(&[1, 3, 0, 1], 1);
        pieces.reverse();
        Variable::cat(&pieces.iter().collect::<Vec<_>>(), 1)
    });
    compare_op("softmax_f64_tiny", |x| x.softmax(-1));
}

/// The padding row keeps its (non-zero) value in the output and gets no gradient.
#[test]
fn embedding_padding_idx_matches_pytorch() {
    let all = cases();
    let case = &all["embedding_padding_idx"];
    let table = tensor(&case["params"]["emb.weight"]);
    let fresh = Embedding::<f64>::from_weights(table.clone()).padding_idx(-4);
    assert_eq!(fresh.padding_idx, Some(1));
    assert_eq!(fresh.weight.value().select(0, 1).to_vec(), vec![0.0; 3], "padding row starts at zero");
    let emb = Embedding::<f64>::from_weights(table).padding_idx(1);
    emb.weight.set_value(tensor(&case["params"]["emb.weight"]));
    let ids = Tensor::from([[1i64, 0, 3], [1, 1, 4]]);
    let x = Variable::param(tensor(&case["x"]));
    let out = &emb.forward(&ids) * &x;
    assert_close(&out.value(), &tensor(&case["out"]), Tolerance::STRICT);
    out.backward_with(&tensor(&case["r"]));
    assert_close(&x.grad().unwrap(), &tensor(&case["grad_x"]), Tolerance::STRICT);
    assert_close(&emb.weight.grad().unwrap(), &tensor(&case["grads"]["emb.weight"]), Tolerance::STRICT);
}

/// Every case names the Kindling type or op it checks.
#[test]
fn every_case_names_its_layer() {
    for (name, case) in cases().as_object().unwrap() {
        assert!(case["layer"].as_str().is_some_and(|l| !l.is_empty()), "{name}: no \"layer\"");
    }
}

#[test]
fn a_pytorch_state_dict_loads_under_the_same_names_and_predicts_the_same() {
    let mut rng = Rng::seed(0);
    let model = Sequential::new()
        .add(Linear::new(4, 8, &mut rng))
        .add(BatchNorm1d::new(8))
        .add(ReLU)
        .add(Linear::new(8, 2, &mut rng));
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(fixture("torch_mlp.json")).unwrap()).unwrap();
    let torch_keys: Vec<&str> = reference["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    let ours = model.state_dict();
    assert_eq!(ours.keys().collect::<Vec<_>>(), torch_keys);

    let dict = StateDict::load(fixture("torch_mlp.safetensors")).unwrap();
    model.load_state_dict(&dict).unwrap();
    model.eval();
    let x = Variable::constant(tensor(&reference["x"]).cast::<f32>());
    let y = model.forward(&x).value();
    assert_close(&y, &tensor(&reference["y"]).cast::<f32>(), Tolerance::DEFAULT);
    // The int64 counter came through as an integer buffer.
    assert_eq!(model.state_dict().get("1.num_batches_tracked").unwrap().cast::<i64>().item(), 3);
}
