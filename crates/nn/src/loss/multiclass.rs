//! Multi-class losses on K outputs per sample: cross-entropy (the [`CrossEntropyLoss`] builder and
//! the common [`cross_entropy`]), negative log-likelihood, KL divergence, softmax focal loss and
//! the multi-class margin loss, with the class-index checks they share.

use super::{c, check_finite_param, first_bad, same_shape, KlReduction, LossTarget, Reduction};
use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

/// Cross-entropy on logits with every option of PyTorch's `nn.CrossEntropyLoss`, built step by
/// step and applied with [`indices`](Self::indices) (class-index targets) or
/// [`probs`](Self::probs) (class-probability targets):
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::loss::{CrossEntropyLoss, Reduction};
/// use kindling_tensor::Tensor;
///
/// let logits = Variable::param(Tensor::from([[0.2f64, -1.0, 0.5], [1.5, 0.3, -0.2]]));
/// let loss = CrossEntropyLoss::new()
///     .weight(Tensor::from([1.0, 2.0, 0.5]))
///     .label_smoothing(0.1)
///     .reduction(Reduction::Mean)
///     .indices(&logits, &Tensor::from([2i64, -100])); // −100 is ignored by default
/// loss.backward();
/// ```
///
/// Logits are `[N, C]` (N samples, C classes), `[N, C, d₁, d₂, …]` for per-position classes (a
/// segmentation map, a sequence of tokens: the class axis is axis 1, as in PyTorch), or `[C]`
/// for one unbatched sample. The loss is always computed fused, log-softmax inside: see the
/// [module docs](crate::loss) for why a softmax must never come before it.
///
/// **Class-index targets**, shape `[N]` (or `[N, d₁, …]`, or `[]` unbatched). Per sample i with
/// class t = yᵢ and log-probabilities ℓ = log_softmax(zᵢ), with class weights w (all 1 when
/// none are given) and label smoothing ε over C classes:
///
/// lossᵢ = (1 − ε)·(−w_t·ℓ_t) + (ε/C)·(−Σ_c w_c·ℓ_c).
///
/// Samples whose target equals `ignore_index` (−100 unless set otherwise, as in PyTorch)
/// contribute 0 and do not count. `Mean` divides the sum by Σ w_{yᵢ} over the counted samples,
/// *not* by their number (so with weights, it is a weighted average; with none, the plain
/// average over counted samples); with every sample ignored it is 0/0 = NaN, as in PyTorch.
/// Both terms share that denominator.
///
/// **Class-probability targets**, the same shape as the logits: the target y is first smoothed
/// to (1 − ε)·y + ε/C, then lossᵢ = −Σ_c w_c·y_c·ℓ_c, and `Mean` divides by the number of
/// samples (N·d₁·…), whatever the weights. `ignore_index` does not apply; a non-negative one
/// panics, as PyTorch refuses it. The target may be a [`Variable`] (distillation from a
/// teacher that is still learning; see [`LossTarget`]): ∂lossᵢ/∂y_c = −(1 − ε)·w_c·ℓ_c.
#[derive(Clone, Debug)]
pub struct CrossEntropyLoss<T: Float = f32> {
    weight: Option<Tensor<T>>,
    ignore_index: Option<i64>,
    label_smoothing: f64,
    reduction: Reduction,
}

impl<T: Float> Default for CrossEntropyLoss<T> {
    fn default() -> Self {
        CrossEntropyLoss {
            weight: None,
            ignore_index: Some(DEFAULT_IGNORE_INDEX),
            label_smoothing: 0.0,
            reduction: Reduction::Mean,
        }
    }
}

/// PyTorch's default `ignore_index`, the conventional padding label.
const DEFAULT_IGNORE_INDEX: i64 = -100;

impl<T: Float> CrossEntropyLoss<T> {
    /// No weights, targets equal to −100 ignored (PyTorch's default), no smoothing, mean
    /// reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// A weight per class, shape `[C]`: rare classes can count more. Must be non-negative.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        if weight.rank() != 1 {
            panic!(
                "cross_entropy: the class weight must be one value per class, shape [C]; got {}",
                dims_str(weight.shape())
            );
        }
        if let Some((index, value)) = first_bad(&weight, |w| w < T::ZERO || !w.is_finite()) {
            panic!("cross_entropy: class weight {value} at index {index:?} is not a finite value ≥ 0");
        }
        self.weight = Some(weight);
        self
    }

    /// Targets equal to `index` are skipped (padding tokens, unlabelled pixels). The default
    /// is −100, as in PyTorch, so padding labelled −100 is skipped without asking.
    pub fn ignore_index(mut self, index: i64) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// Skip no target at all: then every target, −100 included, must be a valid class index,
    /// and one that is not panics. Stricter than PyTorch, for data that has no padding.
    pub fn ignore_nothing(mut self) -> Self {
        self.ignore_index = None;
        self
    }

    /// Label smoothing ε ∈ [0, 1]: the target becomes (1 − ε) on the true class plus ε spread
    /// evenly over all C classes, which keeps the model from becoming over-confident.
    pub fn label_smoothing(mut self, epsilon: f64) -> Self {
        if !(0.0..=1.0).contains(&epsilon) {
            panic!("cross_entropy: label_smoothing must lie in [0, 1], got {epsilon}");
        }
        self.label_smoothing = epsilon;
        self
    }

    /// How the per-sample losses are combined (default [`Reduction::Mean`]).
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss for class-index targets (`Tensor<i64>`, the logits' shape without axis 1).
    /// Panics on a target shape that does not fit or a class index out of range.
    pub fn indices(&self, logits: &Variable<T>, targets: &Tensor<i64>) -> Variable<T> {
        const LOSS: &str = "cross_entropy";
        let (batched, targets, unbatched) = batch_up(LOSS, logits, targets);
        let classes = batched.shape()[1];
        check_class_weight(LOSS, self.weight.as_ref(), classes);
        let log_probs = batched.log_softmax(1);
        let picked = pick(LOSS, &log_probs, &targets, self.weight.as_ref(), self.ignore_index);
        let eps = self.label_smoothing;
        let mut loss = picked.nll.clone();
        if eps > 0.0 {
            // −Σ_c w_c·ℓ_c per sample, zero where the target is ignored.
            let weighted = match &self.weight {
                Some(w) => &log_probs * &Variable::constant(class_axis(w, log_probs.rank())),
                None => log_probs.clone(),
            };
            let smooth = (-weighted.sum(1, false)).masked_fill(&picked.ignored, T::ZERO);
            loss = &loss.mul_scalar(c(1.0 - eps)) + &smooth.mul_scalar(c(eps / classes as f64));
        }
        finish(loss, &picked.weights, self.reduction, unbatched)
    }

    /// The loss for class-probability targets (a `Tensor<T>` or a [`Variable`] of the logits'
    /// shape; each sample's probabilities should sum to 1).
    pub fn probs(&self, logits: &Variable<T>, targets: impl LossTarget<T>) -> Variable<T> {
        const LOSS: &str = "cross_entropy";
        let mut y = targets.to_variable();
        same_shape(LOSS, &logits.shape(), &y.shape());
        if let Some(index) = self.ignore_index.filter(|&i| i >= 0) {
            panic!(
                "{LOSS}: ignore_index applies to class-index targets only, not to class probabilities (got {index})"
            );
        }
        if logits.rank() == 0 {
            panic!("{LOSS}: logits need a class axis, got a scalar");
        }
        let axis = if logits.rank() == 1 { 0 } else { 1 };
        let classes = logits.shape()[axis];
        check_class_weight(LOSS, self.weight.as_ref(), classes);
        let eps = self.label_smoothing;
        if eps > 0.0 {
            y = y.mul_scalar(c(1.0 - eps)).add_scalar(c(eps / classes as f64));
        }
        if let Some(w) = &self.weight {
            y = &y * &Variable::constant(class_axis(w, logits.rank()));
        }
        let log_probs = logits.log_softmax(axis as isize);
        let loss = -(&log_probs * &y).sum(axis as isize, false);
        match self.reduction {
            Reduction::None => loss,
            Reduction::Sum => loss.sum_all(),
            // The number of samples (positions), whatever the weights.
            Reduction::Mean => loss.mean_all(),
        }
    }
}

/// Cross-entropy of raw logits `[N, C]` against class indices `[N]`, averaged over the batch:
/// the common case of [`CrossEntropyLoss`] (no weights, no smoothing; targets equal to −100 are
/// ignored, as in PyTorch).
///
/// lossᵢ = −log softmax(zᵢ)_{yᵢ} = log Σ_c e^{z_ic} − z_{i,yᵢ}, and ∂L/∂zᵢ = (softmax(zᵢ) −
/// one_hot(yᵢ))/N. The softmax is inside: pass logits, never probabilities. PyTorch:
/// `F.cross_entropy(logits, targets)`.
pub fn cross_entropy<T: Float>(logits: &Variable<T>, targets: &Tensor<i64>) -> Variable<T> {
    CrossEntropyLoss::new().indices(logits, targets)
}

/// Negative log-likelihood of class indices given log-probabilities, PyTorch's `F.nll_loss` /
/// `nn.NLLLoss`: lossᵢ = −w_{yᵢ}·ℓ_{i,yᵢ}, for ℓ = log-probabilities of shape `[N, C]`
/// (`[N, C, d₁, …]`, or `[C]` unbatched) and targets `[N]` (`[N, d₁, …]`, or `[]`).
///
/// The input must already be log-probabilities (a [`log_softmax`](Variable::log_softmax));
/// `log_softmax` followed by `nll_loss` is [`cross_entropy`]. `weight` (`[C]`), `ignore_index`
/// and the weighted mean behave as in [`CrossEntropyLoss`]; `None` ignores nothing, so pass
/// `Some(-100)` for PyTorch's default.
pub fn nll_loss<T: Float>(
    log_probs: &Variable<T>,
    targets: &Tensor<i64>,
    weight: Option<&Tensor<T>>,
    ignore_index: Option<i64>,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "nll_loss";
    let (batched, targets, unbatched) = batch_up(LOSS, log_probs, targets);
    if let Some(w) = weight {
        if w.rank() != 1 {
            panic!("{LOSS}: the class weight must be one value per class, shape [C]; got {}", dims_str(w.shape()));
        }
    }
    check_class_weight(LOSS, weight, batched.shape()[1]);
    let picked = pick(LOSS, &batched, &targets, weight, ignore_index);
    finish(picked.nll, &picked.weights, reduction, unbatched)
}

/// The per-sample pieces of a class-index loss.
struct Picked<T: Float> {
    /// ℓ_t per sample (of class 0 where ignored).
    log_p_true: Variable<T>,
    /// −w_t·ℓ_t per sample (0 where ignored).
    nll: Variable<T>,
    /// w_t per sample (1 without class weights; 0 where ignored): the mean's denominator.
    weights: Tensor<T>,
    /// Where the target equals `ignore_index`.
    ignored: Tensor<bool>,
}

/// Checks the targets' shape against `[N, C, d…]` logits (or `[C]` unbatched) and returns the
/// logits with a batch axis, the targets with one, and whether it was added.
fn batch_up<T: Float>(loss: &str, logits: &Variable<T>, targets: &Tensor<i64>) -> (Variable<T>, Tensor<i64>, bool) {
    let shape = logits.shape();
    match shape.len() {
        0 => panic!("{loss}: the input needs a class axis, got a scalar"),
        1 => {
            if targets.rank() != 0 {
                panic!(
                    "{loss}: an unbatched input of shape {} takes one class index of shape [], got targets of shape {}",
                    dims_str(&shape),
                    dims_str(targets.shape())
                );
            }
            (logits.unsqueeze(0), targets.reshape([1]), true)
        }
        _ => {
            let mut expected = shape.clone();
            expected.remove(1);
            if targets.shape() != expected.as_slice() {
                panic!(
                    "{loss}: input of shape {} (class axis 1, {} classes) needs targets of shape {}, got {}",
                    dims_str(&shape),
                    shape[1],
                    dims_str(&expected),
                    dims_str(targets.shape())
                );
            }
            (logits.clone(), targets.clone(), false)
        }
    }
}

fn check_class_weight<T: Float>(loss: &str, weight: Option<&Tensor<T>>, classes: usize) {
    if let Some(w) = weight {
        if w.shape() != [classes] {
            panic!("{loss}: weight of shape {} does not match the {classes} classes", dims_str(w.shape()));
        }
    }
}

/// `w` shaped `[1, C, 1, …]` (rank `rank`) so it multiplies along the class axis 1.
fn class_axis<T: Float>(w: &Tensor<T>, rank: usize) -> Tensor<T> {
    if rank == 1 {
        return w.clone();
    }
    let mut shape = vec![1usize; rank];
    shape[1] = w.numel();
    w.reshape(shape)
}

/// Validates every class index and picks −w_t·ℓ_t per sample from the log-probabilities.
fn pick<T: Float>(
    loss: &str,
    log_probs: &Variable<T>,
    targets: &Tensor<i64>,
    weight: Option<&Tensor<T>>,
    ignore_index: Option<i64>,
) -> Picked<T> {
    let classes = log_probs.shape()[1];
    let ignored = match ignore_index {
        Some(i) => targets.eq_scalar(i),
        None => Tensor::full(targets.shape(), false),
    };
    let out_of_range = |t: i64| Some(t) != ignore_index && !(0..classes as i64).contains(&t);
    if let Some((index, value)) = first_bad(targets, out_of_range) {
        let also = match ignore_index {
            Some(i) => format!(", or the ignore_index {i}"),
            None => String::new(),
        };
        panic!(
            "{loss}: target {value} at index {index:?} is out of range for {classes} classes (valid: 0..={}{also})",
            classes as i64 - 1
        );
    }
    // Ignored positions look up class 0 (any valid class would do); their weight is zeroed.
    let safe = targets.masked_fill(&ignored, 0);
    let log_p_true = log_probs.gather(1, &safe.unsqueeze(1)).squeeze(1);
    let weights = match weight {
        Some(w) => w.index_select(0, &safe.reshape([-1])).reshape(safe.shape()),
        None => Tensor::ones(safe.shape()),
    }
    .masked_fill(&ignored, T::ZERO);
    let nll = -(&log_p_true * &Variable::constant(weights.clone()));
    Picked { log_p_true, nll, weights, ignored }
}

/// Reduces per-sample losses; `Mean` divides by the sum of the counted samples' weights.
fn finish<T: Float>(loss: Variable<T>, weights: &Tensor<T>, reduction: Reduction, unbatched: bool) -> Variable<T> {
    match reduction {
        Reduction::None if unbatched => loss.reshape(Vec::<usize>::new()),
        Reduction::None => loss,
        Reduction::Sum => loss.sum_all(),
        Reduction::Mean => &loss.sum_all() / &Variable::constant(Tensor::scalar(weights.sum_all())),
    }
}

/// Kullback-Leibler divergence D(target ‖ input) pointwise, PyTorch's `F.kl_div` /
/// `nn.KLDivLoss`. Following PyTorch, the *input* (the prediction) is given as
/// log-probabilities ln q (a [`log_softmax`](Variable::log_softmax) of the model's output),
/// and the target p as probabilities, or as log-probabilities when `log_target` is true:
///
/// ℓ = p·(ln p − ln q)  (with 0·ln 0 = 0), or with `log_target`: ℓ = e^{ln p}·(ln p − ln q).
///
/// The divergence of one distribution is the sum of ℓ over its outcomes, so the reduction
/// that gives the mean divergence per sample is [`KlReduction::BatchMean`] (sum / batch size);
/// [`KlReduction::Mean`] divides by the number of elements instead, which also divides by the
/// number of outcomes K. `log_target = true` is the safer way to pass a target with very small
/// probabilities. The gradient in the input is −p (divided as the reduction divides).
///
/// The target may be a [`Variable`] (distillation with a learning teacher; see [`LossTarget`]):
/// ∂ℓ/∂p = ln p + 1 − ln q, or with `log_target`, ∂ℓ/∂(ln p) = p·(ln p − ln q + 1). Where a
/// probability target is exactly 0, the p·ln p term adds nothing to its gradient, which is then
/// −ln q (PyTorch gives NaN there, from the 0/0 in its derivative of 0·ln 0).
pub fn kl_div<T: Float>(
    input: &Variable<T>,
    target: impl LossTarget<T>,
    reduction: KlReduction,
    log_target: bool,
) -> Variable<T> {
    let target = target.to_variable();
    same_shape("kl_div", &input.shape(), &target.shape());
    let loss = if log_target {
        let p = target.exp();
        &(&p * &target) - &(input * &p)
    } else {
        // xlogy(p, p): p·ln p, defined as 0 where p = 0; the log sees 1 there so that no 0·∞
        // reaches the gradient.
        let positive = target.value().gt_scalar(T::ZERO);
        let safe = Variable::where_cond(&positive, &target, &Variable::constant(Tensor::ones(target.shape())));
        &(&target * &safe.log()) - &(input * &target)
    };
    match reduction {
        KlReduction::None => loss,
        KlReduction::Mean => loss.mean_all(),
        KlReduction::Sum => loss.sum_all(),
        KlReduction::BatchMean => {
            let batch = input.shape().first().copied().unwrap_or(1);
            loss.sum_all().mul_scalar(c(1.0 / batch as f64))
        }
    }
}

/// Multi-class focal loss on logits: the softmax counterpart of
/// [`sigmoid_focal_loss`](super::sigmoid_focal_loss). With pₜ = softmax(zᵢ)_{yᵢ}, the probability
/// given to the true class,
///
/// lossᵢ = −α_{yᵢ}·(1 − pₜ)^γ·ln pₜ,
///
/// for logits `[N, C]` (or `[N, C, d₁, …]`, or `[C]`) and class indices as in [`cross_entropy`].
/// γ = 0 with no `alpha` is [`cross_entropy`]; `alpha` (optional, shape `[C]`) weights each
/// class. `Mean` divides by the number of samples, whatever the weights (as the focal-loss paper
/// normalizes by the number of examples, unlike weighted cross-entropy). PyTorch has no
/// built-in; it equals `-(alpha[y] * (1 - p_t) ** gamma * log_p_t)` with `log_p_t` gathered from
/// `F.log_softmax(z, 1)`.
pub fn softmax_focal_loss<T: Float>(
    logits: &Variable<T>,
    targets: &Tensor<i64>,
    alpha: Option<&Tensor<T>>,
    gamma: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "softmax_focal_loss";
    if !(gamma >= 0.0 && gamma.is_finite()) {
        panic!("{LOSS}: gamma must be zero or positive and finite, got {gamma}");
    }
    let (batched, targets, unbatched) = batch_up(LOSS, logits, targets);
    check_class_weight(LOSS, alpha, batched.shape()[1]);
    let picked = pick(LOSS, &batched.log_softmax(1), &targets, alpha, None);
    let mut loss = picked.nll;
    if gamma > 0.0 {
        let mut miss = picked.log_p_true.exp().rsub_scalar(T::ONE);
        if gamma < 1.0 {
            // As in sigmoid_focal_loss: keep x^γ off its infinite slope at 0.
            miss = miss.clamp(c(1e-30), T::ONE);
        }
        loss = &loss * &miss.powf(c(gamma));
    }
    match reduction {
        Reduction::None if unbatched => loss.reshape(Vec::<usize>::new()),
        Reduction::None => loss,
        Reduction::Sum => loss.sum_all(),
        Reduction::Mean => loss.mean_all(),
    }
}

/// Multi-class margin (hinge) loss, PyTorch's `F.multi_margin_loss` / `nn.MultiMarginLoss`: for
/// scores x of shape `[N, C]` (or `[C]`) and class indices y of shape `[N]` (or `[]`),
///
/// lossᵢ = (1/C)·Σ_{j ≠ yᵢ} w_{yᵢ}·max(0, margin − x_{i,yᵢ} + x_{ij})^p,
///
/// the multi-class SVM loss of Weston and Watkins: every wrong class whose score comes within
/// `margin` (PyTorch's default 1) of the true class's score is charged, linearly for `p = 1`
/// (PyTorch's default) or squared for `p = 2`. `weight` (optional, `[C]`) scales each sample by
/// the weight of its true class; `Mean` divides by N whatever the weights. Panics on `p` other
/// than 1 or 2 and on a class index out of range.
pub fn multi_margin_loss<T: Float>(
    scores: &Variable<T>,
    targets: &Tensor<i64>,
    p: u32,
    margin: f64,
    weight: Option<&Tensor<T>>,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "multi_margin_loss";
    if p != 1 && p != 2 {
        panic!("{LOSS}: p must be 1 or 2, got {p}");
    }
    check_finite_param(LOSS, "margin", margin);
    if scores.rank() > 2 {
        panic!("{LOSS}: scores must be [N, C] or [C], got {}", dims_str(&scores.shape()));
    }
    let (batched, targets, unbatched) = batch_up(LOSS, scores, targets);
    let classes = batched.shape()[1];
    check_class_weight(LOSS, weight, classes);
    if let Some((index, value)) = first_bad(&targets, |t| !(0..classes as i64).contains(&t)) {
        panic!(
            "{LOSS}: target {value} at index {index:?} is out of range for {classes} classes (valid: 0..={})",
            classes as i64 - 1
        );
    }
    let column = targets.unsqueeze(1);
    let true_score = batched.gather(1, &column);
    let mut violation = (&batched - &true_score).add_scalar(c(margin)).relu();
    if p == 2 {
        violation = violation.square();
    }
    // The true class itself is not a competitor.
    let is_true = Tensor::from_vec((0..classes as i64).collect::<Vec<_>>(), [1, classes]).eq(&column);
    let mut loss = violation.masked_fill(&is_true, T::ZERO).sum(1, false).mul_scalar(c(1.0 / classes as f64));
    if let Some(w) = weight {
        loss = &loss * &Variable::constant(w.index_select(0, &targets));
    }
    match reduction {
        Reduction::None if unbatched => loss.reshape(Vec::<usize>::new()),
        other => super::reduction::reduce(loss, other),
    }
}
