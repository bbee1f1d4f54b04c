//! GELU's tanh approximation (GPT-2's `gelu_new`, PyTorch's `gelu(approximate="tanh")`),
//! y = ½x(1 + tanh(u)) with u = √(2/π)(x + 0.044715x³), and its backward,
//! dx = g·(½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)) with t = tanh(u), each as one pass.
//!
//! Both are computed through ½(1 + tanh(u)) = σ(2u) and 1 − tanh²(u) = 4σ(2u)σ(−2u): the
//! same values, but without the cancellation of 1 + t and 1 − t² where tanh(u) is near ∓1
//! (large negative x), which costs f32 all its digits there.
//!
//! Composed from tensor ops the forward takes six passes and the backward seven more; fused,
//! each direction reads its inputs once and writes its output once. `naive_*` is the
//! per-element definition with the standard library's exp (the oracle); `fast_*` uses the
//! vectorizable sigmoid of `simd::math` over contiguous chunks, on threads above `PAR_THRESHOLD`.

use crate::dtype::{downcast_slice, downcast_slice_mut, Float};
use crate::ops::simd::{multiversion, par_chunks_mut, SimdFloat};
use crate::tensor::Tensor;

/// √(2/π).
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic term's coefficient.
const CUBIC: f64 = 0.044_715;
/// Relative cost of an element (one or two exps) for the thread threshold.
const COST: usize = 6;

/// The logistic function, 1/(1 + e^(−z)); e^(−z) may overflow to ∞, giving 0 as it should.
fn sigmoid<T: Float>(z: T) -> T {
    T::ONE / (T::ONE + (-z).exp())
}

/// `out[i] = x·σ(2u(x))`, one element at a time.
pub fn naive_forward<T: Float>(x: &[T], out: &mut [T]) {
    let (s, k) = (T::from_f64(2.0 * SQRT_2_OVER_PI), T::from_f64(CUBIC));
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v * sigmoid(s * (v + k * v * v * v));
    }
}

/// `dx[i] = g[i]·(σ(2u) + 2x·σ(2u)·σ(−2u)·u'(x))`, one element at a time.
pub fn naive_backward<T: Float>(x: &[T], g: &[T], dx: &mut [T]) {
    let (s, k) = (T::from_f64(2.0 * SQRT_2_OVER_PI), T::from_f64(CUBIC));
    let (k3, two) = (T::from_f64(3.0 * CUBIC), T::from_f64(2.0));
    for ((d, &v), &gv) in dx.iter_mut().zip(x).zip(g) {
        let z = s * (v + k * v * v * v);
        let (p, q) = (sigmoid(z), sigmoid(-z));
        let du = T::from_f64(SQRT_2_OVER_PI) * (T::ONE + k3 * v * v);
        *d = gv * (p + two * v * p * q * du);
    }
}

/// [`naive_forward`] with the vector sigmoid, on threads for long slices.
pub fn fast_forward<T: Float>(x: &[T], out: &mut [T]) {
    assert_eq!(x.len(), out.len(), "gelu_tanh: input and output lengths differ");
    macro_rules! run {
        ($F:ty) => {
            if let (Some(x), Some(out)) = (downcast_slice::<T, $F>(x), downcast_slice_mut::<T, $F>(out)) {
                return par_chunks_mut(out, 64, x.len() * COST, |s, o| forward_slice(&x[s..s + o.len()], o));
            }
        };
    }
    run!(f32);
    run!(f64);
    naive_forward(x, out)
}

/// [`naive_backward`] with the vector sigmoid, on threads for long slices.
pub fn fast_backward<T: Float>(x: &[T], g: &[T], dx: &mut [T]) {
    assert!(x.len() == g.len() && x.len() == dx.len(), "gelu_tanh_backward: input, gradient and output lengths differ");
    macro_rules! run {
        ($F:ty) => {
            if let (Some(x), Some(g), Some(dx)) =
                (downcast_slice::<T, $F>(x), downcast_slice::<T, $F>(g), downcast_slice_mut::<T, $F>(dx))
            {
                return par_chunks_mut(dx, 64, x.len() * COST, |s, d| {
                    backward_slice(&x[s..s + d.len()], &g[s..s + d.len()], d)
                });
            }
        };
    }
    run!(f32);
    run!(f64);
    naive_backward(x, g, dx)
}

multiversion! {
    fn forward_slice<F: SimdFloat>(x: &[F], out: &mut [F]) {
        let (s, k) = (F::from_f64(2.0 * SQRT_2_OVER_PI), F::from_f64(CUBIC));
        for (o, &v) in out.iter_mut().zip(x) {
            *o = v * (s * (v + k * v * v * v)).sigmoid_v();
        }
    }
}

multiversion! {
    fn backward_slice<F: SimdFloat>(x: &[F], g: &[F], dx: &mut [F]) {
        let (s, k) = (F::from_f64(2.0 * SQRT_2_OVER_PI), F::from_f64(CUBIC));
        let (k3, two, slope) = (F::from_f64(3.0 * CUBIC), F::from_f64(2.0), F::from_f64(SQRT_2_OVER_PI));
        for ((d, &v), &gv) in dx.iter_mut().zip(x).zip(g) {
            let z = s * (v + k * v * v * v);
            let (p, q) = (z.sigmoid_v(), (-z).sigmoid_v());
            let du = slope * (F::ONE + k3 * v * v);
            *d = gv * (p + two * v * p * q * du);
        }
    }
}

impl<T: Float> Tensor<T> {
    /// GELU's tanh approximation, ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (GPT-2's `gelu_new`), as
    /// one fused pass (naive or fast by `kernel_mode()`; its backward is
    /// [`Tensor::gelu_tanh_backward`]).
    pub fn gelu_tanh(&self) -> Tensor<T> {
        super::fused_pass(self, fast_forward, naive_forward)
    }

    /// The gradient of [`Tensor::gelu_tanh`] at `self` for the output gradient `grad`, as one
    /// pass. Panics when the shapes differ.
    pub fn gelu_tanh_backward(&self, grad: &Tensor<T>) -> Tensor<T> {
        super::fused_backward_pass("gelu_tanh_backward", self, grad, fast_backward, naive_backward)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::simd::testing::{Lcg, AWKWARD_LENGTHS};

    fn check<T: Float>(tol: f64) {
        let mut rng = Lcg::new(7);
        for &n in &AWKWARD_LENGTHS {
            // Wide enough that σ saturates at both ends.
            let x: Vec<T> = rng.vec_f64(n, -9.0, 9.0).into_iter().map(T::from_f64).collect();
            let g: Vec<T> = rng.vec_f64(n, -2.0, 2.0).into_iter().map(T::from_f64).collect();
            let (mut yf, mut yn, mut df, mut dn) =
                (vec![T::ZERO; n], vec![T::ZERO; n], vec![T::ZERO; n], vec![T::ZERO; n]);
            fast_forward(&x, &mut yf);
            naive_forward(&x, &mut yn);
            fast_backward(&x, &g, &mut df);
            naive_backward(&x, &g, &mut dn);
            for i in 0..n {
                let (a, b) = (yf[i].to_f64(), yn[i].to_f64());
                assert!((a - b).abs() <= tol * (1.0 + b.abs()), "gelu_tanh n={n} i={i}: fast {a} naive {b}");
                let (a, b) = (df[i].to_f64(), dn[i].to_f64());
                assert!((a - b).abs() <= tol * (1.0 + b.abs()), "gelu_tanh_backward n={n} i={i}: fast {a} naive {b}");
            }
        }
    }

    #[test]
    fn fast_matches_naive_f32() {
        check::<f32>(2e-6);
    }

    #[test]
    fn fast_matches_naive_f64() {
        check::<f64>(1e-14);
    }

    #[test]
    fn the_sigmoid_form_equals_the_tanh_definition() {
        let x: Vec<f64> = (-60..=60).map(|i| i as f64 * 0.1).collect();
        let (mut y, mut d) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        naive_forward(&x, &mut y);
        naive_backward(&x, &vec![1.0; x.len()], &mut d);
        for (i, &v) in x.iter().enumerate() {
            let u = SQRT_2_OVER_PI * (v + CUBIC * v * v * v);
            let t = u.tanh();
            let want_y = 0.5 * v * (1.0 + t);
            let want_d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * v * v);
            assert!((y[i] - want_y).abs() <= 1e-14 * (1.0 + want_y.abs()), "x={v}: {} vs {want_y}", y[i]);
            assert!((d[i] - want_d).abs() <= 1e-14 * (1.0 + want_d.abs()), "x={v}: {} vs {want_d}", d[i]);
        }
    }

    #[test]
    fn known_values() {
        // 0 → 0 with slope ½; 1 → ½(1 + tanh(√(2/π)·1.044715)) = 0.8411919906...; tails x and 0.
        let x = [0.0f64, 1.0, 40.0, -40.0];
        let (mut y, mut d) = ([0.0; 4], [0.0; 4]);
        fast_forward(&x, &mut y);
        fast_backward(&x, &[1.0; 4], &mut d);
        assert_eq!(y[0], 0.0);
        assert!((y[1] - 0.841_191_990_608_276_8).abs() < 1e-15, "gelu_tanh(1) = {}", y[1]);
        assert_eq!((y[2], y[3]), (40.0, 0.0));
        assert_eq!(d[0], 0.5);
        assert_eq!((d[2], d[3]), (1.0, 0.0));
    }

    #[test]
    #[should_panic(expected = "gelu_tanh_backward: gradient of shape [3] for an input of shape [2]")]
    fn backward_refuses_a_gradient_of_another_shape() {
        Tensor::<f64>::zeros([2]).gelu_tanh_backward(&Tensor::zeros([3]));
    }
}
