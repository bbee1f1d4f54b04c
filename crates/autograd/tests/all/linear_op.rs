//! The fused affine op `Variable::linear`: gradient-checked in f64 with and without a bias and
//! with extra leading axes, equal to `x.matmul(&w.t()) + b` in values and gradients, a dense
//! weight gradient, and its shape errors.

use kindling_autograd::{gradcheck, Variable};
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};

#[test]
fn gradients_pass_the_checker_with_and_without_bias() {
    let mut rng = Rng::seed(5);
    let inputs = [Tensor::randn([2, 3, 4], &mut rng), Tensor::randn([5, 4], &mut rng), Tensor::randn([5], &mut rng)];
    gradcheck("linear", &inputs, |v| v[0].linear(&v[1], Some(&v[2])));
    gradcheck("linear", &inputs[..2], |v| v[0].linear(&v[1], None));
    // A strided input (a transposed view) and a 1-D input.
    let x = Tensor::randn([4, 3], &mut rng);
    gradcheck("linear", &[x, inputs[1].clone()], |v| v[0].t().linear(&v[1], None));
    gradcheck("linear", &[Tensor::randn([4], &mut rng), inputs[1].clone()], |v| v[0].linear(&v[1], None));
}

#[test]
fn matches_matmul_plus_bias_and_leaves_a_dense_weight_gradient() {
    let mut rng = Rng::seed(9);
    let x = Variable::param(Tensor::<f64>::randn([6, 7], &mut rng));
    let w = Variable::param(Tensor::<f64>::randn([3, 7], &mut rng));
    let b = Variable::param(Tensor::<f64>::randn([3], &mut rng));
    let r = Tensor::<f64>::randn([6, 3], &mut rng);
    let run = |fused: bool| {
        [&x, &w, &b].iter().for_each(|v| v.zero_grad());
        let y = if fused { x.linear(&w, Some(&b)) } else { &x.matmul(&w.t()) + &b };
        y.backward_with(&r);
        (y.value(), x.grad().unwrap(), w.grad().unwrap(), b.grad().unwrap())
    };
    let (fused, plain) = (run(true), run(false));
    assert_close(&fused.0, &plain.0, Tolerance::STRICT);
    assert_close(&fused.1, &plain.1, Tolerance::STRICT);
    assert_close(&fused.2, &plain.2, Tolerance::STRICT);
    assert_close(&fused.3, &plain.3, Tolerance::STRICT);
    assert!(fused.2.is_contiguous(), "the weight gradient should be dense");
}

#[test]
#[should_panic(expected = "linear: input of shape [2, 4] does not match weight of shape [5, 3]")]
fn mismatched_inner_sizes_panic() {
    let x = Variable::constant(Tensor::<f64>::zeros([2, 4]));
    x.linear(&Variable::param(Tensor::zeros([5, 3])), None);
}

#[test]
#[should_panic(expected = "linear: bias of shape [4] for a weight of shape [5, 3]")]
fn a_bias_of_the_wrong_size_panics() {
    let x = Variable::constant(Tensor::<f64>::zeros([2, 3]));
    x.linear(&Variable::param(Tensor::zeros([5, 3])), Some(&Variable::param(Tensor::zeros([4]))));
}
