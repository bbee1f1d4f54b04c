//! Layer normalisation as one recorded op (`kindling_tensor::norm` holds the fused kernels):
//! the forward saves only x, the per-row mean and rstd, and the backward returns dx, dγ and dβ
//! from one pass, instead of walking back through the six ops the formula is made of.

use crate::Variable;
use kindling_tensor::norm::{layer_norm, layer_norm_backward};
use kindling_tensor::Float;

impl<T: Float> Variable<T> {
    /// Layer normalisation over the last `normalized_len` elements of each sample (the product
    /// of the trailing axes: `C` for a `[B, T, C]` activation): each row is centred, divided by
    /// √(biased variance + `eps`), then scaled by `weight` and shifted by `bias` (each of
    /// `normalized_len` elements, any shape, e.g. PyTorch's `normalized_shape`). The same
    /// values as `(x − mean) / √(var + eps) · γ + β` composed from separate ops, in one
    /// recorded op whose backward is one fused pass. Naive or fast by `kernel_mode()`.
    ///
    /// ```
    /// use kindling_autograd::Variable;
    /// use kindling_tensor::Tensor;
    ///
    /// let x = Variable::param(Tensor::from([[1.0f64, 3.0], [0.0, 4.0]]));
    /// let gamma = Variable::param(Tensor::from([2.0f64, 1.0]));
    /// let y = x.layer_norm(2, Some(&gamma), None, 0.0);
    /// assert_eq!(y.value().to_vec(), vec![-2.0, 1.0, -2.0, 1.0]);
    /// y.sum_all().backward();
    /// // dγ = Σ_rows x̂ = [-1 - 1, 1 + 1]
    /// assert_eq!(gamma.grad().unwrap().to_vec(), vec![-2.0, 2.0]);
    /// ```
    pub fn layer_norm(
        &self,
        normalized_len: usize,
        weight: Option<&Variable<T>>,
        bias: Option<&Variable<T>>,
        eps: f64,
    ) -> Variable<T> {
        let x = self.value();
        let w = weight.map(|w| w.value());
        let b = bias.map(|b| b.value());
        let out = layer_norm(&x, normalized_len, w.as_ref(), b.as_ref(), eps);
        let mut inputs = vec![self.clone()];
        inputs.extend(weight.cloned());
        inputs.extend(bias.cloned());
        let param_shape: Vec<usize> = match (&w, &b) {
            (Some(w), _) => w.shape().to_vec(),
            (None, Some(b)) => b.shape().to_vec(),
            (None, None) => vec![normalized_len],
        };
        let (has_w, has_b) = (w.is_some(), b.is_some());
        let (mean, rstd) = (out.mean, out.rstd);
        Variable::from_op("layer_norm", out.y, inputs, move |g, needs| {
            let need_w = has_w && needs[1];
            let need_b = has_b && needs[if has_w { 2 } else { 1 }];
            let grads = layer_norm_backward(
                g,
                &x,
                &mean,
                &rstd,
                normalized_len,
                w.as_ref(),
                &param_shape,
                (needs[0], need_w, need_b),
            );
            let mut result = vec![grads.dx];
            if has_w {
                result.push(grads.dweight);
            }
            if has_b {
                result.push(grads.dbias);
            }
            result
        })
    }
}
