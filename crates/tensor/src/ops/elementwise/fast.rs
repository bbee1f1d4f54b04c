//! Fast elementwise kernels over contiguous slices.
//!
//! # Version catalogue
//!
//! f32 [2048, 2048] (16 MiB per operand), GB/s read + written, 1 thread (1T) unless noted, on the
//! 2-core Zen 4 VM. Bench: `cargo run --release -- bench memory` (one row per op); criterion twin
//! `cargo bench -p kindling-tensor --bench memory -- <op>`. Only the last version runs today; how
//! each step works and what did not pay: `crates/tensor/NOTES.md`, "Elementwise".
//!
//! - v1 naive (`naive.rs`): one strided element at a time, the op matched inside the loop: add 0.9, exp 1.1 GB/s.
//! - v2 contiguous slices, the op hoisted out of the loop (SSE2 vectors): add ≈ 32 GB/s, memory-bound.
//! - v3 AVX-512/AVX2 copies picked at run time, exp/tanh/sigmoid/erf from `simd::math`: exp ≈ 31, erf ≈ 12.
//! - v4 threads above `simd::PAR_THRESHOLD`: add ≈ 27-31 GB/s on 2T (memory-bound), exp up to 60.
//! - v5 AVX-512 exp and sigmoid (`math::avx512`, `vscalefps`): exp 32 → 41, sigmoid 23.5 → 30 GB/s.
//! - v6 exp's polynomial as one Horner chain (6 FMAs instead of 7 ops): exp 38-42, sigmoid 27-32 GB/s.
//! - v7 erf as 32 table-driven degree-5 pieces (`vpermt2ps` on AVX-512): erf 12.2 → 30.9 GB/s.
//! - v8 binary ops write into memory not zeroed first (`binary_into`): add (op, allocates) 25.6 → 33.3.
//!
//! sin, cos, pow and rem still call the standard library per element (bit-exact with the
//! reference, threaded, not vectorized).

use super::{BinaryOp, UnaryOp};
use crate::dtype::{downcast_slice, downcast_slice_mut, Float, Numeric};
use crate::ops::simd::{level, math, multiversion, par_chunks_mut, Level, SimdFloat};
use std::mem::MaybeUninit;

/// Relative cost of one element of a unary op, in units of a plain streaming op, so that
/// heavy ops go parallel on shorter slices.
fn unary_cost(op: UnaryOp) -> usize {
    match op {
        UnaryOp::Neg | UnaryOp::Square | UnaryOp::Relu => 1,
        UnaryOp::Recip | UnaryOp::Sqrt => 2,
        UnaryOp::Exp | UnaryOp::Ln | UnaryOp::Ln1p | UnaryOp::Tanh | UnaryOp::Sigmoid | UnaryOp::Erf => 4,
        UnaryOp::Sin | UnaryOp::Cos => 16,
    }
}

fn binary_cost(op: BinaryOp) -> usize {
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Maximum | BinaryOp::Minimum => 1,
        BinaryOp::Div => 2,
        BinaryOp::Rem | BinaryOp::Pow => 16,
    }
}

/// `out[i] = op(x[i])`. `x` and `out` have the same length.
pub fn unary<T: Float>(op: UnaryOp, x: &[T], out: &mut [T]) {
    assert_eq!(x.len(), out.len(), "unary {}: input and output lengths differ", op.name());
    if let (Some(x), Some(out)) = (downcast_slice::<T, f32>(x), downcast_slice_mut::<T, f32>(out)) {
        return unary_simd(op, x, out);
    }
    if let (Some(x), Some(out)) = (downcast_slice::<T, f64>(x), downcast_slice_mut::<T, f64>(out)) {
        return unary_simd(op, x, out);
    }
    // No other Float type exists today; keep a correct path for one that might.
    par_chunks_mut(out, 1, x.len() * unary_cost(op), |start, out| {
        for (o, &v) in out.iter_mut().zip(&x[start..]) {
            *o = op.apply(v);
        }
    });
}

fn unary_simd<F: SimdFloat>(op: UnaryOp, x: &[F], out: &mut [F]) {
    #[cfg(target_arch = "x86_64")]
    if let (Some(x), Some(out)) = (downcast_slice::<F, f32>(x), downcast_slice_mut::<F, f32>(out)) {
        // Hand-written AVX-512 loops (bit-identical to the generic ones, see `simd::math::avx512`).
        type SliceFn = unsafe fn(&[f32], &mut [f32]);
        let slice_fn: Option<SliceFn> = match op {
            UnaryOp::Exp => Some(math::avx512::exp_slice),
            UnaryOp::Sigmoid => Some(math::avx512::sigmoid_slice),
            UnaryOp::Erf => Some(math::avx512::erf_slice),
            _ => None,
        };
        if let (Some(g), Level::Avx512) = (slice_fn, level()) {
            // SAFETY: `level()` only reports AVX-512F when the CPU has it.
            let f = |start: usize, out: &mut [f32]| unsafe { g(&x[start..start + out.len()], out) };
            return par_chunks_mut(out, 1, x.len() * unary_cost(op), f);
        }
    }
    par_chunks_mut(out, 1, x.len() * unary_cost(op), |start, out| unary_slice(op, &x[start..start + out.len()], out));
}

/// One loop per op, written inline (no closure call in the loop) so it vectorizes.
macro_rules! map1 {
    ($x:expr, $out:expr, |$v:ident| $e:expr) => {
        for (o, &$v) in $out.iter_mut().zip($x) {
            *o = $e;
        }
    };
}

multiversion! {
    fn unary_slice<F: SimdFloat>(op: UnaryOp, x: &[F], out: &mut [F]) {
        let out = &mut out[..x.len()];
        match op {
            // Exactly the reference expressions: bit-identical results.
            UnaryOp::Neg => map1!(x, out, |v| UnaryOp::Neg.apply(v)),
            UnaryOp::Square => map1!(x, out, |v| UnaryOp::Square.apply(v)),
            UnaryOp::Recip => map1!(x, out, |v| UnaryOp::Recip.apply(v)),
            UnaryOp::Sqrt => map1!(x, out, |v| UnaryOp::Sqrt.apply(v)),
            UnaryOp::Relu => map1!(x, out, |v| UnaryOp::Relu.apply(v)),
            // Vectorizable polynomials (a few ulp from the reference, see `simd::math`).
            UnaryOp::Exp => map1!(x, out, |v| v.exp_v()),
            UnaryOp::Ln => map1!(x, out, |v| v.ln_v()),
            UnaryOp::Ln1p => map1!(x, out, |v| v.ln_1p_v()),
            UnaryOp::Tanh => map1!(x, out, |v| v.tanh_v()),
            UnaryOp::Sigmoid => map1!(x, out, |v| v.sigmoid_v()),
            UnaryOp::Erf => map1!(x, out, |v| v.erf_v()),
            // Still the standard library (bit-exact, one element at a time).
            UnaryOp::Sin => map1!(x, out, |v| v.sin()),
            UnaryOp::Cos => map1!(x, out, |v| v.cos()),
        }
    }
}

/// `out` seen as memory the binary kernels only write (they never read it), so that an op can
/// hand them a fresh buffer without zeroing it first (see v8).
fn as_uninit<T>(out: &mut [T]) -> &mut [MaybeUninit<T>] {
    // SAFETY: MaybeUninit<T> has T's layout, and this module only stores valid T values through
    // the view (`MaybeUninit::write`), so `out` stays initialised.
    unsafe { &mut *(out as *mut [T] as *mut [MaybeUninit<T>]) }
}

/// `out[i] = op(a[i], b[i])`. All three have the same length.
pub fn binary<T: Numeric>(op: BinaryOp, a: &[T], b: &[T], out: &mut [T]) {
    binary_into(op, a, b, as_uninit(out));
}

/// `out[i] = op(a[i], b[i])`, `out` not necessarily initialised: every element gets written.
pub fn binary_into<T: Numeric>(op: BinaryOp, a: &[T], b: &[T], out: &mut [MaybeUninit<T>]) {
    assert!(
        a.len() == out.len() && b.len() == out.len(),
        "binary {}: lengths {}, {} and output {} differ",
        op.name(),
        a.len(),
        b.len(),
        out.len()
    );
    par_chunks_mut(out, 1, a.len() * binary_cost(op), |start, out| {
        let end = start + out.len();
        binary_slice(op, &a[start..end], &b[start..end], out)
    });
}

/// `out[i] = op(a[i], b)`: the right operand is broadcast.
pub fn binary_scalar_rhs<T: Numeric>(op: BinaryOp, a: &[T], b: T, out: &mut [T]) {
    binary_scalar_rhs_into(op, a, b, as_uninit(out));
}

/// [`binary_scalar_rhs`] into a buffer that need not be initialised.
pub fn binary_scalar_rhs_into<T: Numeric>(op: BinaryOp, a: &[T], b: T, out: &mut [MaybeUninit<T>]) {
    assert_eq!(a.len(), out.len(), "binary {}: input and output lengths differ", op.name());
    par_chunks_mut(out, 1, a.len() * binary_cost(op), |start, out| {
        binary_scalar_rhs_slice(op, &a[start..start + out.len()], b, out)
    });
}

/// `out[i] = op(a, b[i])`: the left operand is broadcast.
pub fn binary_scalar_lhs<T: Numeric>(op: BinaryOp, a: T, b: &[T], out: &mut [T]) {
    binary_scalar_lhs_into(op, a, b, as_uninit(out));
}

/// [`binary_scalar_lhs`] into a buffer that need not be initialised.
pub fn binary_scalar_lhs_into<T: Numeric>(op: BinaryOp, a: T, b: &[T], out: &mut [MaybeUninit<T>]) {
    assert_eq!(b.len(), out.len(), "binary {}: input and output lengths differ", op.name());
    par_chunks_mut(out, 1, b.len() * binary_cost(op), |start, out| {
        binary_scalar_lhs_slice(op, a, &b[start..start + out.len()], out)
    });
}

/// One loop per op over two input streams, each op spelled as in `BinaryOp::apply`.
macro_rules! each_binary_op {
    ($op:expr, |$x:ident, $y:ident| $loop:ident!($($args:tt)*)) => {
        match $op {
            BinaryOp::Add => $loop!($($args)*, |$x, $y| $x + $y),
            BinaryOp::Sub => $loop!($($args)*, |$x, $y| $x - $y),
            BinaryOp::Mul => $loop!($($args)*, |$x, $y| $x * $y),
            BinaryOp::Div => $loop!($($args)*, |$x, $y| $x / $y),
            BinaryOp::Rem => $loop!($($args)*, |$x, $y| $x % $y),
            BinaryOp::Pow => $loop!($($args)*, |$x, $y| $x.pow($y)),
            BinaryOp::Maximum => $loop!($($args)*, |$x, $y| $x.max_of($y)),
            BinaryOp::Minimum => $loop!($($args)*, |$x, $y| $x.min_of($y)),
        }
    };
}

macro_rules! zip2 {
    ($a:expr, $b:expr, $out:expr, |$x:ident, $y:ident| $e:expr) => {
        for ((o, &$x), &$y) in $out.iter_mut().zip($a).zip($b) {
            o.write($e);
        }
    };
}

macro_rules! map_rhs {
    ($a:expr, $b:expr, $out:expr, |$x:ident, $y:ident| $e:expr) => {{
        let $y = $b;
        for (o, &$x) in $out.iter_mut().zip($a) {
            o.write($e);
        }
    }};
}

macro_rules! map_lhs {
    ($a:expr, $b:expr, $out:expr, |$x:ident, $y:ident| $e:expr) => {{
        let $x = $a;
        for (o, &$y) in $out.iter_mut().zip($b) {
            o.write($e);
        }
    }};
}

multiversion! {
    fn binary_slice<T: Numeric>(op: BinaryOp, a: &[T], b: &[T], out: &mut [MaybeUninit<T>]) {
        let n = out.len();
        let (a, b) = (&a[..n], &b[..n]);
        each_binary_op!(op, |x, y| zip2!(a, b, out))
    }
}

multiversion! {
    fn binary_scalar_rhs_slice<T: Numeric>(op: BinaryOp, a: &[T], b: T, out: &mut [MaybeUninit<T>]) {
        let a = &a[..out.len()];
        each_binary_op!(op, |x, y| map_rhs!(a, b, out))
    }
}

multiversion! {
    fn binary_scalar_lhs_slice<T: Numeric>(op: BinaryOp, a: T, b: &[T], out: &mut [MaybeUninit<T>]) {
        let b = &b[..out.len()];
        each_binary_op!(op, |x, y| map_lhs!(a, b, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::simd::testing::{ulp_diff_f32, ulp_diff_f64, Lcg, AWKWARD_LENGTHS, SPECIAL_F32, SPECIAL_F64};
    use crate::ops::simd::{with_level, Level};

    const ALL_UNARY: [UnaryOp; 13] = [
        UnaryOp::Neg,
        UnaryOp::Square,
        UnaryOp::Recip,
        UnaryOp::Exp,
        UnaryOp::Ln,
        UnaryOp::Ln1p,
        UnaryOp::Sqrt,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tanh,
        UnaryOp::Sigmoid,
        UnaryOp::Relu,
        UnaryOp::Erf,
    ];
    const ALL_BINARY: [BinaryOp; 8] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
        BinaryOp::Pow,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
    ];

    /// The worst ulp bound of the polynomial math (`simd::math`, tanh); every other op must be
    /// bit-identical to `UnaryOp::apply`.
    const ULP_POLYNOMIAL: u64 = 3;
    /// Extra ulp allowed where the reference result is subnormal.
    const ULP_SUBNORMAL: u64 = 1;

    fn allowed_ulp(op: UnaryOp) -> u64 {
        match op {
            UnaryOp::Exp | UnaryOp::Ln | UnaryOp::Ln1p | UnaryOp::Tanh | UnaryOp::Sigmoid | UnaryOp::Erf => {
                ULP_POLYNOMIAL
            }
            _ => 0,
        }
    }

    /// Inputs with the special values mixed in among uniform values in [-12, 12].
    fn inputs_f64(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Lcg::new(seed);
        (0..n)
            .map(|i| if i % 11 == 5 { SPECIAL_F64[i / 11 % SPECIAL_F64.len()] } else { rng.uniform(-12.0, 12.0) })
            .collect()
    }
    fn inputs_f32(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = Lcg::new(seed);
        (0..n)
            .map(
                |i| if i % 11 == 5 { SPECIAL_F32[i / 11 % SPECIAL_F32.len()] } else { rng.uniform(-12.0, 12.0) as f32 },
            )
            .collect()
    }

    #[test]
    fn unary_f32_matches_reference_at_awkward_lengths() {
        for n in AWKWARD_LENGTHS {
            let x = inputs_f32(n, n as u64);
            for op in ALL_UNARY {
                let mut out = vec![f32::NAN; n];
                unary(op, &x, &mut out);
                for (i, (&v, &got)) in x.iter().zip(&out).enumerate() {
                    let want = op.apply(v);
                    let bound = allowed_ulp(op) + ULP_SUBNORMAL * (want.abs() < f32::MIN_POSITIVE) as u64;
                    let d = ulp_diff_f32(got, want);
                    assert!(d <= bound, "{} f32 n={n} at {i}: x={v:e} got {got:e} want {want:e} ({d} ulp)", op.name());
                }
            }
        }
    }

    #[test]
    fn unary_f64_matches_reference_at_awkward_lengths() {
        for n in AWKWARD_LENGTHS {
            let x = inputs_f64(n, n as u64 + 1);
            for op in ALL_UNARY {
                let mut out = vec![f64::NAN; n];
                unary(op, &x, &mut out);
                for (i, (&v, &got)) in x.iter().zip(&out).enumerate() {
                    let want = op.apply(v);
                    let bound = allowed_ulp(op) + ULP_SUBNORMAL * (want.abs() < f64::MIN_POSITIVE) as u64;
                    let d = ulp_diff_f64(got, want);
                    assert!(d <= bound, "{} f64 n={n} at {i}: x={v:e} got {got:e} want {want:e} ({d} ulp)", op.name());
                }
            }
        }
    }

    /// Every SIMD level computes the same bits (no FMA contraction differences, no reordering).
    #[test]
    fn every_simd_level_gives_identical_bits() {
        let x = inputs_f32(4099, 3);
        for op in ALL_UNARY {
            let run = |level| {
                let mut out = vec![0f32; x.len()];
                with_level(level, || unary(op, &x, &mut out));
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            let portable = run(Level::Portable);
            assert_eq!(run(Level::Avx2), portable, "{}", op.name());
            assert_eq!(run(Level::Avx512), portable, "{}", op.name());
        }
    }

    /// Bit equality, NaN equal to NaN.
    fn same<T: Numeric>(a: T, b: T) -> bool {
        a == b || (a.is_nan() && b.is_nan())
    }

    fn check_binary<T: Numeric>(a: &[T], b: &[T]) {
        let n = a.len();
        for op in ALL_BINARY {
            let mut out = vec![T::ZERO; n];
            binary(op, a, b, &mut out);
            for i in 0..n {
                let want = op.apply(a[i], b[i]);
                assert!(
                    same(out[i], want),
                    "{} {} n={n} at {i}: {} {} -> {} want {want}",
                    op.name(),
                    T::DTYPE,
                    a[i],
                    b[i],
                    out[i]
                );
            }
            if n == 0 {
                continue;
            }
            binary_scalar_rhs(op, a, b[0], &mut out);
            for i in 0..n {
                assert!(same(out[i], op.apply(a[i], b[0])), "{} rhs scalar {} at {i}", op.name(), T::DTYPE);
            }
            binary_scalar_lhs(op, a[0], b, &mut out);
            for i in 0..n {
                assert!(same(out[i], op.apply(a[0], b[i])), "{} lhs scalar {} at {i}", op.name(), T::DTYPE);
            }
        }
    }

    #[test]
    fn binary_floats_are_bit_exact_including_nan_and_signed_zeros() {
        for n in AWKWARD_LENGTHS {
            let (a, b) = (inputs_f32(n, 10), inputs_f32(n, 11));
            check_binary(&a, &b);
            let (a, b) = (inputs_f64(n, 12), inputs_f64(n, 13));
            check_binary(&a, &b);
        }
        // max/min with zeros of both signs and NaN on either side.
        let a = [0.0f32, -0.0, f32::NAN, 1.0, -0.0, f32::NAN];
        let b = [-0.0f32, 0.0, 1.0, f32::NAN, -0.0, f32::NAN];
        check_binary(&a, &b);
    }

    #[test]
    fn binary_integers_match_reference() {
        for n in AWKWARD_LENGTHS {
            let mut rng = Lcg::new(n as u64);
            // Divisors and exponents in [1, 5]; values small enough that nothing overflows.
            let a: Vec<i32> = (0..n).map(|_| rng.uniform(-100.0, 100.0) as i32).collect();
            let b: Vec<i32> = (0..n).map(|_| rng.uniform(1.0, 5.0) as i32).collect();
            check_binary(&a, &b);
            let a: Vec<i64> = a.iter().map(|&v| v as i64 * 1_000_003).collect();
            let b: Vec<i64> = b.iter().map(|&v| v as i64).collect();
            check_binary(&a, &b);
            let a: Vec<u8> = (0..n).map(|_| rng.uniform(2.0, 100.0) as u8).collect();
            let b: Vec<u8> = (0..n).map(|_| rng.uniform(1.0, 2.0) as u8).collect();
            check_binary(&a, &b);
        }
    }

    #[test]
    fn relu_keeps_nan_and_negative_zero() {
        let x = [f32::NAN, -0.0, -1.0, 2.0, f32::NEG_INFINITY];
        let mut out = [0f32; 5];
        unary(UnaryOp::Relu, &x, &mut out);
        assert!(out[0].is_nan());
        assert_eq!(out[1].to_bits(), (-0.0f32).to_bits());
        assert_eq!(&out[2..], &[0.0, 2.0, 0.0]);
    }
}
