//! `linalg`: the factorisations reproduce their matrix, the solvers their right-hand side, and
//! the errors say what went wrong. Checked on both kernel paths; NumPy fixtures are in
//! `linalg_numpy.rs`, fast against naive in `linalg_fast.rs`.

use kindling_tensor::linalg::{self, LinalgError};
use kindling_tensor::{assert_close, with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};

const MODES: [KernelMode; 2] = [KernelMode::Naive, KernelMode::Fast];

/// A random symmetric positive-definite matrix: `G·Gᵀ + n·I`.
pub fn spd(n: usize, seed: u64) -> Tensor<f64> {
    let g = Tensor::<f64>::randn([n, n], &mut Rng::seed(seed));
    g.matmul(&g.t()) + Tensor::eye(n) * n as f64
}

/// A random square matrix, comfortably non-singular: Gaussian plus `√n·I`, which keeps it
/// well conditioned without making pivoting pointless.
pub fn general(n: usize, seed: u64) -> Tensor<f64> {
    Tensor::<f64>::randn([n, n], &mut Rng::seed(seed)) + Tensor::eye(n) * (n as f64).sqrt()
}

/// The lower (`lower`) or upper triangle of a square matrix, the rest zeroed.
pub fn triangle(a: &Tensor<f64>, lower: bool) -> Tensor<f64> {
    let n = a.shape()[0];
    let values = a
        .to_vec()
        .iter()
        .enumerate()
        .map(|(i, &v)| if (i % n <= i / n) == lower || i % n == i / n { v } else { 0.0 })
        .collect();
    Tensor::from_vec(values, [n, n])
}

fn tol(n: usize) -> Tolerance {
    Tolerance::new(1e-10 * n as f64, 1e-10 * n as f64)
}

#[test]
fn cholesky_factor_reproduces_the_matrix() {
    for mode in MODES {
        for n in [1, 2, 7, 33] {
            let a = spd(n, n as u64);
            let l = with_kernel_mode(mode, || linalg::cholesky(&a)).unwrap();
            assert_close(&l.matmul(&l.t()), &a, tol(n));
            for i in 0..n {
                assert!(l.get(&[i, i]) > 0.0, "{mode:?} n={n}: L[{i},{i}]");
                for j in i + 1..n {
                    assert_eq!(l.get(&[i, j]), 0.0, "{mode:?} n={n}: L[{i},{j}] above the diagonal");
                }
            }
        }
    }
}

#[test]
fn cholesky_solve_and_solve_agree_with_the_right_hand_side() {
    for mode in MODES {
        for (n, k) in [(1, 1), (5, 3), (20, 1), (31, 8)] {
            let a = spd(n, 7 + n as u64);
            let b = Tensor::<f64>::randn([n, k], &mut Rng::seed(3));
            with_kernel_mode(mode, || {
                let l = linalg::cholesky(&a).unwrap();
                assert_close(&a.matmul(&linalg::cholesky_solve(&l, &b)), &b, tol(n));
                assert_close(&a.matmul(&linalg::solve(&a, &b).unwrap()), &b, tol(n));
            });
        }
    }
}

#[test]
fn a_vector_right_hand_side_gives_a_vector() {
    let a = general(6, 1);
    let b = Tensor::<f64>::randn([6], &mut Rng::seed(2));
    let x = linalg::solve(&a, &b).unwrap();
    assert_eq!(x.shape(), &[6]);
    let column = linalg::solve(&a, &b.reshape([6, 1])).unwrap();
    assert_close(&x, &column.reshape([6]), Tolerance::STRICT);
}

#[test]
fn triangular_solves_lower_and_upper() {
    for mode in MODES {
        let n = 9;
        let a = general(n, 4);
        let lower = triangle(&a, true);
        let upper = triangle(&a, false);
        let b = Tensor::<f64>::randn([n, 4], &mut Rng::seed(5));
        with_kernel_mode(mode, || {
            // The other triangle is garbage on purpose: it must not be read.
            let x = linalg::solve_triangular(&a, &b, true).unwrap();
            assert_close(&lower.matmul(&x), &b, tol(n));
            let x = linalg::solve_triangular(&a, &b, false).unwrap();
            assert_close(&upper.matmul(&x), &b, tol(n));
        });
    }
}

#[test]
fn lu_factors_reproduce_the_permuted_matrix_and_det_matches() {
    for mode in MODES {
        for n in [1, 3, 17] {
            let a = general(n, 11 + n as u64);
            let lu = with_kernel_mode(mode, || linalg::lu(&a)).unwrap();
            let pa: Vec<f64> = lu.permutation().iter().flat_map(|&r| a.to_vec()[r * n..(r + 1) * n].to_vec()).collect();
            assert_close(&lu.l().matmul(&lu.u()), &Tensor::from_vec(pa, [n, n]), tol(n));
            let det = with_kernel_mode(mode, || linalg::det(&a));
            assert!((lu.det() - det).abs() <= 1e-12 * det.abs(), "{mode:?} n={n}");
            let (sign, logabs) = with_kernel_mode(mode, || linalg::slogdet(&a));
            assert!((sign * logabs.exp() - det).abs() <= 1e-9 * det.abs(), "{mode:?} n={n}: slogdet vs det");
        }
    }
}

#[test]
fn det_of_known_matrices() {
    // Triangular: the product of the diagonal. A swap of two rows flips the sign.
    let t = Tensor::from([[2.0f64, 5.0, 1.0], [0.0, 3.0, 7.0], [0.0, 0.0, -4.0]]);
    assert!((linalg::det(&t) - -24.0).abs() < 1e-12);
    let swapped = Tensor::from([[0.0f64, 3.0, 7.0], [2.0, 5.0, 1.0], [0.0, 0.0, -4.0]]);
    assert!((linalg::det(&swapped) - 24.0).abs() < 1e-12);
    assert_eq!(linalg::det(&Tensor::from([[1.0f64, 2.0], [2.0, 4.0]])), 0.0);
    assert_eq!(linalg::slogdet(&Tensor::from([[1.0f64, 2.0], [2.0, 4.0]])), (0.0, f64::NEG_INFINITY));
}

#[test]
fn inverse_times_matrix_is_the_identity() {
    for mode in MODES {
        for n in [1, 4, 25] {
            let a = general(n, 20 + n as u64);
            let a_inv = with_kernel_mode(mode, || linalg::inv(&a)).unwrap();
            assert_close(&a.matmul(&a_inv), &Tensor::eye(n), tol(n));
        }
    }
}

#[test]
fn lstsq_of_a_consistent_full_rank_system_is_exact() {
    for mode in MODES {
        let a = Tensor::<f64>::randn([12, 4], &mut Rng::seed(9));
        let x_true = Tensor::<f64>::randn([4, 2], &mut Rng::seed(10));
        let b = a.matmul(&x_true);
        let fit = with_kernel_mode(mode, || linalg::lstsq(&a, &b, None));
        assert_eq!(fit.rank, 4);
        assert_close(&fit.solution, &x_true, tol(12));
        let residuals = fit.residuals.expect("full rank, tall: residuals");
        assert_eq!(residuals.shape(), &[2]);
        assert!(residuals.to_vec().iter().all(|&r| r < 1e-20), "{residuals:?}");
    }
}

#[test]
fn lstsq_residuals_are_orthogonal_to_the_columns() {
    for mode in MODES {
        let a = Tensor::<f64>::randn([15, 5], &mut Rng::seed(12));
        let b = Tensor::<f64>::randn([15], &mut Rng::seed(13));
        let fit = with_kernel_mode(mode, || linalg::lstsq(&a, &b, None));
        let r = &b - &a.matmul(&fit.solution);
        // The normal equations: Aᵀ(b − Ax) = 0.
        assert_close(&a.t().matmul(&r), &Tensor::zeros([5]), Tolerance::new(1e-12, 0.0));
        let ss: f64 = r.to_vec().iter().map(|v| v * v).sum();
        let residuals = fit.residuals.unwrap();
        assert_eq!(residuals.shape(), &[1]);
        assert!((residuals.to_vec()[0] - ss).abs() < 1e-12 * ss);
    }
}

#[test]
fn lstsq_of_a_rank_deficient_matrix_is_the_minimum_norm_solution() {
    for mode in MODES {
        // Columns 0 and 1 are equal: x0 + x1 is fixed, and the minimum norm splits it evenly.
        let a = Tensor::from([[1.0f64, 1.0, 0.0], [2.0, 2.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 3.0]]);
        let x_true = Tensor::from([1.5f64, 1.5, -2.0]);
        let b = a.matmul(&Tensor::from([3.0f64, 0.0, -2.0]));
        let fit = with_kernel_mode(mode, || linalg::lstsq(&a, &b, None));
        assert_eq!(fit.rank, 2);
        assert!(fit.residuals.is_none());
        assert_close(&fit.solution, &x_true, Tolerance::new(1e-12, 1e-12));
    }
}

#[test]
fn lstsq_of_a_wide_system_is_the_minimum_norm_solution() {
    for mode in MODES {
        // One equation, two unknowns: x + y = 2, smallest norm at (1, 1).
        let fit = with_kernel_mode(mode, || linalg::lstsq(&Tensor::from([[1.0f64, 1.0]]), &Tensor::from([2.0]), None));
        assert_eq!(fit.rank, 1);
        assert_close(&fit.solution, &Tensor::from([1.0, 1.0]), Tolerance::STRICT);
    }
}

#[test]
fn singular_and_indefinite_matrices_are_errors_with_clear_messages() {
    let singular = Tensor::from([[1.0f64, 2.0], [2.0, 4.0]]);
    for mode in MODES {
        with_kernel_mode(mode, || {
            let err = linalg::solve(&singular, &Tensor::from([1.0, 2.0])).unwrap_err();
            assert_eq!(err, LinalgError::Singular { op: "solve", index: 1 });
            assert_eq!(
                err.to_string(),
                "solve: the matrix is singular (zero pivot at 1); use lstsq for a least-squares or minimum-norm solution"
            );
            assert_eq!(linalg::inv(&singular).unwrap_err(), LinalgError::Singular { op: "inv", index: 1 });
            assert_eq!(linalg::lu(&singular).unwrap_err(), LinalgError::Singular { op: "lu", index: 1 });
            let err = linalg::cholesky(&Tensor::from([[1.0f64, 2.0], [2.0, 1.0]])).unwrap_err();
            assert_eq!(err, LinalgError::NotPositiveDefinite { op: "cholesky", index: 1 });
            assert_eq!(
                err.to_string(),
                "cholesky: the matrix is not positive definite (leading minor 2 is not positive); add a small ridge to the diagonal or use an LU solve"
            );
            let err =
                linalg::solve_triangular(&Tensor::from([[1.0f64, 0.0], [3.0, 0.0]]), &Tensor::from([1.0, 1.0]), true)
                    .unwrap_err();
            assert_eq!(err, LinalgError::Singular { op: "solve_triangular", index: 1 });
            let err = linalg::cholesky(&Tensor::from([[f64::NAN, 0.0], [0.0, 1.0]])).unwrap_err();
            assert_eq!(err.to_string(), "cholesky: the matrix holds a NaN or an infinity");
        });
    }
}

#[test]
#[should_panic(expected = "solve: expects a square matrix, got shape [2, 3]")]
fn solve_with_a_non_square_matrix_panics() {
    let _ = linalg::solve(&Tensor::<f64>::zeros([2, 3]), &Tensor::zeros([2]));
}

#[test]
#[should_panic(expected = "solve: the right-hand side must have shape [3] or [3, k] to match the matrix, got [2]")]
fn solve_with_a_mismatched_right_hand_side_panics() {
    let _ = linalg::solve(&Tensor::<f64>::eye(3), &Tensor::zeros([2]));
}

#[test]
#[should_panic(expected = "lstsq: b must have shape [4] or [4, k] to match a of shape [4, 2], got [3, 1]")]
fn lstsq_with_a_mismatched_right_hand_side_panics() {
    let _ = linalg::lstsq(&Tensor::<f64>::zeros([4, 2]), &Tensor::zeros([3, 1]), None);
}

#[test]
#[should_panic(expected = "cholesky: the matrix must be a 2-D tensor, got shape [4]")]
fn cholesky_of_a_vector_panics() {
    let _ = linalg::cholesky(&Tensor::<f64>::zeros([4]));
}

#[test]
fn f32_inputs_are_computed_in_f64() {
    let a = Tensor::from([[4.0f32, 2.0], [2.0, 5.0]]);
    let x = linalg::solve(&a, &Tensor::from([8.0f32, 12.0])).unwrap();
    assert_close(&x, &Tensor::from([1.0f32, 2.0]), Tolerance::DEFAULT);
    assert_eq!(linalg::cholesky(&a).unwrap().to_vec(), vec![2.0f32, 0.0, 1.0, 2.0]);
}

#[test]
fn lstsq_of_a_nan_is_nan_not_zeros() {
    for mode in MODES {
        let a = Tensor::from([[1.0f64, f64::NAN], [0.0, 1.0], [1.0, 1.0]]);
        let fit = with_kernel_mode(mode, || linalg::lstsq(&a, &Tensor::from([1.0, 2.0, 3.0]), None));
        assert_eq!(fit.rank, 0);
        assert!(fit.solution.to_vec().iter().all(|v| v.is_nan()), "{mode:?}: {:?}", fit.solution);
        assert!(fit.residuals.is_none());
    }
}
