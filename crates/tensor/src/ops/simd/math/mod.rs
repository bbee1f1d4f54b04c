//! Branch-free math for `f32` and `f64`, written so that a loop calling it vectorizes.
//!
//! libm's `exp`, `ln`, `tanh`, `erf` are opaque calls with branches inside: a loop over them runs
//! one element at a time. The versions here use only arithmetic, comparisons that become
//! selects, and bit manipulation (`to_bits` / `from_bits`) to build or take apart powers of two,
//! so the compiler turns `for v in x { *o = exp_f32(v) }` into 16-lane AVX-512 code.
//!
//! The recipe is the textbook one: reduce the argument to a small interval with an exact
//! identity (`e^x = 2^n e^r`, `ln(m 2^k) = k ln 2 + ln m`), approximate on the small interval
//! with a polynomial, and undo the reduction. Special values (NaN, ±inf, ±0, subnormals) are
//! handled by clamping and selects, never by early returns.
//!
//! Accuracy against the standard library (std / libm), measured by the dense sweeps in the tests
//! (`ULP_*` constants there): exp and ln within 1 ulp; ln_1p, sigmoid and erf within 2 ulp;
//! tanh within 3 ulp (f32 and f64 alike). Softmax's f32 exponential [`exp_rel_f32`] (whose
//! results are checked with tolerances) trades accuracy for speed: within 2e-7 relative of
//! e^(x - max) for x - max >= -1, 4e-6 over its whole range (a 32-entry table of 2^(j/32)
//! and a degree-2 polynomial). Every function returns the same
//! bits on every SIMD level.
//!
//! Polynomials are evaluated with `mul_add` (one rounding per step, half the instructions).
//! On the AVX2/AVX-512 levels it is one FMA instruction; a portable build on an x86 without FMA
//! falls back to a (slow, exact) libm call, so the results stay bit-identical everywhere.
//!
//! On x86-64 the [`avx512`] module holds hand-written AVX-512 copies of exp, exp_rel, sigmoid
//! and erf for f32 (the kernels call them on slices at the AVX-512 level); they return the same
//! bits as the generic functions, which a test checks on the dense sweep.
//!
//! The f64 erf polynomials are Chebyshev fits (mpmath `chebyfit`) of `erf(√t)/√t` on
//! `t ∈ [0, 1]` and of `erfc(x) e^{x²}` as a function of `1/x`; the f32 erf is a table of 32
//! degree-5 pieces (`ERF_PIECES_F32`); the other minimax polynomials come from Lawson
//! iterations (weighted least squares in numpy against mpmath values); the rest are Taylor
//! series.

use crate::dtype::Float;

/// A float type with vectorizable versions of the kernels' transcendental functions.
pub trait SimdFloat: Float {
    /// `self · a + b` with one rounding (one FMA instruction on the AVX2 and AVX-512 levels).
    fn mul_add_v(self, a: Self, b: Self) -> Self;
    fn exp_v(self) -> Self;
    /// Softmax's exponential of `x` relative to a lane's maximum `max`: with
    /// `(shift, k) = Self::exp_rel_consts(max)`, `x.exp_rel_v(shift)` is e^(x - max + k) for
    /// x <= max, where k is a tiny constant of the lane (0 in f64; in f32 the rounding error of
    /// `max log2 e`, below 6e-8 |max|). The factor e^k cancels in softmax; log-softmax and
    /// logsumexp subtract k from ln Σ. Cheaper than `exp_v(x - max)`: in f32, results below
    /// 1e-38 may be flushed to 0 and are less accurate (see [`exp_rel_f32`]); the f64 one keeps
    /// subnormal results, as the naive kernel does. -inf gives 0, NaN stays NaN.
    fn exp_rel_consts(max: Self) -> (Self, Self);
    fn exp_rel_v(self, shift: Self) -> Self;
    fn ln_v(self) -> Self;
    fn ln_1p_v(self) -> Self;
    fn tanh_v(self) -> Self;
    fn sigmoid_v(self) -> Self;
    fn erf_v(self) -> Self;
}

macro_rules! impl_simd_float {
    ($t:ty, $exp:ident, ($exp_rel_consts:ident, $exp_rel:ident), $ln:ident, $ln_1p:ident, $tanh:ident, $sigmoid:ident, $erf:ident) => {
        impl SimdFloat for $t {
            #[inline(always)]
            fn mul_add_v(self, a: Self, b: Self) -> Self {
                self.mul_add(a, b)
            }
            #[inline(always)]
            fn exp_v(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn exp_rel_consts(max: Self) -> (Self, Self) {
                $exp_rel_consts(max)
            }
            #[inline(always)]
            fn exp_rel_v(self, shift: Self) -> Self {
                $exp_rel(self, shift)
            }
            #[inline(always)]
            fn ln_v(self) -> Self {
                $ln(self)
            }
            #[inline(always)]
            fn ln_1p_v(self) -> Self {
                $ln_1p(self)
            }
            #[inline(always)]
            fn tanh_v(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn sigmoid_v(self) -> Self {
                $sigmoid(self)
            }
            #[inline(always)]
            fn erf_v(self) -> Self {
                $erf(self)
            }
        }
    };
}
impl_simd_float!(f32, exp_f32, (exp_rel_consts_f32, exp_rel_f32), ln_f32, ln_1p_f32, tanh_f32, sigmoid_f32, erf_f32);
impl_simd_float!(f64, exp_f64, (exp_rel_consts_f64, exp_rel_f64), ln_f64, ln_1p_f64, tanh_f64, sigmoid_f64, erf_f64);

/// Horner's rule, highest coefficient first.
macro_rules! horner {
    ($x:expr, $coeffs:expr) => {{
        let x = $x;
        let c = &$coeffs;
        let mut acc = c[0];
        let mut i = 1;
        while i < c.len() {
            acc = acc.mul_add(x, c[i]);
            i += 1;
        }
        acc
    }};
}

mod float32;
mod float64;

#[cfg(target_arch = "x86_64")]
pub mod avx512;
#[cfg(test)]
mod tests;

pub use float32::{erf_f32, exp_f32, exp_rel_consts_f32, exp_rel_f32, ln_1p_f32, ln_f32, sigmoid_f32, tanh_f32};
pub use float64::{
    erf_f64, exp_f64, exp_nonpos_f64, exp_rel_consts_f64, exp_rel_f64, ln_1p_f64, ln_f64, sigmoid_f64, tanh_f64,
};
