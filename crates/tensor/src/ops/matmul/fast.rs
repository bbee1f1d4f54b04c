//! Fast GEMM: `c = a · b`, BLIS-style (packed panels, cache blocking, a SIMD microkernel,
//! threads).
//!
//! Version catalogue: f32, AMD EPYC Zen 4 (2 cores, AVX-512 run as 2×256 bit), FMA peak
//! 118 GFLOP/s per core (register-only FMA loop). GFLOP/s at 1024³ (v1: 512³), one thread
//! unless noted, from `cargo run --release -- bench matmul` (`src/bench/matmul.rs`); criterion:
//! `cargo bench -p kindling-tensor --bench matmul -- <group>`. Each version is callable as
//! `versions::vN_*`.
//!
//! - v1 naive i-j-k (`versions::v1_naive`): a dot product per output walks B down a column,
//!   one cache line per multiply-add. 1.2 GFLOP/s (2.5 at 256³).
//! - v2 loop order i-p-j (`versions::v2_loop_order`): `c[i,:] += a[i,p]·b[p,:]` walks B and C
//!   along rows, so every cache line is used fully and the inner loop vectorizes (SSE2, the
//!   portable baseline). 23 GFLOP/s, flat from 128 to 1024.
//! - v3 cache blocking (`versions::v3_blocked`): a 64×1024 block of B stays in L2 while every row
//!   of A passes over it, each pass adding four rows of B to a C segment that stays in L1
//!   (a quarter of v2's C loads and stores). 27 GFLOP/s (30 at 256³-512³).
//! - v4 packing + SIMD microkernel (`versions::v4_packed_simd`): a 6×64 tile of C lives in 24
//!   AVX-512 registers (6×16 AVX2, 4×16 portable) while 4 vector loads of B and 6 broadcasts
//!   of A feed 24 FMAs per step; B is packed into 64-column panels when its block is reused by
//!   many rows, edge panels are zero-padded, and cache blocking is KC=256, NC=512 (a 512 KiB
//!   B block in L2). 110 GFLOP/s (93% of peak; 115 at 256³).
//! - v5 threads (`versions::v5_threaded`): C is cut into rectangles, two per rayon
//!   thread when there is work enough, handed out dynamically so a core slowed by other work
//!   takes fewer; one thread below 2^20 multiply-adds. 2 threads: 218 GFLOP/s (92% of the
//!   2-core peak; 225 at 512³).
//!
//! Against peers (`tools/peers`, median of 5 alternating rounds on an idle machine), v5 is at
//! 100-104% of the best of the `gemm` crate, `matrixmultiply` and NumPy/OpenBLAS at every size
//! from 128³ to 2048³ and the MLP shapes, on 1 and 2 threads.
//!
//! Chapter: "Matrix multiplication, from three loops to 90% of peak".

pub mod kernels;
pub mod versions;

use super::MatRef;
use crate::dtype::{downcast_slice, downcast_slice_mut, Element, Numeric};
use kernels::MicroKernel;
use rayon::prelude::*;

/// Below this many multiply-adds (`m·n·k`), one thread: rayon's fork/join costs a few
/// microseconds, which is what ~1M multiply-adds take on one core.
pub const THREAD_MIN_MACS: usize = 1 << 20;

/// Below this many multiply-adds the packed path costs more than it saves: the plain i-p-j
/// loop runs instead.
pub const PACKED_MIN_MACS: usize = 4096;

/// `c = a · b`, with `c` a row-major `a.rows × b.cols` buffer that is overwritten.
///
/// f32 and f64 take the packed SIMD path (threaded above [`THREAD_MIN_MACS`], using
/// `rayon::current_num_threads()`); integer types take the i-p-j loop.
pub fn gemm<T: Numeric>(a: MatRef<T>, b: MatRef<T>, c: &mut [T]) {
    check_shapes(&a, &b, c);
    if let (Some(a32), Some(b32), Some(c32)) =
        (view_as::<T, f32>(a), view_as::<T, f32>(b), downcast_slice_mut::<T, f32>(c))
    {
        versions::v5_threaded(a32, b32, c32);
    } else if let (Some(a64), Some(b64), Some(c64)) =
        (view_as::<T, f64>(a), view_as::<T, f64>(b), downcast_slice_mut::<T, f64>(c))
    {
        gemm_f64(a64, b64, c64);
    } else {
        versions::loop_order(a, b, c);
    }
}

fn gemm_f64(a: MatRef<f64>, b: MatRef<f64>, c: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if kernels::Avx512F64::available() {
            return gemm_threaded::<kernels::Avx512F64>(a, b, c, rayon::current_num_threads());
        }
        if kernels::Avx2F64::available() {
            return gemm_threaded::<kernels::Avx2F64>(a, b, c, rayon::current_num_threads());
        }
    }
    gemm_threaded::<kernels::Portable<f64, 4, 8>>(a, b, c, rayon::current_num_threads())
}

/// The same view with its element type proven to be `U`.
fn view_as<T: Element, U: Element>(m: MatRef<T>) -> Option<MatRef<U>> {
    Some(MatRef {
        data: downcast_slice::<T, U>(m.data)?,
        offset: m.offset,
        rows: m.rows,
        cols: m.cols,
        row_stride: m.row_stride,
        col_stride: m.col_stride,
    })
}

pub(crate) fn check_shapes<T>(a: &MatRef<T>, b: &MatRef<T>, c: &[T]) {
    assert_eq!(a.cols, b.rows, "gemm: inner dimensions {} and {} differ", a.cols, b.rows);
    assert!(c.len() >= a.rows * b.cols, "gemm: output holds {} elements, {}x{} needed", c.len(), a.rows, b.cols);
}

/// Panics unless every element of the view lies inside its slice: the packed path reads
/// operands through raw pointers and relies on this.
fn check_view<T>(what: &str, v: &MatRef<T>) {
    if v.rows == 0 || v.cols == 0 {
        return;
    }
    let last = (v.rows - 1)
        .checked_mul(v.row_stride)
        .and_then(|r| r.checked_add((v.cols - 1).checked_mul(v.col_stride)?)?.checked_add(v.offset));
    assert!(
        matches!(last, Some(i) if i < v.data.len()),
        "gemm: {what} view {}x{} (offset {}, strides {}, {}) reaches past its {} elements",
        v.rows,
        v.cols,
        v.offset,
        v.row_stride,
        v.col_stride,
        v.data.len()
    );
}

/// v5: splits C into rectangles (see [`thread_grid`]) and runs the packed kernel on each.
pub(crate) fn gemm_threaded<K: MicroKernel>(a: MatRef<K::T>, b: MatRef<K::T>, c: &mut [K::T], threads: usize)
where
    K::T: PackBuffers,
{
    gemm_threaded_above::<K>(a, b, c, threads, THREAD_MIN_MACS)
}

/// [`gemm_threaded`] with the threading threshold as a parameter (tests use 0).
fn gemm_threaded_above<K: MicroKernel>(
    a: MatRef<K::T>,
    b: MatRef<K::T>,
    c: &mut [K::T],
    threads: usize,
    min_macs: usize,
) where
    K::T: PackBuffers,
{
    check_shapes(&a, &b, c);
    let (m, n, k) = (a.rows, b.cols, a.cols);
    if m == 0 || n == 0 {
        return;
    }
    if m * n * k < PACKED_MIN_MACS {
        return versions::loop_order(a, b, c);
    }
    check_view("a", &a);
    check_view("b", &b);
    let threads = if m * n * k < min_macs { 1 } else { threads.max(1) };
    let (tm, tn) = thread_grid::<K>(m, n, k, threads, a.col_stride == 1, b.col_stride == 1);
    if tm * tn == 1 {
        return gemm_packed::<K>(a, b, c);
    }
    let c_ptr = SendPtr(c.as_mut_ptr());
    (0..tm * tn).into_par_iter().for_each(|t| {
        let (rows, cols) = (split_range(m, K::MR, tm, t / tn), split_range(n, K::NR, tn, t % tn));
        if rows.is_empty() || cols.is_empty() {
            return;
        }
        let a_part = MatRef { offset: a.offset + rows.start * a.row_stride, rows: rows.len(), ..a };
        let b_part = MatRef { offset: b.offset + cols.start * b.col_stride, cols: cols.len(), ..b };
        // SAFETY: `c` holds at least m·n elements and the views are in bounds (checked above),
        // so their sub-views are too. The `rows × cols` rectangles of the grid are disjoint,
        // so no two threads write the same element, and every write stays inside `c`, which
        // outlives this parallel loop.
        unsafe { drive::<K>(a_part, b_part, c_ptr.get().add(rows.start * n + cols.start), n) };
    });
}

/// v4: the packed kernel on the calling thread.
pub(crate) fn gemm_packed<K: MicroKernel>(a: MatRef<K::T>, b: MatRef<K::T>, c: &mut [K::T])
where
    K::T: PackBuffers,
{
    check_shapes(&a, &b, c);
    check_view("a", &a);
    check_view("b", &b);
    // SAFETY: `c` holds at least a.rows × b.cols elements at row stride b.cols; the views
    // are in bounds (checked above).
    unsafe { drive::<K>(a, b, c.as_mut_ptr(), b.cols) }
}

#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
impl<T> SendPtr<T> {
    /// A method, so closures capture the whole `SendPtr` rather than its `!Send` field.
    fn get(self) -> *mut T {
        self.0
    }
}
// SAFETY: only used to hand disjoint rectangles of one buffer to rayon threads (see above).
unsafe impl<T: Send> Send for SendPtr<T> {}
// SAFETY: as above; the pointer itself is only copied, never dereferenced through `&SendPtr`.
unsafe impl<T: Send> Sync for SendPtr<T> {}

/// Part `t` of `len` when split into `parts` ranges that start on multiples of `align`.
fn split_range(len: usize, align: usize, parts: usize, t: usize) -> std::ops::Range<usize> {
    let blocks = len.div_ceil(align);
    let start = (blocks * t / parts * align).min(len);
    let end = (blocks * (t + 1) / parts * align).min(len);
    start..end
}

/// Each thread gets up to this many rectangles: rayon hands them out as threads free up, so a
/// core slowed by other work on the machine takes fewer (a static one-per-thread split runs
/// at the pace of the slowest core).
const OVERSPLIT: usize = 2;
/// No rectangle smaller than this many multiply-adds (~5 µs on one core). Small on purpose:
/// a sleeping rayon worker takes microseconds to wake, and if the caller has already run
/// every rectangle by then the worker goes back to sleep, call after call (seen at 128³:
/// 110 instead of 190 GFLOP/s on 2 threads). Several short rectangles leave it work to find.
const MIN_PART_MACS: usize = 1 << 18;

/// How to cut C into `tm × tn` rectangles for `threads` threads.
///
/// For each candidate count (threads × 1..=OVERSPLIT) the best factorization is the one with
/// the least work per rectangle: padded tiles plus the panels it packs (A when it is not
/// row-major, B when it is packed: see `drive`). The most rectangles whose total work stays
/// within 5% of the one-per-thread split wins.
fn thread_grid<K: MicroKernel>(
    m: usize,
    n: usize,
    k: usize,
    threads: usize,
    a_row_major: bool,
    b_row_major: bool,
) -> (usize, usize) {
    // Packing one element costs about as much as this many tile multiply-adds.
    const PACK_COST: usize = 8;
    if threads <= 1 {
        return (1, 1);
    }
    let (mp, np) = (m.div_ceil(K::MR), n.div_ceil(K::NR));
    let best_for = |parts: usize| {
        let mut best: Option<(usize, usize, usize)> = None;
        for tm in (1..=parts).filter(|&tm| parts.is_multiple_of(tm)) {
            let tn = parts / tm;
            if tm > mp || tn > np {
                continue;
            }
            let (rows, cols) = (mp.div_ceil(tm) * K::MR, np.div_ceil(tn) * K::NR);
            let pack_a = if a_row_major { 0 } else { rows };
            let pack_b = if b_row_major && rows <= K::DIRECT_B_MAX_M { 0 } else { cols };
            let total = parts * (rows * cols + PACK_COST * (pack_a + pack_b));
            if best.is_none_or(|b| total < b.2) {
                best = Some((tm, tn, total));
            }
        }
        best
    };
    let Some(base) = best_for(threads) else {
        // Fewer tiles than threads in both directions: one rectangle per row of tiles.
        return (mp.min(threads), 1);
    };
    let max_parts = threads * OVERSPLIT.min((m * n * k / MIN_PART_MACS / threads).max(1));
    let mut choice = base;
    for parts in (2 * threads..=max_parts).step_by(threads) {
        if let Some(c) = best_for(parts) {
            if c.2 * 100 <= base.2 * 105 {
                choice = c;
            }
        }
    }
    (choice.0, choice.1)
}

/// The BLIS loop nest on one thread: `c[m×n, row stride ldc] = a · b`.
///
/// ```text
/// for ic in 0..m step MC                 A block  MC×KC   (L3)
///   for pc in 0..k step KC
///     pack A[ic.., pc..] into MR-row panels      (unless A is row-major)
///     for jc in 0..n step NC             B block  KC×NC   (L2)
///       pack B[pc.., jc..] into NR-column panels (unless row-major and m ≤ 512)
///       for ir in 0..mc step MR          A panel  MR×KC   (L1/L2)
///         for jr in 0..nc step NR        B panels stream from L2
///           microkernel: C[ir.., jr..] (+)= A panel · B panel
/// ```
///
/// The first KC step overwrites C, later ones accumulate. Edge panels (fewer than MR rows or
/// NR columns) are always packed with zero padding and their tile goes through a scratch tile.
///
/// # Safety
/// `c` must be valid for reads and writes of `a.rows` rows of `b.cols` elements at row stride
/// `ldc`, no other thread may access that region meanwhile, and both views must pass
/// `check_view`.
unsafe fn drive<K: MicroKernel>(a: MatRef<K::T>, b: MatRef<K::T>, c: *mut K::T, ldc: usize)
where
    K::T: PackBuffers,
{
    let (m, n, k) = (a.rows, b.cols, a.cols);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for i in 0..m {
            // SAFETY: row i of the region the caller vouched for.
            unsafe { std::slice::from_raw_parts_mut(c.add(i * ldc), n) }.fill(K::T::ZERO);
        }
        return;
    }
    let (mr, nr) = (K::MR, K::NR);
    let mc_max = K::MC.min(m.div_ceil(mr) * mr);
    let kc_max = K::KC.min(k);
    let nc_max = K::NC.min(n.div_ceil(nr) * nr);
    // A row-major A is read in place: its MR rows are MR streams along k, and packing them
    // (a transpose into MR-wide groups, ~1 cycle per element) cost more than it saved at
    // every size measured (128..2048). B is packed once its block is reused by many rows:
    // in place, a row stride of 4 KiB or more maps the KC rows of a block onto few L2 sets.
    let direct_a = a.col_stride == 1;
    let direct_b = b.col_stride == 1 && m <= K::DIRECT_B_MAX_M;
    K::T::with_buffers(mc_max * kc_max, kc_max * nc_max, |ap, bp| {
        // Edge tiles go through this scratch tile so the kernel can always write MR×NR.
        let mut edge = [K::T::ZERO; MAX_TILE];
        assert!(mr * nr <= MAX_TILE);
        for ic in (0..m).step_by(K::MC) {
            let mc = K::MC.min(m - ic);
            for pc in (0..k).step_by(K::KC) {
                let kc = K::KC.min(k - pc);
                let accumulate = pc > 0;
                for (panel, ir) in (0..mc).step_by(mr).enumerate() {
                    let rows = mr.min(mc - ir);
                    if !direct_a || rows < mr {
                        let base = a.offset + (ic + ir) * a.row_stride + pc * a.col_stride;
                        let dst = &mut ap[panel * mr * kc..(panel + 1) * mr * kc];
                        pack_panel(a.data, base, a.row_stride, a.col_stride, rows, mr, kc, dst);
                    }
                }
                for jc in (0..n).step_by(K::NC) {
                    let nc = K::NC.min(n - jc);
                    for (panel, jr) in (0..nc).step_by(nr).enumerate() {
                        let cols = nr.min(nc - jr);
                        if !direct_b || cols < nr {
                            let base = b.offset + pc * b.row_stride + (jc + jr) * b.col_stride;
                            let dst = &mut bp[panel * nr * kc..(panel + 1) * nr * kc];
                            pack_panel(b.data, base, b.col_stride, b.row_stride, cols, nr, kc, dst);
                        }
                    }
                    for (pa, ir) in (0..mc).step_by(mr).enumerate() {
                        let rows = mr.min(mc - ir);
                        let (a_ptr, rsa, csa) = if direct_a && rows == mr {
                            let start = a.offset + (ic + ir) * a.row_stride + pc;
                            (a.data[start..].as_ptr(), a.row_stride, 1)
                        } else {
                            (ap[pa * mr * kc..].as_ptr(), 1, mr)
                        };
                        for (pb, jr) in (0..nc).step_by(nr).enumerate() {
                            let cols = nr.min(nc - jr);
                            let (b_ptr, ldb) = if direct_b && cols == nr {
                                (b.data[b.offset + pc * b.row_stride + jc + jr..].as_ptr(), b.row_stride)
                            } else {
                                (bp[pb * nr * kc..].as_ptr(), nr)
                            };
                            // SAFETY: the tile starts inside the caller's region (row ic+ir < m,
                            // column jc+jr < n). Packed panels hold kc groups of MR / NR values;
                            // an operand read in place is a full MR×kc / kc×NR block of a view
                            // that `check_views` proved lies inside its slice.
                            unsafe {
                                let c_tile = c.add((ic + ir) * ldc + jc + jr);
                                if rows == mr && cols == nr {
                                    K::run(kc, a_ptr, rsa, csa, b_ptr, ldb, c_tile, ldc, accumulate);
                                } else {
                                    K::run(kc, a_ptr, rsa, csa, b_ptr, ldb, edge.as_mut_ptr(), nr, false);
                                    for i in 0..rows {
                                        let c_row = std::slice::from_raw_parts_mut(c_tile.add(i * ldc), cols);
                                        let e_row = &edge[i * nr..i * nr + cols];
                                        if accumulate {
                                            c_row.iter_mut().zip(e_row).for_each(|(c, e)| *c += *e);
                                        } else {
                                            c_row.copy_from_slice(e_row);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    });
}

/// Largest `MR × NR` tile of any kernel (12×32 f32).
const MAX_TILE: usize = 384;

/// Copies a `w × kc` strip into a packed panel: `dst[p*W + i] = src[base + i*s_w + p*s_k]`
/// for `i < w`, zeros for `w ≤ i < W` (so edge tiles compute on zeros and no kernel needs a
/// partial path).
///
/// For A the panel index is the row (`s_w` = row stride); for B it is the column. The two
/// common layouts get a loop that reads memory in order.
#[allow(clippy::too_many_arguments)]
fn pack_panel<T: Numeric>(
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
        // Each packed group is a contiguous run of the source (B row-major, A col-major).
        for (p, group) in dst.chunks_exact_mut(wide).enumerate() {
            let start = base + p * s_k;
            group[..w].copy_from_slice(&src[start..start + w]);
            group[w..].fill(T::ZERO);
        }
    } else if s_k == 1 {
        // Each source line runs along k (A row-major, B col-major): read it in order, write
        // with stride `wide`.
        for i in 0..w {
            let line = &src[base + i * s_w..base + i * s_w + kc];
            for (group, &v) in dst.chunks_exact_mut(wide).zip(line) {
                group[i] = v;
            }
        }
        if w < wide {
            dst.chunks_exact_mut(wide).for_each(|g| g[w..].fill(T::ZERO));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `|got − want| ≤ atol + rtol·|want|`, both growing linearly with the depth `k`: the
    /// rounding error of a k-term sum in a different order grows (at worst) like k·ε.
    #[derive(Clone, Copy, Debug)]
    struct Tolerance {
        atol: f64,
        rtol: f64,
    }

    /// f32 per unit of depth: 8·ε_f32 ≈ 1e-6, so k = 257 allows ~2.5e-4 on sums of magnitude ~5.
    const F32_TOL_PER_K: Tolerance = Tolerance { atol: 1e-6, rtol: 1e-6 };
    /// f64 per unit of depth (8·ε_f64 ≈ 2e-15).
    const F64_TOL_PER_K: Tolerance = Tolerance { atol: 2e-15, rtol: 2e-15 };
    /// Integers are exact.
    const EXACT: Tolerance = Tolerance { atol: 0.0, rtol: 0.0 };

    fn tolerance_for<T: Element>(k: usize) -> Tolerance {
        let per_k = match T::DTYPE {
            crate::DType::F32 => F32_TOL_PER_K,
            crate::DType::F64 => F64_TOL_PER_K,
            _ => return EXACT,
        };
        let k = k.max(1) as f64;
        Tolerance { atol: per_k.atol * k, rtol: per_k.rtol * k }
    }

    /// Panics with the case, the first mismatching (row, col) and both values.
    fn assert_close<T: Element>(what: &str, got: &[T], want: &[T], n: usize, tol: Tolerance) {
        assert_eq!(got.len(), want.len(), "{what}: lengths differ");
        for (idx, (g, w)) in got.iter().zip(want).enumerate() {
            let (g, w) = (g.to_f64(), w.to_f64());
            if (g - w).abs() > tol.atol + tol.rtol * w.abs() || g.is_nan() {
                let (i, j) = (idx / n.max(1), idx % n.max(1));
                panic!("{what}: first mismatch at ({i}, {j}): got {g}, want {w} (tolerance {tol:?})");
            }
        }
    }

    /// Seeded LCG (Knuth's MMIX constants): values in [-1, 1) for floats, -4..=4 for integers.
    struct Lcg(u64);
    impl Lcg {
        fn next<T: Element>(&mut self) -> T {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
            if T::DTYPE.is_float() {
                T::from_f64(2.0 * u - 1.0)
            } else {
                T::from_i64((u * 9.0) as i64 - 4)
            }
        }
    }

    /// How a test matrix is laid out in memory.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Layout {
        RowMajor,
        /// A transposed tensor: column-major storage.
        ColMajor,
        /// Row-major inside a bigger buffer: offset 5, 3 elements of padding per row.
        Offset,
        /// Neither stride is 1.
        Strided,
        /// Every row the same (row stride 0, as after broadcasting a row vector).
        BroadcastRows,
        /// Every column the same (column stride 0).
        BroadcastCols,
    }
    const LAYOUTS: [Layout; 6] = [
        Layout::RowMajor,
        Layout::ColMajor,
        Layout::Offset,
        Layout::Strided,
        Layout::BroadcastRows,
        Layout::BroadcastCols,
    ];

    /// Storage and strides for a `rows × cols` matrix in `layout`, filled from `rng`.
    fn make<T: Element>(rng: &mut Lcg, rows: usize, cols: usize, layout: Layout) -> (Vec<T>, usize, usize, usize) {
        let (len, offset, rs, cs) = match layout {
            Layout::RowMajor => (rows * cols, 0, cols, 1),
            Layout::ColMajor => (rows * cols, 0, 1, rows),
            Layout::Offset => (5 + rows * (cols + 3), 5, cols + 3, 1),
            Layout::Strided => (1 + rows * (2 * cols + 1), 1, 2 * cols + 1, 2),
            Layout::BroadcastRows => (cols, 0, 0, 1),
            Layout::BroadcastCols => (rows, 0, 1, 0),
        };
        ((0..len).map(|_| rng.next()).collect(), offset, rs, cs)
    }

    fn view<T: Element>(s: &(Vec<T>, usize, usize, usize), rows: usize, cols: usize) -> MatRef<'_, T> {
        MatRef { data: &s.0, offset: s.1, rows, cols, row_stride: s.2, col_stride: s.3 }
    }

    type Gemm<T> = fn(MatRef<T>, MatRef<T>, &mut [T]);

    /// Runs every `(name, f)` on `m×k · k×n` for each pair of layouts and compares with naive.
    /// Output buffers start as NaN (or 77) so a missed element is caught.
    fn check_grid<T: Numeric>(
        shapes: &[(usize, usize, usize)],
        layouts: &[(Layout, Layout)],
        impls: &[(&str, Gemm<T>)],
    ) {
        let mut rng = Lcg(0x5eed);
        for &(m, k, n) in shapes {
            for &(la, lb) in layouts {
                let sa = make::<T>(&mut rng, m, k, la);
                let sb = make::<T>(&mut rng, k, n, lb);
                let (a, b) = (view(&sa, m, k), view(&sb, k, n));
                let mut want = vec![T::ZERO; m * n];
                naive::gemm(a, b, &mut want);
                for (name, f) in impls {
                    let mut got = vec![T::from_f64(if T::DTYPE.is_float() { f64::NAN } else { 77.0 }); m * n];
                    f(a, b, &mut got);
                    let what = format!("{name} {m}x{k}·{k}x{n} {la:?}·{lb:?}");
                    assert_close(&what, &got, &want, n, tolerance_for::<T>(k));
                }
            }
        }
    }

    use super::super::naive;

    /// Odd sizes that break blocking assumptions, non-square shapes, k = 0 and 1, and shapes
    /// past one block in every direction (k > KC, m > MC, n > NC).
    const SMALL_SHAPES: &[(usize, usize, usize)] = &[
        (1, 1, 1),
        (1, 7, 1),
        (7, 7, 7),
        (7, 1, 7),
        (3, 0, 5),
        (0, 4, 3),
        (4, 3, 0),
        (12, 5, 32),
        (13, 5, 33),
        (1, 63, 65),
        (63, 63, 63),
        (65, 65, 65),
        (65, 257, 7),
        (7, 257, 65),
    ];
    const LARGE_SHAPES: &[(usize, usize, usize)] =
        &[(257, 257, 257), (1200, 3, 5), (600, 20, 130), (13, 20, 600), (37, 300, 300), (65, 1, 300)];

    fn all_layout_pairs() -> Vec<(Layout, Layout)> {
        LAYOUTS.iter().flat_map(|&la| LAYOUTS.iter().map(move |&lb| (la, lb))).collect()
    }
    const FEW_LAYOUT_PAIRS: &[(Layout, Layout)] = &[
        (Layout::RowMajor, Layout::RowMajor),
        (Layout::ColMajor, Layout::ColMajor),
        (Layout::RowMajor, Layout::ColMajor),
        (Layout::Offset, Layout::Strided),
        (Layout::BroadcastRows, Layout::BroadcastCols),
    ];

    fn f32_versions() -> Vec<(&'static str, Gemm<f32>)> {
        vec![
            ("v2_loop_order", versions::v2_loop_order),
            ("v3_blocked", versions::v3_blocked),
            ("v4_packed_simd", versions::v4_packed_simd),
            ("v5_threaded", versions::v5_threaded),
            ("gemm", gemm::<f32>),
        ]
    }

    fn one_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(f)
    }

    #[test]
    fn v1_is_naive() {
        check_grid::<f32>(&[(7, 9, 5), (65, 63, 1)], FEW_LAYOUT_PAIRS, &[("v1_naive", versions::v1_naive)]);
    }

    #[test]
    fn f32_versions_small_shapes_every_layout() {
        check_grid::<f32>(SMALL_SHAPES, &all_layout_pairs(), &f32_versions());
    }

    #[test]
    fn f32_versions_large_shapes_one_thread_and_pool() {
        one_thread(|| check_grid::<f32>(LARGE_SHAPES, FEW_LAYOUT_PAIRS, &f32_versions()));
        check_grid::<f32>(LARGE_SHAPES, FEW_LAYOUT_PAIRS, &f32_versions());
    }

    /// Every microkernel this CPU can run, not just the one dispatch picks.
    fn kernel_impls<K: MicroKernel>() -> Vec<(&'static str, Gemm<K::T>)>
    where
        K::T: PackBuffers,
    {
        if !K::available() {
            return Vec::new();
        }
        vec![
            (K::NAME, gemm_packed::<K>),
            ("threads=2", |a, b, c| gemm_threaded_above::<K>(a, b, c, 2, 0)),
            ("threads=3", |a, b, c| gemm_threaded_above::<K>(a, b, c, 3, 0)),
            ("threads=4", |a, b, c| gemm_threaded_above::<K>(a, b, c, 4, 0)),
        ]
    }

    fn check_kernel<K: MicroKernel>()
    where
        K::T: PackBuffers,
    {
        let impls = kernel_impls::<K>();
        if impls.is_empty() {
            eprintln!("skipping {} kernel: not supported by this CPU", K::NAME);
            return;
        }
        check_grid::<K::T>(SMALL_SHAPES, &all_layout_pairs(), &impls);
        check_grid::<K::T>(LARGE_SHAPES, FEW_LAYOUT_PAIRS, &impls);
    }

    #[test]
    fn portable_kernels() {
        check_kernel::<kernels::Portable<f32, 4, 16>>();
        check_kernel::<kernels::Portable<f64, 4, 8>>();
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_kernels() {
        check_kernel::<kernels::Avx2F32>();
        check_kernel::<kernels::Avx2F64>();
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_kernels() {
        check_kernel::<kernels::Avx512F32>();
        check_kernel::<kernels::Avx512F64>();
    }

    #[test]
    fn f64_dispatch() {
        let shapes: Vec<_> = SMALL_SHAPES.iter().chain(LARGE_SHAPES).copied().collect();
        one_thread(|| check_grid::<f64>(&shapes, FEW_LAYOUT_PAIRS, &[("gemm f64", gemm::<f64>)]));
        check_grid::<f64>(&shapes, FEW_LAYOUT_PAIRS, &[("gemm f64", gemm::<f64>)]);
    }

    #[test]
    fn integer_dispatch() {
        let shapes: Vec<_> = SMALL_SHAPES.iter().chain(&[(37, 300, 300)]).copied().collect();
        check_grid::<i32>(&shapes, &all_layout_pairs(), &[("gemm i32", gemm::<i32>)]);
        check_grid::<i64>(&shapes, FEW_LAYOUT_PAIRS, &[("gemm i64", gemm::<i64>)]);
    }

    #[test]
    fn k_zero_overwrites_with_zeros() {
        let (a, b) = (MatRef::row_major(&[] as &[f32], 4, 0), MatRef::row_major(&[] as &[f32], 0, 70));
        let mut c = vec![f32::NAN; 4 * 70];
        gemm(a, b, &mut c);
        assert!(c.iter().all(|&v| v == 0.0));
        let mut c = vec![f32::NAN; 4 * 70];
        versions::v4_packed_simd(a, b, &mut c);
        assert!(c.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn split_range_covers_everything_once() {
        for len in [0, 1, 5, 12, 13, 100, 1000] {
            for parts in 1..=5 {
                let ranges: Vec<_> = (0..parts).map(|t| split_range(len, 12, parts, t)).collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[parts - 1].end, len);
                for w in ranges.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                    assert!(w[1].start % 12 == 0 || w[1].start == len);
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn thread_grid_uses_all_threads_when_there_is_work() {
        type K = kernels::Avx512F32;
        let grid = |m, n, k, t| thread_grid::<K>(m, n, k, t, true, true);
        assert_eq!(grid(1024, 1024, 1024, 1), (1, 1));
        let (tm, tn) = grid(1024, 1024, 1024, 2);
        assert!(tm * tn >= 2 && (tm * tn) % 2 == 0);
        let (tm, tn) = grid(128, 128, 128, 2);
        assert_eq!(tm * tn, 4); // two per thread, so a late-waking worker still finds one
        let (tm, tn) = grid(48, 128, 128, 2);
        assert_eq!(tm * tn, 2); // too little work for more
        assert_eq!(grid(1, 4096, 4096, 2).0, 1); // one row: split columns only
        assert_eq!(grid(4096, 5, 4096, 2).1, 1); // one tile wide: split rows only
        assert_eq!(grid(5, 5, 4096, 4), (1, 1)); // a single tile
    }
}
