//! The naive/fast switch.
//!
//! Every kernel family has a `naive` implementation (obviously right, the test oracle and the
//! first half of the book's story) and a `fast` one that ops use by default. Setting
//! `KINDLING_KERNELS=naive` in the environment, or calling [`set_kernel_mode`], routes every
//! operation in the process through the naive kernels, so a whole training run can be felt on
//! them.

use std::sync::atomic::{AtomicU8, Ordering};

/// Which implementation of each kernel family the tensor ops call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelMode {
    /// Readable reference kernels: strided loops, one element at a time, single-threaded.
    Naive,
    /// Optimized kernels: contiguous SIMD paths, packed GEMM, threads above a size threshold.
    Fast,
}

/// The environment variable read once, on first use, to pick the starting mode.
pub const KERNELS_ENV: &str = "KINDLING_KERNELS";

const UNSET: u8 = 0;
const NAIVE: u8 = 1;
const FAST: u8 = 2;
static MODE: AtomicU8 = AtomicU8::new(UNSET);

std::thread_local! {
    static OVERRIDE: std::cell::Cell<Option<KernelMode>> = const { std::cell::Cell::new(None) };
}

/// The mode in force on this thread: a [`with_kernel_mode`] scope if one is open, else
/// [`set_kernel_mode`] if it was called, else `KINDLING_KERNELS` (`naive` or `fast`, default
/// `fast`).
pub fn kernel_mode() -> KernelMode {
    if let Some(mode) = OVERRIDE.with(|o| o.get()) {
        return mode;
    }
    match MODE.load(Ordering::Relaxed) {
        NAIVE => KernelMode::Naive,
        FAST => KernelMode::Fast,
        _ => {
            let mode = match std::env::var(KERNELS_ENV).as_deref() {
                Ok("naive") => KernelMode::Naive,
                Ok("fast") | Err(_) => KernelMode::Fast,
                Ok(other) => panic!("{KERNELS_ENV}={other:?}: expected \"naive\" or \"fast\""),
            };
            set_kernel_mode(mode);
            mode
        }
    }
}

/// Switches every kernel family of this process to `mode`.
pub fn set_kernel_mode(mode: KernelMode) {
    let v = match mode {
        KernelMode::Naive => NAIVE,
        KernelMode::Fast => FAST,
    };
    MODE.store(v, Ordering::Relaxed);
}

/// Runs `f` with `mode` on the calling thread only, then restores what was there before.
///
/// Ops choose their kernel on the thread that calls them, so this is safe in tests that run
/// in parallel: each test sees only its own scope.
pub fn with_kernel_mode<R>(mode: KernelMode, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<KernelMode>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|o| o.set(self.0));
        }
    }
    let _restore = Restore(OVERRIDE.with(|o| o.replace(Some(mode))));
    f()
}

#[inline]
pub(crate) fn use_fast() -> bool {
    kernel_mode() == KernelMode::Fast
}
