//! Saving and loading through the `Persist` trait: round trips and the errors on load.

use crate::doubles::{blobs, MeanRegressor, NearestCentroid, ShiftByTrainingMean};
use kindling_classic::linear::Ridge;
use kindling_classic::pipeline::Pipeline;
use kindling_classic::{Persist, PredictProba, Supervised};
use kindling_data::{MinMaxScaler, PolynomialFeatures, StandardScaler};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};
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

/// Three real steps and a real estimator: everything `fit` learned comes back from the file.
fn fitted_pipeline() -> Pipeline<Ridge> {
    let x = Tensor::<f64>::randn([40, 3], &mut Rng::seed(3));
    let y: Vec<f64> = (0..40).map(|i| x.get(&[i, 0]) * 2.0 - x.get(&[i, 1]).powi(2) + 0.5 * x.get(&[i, 2])).collect();
    let mut pipeline = unfitted_pipeline();
    pipeline.fit(&x, &y).unwrap();
    pipeline
}

fn unfitted_pipeline() -> Pipeline<Ridge> {
    Pipeline::new(Ridge::new().alpha(0.3))
        .step(StandardScaler::new())
        .step(PolynomialFeatures::new(2))
        .step(MinMaxScaler::with_range(-1.0, 1.0))
}

#[test]
fn a_saved_pipeline_loads_into_a_template_with_the_same_predictions() {
    let pipeline = fitted_pipeline();
    let path = scratch("pipeline.safetensors");
    pipeline.save(&path).unwrap();
    let loaded = unfitted_pipeline().load_into(&path).unwrap();
    let probe = 3.0 * &Tensor::<f64>::randn([7, 3], &mut Rng::seed(4));
    assert_eq!(loaded.predict(&probe), pipeline.predict(&probe));
    assert_eq!(loaded.transform(&probe).to_vec(), pipeline.transform(&probe).to_vec());
}

#[test]
fn a_pipeline_loads_only_into_one_with_the_same_steps() {
    let pipeline = fitted_pipeline();
    let path = scratch("pipeline-steps.safetensors");
    pipeline.save(&path).unwrap();
    let other = Pipeline::new(Ridge::new()).step(StandardScaler::new());
    let message = other.load_into(&path).err().expect("different steps must be refused").to_string();
    assert!(message.contains("build it with the same steps"), "{message}");
    assert!(message.contains("StandardScaler,PolynomialFeatures,MinMaxScaler"), "{message}");
}

#[test]
fn a_step_that_cannot_be_saved_is_an_error_naming_it() {
    let (x, y) = blobs(8);
    let mut pipeline = Pipeline::new(MeanRegressor::default()).step(ShiftByTrainingMean::default());
    let y: Vec<f64> = y.iter().map(|&c| c as f64).collect();
    pipeline.fit(&x, &y).unwrap();
    let message = pipeline.save(scratch("unsavable.safetensors")).expect_err("no state, no save").to_string();
    assert!(message.contains("step 0 (ShiftByTrainingMean) cannot be saved"), "{message}");
}
