//! [`Seq2SeqTransformer`]: token embeddings, sinusoidal positions, [`Transformer`] and an
//! output layer, trained with teacher forcing.

use super::transformer::Transformer;
use crate::layer::{Activation, AttentionMasks};
use crate::position::SinusoidalEncoding;
use kindling_autograd::Variable;
use kindling_nn::{init, CrossEntropyLoss, Dropout, Embedding, Forward, Linear, Module, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// The shape and special tokens of a [`Seq2SeqTransformer`].
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqTransformerConfig {
    /// Source vocabulary size.
    pub src_vocab: usize,
    /// Target vocabulary size (the output layer's width).
    pub tgt_vocab: usize,
    /// Model width.
    pub d_model: usize,
    /// Attention heads (dividing `d_model`).
    pub nhead: usize,
    /// Encoder layers.
    pub num_encoder_layers: usize,
    /// Decoder layers.
    pub num_decoder_layers: usize,
    /// Feed-forward width.
    pub dim_feedforward: usize,
    /// Dropout after the embeddings and everywhere in the transformer.
    pub dropout: f64,
    /// Pre-norm layers (true) or the original post-norm (false).
    pub norm_first: bool,
    /// The feed-forward non-linearity.
    pub activation: Activation,
    /// The longest source or decoder input: the size of the position table.
    pub max_len: usize,
    /// Padding: ignored as a source key and by the loss.
    pub pad: i64,
    /// The decoder's first input.
    pub bos: i64,
    /// The target's last token; decoding stops at it.
    pub eos: i64,
}

impl Seq2SeqTransformerConfig {
    /// A small model for one shared vocabulary of `vocab` tokens with PAD 0, BOS 1 and EOS 2
    /// (the string tasks' conventions): width 64, 4 heads, 2 + 2 pre-norm layers,
    /// feed-forward 128, ReLU, dropout 0.1, positions up to 64.
    pub fn new(vocab: usize) -> Self {
        Seq2SeqTransformerConfig {
            src_vocab: vocab,
            tgt_vocab: vocab,
            d_model: 64,
            nhead: 4,
            num_encoder_layers: 2,
            num_decoder_layers: 2,
            dim_feedforward: 128,
            dropout: 0.1,
            norm_first: true,
            activation: Activation::Relu,
            max_len: 64,
            pad: 0,
            bos: 1,
            eos: 2,
        }
    }

    /// Sets the width and the number of heads.
    pub fn width(mut self, d_model: usize, nhead: usize) -> Self {
        (self.d_model, self.nhead) = (d_model, nhead);
        self
    }

    /// Sets both stacks' depths.
    pub fn layers(mut self, encoder: usize, decoder: usize) -> Self {
        (self.num_encoder_layers, self.num_decoder_layers) = (encoder, decoder);
        self
    }

    /// Sets the feed-forward width.
    pub fn feedforward(mut self, dim: usize) -> Self {
        self.dim_feedforward = dim;
        self
    }

    /// Sets the dropout.
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    /// Pre-norm (true) or post-norm (false).
    pub fn norm_first(mut self, on: bool) -> Self {
        self.norm_first = on;
        self
    }

    /// Sets the size of the position table.
    pub fn max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }
}

/// An encoder–decoder transformer for token sequences:
/// `generator(transformer(pos(√d·src_tok_emb(src)), pos(√d·tgt_tok_emb(tgt_in))))`, batch-first,
/// with a causal mask on the target and the source's padding hidden from every attention.
///
/// Parameters: `src_tok_emb.weight`, `tgt_tok_emb.weight`, `transformer.*` (as
/// [`Transformer`]), `generator.{weight,bias}`. The embeddings start at N(0, 1/d), so that
/// scaled by √d they have unit variance, the same size as the sine table they are added to
/// (at N(0, 1) the scaled embeddings would drown the positions, which reversing needs).
///
/// ```
/// use kindling_tensor::{Rng, Tensor};
/// use kindling_transformer::seq2seq::{Seq2SeqTransformer, Seq2SeqTransformerConfig};
///
/// let config = Seq2SeqTransformerConfig::new(14).width(16, 2).layers(1, 1).feedforward(32);
/// let model = Seq2SeqTransformer::<f32>::new(config, &mut Rng::seed(0));
/// let src = Tensor::from_vec(vec![3, 4, 5, 6, 7, 0], [2, 3]); // the second source is padded
/// let tgt_in = Tensor::from_vec(vec![1, 5, 1, 7], [2, 2]); // BOS, then the target
/// assert_eq!(model.forward(&src, &tgt_in).shape(), [2, 2, 14]);
/// let out = model.greedy(&[vec![3, 4, 5]], 4);
/// assert!(out[0].len() <= 4);
/// ```
pub struct Seq2SeqTransformer<T: Float = f32> {
    /// The hyperparameters.
    pub config: Seq2SeqTransformerConfig,
    /// Source token embeddings `[src_vocab, d]`.
    pub src_tok_emb: Embedding<T>,
    /// Target token embeddings `[tgt_vocab, d]`.
    pub tgt_tok_emb: Embedding<T>,
    /// The fixed sine table.
    pub positional: SinusoidalEncoding<T>,
    /// After the positions are added.
    pub dropout: Dropout,
    /// The encoder–decoder, batch-first.
    pub transformer: Transformer<T>,
    /// Hidden states to target logits.
    pub generator: Linear<T>,
}

impl<T: Float> Seq2SeqTransformer<T> {
    /// A freshly initialised model.
    pub fn new(config: Seq2SeqTransformerConfig, rng: &mut Rng) -> Self {
        let c = &config;
        assert!(
            c.src_vocab > 0 && c.tgt_vocab > 0 && c.max_len > 0,
            "Seq2SeqTransformer::new: vocabularies and max_len must be positive, got {c:?}"
        );
        for (name, id) in [("pad", c.pad), ("bos", c.bos), ("eos", c.eos)] {
            assert!(
                (0..c.tgt_vocab as i64).contains(&id),
                "Seq2SeqTransformer::new: {name} token {id} is outside the target vocabulary 0..{}",
                c.tgt_vocab
            );
        }
        let std = 1.0 / (c.d_model as f64).sqrt();
        let src_tok_emb = Embedding::from_weights(init::normal([c.src_vocab, c.d_model], 0.0, std, rng));
        let tgt_tok_emb = Embedding::from_weights(init::normal([c.tgt_vocab, c.d_model], 0.0, std, rng));
        let transformer =
            Transformer::new(c.d_model, c.nhead, c.num_encoder_layers, c.num_decoder_layers, c.dim_feedforward, rng)
                .batch_first(true)
                .norm_first(c.norm_first)
                .activation(c.activation)
                .dropout(c.dropout);
        Seq2SeqTransformer {
            src_tok_emb,
            tgt_tok_emb,
            positional: SinusoidalEncoding::new(c.max_len, c.d_model),
            dropout: Dropout::new(c.dropout, rng),
            transformer,
            generator: Linear::new(c.d_model, c.tgt_vocab, rng),
            config,
        }
    }

    fn embed(&self, op: &str, embedding: &Embedding<T>, tokens: &Tensor<i64>, vocab: usize) -> Variable<T> {
        if tokens.rank() != 2 || tokens.numel() == 0 {
            panic!("{op}: token ids must be a non-empty [B, T], got shape {}", dims_str(tokens.shape()));
        }
        if tokens.shape()[1] > self.config.max_len {
            panic!(
                "{op}: {} tokens are more than the position table's max_len {} (raise Seq2SeqTransformerConfig::max_len)",
                tokens.shape()[1],
                self.config.max_len
            );
        }
        if let Some(bad) = tokens.to_vec().into_iter().find(|&t| t < 0 || t as usize >= vocab) {
            panic!("{op}: token id {bad} is outside the vocabulary 0..{vocab}");
        }
        let scaled = embedding.weight.embedding(tokens).mul_scalar(T::from_f64((self.config.d_model as f64).sqrt()));
        self.dropout.call(&self.positional.forward(&scaled, 0))
    }

    /// The source's padding mask `[B, S]` (true at PAD), or `None` when nothing is padded (the
    /// attention then runs unmasked).
    pub fn source_padding(&self, src: &Tensor<i64>) -> Option<Tensor<bool>> {
        let data = src.to_vec();
        let s = src.shape()[1];
        if let Some(row) = data.chunks(s).position(|r| r.iter().all(|&t| t == self.config.pad)) {
            panic!("Seq2SeqTransformer: source {row} is all padding; every source needs a token");
        }
        data.contains(&self.config.pad)
            .then(|| Tensor::from_vec(data.iter().map(|&t| t == self.config.pad).collect(), src.shape()))
    }

    /// The memory `[B, S, d]` of padded sources `[B, S]`, and their padding mask.
    pub fn encode(&self, src: &Tensor<i64>) -> (Variable<T>, Option<Tensor<bool>>) {
        let x = self.embed("Seq2SeqTransformer::encode", &self.src_tok_emb, src, self.config.src_vocab);
        let padding = self.source_padding(src);
        let memory =
            self.transformer.encode(&x, &AttentionMasks { key_padding_mask: padding.clone(), ..Default::default() });
        (memory, padding)
    }

    /// Logits `[B, T, tgt_vocab]` for decoder inputs `[B, T]` given the memory and the
    /// source's padding (from [`encode`](Self::encode)); position t sees inputs 0..=t only.
    pub fn decode(&self, tgt_in: &Tensor<i64>, memory: &Variable<T>, padding: Option<&Tensor<bool>>) -> Variable<T> {
        let y = self.embed("Seq2SeqTransformer::decode", &self.tgt_tok_emb, tgt_in, self.config.tgt_vocab);
        let memory_masks = AttentionMasks { key_padding_mask: padding.cloned(), ..Default::default() };
        let hidden = self.transformer.decode(&y, memory, &AttentionMasks::causal(), &memory_masks);
        self.generator.call(&hidden)
    }

    /// Teacher forcing: logits `[B, T, tgt_vocab]` for padded sources `[B, S]` and decoder
    /// inputs `[B, T]` (BOS, then the target without its last token).
    pub fn forward(&self, src: &Tensor<i64>, tgt_in: &Tensor<i64>) -> Variable<T> {
        if src.rank() == 2 && tgt_in.rank() == 2 && src.shape()[0] != tgt_in.shape()[0] {
            panic!(
                "Seq2SeqTransformer::forward: src {} and tgt_in {} have different batch sizes",
                dims_str(src.shape()),
                dims_str(tgt_in.shape())
            );
        }
        let (memory, padding) = self.encode(src);
        self.decode(tgt_in, &memory, padding.as_ref())
    }

    /// The mean cross-entropy (nats per token) of `tgt_out` `[B, T]` (the target then EOS,
    /// padded with PAD, which is skipped) given `src` and `tgt_in`.
    pub fn loss(&self, src: &Tensor<i64>, tgt_in: &Tensor<i64>, tgt_out: &Tensor<i64>) -> Variable<T> {
        if tgt_in.shape() != tgt_out.shape() {
            panic!(
                "Seq2SeqTransformer::loss: tgt_in {} and tgt_out {} differ in shape",
                dims_str(tgt_in.shape()),
                dims_str(tgt_out.shape())
            );
        }
        let logits = self.forward(src, tgt_in).reshape(vec![tgt_out.numel(), self.config.tgt_vocab]);
        CrossEntropyLoss::new().ignore_index(self.config.pad).indices(&logits, &tgt_out.reshape([-1]))
    }
}

impl<T: Float> Module<T> for Seq2SeqTransformer<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("src_tok_emb", &self.src_tok_emb);
        v.child("tgt_tok_emb", &self.tgt_tok_emb);
        v.child("positional", &self.positional);
        v.child("dropout", &self.dropout);
        v.child("transformer", &self.transformer);
        v.child("generator", &self.generator);
    }
}
