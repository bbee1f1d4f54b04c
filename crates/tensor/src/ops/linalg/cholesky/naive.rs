//! Cholesky–Banachiewicz, one entry of L at a time: the oracle for the blocked factorisation.

/// The lower factor L (row-major, zeros above the diagonal) of a symmetric positive-definite
/// `n × n` matrix, reading only the lower triangle of `a`. `Err(j)` when the pivot of column
/// `j` is not positive (or not a number): the leading minor of order `j + 1` is not positive.
pub fn factor(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|p| l[i * n + p] * l[j * n + p]).sum();
            let value = a[i * n + j] - dot;
            if i == j {
                // A NaN fails too.
                if value.is_nan() || value <= 0.0 {
                    return Err(j);
                }
                l[i * n + i] = value.sqrt();
            } else {
                l[i * n + j] = value / l[j * n + j];
            }
        }
    }
    Ok(l)
}
