//! Hugging Face checkpoints (tests/fixtures/hf/make_hf.py): a tiny random GPT-2, BERT and
//! BERT masked LM saved by `transformers` give Hugging Face's outputs in f32, and every way a
//! folder can be wrong is an error that names the file.

use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;
use kindling_transformer::bert::HiddenAct;
use kindling_transformer::gpt::Activation;
use kindling_transformer::hf::{bert_config, gpt2_config, load_bert, load_bert_mlm, load_gpt2, HfError};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The bar: f32 logits equal to Hugging Face's to 1e-5 relative, measured against the
/// largest reference magnitude (an element-wise ratio is meaningless where a logit is near 0).
const RELATIVE: f64 = 1e-5;

fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hf").join(name)
}

fn expected(name: &str) -> Value {
    let path = fixture_dir(name).join("expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn id_rows(v: &Value) -> Tensor<i64> {
    let rows: Vec<Vec<i64>> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect())
        .collect();
    let (b, t) = (rows.len(), rows[0].len());
    Tensor::from_vec(rows.concat(), [b, t])
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// Asserts `got` equals `want` to [`RELATIVE`] of `want`'s largest magnitude.
pub(crate) fn assert_relative(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let scale = want.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    let (i, worst) = got
        .iter()
        .zip(want)
        .map(|(&g, &w)| (g as f64 - w).abs())
        .enumerate()
        .fold((0, 0.0), |best, (i, d)| if d > best.1 { (i, d) } else { best });
    assert!(
        worst <= RELATIVE * scale,
        "{what}: element {i} is {} against Hugging Face's {} (difference {worst:e}, {:e} of the largest {scale})",
        got[i],
        want[i],
        worst / scale
    );
}

/// A scratch copy of a fixture folder, to break on purpose.
pub(crate) fn scratch_copy(name: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-hf-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(fixture_dir(name)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

pub(crate) fn edit_config(dir: &Path, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) {
    let path = dir.join("config.json");
    let mut config: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(config.as_object_mut().unwrap());
    std::fs::write(path, config.to_string()).unwrap();
}

pub(crate) fn edit_weights(dir: &Path, edit: impl FnOnce(&mut StateDict)) {
    let path = dir.join("model.safetensors");
    let mut dict = StateDict::load(&path).unwrap();
    edit(&mut dict);
    dict.save(&path).unwrap();
}

#[test]
fn gpt2_logits_match_hugging_face() {
    let model = load_gpt2(fixture_dir("gpt2")).unwrap();
    let want = expected("gpt2");
    let logits = model.forward(&id_rows(&want["input_ids"]));
    assert_eq!(logits.shape(), [2, 12, 512]);
    assert_relative("GPT-2 logits", &logits.value().to_vec(), &floats(&want["logits"]));
}

#[test]
fn gpt2_config_reads_the_settings() {
    let config = gpt2_config(fixture_dir("gpt2")).unwrap();
    assert_eq!(
        (config.vocab_size, config.block_size, config.n_layer, config.n_head, config.n_embd),
        (512, 64, 2, 4, 32)
    );
    assert_eq!(
        (config.activation, config.layer_norm_eps, config.dropout, config.bias),
        (Activation::GeluTanh, 1e-5, 0.0, true)
    );
}

#[test]
fn gpt2_with_the_exact_gelu_differs() {
    // The activation really is read: the same weights with "gelu" give other logits.
    let dir = scratch_copy("gpt2", "exact-gelu");
    edit_config(&dir, |c| {
        c.insert("activation_function".into(), "gelu".into());
    });
    assert_eq!(gpt2_config(&dir).unwrap().activation, Activation::Gelu);
    let want = expected("gpt2");
    let logits = load_gpt2(&dir).unwrap().forward(&id_rows(&want["input_ids"])).value().to_vec();
    let diff = logits.iter().zip(floats(&want["logits"])).map(|(&g, w)| (g as f64 - w).abs()).fold(0.0, f64::max);
    assert!(diff > 1e-4, "the exact GELU changed the logits by only {diff}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn gpt2_accepts_a_repeated_head_and_the_old_attention_buffers() {
    let dir = scratch_copy("gpt2", "buffers");
    edit_weights(&dir, |dict| {
        let wte = dict.get("transformer.wte.weight").unwrap().clone();
        dict.insert("lm_head.weight", wte);
        dict.insert("transformer.h.0.attn.bias", Tensor::<f32>::ones([1, 1, 64, 64]));
        dict.insert("transformer.h.0.attn.masked_bias", Tensor::<f32>::scalar(-1e4));
    });
    let want = expected("gpt2");
    let logits = load_gpt2(&dir).unwrap().forward(&id_rows(&want["input_ids"]));
    assert_relative("GPT-2 logits", &logits.value().to_vec(), &floats(&want["logits"]));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_folder_names_the_config_file() {
    let err = load_gpt2("/nonexistent/gpt2").err().expect("no folder");
    assert!(matches!(err, HfError::Io { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("/nonexistent/gpt2/config.json") && message.contains("save_pretrained"), "{message}");
}

#[test]
fn missing_weights_name_the_weights_file() {
    let dir = scratch_copy("gpt2", "no-weights");
    std::fs::remove_file(dir.join("model.safetensors")).unwrap();
    let message = load_gpt2(&dir).err().expect("no weights").to_string();
    assert!(message.contains("model.safetensors"), "{message}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_and_unexpected_keys_are_named() {
    let dir = scratch_copy("gpt2", "keys");
    edit_weights(&dir, |dict| {
        dict.remove("transformer.h.1.mlp.c_fc.bias");
        dict.insert("transformer.h.0.attn.rotary.weight", Tensor::<f32>::zeros([4]));
    });
    let err = load_gpt2(&dir).err().expect("keys do not fit");
    let HfError::Mismatch { error, .. } = &err else { panic!("expected a mismatch, got {err:?}") };
    assert_eq!(error.missing, ["transformer.h.1.mlp.c_fc.bias"]);
    assert_eq!(error.unexpected, ["transformer.h.0.attn.rotary.weight"]);
    assert!(err.to_string().contains("model.safetensors"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_untied_head_is_refused() {
    let dir = scratch_copy("gpt2", "untied");
    edit_weights(&dir, |dict| dict.insert("lm_head.weight", Tensor::<f32>::zeros([512, 32])));
    let err = load_gpt2(&dir).err().expect("untied head");
    let HfError::Mismatch { error, .. } = &err else { panic!("expected a mismatch, got {err:?}") };
    assert_eq!(error.unexpected, ["lm_head.weight"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unsupported_settings_are_refused_by_name() {
    let cases: [(&str, Value, &str); 5] = [
        ("activation_function", "swish".into(), "activation_function: \"swish\""),
        ("n_inner", 100.into(), "n_inner: 100"),
        ("scale_attn_by_inverse_layer_idx", true.into(), "scale_attn_by_inverse_layer_idx: true"),
        ("add_cross_attention", true.into(), "add_cross_attention: true"),
        ("tie_word_embeddings", false.into(), "tie_word_embeddings: false"),
    ];
    let dir = scratch_copy("gpt2", "unsupported");
    for (key, value, named) in cases {
        let original = std::fs::read(dir.join("config.json")).unwrap();
        edit_config(&dir, |c| {
            c.insert(key.into(), value);
        });
        let err = gpt2_config(&dir).err().unwrap_or_else(|| panic!("{key} was accepted"));
        assert!(matches!(err, HfError::Unsupported { .. }), "{key}: {err:?}");
        let message = err.to_string();
        assert!(message.contains(named) && message.contains("config.json"), "{message}");
        std::fs::write(dir.join("config.json"), original).unwrap();
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_broken_config_names_the_field() {
    let dir = scratch_copy("gpt2", "broken");
    edit_config(&dir, |c| {
        c.remove("n_embd");
    });
    let message = gpt2_config(&dir).expect_err("no n_embd").to_string();
    assert!(message.contains("`n_embd` is missing") && message.contains("config.json"), "{message}");
    edit_config(&dir, |c| {
        c.insert("n_embd".into(), "wide".into());
        c.insert("model_type".into(), "gpt2".into());
    });
    let message = gpt2_config(&dir).expect_err("n_embd is text").to_string();
    assert!(message.contains("`n_embd` must be a positive integer, got \"wide\""), "{message}");
    edit_config(&dir, |c| {
        c.insert("model_type".into(), "bert".into());
    });
    let message = gpt2_config(&dir).expect_err("a bert config").to_string();
    assert!(message.contains("describes a `bert` model"), "{message}");
    std::fs::write(dir.join("config.json"), "{ not json").unwrap();
    let message = gpt2_config(&dir).expect_err("not json").to_string();
    assert!(message.contains("invalid JSON"), "{message}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The BERT fixtures' inputs: ids, token types and a mask with padding in two rows.
fn bert_inputs(want: &Value) -> (Tensor<i64>, Tensor<i64>, Tensor<i64>) {
    (id_rows(&want["input_ids"]), id_rows(&want["token_type_ids"]), id_rows(&want["attention_mask"]))
}

#[test]
fn bert_hidden_states_and_pooler_match_hugging_face() {
    let model = load_bert(fixture_dir("bert")).unwrap();
    assert!(model.has_pooler());
    let want = expected("bert");
    let (ids, types, mask) = bert_inputs(&want);
    assert!(mask.to_vec().contains(&0), "the fixture must have padding");
    let out = model.forward(&ids, Some(&types), Some(&mask));
    assert_eq!(out.last_hidden_state.shape(), [3, 10, 32]);
    assert_relative("BERT hidden states", &out.last_hidden_state.value().to_vec(), &floats(&want["last_hidden_state"]));
    let pooled = out.pooler_output.expect("a pooler");
    assert_relative("BERT pooler output", &pooled.value().to_vec(), &floats(&want["pooler_output"]));
}

#[test]
fn bert_mlm_logits_and_its_encoder_match_hugging_face() {
    let model = load_bert_mlm(fixture_dir("bert_mlm")).unwrap();
    let want = expected("bert_mlm");
    let (ids, types, mask) = bert_inputs(&want);
    let logits = model.forward(&ids, Some(&types), Some(&mask));
    assert_eq!(logits.shape(), [3, 10, 600]);
    assert_relative("BERT MLM logits", &logits.value().to_vec(), &floats(&want["logits"]));
    let hidden = model.bert().forward(&ids, Some(&types), Some(&mask)).last_hidden_state;
    assert_relative("BERT MLM encoder", &hidden.value().to_vec(), &floats(&want["last_hidden_state"]));
    // The encoder alone, from the same folder: the head's keys are skipped.
    let encoder = load_bert(fixture_dir("bert_mlm")).unwrap();
    assert!(!encoder.has_pooler());
    let hidden = encoder.forward(&ids, Some(&types), Some(&mask)).last_hidden_state;
    assert_relative("BERT encoder of the MLM folder", &hidden.value().to_vec(), &floats(&want["last_hidden_state"]));
}

#[test]
fn bert_config_reads_the_settings() {
    let config = bert_config(fixture_dir("bert")).unwrap();
    assert_eq!(
        (config.vocab_size, config.hidden_size, config.num_hidden_layers, config.num_attention_heads),
        (600, 32, 2, 4)
    );
    assert_eq!((config.intermediate_size, config.max_position_embeddings, config.type_vocab_size), (64, 64, 2));
    assert_eq!((config.hidden_act, config.layer_norm_eps, config.pad_token_id), (HiddenAct::Gelu, 1e-12, 0));
    assert_eq!((config.hidden_dropout_prob, config.attention_probs_dropout_prob), (0.0, 0.0));
}

#[test]
fn bert_refuses_unsupported_settings_and_foreign_configs() {
    let dir = scratch_copy("bert", "bert-unsupported");
    let cases: [(&str, Value, &str); 4] = [
        ("position_embedding_type", "relative_key".into(), "position_embedding_type: \"relative_key\""),
        ("hidden_act", "silu".into(), "hidden_act: \"silu\""),
        ("is_decoder", true.into(), "is_decoder: true"),
        ("tie_word_embeddings", false.into(), "tie_word_embeddings: false"),
    ];
    for (key, value, named) in cases {
        let original = std::fs::read(dir.join("config.json")).unwrap();
        edit_config(&dir, |c| {
            c.insert(key.into(), value);
        });
        let err = bert_config(&dir).err().unwrap_or_else(|| panic!("{key} was accepted"));
        assert!(matches!(err, HfError::Unsupported { .. }) && err.to_string().contains(named), "{err}");
        std::fs::write(dir.join("config.json"), original).unwrap();
    }
    edit_config(&dir, |c| {
        c.insert("num_attention_heads".into(), 5.into());
    });
    let message = bert_config(&dir).expect_err("32 / 5").to_string();
    assert!(message.contains("hidden_size 32 is not divisible by num_attention_heads 5"), "{message}");
    std::fs::remove_dir_all(dir).unwrap();
    // A GPT-2 folder is not a BERT one, and the other way round.
    assert!(bert_config(fixture_dir("gpt2")).err().unwrap().to_string().contains("describes a `gpt2` model"));
    assert!(gpt2_config(fixture_dir("bert")).err().unwrap().to_string().contains("describes a `bert` model"));
}

#[test]
fn bert_weights_that_do_not_fit_are_named() {
    let dir = scratch_copy("bert_mlm", "bert-keys");
    edit_weights(&dir, |dict| {
        dict.remove("cls.predictions.transform.dense.bias");
        dict.insert("bert.encoder.layer.2.output.dense.bias", Tensor::<f32>::zeros([32]));
    });
    let err = load_bert_mlm(&dir).err().expect("keys do not fit");
    let HfError::Mismatch { error, .. } = &err else { panic!("expected a mismatch, got {err:?}") };
    assert_eq!(error.missing, ["cls.predictions.transform.dense.bias"]);
    assert_eq!(error.unexpected, ["bert.encoder.layer.2.output.dense.bias"]);
    // The bare encoder skips the head but still names the stray layer, without its prefix.
    let err = load_bert(&dir).err().expect("a stray layer");
    let HfError::Mismatch { error, .. } = &err else { panic!("expected a mismatch, got {err:?}") };
    assert_eq!(
        (error.missing.len(), error.unexpected.as_slice()),
        (0, ["encoder.layer.2.output.dense.bias".to_string()].as_slice())
    );
    // A decoder that is not the embedding cannot be tied.
    edit_weights(&dir, |dict| {
        dict.insert("cls.predictions.transform.dense.bias", Tensor::<f32>::zeros([32]));
        dict.remove("bert.encoder.layer.2.output.dense.bias");
        dict.insert("cls.predictions.decoder.weight", Tensor::<f32>::zeros([600, 32]));
    });
    let err = load_bert_mlm(&dir).err().expect("untied decoder");
    assert!(err.to_string().contains("cls.predictions.decoder.weight"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
