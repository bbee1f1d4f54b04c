//! Normalisation layers: BatchNorm1d (statistics over the batch), LayerNorm (over each
//! sample's features), GroupNorm (over groups of channels of each sample) and RMSNorm (a
//! LayerNorm that neither centres nor shifts).
//!
//! All three compute x̂ = (x − μ)/√(σ² + ε) with the biased variance, then γ x̂ + β with a
//! learned scale γ (starts at 1) and shift β (starts at 0). They differ only in which axes
//! μ and σ² are taken over.

use crate::{Buffer, Forward, Module, TrainingFlag, Visitor};
use kindling_autograd::{no_grad, Variable};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

fn normalize<T: Float>(x: &Variable<T>, mean: &Variable<T>, var: &Variable<T>, eps: f64) -> Variable<T> {
    &(x - mean) / &var.add_scalar(T::from_f64(eps)).sqrt()
}

/// Batch normalisation over `[N, C]` or `[N, C, L]`: per channel, statistics of the batch in
/// training (and an exponential moving average of them kept in `running_mean/var`), the
/// running statistics in evaluation. Matches PyTorch's `BatchNorm1d` (momentum 0.1, the
/// running variance uses the unbiased batch variance, `num_batches_tracked` counts updates).
pub struct BatchNorm1d<T: Float = f32> {
    pub weight: Variable<T>,
    pub bias: Variable<T>,
    pub running_mean: Buffer<T>,
    pub running_var: Buffer<T>,
    pub num_batches_tracked: Buffer<i64>,
    pub eps: f64,
    pub momentum: f64,
    training: TrainingFlag,
}

impl<T: Float> BatchNorm1d<T> {
    pub fn new(num_features: usize) -> Self {
        BatchNorm1d {
            weight: Variable::param(Tensor::ones([num_features])),
            bias: Variable::param(Tensor::zeros([num_features])),
            running_mean: Buffer::new(Tensor::zeros([num_features])),
            running_var: Buffer::new(Tensor::ones([num_features])),
            num_batches_tracked: Buffer::new(Tensor::scalar(0)),
            eps: 1e-5,
            momentum: 0.1,
            training: TrainingFlag::default(),
        }
    }

    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    pub fn momentum(mut self, momentum: f64) -> Self {
        assert!((0.0..=1.0).contains(&momentum), "BatchNorm1d: momentum {momentum} is outside [0, 1]");
        self.momentum = momentum;
        self
    }

    fn num_features(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl<T: Float> Module<T> for BatchNorm1d<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", &self.weight);
        v.param("bias", &self.bias);
        v.buffer("running_mean", &self.running_mean);
        v.buffer("running_var", &self.running_var);
        v.buffer("num_batches_tracked", &self.num_batches_tracked);
        v.mode(&self.training);
    }
}

impl<T: Float> Forward<T> for BatchNorm1d<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let shape = x.shape();
        let c = self.num_features();
        if !(shape.len() == 2 || shape.len() == 3) || shape[1] != c {
            panic!("BatchNorm1d: expected input [N, {c}] or [N, {c}, L], got {}", dims_str(&shape));
        }
        // Per-channel tensors broadcast against [N, C] as [C], against [N, C, L] as [C, 1].
        let per_channel: Vec<usize> = if shape.len() == 2 { vec![c] } else { vec![c, 1] };
        let axes: Vec<isize> = if shape.len() == 2 { vec![0] } else { vec![0, 2] };
        let x_hat = if self.training.get() {
            let count = shape.iter().product::<usize>() / c;
            if count < 2 {
                panic!(
                    "BatchNorm1d: training needs more than one value per channel to estimate a variance, got input {}",
                    dims_str(&shape)
                );
            }
            let mean = x.mean(axes.clone(), true);
            let var = x.var_with_correction(axes, 0, true);
            no_grad(|| {
                let m = T::from_f64(self.momentum);
                let unbiased = var.value() * T::from_f64(count as f64 / (count as f64 - 1.0));
                let update = |buffer: &Buffer<T>, batch: Tensor<T>| {
                    let old = buffer.value();
                    buffer.replace(&old * (T::ONE - m) + batch.reshape([c as isize]) * m);
                };
                update(&self.running_mean, mean.value());
                update(&self.running_var, unbiased);
                self.num_batches_tracked.replace(self.num_batches_tracked.value() + 1);
            });
            normalize(x, &mean, &var, self.eps)
        } else {
            let mean = Variable::constant(self.running_mean.value().reshape(per_channel.clone()));
            let var = Variable::constant(self.running_var.value().reshape(per_channel.clone()));
            normalize(x, &mean, &var, self.eps)
        };
        &(&x_hat * &self.weight.reshape(per_channel.clone())) + &self.bias.reshape(per_channel)
    }
}

/// The learned scale γ (starts at 1) and shift β (starts at 0) of LayerNorm and GroupNorm,
/// both absent after `without_affine`. Saved as `weight` and `bias`, as PyTorch names them.
///
/// Named after PyTorch's `elementwise_affine` flag, apart from vision's `RandomAffine` (a warp).
pub struct ElementwiseAffine<T: Float> {
    pub weight: Option<Variable<T>>,
    pub bias: Option<Variable<T>>,
}

impl<T: Float> ElementwiseAffine<T> {
    fn new(shape: &[usize]) -> Self {
        ElementwiseAffine {
            weight: Some(Variable::param(Tensor::ones(shape.to_vec()))),
            bias: Some(Variable::param(Tensor::zeros(shape.to_vec()))),
        }
    }

    fn visit(&self, v: &mut Visitor<'_, T>) {
        if let Some(w) = &self.weight {
            v.param("weight", w);
        }
        if let Some(b) = &self.bias {
            v.param("bias", b);
        }
    }

    /// γ x̂ + β, with γ and β viewed as `shape` to broadcast against x̂.
    fn apply(&self, x_hat: Variable<T>, shape: &[usize]) -> Variable<T> {
        let mut out = x_hat;
        if let Some(w) = &self.weight {
            out = &out * &w.reshape(shape.to_vec());
        }
        if let Some(b) = &self.bias {
            out = &out + &b.reshape(shape.to_vec());
        }
        out
    }
}

/// Layer normalisation over the trailing `normalized_shape` axes of each sample (each token,
/// in a transformer): no batch statistics, so training and evaluation behave the same.
pub struct LayerNorm<T: Float = f32> {
    pub affine: ElementwiseAffine<T>,
    normalized_shape: Vec<usize>,
    pub eps: f64,
}

impl<T: Float> LayerNorm<T> {
    pub fn new(normalized_shape: impl Into<Vec<usize>>) -> Self {
        let normalized_shape = normalized_shape.into();
        assert!(!normalized_shape.is_empty(), "LayerNorm: normalized_shape must name at least one axis");
        LayerNorm { affine: ElementwiseAffine::new(&normalized_shape), normalized_shape, eps: 1e-5 }
    }

    /// Without the learned scale and shift (`elementwise_affine=False`).
    pub fn without_affine(mut self) -> Self {
        self.affine = ElementwiseAffine { weight: None, bias: None };
        self
    }

    /// With the learned scale but no shift (PyTorch's `bias=False`).
    pub fn without_bias(mut self) -> Self {
        self.affine.bias = None;
        self
    }

    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
}

impl<T: Float> Module<T> for LayerNorm<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        self.affine.visit(v);
    }
}

impl<T: Float> Forward<T> for LayerNorm<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let shape = x.shape();
        let k = self.normalized_shape.len();
        if shape.len() < k || shape[shape.len() - k..] != self.normalized_shape[..] {
            panic!(
                "LayerNorm: input of shape {} does not end in normalized_shape {}",
                dims_str(&shape),
                dims_str(&self.normalized_shape)
            );
        }
        // One fused op (kindling_tensor::norm) instead of mean, var, sub, sqrt, div, mul, add.
        let len = self.normalized_shape.iter().product();
        x.layer_norm(len, self.affine.weight.as_ref(), self.affine.bias.as_ref(), self.eps)
    }
}

/// Root-mean-square normalisation over the trailing `normalized_shape` axes (PyTorch's
/// `nn.RMSNorm`): x / √(mean(x²) + ε) · γ, with no mean subtracted and no shift, so it is
/// cheaper than LayerNorm (used by LLaMA-style transformers). γ starts at 1 and is absent
/// after `without_affine`. `eps` left as `None` means the float type's machine epsilon, as
/// PyTorch's default does.
pub struct RMSNorm<T: Float = f32> {
    pub weight: Option<Variable<T>>,
    normalized_shape: Vec<usize>,
    pub eps: Option<f64>,
}

impl<T: Float> RMSNorm<T> {
    pub fn new(normalized_shape: impl Into<Vec<usize>>) -> Self {
        let normalized_shape = normalized_shape.into();
        assert!(!normalized_shape.is_empty(), "RMSNorm: normalized_shape must name at least one axis");
        let weight = Some(Variable::param(Tensor::ones(normalized_shape.clone())));
        RMSNorm { weight, normalized_shape, eps: None }
    }

    /// Without the learned scale (`elementwise_affine=False`).
    pub fn without_affine(mut self) -> Self {
        self.weight = None;
        self
    }

    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = Some(eps);
        self
    }
}

impl<T: Float> Module<T> for RMSNorm<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        if let Some(w) = &self.weight {
            v.param("weight", w);
        }
    }
}

impl<T: Float> Forward<T> for RMSNorm<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let shape = x.shape();
        let k = self.normalized_shape.len();
        if shape.len() < k || shape[shape.len() - k..] != self.normalized_shape[..] {
            panic!(
                "RMSNorm: input of shape {} does not end in normalized_shape {}",
                dims_str(&shape),
                dims_str(&self.normalized_shape)
            );
        }
        let axes: Vec<isize> = (shape.len() - k..shape.len()).map(|a| a as isize).collect();
        let eps = self.eps.map_or(T::EPSILON, T::from_f64);
        let rms = x.square().mean(axes, true).add_scalar(eps).sqrt();
        let y = x / &rms;
        match &self.weight {
            Some(w) => &y * w,
            None => y,
        }
    }
}

/// Group normalisation of `[N, C, *]`: the C channels are split into `num_groups` groups and
/// each sample's group is normalised on its own; independent of the batch size, so it works
/// with batches of one. One group is LayerNorm over `[C, *]`; C groups is InstanceNorm.
pub struct GroupNorm<T: Float = f32> {
    pub affine: ElementwiseAffine<T>,
    num_groups: usize,
    num_channels: usize,
    pub eps: f64,
}

impl<T: Float> GroupNorm<T> {
    pub fn new(num_groups: usize, num_channels: usize) -> Self {
        assert!(
            num_groups > 0 && num_channels.is_multiple_of(num_groups),
            "GroupNorm: {num_channels} channels cannot be split into {num_groups} equal groups"
        );
        GroupNorm { affine: ElementwiseAffine::new(&[num_channels]), num_groups, num_channels, eps: 1e-5 }
    }

    pub fn without_affine(mut self) -> Self {
        self.affine = ElementwiseAffine { weight: None, bias: None };
        self
    }

    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
}

impl<T: Float> Module<T> for GroupNorm<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        self.affine.visit(v);
    }
}

impl<T: Float> Forward<T> for GroupNorm<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let shape = x.shape();
        if shape.len() < 2 || shape[1] != self.num_channels {
            panic!("GroupNorm: expected input [N, {}, *], got {}", self.num_channels, dims_str(&shape));
        }
        let grouped = x.reshape([shape[0] as isize, self.num_groups as isize, -1]);
        let mean = grouped.mean(2, true);
        let var = grouped.var_with_correction(2, 0, true);
        let x_hat = normalize(&grouped, &mean, &var, self.eps).reshape(shape.clone());
        // Per-channel parameters as [C, 1, 1, ...] to broadcast over the spatial axes.
        let mut per_channel = vec![self.num_channels];
        per_channel.extend(std::iter::repeat_n(1, shape.len() - 2));
        self.affine.apply(x_hat, &per_channel)
    }
}

/// Batch normalisation of `[N, C, H, W]` per channel, over the batch and both spatial axes.
/// The same statistics, buffers and names as [`BatchNorm1d`] (weight, bias, running_mean,
/// running_var, num_batches_tracked), which does the work on the `[N, C, H·W]` view.
pub struct BatchNorm2d<T: Float = f32> {
    pub inner: BatchNorm1d<T>,
}

impl<T: Float> BatchNorm2d<T> {
    pub fn new(num_features: usize) -> Self {
        BatchNorm2d { inner: BatchNorm1d::new(num_features) }
    }

    pub fn eps(mut self, eps: f64) -> Self {
        self.inner = self.inner.eps(eps);
        self
    }

    pub fn momentum(mut self, momentum: f64) -> Self {
        self.inner = self.inner.momentum(momentum);
        self
    }

    pub fn weight(&self) -> &Variable<T> {
        &self.inner.weight
    }

    pub fn bias(&self) -> &Variable<T> {
        &self.inner.bias
    }

    pub fn running_mean(&self) -> &Buffer<T> {
        &self.inner.running_mean
    }

    pub fn running_var(&self) -> &Buffer<T> {
        &self.inner.running_var
    }
}

impl<T: Float> Module<T> for BatchNorm2d<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        // The inner layer's items under this layer's own names (no extra path segment).
        self.inner.visit(v);
    }
}

impl<T: Float> Forward<T> for BatchNorm2d<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let shape = x.shape();
        let c = self.inner.weight.numel();
        if shape.len() != 4 || shape[1] != c {
            panic!("BatchNorm2d: expected input [N, {c}, H, W], got {}", dims_str(&shape));
        }
        let flat = x.reshape([shape[0] as isize, c as isize, -1]);
        self.inner.forward(&flat).reshape(shape)
    }
}
