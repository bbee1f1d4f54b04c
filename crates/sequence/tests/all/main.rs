//! Every integration test of this crate in one binary (one link instead of one per file).

mod fast_vs_naive;
mod forecast;
mod layers;
mod seq2seq;
mod torch;
mod word2vec;
