//! How a loss turns its per-element values into one result: [`Reduction`] for every loss, and
//! [`KlReduction`], which adds the per-sample mean that KL divergence needs.

use kindling_autograd::Variable;
use kindling_tensor::Float;

/// How a loss turns its per-element values into the result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// No reduction: one loss per element (per sample for
    /// [`cross_entropy`](super::cross_entropy)), shaped like the target.
    None,
    /// The mean over elements (PyTorch's default). Weighted class-index losses
    /// ([`cross_entropy`](super::cross_entropy), [`nll_loss`](super::nll_loss)) divide by the sum
    /// of the weights of the targets that count instead.
    #[default]
    Mean,
    /// The sum over elements.
    Sum,
}

/// The reductions of [`kl_div`](super::kl_div): [`Reduction`]'s three plus `BatchMean`.
///
/// `Mean` divides the summed divergence by the number of *elements* (N·K for N distributions
/// over K outcomes), the mean divergence per sample divided once more by K; `BatchMean` divides
/// by N, the batch size (the first axis), which is the mean KL divergence per sample. PyTorch keeps
/// `"mean"` as its default for compatibility and warns; here the default is `BatchMean`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KlReduction {
    /// One value per element.
    None,
    /// The sum divided by the number of elements (rarely what you want).
    Mean,
    /// The sum.
    Sum,
    /// The sum divided by the size of the first axis: the mean divergence per sample.
    #[default]
    BatchMean,
}

impl From<Reduction> for KlReduction {
    fn from(r: Reduction) -> Self {
        match r {
            Reduction::None => KlReduction::None,
            Reduction::Mean => KlReduction::Mean,
            Reduction::Sum => KlReduction::Sum,
        }
    }
}

pub(super) fn reduce<T: Float>(loss: Variable<T>, reduction: Reduction) -> Variable<T> {
    match reduction {
        Reduction::None => loss,
        Reduction::Mean => loss.mean_all(),
        Reduction::Sum => loss.sum_all(),
    }
}
