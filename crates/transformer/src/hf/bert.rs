//! `BertModel` and `BertForMaskedLM` checkpoints into [`crate::bert`]'s models, whose
//! parameters already carry Hugging Face's names.

use super::config::ConfigJson;
use super::gpt2::read_weights;
use super::HfError;
use crate::bert::{BertConfig, BertForMaskedLM, BertModel, HiddenAct};
use kindling_nn::Module;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Rng;
use std::path::Path;

/// The prefix of the encoder's keys inside a model with a head.
const ENCODER_PREFIX: &str = "bert.";
/// The heads' prefixes, which a bare encoder ignores when loading from a model with a head.
const HEAD_PREFIXES: [&str; 2] = ["cls.", "classifier."];
/// The key that says the checkpoint has a pooler.
const POOLER_KEY: &str = "pooler.dense.weight";

/// The settings of a BERT folder's `config.json`, under Hugging Face's names: `vocab_size`,
/// `hidden_size`, `num_hidden_layers`, `num_attention_heads`, `intermediate_size`,
/// `hidden_act`, the two dropout rates, `max_position_embeddings`, `type_vocab_size`,
/// `layer_norm_eps` and `pad_token_id` (Hugging Face's defaults where a field is absent).
///
/// Refused with [`HfError::Unsupported`]: position embeddings other than `absolute`, a
/// decoder (`is_decoder`, `add_cross_attention`), an untied masked-LM decoder, and an
/// activation other than `gelu`, `gelu_new` / `gelu_pytorch_tanh` and `relu`.
pub fn bert_config(dir: impl AsRef<Path>) -> Result<BertConfig, HfError> {
    bert_config_of(&ConfigJson::read(dir.as_ref())?)
}

fn bert_config_of(config: &ConfigJson) -> Result<BertConfig, HfError> {
    config.expect_model_type("bert")?;
    match config.string("position_embedding_type", "absolute")? {
        "absolute" => {}
        other => {
            return Err(config.unsupported(format!("`position_embedding_type: \"{other}\"` (absolute is implemented)")))
        }
    }
    config.require_flag("is_decoder", false, false)?;
    config.require_flag("add_cross_attention", false, false)?;
    config.require_flag("tie_word_embeddings", true, true)?;
    let act = config.string("hidden_act", "gelu")?;
    let hidden_act = HiddenAct::from_hf(act).ok_or_else(|| {
        config.unsupported(format!("`hidden_act: \"{act}\"` (gelu, gelu_new and relu are implemented)"))
    })?;
    let bert = BertConfig {
        vocab_size: config.size("vocab_size")?,
        hidden_size: config.size("hidden_size")?,
        num_hidden_layers: config.size("num_hidden_layers")?,
        num_attention_heads: config.size("num_attention_heads")?,
        intermediate_size: config.size("intermediate_size")?,
        hidden_act,
        hidden_dropout_prob: config.number("hidden_dropout_prob", 0.1)?,
        attention_probs_dropout_prob: config.number("attention_probs_dropout_prob", 0.1)?,
        max_position_embeddings: config.opt_usize("max_position_embeddings")?.unwrap_or(512),
        type_vocab_size: config.opt_usize("type_vocab_size")?.unwrap_or(2),
        layer_norm_eps: config.number("layer_norm_eps", 1e-12)?,
        pad_token_id: config.opt_usize("pad_token_id")?.unwrap_or(0),
    };
    // The checks `BertModel::new` panics on, as errors naming the file.
    let problem = if !bert.hidden_size.is_multiple_of(bert.num_attention_heads) {
        Some(format!(
            "hidden_size {} is not divisible by num_attention_heads {}",
            bert.hidden_size, bert.num_attention_heads
        ))
    } else if bert.max_position_embeddings == 0 || bert.type_vocab_size == 0 {
        Some("max_position_embeddings and type_vocab_size must be positive".to_string())
    } else if !(0.0..1.0).contains(&bert.hidden_dropout_prob)
        || !(0.0..1.0).contains(&bert.attention_probs_dropout_prob)
    {
        Some("the dropout rates must be in [0, 1)".to_string())
    } else if bert.pad_token_id >= bert.vocab_size {
        Some(format!("pad_token_id {} is outside the vocabulary of {}", bert.pad_token_id, bert.vocab_size))
    } else if !(bert.layer_norm_eps > 0.0 && bert.layer_norm_eps.is_finite()) {
        Some(format!("layer_norm_eps {} must be positive", bert.layer_norm_eps))
    } else {
        None
    };
    match problem {
        Some(reason) => Err(HfError::Config { path: config.path.clone(), reason }),
        None => Ok(bert),
    }
}

/// Every tensor as f32 (checkpoints may be saved in half precision).
fn as_f32(dict: &StateDict) -> StateDict {
    let mut out = StateDict::new();
    for (key, tensor) in dict.iter() {
        out.insert(key, tensor.cast::<f32>());
    }
    out
}

/// The encoder's keys of a checkpoint: all of them for a bare `BertModel`; for a model with
/// a head (`bert.*` keys), those under `bert.` without the prefix, the heads' keys dropped.
fn encoder_keys(dict: &StateDict) -> StateDict {
    if !dict.keys().any(|key| key.starts_with(ENCODER_PREFIX)) {
        return as_f32(dict);
    }
    let mut out = StateDict::new();
    for (key, tensor) in dict.iter() {
        if HEAD_PREFIXES.iter().any(|head| key.starts_with(head)) {
            continue;
        }
        // A key outside `bert.` stays as it is, so that strict loading names it.
        out.insert(key.strip_prefix(ENCODER_PREFIX).unwrap_or(key), tensor.cast::<f32>());
    }
    out
}

/// Loads the encoder of a BERT folder written by `save_pretrained`: a `BertModel` (built with
/// its pooler when the file has one), or the `bert.` part of a model with a head such as
/// `BertForMaskedLM` or `BertForSequenceClassification` (the head's keys are skipped, as
/// `BertModel.from_pretrained` skips them). Any other missing or unexpected key is
/// [`HfError::Mismatch`]. Returned in evaluation mode (no dropout).
pub fn load_bert(dir: impl AsRef<Path>) -> Result<BertModel<f32>, HfError> {
    let dir = dir.as_ref();
    let config = bert_config(dir)?;
    let (path, dict) = read_weights(dir)?;
    let dict = encoder_keys(&dict);
    let model = BertModel::<f32>::new(config, dict.contains_key(POOLER_KEY), &mut Rng::seed(0));
    model.load_state_dict(&dict).map_err(|error| HfError::Mismatch { path, error })?;
    model.eval();
    Ok(model)
}

/// Loads a `BertForMaskedLM` folder written by `save_pretrained`: `bert.*` (no pooler) and
/// `cls.predictions.*`, the decoder tied to the word embeddings (a repeated
/// `cls.predictions.decoder.weight` must equal them). Strict: missing or unexpected keys are
/// [`HfError::Mismatch`]. Returned in evaluation mode (no dropout).
pub fn load_bert_mlm(dir: impl AsRef<Path>) -> Result<BertForMaskedLM<f32>, HfError> {
    let dir = dir.as_ref();
    let config = bert_config(dir)?;
    let (path, dict) = read_weights(dir)?;
    let model = BertForMaskedLM::<f32>::new(config, &mut Rng::seed(0));
    model.load_state_dict(&as_f32(&dict)).map_err(|error| HfError::Mismatch { path, error })?;
    model.eval();
    Ok(model)
}
