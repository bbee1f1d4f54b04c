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

/// The prelude glob-imported beside the crates' own globs: each name of the two step contracts
/// (data's `Transform`, vision's `ImageTransform`) and of the two affine types (the norms'
/// `ElementwiseAffine`, vision's `RandomAffine`) resolves to one item, so none is ambiguous.
mod globs_together {
    use kindling::data::*;
    use kindling::nn::*;
    use kindling::prelude::*;
    use kindling::vision::transforms::*;
    use kindling::vision::*;

    fn fitted_step(step: &mut impl Transform, x: &Tensor<f64>) -> Tensor<f64> {
        step.fit_transform(x)
    }

    fn image_step(step: &dyn ImageTransform, img: &Tensor<f32>) -> Tensor<f32> {
        step.apply(img, &mut Rng::seed(3))
    }

    #[test]
    fn renamed_items_resolve_to_one_meaning_each() {
        let z = fitted_step(&mut StandardScaler::new(), &Tensor::from([1.0f64, 2.0, 3.0]));
        assert_close(&z, &Tensor::from([-1.5f64.sqrt(), 0.0, 1.5f64.sqrt()]), Tolerance::DEFAULT);

        // vision's root re-exports nn's conv layers: the same items, so the two globs agree.
        let cnn = models::TinyVgg::<f32>::new(1, 4, 10, (28, 28), &mut Rng::seed(1));
        assert_eq!(cnn.forward(&Variable::constant(Tensor::zeros([1, 1, 28, 28]))).shape(), [1, 10]);
        let pipeline = Compose::new().then(RandomAffine::new(10.0)).then(HorizontalFlip::new(0.5));
        let img = Tensor::<f32>::rand([3, 8, 8], &mut Rng::seed(0));
        assert_eq!(image_step(&pipeline, &img).shape(), [3, 8, 8]);

        let norm = LayerNorm::<f32>::new([4]);
        let affine: &ElementwiseAffine<f32> = &norm.affine;
        assert_eq!(affine.weight.as_ref().map(|w| w.shape()), Some(vec![4]));
        assert_eq!(BatchNorm2d::<f32>::new(2).parameters().len(), 2);
    }
}
