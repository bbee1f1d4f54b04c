//! Every integration test of this crate in one binary (one link instead of one per file, which
//! is most of a test build on a small machine). Each module is one of the former test files.

mod classic_metrics;
mod metrics;
mod plots;
mod text;
