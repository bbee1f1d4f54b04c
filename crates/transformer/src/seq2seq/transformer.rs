//! The whole encoder–decoder, PyTorch's `nn.Transformer`.

use crate::layer::{Activation, AttentionMasks, TransformerDecoder, TransformerDecoderLayer};
use crate::layer::{TransformerEncoder, TransformerEncoderLayer};
use kindling_autograd::Variable;
use kindling_nn::{init, LayerNorm, Module, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng};

/// The masks of one [`Transformer::forward`] call, PyTorch's nine mask arguments in three
/// groups (true = excluded, as in [`AttentionMasks`]).
#[derive(Clone, Debug)]
pub struct TransformerMasks<T: Float> {
    /// The encoder's self-attention: `src_mask`, `src_key_padding_mask`, `src_is_causal`.
    pub src: AttentionMasks<T>,
    /// The decoder's self-attention: `tgt_mask`, `tgt_key_padding_mask`, `tgt_is_causal`.
    pub tgt: AttentionMasks<T>,
    /// The decoder's cross-attention to the memory: `memory_mask`,
    /// `memory_key_padding_mask`, `memory_is_causal`.
    pub memory: AttentionMasks<T>,
}

impl<T: Float> Default for TransformerMasks<T> {
    fn default() -> Self {
        TransformerMasks { src: AttentionMasks::none(), tgt: AttentionMasks::none(), memory: AttentionMasks::none() }
    }
}

impl<T: Float> TransformerMasks<T> {
    /// What a sequence-to-sequence model passes: a causal target, and the source's padding
    /// (`[B, S]`, true at padding) hidden from both the encoder and the cross-attention.
    pub fn seq2seq(src_key_padding: Option<kindling_tensor::Tensor<bool>>) -> Self {
        let padding = AttentionMasks { key_padding_mask: src_key_padding, ..AttentionMasks::none() };
        TransformerMasks { src: padding.clone(), tgt: AttentionMasks::causal(), memory: padding }
    }
}

/// The encoder–decoder transformer of "Attention is all you need", `nn.Transformer` with its
/// parameter names (`encoder.layers.{i}.*`, `encoder.norm.*`, `decoder.layers.{i}.*`,
/// `decoder.norm.*`) and defaults: post-norm, ReLU, dropout 0.1, sequence-first, a final
/// LayerNorm after both stacks, every matrix Xavier-uniform. It maps embedded sequences to
/// the decoder's hidden states; embeddings and the output layer are the user's (see
/// [`Seq2SeqTransformer`](super::Seq2SeqTransformer)).
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_tensor::{Rng, Tensor};
/// use kindling_transformer::seq2seq::{Transformer, TransformerMasks};
///
/// let mut rng = Rng::seed(0);
/// let model = Transformer::<f32>::new(16, 4, 2, 2, 32, &mut rng).batch_first(true).norm_first(true);
/// let src = Variable::constant(Tensor::randn([2, 6, 16], &mut rng));
/// let tgt = Variable::constant(Tensor::randn([2, 3, 16], &mut rng));
/// let out = model.forward(&src, &tgt, &TransformerMasks::seq2seq(None));
/// assert_eq!(out.shape(), [2, 3, 16]);
/// ```
pub struct Transformer<T: Float = f32> {
    /// `nn.TransformerEncoder` with its final norm.
    pub encoder: TransformerEncoder<T>,
    /// `nn.TransformerDecoder` with its final norm.
    pub decoder: TransformerDecoder<T>,
    d_model: usize,
    batch_first: bool,
}

impl<T: Float> Transformer<T> {
    /// Width `d_model`, `nhead` heads, the two stacks' depths and the feed-forward width.
    pub fn new(
        d_model: usize,
        nhead: usize,
        num_encoder_layers: usize,
        num_decoder_layers: usize,
        dim_feedforward: usize,
        rng: &mut Rng,
    ) -> Self {
        assert!(
            num_encoder_layers > 0 && num_decoder_layers > 0,
            "Transformer::new: both stacks need at least one layer, got {num_encoder_layers} encoder and \
             {num_decoder_layers} decoder layers"
        );
        let encoder_layers = (0..num_encoder_layers)
            .map(|_| TransformerEncoderLayer::new(d_model, nhead, dim_feedforward, rng))
            .collect();
        let decoder_layers = (0..num_decoder_layers)
            .map(|_| TransformerDecoderLayer::new(d_model, nhead, dim_feedforward, rng))
            .collect();
        let model = Transformer {
            encoder: TransformerEncoder::new(encoder_layers, Some(LayerNorm::new([d_model]))),
            decoder: TransformerDecoder::new(decoder_layers, Some(LayerNorm::new([d_model]))),
            d_model,
            batch_first: false,
        };
        // As nn.Transformer: every matrix (not the biases or norms) redrawn Xavier-uniform.
        for (_, p) in model.named_parameters() {
            if p.shape().len() > 1 {
                p.set_value(init::xavier_uniform(p.shape(), 1.0, rng));
            }
        }
        model
    }

    fn map_layers(
        mut self,
        encoder: impl Fn(TransformerEncoderLayer<T>) -> TransformerEncoderLayer<T>,
        decoder: impl Fn(TransformerDecoderLayer<T>) -> TransformerDecoderLayer<T>,
    ) -> Self {
        self.encoder.layers = std::mem::take(&mut self.encoder.layers).into_iter().map(encoder).collect();
        self.decoder.layers = std::mem::take(&mut self.decoder.layers).into_iter().map(decoder).collect();
        self
    }

    /// Pre-norm (true) or post-norm (false, the default) in every layer.
    pub fn norm_first(self, norm_first: bool) -> Self {
        self.map_layers(|l| l.norm_first(norm_first), |l| l.norm_first(norm_first))
    }

    /// The feed-forward non-linearity of every layer (ReLU by default).
    pub fn activation(self, activation: Activation) -> Self {
        self.map_layers(|l| l.activation(activation), |l| l.activation(activation))
    }

    /// Dropout everywhere (0.1 by default).
    pub fn dropout(self, p: f64) -> Self {
        self.map_layers(|l| l.dropout(p), |l| l.dropout(p))
    }

    /// `[B, T, d]` (true) or `[T, B, d]` (false, the default) for the source, the target and
    /// the output.
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.batch_first = batch_first;
        self.map_layers(|l| l.batch_first(batch_first), |l| l.batch_first(batch_first))
    }

    /// The model width.
    pub fn d_model(&self) -> usize {
        self.d_model
    }

    /// Whether inputs are `[B, T, d]`.
    pub fn is_batch_first(&self) -> bool {
        self.batch_first
    }

    /// The encoder's output (the memory) for an embedded source.
    pub fn encode(&self, src: &Variable<T>, src_masks: &AttentionMasks<T>) -> Variable<T> {
        self.check("Transformer::encode", "src", &src.shape());
        self.encoder.encode(src, src_masks)
    }

    /// The decoder's output for an embedded target given the memory.
    pub fn decode(
        &self,
        tgt: &Variable<T>,
        memory: &Variable<T>,
        tgt_masks: &AttentionMasks<T>,
        memory_masks: &AttentionMasks<T>,
    ) -> Variable<T> {
        self.check("Transformer::decode", "tgt", &tgt.shape());
        self.decoder.decode(tgt, memory, tgt_masks, memory_masks)
    }

    /// `nn.Transformer.forward`: encode `src`, then decode `tgt` against it. Shapes `[S, B, d]`
    /// and `[T, B, d]` (`[B, S, d]`, `[B, T, d]` batch-first); the output has `tgt`'s shape.
    pub fn forward(&self, src: &Variable<T>, tgt: &Variable<T>, masks: &TransformerMasks<T>) -> Variable<T> {
        let (s, t) = (src.shape(), tgt.shape());
        self.check("Transformer::forward", "src", &s);
        self.check("Transformer::forward", "tgt", &t);
        let batch_axis = usize::from(!self.batch_first);
        if s.len() == 3 && t.len() == 3 && s[batch_axis] != t[batch_axis] {
            panic!(
                "Transformer::forward: src {} and tgt {} have different batch sizes (batch_first = {})",
                dims_str(&s),
                dims_str(&t),
                self.batch_first
            );
        }
        let memory = self.encoder.encode(src, &masks.src);
        self.decoder.decode(tgt, &memory, &masks.tgt, &masks.memory)
    }

    fn check(&self, op: &str, what: &str, shape: &[usize]) {
        if !(2..=3).contains(&shape.len()) || shape[shape.len() - 1] != self.d_model {
            panic!(
                "{op}: {what} of shape {} must be [len, batch, d_model] ([batch, len, d_model] batch-first) or \
                 [len, d_model] with d_model = {}",
                dims_str(shape),
                self.d_model
            );
        }
    }
}

impl<T: Float> Module<T> for Transformer<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("encoder", &self.encoder);
        v.child("decoder", &self.decoder);
    }
}
