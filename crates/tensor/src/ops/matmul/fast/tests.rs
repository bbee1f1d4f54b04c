//! The packed and threaded paths against a plain triple loop, on every kernel and layout.

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
const LAYOUTS: [Layout; 6] =
    [Layout::RowMajor, Layout::ColMajor, Layout::Offset, Layout::Strided, Layout::BroadcastRows, Layout::BroadcastCols];

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
fn check_grid<T: Numeric>(shapes: &[(usize, usize, usize)], layouts: &[(Layout, Layout)], impls: &[(&str, Gemm<T>)]) {
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
    let grid = |m, n, k, t| thread_grid::<K>(m, n, k, t, true, (n, 1));
    assert_eq!(grid(1024, 1024, 1024, 1), (1, 1));
    let (tm, tn) = grid(1024, 1024, 1024, 2);
    assert!(tm * tn >= 2 && (tm * tn) % 2 == 0);
    let (tm, tn) = grid(128, 128, 128, 2);
    // Two per thread, so a late-waking worker still finds one.
    assert_eq!(tm * tn, 4);
    // x·Wᵀ (B packed per rectangle) splits by rows: each thread reads half of A in place.
    let transposed = thread_grid::<K>(128, 256, 784, 2, true, (1, 784));
    assert_eq!(transposed, (2, 1));
    let (tm, tn) = grid(48, 128, 128, 2);
    assert_eq!(tm * tn, 2); // too little work for more
    assert_eq!(grid(1, 4096, 4096, 2).0, 1); // one row: split columns only
    assert_eq!(grid(4096, 5, 4096, 2).1, 1); // one tile wide: split rows only
    assert_eq!(grid(5, 5, 4096, 4), (1, 1)); // a single tile
}

/// v6: one to four rows of `a` (and one past), in every layout, through the public entry (which
/// sends them to the skinny path when `b` allows it) and through the skinny path itself.
#[test]
fn skinny_products_match_naive() {
    let shapes: Vec<(usize, usize, usize)> =
        (1..=5).flat_map(|m| [(m, 1, 4096), (m, 7, 700), (m, 128, 65), (m, 130, 128), (m, 33, 200)]).collect();
    let skinny_f32: Gemm<f32> = |a, b, c| {
        if !skinny::gemm(a, b, c, 1) {
            gemm(a, b, c);
        }
    };
    check_grid::<f32>(&shapes, &all_layout_pairs(), &[("gemm", gemm), ("skinny", skinny_f32)]);
    check_grid::<f64>(&shapes, &all_layout_pairs(), &[("gemm", gemm)]);
}

/// v8: a few rows times a transposed weight, as blocks of dot products (AVX-512 f32), through
/// the dispatcher and the path itself, on one thread and split by columns on the pool: row
/// and column counts that leave partial 4 × 4 blocks, depths that leave a partial 16-lane
/// step, and the path's refusal of layouts it does not read.
#[test]
fn dot_blocks_match_naive() {
    #[cfg(target_arch = "x86_64")]
    if kernels::Avx512F32::available() {
        let shapes: Vec<(usize, usize, usize)> = [5, 8, 11, 12]
            .iter()
            .flat_map(|&m| [(m, 1, 7), (m, 15, 4), (m, 17, 5), (m, 784, 256), (m, 33, 1), (m, 2048, 600)])
            .collect();
        let serial: Gemm<f32> = |a, b, c| assert!(dots::gemm_f32(a, b, c, 1), "dot path refused");
        let pool: Gemm<f32> = |a, b, c| assert!(dots::gemm_f32(a, b, c, 2), "dot path refused");
        let layouts = [(Layout::RowMajor, Layout::ColMajor), (Layout::Offset, Layout::ColMajor)];
        check_grid::<f32>(&shapes, &layouts, &[("gemm", gemm), ("dots", serial), ("dots pool", pool)]);
        let mut rng = Lcg(3);
        let (m, k, n) = (8, 40, 9);
        let sa = make::<f32>(&mut rng, m, k, Layout::RowMajor);
        let sb = make::<f32>(&mut rng, k, n, Layout::RowMajor);
        let mut c = vec![0.0; m * n];
        assert!(!dots::gemm_f32(view(&sa, m, k), view(&sb, k, n), &mut c, 1), "row-major B is not read as lines");
    }
}

/// Products with at most 16 columns (k-means distances, ten logits) through the dispatcher
/// and through the narrow path itself, on one thread and on the pool, past one `kc` block.
#[test]
fn narrow_products_match_naive() {
    let shapes: Vec<(usize, usize, usize)> = [1, 5, 10, 16]
        .iter()
        .flat_map(|&n| [(5, 64, n), (7, 1, n), (301, 64, n), (1031, 300, n), (600, 3, n)])
        .collect();
    let narrow_f32: Gemm<f32> = |a, b, c| assert!(narrow::gemm(a, b, c, 1, 256), "narrow path refused");
    let narrow_f64: Gemm<f64> = |a, b, c| assert!(narrow::gemm(a, b, c, 2, 128), "narrow path refused");
    let row_layouts =
        [(Layout::RowMajor, Layout::RowMajor), (Layout::Offset, Layout::ColMajor), (Layout::RowMajor, Layout::Strided)];
    one_thread(|| check_grid::<f32>(&shapes, &row_layouts, &[("gemm", gemm), ("narrow", narrow_f32)]));
    check_grid::<f64>(&shapes, &row_layouts, &[("gemm", gemm), ("narrow", narrow_f64)]);
}

/// The narrow path groups its sums as the packed kernel does, so where both fuse their
/// multiply-adds the two give the same bits. f32 has its own AVX-512 narrow kernel (eight
/// rows at a time): 203 rows end in a short block, 600 deep crosses two block boundaries.
#[test]
fn narrow_path_matches_packed_bits() {
    #[cfg(target_arch = "x86_64")]
    {
        narrow_matches_packed::<kernels::Avx512F64>(11, (203, 300, 10));
        narrow_matches_packed::<kernels::Avx512F32>(12, (203, 600, 10));
    }
}

/// `m × k · k × n` through kernel `K`'s packed path and the narrow path: the same bits.
#[cfg(target_arch = "x86_64")]
fn narrow_matches_packed<K: MicroKernel>(seed: u64, (m, k, n): (usize, usize, usize))
where
    K::T: PackBuffers + crate::ops::simd::SimdFloat,
{
    if !K::available() {
        return;
    }
    let mut rng = Lcg(seed);
    let sa = make::<K::T>(&mut rng, m, k, Layout::RowMajor);
    let sb = make::<K::T>(&mut rng, k, n, Layout::ColMajor);
    let (a, b) = (view(&sa, m, k), view(&sb, k, n));
    let (mut packed, mut narrowed) = (vec![K::T::ZERO; m * n], vec![K::T::ONE; m * n]);
    gemm_threaded::<K>(a, b, &mut packed, 1);
    assert!(narrow::gemm(a, b, &mut narrowed, 1, K::KC));
    assert_eq!(packed, narrowed, "{}", K::NAME);
}

/// Packing a strip whose lines run along k (a transposed weight) is a transpose, done for f32
/// on AVX-512 by 16×16 register transposes and, at the edges, gathers: every width, depth and
/// padding against the definition `dst[p·wide + i] = src[base + i·s_w + p]`, zeros past `w`.
#[test]
fn transposed_packing_is_the_definition() {
    let mut rng = Lcg(5);
    for &(w, wide, kc, s_w) in
        &[(64, 64, 256, 784), (17, 64, 19, 40), (1, 16, 3, 5), (16, 16, 1, 16), (40, 64, 33, 300)]
    {
        let base = 3;
        let src: Vec<f32> = (0..base + w * s_w + kc).map(|_| rng.next()).collect();
        let mut dst = vec![f32::NAN; wide * kc];
        pack_panel(&src, base, s_w, 1, w, wide, kc, &mut dst);
        for p in 0..kc {
            for i in 0..wide {
                let want = if i < w { src[base + i * s_w + p] } else { 0.0 };
                assert_eq!(dst[p * wide + i], want, "w {w} wide {wide} kc {kc}: element ({p}, {i})");
            }
        }
    }
}

/// One row spread over threads (the output split into column chunks) gives the serial result.
#[test]
fn skinny_threaded_row_matches_serial() {
    let mut rng = Lcg(7);
    let (k, n) = (1030, 1100);
    let sa = make::<f32>(&mut rng, 1, k, Layout::RowMajor);
    let sb = make::<f32>(&mut rng, k, n, Layout::ColMajor);
    let (a, b) = (view(&sa, 1, k), view(&sb, k, n));
    let (mut serial, mut threaded) = (vec![f32::NAN; n], vec![f32::NAN; n]);
    assert!(skinny::gemm(a, b, &mut serial, 1));
    assert!(skinny::gemm(a, b, &mut threaded, 2));
    assert_eq!(serial, threaded);
    let mut want = vec![0.0; n];
    naive::gemm(a, b, &mut want);
    assert_close("skinny threaded", &threaded, &want, n, tolerance_for::<f32>(k));
}
