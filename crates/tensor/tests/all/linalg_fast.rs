//! `linalg`'s blocked kernels against the naive ones (the oracle), at sizes that break
//! blocking assumptions: below, at and just past one block, and several blocks with a ragged
//! last one.

use super::linalg::{general, spd};
use kindling_tensor::linalg;
use kindling_tensor::{assert_close, with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};

const SIZES: [usize; 6] = [1, 7, 63, 65, 130, 257];

/// Runs `f` on both paths and compares the fast result with the naive one.
#[track_caller]
fn naive_vs_fast(what: &str, tol: Tolerance, f: impl Fn() -> Tensor<f64>) {
    let naive = with_kernel_mode(KernelMode::Naive, &f);
    let fast = with_kernel_mode(KernelMode::Fast, &f);
    if !fast.allclose(&naive, tol) {
        eprintln!("{what}: fast vs naive differ");
        assert_close(&fast, &naive, tol);
    }
}

fn tol(n: usize) -> Tolerance {
    Tolerance::new(1e-11 * n as f64, 1e-11 * n as f64)
}

#[test]
fn cholesky_and_cholesky_solve() {
    for n in SIZES {
        let a = spd(n, n as u64);
        naive_vs_fast(&format!("cholesky n={n}"), tol(n), || linalg::cholesky(&a).unwrap());
        let l = linalg::cholesky(&a).unwrap();
        for k in [1, 9, 70] {
            let b = Tensor::<f64>::randn([n, k], &mut Rng::seed(k as u64));
            naive_vs_fast(&format!("cholesky_solve n={n} k={k}"), tol(n), || linalg::cholesky_solve(&l, &b));
        }
    }
}

#[test]
fn lu_factors_and_determinant() {
    for n in SIZES {
        let a = general(n, 100 + n as u64);
        let naive = with_kernel_mode(KernelMode::Naive, || linalg::lu(&a).unwrap());
        let fast = with_kernel_mode(KernelMode::Fast, || linalg::lu(&a).unwrap());
        assert_eq!(fast.permutation(), naive.permutation(), "lu n={n}: pivots");
        assert_close(&fast.l(), &naive.l(), tol(n));
        assert_close(&fast.u(), &naive.u(), tol(n));
        let (naive_sign, naive_log) = with_kernel_mode(KernelMode::Naive, || linalg::slogdet(&a));
        let (fast_sign, fast_log) = with_kernel_mode(KernelMode::Fast, || linalg::slogdet(&a));
        assert_eq!(fast_sign, naive_sign, "slogdet n={n}: sign");
        assert!((fast_log - naive_log).abs() <= 1e-11 * naive_log.abs().max(1.0), "slogdet n={n}");
    }
}

#[test]
fn solve_and_inverse() {
    for n in SIZES {
        let a = general(n, 200 + n as u64);
        for k in [1, 9, 70] {
            let b = Tensor::<f64>::randn([n, k], &mut Rng::seed(k as u64));
            naive_vs_fast(&format!("solve n={n} k={k}"), tol(n), || linalg::solve(&a, &b).unwrap());
        }
        naive_vs_fast(&format!("inv n={n}"), tol(n), || linalg::inv(&a).unwrap());
    }
}

#[test]
fn triangular_solves_with_many_right_hand_sides() {
    for n in SIZES {
        // A well-conditioned triangle: the Cholesky factor of an SPD matrix.
        let l = linalg::cholesky(&spd(n, 300 + n as u64)).unwrap();
        let u = l.t().contiguous();
        for k in [1, 9, 130] {
            let b = Tensor::<f64>::randn([n, k], &mut Rng::seed(k as u64));
            naive_vs_fast(&format!("lower n={n} k={k}"), tol(n), || linalg::solve_triangular(&l, &b, true).unwrap());
            naive_vs_fast(&format!("upper n={n} k={k}"), tol(n), || linalg::solve_triangular(&u, &b, false).unwrap());
        }
    }
}

#[test]
fn lstsq_square_tall_wide_and_rank_deficient() {
    for n in [1, 7, 63, 65, 130] {
        let mut rng = Rng::seed(400 + n as u64);
        for (m, cols) in [(n, n), (2 * n, n), (n, 2 * n)] {
            let a = Tensor::<f64>::randn([m, cols], &mut rng);
            let b = Tensor::<f64>::randn([m, 3], &mut rng);
            naive_vs_fast(&format!("lstsq {m}x{cols}"), Tolerance::new(1e-9, 1e-9), || {
                linalg::lstsq(&a, &b, None).solution
            });
        }
        // Rank n/2 (at least 1): a product of two thin factors.
        let r = (n / 2).max(1);
        let a = Tensor::<f64>::randn([2 * n, r], &mut rng).matmul(&Tensor::randn([r, n], &mut rng));
        let b = Tensor::<f64>::randn([2 * n], &mut rng);
        let ranks = [KernelMode::Naive, KernelMode::Fast]
            .map(|mode| with_kernel_mode(mode, || linalg::lstsq(&a, &b, None).rank));
        assert_eq!(ranks, [r, r], "lstsq rank-deficient n={n}");
        naive_vs_fast(&format!("lstsq rank {r} of {n}"), Tolerance::new(1e-8, 1e-8), || {
            linalg::lstsq(&a, &b, None).solution
        });
    }
}
