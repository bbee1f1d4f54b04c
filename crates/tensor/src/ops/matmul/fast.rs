//! Fast GEMM: `c = a · b`, BLIS-style (packed panels, cache blocking, a SIMD microkernel,
//! threads).
//!
//! # Version catalogue
//!
//! f32, GFLOP/s at 1024³ (v1: 512³), one thread unless noted, on the 2-core Zen 4 VM (FMA peak
//! 118 GFLOP/s per core). Every version runs today as `versions::vN_*`. Bench: `cargo run --release
//! -- bench matmul` (the table), or criterion `cargo bench -p kindling-tensor --bench matmul --
//! <group>` with the group named on each line. Details and peers: `crates/tensor/NOTES.md`.
//!
//! - v1 naive i-j-k (`versions::v1_naive`): B walked down a column per output: 1.2 (`v1_naive_sgemm`).
//! - v2 loop order i-p-j (`versions::v2_loop_order`): B and C walked along rows: 23 (`v2_loop_order_sgemm`).
//! - v3 cache blocking (`versions::v3_blocked`): a 64×1024 block of B held in L2: 27 (`v3_blocked_sgemm`).
//! - v4 packed panels + 6×64 AVX-512 microkernel (`versions::v4_packed_simd`): 110 (`v4_packed_simd_sgemm`).
//! - v5 threads (`versions::v5_threaded`), rectangles handed out dynamically: 218 on 2 (`v5_threaded_sgemm`).
//! - v6 skinny products (`skinny`): at most 4 rows of `a` (decoding with a KV cache) read `b` in
//!   place, as dot products or scaled-row sums, instead of packing it (`skinny_sgemm`).
//! - v7 narrow products (`narrow`): at most 16 columns of `c` (k-means distances, ten logits)
//!   from a small panel of `b` held in L1, four rows of `a` at a time, instead of a 32- or
//!   64-column tile that is mostly padding.
//! - Tuned for the MLP's training step (issue 23; 1 thread, Intel AVX-512 VM, peak 243 GFLOP/s):
//!   a transposed operand (a linear layer's `Wᵀ`) is packed in slabs of 16 steps with AVX-512
//!   gathers instead of line by line through a panel larger than L1 (128×784·784×256 with `Wᵀ`:
//!   684 → 308 µs); B is read in place only while a block's rows span at most 256 KiB (wider,
//!   every step missed the TLB: `gᵀ·x` 150 → 160-178 GFLOP/s packed, 512³ 146 → 175); the skinny path runs
//!   four dot products per pass (one row times `Wᵀ`: 39 → 11 µs); the narrow path has an f32
//!   AVX-512 kernel (ten logits: 16-53 → 6 µs). Outputs are no longer cleared before the
//!   product overwrites them. On two threads, reading A in place now counts in the split's
//!   cost, so these products split by rows (x·Wᵀ: 235 → 165 µs).
//! - v8 dot blocks (`dots`): 5 to 12 rows of `a` times a transposed weight read in place as 4×4
//!   blocks of FMA dot products, no packing (x·Wᵀ at batch 8: 57 → 32 µs, 97 → 24 on two).
//!
//! Chapter: "Matrix multiplication, from three loops to 90% of peak".

pub mod dots;
pub mod kernels;
pub mod narrow;
mod pack;
pub mod skinny;
#[cfg(test)]
mod tests;
mod threads;
pub mod versions;

use super::MatRef;
use crate::dtype::{downcast_slice, downcast_slice_mut, Element, Numeric};
use kernels::MicroKernel;
use pack::{pack_panel, PackBuffers, MAX_TILE};
use rayon::prelude::*;
use threads::{split_range, thread_grid, SendPtr};

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
    gemm_with_threads(a, b, c, rayon::current_num_threads())
}

/// [`gemm`] on the calling thread only: for kernels that already run one task per thread
/// (the recurrent layers split the batch across threads), where a product that forked again
/// would only add overhead.
pub fn gemm_serial<T: Numeric>(a: MatRef<T>, b: MatRef<T>, c: &mut [T]) {
    gemm_with_threads(a, b, c, 1)
}

fn gemm_with_threads<T: Numeric>(a: MatRef<T>, b: MatRef<T>, c: &mut [T], threads: usize) {
    check_shapes(&a, &b, c);
    if let (Some(a32), Some(b32), Some(c32)) =
        (view_as::<T, f32>(a), view_as::<T, f32>(b), downcast_slice_mut::<T, f32>(c))
    {
        gemm_f32(a32, b32, c32, threads);
    } else if let (Some(a64), Some(b64), Some(c64)) =
        (view_as::<T, f64>(a), view_as::<T, f64>(b), downcast_slice_mut::<T, f64>(c))
    {
        gemm_f64(a64, b64, c64, threads);
    } else {
        versions::loop_order(a, b, c);
    }
}

/// The block depth of the packed kernel this machine would run, so the narrow path groups its
/// sums the same way.
fn narrow_kc<T: 'static>() -> usize {
    use kernels::MicroKernel;
    let f32 = std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>();
    #[cfg(target_arch = "x86_64")]
    {
        if f32 && kernels::Avx512F32::available() {
            return kernels::Avx512F32::KC;
        }
        if f32 && kernels::Avx2F32::available() {
            return kernels::Avx2F32::KC;
        }
        if !f32 && kernels::Avx512F64::available() {
            return kernels::Avx512F64::KC;
        }
        if !f32 && kernels::Avx2F64::available() {
            return kernels::Avx2F64::KC;
        }
    }
    if f32 {
        kernels::Portable::<f32, 4, 16>::KC
    } else {
        kernels::Portable::<f64, 4, 8>::KC
    }
}

/// v5 with an explicit thread count.
fn gemm_f32(a: MatRef<f32>, b: MatRef<f32>, c: &mut [f32], threads: usize) {
    if a.rows <= skinny::SKINNY_MAX_ROWS
        && a.rows * b.cols * a.cols >= PACKED_MIN_MACS
        && skinny::gemm(a, b, c, threads)
    {
        return;
    }
    if a.rows > skinny::SKINNY_MAX_ROWS
        && a.rows * b.cols * a.cols >= PACKED_MIN_MACS
        && dots::gemm_f32(a, b, c, threads)
    {
        return;
    }
    if a.rows > skinny::SKINNY_MAX_ROWS
        && a.rows * b.cols * a.cols >= PACKED_MIN_MACS
        && narrow::gemm(a, b, c, threads, narrow_kc::<f32>())
    {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if kernels::Avx512F32::available() {
            return gemm_threaded::<kernels::Avx512F32>(a, b, c, threads);
        }
        if kernels::Avx2F32::available() {
            return gemm_threaded::<kernels::Avx2F32>(a, b, c, threads);
        }
    }
    gemm_threaded::<kernels::Portable<f32, 4, 16>>(a, b, c, threads)
}

fn gemm_f64(a: MatRef<f64>, b: MatRef<f64>, c: &mut [f64], threads: usize) {
    if a.rows <= skinny::SKINNY_MAX_ROWS
        && a.rows * b.cols * a.cols >= PACKED_MIN_MACS
        && skinny::gemm(a, b, c, threads)
    {
        return;
    }
    if a.rows > skinny::SKINNY_MAX_ROWS
        && a.rows * b.cols * a.cols >= PACKED_MIN_MACS
        && narrow::gemm(a, b, c, threads, narrow_kc::<f64>())
    {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if kernels::Avx512F64::available() {
            return gemm_threaded::<kernels::Avx512F64>(a, b, c, threads);
        }
        if kernels::Avx2F64::available() {
            return gemm_threaded::<kernels::Avx2F64>(a, b, c, threads);
        }
    }
    gemm_threaded::<kernels::Portable<f64, 4, 8>>(a, b, c, threads)
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
    assert_eq!(a.cols, b.rows, "gemm: inner dimensions differ");
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
    let (tm, tn) = thread_grid::<K>(m, n, k, threads, a.col_stride == 1, (b.row_stride, b.col_stride));
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

/// A microkernel call walks `KC` rows of its B panel; read in place, each row is on its own
/// stretch of memory. Beyond this many bytes from the first row to the last, those rows cover
/// more 4 KiB pages than the data TLB holds, and every step of `k` misses it: a weight
/// gradient `gᵀ·x` with x 784 wide (3 KiB rows, 400 KiB for a 128-deep block) ran at 150
/// GFLOP/s in place, 178 packed; 512³ (2 KiB rows, 512 KiB) 146 → 175. Up to 256 KiB, in
/// place is still faster (128×784·784×256: 176 in place, 169 packed).
const DIRECT_B_MAX_SPAN_BYTES: usize = 256 << 10;

/// Whether `drive` reads B's panels in place rather than packing them: B row-major, few
/// enough rows of A that packing would not pay back (`DIRECT_B_MAX_M`), and rows close
/// enough together (`DIRECT_B_MAX_SPAN_BYTES`).
pub(super) fn reads_b_in_place<K: MicroKernel>(m: usize, k: usize, row_stride: usize, col_stride: usize) -> bool {
    let span = K::KC.min(k) * row_stride * std::mem::size_of::<K::T>();
    col_stride == 1 && m <= K::DIRECT_B_MAX_M && span <= DIRECT_B_MAX_SPAN_BYTES
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
    let direct_b = reads_b_in_place::<K>(m, k, b.row_stride, b.col_stride);
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
