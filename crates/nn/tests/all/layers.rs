//! Every layer gradient-checked through the autograd checker (its input and every
//! parameter), plus the behaviour each layer promises.

use kindling_autograd::Variable;
use kindling_nn::*;
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};

fn input(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::randn(shape, &mut Rng::seed(seed))
}

/// Values kept away from 0, where ReLU-like layers have a kink.
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor<f64> {
    let x = input(shape, seed);
    &x + &(x.sign() * 0.1)
}

#[test]
fn linear_embedding_flatten_identity_residual_pass_gradcheck() {
    let mut rng = Rng::seed(1);
    gradcheck_module("Linear", &Linear::<f64>::new(4, 3, &mut rng), &input(&[5, 4], 2));
    gradcheck_module("Linear batched", &Linear::<f64>::new(4, 3, &mut rng), &input(&[2, 5, 4], 3));
    gradcheck_module("Linear no bias", &Linear::<f64>::without_bias(4, 3, &mut rng), &input(&[5, 4], 4));
    gradcheck_module("Flatten", &Flatten::new(), &input(&[2, 3, 4], 5));
    gradcheck_module("Identity", &Identity, &input(&[3], 6));
    let block = Sequential::<f64>::default().add(Linear::<f64>::new(4, 4, &mut rng)).add(Tanh);
    gradcheck_module("Residual", &Residual::new(block), &input(&[3, 4], 7));

    // Embedding takes indices, not a differentiable input: check its table directly.
    let emb = Embedding::<f64>::new(5, 3, &mut rng);
    let idx = Tensor::from([[0i64, 4, 4], [2, 0, 1]]);
    let table = emb.weight.clone();
    kindling_autograd::GradCheck::default().check_leaves("Embedding", &[table], || emb.forward(&idx).tanh()).unwrap();
}

#[test]
fn norm_layers_pass_gradcheck_in_both_modes() {
    for shape in [&[6, 3][..], &[4, 3, 5]] {
        let bn = BatchNorm1d::<f64>::new(3);
        gradcheck_module("BatchNorm1d train", &bn, &input(shape, 8));
        bn.eval();
        gradcheck_module("BatchNorm1d eval", &bn, &input(shape, 9));
    }
    gradcheck_module("LayerNorm", &LayerNorm::<f64>::new([4]), &input(&[3, 4], 10));
    gradcheck_module("LayerNorm 2 axes", &LayerNorm::<f64>::new([2, 3]), &input(&[2, 2, 3], 11));
    gradcheck_module("GroupNorm", &GroupNorm::<f64>::new(2, 4), &input(&[3, 4, 5], 12));
    gradcheck_module("GroupNorm no affine", &GroupNorm::<f64>::new(4, 4).without_affine(), &input(&[2, 4, 3], 13));
    gradcheck_module("LayerNorm no bias", &LayerNorm::<f64>::new([4]).without_bias(), &input(&[3, 4], 15));
    gradcheck_module("RMSNorm", &RMSNorm::<f64>::new([2, 3]), &input(&[2, 2, 3], 16));
    gradcheck_module("RMSNorm no affine", &RMSNorm::<f64>::new([4]).eps(1e-3).without_affine(), &input(&[3, 4], 17));
}

#[test]
fn activations_pass_gradcheck() {
    let x = away_from_zero(&[3, 4], 14);
    gradcheck_module("Sigmoid", &Sigmoid, &x);
    gradcheck_module("Tanh", &Tanh, &x);
    gradcheck_module("ReLU", &ReLU, &x);
    gradcheck_module("LeakyReLU", &LeakyReLU::new(), &x);
    gradcheck_module("ELU", &ELU::new(), &x);
    gradcheck_module("GELU", &GELU::new(), &x);
    gradcheck_module("GELU tanh", &GELU { tanh_approximation: true }, &x);
    gradcheck_module("SiLU", &SiLU, &x);
    gradcheck_module("Softplus", &Softplus::new().beta(2.0), &x);
    gradcheck_module("Softplus past threshold", &Softplus::new().threshold(0.5), &x);
    gradcheck_module("Hardtanh", &Hardtanh::new(-0.4, 0.6), &x);
    gradcheck_module("Softmax", &Softmax::new(1).temperature(0.5), &x);
    gradcheck_module("LogSoftmax", &LogSoftmax::new(-1), &x);
    gradcheck_module("PReLU shared", &PReLU::<f64>::new(1), &x);
    gradcheck_module("PReLU per channel", &PReLU::<f64>::new(4), &x);
    let dropout = Dropout::new(0.5, &mut Rng::seed(0));
    Module::<f64>::eval(&dropout);
    gradcheck_module("Dropout eval", &dropout, &x);
}

#[test]
fn course_activation_fixtures() {
    // #20: σ'(0) = 1/4 exactly, tanh'(0) = 1 (the notes' "≤ 0.25" holds for σ only).
    for (layer, expected) in [(&Sigmoid as &dyn Forward<f64>, 0.25), (&Tanh, 1.0)] {
        let z = Variable::param(Tensor::scalar(0.0f64));
        layer.forward(&z).backward();
        assert_eq!(z.grad().unwrap().item(), expected);
    }
    // ReLU' = 1 for z > 0.
    let z = Variable::param(Tensor::from([3.0f64]));
    ReLU.forward(&z).sum_all().backward();
    assert_eq!(z.grad().unwrap().to_vec(), vec![1.0]);
    // #21: LeakyReLU with α = 0.01: f(−2) = −0.02, f(3) = 3.
    let y = LeakyReLU::new().forward(&Variable::constant(Tensor::from([-2.0f64, 3.0])));
    assert_close(&y.value(), &Tensor::from([-0.02, 3.0]), Tolerance::STRICT);
    // #14: softmax of [2, 1, 0.1].
    let p = Softmax::new(0).forward(&Variable::constant(Tensor::from([2.0f64, 1.0, 0.1])));
    assert_close(&p.value(), &Tensor::from([0.6590011389, 0.2424329707, 0.0985658904]), Tolerance::new(1e-10, 0.0));
}

#[test]
fn step_is_a_threshold_without_gradient() {
    let z = Variable::param(Tensor::from([-1.0f32, 0.0, 0.5]));
    let y = Step.forward(&z);
    assert_eq!(y.value().to_vec(), vec![0.0, 0.0, 1.0]);
    assert!(!y.requires_grad());
}

#[test]
fn softmax_temperature_flattens_and_sharpens() {
    let z = Variable::constant(Tensor::from([2.0f32, 1.0, 0.1]));
    let max_prob = |t: f64| Softmax::new(0).temperature(t).forward(&z).value().to_vec()[0];
    assert!(max_prob(5.0) < max_prob(1.0) && max_prob(1.0) < max_prob(0.2));
    assert!(max_prob(0.01) > 0.999);
}

#[test]
fn dropout_scales_survivors_and_is_the_identity_in_eval() {
    let dropout = Dropout::new(0.3, &mut Rng::seed(3));
    let x = Variable::constant(Tensor::<f32>::ones([100_000]));
    let y = dropout.forward(&x).value().to_vec();
    let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / y.len() as f64;
    assert!((kept - 0.7).abs() < 0.01, "kept fraction {kept}");
    assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-6));
    let mean = y.iter().map(|&v| v as f64).sum::<f64>() / y.len() as f64;
    assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
    // Two passes draw different masks.
    assert_ne!(dropout.forward(&x).value().to_vec(), y);
    Module::<f32>::eval(&dropout);
    assert_eq!(dropout.forward(&x).value().to_vec(), x.value().to_vec());
    // p = 1 drops everything (no 0·∞ NaNs).
    let all = Dropout::new(1.0, &mut Rng::seed(0));
    assert!(Forward::<f32>::forward(&all, &x).value().to_vec().iter().all(|&v| v == 0.0));
}

#[test]
fn batchnorm_normalises_in_training_and_tracks_running_statistics() {
    let bn = BatchNorm1d::<f64>::new(2);
    let x = Tensor::from([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]]);
    let y = bn.forward(&Variable::constant(x)).value();
    // Each column has mean 0 and (biased) variance 1 − ε/(σ² + ε).
    let mean = y.mean(0, false).to_vec();
    assert!(mean.iter().all(|m| m.abs() < 1e-12), "{mean:?}");
    // running_mean = 0.9·0 + 0.1·[3, 30]; running_var = 0.9·1 + 0.1·unbiased var [4, 700].
    assert_close(&bn.running_mean.value(), &Tensor::from([0.3, 3.0]), Tolerance::STRICT);
    assert_close(&bn.running_var.value(), &Tensor::from([0.9 + 0.4, 0.9 + 70.0]), Tolerance::STRICT);
    assert_eq!(bn.num_batches_tracked.value().item(), 1);
    // Evaluation uses the running statistics and leaves them alone.
    bn.eval();
    let z = bn.forward(&Variable::constant(Tensor::from([[0.3, 3.0]]))).value();
    assert_close(&z, &Tensor::from([[0.0, 0.0]]), Tolerance::STRICT);
    assert_eq!(bn.num_batches_tracked.value().item(), 1);
}

#[test]
fn groupnorm_with_one_group_per_channel_is_instance_norm() {
    let x = input(&[2, 3, 5], 20);
    let y = GroupNorm::<f64>::new(3, 3).forward(&Variable::constant(x)).value();
    let per_instance_mean = y.mean(2, false);
    assert_close(&per_instance_mean, &Tensor::zeros([2, 3]), Tolerance::new(1e-12, 0.0));
}

#[test]
fn default_initialisation_matches_pytorch_bounds() {
    let mut rng = Rng::seed(7);
    let layer = Linear::<f64>::new(400, 30, &mut rng);
    let bound = 1.0 / 20.0;
    let w = layer.weight.value().to_vec();
    assert!(w.iter().all(|v| v.abs() <= bound));
    // Uniform on ±b has variance b²/3.
    let var = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
    assert!((var / (bound * bound / 3.0) - 1.0).abs() < 0.05, "variance {var}");
    assert!(layer.bias.as_ref().unwrap().value().to_vec().iter().all(|v| v.abs() <= bound));
    let ln = LayerNorm::<f32>::new([3]);
    assert_eq!(ln.affine.weight.as_ref().unwrap().value().to_vec(), vec![1.0; 3]);
    assert_eq!(ln.affine.bias.as_ref().unwrap().value().to_vec(), vec![0.0; 3]);
    assert_eq!(PReLU::<f32>::new(2).weight.value().to_vec(), vec![0.25, 0.25]);
}

#[test]
fn shape_mistakes_panic_with_the_layer_and_shapes() {
    type Case = (Box<dyn Fn()>, &'static str);
    let cases: Vec<Case> = vec![
        (
            Box::new(move || {
                Linear::<f32>::new(5, 2, &mut Rng::seed(0)).forward(&Variable::constant(Tensor::zeros([4, 3])));
            }),
            "Linear: input of shape [4, 3] must end in in_features = 5 (weight is [2, 5])",
        ),
        (
            Box::new(|| {
                BatchNorm1d::<f32>::new(3).forward(&Variable::constant(Tensor::zeros([4, 2])));
            }),
            "BatchNorm1d: expected input [N, 3] or [N, 3, L], got [4, 2]",
        ),
        (
            Box::new(|| {
                BatchNorm1d::<f32>::new(3).forward(&Variable::constant(Tensor::zeros([1, 3])));
            }),
            "BatchNorm1d: training needs more than one value per channel to estimate a variance, got input [1, 3]",
        ),
        (
            Box::new(|| {
                LayerNorm::<f32>::new([4]).forward(&Variable::constant(Tensor::zeros([4, 3])));
            }),
            "LayerNorm: input of shape [4, 3] does not end in normalized_shape [4]",
        ),
        (
            Box::new(|| {
                GroupNorm::<f32>::new(2, 4).forward(&Variable::constant(Tensor::zeros([4, 3])));
            }),
            "GroupNorm: expected input [N, 4, *], got [4, 3]",
        ),
        (Box::new(|| _ = GroupNorm::<f32>::new(3, 4)), "GroupNorm: 4 channels cannot be split into 3 equal groups"),
        (
            Box::new(|| {
                PReLU::<f32>::new(3).forward(&Variable::constant(Tensor::zeros([2, 4])));
            }),
            "PReLU: 3 slopes need input [N, 3, *], got [2, 4]",
        ),
        (
            Box::new(move || {
                Embedding::<f32>::new(5, 2, &mut Rng::seed(1)).forward(&Tensor::from([1i64, 5]));
            }),
            "Embedding: index 5 is out of range for a table of 5 rows",
        ),
        (
            Box::new(move || {
                let r = Residual::new(Linear::<f32>::new(3, 2, &mut Rng::seed(2)));
                r.forward(&Variable::constant(Tensor::zeros([1, 3])));
            }),
            "Residual: the block maps [1, 3] to [1, 2]; a skip connection needs equal shapes",
        ),
        (Box::new(|| _ = Dropout::new(1.5, &mut Rng::seed(0))), "Dropout: probability 1.5 is outside [0, 1]"),
    ];
    for (f, expected) in cases {
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
        let message =
            err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()));
        assert_eq!(message.as_deref(), Some(expected));
    }
}
