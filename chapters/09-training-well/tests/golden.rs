//! Small, fast checks of what the chapter's figures show (the demo runs the full
//! versions).

use ch09_training_well::*;
use kindling_autograd::Variable;
use kindling_tensor::Rng;

#[test]
fn kaiming_keeps_relu_activations_level_and_tiny_weights_kill_them() {
    let kaiming = activation_stds(Act::Relu, Init::Kaiming, 128, 12, 64, 1);
    assert!(
        kaiming.iter().all(|&s| (0.3..3.0).contains(&s)),
        "ReLU + Kaiming: {kaiming:?}"
    );
    let tiny = activation_stds(Act::Tanh, Init::Fixed(0.01), 128, 12, 64, 1);
    assert!(
        tiny[11] < 1e-8,
        "tanh with N(0, 0.01²) should vanish, got {:e}",
        tiny[11]
    );
}

#[test]
fn sigmoid_gradients_vanish_towards_the_input_and_relu_kaiming_ones_do_not() {
    let data = spiral_split(96, 3, 0.15, 21);
    let ratio = |act, init| {
        let config = MlpConfig {
            inputs: 2,
            width: 16,
            depth: 10,
            classes: 3,
            act,
            init,
            norm: Norm::None,
            dropout: 0.0,
        };
        let model = DeepMlp::new(config, &mut Rng::seed(7));
        kindling_nn::cross_entropy(
            &model.forward(&Variable::constant(data.x.clone())),
            &data.y,
        )
        .backward();
        let norms = weight_grad_norms(&model);
        norms[0] / norms[norms.len() - 1]
    };
    let sigmoid = ratio(Act::Sigmoid, Init::Xavier);
    let relu = ratio(Act::Relu, Init::Kaiming);
    assert!(sigmoid < 1e-3, "sigmoid first/last gradient norm ratio {sigmoid:e}");
    assert!(
        relu > 1e-2 && relu < 1e2,
        "ReLU + Kaiming first/last gradient norm ratio {relu:e}"
    );
}
