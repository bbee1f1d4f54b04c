//! Shared machinery of the fast CPU kernels: run-time SIMD dispatch, the threading rule and
//! vectorizable math ([`math`]).
//!
//! # How a fast kernel gets vectorized
//!
//! We never write `-C target-cpu=native`: a binary built on one machine must run on another.
//! Instead a kernel body is written once as an `#[inline(always)]` generic function with plain
//! loops, and `multiversion!` stamps out copies of it inside `#[target_feature]` wrappers
//! (AVX-512, AVX2+FMA, and a portable one). The compiler inlines the body into each wrapper and
//! vectorizes it for that instruction set; [`level`] picks the best wrapper once per process
//! with `is_x86_feature_detected!`. On aarch64 only the portable copy exists (NEON is part of the
//! baseline there, so it is vectorized too).
//!
//! Every copy computes bit-identical results (no reassociation, and `mul_add` is exactly
//! rounded on every level), so a result never depends on the machine it ran on.
//!
//! # Threads
//!
//! [`par_chunks_mut`] splits an output slice into contiguous chunks across
//! `rayon::current_num_threads()` threads once the work is above [`PAR_THRESHOLD`]; below it, the
//! kernel stays on the calling thread (waking a pool costs a few microseconds, as much as
//! streaming ~50K floats). Install a one-thread rayon pool to measure single-thread speed.

pub mod math;

pub use math::SimdFloat;

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

/// The instruction-set level the kernels run at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Whatever the compilation target guarantees (SSE2 on x86-64, NEON on aarch64).
    Portable,
    /// AVX2 and FMA: 256-bit vectors.
    Avx2,
    /// AVX-512F and DQ (every AVX-512 CPU since Skylake-X and Zen 4): 512-bit vectors.
    Avx512,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Portable => "portable",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// The environment variable that caps the detected level (`portable`, `avx2` or `avx512`), to
/// compare instruction sets on one machine.
pub const SIMD_ENV: &str = "KINDLING_SIMD";

const UNKNOWN: u8 = u8::MAX;
static DETECTED: AtomicU8 = AtomicU8::new(UNKNOWN);

std::thread_local! {
    static OVERRIDE: Cell<Option<Level>> = const { Cell::new(None) };
}

fn from_u8(v: u8) -> Level {
    match v {
        2 => Level::Avx512,
        1 => Level::Avx2,
        _ => Level::Portable,
    }
}

fn detect() -> Level {
    #[cfg(target_arch = "x86_64")]
    let best = if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512dq") {
        Level::Avx512
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        Level::Avx2
    } else {
        Level::Portable
    };
    #[cfg(not(target_arch = "x86_64"))]
    let best = Level::Portable;
    let cap = match std::env::var(SIMD_ENV).as_deref() {
        Ok("portable") => Level::Portable,
        Ok("avx2") => Level::Avx2,
        _ => Level::Avx512,
    };
    best.min(cap)
}

/// The best level this CPU supports (detected once, then cached), or the one a
/// [`with_level`] scope on this thread asks for.
#[inline]
pub fn level() -> Level {
    if let Some(l) = OVERRIDE.with(|o| o.get()) {
        return l;
    }
    let v = DETECTED.load(Ordering::Relaxed);
    if v != UNKNOWN {
        return from_u8(v);
    }
    let l = detect();
    DETECTED.store(l as u8, Ordering::Relaxed);
    l
}

/// Runs `f` with kernels on this thread dispatched at `level` (capped at what the CPU
/// supports). Work handed to other rayon threads is not affected: use inputs below
/// [`PAR_THRESHOLD`] when comparing levels.
pub fn with_level<R>(level: Level, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Level>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|o| o.set(self.0));
        }
    }
    let capped = level.min(detect());
    let _restore = Restore(OVERRIDE.with(|o| o.replace(Some(capped))));
    f()
}

/// Defines a function generic over one type parameter whose body is compiled three times
/// (AVX-512, AVX2+FMA, portable) and dispatched at run time by [`level`].
///
/// ```text
/// multiversion! {
///     fn scale<F: SimdFloat>(x: &mut [F], k: F) {
///         for v in x.iter_mut() { *v = *v * k; }
///     }
/// }
/// ```
macro_rules! multiversion {
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident < $T:ident : $bound:path > ( $($arg:ident : $ty:ty),* $(,)? )
        $(-> $ret:ty)? $body:block
    ) => {
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name<$T: $bound>($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body<$T: $bound>($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn avx512<$T: $bound>($($arg: $ty),*) $(-> $ret)? {
                body::<$T>($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn avx2<$T: $bound>($($arg: $ty),*) $(-> $ret)? {
                body::<$T>($($arg),*)
            }

            match $crate::ops::simd::level() {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `level()` only reports AVX-512 when the CPU has AVX-512F (and DQ).
                $crate::ops::simd::Level::Avx512 => unsafe { avx512::<$T>($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `level()` only reports AVX2 when the CPU has AVX2 and FMA.
                $crate::ops::simd::Level::Avx2 => unsafe { avx2::<$T>($($arg),*) },
                _ => body::<$T>($($arg),*),
            }
        }
    };
}
pub(crate) use multiversion;

/// Work (elements touched, weighted by cost) below which a kernel stays on the calling thread.
///
/// Measured on a 2-core AMD EPYC (Zen 4): handing work to rayon costs ~5-10 µs, the time to
/// stream ~32K f32 through an add; at 64K elements two threads already win clearly.
pub const PAR_THRESHOLD: usize = 1 << 15;

/// Chunks per thread when splitting: a few, so a thread slowed by another process does not
/// hold everyone up, but few enough that each chunk stays long.
const CHUNKS_PER_THREAD: usize = 4;

/// Folds lane accumulators pairwise (N → N/2 → … → 1) with constant indices: vector-wide steps
/// first, a dependency chain of log₂ N, and the same order (so the same bits) at every SIMD
/// level. N is a power of two.
#[inline(always)]
pub(crate) fn fold_pairwise<F: Copy, const N: usize>(mut acc: [F; N], f: impl Fn(F, F) -> F) -> F {
    let mut width = N;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] = f(acc[j], acc[j + width]);
        }
    }
    acc[0]
}

/// How many threads a kernel with `work` units of work should use: 1 below [`PAR_THRESHOLD`].
#[inline]
pub fn threads_for(work: usize) -> usize {
    if work < PAR_THRESHOLD {
        1
    } else {
        rayon::current_num_threads()
    }
}

/// Runs `f(start, chunk)` over contiguous chunks of `out` that together cover it, where `start`
/// is the chunk's offset in `out` and every chunk but the last is a multiple of `unit`
/// elements. Chunks run in parallel on the current rayon pool when `work` is at least
/// [`PAR_THRESHOLD`]; otherwise `f(0, out)` runs on the calling thread.
pub fn par_chunks_mut<T: Send>(out: &mut [T], unit: usize, work: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    use rayon::prelude::*;
    let unit = unit.max(1);
    let threads = threads_for(work);
    let units = out.len().div_ceil(unit);
    if threads <= 1 || units <= 1 {
        f(0, out);
        return;
    }
    // No chunk smaller than a quarter of the threshold's worth of work.
    let work_per_unit = (work / units).max(1);
    let min_units = (PAR_THRESHOLD / 4).div_ceil(work_per_unit).max(1);
    let chunks = (threads * CHUNKS_PER_THREAD).min(units.div_ceil(min_units)).max(1);
    let per = units.div_ceil(chunks) * unit;
    out.par_chunks_mut(per).enumerate().for_each(|(i, chunk)| f(i * per, chunk));
}

/// Helpers shared by the fast kernels' tests.
#[cfg(test)]
pub(crate) mod testing {
    pub use crate::testing::AWKWARD_LENGTHS;

    /// A tiny deterministic generator (Knuth's 64-bit LCG constants), good enough for test data.
    pub struct Lcg(u64);

    impl Lcg {
        pub fn new(seed: u64) -> Self {
            Lcg(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
        }
        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            self.0 ^ (self.0 >> 29)
        }
        /// Uniform in [lo, hi).
        pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
        }
        pub fn vec_f64(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
            (0..n).map(|_| self.uniform(lo, hi)).collect()
        }
        pub fn vec_f32(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f32> {
            (0..n).map(|_| self.uniform(lo, hi) as f32).collect()
        }
    }

    /// Distance in units in the last place (adjacent floats are 1 apart; +0 and -0 are 0 apart;
    /// NaN against NaN is 0, NaN against a number is `u64::MAX`).
    pub fn ulp_diff_f32(a: f32, b: f32) -> u64 {
        if a.is_nan() || b.is_nan() {
            return if a.is_nan() && b.is_nan() { 0 } else { u64::MAX };
        }
        let key = |x: f32| {
            let bits = x.to_bits() as i32;
            (if bits < 0 { i32::MIN.wrapping_sub(bits) } else { bits }) as i64
        };
        key(a).abs_diff(key(b))
    }

    pub fn ulp_diff_f64(a: f64, b: f64) -> u64 {
        if a.is_nan() || b.is_nan() {
            return if a.is_nan() && b.is_nan() { 0 } else { u64::MAX };
        }
        let key = |x: f64| {
            let bits = x.to_bits() as i64;
            (if bits < 0 { i64::MIN.wrapping_sub(bits) } else { bits }) as i128
        };
        key(a).abs_diff(key(b)) as u64
    }

    /// Values that break math functions: NaN, infinities, signed zeros, subnormals, extremes.
    pub const SPECIAL_F32: [f32; 20] = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        1.0,
        -1.0,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        1e-40,
        -1e-40,
        1e-45,
        f32::MAX,
        f32::MIN,
        88.72,
        -87.5,
        -103.5,
        1e-8,
        -0.999_999,
        20.0,
    ];
    pub const SPECIAL_F64: [f64; 20] = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        1e-310,
        -1e-310,
        5e-324,
        f64::MAX,
        f64::MIN,
        709.7,
        -708.5,
        -744.0,
        1e-17,
        -0.999_999_999_999,
        40.0,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_output_exactly_once() {
        for (len, unit) in [(0, 1), (1, 1), (7, 3), (100_000, 1), (100_003, 17), (1 << 20, 4096)] {
            let mut out = vec![0u32; len];
            par_chunks_mut(&mut out, unit, len, |start, chunk| {
                assert!(start.is_multiple_of(unit));
                for (k, o) in chunk.iter_mut().enumerate() {
                    *o += (start + k) as u32 + 1;
                }
            });
            assert!(out.iter().enumerate().all(|(i, &o)| o == i as u32 + 1), "len {len} unit {unit}");
        }
    }

    #[test]
    fn level_override_is_scoped() {
        let before = level();
        with_level(Level::Portable, || assert_eq!(level(), Level::Portable));
        assert_eq!(level(), before);
    }
}
