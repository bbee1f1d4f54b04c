//! The exact GELU, y = x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)), and its backward,
//! dx = g·(Φ(x) + x·φ(x)) with φ(x) = e^(−x²/2)/√(2π), each as one pass.
//!
//! Composed from tensor ops, the forward is four passes with three temporaries (and keeps Φ for
//! the backward), the backward five more. Here each direction reads its inputs once and writes
//! its output once. `naive_*` is the per-element definition with libm's erf and exp (the
//! oracle); `fast_*` uses the vectorizable erf and exp of `simd::math` over contiguous chunks,
//! on threads above `PAR_THRESHOLD`.
//!
//! Version catalogue (f32 [2048, 512], the tiny GPT's MLP activation, forward + backward,
//! 1 thread; bench `cargo run --release -p kindling-transformer --example gpt_step_profile --
//! --only gelu`):
//! - v1 composed tensor ops (mul, erf, add, mul, mul; backward square, mul, exp, mul, mul, add, mul).
//! - v2 one fused pass each way, the portable vector erf/exp: 2.0× v1 (the table-driven erf does
//!   not vectorize well from portable code).
//! - v3 f32 on AVX-512 through the hand-written `erf_ps`/`exp_ps` (`avx512` below).
//!   Figures in `crates/tensor/NOTES.md`, "GELU".

use crate::dtype::{downcast_slice, downcast_slice_mut, Float};
use crate::ops::simd::{level, multiversion, par_chunks_mut, Level, SimdFloat};

const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// 1/√(2π).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// Relative cost of an element (an erf, and an exp in the backward) for the thread threshold.
const COST: usize = 8;

/// `out[i] = x[i]·Φ(x[i])`, one element at a time with the standard library's erf.
pub fn naive_forward<T: Float>(x: &[T], out: &mut [T]) {
    for (o, &v) in out.iter_mut().zip(x) {
        let cdf = T::from_f64(0.5) * (T::ONE + (v * T::from_f64(FRAC_1_SQRT_2)).erf());
        *o = v * cdf;
    }
}

/// `dx[i] = g[i]·(Φ(x[i]) + x[i]·φ(x[i]))`, one element at a time.
pub fn naive_backward<T: Float>(x: &[T], g: &[T], dx: &mut [T]) {
    for ((d, &v), &gv) in dx.iter_mut().zip(x).zip(g) {
        let cdf = T::from_f64(0.5) * (T::ONE + (v * T::from_f64(FRAC_1_SQRT_2)).erf());
        let pdf = (T::from_f64(-0.5) * v * v).exp() * T::from_f64(FRAC_1_SQRT_2PI);
        *d = gv * (cdf + v * pdf);
    }
}

/// [`naive_forward`] with vector erf, on threads for long slices.
pub fn fast_forward<T: Float>(x: &[T], out: &mut [T]) {
    assert_eq!(x.len(), out.len(), "gelu: input and output lengths differ");
    #[cfg(target_arch = "x86_64")]
    if let (Some(x), Some(out), Level::Avx512) =
        (downcast_slice::<T, f32>(x), downcast_slice_mut::<T, f32>(out), level())
    {
        // SAFETY: `level()` only reports AVX-512 when the CPU has AVX-512F.
        return par_chunks_mut(out, 64, x.len() * COST, |s, o| unsafe { avx512::forward(&x[s..s + o.len()], o) });
    }
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

/// [`naive_backward`] with vector erf and exp, on threads for long slices.
pub fn fast_backward<T: Float>(x: &[T], g: &[T], dx: &mut [T]) {
    assert!(x.len() == g.len() && x.len() == dx.len(), "gelu_backward: input, gradient and output lengths differ");
    #[cfg(target_arch = "x86_64")]
    if let (Some(x), Some(g), Some(dx), Level::Avx512) =
        (downcast_slice::<T, f32>(x), downcast_slice::<T, f32>(g), downcast_slice_mut::<T, f32>(dx), level())
    {
        // SAFETY: `level()` only reports AVX-512 when the CPU has AVX-512F.
        return par_chunks_mut(dx, 64, x.len() * COST, |s, d| unsafe {
            avx512::backward(&x[s..s + d.len()], &g[s..s + d.len()], d)
        });
    }
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
        let (half, k) = (F::from_f64(0.5), F::from_f64(FRAC_1_SQRT_2));
        for (o, &v) in out.iter_mut().zip(x) {
            *o = v * (half + half * (v * k).erf_v());
        }
    }
}

multiversion! {
    fn backward_slice<F: SimdFloat>(x: &[F], g: &[F], dx: &mut [F]) {
        let (half, k, norm) = (F::from_f64(0.5), F::from_f64(FRAC_1_SQRT_2), F::from_f64(FRAC_1_SQRT_2PI));
        for ((d, &v), &gv) in dx.iter_mut().zip(x).zip(g) {
            let cdf = half + half * (v * k).erf_v();
            let pdf = (-half * v * v).exp_v() * norm;
            *d = gv * (cdf + v * pdf);
        }
    }
}

/// The f32 passes with the hand-written AVX-512 erf and exp (`simd::math::avx512`), which the
/// compiler cannot produce from the portable table-driven erf (v2 → v3 in the catalogue).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{backward_slice, forward_slice, FRAC_1_SQRT_2, FRAC_1_SQRT_2PI};
    use crate::ops::simd::math::avx512::{erf_ps, exp_ps};
    use std::arch::x86_64::*;

    const LANES: usize = 16;

    #[target_feature(enable = "avx512f")]
    pub fn forward(x: &[f32], out: &mut [f32]) {
        let (half, k) = (_mm512_set1_ps(0.5), _mm512_set1_ps(FRAC_1_SQRT_2 as f32));
        let full = x.len() / LANES * LANES;
        for i in (0..full).step_by(LANES) {
            // SAFETY: i + 16 <= full <= x.len() == out.len().
            unsafe {
                let v = _mm512_loadu_ps(x.as_ptr().add(i));
                let cdf = _mm512_fmadd_ps(half, erf_ps(_mm512_mul_ps(v, k)), half);
                _mm512_storeu_ps(out.as_mut_ptr().add(i), _mm512_mul_ps(v, cdf));
            }
        }
        forward_slice(&x[full..], &mut out[full..]);
    }

    #[target_feature(enable = "avx512f")]
    pub fn backward(x: &[f32], g: &[f32], dx: &mut [f32]) {
        let (half, k) = (_mm512_set1_ps(0.5), _mm512_set1_ps(FRAC_1_SQRT_2 as f32));
        let (neg_half, norm) = (_mm512_set1_ps(-0.5), _mm512_set1_ps(FRAC_1_SQRT_2PI as f32));
        let full = x.len() / LANES * LANES;
        for i in (0..full).step_by(LANES) {
            // SAFETY: i + 16 <= full <= the length of x, g and dx.
            unsafe {
                let v = _mm512_loadu_ps(x.as_ptr().add(i));
                let gv = _mm512_loadu_ps(g.as_ptr().add(i));
                let cdf = _mm512_fmadd_ps(half, erf_ps(_mm512_mul_ps(v, k)), half);
                let pdf = _mm512_mul_ps(exp_ps(_mm512_mul_ps(_mm512_mul_ps(neg_half, v), v)), norm);
                let local = _mm512_fmadd_ps(v, pdf, cdf);
                _mm512_storeu_ps(dx.as_mut_ptr().add(i), _mm512_mul_ps(gv, local));
            }
        }
        backward_slice(&x[full..], &g[full..], &mut dx[full..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::simd::testing::{Lcg, AWKWARD_LENGTHS};

    fn check<T: Float>(tol: f64) {
        let mut rng = Lcg::new(5);
        for &n in &AWKWARD_LENGTHS {
            // Wide enough to reach both tails of erf, where Φ saturates.
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
                assert!(
                    (a - b).abs() <= tol * (1.0 + b.abs()),
                    "gelu n={n} i={i} x={:?}: fast {a} naive {b}",
                    x[i].to_f64()
                );
                let (a, b) = (df[i].to_f64(), dn[i].to_f64());
                assert!((a - b).abs() <= tol * (1.0 + b.abs()), "gelu_backward n={n} i={i}: fast {a} naive {b}");
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
    fn known_values() {
        // GELU(0) = 0, GELU'(0) = ½; GELU(1) = Φ(1) = 0.841344746...; far tails: x and 0.
        let x = [0.0f64, 1.0, 40.0, -40.0];
        let (mut y, mut d) = ([0.0; 4], [0.0; 4]);
        fast_forward(&x, &mut y);
        fast_backward(&x, &[1.0; 4], &mut d);
        assert_eq!(y[0], 0.0);
        assert!((y[1] - 0.841_344_746_068_542_9).abs() < 1e-15, "gelu(1) = {}", y[1]);
        assert_eq!((y[2], y[3]), (40.0, 0.0));
        assert_eq!(d[0], 0.5);
        assert_eq!((d[2], d[3]), (1.0, 0.0));
    }
}
