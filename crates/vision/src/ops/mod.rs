//! Kernel families of the vision crate, each a folder with `mod.rs` (the API, differentiable
//! ops on [`kindling_autograd::Variable`] and plain-tensor versions), `naive.rs` (the direct
//! loops, the test oracle) and `fast.rs` (what training uses).

pub mod conv;
pub mod pool;
