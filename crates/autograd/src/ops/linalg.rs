//! Matrix products. For C = A·B, the backward is ∂A = ∂C·Bᵀ and ∂B = Aᵀ·∂C; vectors are
//! treated as 1-row or 1-column matrices, and batch axes that broadcast are summed back.

use super::sum_to;
use crate::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Axes, Float, Tensor};

impl<T: Float> Variable<T> {
    /// Matrix product with PyTorch's rules (see `Tensor::matmul`), differentiable in both
    /// operands.
    pub fn matmul(&self, other: &Variable<T>) -> Variable<T> {
        let (a, b) = (self.value(), other.value());
        let y = a.matmul(&b);
        Variable::from_op("matmul", y, vec![self.clone(), other.clone()], move |g, needs| {
            // Put back the axes a 1-D operand removed, so everything is a (batched) matrix.
            let a2 = if a.rank() == 1 { a.unsqueeze(0) } else { a.clone() };
            let b2 = if b.rank() == 1 { b.unsqueeze(1) } else { b.clone() };
            let mut g2 = g.clone();
            if b.rank() == 1 {
                g2 = g2.unsqueeze(-1);
            }
            if a.rank() == 1 {
                g2 = g2.unsqueeze(-2);
            }
            let da = needs[0].then(|| {
                let full: Tensor<T> = g2.matmul(&b2.transpose(-1, -2));
                sum_to(&full, a2.shape()).reshape(a.shape())
            });
            let db = needs[1].then(|| {
                let full: Tensor<T> = a2.transpose(-1, -2).matmul(&g2);
                sum_to(&full, b2.shape()).reshape(b.shape())
            });
            vec![da, db]
        })
    }

    /// An affine layer, `x Wᵀ + b` for `x` `[*, K]`, `weight` `[N, K]` (PyTorch's layout) and
    /// `bias` `[N]`, giving `[*, N]`: the same values as `x.matmul(&weight.t()) + bias`, recorded
    /// as one op. Its backward computes dx = g·W, dW = gᵀ·x straight into W's layout (a dense
    /// gradient, where the composed version leaves a transposed view for the optimizer to
    /// gather) and db as the column sums of g, with no broadcast or transpose nodes between.
    ///
    /// ```
    /// use kindling_autograd::Variable;
    /// use kindling_tensor::Tensor;
    ///
    /// let x = Variable::param(Tensor::from([[1.0f64, 2.0]]));
    /// let w = Variable::param(Tensor::from([[3.0f64, 4.0], [5.0, 6.0], [7.0, 8.0]]));
    /// let b = Variable::param(Tensor::from([0.5f64, 0.0, -0.5]));
    /// let y = x.linear(&w, Some(&b));
    /// assert_eq!(y.value().to_vec(), vec![11.5, 17.0, 22.5]);
    /// y.sum_all().backward();
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![1.0, 1.0, 1.0]);
    /// ```
    pub fn linear(&self, weight: &Variable<T>, bias: Option<&Variable<T>>) -> Variable<T> {
        let (x, w) = (self.value(), weight.value());
        let (shape, w_shape) = (x.shape().to_vec(), w.shape().to_vec());
        let k = shape.last().copied().unwrap_or(0);
        if shape.is_empty() || w_shape.len() != 2 || w_shape[1] != k {
            panic!(
                "linear: input of shape {} does not match weight of shape {} (expected [*, K] and [N, K])",
                dims_str(&shape),
                dims_str(&w_shape)
            );
        }
        let n = w_shape[0];
        let b = bias.map(|b| b.value());
        if let Some(b) = &b {
            if b.shape() != [n] {
                panic!("linear: bias of shape {} for a weight of shape {}", dims_str(b.shape()), dims_str(&w_shape));
            }
        }
        let rows = x.numel() / k.max(1);
        let x2 = x.reshape(vec![rows, k]);
        let mut y = x2.matmul(&w.t());
        if let (Some(b), true) = (&b, n > 0) {
            // Into the product's own (unshared) buffer: no second [rows, N] tensor.
            let b = b.contiguous();
            let b = b.as_slice().expect("contiguous");
            for row in y.make_mut().chunks_exact_mut(n) {
                row.iter_mut().zip(b).for_each(|(o, &bi)| *o += bi);
            }
        }
        let mut out_shape = shape.clone();
        *out_shape.last_mut().expect("rank >= 1") = n;
        let mut inputs = vec![self.clone(), weight.clone()];
        inputs.extend(bias.cloned());
        let has_bias = b.is_some();
        Variable::from_op("linear", y.reshape(out_shape), inputs, move |g, needs| {
            let g2 = g.reshape(vec![rows, n]);
            let dx = needs[0].then(|| g2.matmul(&w).reshape(&shape));
            let dw = needs[1].then(|| g2.t().matmul(&x2));
            let mut grads = vec![dx, dw];
            if has_bias {
                grads.push(needs[2].then(|| g2.sum(Axes::These(vec![0]), false)));
            }
            grads
        })
    }

    /// Σ aᵢbᵢ of two 1-D variables, as a scalar variable.
    pub fn dot(&self, other: &Variable<T>) -> Variable<T> {
        let _ = self.value().dot(&other.value()); // shape check and its message
        self.matmul(other)
    }

    /// The outer product of two 1-D variables.
    pub fn outer(&self, other: &Variable<T>) -> Variable<T> {
        let _ = self.value().outer(&other.value()); // shape check and its message
        &self.unsqueeze(1) * &other.unsqueeze(0)
    }
}
