//! Shared test machinery: the GPU-or-skip helper and the macro that stamps a test per device.

use kindling_cuda::Gpu;
use std::io::Write;

/// Opens the GPU, or prints `skipped: no CUDA device (...)` and returns `None` when there is
/// none. Set `KINDLING_REQUIRE_GPU=1` (as `run-on-gpu.sh` does) to make a missing GPU a failure.
pub fn gpu_or_skip(test: &str) -> Option<Gpu> {
    match Gpu::new() {
        Ok(gpu) => Some(gpu),
        Err(e) if e.is_no_gpu() && std::env::var_os("KINDLING_REQUIRE_GPU").is_none() => {
            // Straight to stderr, past the test harness's capture, so the skip is seen.
            let _ = writeln!(std::io::stderr(), "skipped: no CUDA device ({test}: {e})");
            None
        }
        Err(e) => panic!("{test}: {e}"),
    }
}

/// Stamps one test body per device as `<name>::<device>`. The body sees `$dev` (the device
/// handle) and returns `kindling_cuda::Result<()>`.
///
/// Today the lab has one device, so one test is stamped: `<name>::cuda`, which skips without a
/// GPU. When the tensor crate grows a CUDA backend, the same macro gains a `cpu` arm that runs
/// the body on a CPU handle with the same interface (see STYLE.md, item 6).
#[macro_export]
macro_rules! device_test {
    ($name:ident, |$dev:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn cuda() {
                let test = concat!(stringify!($name), "::cuda");
                let Some(gpu) = $crate::common::gpu_or_skip(test) else { return };
                let run = |$dev: &kindling_cuda::Gpu| -> kindling_cuda::Result<()> { $body };
                if let Err(e) = run(&gpu) {
                    panic!("{test}: {e}");
                }
            }
        }
    };
}
