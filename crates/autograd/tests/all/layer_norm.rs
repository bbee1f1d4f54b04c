//! The fused `Variable::layer_norm`: gradient-checked in f64 (with and without γ and β, over one
//! and over two trailing axes, on strided input), equal to the same formula composed from
//! separate ops, the same on the naive and fast kernels, and its shape errors.

use kindling_autograd::{gradcheck, Variable};
use kindling_tensor::{assert_close, with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};

fn randn(shape: &[usize], rng: &mut Rng) -> Tensor<f64> {
    Tensor::randn(shape, rng)
}

/// (x − mean)/√(var + eps)·γ + β from separate ops: the definition.
fn composed(
    x: &Variable<f64>,
    axes: Vec<isize>,
    w: Option<&Variable<f64>>,
    b: Option<&Variable<f64>>,
    eps: f64,
) -> Variable<f64> {
    let mean = x.mean(axes.clone(), true);
    let var = x.var_with_correction(axes, 0, true);
    let mut y = &(x - &mean) / &var.add_scalar(eps).sqrt();
    if let Some(w) = w {
        y = &y * w;
    }
    if let Some(b) = b {
        y = &y + b;
    }
    y
}

#[test]
fn gradients_pass_the_checker_in_every_affine_form() {
    let mut rng = Rng::seed(191);
    for mode in [KernelMode::Naive, KernelMode::Fast] {
        for (has_w, has_b) in [(true, true), (true, false), (false, true), (false, false)] {
            let mut inputs = vec![randn(&[3, 2, 5], &mut rng)];
            if has_w {
                inputs.push(randn(&[5], &mut rng));
            }
            if has_b {
                inputs.push(randn(&[5], &mut rng));
            }
            with_kernel_mode(mode, || {
                gradcheck("layer_norm", &inputs, |v| {
                    let w = has_w.then(|| &v[1]);
                    let b = has_b.then(|| &v[if has_w { 2 } else { 1 }]);
                    v[0].layer_norm(5, w, b, 1e-5)
                })
            });
        }
    }
}

#[test]
fn two_normalized_axes_and_a_strided_input_pass_the_checker() {
    let mut rng = Rng::seed(7);
    // x is a transposed view, so the op must gather it; γ and β have the 2-D normalized shape.
    let inputs = [randn(&[4, 3, 2], &mut rng), randn(&[3, 4], &mut rng), randn(&[3, 4], &mut rng)];
    gradcheck("layer_norm", &inputs, |v| {
        let x = v[0].permute(vec![2usize, 1, 0]);
        x.layer_norm(12, Some(&v[1]), Some(&v[2]), 1e-5)
    });
}

#[test]
fn matches_the_composed_formula_values_and_gradients() {
    let mut rng = Rng::seed(3);
    let x = Variable::param(randn(&[2, 3, 7], &mut rng));
    let w = Variable::param(randn(&[7], &mut rng));
    let b = Variable::param(randn(&[7], &mut rng));
    let r = randn(&[2, 3, 7], &mut rng);
    let run = |fused: bool| {
        for v in [&x, &w, &b] {
            v.zero_grad();
        }
        let y = if fused {
            x.layer_norm(7, Some(&w), Some(&b), 1e-5)
        } else {
            composed(&x, vec![-1], Some(&w), Some(&b), 1e-5)
        };
        y.backward_with(&r);
        (y.value(), x.grad().unwrap(), w.grad().unwrap(), b.grad().unwrap())
    };
    let (fused, plain) = (run(true), run(false));
    assert_close(&fused.0, &plain.0, Tolerance::STRICT);
    assert_close(&fused.1, &plain.1, Tolerance::STRICT);
    assert_close(&fused.2, &plain.2, Tolerance::STRICT);
    assert_close(&fused.3, &plain.3, Tolerance::STRICT);
}

#[test]
fn naive_and_fast_agree_in_f32_at_the_gpt_shape() {
    let mut rng = Rng::seed(11);
    let x = Tensor::<f32>::randn([4, 64, 128], &mut rng);
    let w = Tensor::<f32>::randn([128], &mut rng);
    let b = Tensor::<f32>::randn([128], &mut rng);
    let r = Tensor::<f32>::randn([4, 64, 128], &mut rng);
    let run = |mode| {
        with_kernel_mode(mode, || {
            let (xv, wv, bv) = (Variable::param(x.clone()), Variable::param(w.clone()), Variable::param(b.clone()));
            let y = xv.layer_norm(128, Some(&wv), Some(&bv), 1e-5);
            y.backward_with(&r);
            (y.value(), xv.grad().unwrap(), wv.grad().unwrap(), bv.grad().unwrap())
        })
    };
    let (naive, fast) = (run(KernelMode::Naive), run(KernelMode::Fast));
    assert_close(&fast.0, &naive.0, Tolerance::DEFAULT);
    assert_close(&fast.1, &naive.1, Tolerance::DEFAULT);
    assert_close(&fast.2, &naive.2, Tolerance::RELAXED);
    assert_close(&fast.3, &naive.3, Tolerance::RELAXED);
}

#[test]
#[should_panic(expected = "layer_norm: the last axes of input [2, 3, 5] do not multiply to normalized_len 4")]
fn a_normalized_len_that_is_no_suffix_panics() {
    Variable::constant(Tensor::<f64>::zeros([2, 3, 5])).layer_norm(4, None, None, 1e-5);
}

#[test]
#[should_panic(expected = "layer_norm: weight of shape [4] has 4 elements, expected normalized_len 5")]
fn a_weight_of_the_wrong_size_panics() {
    let w = Variable::param(Tensor::<f64>::ones([4]));
    Variable::constant(Tensor::<f64>::zeros([2, 5])).layer_norm(5, Some(&w), None, 1e-5);
}

#[test]
#[should_panic(expected = "layer_norm: normalized_len must be at least 1, got 0 (input [2, 5])")]
fn an_empty_normalized_len_panics() {
    Variable::constant(Tensor::<f64>::zeros([2, 5])).layer_norm(0, None, None, 1e-5);
}

#[test]
#[should_panic(expected = "layer_norm_backward: gradient of shape [2, 4] for an input of shape [2, 5]")]
fn a_gradient_of_another_shape_panics_in_the_kernel() {
    let x = Tensor::<f64>::zeros([2, 5]);
    let fwd = kindling_tensor::norm::layer_norm(&x, 5, None, None, 1e-5);
    let dy = Tensor::<f64>::zeros([2, 4]);
    kindling_tensor::norm::layer_norm_backward(&dy, &x, &fwd.mean, &fwd.rstd, 5, None, &[5], (true, false, false));
}
