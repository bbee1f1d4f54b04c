//! Reading `config.json`: typed field access with errors naming the file and the field, and
//! the GPT-2 settings.

use super::{HfError, CONFIG_FILE};
use crate::gpt::{Activation, GptConfig};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A parsed `config.json` and where it came from.
pub(crate) struct ConfigJson {
    pub(crate) path: PathBuf,
    fields: Map<String, Value>,
}

impl ConfigJson {
    /// Reads `dir/config.json`.
    pub(crate) fn read(dir: &Path) -> Result<ConfigJson, HfError> {
        let path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| HfError::Io { path: path.clone(), source })?;
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(fields)) => Ok(ConfigJson { path, fields }),
            Ok(_) => Err(HfError::Config { path, reason: "the top level is not a JSON object".into() }),
            Err(error) => Err(HfError::Config { path, reason: format!("invalid JSON: {error}") }),
        }
    }

    fn config_error(&self, reason: String) -> HfError {
        HfError::Config { path: self.path.clone(), reason }
    }

    /// An error for a setting our model does not implement.
    pub(crate) fn unsupported(&self, setting: String) -> HfError {
        HfError::Unsupported { path: self.path.clone(), setting }
    }

    /// The field's value, `None` when absent or `null`.
    fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key).filter(|value| !value.is_null())
    }

    /// A positive integer that must be present.
    pub(crate) fn size(&self, key: &str) -> Result<usize, HfError> {
        match self.get(key) {
            None => Err(self.config_error(format!("the field `{key}` is missing"))),
            Some(value) => match value.as_u64() {
                Some(n) if n > 0 => Ok(n as usize),
                _ => Err(self.config_error(format!("`{key}` must be a positive integer, got {value}"))),
            },
        }
    }

    /// An optional non-negative integer.
    pub(crate) fn opt_usize(&self, key: &str) -> Result<Option<usize>, HfError> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => match value.as_u64() {
                Some(n) => Ok(Some(n as usize)),
                None => Err(self.config_error(format!("`{key}` must be a non-negative integer, got {value}"))),
            },
        }
    }

    /// A number, `default` when absent.
    pub(crate) fn number(&self, key: &str, default: f64) -> Result<f64, HfError> {
        match self.get(key) {
            None => Ok(default),
            Some(value) => {
                value.as_f64().ok_or_else(|| self.config_error(format!("`{key}` must be a number, got {value}")))
            }
        }
    }

    /// A string, `default` when absent.
    pub(crate) fn string<'a>(&'a self, key: &str, default: &'a str) -> Result<&'a str, HfError> {
        match self.get(key) {
            None => Ok(default),
            Some(value) => {
                value.as_str().ok_or_else(|| self.config_error(format!("`{key}` must be a string, got {value}")))
            }
        }
    }

    /// A boolean, `default` when absent.
    pub(crate) fn flag(&self, key: &str, default: bool) -> Result<bool, HfError> {
        match self.get(key) {
            None => Ok(default),
            Some(value) => {
                value.as_bool().ok_or_else(|| self.config_error(format!("`{key}` must be true or false, got {value}")))
            }
        }
    }

    /// Refuses a `model_type` other than `expected` (an absent one is accepted).
    pub(crate) fn expect_model_type(&self, expected: &str) -> Result<(), HfError> {
        match self.string("model_type", expected)? {
            found if found == expected => Ok(()),
            found => Err(self.config_error(format!(
                "it describes a `{found}` model, not `{expected}` (use the loader for that architecture)"
            ))),
        }
    }

    /// Refuses a boolean setting that differs from the one our model implements.
    pub(crate) fn require_flag(&self, key: &str, default: bool, supported: bool) -> Result<(), HfError> {
        match self.flag(key, default)? {
            value if value == supported => Ok(()),
            value => Err(self.unsupported(format!("`{key}: {value}`"))),
        }
    }
}

/// Maps Hugging Face's `activation_function` / `hidden_act` names onto the GPT's activations.
fn gpt_activation(config: &ConfigJson, key: &str, default: &str) -> Result<Activation, HfError> {
    match config.string(key, default)? {
        "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
        "gelu" => Ok(Activation::Gelu),
        other => Err(config.unsupported(format!("`{key}: \"{other}\"` (gelu and gelu_new are implemented)"))),
    }
}

/// The GPT settings of a `GPT2LMHeadModel` folder's `config.json`: `n_embd`, `n_layer`,
/// `n_head`, `n_positions` (the context, `block_size`), `vocab_size`, `layer_norm_epsilon`
/// and `activation_function` (`gelu_new` → [`Activation::GeluTanh`]). Dropout is 0 (the
/// loaded model is for inference; set `dropout` before building one to fine-tune).
///
/// Refused with [`HfError::Unsupported`]: an MLP width (`n_inner`) other than 4·`n_embd`,
/// unscaled attention or attention scaled by the layer index, cross-attention, and an untied
/// head (`tie_word_embeddings: false`).
pub fn gpt2_config(dir: impl AsRef<Path>) -> Result<GptConfig, HfError> {
    let config = ConfigJson::read(dir.as_ref())?;
    gpt2_config_of(&config)
}

pub(crate) fn gpt2_config_of(config: &ConfigJson) -> Result<GptConfig, HfError> {
    config.expect_model_type("gpt2")?;
    let n_embd = config.size("n_embd")?;
    let n_head = config.size("n_head")?;
    if !n_embd.is_multiple_of(n_head) {
        return Err(config.config_error(format!("n_embd {n_embd} is not divisible by n_head {n_head}")));
    }
    if let Some(inner) = config.opt_usize("n_inner")? {
        if inner != 4 * n_embd {
            return Err(config.unsupported(format!("`n_inner: {inner}` (the MLP is 4·n_embd = {} wide)", 4 * n_embd)));
        }
    }
    config.require_flag("scale_attn_weights", true, true)?;
    config.require_flag("scale_attn_by_inverse_layer_idx", false, false)?;
    config.require_flag("add_cross_attention", false, false)?;
    config.require_flag("tie_word_embeddings", true, true)?;
    let layer_norm_eps = config.number("layer_norm_epsilon", 1e-5)?;
    if !(layer_norm_eps > 0.0 && layer_norm_eps.is_finite()) {
        return Err(config.config_error(format!("layer_norm_epsilon {layer_norm_eps} must be positive")));
    }
    Ok(GptConfig {
        vocab_size: config.size("vocab_size")?,
        block_size: config.size("n_positions")?,
        n_layer: config.size("n_layer")?,
        n_head,
        n_embd,
        dropout: 0.0,
        bias: true,
        activation: gpt_activation(config, "activation_function", "gelu_new")?,
        layer_norm_eps,
    })
}
