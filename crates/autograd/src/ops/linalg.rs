//! Matrix products. For C = A·B, the backward is ∂A = ∂C·Bᵀ and ∂B = Aᵀ·∂C; vectors are
//! treated as 1-row or 1-column matrices, and batch axes that broadcast are summed back.

use super::sum_to;
use crate::Variable;
use kindling_tensor::{Float, Tensor};

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
