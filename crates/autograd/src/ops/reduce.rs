//! Reductions and softmax. A reduction's backward spreads the gradient of each output back
//! over the elements that produced it.

use crate::Variable;
use kindling_tensor::shape::{normalize_axes, normalize_axis};
use kindling_tensor::{Axes, Float, Tensor};

/// Brings a reduced gradient back to the input's shape: re-insert the reduced axes (when
/// `keepdim` dropped them), then broadcast along them.
fn spread<T: Float>(g: &Tensor<T>, input_shape: &[usize], axes: &[usize], keepdim: bool) -> Tensor<T> {
    let mut g = g.clone();
    if !keepdim {
        for &a in axes {
            g = g.unsqueeze(a as isize);
        }
    }
    g.broadcast_to(input_shape)
}

fn count(shape: &[usize], axes: &[usize]) -> usize {
    axes.iter().map(|&a| shape[a]).product()
}

impl<T: Float> Variable<T> {
    /// Sum over `axes`; the gradient of every summed element is the output's gradient.
    pub fn sum(&self, axes: impl Into<Axes>, keepdim: bool) -> Variable<T> {
        let x = self.value();
        let axes = normalize_axes("sum", &axes.into(), x.shape());
        let shape = x.shape().to_vec();
        let y = x.sum(Axes::These(axes.iter().map(|&a| a as isize).collect()), keepdim);
        Variable::from_op("sum", y, vec![self.clone()], move |g, _| vec![Some(spread(g, &shape, &axes, keepdim))])
    }

    /// The sum of every element, as a scalar variable (a typical loss).
    pub fn sum_all(&self) -> Variable<T> {
        self.sum(Axes::All, false)
    }

    /// Mean over `axes`: each element gets 1/N of the output's gradient.
    pub fn mean(&self, axes: impl Into<Axes>, keepdim: bool) -> Variable<T> {
        let axes = axes.into();
        let n = count(&self.shape(), &normalize_axes("mean", &axes, &self.shape()));
        self.sum(axes, keepdim).mul_scalar(T::from_f64(1.0 / n as f64))
    }

    /// The mean of every element, as a scalar variable.
    pub fn mean_all(&self) -> Variable<T> {
        self.mean(Axes::All, false)
    }

    /// Variance over `axes` dividing by N − `correction` (0: population, 1: sample):
    /// ∂var/∂xᵢ = 2(xᵢ − mean)/(N − correction).
    pub fn var_with_correction(&self, axes: impl Into<Axes>, correction: usize, keepdim: bool) -> Variable<T> {
        let x = self.value();
        let axes_list = normalize_axes("var", &axes.into(), x.shape());
        let as_axes = || Axes::These(axes_list.iter().map(|&a| a as isize).collect());
        let n = count(x.shape(), &axes_list);
        let y = x.var_with_correction(as_axes(), correction, keepdim);
        let centered = &x - &x.mean(as_axes(), true);
        let scale = T::from_f64(2.0 / n.saturating_sub(correction) as f64);
        let shape = x.shape().to_vec();
        Variable::from_op("var", y, vec![self.clone()], move |g, _| {
            vec![Some(&(&spread(g, &shape, &axes_list, keepdim) * &centered) * scale)]
        })
    }

    /// Standard deviation over `axes` with `correction` as in
    /// [`Variable::var_with_correction`]: ∂σ/∂xᵢ = (xᵢ − mean)/((N − correction)·σ). Where σ
    /// is 0 (all elements equal) the gradient is taken as 0, as PyTorch does, not 0/0.
    pub fn std_with_correction(&self, axes: impl Into<Axes>, correction: usize, keepdim: bool) -> Variable<T> {
        let x = self.value();
        let axes_list = normalize_axes("std", &axes.into(), x.shape());
        let as_axes = || Axes::These(axes_list.iter().map(|&a| a as isize).collect());
        let n = count(x.shape(), &axes_list);
        let kept = x.std_with_correction(as_axes(), correction, true);
        let centered = &x - &x.mean(as_axes(), true);
        let denom = &kept * T::from_f64(n.saturating_sub(correction) as f64);
        let zero = kept.eq(&Tensor::scalar(T::ZERO));
        let scale = Tensor::where_cond(&zero, &Tensor::scalar(T::ZERO), &denom.recip());
        let y = if keepdim { kept } else { kept.reshape(spread_shape(x.shape(), &axes_list)) };
        let shape = x.shape().to_vec();
        Variable::from_op("std", y, vec![self.clone()], move |g, _| {
            vec![Some(&(&spread(g, &shape, &axes_list, keepdim) * &centered) * &scale)]
        })
    }

    /// Sample standard deviation (N − 1), PyTorch's default.
    pub fn std(&self, axes: impl Into<Axes>, keepdim: bool) -> Variable<T> {
        self.std_with_correction(axes, 1, keepdim)
    }

    /// Sample variance (N − 1).
    pub fn var(&self, axes: impl Into<Axes>, keepdim: bool) -> Variable<T> {
        self.var_with_correction(axes, 1, keepdim)
    }

    /// Largest value over `axes`. Ties follow PyTorch: along one axis (`torch.max(x, dim)`)
    /// the whole gradient goes to the index [`Tensor::max_with_indices`] returns, the first
    /// of the tied elements; over several axes or `Axes::All` (`amax`, `torch.max(x)`) it is
    /// split evenly among them.
    pub fn max(&self, axes: impl Into<Axes>, keepdim: bool) -> Variable<T> {
        self.extreme("max", axes.into(), keepdim, true)
    }

    /// Smallest value over `axes`; ties as for [`Variable::max`].
    pub fn min(&self, axes: impl Into<Axes>, keepdim: bool) -> Variable<T> {
        self.extreme("min", axes.into(), keepdim, false)
    }

    fn extreme(&self, name: &'static str, axes: Axes, keepdim: bool, largest: bool) -> Variable<T> {
        let x = self.value();
        let axes_list = normalize_axes(name, &axes, x.shape());
        let by_index = !matches!(axes, Axes::All) && axes_list.len() == 1;
        let as_axes = Axes::These(axes_list.iter().map(|&a| a as isize).collect());
        let (kept, share) = if by_index {
            let a = axes_list[0] as isize;
            let (kept, index) = if largest { x.max_with_indices(a, true) } else { x.min_with_indices(a, true) };
            let one_hot = Tensor::zeros(x.shape()).scatter_add(a, &index, &Tensor::ones(index.shape()));
            (kept, one_hot)
        } else {
            let kept = if largest { x.max(as_axes.clone(), true) } else { x.min(as_axes.clone(), true) };
            let winners = x.eq(&kept).cast::<T>();
            let share = &winners / &winners.sum(as_axes, true);
            (kept, share)
        };
        let y = if keepdim { kept } else { kept.reshape(spread_shape(x.shape(), &axes_list)) };
        let shape = x.shape().to_vec();
        Variable::from_op(name, y, vec![self.clone()], move |g, _| {
            vec![Some(&spread(g, &shape, &axes_list, keepdim) * &share)]
        })
    }

    /// ln Σ eˣ over `axes`; its gradient is the softmax over those axes.
    pub fn logsumexp(&self, axes: impl Into<Axes>, keepdim: bool) -> Variable<T> {
        let x = self.value();
        let axes_list = normalize_axes("logsumexp", &axes.into(), x.shape());
        let as_axes = || Axes::These(axes_list.iter().map(|&a| a as isize).collect());
        let kept = x.logsumexp(as_axes(), true);
        let softmax = (&x - &kept).exp();
        let y = if keepdim { kept } else { kept.reshape(spread_shape(x.shape(), &axes_list)) };
        let shape = x.shape().to_vec();
        Variable::from_op("logsumexp", y, vec![self.clone()], move |g, _| {
            vec![Some(&spread(g, &shape, &axes_list, keepdim) * &softmax)]
        })
    }

    /// Softmax along `axis`. Its Jacobian is diag(s) − s sᵀ, so the backward is
    /// s ⊙ (g − Σ g ⊙ s) without ever building the matrix.
    pub fn softmax(&self, axis: isize) -> Variable<T> {
        let a = normalize_axis("softmax", axis, &self.shape()) as isize;
        let s = self.value().softmax(a);
        let saved = s.clone();
        Variable::from_op("softmax", s, vec![self.clone()], move |g, _| {
            let dot = (g * &saved).sum(a, true);
            vec![Some(&saved * &(g - &dot))]
        })
    }

    /// ln softmax along `axis`; backward g − softmax ⊙ Σ g.
    pub fn log_softmax(&self, axis: isize) -> Variable<T> {
        let a = normalize_axis("log_softmax", axis, &self.shape()) as isize;
        let y = self.value().log_softmax(a);
        let softmax = y.exp();
        Variable::from_op("log_softmax", y, vec![self.clone()], move |g, _| {
            vec![Some(g - &(&softmax * &g.sum(a, true)))]
        })
    }
}

/// The shape after dropping `axes`.
fn spread_shape(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    shape.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect()
}
