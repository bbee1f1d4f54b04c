//! The dense products of one (query tile, key tile) pair, written for registers: at attention's
//! sizes (a 32 × 32 tile, head dimension 32) the packed GEMM's per-call packing and edge tiles
//! cost as much as the product itself.
//!
//! The two products ([`abt`], [`ab_acc`]) have an AVX-512 f32 path with intrinsics (4 rows ×
//! 32 columns of accumulators in 8 registers): LLVM did not vectorize the plain-loop version
//! across the accumulator array (it kept 32 scalar registers), which made it slower than the
//! packed GEMM. f64 and the other instruction sets take the plain loops.

use crate::dtype::{downcast_slice, downcast_slice_mut};
use crate::ops::simd::{level, Level, SimdFloat};

/// Keys per tile: the width of a transposed panel and of a score row.
pub const BK: usize = 32;
/// Output columns per pass of [`ab_acc`].
pub const W: usize = 32;

/// Copies `rows` rows of `cols` values (row `r` at `src[base + r·stride ..]`) transposed into
/// `dst` `[cols][BK]`, zero past `rows`: the right operand of [`abt`].
#[inline(always)]
pub fn pack_transposed<F: SimdFloat>(src: &[F], base: usize, stride: usize, rows: usize, cols: usize, dst: &mut [F]) {
    debug_assert!(rows <= BK && dst.len() >= cols * BK);
    for r in 0..rows {
        let row = &src[base + r * stride..base + r * stride + cols];
        for (c, &x) in row.iter().enumerate() {
            dst[c * BK + r] = x;
        }
    }
    if rows < BK {
        for c in 0..cols {
            dst[c * BK + rows..(c + 1) * BK].iter_mut().for_each(|x| *x = F::ZERO);
        }
    }
}

/// Copies `rows` rows of `cols` values (row `r` at `src[base + r·stride ..]`) into `dst`
/// `[rows][width]` with `width` = `cols` rounded up to [`W`], zero-padded: the right operand of
/// [`ab_acc`]. Returns `width`.
#[inline(always)]
pub fn pack_padded<F: SimdFloat>(
    src: &[F],
    base: usize,
    stride: usize,
    rows: usize,
    cols: usize,
    dst: &mut [F],
) -> usize {
    let width = cols.div_ceil(W).max(1) * W;
    for r in 0..rows {
        let out = &mut dst[r * width..(r + 1) * width];
        out[..cols].copy_from_slice(&src[base + r * stride..base + r * stride + cols]);
        out[cols..].iter_mut().for_each(|x| *x = F::ZERO);
    }
    width
}

/// `out[r][0..BK] = Σ_p a[r][p] · bt[p][0..BK]` for `r < rows`, with row `r` of `a` at
/// `a[a_base + r·a_stride ..][..k]`, `bt` `[k][BK]` from [`pack_transposed`] and `out` `[rows][BK]`.
#[inline(always)]
pub fn abt<F: SimdFloat>(a: &[F], a_base: usize, a_stride: usize, rows: usize, k: usize, bt: &[F], out: &mut [F]) {
    if rows == 0 {
        return;
    }
    assert!(a.len() >= a_base + (rows - 1) * a_stride + k && bt.len() >= k * BK && out.len() >= rows * BK);
    #[cfg(target_arch = "x86_64")]
    if let (Level::Avx512, Some(a32), Some(b32), Some(o32)) =
        (level(), downcast_slice::<F, f32>(a), downcast_slice::<F, f32>(bt), downcast_slice_mut::<F, f32>(out))
    {
        // SAFETY: AVX-512F is present (`level`), and the assert above bounds every read and write.
        unsafe { x86::abt(a32.as_ptr().add(a_base), a_stride, 1, rows, k, b32.as_ptr(), o32.as_mut_ptr(), BK, 0, BK) };
        return;
    }
    for r in 0..rows {
        let a0 = &a[a_base + r * a_stride..a_base + r * a_stride + k];
        let acc: &mut [F; BK] = (&mut out[r * BK..(r + 1) * BK]).try_into().expect("a BK-wide row");
        *acc = [F::ZERO; BK];
        for (p, &x) in a0.iter().enumerate() {
            let b: &[F; BK] = bt[p * BK..(p + 1) * BK].try_into().expect("a BK-wide panel row");
            for (o, &y) in acc.iter_mut().zip(b) {
                *o = x.mul_add_v(y, *o);
            }
        }
    }
}

/// `out[r][0..cols] += Σ_p a[r][p] · b[p][0..cols]` for `r < rows`, with `a[r][p]` at
/// `a[r·a_stride + p·a_pstride]` (so a transposed tile is read in place), `b` `[k][width]` from [`pack_padded`] (`cols <= width`), and row
/// `r` of `out` at `out[r·out_stride ..]`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn ab_acc<F: SimdFloat>(
    a: &[F],
    a_stride: usize,
    a_pstride: usize,
    rows: usize,
    k: usize,
    b: &[F],
    width: usize,
    cols: usize,
    out: &mut [F],
    out_stride: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        cols <= width
            && width.is_multiple_of(W)
            && (k == 0 || a.len() > (rows - 1) * a_stride + (k - 1) * a_pstride)
            && b.len() >= k * width
            && out.len() >= (rows - 1) * out_stride + cols
    );
    #[cfg(target_arch = "x86_64")]
    if let (Level::Avx512, Some(a32), Some(b32), Some(o32)) =
        (level(), downcast_slice::<F, f32>(a), downcast_slice::<F, f32>(b), downcast_slice_mut::<F, f32>(out))
    {
        for d0 in (0..cols).step_by(W) {
            let w = W.min(cols - d0);
            // SAFETY: AVX-512F is present (`level`); the assert above bounds the reads of a and
            // b (d0 + W <= width) and the writes of out (d0 + w <= cols).
            unsafe {
                x86::abt(
                    a32.as_ptr(),
                    a_stride,
                    a_pstride,
                    rows,
                    k,
                    b32.as_ptr().add(d0),
                    o32.as_mut_ptr().add(d0),
                    width,
                    w,
                    out_stride,
                )
            };
        }
        return;
    }
    for d0 in (0..cols).step_by(W) {
        let w = W.min(cols - d0);
        for r in 0..rows {
            let mut acc = [F::ZERO; W];
            for p in 0..k {
                let x = a[r * a_stride + p * a_pstride];
                let bp: &[F; W] = b[p * width + d0..p * width + d0 + W].try_into().expect("a W-wide slice");
                for (o, &y) in acc.iter_mut().zip(bp) {
                    *o = x.mul_add_v(y, *o);
                }
            }
            let o = &mut out[r * out_stride + d0..r * out_stride + d0 + w];
            for (o, &x) in o.iter_mut().zip(&acc) {
                *o += x;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// `out[r][0..32] (=|+=) Σ_p a[r·a_stride + p·a_pstride] · b[p·ldb .. p·ldb + 32]` for `r < rows`:
    /// overwritten when `acc_cols` is 0, else the first `acc_cols` columns accumulated.
    ///
    /// # Safety
    /// AVX-512F must be available; every element read (`a` rows of `k`, `b` rows of 32 at
    /// stride `ldb`) and written (`out` rows at stride `out_stride`, 32 columns, or `acc_cols`
    /// when accumulating) must be in bounds.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn abt(
        a: *const f32,
        a_stride: usize,
        a_pstride: usize,
        rows: usize,
        k: usize,
        b: *const f32,
        out: *mut f32,
        ldb: usize,
        acc_cols: usize,
        out_stride: usize,
    ) {
        // SAFETY: `o` is a row start inside `out`; the caller guarantees its 32 (or `acc_cols`)
        // elements are writable.
        let store = |o: *mut f32, lo: __m512, hi: __m512| unsafe {
            if acc_cols == 0 {
                _mm512_storeu_ps(o, lo);
                _mm512_storeu_ps(o.add(16), hi);
            } else {
                let mut t = [0f32; 32];
                _mm512_storeu_ps(t.as_mut_ptr(), lo);
                _mm512_storeu_ps(t.as_mut_ptr().add(16), hi);
                for (c, &v) in t.iter().enumerate().take(acc_cols) {
                    *o.add(c) += v;
                }
            }
        };
        let mut r = 0;
        while r + 4 <= rows {
            let mut acc = [_mm512_setzero_ps(); 8];
            for p in 0..k {
                // SAFETY: row p of b (32 values) and rows r..r+4 of a (k values) are in bounds.
                unsafe {
                    let b0 = _mm512_loadu_ps(b.add(p * ldb));
                    let b1 = _mm512_loadu_ps(b.add(p * ldb + 16));
                    for i in 0..4 {
                        let x = _mm512_set1_ps(*a.add((r + i) * a_stride + p * a_pstride));
                        acc[2 * i] = _mm512_fmadd_ps(x, b0, acc[2 * i]);
                        acc[2 * i + 1] = _mm512_fmadd_ps(x, b1, acc[2 * i + 1]);
                    }
                }
            }
            for i in 0..4 {
                // SAFETY: row r + i < rows of out.
                store(unsafe { out.add((r + i) * out_stride) }, acc[2 * i], acc[2 * i + 1]);
            }
            r += 4;
        }
        while r < rows {
            let (mut lo, mut hi) = (_mm512_setzero_ps(), _mm512_setzero_ps());
            for p in 0..k {
                // SAFETY: row p of b and row r of a are in bounds.
                unsafe {
                    let x = _mm512_set1_ps(*a.add(r * a_stride + p * a_pstride));
                    lo = _mm512_fmadd_ps(x, _mm512_loadu_ps(b.add(p * ldb)), lo);
                    hi = _mm512_fmadd_ps(x, _mm512_loadu_ps(b.add(p * ldb + 16)), hi);
                }
            }
            // SAFETY: row r < rows of out.
            store(unsafe { out.add(r * out_stride) }, lo, hi);
            r += 1;
        }
    }
}
