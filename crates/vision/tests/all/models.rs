//! The model zoo's shapes, including the course's fixture #30 (the simple CNN on 64×64×3 and
//! DCGAN with 4×4 kernels), parameter counts and a training step of each classifier.

use kindling_autograd::Variable;
use kindling_nn::{cross_entropy, summary, Forward, Module};
use kindling_optim::{Optimizer, Sgd, SgdConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_vision::models::{dcgan_discriminator, dcgan_generator, simple_cnn, BasicBlock, LeNet5, ResNet, TinyVgg};

fn spatial(s: &kindling_nn::Summary) -> Vec<usize> {
    s.rows
        .iter()
        .filter(|r| r.depth > 0 && r.type_name != "Sequential")
        .filter_map(|r| r.output_shape.as_ref())
        .filter(|s| s.len() == 4)
        .map(|s| s[2])
        .collect()
}

#[test]
fn fixture_30_simple_cnn_sizes() {
    let model = simple_cnn::<f32>(10, &mut Rng::seed(0));
    model.eval();
    let s = summary(&model, &[2, 3, 64, 64]);
    let mut sizes = spatial(&s);
    sizes.dedup();
    assert_eq!(sizes, [62, 31, 29, 14, 12], "64 → 62 → 31 → 29 → 14 → 12");
    let flat = s.rows.iter().find(|r| r.type_name == "Flatten").unwrap();
    assert_eq!(flat.output_shape, Some(vec![2, 18432]), "12·12·128 = 18432");
    assert_eq!(s.rows[0].output_shape, Some(vec![2, 10]));
}

#[test]
fn fixture_30_dcgan_sizes() {
    let mut rng = Rng::seed(1);
    let g = dcgan_generator::<f32>(100, 8, 3, &mut rng);
    let mut sizes = spatial(&summary(&g, &[2, 100, 1, 1]));
    sizes.dedup();
    assert_eq!(sizes, [4, 8, 16, 32, 64], "G: 1 → 4 → 8 → 16 → 32 → 64");
    let z = Variable::constant(Tensor::<f32>::randn([2, 100, 1, 1], &mut rng));
    let fake = g.forward(&z);
    assert_eq!(fake.shape(), [2, 3, 64, 64]);
    assert!(fake.value().to_vec().iter().all(|v| v.abs() <= 1.0), "tanh output");

    let d = dcgan_discriminator::<f32>(3, 8, &mut rng);
    let mut sizes = spatial(&summary(&d, &[2, 3, 64, 64]));
    sizes.dedup();
    assert_eq!(sizes, [32, 16, 8, 4, 1], "D: 64 → 32 → 16 → 8 → 4 → 1");
    let p = d.forward(&fake);
    assert_eq!(p.shape(), [2, 1, 1, 1]);
    assert!(p.value().to_vec().iter().all(|v| (0.0..=1.0).contains(v)), "sigmoid output");
}

#[test]
fn tiny_vgg_matches_the_course() {
    let model = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut Rng::seed(2));
    // 4 convolutions (1→10, then 10→10 three times) and Linear(10·7·7 → 10).
    assert_eq!(model.num_parameters(), (10 * 9 + 10) + 3 * (10 * 10 * 9 + 10) + (490 * 10 + 10));
    let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "block_1.0.weight");
    assert_eq!(names[4], "block_2.0.weight");
    assert_eq!(names.last().unwrap(), "classifier.1.bias");
    let s = summary(&model, &[4, 1, 28, 28]);
    let mut sizes = spatial(&s);
    sizes.dedup();
    assert_eq!(sizes, [28, 14, 7]);
    println!("{s}");
}

#[test]
fn every_classifier_trains_one_step() {
    let mut rng = Rng::seed(3);
    let x28 = Variable::constant(Tensor::<f32>::rand([4, 1, 28, 28], &mut rng));
    let x16 = Variable::constant(Tensor::<f32>::rand([4, 3, 16, 16], &mut rng));
    let labels = Tensor::from([0i64, 1, 2, 3]);
    type Case<'a> = (&'a str, Box<dyn Forward<f32>>, &'a Variable<f32>);
    let models: Vec<Case> = vec![
        ("TinyVgg", Box::new(TinyVgg::new(1, 8, 10, (28, 28), &mut rng)), &x28),
        ("LeNet5", Box::new(LeNet5::new(1, 10, &mut rng)), &x28),
        ("ResNet", Box::new(ResNet::new(3, 10, &[8, 16], 1, &mut rng)), &x16),
    ];
    for (name, model, x) in models {
        let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.05, ..SgdConfig::default() });
        let before = cross_entropy(&model.forward(x), &labels);
        before.backward();
        assert!(model.parameters().iter().all(|p| p.grad().is_some()), "{name}: every parameter gets a gradient");
        opt.step();
        opt.zero_grad();
        let after = cross_entropy(&model.forward(x), &labels);
        assert!(after.item() < before.item(), "{name}: loss {} → {}", before.item(), after.item());
    }
}

#[test]
fn residual_blocks_keep_or_change_shape() {
    let mut rng = Rng::seed(4);
    let x = Variable::constant(Tensor::<f32>::randn([2, 8, 8, 8], &mut rng));
    let same = BasicBlock::new(8, 8, 1, &mut rng);
    assert!(same.downsample.is_none());
    assert_eq!(same.forward(&x).shape(), [2, 8, 8, 8]);
    let down = BasicBlock::new(8, 16, 2, &mut rng);
    assert_eq!(down.forward(&x).shape(), [2, 16, 4, 4]);
    let names: Vec<String> = down.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"downsample.0.weight".to_string()), "{names:?}");
    let resnet20 = ResNet::<f32>::new(3, 10, &[16, 32, 64], 3, &mut rng);
    assert_eq!(resnet20.layers.iter().map(Vec::len).sum::<usize>(), 9);
    assert_eq!(resnet20.forward(&Variable::constant(Tensor::zeros([1, 3, 32, 32]))).shape(), [1, 10]);
    // ResNet-20 has about 0.27 M parameters.
    let n = resnet20.num_parameters();
    assert!((260_000..280_000).contains(&n), "{n}");
}

#[test]
fn lenet5_shapes() {
    let model = LeNet5::<f32>::new(1, 10, &mut Rng::seed(5));
    let s = summary(&model, &[1, 1, 28, 28]);
    let mut sizes = spatial(&s);
    sizes.dedup();
    assert_eq!(sizes, [28, 14, 10, 5]);
    assert_eq!(model.num_parameters(), 61_706);
}
