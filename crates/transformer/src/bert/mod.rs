//! A BERT-style encoder (book chapter 15), with Hugging Face's module and parameter names so
//! its checkpoints load as they are (`kindling_transformer::hf`).
//!
//! - [`BertModel`]: token, position and segment embeddings, then post-norm encoder layers
//!   (self-attention → dense → dropout → add → LayerNorm; feed-forward → dropout → add →
//!   LayerNorm), and an optional pooler, tanh(dense(`[CLS]`)).
//! - [`BertForMaskedLM`]: the masked-language-modelling head, its decoder tied to the token
//!   embedding; [`mlm::mask_tokens`] chooses what to predict (the 80/10/10 rule).
//! - [`BertForSequenceClassification`]: a classifier on the pooled vector, fresh or
//!   [`from_pretrained`](BertForSequenceClassification::from_pretrained) a masked-LM encoder.
//! - [`mean_pool`] and [`retrieval`]: sentence embeddings and nearest passages.
//! - [`train`]: small pretraining and fine-tuning loops for the chapter's experiment.
//!
//! ```
//! use kindling_transformer::bert::{BertConfig, BertForMaskedLM, BertForSequenceClassification};
//! use kindling_tensor::{Rng, Tensor};
//!
//! let config = BertConfig { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2,
//!                           intermediate_size: 32, ..BertConfig::tiny(30) };
//! let mut rng = Rng::seed(0);
//! let mlm = BertForMaskedLM::<f32>::new(config, &mut rng);
//! let ids = Tensor::from([[2i64, 7, 8, 3, 0], [2, 9, 3, 0, 0]]);
//! let mask = Tensor::from([[1i64, 1, 1, 1, 0], [1, 1, 1, 0, 0]]);
//! assert_eq!(mlm.forward(&ids, None, Some(&mask)).shape(), [2, 5, 30]);
//! let classifier = BertForSequenceClassification::from_pretrained(&mlm, 3, &mut rng);
//! assert_eq!(classifier.forward(&ids, None, Some(&mask)).shape(), [2, 3]);
//! ```

mod config;
mod heads;
pub mod mlm;
mod model;
pub mod retrieval;
pub mod train;

pub use config::{BertConfig, HiddenAct};
pub use heads::{BertForMaskedLM, BertForSequenceClassification, Pooling, IGNORE_INDEX};
pub use model::{BertModel, BertOutput};

use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

/// The mean of each sequence's token vectors over its real tokens: `hidden` `[B, T, H]` and
/// `attention_mask` `[B, T]` (1 = token, 0 = padding) to `[B, H]`, differentiable with
/// respect to `hidden`. Panics when the shapes disagree or a sequence has no token.
pub fn mean_pool<T: Float>(hidden: &Variable<T>, attention_mask: &Tensor<i64>) -> Variable<T> {
    let shape = hidden.shape();
    if shape.len() != 3 || attention_mask.shape() != &shape[..2] {
        panic!(
            "mean_pool: hidden of shape {} and attention_mask of shape {} must be [B, T, H] and [B, T]",
            dims_str(&shape),
            dims_str(attention_mask.shape())
        );
    }
    let (b, t) = (shape[0], shape[1]);
    let mask = attention_mask.to_vec();
    if let Some(bad) = mask.iter().find(|&&m| m != 0 && m != 1) {
        panic!("mean_pool: attention_mask values must be 0 or 1, got {bad}");
    }
    let counts: Vec<i64> = mask.chunks(t).map(|row| row.iter().sum()).collect();
    if let Some(empty) = counts.iter().position(|&c| c == 0) {
        panic!("mean_pool: sequence {empty} has no token (its attention_mask is all 0)");
    }
    // Each kept token weighs 1/count of its sequence: one weighted sum over T.
    let weights: Vec<T> = mask.iter().enumerate().map(|(i, &m)| T::from_f64(m as f64 / counts[i / t] as f64)).collect();
    let weights = Variable::constant(Tensor::from_vec(weights, [b, t, 1]));
    (hidden * &weights).sum(1, false)
}
