//! The transformer crate's integration tests, one binary (faster to link than one per file).

mod generate;
mod gpt;
mod train;
