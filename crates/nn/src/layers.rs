//! The basic layers: Linear, Embedding, Flatten, Identity, Dropout and a residual wrapper.

use crate::{init, Forward, Module, TrainingFlag, Visitor};
use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};
use std::sync::Mutex;

/// y = x Wᵀ + b, over the last axis of `x` (`[.., in]` → `[.., out]`).
///
/// The weight is `[out, in]` as in PyTorch, so checkpoints load without transposes. Default
/// initialisation matches PyTorch: W and b uniform in ±1/√in (Kaiming-uniform with a = √5).
pub struct Linear<T: Float = f32> {
    pub weight: Variable<T>,
    pub bias: Option<Variable<T>>,
}

impl<T: Float> Linear<T> {
    pub fn new(in_features: usize, out_features: usize, rng: &mut Rng) -> Self {
        let mut layer = Self::without_bias(in_features, out_features, rng);
        let bound = 1.0 / (in_features as f64).sqrt();
        layer.bias = Some(Variable::param(init::uniform([out_features], -bound, bound, rng)));
        layer
    }

    /// A layer with no bias (followed by a norm layer, the bias is redundant).
    pub fn without_bias(in_features: usize, out_features: usize, rng: &mut Rng) -> Self {
        let weight = init::kaiming_uniform(
            [out_features, in_features],
            init::FanMode::FanIn,
            init::Nonlinearity::LeakyRelu(5f64.sqrt()),
            rng,
        );
        Linear { weight: Variable::param(weight), bias: None }
    }

    /// A layer with the given weight `[out, in]` and optional bias `[out]`.
    pub fn from_weights(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Self {
        assert_eq!(weight.rank(), 2, "Linear: the weight must be [out, in], got shape {}", dims_str(weight.shape()));
        if let Some(b) = &bias {
            assert_eq!(
                b.shape(),
                &weight.shape()[..1],
                "Linear: bias of shape {} does not match weight of shape {}",
                dims_str(b.shape()),
                dims_str(weight.shape())
            );
        }
        Linear { weight: Variable::param(weight), bias: bias.map(Variable::param) }
    }

    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl<T: Float> Module<T> for Linear<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", &self.weight);
        if let Some(b) = &self.bias {
            v.param("bias", b);
        }
    }
}

impl<T: Float> Forward<T> for Linear<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let shape = x.shape();
        if shape.last() != Some(&self.in_features()) {
            panic!(
                "Linear: input of shape {} must end in in_features = {} (weight is {})",
                dims_str(&shape),
                self.in_features(),
                dims_str(&self.weight.shape())
            );
        }
        // One recorded op (matmul, bias and their backward together; a dense weight gradient).
        x.linear(&self.weight, self.bias.as_ref())
    }
}

/// A lookup table: row `i` is the learned vector of token/category `i`. Initialised
/// N(0, 1) as in PyTorch.
///
/// With [`Embedding::padding_idx`], that row (a padding token's) is set to zeros and never
/// receives a gradient, so it stays whatever it is while the rest trains (PyTorch's
/// `padding_idx`).
pub struct Embedding<T: Float = f32> {
    pub weight: Variable<T>,
    pub padding_idx: Option<usize>,
}

impl<T: Float> Embedding<T> {
    pub fn new(num_embeddings: usize, dim: usize, rng: &mut Rng) -> Self {
        Embedding { weight: Variable::param(init::normal([num_embeddings, dim], 0.0, 1.0, rng)), padding_idx: None }
    }

    pub fn from_weights(weight: Tensor<T>) -> Self {
        assert_eq!(weight.rank(), 2, "Embedding: the table must be [num, dim], got shape {}", dims_str(weight.shape()));
        Embedding { weight: Variable::param(weight), padding_idx: None }
    }

    /// Makes row `index` (negative counts from the end) the padding row: zeroed now, frozen
    /// from then on.
    pub fn padding_idx(mut self, index: i64) -> Self {
        let num = self.weight.shape()[0] as i64;
        let row = if index < 0 { index + num } else { index };
        if !(0..num).contains(&row) {
            panic!("Embedding: padding_idx {index} is out of range for a table of {num} rows");
        }
        let zeroed = self.weight.value().index_fill_row(row as usize);
        self.weight.set_value(zeroed);
        self.padding_idx = Some(row as usize);
        self
    }
}

trait ZeroRow {
    fn index_fill_row(&self, row: usize) -> Self;
}

impl<T: Float> ZeroRow for Tensor<T> {
    /// A copy with row `row` set to zeros.
    fn index_fill_row(&self, row: usize) -> Self {
        let rows = Tensor::<i64>::arange(self.shape()[0] as i64).reshape([-1, 1]);
        self.masked_fill(&rows.eq_scalar(row as i64), T::ZERO)
    }
}

impl<T: Float> Module<T> for Embedding<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", &self.weight);
    }
}

/// Token ids in, vectors out: the input is a `Tensor<i64>`, not a differentiable value.
impl<T: Float> Forward<T, Tensor<i64>> for Embedding<T> {
    /// Looks up `indices` of any shape; the result has shape `indices.shape + [dim]`.
    fn forward(&self, indices: &Tensor<i64>) -> Variable<T> {
        let num = self.weight.shape()[0] as i64;
        if let Some(bad) = indices.to_vec().into_iter().find(|&i| i < 0 || i >= num) {
            panic!("Embedding: index {bad} is out of range for a table of {num} rows");
        }
        let looked_up = self.weight.embedding(indices);
        match self.padding_idx {
            // The padding positions read the row's value as a constant: no gradient flows back.
            Some(pad) => {
                let at_pad = indices.eq_scalar(pad as i64).unsqueeze(-1);
                Variable::where_cond(&at_pad, &Variable::constant(looked_up.value()), &looked_up)
            }
            None => looked_up,
        }
    }
}

/// Merges axes `start..=end` into one (default: everything but the batch axis).
#[derive(Clone, Copy, Debug)]
pub struct Flatten {
    pub start: isize,
    pub end: isize,
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten { start: 1, end: -1 }
    }
}

impl Flatten {
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Float> Module<T> for Flatten {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}

impl<T: Float> Forward<T> for Flatten {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        x.flatten(self.start, self.end)
    }
}

/// Returns its input (a placeholder when swapping layers out).
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl<T: Float> Module<T> for Identity {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}

impl<T: Float> Forward<T> for Identity {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        x.clone()
    }
}

/// In training, zeroes each element with probability `p` and scales the survivors by
/// 1/(1 − p), so the expected activation is unchanged and evaluation needs no rescaling
/// (inverted dropout). In evaluation it is the identity.
pub struct Dropout {
    p: f64,
    rng: Mutex<Rng>,
    training: TrainingFlag,
}

impl Dropout {
    /// Draws its masks from a generator forked from `rng`, so runs are reproducible.
    pub fn new(p: f64, rng: &mut Rng) -> Self {
        assert!((0.0..=1.0).contains(&p), "Dropout: probability {p} is outside [0, 1]");
        Dropout { p, rng: Mutex::new(rng.fork()), training: TrainingFlag::default() }
    }

    pub fn p(&self) -> f64 {
        self.p
    }
}

impl<T: Float> Module<T> for Dropout {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.mode(&self.training);
        v.rng(&self.rng);
    }
}

impl Dropout {
    /// Dropout with one mask value per element of `mask_shape`, broadcast against `x`: the
    /// shape of `x` for plain dropout, `[N, C, 1, 1]` to drop whole channels (Dropout2d).
    /// The identity in evaluation mode.
    pub fn apply<T: Float>(&self, x: &Variable<T>, mask_shape: &[usize]) -> Variable<T> {
        if !self.training.get() || self.p == 0.0 {
            return x.clone();
        }
        let keep = 1.0 - self.p;
        let mask = {
            let mut rng = self.rng.lock().expect("dropout rng");
            Tensor::<T>::bernoulli(mask_shape, keep, &mut rng)
        };
        // p = 1 drops everything; avoid 0 · ∞.
        let scale = if keep > 0.0 { 1.0 / keep } else { 0.0 };
        x * &Variable::constant(mask * T::from_f64(scale))
    }
}

impl<T: Float> Forward<T> for Dropout {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        self.apply(x, &x.shape())
    }
}

/// x + block(x): the skip connection that lets deep networks pass gradients straight through.
pub struct Residual<M> {
    pub block: M,
}

impl<M> Residual<M> {
    pub fn new(block: M) -> Self {
        Residual { block }
    }
}

impl<T: Float, M: Module<T>> Module<T> for Residual<M> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("block", &self.block);
    }
}

impl<T: Float, M: Forward<T>> Forward<T> for Residual<M> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let y = self.block.call(x);
        if y.shape() != x.shape() {
            panic!(
                "Residual: the block maps {} to {}; a skip connection needs equal shapes",
                dims_str(&x.shape()),
                dims_str(&y.shape())
            );
        }
        x + &y
    }
}

/// Channel dropout: in training, zeroes whole channels of `[N, C, H, W]` with probability `p`
/// and scales the rest by 1/(1 − p) (neighbouring pixels are correlated, so dropping single
/// pixels regularises little). The identity in evaluation.
pub struct Dropout2d {
    /// Plain dropout's mask, drawn per channel instead of per element.
    inner: Dropout,
}

impl Dropout2d {
    pub fn new(p: f64, rng: &mut Rng) -> Self {
        assert!((0.0..=1.0).contains(&p), "Dropout2d: probability {p} is outside [0, 1]");
        Dropout2d { inner: Dropout::new(p, rng) }
    }

    pub fn p(&self) -> f64 {
        self.inner.p()
    }
}

impl<T: Float> Module<T> for Dropout2d {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        Module::<T>::visit(&self.inner, v);
    }
}

impl<T: Float> Forward<T> for Dropout2d {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let shape = x.shape();
        if shape.len() != 4 {
            panic!("Dropout2d: expected input [N, C, H, W], got {}", dims_str(&shape));
        }
        self.inner.apply(x, &[shape[0], shape[1], 1, 1])
    }
}
