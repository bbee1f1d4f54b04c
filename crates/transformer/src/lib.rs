//! Kindling's attention layers and transformer models (book chapters 13 and 14).
//!
//! - [`attention`]: multi-head attention with PyTorch's parameter layout.
//! - [`position`]: positional encodings (sinusoidal, learned, rotary).
//! - [`layer`]: the transformer's encoder and decoder layers, pre- and post-norm, and the
//!   feed-forward sub-layer.
//! - [`gpt`]: a decoder-only language model configured like nanoGPT, with a KV cache.
//! - [`generate`]: decoding: greedy, temperature, top-k, top-p, repetition penalty.
//! - [`train`]: nanoGPT's training loop: warm-up then cosine, weight decay on matrices only,
//!   gradient clipping, evaluation, checkpoints that resume exactly.
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
pub mod train;
pub mod vit;
