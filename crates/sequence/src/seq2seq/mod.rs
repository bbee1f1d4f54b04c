//! Sequence to sequence with attention: an [`Encoder`] reads the source, a [`Decoder`]
//! writes the target one token at a time, looking back at the encoder's outputs through
//! [`Attention`] (none, Bahdanau's additive, Luong's multiplicative or dot).
//!
//! ```
//! use kindling_sequence::seq2seq::{greedy, Attention, Seq2Seq, Seq2SeqBatch, Seq2SeqConfig};
//! use kindling_tensor::Rng;
//!
//! let config = Seq2SeqConfig::new(14).hidden(16).embed(8).attention(Attention::Additive);
//! let model = Seq2Seq::<f32>::new(config.clone(), &mut Rng::seed(0));
//! let batch = Seq2SeqBatch::new(&[vec![3, 4, 5], vec![6, 7]], &[vec![5, 4, 3], vec![7, 6]], &config);
//! let (logits, weights) = model.forward(&batch);
//! assert_eq!(logits.shape(), [2, 4, 14]); // 3 target tokens + EOS, padded to the longest
//! assert_eq!(weights.shape(), [2, 4, 3]);
//! let out = greedy(&model, &[vec![3, 4, 5]], 6);
//! assert_eq!(out[0].attention.shape()[1], 3);
//! ```
//!
//! - Training: [`Seq2Seq::loss`] with a teacher-forcing ratio from a [`TeacherForcing`]
//!   schedule. At ratio 1 with Luong attention (or none) the decoder's recurrent layers run
//!   over the whole target as one fused op each (the same kernel as [`crate::Recurrent`]) and
//!   the attention of all steps is two batched matrix products ([`Decoder::forward_parallel`]).
//!   Bahdanau attention feeds each step's context into the next cell input, and scheduled
//!   sampling feeds the model's own predictions, so those decode step by step
//!   ([`Decoder::step`], one `cell::step` per layer). Both paths compute the same numbers.
//! - Decoding: [`greedy`] and [`beam_search`] (with GNMT's [`length_penalty`]), batched over
//!   examples and beams, returning tokens, scores and the attention weights per example.
//! - Padding: sources pass through the encoder with their lengths, and [`masked_softmax`]
//!   gives padded positions exactly zero attention.
//!
//! Chapter 12 of the book, "Sequence to sequence with attention", explains it
//! (`book/src/12-seq2seq.md`, code in `chapters/12-seq2seq`).

mod attention;
mod decode;
mod model;
mod schedule;

pub use attention::{masked_softmax, Attention, AttentionLayer};
pub use decode::{beam_search, beam_search_with, greedy, length_penalty, Decoded, Hypothesis};
pub use model::{Decoder, Encoder, Memory, Seq2Seq, Seq2SeqBatch, Seq2SeqConfig};
pub use schedule::TeacherForcing;
