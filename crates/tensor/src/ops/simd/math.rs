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
    fn exp_v(self) -> Self;
    /// Softmax's exponential of `x` relative to a lane's maximum `max`: with
    /// `(shift, k) = Self::exp_rel_consts(max)`, `x.exp_rel_v(shift)` is e^(x - max + k) for
    /// x <= max, where k is a tiny constant of the lane (0 in f64; in f32 the rounding error of
    /// `max log2 e`, below 6e-8 |max|). The factor e^k cancels in softmax; log-softmax and
    /// logsumexp subtract k from ln Σ. Cheaper than `exp_v(x - max)`: results below 1e-38 (f32)
    /// or 1e-304 (f64) may be flushed to 0, and the f32 one is less accurate (see
    /// [`exp_rel_f32`]). -inf gives 0, NaN stays NaN.
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

// ---------------------------------------------------------------------------------------------
// f32
// ---------------------------------------------------------------------------------------------

/// `1.5 * 2^23`: adding it to a float below 2^22 in magnitude rounds it to an integer that
/// then sits in the low mantissa bits (round to nearest even, no conversion instruction).
const ROUND_F32: f32 = 12_582_912.0;
/// ln 2 split so that `n * LN2_HI_F32` is exact for |n| < 2^15 (the high part has 9 bits).
const LN2_HI_F32: f32 = 0.693_359_4;
const LN2_LO_F32: f32 = -2.121_944_4e-4;
/// (e^r - 1 - r) / r² on |r| <= ln2/2: a Chebyshev fit (mpmath `chebyfit`) close to the
/// Taylor coefficients 1/6!, 1/5!, 1/4!, 1/3!, 1/2!, with relative error 1.1e-8 on e^r.
const EXP_POLY_F32: [f32; 5] = [1.392_621_3e-3, 8.363_203e-3, 4.166_655_4e-2, 1.666_657_7e-1, 0.5];

/// e^r on |r| <= ln2/2 as one degree-6 polynomial, highest coefficient first (Horner: 6 FMAs
/// instead of the 7 operations of `1 + (r + r² EXP_POLY_F32(r))`): a relative minimax fit
/// (Lawson iterations) with p(0) = 1, relative error 2.0e-9 in exact arithmetic, 7.2e-8 evaluated
/// in f32. exp stays within 1 ulp of std's.
const EXP_HORNER_F32: [f32; 7] = [1.384_360_7e-3, 8.374_196e-3, 4.166_800_5e-2, 1.666_643e-1, 4.999_999_4e-1, 1.0, 1.0];

/// Splits `x` as `n ln2 + r` with `|r| <= ln2/2`; returns `(n, r)`. `x` must be finite and
/// below 2^20 in magnitude (callers clamp).
#[inline(always)]
fn reduce_ln2_f32(x: f32) -> (i32, f32) {
    let t = x.mul_add(std::f32::consts::LOG2_E, ROUND_F32);
    let n = t - ROUND_F32;
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND_F32.to_bits() as i32);
    (ni, (-n).mul_add(LN2_LO_F32, (-n).mul_add(LN2_HI_F32, x)))
}

/// `2^n` for `n` in the normal exponent range `[-126, 127]`.
#[inline(always)]
fn pow2i_f32(n: i32) -> f32 {
    f32::from_bits((n.wrapping_add(127) as u32) << 23)
}

/// e^x. NaN stays NaN, overflow gives inf, underflow goes through the subnormals to 0.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    // Past these limits the result is inf / 0 anyway; clamping keeps n in range. The comparisons
    // are false for NaN, which flows through to the result.
    const HI: f32 = 89.0;
    const LO: f32 = -104.0;
    let x = if x > HI { HI } else { x };
    let x = if x < LO { LO } else { x };
    let (n, r) = reduce_ln2_f32(x);
    let p = horner!(r, EXP_HORNER_F32);
    // 2^n as two factors, each a normal float, so results down in the subnormals (n < -126)
    // and up to 2^128 (overflow to inf) come out right with a single rounding.
    let half = n >> 1;
    p * pow2i_f32(half) * pow2i_f32(n.wrapping_sub(half))
}

/// 2^(j/32) for j = 0..32, rounded to f32: the table of softmax's [`exp_rel_f32`].
#[rustfmt::skip]
const EXP2_TABLE_F32: [f32; 32] = [
    1.0, 1.021_897_2, 1.044_273_7, 1.067_140_5, 1.090_507_7, 1.114_386_8, 1.138_788_6, 1.163_724_9,
    1.189_207_1, 1.215_247_4, 1.241_857_8, 1.269_051, 1.296_839_6, 1.325_236_7, 1.354_255_6, 1.383_91,
    std::f32::consts::SQRT_2, 1.445_180_8, 1.476_826_2, 1.509_164_5, 1.542_210_8, 1.575_980_9, 1.610_490_3, 1.645_755_5,
    1.681_792_9, 1.718_619_3, 1.756_252_2, 1.794_709_1, 1.834_008_1, 1.874_167_7, 1.915_206_6, 1.957_144_1,
];
/// (2^r - 1)/r on `0 <= r < 1/32` as `c1 + c2 r` (highest coefficient first): a relative
/// minimax fit of 2^r (Lawson iterations) with p(0) = 1, relative error 6.5e-8 in exact
/// arithmetic.
const EXP2_FRAC_POLY_F32: [f32; 2] = [0.242_652_68, 0.693_123_76];
/// `1.5 * 2^18`: adding it to a float below 2^17 in magnitude, rounding down, leaves
/// `floor(32 z)` in the low mantissa bits (the grid of the sum is 1/32).
const ROUND32_F32: f32 = 393_216.0;

/// The lane constants of [`exp_rel_f32`] for a lane whose maximum is `max`: `shift = max log2 e`
/// rounded to f32, and `k = (max log2 e - shift) ln 2`, the part of the product that rounding
/// dropped (exact by one FMA), as a natural-log offset. k is 0 when `max` is not finite.
#[inline(always)]
pub fn exp_rel_consts_f32(max: f32) -> (f32, f32) {
    let shift = max * std::f32::consts::LOG2_E;
    let lost = max.mul_add(std::f32::consts::LOG2_E, -shift);
    (shift, if max.is_finite() { lost * std::f32::consts::LN_2 } else { 0.0 })
}

/// Softmax's exponential, e^(x - max + k) = 2^(x log2 e - shift) (see
/// [`SimdFloat::exp_rel_v`]): the subtraction of the max is folded into the multiply by
/// log2 e (one FMA), and `z = x log2 e - shift` is split as `n + j/32 + r` with `n` and `j` in
/// 0..32 integers (`n + j/32 = floor(32 z)/32`) and `0 <= r < 1/32`: 2^z = 2^n 2^(j/32) 2^r, the
/// middle factor from a 32-entry table (`EXP2_TABLE_F32`) and 2^r = 1 + r (c1 + c2 r) by a
/// degree-2 polynomial. No Cody-Waite step. The price is the rounding of `z` (half an ulp of
/// |z|) and of log2 e in f32 (1.3e-8 |z|), the table's own rounding (up to 6e-8) and the
/// polynomial's 6.5e-8: relative error within 2e-7 (about 3 ulp) for x - max >= -1 and 4e-6
/// below, where the terms are already below e^-1 of the largest (measured against f64 by
/// `exp_rel_is_within_its_bound`; softmax's f32 tolerance is 1e-5). Results below 2^-150 are
/// 0; -inf gives 0, NaN stays NaN.
///
/// `r` is `z - floor(32 z)/32` rounded toward -inf, which is what the AVX-512 twin's
/// `vreduceps` returns (its subtraction takes the rounding direction of its floor); the
/// difference is inexact only for `-1/32 < z < 0`, where the exact error of the nearest
/// rounding (Fast2Sum) says whether to step down one ulp.
#[inline(always)]
pub fn exp_rel_f32(x: f32, shift: f32) -> f32 {
    let z = x.mul_add(std::f32::consts::LOG2_E, -shift);
    // Below -151 the result rounds to 0 anyway; the clamp keeps -inf away from `z - a`.
    let z = if z < -151.0 { -151.0 } else { z };
    let w = z * 32.0; // exact
    let t = w + ROUND_F32;
    let jn = t - ROUND_F32; // round(32 z)
    let ji = (t.to_bits() as i32).wrapping_sub(ROUND_F32.to_bits() as i32);
    let above = jn > w;
    let ji = if above { ji.wrapping_sub(1) } else { ji }; // floor(32 z)
    let a = if above { jn - 1.0 } else { jn } * (1.0 / 32.0);
    let s = z - a;
    // Exact error of `s` (Fast2Sum: |a| >= |z| wherever s is inexact); below 0, the
    // round-down difference is one ulp under s (s > 0 there).
    let e = z - (s + a);
    let r = if e < 0.0 { f32::from_bits(s.to_bits().wrapping_sub(1)) } else { s };
    let tab = EXP2_TABLE_F32[(ji & 31) as usize];
    let q = EXP2_FRAC_POLY_F32[0].mul_add(r, EXP2_FRAC_POLY_F32[1]) * r;
    let v = tab.mul_add(q, tab);
    // 2^n as two normal factors: results in the subnormals round once, as with `vscalefps`.
    let n = ji >> 5;
    let half = n >> 1;
    v * pow2i_f32(half) * pow2i_f32(n.wrapping_sub(half))
}

/// e^x - 1 for `0 <= x <= 20` (all tanh needs), accurate near 0 where `exp(x) - 1` would
/// cancel.
#[inline(always)]
fn expm1_small_pos_f32(x: f32) -> f32 {
    let (n, r) = reduce_ln2_f32(x);
    // e^r - 1 = r + r^2 (1/2 + r/6 + ...)
    let pm1 = (r * r).mul_add(horner!(r, EXP_POLY_F32), r);
    let s = pow2i_f32(n);
    // e^x - 1 = 2^n (e^r - 1) + (2^n - 1); both exact when n = 0.
    s.mul_add(pm1, s - 1.0)
}

/// Natural logarithm. ln(0) = -inf, ln(negative) = NaN, ln(inf) = inf.
#[inline(always)]
pub fn ln_f32(x: f32) -> f32 {
    // Subnormals: scale into the normal range first.
    let tiny = x < f32::MIN_POSITIVE;
    let xs = if tiny { x * 8_388_608.0 } else { x }; // 2^23
    let bias: i32 = if tiny { 23 } else { 0 };
    // Write x = m 2^k with m in [sqrt(1/2), sqrt(2)): offset the bits so that the exponent field
    // ticks over exactly at sqrt(2), then put the mantissa back on top of sqrt(1/2)'s bits.
    const SQRT_HALF_BITS: u32 = 0x3f35_04f3;
    let ix = xs.to_bits().wrapping_add(0x3f80_0000 - SQRT_HALF_BITS);
    let k = ((ix >> 23) as i32).wrapping_sub(127 + bias);
    let m = f32::from_bits((ix & 0x007f_ffff).wrapping_add(SQRT_HALF_BITS));
    // ln(1+f) = 2 atanh(s) with s = f/(2+f); written as f - f²/2 + s(f²/2 + R(s²)) so that the
    // leading term f is exact.
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    const ATANH: [f32; 4] = [2.0 / 9.0, 2.0 / 7.0, 2.0 / 5.0, 2.0 / 3.0];
    let rr = z * horner!(z, ATANH);
    let hfsq = 0.5 * f * f;
    let kf = k as f32;
    let ln_m = s.mul_add(hfsq + rr, f - hfsq);
    let y = kf.mul_add(LN2_HI_F32, kf.mul_add(LN2_LO_F32, ln_m));
    let y = if x == f32::INFINITY { x } else { y };
    let y = if x == 0.0 { f32::NEG_INFINITY } else { y };
    if x >= 0.0 {
        y
    } else {
        f32::NAN // negative or NaN
    }
}

/// ln(1 + x), accurate for small x: with u = 1 + x rounded, ln(1 + x) = ln(u) + ln(1 + c/u)
/// ≈ ln(u) + c/u, where c = (1 + x) - u is the rounding error (when u rounds to 1 this gives x).
#[inline(always)]
pub fn ln_1p_f32(x: f32) -> f32 {
    let u = 1.0 + x;
    // u - 1 is exact, so c is exactly the part of x that rounding 1 + x lost.
    let c = x - (u - 1.0);
    let y = ln_f32(u) + c / u;
    let y = if u == 1.0 { x } else { y }; // keeps the sign of -0
    let y = if u == 0.0 { f32::NEG_INFINITY } else { y };
    if x == f32::INFINITY {
        x
    } else {
        y
    }
}

/// tanh x = sign(x) (e^{2|x|} - 1) / (e^{2|x|} + 1), through expm1 so small |x| keeps its digits.
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    // tanh rounds to 1 beyond 9.01; clamping keeps e^{2a} finite.
    const CLAMP: f32 = 10.0;
    let a = x.abs();
    let a = if a > CLAMP { CLAMP } else { a };
    let e = expm1_small_pos_f32(2.0 * a);
    (e / (e + 2.0)).copysign(x)
}

/// 1 / (1 + e^-x), the same two-sided formula as `Float::sigmoid` (no overflow, no cancellation).
#[inline(always)]
pub fn sigmoid_f32(x: f32) -> f32 {
    let e = exp_f32(-x.abs());
    let num = if x >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}

/// erf on [0, 3.94) in 32 pieces: piece j covers |x| = (j + u)/8 with |u| <= 1/2, where erf
/// is a degree-5 polynomial in u, highest coefficient first (relative minimax fits by Lawson
/// iterations, relative error 3.2e-10). Piece 0 holds erf(x) - x, odd in u, so that near 0
/// the result is x plus a correction an eighth its size and keeps its relative accuracy. The
/// last piece's constant term is 1 instead of the fit's 1 - 4.4e-8 (which rounds to
/// 1 - 6e-8): the piece then gives exactly 1 for every |x| from 3.81 on, where the true erf
/// rounds to 1 from 3.92 on (within 1.2 ulp), so |x| can be clamped into it without a select.
#[rustfmt::skip]
const ERF_PIECES_F32: [[f32; 6]; 32] = [
    [3.4387401e-6, 0.0, -7.346214e-4, 0.0, 0.016047396, 0.0],
    [3.1849506e-6, 1.6742086e-5, -7.0063426e-4, -0.0021696948, 0.13886066, 0.1403162],
    [2.4485598e-6, 3.0943367e-5, -6.038516e-4, -0.0041406746, 0.13250177, 0.2763264],
    [1.3937806e-6, 4.0598214e-5, -4.5874465e-4, -0.005744248, 0.1225441, 0.4041169],
    [2.2982455e-7, 4.4625693e-5, -2.8606382e-4, -0.0068654823, 0.10984782, 0.5204999],
    [-8.302518e-7, 4.302193e-5, -1.08735505e-4, -0.0074560447, 0.095437445, 0.6232409],
    [-1.6189962e-6, 3.6750393e-5, 5.232076e-5, -0.0075343447, 0.08036638, 0.71115565],
    [-2.0464213e-6, 2.7425735e-5, 1.8149063e-4, -0.0071742474, 0.06559313, 0.7840751],
    [-2.1078747e-6, 1.6897326e-5, 2.702518e-4, -0.0064860554, 0.051888436, 0.8427008],
    [-1.8694919e-6, 6.851606e-6, 3.1728946e-4, -0.0055946615, 0.039784245, 0.8883882],
    [-1.4393111e-6, -1.4733245e-6, 3.2721832e-4, -0.004619556, 0.02956514, 0.92290014],
    [-9.3459437e-7, -7.414763e-6, 3.084722e-4, -0.0036600763, 0.021294972, 0.94817007],
    [-4.5495395e-7, -1.0860762e-5, 2.7100023e-4, -0.0027874312, 0.014866286, 0.96610516],
    [-6.669631e-8, -1.2117778e-5, 2.2429833e-4, -0.0020432428, 0.010059033, 0.97844374],
    [2.0068742e-7, -1.1730877e-5, 1.7608867e-4, -0.0014430674, 0.0065968744, 0.9866717],
    [3.4862745e-7, -1.0311473e-5, 1.3172106e-4, -9.827885e-4, 0.0041932287, 0.99199003],
    [3.9864508e-7, -8.408755e-6, 9.41856e-5, -6.4584333e-4, 0.002583373, 0.9953223],
    [3.8088734e-7, -6.438345e-6, 6.452625e-5, -4.0975356e-4, 0.0015426025, 0.997346],
    [3.2508754e-7, -4.663177e-6, 4.243079e-5, -2.5109676e-4, 8.9278986e-4, 0.9985373],
    [2.5507703e-7, -3.2108017e-6, 2.6817444e-5, -1.4867747e-4, 5.0080975e-4, 0.99921703],
    [1.8681595e-7, -2.1090736e-6, 1.630875e-5, -8.5088854e-5, 2.7228554e-4, 0.999593],
    [1.2888185e-7, -1.3250628e-6, 9.55159e-6, -4.7080513e-5, 1.4348439e-4, 0.9997946],
    [8.4254694e-8, -7.9780926e-7, 5.3913614e-6, -2.5191379e-5, 7.328466e-5, 0.9998994],
    [5.24106e-8, -4.6104586e-7, 2.934622e-6, -1.3037446e-5, 3.6278536e-5, 0.99995214],
    [3.1115526e-8, -2.560366e-7, 1.5411983e-6, -6.5273875e-6, 1.7406632e-5, 0.9999779],
    [1.7671114e-8, -1.3677419e-7, 7.812792e-7, -3.1619843e-6, 8.094836e-6, 0.9999901],
    [9.616827e-9, -7.034072e-8, 3.8243485e-7, -1.4822198e-6, 3.6486283e-6, 0.9999957],
    [5.0223745e-9, -3.4850437e-8, 1.8082245e-7, -6.724354e-7, 1.5939678e-6, 0.9999982],
    [2.519929e-9, -1.6644115e-8, 8.260635e-8, -2.952707e-7, 6.749284e-7, 0.9999993],
    [1.2158096e-9, -7.666149e-9, 3.647102e-8, -1.255058e-7, 2.7699008e-7, 0.9999997],
    [5.646583e-10, -3.4068495e-9, 1.5565048e-8, -5.1643823e-8, 1.10179045e-7, 0.9999999],
    [2.5266975e-10, -1.4612052e-9, 6.422504e-9, -2.0573992e-8, 4.2477808e-8, 1.0],
];

/// Where 8|x| is clamped: inside the last piece, which gives 1.
const ERF_CLAMP_F32: f32 = 31.49;

/// The error function: one table lookup (piece `j = round(8|x|)`) and a degree-5 polynomial,
/// no branch, no division, no exp. Within 1.05 ulp of the true erf in a simulation of the
/// f32 evaluation, 2 ulp of libm's erff on the dense sweep.
#[inline(always)]
pub fn erf_f32(x: f32) -> f32 {
    let a = x.abs();
    let m = a * 8.0; // exact
    let m = if m > ERF_CLAMP_F32 { ERF_CLAMP_F32 } else { m }; // NaN stays NaN
    let t = m + ROUND_F32;
    let u = m - (t - ROUND_F32); // exact, |u| <= 1/2
                                 // The piece's index sits in the low bits of t (masked: a NaN's bits are not an index).
    let j = (t.to_bits().wrapping_sub(ROUND_F32.to_bits()) & 31) as usize;
    let p = horner!(u, ERF_PIECES_F32[j]);
    let y = if m <= 0.5 { p + a } else { p }; // piece 0 (round(0.5) = 0: ties to even)
    y.copysign(x)
}

/// Hand-written AVX-512 twins of [`exp_f32`], [`exp_rel_f32`] and [`sigmoid_f32`], 16 lanes
/// at a time, with the same reduction and polynomial (so the same bits), and of [`erf_f32`].
/// The generic versions build 2^n with
/// integer shifts and two multiplies (n split in halves, so subnormal and overflowing results
/// round once); here `vscalefps` does `p * 2^n` in one instruction with that same single rounding,
/// which the compiler cannot emit from portable code. 14 vector ops per 16 elements instead of 22:
/// exp 0.24 → 0.18 ns/element on an L1-resident 4K array (Zen 4), sigmoid 0.33 → 0.26. tanh is
/// not here: its generic version needs only one power of two in the normal range (n <= 29),
/// which is already cheap (a hand-written copy measured the same 0.26 ns/element).
/// Since then exp's polynomial is one Horner chain (`EXP_HORNER_F32`, 6 FMAs instead of 7 ops):
/// exp 0.175 → 0.168, sigmoid 0.254 → 0.245 ns/element. Softmax's exp_rel splits
/// `z = x log2 e - shift` with `vreduceps` (AVX-512DQ), which returns `z - round(z)` and 0 for
/// ±inf, so that -inf needs no clamp: 4 ops plus 5 FMAs. Since then (softmax v9) it is
/// table-driven: `vreduceps` returns `z - floor(32 z)/32`, `vpermt2ps` picks 2^(j/32) from a
/// 32-entry table, a degree-2 polynomial does the rest and `vscalefps` takes `z` itself as its
/// exponent (it floors it): 8 ops (4 of them FMA-class) instead of 9 (6) (`exp_rel_scale`, softmax's last pass
/// along columns, can write with streaming stores). erf picks each lane's piece of its
/// table with `vpermt2ps` (two registers hold a coefficient of all 32 pieces): ~22 ops, no
/// division and no exp, 0.65 → 0.26 ns/element. Tried and dropped: sigmoid's division as
/// `vrcp14ps` + a Newton step (0.29 ns/element, +Markstein correction 0.32: the divider is not
/// the bottleneck, op count is), sigmoid's compare and blend as one `vfixupimmps` (no change:
/// 0.259 ns/element), Estrin's scheme for softmax's exp (one more op, slower), and
/// tanh as one rational function x P(x²)/Q(x²) (6e-8 in exact arithmetic, but 5 ulp evaluated
/// in f32 near |x| = 7: over the 3 ulp bound).
#[cfg(target_arch = "x86_64")]
pub mod avx512 {
    use super::{
        ERF_CLAMP_F32, ERF_PIECES_F32, EXP2_FRAC_POLY_F32, EXP2_TABLE_F32, EXP_HORNER_F32, LN2_HI_F32, LN2_LO_F32,
        ROUND32_F32, ROUND_F32,
    };
    use std::arch::x86_64::*;

    /// `(p, n)` with `e^x = p 2^n`: `n = round(x log2 e)` as a float, `p = e^r` by the polynomial.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn exp_parts(x: __m512) -> (__m512, __m512) {
        let round = _mm512_set1_ps(ROUND_F32);
        let t = _mm512_fmadd_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E), round);
        let n = _mm512_sub_ps(t, round);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI_F32), x);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO_F32), r);
        let mut p = _mm512_set1_ps(EXP_HORNER_F32[0]);
        for &c in &EXP_HORNER_F32[1..] {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
        }
        (p, n)
    }

    /// [`super::exp_f32`] on 16 lanes.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn exp_ps(x: __m512) -> __m512 {
        // min/max return their second operand when either is NaN: NaN flows through, as in
        // the generic clamp.
        let x = _mm512_min_ps(_mm512_set1_ps(89.0), x);
        let x = _mm512_max_ps(_mm512_set1_ps(-104.0), x);
        let (p, n) = exp_parts(x);
        _mm512_scalef_ps(p, n)
    }

    /// [`super::exp_rel_f32`] on 16 lanes: 8 vector ops. `vreduceps` (AVX-512DQ) gives
    /// `r = z - floor(32 z)/32` (and 0 for z = ±inf), an add rounding down puts `floor(32 z)`'s
    /// low 5 bits into the mantissa for `vpermt2ps` to pick the table entry, and `vscalefps`
    /// multiplies by `2^floor(z)` (it floors its exponent operand), which is the `n` of
    /// `floor(32 z) = 32 n + j`. For z below -2^17 the index is garbage, but the scale flushes
    /// the result to 0 anyway.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F and AVX-512DQ.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq")]
    pub fn exp_rel_ps(x: __m512, shift: __m512) -> __m512 {
        const DOWN: i32 = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
        // SAFETY: the table holds 32 floats.
        let (lo, hi) =
            unsafe { (_mm512_loadu_ps(EXP2_TABLE_F32.as_ptr()), _mm512_loadu_ps(EXP2_TABLE_F32.as_ptr().add(16))) };
        let z = _mm512_fmsub_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E), shift);
        let r = _mm512_reduce_ps::<{ (5 << 4) | DOWN }>(z);
        let t = _mm512_add_round_ps::<DOWN>(z, _mm512_set1_ps(ROUND32_F32));
        let tab = _mm512_permutex2var_ps(lo, _mm512_castps_si512(t), hi);
        let c = _mm512_fmadd_ps(_mm512_set1_ps(EXP2_FRAC_POLY_F32[0]), r, _mm512_set1_ps(EXP2_FRAC_POLY_F32[1]));
        let q = _mm512_mul_ps(c, r);
        _mm512_scalef_ps(_mm512_fmadd_ps(tab, q, tab), z)
    }

    /// Softmax's pass 2 on f32: Σ `exp_rel(x, shift)` over `xs`, storing each term in `out`
    /// when given. The same sums, in the same order, as the generic `block_exp_sum` in
    /// `softmax::fast` (64 lane accumulators folded as a tree, then the tail added in order).
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F and AVX-512DQ.
    #[target_feature(enable = "avx512f,avx512dq")]
    pub fn exp_sum(xs: &[f32], shift: f32, mut out: Option<&mut [f32]>) -> f32 {
        let s = _mm512_set1_ps(shift);
        let mut acc = [_mm512_setzero_ps(); 4];
        let full = xs.len() / 64 * 64;
        for (k, c) in xs[..full].chunks_exact(64).enumerate() {
            for (j, a) in acc.iter_mut().enumerate() {
                // SAFETY: `c` holds 64 floats; `out` (when given) is as long as `xs`.
                unsafe {
                    let e = exp_rel_ps(_mm512_loadu_ps(c.as_ptr().add(16 * j)), s);
                    if let Some(o) = out.as_deref_mut() {
                        _mm512_storeu_ps(o.as_mut_ptr().add(64 * k + 16 * j), e);
                    }
                    *a = _mm512_add_ps(*a, e);
                }
            }
        }
        let mut lanes = [0f32; 64];
        for (j, a) in acc.iter().enumerate() {
            // SAFETY: `lanes` has room for 4 × 16 floats.
            unsafe { _mm512_storeu_ps(lanes.as_mut_ptr().add(16 * j), *a) };
        }
        let mut width = 64;
        while width > 1 {
            width /= 2;
            for j in 0..width {
                lanes[j] += lanes[j + width];
            }
        }
        let mut tail_sum = 0f32;
        for (i, &v) in xs.iter().enumerate().skip(full) {
            let e = super::exp_rel_f32(v, shift);
            if let Some(o) = out.as_deref_mut() {
                o[i] = e;
            }
            tail_sum += e;
        }
        lanes[0] + tail_sum
    }

    /// Softmax's pass 2 across columns on f32: `sum[i] += exp_rel(xs[i], shift[i])`, the term
    /// also stored in `out[i]` when given; the same bits as the generic loop in `softmax::fast`.
    /// All slices have the length of `xs`.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F and AVX-512DQ.
    #[target_feature(enable = "avx512f,avx512dq")]
    pub fn exp_rel_accumulate(xs: &[f32], shift: &[f32], sum: &mut [f32], mut out: Option<&mut [f32]>) {
        let n = xs.len();
        assert!(shift.len() == n && sum.len() == n && out.as_ref().is_none_or(|o| o.len() == n));
        let full = n / 16 * 16;
        for i in (0..full).step_by(16) {
            // SAFETY: i + 16 <= n, the length of every slice.
            unsafe {
                let e = exp_rel_ps(_mm512_loadu_ps(xs.as_ptr().add(i)), _mm512_loadu_ps(shift.as_ptr().add(i)));
                if let Some(o) = out.as_deref_mut() {
                    _mm512_storeu_ps(o.as_mut_ptr().add(i), e);
                }
                let s = sum.as_mut_ptr().add(i);
                _mm512_storeu_ps(s, _mm512_add_ps(_mm512_loadu_ps(s), e));
            }
        }
        for i in full..n {
            let e = super::exp_rel_f32(xs[i], shift[i]);
            if let Some(o) = out.as_deref_mut() {
                o[i] = e;
            }
            sum[i] += e;
        }
    }

    /// Softmax's last pass across columns on f32: `out[i] = exp_rel(xs[i], shift[i]) * scale[i]`,
    /// the same bits as the generic loop in `softmax::fast`. With `stream`, the 64-byte-aligned
    /// part of `out` is written with non-temporal stores (not read into the cache first), fenced
    /// before returning. All slices have the length of `xs`.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F and AVX-512DQ.
    #[target_feature(enable = "avx512f,avx512dq")]
    pub fn exp_rel_scale(xs: &[f32], shift: &[f32], scale: &[f32], out: &mut [f32], stream: bool) {
        let n = xs.len();
        assert!(shift.len() == n && scale.len() == n && out.len() == n);
        // Elements before the first 64-byte boundary of `out` (streaming stores must be aligned).
        let head = if stream { (out.as_ptr().align_offset(64)).min(n) } else { 0 };
        let full = head + (n - head) / 16 * 16;
        for i in (0..head).chain(full..n) {
            out[i] = super::exp_rel_f32(xs[i], shift[i]) * scale[i];
        }
        for i in (head..full).step_by(16) {
            // SAFETY: i + 16 <= n, the length of every slice; with `stream`, `out + i` is
            // 64-byte aligned.
            unsafe {
                let e = exp_rel_ps(_mm512_loadu_ps(xs.as_ptr().add(i)), _mm512_loadu_ps(shift.as_ptr().add(i)));
                let v = _mm512_mul_ps(e, _mm512_loadu_ps(scale.as_ptr().add(i)));
                if stream {
                    _mm512_stream_ps(out.as_mut_ptr().add(i), v);
                } else {
                    _mm512_storeu_ps(out.as_mut_ptr().add(i), v);
                }
            }
        }
        if stream {
            // Non-temporal stores are weakly ordered: make them visible before the caller
            // hands `out` to another thread.
            _mm_sfence();
        }
    }

    /// [`super::sigmoid_f32`] on 16 lanes.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn sigmoid_ps(x: __m512) -> __m512 {
        // -|x| <= 0: the upper clamp of `exp_ps` is a no-op there and is left out.
        let sign = _mm512_set1_epi32(i32::MIN);
        let neg_abs = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(x), sign));
        let (p, n) = exp_parts(_mm512_max_ps(_mm512_set1_ps(-104.0), neg_abs));
        let e = _mm512_scalef_ps(p, n);
        let one = _mm512_set1_ps(1.0);
        // x >= 0 (false for NaN) takes 1 as the numerator, otherwise e.
        let num = _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_GE_OQ>(x, _mm512_setzero_ps()), e, one);
        _mm512_div_ps(num, _mm512_add_ps(one, e))
    }

    /// [`ERF_PIECES_F32`] by columns: coefficient k of the 32 pieces, in two registers' worth.
    const ERF_COLUMNS: [[f32; 32]; 6] = {
        let mut columns = [[0.0; 32]; 6];
        let mut j = 0;
        while j < 32 {
            let mut k = 0;
            while k < 6 {
                columns[k][j] = ERF_PIECES_F32[j][k];
                k += 1;
            }
            j += 1;
        }
        columns
    };

    /// [`super::erf_f32`] on 16 lanes: each coefficient column of the table sits in two
    /// registers and `vpermt2ps` picks every lane's piece from them (the index is in the low
    /// 5 bits of `t`).
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn erf_ps(x: __m512) -> __m512 {
        let sign = _mm512_set1_epi32(i32::MIN);
        let a = _mm512_castsi512_ps(_mm512_andnot_si512(sign, _mm512_castps_si512(x)));
        let m = _mm512_mul_ps(a, _mm512_set1_ps(8.0));
        // min returns its second operand when either is NaN: NaN flows through.
        let m = _mm512_min_ps(_mm512_set1_ps(ERF_CLAMP_F32), m);
        let round = _mm512_set1_ps(ROUND_F32);
        let t = _mm512_add_ps(m, round);
        let u = _mm512_sub_ps(m, _mm512_sub_ps(t, round));
        let piece = _mm512_castps_si512(t);
        let coeff = |k: usize| {
            let column = &ERF_COLUMNS[k];
            // SAFETY: each column holds 32 floats.
            let (lo, hi) = unsafe { (_mm512_loadu_ps(column.as_ptr()), _mm512_loadu_ps(column.as_ptr().add(16))) };
            _mm512_permutex2var_ps(lo, piece, hi)
        };
        let mut p = coeff(0);
        for k in 1..6 {
            p = _mm512_fmadd_ps(p, u, coeff(k));
        }
        let y = _mm512_mask_add_ps(p, _mm512_cmp_ps_mask::<_CMP_LE_OQ>(m, _mm512_set1_ps(0.5)), p, a);
        let y = _mm512_castps_si512(y);
        let signed = _mm512_or_si512(_mm512_andnot_si512(sign, y), _mm512_and_si512(sign, _mm512_castps_si512(x)));
        _mm512_castsi512_ps(signed)
    }

    /// `out[i] = f(x[i])` 16 lanes at a time (masked tail); `out` is at least as long as `x`.
    #[inline(always)]
    fn map(x: &[f32], out: &mut [f32], f: impl Fn(__m512) -> __m512) {
        let out = &mut out[..x.len()];
        let mut xc = x.chunks_exact(16);
        let mut oc = out.chunks_exact_mut(16);
        for (c, o) in (&mut xc).zip(&mut oc) {
            // SAFETY: both chunks hold exactly 16 floats; the caller has AVX-512F.
            unsafe { _mm512_storeu_ps(o.as_mut_ptr(), f(_mm512_loadu_ps(c.as_ptr()))) };
        }
        let (xt, ot) = (xc.remainder(), oc.into_remainder());
        let mask: __mmask16 = (1u32 << xt.len()).wrapping_sub(1) as u16;
        // SAFETY: the mask covers exactly the `xt.len()` tail elements of both slices.
        unsafe {
            let v = _mm512_maskz_loadu_ps(mask, xt.as_ptr());
            _mm512_mask_storeu_ps(ot.as_mut_ptr(), mask, f(v));
        }
    }

    /// `out[i] = exp_f32(x[i])`; `out` is at least as long as `x`.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub fn exp_slice(x: &[f32], out: &mut [f32]) {
        map(x, out, |v| exp_ps(v))
    }

    /// `out[i] = erf_f32(x[i])`; `out` is at least as long as `x`.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub fn erf_slice(x: &[f32], out: &mut [f32]) {
        map(x, out, |v| erf_ps(v))
    }

    /// `out[i] = sigmoid_f32(x[i])`; `out` is at least as long as `x`.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub fn sigmoid_slice(x: &[f32], out: &mut [f32]) {
        map(x, out, |v| sigmoid_ps(v))
    }
}

// ---------------------------------------------------------------------------------------------
// f64
// ---------------------------------------------------------------------------------------------

/// `1.5 * 2^52`, the f64 twin of [`ROUND_F32`].
const ROUND_F64: f64 = 6_755_399_441_055_744.0;
/// ln 2 split so that `n * LN2_HI_F64` is exact for |n| < 2^11 (the high part has 32 bits).
const LN2_HI_F64: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO_F64: f64 = 1.908_214_929_270_587_7e-10;
/// `1/k!` for k = 13 down to 2.
const EXP_TAYLOR_F64: [f64; 12] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    1.0 / 2.0,
];

#[inline(always)]
fn reduce_ln2_f64(x: f64) -> (i64, f64) {
    let t = x.mul_add(std::f64::consts::LOG2_E, ROUND_F64);
    let n = t - ROUND_F64;
    let ni = (t.to_bits() as i64).wrapping_sub(ROUND_F64.to_bits() as i64);
    (ni, (-n).mul_add(LN2_LO_F64, (-n).mul_add(LN2_HI_F64, x)))
}

#[inline(always)]
fn pow2i_f64(n: i64) -> f64 {
    f64::from_bits((n.wrapping_add(1023) as u64) << 52)
}

/// e^x for f64; same recipe as [`exp_f32`].
#[inline(always)]
pub fn exp_f64(x: f64) -> f64 {
    const HI: f64 = 710.0;
    const LO: f64 = -746.0;
    let x = if x > HI { HI } else { x };
    let x = if x < LO { LO } else { x };
    let (n, r) = reduce_ln2_f64(x);
    let p = 1.0 + (r * r).mul_add(horner!(r, EXP_TAYLOR_F64), r);
    let half = n >> 1;
    p * pow2i_f64(half) * pow2i_f64(n.wrapping_sub(half))
}

/// e^x for x <= 0, flushing results below e^-700 (1e-304) to 0: with 2^n a normal number, it
/// is added straight into p's exponent bits (one integer add instead of two multiplies).
#[inline(always)]
pub fn exp_nonpos_f64(x: f64) -> f64 {
    const FLUSH: f64 = -700.0;
    let xc = if x < FLUSH { FLUSH } else { x };
    let (n, r) = reduce_ln2_f64(xc);
    let p = 1.0 + (r * r).mul_add(horner!(r, EXP_TAYLOR_F64), r);
    let y = f64::from_bits(p.to_bits().wrapping_add((n as u64) << 52));
    // A NaN's payload bits went through the rounding trick into `n`; adding that to the
    // exponent can turn the NaN into a number, so NaN is passed through explicitly.
    if x < FLUSH {
        0.0
    } else if x.is_nan() {
        x
    } else {
        y
    }
}

/// The lane constants of [`exp_rel_f64`]: the shift is the max itself and k is 0.
#[inline(always)]
pub fn exp_rel_consts_f64(max: f64) -> (f64, f64) {
    (max, 0.0)
}

/// Softmax's exponential in f64: e^(x - max), within 1 ulp of [`exp_f64`] where not flushed.
#[inline(always)]
pub fn exp_rel_f64(x: f64, max: f64) -> f64 {
    exp_nonpos_f64(x - max)
}

/// e^x - 1 for `0 <= x <= 40`.
#[inline(always)]
fn expm1_small_pos_f64(x: f64) -> f64 {
    let (n, r) = reduce_ln2_f64(x);
    let pm1 = (r * r).mul_add(horner!(r, EXP_TAYLOR_F64), r);
    let s = pow2i_f64(n);
    s.mul_add(pm1, s - 1.0)
}

/// Natural logarithm for f64; same recipe as [`ln_f32`].
#[inline(always)]
pub fn ln_f64(x: f64) -> f64 {
    let tiny = x < f64::MIN_POSITIVE;
    let xs = if tiny { x * 18_014_398_509_481_984.0 } else { x }; // 2^54
    let bias: i64 = if tiny { 54 } else { 0 };
    const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
    let ix = xs.to_bits().wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF_BITS);
    let k = ((ix >> 52) as i64).wrapping_sub(1023 + bias);
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff).wrapping_add(SQRT_HALF_BITS));
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    // 2/(2j+1) for j = 11 down to 1: s² <= 0.0295, so the first omitted term is below 2^-60.
    const ATANH: [f64; 11] = [
        2.0 / 23.0,
        2.0 / 21.0,
        2.0 / 19.0,
        2.0 / 17.0,
        2.0 / 15.0,
        2.0 / 13.0,
        2.0 / 11.0,
        2.0 / 9.0,
        2.0 / 7.0,
        2.0 / 5.0,
        2.0 / 3.0,
    ];
    let rr = z * horner!(z, ATANH);
    let hfsq = 0.5 * f * f;
    let kf = k as f64;
    let ln_m = s.mul_add(hfsq + rr, f - hfsq);
    let y = kf.mul_add(LN2_HI_F64, kf.mul_add(LN2_LO_F64, ln_m));
    let y = if x == f64::INFINITY { x } else { y };
    let y = if x == 0.0 { f64::NEG_INFINITY } else { y };
    if x >= 0.0 {
        y
    } else {
        f64::NAN
    }
}

/// ln(1 + x) for f64; same trick as [`ln_1p_f32`].
#[inline(always)]
pub fn ln_1p_f64(x: f64) -> f64 {
    let u = 1.0 + x;
    // u - 1 is exact, so c is exactly the part of x that rounding 1 + x lost.
    let c = x - (u - 1.0);
    let y = ln_f64(u) + c / u;
    let y = if u == 1.0 { x } else { y }; // keeps the sign of -0
    let y = if u == 0.0 { f64::NEG_INFINITY } else { y };
    if x == f64::INFINITY {
        x
    } else {
        y
    }
}

/// tanh for f64; same recipe as [`tanh_f32`].
#[inline(always)]
pub fn tanh_f64(x: f64) -> f64 {
    // tanh rounds to 1 beyond 19.06.
    const CLAMP: f64 = 20.0;
    let a = x.abs();
    let a = if a > CLAMP { CLAMP } else { a };
    let e = expm1_small_pos_f64(2.0 * a);
    (e / (e + 2.0)).copysign(x)
}

/// Sigmoid for f64; same formula as [`sigmoid_f32`].
#[inline(always)]
pub fn sigmoid_f64(x: f64) -> f64 {
    let e = exp_f64(-x.abs());
    let num = if x >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}

/// erf(√t)/√t on t ∈ [0, 1] (max abs error 7.4e-18).
#[allow(clippy::excessive_precision, clippy::approx_constant)]
const ERF_SMALL_F64: [f64; 12] = [
    -7.795_898_827_002_142_2e-10,
    1.372_006_454_677_768_6e-8,
    -1.620_848_380_187_170_6e-7,
    1.644_742_470_331_736_2e-6,
    -1.492_473_690_741_966e-5,
    1.205_529_490_483_970_8e-4,
    -8.548_325_975_389_692_1e-4,
    5.223_977_607_116_422_7e-3,
    -2.686_617_064_323_777e-2,
    1.128_379_167_094_500_6e-1,
    -3.761_263_890_318_354e-1,
    1.128_379_167_095_512_6,
];
/// erfc(x) e^{x²} as a polynomial in `1/x - 0.7` for x ∈ [1, 2.5] (max abs error 3.6e-18).
#[allow(clippy::excessive_precision)]
const ERFC_MID_F64: [f64; 19] = [
    1.100_250_081_316_903_9e-2,
    -1.203_731_532_175_998_2e-2,
    5.717_547_084_768_154_7e-3,
    -1.106_338_664_352_077_1e-3,
    -3.442_658_444_106_550_9e-3,
    8.423_621_185_485_015_1e-3,
    -1.204_097_551_895_163_5e-2,
    1.281_934_294_522_218_8e-2,
    -9.741_409_210_082_594_8e-3,
    2.362_181_580_670_405_2e-3,
    8.710_050_619_651_442_1e-3,
    -2.127_050_392_194_209_8e-2,
    3.092_228_432_658_018_5e-2,
    -3.042_132_799_159_195_5e-2,
    8.978_828_316_126_610_6e-3,
    4.845_973_249_325_099e-2,
    -1.619_384_521_904_336_9e-1,
    3.571_956_614_692_073_1e-1,
    3.336_736_525_414_603_1e-1,
];
/// erfc(x) e^{x²} as a polynomial in `1/x - 0.28333...` for x ∈ [2.5, 6] (max abs error 4e-16,
/// which erfc's small size there turns into less than 2^-60 of erf).
#[allow(clippy::excessive_precision)]
const ERFC_TAIL_F64: [f64; 13] = [
    7.465_998_231_599_667_8e-1,
    -1.232_446_075_371_840_9,
    7.014_463_357_051_728_4e-1,
    -2.153_700_023_031_396_3e-2,
    -3.243_908_649_245_216e-1,
    3.046_130_834_286_389_7e-1,
    -8.909_302_042_517_603_7e-2,
    -1.218_647_121_191_307_5e-1,
    1.940_881_120_157_445_7e-1,
    -8.575_536_985_404_178_1e-2,
    -1.713_061_466_883_028_6e-1,
    5.070_310_199_784_643_8e-1,
    1.540_874_111_691_921_9e-1,
];

/// erf for f64: three branches (|x| < 1, [1, 2.5), [2.5, 6]), all computed, one selected.
#[inline(always)]
pub fn erf_f64(x: f64) -> f64 {
    #[allow(clippy::excessive_precision)]
    const TAIL_CENTRE: f64 = 0.283_333_333_333_333_34;
    let a = x.abs();
    let small = a * horner!(a * a, ERF_SMALL_F64);
    // erf rounds to 1 beyond 5.93.
    let b = if a < 1.0 { 1.0 } else { a };
    let b = if b > 6.0 { 6.0 } else { b };
    let u = 1.0 / b;
    let mid = horner!(u - 0.7, ERFC_MID_F64);
    let tail = horner!(u - TAIL_CENTRE, ERFC_TAIL_F64);
    let h = if b < 2.5 { mid } else { tail };
    let large = (-exp_f64(-(b * b))).mul_add(h, 1.0);
    let y = if a < 1.0 { small } else { large };
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::elementwise::UnaryOp;
    use crate::ops::simd::testing::{ulp_diff_f32, ulp_diff_f64, Lcg, SPECIAL_F32, SPECIAL_F64};

    /// Max ulp from the standard library's exp and ln (both precisions).
    const ULP_EXP_LN: u64 = 1;
    /// ln_1p adds the correction c/u, sigmoid a quotient: one more rounding each.
    const ULP_LN1P_SIGMOID: u64 = 2;
    /// Max ulp from std's tanh: the quotient (e^{2a}-1)/(e^{2a}+1) adds two roundings.
    const ULP_TANH: u64 = 3;
    /// Max ulp from libm's erff / erf.
    const ULP_ERF: u64 = 2;
    /// Below this magnitude ulp distances are meaningless (subnormal results of erf/tanh near 0
    /// are compared with an absolute tolerance of one subnormal step instead).
    const SUBNORMAL_SLACK: u64 = 1;

    type Case32 = (UnaryOp, fn(f32) -> f32, u64);
    type Case64 = (UnaryOp, fn(f64) -> f64, u64);

    const CASES_F32: [Case32; 6] = [
        (UnaryOp::Exp, exp_f32, ULP_EXP_LN),
        (UnaryOp::Ln, ln_f32, ULP_EXP_LN),
        (UnaryOp::Ln1p, ln_1p_f32, ULP_LN1P_SIGMOID),
        (UnaryOp::Sigmoid, sigmoid_f32, ULP_LN1P_SIGMOID),
        (UnaryOp::Tanh, tanh_f32, ULP_TANH),
        (UnaryOp::Erf, erf_f32, ULP_ERF),
    ];
    const CASES_F64: [Case64; 6] = [
        (UnaryOp::Exp, exp_f64, ULP_EXP_LN),
        (UnaryOp::Ln, ln_f64, ULP_EXP_LN),
        (UnaryOp::Ln1p, ln_1p_f64, ULP_LN1P_SIGMOID),
        (UnaryOp::Sigmoid, sigmoid_f64, ULP_LN1P_SIGMOID),
        (UnaryOp::Tanh, tanh_f64, ULP_TANH),
        (UnaryOp::Erf, erf_f64, ULP_ERF),
    ];

    /// Checks `ours` against the reference on `xs`; returns the worst ulp seen.
    fn sweep_f32((op, ours, bound): Case32, xs: impl Iterator<Item = f32>) -> u64 {
        let mut worst = 0;
        for x in xs {
            let (got, want) = (ours(x), op.apply(x));
            let d = ulp_diff_f32(got, want);
            assert!(
                d <= bound + SUBNORMAL_SLACK * (want.abs() < f32::MIN_POSITIVE) as u64,
                "{}({x:e}) = {got:e}, reference {want:e}: {d} ulp > {bound}",
                op.name()
            );
            if want == 0.0 {
                assert_eq!(got.is_sign_negative(), want.is_sign_negative(), "{}({x:e}): sign of zero", op.name());
            }
            worst = worst.max(d);
        }
        worst
    }

    fn sweep_f64((op, ours, bound): Case64, xs: impl Iterator<Item = f64>) -> u64 {
        let mut worst = 0;
        for x in xs {
            let (got, want) = (ours(x), op.apply(x));
            let d = ulp_diff_f64(got, want);
            assert!(
                d <= bound + SUBNORMAL_SLACK * (want.abs() < f64::MIN_POSITIVE) as u64,
                "{}({x:e}) = {got:e}, reference {want:e}: {d} ulp > {bound}",
                op.name()
            );
            if want == 0.0 {
                assert_eq!(got.is_sign_negative(), want.is_sign_negative(), "{}({x:e}): sign of zero", op.name());
            }
            worst = worst.max(d);
        }
        worst
    }

    #[test]
    fn nans_with_payload_bits_stay_nan_in_softmax_exp() {
        // Quiet NaNs with low payload bits set: a rounding trick once folded them into the
        // exponent and returned a number.
        for payload in [1u32, 0x1ff, 0x3f_ffff] {
            let x = f32::from_bits(0x7fc0_0000 | payload);
            assert!(exp_rel_f32(x, 0.0).is_nan(), "payload {payload:#x}");
            assert!(exp_rel_f32(-x, 0.0).is_nan(), "negative payload {payload:#x}");
        }
        for payload in [1u64, 0x7ff, 0x7_ffff_ffff_ffff] {
            let x = f64::from_bits(0x7ff8_0000_0000_0000 | payload);
            assert!(exp_nonpos_f64(x).is_nan(), "payload {payload:#x}");
        }
    }

    #[test]
    fn special_values_match_the_reference() {
        for case in CASES_F32 {
            sweep_f32(case, SPECIAL_F32.into_iter());
        }
        for case in CASES_F64 {
            sweep_f64(case, SPECIAL_F64.into_iter());
        }
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(100.0), f32::INFINITY);
        assert_eq!(ln_f32(0.0), f32::NEG_INFINITY);
        assert!(ln_f32(-1.0).is_nan());
        assert_eq!(ln_1p_f64(-1.0), f64::NEG_INFINITY);
        assert_eq!(tanh_f64(f64::NEG_INFINITY), -1.0);
    }

    /// Max relative error of f32 `exp_rel` (softmax's exponential) from e^(x - max + k) in f64,
    /// for x - max in [-1, 0] and below: the polynomial (1.7e-7) plus the rounding of
    /// `z = x log2 e - shift`, which grows with |z| (measured: 1.8e-7 and 3.9e-6).
    const REL_EXP_REL_F32: [f64; 2] = [2e-7, 4e-6];

    /// exp_rel against f64 on lanes with small, large and negative maxima: a fine grid of
    /// x - max from 0 to -104, every 1021st negative f32 (every exponent, so x - max tiny) and
    /// the special values. Within `REL_EXP_REL_F32`, far inside softmax's f32 tolerance (1e-5).
    #[test]
    fn exp_rel_is_within_its_bound() {
        let dense: Vec<f32> = (0x8000_0000u32..=(-104f32).to_bits()).step_by(1021).map(f32::from_bits).collect();
        let mut worst = [0f64; 2];
        for max in [0.0f32, 1.0, -3.7, 20.0, 1000.0, -1000.0, 12_345.6] {
            let (shift, k) = exp_rel_consts_f32(max);
            let grid = (0..208_000).map(|i| max - i as f32 * 5e-4);
            for x in grid.chain(dense.iter().map(|&d| max + d)) {
                let d = x as f64 - max as f64; // exact
                let (got, want) = (exp_rel_f32(x, shift) as f64, (d + k as f64).exp());
                if want < f32::MIN_POSITIVE as f64 {
                    // Subnormal results (z below -126, where half an ulp of z alone is 5.3e-6
                    // relative): 8e-6, plus one step of the subnormal grid.
                    let bound = 1.4e-45 + 8e-6 * want;
                    assert!((got - want).abs() <= bound, "exp_rel({x:e}) with max {max}: {got:e} vs {want:e}");
                    continue;
                }
                let band = if d >= -1.0 { 0 } else { 1 };
                let rel = (got - want).abs() / want;
                assert!(rel <= REL_EXP_REL_F32[band], "exp_rel({x:e}) with max {max}: {got:e} vs {want:e}, {rel:e}");
                worst[band] = worst[band].max(rel);
            }
        }
        println!("exp_rel worst relative error by band: {worst:?}");
        assert!(worst[0] > 1e-7, "the sweep reached the polynomial's error");
        assert_eq!(exp_rel_f32(f32::NEG_INFINITY, 0.0), 0.0);
        assert_eq!(exp_rel_f32(-200.0, 0.0), 0.0);
        assert_eq!(exp_rel_f32(0.0, 0.0), 1.0);
        assert!(exp_rel_f32(f32::NAN, 0.0).is_nan());
        assert!(exp_rel_f32(1.0, exp_rel_consts_f32(f32::NEG_INFINITY).0).is_nan(), "all -inf lane");
        for i in 0..200_000 {
            let x = -(i as f64) * 3.5e-3; // 0 down to -700
            assert!(ulp_diff_f64(exp_nonpos_f64(x), exp_f64(x)) <= ULP_EXP_LN, "{x}");
        }
        assert!(exp_nonpos_f64(f64::NAN).is_nan());
        assert_eq!(exp_nonpos_f64(0.0), 1.0);
    }

    /// Max error of f32 erf from the f64 erf, in f32 ulps of the true value (fractional: a
    /// correctly rounded result is within 0.5). The piecewise polynomial's own error is 3.2e-10;
    /// the rest is f32 rounding in Horner's rule (1.07 ulp) and the last piece's 1 (1.17 ulp
    /// near |x| = 3.81).
    const ULP_ERF_F32_VS_F64: f64 = 1.2;

    #[test]
    fn erf_f32_is_within_its_bound_of_f64() {
        let grid = (0..2_000_000).map(|i| i as f32 * 2.25e-6); // [0, 4.5)
        let bits = (0..0x4100_0000u32).step_by(1021).map(f32::from_bits); // [0, 8), every exponent
                                                                          // The edges between pieces, (j + 1/2)/8, and one float either side.
        let edges = (0..33).flat_map(|j| {
            let e = (j as f32 + 0.5) / 8.0;
            [f32::from_bits(e.to_bits() - 1), e, f32::from_bits(e.to_bits() + 1)]
        });
        let mut worst = 0f64;
        for x in grid.chain(bits).chain(edges) {
            let (got, want) = (erf_f32(x) as f64, libm::erf(x as f64));
            let ulp = if want < f32::MIN_POSITIVE as f64 {
                1.4e-45
            } else {
                let w = want as f32;
                (f32::from_bits(w.to_bits() + 1) - w) as f64
            };
            let err = (got - want).abs() / ulp;
            assert!(err <= ULP_ERF_F32_VS_F64, "erf({x:e}) = {got:e}, f64 {want:e}: {err} ulp");
            assert_eq!(erf_f32(-x).to_bits(), (-erf_f32(x)).to_bits(), "erf is odd at {x:e}");
            worst = worst.max(err);
        }
        println!("erf f32 worst error vs f64: {worst} ulp");
        assert!(erf_f32(f32::NAN).is_nan());
        assert_eq!(erf_f32(f32::INFINITY), 1.0);
        assert_eq!(erf_f32(3.95), 1.0);
        assert_eq!(erf_f32(-100.0), -1.0);
    }

    /// Every 4099th f32 bit pattern: ~1M values covering both signs, every exponent, the
    /// subnormals, the infinities and NaNs.
    const F32_BIT_STRIDE: usize = 4099;

    #[test]
    fn f32_dense_sweep_over_all_exponents() {
        for case in CASES_F32 {
            let worst = sweep_f32(case, (0..=u32::MAX).step_by(F32_BIT_STRIDE).map(f32::from_bits));
            // Plus a fine uniform grid where the function changes most.
            let worst = worst.max(sweep_f32(case, (0..200_000).map(|i| (i as f32 - 100_000.0) * 1e-4)));
            assert!(worst <= case.2, "{}: {worst} ulp", case.0.name());
        }
    }

    /// The AVX-512 twins (exp, exp_rel, sigmoid) give the generic functions' exact bits on the
    /// dense sweep (every 4099th bit pattern), the special values and the fine grid.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_exp_is_bit_identical_to_the_generic_one() {
        if !is_x86_feature_detected!("avx512f") {
            return;
        }
        let mut xs: Vec<f32> = (0..=u32::MAX).step_by(F32_BIT_STRIDE).map(f32::from_bits).collect();
        xs.extend(SPECIAL_F32);
        xs.extend((0..200_000).map(|i| (i as f32 - 100_000.0) * 1e-3));
        xs.push(1.0); // an odd length exercises the masked tail
        let mut out = vec![0f32; xs.len()];
        // SAFETY: AVX-512F checked above.
        unsafe { avx512::exp_slice(&xs, &mut out) };
        for (&x, &got) in xs.iter().zip(&out) {
            let want = exp_f32(x);
            assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "exp({x:e})");
        }
        type Twin = (unsafe fn(&[f32], &mut [f32]), fn(f32) -> f32, &'static str);
        let twins: [Twin; 2] = [(avx512::sigmoid_slice, sigmoid_f32, "sigmoid"), (avx512::erf_slice, erf_f32, "erf")];
        for (vector, scalar, name) in twins {
            // SAFETY: AVX-512F checked above.
            unsafe { vector(&xs, &mut out) };
            for (&x, &got) in xs.iter().zip(&out) {
                let want = scalar(x);
                assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "{name}({x:e})");
            }
        }
        // exp_rel through softmax's pass 2: each stored term, on x <= max (and NaN).
        if !is_x86_feature_detected!("avx512dq") {
            return;
        }
        for max in [2.5f32, -1000.0] {
            let ys: Vec<f32> = xs.iter().map(|&x| if x.is_nan() { x } else { max - x.abs() }).collect();
            let shift = exp_rel_consts_f32(max).0;
            // SAFETY: AVX-512F and DQ checked above.
            let sum = unsafe { avx512::exp_sum(&ys, shift, Some(&mut out)) };
            assert!(sum.is_nan()); // the NaN inputs poison the sum
            for (&y, &got) in ys.iter().zip(&out) {
                let want = exp_rel_f32(y, shift);
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "exp_rel({y:e}) with max {max} = {got:e}, generic {want:e}"
                );
            }
        }
    }

    /// exp_rel's AVX-512 twin against the generic one where `z - floor(32 z)/32` is inexact
    /// (`-1/32 < z < 0`: `vreduceps` rounds it down, the generic code steps down by Fast2Sum),
    /// at the table's seams (z a multiple of 1/32, and one float either side), and far below
    /// (where the twin's table index is garbage but the result must still be 0).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_exp_rel_matches_on_inexact_fractions_and_seams() {
        if !(is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512dq")) {
            return;
        }
        let mut zs: Vec<f32> =
            ((-1f32 / 32.0).to_bits()..=(-1e-30f32).to_bits()).rev().step_by(7).map(f32::from_bits).collect();
        zs.extend(((-1e-30f32).to_bits()..=0x8000_0000u32).rev().step_by(1 << 16).map(f32::from_bits));
        for j in -4900..40 {
            let s = j as f32 / 32.0;
            zs.extend([f32::from_bits(s.to_bits().wrapping_sub(1)), s, f32::from_bits(s.to_bits().wrapping_add(1))]);
        }
        zs.extend([-2e5, -1e9, -3e38, f32::NEG_INFINITY, f32::NAN, 0.0, -0.0, 1e-30]);
        for shift in [0.0f32, 1.5, -7.25, 1234.5] {
            // x log2 e - shift runs through the zs (not exactly: the FMA rounds, but near them).
            let xs: Vec<f32> = zs.iter().map(|&z| (z + shift) * std::f32::consts::LN_2).collect();
            let mut out = vec![0f32; xs.len()];
            // SAFETY: AVX-512F and DQ checked above.
            unsafe { avx512::exp_sum(&xs, shift, Some(&mut out)) };
            for (&x, &got) in xs.iter().zip(&out) {
                let want = exp_rel_f32(x, shift);
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "exp_rel({x:e}) with shift {shift} = {got:e}, generic {want:e}"
                );
            }
        }
        // Just below 0, the last table entry times 2^-1: one ulp under 1.
        assert_eq!(exp_rel_f32(-1e-30, 0.0), 1.0 - f32::EPSILON / 2.0);
        assert_eq!(exp_rel_f32(0.0, 0.0), 1.0);
        assert_eq!(exp_rel_f32(-3e38, 0.0), 0.0);
    }

    /// f64 values: random bit patterns plus a uniform grid on [-30, 30] and one near zero.
    const F64_SWEEP: usize = 300_000;

    #[test]
    fn f64_dense_sweep() {
        let mut rng = Lcg::new(7);
        let bits: Vec<f64> = (0..F64_SWEEP).map(|_| f64::from_bits(rng.next_u64())).collect();
        for case in CASES_F64 {
            sweep_f64(case, bits.iter().copied());
            sweep_f64(case, (0..F64_SWEEP).map(|i| (i as f64 / F64_SWEEP as f64 - 0.5) * 60.0));
            sweep_f64(case, (0..F64_SWEEP).map(|i| (i as f64 / F64_SWEEP as f64 - 0.5) * 1e-3));
        }
    }
}
