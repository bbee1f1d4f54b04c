//! Chapter 15 exercises. Replace each `unimplemented!` below a `TODO` with your code, then run
//!
//! ```text
//! cargo test -p ch15-encoders --features learner          # every exercise
//! cargo test -p ch15-encoders --features learner ex15_3   # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in `solutions.rs`:
//! try first, then compare.
#![allow(unused_variables, dead_code)]
