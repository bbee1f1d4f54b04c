//! The fast softmax against an f64 reference on many shapes, special and masked rows, and the
//! promises of the catalogue: the same bits on every SIMD level and thread count.

use super::*;
use crate::dtype::Numeric;
use crate::ops::simd::testing::{Lcg, AWKWARD_LENGTHS};
use crate::tolerance::Tolerance;

const SHAPES: [(usize, usize, usize); 12] = [
    (1, 1, 1),
    (3, 1, 5),
    (1, 7, 1),
    (5, 63, 1),
    (2, 65, 3),
    (1, 257, 7),
    (7, 3, 65),
    (1, 4099, 1),
    (3, 5, 4099),
    (1, 150_001, 1),
    (2, 300, 130),
    (200, 400, 1),
];
/// f32 softmax: `exp_rel` (terms within 4e-6 relative, 2e-7 near the max) and a reordered
/// sum, against an f64 reference.
const TOL_F32: Tolerance = Tolerance::DEFAULT;
/// f64 softmax against the f64 reference: a few ulp relative.
const TOL_F64: Tolerance = Tolerance::STRICT;

/// Softmax / log-softmax / logsumexp computed in f64, the obvious way (the oracle).
fn reference(x: &[f64], (outer, len, inner): (usize, usize, usize)) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut sm, mut lsm, mut lse) = (vec![0.0; x.len()], vec![0.0; x.len()], vec![0.0; outer * inner]);
    for o in 0..outer {
        for i in 0..inner {
            let at = |l: usize| (o * len + l) * inner + i;
            let max = (0..len).map(|l| x[at(l)]).fold(f64::NEG_INFINITY, |a, b| a.max_of(b));
            let sum: f64 = (0..len).map(|l| (x[at(l)] - max).exp()).sum();
            for l in 0..len {
                sm[at(l)] = (x[at(l)] - max).exp() / sum;
                lsm[at(l)] = x[at(l)] - max - sum.ln();
            }
            lse[o * inner + i] = if max.is_finite() { max + sum.ln() } else { max };
        }
    }
    (sm, lsm, lse)
}

fn check<F: SimdFloat>(x: &[F], shape: (usize, usize, usize), tol: Tolerance) {
    let (outer, len, inner) = shape;
    let x64: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
    let (sm, lsm, lse) = reference(&x64, shape);
    for (log, want) in [(false, &sm), (true, &lsm)] {
        let mut out = vec![F::ZERO; x.len()];
        softmax(x, outer, len, inner, &mut out, log);
        for (k, (g, &w)) in out.iter().zip(want.iter()).enumerate() {
            assert!(tol.accepts(g.to_f64(), w), "softmax log={log} {} {shape:?} at {k}: {g} vs {w}", F::DTYPE);
        }
    }
    let mut out = vec![F::ZERO; outer * inner];
    logsumexp(x, outer, len, inner, &mut out);
    for (k, (g, &w)) in out.iter().zip(&lse).enumerate() {
        assert!(tol.accepts(g.to_f64(), w), "logsumexp {} {shape:?} at {k}: {g} vs {w}", F::DTYPE);
    }
}

#[test]
fn softmax_matches_reference_for_every_shape() {
    for (s, &shape) in SHAPES.iter().enumerate() {
        let x = Lcg::new(s as u64).vec_f64(shape.0 * shape.1 * shape.2, -20.0, 20.0);
        check(&x, shape, TOL_F64);
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        check(&x32, shape, TOL_F32);
    }
    for len in AWKWARD_LENGTHS {
        let x = Lcg::new(len as u64).vec_f32(3 * len, -5.0, 5.0);
        check(&x, (3, len, 1), TOL_F32);
        check(&x, (1, 3, len), TOL_F32);
    }
}

#[test]
fn large_logits_do_not_overflow() {
    let x = [1000.0f32, 999.0, -1000.0, 1000.0];
    check(&x, (1, 4, 1), TOL_F32);
    check(&x, (1, 2, 2), TOL_F32);
}

/// Rows: all -inf, partly -inf, containing +inf, containing NaN.
#[test]
fn masked_and_special_rows() {
    let (ninf, inf, nan) = (f32::NEG_INFINITY, f32::INFINITY, f32::NAN);
    let x = [ninf, ninf, ninf, 1.0, ninf, 2.0, 0.0, inf, 1.0, 0.0, nan, 1.0];
    for (outer, len, inner) in [(4, 3, 1), (1, 3, 4)] {
        let shape = (outer, len, inner);
        let xs: Vec<f32> = if inner == 1 {
            x.to_vec()
        } else {
            // Same rows, laid out as columns.
            (0..12).map(|k| x[(k % 4) * 3 + k / 4]).collect()
        };
        let mut out = vec![0f32; 12];
        softmax(&xs, outer, len, inner, &mut out, false);
        let row =
            |r: usize| (0..3).map(|l| if inner == 1 { out[r * 3 + l] } else { out[l * 4 + r] }).collect::<Vec<_>>();
        assert!(row(0).iter().all(|v| v.is_nan()), "all -inf row gives NaN like the naive kernel");
        assert_eq!(row(1)[1], 0.0, "a masked entry gets exactly 0");
        assert!(row(3).iter().all(|v| v.is_nan()));
        let mut lse = vec![0f32; 4];
        logsumexp(&xs, outer, len, inner, &mut lse);
        assert_eq!(lse[0], ninf, "fully masked row: logsumexp is -inf, not NaN");
        assert_eq!(lse[2], inf);
        assert!(lse[3].is_nan());
        check(&xs, shape, TOL_F32);
    }
}

/// Columns long enough for several row blocks in pass 1 (each column's sum is rescaled
/// when a later block raises its max), with special values placed across the blocks.
#[test]
fn column_blocks_rescale_their_sums() {
    let (len, inner) = (1100, 129); // 508 rows per block: three blocks
    assert!(COL_BLOCK / inner < len / 2);
    let (ninf, inf, nan) = (f32::NEG_INFINITY, f32::INFINITY, f32::NAN);
    let mut x = Lcg::new(21).vec_f32(len * inner, -20.0, 20.0);
    for l in 0..len {
        let row = &mut x[l * inner..(l + 1) * inner];
        if l < 600 {
            row[0] = ninf; // -inf for the first block and a bit, then finite
            row[1] = if l == 3 { nan } else { ninf }; // a NaN while the max is still -inf
        }
        if l == 900 {
            row[2] = inf; // +inf in the last block
        }
        row[3] = l as f32 * 0.5 - 300.0; // the max grows in every block
        row[4] = ninf; // all -inf
        row[5] = if l == 1000 { 1e4 } else { row[5] }; // one huge logit late
    }
    check(&x, (1, len, inner), TOL_F32);
    let mut out = vec![0f32; x.len()];
    softmax(&x, 1, len, inner, &mut out, false);
    let col = |c: usize| (0..len).map(|l| out[l * inner + c]).collect::<Vec<_>>();
    assert!(col(0)[..600].iter().all(|&v| v == 0.0) && col(0)[600..].iter().all(|v| v.is_finite()));
    assert!(col(1).iter().all(|v| v.is_nan()) && col(2).iter().all(|v| v.is_nan()));
    assert!(col(4).iter().all(|v| v.is_nan()) && col(5)[1000] == 1.0);
    // Every level gives the same bits (a one-thread pool: the level is set per thread).
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let run = |level| {
        pool.install(|| {
            crate::ops::simd::with_level(level, || {
                let mut out = vec![0f32; x.len()];
                let mut lse = vec![0f32; inner];
                let mut bits = Vec::new();
                for log in [false, true] {
                    softmax(&x, 1, len, inner, &mut out, log);
                    bits.extend(out.iter().map(|v| v.to_bits()));
                }
                logsumexp(&x, 1, len, inner, &mut lse);
                bits.extend(lse.iter().map(|v| v.to_bits()));
                bits
            })
        })
    };
    let portable = run(Level::Portable);
    assert!(run(Level::Avx2) == portable, "avx2");
    assert!(run(Level::Avx512) == portable, "avx512");
}

/// Blocks past `STREAM_MIN_BYTES` take the streaming stores (rows not 64-byte aligned, so
/// the unaligned heads too): the same bits as the portable loop.
#[test]
fn streamed_columns_give_the_same_bits() {
    let (len, inner) = (1024, 2051);
    assert!(len * inner * 4 >= STREAM_MIN_BYTES);
    let x = Lcg::new(5).vec_f32(len * inner, -10.0, 10.0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let run = |level| {
        pool.install(|| {
            crate::ops::simd::with_level(level, || {
                let mut out = vec![0f32; x.len()];
                softmax(&x, 1, len, inner, &mut out, false);
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            })
        })
    };
    assert!(run(Level::Avx512) == run(Level::Portable));
}

/// The AVX-512 twins (`exp_sum`, `exp_rel_accumulate`) give the generic loops' bits.
#[test]
fn every_simd_level_gives_identical_bits() {
    use crate::ops::simd::with_level;
    // Below the threading threshold: `with_level` holds on this thread only.
    let mut x = Lcg::new(11).vec_f32(3 * 2047, -30.0, 30.0);
    x[5] = f32::NEG_INFINITY;
    for (shape, log) in [((3, 2047, 1), false), ((3, 2047, 1), true), ((1, 3, 2047), false), ((1, 3, 2047), true)] {
        let run = |level| {
            let mut out = vec![0f32; x.len()];
            let mut lse = vec![0f32; shape.0 * shape.2];
            with_level(level, || {
                softmax(&x, shape.0, shape.1, shape.2, &mut out, log);
                logsumexp(&x, shape.0, shape.1, shape.2, &mut lse);
            });
            out.iter().chain(&lse).map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        let portable = run(Level::Portable);
        assert!(run(Level::Avx2) == portable, "avx2 {shape:?} log={log}");
        assert!(run(Level::Avx512) == portable, "avx512 {shape:?} log={log}");
    }
}

#[test]
fn long_rows_do_not_depend_on_the_thread_count() {
    let x = Lcg::new(9).vec_f32(200_000, -10.0, 10.0);
    let run = |threads| {
        let mut out = vec![0f32; x.len()];
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| softmax(&x, 1, x.len(), 1, &mut out, false));
        out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn columns_do_not_depend_on_the_thread_count() {
    // One block (outer = 1), so its column tiles and rows are what gets split; 700 rows are
    // several row blocks of pass 1, and 1000 columns split into uneven tiles.
    let (len, inner) = (700, 1000);
    assert!(col_block_rows(inner) < len / 2);
    let x = Lcg::new(10).vec_f32(len * inner, -30.0, 30.0);
    let run = |threads, log| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut out = vec![0f32; x.len()];
        let mut lse = vec![0f32; inner];
        pool.install(|| {
            softmax(&x, 1, len, inner, &mut out, log);
            logsumexp(&x, 1, len, inner, &mut lse);
        });
        out.iter().chain(&lse).map(|v| v.to_bits()).collect::<Vec<_>>()
    };
    for log in [false, true] {
        let one = run(1, log);
        assert!(one == run(2, log) && one == run(3, log), "log={log}");
    }
}
