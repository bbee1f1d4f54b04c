//! Saving a fitted booster and its hyperparameters into a safetensors state, and back.

use super::boosting::{Booster, Params};
use super::predictor::{HistTree, Node};
use super::EarlyStopping;
use crate::input::{state_f64, state_i64, state_meta};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

fn vector<T: kindling_tensor::Element>(values: Vec<T>) -> Tensor<T> {
    let n = values.len();
    Tensor::from_vec(values, [n])
}

fn option_text(v: Option<usize>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}

fn option_parse(state: &StateDict, key: &str) -> Result<Option<usize>, String> {
    let text: String = state_meta(state, key)?;
    if text == "none" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| format!("the metadata {key:?} = {text:?} does not parse"))
}

pub(crate) fn save(params: &Params, booster: &Booster, state: &mut StateDict) {
    let meta = [
        ("max_iter", params.max_iter.to_string()),
        ("learning_rate", params.learning_rate.to_string()),
        ("max_leaf_nodes", option_text(params.max_leaf_nodes)),
        ("max_depth", option_text(params.max_depth)),
        ("min_samples_leaf", params.min_samples_leaf.to_string()),
        ("l2_regularization", params.l2_regularization.to_string()),
        ("max_bins", params.max_bins.to_string()),
        ("early_stopping", format!("{:?}", params.early_stopping)),
        ("validation_fraction", params.validation_fraction.to_string()),
        ("n_iter_no_change", params.n_iter_no_change.to_string()),
        ("tol", params.tol.to_string()),
        ("seed", params.seed.to_string()),
        ("outputs", booster.outputs.to_string()),
        ("features", booster.features.to_string()),
    ];
    for (k, v) in meta {
        state.set_metadata(k, v);
    }
    let nodes = booster.trees.iter().flat_map(|t| t.nodes.iter());
    let int = |f: fn(&Node) -> i64| vector(nodes.clone().map(f).collect());
    state.insert("tree_sizes", vector(booster.trees.iter().map(|t| t.nodes.len() as i64).collect()));
    state.insert("feature", int(|n| if n.leaf { -1 } else { i64::from(n.feature) }));
    state.insert("bin", int(|n| i64::from(n.bin)));
    state.insert("left", int(|n| i64::from(n.left)));
    state.insert("right", int(|n| i64::from(n.right)));
    state.insert("threshold", vector(nodes.clone().map(|n| n.threshold).collect()));
    state.insert("value", vector(nodes.map(|n| n.value).collect()));
    state.insert("baseline", vector(booster.baseline.clone()));
    // An empty score list is saved as one NaN (a tensor needs an element).
    let scores = |s: &[f64]| vector(if s.is_empty() { vec![f64::NAN] } else { s.to_vec() });
    state.insert("train_score", scores(&booster.train_score));
    state.insert("validation_score", scores(&booster.validation_score));
}

pub(crate) fn load(state: &StateDict) -> Result<(Params, Booster), String> {
    let early_stopping = match state_meta::<String>(state, "early_stopping")?.as_str() {
        "Auto" => EarlyStopping::Auto,
        "On" => EarlyStopping::On,
        "Off" => EarlyStopping::Off,
        other => return Err(format!("unknown early_stopping {other:?}")),
    };
    let params = Params {
        max_iter: state_meta(state, "max_iter")?,
        learning_rate: state_meta(state, "learning_rate")?,
        max_leaf_nodes: option_parse(state, "max_leaf_nodes")?,
        max_depth: option_parse(state, "max_depth")?,
        min_samples_leaf: state_meta(state, "min_samples_leaf")?,
        l2_regularization: state_meta(state, "l2_regularization")?,
        max_bins: state_meta(state, "max_bins")?,
        early_stopping,
        validation_fraction: state_meta(state, "validation_fraction")?,
        n_iter_no_change: state_meta(state, "n_iter_no_change")?,
        tol: state_meta(state, "tol")?,
        seed: state_meta(state, "seed")?,
    };
    let outputs: usize = state_meta(state, "outputs")?;
    let features: usize = state_meta(state, "features")?;
    let sizes = state_i64(state, "tree_sizes")?;
    let (feature, bin, left, right) =
        (state_i64(state, "feature")?, state_i64(state, "bin")?, state_i64(state, "left")?, state_i64(state, "right")?);
    let threshold = state_f64(state, "threshold")?.to_vec();
    let value = state_f64(state, "value")?.to_vec();
    let total: i64 = sizes.iter().sum();
    if outputs == 0 || sizes.len() % outputs != 0 || sizes.iter().any(|&s| s < 1) {
        return Err("tree_sizes does not hold whole rounds of non-empty trees".into());
    }
    if [feature.len(), bin.len(), left.len(), right.len(), threshold.len(), value.len()]
        .iter()
        .any(|&l| l as i64 != total)
    {
        return Err("the node arrays do not match tree_sizes".into());
    }
    let mut trees = Vec::with_capacity(sizes.len());
    let mut at = 0;
    for &size in &sizes {
        let size = size as usize;
        let mut nodes = Vec::with_capacity(size);
        for i in at..at + size {
            let leaf = feature[i] < 0;
            // Children come after their parent, so a walk from the root always ends.
            let inside = |c: i64| c > (i - at) as i64 && (c as usize) < size;
            if !leaf && (feature[i] as usize >= features || !inside(left[i]) || !inside(right[i])) {
                return Err(format!("node {} of a tree points outside the tree or the features", i - at));
            }
            nodes.push(Node {
                feature: feature[i].max(0) as u32,
                bin: bin[i] as u8,
                threshold: threshold[i],
                left: left[i] as u32,
                right: right[i] as u32,
                value: value[i],
                leaf,
            });
        }
        trees.push(HistTree { nodes });
        at += size;
    }
    let baseline = state_f64(state, "baseline")?.to_vec();
    if baseline.len() != outputs {
        return Err("baseline does not have one value per output".into());
    }
    let scores = |name: &str| -> Result<Vec<f64>, String> {
        let s = state_f64(state, name)?.to_vec();
        Ok(if s.len() == 1 && s[0].is_nan() { Vec::new() } else { s })
    };
    let booster = Booster {
        outputs,
        features,
        baseline,
        trees,
        train_score: scores("train_score")?,
        validation_score: scores("validation_score")?,
    };
    Ok((params, booster))
}
