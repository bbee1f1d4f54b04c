//! Every integration test of this crate in one binary (one link instead of one per file, which
//! is most of a test build on a small machine). Each module is one of the former test files.

mod damaged_files;
mod download;
mod hf_tokenizer;
mod loader;
mod preprocess;
mod readers;
mod real_data;
mod splits;
mod strided;
mod synthetic;
mod tabular_data;
mod text;
mod tfidf;
