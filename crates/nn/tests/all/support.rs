//! Helpers the nn tests share (they build into one binary, so one copy serves them all).

use kindling_tensor::{with_kernel_mode, KernelMode};

/// `f` on the fast kernels and on the naive ones.
pub fn both<R>(f: impl Fn() -> R) -> (R, R) {
    (with_kernel_mode(KernelMode::Fast, &f), with_kernel_mode(KernelMode::Naive, &f))
}

/// The message `f` panics with (the panic is not printed).
pub fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    std::panic::set_hook(hook);
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
