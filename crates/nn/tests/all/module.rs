//! The Module machinery: PyTorch names, train/eval reaching every layer, freezing, state
//! dicts (round trip, every mismatch reported at once, nothing loaded on error), summaries.

use kindling_autograd::Variable;
use kindling_nn::*;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};

struct Net {
    features: Sequential,
    norm: BatchNorm1d,
    heads: Vec<Linear>,
}
module!(Net { features, norm, heads });

impl Forward for Net {
    fn forward(&self, x: &Variable) -> Variable {
        // Children run through `call`, so summaries see them.
        let h = self.norm.call(&self.features.call(x));
        &self.heads[0].call(&h) + &self.heads[1].call(&h)
    }
}

fn net(seed: u64) -> Net {
    let mut rng = Rng::seed(seed);
    Net {
        features: Sequential::new().add(Linear::new(4, 8, &mut rng)).add(ReLU).add(Dropout::new(0.5, &mut rng)),
        norm: BatchNorm1d::new(8),
        heads: vec![Linear::new(8, 2, &mut rng), Linear::new(8, 2, &mut rng)],
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-nn-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn names_follow_pytorch() {
    let names: Vec<String> = net(0).state_dict().keys().map(String::from).collect();
    assert_eq!(
        names,
        [
            "features.0.weight",
            "features.0.bias",
            "norm.weight",
            "norm.bias",
            "norm.running_mean",
            "norm.running_var",
            "norm.num_batches_tracked",
            "heads.0.weight",
            "heads.0.bias",
            "heads.1.weight",
            "heads.1.bias",
        ]
    );
    // Buffers are state, not parameters.
    assert_eq!(net(0).named_parameters().len(), 8);
    assert_eq!(net(0).num_parameters(), 4 * 8 + 8 + 8 + 8 + 2 * (8 * 2 + 2));
}

#[test]
fn train_and_eval_reach_every_submodule() {
    let model = net(0);
    assert!(model.is_training());
    model.eval();
    assert!(!model.is_training());
    assert!(!model.features.is_training());
    assert!(!model.norm.is_training());
    // In eval mode the forward pass is deterministic (no dropout, running statistics).
    let x = Variable::constant(Tensor::randn([3, 4], &mut Rng::seed(1)));
    assert_eq!(model.forward(&x).value().to_vec(), model.forward(&x).value().to_vec());
    model.train();
    assert!(model.features.is_training());
}

#[test]
fn frozen_parameters_get_no_gradient() {
    let model = net(0);
    model.features.freeze();
    assert_eq!(model.num_trainable_parameters(), model.num_parameters() - (4 * 8 + 8));
    let x = Variable::constant(Tensor::randn([5, 4], &mut Rng::seed(1)));
    model.forward(&x).sum_all().backward();
    for (name, p) in model.named_parameters() {
        assert_eq!(p.grad().is_some(), !name.starts_with("features"), "{name}");
    }
    model.unfreeze();
    assert_eq!(model.num_trainable_parameters(), model.num_parameters());
    model.zero_grad();
    assert!(model.parameters().iter().all(|p| p.grad().is_none()));
}

#[test]
fn save_then_load_gives_identical_outputs() {
    let dir = scratch("roundtrip");
    let path = dir.join("net.safetensors");
    let trained = net(1);
    // Move the running statistics away from their defaults first.
    trained.forward(&Variable::constant(Tensor::randn([6, 4], &mut Rng::seed(2))));
    trained.eval();
    trained.save(&path).unwrap();

    let fresh = net(99);
    fresh.eval();
    let x = Variable::constant(Tensor::randn([3, 4], &mut Rng::seed(3)));
    assert_ne!(fresh.forward(&x).value().to_vec(), trained.forward(&x).value().to_vec());
    fresh.load(&path).unwrap();
    assert_eq!(fresh.forward(&x).value().to_vec(), trained.forward(&x).value().to_vec());
    assert_eq!(fresh.norm.num_batches_tracked.value().item(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_mismatched_state_dict_reports_everything_and_loads_nothing() {
    let model = net(0);
    let before = model.state_dict();
    let mut dict = net(5).state_dict();
    dict.remove("norm.running_var");
    dict.remove("heads.1.bias");
    dict.insert("heads.0.weight", Tensor::<f32>::zeros([3, 8]));
    dict.insert("classifier.weight", Tensor::<f32>::zeros([2]));
    dict.insert("features.0.bias", Tensor::<i64>::zeros([8]));
    let err = model.load_state_dict(&dict).unwrap_err();
    assert_eq!(err.missing, ["norm.running_var", "heads.1.bias"]);
    assert_eq!(err.unexpected, ["classifier.weight"]);
    assert_eq!(err.wrong_shape, [("heads.0.weight".to_string(), vec![2, 8], vec![3, 8])]);
    let message = err.to_string();
    assert!(message.starts_with("the state dict does not fit the model (nothing was loaded):"), "{message}");
    assert!(message.contains("missing keys: norm.running_var, heads.1.bias"), "{message}");
    assert!(message.contains("unexpected keys: classifier.weight"), "{message}");
    assert!(message.contains("`heads.0.weight`: the model has shape [2, 8], the state dict [3, 8]"), "{message}");
    assert!(message.contains("`features.0.bias`: a int64 tensor cannot be a float parameter"), "{message}");
    // Nothing changed.
    for ((name, a), (_, b)) in before.iter().zip(model.state_dict().iter()) {
        assert_eq!(a.cast::<f64>().to_vec(), b.cast::<f64>().to_vec(), "{name}");
    }
}

#[test]
fn load_matching_takes_what_fits_for_transfer_learning() {
    let model = net(0);
    let mut pretrained = net(7).state_dict();
    pretrained.insert("heads.0.weight", Tensor::<f32>::zeros([5, 8]));
    let skipped = model.load_matching(&pretrained);
    assert_eq!(skipped.wrong_shape.len(), 1);
    let loaded = model.features.state_dict();
    assert_eq!(
        loaded.get("0.weight").unwrap().cast::<f32>().to_vec(),
        pretrained.get("features.0.weight").unwrap().cast::<f32>().to_vec()
    );
    assert_ne!(model.heads[0].weight.value().to_vec(), vec![0.0; 16]);
}

#[test]
fn checkpoint_file_errors_say_what_to_do() {
    let model = net(0);
    let err = model.load("/nonexistent/model.safetensors").unwrap_err();
    assert!(matches!(err, LoadError::File(_)));
    assert!(err.to_string().starts_with("could not read /nonexistent/model.safetensors"), "{err}");
    let dir = scratch("wrong");
    let path = dir.join("other.safetensors");
    let mut other = StateDict::new();
    other.insert("weight", Tensor::<f32>::zeros([2]));
    other.save(&path).unwrap();
    let err = model.load(&path).unwrap_err();
    assert!(matches!(err, LoadError::Mismatch { .. }));
    assert!(err.to_string().starts_with(&format!("{}: the state dict does not fit", path.display())), "{err}");
    assert!(err.to_string().contains("with a prefix such as `model.`"), "{err}");
    // A flipped bit in the weights is caught by the checksum, and the model keeps its values.
    let before = model.state_dict();
    let path = dir.join("model.safetensors");
    model.save(&path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let err = model.load(&path).unwrap_err();
    assert!(matches!(err, LoadError::File(_)));
    assert!(err.to_string().contains(&path.display().to_string()) && err.to_string().contains("corrupted"), "{err}");
    for (name, t) in before.iter() {
        assert_eq!(model.state_dict().get(name).unwrap().cast::<f64>().to_vec(), t.cast::<f64>().to_vec());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn summary_lists_layers_shapes_and_counts() {
    let mut rng = Rng::seed(0);
    // Course fixture #31: 784-128-64-10 has 109,386 parameters.
    let mlp = Sequential::new()
        .add(Flatten::new())
        .add(Linear::new(784, 128, &mut rng))
        .add(ReLU)
        .add(Dropout::new(0.3, &mut rng))
        .add(Linear::new(128, 64, &mut rng))
        .add(ReLU)
        .add(Linear::new(64, 10, &mut rng));
    let s = summary(&mlp, &[32, 1, 28, 28]);
    assert_eq!(s.total_params, 109_386);
    assert_eq!(s.trainable_params, 109_386);
    let shapes: Vec<Option<Vec<usize>>> = s.rows.iter().map(|r| r.output_shape.clone()).collect();
    assert_eq!(
        shapes,
        [
            Some(vec![32, 10]),
            Some(vec![32, 784]),
            Some(vec![32, 128]),
            Some(vec![32, 128]),
            Some(vec![32, 128]),
            Some(vec![32, 64]),
            Some(vec![32, 64]),
            Some(vec![32, 10]),
        ]
    );
    let params: Vec<usize> = s.rows.iter().map(|r| r.params).collect();
    assert_eq!(params, [109_386, 0, 100_480, 0, 0, 8_256, 0, 650]);
    let table = s.to_string();
    assert!(table.contains("Total params: 109,386"), "{table}");
    assert!(table.contains("└─Linear (1)"), "{table}");
    // The summary leaves the model usable and does not record gradients.
    assert!(mlp.parameters().iter().all(|p| p.grad().is_none()));

    // Nested modules: rows for the struct's children and grandchildren.
    let s = summary(&net(0), &[5, 4]);
    let names: Vec<&str> = s.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["", "features", "features.0", "features.1", "features.2", "norm", "heads", "heads.0", "heads.1"]
    );
    assert_eq!(s.rows[0].type_name, "Net");
    assert_eq!(s.rows[5].output_shape, Some(vec![5, 8]));
    assert_eq!(s.rows[6].output_shape, None); // a Vec is a container, not a layer
}

#[test]
fn dropout_generators_can_be_saved_and_restored_for_exact_resumption() {
    let model = net(0);
    let x = Variable::constant(Tensor::ones([4, 4]));
    let states = model.rng_states();
    assert_eq!(states.keys().collect::<Vec<_>>(), ["features.2"]);
    let first = model.forward(&x).value().to_vec();
    assert_ne!(model.forward(&x).value().to_vec(), first, "dropout draws a new mask each pass");
    model.set_rng_states(&states);
    // The same mask again (batch norm's running statistics do not change the training output).
    assert_eq!(model.forward(&x).value().to_vec(), first);
    // Generators are not part of the state dict PyTorch sees.
    assert!(!model.state_dict().keys().any(|k| k.starts_with("features.2")));
}

/// A model over token ids: the summary runs it on a real `Tensor<i64>` batch.
struct TokenTagger {
    embed: Embedding,
    head: Linear,
}
module!(TokenTagger { embed, head });

impl Forward<f32, Tensor<i64>> for TokenTagger {
    fn forward(&self, tokens: &Tensor<i64>) -> Variable {
        self.head.call(&self.embed.call(tokens))
    }
}

#[test]
fn summary_with_runs_a_token_model_on_its_own_input() {
    let mut rng = Rng::seed(4);
    let model = TokenTagger { embed: Embedding::new(50, 8, &mut rng), head: Linear::new(8, 3, &mut rng) };
    let tokens = Tensor::from([[1i64, 4, 9, 0, 2], [3, 3, 7, 49, 0]]);
    let s = summary_with(&model, &tokens, tokens.shape());
    let shapes: Vec<Option<Vec<usize>>> = s.rows.iter().map(|r| r.output_shape.clone()).collect();
    assert_eq!(shapes, [Some(vec![2, 5, 3]), Some(vec![2, 5, 8]), Some(vec![2, 5, 3])]);
    assert_eq!(s.input_shape, [2, 5]);
    assert_eq!(s.total_params, 50 * 8 + 8 * 3 + 3);
}
