//! The checks of chapter 2's exercises. `cargo test -p ch02-autograd --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex2_3_...`
//! checks exercise 2.3).

use ch02_autograd::checked::*;
use ch02_autograd::Tape;
use kindling_autograd::Variable;
use kindling_tensor::tolerance::{assert_close, Tolerance};
use kindling_tensor::{Rng, Tensor};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn ex2_1_central_difference() {
    let d = central_difference(|x| x * x * x, 2.0, 1e-5); // 3x² = 12
    assert!(close(d, 12.0, 1e-8), "got {d}");
    let d = central_difference(f64::exp, 0.0, 1e-5);
    assert!(close(d, 1.0, 1e-9), "got {d}");
    // The error of a central difference shrinks like h²: ten times smaller h, about
    // a hundred times smaller error (while h is large enough that rounding does not
    // matter).
    let err = |h| (central_difference(f64::sin, 1.0, h) - 1f64.cos()).abs();
    let ratio = err(1e-2) / err(1e-3);
    assert!((90.0..110.0).contains(&ratio), "error ratio {ratio}");
}

#[test]
fn ex2_2_sin_5x3_by_hand() {
    let (y, dy) = sin_5x3_by_hand(1.0);
    assert!(close(y, 5f64.sin(), 1e-14));
    assert!(close(dy, 4.254932781948, 1e-11), "dy/dx at 1 is 15·cos 5, got {dy}");
    for x in [-1.3, -0.2, 0.0, 0.7, 1.1] {
        let (_, dy) = sin_5x3_by_hand(x);
        let numeric =
            ch02_autograd::central_difference(|x| (5.0 * x * x * x).sin(), x, 1e-6);
        assert!(close(dy, numeric, 1e-6), "x = {x}: {dy} vs {numeric}");
    }
}

#[test]
fn ex2_3_dual_numbers_give_the_course_fixture() {
    // y = (3x² + 1)² at x = 2: 169 and 312.
    let x = Dual::variable(2.0);
    let b = Dual::constant(3.0) * x * x + Dual::constant(1.0);
    let y = b * b;
    assert_eq!((y.value, y.deriv), (169.0, 312.0));
}

#[test]
fn ex2_3_dual_numbers_through_sin_and_exp() {
    let x = Dual::variable(1.0);
    let y = (Dual::constant(5.0) * x * x * x).sin();
    assert!(
        close(y.deriv, 15.0 * 5f64.cos(), 1e-12),
        "sin(5x³)' at 1: {}",
        y.deriv
    );
    // f(x) = x·e^x, f'(x) = (1 + x)·e^x.
    let x = Dual::variable(0.5);
    let y = x * x.exp();
    assert!(close(y.value, 0.5 * 0.5f64.exp(), 1e-14));
    assert!(close(y.deriv, 1.5 * 0.5f64.exp(), 1e-14));
}

#[test]
fn ex2_4_tape_tanh() {
    for x0 in [-2.0, -0.3, 0.0, 0.8, 3.0] {
        let mut tape = Tape::new();
        let x = tape.input(x0);
        let t = tape_tanh(&mut tape, x);
        let y = tape.mul(t, x); // y = x·tanh(x)
        let grads = tape.gradients(y);
        assert!(close(tape.value(t), f64::tanh(x0), 1e-15));
        let numeric = ch02_autograd::central_difference(|x| x * x.tanh(), x0, 1e-6);
        assert!(close(Tape::grad(&grads, x), numeric, 1e-7), "x = {x0}");
    }
    // tanh'(0) = 1: the steepest point of tanh has slope 1, not 0.25.
    let mut tape = Tape::new();
    let x = tape.input(0.0);
    let t = tape_tanh(&mut tape, x);
    assert_eq!(Tape::grad(&tape.gradients(t), x), 1.0);
}

#[test]
fn ex2_5_softmax_jacobian() {
    let j = softmax_jacobian(&[2.0, 1.0, 0.1]);
    let expected = [
        [0.2247186378, -0.1597636038, -0.0649550340],
        [-0.1597636038, 0.1836592254, -0.0238956216],
        [-0.0649550340, -0.0238956216, 0.0888506557],
    ];
    for (i, row) in expected.iter().enumerate() {
        for (k, want) in row.iter().enumerate() {
            assert!(
                (j[i][k] - want).abs() < 1e-9,
                "J[{i}][{k}] = {}, expected {want}",
                j[i][k]
            );
        }
    }
    // Large logits must not overflow; every row of the Jacobian sums to 0.
    let j = softmax_jacobian(&[1000.0, 999.0, -1000.0, 0.0]);
    for row in &j {
        assert!(
            row.iter().all(|v| v.is_finite())
                && row.iter().sum::<f64>().abs() < 1e-12
        );
    }
}

#[test]
fn ex2_6_dense_backward_matches_autograd() {
    let mut rng = Rng::seed(11);
    let x = Tensor::<f64>::randn([5, 4], &mut rng);
    let w = Tensor::<f64>::randn([4, 3], &mut rng);
    let b = Tensor::<f64>::randn([3], &mut rng);
    let dz = Tensor::<f64>::randn([5, 3], &mut rng);
    let (xv, wv, bv) = (
        Variable::param(x.clone()),
        Variable::param(w.clone()),
        Variable::param(b),
    );
    let z = &xv.matmul(&wv) + &bv;
    z.backward_with(&dz);
    let (dx, dw, db) = dense_backward(&x, &w, &dz);
    assert_eq!(
        (dx.shape(), dw.shape(), db.shape()),
        (&[5, 4][..], &[4, 3][..], &[3][..])
    );
    assert_close(&dx, &xv.grad().unwrap(), Tolerance::STRICT);
    assert_close(&dw, &wv.grad().unwrap(), Tolerance::STRICT);
    assert_close(&db, &bv.grad().unwrap(), Tolerance::STRICT);
}

#[test]
fn ex2_7_jacobian_by_reverse_mode() {
    // Softmax: the fixture again, now through the library.
    let j = jacobian(|z| z.softmax(-1), &Tensor::from([2.0, 1.0, 0.1]));
    assert_eq!(j.shape(), &[3, 3]);
    assert!((j.get(&[0, 0]) - 0.2247186378).abs() < 1e-9);
    assert!((j.get(&[2, 1]) + 0.0238956216).abs() < 1e-9);
    // A linear map x ↦ A·x has the Jacobian A.
    let a = Tensor::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let av = Variable::constant(a.clone());
    let j = jacobian(|x| av.matmul(x), &Tensor::from([0.3, -0.1, 2.0]));
    assert_close(&j, &a, Tolerance::STRICT);
    // An elementwise function has a diagonal Jacobian.
    let j = jacobian(|x| x.square(), &Tensor::from([1.0, -2.0]));
    assert_eq!(j.to_vec(), [2.0, 0.0, 0.0, -4.0]);
}
