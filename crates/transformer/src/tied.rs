//! Tied weights in state dicts. A tied model holds one parameter where a checkpoint may hold
//! two keys (a GPT's `lm_head.weight` beside `transformer.wte.weight`; BERT's
//! `cls.predictions.decoder.*` beside the word embedding and the head's bias). Our modules
//! announce the parameter once, so a dict is folded onto those names before it is walked.

use kindling_nn::state::{self, StateDictError};
use kindling_nn::Module;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Float;

/// A repeated key and the key our module announces for the same tensor.
pub(crate) type TiedKey = (&'static str, &'static str);

/// Folds each repeated key onto its kept key: dropped when both hold the same tensor, renamed
/// when the kept key is missing, refused (reported unexpected) when the two differ, because
/// untied weights do not fit a tied model.
pub(crate) fn untie(dict: &StateDict, pairs: &[TiedKey]) -> Result<StateDict, StateDictError> {
    let mut out = dict.clone();
    for &(repeated, kept) in pairs {
        let Some(value) = out.remove(repeated) else { continue };
        match out.get(kept) {
            None => out.insert(kept, value),
            Some(held)
                if held.shape() == value.shape() && held.cast::<f64>().to_vec() == value.cast::<f64>().to_vec() => {}
            Some(_) => return Err(StateDictError { unexpected: vec![repeated.to_string()], ..Default::default() }),
        }
    }
    Ok(out)
}

/// [`Module::load_matching`] for a tied model: loads what fits after folding, and reports the
/// repeated keys that could not be folded as unexpected.
pub(crate) fn load_matching<T: Float, M: Module<T>>(module: &M, dict: &StateDict, pairs: &[TiedKey]) -> StateDictError {
    match untie(dict, pairs) {
        Ok(dict) => state::load_matching(module, &dict),
        Err(untied) => {
            let mut rest = dict.clone();
            for (repeated, _) in pairs {
                rest.remove(repeated);
            }
            let mut skipped = state::load_matching(module, &rest);
            skipped.unexpected.extend(untied.unexpected);
            skipped
        }
    }
}
