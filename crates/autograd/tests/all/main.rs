//! Every integration test of this crate in one binary (one link instead of one per file, which
//! is most of a test build on a small machine). Each module is one of the former test files.
//! Not here: `tests/memory.rs`, which counts the process's live buffers (its header says why).

mod attention;
mod attention_torch;
mod common;
mod course_fixtures;
mod errors;
mod gradcheck_ops;
mod layer_norm;
mod linear_op;
mod pool;
