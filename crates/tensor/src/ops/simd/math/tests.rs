//! Accuracy sweeps against std/libm, special values, and bit-identity of the AVX-512 twins.

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
    // Below e^-708 the results are subnormal: kept, within one subnormal step of libm's (above
    // it they are still normal numbers, within the usual ulps).
    for i in 0..20_000 {
        let x = -700.0 - (i as f64) * 2.5e-3; // -700 down to -750
        let (got, want) = (exp_nonpos_f64(x), x.exp());
        let close = (got - want).abs() <= f64::from_bits(1) || ulp_diff_f64(got, want) <= ULP_EXP_LN;
        assert!(close, "{x}: {got:e} vs {want:e}");
    }
    assert_eq!(exp_nonpos_f64(-720.0), (-720.0f64).exp());
    assert_eq!(exp_nonpos_f64(f64::NEG_INFINITY), 0.0);
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
