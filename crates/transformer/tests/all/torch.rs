//! Multi-head attention and the transformer layers against PyTorch in f64: outputs, the
//! returned attention weights and the gradients of the inputs and of every parameter, from
//! fixtures written by tests/fixtures/make_layers_torch.py. Parameters are loaded by
//! PyTorch's own names, so the names are checked too. Every case runs on both kernel modes.

use kindling_autograd::Variable;
use kindling_nn::LayerNorm;
use kindling_nn::Module;
use kindling_tensor::{assert_close, with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};
use kindling_transformer::attention::{MhaMask, MhaOptions, MultiheadAttention};
use kindling_transformer::layer::{
    Activation, AttentionMasks, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
};
use kindling_transformer::seq2seq::{Transformer, TransformerMasks};
use serde_json::Value;
use std::path::PathBuf;

/// The bar for agreement with PyTorch in f64.
const TORCH_F64: Tolerance = Tolerance { atol: 1e-9, rtol: 1e-9 };

fn dims(v: &Value) -> Vec<usize> {
    v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

fn tensor(v: &Value) -> Tensor<f64> {
    Tensor::from_vec(v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect(), dims(v))
}

fn bools(v: &Value) -> Option<Tensor<bool>> {
    (!v.is_null()).then(|| {
        Tensor::from_vec(v["data"].as_array().unwrap().iter().map(|d| d.as_bool().unwrap()).collect(), dims(v))
    })
}

fn flag(case: &Value, key: &str) -> bool {
    case[key].as_bool().unwrap()
}

fn size(case: &Value, key: &str) -> usize {
    case[key].as_u64().unwrap() as usize
}

fn fixtures() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/layers.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Loads PyTorch's state dict into `module` by name (strictly: the name sets must agree).
fn load(name: &str, module: &dyn Module<f64>, case: &Value) {
    let params = &case["params"];
    let ours: Vec<String> = module.named_parameters().into_iter().map(|(n, _)| n).collect();
    let theirs: Vec<String> =
        case["param_names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
    assert_eq!(ours, theirs, "{name}: parameter names (in order) differ from PyTorch's");
    for (key, p) in module.named_parameters() {
        p.set_value(tensor(&params[&key]));
    }
}

fn check_grads(name: &str, module: &dyn Module<f64>, inputs: &[(&str, &Variable<f64>)], grads: &Value) {
    for (key, p) in module.named_parameters() {
        let grad = p.grad().unwrap_or_else(|| panic!("{name}: `{key}` got no gradient"));
        assert_close(&grad, &tensor(&grads[&key]), TORCH_F64);
    }
    for (key, x) in inputs {
        assert_close(
            &x.grad().unwrap_or_else(|| panic!("{name}: input {key} got no gradient")),
            &tensor(&grads[*key]),
            TORCH_F64,
        );
    }
}

fn weighted_sum(v: &Variable<f64>, r: &Tensor<f64>) -> Variable<f64> {
    (v * &Variable::constant(r.clone())).sum_all()
}

fn each_mode(f: impl Fn()) {
    for mode in [KernelMode::Naive, KernelMode::Fast] {
        with_kernel_mode(mode, &f);
    }
}

fn run_mha_case(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let mha = MultiheadAttention::<f64>::new(size(case, "embed_dim"), size(case, "num_heads"), &mut Rng::seed(1))
        .batch_first(flag(case, "batch_first"))
        .bias(flag(case, "bias"));
    load(name, &mha, case);
    let query = Variable::param(tensor(&case["query"]));
    let (key, value) = if flag(case, "cross") {
        (Variable::param(tensor(&case["key"])), Variable::param(tensor(&case["value"])))
    } else {
        (query.clone(), query.clone())
    };
    let attn_mask = match case["attn_mask_kind"].as_str() {
        None => None,
        Some("additive") => Some(MhaMask::Additive(tensor(&case["attn_mask"]))),
        Some(_) => Some(MhaMask::Bool(bools(&case["attn_mask"]).unwrap())),
    };
    let opts = MhaOptions {
        key_padding_mask: bools(&case["key_padding_mask"]),
        attn_mask,
        need_weights: flag(case, "need_weights"),
        average_attn_weights: flag(case, "average_attn_weights"),
        is_causal: flag(case, "is_causal"),
    };
    let (out, weights) = mha.forward(&query, &key, &value, &opts);
    assert_close(&out.value(), &tensor(&case["out"]), TORCH_F64);
    let mut loss = weighted_sum(&out, &tensor(&case["upstream"]["out"]));
    assert_eq!(weights.is_some(), opts.need_weights, "{name}: weights returned iff asked for");
    if let Some(w) = &weights {
        assert_close(&w.value(), &tensor(&case["weights"]), TORCH_F64);
        loss = &loss + &weighted_sum(w, &tensor(&case["upstream"]["weights"]));
    }
    loss.backward();
    let mut inputs = vec![("query", &query)];
    if flag(case, "cross") {
        inputs.extend([("key", &key), ("value", &value)]);
    }
    check_grads(name, &mha, &inputs, &case["grads"]);
}

#[test]
fn multihead_attention_matches_pytorch() {
    let all = fixtures();
    let cases = all["mha"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    each_mode(|| cases.iter().for_each(run_mha_case));
}

fn masks(mask: &Value, key_padding: &Value, is_causal: bool) -> AttentionMasks<f64> {
    AttentionMasks { attn_mask: bools(mask).map(MhaMask::Bool), key_padding_mask: bools(key_padding), is_causal }
}

fn activation(case: &Value) -> Activation {
    match case["activation"].as_str().unwrap() {
        "relu" => Activation::Relu,
        "gelu" => Activation::Gelu,
        other => panic!("unknown activation {other}"),
    }
}

fn encoder_layer(case: &Value, rng: &mut Rng) -> TransformerEncoderLayer<f64> {
    TransformerEncoderLayer::new(size(case, "d_model"), size(case, "nhead"), size(case, "dim_feedforward"), rng)
        .norm_first(flag(case, "norm_first"))
        .activation(activation(case))
        .batch_first(flag(case, "batch_first"))
        .dropout(0.0)
}

fn decoder_layer(case: &Value, rng: &mut Rng) -> TransformerDecoderLayer<f64> {
    TransformerDecoderLayer::new(size(case, "d_model"), size(case, "nhead"), size(case, "dim_feedforward"), rng)
        .norm_first(flag(case, "norm_first"))
        .activation(activation(case))
        .batch_first(flag(case, "batch_first"))
        .dropout(0.0)
}

fn run_layer_case(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let mut rng = Rng::seed(2);
    let upstream = tensor(&case["upstream"]["out"]);
    match case["kind"].as_str().unwrap() {
        kind @ ("encoder" | "encoder_stack") => {
            let src = Variable::param(tensor(&case["src"]));
            let m = masks(&case["src_mask"], &case["src_key_padding_mask"], flag(case, "is_causal"));
            let module: Box<dyn Module<f64>>;
            let out = if kind == "encoder" {
                let layer = encoder_layer(case, &mut rng);
                load(name, &layer, case);
                let out = layer.encode(&src, &m);
                module = Box::new(layer);
                out
            } else {
                let layers = (0..size(case, "num_layers")).map(|_| encoder_layer(case, &mut rng)).collect();
                let stack = TransformerEncoder::new(layers, Some(LayerNorm::new([size(case, "d_model")])));
                load(name, &stack, case);
                let out = stack.encode(&src, &m);
                module = Box::new(stack);
                out
            };
            assert_close(&out.value(), &tensor(&case["out"]), TORCH_F64);
            weighted_sum(&out, &upstream).backward();
            check_grads(name, module.as_ref(), &[("src", &src)], &case["grads"]);
        }
        "decoder" => {
            let layer = decoder_layer(case, &mut rng);
            load(name, &layer, case);
            let (tgt, memory) = (Variable::param(tensor(&case["tgt"])), Variable::param(tensor(&case["memory"])));
            let tgt_masks = masks(&case["tgt_mask"], &case["tgt_key_padding_mask"], flag(case, "tgt_is_causal"));
            let memory_masks = masks(&case["memory_mask"], &case["memory_key_padding_mask"], false);
            let out = layer.decode(&tgt, &memory, &tgt_masks, &memory_masks);
            assert_close(&out.value(), &tensor(&case["out"]), TORCH_F64);
            weighted_sum(&out, &upstream).backward();
            check_grads(name, &layer, &[("tgt", &tgt), ("memory", &memory)], &case["grads"]);
        }
        other => panic!("unknown layer kind {other}"),
    }
}

#[test]
fn transformer_layers_match_pytorch() {
    let all = fixtures();
    let cases = all["layers"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    each_mode(|| cases.iter().for_each(run_layer_case));
}

/// nn.TransformerDecoder and nn.Transformer: the stacks' names (`layers.{i}`, `norm`,
/// `encoder.*`, `decoder.*`), their order, and the masks passed to every layer.
fn run_stack_case(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let mut rng = Rng::seed(3);
    let upstream = tensor(&case["upstream"]["out"]);
    let tgt = Variable::param(tensor(&case["tgt"]));
    match case["module"].as_str().unwrap() {
        "TransformerDecoder" => {
            let layers = (0..size(case, "num_layers")).map(|_| decoder_layer(case, &mut rng)).collect();
            let norm = flag(case, "final_norm").then(|| LayerNorm::new([size(case, "d_model")]));
            let stack = TransformerDecoder::new(layers, norm);
            load(name, &stack, case);
            let memory = Variable::param(tensor(&case["memory"]));
            let tgt_masks = masks(&case["tgt_mask"], &case["tgt_key_padding_mask"], flag(case, "tgt_is_causal"));
            let memory_masks = masks(&case["memory_mask"], &case["memory_key_padding_mask"], false);
            let out = stack.decode(&tgt, &memory, &tgt_masks, &memory_masks);
            assert_close(&out.value(), &tensor(&case["out"]), TORCH_F64);
            weighted_sum(&out, &upstream).backward();
            check_grads(name, &stack, &[("tgt", &tgt), ("memory", &memory)], &case["grads"]);
        }
        "Transformer" => {
            let model = Transformer::<f64>::new(
                size(case, "d_model"),
                size(case, "nhead"),
                size(case, "num_encoder_layers"),
                size(case, "num_decoder_layers"),
                size(case, "dim_feedforward"),
                &mut rng,
            )
            .norm_first(flag(case, "norm_first"))
            .activation(activation(case))
            .batch_first(flag(case, "batch_first"))
            .dropout(0.0);
            load(name, &model, case);
            let src = Variable::param(tensor(&case["src"]));
            let padding = &case["src_key_padding_mask"];
            let m = TransformerMasks {
                src: masks(&Value::Null, padding, false),
                tgt: masks(&case["tgt_mask"], &Value::Null, flag(case, "tgt_is_causal")),
                memory: masks(&case["memory_mask"], padding, false),
            };
            let out = model.forward(&src, &tgt, &m);
            assert_close(&out.value(), &tensor(&case["out"]), TORCH_F64);
            weighted_sum(&out, &upstream).backward();
            check_grads(name, &model, &[("src", &src), ("tgt", &tgt)], &case["grads"]);
        }
        other => panic!("unknown stack module {other}"),
    }
}

#[test]
fn decoder_stack_and_transformer_match_pytorch() {
    let all = fixtures();
    let cases = all["stacks"].as_array().unwrap();
    let modules: Vec<&str> = cases.iter().map(|c| c["module"].as_str().unwrap()).collect();
    assert_eq!(modules.iter().filter(|m| **m == "TransformerDecoder").count(), 3);
    assert_eq!(modules.iter().filter(|m| **m == "Transformer").count(), 3);
    each_mode(|| cases.iter().for_each(run_stack_case));
}
