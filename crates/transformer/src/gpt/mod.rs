//! A decoder-only language model configured like nanoGPT (book chapter 14): token and learned
//! position embeddings, `n_layer` pre-norm blocks of causal self-attention and a GELU MLP,
//! a final LayerNorm, and a head that reuses the token embedding (weight tying).
//!
//! ```
//! use kindling_transformer::gpt::{Gpt, GptConfig};
//! use kindling_tensor::{Rng, Tensor};
//!
//! let config = GptConfig { vocab_size: 11, block_size: 8, n_layer: 2, n_head: 2, n_embd: 16, ..GptConfig::tiny(11) };
//! let model = Gpt::<f32>::new(config, &mut Rng::seed(0));
//! let idx = Tensor::from([[1i64, 2, 3], [4, 5, 6]]);
//! assert_eq!(model.forward(&idx).shape(), [2, 3, 11]);
//! let loss = model.loss(&idx, &Tensor::from([[2i64, 3, 4], [5, 6, 7]]));
//! loss.backward();
//! ```
//!
//! The model's activations stay `[B·T, C]` rows from the embeddings to the head, so every
//! projection is one matrix product; only attention views them as `[B, H, T, D]`.
//!
//! **Weight tying.** `lm_head.weight` *is* `transformer.wte.weight`: one [`Variable`], so it
//! collects the sum of the head's and the embedding's gradients, and the optimizer sees it
//! once. State dicts hold it once, under `transformer.wte.weight` (as `safetensors` saves
//! tied weights); loading also accepts a PyTorch `state_dict()` that repeats it as
//! `lm_head.weight` (the two must be equal), or one that has only `lm_head.weight`.

mod block;
mod cache;

pub use cache::KvCache;

use crate::tied::{self, untie, TiedKey};
use block::Block;
use kindling_autograd::Variable;
use kindling_nn::state::{self, StateDictError};
use kindling_nn::{init, CrossEntropyLoss, Dropout, Forward, LayerNorm, Module, Visitor};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// The activation between the MLP's two linear layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Activation {
    /// The exact GELU, x·Φ(x) (nanoGPT's `nn.GELU()`).
    #[default]
    Gelu,
    /// GELU's tanh approximation (GPT-2's `gelu_new`, PyTorch's `gelu(approximate="tanh")`).
    GeluTanh,
}

/// The GPT's hyperparameters: nanoGPT's `GPTConfig`, plus the activation and the LayerNorm
/// epsilon so that Hugging Face's GPT-2 fits too.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GptConfig {
    /// Number of token ids (65 for Tiny Shakespeare's characters).
    pub vocab_size: usize,
    /// The longest context the model reads (the size of the position table).
    pub block_size: usize,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block; must divide `n_embd`.
    pub n_head: usize,
    /// Width of the residual stream.
    pub n_embd: usize,
    /// Dropout on the embeddings, the attention weights and each residual branch (0 = none).
    pub dropout: f64,
    /// Biases in the linear layers and the LayerNorms.
    pub bias: bool,
    /// The MLP's activation (exact GELU by default; GPT-2 uses the tanh approximation).
    pub activation: Activation,
    /// The LayerNorms' epsilon (1e-5, PyTorch's default and GPT-2's).
    pub layer_norm_eps: f64,
}

impl GptConfig {
    /// The tiny GPT: 4 layers, 4 heads, width 128, context 64, no dropout, biases, exact GELU,
    /// LayerNorm epsilon 1e-5 (nanoGPT's CPU recipe for Tiny Shakespeare).
    pub fn tiny(vocab_size: usize) -> Self {
        GptConfig {
            vocab_size,
            block_size: 64,
            n_layer: 4,
            n_head: 4,
            n_embd: 128,
            dropout: 0.0,
            bias: true,
            activation: Activation::Gelu,
            layer_norm_eps: 1e-5,
        }
    }

    /// The width of one head, `n_embd / n_head`.
    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head
    }

    fn check(&self) {
        let sizes = [self.vocab_size, self.block_size, self.n_layer, self.n_head, self.n_embd];
        if sizes.contains(&0) {
            panic!("GptConfig: every size must be positive, got {self:?}");
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            panic!("GptConfig: n_embd {} is not divisible by n_head {}", self.n_embd, self.n_head);
        }
        if !(0.0..1.0).contains(&self.dropout) {
            panic!("GptConfig: dropout {} is outside [0, 1)", self.dropout);
        }
        if !(self.layer_norm_eps > 0.0 && self.layer_norm_eps.is_finite()) {
            panic!("GptConfig: layer_norm_eps {} must be positive and finite", self.layer_norm_eps);
        }
    }
}

/// nanoGPT's `transformer` container: everything but the (tied) head.
struct Body<T: Float> {
    wte: kindling_nn::Embedding<T>,
    wpe: kindling_nn::Embedding<T>,
    drop: Dropout,
    h: Vec<Block<T>>,
    ln_f: LayerNorm<T>,
}

impl<T: Float> Module<T> for Body<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("wte", &self.wte);
        v.child("wpe", &self.wpe);
        v.child("drop", &self.drop);
        v.child("h", &self.h);
        v.child("ln_f", &self.ln_f);
    }
}

/// nanoGPT's GPT: see the [module docs](self).
pub struct Gpt<T: Float = f32> {
    config: GptConfig,
    transformer: Body<T>,
}

/// The standard deviation of nanoGPT's initialisation.
const INIT_STD: f64 = 0.02;

/// The state-dict key of the tied head in PyTorch's `state_dict()`.
const HEAD_KEY: &str = "lm_head.weight";
const WTE_KEY: &str = "transformer.wte.weight";

/// A `LayerNorm(n_embd)` with or without its bias.
fn layer_norm<T: Float>(config: &GptConfig) -> LayerNorm<T> {
    let norm = LayerNorm::new([config.n_embd]).eps(config.layer_norm_eps);
    if config.bias {
        norm
    } else {
        norm.without_bias()
    }
}

/// A `Linear(fan_in, fan_out)` with nanoGPT's initialisation: weight N(0, std²), bias zero.
fn init_linear<T: Float>(fan_in: usize, fan_out: usize, std: f64, bias: bool, rng: &mut Rng) -> kindling_nn::Linear<T> {
    let weight = init::normal([fan_out, fan_in], 0.0, std, rng);
    kindling_nn::Linear::from_weights(weight, bias.then(|| Tensor::zeros([fan_out])))
}

impl<T: Float> Gpt<T> {
    /// A freshly initialised model, as nanoGPT initialises it: every linear and embedding
    /// weight N(0, 0.02²), the residual projections (`c_proj`) N(0, (0.02/√(2·n_layer))²) so the
    /// residual stream's variance does not grow with depth, biases zero, LayerNorms (1, 0).
    pub fn new(config: GptConfig, rng: &mut Rng) -> Self {
        config.check();
        let c = config.n_embd;
        let wte = kindling_nn::Embedding::from_weights(init::normal([config.vocab_size, c], 0.0, INIT_STD, rng));
        let wpe = kindling_nn::Embedding::from_weights(init::normal([config.block_size, c], 0.0, INIT_STD, rng));
        let drop = Dropout::new(config.dropout, rng);
        let h = (0..config.n_layer).map(|_| Block::new(&config, rng)).collect();
        let transformer = Body { wte, wpe, drop, h, ln_f: layer_norm(&config) };
        Gpt { config, transformer }
    }

    /// The hyperparameters.
    pub fn config(&self) -> &GptConfig {
        &self.config
    }

    /// The token embedding, which is also the output head (`[vocab_size, n_embd]`).
    pub fn wte(&self) -> &Variable<T> {
        &self.transformer.wte.weight
    }

    /// Next-token logits `[B, T, vocab_size]` for token ids `[B, T]` (T ≤ block_size).
    pub fn forward(&self, idx: &Tensor<i64>) -> Variable<T> {
        let (b, t) = self.check_tokens("Gpt::forward", idx, 0);
        let hidden = self.hidden(idx, 0, None, self.transformer.drop_active());
        self.head(&hidden).reshape(vec![b, t, self.config.vocab_size])
    }

    /// The mean cross-entropy (nats per token) of `targets` `[B, T]` given `idx` `[B, T]`;
    /// targets equal to −1 are skipped, as in nanoGPT.
    pub fn loss(&self, idx: &Tensor<i64>, targets: &Tensor<i64>) -> Variable<T> {
        if idx.shape() != targets.shape() {
            panic!(
                "Gpt::loss: idx of shape {} and targets of shape {} differ",
                dims_str(idx.shape()),
                dims_str(targets.shape())
            );
        }
        self.check_tokens("Gpt::loss", idx, 0);
        let hidden = self.hidden(idx, 0, None, self.transformer.drop_active());
        let logits = self.head(&hidden); // [B·T, V]: no reshape on the way to the loss
        CrossEntropyLoss::new().ignore_index(-1).indices(&logits, &targets.reshape([-1]))
    }

    /// Checks `idx` `[B, T]`: ids inside the vocabulary, and `start + T` within the context.
    pub(crate) fn check_tokens(&self, op: &str, idx: &Tensor<i64>, start: usize) -> (usize, usize) {
        if idx.rank() != 2 || idx.numel() == 0 {
            panic!("{op}: token ids must be a non-empty [B, T], got shape {}", dims_str(idx.shape()));
        }
        let (b, t) = (idx.shape()[0], idx.shape()[1]);
        if start + t > self.config.block_size {
            if start == 0 {
                panic!(
                    "{op}: a context of {t} tokens is longer than block_size {} (crop it to the last {} tokens)",
                    self.config.block_size, self.config.block_size
                );
            }
            panic!(
                "{op}: {t} new tokens after {start} cached ones exceed block_size {} (clear the cache and \
                 re-encode the last block_size tokens)",
                self.config.block_size
            );
        }
        let v = self.config.vocab_size as i64;
        if let Some((i, &bad)) = idx.to_vec().iter().enumerate().find(|(_, &id)| !(0..v).contains(&id)) {
            panic!("{op}: token id {bad} at [{}, {}] is out of range for vocab_size {v}", i / t, i % t);
        }
        (b, t)
    }

    /// The final hidden states `[B·T, C]` (after `ln_f`) of tokens `[B, T]` at positions
    /// `start..start + T`, attending through `cache` when given.
    pub(crate) fn hidden(
        &self,
        idx: &Tensor<i64>,
        start: usize,
        mut cache: Option<&mut KvCache<T>>,
        dropout: bool,
    ) -> Variable<T> {
        let (b, t) = (idx.shape()[0], idx.shape()[1]);
        let c = self.config.n_embd;
        let tok = self.transformer.wte.weight.embedding(idx); // [B, T, C]
        let pos = self.transformer.wpe.weight.narrow(0, start, t); // [T, C]
        let mut x = (&tok + &pos).reshape(vec![b * t, c]);
        if dropout {
            x = self.transformer.drop.forward(&x);
        }
        for (layer, block) in self.transformer.h.iter().enumerate() {
            let layer_cache = cache.as_deref_mut().map(|cache| cache.layer(layer));
            x = block.forward(&x, b, t, layer_cache, dropout);
        }
        self.transformer.ln_f.forward(&x)
    }

    /// The tied head: rows `[N, C]` to logits `[N, V]`.
    pub(crate) fn head(&self, hidden: &Variable<T>) -> Variable<T> {
        hidden.linear(&self.transformer.wte.weight, None)
    }
}

impl<T: Float> Body<T> {
    /// Dropout runs only in training mode and with a positive rate.
    fn drop_active(&self) -> bool {
        self.drop.p() > 0.0 && Module::<T>::is_training(&self.drop)
    }
}

/// PyTorch's repeated head key, folded onto the embedding's.
const TIED: [TiedKey; 1] = [(HEAD_KEY, WTE_KEY)];

impl<T: Float> Module<T> for Gpt<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        // The head is the embedding: announced once, so optimizers step it once.
        v.child("transformer", &self.transformer);
    }

    fn load_state_dict(&self, dict: &StateDict) -> Result<(), StateDictError> {
        state::load_state_dict(self, &untie(dict, &TIED)?)
    }

    fn check_state_dict(&self, dict: &StateDict) -> Result<(), StateDictError> {
        state::check_state_dict(self, &untie(dict, &TIED)?)
    }

    fn load_matching(&self, dict: &StateDict) -> StateDictError {
        tied::load_matching(self, dict, &TIED)
    }
}
