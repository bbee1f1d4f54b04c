//! Named tolerances: `|got - want| <= atol + rtol * |want|`, and a comparison that reports the
//! first mismatching indices.

/// An absolute and a relative tolerance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Absolute part.
    pub atol: f64,
    /// Relative part, scaled by the reference value.
    pub rtol: f64,
}

impl Tolerance {
    /// Exact up to float rounding of a handful of operations (elementwise ops).
    pub const STRICT: Tolerance = Tolerance { atol: 1e-6, rtol: 1e-6 };
    /// FP32 kernels whose summation order differs from the reference's, or that use the
    /// fast `__expf`.
    pub const DEFAULT: Tolerance = Tolerance { atol: 1e-4, rtol: 1e-4 };
    /// Reduced precision: TF32 tensor-core products (10-bit mantissa) with FP32 sums.
    pub const TF32: Tolerance = Tolerance { atol: 1e-2, rtol: 1e-2 };

    /// [`Tolerance::TF32`] for a dot product of length `k` with inputs in `[-1, 1]`: the
    /// rounding errors of the TF32 operands add up like a random walk, so the absolute part
    /// grows with `sqrt(k)` (from 16 on).
    pub fn tf32_for_depth(k: usize) -> Tolerance {
        Tolerance::TF32.scaled_atol(((k as f64).sqrt() / 4.0).max(1.0))
    }

    /// Scales the absolute part, e.g. with the magnitude of a long sum.
    pub fn scaled_atol(self, factor: f64) -> Tolerance {
        Tolerance { atol: self.atol * factor, rtol: self.rtol }
    }

    /// Whether one value passes.
    pub fn accepts(self, got: f64, want: f64) -> bool {
        if got.is_nan() || want.is_nan() {
            return got.is_nan() && want.is_nan();
        }
        (got - want).abs() <= self.atol + self.rtol * want.abs()
    }
}

/// Compares `got` against `want`; on a mismatch returns a report naming `what`, the count and
/// the first few mismatching indices with both values.
pub fn compare(what: &str, got: &[f32], want: &[f32], tol: Tolerance) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("{what}: got {} values, expected {}", got.len(), want.len()));
    }
    let bad: Vec<usize> = (0..got.len()).filter(|&i| !tol.accepts(got[i] as f64, want[i] as f64)).collect();
    if bad.is_empty() {
        return Ok(());
    }
    let mut report = format!(
        "{what}: {} of {} values outside atol {:e} + rtol {:e}; first:",
        bad.len(),
        got.len(),
        tol.atol,
        tol.rtol
    );
    for &i in bad.iter().take(5) {
        report.push_str(&format!("\n  [{i}] got {} want {} (diff {:e})", got[i], want[i], (got[i] - want[i]).abs()));
    }
    Err(report)
}

/// [`compare`], panicking with the report.
#[track_caller]
pub fn assert_close(what: &str, got: &[f32], want: &[f32], tol: Tolerance) {
    if let Err(report) = compare(what, got, want, tol) {
        panic!("{report}");
    }
}
