//! Kernel families. Each folder mirrors the same split: `mod.rs` (the tensor-level API and its
//! docs), `naive.rs` (obviously right, strided, single-threaded: the test oracle) and `fast.rs`
//! (contiguous SIMD paths and threads: what training uses).

pub mod conv;
pub mod elementwise;
pub mod matmul;
pub mod pool;
pub mod reduce;
pub mod simd;
pub mod softmax;
pub mod walk;
