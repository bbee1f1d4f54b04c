//! The loss functions: hand-computed cases for every loss and reduction, the course's exact
//! fixtures (INVENTORY.md section 3, #16-#18), PyTorch's values and gradients
//! (`fixtures/losses.json`, written by `fixtures/make_loss_fixtures.py`), gradient checks,
//! extreme logits, and the error messages.

use kindling_autograd::{gradcheck, Variable};
use kindling_nn::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, contrastive_loss, cosine_embedding_loss, cross_entropy,
    gaussian_nll_loss, hinge_embedding_loss, hinge_loss, huber_loss, kl_div, l1_loss, log_cosh_loss, mape_loss,
    margin_ranking_loss, mse_loss, multi_margin_loss, multilabel_soft_margin_loss, nll_loss, poisson_nll_loss,
    quantile_loss, sigmoid_focal_loss, smooth_l1_loss, soft_margin_loss, softmax_focal_loss, squared_hinge_loss,
    triplet_margin_loss, tweedie_loss, CrossEntropyLoss, KlReduction, Reduction,
};
use kindling_tensor::{assert_close, Tensor, Tolerance};
use serde_json::Value;

/// Hand-derived values: f64 arithmetic in a different order than the loss, a few ulps apart.
const HAND: Tolerance = Tolerance { atol: 1e-12, rtol: 1e-12 };
/// The course's derived values are printed to 10 decimals (INVENTORY.md section 3).
const COURSE: Tolerance = Tolerance { atol: 1e-9, rtol: 0.0 };
/// PyTorch's float64 results: the same formulas evaluated in another order (they agree to
/// about 1e-14).
const TORCH: Tolerance = Tolerance::STRICT;
/// f32 results at extreme logits, against their exact values.
const F32: Tolerance = Tolerance::DEFAULT;

const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

fn ln(x: f64) -> f64 {
    x.ln()
}

/// The loss and the gradient of its prediction. A scalar loss is backpropagated from 1, an
/// unreduced one from ones (so the gradient is that of its sum).
fn run<T: kindling_tensor::Float>(
    prediction: Tensor<T>,
    loss: impl Fn(&Variable<T>) -> Variable<T>,
) -> (Tensor<T>, Tensor<T>) {
    let x = Variable::param(prediction);
    let out = loss(&x);
    out.backward_with(&Tensor::ones(out.shape()));
    (out.value(), x.grad().expect("the prediction gets a gradient"))
}

/// Checks one loss under all three reductions against its per-element values and the
/// per-element gradient of their sum.
fn check_reductions(
    prediction: &Tensor<f64>,
    loss: impl Fn(&Variable<f64>, Reduction) -> Variable<f64>,
    per_element: &Tensor<f64>,
    grad_of_sum: &Tensor<f64>,
) {
    let n = per_element.numel() as f64;
    for reduction in REDUCTIONS {
        let (value, grad) = run(prediction.clone(), |x| loss(x, reduction));
        match reduction {
            Reduction::None => {
                assert_close(&value, per_element, HAND);
                assert_close(&grad, grad_of_sum, HAND);
            }
            Reduction::Sum => {
                assert_close(&value, &Tensor::scalar(per_element.sum_all()), HAND);
                assert_close(&grad, grad_of_sum, HAND);
            }
            Reduction::Mean => {
                assert_close(&value, &Tensor::scalar(per_element.sum_all() / n), HAND);
                assert_close(&grad, &(grad_of_sum / n), HAND);
            }
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

// ---------------------------------------------------------------------------------------------
// Hand-computed cases

#[test]
fn mse_squares_the_errors() {
    // d = ŷ − y = [0.5, −1, 0]: d² = [0.25, 1, 0], ∂/∂ŷ = 2d = [1, −2, 0].
    check_reductions(
        &Tensor::from([1.5, 1.0, -1.0]),
        |x, r| mse_loss(x, &Tensor::from([1.0, 2.0, -1.0]), r),
        &Tensor::from([0.25, 1.0, 0.0]),
        &Tensor::from([1.0, -2.0, 0.0]),
    );
}

#[test]
fn l1_takes_absolute_errors_with_zero_slope_at_a_tie() {
    // d = [0.5, −1, 0]: |d| = [0.5, 1, 0], ∂/∂ŷ = sign d = [1, −1, 0].
    check_reductions(
        &Tensor::from([1.5, 1.0, -1.0]),
        |x, r| l1_loss(x, &Tensor::from([1.0, 2.0, -1.0]), r),
        &Tensor::from([0.5, 1.0, 0.0]),
        &Tensor::from([1.0, -1.0, 0.0]),
    );
}

#[test]
fn huber_is_quadratic_inside_delta_and_linear_outside() {
    let y = Tensor::from([0.0, 0.0, 0.0]);
    let x = Tensor::from([0.5, -3.0, 2.0]);
    // δ = 1: ½·0.5² = 0.125; 1·(3 − ½) = 2.5; 1·(2 − ½) = 1.5. Slopes: d clipped to [−1, 1].
    check_reductions(
        &x,
        |x, r| huber_loss(x, &y, 1.0, r),
        &Tensor::from([0.125, 2.5, 1.5]),
        &Tensor::from([0.5, -1.0, 1.0]),
    );
    // δ = 2: 0.125; 2·(3 − 1) = 4; |2| is not < 2, so 2·(2 − 1) = 2 (both pieces agree there).
    check_reductions(
        &x,
        |x, r| huber_loss(x, &y, 2.0, r),
        &Tensor::from([0.125, 4.0, 2.0]),
        &Tensor::from([0.5, -2.0, 2.0]),
    );
}

#[test]
fn smooth_l1_is_huber_divided_by_beta() {
    let y = Tensor::from([0.0, 0.0, 0.0]);
    let x = Tensor::from([0.5, -3.0, 2.0]);
    // β = 2: ½·0.25/2 = 0.0625; 3 − 1 = 2; 2 − 1 = 1 — half of Huber with δ = 2 above.
    check_reductions(
        &x,
        |x, r| smooth_l1_loss(x, &y, 2.0, r),
        &Tensor::from([0.0625, 2.0, 1.0]),
        &Tensor::from([0.25, -1.0, 1.0]),
    );
    // β = 0 is L1.
    check_reductions(
        &x,
        |x, r| smooth_l1_loss(x, &y, 0.0, r),
        &Tensor::from([0.5, 3.0, 2.0]),
        &Tensor::from([1.0, -1.0, 1.0]),
    );
}

#[test]
fn log_cosh_has_tanh_for_gradient() {
    // cosh(ln 2) = (2 + ½)/2 = 5/4, tanh(ln 2) = (2 − ½)/(2 + ½) = 0.6;
    // cosh(−ln 3) = (3 + ⅓)/2 = 5/3, tanh(−ln 3) = −(3 − ⅓)/(3 + ⅓) = −0.8; cosh 0 = 1, tanh 0 = 0.
    check_reductions(
        &Tensor::from([ln(2.0) + 1.0, 1.0 - ln(3.0), 1.0]),
        |x, r| log_cosh_loss(x, &Tensor::from([1.0, 1.0, 1.0]), r),
        &Tensor::from([ln(1.25), ln(5.0 / 3.0), 0.0]),
        &Tensor::from([0.6, -0.8, 0.0]),
    );
}

#[test]
fn quantile_charges_q_below_and_one_minus_q_above() {
    // q = 0.25, e = y − ŷ = [2, −1, 0.5]: max(qe, (q − 1)e) = [0.5, 0.75, 0.125];
    // ∂/∂ŷ = −q where e > 0, 1 − q where e < 0.
    check_reductions(
        &Tensor::from([1.0, 2.0, 1.5]),
        |x, r| quantile_loss(x, &Tensor::from([3.0, 1.0, 2.0]), 0.25, r),
        &Tensor::from([0.5, 0.75, 0.125]),
        &Tensor::from([-0.25, 0.75, -0.25]),
    );
    // q = 0.5 is half the absolute error.
    let (value, _) =
        run(Tensor::from([1.0, 2.0, 1.5]), |x| quantile_loss(x, &Tensor::from([3.0, 1.0, 2.0]), 0.5, Reduction::Sum));
    assert_close(&value, &Tensor::scalar(0.5 * 3.5), HAND);
}

#[test]
fn poisson_nll_with_log_rates_and_with_rates() {
    let y = Tensor::from([1.0, 3.0]);
    // ln λ = [0, ln 2]: e^0 − 1·0 = 1, 2 − 3 ln 2; ∂/∂ŷ = e^ŷ − y = [0, −1].
    check_reductions(
        &Tensor::from([0.0, ln(2.0)]),
        |x, r| poisson_nll_loss(x, &y, true, false, 1e-8, r),
        &Tensor::from([1.0, 2.0 - 3.0 * ln(2.0)]),
        &Tensor::from([0.0, -1.0]),
    );
    // full adds Stirling's ln y! ≈ y ln y − y + ½ ln(2πy) for y > 1 only.
    let stirling = 3.0 * ln(3.0) - 3.0 + 0.5 * ln(6.0 * std::f64::consts::PI);
    check_reductions(
        &Tensor::from([0.0, ln(2.0)]),
        |x, r| poisson_nll_loss(x, &y, true, true, 1e-8, r),
        &Tensor::from([1.0, 2.0 - 3.0 * ln(2.0) + stirling]),
        &Tensor::from([0.0, -1.0]),
    );
    // λ itself (eps = 0): λ − y ln λ = [1, 2 − 3 ln 2]; ∂/∂λ = 1 − y/λ = [0, −0.5].
    check_reductions(
        &Tensor::from([1.0, 2.0]),
        |x, r| poisson_nll_loss(x, &y, false, false, 0.0, r),
        &Tensor::from([1.0, 2.0 - 3.0 * ln(2.0)]),
        &Tensor::from([0.0, -0.5]),
    );
}

#[test]
fn binary_cross_entropy_on_probabilities() {
    // −ln 0.5 = ln 2; −ln(1 − 0.8) = ln 5; −ln(1 − 0.1) = ln(10/9).
    // ∂/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)): −0.5/0.25 = −2; 0.8/0.16 = 5; 0.1/0.09 = 10/9.
    let p = Tensor::from([0.5, 0.8, 0.1]);
    let y = Tensor::from([1.0, 0.0, 0.0]);
    check_reductions(
        &p,
        |x, r| binary_cross_entropy(x, &y, None, r),
        &Tensor::from([ln(2.0), ln(5.0), ln(10.0 / 9.0)]),
        &Tensor::from([-2.0, 5.0, 10.0 / 9.0]),
    );
    // A weight multiplies both.
    let w = Tensor::from([2.0, 1.0, 3.0]);
    check_reductions(
        &p,
        |x, r| binary_cross_entropy(x, &y, Some(&w), r),
        &Tensor::from([2.0 * ln(2.0), ln(5.0), 3.0 * ln(10.0 / 9.0)]),
        &Tensor::from([-4.0, 5.0, 10.0 / 3.0]),
    );
}

#[test]
fn binary_cross_entropy_clamps_its_logarithms_at_minus_100() {
    // ŷ = 0 with y = 1 costs 100 (not ∞); its gradient is PyTorch's −1/ε with ε its f32 1e-12
    // (9.999999960041972e-13 in f64); certain and right costs 0 with gradient 0.
    let (value, grad) = run(Tensor::from([0.0, 1.0, 0.0, 1.0]), |x| {
        binary_cross_entropy(x, &Tensor::from([1.0, 0.0, 0.0, 1.0]), None, Reduction::None)
    });
    assert_close(&value, &Tensor::from([100.0, 100.0, 0.0, 0.0]), HAND);
    let eps = 1e-12f32 as f64;
    assert_eq!(eps, 9.999999960041972e-13);
    assert_close(&grad, &Tensor::from([-1.0 / eps, 1.0 / eps, 0.0, 0.0]), HAND);
}

#[test]
fn binary_cross_entropy_with_logits_and_pos_weight() {
    // σ(0) = ½ → ln 2; σ(ln 3) = ¾ with y = 0 → −ln ¼ = ln 4; σ(−ln 3) = ¼ with y = 1 → ln 4.
    // ∂/∂z = σ(z) − y = [−0.5, 0.75, −0.75].
    let z = Tensor::from([0.0, ln(3.0), -ln(3.0)]);
    let y = Tensor::from([1.0, 0.0, 1.0]);
    check_reductions(
        &z,
        |x, r| binary_cross_entropy_with_logits(x, &y, None, None, r),
        &Tensor::from([ln(2.0), ln(4.0), ln(4.0)]),
        &Tensor::from([-0.5, 0.75, -0.75]),
    );
    // pos_weight 2 doubles the positive terms and their gradients: p·(σ − 1) for y = 1.
    let pos = Tensor::from([2.0]);
    check_reductions(
        &z,
        |x, r| binary_cross_entropy_with_logits(x, &y, None, Some(&pos), r),
        &Tensor::from([2.0 * ln(2.0), ln(4.0), 2.0 * ln(4.0)]),
        &Tensor::from([-1.0, 0.75, -1.5]),
    );
    // weight multiplies everything.
    let w = Tensor::from([3.0, 0.5, 1.0]);
    check_reductions(
        &z,
        |x, r| binary_cross_entropy_with_logits(x, &y, Some(&w), None, r),
        &Tensor::from([3.0 * ln(2.0), 0.5 * ln(4.0), ln(4.0)]),
        &Tensor::from([-1.5, 0.375, -0.75]),
    );
}

#[test]
fn logits_and_probabilities_give_the_same_binary_cross_entropy() {
    let z = Tensor::from([[-2.5, 0.3], [1.7, 4.0]]);
    let y = Tensor::from([[0.0, 1.0], [0.3, 1.0]]);
    let (a, ga) = run(z.clone(), |x| binary_cross_entropy_with_logits(x, &y, None, None, Reduction::Mean));
    let (b, gb) = run(z, |x| binary_cross_entropy(&x.sigmoid(), &y, None, Reduction::Mean));
    assert_close(&a, &b, HAND);
    assert_close(&ga, &gb, HAND);
}

#[test]
fn hinge_and_squared_hinge() {
    // 1 − y·ŷ = [0.5, −1, 4, 0.8] → max(0, ·) = [0.5, 0, 4, 0.8]; ∂/∂ŷ = −y where positive.
    let x = Tensor::from([0.5, -2.0, 3.0, 0.2]);
    let y = Tensor::from([1.0, -1.0, -1.0, 1.0]);
    check_reductions(
        &x,
        |x, r| hinge_loss(x, &y, r),
        &Tensor::from([0.5, 0.0, 4.0, 0.8]),
        &Tensor::from([-1.0, 0.0, 1.0, -1.0]),
    );
    // Squared: [0.25, 0, 16, 0.64]; ∂/∂ŷ = −2y·max(0, 1 − yŷ) = [−1, 0, 8, −1.6].
    check_reductions(
        &x,
        |x, r| squared_hinge_loss(x, &y, r),
        &Tensor::from([0.25, 0.0, 16.0, 0.64]),
        &Tensor::from([-1.0, 0.0, 8.0, -1.6]),
    );
}

#[test]
fn sigmoid_focal_loss_by_hand() {
    // z = 0, y = 1: p = pₜ = ½, BCE = ln 2, αₜ = ¼: ℓ = ¼·¼·ln 2. With L = α(1 − p)²·(−ln p),
    // ∂L/∂z = α(1 − p)²·(−2p·BCE − (1 − p)) = −(ln 2 + ½)/16.
    // z = ln 3, y = 0: p = ¾, 1 − pₜ = ¾, BCE = ln 4, αₜ = ¾: ℓ = ¾·(9/16)·ln 4 = (27/64)·ln 4;
    // L = (1 − α)p²·softplus(z), ∂L/∂z = (1 − α)p²·(2(1 − p)·BCE + p) = (27/64)(ln 2 + ¾).
    check_reductions(
        &Tensor::from([0.0, ln(3.0)]),
        |x, r| sigmoid_focal_loss(x, &Tensor::from([1.0, 0.0]), 0.25, 2.0, r),
        &Tensor::from([ln(2.0) / 16.0, 27.0 / 64.0 * ln(4.0)]),
        &Tensor::from([-(ln(2.0) + 0.5) / 16.0, 27.0 / 64.0 * (ln(2.0) + 0.75)]),
    );
    // γ = 0 and no α: plain BCE with logits.
    let z = Tensor::from([0.4, -1.3, 2.2]);
    let y = Tensor::from([1.0, 0.0, 0.6]);
    let (a, ga) = run(z.clone(), |x| sigmoid_focal_loss(x, &y, -1.0, 0.0, Reduction::Sum));
    let (b, gb) = run(z, |x| binary_cross_entropy_with_logits(x, &y, None, None, Reduction::Sum));
    assert_close(&a, &b, HAND);
    assert_close(&ga, &gb, HAND);
}

/// Logits [[0, 0], [ln 3, 0]]: softmax rows [½, ½] and [¾, ¼].
fn two_by_two() -> Tensor<f64> {
    Tensor::from([[0.0, 0.0], [ln(3.0), 0.0]])
}

#[test]
fn cross_entropy_by_hand_with_every_reduction() {
    // Targets [0, 1]: −ln ½ = ln 2, −ln ¼ = ln 4. ∂/∂z = softmax − one_hot per row.
    let (logits, targets) = (two_by_two(), Tensor::from([0i64, 1]));
    let per_sample = Tensor::from([ln(2.0), ln(4.0)]);
    for reduction in REDUCTIONS {
        let (value, grad) = run(logits.clone(), |x| CrossEntropyLoss::new().reduction(reduction).indices(x, &targets));
        let (expected, scale) = match reduction {
            Reduction::None => (per_sample.clone(), 1.0),
            Reduction::Sum => (Tensor::scalar(ln(8.0)), 1.0),
            Reduction::Mean => (Tensor::scalar(ln(8.0) / 2.0), 0.5),
        };
        assert_close(&value, &expected, HAND);
        assert_close(&grad, &(&Tensor::from([[-0.5, 0.5], [0.75, -0.75]]) * scale), HAND);
    }
    // The shortcut is the mean.
    let (value, _) = run(logits, |x| cross_entropy(x, &targets));
    assert_close(&value, &Tensor::scalar(ln(8.0) / 2.0), HAND);
}

#[test]
fn weighted_cross_entropy_divides_the_mean_by_the_weights_of_the_targets() {
    // w = [1, 3]: per sample [1·ln 2, 3·ln 4]; sum 7 ln 2; mean 7 ln 2 / (w₀ + w₁) = 7 ln 2 / 4.
    let ce = |r| CrossEntropyLoss::new().weight(Tensor::from([1.0, 3.0])).reduction(r);
    let targets = Tensor::from([0i64, 1]);
    let (none, _) = run(two_by_two(), |x| ce(Reduction::None).indices(x, &targets));
    assert_close(&none, &Tensor::from([ln(2.0), 3.0 * ln(4.0)]), HAND);
    let (sum, _) = run(two_by_two(), |x| ce(Reduction::Sum).indices(x, &targets));
    assert_close(&sum, &Tensor::scalar(7.0 * ln(2.0)), HAND);
    let (mean, grad) = run(two_by_two(), |x| ce(Reduction::Mean).indices(x, &targets));
    assert_close(&mean, &Tensor::scalar(7.0 * ln(2.0) / 4.0), HAND);
    // Row i's gradient is wᵢ(softmax − one_hot)/Σw.
    assert_close(&grad, &Tensor::from([[-0.125, 0.125], [0.5625, -0.5625]]), HAND);
}

#[test]
fn ignored_targets_contribute_nothing_and_do_not_count() {
    // Sample 1 is ignored: none [ln 2, 0], sum ln 2, mean ln 2 / 1; its gradient row is 0.
    let targets = Tensor::from([0i64, -100]);
    let ce = |r| CrossEntropyLoss::new().ignore_index(-100).reduction(r);
    let (none, _) = run(two_by_two(), |x| ce(Reduction::None).indices(x, &targets));
    assert_close(&none, &Tensor::from([ln(2.0), 0.0]), HAND);
    let (sum, _) = run(two_by_two(), |x| ce(Reduction::Sum).indices(x, &targets));
    assert_close(&sum, &Tensor::scalar(ln(2.0)), HAND);
    let (mean, grad) = run(two_by_two(), |x| ce(Reduction::Mean).indices(x, &targets));
    assert_close(&mean, &Tensor::scalar(ln(2.0)), HAND);
    assert_close(&grad, &Tensor::from([[-0.5, 0.5], [0.0, 0.0]]), HAND);
    // Everything ignored: the mean is 0/0, NaN, as in PyTorch.
    let (all, _) = run(two_by_two(), |x| ce(Reduction::Mean).indices(x, &Tensor::from([-100i64, -100])));
    assert!(all.item().is_nan());
}

#[test]
fn label_smoothing_mixes_in_the_uniform_target() {
    // ε = ½, C = 2: loss = ½·nll + ¼·Σ_c(−ℓ_c).
    // Row 0: ℓ = [−ln 2, −ln 2], nll = ln 2, Σ = 2 ln 2 → ln 2.
    // Row 1: ℓ = [ln ¾, ln ¼], target 1: nll = ln 4, Σ = ln(16/3) → ½ ln 4 + ¼ ln(16/3) = 2 ln 2 − ¼ ln 3.
    let targets = Tensor::from([0i64, 1]);
    let (none, _) = run(two_by_two(), |x| {
        CrossEntropyLoss::new().label_smoothing(0.5).reduction(Reduction::None).indices(x, &targets)
    });
    assert_close(&none, &Tensor::from([ln(2.0), 2.0 * ln(2.0) - 0.25 * ln(3.0)]), HAND);
    // The same as probability targets [¾, ¼] and [¼, ¾], which smoothing produces.
    let smoothed = Tensor::from([[0.75, 0.25], [0.25, 0.75]]);
    let (a, ga) = run(two_by_two(), |x| {
        CrossEntropyLoss::new().label_smoothing(0.5).reduction(Reduction::Sum).indices(x, &targets)
    });
    let (b, gb) = run(two_by_two(), |x| CrossEntropyLoss::new().reduction(Reduction::Sum).probs(x, &smoothed));
    assert_close(&a, &b, HAND);
    assert_close(&ga, &gb, HAND);
}

#[test]
fn cross_entropy_with_probability_targets_averages_over_samples() {
    // Row 0: target [½, ½] → ln 2. Row 1: target [¼, ¾] → −(¼ ln ¾ + ¾ ln ¼) = ln 4 − ¼ ln 3.
    let y = Tensor::from([[0.5, 0.5], [0.25, 0.75]]);
    let per_sample = Tensor::from([ln(2.0), ln(4.0) - 0.25 * ln(3.0)]);
    for reduction in REDUCTIONS {
        let (value, grad) = run(two_by_two(), |x| CrossEntropyLoss::new().reduction(reduction).probs(x, &y));
        let (expected, scale) = match reduction {
            Reduction::None => (per_sample.clone(), 1.0),
            Reduction::Sum => (Tensor::scalar(per_sample.sum_all()), 1.0),
            Reduction::Mean => (Tensor::scalar(per_sample.sum_all() / 2.0), 0.5),
        };
        assert_close(&value, &expected, HAND);
        // ∂/∂z = softmax − y per row.
        assert_close(&grad, &(&Tensor::from([[0.0, 0.0], [0.5, -0.5]]) * scale), HAND);
    }
    // With weights the mean still divides by the number of samples: w = [2, 2] doubles it.
    let (mean, _) = run(two_by_two(), |x| CrossEntropyLoss::new().weight(Tensor::from([2.0, 2.0])).probs(x, &y));
    assert_close(&mean, &Tensor::scalar(per_sample.sum_all()), HAND);
}

#[test]
fn nll_loss_on_log_probabilities() {
    let log_probs = Tensor::from([[ln(0.5), ln(0.5)], [ln(0.75), ln(0.25)]]);
    let targets = Tensor::from([0i64, 1]);
    // −ℓ at the target: [ln 2, ln 4]; ∂/∂ℓ = −one_hot (divided by N for the mean).
    for reduction in REDUCTIONS {
        let (value, grad) = run(log_probs.clone(), |x| nll_loss(x, &targets, None, None, reduction));
        let (expected, scale) = match reduction {
            Reduction::None => (Tensor::from([ln(2.0), ln(4.0)]), 1.0),
            Reduction::Sum => (Tensor::scalar(ln(8.0)), 1.0),
            Reduction::Mean => (Tensor::scalar(ln(8.0) / 2.0), 0.5),
        };
        assert_close(&value, &expected, HAND);
        assert_close(&grad, &(&Tensor::from([[-1.0, 0.0], [0.0, -1.0]]) * scale), HAND);
    }
    // log_softmax then nll_loss is cross_entropy.
    let (a, ga) = run(two_by_two(), |x| nll_loss(&x.log_softmax(1), &targets, None, None, Reduction::Mean));
    let (b, gb) = run(two_by_two(), |x| cross_entropy(x, &targets));
    assert_close(&a, &b, HAND);
    assert_close(&ga, &gb, HAND);
}

#[test]
fn kl_divergence_with_every_reduction() {
    // ln q = ln ½ everywhere. Row 0, p = [¼, ¾]: ¼ ln ½ + ¾ ln(3/2). Row 1, p = [1, 0]: ln 2 + 0
    // (0·ln 0 counts as 0). ∂/∂ln q = −p.
    let input = Tensor::from([[ln(0.5), ln(0.5)], [ln(0.5), ln(0.5)]]);
    let p = Tensor::from([[0.25, 0.75], [1.0, 0.0]]);
    let per_element = Tensor::from([[0.25 * ln(0.5), 0.75 * ln(1.5)], [ln(2.0), 0.0]]);
    let total = per_element.sum_all();
    for (reduction, expected, divisor) in [
        (KlReduction::None, per_element.clone(), 1.0),
        (KlReduction::Sum, Tensor::scalar(total), 1.0),
        (KlReduction::Mean, Tensor::scalar(total / 4.0), 4.0),
        (KlReduction::BatchMean, Tensor::scalar(total / 2.0), 2.0),
    ] {
        let (value, grad) = run(input.clone(), |x| kl_div(x, &p, reduction, false));
        assert_close(&value, &expected, HAND);
        assert_close(&grad, &(&(-&p) / divisor), HAND);
    }
    assert_eq!(KlReduction::default(), KlReduction::BatchMean);
    // A target given as log-probabilities gives the same (for targets without zeros).
    let p = Tensor::from([[0.25, 0.75], [0.4, 0.6]]);
    let (a, ga) = run(input.clone(), |x| kl_div(x, &p, KlReduction::BatchMean, false));
    let (b, gb) = run(input, |x| kl_div(x, &p.log(), KlReduction::BatchMean, true));
    assert_close(&a, &b, HAND);
    assert_close(&ga, &gb, HAND);
}

#[test]
fn cross_entropy_handles_per_position_classes_and_unbatched_samples() {
    // [N = 1, C = 2, d = 2]: position 0 has logits [0, 0] (class 0), position 1 [ln 3, 0]
    // (class 1): the two rows of `two_by_two` laid along the last axis.
    let logits = Tensor::from([[[0.0, ln(3.0)], [0.0, 0.0]]]);
    let targets = Tensor::from([[0i64, 1]]);
    let (value, grad) = run(logits, |x| CrossEntropyLoss::new().reduction(Reduction::None).indices(x, &targets));
    assert_close(&value, &Tensor::from([[ln(2.0), ln(4.0)]]), HAND);
    assert_close(&grad, &Tensor::from([[[-0.5, 0.75], [0.5, -0.75]]]), HAND);
    // One sample without a batch axis: logits [C], target [].
    let (value, grad) = run(Tensor::from([ln(3.0), 0.0]), |x| {
        CrossEntropyLoss::new().reduction(Reduction::None).indices(x, &Tensor::scalar(1i64))
    });
    assert_eq!(value.shape(), &[] as &[usize]);
    assert_close(&value, &Tensor::scalar(ln(4.0)), HAND);
    assert_close(&grad, &Tensor::from([0.75, -0.75]), HAND);
}

#[test]
fn softmax_focal_loss_by_hand() {
    // γ = 2. Row 0: pₜ = ½, ℓ = −(½)²·ln ½ = ¼ ln 2. Row 1: pₜ = ¼, ℓ = (¾)²·ln 4 = (9/16) ln 4.
    // dℓ/dpₜ = γ(1 − pₜ)^(γ−1)·ln pₜ − (1 − pₜ)^γ/pₜ = −(ln 2 + ½) and −(3 ln 2 + 9/4), and
    // ∂pₜ/∂z = pₜ(one_hot − softmax) = [¼, −¼] and [−3/16, 3/16]; the gradient is their product.
    let targets = Tensor::from([0i64, 1]);
    let (a, b) = (ln(2.0) + 0.5, 3.0 * ln(2.0) + 2.25);
    check_reductions(
        &two_by_two(),
        |x, r| softmax_focal_loss(x, &targets, None, 2.0, r),
        &Tensor::from([0.25 * ln(2.0), 9.0 / 16.0 * ln(4.0)]),
        &Tensor::from([[-a / 4.0, a / 4.0], [b * 3.0 / 16.0, -b * 3.0 / 16.0]]),
    );
    // γ = 0 without α is cross-entropy.
    let (f, gf) = run(two_by_two(), |x| softmax_focal_loss(x, &targets, None, 0.0, Reduction::Mean));
    let (c, gc) = run(two_by_two(), |x| cross_entropy(x, &targets));
    assert_close(&f, &c, HAND);
    assert_close(&gf, &gc, HAND);
}

/// ‖x − y + 10⁻⁶‖₂, the distance PyTorch's triplet loss uses.
fn distance(x: [f64; 2], y: [f64; 2]) -> f64 {
    x.iter().zip(y).map(|(a, b)| (a - b + 1e-6).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn triplet_margin_loss_by_hand() {
    // Triplet 0: d(a, p) ≈ 5, d(a, n) ≈ 1, margin 1 → 5 − 1 + 1 = 5, and ∂/∂a =
    // (a − p + ε)/d(a, p) − (a − n + ε)/d(a, n) ≈ [−0.6, 0.2]. Triplet 1 swaps p and n: 1 − 5 + 1
    // is negative → 0, no gradient.
    let (o, far, near) = ([0.0, 0.0], [3.0, 4.0], [0.0, 1.0]);
    let anchor = Tensor::from([o, o]);
    let positive = Variable::constant(Tensor::from([far, near]));
    let negative = Variable::constant(Tensor::from([near, far]));
    let (d_ap, d_an) = (distance(o, far), distance(o, near));
    let slope = |i: usize| (o[i] - far[i] + 1e-6) / d_ap - (o[i] - near[i] + 1e-6) / d_an;
    check_reductions(
        &anchor,
        |x, r| triplet_margin_loss(x, &positive, &negative, 1.0, r),
        &Tensor::from([d_ap - d_an + 1.0, 0.0]),
        &Tensor::from([[slope(0), slope(1)], [0.0, 0.0]]),
    );
    assert!((slope(0) + 0.6).abs() < 1e-5 && (slope(1) - 0.2).abs() < 1e-5);
}

#[test]
fn contrastive_loss_by_hand() {
    // Pairs at distance ≈ 5. Similar: ½d² ≈ 12.5, ∂/∂x₁ = x₁ − x₂ + ε. Different with margin 6:
    // ½(6 − d)² ≈ ½, ∂/∂x₁ = −(6 − d)·(x₁ − x₂ + ε)/d ≈ −[−0.6, −0.8]. Different with margin 4
    // would be 0 (already far enough).
    let (o, far) = ([0.0, 0.0], [3.0, 4.0]);
    let d = distance(o, far);
    let diff = [-3.0 + 1e-6, -4.0 + 1e-6];
    let x2 = Variable::constant(Tensor::from([far, far]));
    let similar = Tensor::from([1.0, 0.0]);
    check_reductions(
        &Tensor::from([o, o]),
        |x, r| contrastive_loss(x, &x2, &similar, 6.0, r),
        &Tensor::from([0.5 * d * d, 0.5 * (6.0 - d).powi(2)]),
        &Tensor::from([diff, diff.map(|v| -(6.0 - d) * v / d)]),
    );
    let (value, _) = run(Tensor::from([o]), |x| {
        contrastive_loss(x, &Variable::constant(Tensor::from([far])), &Tensor::from([0.0]), 4.0, Reduction::Sum)
    });
    assert_eq!(value.item(), 0.0);
}

#[test]
fn losses_work_in_f32() {
    let x = Variable::param(Tensor::from([[2.0f32, 1.0, 0.1]]));
    let loss = cross_entropy(&x, &Tensor::from([1i64]));
    loss.backward();
    assert_close(&loss.value(), &Tensor::scalar(1.4170300163f64 as f32), F32);
    let m = mse_loss(&Variable::param(Tensor::from([1.5f32, 1.0])), &Tensor::from([1.0f32, 2.0]), Reduction::Mean);
    assert_eq!(m.item(), 0.625f32);
}

// ---------------------------------------------------------------------------------------------
// The course's fixtures (INVENTORY.md section 3)

#[test]
fn fixture_16_bce_with_logits_on_one_logit() {
    // z = w·x with x = 0.7 and w chosen so that z = 0.2, y = 1.
    let x = Variable::constant(Tensor::scalar(0.7));
    let w = Variable::param(Tensor::scalar(0.2 / 0.7));
    let z = &w * &x;
    z.retain_grad();
    let loss = binary_cross_entropy_with_logits(&z, &Tensor::scalar(1.0), None, None, Reduction::Mean);
    loss.backward();
    assert!(COURSE.accepts(sigmoid(0.2), 0.5498339973));
    // L = −ln σ(0.2)
    assert!(HAND.accepts(loss.item(), -sigmoid(0.2).ln()));
    // ∂L/∂z = σ(z) − y, and ∂L/∂w = x·∂L/∂z.
    assert!(COURSE.accepts(z.grad().unwrap().item(), -0.4501660027));
    assert!(COURSE.accepts(w.grad().unwrap().item(), -0.3151162019));
    // The seed's printed figures: ŷ ≈ 0.55, ∂L/∂z = ŷ − y ≈ −0.45.
    assert!(Tolerance::PRINTED.accepts(z.grad().unwrap().item(), -0.45));
}

#[test]
fn fixture_17_cross_entropy_of_one_sample() {
    // y_true = index 1 (0-based), z = [2.0, 1.0, 0.1]: −ln softmax(z)₁ = −ln 0.2424329707.
    let (value, _) = run(Tensor::from([[2.0, 1.0, 0.1]]), |x| cross_entropy(x, &Tensor::from([1i64])));
    assert!(COURSE.accepts(value.item(), 1.4170300163));
    let (value, grad) = run(Tensor::from([2.0, 1.0, 0.1]), |x| cross_entropy(x, &Tensor::scalar(1i64)));
    assert!(COURSE.accepts(value.item(), 1.4170300163));
    assert_close(&grad, &Tensor::from([0.6590011389, 0.2424329707 - 1.0, 0.0985658904]), COURSE);
}

#[test]
fn fixture_18_batched_cross_entropy_and_its_gradient() {
    // Mean reduction: the gradient is (softmax − one_hot)/N with N = 2.
    let (value, grad) = run(Tensor::from([[0.2, -1.0], [1.5, 0.3]]), |x| cross_entropy(x, &Tensor::from([0i64, 1])));
    assert!(COURSE.accepts(value.item(), 0.8632824673));
    let expected = Tensor::from([[-0.1157376083, 0.1157376083], [0.3842623917, -0.3842623917]]);
    assert_close(&grad, &expected, COURSE);
}

// ---------------------------------------------------------------------------------------------
// PyTorch reference values

fn floats(v: &Value) -> Tensor<f64> {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = v["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    Tensor::from_vec(data, shape)
}

fn integers(v: &Value) -> Tensor<i64> {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<i64> = v["data"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
    Tensor::from_vec(data, shape)
}

/// The weights the generator backpropagates through an unreduced loss: 0.25 + 0.5·(i mod 5).
fn upstream(shape: &[usize]) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| 0.25 + 0.5 * (i % 5) as f64).collect(), shape)
}

fn reduction_of(name: &str) -> Reduction {
    match name {
        "none" => Reduction::None,
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        other => panic!("unknown reduction {other}"),
    }
}

/// The roles a fixture case may give a float input, besides the prediction.
const FLOAT_ROLES: [&str; 6] = ["weight", "pos_weight", "var", "x2", "positive", "negative"];

/// A case's inputs with our types: each float input as a [`Variable`], a leaf that gets a
/// gradient where the case records one (`input_grads`), a constant otherwise.
struct CaseInputs {
    vars: std::collections::BTreeMap<String, Variable<f64>>,
}

impl CaseInputs {
    fn new(case: &Value, tensors: &Value) -> Self {
        let mut vars = std::collections::BTreeMap::new();
        let integer_target = case["loss"].as_str().unwrap().contains("indices")
            || ["cross_entropy", "nll_loss", "softmax_focal_loss", "multi_margin_loss"]
                .contains(&case["loss"].as_str().unwrap());
        let mut roles: Vec<&str> = FLOAT_ROLES.to_vec();
        if !integer_target {
            roles.push("target");
        }
        for role in roles {
            if let Some(name) = case.get(role) {
                let value = floats(&tensors[name.as_str().unwrap()]);
                let differentiable = case.get("input_grads").is_some_and(|g| g.get(role).is_some());
                vars.insert(role.to_string(), Variable::leaf(value, differentiable));
            }
        }
        CaseInputs { vars }
    }

    fn var(&self, role: &str) -> &Variable<f64> {
        self.vars.get(role).unwrap_or_else(|| panic!("the case has no {role}"))
    }

    fn tensor(&self, role: &str) -> Option<Tensor<f64>> {
        self.vars.get(role).map(|v| v.value())
    }
}

/// Builds the case's loss on `x` with our API.
fn case_loss(case: &Value, tensors: &Value, inputs: &CaseInputs, x: &Variable<f64>) -> Variable<f64> {
    let params = &case["params"];
    let number = |key: &str| params[key].as_f64().unwrap();
    let flag = |key: &str| params[key].as_bool().unwrap();
    let reduction_name = case["reduction"].as_str().unwrap();
    let y = || inputs.var("target");
    let labels = || integers(&tensors[case["target"].as_str().unwrap()]);
    let signs = || inputs.tensor("target").unwrap();
    let (weight, pos_weight) = (inputs.tensor("weight"), inputs.tensor("pos_weight"));
    let ignore_index = params.get("ignore_index").map(|i| i.as_i64().unwrap());
    let loss = case["loss"].as_str().unwrap();
    if loss == "kl_div" {
        let reduction = match reduction_name {
            "batchmean" => KlReduction::BatchMean,
            other => reduction_of(other).into(),
        };
        return kl_div(x, y(), reduction, flag("log_target"));
    }
    let r = reduction_of(reduction_name);
    let cross_entropy_loss = || {
        let mut ce = CrossEntropyLoss::new().reduction(r).label_smoothing(number("label_smoothing"));
        if let Some(w) = weight.clone() {
            ce = ce.weight(w);
        }
        if let Some(i) = ignore_index {
            ce = ce.ignore_index(i);
        }
        ce
    };
    match loss {
        "mse_loss" => mse_loss(x, y(), r),
        "l1_loss" => l1_loss(x, y(), r),
        "huber_loss" => huber_loss(x, y(), number("delta"), r),
        "smooth_l1_loss" => smooth_l1_loss(x, y(), number("beta"), r),
        "log_cosh_loss" => log_cosh_loss(x, y(), r),
        "quantile_loss" => quantile_loss(x, y(), number("q"), r),
        "mape_loss" => mape_loss(x, y(), r),
        "tweedie_loss" => tweedie_loss(x, y(), number("power"), r),
        "poisson_nll_loss" => poisson_nll_loss(x, y(), flag("log_input"), flag("full"), number("eps"), r),
        "gaussian_nll_loss" => gaussian_nll_loss(x, y(), inputs.var("var"), flag("full"), number("eps"), r),
        "binary_cross_entropy" => binary_cross_entropy(x, y(), weight.as_ref(), r),
        "binary_cross_entropy_with_logits" => {
            binary_cross_entropy_with_logits(x, y(), weight.as_ref(), pos_weight.as_ref(), r)
        }
        "multilabel_soft_margin_loss" => multilabel_soft_margin_loss(x, y(), weight.as_ref(), r),
        "sigmoid_focal_loss" => sigmoid_focal_loss(x, y(), number("alpha"), number("gamma"), r),
        "hinge_loss" => hinge_loss(x, &signs(), r),
        "squared_hinge_loss" => squared_hinge_loss(x, &signs(), r),
        "soft_margin_loss" => soft_margin_loss(x, &signs(), r),
        "hinge_embedding_loss" => hinge_embedding_loss(x, &signs(), number("margin"), r),
        "cross_entropy" => cross_entropy(x, &labels()),
        "CrossEntropyLoss::indices" => cross_entropy_loss().indices(x, &labels()),
        "CrossEntropyLoss::probs" => cross_entropy_loss().probs(x, y()),
        "nll_loss" => nll_loss(x, &labels(), weight.as_ref(), ignore_index, r),
        "softmax_focal_loss" => softmax_focal_loss(x, &labels(), weight.as_ref(), number("gamma"), r),
        "multi_margin_loss" => {
            let p = params["p"].as_u64().unwrap() as u32;
            multi_margin_loss(x, &labels(), p, number("margin"), weight.as_ref(), r)
        }
        "triplet_margin_loss" => {
            triplet_margin_loss(x, inputs.var("positive"), inputs.var("negative"), number("margin"), r)
        }
        "contrastive_loss" => contrastive_loss(x, inputs.var("x2"), &signs(), number("margin"), r),
        "cosine_embedding_loss" => cosine_embedding_loss(x, inputs.var("x2"), &signs(), number("margin"), r),
        "margin_ranking_loss" => margin_ranking_loss(x, inputs.var("x2"), &signs(), number("margin"), r),
        other => panic!("fixture names an unknown loss {other}"),
    }
}

/// Every public loss, by the name its fixture cases carry.
const EVERY_LOSS: [&str; 29] = [
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "log_cosh_loss",
    "quantile_loss",
    "mape_loss",
    "tweedie_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "multilabel_soft_margin_loss",
    "sigmoid_focal_loss",
    "hinge_loss",
    "squared_hinge_loss",
    "soft_margin_loss",
    "hinge_embedding_loss",
    "cross_entropy",
    "CrossEntropyLoss::indices",
    "CrossEntropyLoss::probs",
    "nll_loss",
    "softmax_focal_loss",
    "multi_margin_loss",
    "kl_div",
    "triplet_margin_loss",
    "contrastive_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
];

#[test]
fn every_loss_matches_pytorch() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/losses.json");
    let text = std::fs::read_to_string(path).expect("tests/fixtures/losses.json (run make_loss_fixtures.py)");
    let json: Value = serde_json::from_str(&text).unwrap();
    let (tensors, cases) = (&json["tensors"], json["cases"].as_array().unwrap());
    assert!(cases.len() >= 160, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut kinds = std::collections::BTreeSet::new();
    // The largest difference, absolute where |PyTorch| ≤ 1 and relative above (saturated BCE
    // gradients reach 1e12, MAPE at a zero target 1e16).
    let (mut checked, mut worst) = (0usize, 0.0f64);
    let mut compare = |name: &str, what: &str, actual: &Tensor<f64>, expected: &Tensor<f64>| {
        checked += 1;
        if actual.shape() == expected.shape() {
            for (a, e) in actual.to_vec().into_iter().zip(expected.to_vec()) {
                worst = worst.max((a - e).abs() / e.abs().max(1.0));
            }
        }
        if let Some(msg) = kindling_tensor::tolerance::first_mismatch(actual, expected, TORCH) {
            failures.push(format!("{name} ({what}): {msg}"));
        }
    };
    for case in cases {
        let name = case["name"].as_str().unwrap();
        kinds.insert(case["loss"].as_str().unwrap().to_string());
        let inputs = CaseInputs::new(case, tensors);
        let x = Variable::param(floats(&tensors[case["prediction"].as_str().unwrap()]));
        let out = case_loss(case, tensors, &inputs, &x);
        if out.rank() == 0 {
            out.backward();
        } else {
            out.backward_with(&upstream(&out.shape()));
        }
        compare(name, "value", &out.value(), &floats(&case["value"]));
        compare(name, "gradient", &x.grad().unwrap(), &floats(&case["grad"]));
        for (role, var) in &inputs.vars {
            match case.get("input_grads").and_then(|g| g.get(role.as_str())) {
                Some(expected) => {
                    let actual = var.grad().unwrap_or_else(|| panic!("{name}: {role} got no gradient"));
                    compare(name, &format!("gradient of {role}"), &actual, &floats(expected));
                }
                None => assert!(var.grad().is_none(), "{name}: the constant {role} got a gradient"),
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches with PyTorch:\n{}", failures.len(), failures.join("\n"));
    let expected: std::collections::BTreeSet<String> = EVERY_LOSS.iter().map(|s| s.to_string()).collect();
    assert_eq!(kinds, expected, "every public loss has PyTorch cases, named as in Rust");
    eprintln!(
        "{} cases, {checked} tensors checked; largest |Kindling − PyTorch| / max(1, |PyTorch|) = {worst:e}",
        cases.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Gradient checks (central differences in f64), at points away from kinks

/// `gradcheck` of a loss as a function of its prediction.
fn check_gradient(op: &str, x: &Tensor<f64>, loss: impl Fn(&Variable<f64>) -> Variable<f64>) {
    gradcheck(op, std::slice::from_ref(x), |v| loss(&v[0]));
}

fn input(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape)
}

#[test]
fn gradcheck_regression_losses() {
    let x = input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9], &[2, 3]);
    let y = input(&[1.0, -0.2, 1.1, 0.5, 0.9, -1.0], &[2, 3]);
    for r in REDUCTIONS {
        check_gradient("mse_loss", &x, |v| mse_loss(v, &y, r));
        check_gradient("l1_loss", &x, |v| l1_loss(v, &y, r));
        // |d| = [0.7, 1.0, 1.4, 0.3, 1.3, 2.9]: δ = 1.2 and β = 0.9 stay clear of every |d|.
        check_gradient("huber_loss", &x, |v| huber_loss(v, &y, 1.2, r));
        check_gradient("smooth_l1_loss", &x, |v| smooth_l1_loss(v, &y, 0.9, r));
        check_gradient("log_cosh_loss", &x, |v| log_cosh_loss(v, &y, r));
        check_gradient("quantile_loss", &x, |v| quantile_loss(v, &y, 0.7, r));
        let counts = input(&[0.0, 1.0, 3.0, 2.0, 7.0, 0.5], &[2, 3]);
        check_gradient("poisson_nll_loss(log)", &x, |v| poisson_nll_loss(v, &counts, true, true, 1e-8, r));
        let rates = input(&[0.3, 1.2, 2.5, 0.8, 0.4, 1.9], &[2, 3]);
        check_gradient("poisson_nll_loss", &rates, |v| poisson_nll_loss(v, &counts, false, true, 1e-8, r));
    }
}

#[test]
fn gradcheck_binary_losses() {
    let z = input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9], &[2, 3]);
    let y = input(&[1.0, 0.0, 0.3, 1.0, 0.0, 0.8], &[2, 3]);
    let w = input(&[0.5, 2.0, 1.0], &[3]);
    let probs = input(&[0.3, 0.9, 0.55, 0.1, 0.72, 0.4], &[2, 3]);
    let signs = input(&[1.0, -1.0, 1.0, -1.0, 1.0, 1.0], &[2, 3]);
    for r in REDUCTIONS {
        check_gradient("binary_cross_entropy", &probs, |v| binary_cross_entropy(v, &y, Some(&w), r));
        check_gradient("binary_cross_entropy_with_logits", &z, |v| {
            binary_cross_entropy_with_logits(v, &y, Some(&w), Some(&input(&[3.0, 0.5, 2.0], &[3])), r)
        });
        check_gradient("sigmoid_focal_loss", &z, |v| sigmoid_focal_loss(v, &y, 0.25, 2.0, r));
        check_gradient("sigmoid_focal_loss(γ = 0.5)", &z, |v| sigmoid_focal_loss(v, &y, -1.0, 0.5, r));
        // 1 − y·z = [0.7, −0.2, −1.5, 1.8, 1.4, −0.9]: no kink.
        check_gradient("hinge_loss", &z, |v| hinge_loss(v, &signs, r));
        check_gradient("squared_hinge_loss", &z, |v| squared_hinge_loss(v, &signs, r));
    }
}

#[test]
fn gradcheck_multi_class_losses() {
    let logits = input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9, 0.0, 0.7, -2.2, 1.1, 0.5, -0.3], &[4, 3]);
    let labels = Tensor::from([2i64, -1, 0, 1]);
    let w = input(&[0.3, 1.2, 2.0], &[3]);
    // Probability targets: a softmax of other logits.
    let probs = (&logits * -0.7).softmax(1);
    for r in REDUCTIONS {
        let ce = CrossEntropyLoss::new().weight(w.clone()).ignore_index(-1).label_smoothing(0.2).reduction(r);
        check_gradient("cross_entropy(indices)", &logits, |v| ce.indices(v, &labels));
        let ce = CrossEntropyLoss::new().weight(w.clone()).label_smoothing(0.1).reduction(r);
        check_gradient("cross_entropy(probs)", &logits, |v| ce.probs(v, &probs));
        check_gradient("nll_loss", &logits, |v| nll_loss(v, &labels, Some(&w), Some(-1), r));
    }
    // K-dimensional: [2, 3, 2] logits, [2, 2] targets.
    let logits_k = logits.reshape([2, 3, 2]);
    let ce = CrossEntropyLoss::new().weight(w.clone()).label_smoothing(0.1);
    check_gradient("cross_entropy(K-dim)", &logits_k, |v| ce.indices(v, &Tensor::from([[0i64, 2], [1, 1]])));
    let log_q = logits.log_softmax(1);
    for r in [KlReduction::None, KlReduction::Mean, KlReduction::Sum, KlReduction::BatchMean] {
        check_gradient("kl_div", &log_q, |v| kl_div(v, &probs, r, false));
        check_gradient("kl_div(log_target)", &log_q, |v| kl_div(v, &probs.log(), r, true));
    }
}

#[test]
fn gradcheck_focal_and_metric_losses() {
    let logits = input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9, 0.0, 0.7, -2.2, 1.1, 0.5, -0.3], &[4, 3]);
    let labels = Tensor::from([2i64, 1, 0, 1]);
    let alpha = input(&[0.3, 1.2, 2.0], &[3]);
    let (a, p, n) = (
        input(&[0.3, -1.2, 2.5, 0.8, -0.4, 1.9], &[2, 3]),
        input(&[1.0, -0.2, 1.1, 0.5, 0.9, -1.0], &[2, 3]),
        input(&[-0.7, 0.4, 0.2, 1.5, -1.1, 0.6], &[2, 3]),
    );
    let similar = Tensor::from([1.0, 0.0]);
    for r in REDUCTIONS {
        check_gradient("softmax_focal_loss", &logits, |v| softmax_focal_loss(v, &labels, Some(&alpha), 2.0, r));
        check_gradient("softmax_focal_loss(γ = 0.5)", &logits, |v| softmax_focal_loss(v, &labels, None, 0.5, r));
        // Every input of the triplet at once; margin 2 keeps both hinges active.
        gradcheck("triplet_margin_loss", &[a.clone(), p.clone(), n.clone()], |v| {
            triplet_margin_loss(&v[0], &v[1], &v[2], 2.0, r)
        });
        // Pair 1 (different) is at distance ≈ 3.7, inside the margin 5.
        gradcheck("contrastive_loss", &[a.clone(), n.clone()], |v| contrastive_loss(&v[0], &v[1], &similar, 5.0, r));
    }
}

// ---------------------------------------------------------------------------------------------
// Numerical safety at extreme inputs

#[test]
fn bce_with_logits_is_exact_at_plus_minus_1000() {
    // Right and certain costs 0; wrong and certain costs |z| = 1000; ∂/∂z = σ(z) − y = ±1 or 0.
    let z = [1000.0, -1000.0, 1000.0, -1000.0];
    let y = [1.0, 0.0, 0.0, 1.0];
    let (value, grad) =
        run(Tensor::from(z), |x| binary_cross_entropy_with_logits(x, &Tensor::from(y), None, None, Reduction::None));
    assert_close(&value, &Tensor::from([0.0, 0.0, 1000.0, 1000.0]), HAND);
    assert_close(&grad, &Tensor::from([0.0, 0.0, 1.0, -1.0]), HAND);
    let (value, grad) = run(Tensor::from(z.map(|v| v as f32)), |x| {
        binary_cross_entropy_with_logits(
            x,
            &Tensor::from(y.map(|v| v as f32)),
            None,
            Some(&Tensor::from([2.0f32])),
            Reduction::None,
        )
    });
    assert_close(&value, &Tensor::from([0.0f32, 0.0, 1000.0, 2000.0]), F32);
    assert_close(&grad, &Tensor::from([0.0f32, 0.0, 1.0, -2.0]), F32);
    // The focal loss built on it stays finite too.
    let (value, grad) = run(Tensor::from(z.map(|v| v as f32)), |x| {
        sigmoid_focal_loss(x, &Tensor::from(y.map(|v| v as f32)), 0.25, 0.5, Reduction::Sum)
    });
    assert!(value.item().is_finite() && grad.to_vec().iter().all(|g| g.is_finite()), "{value} {grad}");
}

#[test]
fn cross_entropy_is_exact_at_plus_minus_1000() {
    // log_softmax([1000, −1000, 0]) = [0, −2000, −1000]: class 0 costs 0, class 1 costs 2000;
    // ∂/∂z = softmax − one_hot = [1, 0, 0] − one_hot.
    let logits = Tensor::from([[1000.0f32, -1000.0, 0.0], [1000.0, -1000.0, 0.0]]);
    let (value, grad) = run(logits.clone(), |x| {
        CrossEntropyLoss::new().reduction(Reduction::None).indices(x, &Tensor::from([0i64, 1]))
    });
    assert_close(&value, &Tensor::from([0.0f32, 2000.0]), F32);
    assert_close(&grad, &Tensor::from([[0.0f32, 0.0, 0.0], [1.0, -1.0, 0.0]]), F32);
    // Smoothing and probability targets stay finite as well.
    let (value, grad) =
        run(logits.clone(), |x| CrossEntropyLoss::new().label_smoothing(0.1).indices(x, &Tensor::from([0i64, 1])));
    assert!(value.item().is_finite() && grad.to_vec().iter().all(|g| g.is_finite()));
    let (value, _) =
        run(logits, |x| CrossEntropyLoss::new().probs(x, &Tensor::from([[0.5f32, 0.5, 0.0], [0.0, 1.0, 0.0]])));
    assert_close(&value, &Tensor::scalar((1000.0f32 + 2000.0) / 2.0), F32);
}

#[test]
fn softmax_then_log_underflows_where_cross_entropy_does_not() {
    // The reason the loss is fused: e^−200 is 0 in f32.
    let logits = Variable::param(Tensor::from([[0.0f32, -200.0]]));
    let naive = -logits.softmax(1).log().select(1, 1);
    assert!(naive.item().is_infinite());
    let fused = cross_entropy(&logits, &Tensor::from([1i64]));
    assert_close(&fused.value(), &Tensor::scalar(200.0f32), F32);
}

#[test]
fn log_cosh_is_finite_at_plus_minus_1000() {
    // ln cosh(±1000) = 1000 − ln 2 (cosh itself overflows); the slope is tanh(±1000) = ±1.
    let (value, grad) =
        run(Tensor::from([1000.0f32, -1000.0]), |x| log_cosh_loss(x, &Tensor::from([0.0f32, 0.0]), Reduction::None));
    let expected = 1000.0 - std::f32::consts::LN_2;
    assert_close(&value, &Tensor::from([expected, expected]), F32);
    assert_close(&grad, &Tensor::from([1.0f32, -1.0]), F32);
    let (value, _) = run(Tensor::from([1000.0f64]), |x| log_cosh_loss(x, &Tensor::from([0.0]), Reduction::Sum));
    assert_close(&value, &Tensor::scalar(1000.0 - std::f64::consts::LN_2), HAND);
}

#[test]
fn binary_cross_entropy_at_saturated_probabilities_stays_finite_in_f32() {
    let p = Tensor::from([0.0f32, 1.0, 1e-40, 1.0 - 1e-7]);
    let (value, grad) =
        run(p, |x| binary_cross_entropy(x, &Tensor::from([1.0f32, 0.0, 1.0, 0.0]), None, Reduction::Mean));
    assert!(value.item().is_finite());
    assert!(grad.to_vec().iter().all(|g| g.is_finite()), "{grad}");
}

// ---------------------------------------------------------------------------------------------
// Error messages

fn var(data: &[f64], shape: &[usize]) -> Variable<f64> {
    Variable::param(input(data, shape))
}

#[test]
#[should_panic(expected = "mse_loss: prediction [4, 1] and target [4] differ in shape")]
fn a_column_prediction_against_a_flat_target_is_refused() {
    mse_loss(&var(&[1.0; 4], &[4, 1]), &input(&[1.0; 4], &[4]), Reduction::Mean);
}

#[test]
#[should_panic(expected = "binary_cross_entropy_with_logits: prediction [3] and target [3, 1] differ in shape")]
fn bce_with_logits_refuses_mismatched_shapes() {
    binary_cross_entropy_with_logits(&var(&[1.0; 3], &[3]), &input(&[1.0; 3], &[3, 1]), None, None, Reduction::Mean);
}

#[test]
#[should_panic(
    expected = "cross_entropy: target 3 at index [1] is out of range for 3 classes (valid: 0..=2, or the ignore_index -100)"
)]
fn a_class_index_out_of_range_names_the_index_and_the_classes() {
    cross_entropy(&var(&[0.0; 6], &[2, 3]), &Tensor::from([0i64, 3]));
}

#[test]
fn minus_100_is_ignored_by_default_as_in_pytorch() {
    // Only sample 1 counts: −ln softmax([0, 0, 0])₁ = ln 3.
    let loss = cross_entropy(&var(&[5.0, -2.0, 1.0, 0.0, 0.0, 0.0], &[2, 3]), &Tensor::from([-100i64, 1]));
    assert_close(&loss.value(), &Tensor::scalar(3f64.ln()), HAND);
}

#[test]
#[should_panic(expected = "cross_entropy: target -100 at index [0] is out of range for 3 classes (valid: 0..=2)")]
fn ignore_nothing_refuses_minus_100() {
    CrossEntropyLoss::new().ignore_nothing().indices(&var(&[0.0; 6], &[2, 3]), &Tensor::from([-100i64, 1]));
}

#[test]
fn probability_targets_accept_the_default_and_negative_ignore_index() {
    // PyTorch accepts a negative ignore_index with probability targets (it cannot match a class).
    let logits = var(&[0.0; 4], &[2, 2]);
    let targets = input(&[0.5; 4], &[2, 2]);
    let expected = Tensor::scalar(2f64.ln());
    assert_close(&CrossEntropyLoss::new().probs(&logits, &targets).value(), &expected, HAND);
    assert_close(&CrossEntropyLoss::new().ignore_index(-1).probs(&logits, &targets).value(), &expected, HAND);
}

#[test]
#[should_panic(
    expected = "nll_loss: target -1 at index [1] is out of range for 2 classes (valid: 0..=1, or the ignore_index 5)"
)]
fn nll_loss_names_its_ignore_index_in_the_message() {
    nll_loss(&var(&[0.0; 4], &[2, 2]), &Tensor::from([0i64, -1]), None, Some(5), Reduction::Mean);
}

#[test]
#[should_panic(
    expected = "cross_entropy: input of shape [2, 3] (class axis 1, 3 classes) needs targets of shape [2], got [2, 1]"
)]
fn cross_entropy_refuses_targets_of_the_wrong_shape() {
    cross_entropy(&var(&[0.0; 6], &[2, 3]), &Tensor::from([[0i64], [1]]));
}

#[test]
#[should_panic(expected = "cross_entropy: weight of shape [2] does not match the 3 classes")]
fn cross_entropy_refuses_a_weight_of_the_wrong_length() {
    CrossEntropyLoss::new()
        .weight(input(&[1.0, 2.0], &[2]))
        .indices(&var(&[0.0; 6], &[2, 3]), &Tensor::from([0i64, 1]));
}

#[test]
#[should_panic(expected = "cross_entropy: label_smoothing must lie in [0, 1], got 1.5")]
fn label_smoothing_above_one_is_refused() {
    CrossEntropyLoss::<f64>::new().label_smoothing(1.5);
}

#[test]
#[should_panic(expected = "cross_entropy: ignore_index applies to class-index targets only")]
fn ignore_index_with_probability_targets_is_refused() {
    CrossEntropyLoss::new().ignore_index(0).probs(&var(&[0.0; 4], &[2, 2]), &input(&[0.5; 4], &[2, 2]));
}

#[test]
#[should_panic(expected = "quantile_loss: the quantile q must lie strictly between 0 and 1, got -0.5")]
fn a_negative_quantile_is_refused() {
    quantile_loss(&var(&[1.0], &[1]), &input(&[1.0], &[1]), -0.5, Reduction::Mean);
}

#[test]
#[should_panic(expected = "quantile_loss: the quantile q must lie strictly between 0 and 1, got 1")]
fn quantile_one_is_refused() {
    quantile_loss(&var(&[1.0], &[1]), &input(&[1.0], &[1]), 1.0, Reduction::Mean);
}

#[test]
#[should_panic(expected = "huber_loss: delta must be positive and finite, got 0")]
fn huber_needs_a_positive_delta() {
    huber_loss(&var(&[1.0], &[1]), &input(&[1.0], &[1]), 0.0, Reduction::Mean);
}

#[test]
#[should_panic(expected = "smooth_l1_loss: beta must be zero or positive and finite, got -1")]
fn smooth_l1_refuses_a_negative_beta() {
    smooth_l1_loss(&var(&[1.0], &[1]), &input(&[1.0], &[1]), -1.0, Reduction::Mean);
}

#[test]
#[should_panic(expected = "binary_cross_entropy: prediction 1.5 at index [1] is not a probability in [0, 1]")]
fn bce_refuses_logits_passed_as_probabilities() {
    binary_cross_entropy(&var(&[0.5, 1.5], &[2]), &input(&[1.0, 0.0], &[2]), None, Reduction::Mean);
}

#[test]
#[should_panic(expected = "binary_cross_entropy: weight of shape [3] does not broadcast to the target's shape [2, 2]")]
fn bce_refuses_a_weight_that_does_not_broadcast() {
    binary_cross_entropy(
        &var(&[0.5; 4], &[2, 2]),
        &input(&[1.0; 4], &[2, 2]),
        Some(&input(&[1.0; 3], &[3])),
        Reduction::Mean,
    );
}

#[test]
#[should_panic(expected = "hinge_loss: target 0 at index [1] is not −1 or +1")]
fn hinge_refuses_zero_one_labels() {
    hinge_loss(&var(&[0.5, 0.2], &[2]), &input(&[1.0, 0.0], &[2]), Reduction::Mean);
}

#[test]
#[should_panic(expected = "sigmoid_focal_loss: gamma must be zero or positive and finite, got -2")]
fn focal_refuses_a_negative_gamma() {
    sigmoid_focal_loss(&var(&[0.5], &[1]), &input(&[1.0], &[1]), 0.25, -2.0, Reduction::Mean);
}

#[test]
#[should_panic(expected = "softmax_focal_loss: target 2 at index [0] is out of range for 2 classes")]
fn softmax_focal_checks_class_indices() {
    softmax_focal_loss(&var(&[0.0; 4], &[2, 2]), &Tensor::from([2i64, 0]), None, 2.0, Reduction::Mean);
}

#[test]
#[should_panic(expected = "triplet_margin_loss: anchor [2, 3] and negative [2, 2] differ in shape")]
fn triplet_refuses_embeddings_of_different_shapes() {
    triplet_margin_loss(
        &var(&[0.0; 6], &[2, 3]),
        &var(&[0.0; 6], &[2, 3]),
        &var(&[0.0; 4], &[2, 2]),
        1.0,
        Reduction::Mean,
    );
}

#[test]
#[should_panic(expected = "contrastive_loss: label 2 at index [1] is not 0 (different) or 1 (similar)")]
fn contrastive_refuses_labels_other_than_zero_and_one() {
    contrastive_loss(
        &var(&[0.0; 4], &[2, 2]),
        &var(&[1.0; 4], &[2, 2]),
        &input(&[1.0, 2.0], &[2]),
        1.0,
        Reduction::Mean,
    );
}

#[test]
#[should_panic(
    expected = "contrastive_loss: embeddings of shape [2, 2] need one label per pair, shape [2]; got [2, 1]"
)]
fn contrastive_needs_one_label_per_pair() {
    contrastive_loss(
        &var(&[0.0; 4], &[2, 2]),
        &var(&[1.0; 4], &[2, 2]),
        &input(&[1.0, 0.0], &[2, 1]),
        1.0,
        Reduction::Mean,
    );
}

#[test]
#[should_panic(expected = "kl_div: prediction [2, 2] and target [4] differ in shape")]
fn kl_div_refuses_mismatched_shapes() {
    kl_div(&var(&[0.0; 4], &[2, 2]), &input(&[0.25; 4], &[4]), KlReduction::BatchMean, false);
}
