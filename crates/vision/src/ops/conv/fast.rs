//! Fast convolution: lower each sample to matrix products (im2col + GEMM) on the tensor
//! crate's packed SIMD GEMM, samples spread over rayon threads; layers with few channels take
//! the direct kernels of `direct.rs` (v5) instead.
//!
//! Version catalogue. f32, TinyVGG layer shapes (batch 32, 3×3 kernels, padding 1: conv1
//! 1→10 at 28², conv2 10→10 at 28², conv3/4 10→10 at 14²), AMD EPYC Zen 4, one thread
//! (`RAYON_NUM_THREADS=1`), medians of `cargo bench -p kindling-vision --bench conv -- <group>`.
//! Figures are GFLOP/s counted as 2·MACs per pass (forward + both backward passes for
//! `*_fwd_bwd`). They were taken on a 2-core machine running three other builds (load 6-9), so
//! they are low and noisy; ratios within one run are what they show.
//!
//! - v1 naive loops (`naive.rs`, `naive_conv_fwd_bwd`): seven nested loops with a bounds test
//!   per tap, one multiply-add at a time; the weight index jumps between filters and the input
//!   index between rows. conv2 fwd+bwd 0.43 GFLOP/s (313 ms), conv3 0.45 (76 ms).
//! - v2 im2col + GEMM: each sample's receptive fields are copied into a `[C·kh·kw, Ho·Wo]`
//!   matrix (stride-1 rows are straight copies, the padding written once as zeros), so the
//!   forward is one GEMM `W[O, C·kh·kw] · cols`, the input gradient one GEMM `Wᵀ · ∂y` plus a
//!   scatter-add back (col2im), and the weight gradient `∂y · colsᵀ` summed over samples. The
//!   multiply-adds run in the packed AVX-512 microkernel and one sample's `cols` (90 × 784
//!   floats = 282 KB for conv2) stays in L2. Samples are split over rayon tasks. conv2
//!   fwd+bwd 15 GFLOP/s, conv3 10 (first measurement, load 5): 35× and 22× v1.
//! - v3 im2row for the weight gradient (`backward_weight` vs `backward_weight_v2`, bench
//!   groups `fast_conv_bwd_weight` and `v2_conv_bwd_weight_cols_t`): in v2 the GEMM read
//!   `colsᵀ` column by column and its packing routine scattered every value to a different
//!   cache line, which took 29% of the conv2 profile. v3 builds the transposed matrix
//!   `[Ho·Wo, C·kh·kw]` directly (`im2row`, stride-1 windows of the kernel width copied as
//!   fixed-size blocks), so both GEMM operands are row-major and stream unpacked. Weight
//!   gradient alone: conv2 7.1 → 3.4 ms (6.4 → 13.2 GFLOP/s, load 5), conv3 1.53 → 1.03 ms
//!   (load 9; in that run conv2 showed no difference: the machine was saturated).
//! - v4 buffers reused: the im2col/im2row matrices live in a per-thread scratch buffer
//!   instead of a fresh allocation per task (each was hundreds of KB: an mmap, page faults
//!   and zeroing every call), and the weight-gradient partial sums are added in a fixed
//!   order over a fixed number of tasks, so results do not depend on the thread count. conv2
//!   fwd+bwd 16-19.5 GFLOP/s, conv3 12.7-17 (ranges over runs at load 5-9).
//! - Tried and reverted: computing the input gradient of a stride-1 convolution as a forward
//!   convolution of `∂y` with the flipped, channel-transposed kernel (im2col of `∂y` + a GEMM
//!   with K = O·kh·kw instead of K = O). It was slower than GEMM + col2im (conv3 0.85 → 1.1 ms
//!   for that pass): the extra im2col cost more than the smaller GEMM output saved.
//! - 1×1 convolutions with stride 1 and no padding skip im2col: the input plane already is
//!   the `cols` matrix.
//!
//! - v5 direct AVX-512 kernels (`direct.rs`) for layers with at most 32 channels each side,
//!   stride 1: with 10 filters the GEMM above has 10 rows, so its 6-row tiles run 12 and its
//!   64-column tiles cover 196 columns in 256, and the three copies (im2col, im2row, col2im)
//!   cost more than the multiply-adds. The direct kernels vectorise along an output row (one
//!   load of a shifted input row feeds one FMA per output channel of a 12-channel block, the
//!   weight broadcast from memory), the input gradient is the same kernel on the padded `∂y`
//!   with the kernel flipped, and the weight gradient keeps `channels × kw` sums in registers
//!   over a whole task's samples. With the tensor crate's buffer cache (no page faults for
//!   fresh results) and no hand-off to the thread pool on one thread, fwd+bwd on one thread
//!   (load 3): conv1 9 → 33 GFLOP/s, conv2 33 → 67, conv3 17 → 66 (v4 → v5, one run; bench
//!   group `v4_conv_fwd_bwd_im2col` switches the direct kernels off with
//!   `direct::set_enabled(false)`). PyTorch 2.15 in the same session: 3-8, 20-22, 27-32.
//!   Wider layers (bench groups `fast_conv_width` / `v4_conv_width_im2col`, 28², batch 32,
//!   one thread, load 2-3): 16 channels 48 vs 27 GFLOP/s, 32 channels 48 vs 39. Past 32 the
//!   GEMM's tiles fill up; the direct kernels stop there (wider layers are not measured).
//!
//! What is left for v4 (the path every other shape takes): `im2row` is store-bound (it
//! materialises 9× the input) and is as costly as the weight-gradient GEMM; a GEMM entry
//! point that accumulates into C (β = 1) or takes a pre-packed B panel from the caller would
//! let the packing read the image directly (implicit GEMM) and remove both copies.
//!
//! Chapter: "Convolutions: from seven loops to a matrix product".

use super::{direct, ConvGeometry};
use kindling_tensor::kernel_api::{downcast_slice_mut, gemm, zeroed_buffer, MatRef};
use kindling_tensor::Float;
use rayon::prelude::*;
use std::cell::RefCell;

std::thread_local! {
    static SCRATCH_F32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static SCRATCH_F64: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on a scratch buffer of `len` elements (contents unspecified) kept per thread, so
/// the im2col matrices (hundreds of KB) are not allocated, page-faulted and freed on every
/// call. A nested call on the same thread (rayon may run another task while this one waits)
/// gets a fresh buffer.
fn with_scratch<T: Float, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    fn run<S: Float, T: Float, R>(cell: &RefCell<Vec<S>>, len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
        match cell.try_borrow_mut() {
            Ok(mut buf) => {
                if buf.len() < len {
                    buf.resize(len, S::ZERO);
                }
                f(downcast_slice_mut::<S, T>(&mut buf[..len]).expect("scratch type"))
            }
            Err(_) => f(&mut vec![T::ZERO; len]),
        }
    }
    match T::DTYPE {
        kindling_tensor::DType::F32 => SCRATCH_F32.with(|c| run(c, len, f)),
        kindling_tensor::DType::F64 => SCRATCH_F64.with(|c| run(c, len, f)),
        _ => f(&mut vec![T::ZERO; len]),
    }
}

/// Samples per rayon task: about four tasks per thread, so a core slowed by other work
/// takes fewer.
pub(super) fn samples_per_task(n: usize) -> usize {
    let tasks = (rayon::current_num_threads() * 4).clamp(1, n.max(1));
    n.div_ceil(tasks).max(1)
}

/// How many partial sums the weight gradient is split into (at most).
const WEIGHT_GRAD_TASKS: usize = 16;

/// True when the input plane is already the im2col matrix (1×1 kernel, stride 1, no padding).
fn is_pointwise(g: &ConvGeometry) -> bool {
    g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt + g.pb + g.pl + g.pr == 0
}

/// The output columns `j` whose tap at kernel column offset `off` (= v·dw) lands inside the
/// image: `j·sw + off − pl ∈ [0, w)`. Returns `[j0, j1)`.
#[inline]
fn valid_cols(g: &ConvGeometry, off: usize) -> (usize, usize) {
    let j0 = if g.pl > off { (g.pl - off).div_ceil(g.sw) } else { 0 }.min(g.wo);
    let j1 = if g.w + g.pl > off { (g.w + g.pl - off).div_ceil(g.sw).min(g.wo) } else { 0 };
    (j0, j1.max(j0))
}

/// `dst.copy_from_slice(src)` for the short rows of im2col (tens of elements): in blocks of 8
/// with a size known at compile time, which compile to a few vector moves, where a plain copy
/// becomes a `memcpy` call that costs more than the copy itself.
#[inline]
pub(super) fn copy_short<T: Float>(dst: &mut [T], src: &[T]) {
    let mut d8 = dst.chunks_exact_mut(8);
    let mut s8 = src.chunks_exact(8);
    for (d, s) in (&mut d8).zip(&mut s8) {
        let d: &mut [T; 8] = d.try_into().expect("8 slots");
        *d = s.try_into().expect("8 values");
    }
    for (d, s) in d8.into_remainder().iter_mut().zip(s8.remainder()) {
        *d = *s;
    }
}

/// Copies the receptive fields of channels `c0..c0 + cg` of one sample `x` (`[C, H, W]`) into
/// `cols` (`[cg·kh·kw, ho·wo]`, row `(ci·kh + u)·kw + v`), zeros where the window hangs over
/// the padding.
#[inline(never)]
pub fn im2col<T: Float>(g: &ConvGeometry, x: &[T], c0: usize, cols: &mut [T]) {
    let (hw_in, hw_out) = (g.h * g.w, g.ho * g.wo);
    let mut row = 0;
    for ci in 0..g.cg() {
        let plane = &x[(c0 + ci) * hw_in..][..hw_in];
        for u in 0..g.kh {
            for v in 0..g.kw {
                let dst = &mut cols[row * hw_out..][..hw_out];
                row += 1;
                let off = v * g.dw;
                let (j0, j1) = valid_cols(g, off);
                for (i, d) in dst.chunks_exact_mut(g.wo).enumerate() {
                    let r = i * g.sh + u * g.dh;
                    if r < g.pt || r - g.pt >= g.h {
                        d.fill(T::ZERO);
                        continue;
                    }
                    let src = &plane[(r - g.pt) * g.w..][..g.w];
                    d[..j0].fill(T::ZERO);
                    d[j1..].fill(T::ZERO);
                    if j1 > j0 {
                        let start = j0 * g.sw + off - g.pl;
                        if g.sw == 1 {
                            copy_short(&mut d[j0..j1], &src[start..start + (j1 - j0)]);
                        } else {
                            for (k, dj) in d[j0..j1].iter_mut().enumerate() {
                                *dj = src[start + k * g.sw];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The transpose of [`im2col`], built directly: `rows` is `[ho·wo, cg·kh·kw]`, one receptive
/// field per row. The weight gradient `∂y · rows` then reads both operands row-major, so the
/// GEMM streams them without packing (a transposed `cols` would be packed column by column,
/// which cost more than the GEMM itself).
#[inline(never)]
pub fn im2row<T: Float>(g: &ConvGeometry, x: &[T], c0: usize, rows: &mut [T]) {
    if g.sw == 1 && g.dw == 1 {
        match g.kw {
            1 => return im2row_unit::<T, 1>(g, x, c0, rows),
            2 => return im2row_unit::<T, 2>(g, x, c0, rows),
            3 => return im2row_unit::<T, 3>(g, x, c0, rows),
            4 => return im2row_unit::<T, 4>(g, x, c0, rows),
            5 => return im2row_unit::<T, 5>(g, x, c0, rows),
            _ => {}
        }
    }
    let (hw_in, patch) = (g.h * g.w, g.patch());
    for i in 0..g.ho {
        let block = &mut rows[i * g.wo * patch..][..g.wo * patch];
        for ci in 0..g.cg() {
            let plane = &x[(c0 + ci) * hw_in..][..hw_in];
            for u in 0..g.kh {
                let col0 = (ci * g.kh + u) * g.kw;
                let r = i * g.sh + u * g.dh;
                let src = (r >= g.pt && r - g.pt < g.h).then(|| &plane[(r - g.pt) * g.w..][..g.w]);
                for (j, field) in block.chunks_exact_mut(patch).enumerate() {
                    for (v, d) in field[col0..col0 + g.kw].iter_mut().enumerate() {
                        let col = j * g.sw + v * g.dw;
                        *d = match src {
                            Some(src) if col >= g.pl && col - g.pl < g.w => src[col - g.pl],
                            _ => T::ZERO,
                        };
                    }
                }
            }
        }
    }
}

/// [`im2row`] for stride 1 and dilation 1 with the kernel width `KW` known at compile time.
/// Each field (one row of `rows`) is written front to back: for every (channel, kernel row)
/// pair, `KW` consecutive input values from a source row found once per output row, with no
/// index arithmetic in the columns where the window lies inside the image.
fn im2row_unit<T: Float, const KW: usize>(g: &ConvGeometry, x: &[T], c0: usize, rows: &mut [T]) {
    let (hw_in, patch) = (g.h * g.w, g.patch());
    let segments = g.cg() * g.kh;
    // Columns j whose whole window j − pl .. j − pl + KW lies inside [0, w).
    let j_lo = g.pl.min(g.wo);
    let j_hi = if g.w + g.pl >= KW { (g.w + g.pl + 1 - KW).min(g.wo).max(j_lo) } else { j_lo };
    // Start of the source row of each (channel, kernel row) segment, or None in the padding.
    let mut sources: Vec<Option<usize>> = vec![None; segments];
    for i in 0..g.ho {
        for (q, src) in sources.iter_mut().enumerate() {
            let (ci, u) = (q / g.kh, q % g.kh);
            let r = i * g.sh + u * g.dh;
            *src = (r >= g.pt && r - g.pt < g.h).then(|| (c0 + ci) * hw_in + (r - g.pt) * g.w);
        }
        let block = &mut rows[i * g.wo * patch..][..g.wo * patch];
        for (j, field) in block.chunks_exact_mut(patch).enumerate() {
            if (j_lo..j_hi).contains(&j) {
                for (seg, src) in field.chunks_exact_mut(KW).zip(&sources) {
                    match src {
                        Some(s) => seg.copy_from_slice(&x[s + j - g.pl..][..KW]),
                        None => seg.fill(T::ZERO),
                    }
                }
            } else {
                for (seg, src) in field.chunks_exact_mut(KW).zip(&sources) {
                    for (v, d) in seg.iter_mut().enumerate() {
                        let col = j + v;
                        *d = match src {
                            Some(s) if col >= g.pl && col - g.pl < g.w => x[s + col - g.pl],
                            _ => T::ZERO,
                        };
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds every entry of `cols` back onto the input position it was
/// copied from (`dx` is one sample, `[C, H, W]`; padding entries are dropped).
#[inline(never)]
pub fn col2im<T: Float>(g: &ConvGeometry, cols: &[T], c0: usize, dx: &mut [T]) {
    let (hw_in, hw_out) = (g.h * g.w, g.ho * g.wo);
    let mut row = 0;
    for ci in 0..g.cg() {
        let plane = &mut dx[(c0 + ci) * hw_in..][..hw_in];
        for u in 0..g.kh {
            for v in 0..g.kw {
                let src_rows = &cols[row * hw_out..][..hw_out];
                row += 1;
                let off = v * g.dw;
                let (j0, j1) = valid_cols(g, off);
                if j1 == j0 {
                    continue;
                }
                for (i, s) in src_rows.chunks_exact(g.wo).enumerate() {
                    let r = i * g.sh + u * g.dh;
                    if r < g.pt || r - g.pt >= g.h {
                        continue;
                    }
                    let dst = &mut plane[(r - g.pt) * g.w..][..g.w];
                    let start = j0 * g.sw + off - g.pl;
                    if g.sw == 1 {
                        for (d, &s) in dst[start..start + (j1 - j0)].iter_mut().zip(&s[j0..j1]) {
                            *d += s;
                        }
                    } else {
                        for (k, &sv) in s[j0..j1].iter().enumerate() {
                            dst[start + k * g.sw] += sv;
                        }
                    }
                }
            }
        }
    }
}

/// y = conv(x, w) + b: the direct kernel (v5) where it applies, else im2col + GEMM.
pub fn forward<T: Float>(g: &ConvGeometry, x: &[T], w: &[T], bias: Option<&[T]>) -> Vec<T> {
    if direct::applies::<T>(g) {
        let mut y = zeroed_buffer(g.n * g.o * g.ho * g.wo);
        direct::forward(g, x, w, bias, &mut y);
        return y;
    }
    forward_im2col(g, x, w, bias)
}

/// ∂x: the direct kernel (v5) where it applies, else GEMM + col2im.
pub fn backward_input<T: Float>(g: &ConvGeometry, dy: &[T], w: &[T]) -> Vec<T> {
    if direct::applies::<T>(g) {
        let mut dx = zeroed_buffer(g.n * g.c * g.h * g.w);
        direct::backward_input(g, dy, w, &mut dx);
        return dx;
    }
    backward_input_im2col(g, dy, w)
}

/// ∂w: the direct kernel (v5) where it applies, else im2row + GEMM.
pub fn backward_weight<T: Float>(g: &ConvGeometry, dy: &[T], x: &[T]) -> Vec<T> {
    if direct::applies::<T>(g) {
        let mut dw = zeroed_buffer(g.o * g.patch());
        direct::backward_weight(g, dy, x, WEIGHT_GRAD_TASKS, &mut dw);
        return dw;
    }
    backward_weight_im2col(g, dy, x)
}

/// Group `grp`'s filters as a `[og, patch]` matrix view of `w`.
fn weight_view<'a, T: Float>(g: &ConvGeometry, w: &'a [T], grp: usize) -> MatRef<'a, T> {
    let (og, patch) = (g.og(), g.patch());
    MatRef { data: w, offset: grp * og * patch, rows: og, cols: patch, row_stride: patch, col_stride: 1 }
}

/// y = conv(x, w) + b: per sample and group, `y[og, ho·wo] = W_g · im2col(x)`.
pub fn forward_im2col<T: Float>(g: &ConvGeometry, x: &[T], w: &[T], bias: Option<&[T]>) -> Vec<T> {
    let (hw, patch, og) = (g.ho * g.wo, g.patch(), g.og());
    let (in_len, out_len) = (g.c * g.h * g.w, g.o * hw);
    let mut y = zeroed_buffer(g.n * out_len);
    if y.is_empty() {
        return y;
    }
    let per = samples_per_task(g.n);
    let pointwise = is_pointwise(g);
    y.par_chunks_mut(per * out_len).enumerate().for_each(|(t, ys)| {
        with_scratch(if pointwise { 0 } else { patch * hw }, |cols: &mut [T]| {
            for (k, yn) in ys.chunks_exact_mut(out_len).enumerate() {
                let xn = &x[(t * per + k) * in_len..][..in_len];
                for grp in 0..g.groups {
                    let b = if pointwise {
                        MatRef::row_major(&xn[grp * patch * hw..], patch, hw)
                    } else {
                        im2col(g, xn, grp * g.cg(), cols);
                        MatRef::row_major(cols, patch, hw)
                    };
                    gemm(weight_view(g, w, grp), b, &mut yn[grp * og * hw..][..og * hw]);
                }
                if let Some(bias) = bias {
                    for (plane, &bo) in yn.chunks_exact_mut(hw).zip(bias) {
                        plane.iter_mut().for_each(|v| *v += bo);
                    }
                }
            }
        })
    });
    y
}

/// ∂x: per sample and group, `cols = W_gᵀ · ∂y`, then col2im (the scatter-add of every
/// column entry back onto the input position it was copied from).
pub fn backward_input_im2col<T: Float>(g: &ConvGeometry, dy: &[T], w: &[T]) -> Vec<T> {
    let (hw, patch, og) = (g.ho * g.wo, g.patch(), g.og());
    let (in_len, out_len) = (g.c * g.h * g.w, g.o * hw);
    let mut dx = zeroed_buffer(g.n * in_len);
    if dx.is_empty() {
        return dx;
    }
    let per = samples_per_task(g.n);
    let pointwise = is_pointwise(g);
    dx.par_chunks_mut(per * in_len).enumerate().for_each(|(t, dxs)| {
        with_scratch(patch * hw, |cols: &mut [T]| {
            for (k, dxn) in dxs.chunks_exact_mut(in_len).enumerate() {
                let dyn_ = &dy[(t * per + k) * out_len..][..out_len];
                for grp in 0..g.groups {
                    let a = weight_view(g, w, grp).t();
                    let b = MatRef::row_major(&dyn_[grp * og * hw..], og, hw);
                    if pointwise {
                        gemm(a, b, &mut dxn[grp * patch * hw..][..patch * hw]);
                    } else {
                        gemm(a, b, cols);
                        col2im(g, cols, grp * g.cg(), dxn);
                    }
                }
            }
        })
    });
    dx
}

/// ∂w = Σ_samples ∂y_g · im2col(x)ᵀ, each task summing its samples into its own accumulator.
pub fn backward_weight_im2col<T: Float>(g: &ConvGeometry, dy: &[T], x: &[T]) -> Vec<T> {
    let (hw, patch, og) = (g.ho * g.wo, g.patch(), g.og());
    let (in_len, out_len) = (g.c * g.h * g.w, g.o * hw);
    let w_len = g.o * patch;
    if g.n == 0 || hw == 0 {
        return vec![T::ZERO; w_len];
    }
    // A fixed split (not one per thread), so the weight gradient is the same sum whatever the
    // number of threads: runs reproduce exactly.
    let per = g.n.div_ceil(WEIGHT_GRAD_TASKS.min(g.n));
    let tasks = g.n.div_ceil(per);
    let pointwise = is_pointwise(g);
    (0..tasks)
        .into_par_iter()
        .map(|t| {
            let mut acc = vec![T::ZERO; w_len];
            let mut part = vec![T::ZERO; og * patch];
            with_scratch(if pointwise { 0 } else { patch * hw }, |cols: &mut [T]| {
                for s in t * per..((t + 1) * per).min(g.n) {
                    let xn = &x[s * in_len..][..in_len];
                    let dyn_ = &dy[s * out_len..][..out_len];
                    for grp in 0..g.groups {
                        let b = if pointwise {
                            MatRef::row_major(&xn[grp * patch * hw..], patch, hw).t()
                        } else {
                            im2row(g, xn, grp * g.cg(), cols);
                            MatRef::row_major(cols, hw, patch)
                        };
                        gemm(MatRef::row_major(&dyn_[grp * og * hw..], og, hw), b, &mut part);
                        for (a, &p) in acc[grp * og * patch..][..og * patch].iter_mut().zip(&part) {
                            *a += p;
                        }
                    }
                }
            });
            acc
        })
        .collect::<Vec<_>>()
        .into_iter()
        .reduce(|mut a, b| {
            // In task order, so the sum does not depend on which thread finished first.
            a.iter_mut().zip(&b).for_each(|(x, &y)| *x += y);
            a
        })
        .unwrap_or_else(|| vec![T::ZERO; w_len])
}

/// v2 of the weight gradient, kept for the catalogue and its bench: `∂y · colsᵀ` with `cols`
/// from [`im2col`], so the GEMM reads its right operand transposed and packs it column by
/// column. Same result as [`backward_weight`].
pub fn backward_weight_v2<T: Float>(g: &ConvGeometry, dy: &[T], x: &[T]) -> Vec<T> {
    let (hw, patch, og) = (g.ho * g.wo, g.patch(), g.og());
    let (in_len, out_len) = (g.c * g.h * g.w, g.o * hw);
    let mut dw = zeroed_buffer(g.o * patch);
    let mut part = vec![T::ZERO; og * patch];
    let mut cols = vec![T::ZERO; patch * hw];
    for s in 0..g.n {
        for grp in 0..g.groups {
            im2col(g, &x[s * in_len..][..in_len], grp * g.cg(), &mut cols);
            let a = MatRef::row_major(&dy[s * out_len + grp * og * hw..], og, hw);
            gemm(a, MatRef::row_major(&cols, patch, hw).t(), &mut part);
            for (d, &p) in dw[grp * og * patch..][..og * patch].iter_mut().zip(&part) {
                *d += p;
            }
        }
    }
    dw
}
