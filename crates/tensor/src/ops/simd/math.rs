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
//! tanh within 3 ulp (f32 and f64 alike). The f32 `exp_nonpos` (softmax only, whose results are
//! checked with tolerances) trades one ulp for speed: a degree-5 polynomial, within 2 ulp. Every function returns the same bits on every SIMD level (no
//! fused multiply-add).
//!
//! Polynomials are evaluated with `mul_add` (one rounding per step, half the instructions).
//! On the AVX2/AVX-512 levels it is one FMA instruction; a portable build on an x86 without FMA
//! falls back to a (slow, exact) libm call, so the results stay bit-identical everywhere.
//!
//! On x86-64 the [`avx512`] module holds hand-written AVX-512 copies of exp, exp_nonpos and
//! sigmoid for f32 (the kernels call them on slices at the AVX-512 level); they return the same
//! bits as the generic functions, which a test checks on the dense sweep.
//!
//! The erf polynomials are Chebyshev fits (mpmath `chebyfit`) of `erf(√t)/√t` on `t ∈ [0, 1]`
//! and of `erfc(x) e^{x²}` as a function of `1/x`; the rest are Taylor series.

use crate::dtype::Float;

/// A float type with vectorizable versions of the kernels' transcendental functions.
pub trait SimdFloat: Float {
    fn exp_v(self) -> Self;
    /// e^x for x <= 0 (softmax's shifted logits), cheaper than `exp_v`: results below
    /// `EXP_FLUSH` (about 1e-37 in f32, 1e-306 in f64) are flushed to 0 instead of going
    /// through the subnormals. NaN stays NaN.
    fn exp_nonpos_v(self) -> Self;
    fn ln_v(self) -> Self;
    fn ln_1p_v(self) -> Self;
    fn tanh_v(self) -> Self;
    fn sigmoid_v(self) -> Self;
    fn erf_v(self) -> Self;
}

macro_rules! impl_simd_float {
    ($t:ty, $exp:ident, $exp_nonpos:ident, $ln:ident, $ln_1p:ident, $tanh:ident, $sigmoid:ident, $erf:ident) => {
        impl SimdFloat for $t {
            #[inline(always)]
            fn exp_v(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn exp_nonpos_v(self) -> Self {
                $exp_nonpos(self)
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
impl_simd_float!(f32, exp_f32, exp_nonpos_f32, ln_f32, ln_1p_f32, tanh_f32, sigmoid_f32, erf_f32);
impl_simd_float!(f64, exp_f64, exp_nonpos_f64, ln_f64, ln_1p_f64, tanh_f64, sigmoid_f64, erf_f64);

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

/// e^r on |r| <= ln2/2 as one degree-5 polynomial, highest coefficient first, for softmax's
/// [`exp_nonpos_f32`]: a relative minimax fit (Lawson iterations) with p(0) = 1 exactly, relative
/// error 9.2e-8 in exact arithmetic and 1.5e-7 evaluated in f32 by Horner (5 FMAs instead of the
/// 7 operations of [`EXP_POLY_F32`]'s form). exp_nonpos stays within `ULP_EXP_NONPOS_F32` (2 ulp)
/// of std's exp on a dense sweep of [-86, 0] (every 1021st negative f32 plus a fine grid).
const EXP_NONPOS_POLY_F32: [f32; 6] = [8.290_272e-3, 4.189_816e-2, 1.666_763_9e-1, 4.999_914_8e-1, 9.999_997e-1, 1.0];

/// e^x for x <= 0, flushing results below e^-86 (4e-38) to 0: with 2^n a normal number,
/// it can be added straight into p's exponent bits (one integer add instead of two multiplies).
/// Softmax's exp: its degree-5 polynomial (`EXP_NONPOS_POLY_F32`) is within 2 ulp of std's
/// exp, not 1 like [`exp_f32`]; softmax is checked with tolerances, not bits.
#[inline(always)]
pub fn exp_nonpos_f32(x: f32) -> f32 {
    const FLUSH: f32 = -86.0;
    let xc = if x < FLUSH { FLUSH } else { x };
    let (n, r) = reduce_ln2_f32(xc);
    let p = horner!(r, EXP_NONPOS_POLY_F32);
    let y = f32::from_bits(p.to_bits().wrapping_add((n as u32) << 23));
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

/// erf(√t)/√t on t ∈ [0, 1] (Chebyshev fit, max abs error 1.2e-9). The last coefficient is
/// close to 2/√π (the slope of erf at 0) but is the fit's value, not that constant.
#[allow(clippy::approx_constant)]
const ERF_SMALL_F32: [f32; 7] =
    [7.875_875e-5, -8.016_864e-4, 5.189_087_4e-3, -2.685_421_2e-2, 1.128_359_5e-1, -3.761_262_7e-1, 1.128_379_2];
/// erfc(x) e^{x²} as a polynomial in `1/x - 0.625` for x ∈ [1, 4] (max abs error 6.5e-10).
const ERFC_F32: [f32; 11] = [
    -3.289_221e-2,
    2.603_401_5e-2,
    4.455_900_6e-3,
    -2.692_734_5e-2,
    4.324_240_7e-2,
    -4.694_229_6e-2,
    2.332_945_3e-2,
    4.376_691e-2,
    -1.723_947_5e-1,
    3.822_837_7e-1,
    3.059_53e-1,
];

/// The error function. Both branches (|x| < 1: odd polynomial; |x| >= 1: 1 - e^{-x²} h(1/x))
/// are computed and one is selected, so the loop stays branch-free.
#[inline(always)]
pub fn erf_f32(x: f32) -> f32 {
    let a = x.abs();
    let small = a * horner!(a * a, ERF_SMALL_F32);
    // erf rounds to 1 beyond 3.92; clamp the large branch to [1, 4].
    let b = if a < 1.0 { 1.0 } else { a };
    let b = if b > 4.0 { 4.0 } else { b };
    let h = horner!(1.0 / b - 0.625, ERFC_F32);
    let large = (-exp_f32(-(b * b))).mul_add(h, 1.0);
    let y = if a < 1.0 { small } else { large };
    y.copysign(x)
}

/// Hand-written AVX-512 twins of [`exp_f32`], [`exp_nonpos_f32`] and [`sigmoid_f32`], 16 lanes
/// at a time, with the same reduction and polynomial (so the same bits). The generic versions build 2^n with
/// integer shifts and two multiplies (n split in halves, so subnormal and overflowing results
/// round once); here `vscalefps` does `p * 2^n` in one instruction with that same single rounding,
/// which the compiler cannot emit from portable code. 14 vector ops per 16 elements instead of 22:
/// exp 0.24 → 0.18 ns/element on an L1-resident 4K array (Zen 4), sigmoid 0.33 → 0.26. tanh is
/// not here: its generic version needs only one power of two in the normal range (n <= 29),
/// which is already cheap (a hand-written copy measured the same 0.26 ns/element).
/// Since then exp's polynomial is one Horner chain (`EXP_HORNER_F32`, 6 FMAs instead of 7 ops):
/// exp 0.175 → 0.168, sigmoid 0.254 → 0.245 ns/element; exp_nonpos has softmax's degree-5
/// one (5 FMAs). Tried and dropped: sigmoid's division as `vrcp14ps` + a Newton step (0.29
/// ns/element, +Markstein correction 0.32: the divider is not the bottleneck, op count is),
/// and Estrin's scheme for exp_nonpos (one more op, slower).
#[cfg(target_arch = "x86_64")]
pub mod avx512 {
    use super::{EXP_HORNER_F32, EXP_NONPOS_POLY_F32, LN2_HI_F32, LN2_LO_F32, ROUND_F32};
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

    /// [`super::exp_nonpos_f32`] on 16 lanes (its degree-5 polynomial, 5 FMAs).
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn exp_nonpos_ps(x: __m512) -> __m512 {
        let flush = _mm512_set1_ps(-86.0);
        // No clamp: lanes below -86 (-inf included) may compute garbage, but they are then
        // zeroed (the comparison is false for NaN, which stays NaN).
        let round = _mm512_set1_ps(ROUND_F32);
        let t = _mm512_fmadd_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E), round);
        let n = _mm512_sub_ps(t, round);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI_F32), x);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO_F32), r);
        let mut p = _mm512_set1_ps(EXP_NONPOS_POLY_F32[0]);
        for &c in &EXP_NONPOS_POLY_F32[1..] {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
        }
        _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_NLT_UQ>(x, flush), _mm512_scalef_ps(p, n))
    }

    /// Softmax's pass 2 on f32: Σ e^(x - max) over `xs`, storing each term in `out` when
    /// given. The same sums, in the same order, as the generic `block_exp_sum` in
    /// `softmax::fast` (64 lane accumulators folded as a tree, then the tail added in order).
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub fn exp_sum(xs: &[f32], max: f32, mut out: Option<&mut [f32]>) -> f32 {
        let m = _mm512_set1_ps(max);
        let mut acc = [_mm512_setzero_ps(); 4];
        let full = xs.len() / 64 * 64;
        for (k, c) in xs[..full].chunks_exact(64).enumerate() {
            for (j, a) in acc.iter_mut().enumerate() {
                // SAFETY: `c` holds 64 floats; `out` (when given) is as long as `xs`.
                unsafe {
                    let e = exp_nonpos_ps(_mm512_sub_ps(_mm512_loadu_ps(c.as_ptr().add(16 * j)), m));
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
            let e = super::exp_nonpos_f32(v - max);
            if let Some(o) = out.as_deref_mut() {
                o[i] = e;
            }
            tail_sum += e;
        }
        lanes[0] + tail_sum
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

/// e^x for x <= 0, flushing results below e^-700 (1e-304) to 0; see [`exp_nonpos_f32`].
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
    fn nans_with_payload_bits_stay_nan_in_exp_nonpos() {
        // Quiet NaNs with low payload bits set: the rounding trick once folded them into the
        // exponent and returned a number.
        for payload in [1u32, 0x1ff, 0x3f_ffff] {
            let x = f32::from_bits(0x7fc0_0000 | payload);
            assert!(exp_nonpos_f32(x).is_nan(), "payload {payload:#x}");
            assert!(exp_nonpos_f32(-x).is_nan(), "negative payload {payload:#x}");
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

    /// Max ulp of f32 exp_nonpos (softmax's degree-5 polynomial) from std's exp (the sweep
    /// measures 2; the polynomial alone is 1.5e-7 relative).
    const ULP_EXP_NONPOS_F32: u64 = 2;

    /// exp_nonpos agrees with exp where it does not flush.
    #[test]
    fn exp_nonpos_matches_exp_above_the_flush_point() {
        let mut worst = 0;
        // Every 1021st negative f32 from -0 down to -86 (~1.1M values, every exponent), then a
        // fine uniform grid.
        let dense = (0x8000_0000u32..=(-86f32).to_bits()).step_by(1021).map(f32::from_bits);
        for x in dense.chain((0..200_000).map(|i| -(i as f32) * 4.3e-4)) {
            let d = ulp_diff_f32(exp_nonpos_f32(x), x.exp());
            assert!(d <= ULP_EXP_NONPOS_F32, "exp_nonpos({x:e}): {d} ulp");
            worst = worst.max(d);
        }
        assert!(worst >= 1, "the sweep reached the polynomial's error");
        for i in 0..200_000 {
            let x = -(i as f64) * 3.5e-3; // 0 down to -700
            assert!(ulp_diff_f64(exp_nonpos_f64(x), exp_f64(x)) <= ULP_EXP_LN, "{x}");
        }
        assert_eq!(exp_nonpos_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_nonpos_f32(-90.0), 0.0);
        assert!(exp_nonpos_f32(f32::NAN).is_nan());
        assert!(exp_nonpos_f64(f64::NAN).is_nan());
        assert_eq!(exp_nonpos_f64(0.0), 1.0);
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

    /// The AVX-512 twins (exp, exp_nonpos, sigmoid) give the generic functions' exact bits on the dense sweep (every
    /// 4099th bit pattern), the special values and the fine grid.
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
        let twins: [Twin; 1] = [(avx512::sigmoid_slice, sigmoid_f32, "sigmoid")];
        for (vector, scalar, name) in twins {
            // SAFETY: AVX-512F checked above.
            unsafe { vector(&xs, &mut out) };
            for (&x, &got) in xs.iter().zip(&out) {
                let want = scalar(x);
                assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "{name}({x:e})");
            }
        }
        // exp_nonpos through softmax's pass 2: each stored term, on x - max <= 0 (and NaN).
        let max = 2.5f32;
        let ys: Vec<f32> = xs.iter().map(|&x| if x.is_nan() { x } else { max - x.abs() }).collect();
        // SAFETY: as above.
        let sum = unsafe { avx512::exp_sum(&ys, max, Some(&mut out)) };
        assert!(sum.is_nan()); // the NaN inputs poison the sum
        for (&y, &got) in ys.iter().zip(&out) {
            // (NaN inputs are checked by value only: the generic version adds n into the bits
            // of a NaN p, which can turn some NaN payloads into numbers; this one keeps NaN.)
            let want = if y.is_nan() { f32::NAN } else { exp_nonpos_f32(y - max) };
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "exp_nonpos({y:e} - max) = {got:e}"
            );
        }
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
