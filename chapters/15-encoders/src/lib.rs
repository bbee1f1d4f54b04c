//! Chapter 15 of the Kindling book: encoders.
//!
//! The book includes the code between the `ANCHOR` markers of its modules; the demo
//! (`cargo run --release -p ch15-encoders`, with `KINDLING_DATASETS` set) runs the
//! chapter's experiments and writes what the chapter shows. Your exercises are in
//! [`exercises`]; check them with `cargo test -p ch15-encoders --features learner`.

pub mod exercises;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

mod hf;
mod reports;
mod text;
mod vision;

pub use hf::*;
pub use reports::*;
pub use text::*;
pub use vision::*;
