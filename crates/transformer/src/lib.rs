//! Kindling's attention layers and transformer models (book chapters 13, 14 and 15).
//!
//! - [`attention`]: multi-head attention with PyTorch's parameter layout.
//! - [`position`]: positional encodings (sinusoidal, learned, rotary).
//! - [`layer`]: the transformer's encoder and decoder layers, pre- and post-norm, and the
//!   feed-forward sub-layer.
//! - [`gpt`]: a decoder-only language model configured like nanoGPT, with a KV cache.
//! - [`generate`]: decoding: greedy, temperature, top-k, top-p, repetition penalty.
//! - [`train`]: nanoGPT's training loop: warm-up then cosine, weight decay on matrices only,
//!   gradient clipping, evaluation, checkpoints that resume exactly.
//! - [`bert`]: a BERT encoder with Hugging Face's names: masked-LM and classification heads,
//!   the 80/10/10 masking rule, mean-pooled sentence embeddings and retrieval.
//! - [`seq2seq`]: PyTorch's `nn.Transformer` and an encoder–decoder model with greedy and beam
//!   decoding.
//! - [`vit`]: a vision transformer with torchvision's names.
//! - [`hf`]: GPT-2 and BERT checkpoints saved by Hugging Face `transformers`.
//!
//! The attention kernels themselves (naive and flash-style) are a kernel family of the tensor
//! crate (`kindling_tensor::attention`), differentiable through
//! `kindling_autograd::attention`.

pub mod attention;
pub mod bert;
pub mod generate;
pub mod gpt;
pub mod hf;
pub mod layer;
pub mod position;
pub mod seq2seq;
mod tied;
pub mod train;
pub mod vit;
