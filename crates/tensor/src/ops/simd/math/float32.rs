//! The f32 functions: exp, softmax's `exp_rel`, ln, ln_1p, tanh, sigmoid and erf, each
//! branch-free so that a loop over a slice vectorizes (see the parent module for the recipe).
//! The constants that the AVX-512 twins share are `pub(super)`.

/// `1.5 * 2^23`: adding it to a float below 2^22 in magnitude rounds it to an integer that
/// then sits in the low mantissa bits (round to nearest even, no conversion instruction).
pub(super) const ROUND_F32: f32 = 12_582_912.0;
/// ln 2 split so that `n * LN2_HI_F32` is exact for |n| < 2^15 (the high part has 9 bits).
pub(super) const LN2_HI_F32: f32 = 0.693_359_4;
pub(super) const LN2_LO_F32: f32 = -2.121_944_4e-4;
/// (e^r - 1 - r) / r² on |r| <= ln2/2: a Chebyshev fit (mpmath `chebyfit`) close to the
/// Taylor coefficients 1/6!, 1/5!, 1/4!, 1/3!, 1/2!, with relative error 1.1e-8 on e^r.
const EXP_POLY_F32: [f32; 5] = [1.392_621_3e-3, 8.363_203e-3, 4.166_655_4e-2, 1.666_657_7e-1, 0.5];

/// e^r on |r| <= ln2/2 as one degree-6 polynomial, highest coefficient first (Horner: 6 FMAs
/// instead of the 7 operations of `1 + (r + r² EXP_POLY_F32(r))`): a relative minimax fit
/// (Lawson iterations) with p(0) = 1, relative error 2.0e-9 in exact arithmetic, 7.2e-8 evaluated
/// in f32. exp stays within 1 ulp of std's.
pub(super) const EXP_HORNER_F32: [f32; 7] =
    [1.384_360_7e-3, 8.374_196e-3, 4.166_800_5e-2, 1.666_643e-1, 4.999_999_4e-1, 1.0, 1.0];

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
pub(super) const EXP2_TABLE_F32: [f32; 32] = [
    1.0, 1.021_897_2, 1.044_273_7, 1.067_140_5, 1.090_507_7, 1.114_386_8, 1.138_788_6, 1.163_724_9,
    1.189_207_1, 1.215_247_4, 1.241_857_8, 1.269_051, 1.296_839_6, 1.325_236_7, 1.354_255_6, 1.383_91,
    std::f32::consts::SQRT_2, 1.445_180_8, 1.476_826_2, 1.509_164_5, 1.542_210_8, 1.575_980_9, 1.610_490_3, 1.645_755_5,
    1.681_792_9, 1.718_619_3, 1.756_252_2, 1.794_709_1, 1.834_008_1, 1.874_167_7, 1.915_206_6, 1.957_144_1,
];
/// (2^r - 1)/r on `0 <= r < 1/32` as `c1 + c2 r` (highest coefficient first): a relative
/// minimax fit of 2^r (Lawson iterations) with p(0) = 1, relative error 6.5e-8 in exact
/// arithmetic.
pub(super) const EXP2_FRAC_POLY_F32: [f32; 2] = [0.242_652_68, 0.693_123_76];
/// `1.5 * 2^18`: adding it to a float below 2^17 in magnitude, rounding down, leaves
/// `floor(32 z)` in the low mantissa bits (the grid of the sum is 1/32).
pub(super) const ROUND32_F32: f32 = 393_216.0;

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
/// [`SimdFloat::exp_rel_v`](super::SimdFloat::exp_rel_v)): the subtraction of the max is folded into the multiply by
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
pub(super) const ERF_PIECES_F32: [[f32; 6]; 32] = [
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
pub(super) const ERF_CLAMP_F32: f32 = 31.49;

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
