//! The losses' PyTorch-parity additions: gradient checks of every differentiable target and
//! second input (central differences in f64), hand-computed values of the losses added for
//! parity, and their refusals. PyTorch's own numbers for all of them are in `losses.rs`.

use kindling_autograd::{gradcheck, Variable};
use kindling_nn::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss, gaussian_nll_loss,
    hinge_embedding_loss, huber_loss, kl_div, l1_loss, log_cosh_loss, mape_loss, margin_ranking_loss, mse_loss,
    multi_margin_loss, multilabel_soft_margin_loss, poisson_nll_loss, quantile_loss, sigmoid_focal_loss,
    smooth_l1_loss, soft_margin_loss, tweedie_loss, CrossEntropyLoss, KlReduction, Reduction,
};
use kindling_tensor::{assert_close, Tensor, Tolerance};

const HAND: Tolerance = Tolerance { atol: 1e-12, rtol: 1e-12 };
const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

fn input(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape)
}

// ---------------------------------------------------------------------------------------------
// Gradient checks of prediction and target together, at points away from kinks

#[test]
fn gradcheck_regression_targets() {
    let x = input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9], &[2, 3]);
    let y = input(&[1.0, -0.2, 1.1, 0.5, 0.9, -1.0], &[2, 3]);
    let both = [x.clone(), y.clone()];
    for r in REDUCTIONS {
        gradcheck("mse_loss", &both, |v| mse_loss(&v[0], &v[1], r));
        gradcheck("l1_loss", &both, |v| l1_loss(&v[0], &v[1], r));
        gradcheck("huber_loss", &both, |v| huber_loss(&v[0], &v[1], 1.2, r));
        gradcheck("smooth_l1_loss", &both, |v| smooth_l1_loss(&v[0], &v[1], 0.9, r));
        gradcheck("log_cosh_loss", &both, |v| log_cosh_loss(&v[0], &v[1], r));
        gradcheck("quantile_loss", &both, |v| quantile_loss(&v[0], &v[1], 0.7, r));
        gradcheck("mape_loss", &both, |v| mape_loss(&v[0], &v[1], r));
        // Counts clear of 1, where Stirling's term switches on.
        let counts = input(&[0.5, 3.0, 2.0, 7.0, 1.5, 4.0], &[2, 3]);
        gradcheck("poisson_nll_loss(log, full)", &[x.clone(), counts.clone()], |v| {
            poisson_nll_loss(&v[0], &v[1], true, true, 1e-8, r)
        });
        let rates = input(&[0.3, 1.2, 2.5, 0.8, 0.4, 1.9], &[2, 3]);
        gradcheck("poisson_nll_loss", &[rates, counts.clone()], |v| {
            poisson_nll_loss(&v[0], &v[1], false, false, 1e-8, r)
        });
        gradcheck("tweedie_loss", &[&x * 0.5, counts], |v| tweedie_loss(&v[0], &v[1], 1.4, r));
    }
}

#[test]
fn gradcheck_gaussian_nll_in_mean_target_and_variance() {
    let mu = input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9], &[3, 2]);
    let y = input(&[1.0, -0.2, 1.1, 0.5, 0.9, -1.0], &[3, 2]);
    for r in REDUCTIONS {
        let var = input(&[0.5, 1.5, 0.2, 2.0, 0.9, 0.3], &[3, 2]);
        gradcheck("gaussian_nll_loss", &[mu.clone(), y.clone(), var], |v| {
            gaussian_nll_loss(&v[0], &v[1], &v[2], true, 1e-6, r)
        });
        // One variance per sample, shared across the last axis: shapes [3] and [3, 1].
        for shape in [&[3usize][..], &[3, 1]] {
            gradcheck("gaussian_nll_loss(per sample)", &[mu.clone(), y.clone(), input(&[0.5, 1.5, 0.2], shape)], |v| {
                gaussian_nll_loss(&v[0], &v[1], &v[2], false, 1e-6, r)
            });
        }
    }
}

#[test]
fn gradcheck_binary_targets() {
    let z = input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9], &[2, 3]);
    let y = input(&[0.9, 0.1, 0.3, 0.7, 0.2, 0.8], &[2, 3]);
    let probs = input(&[0.3, 0.9, 0.55, 0.1, 0.72, 0.4], &[2, 3]);
    let w = input(&[0.5, 2.0, 1.0], &[3]);
    let pos = input(&[3.0, 0.5, 2.0], &[3]);
    for r in REDUCTIONS {
        gradcheck("binary_cross_entropy", &[probs.clone(), y.clone()], |v| {
            binary_cross_entropy(&v[0], &v[1], Some(&w), r)
        });
        gradcheck("binary_cross_entropy_with_logits", &[z.clone(), y.clone()], |v| {
            binary_cross_entropy_with_logits(&v[0], &v[1], Some(&w), Some(&pos), r)
        });
        gradcheck("sigmoid_focal_loss", &[z.clone(), y.clone()], |v| sigmoid_focal_loss(&v[0], &v[1], 0.25, 2.0, r));
        gradcheck("multilabel_soft_margin_loss", &[z.clone(), y.clone()], |v| {
            multilabel_soft_margin_loss(&v[0], &v[1], Some(&w), r)
        });
    }
}

#[test]
fn gradcheck_distribution_targets() {
    let logits = input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9, 0.0, 0.7, -2.2, 1.1, 0.5, -0.3], &[4, 3]);
    let probs = (&logits * -0.7).softmax(1);
    let w = input(&[0.3, 1.2, 2.0], &[3]);
    for r in REDUCTIONS {
        let ce = CrossEntropyLoss::new().weight(w.clone()).label_smoothing(0.1).reduction(r);
        gradcheck("cross_entropy(probs)", &[logits.clone(), probs.clone()], |v| ce.probs(&v[0], &v[1]));
    }
    let log_q = logits.log_softmax(1);
    for r in [KlReduction::None, KlReduction::Mean, KlReduction::Sum, KlReduction::BatchMean] {
        gradcheck("kl_div", &[log_q.clone(), probs.clone()], |v| kl_div(&v[0], &v[1], r, false));
        gradcheck("kl_div(log_target)", &[log_q.clone(), probs.log()], |v| kl_div(&v[0], &v[1], r, true));
    }
}

#[test]
fn gradcheck_margin_losses() {
    let a = input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9], &[2, 3]);
    let b = input(&[1.0, -0.2, 1.1, 0.5, 0.9, -1.0], &[2, 3]);
    let signs = input(&[1.0, -1.0, 1.0, -1.0, -1.0, 1.0], &[2, 3]);
    let scores = input(&[0.3, -1.2, 0.9, 1.4, 0.8, -0.6, -0.2, 0.45, 0.1, 2.0, -0.3, 1.6], &[4, 3]);
    let labels = Tensor::from([2i64, 0, 2, 1]);
    let w = input(&[0.3, 1.2, 2.0], &[3]);
    for r in REDUCTIONS {
        // −y·(a − b) + 0.25 = [0.95, 1.25, −1.15, 0.55, 1.55, 2.15]: no kink.
        gradcheck("margin_ranking_loss", &[a.clone(), b.clone()], |v| {
            margin_ranking_loss(&v[0], &v[1], &signs, 0.25, r)
        });
        gradcheck("soft_margin_loss", std::slice::from_ref(&a), |v| soft_margin_loss(&v[0], &signs, r));
        // Distances |b| with margin 1.5: margin − x clear of 0.
        gradcheck("hinge_embedding_loss", &[b.abs()], |v| hinge_embedding_loss(&v[0], &signs, 1.5, r));
        gradcheck("cosine_embedding_loss", &[a.clone(), b.clone()], |v| {
            cosine_embedding_loss(&v[0], &v[1], &input(&[1.0, -1.0], &[2]), -0.5, r)
        });
        for p in [1, 2] {
            gradcheck("multi_margin_loss", std::slice::from_ref(&scores), |v| {
                multi_margin_loss(&v[0], &labels, p, 0.8, Some(&w), r)
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-computed values

fn value_and_grads(
    inputs: &[Tensor<f64>],
    loss: impl Fn(&[Variable<f64>]) -> Variable<f64>,
) -> (f64, Vec<Tensor<f64>>) {
    let vars: Vec<Variable<f64>> = inputs.iter().map(|t| Variable::param(t.clone())).collect();
    let out = loss(&vars);
    out.backward();
    (out.item(), vars.iter().map(|v| v.grad().unwrap()).collect())
}

#[test]
fn a_learned_target_gets_the_opposite_gradient_of_mse() {
    let (value, grads) = value_and_grads(&[Tensor::from([1.0, 2.0]), Tensor::from([0.5, 3.0])], |v| {
        mse_loss(&v[0], &v[1], Reduction::Mean)
    });
    assert_eq!(value, 0.625);
    // ∂/∂ŷ = (ŷ − y) = [0.5, −1]; ∂/∂y is its negative.
    assert_close(&grads[0], &Tensor::from([0.5, -1.0]), HAND);
    assert_close(&grads[1], &Tensor::from([-0.5, 1.0]), HAND);
}

#[test]
fn margin_ranking_hinge_embedding_and_soft_margin_by_hand() {
    // y = 1 and x₁ − x₂ = 0.2 trails the margin 0.5 by 0.3; y = −1 and x₁ − x₂ = −1 already leads
    // by more than 0.5 the right way, so it costs 0.
    let (value, grads) = value_and_grads(&[Tensor::from([1.2, 0.0]), Tensor::from([1.0, 1.0])], |v| {
        margin_ranking_loss(&v[0], &v[1], &Tensor::from([1.0, -1.0]), 0.5, Reduction::Sum)
    });
    assert!((value - 0.3).abs() < 1e-12);
    assert_close(&grads[0], &Tensor::from([-1.0, 0.0]), HAND);
    assert_close(&grads[1], &Tensor::from([1.0, 0.0]), HAND);
    // y = 1 costs the distance; y = −1 costs max(0, 2 − x): 0.5 + (2 − 0.5) + 0.
    let (value, grads) = value_and_grads(&[Tensor::from([0.5, 0.5, 3.0])], |v| {
        hinge_embedding_loss(&v[0], &Tensor::from([1.0, -1.0, -1.0]), 2.0, Reduction::Sum)
    });
    assert_eq!(value, 2.0);
    assert_close(&grads[0], &Tensor::from([1.0, -1.0, 0.0]), HAND);
    // ln(1 + e^{−y·x}) at y·x = 0 is ln 2, slope −y/2.
    let (value, grads) = value_and_grads(&[Tensor::from([0.0, 0.0])], |v| {
        soft_margin_loss(&v[0], &Tensor::from([1.0, -1.0]), Reduction::Mean)
    });
    assert!((value - 2f64.ln()).abs() < 1e-15);
    assert_close(&grads[0], &Tensor::from([-0.25, 0.25]), HAND);
}

#[test]
fn cosine_embedding_by_hand() {
    // Pair 0 points the same way (cos = 1): 1 − 1 = 0. Pair 1 is at 45° (cos = 1/√2) but should
    // differ: max(0, 1/√2 − 0.5).
    let x1 = input(&[2.0, 0.0, 1.0, 0.0], &[2, 2]);
    let x2 = input(&[3.0, 0.0, 1.0, 1.0], &[2, 2]);
    let (value, _) = value_and_grads(&[x1, x2], |v| {
        cosine_embedding_loss(&v[0], &v[1], &Tensor::from([1.0, -1.0]), 0.5, Reduction::Sum)
    });
    assert!((value - (0.5f64.sqrt() - 0.5)).abs() < 1e-9);
}

#[test]
fn multi_margin_by_hand() {
    // Scores [1, 0.5, −1], class 0, margin 1: the competitors cost max(0, 1 − 1 + 0.5) = 0.5 and
    // max(0, 1 − 1 − 1) = 0, over C = 3: 1/6. With p = 2: 0.25/3. Weight 2 for class 0 doubles it.
    let (value, grads) = value_and_grads(&[Tensor::from([[1.0, 0.5, -1.0]])], |v| {
        multi_margin_loss(&v[0], &Tensor::from([0i64]), 1, 1.0, None, Reduction::Mean)
    });
    assert!((value - 1.0 / 6.0).abs() < 1e-15);
    assert_close(&grads[0], &Tensor::from([[-1.0 / 3.0, 1.0 / 3.0, 0.0]]), HAND);
    let weight = Tensor::from([2.0, 1.0, 1.0]);
    let (value, _) = value_and_grads(&[Tensor::from([[1.0, 0.5, -1.0]])], |v| {
        multi_margin_loss(&v[0], &Tensor::from([0i64]), 2, 1.0, Some(&weight), Reduction::Mean)
    });
    assert!((value - 0.5 / 3.0).abs() < 1e-15);
}

#[test]
fn gaussian_nll_mape_and_tweedie_by_hand() {
    // σ² = 4, error 2: ½(ln 4 + 4/4) = ln 2 + ½; ∂/∂σ² = ½(1/σ² − d²/σ⁴) = ½(¼ − ¼) = 0.
    let (value, grads) = value_and_grads(&[Tensor::from([3.0]), Tensor::from([1.0]), Tensor::from([4.0])], |v| {
        gaussian_nll_loss(&v[0], &v[1], &v[2], false, 1e-6, Reduction::Mean)
    });
    assert!((value - (2f64.ln() + 0.5)).abs() < 1e-15);
    assert_close(&grads[2], &Tensor::from([0.0]), HAND);
    // A variance below eps is clamped in value, but its gradient passes through unchanged.
    let (value, grads) = value_and_grads(&[Tensor::from([0.0]), Tensor::from([0.0]), Tensor::from([0.0])], |v| {
        gaussian_nll_loss(&v[0], &v[1], &v[2], false, 0.25, Reduction::Sum)
    });
    assert!((value - 0.5 * 0.25f64.ln()).abs() < 1e-15);
    assert_close(&grads[2], &Tensor::from([2.0]), HAND);
    // |ŷ − y|/|y|: 10 % and 50 %, mean 0.3; a zero target divides by f64's epsilon.
    let (value, _) = value_and_grads(&[Tensor::from([110.0, -1.5])], |v| {
        mape_loss(&v[0], &Tensor::from([100.0, -1.0]), Reduction::Mean)
    });
    assert!((value - 0.3).abs() < 1e-15);
    let (value, _) =
        value_and_grads(&[Tensor::from([1.0])], |v| mape_loss(&v[0], &Tensor::from([0.0]), Reduction::Sum));
    assert_eq!(value, 1.0 / f64::EPSILON);
    // Tweedie at s = 0 (μ = 1), ρ = 1.5: −y/(−0.5) + 1/0.5 = 2y + 2; ∂/∂s = −y + 1.
    let (value, grads) = value_and_grads(&[Tensor::from([0.0, 0.0])], |v| {
        tweedie_loss(&v[0], &Tensor::from([0.0, 3.0]), 1.5, Reduction::Sum)
    });
    assert!((value - (2.0 + 8.0)).abs() < 1e-12);
    assert_close(&grads[0], &Tensor::from([1.0, -2.0]), HAND);
}

// ---------------------------------------------------------------------------------------------
// Refusals

fn var(data: &[f64], shape: &[usize]) -> Variable<f64> {
    Variable::param(input(data, shape))
}

#[test]
#[should_panic(expected = "mse_loss: prediction [2] and target [2, 1] differ in shape")]
fn a_variable_target_of_another_shape_is_refused() {
    mse_loss(&var(&[0.0; 2], &[2]), &var(&[0.0; 2], &[2, 1]), Reduction::Mean);
}

#[test]
#[should_panic(expected = "gaussian_nll_loss: var of shape [2] fits neither the prediction's shape [3, 2]")]
fn gaussian_nll_refuses_a_variance_that_does_not_fit() {
    gaussian_nll_loss(
        &var(&[0.0; 6], &[3, 2]),
        &input(&[0.0; 6], &[3, 2]),
        &input(&[1.0; 2], &[2]),
        false,
        1e-6,
        Reduction::Mean,
    );
}

#[test]
#[should_panic(expected = "gaussian_nll_loss: var -1 at index [1] is negative")]
fn gaussian_nll_refuses_a_negative_variance() {
    gaussian_nll_loss(
        &var(&[0.0; 2], &[2]),
        &input(&[0.0; 2], &[2]),
        &input(&[1.0, -1.0], &[2]),
        false,
        1e-6,
        Reduction::Mean,
    );
}

#[test]
#[should_panic(expected = "tweedie_loss: the variance power must lie strictly between 1 and 2, got 2")]
fn tweedie_refuses_power_two() {
    tweedie_loss(&var(&[0.0], &[1]), &input(&[1.0], &[1]), 2.0, Reduction::Mean);
}

#[test]
#[should_panic(expected = "tweedie_loss: target -1 at index [0] is negative")]
fn tweedie_refuses_negative_targets() {
    tweedie_loss(&var(&[0.0], &[1]), &input(&[-1.0], &[1]), 1.5, Reduction::Mean);
}

#[test]
#[should_panic(expected = "multi_margin_loss: p must be 1 or 2, got 3")]
fn multi_margin_refuses_p_3() {
    multi_margin_loss(&var(&[0.0; 3], &[1, 3]), &Tensor::from([0i64]), 3, 1.0, None, Reduction::Mean);
}

#[test]
#[should_panic(expected = "multi_margin_loss: target 3 at index [0] is out of range for 3 classes")]
fn multi_margin_refuses_a_class_out_of_range() {
    multi_margin_loss(&var(&[0.0; 3], &[1, 3]), &Tensor::from([3i64]), 1, 1.0, None, Reduction::Mean);
}

#[test]
#[should_panic(expected = "margin_ranking_loss: label 0 at index [1] is not −1 or +1")]
fn margin_ranking_refuses_zero_labels() {
    margin_ranking_loss(&var(&[0.0; 2], &[2]), &var(&[0.0; 2], &[2]), &input(&[1.0, 0.0], &[2]), 0.0, Reduction::Mean);
}

#[test]
#[should_panic(
    expected = "cosine_embedding_loss: embeddings of shape [2, 3] need one label per pair, shape [2]; got [3]"
)]
fn cosine_embedding_needs_one_label_per_pair() {
    cosine_embedding_loss(
        &var(&[1.0; 6], &[2, 3]),
        &var(&[1.0; 6], &[2, 3]),
        &input(&[1.0; 3], &[3]),
        0.0,
        Reduction::Mean,
    );
}

#[test]
#[should_panic(expected = "hinge_embedding_loss: target 0 at index [0] is not −1 or +1")]
fn hinge_embedding_refuses_zero_labels() {
    hinge_embedding_loss(&var(&[0.0; 2], &[2]), &input(&[0.0, 1.0], &[2]), 1.0, Reduction::Mean);
}
