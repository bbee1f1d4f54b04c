//! Packing: copying strips of A and B into the panel layouts the microkernels read, and the
//! per-thread buffers they are packed into.

use crate::dtype::Numeric;

/// Largest `MR × NR` tile of any kernel (12×32 f32).
pub(super) const MAX_TILE: usize = 384;

/// Copies a `w × kc` strip into a packed panel: `dst[p*W + i] = src[base + i*s_w + p*s_k]`
/// for `i < w`, zeros for `w ≤ i < W` (so edge tiles compute on zeros and no kernel needs a
/// partial path).
///
/// For A the panel index is the row (`s_w` = row stride); for B it is the column. The two
/// common layouts get a loop that reads memory in order.
#[allow(clippy::too_many_arguments)]
pub(super) fn pack_panel<T: Numeric>(
    src: &[T],
    base: usize,
    s_w: usize,
    s_k: usize,
    w: usize,
    wide: usize,
    kc: usize,
    dst: &mut [T],
) {
    debug_assert!(w <= wide && dst.len() == wide * kc);
    if s_w == 1 {
        // Each packed group is a contiguous run of the source (B row-major, A col-major). The
        // usual widths (a kernel's full MR or NR) copy a fixed-size run, a few vector moves;
        // a length known only at run time became a call to memmove per group of 6 or 64
        // values (3% of an MLP training step).
        match (w == wide, w) {
            (true, 6) => copy_runs::<T, 6>(src, base, s_k, dst),
            (true, 8) => copy_runs::<T, 8>(src, base, s_k, dst),
            (true, 12) => copy_runs::<T, 12>(src, base, s_k, dst),
            (true, 16) => copy_runs::<T, 16>(src, base, s_k, dst),
            (true, 32) => copy_runs::<T, 32>(src, base, s_k, dst),
            (true, 64) => copy_runs::<T, 64>(src, base, s_k, dst),
            _ => {
                for (p, group) in dst.chunks_exact_mut(wide).enumerate() {
                    let start = base + p * s_k;
                    group[..w].copy_from_slice(&src[start..start + w]);
                    group[w..].fill(T::ZERO);
                }
            }
        }
    } else if s_k == 1 {
        // Each source line runs along k (A row-major, B col-major): a transpose. It goes in
        // slabs of `SLAB` steps of k, so the groups being written (SLAB × wide values, 4 KiB
        // for a 64-wide f32 panel) stay in L1 while every line contributes one cache line to
        // them. Line by line over the whole depth instead, the 64 KiB panel of a 256-deep
        // block was pushed out of L1 once per line: the transposed weight of a linear layer
        // packed at a third of the speed.
        const SLAB: usize = 16;
        #[cfg(target_arch = "x86_64")]
        if gather::transpose_f32(src, base, s_w, w, wide, kc, dst) {
            return;
        }
        for p0 in (0..kc).step_by(SLAB) {
            let steps = SLAB.min(kc - p0);
            let groups = &mut dst[p0 * wide..(p0 + steps) * wide];
            for i in 0..w {
                let start = base + i * s_w + p0;
                for (group, &v) in groups.chunks_exact_mut(wide).zip(&src[start..start + steps]) {
                    group[i] = v;
                }
            }
            if w < wide {
                groups.chunks_exact_mut(wide).for_each(|g| g[w..].fill(T::ZERO));
            }
        }
    } else {
        for (p, group) in dst.chunks_exact_mut(wide).enumerate() {
            for (i, g) in group[..w].iter_mut().enumerate() {
                *g = src[base + i * s_w + p * s_k];
            }
            group[w..].fill(T::ZERO);
        }
    }
}

/// `pack_panel`'s contiguous case for a full width `W`: group `p` is `src[base + p·s_k..][..W]`.
fn copy_runs<T: Numeric, const W: usize>(src: &[T], base: usize, s_k: usize, dst: &mut [T]) {
    for (p, group) in dst.chunks_exact_mut(W).enumerate() {
        let start = base + p * s_k;
        let run: &[T; W] = src[start..start + W].try_into().expect("a run of W values");
        let group: &mut [T; W] = group.try_into().expect("a group of W values");
        *group = *run;
    }
}

/// The transpose of `pack_panel` for f32 on AVX-512: each group of a panel is 16 lanes
/// gathered from 16 source lines (one instruction where the scalar loop does 16 loads and 16
/// stores), in slabs of 16 steps so the 16 lines stay in L1. Half the time of the scalar slab
/// loop on a linear layer's transposed weight.
#[cfg(target_arch = "x86_64")]
mod gather {
    use crate::dtype::{downcast_slice, downcast_slice_mut, Numeric};
    use crate::ops::simd::{level, Level};
    use std::arch::x86_64::*;

    const LANES: usize = 16;

    /// Packs like the `s_k == 1` branch of `pack_panel` and returns true, or returns false
    /// (touching nothing) when `T` is not f32, the CPU lacks AVX-512, or the panel shape does
    /// not suit (widths that are not a multiple of 16, offsets beyond a 32-bit index).
    pub(super) fn transpose_f32<T: Numeric>(
        src: &[T],
        base: usize,
        s_w: usize,
        w: usize,
        wide: usize,
        kc: usize,
        dst: &mut [T],
    ) -> bool {
        let (Some(src), Some(dst)) = (downcast_slice::<T, f32>(src), downcast_slice_mut::<T, f32>(dst)) else {
            return false;
        };
        let fits_index = (LANES - 1).checked_mul(s_w).is_some_and(|x| x <= i32::MAX as usize / 4);
        if level() != Level::Avx512 || !wide.is_multiple_of(LANES) || !fits_index || kc == 0 || w == 0 {
            return false;
        }
        // The last element any gather reads must exist: line w−1 at step kc−1.
        if base + (w - 1) * s_w + kc > src.len() {
            return false;
        }
        // SAFETY: AVX-512F is present (level() checked it); the bounds are checked above and
        // inside `transpose`.
        unsafe { transpose(src, base, s_w, w, wide, kc, dst) };
        true
    }

    /// # Safety
    /// The CPU must support AVX-512F, `base + (w − 1)·s_w + kc ≤ src.len()`, and
    /// `15·s_w·4` must fit an i32.
    #[target_feature(enable = "avx512f")]
    unsafe fn transpose(src: &[f32], base: usize, s_w: usize, w: usize, wide: usize, kc: usize, dst: &mut [f32]) {
        assert!(dst.len() >= wide * kc);
        let step = s_w as i32;
        let lanes = _mm512_set_epi32(
            15 * step,
            14 * step,
            13 * step,
            12 * step,
            11 * step,
            10 * step,
            9 * step,
            8 * step,
            7 * step,
            6 * step,
            5 * step,
            4 * step,
            3 * step,
            2 * step,
            step,
            0,
        );
        let swaps = Swaps::new();
        for i0 in (0..wide).step_by(LANES) {
            let live = w.saturating_sub(i0).min(LANES);
            let mask: __mmask16 = if live == LANES { 0xffff } else { ((1u32 << live) - 1) as __mmask16 };
            // Whole 16 × 16 squares by register transposes, the rest by gathers.
            let squares = if live == LANES { kc / LANES * LANES } else { 0 };
            for p0 in (0..squares).step_by(LANES) {
                // SAFETY: line i0 + l < w at steps p0..p0 + 16 ≤ kc is inside the bound the
                // caller checked.
                let rows: [__m512; LANES] =
                    std::array::from_fn(|l| unsafe { _mm512_loadu_ps(src[base + (i0 + l) * s_w + p0..].as_ptr()) });
                let cols = swaps.transpose(rows);
                for (j, col) in cols.iter().enumerate() {
                    let out = &mut dst[(p0 + j) * wide + i0..(p0 + j) * wide + i0 + LANES];
                    // SAFETY: `out` is 16 floats of `dst`.
                    unsafe { _mm512_storeu_ps(out.as_mut_ptr(), *col) };
                }
            }
            for p in squares..kc {
                let out = dst[p * wide + i0..p * wide + i0 + LANES].as_mut_ptr();
                if live == 0 {
                    // SAFETY: `out` points at 16 floats of `dst` (the slice above).
                    unsafe { _mm512_storeu_ps(out, _mm512_setzero_ps()) };
                    continue;
                }
                let from = src[base + i0 * s_w + p..].as_ptr();
                // SAFETY: lane j < live reads src[base + (i0 + j)·s_w + p], within the bound the
                // caller checked; masked-off lanes read nothing and give 0.0.
                unsafe {
                    let v = _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), mask, lanes, from);
                    _mm512_storeu_ps(out, v);
                }
            }
        }
    }

    /// The index vectors of a 16 × 16 transpose in registers: four rounds, each swapping the
    /// off-diagonal blocks of size s = 8, 4, 2, 1 between rows i and i + s, two-source permutes
    /// (`vpermt2ps`) that take a quarter cycle per element where a gather took about three
    /// quarters (the MLP's transposed weight at batch 32: a quarter of the forward pass).
    struct Swaps {
        /// For each round: (row i's new lanes, row i + s's new lanes).
        rounds: [(__m512i, __m512i); 4],
    }

    impl Swaps {
        #[target_feature(enable = "avx512f")]
        fn new() -> Self {
            let round = |s: usize| {
                // Lane j of row i keeps a[j] where bit s of j is clear and takes b[j − s]
                // where it is set; row i + s takes a[j + s] and keeps b[j]. (16 + x selects
                // lane x of the second operand.)
                let low: [i32; LANES] =
                    std::array::from_fn(|j| if j & s == 0 { j as i32 } else { (16 + j - s) as i32 });
                let high: [i32; LANES] =
                    std::array::from_fn(|j| if j & s == 0 { (j + s) as i32 } else { (16 + j) as i32 });
                // SAFETY: 16 i32 values are one 512-bit vector.
                unsafe { (_mm512_loadu_si512(low.as_ptr().cast()), _mm512_loadu_si512(high.as_ptr().cast())) }
            };
            Swaps { rounds: [round(8), round(4), round(2), round(1)] }
        }

        /// Row j of the result is lane j of every input row.
        #[target_feature(enable = "avx512f")]
        fn transpose(&self, mut rows: [__m512; LANES]) -> [__m512; LANES] {
            swap_round::<8>(&mut rows, self.rounds[0]);
            swap_round::<4>(&mut rows, self.rounds[1]);
            swap_round::<2>(&mut rows, self.rounds[2]);
            swap_round::<1>(&mut rows, self.rounds[3]);
            rows
        }
    }

    /// One round of [`Swaps::transpose`]; `S` a constant so the loop unrolls and the rows stay
    /// in registers (with `S` a variable they went through the stack, slower than gathers).
    #[inline(always)]
    fn swap_round<const S: usize>(rows: &mut [__m512; LANES], (low, high): (__m512i, __m512i)) {
        for i in 0..LANES {
            if i & S == 0 {
                let (a, b) = (rows[i], rows[i + S]);
                // SAFETY: AVX-512F is enabled in every caller (`transpose`).
                unsafe {
                    rows[i] = _mm512_permutex2var_ps(a, low, b);
                    rows[i + S] = _mm512_permutex2var_ps(a, high, b);
                }
            }
        }
    }
}

/// Element types with per-thread packing buffers, reused across calls so a small matmul does
/// not pay for allocating and zeroing a megabyte.
pub(crate) trait PackBuffers: Numeric {
    fn with_buffers<R>(len_a: usize, len_b: usize, f: impl FnOnce(&mut [Self], &mut [Self]) -> R) -> R;
}

macro_rules! pack_buffers {
    ($t:ty, $key:ident) => {
        std::thread_local! {
            static $key: std::cell::RefCell<Vec<$t>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        impl PackBuffers for $t {
            fn with_buffers<R>(len_a: usize, len_b: usize, f: impl FnOnce(&mut [Self], &mut [Self]) -> R) -> R {
                $key.with(|cell| match cell.try_borrow_mut() {
                    Ok(mut buf) => split_aligned(&mut buf, len_a, len_b, f),
                    // Re-entered on this thread (a rayon job stolen while we wait): use a fresh one.
                    Err(_) => split_aligned(&mut Vec::new(), len_a, len_b, f),
                })
            }
        }
    };
}
pack_buffers!(f32, PACK_F32);
pack_buffers!(f64, PACK_F64);

/// Grows `buf` as needed and hands out two disjoint 64-byte-aligned slices (a cache line, so
/// no vector load of a packed panel straddles two lines).
fn split_aligned<T: Numeric, R>(
    buf: &mut Vec<T>,
    len_a: usize,
    len_b: usize,
    f: impl FnOnce(&mut [T], &mut [T]) -> R,
) -> R {
    let pad = 64 / std::mem::size_of::<T>();
    let len_a_padded = len_a.div_ceil(pad) * pad;
    let need = len_a_padded + len_b + pad;
    if buf.len() < need {
        buf.clear();
        buf.resize(need, T::ZERO);
    }
    let start = buf.as_ptr().align_offset(64).min(pad);
    let (ap, bp) = buf[start..start + len_a_padded + len_b].split_at_mut(len_a_padded);
    f(&mut ap[..len_a], bp)
}
