//! `linalg::{eigh, eigvalsh, svd, svdvals, pinv, matrix_rank, cond, vector_norm, matrix_norm}`:
//! against NumPy/LAPACK fixtures in f64 (random, ill-conditioned, rank-deficient, repeated
//! eigenvalues), fast against naive at awkward sizes, and the errors.
//!
//! Vectors are compared up to sign, and only where the gap to the neighbouring values makes
//! them well determined: a perturbation ε‖A‖ turns a vector by about ε‖A‖/gap, in LAPACK as
//! here. Everything is also checked for what defines it: reconstruction and orthogonality.

use kindling_tensor::linalg::{self, LinalgError, MatrixNorm};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use serde_json::Value;

const MODES: [KernelMode; 2] = [KernelMode::Naive, KernelMode::Fast];

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/linalg_spectral/spectral.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn usize_of(v: &Value) -> usize {
    v.as_u64().unwrap() as usize
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Column `j` of a row-major `rows × cols` buffer.
fn column(x: &[f64], cols: usize, j: usize) -> Vec<f64> {
    x.iter().skip(j).step_by(cols).copied().collect()
}

/// ‖QᵀQ − I‖_max for the columns of a row-major `rows × cols` matrix.
fn orthogonality_error(q: &[f64], rows: usize, cols: usize) -> f64 {
    let mut worst = 0.0f64;
    for i in 0..cols {
        for j in 0..cols {
            let d: f64 = (0..rows).map(|r| q[r * cols + i] * q[r * cols + j]).sum();
            worst = worst.max((d - if i == j { 1.0 } else { 0.0 }).abs());
        }
    }
    worst
}

/// The smallest distance from `values[j]` to another value (infinite when alone).
fn gap(values: &[f64], j: usize) -> f64 {
    values.iter().enumerate().filter(|&(i, _)| i != j).map(|(_, v)| (v - values[j]).abs()).fold(f64::INFINITY, f64::min)
}

/// Compares vector `ours` with `theirs` up to sign, to a tolerance set by the gap.
fn assert_same_direction(what: &str, ours: &[f64], theirs: &[f64], scale: f64, gap: f64) {
    let tol = 1e-12 + 1e-13 * scale / gap;
    if tol > 1e-4 {
        return; // Not determined by the matrix to any useful precision.
    }
    let sign = if ours.iter().zip(theirs).map(|(a, b)| a * b).sum::<f64>() < 0.0 { -1.0 } else { 1.0 };
    let flipped: Vec<f64> = ours.iter().map(|x| sign * x).collect();
    let err = max_abs_diff(&flipped, theirs);
    assert!(err <= tol, "{what}: vector differs from NumPy's by {err:e} (tolerance {tol:e})");
}

fn check_eigh(what: &str, a: &[f64], n: usize, eig: &linalg::Eigh<f64>, scale: f64) {
    let (w, v) = (eig.values.to_vec(), eig.vectors.to_vec());
    assert!(w.windows(2).all(|p| p[0] <= p[1]), "{what}: values not ascending: {w:?}");
    let orth = orthogonality_error(&v, n, n);
    assert!(orth < 1e-12 * (n as f64).max(1.0), "{what}: VᵀV − I off by {orth:e}");
    // A·V = V·diag(w).
    for (j, &wj) in w.iter().enumerate() {
        let vj = column(&v, n, j);
        for i in 0..n {
            let av: f64 = (0..n).map(|k| a[i * n + k] * vj[k]).sum();
            let err = (av - wj * vj[i]).abs();
            assert!(err < 1e-13 * scale * n as f64 + 1e-300, "{what}: (A·v − λ·v)[{i}] = {err:e} for λ{j}");
        }
        let largest = vj.iter().copied().fold(0.0f64, |b, x| if x.abs() > b.abs() { x } else { b });
        assert!(largest > 0.0, "{what}: vector {j}'s largest component is {largest}, not positive");
    }
}

fn check_svd(what: &str, a: &[f64], m: usize, n: usize, svd: &linalg::Svd<f64>) {
    let p = m.min(n);
    assert_eq!(svd.u.shape(), &[m, p], "{what}: u");
    assert_eq!(svd.s.shape(), &[p], "{what}: s");
    assert_eq!(svd.vt.shape(), &[p, n], "{what}: vt");
    let (u, s, vt) = (svd.u.to_vec(), svd.s.to_vec(), svd.vt.to_vec());
    assert!(s.windows(2).all(|w| w[0] >= w[1]) && s.iter().all(|&x| x >= 0.0), "{what}: s = {s:?}");
    let scale = s.first().copied().unwrap_or(0.0);
    assert!(orthogonality_error(&u, m, p) < 1e-12 * m as f64, "{what}: UᵀU ≠ I");
    let v: Vec<f64> = (0..n).flat_map(|i| (0..p).map(move |j| (i, j))).map(|(i, j)| vt[j * n + i]).collect();
    assert!(orthogonality_error(&v, n, p) < 1e-12 * n as f64, "{what}: V·Vᵀ ≠ I");
    for i in 0..m {
        for j in 0..n {
            let rec: f64 = (0..p).map(|k| u[i * p + k] * s[k] * vt[k * n + j]).sum();
            let err = (rec - a[i * n + j]).abs();
            assert!(err < 1e-13 * scale * (m + n) as f64 + 1e-300, "{what}: (U·S·Vᵀ − A)[{i}, {j}] = {err:e}");
        }
    }
}

#[test]
fn eigh_matches_numpy_on_the_fixtures() {
    let fx = fixture();
    for case in fx["symmetric"].as_array().unwrap() {
        let (name, n) = (case["name"].as_str().unwrap(), usize_of(&case["n"]));
        let a = floats(&case["a"]);
        let (w_np, v_np) = (floats(&case["values"]), floats(&case["vectors"]));
        let scale = w_np.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for mode in MODES {
            let what = format!("eigh {name} ({mode:?})");
            let t = Tensor::from_vec(a.clone(), [n, n]);
            let eig = with_kernel_mode(mode, || linalg::eigh(&t)).unwrap();
            let w = eig.values.to_vec();
            let err = max_abs_diff(&w, &w_np);
            assert!(err <= 1e-14 * scale * n as f64 + 1e-300, "{what}: values off NumPy's by {err:e}");
            let values_only = with_kernel_mode(mode, || linalg::eigvalsh(&t)).unwrap().to_vec();
            assert!(max_abs_diff(&values_only, &w_np) <= 1e-14 * scale * n as f64, "{what}: eigvalsh");
            check_eigh(&what, &a, n, &eig, scale);
            for j in 0..n {
                let (ours, theirs) = (column(&eig.vectors.to_vec(), n, j), column(&v_np, n, j));
                assert_same_direction(&format!("{what} vector {j}"), &ours, &theirs, scale, gap(&w_np, j));
            }
        }
    }
}

#[test]
fn svd_and_what_is_built_on_it_match_numpy() {
    let fx = fixture();
    for case in fx["general"].as_array().unwrap() {
        let (name, m, n) = (case["name"].as_str().unwrap(), usize_of(&case["m"]), usize_of(&case["n"]));
        let a = floats(&case["a"]);
        let (u_np, s_np, vt_np) = (floats(&case["u"]), floats(&case["s"]), floats(&case["vt"]));
        let p = m.min(n);
        let scale = s_np[0];
        for mode in MODES {
            let what = format!("svd {name} ({mode:?})");
            let t = Tensor::from_vec(a.clone(), [m, n]);
            let svd = with_kernel_mode(mode, || linalg::svd(&t)).unwrap();
            let s = svd.s.to_vec();
            let err = max_abs_diff(&s, &s_np);
            assert!(err <= 1e-14 * scale * (m + n) as f64, "{what}: s off NumPy's by {err:e}: {s:?} vs {s_np:?}");
            check_svd(&what, &a, m, n, &svd);
            let (u, vt) = (svd.u.to_vec(), svd.vt.to_vec());
            for j in 0..p {
                // A vector paired with a (near) zero singular value is any unit vector of a
                // subspace; the value itself bounds how well it is determined.
                let g = gap(&s_np, j).min(s_np[j]);
                assert_same_direction(&format!("{what} u{j}"), &column(&u, p, j), &column(&u_np, p, j), scale, g);
                assert_same_direction(
                    &format!("{what} v{j}"),
                    &vt[j * n..(j + 1) * n],
                    &vt_np[j * n..(j + 1) * n],
                    scale,
                    g,
                );
            }
            let sv = with_kernel_mode(mode, || linalg::svdvals(&t)).unwrap().to_vec();
            assert!(max_abs_diff(&sv, &s_np) <= 1e-14 * scale * (m + n) as f64, "{what}: svdvals");
            let rank = with_kernel_mode(mode, || linalg::matrix_rank(&t, None)).unwrap();
            assert_eq!(rank, usize_of(&case["rank"]), "{what}: matrix_rank");
            // pinv amplifies errors by cond²; compare relative to its own size.
            let pinv = with_kernel_mode(mode, || linalg::pinv(&t, None)).unwrap();
            assert_eq!(pinv.shape(), &[n, m], "{what}: pinv shape");
            let pinv_np = floats(&case["pinv"]);
            let pinv_scale = pinv_np.iter().fold(0.0f64, |mx, v| mx.max(v.abs()));
            let cond_np = case["cond"].as_f64().unwrap_or(f64::INFINITY);
            let rel = max_abs_diff(&pinv.to_vec(), &pinv_np) / pinv_scale;
            let pinv_tol = if rank == p { 1e-14 * cond_np.min(1e16) * (m + n) as f64 } else { 1e-12 * (m + n) as f64 };
            assert!(rel <= pinv_tol.max(1e-12), "{what}: pinv off NumPy's by {rel:e} relative");
            let cond = with_kernel_mode(mode, || linalg::cond(&t)).unwrap();
            if rank == p {
                let rel = (cond - cond_np).abs() / cond_np;
                assert!(rel <= 1e-14 * cond_np * (m + n) as f64, "{what}: cond {cond:e} vs NumPy's {cond_np:e}");
            } else {
                assert!(cond > 1e14, "{what}: cond of a rank-deficient matrix is {cond:e}");
            }
            let norms = &case["norms"];
            for (ord, key) in [
                (MatrixNorm::Frobenius, "fro"),
                (MatrixNorm::Nuclear, "nuc"),
                (MatrixNorm::One, "one"),
                (MatrixNorm::Inf, "inf"),
                (MatrixNorm::Two, "two"),
            ] {
                let ours = with_kernel_mode(mode, || linalg::matrix_norm(&t, ord));
                let theirs = norms[key].as_f64().unwrap();
                assert!((ours - theirs).abs() <= 1e-13 * theirs, "{what}: {ord:?} norm {ours} vs NumPy's {theirs}");
            }
        }
    }
}

#[test]
fn vector_norms_match_numpy() {
    let fx = fixture();
    let v = &fx["vector"];
    let x = Tensor::from_vec(floats(&v["x"]), [11]);
    for (ord, want) in v["ords"].as_array().unwrap().iter().zip(floats(&v["norms"])) {
        let ord = match ord.as_str() {
            Some("inf") => f64::INFINITY,
            Some("-inf") => f64::NEG_INFINITY,
            _ => ord.as_f64().unwrap(),
        };
        let got = linalg::vector_norm(&x, ord);
        assert!((got - want).abs() <= 1e-14 * want.max(1.0), "vector_norm ord {ord}: {got} vs NumPy's {want}");
    }
    // Squaring 3e200 overflows; scaling by the largest entry first does not (NumPy says inf).
    let big = Tensor::from([3e200f64, 4e200]);
    assert!((linalg::vector_norm(&big, 2.0) / 5e200 - 1.0).abs() < 1e-15);
    assert_eq!(linalg::vector_norm(&Tensor::<f64>::zeros([0]), 2.0), 0.0);
}

/// A random symmetric matrix whose eigenvalues are spread over `decades` decades.
fn random_symmetric(n: usize, seed: u64) -> Vec<f64> {
    let x = Tensor::<f64>::randn([n, n], &mut Rng::seed(seed)).to_vec();
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = 0.5 * (x[i * n + j] + x[j * n + i]);
        }
    }
    a
}

#[test]
fn fast_eigh_agrees_with_naive_at_awkward_sizes() {
    for (seed, n) in [1usize, 2, 7, 33, 65, 130].into_iter().enumerate() {
        let a = random_symmetric(n, seed as u64);
        let t = Tensor::from_vec(a.clone(), [n, n]);
        let naive = with_kernel_mode(KernelMode::Naive, || linalg::eigh(&t)).unwrap();
        let fast = with_kernel_mode(KernelMode::Fast, || linalg::eigh(&t)).unwrap();
        let (wn, wf) = (naive.values.to_vec(), fast.values.to_vec());
        let scale = wn.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = max_abs_diff(&wf, &wn);
        assert!(err <= 1e-14 * scale * n as f64, "eigh {n}x{n}: fast values off naive by {err:e}");
        check_eigh(&format!("eigh {n}x{n} fast"), &a, n, &fast, scale);
        check_eigh(&format!("eigh {n}x{n} naive"), &a, n, &naive, scale);
        for j in 0..n {
            let (f, nv) = (column(&fast.vectors.to_vec(), n, j), column(&naive.vectors.to_vec(), n, j));
            assert_same_direction(&format!("eigh {n}x{n} vector {j}: fast vs naive"), &f, &nv, scale, gap(&wn, j));
        }
    }
}

#[test]
fn fast_svd_agrees_with_naive_at_awkward_sizes() {
    let shapes = [(1, 1), (2, 2), (7, 7), (33, 33), (65, 65), (130, 130), (1, 7), (7, 2), (65, 33), (33, 130)];
    for (seed, &(m, n)) in shapes.iter().enumerate() {
        let a = Tensor::<f64>::randn([m, n], &mut Rng::seed(100 + seed as u64));
        let values = a.to_vec();
        let naive = with_kernel_mode(KernelMode::Naive, || linalg::svd(&a)).unwrap();
        let fast = with_kernel_mode(KernelMode::Fast, || linalg::svd(&a)).unwrap();
        let (sn, sf) = (naive.s.to_vec(), fast.s.to_vec());
        let err = max_abs_diff(&sf, &sn);
        assert!(err <= 1e-14 * sn[0] * (m + n) as f64, "svd {m}x{n}: fast s off naive by {err:e}");
        check_svd(&format!("svd {m}x{n} fast"), &values, m, n, &fast);
        check_svd(&format!("svd {m}x{n} naive"), &values, m, n, &naive);
        for j in 0..m.min(n) {
            let (vf, vn) = (fast.vt.to_vec(), naive.vt.to_vec());
            assert_same_direction(
                &format!("svd {m}x{n} v{j}: fast vs naive"),
                &vf[j * n..(j + 1) * n],
                &vn[j * n..(j + 1) * n],
                sn[0],
                gap(&sn, j),
            );
        }
    }
}

#[test]
fn ill_conditioned_and_rank_deficient_svd_keeps_the_small_singular_values() {
    // A = U·diag(s)·Vᵀ with s from 1 down to 1e-12: the Gram matrix AᵀA would lose every value
    // below 1e-8; the Jacobi pass on A·V must not.
    let (m, n) = (90, 40);
    let mut rng = Rng::seed(7);
    let (q1, _) = linalg::qr(&Tensor::<f64>::randn([m, n], &mut rng));
    let (q2, _) = linalg::qr(&Tensor::<f64>::randn([n, n], &mut rng));
    let s: Vec<f64> = (0..n).map(|i| 10f64.powf(-12.0 * i as f64 / (n - 1) as f64)).collect();
    let a = (&q1 * &Tensor::from_vec(s.clone(), [1, n])).matmul(&q2.t());
    for mode in MODES {
        let got = with_kernel_mode(mode, || linalg::svdvals(&a)).unwrap().to_vec();
        for (g, w) in got.iter().zip(&s) {
            // Absolute accuracy ε·s_max, as LAPACK's: relative 1e-4 on the 1e-12 value.
            assert!((g - w).abs() <= 1e-15 * 40.0, "{mode:?}: singular value {g:e}, built with {w:e}");
        }
        let svd = with_kernel_mode(mode, || linalg::svd(&a)).unwrap();
        check_svd(&format!("cond 1e12 {mode:?}"), &a.to_vec(), m, n, &svd);
    }
    // Rank 5 out of 40 columns, and an all-zero matrix.
    let low = Tensor::<f64>::randn([60, 5], &mut rng).matmul(&Tensor::<f64>::randn([5, 40], &mut rng));
    let zero = Tensor::<f64>::zeros([4, 3]);
    for mode in MODES {
        assert_eq!(with_kernel_mode(mode, || linalg::matrix_rank(&low, None)).unwrap(), 5, "{mode:?}");
        let svd = with_kernel_mode(mode, || linalg::svd(&low)).unwrap();
        check_svd(&format!("rank 5 {mode:?}"), &low.to_vec(), 60, 40, &svd);
        let svd = with_kernel_mode(mode, || linalg::svd(&zero)).unwrap();
        assert_eq!(svd.s.to_vec(), vec![0.0; 3]);
        check_svd(&format!("zero {mode:?}"), &zero.to_vec(), 4, 3, &svd);
        assert_eq!(with_kernel_mode(mode, || linalg::cond(&zero)).unwrap(), f64::INFINITY);
        assert_eq!(with_kernel_mode(mode, || linalg::pinv(&zero, None)).unwrap().to_vec(), vec![0.0; 12]);
    }
}

#[test]
fn extreme_scales_neither_overflow_nor_underflow() {
    let base = Tensor::from([[2.0f64, 1.0], [1.0, 3.0]]);
    let want = linalg::eigvalsh(&base).unwrap().to_vec();
    for factor in [1e300, 1e-300] {
        let a = &base * factor;
        for mode in MODES {
            let got = with_kernel_mode(mode, || linalg::eigvalsh(&a)).unwrap().to_vec();
            for (g, w) in got.iter().zip(&want) {
                assert!((g / factor - w).abs() < 1e-14, "{mode:?} ×{factor:e}: {g:e}");
            }
            let s = with_kernel_mode(mode, || linalg::svdvals(&a)).unwrap().to_vec();
            assert!((s[0] / factor - want[1]).abs() < 1e-14, "{mode:?} svd ×{factor:e}: {s:?}");
        }
    }
}

#[test]
fn f32_inputs_are_computed_in_f64() {
    let a = Tensor::from([[4.0f32, 1.0], [1.0, 4.0]]);
    let eig = linalg::eigh(&a).unwrap();
    assert_eq!(eig.values.to_vec(), vec![3.0f32, 5.0]);
    let s = linalg::svdvals(&a).unwrap().to_vec();
    assert_eq!(s, vec![5.0f32, 3.0]);
}

#[test]
fn non_finite_input_is_an_error_that_says_so() {
    let mut bad = Tensor::<f64>::eye(3).to_vec();
    bad[4] = f64::NAN;
    let nan = Tensor::from_vec(bad, [3, 3]);
    let inf = Tensor::from([[1.0f64, f64::INFINITY], [0.0, 1.0]]);
    for mode in MODES {
        let err = with_kernel_mode(mode, || linalg::eigh(&nan)).unwrap_err();
        assert_eq!(err, LinalgError::NonFinite { op: "eigh" });
        assert_eq!(err.to_string(), "eigh: the matrix holds a NaN or an infinity");
        let err = with_kernel_mode(mode, || linalg::svd(&inf)).unwrap_err();
        assert_eq!(err.to_string(), "svd: the matrix holds a NaN or an infinity");
        for (err, op) in [
            (with_kernel_mode(mode, || linalg::eigvalsh(&nan)).unwrap_err(), "eigvalsh"),
            (with_kernel_mode(mode, || linalg::svdvals(&nan)).unwrap_err(), "svdvals"),
            (with_kernel_mode(mode, || linalg::pinv(&inf, None)).unwrap_err(), "pinv"),
            (with_kernel_mode(mode, || linalg::matrix_rank(&inf, None)).unwrap_err(), "matrix_rank"),
            (with_kernel_mode(mode, || linalg::cond(&nan)).unwrap_err(), "cond"),
        ] {
            assert_eq!(err, LinalgError::NonFinite { op });
        }
        assert!(with_kernel_mode(mode, || linalg::matrix_norm(&nan, MatrixNorm::Two)).is_nan());
    }
    assert_eq!(
        LinalgError::NoConvergence { op: "eigh", iterations: 60 }.to_string(),
        "eigh: did not converge after 60 iterations"
    );
}

#[test]
#[should_panic(expected = "eigh: expects a square 2-D tensor, got shape [2, 3]")]
fn eigh_of_a_non_square_matrix_panics_with_the_shape() {
    let _ = linalg::eigh(&Tensor::<f64>::zeros([2, 3]));
}

#[test]
#[should_panic(expected = "svd: expects a 2-D tensor, got shape [4]")]
fn svd_of_a_vector_panics_with_the_shape() {
    let _ = linalg::svd(&Tensor::<f64>::zeros([4]));
}

#[test]
#[should_panic(expected = "matrix_norm: expects a 2-D tensor, got shape [2, 2, 2]")]
fn matrix_norm_of_a_3d_tensor_panics_with_the_shape() {
    let _ = linalg::matrix_norm(&Tensor::<f64>::zeros([2, 2, 2]), MatrixNorm::One);
}

#[test]
fn empty_matrices_decompose_to_empty_factors() {
    let eig = linalg::eigh(&Tensor::<f64>::zeros([0, 0])).unwrap();
    assert_eq!((eig.values.shape(), eig.vectors.shape()), (&[0][..], &[0, 0][..]));
    let svd = linalg::svd(&Tensor::<f64>::zeros([0, 3])).unwrap();
    assert_eq!((svd.u.shape(), svd.s.shape(), svd.vt.shape()), (&[0, 0][..], &[0][..], &[0, 3][..]));
    assert_eq!(linalg::matrix_rank(&Tensor::<f64>::zeros([3, 0]), None).unwrap(), 0);
}

/// Spectra that stress the fast path's inverse iteration: many equal eigenvalues (a low-rank
/// Gram matrix, the identity plus a rank-one term), Wilkinson's matrix (pairs equal to 1e-14),
/// and a graded diagonal. Checked by residual and orthogonality, and values against naive.
#[test]
fn fast_eigh_handles_clusters_and_near_ties() {
    let mut rng = Rng::seed(11);
    let n = 130;
    let low = Tensor::<f64>::randn([n, 4], &mut rng);
    let gram = low.matmul(&low.t());
    let u = Tensor::<f64>::randn([n, 1], &mut rng);
    let identity_plus = &Tensor::<f64>::eye(n) + &u.matmul(&u.t());
    let m: usize = 21;
    let wilkinson = Tensor::from_vec(
        (0..m * m)
            .map(|k| {
                let (i, j) = (k / m, k % m);
                if i == j {
                    (i as f64 - 10.0).abs()
                } else if i.abs_diff(j) == 1 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect(),
        [m, m],
    );
    let graded = Tensor::from_vec(
        (0..40 * 40usize)
            .map(|k| {
                if k / 40 == k % 40 {
                    10f64.powi(-((k / 40) as i32) / 3)
                } else {
                    1e-3 / (1 + k / 40 + k % 40) as f64
                }
            })
            .collect(),
        [40, 40],
    );
    for (name, a) in
        [("rank-4 Gram", gram), ("identity + rank one", identity_plus), ("Wilkinson 21", wilkinson), ("graded", graded)]
    {
        let size = a.shape()[0];
        let values = a.to_vec();
        let fast = with_kernel_mode(KernelMode::Fast, || linalg::eigh(&a)).unwrap();
        let naive = with_kernel_mode(KernelMode::Naive, || linalg::eigvalsh(&a)).unwrap().to_vec();
        let scale = naive.iter().fold(0.0f64, |mx, v| mx.max(v.abs()));
        let err = max_abs_diff(&fast.values.to_vec(), &naive);
        assert!(err <= 1e-14 * scale * size as f64, "{name}: fast values off naive by {err:e}");
        check_eigh(name, &values, size, &fast, scale);
    }
}

/// Many small random shapes on both paths, including duplicated columns (exact rank loss)
/// and integer matrices (exact ties): reconstruction and orthogonality every time.
#[test]
fn small_random_shapes_decompose_on_both_paths() {
    let mut rng = Rng::seed(2024);
    for case in 0..60 {
        let m = 1 + (rng.next_u64() % 12) as usize;
        let n = 1 + (rng.next_u64() % 12) as usize;
        let mut values = Tensor::<f64>::randn([m, n], &mut rng).to_vec();
        if case % 3 == 1 && n > 1 {
            for i in 0..m {
                values[i * n + n - 1] = values[i * n]; // a repeated column
            }
        }
        if case % 3 == 2 {
            values.iter_mut().for_each(|v| *v = (*v * 2.0).round());
        }
        let a = Tensor::from_vec(values.clone(), [m, n]);
        let sym: Vec<f64> =
            (0..n * n).map(|k| values[(k / n) % m * n + k % n] + values[(k % n) % m * n + k / n]).collect();
        for mode in MODES {
            let svd = with_kernel_mode(mode, || linalg::svd(&a)).unwrap();
            check_svd(&format!("case {case} {m}x{n} {mode:?}"), &values, m, n, &svd);
            let eig = with_kernel_mode(mode, || linalg::eigh(&Tensor::from_vec(sym.clone(), [n, n]))).unwrap();
            let scale = eig.values.to_vec().iter().fold(0.0f64, |mx, v| mx.max(v.abs())).max(1e-300);
            check_eigh(&format!("case {case} sym {n} {mode:?}"), &sym, n, &eig, scale);
        }
    }
}

/// As NumPy's `eigh`, only the lower triangle is read: whatever is above the diagonal (here
/// NaN and noise) changes nothing.
#[test]
fn eigh_reads_only_the_lower_triangle() {
    let n = 70;
    let sym = random_symmetric(n, 5);
    let mut lower_only = sym.clone();
    for i in 0..n {
        for j in i + 1..n {
            lower_only[i * n + j] = if (i + j) % 7 == 0 { f64::NAN } else { 1e3 * (i as f64 - j as f64) };
        }
    }
    for mode in MODES {
        let want = with_kernel_mode(mode, || linalg::eigh(&Tensor::from_vec(sym.clone(), [n, n]))).unwrap();
        let got = with_kernel_mode(mode, || linalg::eigh(&Tensor::from_vec(lower_only.clone(), [n, n]))).unwrap();
        assert_eq!(got.values.to_vec(), want.values.to_vec(), "{mode:?}: values");
        assert_eq!(got.vectors.to_vec(), want.vectors.to_vec(), "{mode:?}: vectors");
    }
}
