//! The vision transformer against PyTorch in f64 (logits and the gradients of a loss for
//! every parameter, from tests/fixtures/make_vit.py, which writes torchvision's architecture
//! with its names in plain torch), its shapes, names and messages, and a short training run.

use kindling_autograd::Variable;
use kindling_nn::{cross_entropy, Module};
use kindling_tensor::{assert_close, with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};
use kindling_transformer::vit::{evaluate, flip_and_shift, Vit, VitConfig, VitTrainConfig, VitTrainer};
use serde_json::Value;
use std::path::PathBuf;

const TORCH_F64: Tolerance = Tolerance { atol: 1e-9, rtol: 1e-9 };

fn tensor(v: &Value) -> Tensor<f64> {
    let dims: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    Tensor::from_vec(v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect(), dims)
}

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vit.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn tiny() -> VitConfig {
    VitConfig {
        image_size: 8,
        patch_size: 4,
        in_channels: 2,
        num_classes: 3,
        dim: 8,
        depth: 2,
        heads: 2,
        mlp_dim: 12,
        dropout: 0.0,
    }
}

#[test]
fn vit_matches_torch_logits_and_gradients_in_f64() {
    let case = fixture();
    let c = &case["config"];
    let size = |k: &str| c[k].as_u64().unwrap() as usize;
    let config = VitConfig {
        image_size: size("image_size"),
        patch_size: size("patch_size"),
        in_channels: size("in_channels"),
        num_classes: size("num_classes"),
        dim: size("dim"),
        depth: size("depth"),
        heads: size("heads"),
        mlp_dim: size("mlp_dim"),
        dropout: 0.0,
    };
    assert_eq!(config, tiny());
    let model = Vit::<f64>::new(config, &mut Rng::seed(0));
    let ours: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
    let theirs: Vec<String> =
        case["param_names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
    assert_eq!(ours, theirs, "parameter names (in order) differ from torchvision's");
    for (key, p) in model.named_parameters() {
        p.set_value(tensor(&case["params"][&key]));
    }
    let labels =
        Tensor::from_vec(case["labels"].as_array().unwrap().iter().map(|l| l.as_i64().unwrap()).collect(), [3]);
    for mode in [KernelMode::Naive, KernelMode::Fast] {
        with_kernel_mode(mode, || {
            model.zero_grad();
            let logits = model.forward(&Variable::constant(tensor(&case["images"])));
            assert_close(&logits.value(), &tensor(&case["logits"]), TORCH_F64);
            cross_entropy(&logits, &labels).backward();
            for (key, p) in model.named_parameters() {
                let grad = p.grad().unwrap_or_else(|| panic!("`{key}` got no gradient"));
                assert_close(&grad, &tensor(&case["grads"][&key]), TORCH_F64);
            }
        });
    }
}

#[test]
fn vit_shapes_and_parameter_count() {
    let config = VitConfig::fashion_mnist();
    assert_eq!((config.num_patches(), config.seq_len()), (16, 17));
    let model = Vit::<f32>::new(config, &mut Rng::seed(0));
    let (d, m, p) = (64, 128, 49);
    let layer = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * m + m) + (m * d + d);
    let expected = d + (d * p + d) + 17 * d + 6 * layer + 2 * d + (10 * d + 10);
    assert_eq!(model.num_parameters(), expected);
    let x = Variable::constant(Tensor::rand([2, 1, 28, 28], &mut Rng::seed(1)));
    assert_eq!(model.forward(&x).shape(), [2, 10]);
    assert_eq!(model.features(&x).shape(), [2, 64]);
    let sd = model.state_dict();
    assert_eq!(sd.get("conv_proj.weight").unwrap().shape(), [64, 1, 7, 7]);
    assert_eq!(sd.get("encoder.pos_embedding").unwrap().shape(), [1, 17, 64]);
    assert_eq!(sd.get("encoder.layers.encoder_layer_5.mlp.3.weight").unwrap().shape(), [64, 128]);
}

#[test]
#[should_panic(expected = "Vit::forward: images must be [B, 2, 8, 8] with B > 0, got [3, 1, 8, 8]")]
fn vit_rejects_images_of_the_wrong_shape() {
    let model = Vit::<f32>::new(tiny(), &mut Rng::seed(0));
    model.forward(&Variable::constant(Tensor::zeros([3, 1, 8, 8])));
}

#[test]
#[should_panic(expected = "VitConfig: patch_size 3 does not divide image_size 8")]
fn vit_config_rejects_a_patch_that_does_not_tile() {
    Vit::<f32>::new(VitConfig { patch_size: 3, ..tiny() }, &mut Rng::seed(0));
}

#[test]
#[should_panic(expected = "VitConfig: dim 8 is not divisible by heads 3")]
fn vit_config_rejects_heads_that_do_not_divide_dim() {
    Vit::<f32>::new(VitConfig { heads: 3, ..tiny() }, &mut Rng::seed(0));
}

#[test]
fn flip_and_shift_moves_pixels_and_keeps_the_batch() {
    // One 1×1×3×3 image; with max_shift 0 only flips happen, so every output is the image or
    // its mirror.
    let x = Tensor::<f32>::from_vec((1..=9).map(|v| v as f32).collect(), [1, 1, 3, 3]);
    let mirror = vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0, 9.0, 8.0, 7.0];
    let mut rng = Rng::seed(3);
    let outs: Vec<Vec<f32>> = (0..20).map(|_| flip_and_shift(&x, 0, &mut rng).to_vec()).collect();
    assert!(outs.iter().all(|o| *o == x.to_vec() || *o == mirror));
    assert!(outs.contains(&mirror) && outs.contains(&x.to_vec()));
    // With shifts, pixels move but are never invented: each output pixel is 0 or an input pixel.
    let shifted = flip_and_shift(&x, 1, &mut rng);
    assert_eq!(shifted.shape(), [1, 1, 3, 3]);
    assert!(shifted.to_vec().iter().all(|v| *v == 0.0 || (1.0..=9.0).contains(v)));
}

/// Two classes told apart by which half of the image is bright: a few epochs must learn it.
#[test]
fn vit_trainer_learns_a_separable_toy_task() {
    let mut rng = Rng::seed(7);
    let n = 64;
    let (mut data, mut labels) = (Vec::new(), Vec::new());
    for i in 0..n {
        let class = (i % 2) as i64;
        for r in 0..8 {
            for _ in 0..8 {
                let bright = (r < 4) == (class == 0);
                data.push(if bright { 0.8 + 0.2 * rng.uniform_f32() } else { 0.2 * rng.uniform_f32() });
            }
        }
        labels.push(class);
    }
    let images = Tensor::from_vec(data, [n, 1, 8, 8]);
    let labels = Tensor::from_vec(labels, [n]);
    let config = VitConfig { in_channels: 1, num_classes: 2, ..tiny() };
    let model = Vit::<f32>::new(config, &mut Rng::seed(0));
    let (_, before) = evaluate(&model, &images, &labels, 32);
    let train = VitTrainConfig {
        epochs: 6,
        batch_size: 16,
        lr: 1e-2,
        weight_decay: 0.0,
        warmup_steps: 2,
        min_lr: 1e-4,
        augment: false,
        max_steps_per_epoch: None,
        seed: 0,
    };
    let mut trainer = VitTrainer::new(&model, &train, n);
    let history = trainer.run((&images, &labels), (&images, &labels), |_| {});
    assert_eq!(history.len(), 6);
    assert_eq!(history[0].steps, 4);
    let last = history.last().unwrap();
    assert!(last.test_accuracy == 1.0, "accuracy {} (before training {before})", last.test_accuracy);
    assert!(last.train_loss < history[0].train_loss);
}
