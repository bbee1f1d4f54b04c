//! Weights from the Python ecosystem: checkpoints that Hugging Face `transformers` saves with
//! `save_pretrained` (a folder with `config.json` and `model.safetensors`) loaded into
//! Kindling's models.
//!
//! - [`gpt2_config`], [`load_gpt2`]: `GPT2LMHeadModel` into [`Gpt`](crate::gpt::Gpt). GPT-2's
//!   `Conv1D` layers store their weights as `[in, out]`; they are transposed into
//!   [`Linear`](kindling_nn::Linear)'s `[out, in]`. The head is tied to the token embedding.
//! - [`bert_config`], [`load_bert`], [`load_bert_mlm`]: `BertModel` and `BertForMaskedLM` into
//!   [`BertModel`](crate::bert::BertModel) and [`BertForMaskedLM`](crate::bert::BertForMaskedLM),
//!   which carry Hugging Face's parameter names already.
//!
//! ```no_run
//! use kindling_transformer::hf::load_gpt2;
//! use kindling_tensor::Tensor;
//!
//! let model = load_gpt2("path/to/gpt2").expect("a folder saved by save_pretrained");
//! let logits = model.forward(&Tensor::from([[464i64, 3290, 318]]));
//! ```
//!
//! Loading is strict: a key the model needs and the file lacks, or a key the file holds and
//! the model has no place for, is an error naming them and the file. Settings our models do
//! not implement (another attention scaling, cross-attention, an untied head) are refused
//! with the setting's name rather than loaded into something that computes different numbers.

mod bert;
mod config;
mod error;
mod gpt2;

pub use bert::{bert_config, load_bert, load_bert_mlm};
pub use config::gpt2_config;
pub use error::HfError;
pub use gpt2::load_gpt2;

/// The file of a model's settings inside a `save_pretrained` folder.
pub const CONFIG_FILE: &str = "config.json";
/// The file of a model's weights inside a `save_pretrained` folder.
pub const WEIGHTS_FILE: &str = "model.safetensors";
