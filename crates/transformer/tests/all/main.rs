//! The transformer crate's integration tests, one binary (faster to link than one per file).

mod attention;
mod bert;
mod generate;
mod gpt;
mod hf;
mod layers;
mod position;
mod seq2seq;
mod torch;
mod train;
mod vit;
