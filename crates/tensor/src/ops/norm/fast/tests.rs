//! The fast layer norm against the naive one at awkward row lengths and row counts, with and
//! without γ and β, in f32 and f64, and the catalogue's promise that dγ and dβ do not depend on
//! the thread count.

use super::*;
use crate::ops::norm::naive;
use crate::ops::simd::testing::Lcg;
use crate::tolerance::Tolerance;

/// (rows, n): odd lengths around the lane count, one row, many rows (threads), one element.
const SHAPES: [(usize, usize); 9] =
    [(1, 1), (3, 7), (5, 15), (2, 16), (9, 17), (33, 63), (7, 65), (2048, 128), (3, 257)];
const AFFINE: [(bool, bool); 4] = [(true, true), (true, false), (false, true), (false, false)];

fn close(what: &str, case: &str, a: &[f64], b: &[f64], tol: Tolerance) {
    assert_eq!(a.len(), b.len(), "{what} {case}: lengths differ");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol.atol + tol.rtol * y.abs(), "{what} {case}: index {i}: fast {x} vs naive {y}");
    }
}

struct Case<F> {
    x: Vec<F>,
    dy: Vec<F>,
    w: Vec<F>,
    b: Vec<F>,
}

fn case<F: Float>(rng: &mut Lcg, rows: usize, n: usize) -> Case<F> {
    let v = |rng: &mut Lcg, len: usize, lo: f64, hi: f64| -> Vec<F> {
        rng.vec_f64(len, lo, hi).into_iter().map(F::from_f64).collect()
    };
    // An offset in x, so that a one-pass variance would lose digits.
    Case {
        x: v(rng, rows * n, 2.0, 5.0),
        dy: v(rng, rows * n, -1.0, 1.0),
        w: v(rng, n, 0.5, 1.5),
        b: v(rng, n, -1.0, 1.0),
    }
}

fn compare<F: Float>(tol: Tolerance) {
    let mut rng = Lcg::new(19);
    for &(rows, n) in &SHAPES {
        let c = case::<F>(&mut rng, rows, n);
        for &(has_w, has_b) in &AFFINE {
            let name = format!("[{rows}, {n}] weight {has_w} bias {has_b}");
            let w = has_w.then_some(&c.w[..]);
            let b = has_b.then_some(&c.b[..]);
            let run_fwd = |fast: bool| {
                let (mut y, mut m, mut r) = (vec![F::ZERO; rows * n], vec![F::ZERO; rows], vec![F::ZERO; rows]);
                if fast {
                    layer_norm_forward(&c.x, n, w, b, 1e-5, &mut y, &mut m, &mut r);
                } else {
                    naive::layer_norm_forward(&c.x, n, w, b, 1e-5, &mut y, &mut m, &mut r);
                }
                (y, m, r)
            };
            let ((yf, mf, rf), (yn, mn, rn)) = (run_fwd(true), run_fwd(false));
            let f64s = |v: &[F]| v.iter().map(|x| x.to_f64()).collect::<Vec<_>>();
            close("y", &name, &f64s(&yf), &f64s(&yn), tol);
            close("mean", &name, &f64s(&mf), &f64s(&mn), tol);
            close("rstd", &name, &f64s(&rf), &f64s(&rn), tol);
            let (mut dxf, mut dwf, mut dbf) = (vec![F::ZERO; rows * n], vec![F::ONE; n], vec![F::ONE; n]);
            layer_norm_backward(&c.dy, &c.x, &mn, &rn, n, w, &mut dxf, Some(&mut dwf), Some(&mut dbf));
            let (mut dxn, mut dwn, mut dbn) = (vec![F::ZERO; rows * n], vec![F::ZERO; n], vec![F::ZERO; n]);
            naive::layer_norm_backward(&c.dy, &c.x, &mn, &rn, n, w, Some(&mut dxn), Some(&mut dwn), Some(&mut dbn));
            close("dx", &name, &f64s(&dxf), &f64s(&dxn), tol);
            // Sums over up to 2048 rows: relaxed for f32.
            let sum_tol = if tol.atol > 1e-9 { Tolerance::RELAXED } else { tol };
            close("dweight", &name, &f64s(&dwf), &f64s(&dwn), sum_tol);
            close("dbias", &name, &f64s(&dbf), &f64s(&dbn), sum_tol);
        }
    }
}

#[test]
fn fast_matches_naive_f64() {
    compare::<f64>(Tolerance::new(1e-11, 1e-11));
}

#[test]
fn fast_matches_naive_f32() {
    compare::<f32>(Tolerance::DEFAULT);
}

#[test]
fn parameter_gradients_do_not_depend_on_the_thread_count() {
    let mut rng = Lcg::new(7);
    let (rows, n) = (1000, 96);
    let c = case::<f32>(&mut rng, rows, n);
    let (mut m, mut r, mut y) = (vec![0.0; rows], vec![0.0; rows], vec![0.0; rows * n]);
    layer_norm_forward(&c.x, n, Some(&c.w), Some(&c.b), 1e-5, &mut y, &mut m, &mut r);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let (mut dx, mut dw, mut db) = (vec![0.0f32; rows * n], vec![0.0f32; n], vec![0.0f32; n]);
            layer_norm_backward(&c.dy, &c.x, &m, &r, n, Some(&c.w), &mut dx, Some(&mut dw), Some(&mut db));
            (dx, dw, db)
        })
    };
    let one = run(1);
    assert_eq!(one, run(2), "layer_norm_backward: 1 and 2 threads differ");
    assert_eq!(one, run(3), "layer_norm_backward: 1 and 3 threads differ");
}

#[test]
fn constant_rows_normalise_to_the_shift() {
    // Zero variance: x̂ = 0, so y = β exactly and rstd = 1/√eps.
    let (n, eps) = (5, 0.25);
    let x = vec![3.0f64; 2 * n];
    let b: Vec<f64> = (0..n).map(|j| j as f64).collect();
    let (mut y, mut m, mut r) = (vec![0.0; 2 * n], vec![0.0; 2], vec![0.0; 2]);
    layer_norm_forward(&x, n, None, Some(&b), eps, &mut y, &mut m, &mut r);
    assert_eq!(&y[n..], &b[..]);
    assert_eq!(m, vec![3.0, 3.0]);
    assert_eq!(r, vec![2.0, 2.0]);
}
