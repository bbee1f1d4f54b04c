//! Saving and loading through the `Persist` trait: round trips and the errors on load.

use crate::doubles::{blobs, MeanRegressor, NearestCentroid};
use kindling_classic::{Persist, PredictProba, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;
use std::path::PathBuf;

impl Persist for MeanRegressor {
    const KIND: &'static str = "MeanRegressor";

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        state.insert("mean", Tensor::from_vec(vec![self.mean.expect("MeanRegressor::to_state: not fitted")], [1]));
        state.set_metadata("features", self.features.to_string());
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let mean = state.get("mean").ok_or("no \"mean\" tensor")?.cast::<f64>().to_vec()[0];
        let features = state.metadata().get("features").and_then(|f| f.parse().ok()).unwrap_or(1);
        Ok(MeanRegressor { mean: Some(mean), features })
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-classic-persist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_saved_model_loads_back_with_the_same_predictions() {
    let (x, y) = blobs(8);
    let mut model = NearestCentroid::default();
    model.fit(&x, &y).unwrap();
    let path = scratch("centroid.safetensors");
    model.save(&path).unwrap();
    let loaded = NearestCentroid::load(&path).unwrap();
    assert_eq!(loaded.predict(&x), model.predict(&x));
    assert_eq!(loaded.predict_proba(&x).to_vec(), model.predict_proba(&x).to_vec());
    let state = StateDict::load(&path).unwrap();
    assert_eq!(state.metadata().get("kind").map(String::as_str), Some("NearestCentroid"));
}

#[test]
fn loading_checks_the_kind() {
    let path = scratch("mean.safetensors");
    MeanRegressor { mean: Some(2.5), features: 1 }.save(&path).unwrap();
    let err = NearestCentroid::load(&path).unwrap_err().to_string();
    assert_eq!(err, format!("{}: holds a MeanRegressor, not a NearestCentroid", path.display()));
    assert_eq!(MeanRegressor::load(&path).unwrap().mean, Some(2.5));

    let plain = scratch("plain.safetensors");
    let mut state = StateDict::new();
    state.insert("mean", Tensor::from_vec(vec![1.0f64], [1]));
    state.save(&plain).unwrap();
    let err = MeanRegressor::load(&plain).unwrap_err().to_string();
    assert!(err.ends_with("is not a saved Kindling model (no \"kind\" in its metadata)"), "{err}");
}

#[test]
fn a_malformed_state_and_a_missing_folder_are_errors_that_say_what() {
    let path = scratch("empty.safetensors");
    let mut state = StateDict::new();
    state.set_metadata("kind", "MeanRegressor");
    state.save(&path).unwrap();
    let err = MeanRegressor::load(&path).unwrap_err().to_string();
    assert!(err.ends_with("is not a valid MeanRegressor: no \"mean\" tensor"), "{err}");

    let nowhere = scratch("no-such-folder").join("model.safetensors");
    let err = MeanRegressor { mean: Some(1.0), features: 1 }.save(&nowhere).unwrap_err().to_string();
    assert!(err.contains("could not save the MeanRegressor") && err.contains("check that the folder exists"), "{err}");
    let err = MeanRegressor::load(&nowhere).unwrap_err().to_string();
    assert!(err.contains("could not load a MeanRegressor"), "{err}");
}
