//! Test tools shared by the test suites of this crate and of the crates above it (behind the
//! `testing` cargo feature; not part of the library's API).
//!
//! - [`Plan`], [`Kind`] and the `arb_*` strategies: inputs whose layout is drawn (dense, or a view
//!   built so that it reads as the wanted shape), each labelled with how it was made;
//! - [`AWKWARD_LENGTHS`] and the shape tables ([`AWKWARD_SHAPES`], [`BROADCAST_PAIRS`],
//!   [`MATMUL_SIZES`]): sizes that fall off the edges of vector widths and cache blocks;
//! - [`config`], [`check_close`], [`indices`] and value helpers used by every property test.
//!
//! ```
//! use kindling_tensor::testing::{Kind, Plan};
//! use kindling_tensor::Rng;
//!
//! let mut rng = Rng::seed(1);
//! let x = Plan::new(vec![3, 4], Kind::Transposed, &mut rng).build_with(&mut rng, |r| r.uniform_f64());
//! assert_eq!(x.t.shape(), &[3, 4]);
//! assert!(!x.t.is_contiguous(), "{}", x.how);
//! ```

mod layout;

pub use layout::*;

use crate::tolerance::first_mismatch;
use crate::{Element, Rng, Tensor, Tolerance};
use proptest::prelude::*;

/// 1-D lengths that break blocking assumptions: empty, one, primes on either side of the vector
/// widths and block sizes (63, 65, 257, 4099), and one well above the threading threshold.
pub const AWKWARD_LENGTHS: [usize; 8] = [0, 1, 7, 63, 65, 257, 4099, crate::ops::simd::PAR_THRESHOLD * 3 + 5];

/// Shapes that break blocking and vector-width assumptions, rank 1 to 4.
pub const AWKWARD_SHAPES: &[&[usize]] =
    &[&[1], &[7], &[63], &[65], &[257], &[7, 65], &[65, 7], &[1, 257, 1], &[3, 5, 17], &[2, 3, 4, 5], &[5, 1, 63]];

/// Operand shapes that broadcast in every way the fast walker special-cases: equal, a scalar
/// on either side, a row or a column broadcast, both broadcast, leading axes added.
pub const BROADCAST_PAIRS: &[(&[usize], &[usize])] = &[
    (&[7], &[7]),
    (&[63], &[]),
    (&[], &[65]),
    (&[257], &[1]),
    (&[65, 7], &[7]),
    (&[7, 65], &[7, 1]),
    (&[1, 63], &[65, 1]),
    (&[3, 1, 17], &[5, 1]),
    (&[2, 3, 4, 5], &[3, 1, 5]),
    (&[257, 3], &[257, 3]),
];

/// `(m, k, n)` of matrix products: ones, primes around SIMD widths and block edges, tall, wide,
/// and one product above the GEMM threading threshold (129·257·65 > 2^20 multiply-adds).
pub const MATMUL_SIZES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (1, 7, 1),
    (7, 1, 7),
    (7, 63, 65),
    (65, 7, 63),
    (63, 65, 7),
    (1, 257, 1),
    (257, 1, 7),
    (17, 257, 33),
    (64, 64, 64),
    (129, 257, 65),
];

/// f32 values in a moderate range.
pub fn f32s() -> impl Strategy<Value = f32> + Clone {
    -8.0f32..8.0
}

pub fn f64s() -> impl Strategy<Value = f64> + Clone {
    -8.0f64..8.0
}

/// Small integers stored as f32: every sum, product of two, and running sum of a few thousand
/// of them is exact in any order, so results may be compared exactly.
pub fn small_int_f32s() -> impl Strategy<Value = f32> + Clone {
    (-4i32..=4).prop_map(|v| v as f32)
}

/// A uniform draw in `[lo, hi)` as any float element.
pub fn uniform<T: Element>(rng: &mut Rng, lo: f64, hi: f64) -> T {
    T::from_f64(lo + (hi - lo) * rng.uniform_f64())
}

/// A uniform integer in `lo..=hi` as any element.
pub fn int<T: Element>(rng: &mut Rng, lo: i64, hi: i64) -> T {
    T::from_f64((lo + rng.below((hi - lo + 1) as u64) as i64) as f64)
}

/// The proptest configuration every property uses: enough cases to find layout bugs, few
/// enough to keep the suite fast; no regression files (the seeds are printed on failure).
pub fn config() -> ProptestConfig {
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(64) }
}

/// Every index of `shape` in row-major order.
pub fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for &d in shape {
        out = out.into_iter().flat_map(|p| (0..d).map(move |i| [p.clone(), vec![i]].concat())).collect();
    }
    out
}

/// Comparison with no slack at all (NaN matches NaN, infinities must be equal, -0 equals 0).
pub const EXACT: Tolerance = Tolerance { atol: 0.0, rtol: 0.0 };

/// Panics with `what` and the first mismatch unless `actual` is within `tol` of `expected`.
#[track_caller]
pub fn check_close<T: Element>(what: &str, actual: &Tensor<T>, expected: &Tensor<T>, tol: Tolerance) {
    if let Some(msg) = first_mismatch(actual, expected, tol) {
        panic!("{what}: {msg}");
    }
}
