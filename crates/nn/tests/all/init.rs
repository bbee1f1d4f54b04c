//! Initialisers: gains and fans as PyTorch computes them, the variance each scheme promises
//! (checked statistically on large draws), orthogonality, and seeded reproducibility.

use kindling_nn::init::{self, FanMode, Nonlinearity};
use kindling_tensor::{Rng, Tensor};

fn variance(t: &Tensor<f64>) -> f64 {
    let v = t.to_vec();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64
}

fn close(actual: f64, expected: f64, relative: f64) -> bool {
    (actual / expected - 1.0).abs() < relative
}

#[test]
fn gains_and_fans_match_pytorch() {
    assert_eq!(init::gain(Nonlinearity::Linear), 1.0);
    assert_eq!(init::gain(Nonlinearity::Sigmoid), 1.0);
    assert_eq!(init::gain(Nonlinearity::Tanh), 5.0 / 3.0);
    assert_eq!(init::gain(Nonlinearity::Relu), 2f64.sqrt());
    assert!((init::gain(Nonlinearity::LeakyRelu(0.01)) - (2.0 / 1.0001f64).sqrt()).abs() < 1e-15);
    assert_eq!(init::gain(Nonlinearity::Selu), 0.75);
    assert_eq!(init::fans(&[30, 20]), (20, 30));
    // A conv weight [out, in, kh, kw]: the receptive field multiplies both fans.
    assert_eq!(init::fans(&[16, 3, 5, 5]), (75, 400));
}

#[test]
#[should_panic(expected = "init: fan in and fan out need a weight of rank 2 or more, got shape [5]")]
fn fans_of_a_vector_are_undefined() {
    init::fans(&[5]);
}

#[test]
fn each_scheme_has_the_variance_it_promises() {
    let mut rng = Rng::seed(11);
    let shape = [300, 200];
    let (fan_in, fan_out) = (200.0, 300.0);
    let xu: Tensor<f64> = init::xavier_uniform(shape, 1.0, &mut rng);
    assert!(close(variance(&xu), 2.0 / (fan_in + fan_out), 0.03));
    let bound = (6.0 / (fan_in + fan_out)).sqrt();
    assert!(xu.to_vec().iter().all(|v| v.abs() <= bound));
    let xn: Tensor<f64> = init::xavier_normal(shape, 5.0 / 3.0, &mut rng);
    assert!(close(variance(&xn), (25.0 / 9.0) * 2.0 / (fan_in + fan_out), 0.03));
    let ku: Tensor<f64> = init::kaiming_uniform(shape, FanMode::FanIn, Nonlinearity::Relu, &mut rng);
    assert!(close(variance(&ku), 2.0 / fan_in, 0.03));
    let kn: Tensor<f64> = init::kaiming_normal(shape, FanMode::FanOut, Nonlinearity::Relu, &mut rng);
    assert!(close(variance(&kn), 2.0 / fan_out, 0.03));
    let u: Tensor<f64> = init::uniform([10_000], -2.0, 1.0, &mut rng);
    assert!(u.to_vec().iter().all(|&v| (-2.0..1.0).contains(&v)));
    let n: Tensor<f64> = init::normal([20_000], 3.0, 0.5, &mut rng);
    assert!(close(variance(&n), 0.25, 0.05));
    assert_eq!(init::constant::<f32>([2], 0.5).to_vec(), vec![0.5, 0.5]);
}

#[test]
fn orthogonal_matrices_have_orthonormal_rows_or_columns() {
    for (rows, cols) in [(5, 5), (7, 3), (3, 7), (4, 2 * 3)] {
        let q: Tensor<f64> = init::orthogonal([rows, cols], 1.0, &mut Rng::seed(rows as u64));
        // The smaller Gram matrix is the identity.
        let gram = if rows >= cols { q.t().matmul(&q) } else { q.matmul(&q.t()) };
        let n = rows.min(cols);
        let eye = Tensor::<f64>::eye(n);
        let worst = (&gram - &eye).abs().max_all();
        assert!(worst < 1e-12, "{rows}x{cols}: |QᵀQ − I| up to {worst}");
    }
    let scaled: Tensor<f64> = init::orthogonal([4, 4], 2.0, &mut Rng::seed(0));
    let gram = scaled.t().matmul(&scaled);
    assert!((gram.get(&[2, 2]) - 4.0).abs() < 1e-12);
    // Higher-rank shapes are flattened to [shape[0], rest].
    let conv: Tensor<f32> = init::orthogonal([2, 3, 2], 1.0, &mut Rng::seed(1));
    assert_eq!(conv.shape(), &[2, 3, 2]);
}

#[test]
fn the_same_seed_gives_the_same_weights() {
    let a: Tensor<f32> = init::xavier_uniform([4, 3], 1.0, &mut Rng::seed(5));
    let b: Tensor<f32> = init::xavier_uniform([4, 3], 1.0, &mut Rng::seed(5));
    let c: Tensor<f32> = init::xavier_uniform([4, 3], 1.0, &mut Rng::seed(6));
    assert_eq!(a.to_vec(), b.to_vec());
    assert_ne!(a.to_vec(), c.to_vec());
}
