//! Substitution, one row of the solution after another: the oracle for the blocked solves.
//!
//! Every function solves in place: `b` (row-major `n × k`, `k` right-hand sides side by side)
//! becomes `x`. The diagonal is assumed non-zero; the public API checks it first.

/// `L·X = B` for a lower-triangular `n × n` `l` (entries above the diagonal are not read).
/// With `unit_diagonal`, the diagonal is taken to be ones and not read either (the L of LU).
pub fn solve_lower(l: &[f64], n: usize, b: &mut [f64], k: usize, unit_diagonal: bool) {
    for i in 0..n {
        for j in 0..i {
            let factor = l[i * n + j];
            for c in 0..k {
                b[i * k + c] -= factor * b[j * k + c];
            }
        }
        if !unit_diagonal {
            let d = l[i * n + i];
            b[i * k..(i + 1) * k].iter_mut().for_each(|x| *x /= d);
        }
    }
}

/// `U·X = B` for an upper-triangular `n × n` `u` (entries below the diagonal are not read).
pub fn solve_upper(u: &[f64], n: usize, b: &mut [f64], k: usize) {
    for i in (0..n).rev() {
        for j in i + 1..n {
            let factor = u[i * n + j];
            for c in 0..k {
                b[i * k + c] -= factor * b[j * k + c];
            }
        }
        let d = u[i * n + i];
        b[i * k..(i + 1) * k].iter_mut().for_each(|x| *x /= d);
    }
}

/// `Lᵀ·X = B` for a lower-triangular `l`, reading `l` by columns instead of transposing it
/// (the second half of a Cholesky solve).
pub fn solve_lower_transposed(l: &[f64], n: usize, b: &mut [f64], k: usize) {
    for i in (0..n).rev() {
        for j in i + 1..n {
            let factor = l[j * n + i];
            for c in 0..k {
                b[i * k + c] -= factor * b[j * k + c];
            }
        }
        let d = l[i * n + i];
        b[i * k..(i + 1) * k].iter_mut().for_each(|x| *x /= d);
    }
}
