//! Hand-written AVX-512 twins of [`exp_f32`](super::exp_f32), [`exp_rel_f32`](super::exp_rel_f32),
//! [`sigmoid_f32`](super::sigmoid_f32) and [`erf_f32`](super::erf_f32), 16 lanes at a time.
//!
//! They exist for instructions the compiler will not emit from the portable code: `vscalefps`
//! (p·2^n with the single rounding the generic code gets from two multiplies), `vreduceps`
//! (AVX-512DQ: the fraction of z in one step) and `vpermt2ps` (a per-lane lookup into a
//! 32-entry table held in two registers). Each twin uses the generic function's reduction and
//! polynomial, so it returns the same bits; the tests check that on a dense sweep. tanh has no
//! twin: its generic form needs only one power of two in the normal range and is as fast.
//!
//! The measurements behind each twin, and what was tried and dropped, are in the crate's
//! `NOTES.md` ("SIMD math").

use super::float32::{
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
