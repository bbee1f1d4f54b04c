//! Support vector machines trained by SMO.
//!
//! [`Svc`] is C-support vector classification as libsvm (and scikit-learn's `SVC`) computes
//! it: the dual problem solved by SMO with second-order working-set selection (libsvm's WSS 2)
//! and shrinking, a kernel cache of kernel rows computed through the GEMM (files `smo.rs`,
//! `cache.rs`, `kernel.rs`), one-vs-one or one-vs-rest for several classes.
//!
//! Naive and fast paths (DESIGN.md, `kernel_mode()`): in `KernelMode::Naive` the solver asks
//! for every kernel entry from the kernel's definition, one at a time with no cache, and
//! prediction sums kernel values in loops; in `KernelMode::Fast` kernel rows come in blocks
//! from the GEMM, are kept in an LRU cache, and prediction is two matrix products. Both run
//! the same SMO steps, so they reach the same α up to rounding.

pub(crate) mod cache;
pub(crate) mod kernel;
mod persist;
pub(crate) mod smo;
mod svc;
mod train;

pub use svc::Svc;

/// The kernel k(x, z). `gamma` comes from [`Gamma`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kernel {
    /// ⟨x, z⟩.
    Linear,
    /// (gamma·⟨x, z⟩ + coef0)^degree.
    Poly {
        /// The power (scikit-learn's default is 3).
        degree: u32,
        /// The constant added inside (scikit-learn's default is 0).
        coef0: f64,
    },
    /// exp(−gamma·‖x − z‖²).
    Rbf,
    /// tanh(gamma·⟨x, z⟩ + coef0).
    Sigmoid {
        /// The constant added inside.
        coef0: f64,
    },
}

/// The kernel's gamma, as scikit-learn's `gamma`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gamma {
    /// 1 / (n_features · Var(X)), the variance over all entries of the training `x` (1 when
    /// that variance is 0).
    Scale,
    /// 1 / n_features.
    Auto,
    /// A given positive value.
    Value(f64),
}

/// How several classes are split into binary problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultiClass {
    /// One problem per pair of classes, k(k−1)/2 in all; prediction by votes (libsvm's way).
    OneVsOne,
    /// One problem per class against all the others; prediction by the largest decision value.
    OneVsRest,
}
