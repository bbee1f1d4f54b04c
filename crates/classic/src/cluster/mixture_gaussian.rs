//! The Gaussian arithmetic behind [`GaussianMixture`](super::GaussianMixture), in
//! scikit-learn's parameterisation: each component keeps the Cholesky factor of its
//! *precision* (inverse covariance), so a log density is a product and a sum of squares,
//! log N(x | μ, Σ) = −½ (d ln 2π + ‖(x − μ)ᵀ P‖²) + Σ ln diag(P) with P Pᵀ = Σ⁻¹.
//!
//! Shapes of the covariance-like buffers, by [`Covariance`]: Full `k·d·d` (one matrix per
//! component), Tied `d·d` (one shared), Diag `k·d`, Spherical `k` (one variance each).
//!
//! Versions of the log-density step (the cost of each EM iteration):
//! - v1 naive ([`KernelMode::Naive`]): Σⱼ ((x − μ)ᵀP)ⱼ² by loops over rows, components and
//!   features.
//! - v2 fast: the products through the GEMM: for Full/Tied `X·P − μ·P` (one `[n, d] × [d, d]`
//!   product per component); for Diag/Spherical the expanded square
//!   Σ μ²·prec − 2 X·(μ·prec)ᵀ + X²·precᵀ, two `[n, d] × [d, k]` products for all components.

use kindling_tensor::{kernel_mode, linalg, KernelMode, Tensor};

/// The shape of each component's covariance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Covariance {
    /// A full covariance matrix per component.
    Full,
    /// One full covariance matrix shared by all components.
    Tied,
    /// A diagonal covariance (one variance per feature) per component.
    Diag,
    /// One variance per component, the same for every feature.
    Spherical,
}

impl Covariance {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Covariance::Full => "full",
            Covariance::Tied => "tied",
            Covariance::Diag => "diag",
            Covariance::Spherical => "spherical",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Covariance> {
        [Covariance::Full, Covariance::Tied, Covariance::Diag, Covariance::Spherical]
            .into_iter()
            .find(|c| c.as_str() == text)
    }

    /// The tensor shape of the covariances (or precisions) for k components of d features.
    pub(crate) fn shape(self, k: usize, d: usize) -> Vec<usize> {
        match self {
            Covariance::Full => vec![k, d, d],
            Covariance::Tied => vec![d, d],
            Covariance::Diag => vec![k, d],
            Covariance::Spherical => vec![k],
        }
    }

    /// Free parameters of the covariances (for BIC and AIC).
    pub(crate) fn parameters(self, k: usize, d: usize) -> usize {
        match self {
            Covariance::Full => k * d * (d + 1) / 2,
            Covariance::Tied => d * (d + 1) / 2,
            Covariance::Diag => k * d,
            Covariance::Spherical => k,
        }
    }
}

/// The rows, `[n, d]`, as a tensor and a slice, and their elementwise squares (used by every
/// Diag/Spherical E- and M-step, so made once).
pub(crate) struct Data {
    pub(crate) x: Tensor<f64>,
    squares: Tensor<f64>,
    pub(crate) n: usize,
    pub(crate) d: usize,
}

impl Data {
    pub(crate) fn new(values: Vec<f64>, n: usize, d: usize) -> Self {
        let squares = Tensor::from_vec(values.iter().map(|v| v * v).collect(), [n, d]);
        Data { x: Tensor::from_vec(values, [n, d]), squares, n, d }
    }

    pub(crate) fn values(&self) -> &[f64] {
        self.x.as_slice().expect("Data holds a fresh contiguous tensor")
    }
}

fn product(a: &Tensor<f64>, b: &Tensor<f64>) -> Vec<f64> {
    a.matmul(b).contiguous().to_vec()
}

/// The M-step's estimates from responsibilities `resp` (`[n, k]`): the soft counts, means
/// (`k·d`) and covariances (with `reg` added to their diagonals).
pub(crate) fn estimate(
    data: &Data,
    resp: &[f64],
    k: usize,
    reg: f64,
    cov: Covariance,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (n, d, x) = (data.n, data.d, data.values());
    // The 10·ε keeps an empty component's count away from 0, as scikit-learn.
    let mut nk = vec![10.0 * f64::EPSILON; k];
    for row in resp.chunks(k) {
        nk.iter_mut().zip(row).for_each(|(s, r)| *s += r);
    }
    let resp_t = Tensor::from_vec(resp.to_vec(), [n, k]).t();
    let mut means = product(&resp_t, &data.x);
    for (c, mean) in means.chunks_mut(d.max(1)).enumerate() {
        mean.iter_mut().for_each(|m| *m /= nk[c]);
    }
    let covariances = match cov {
        Covariance::Full => {
            let mut out = Vec::with_capacity(k * d * d);
            for c in 0..k {
                let mu = &means[c * d..(c + 1) * d];
                let diff: Vec<f64> = x.chunks(d).flat_map(|row| row.iter().zip(mu).map(|(v, m)| v - m)).collect();
                let weighted: Vec<f64> =
                    diff.chunks(d).enumerate().flat_map(|(i, r)| r.iter().map(move |v| v * resp[i * k + c])).collect();
                let mut m = product(&Tensor::from_vec(weighted, [n, d]).t(), &Tensor::from_vec(diff, [n, d]));
                m.iter_mut().for_each(|v| *v /= nk[c]);
                (0..d).for_each(|j| m[j * d + j] += reg);
                out.extend(m);
            }
            out
        }
        Covariance::Tied => {
            let mut m = product(&data.x.t(), &data.x);
            for c in 0..k {
                let mu = &means[c * d..(c + 1) * d];
                for a in 0..d {
                    for b in 0..d {
                        m[a * d + b] -= nk[c] * mu[a] * mu[b];
                    }
                }
            }
            let total: f64 = nk.iter().sum();
            m.iter_mut().for_each(|v| *v /= total);
            (0..d).for_each(|j| m[j * d + j] += reg);
            m
        }
        Covariance::Diag | Covariance::Spherical => {
            let mut m = product(&resp_t, &data.squares);
            for c in 0..k {
                for j in 0..d {
                    m[c * d + j] = m[c * d + j] / nk[c] - means[c * d + j] * means[c * d + j] + reg;
                }
            }
            if cov == Covariance::Spherical {
                m.chunks(d.max(1)).map(|v| v.iter().sum::<f64>() / d as f64).collect()
            } else {
                m
            }
        }
    };
    (nk, means, covariances)
}

/// The Cholesky factors of the precisions from covariances; `None` when a covariance is not
/// positive definite.
pub(crate) fn precision_cholesky(covariances: &[f64], k: usize, d: usize, cov: Covariance) -> Option<Vec<f64>> {
    match cov {
        Covariance::Full | Covariance::Tied => {
            let count = if cov == Covariance::Full { k } else { 1 };
            let mut out = Vec::with_capacity(count * d * d);
            for m in covariances.chunks(d * d).take(count) {
                let l = linalg::cholesky(&Tensor::from_vec(m.to_vec(), [d, d])).ok()?;
                // P = (L⁻¹)ᵀ, so P Pᵀ = (L Lᵀ)⁻¹.
                let inverse = linalg::solve_triangular(&l, &Tensor::<f64>::eye(d), true).ok()?;
                out.extend(inverse.t().contiguous().to_vec());
            }
            Some(out)
        }
        Covariance::Diag | Covariance::Spherical => {
            if covariances.iter().any(|&v| v <= 0.0 || !v.is_finite()) {
                return None;
            }
            Some(covariances.iter().map(|v| 1.0 / v.sqrt()).collect())
        }
    }
}

/// The factors from given precisions (a user's starting point): Cholesky for Full/Tied, square
/// roots otherwise; `None` when one is not positive definite.
pub(crate) fn cholesky_of_precisions(precisions: &[f64], k: usize, d: usize, cov: Covariance) -> Option<Vec<f64>> {
    match cov {
        Covariance::Full | Covariance::Tied => {
            let count = if cov == Covariance::Full { k } else { 1 };
            let mut out = Vec::with_capacity(count * d * d);
            for m in precisions.chunks(d * d).take(count) {
                out.extend(linalg::cholesky(&Tensor::from_vec(m.to_vec(), [d, d])).ok()?.to_vec());
            }
            Some(out)
        }
        Covariance::Diag | Covariance::Spherical => {
            if precisions.iter().any(|&v| v <= 0.0 || !v.is_finite()) {
                return None;
            }
            Some(precisions.iter().map(|v| v.sqrt()).collect())
        }
    }
}

/// log N(xᵢ | μ_c, Σ_c) for every row and component, `[n, k]` (weights not included).
pub(crate) fn log_gaussian(data: &Data, means: &[f64], prec_chol: &[f64], k: usize, cov: Covariance) -> Vec<f64> {
    let (n, d) = (data.n, data.d);
    let log_det: Vec<f64> = (0..k)
        .map(|c| match cov {
            Covariance::Full => (0..d).map(|j| prec_chol[c * d * d + j * d + j].ln()).sum(),
            Covariance::Tied => (0..d).map(|j| prec_chol[j * d + j].ln()).sum(),
            Covariance::Diag => prec_chol[c * d..(c + 1) * d].iter().map(|p| p.ln()).sum(),
            Covariance::Spherical => d as f64 * prec_chol[c].ln(),
        })
        .collect();
    let squares = match kernel_mode() {
        KernelMode::Naive => naive_squares(data, means, prec_chol, k, cov),
        KernelMode::Fast => fast_squares(data, means, prec_chol, k, cov),
    };
    let constant = d as f64 * (2.0 * std::f64::consts::PI).ln();
    (0..n * k).map(|at| -0.5 * (constant + squares[at]) + log_det[at % k]).collect()
}

/// The factor P of component c as a d × d row-major slice (Full, Tied).
fn factor_of(prec_chol: &[f64], c: usize, d: usize, cov: Covariance) -> &[f64] {
    if cov == Covariance::Tied {
        prec_chol
    } else {
        &prec_chol[c * d * d..(c + 1) * d * d]
    }
}

/// v1: ‖(xᵢ − μ_c)ᵀ P_c‖² by direct loops, `[n, k]`.
fn naive_squares(data: &Data, means: &[f64], prec_chol: &[f64], k: usize, cov: Covariance) -> Vec<f64> {
    let (n, d, x) = (data.n, data.d, data.values());
    let mut out = vec![0.0; n * k];
    for i in 0..n {
        let row = &x[i * d..(i + 1) * d];
        for c in 0..k {
            let mu = &means[c * d..(c + 1) * d];
            out[i * k + c] = match cov {
                Covariance::Full | Covariance::Tied => {
                    let p = factor_of(prec_chol, c, d, cov);
                    (0..d).map(|b| (0..d).map(|a| (row[a] - mu[a]) * p[a * d + b]).sum::<f64>().powi(2)).sum()
                }
                Covariance::Diag => (0..d).map(|j| ((row[j] - mu[j]) * prec_chol[c * d + j]).powi(2)).sum(),
                Covariance::Spherical => (0..d).map(|j| (row[j] - mu[j]).powi(2)).sum::<f64>() * prec_chol[c].powi(2),
            };
        }
    }
    out
}

/// v2: the same through the GEMM, in scikit-learn's arrangement.
fn fast_squares(data: &Data, means: &[f64], prec_chol: &[f64], k: usize, cov: Covariance) -> Vec<f64> {
    let (n, d) = (data.n, data.d);
    let mut out = vec![0.0; n * k];
    match cov {
        Covariance::Full | Covariance::Tied => {
            for c in 0..k {
                let p = Tensor::from_vec(factor_of(prec_chol, c, d, cov).to_vec(), [d, d]);
                let y = product(&data.x, &p);
                let shift = product(&Tensor::from_vec(means[c * d..(c + 1) * d].to_vec(), [1, d]), &p);
                for (i, row) in y.chunks(d).enumerate() {
                    out[i * k + c] = row.iter().zip(&shift).map(|(a, b)| (a - b) * (a - b)).sum();
                }
            }
        }
        Covariance::Diag | Covariance::Spherical => {
            // prec[c, j]: the per-feature precision of each component.
            let prec: Vec<f64> = match cov {
                Covariance::Diag => prec_chol.iter().map(|p| p * p).collect(),
                _ => (0..k * d).map(|at| prec_chol[at / d].powi(2)).collect(),
            };
            let scaled: Vec<f64> = means.iter().zip(&prec).map(|(m, p)| m * p).collect();
            let cross = product(&data.x, &Tensor::from_vec(scaled, [k, d]).t());
            let quad = product(&data.squares, &Tensor::from_vec(prec.clone(), [k, d]).t());
            let constant: Vec<f64> =
                (0..k).map(|c| (0..d).map(|j| means[c * d + j].powi(2) * prec[c * d + j]).sum()).collect();
            for at in 0..n * k {
                out[at] = constant[at % k] - 2.0 * cross[at] + quad[at];
            }
        }
    }
    out
}
