//! Golden convergence runs across nn and optim: XOR with a two-layer MLP, linear regression
//! recovering its true weights, and the course's small reference MLP.

use kindling::nn::{
    binary_cross_entropy_with_logits, mse_loss, Forward, Linear, Module, ReLU, Reduction, Sequential, Tanh,
};
use kindling::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use kindling::prelude::{Rng, Tensor, Variable};

#[test]
fn xor_is_learned_by_a_two_layer_mlp() {
    let mut rng = Rng::seed(0);
    let model = Sequential::new().add(Linear::new(2, 8, &mut rng)).add(Tanh).add(Linear::new(8, 1, &mut rng));
    let x = Variable::constant(Tensor::from([[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]));
    let y = Tensor::from([[0.0f32], [1.0], [1.0], [0.0]]);
    let mut opt = Adam::new(model.parameters(), AdamConfig { lr: 0.05, ..Default::default() });
    let mut losses = Vec::new();
    for _ in 0..300 {
        opt.zero_grad();
        let loss = binary_cross_entropy_with_logits(&model.forward(&x), &y, None, None, Reduction::Mean);
        loss.backward();
        opt.step();
        losses.push(loss.item());
    }
    let last = *losses.last().unwrap();
    assert!(last < 0.02, "final loss {last}");
    assert!(losses[0] > 0.5, "started at {}", losses[0]);
    let predicted: Vec<f32> = model.forward(&x).value().to_vec().iter().map(|&z| (z > 0.0) as u8 as f32).collect();
    assert_eq!(predicted, vec![0.0, 1.0, 1.0, 0.0]);
}

#[test]
fn linear_regression_recovers_the_true_weights() {
    let mut rng = Rng::seed(1);
    let true_w = Tensor::from([[2.0f32, -3.5, 0.5]]);
    let true_b = 1.25f32;
    let x = Tensor::<f32>::randn([256, 3], &mut rng);
    let noise = Tensor::<f32>::normal([256, 1], 0.0, 0.01, &mut rng);
    let y = &(&x.matmul(&true_w.t()) + true_b) + &noise;
    let model = Linear::new(3, 1, &mut rng);
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() });
    let x = Variable::constant(x);
    for _ in 0..200 {
        opt.zero_grad();
        mse_loss(&model.forward(&x), &y, Reduction::Mean).backward();
        opt.step();
    }
    let w = model.weight.value().to_vec();
    let b = model.bias.as_ref().unwrap().item();
    for (got, want) in w.iter().zip(true_w.to_vec()) {
        assert!((got - want).abs() < 5e-3, "weight {got} vs {want}");
    }
    assert!((b - true_b).abs() < 5e-3, "bias {b} vs {true_b}");
}

#[test]
fn the_course_reference_mlp_trains_with_plain_sgd() {
    // Linear(10, 20) → ReLU → Linear(20, 1), MSE, SGD lr 0.01, x (5, 10), y (5, 1): 241 parameters.
    let mut rng = Rng::seed(2);
    let model = Sequential::new().add(Linear::new(10, 20, &mut rng)).add(ReLU).add(Linear::new(20, 1, &mut rng));
    assert_eq!(model.num_parameters(), 241);
    let x = Variable::constant(Tensor::randn([5, 10], &mut rng));
    let y = Tensor::randn([5, 1], &mut rng);
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.01, ..Default::default() });
    let loss_now = || mse_loss(&model.forward(&x), &y, Reduction::Mean);
    let first = loss_now().item();
    for _ in 0..500 {
        opt.zero_grad();
        loss_now().backward();
        opt.step();
    }
    let last = loss_now().item();
    assert!(last < 0.1 * first, "loss went from {first} to {last}");
}
