//! The transformer's layers (book chapter 13), with `torch.nn`'s names and defaults so a
//! PyTorch state dict loads: [`TransformerEncoderLayer`], [`TransformerDecoderLayer`], the
//! stacks [`TransformerEncoder`] and [`TransformerDecoder`] and the position-wise
//! [`FeedForward`] sub-layer.
//!
//! Every layer comes in two forms:
//! - **post-norm** (the 2017 transformer, BERT; PyTorch's default): `x = norm(x + sublayer(x))`;
//! - **pre-norm** (`.norm_first(true)`; GPT-2 and nearly every model since):
//!   `x = x + sublayer(norm(x))`. The residual path is then a clean sum from input to output,
//!   which keeps deep stacks trainable without a careful warmup.

use crate::attention::{MhaMask, MhaOptions, MultiheadAttention};
use kindling_autograd::Variable;
use kindling_nn::{Dropout, Forward, LayerNorm, Linear, Module, Visitor};
use kindling_tensor::{Float, Rng, Tensor};

/// The non-linearity inside the feed-forward sub-layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Activation {
    /// max(0, x): PyTorch's default.
    #[default]
    Relu,
    /// The exact GELU x·Φ(x) (BERT, GPT-2).
    Gelu,
}

impl Activation {
    /// Applies the activation elementwise.
    pub fn apply<T: Float>(self, x: &Variable<T>) -> Variable<T> {
        match self {
            Activation::Relu => x.relu(),
            Activation::Gelu => x.gelu(),
        }
    }
}

/// The masks of one attention sub-layer: PyTorch's `*_mask`, `*_key_padding_mask` and
/// `*_is_causal` arguments (see [`MhaOptions`] for the conventions: true = excluded).
#[derive(Clone, Debug)]
pub struct AttentionMasks<T: Float> {
    /// `[L, S]` or `[B·heads, L, S]`.
    pub attn_mask: Option<MhaMask<T>>,
    /// `[B, S]`, true at padding keys.
    pub key_padding_mask: Option<Tensor<bool>>,
    /// Query i sees keys j ≤ i only.
    pub is_causal: bool,
}

impl<T: Float> Default for AttentionMasks<T> {
    fn default() -> Self {
        AttentionMasks { attn_mask: None, key_padding_mask: None, is_causal: false }
    }
}

impl<T: Float> AttentionMasks<T> {
    /// No masks at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// The causal mask only (a decoder's self-attention).
    pub fn causal() -> Self {
        AttentionMasks { is_causal: true, ..Self::default() }
    }

    /// Padding keys to ignore, true at padding.
    pub fn key_padding(mask: Tensor<bool>) -> Self {
        AttentionMasks { key_padding_mask: Some(mask), ..Self::default() }
    }

    fn options(&self, need_weights: bool) -> MhaOptions<T> {
        MhaOptions {
            key_padding_mask: self.key_padding_mask.clone(),
            attn_mask: self.attn_mask.clone(),
            need_weights,
            average_attn_weights: false,
            is_causal: self.is_causal,
        }
    }
}

/// The position-wise feed-forward sub-layer `linear2(dropout(act(linear1(x))))`, applied to
/// every token alone: width d_model → dim_feedforward → d_model. Its parameters are
/// `linear1.*` and `linear2.*`, which the transformer layers show at their own level, as
/// PyTorch names them.
pub struct FeedForward<T: Float = f32> {
    /// d_model → dim_feedforward.
    pub linear1: Linear<T>,
    /// dim_feedforward → d_model.
    pub linear2: Linear<T>,
    /// Between the activation and `linear2`.
    pub dropout: Dropout,
    /// ReLU or GELU.
    pub activation: Activation,
}

impl<T: Float> FeedForward<T> {
    /// ReLU, no dropout.
    pub fn new(d_model: usize, dim_feedforward: usize, rng: &mut Rng) -> Self {
        FeedForward {
            linear1: Linear::new(d_model, dim_feedforward, rng),
            dropout: Dropout::new(0.0, rng),
            linear2: Linear::new(dim_feedforward, d_model, rng),
            activation: Activation::Relu,
        }
    }
}

impl<T: Float> Module<T> for FeedForward<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("linear1", &self.linear1);
        v.child("dropout", &self.dropout);
        v.child("linear2", &self.linear2);
    }
}

impl<T: Float> Forward<T> for FeedForward<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let hidden = self.activation.apply(&self.linear1.call(x));
        self.linear2.call(&self.dropout.call(&hidden))
    }
}

/// `N` dropout sub-layers of probability `p` drawn from a copy of `seed`, the generator a
/// layer keeps so that `.dropout(p)` rebuilds them reproducibly after construction.
fn dropouts<const N: usize>(p: f64, seed: &Rng) -> [Dropout; N] {
    let mut rng = seed.clone();
    std::array::from_fn(|_| Dropout::new(p, &mut rng))
}

/// PyTorch's default dropout in the transformer layers.
const DEFAULT_DROPOUT: f64 = 0.1;

/// One encoder layer: self-attention, then the feed-forward sub-layer, each with a residual
/// connection and a LayerNorm (`nn.TransformerEncoderLayer`: post-norm, ReLU, dropout 0.1,
/// sequence-first by default).
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::{Forward, Module};
/// use kindling_tensor::{Rng, Tensor};
/// use kindling_transformer::layer::{Activation, TransformerEncoderLayer};
///
/// let mut rng = Rng::seed(0);
/// let layer = TransformerEncoderLayer::<f32>::new(16, 4, 64, &mut rng)
///     .norm_first(true)
///     .activation(Activation::Gelu)
///     .batch_first(true);
/// let x = Variable::constant(Tensor::randn([2, 7, 16], &mut rng));
/// assert_eq!(layer.call(&x).shape(), [2, 7, 16]);
/// assert_eq!(layer.named_parameters()[0].0, "self_attn.in_proj_weight");
/// ```
pub struct TransformerEncoderLayer<T: Float = f32> {
    /// Self-attention.
    pub self_attn: MultiheadAttention<T>,
    /// `linear1`, `dropout`, `linear2`.
    pub feed_forward: FeedForward<T>,
    /// Around the attention sub-layer.
    pub norm1: LayerNorm<T>,
    /// Around the feed-forward sub-layer.
    pub norm2: LayerNorm<T>,
    /// After the attention, before the residual sum.
    pub dropout1: Dropout,
    /// After the feed-forward, before the residual sum.
    pub dropout2: Dropout,
    norm_first: bool,
    seed: Rng,
}

impl<T: Float> TransformerEncoderLayer<T> {
    /// Width `d_model`, `nhead` heads, feed-forward width `dim_feedforward`.
    pub fn new(d_model: usize, nhead: usize, dim_feedforward: usize, rng: &mut Rng) -> Self {
        let self_attn = MultiheadAttention::new(d_model, nhead, rng).dropout(DEFAULT_DROPOUT);
        let feed_forward = FeedForward::new(d_model, dim_feedforward, rng);
        let seed = rng.fork();
        let [dropout, dropout1, dropout2] = dropouts(DEFAULT_DROPOUT, &seed);
        TransformerEncoderLayer {
            self_attn,
            feed_forward: FeedForward { dropout, ..feed_forward },
            norm1: LayerNorm::new([d_model]),
            norm2: LayerNorm::new([d_model]),
            dropout1,
            dropout2,
            norm_first: false,
            seed,
        }
    }

    /// Pre-norm (true) or post-norm (false, the default).
    pub fn norm_first(mut self, norm_first: bool) -> Self {
        self.norm_first = norm_first;
        self
    }

    /// The feed-forward non-linearity (ReLU by default).
    pub fn activation(mut self, activation: Activation) -> Self {
        self.feed_forward.activation = activation;
        self
    }

    /// Dropout everywhere in the layer (attention weights and the three dropout sites).
    pub fn dropout(mut self, p: f64) -> Self {
        self.self_attn = self.self_attn.dropout(p);
        [self.feed_forward.dropout, self.dropout1, self.dropout2] = dropouts(p, &self.seed);
        self
    }

    /// `[B, T, d]` (true) or `[T, B, d]` (false, the default).
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.self_attn = self.self_attn.batch_first(batch_first);
        self
    }

    /// Whether the layer is pre-norm.
    pub fn is_norm_first(&self) -> bool {
        self.norm_first
    }

    // ANCHOR: encode
    /// The layer on `src` with masks (`src_mask`, `src_key_padding_mask`,
    /// `is_causal`).
    pub fn encode(&self, src: &Variable<T>, masks: &AttentionMasks<T>) -> Variable<T> {
        let attend = |x: &Variable<T>| {
            let (y, _) = self.self_attn.forward(x, x, x, &masks.options(false));
            self.dropout1.call(&y)
        };
        let feed = |x: &Variable<T>| self.dropout2.call(&self.feed_forward.call(x));
        if self.norm_first {
            let x = src + &attend(&self.norm1.call(src));
            &x + &feed(&self.norm2.call(&x))
        } else {
            let x = self.norm1.call(&(src + &attend(src)));
            self.norm2.call(&(&x + &feed(&x)))
        }
    }
    // ANCHOR_END: encode

    /// The self-attention weights `[B, heads, L, S]` this layer computes on `src`, per head
    /// (after `norm1` in the pre-norm form, as the layer itself sees them).
    pub fn attention_weights(&self, src: &Variable<T>, masks: &AttentionMasks<T>) -> Variable<T> {
        let x = if self.norm_first { self.norm1.forward(src) } else { src.clone() };
        let (_, weights) = self.self_attn.forward(&x, &x, &x, &masks.options(true));
        weights.expect("need_weights returns the weights")
    }
}

impl<T: Float> Module<T> for TransformerEncoderLayer<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("self_attn", &self.self_attn);
        self.feed_forward.visit(v);
        v.child("norm1", &self.norm1);
        v.child("norm2", &self.norm2);
        v.child("dropout1", &self.dropout1);
        v.child("dropout2", &self.dropout2);
    }
}

/// The layer with no mask.
impl<T: Float> Forward<T> for TransformerEncoderLayer<T> {
    fn forward(&self, src: &Variable<T>) -> Variable<T> {
        self.encode(src, &AttentionMasks::none())
    }
}

/// One decoder layer: masked self-attention over the target, cross-attention from the
/// target to the encoder's output (the memory), then the feed-forward sub-layer, each with
/// its residual connection and LayerNorm (`nn.TransformerDecoderLayer`).
pub struct TransformerDecoderLayer<T: Float = f32> {
    /// Self-attention over the target.
    pub self_attn: MultiheadAttention<T>,
    /// Cross-attention: queries from the target, keys and values from the memory.
    pub multihead_attn: MultiheadAttention<T>,
    /// `linear1`, `dropout`, `linear2`.
    pub feed_forward: FeedForward<T>,
    /// Around the self-attention.
    pub norm1: LayerNorm<T>,
    /// Around the cross-attention.
    pub norm2: LayerNorm<T>,
    /// Around the feed-forward.
    pub norm3: LayerNorm<T>,
    /// After the self-attention.
    pub dropout1: Dropout,
    /// After the cross-attention.
    pub dropout2: Dropout,
    /// After the feed-forward.
    pub dropout3: Dropout,
    norm_first: bool,
    seed: Rng,
}

impl<T: Float> TransformerDecoderLayer<T> {
    /// Width `d_model`, `nhead` heads in both attentions, feed-forward width `dim_feedforward`.
    pub fn new(d_model: usize, nhead: usize, dim_feedforward: usize, rng: &mut Rng) -> Self {
        let self_attn = MultiheadAttention::new(d_model, nhead, rng).dropout(DEFAULT_DROPOUT);
        let multihead_attn = MultiheadAttention::new(d_model, nhead, rng).dropout(DEFAULT_DROPOUT);
        let feed_forward = FeedForward::new(d_model, dim_feedforward, rng);
        let seed = rng.fork();
        let [dropout, dropout1, dropout2, dropout3] = dropouts(DEFAULT_DROPOUT, &seed);
        TransformerDecoderLayer {
            self_attn,
            multihead_attn,
            feed_forward: FeedForward { dropout, ..feed_forward },
            norm1: LayerNorm::new([d_model]),
            norm2: LayerNorm::new([d_model]),
            norm3: LayerNorm::new([d_model]),
            dropout1,
            dropout2,
            dropout3,
            norm_first: false,
            seed,
        }
    }

    /// Pre-norm (true) or post-norm (false, the default).
    pub fn norm_first(mut self, norm_first: bool) -> Self {
        self.norm_first = norm_first;
        self
    }

    /// The feed-forward non-linearity (ReLU by default).
    pub fn activation(mut self, activation: Activation) -> Self {
        self.feed_forward.activation = activation;
        self
    }

    /// Dropout everywhere in the layer.
    pub fn dropout(mut self, p: f64) -> Self {
        self.self_attn = self.self_attn.dropout(p);
        self.multihead_attn = self.multihead_attn.dropout(p);
        [self.feed_forward.dropout, self.dropout1, self.dropout2, self.dropout3] = dropouts(p, &self.seed);
        self
    }

    /// `[B, T, d]` (true) or `[T, B, d]` (false, the default), for the target and the memory.
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.self_attn = self.self_attn.batch_first(batch_first);
        self.multihead_attn = self.multihead_attn.batch_first(batch_first);
        self
    }

    /// The layer on the target `tgt` given the encoder's output `memory`, with the target's
    /// masks (`tgt_mask`, `tgt_key_padding_mask`, `tgt_is_causal`) and the memory's
    /// (`memory_mask`, `memory_key_padding_mask`, `memory_is_causal`).
    pub fn decode(
        &self,
        tgt: &Variable<T>,
        memory: &Variable<T>,
        tgt_masks: &AttentionMasks<T>,
        memory_masks: &AttentionMasks<T>,
    ) -> Variable<T> {
        let attend_self = |x: &Variable<T>| {
            let (y, _) = self.self_attn.forward(x, x, x, &tgt_masks.options(false));
            self.dropout1.call(&y)
        };
        let attend_memory = |x: &Variable<T>| {
            let (y, _) = self.multihead_attn.forward(x, memory, memory, &memory_masks.options(false));
            self.dropout2.call(&y)
        };
        let feed = |x: &Variable<T>| self.dropout3.call(&self.feed_forward.call(x));
        if self.norm_first {
            let x = tgt + &attend_self(&self.norm1.call(tgt));
            let x = &x + &attend_memory(&self.norm2.call(&x));
            &x + &feed(&self.norm3.call(&x))
        } else {
            let x = self.norm1.call(&(tgt + &attend_self(tgt)));
            let x = self.norm2.call(&(&x + &attend_memory(&x)));
            self.norm3.call(&(&x + &feed(&x)))
        }
    }
}

impl<T: Float> Module<T> for TransformerDecoderLayer<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("self_attn", &self.self_attn);
        v.child("multihead_attn", &self.multihead_attn);
        self.feed_forward.visit(v);
        v.child("norm1", &self.norm1);
        v.child("norm2", &self.norm2);
        v.child("norm3", &self.norm3);
        v.child("dropout1", &self.dropout1);
        v.child("dropout2", &self.dropout2);
        v.child("dropout3", &self.dropout3);
    }
}

/// A stack of encoder layers `layers.0.*`, `layers.1.*`, ... with an optional final
/// LayerNorm `norm.*` (`nn.TransformerEncoder`; a pre-norm stack needs the final norm, since
/// its last layer's output is an un-normalised residual sum).
pub struct TransformerEncoder<T: Float = f32> {
    /// The layers, applied in order.
    pub layers: Vec<TransformerEncoderLayer<T>>,
    /// Applied after the last layer.
    pub norm: Option<LayerNorm<T>>,
}

impl<T: Float> TransformerEncoder<T> {
    /// The given layers and final norm. PyTorch copies one layer N times; build each layer
    /// from the same generator for different initial weights, or load a state dict.
    pub fn new(layers: Vec<TransformerEncoderLayer<T>>, norm: Option<LayerNorm<T>>) -> Self {
        assert!(!layers.is_empty(), "TransformerEncoder: a stack needs at least one layer");
        TransformerEncoder { layers, norm }
    }

    /// Every layer on `src` with the same masks, then the final norm.
    pub fn encode(&self, src: &Variable<T>, masks: &AttentionMasks<T>) -> Variable<T> {
        let x = self.layers.iter().fold(src.clone(), |x, layer| layer.encode(&x, masks));
        match &self.norm {
            Some(norm) => norm.call(&x),
            None => x,
        }
    }
}

impl<T: Float> Module<T> for TransformerEncoder<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("layers", &self.layers);
        v.child("norm", &self.norm);
    }
}

/// The stack with no mask.
impl<T: Float> Forward<T> for TransformerEncoder<T> {
    fn forward(&self, src: &Variable<T>) -> Variable<T> {
        self.encode(src, &AttentionMasks::none())
    }
}

/// A stack of decoder layers `layers.0.*`, `layers.1.*`, ... with an optional final LayerNorm
/// `norm.*` (`nn.TransformerDecoder`). Every layer attends to the same memory, the encoder's
/// output, with the same masks.
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::{LayerNorm, Module};
/// use kindling_tensor::{Rng, Tensor};
/// use kindling_transformer::layer::{AttentionMasks, TransformerDecoder, TransformerDecoderLayer};
///
/// let mut rng = Rng::seed(0);
/// let layers = (0..2).map(|_| TransformerDecoderLayer::<f32>::new(16, 4, 32, &mut rng).batch_first(true)).collect();
/// let decoder = TransformerDecoder::new(layers, Some(LayerNorm::new([16])));
/// let tgt = Variable::constant(Tensor::randn([2, 3, 16], &mut rng));
/// let memory = Variable::constant(Tensor::randn([2, 5, 16], &mut rng));
/// let out = decoder.decode(&tgt, &memory, &AttentionMasks::causal(), &AttentionMasks::none());
/// assert_eq!(out.shape(), [2, 3, 16]);
/// assert_eq!(decoder.named_parameters().last().unwrap().0, "norm.bias");
/// ```
pub struct TransformerDecoder<T: Float = f32> {
    /// The layers, applied in order.
    pub layers: Vec<TransformerDecoderLayer<T>>,
    /// Applied after the last layer.
    pub norm: Option<LayerNorm<T>>,
}

impl<T: Float> TransformerDecoder<T> {
    /// The given layers and final norm (PyTorch copies one layer N times; here each layer is
    /// built separately, or loaded from a state dict).
    pub fn new(layers: Vec<TransformerDecoderLayer<T>>, norm: Option<LayerNorm<T>>) -> Self {
        assert!(!layers.is_empty(), "TransformerDecoder: a stack needs at least one layer");
        TransformerDecoder { layers, norm }
    }

    /// Every layer on the target `tgt` given `memory`, with the target's masks and the
    /// memory's (as [`TransformerDecoderLayer::decode`]), then the final norm.
    pub fn decode(
        &self,
        tgt: &Variable<T>,
        memory: &Variable<T>,
        tgt_masks: &AttentionMasks<T>,
        memory_masks: &AttentionMasks<T>,
    ) -> Variable<T> {
        let x = self.layers.iter().fold(tgt.clone(), |x, layer| layer.decode(&x, memory, tgt_masks, memory_masks));
        match &self.norm {
            Some(norm) => norm.call(&x),
            None => x,
        }
    }
}

impl<T: Float> Module<T> for TransformerDecoder<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("layers", &self.layers);
        v.child("norm", &self.norm);
    }
}
