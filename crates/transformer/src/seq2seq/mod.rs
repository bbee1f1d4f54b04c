//! The encoder–decoder transformer (book chapter 15): PyTorch's [`Transformer`] (the two
//! stacks with their final norms, `nn.Transformer`'s names) and [`Seq2SeqTransformer`], a
//! complete sequence-to-sequence model over tokens with greedy decoding and beam search.
//!
//! - The encoder reads the whole source at once, with the padding hidden
//!   ([`TransformerMasks::seq2seq`]); the decoder sees the target up to each position
//!   (causal mask) and the encoder's output through cross-attention in every layer, where
//!   chapter 12's recurrent decoders attend once per step from a single state.
//! - Training ([`train_pairs`]) is teacher-forced over whole targets in one pass; decoding
//!   ([`Seq2SeqTransformer::greedy`], [`Seq2SeqTransformer::beam_search`]) runs one token at a
//!   time and shares chapter 12's beam-search rules (`kindling_sequence::seq2seq`).

mod decode;
mod model;
mod train;
mod transformer;

pub use model::{Seq2SeqTransformer, Seq2SeqTransformerConfig};
pub use train::{train_pairs, PairBatch, TrainLog, TrainOptions};
pub use transformer::{Transformer, TransformerMasks};
