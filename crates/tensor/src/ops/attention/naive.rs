//! Naive attention, the way the formulas read: for every batch-head, materialise the `L × S`
//! scores, mask them, take the softmax of each row, drop out, multiply by the values. The
//! backward pass is the plain matrix derivation on the same materialised matrices:
//!
//! ```text
//! W = dropout(P)            dV = Wᵀ dO
//! dW = dO Vᵀ                dP = dW ∘ keep / (1 - p)
//! dS = P ∘ (dP − rowsum(P ∘ dP))      (the softmax's backward, row by row)
//! dQ = scale · dS K         dK = scale · dSᵀ Q
//! ```
//!
//! Strided reads one element at a time, one thread: the test oracle of [`super::fast`].

use super::{AttentionForward, AttentionGrads, Problem};
use crate::{Float, Tensor};

/// The masked, scaled scores of batch-head `n`, `L × S` row-major.
fn scores<T: Float>(p: &Problem<T>, n: usize) -> Vec<T> {
    let mut out = vec![T::ZERO; p.l * p.s];
    for i in 0..p.l {
        for j in 0..p.s {
            let mut dot = T::ZERO;
            for c in 0..p.e {
                dot += p.q.get(n, i, c) * p.k.get(n, j, c);
            }
            out[i * p.s + j] = p.scale * dot + p.bias(n, i, j);
        }
    }
    out
}

/// Softmax of each row of `scores` in place; returns each row's ln Σ e^score. A row whose
/// scores are all -inf becomes zeros, with lse +inf.
fn softmax_rows<T: Float>(scores: &mut [T], cols: usize) -> Vec<T> {
    let mut lse = Vec::new();
    for row in scores.chunks_mut(cols.max(1)) {
        let max = row.iter().fold(T::NEG_INFINITY, |m, &x| m.max_of(x));
        if max == T::NEG_INFINITY {
            row.iter_mut().for_each(|x| *x = T::ZERO);
            lse.push(T::INFINITY);
            continue;
        }
        let mut sum = T::ZERO;
        for x in row.iter_mut() {
            *x = (*x - max).exp();
            sum += *x;
        }
        row.iter_mut().for_each(|x| *x = *x / sum);
        lse.push(max + sum.ln());
    }
    lse
}

/// The weights after dropout: kept ones scaled by 1/(1-p), dropped ones 0.
fn dropped<T: Float>(p: &Problem<T>, n: usize, probs: &[T]) -> Vec<T> {
    let Some(d) = p.dropout else { return probs.to_vec() };
    let keep_scale = T::from_f64(d.keep_scale);
    let mut out = probs.to_vec();
    for i in 0..p.l {
        let key = d.row_key(n, i);
        for j in 0..p.s {
            let w = &mut out[i * p.s + j];
            *w = if d.keep(key, j) { *w * keep_scale } else { T::ZERO };
        }
    }
    out
}

/// The attention weights `[*, L, S]`, after dropout when `with_dropout`.
pub(crate) fn weights<T: Float>(p: &Problem<T>, with_dropout: bool) -> Tensor<T> {
    let mut out = Vec::with_capacity(p.n * p.l * p.s);
    for n in 0..p.n {
        let mut probs = scores(p, n);
        softmax_rows(&mut probs, p.s);
        out.extend(if with_dropout { dropped(p, n, &probs) } else { probs });
    }
    let mut shape = p.lead.clone();
    shape.extend([p.l, p.s]);
    Tensor::from_vec(out, shape)
}

/// The forward pass: materialised weights times the values.
pub(crate) fn forward<T: Float>(p: &Problem<T>) -> AttentionForward<T> {
    let v = p.v();
    let mut out = vec![T::ZERO; p.n * p.l * p.ev];
    let mut lse = Vec::with_capacity(p.n * p.l);
    for n in 0..p.n {
        let mut probs = scores(p, n);
        lse.extend(softmax_rows(&mut probs, p.s));
        let w = dropped(p, n, &probs);
        for i in 0..p.l {
            for c in 0..p.ev {
                let mut acc = T::ZERO;
                for j in 0..p.s {
                    acc += w[i * p.s + j] * v.get(n, j, c);
                }
                out[(n * p.l + i) * p.ev + c] = acc;
            }
        }
    }
    let mut lse_shape = p.lead.clone();
    lse_shape.push(p.l);
    AttentionForward { out: Tensor::from_vec(out, p.out_shape()), lse: Tensor::from_vec(lse, lse_shape) }
}

/// dQ and dK (added into `dq`, `dk` of batch-head `n`) from dP, the gradient of the weights
/// before dropout, through the softmax and the scaled product.
fn scores_backward<T: Float>(p: &Problem<T>, n: usize, probs: &[T], d_probs: &[T], dq: &mut [T], dk: &mut [T]) {
    for i in 0..p.l {
        let row = i * p.s;
        let dot: T = (0..p.s).fold(T::ZERO, |acc, j| acc + probs[row + j] * d_probs[row + j]);
        for j in 0..p.s {
            let ds = probs[row + j] * (d_probs[row + j] - dot) * p.scale;
            for c in 0..p.e {
                dq[(n * p.l + i) * p.e + c] += ds * p.k.get(n, j, c);
                dk[(n * p.s + j) * p.e + c] += ds * p.q.get(n, i, c);
            }
        }
    }
}

/// dP from the gradient of the weights after dropout.
fn undrop<T: Float>(p: &Problem<T>, n: usize, d_dropped: &mut [T]) {
    if p.dropout.is_some() {
        // Dropout is linear with the same mask forward and backward.
        let g = dropped(p, n, d_dropped);
        d_dropped.copy_from_slice(&g);
    }
}

/// The backward pass from the output's gradient `d_out` `[*, L, Ev]` (any layout).
pub(crate) fn backward<T: Float>(p: &Problem<T>, d_out: &Tensor<T>) -> AttentionGrads<T> {
    let v = p.v();
    let d_out = d_out.contiguous();
    let d_out = d_out.as_slice().expect("contiguous");
    let mut dq = vec![T::ZERO; p.n * p.l * p.e];
    let mut dk = vec![T::ZERO; p.n * p.s * p.e];
    let mut dv = vec![T::ZERO; p.n * p.s * p.ev];
    for n in 0..p.n {
        let mut probs = scores(p, n);
        softmax_rows(&mut probs, p.s);
        let w = dropped(p, n, &probs);
        let d_o = |i: usize, c: usize| d_out[(n * p.l + i) * p.ev + c];
        let mut d_w = vec![T::ZERO; p.l * p.s];
        for i in 0..p.l {
            for j in 0..p.s {
                let mut acc = T::ZERO;
                for c in 0..p.ev {
                    acc += d_o(i, c) * v.get(n, j, c);
                    dv[(n * p.s + j) * p.ev + c] += w[i * p.s + j] * d_o(i, c);
                }
                d_w[i * p.s + j] = acc;
            }
        }
        undrop(p, n, &mut d_w);
        scores_backward(p, n, &probs, &d_w, &mut dq, &mut dk);
    }
    let shape = |rows: usize, cols: usize| {
        let mut s = p.lead.clone();
        s.extend([rows, cols]);
        s
    };
    AttentionGrads {
        q: Tensor::from_vec(dq, shape(p.l, p.e)),
        k: Tensor::from_vec(dk, shape(p.s, p.e)),
        v: Tensor::from_vec(dv, shape(p.s, p.ev)),
    }
}

/// The gradients of q and k from the gradient of [`weights`]' result (with dropout).
pub(crate) fn weights_backward<T: Float>(p: &Problem<T>, d_weights: &Tensor<T>) -> (Tensor<T>, Tensor<T>) {
    let d_weights = d_weights.contiguous();
    let d_weights = d_weights.as_slice().expect("contiguous");
    let mut dq = vec![T::ZERO; p.n * p.l * p.e];
    let mut dk = vec![T::ZERO; p.n * p.s * p.e];
    let per = p.l * p.s;
    for n in 0..p.n {
        let mut probs = scores(p, n);
        softmax_rows(&mut probs, p.s);
        let mut d_w = d_weights[n * per..(n + 1) * per].to_vec();
        undrop(p, n, &mut d_w);
        scores_backward(p, n, &probs, &d_w, &mut dq, &mut dk);
    }
    let shape = |rows: usize| {
        let mut s = p.lead.clone();
        s.extend([rows, p.e]);
        s
    };
    (Tensor::from_vec(dq, shape(p.l)), Tensor::from_vec(dk, shape(p.s)))
}
