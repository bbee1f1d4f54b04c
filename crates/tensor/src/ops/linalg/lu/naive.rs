//! Gaussian elimination with partial pivoting, one column at a time (right-looking, rank-1
//! updates): the oracle for the blocked factorisation.

/// The outcome of an in-place LU factorisation `P·A = L·U`.
#[derive(Clone, Debug, PartialEq)]
pub struct Factored {
    /// Row `i` of `P·A` is row `perm[i]` of `A`.
    pub perm: Vec<usize>,
    /// Whether `P` is an odd permutation (the determinant changes sign).
    pub odd: bool,
    /// The first column whose pivot was exactly zero (the matrix is singular), if any.
    pub zero_pivot: Option<usize>,
}

/// Factors the row-major `n × n` matrix `a` in place: afterwards its strict lower triangle
/// holds L (unit diagonal, not stored) and its upper triangle U. A zero pivot column is left as
/// it is and the elimination goes on, as LAPACK's `getrf` does, so the determinant still
/// comes out (as zero).
pub fn factor(a: &mut [f64], n: usize) -> Factored {
    let mut perm: Vec<usize> = (0..n).collect();
    let mut odd = false;
    let mut zero_pivot = None;
    for j in 0..n {
        // The largest magnitude in column j at or below the diagonal keeps |L| ≤ 1.
        let mut pivot = j;
        for i in j + 1..n {
            if a[i * n + j].abs() > a[pivot * n + j].abs() {
                pivot = i;
            }
        }
        if pivot != j {
            for c in 0..n {
                a.swap(j * n + c, pivot * n + c);
            }
            perm.swap(j, pivot);
            odd = !odd;
        }
        let d = a[j * n + j];
        if d == 0.0 {
            zero_pivot.get_or_insert(j);
            continue;
        }
        for i in j + 1..n {
            let factor = a[i * n + j] / d;
            a[i * n + j] = factor;
            for c in j + 1..n {
                a[i * n + c] -= factor * a[j * n + c];
            }
        }
    }
    Factored { perm, odd, zero_pivot }
}
