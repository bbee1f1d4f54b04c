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
