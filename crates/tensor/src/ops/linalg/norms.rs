//! Vector and matrix norms, with NumPy's meanings of the orders.

use super::spectral;
use crate::shape::dims_str;
use crate::{Float, Tensor};

/// The `ord`-norm of all the elements of `x` taken as one vector (any shape).
///
/// `ord` is `f64::INFINITY` (largest magnitude), `f64::NEG_INFINITY` (smallest), `0` (the
/// count of non-zeros), `1`, `2` or any other `p` (`(Σ|xᵢ|ᵖ)^(1/p)`). The 2-norm scales by the
/// largest magnitude first, so it neither overflows nor underflows where the result fits.
///
/// ```
/// use kindling_tensor::{linalg, Tensor};
///
/// let x = Tensor::from([3.0f64, -4.0]);
/// assert_eq!(linalg::vector_norm(&x, 2.0), 5.0);
/// assert_eq!(linalg::vector_norm(&x, 1.0), 7.0);
/// assert_eq!(linalg::vector_norm(&x, f64::INFINITY), 4.0);
/// ```
pub fn vector_norm<T: Float>(x: &Tensor<T>, ord: f64) -> T {
    let v: Vec<f64> = x.to_vec().into_iter().map(|e| e.to_f64().abs()).collect();
    let result = if ord == f64::INFINITY {
        v.iter().copied().fold(0.0, f64::max)
    } else if ord == f64::NEG_INFINITY {
        assert!(
            !v.is_empty(),
            "vector_norm: ord = -inf of an empty tensor (shape {}) is undefined",
            dims_str(x.shape())
        );
        v.iter().copied().fold(f64::INFINITY, f64::min)
    } else if ord == 0.0 {
        v.iter().filter(|&&e| e != 0.0).count() as f64
    } else if ord == 1.0 {
        v.iter().sum()
    } else if ord == 2.0 {
        let max = v.iter().copied().fold(0.0, f64::max);
        if max == 0.0 || !max.is_finite() {
            max
        } else {
            max * v.iter().map(|e| (e / max).powi(2)).sum::<f64>().sqrt()
        }
    } else {
        assert!(!ord.is_nan(), "vector_norm: ord is NaN");
        v.iter().map(|e| e.powf(ord)).sum::<f64>().powf(1.0 / ord)
    };
    T::from_f64(result)
}

/// Which matrix norm [`matrix_norm`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixNorm {
    /// `sqrt(Σ aᵢⱼ²)`.
    Frobenius,
    /// The sum of the singular values.
    Nuclear,
    /// The largest column sum of magnitudes.
    One,
    /// The largest row sum of magnitudes.
    Inf,
    /// The largest singular value.
    Two,
}

/// A norm of a 2-D tensor. The spectral ones (`Nuclear`, `Two`) run an SVD; for an input with
/// a NaN or an infinity they return NaN (the others propagate it as arithmetic does).
///
/// ```
/// use kindling_tensor::{linalg, linalg::MatrixNorm, Tensor};
///
/// let a = Tensor::from([[1.0f64, -2.0], [3.0, 4.0]]);
/// assert_eq!(linalg::matrix_norm(&a, MatrixNorm::One), 6.0);
/// assert_eq!(linalg::matrix_norm(&a, MatrixNorm::Inf), 7.0);
/// assert!((linalg::matrix_norm(&a, MatrixNorm::Frobenius) - 30f64.sqrt()).abs() < 1e-12);
/// ```
pub fn matrix_norm<T: Float>(a: &Tensor<T>, ord: MatrixNorm) -> T {
    if a.rank() != 2 {
        panic!("matrix_norm: expects a 2-D tensor, got shape {}", dims_str(a.shape()));
    }
    let (m, n) = (a.shape()[0], a.shape()[1]);
    let v: Vec<f64> = a.to_vec().into_iter().map(T::to_f64).collect();
    let result = match ord {
        MatrixNorm::Frobenius => {
            let max = v.iter().fold(0.0f64, |m, e| m.max(e.abs()));
            if max == 0.0 || !max.is_finite() {
                max
            } else {
                max * v.iter().map(|e| (e / max).powi(2)).sum::<f64>().sqrt()
            }
        }
        MatrixNorm::One => (0..n).map(|j| (0..m).map(|i| v[i * n + j].abs()).sum::<f64>()).fold(0.0, f64::max),
        MatrixNorm::Inf => {
            (0..m).map(|i| v[i * n..(i + 1) * n].iter().map(|e| e.abs()).sum::<f64>()).fold(0.0, f64::max)
        }
        MatrixNorm::Two | MatrixNorm::Nuclear => match spectral::svdvals(&Tensor::from_vec(v, [m, n])) {
            Ok(s) if ord == MatrixNorm::Two => s.to_vec().first().copied().unwrap_or(0.0),
            Ok(s) => s.to_vec().iter().sum(),
            Err(_) => f64::NAN,
        },
    };
    T::from_f64(result)
}
