//! v5 of the fast convolution: a direct AVX-512 kernel for layers with few channels.
//!
//! With 10 filters over 10 channels (TinyVGG), the GEMM of im2col has only 10 rows: the
//! microkernel's 6-row tiles run 12 rows, its 64-column tiles cover a 14×14 image's 196
//! columns in 256, and im2col, im2row and col2im copy nine times the input on every call. So
//! instead of lowering to a matrix product, these kernels compute the correlation in place,
//! vectorised along an output row: one 16-lane vector holds 16 neighbouring outputs, and for
//! every (input channel, kernel row, kernel column) tap one load of the shifted input row
//! feeds one fused multiply-add per output channel of the block (the weight broadcast from
//! memory). The input is copied once into a zero-padded plane, so the taps need no bounds
//! tests; rows narrower than 16 use masked loads and stores.
//!
//! - forward: `y[o] = Σ_c Σ_(u,v) w[o, c, u, v] · x_pad[c, i + u, j + v]` over a block of up
//!   to 12 output channels held in registers;
//! - input gradient: the same kernel, run on `∂y` padded by `k − 1 − pad` with the kernel
//!   flipped and its two channel axes swapped (a stride-1 convolution's transpose is a
//!   correlation with the flipped kernel);
//! - weight gradient: for each (input channel, kernel row), `∂w[o, c, u, v]` for a block of
//!   output channels and every kernel column accumulates `∂y[o] · x_pad[c, i + u, j + v]`
//!   in `ob × kw` vector registers over every row of every sample of a task, then reduces
//!   each register across its lanes once.
//!
//! Applies to f32 on CPUs with AVX-512F, one group, stride 1, dilation 1, padding smaller
//! than the kernel, kernel width ≤ 5 and at most 32 channels each side (where GEMM's tiles
//! are mostly padding); everything else keeps the im2col path.

use super::ConvGeometry;
use crate::dtype::{downcast_slice, downcast_slice_mut};
use crate::Float;
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest channel count on either side for which the direct kernels are chosen.
const MAX_CHANNELS: usize = 32;
/// Widest kernel the weight-gradient kernel is instantiated for.
const MAX_KW: usize = 5;

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns the direct kernels on or off for the whole process (on by default), so the im2col
/// path (v4) can be timed and compared on the shapes the direct kernels would take.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether the direct kernels take this geometry on this machine.
pub fn applies<T: Float>(g: &ConvGeometry) -> bool {
    ENABLED.load(Ordering::Relaxed)
        && T::DTYPE == crate::DType::F32
        && available()
        && g.groups == 1
        && (g.sh, g.sw, g.dh, g.dw) == (1, 1, 1, 1)
        && g.pt < g.kh
        && g.pb < g.kh
        && g.pl < g.kw
        && g.pr < g.kw
        && g.kw <= MAX_KW
        && g.c <= MAX_CHANNELS
        && g.o <= MAX_CHANNELS
}

/// Whether this CPU can run the direct kernels (AVX-512F).
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Padded input planes and the padding that produced them.
struct Pads {
    top: usize,
    left: usize,
    hp: usize,
    wp: usize,
}

/// Copies `x` (`[c, h, w]`) into `dst` (`[c, hp, wp]`) with zero borders.
fn pad_planes(x: &[f32], c: usize, h: usize, w: usize, p: &Pads, dst: &mut [f32]) {
    for (plane, src) in dst.chunks_exact_mut(p.hp * p.wp).zip(x.chunks_exact(h * w)).take(c) {
        plane.fill(0.0);
        for (r, row) in src.chunks_exact(w).enumerate() {
            super::fast::copy_short(&mut plane[(r + p.top) * p.wp + p.left..][..w], row);
        }
    }
}

/// `y = conv(x, w) + b` into `y` (`[n, o, ho, wo]`, every element written).
///
/// # Panics
/// Unless [`applies`] holds for `g` and `T`.
pub fn forward<T: Float>(g: &ConvGeometry, x: &[T], w: &[T], bias: Option<&[T]>, y: &mut [T]) {
    assert!(applies::<T>(g), "direct::forward: the direct kernels do not take this geometry");
    let (x, w, y) = (f32s(x), f32s(w), f32s_mut(y));
    let bias = bias.map(f32s);
    // Weights as [c][kh][kw][o]: the output channels of one tap are contiguous.
    let mut wt = vec![0.0f32; w.len()];
    for o in 0..g.o {
        for c in 0..g.c {
            for t in 0..g.kh * g.kw {
                wt[(c * g.kh * g.kw + t) * g.o + o] = w[(o * g.c + c) * g.kh * g.kw + t];
            }
        }
    }
    let pads = Pads { top: g.pt, left: g.pl, hp: g.h + g.pt + g.pb, wp: g.w + g.pl + g.pr };
    let plane = Correlation { cin: g.c, cout: g.o, kh: g.kh, kw: g.kw, ho: g.ho, wo: g.wo, hp: pads.hp, wp: pads.wp };
    per_sample(g.n, x, g.c * g.h * g.w, y, g.o * g.ho * g.wo, g.c * pads.hp * pads.wp, |xn, yn, xp| {
        pad_planes(xn, g.c, g.h, g.w, &pads, xp);
        plane.run(xp, &wt, bias, yn);
    });
}

/// `∂x` into `dx` (`[n, c, h, w]`, every element written).
///
/// # Panics
/// Unless [`applies`] holds for `g` and `T`.
pub fn backward_input<T: Float>(g: &ConvGeometry, dy: &[T], w: &[T], dx: &mut [T]) {
    assert!(applies::<T>(g), "direct::backward_input: the direct kernels do not take this geometry");
    let (dy, w, dx) = (f32s(dy), f32s(w), f32s_mut(dx));
    let (kh, kw) = (g.kh, g.kw);
    // The flipped kernel with its channel axes swapped, as [o][kh][kw][c].
    let mut wt = vec![0.0f32; w.len()];
    for o in 0..g.o {
        for c in 0..g.c {
            for u in 0..kh {
                for v in 0..kw {
                    wt[((o * kh + u) * kw + v) * g.c + c] = w[((o * g.c + c) * kh + kh - 1 - u) * kw + kw - 1 - v];
                }
            }
        }
    }
    let pads = Pads {
        top: kh - 1 - g.pt,
        left: kw - 1 - g.pl,
        hp: g.ho + 2 * (kh - 1) - g.pt - g.pb,
        wp: g.wo + 2 * (kw - 1) - g.pl - g.pr,
    };
    let plane = Correlation { cin: g.o, cout: g.c, kh, kw, ho: g.h, wo: g.w, hp: pads.hp, wp: pads.wp };
    per_sample(g.n, dy, g.o * g.ho * g.wo, dx, g.c * g.h * g.w, g.o * pads.hp * pads.wp, |dyn_, dxn, dyp| {
        pad_planes(dyn_, g.o, g.ho, g.wo, &pads, dyp);
        plane.run(dyp, &wt, None, dxn);
    });
}

/// Adds `∂w = Σ_samples ∂y ⋆ x` into `dw` (`[o, c, kh, kw]`, zeroed by the caller), with the
/// same fixed split into `tasks` as the im2col path, so the sum does not depend on the thread
/// count.
///
/// # Panics
/// Unless [`applies`] holds for `g` and `T`.
pub fn backward_weight<T: Float>(g: &ConvGeometry, dy: &[T], x: &[T], tasks: usize, dw: &mut [T]) {
    use rayon::prelude::*;
    assert!(applies::<T>(g), "direct::backward_weight: the direct kernels do not take this geometry");
    if g.n == 0 {
        return;
    }
    let (dy, x, dw) = (f32s(dy), f32s(x), f32s_mut(dw));
    let pads = Pads { top: g.pt, left: g.pl, hp: g.h + g.pt + g.pb, wp: g.w + g.pl + g.pr };
    let (in_len, out_len, pad_len) = (g.c * g.h * g.w, g.o * g.ho * g.wo, g.c * pads.hp * pads.wp);
    let per = g.n.div_ceil(tasks.clamp(1, g.n));
    let task = |t: usize| {
        let samples = t * per..((t + 1) * per).min(g.n);
        let mut xp = vec![0.0f32; samples.len() * pad_len];
        for (k, s) in samples.clone().enumerate() {
            pad_planes(&x[s * in_len..][..in_len], g.c, g.h, g.w, &pads, &mut xp[k * pad_len..][..pad_len]);
        }
        let dys = &dy[samples.start * out_len..samples.end * out_len];
        let mut part = vec![0.0f32; dw.len()];
        weight_grad(g, &pads, &xp, dys, samples.len(), &mut part);
        part
    };
    let tasks = 0..g.n.div_ceil(per);
    let partials: Vec<Vec<f32>> = if rayon::current_num_threads() == 1 {
        tasks.map(task).collect()
    } else {
        tasks.into_par_iter().map(task).collect()
    };
    for part in partials {
        // In task order, so the sum does not depend on which thread finished first.
        dw.iter_mut().zip(&part).for_each(|(d, &p)| *d += p);
    }
}

fn f32s<T: Float>(s: &[T]) -> &[f32] {
    downcast_slice::<T, f32>(s).expect("applies() checked f32")
}

fn f32s_mut<T: Float>(s: &mut [T]) -> &mut [f32] {
    downcast_slice_mut::<T, f32>(s).expect("applies() checked f32")
}

/// Runs `f(input sample, output sample, padded scratch)` over the samples on rayon threads.
fn per_sample(
    n: usize,
    input: &[f32],
    in_len: usize,
    out: &mut [f32],
    out_len: usize,
    pad_len: usize,
    f: impl Fn(&[f32], &mut [f32], &mut [f32]) + Sync,
) {
    use rayon::prelude::*;
    let per = super::fast::samples_per_task(n);
    let task = |(t, outs): (usize, &mut [f32])| {
        let mut scratch = vec![0.0f32; pad_len];
        for (k, on) in outs.chunks_exact_mut(out_len).enumerate() {
            f(&input[(t * per + k) * in_len..][..in_len], on, &mut scratch);
        }
    };
    // One thread: no hand-off to the pool (a wake-up and a context switch per call).
    if rayon::current_num_threads() == 1 {
        out.chunks_mut(per * out_len).enumerate().for_each(task);
    } else {
        out.par_chunks_mut(per * out_len).enumerate().for_each(task);
    }
}

/// One sample's correlation of `cin` padded planes (`[cin, hp, wp]`) with a kernel laid out
/// as `[cin][kh][kw][cout]`, into `[cout, ho, wo]` (`ho = hp − kh + 1`, `wo = wp − kw + 1`).
struct Correlation {
    cin: usize,
    cout: usize,
    kh: usize,
    kw: usize,
    ho: usize,
    wo: usize,
    hp: usize,
    wp: usize,
}

/// Output channels per register block in the forward kernel.
const FORWARD_BLOCK: usize = 12;

impl Correlation {
    fn run(&self, xp: &[f32], wt: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
        assert!(xp.len() >= self.cin * self.hp * self.wp && wt.len() >= self.cin * self.kh * self.kw * self.cout);
        assert!(y.len() >= self.cout * self.ho * self.wo && bias.is_none_or(|b| b.len() >= self.cout));
        let blocks = self.cout.div_ceil(FORWARD_BLOCK);
        let mut o0 = 0;
        for b in 0..blocks {
            let ob = (self.cout - o0).div_ceil(blocks - b);
            macro_rules! block {
                ($($n:literal)*) => {
                    match ob {
                        // SAFETY: applies() checked AVX-512F; the asserts above bound every
                        // index the block computes (see `Correlation::block`).
                        $($n => unsafe { self.block::<$n>(xp, wt, bias, y, o0) },)*
                        _ => unreachable!("block of {ob} channels"),
                    }
                };
            }
            block!(1 2 3 4 5 6 7 8 9 10 11 12);
            o0 += ob;
        }
    }

    /// Output channels `o0..o0 + OB`, every row, 16 columns at a time.
    ///
    /// # Safety
    /// AVX-512F must be available; slices as asserted in [`Correlation::run`].
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn block<const OB: usize>(&self, xp: &[f32], wt: &[f32], bias: Option<&[f32]>, y: &mut [f32], o0: usize) {
        use std::arch::x86_64::*;
        // SAFETY: the caller guarantees AVX-512F, and `run` asserted `xp` holds `cin` padded
        // planes of `hp × wp`, `wt` holds `cin · kh · kw · cout` taps and `y` holds `cout`
        // planes of `ho × wo`; every pointer below stays inside them (the masked lanes past
        // `wo` are neither loaded nor stored).
        unsafe {
            let (xp, wt, y) = (xp.as_ptr(), wt.as_ptr().add(o0), y.as_mut_ptr());
            let plane_in = self.hp * self.wp;
            let plane_out = self.ho * self.wo;
            for i in 0..self.ho {
                for j0 in (0..self.wo).step_by(16) {
                    let mask: __mmask16 = lane_mask(self.wo - j0);
                    let mut acc = [_mm512_setzero_ps(); OB];
                    if let Some(b) = bias {
                        for (k, a) in acc.iter_mut().enumerate() {
                            *a = _mm512_set1_ps(b[o0 + k]);
                        }
                    }
                    let mut tap = wt;
                    for c in 0..self.cin {
                        for u in 0..self.kh {
                            // Lanes past wo are masked off, so the loads never leave the plane:
                            // j0 + lane + v ≤ wo − 1 + kw − 1 = wp − 1.
                            let row = xp.add(c * plane_in + (i + u) * self.wp + j0);
                            for v in 0..self.kw {
                                let xv = _mm512_maskz_loadu_ps(mask, row.add(v));
                                for (k, a) in acc.iter_mut().enumerate() {
                                    *a = _mm512_fmadd_ps(_mm512_set1_ps(*tap.add(k)), xv, *a);
                                }
                                tap = tap.add(self.cout);
                            }
                        }
                    }
                    for (k, a) in acc.iter().enumerate() {
                        _mm512_mask_storeu_ps(y.add((o0 + k) * plane_out + i * self.wo + j0), mask, *a);
                    }
                }
            }
        }
    }

    /// Stand-in off x86-64, so the dispatch compiles everywhere.
    ///
    /// # Safety
    /// Never called: `applies()` is false off x86-64.
    #[cfg(not(target_arch = "x86_64"))]
    unsafe fn block<const OB: usize>(&self, _: &[f32], _: &[f32], _: Option<&[f32]>, _: &mut [f32], _: usize) {
        unreachable!("applies() is false off x86_64")
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn lane_mask(remaining: usize) -> u16 {
    if remaining >= 16 {
        u16::MAX
    } else {
        (1u16 << remaining) - 1
    }
}

/// Registers the weight-gradient kernel may fill with accumulators (of 32).
const WEIGHT_ACCUMULATORS: usize = 24;

/// Adds `Σ_samples ∂y ⋆ x` for `samples` consecutive samples into `dw` (`[o, c, kh, kw]`).
/// `xp` holds their padded inputs, `dy` their output gradients.
fn weight_grad(g: &ConvGeometry, p: &Pads, xp: &[f32], dy: &[f32], samples: usize, dw: &mut [f32]) {
    assert!(xp.len() >= samples * g.c * p.hp * p.wp && dy.len() >= samples * g.o * g.ho * g.wo);
    assert!(dw.len() >= g.o * g.c * g.kh * g.kw && g.kw <= MAX_KW && g.kw >= 1);
    let block_max = (WEIGHT_ACCUMULATORS / g.kw).min(8);
    let blocks = g.o.div_ceil(block_max);
    for c in 0..g.c {
        for u in 0..g.kh {
            let mut o0 = 0;
            for b in 0..blocks {
                let ob = (g.o - o0).div_ceil(blocks - b);
                macro_rules! dispatch {
                    ($($kw:literal => [$($ob:literal)*]),*) => {
                        match (g.kw, ob) {
                            // SAFETY: applies() checked AVX-512F; the asserts above bound
                            // every index (see `weight_block`).
                            $($(($kw, $ob) => unsafe { weight_block::<$kw, $ob>(g, p, xp, dy, samples, c, u, o0, dw) },)*)*
                            _ => unreachable!("weight block {} x {ob}", g.kw),
                        }
                    };
                }
                dispatch!(
                    1 => [1 2 3 4 5 6 7 8],
                    2 => [1 2 3 4 5 6 7 8],
                    3 => [1 2 3 4 5 6 7 8],
                    4 => [1 2 3 4 5 6],
                    5 => [1 2 3 4]
                );
                o0 += ob;
            }
        }
    }
}

/// `∂w[o0..o0 + OB, c, u, 0..KW]` += Σ over samples, rows and columns of
/// `∂y[o, i, j] · x_pad[c, i + u, j + v]`, with the `OB × KW` sums in vector registers.
///
/// # Safety
/// AVX-512F must be available; slices as asserted in [`weight_grad`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn weight_block<const KW: usize, const OB: usize>(
    g: &ConvGeometry,
    p: &Pads,
    xp: &[f32],
    dy: &[f32],
    samples: usize,
    c: usize,
    u: usize,
    o0: usize,
    dw: &mut [f32],
) {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees AVX-512F, and `weight_grad` asserted that `xp` holds the
    // padded inputs and `dy` the output gradients of `samples` samples and `dw` the whole
    // weight; rows `i + u` stay inside the padded plane and masked lanes are never touched.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); KW]; OB];
        let (plane_in, plane_out) = (p.hp * p.wp, g.ho * g.wo);
        for s in 0..samples {
            let xs = xp.as_ptr().add((s * g.c + c) * plane_in);
            let dys = dy.as_ptr().add((s * g.o + o0) * plane_out);
            for i in 0..g.ho {
                let row = xs.add((i + u) * p.wp);
                for j0 in (0..g.wo).step_by(16) {
                    let mask = lane_mask(g.wo - j0);
                    let mut xv = [_mm512_setzero_ps(); KW];
                    for (v, x) in xv.iter_mut().enumerate() {
                        *x = _mm512_maskz_loadu_ps(mask, row.add(j0 + v));
                    }
                    for (k, a) in acc.iter_mut().enumerate() {
                        let d = _mm512_maskz_loadu_ps(mask, dys.add(k * plane_out + i * g.wo + j0));
                        for (av, x) in a.iter_mut().zip(&xv) {
                            *av = _mm512_fmadd_ps(d, *x, *av);
                        }
                    }
                }
            }
        }
        for (k, a) in acc.iter().enumerate() {
            let base = (((o0 + k) * g.c + c) * g.kh + u) * g.kw;
            for (v, av) in a.iter().enumerate() {
                dw[base + v] += _mm512_reduce_add_ps(*av);
            }
        }
    }
}

/// Stand-in off x86-64, so the dispatch compiles everywhere.
///
/// # Safety
/// Never called: `applies()` is false off x86-64.
#[cfg(not(target_arch = "x86_64"))]
#[allow(clippy::too_many_arguments)]
unsafe fn weight_block<const KW: usize, const OB: usize>(
    _: &ConvGeometry,
    _: &Pads,
    _: &[f32],
    _: &[f32],
    _: usize,
    _: usize,
    _: usize,
    _: usize,
    _: &mut [f32],
) {
    unreachable!("applies() is false off x86_64")
}
