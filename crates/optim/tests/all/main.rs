//! Every integration test of this crate in one binary (one link instead of one per file, which
//! is most of a test build on a small machine). Each module is one of the former test files.

mod course_fixtures;
mod errors;
mod fused;
mod hand_computed;
mod lm_recipe;
mod properties;
mod state_dict;
mod torch_reference;
mod training;
