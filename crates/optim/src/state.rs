//! Optimizer state dicts: every hyperparameter and every state tensor under PyTorch-like names,
//! so that a run saved mid-training resumes bit for bit.
//!
//! ```text
//! param_groups.{g}.params        i64 [n]: the global indices of group g's parameters
//! param_groups.{g}.lr            f64 scalar (likewise every hyperparameter; flags are bool
//!                                scalars, betas an f64 pair)
//! state.{i}.step                 i64 scalar
//! state.{i}.mu_product           f64 scalar (NAdam)
//! state.{i}.exp_avg, ...         the parameter's dtype and shape
//! ```
//!
//! Parameters are numbered 0, 1, 2, ... across groups in order, as in PyTorch; a parameter
//! that has not been stepped has no `state.{i}` entries.

use std::fmt;

use kindling_tensor::{DType, Float, Tensor};

pub use kindling_tensor::safetensors::{AnyTensor, StateDict};

use crate::optimizer::{Entry, Field, Hyperparameters, Optim, ParamState, UpdateRule};

/// A state dict that does not fit what it is loaded into. Lists every problem at once, each
/// naming the key and, for shapes, both shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptimError {
    /// What was being loaded (`"Adam"`, `"ReduceLrOnPlateau"`, ...).
    pub owner: String,
    pub problems: Vec<String>,
}

impl fmt::Display for OptimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(f, "{}: the state dict does not fit ({n} problem{}):", self.owner, if n == 1 { "" } else { "s" })?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for OptimError {}

/// `Ok(())` when nothing was found wrong.
pub(crate) fn finish(owner: &str, problems: Vec<String>) -> Result<(), OptimError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(OptimError { owner: owner.to_string(), problems })
    }
}

pub(crate) fn dims(shape: &[usize]) -> String {
    format!("{shape:?}")
}

/// Reads a scalar of a numeric dtype as f64 (`None` plus a problem when absent or not a scalar).
pub(crate) fn read_scalar(dict: &StateDict, key: &str, problems: &mut Vec<String>) -> Option<f64> {
    match dict.get(key) {
        None => {
            problems.push(format!("{key}: missing"));
            None
        }
        Some(t) if !t.shape().is_empty() => {
            problems.push(format!("{key}: expected a scalar, found shape {}", dims(t.shape())));
            None
        }
        Some(t) if t.dtype() == DType::Bool => {
            problems.push(format!("{key}: expected a number, found a bool"));
            None
        }
        Some(t) => Some(t.cast::<f64>().item()),
    }
}

/// Reads an f64 vector of length `len`.
pub(crate) fn read_vector(dict: &StateDict, key: &str, len: usize, problems: &mut Vec<String>) -> Option<Vec<f64>> {
    match dict.get(key) {
        None => {
            problems.push(format!("{key}: missing"));
            None
        }
        Some(t) if t.shape() != [len] => {
            problems.push(format!("{key}: shape {} in the state dict, expected {}", dims(t.shape()), dims(&[len])));
            None
        }
        Some(t) => Some(t.cast::<f64>().to_vec()),
    }
}

fn write_fields<C: Hyperparameters>(mut config: C, prefix: &str, dict: &mut StateDict) {
    for (name, field) in config.fields() {
        let key = format!("{prefix}.{name}");
        match field {
            Field::Real(x) => dict.insert(key, Tensor::scalar(*x)),
            Field::Flag(b) => dict.insert(key, Tensor::scalar(*b)),
            Field::Pair(p) => dict.insert(key, Tensor::from_vec(vec![p.0, p.1], [2])),
        }
    }
}

fn read_fields<C: Hyperparameters>(config: &mut C, prefix: &str, dict: &StateDict, problems: &mut Vec<String>) {
    for (name, field) in config.fields() {
        let key = format!("{prefix}.{name}");
        match field {
            Field::Real(x) => {
                if let Some(v) = read_scalar(dict, &key, problems) {
                    *x = v;
                }
            }
            Field::Flag(b) => match dict.get(&key) {
                Some(t) if t.dtype() == DType::Bool && t.shape().is_empty() => *b = t.cast::<bool>().item(),
                Some(t) => problems.push(format!(
                    "{key}: expected a bool scalar, found {} of shape {}",
                    t.dtype(),
                    dims(t.shape())
                )),
                None => problems.push(format!("{key}: missing")),
            },
            Field::Pair(p) => {
                if let Some(v) = read_vector(dict, &key, 2, problems) {
                    *p = (v[0], v[1]);
                }
            }
        }
    }
}

pub(crate) fn optimizer_state_dict<C: UpdateRule<T>, T: Float>(optim: &Optim<C, T>) -> StateDict {
    let mut dict = StateDict::new();
    dict.set_metadata("optimizer", C::OPTIMIZER);
    let (groups, states) = optim.groups_and_states();
    let mut index = 0i64;
    for (g, (group, group_states)) in groups.iter().zip(states).enumerate() {
        let n = group.params().len() as i64;
        dict.insert(format!("param_groups.{g}.params"), Tensor::from_vec((index..index + n).collect(), [n as usize]));
        write_fields(group.config, &format!("param_groups.{g}"), &mut dict);
        for state in group_states {
            if let Some(state) = state {
                for (name, entry) in state.clone().entries() {
                    let key = format!("state.{index}.{name}");
                    match entry {
                        Entry::Step(k) => dict.insert(key, Tensor::scalar(*k)),
                        Entry::Real(x) => dict.insert(key, Tensor::scalar(*x)),
                        Entry::Buffer(b) => dict.insert(key, b.clone()),
                        Entry::MaybeBuffer(Some(b)) => dict.insert(key, b.clone()),
                        Entry::MaybeBuffer(None) => {}
                    }
                }
            }
            index += 1;
        }
    }
    dict
}

/// Reads one buffer, checking its shape against the parameter's.
fn read_buffer<T: Float>(
    dict: &StateDict,
    key: &str,
    index: usize,
    shape: &[usize],
    problems: &mut Vec<String>,
) -> Option<Tensor<T>> {
    let t = dict.get(key)?;
    if !t.dtype().is_float() {
        problems.push(format!("{key}: expected a float tensor, found {}", t.dtype()));
        return None;
    }
    if t.shape() != shape {
        problems.push(format!(
            "{key}: shape {} in the state dict, but parameter {index} has shape {}",
            dims(t.shape()),
            dims(shape)
        ));
        return None;
    }
    Some(t.cast::<T>())
}

pub(crate) fn load_optimizer_state_dict<C: UpdateRule<T>, T: Float>(
    optim: &mut Optim<C, T>,
    dict: &StateDict,
) -> Result<(), OptimError> {
    let mut problems = Vec::new();
    if let Some(saved_by) = dict.metadata().get("optimizer") {
        if saved_by != C::OPTIMIZER {
            problems.push(format!("saved by {saved_by}, loaded into {}", C::OPTIMIZER));
        }
    }
    let (groups, _) = optim.groups_and_states();
    let saved_groups = (0..).take_while(|g| dict.contains_key(&format!("param_groups.{g}.params"))).count();
    if saved_groups != groups.len() {
        problems.push(format!(
            "param_groups: {saved_groups} parameter groups in the state dict, {} in this optimizer",
            groups.len()
        ));
    }
    let total: usize = groups.iter().map(|g| g.params().len()).sum();
    let mut configs = Vec::new();
    let mut states = Vec::new();
    let mut index = 0;
    for (g, group) in groups.iter().enumerate() {
        let prefix = format!("param_groups.{g}");
        let n = group.params().len();
        let params_key = format!("{prefix}.params");
        if let Some(saved) = dict.get(&params_key) {
            if saved.shape() != [n] {
                problems.push(format!(
                    "{params_key}: {} parameters in the state dict (shape {}), {n} in group {g} of this optimizer",
                    saved.shape().iter().product::<usize>(),
                    dims(saved.shape())
                ));
            }
        }
        let mut config = group.config;
        if g < saved_groups {
            read_fields(&mut config, &prefix, dict, &mut problems);
            if let Err(msg) = config.check() {
                problems.push(format!("{prefix}: {msg}"));
            }
        }
        configs.push(config);
        let mut group_states = Vec::new();
        for param in group.params() {
            let shape = param.shape();
            let stepped = dict.keys().any(|k| k.starts_with(&format!("state.{index}.")));
            let state = stepped.then(|| {
                let mut state = config.init_state(&param.value());
                for (name, entry) in state.entries() {
                    let key = format!("state.{index}.{name}");
                    match entry {
                        Entry::Step(k) => {
                            if let Some(v) = read_scalar(dict, &key, &mut problems) {
                                *k = v as i64;
                            }
                        }
                        Entry::Real(x) => {
                            if let Some(v) = read_scalar(dict, &key, &mut problems) {
                                *x = v;
                            }
                        }
                        Entry::Buffer(b) => match read_buffer(dict, &key, index, &shape, &mut problems) {
                            Some(t) => *b = t,
                            None if !dict.contains_key(&key) => problems.push(format!("{key}: missing")),
                            None => {}
                        },
                        Entry::MaybeBuffer(b) => *b = read_buffer(dict, &key, index, &shape, &mut problems),
                    }
                }
                state
            });
            group_states.push(state);
            index += 1;
        }
        states.push(group_states);
    }
    for key in dict.keys() {
        if let Some(rest) = key.strip_prefix("state.") {
            let i = rest.split('.').next().and_then(|s| s.parse::<usize>().ok());
            if i.is_none_or(|i| i >= total) {
                problems.push(format!("{key}: no such parameter (this optimizer has {total})"));
            }
        }
    }
    finish(C::OPTIMIZER, problems)?;
    optim.replace(configs, states);
    Ok(())
}
