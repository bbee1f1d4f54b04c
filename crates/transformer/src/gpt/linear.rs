//! y = x Wᵀ + b on `[N, in]` rows as one recorded op.
//!
//! Composed from a matrix product and a broadcast add, a layer keeps two `[N, out]` results
//! alive until the backward pass (the product, an input of the add, and the sum) and makes two
//! passes over them; here the bias is added into the product in place and only the sum is
//! kept. The weight's gradient also comes out `[out, in]` and dense, not as a transposed view.

use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

/// `x` `[N, in]`, `weight` `[out, in]`, `bias` `[out]` → `[N, out]`.
pub(crate) fn linear<T: Float>(x: &Variable<T>, weight: &Variable<T>, bias: Option<&Variable<T>>) -> Variable<T> {
    let (xv, wv) = (x.value(), weight.value());
    let out = wv.shape()[0];
    if xv.rank() != 2 || wv.rank() != 2 || xv.shape()[1] != wv.shape()[1] {
        panic!(
            "gpt linear: input of shape {} does not fit weight of shape {} (expected [N, {}])",
            dims_str(xv.shape()),
            dims_str(wv.shape()),
            wv.shape()[1]
        );
    }
    let mut y: Tensor<T> = xv.matmul(&wv.t());
    let mut inputs = vec![x.clone(), weight.clone()];
    if let Some(bias) = bias {
        let b = bias.value().contiguous();
        let b = b.as_slice().expect("contiguous");
        for row in y.make_mut().chunks_exact_mut(out) {
            row.iter_mut().zip(b).for_each(|(o, &bi)| *o += bi);
        }
        inputs.push(bias.clone());
    }
    Variable::from_op("linear", y, inputs, move |g, needs| {
        let dx = needs[0].then(|| g.matmul(&wv));
        let dw = needs[1].then(|| g.t().matmul(&xv));
        let db = needs.get(2).and_then(|&need| need.then(|| g.sum(0, false)));
        vec![dx, dw, db]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kindling_autograd::gradcheck;
    use kindling_tensor::{assert_close, Rng, Tolerance};

    #[test]
    fn linear_is_gradient_checked_with_and_without_bias() {
        let mut rng = Rng::seed(0);
        let x = Tensor::<f64>::randn([5, 3], &mut rng);
        let w = Tensor::<f64>::randn([4, 3], &mut rng);
        let b = Tensor::<f64>::randn([4], &mut rng);
        gradcheck("gpt linear", &[x.clone(), w.clone(), b.clone()], |a| linear(&a[0], &a[1], Some(&a[2])));
        gradcheck("gpt linear without bias", &[x.clone(), w.clone()], |a| linear(&a[0], &a[1], None));
        // The same values as the composed form.
        let composed = &x.matmul(&w.t()) + &b;
        let fused = linear(&Variable::constant(x), &Variable::constant(w), Some(&Variable::constant(b)));
        assert_close(&fused.value(), &composed, Tolerance { atol: 1e-12, rtol: 1e-12 });
    }

    #[test]
    #[should_panic(
        expected = "gpt linear: input of shape [5, 2] does not fit weight of shape [4, 3] (expected [N, 3])"
    )]
    fn a_mismatched_input_panics() {
        let x = Variable::constant(Tensor::<f64>::zeros([5, 2]));
        linear(&x, &Variable::constant(Tensor::zeros([4, 3])), None);
    }
}
