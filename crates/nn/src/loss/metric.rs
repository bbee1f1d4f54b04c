//! Metric-learning losses on embeddings and pairs of scores: triplet margin, contrastive and
//! cosine embedding loss, which pull matching items together and push the others at least a
//! margin apart, and margin ranking loss, which orders two scores.

use super::reduction::reduce;
use super::{c, check_finite_param, constant, first_bad, Reduction, ATEN_EPSILON};
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

fn check_plus_minus_one<T: Float>(loss: &str, labels: &Tensor<T>) {
    if let Some((index, value)) = first_bad(labels, |y| y != T::ONE && y != -T::ONE) {
        panic!("{loss}: label {value} at index {index:?} is not −1 or +1");
    }
}

/// Margin ranking loss, PyTorch's `F.margin_ranking_loss` / `nn.MarginRankingLoss`: for two
/// scores x₁, x₂ and a label y = 1 (x₁ should rank higher) or −1 (x₂ should),
///
/// ℓ = max(0, −y·(x₁ − x₂) + margin),
///
/// zero once the right score leads by at least `margin` (PyTorch's default 0). Both scores get
/// gradients (pass [`Variable::constant`] for a fixed one); the labels do not. `x1`, `x2` and
/// `y` must have the same shape. Panics on a label other than ±1.
pub fn margin_ranking_loss<T: Float>(
    x1: &Variable<T>,
    x2: &Variable<T>,
    y: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "margin_ranking_loss";
    let shape = x1.shape();
    if shape != x2.shape() || shape != y.shape() {
        panic!(
            "{LOSS}: x1 {}, x2 {} and labels {} must have the same shape",
            dims_str(&shape),
            dims_str(&x2.shape()),
            dims_str(y.shape())
        );
    }
    check_plus_minus_one(LOSS, y);
    check_finite_param(LOSS, "margin", margin);
    let lead = &(x1 - x2) * &constant(y);
    reduce(lead.rsub_scalar(c(margin)).relu(), reduction)
}

/// Cosine embedding loss, PyTorch's `F.cosine_embedding_loss` / `nn.CosineEmbeddingLoss`: for
/// embeddings x₁, x₂ of shape `[N, D]` (or one pair `[D]`) and labels y ∈ {−1, +1} of shape `[N]`
/// (or `[]`), with the cosine similarity
///
/// cos = x₁·x₂ / √((‖x₁‖² + ε)(‖x₂‖² + ε)),  ε = PyTorch's f32 1e-12,
///
/// lossᵢ = 1 − cos if y = 1,  max(0, cos − margin) if y = −1.
///
/// Matching pairs are turned to point the same way; non-matching ones until their cosine is at
/// most `margin` (PyTorch's default 0; values in [−1, 1] make sense). Only directions matter,
/// not lengths. Both embeddings get gradients; the labels do not. Panics on a label other than
/// ±1.
pub fn cosine_embedding_loss<T: Float>(
    x1: &Variable<T>,
    x2: &Variable<T>,
    y: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "cosine_embedding_loss";
    let shape = x1.shape();
    check_embeddings(LOSS, ["x1", "x2"], &shape, &x2.shape());
    if y.shape() != &shape[..shape.len() - 1] {
        panic!(
            "{LOSS}: embeddings of shape {} need one label per pair, shape {}; got {}",
            dims_str(&shape),
            dims_str(&shape[..shape.len() - 1]),
            dims_str(y.shape())
        );
    }
    check_plus_minus_one(LOSS, y);
    check_finite_param(LOSS, "margin", margin);
    let dot = (x1 * x2).sum(-1, false);
    let norm1 = x1.square().sum(-1, false).add_scalar(c(ATEN_EPSILON));
    let norm2 = x2.square().sum(-1, false).add_scalar(c(ATEN_EPSILON));
    let cos = &dot / &(&norm1 * &norm2).sqrt();
    let pull = cos.rsub_scalar(T::ONE);
    let push = cos.add_scalar(c(-margin)).relu();
    reduce(Variable::where_cond(&y.eq_scalar(T::ONE), &pull, &push), reduction)
}
