//! `GPT2LMHeadModel` checkpoints into [`Gpt`].

use super::config::{gpt2_config_of, ConfigJson};
use super::{HfError, WEIGHTS_FILE};
use crate::gpt::Gpt;
use kindling_nn::Module;
use kindling_tensor::safetensors::{SafetensorsError, StateDict};
use kindling_tensor::Rng;
use std::path::Path;

/// The `Conv1D` layers, whose weights GPT-2 stores as `[in, out]`.
const CONV1D: [&str; 4] = [".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight"];

/// Reads `model.safetensors`, turning a missing or unreadable file into [`HfError::Io`].
pub(crate) fn read_weights(dir: &Path) -> Result<(std::path::PathBuf, StateDict), HfError> {
    let path = dir.join(WEIGHTS_FILE);
    match StateDict::load(&path) {
        Ok(dict) => Ok((path, dict)),
        Err(SafetensorsError::Io { path, source, .. }) => Err(HfError::Io { path, source }),
        Err(error) => Err(HfError::Weights(error)),
    }
}

/// Whether `key` is one of the attention's constant buffers (the causal mask and its fill
/// value) that older GPT-2 checkpoints store beside the weights.
fn is_attention_buffer(key: &str) -> bool {
    key.ends_with(".attn.bias") || key.ends_with(".attn.masked_bias")
}

/// Hugging Face's GPT-2 state dict in our GPT's layout: the `transformer.` prefix added when the
/// file holds a bare `GPT2Model`, attention buffers dropped, `Conv1D` weights transposed into
/// `[out, in]`, every tensor as f32.
fn to_gpt_layout(dict: &StateDict) -> StateDict {
    let mut out = StateDict::new();
    for (key, tensor) in dict.iter() {
        if is_attention_buffer(key) {
            continue;
        }
        let key = if key.starts_with("transformer.") || key == "lm_head.weight" {
            key.to_string()
        } else {
            format!("transformer.{key}")
        };
        let value = tensor.cast::<f32>();
        let value = if value.rank() == 2 && CONV1D.iter().any(|suffix| key.ends_with(suffix)) {
            value.t().contiguous()
        } else {
            value
        };
        out.insert(key, value);
    }
    out
}

/// Loads a folder written by `GPT2LMHeadModel.save_pretrained` (or `GPT2Model`'s):
/// `config.json` (see [`gpt2_config`](super::gpt2_config)) and `model.safetensors`.
///
/// Every weight of the model must be in the file and every tensor of the file must be a
/// weight of the model ([`HfError::Mismatch`] names the keys otherwise); `lm_head.weight` may
/// be absent (it is the token embedding) or present and equal to it. Returned in evaluation
/// mode, with dropout 0.
pub fn load_gpt2(dir: impl AsRef<Path>) -> Result<Gpt<f32>, HfError> {
    let dir = dir.as_ref();
    let config = gpt2_config_of(&ConfigJson::read(dir)?)?;
    let (path, dict) = read_weights(dir)?;
    let model = Gpt::<f32>::new(config, &mut Rng::seed(0));
    model.load_state_dict(&to_gpt_layout(&dict)).map_err(|error| HfError::Mismatch { path, error })?;
    model.eval();
    Ok(model)
}
