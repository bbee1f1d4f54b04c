//! The umbrella crate's prelude is enough to write a small program.

use kindling::prelude::*;

#[test]
fn a_dense_layer_forward_pass_through_the_prelude() {
    let mut rng = Rng::seed(7);
    let x = Tensor::<f32>::randn([8, 4], &mut rng);
    let w = Tensor::<f32>::uniform([4, 3], -0.5, 0.5, &mut rng);
    let b = Tensor::<f32>::zeros([3]);
    let probs = (&x.matmul(&w) + &b).relu().softmax(-1);
    assert_eq!(probs.shape(), &[8, 3]);
    assert_close(&probs.sum(-1, false), &Tensor::ones([8]), Tolerance::DEFAULT);
    let naive = with_kernel_mode(KernelMode::Naive, || (&x.matmul(&w) + &b).relu().softmax(-1));
    assert_close(&probs, &naive, Tolerance::DEFAULT);
}

#[test]
fn a_gradient_step_through_the_prelude() {
    // Fit y = 3x with one weight: a few steps of gradient descent on the squared error.
    let x = Variable::constant(Tensor::from([1.0f64, 2.0, 3.0]));
    let y = Variable::constant(Tensor::from([3.0f64, 6.0, 9.0]));
    let w = Variable::param(Tensor::scalar(0.0f64));
    for _ in 0..50 {
        let loss = (&(&x * &w) - &y).square().mean_all();
        loss.backward();
        let step = &w.grad().unwrap() * 0.1;
        no_grad(|| w.set_value(&w.value() - &step));
        w.zero_grad();
    }
    assert!((w.item() - 3.0).abs() < 1e-6, "w = {}", w.item());
}
