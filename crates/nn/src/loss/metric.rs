//! Metric-learning losses on embeddings: triplet margin and contrastive loss, which pull
//! matching items together and push the others at least a margin apart.

use super::reduction::reduce;
use super::{c, check_finite_param, constant, first_bad, Reduction};
use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

/// Euclidean distance over the last axis, ‖a − b + ε‖₂ with ε = 10⁻⁶ as PyTorch's
/// `F.pairwise_distance` (the ε keeps the square root's slope finite when a = b).
fn pairwise_distance<T: Float>(a: &Variable<T>, b: &Variable<T>) -> Variable<T> {
    squared_distance(a, b).sqrt()
}

fn squared_distance<T: Float>(a: &Variable<T>, b: &Variable<T>) -> Variable<T> {
    (a - b).add_scalar(c(1e-6)).square().sum(-1, false)
}

fn check_embeddings(loss: &str, names: [&str; 2], a: &[usize], b: &[usize]) {
    if a.is_empty() {
        panic!("{loss}: {} must have an embedding axis, got a scalar", names[0]);
    }
    if a != b {
        panic!("{loss}: {} {} and {} {} differ in shape", names[0], dims_str(a), names[1], dims_str(b));
    }
}

/// Triplet margin loss on embeddings `[N, D]` (or one triplet `[D]`), PyTorch's
/// `F.triplet_margin_loss` with its defaults p = 2, eps = 1e-6, swap = false:
///
/// lossᵢ = max(0, d(aᵢ, pᵢ) − d(aᵢ, nᵢ) + margin),  d(x, y) = ‖x − y + ε‖₂,
///
/// which pulls each anchor toward its positive until it is closer than its negative by at least
/// `margin` (PyTorch's default 1.0).
pub fn triplet_margin_loss<T: Float>(
    anchor: &Variable<T>,
    positive: &Variable<T>,
    negative: &Variable<T>,
    margin: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "triplet_margin_loss";
    check_embeddings(LOSS, ["anchor", "positive"], &anchor.shape(), &positive.shape());
    check_embeddings(LOSS, ["anchor", "negative"], &anchor.shape(), &negative.shape());
    check_finite_param(LOSS, "margin", margin);
    let gap = &pairwise_distance(anchor, positive) - &pairwise_distance(anchor, negative);
    reduce(gap.add_scalar(c(margin)).relu(), reduction)
}

/// Contrastive loss on pairs of embeddings `[N, D]` (or one pair `[D]`), as in Hadsell, Chopra
/// and LeCun (2006). With d = ‖x₁ − x₂ + ε‖₂ (ε = 10⁻⁶, as [`triplet_margin_loss`]) and
/// `similar` = 1 for a matching pair, 0 for a non-matching one (shape `[N]`, or `[]`):
///
/// lossᵢ = ½·yᵢ·d² + ½·(1 − yᵢ)·max(0, margin − d)²,
///
/// so matching pairs are pulled together and non-matching ones pushed at least `margin` apart.
/// PyTorch has no built-in (conventions differ on the ½ and on which label means "similar";
/// this is the paper's).
pub fn contrastive_loss<T: Float>(
    x1: &Variable<T>,
    x2: &Variable<T>,
    similar: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "contrastive_loss";
    let shape = x1.shape();
    check_embeddings(LOSS, ["x1", "x2"], &shape, &x2.shape());
    if similar.shape() != &shape[..shape.len() - 1] {
        panic!(
            "{LOSS}: embeddings of shape {} need one label per pair, shape {}; got {}",
            dims_str(&shape),
            dims_str(&shape[..shape.len() - 1]),
            dims_str(similar.shape())
        );
    }
    if let Some((index, value)) = first_bad(similar, |y| y != T::ZERO && y != T::ONE) {
        panic!("{LOSS}: label {value} at index {index:?} is not 0 (different) or 1 (similar)");
    }
    check_finite_param(LOSS, "margin", margin);
    // The pull uses d² directly, which stays smooth where d = 0.
    let pull = &squared_distance(x1, x2) * &constant(similar);
    let push = pairwise_distance(x1, x2).rsub_scalar(c(margin)).relu().square();
    let push = &push * &Variable::constant((-similar) + T::ONE);
    reduce((&pull + &push).mul_scalar(c(0.5)), reduction)
}
