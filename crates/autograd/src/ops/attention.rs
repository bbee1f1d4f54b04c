//! Differentiable scaled dot-product attention, one recorded op per call
//! ([`kindling_tensor::attention`] holds the kernels and the semantics, PyTorch's). The masks
//! are constants: gradients flow to q, k and v only.
//!
//! The forward pass keeps the output and the row log-sum-exps (`[*, L]`), never the `L × S`
//! weights: the fast backward kernel recomputes them tile by tile, so the memory a recorded
//! call holds grows linearly with the context. The naive backward kernel recomputes them whole.

use crate::Variable;
use kindling_tensor::attention::{self as kernels, AttentionConfig};
use kindling_tensor::Float;

/// Attention of queries `q` `[*, L, E]` over keys `k` `[*, S, E]` and values `v` `[*, S, Ev]`
/// (same leading axes): `[*, L, Ev]`, on the naive or fast kernels by the kernel mode.
///
/// ```
/// use kindling_autograd::attention::scaled_dot_product_attention;
/// use kindling_autograd::Variable;
/// use kindling_tensor::attention::AttentionConfig;
/// use kindling_tensor::Tensor;
///
/// let q = Variable::param(Tensor::from([[[1.0f64, 0.0]]]));
/// let k = Variable::param(Tensor::from([[[0.0, 1.0], [0.0, -1.0]]]));
/// let v = Variable::param(Tensor::from([[[2.0], [4.0]]]));
/// let out = scaled_dot_product_attention(&q, &k, &v, &AttentionConfig::default());
/// assert_eq!(out.value().to_vec(), vec![3.0]); // equal scores: the mean of the values
/// out.sum_all().backward();
/// assert_eq!(v.grad().unwrap().to_vec(), vec![0.5, 0.5]);
/// ```
pub fn scaled_dot_product_attention<T: Float>(
    q: &Variable<T>,
    k: &Variable<T>,
    v: &Variable<T>,
    cfg: &AttentionConfig<T>,
) -> Variable<T> {
    let (qv, kv, vv) = (q.value(), k.value(), v.value());
    let fwd = kernels::forward(&qv, &kv, &vv, cfg);
    let value = fwd.out.clone();
    let cfg = cfg.clone();
    Variable::from_op("scaled_dot_product_attention", value, vec![q.clone(), k.clone(), v.clone()], move |d, needs| {
        let grads = kernels::backward(&qv, &kv, &vv, &cfg, &fwd, d);
        vec![needs[0].then_some(grads.q), needs[1].then_some(grads.k), needs[2].then_some(grads.v)]
    })
}

/// The attention weights `[*, L, S]` (after dropout when `cfg.dropout > 0`), differentiable
/// with respect to q and k; always on the naive kernel (it materialises them anyway).
pub fn attention_weights<T: Float>(q: &Variable<T>, k: &Variable<T>, cfg: &AttentionConfig<T>) -> Variable<T> {
    let (qv, kv) = (q.value(), k.value());
    let value = kernels::attention_weights(&qv, &kv, cfg);
    let cfg = cfg.clone();
    Variable::from_op("attention_weights", value, vec![q.clone(), k.clone()], move |d, needs| {
        if !needs.iter().any(|&n| n) {
            return vec![None, None];
        }
        let (dq, dk) = kernels::weights_backward(&qv, &kv, &cfg, d);
        vec![needs[0].then_some(dq), needs[1].then_some(dk)]
    })
}
