//! Every integration test of this crate in one binary (one link instead of one per file, which
//! is most of a test build on a small machine). Each module is one of the former test files.
//! Not here: `tests/kernel_switch.rs`, `tests/kernel_switch_bad_env.rs` and
//! `tests/live_buffers.rs`, which touch process-wide state (each header says which).

mod attention;
mod course_fixtures;
mod errors;
mod kernel_index;
mod linalg;
mod linalg_fast;
mod linalg_numpy;
mod linalg_spectral;
mod naive_vs_fast;
mod ops;
mod pool;
mod properties;
mod safetensors;
mod stats_describe;
mod stats_distributions;
mod stats_fixtures;
mod stats_order;
mod stats_properties;
mod stats_sampling;
mod stats_special;
