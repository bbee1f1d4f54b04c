//! The BERT encoder: embeddings, post-norm encoder layers and the optional pooler, with
//! Hugging Face's module names.

use super::config::{BertConfig, HiddenAct};
use kindling_autograd::attention::scaled_dot_product_attention;
use kindling_autograd::Variable;
use kindling_nn::{init, Dropout, Forward, LayerNorm, Linear, Module, TrainingFlag, Visitor};
use kindling_tensor::attention::AttentionConfig;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};
use std::sync::Mutex;

/// BERT's initialisation: weights N(0, 0.02²), biases zero (Hugging Face's `initializer_range`).
const INIT_STD: f64 = 0.02;

/// A `Linear(fan_in, fan_out)` initialised as BERT's.
pub(super) fn bert_linear<T: Float>(fan_in: usize, fan_out: usize, rng: &mut Rng) -> Linear<T> {
    Linear::from_weights(init::normal([fan_out, fan_in], 0.0, INIT_STD, rng), Some(Tensor::zeros([fan_out])))
}

/// A `LayerNorm(hidden_size)` with the config's ε.
pub(super) fn bert_norm<T: Float>(config: &BertConfig) -> LayerNorm<T> {
    LayerNorm::new([config.hidden_size]).eps(config.layer_norm_eps)
}

/// A linear layer on `[N, in]` rows, as one recorded op.
pub(super) fn apply<T: Float>(layer: &Linear<T>, x: &Variable<T>) -> Variable<T> {
    x.linear(&layer.weight, layer.bias.as_ref())
}

/// The activation named by the config.
pub(super) fn activate<T: Float>(act: HiddenAct, x: &Variable<T>) -> Variable<T> {
    match act {
        HiddenAct::Gelu => x.gelu(),
        HiddenAct::GeluTanh => x.gelu_tanh(),
        HiddenAct::Relu => x.relu(),
    }
}

/// Token, position and segment embeddings, summed, then LayerNorm and dropout.
struct Embeddings<T: Float> {
    word_embeddings: kindling_nn::Embedding<T>,
    position_embeddings: kindling_nn::Embedding<T>,
    token_type_embeddings: kindling_nn::Embedding<T>,
    layer_norm: LayerNorm<T>,
    dropout: Dropout,
}

impl<T: Float> Module<T> for Embeddings<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("word_embeddings", &self.word_embeddings);
        v.child("position_embeddings", &self.position_embeddings);
        v.child("token_type_embeddings", &self.token_type_embeddings);
        v.child("LayerNorm", &self.layer_norm);
        v.child("dropout", &self.dropout);
    }
}

impl<T: Float> Embeddings<T> {
    fn new(config: &BertConfig, rng: &mut Rng) -> Self {
        let h = config.hidden_size;
        let table = |rows: usize, rng: &mut Rng| {
            kindling_nn::Embedding::from_weights(init::normal([rows, h], 0.0, INIT_STD, rng))
        };
        let word_embeddings = table(config.vocab_size, rng);
        // Hugging Face zeroes the padding token's row at initialisation.
        let pad = config.pad_token_id;
        let pad_row = Tensor::<i64>::arange(config.vocab_size as i64).reshape([-1, 1]).eq_scalar(pad as i64);
        word_embeddings.weight.set_value(word_embeddings.weight.value().masked_fill(&pad_row, T::ZERO));
        Embeddings {
            word_embeddings,
            position_embeddings: table(config.max_position_embeddings, rng),
            token_type_embeddings: table(config.type_vocab_size, rng),
            layer_norm: bert_norm(config),
            dropout: Dropout::new(config.hidden_dropout_prob, rng),
        }
    }

    /// `[B, T]` ids and segment ids to `[B·T, H]` rows.
    fn forward(&self, input_ids: &Tensor<i64>, token_type_ids: &Tensor<i64>) -> Variable<T> {
        let (b, t) = (input_ids.shape()[0], input_ids.shape()[1]);
        let words = self.word_embeddings.weight.embedding(input_ids); // [B, T, H]
        let positions = self.position_embeddings.weight.narrow(0, 0, t); // [T, H]
        let types = self.token_type_embeddings.weight.embedding(token_type_ids);
        let x = &(&words + &positions) + &types;
        let h = x.shape()[2];
        self.dropout.forward(&self.layer_norm.forward(&x.reshape(vec![b * t, h])))
    }
}

/// Dropout on the attention weights: the fused kernel draws the mask from a seed, so this keeps
/// only the rate, the train/eval switch and the seeds' generator.
struct AttentionDropout {
    p: f64,
    rng: Mutex<Rng>,
    training: TrainingFlag,
}

impl AttentionDropout {
    /// The rate and a fresh seed, or a zero rate in evaluation.
    fn draw(&self) -> (f64, u64) {
        if self.p == 0.0 || !self.training.get() {
            return (0.0, 0);
        }
        (self.p, self.rng.lock().expect("attention dropout rng").next_u64())
    }
}

impl<T: Float> Module<T> for AttentionDropout {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.mode(&self.training);
        v.rng(&self.rng);
    }
}

/// `attention.self`: separate query, key and value projections and the attention itself.
struct SelfAttention<T: Float> {
    query: Linear<T>,
    key: Linear<T>,
    value: Linear<T>,
    dropout: AttentionDropout,
    num_heads: usize,
}

impl<T: Float> Module<T> for SelfAttention<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("query", &self.query);
        v.child("key", &self.key);
        v.child("value", &self.value);
        v.child("dropout", &self.dropout);
    }
}

/// A dense layer, dropout, then LayerNorm of the residual sum: Hugging Face's
/// `attention.output` and `output` (the post-norm step of every sub-layer).
struct AddNorm<T: Float> {
    dense: Linear<T>,
    layer_norm: LayerNorm<T>,
    dropout: Dropout,
}

impl<T: Float> Module<T> for AddNorm<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("dense", &self.dense);
        v.child("LayerNorm", &self.layer_norm);
        v.child("dropout", &self.dropout);
    }
}

impl<T: Float> AddNorm<T> {
    fn new(fan_in: usize, config: &BertConfig, rng: &mut Rng) -> Self {
        AddNorm {
            dense: bert_linear(fan_in, config.hidden_size, rng),
            layer_norm: bert_norm(config),
            dropout: Dropout::new(config.hidden_dropout_prob, rng),
        }
    }

    /// LayerNorm(residual + dropout(dense(x))).
    fn forward(&self, x: &Variable<T>, residual: &Variable<T>) -> Variable<T> {
        let y = self.dropout.forward(&apply(&self.dense, x));
        self.layer_norm.forward(&(residual + &y))
    }
}

/// `attention`: self-attention then its output step.
struct Attention<T: Float> {
    self_attention: SelfAttention<T>,
    output: AddNorm<T>,
}

impl<T: Float> Module<T> for Attention<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("self", &self.self_attention);
        v.child("output", &self.output);
    }
}

/// `intermediate`: the feed-forward's widening layer and its activation.
struct Intermediate<T: Float> {
    dense: Linear<T>,
    act: HiddenAct,
}

impl<T: Float> Module<T> for Intermediate<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("dense", &self.dense);
    }
}

/// One post-norm encoder layer (`encoder.layer.{i}`).
struct Layer<T: Float> {
    attention: Attention<T>,
    intermediate: Intermediate<T>,
    output: AddNorm<T>,
}

impl<T: Float> Module<T> for Layer<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("attention", &self.attention);
        v.child("intermediate", &self.intermediate);
        v.child("output", &self.output);
    }
}

impl<T: Float> Layer<T> {
    fn new(config: &BertConfig, rng: &mut Rng) -> Self {
        let h = config.hidden_size;
        let self_attention = SelfAttention {
            query: bert_linear(h, h, rng),
            key: bert_linear(h, h, rng),
            value: bert_linear(h, h, rng),
            dropout: AttentionDropout {
                p: config.attention_probs_dropout_prob,
                rng: Mutex::new(rng.fork()),
                training: TrainingFlag::default(),
            },
            num_heads: config.num_attention_heads,
        };
        Layer {
            attention: Attention { self_attention, output: AddNorm::new(h, config, rng) },
            intermediate: Intermediate { dense: bert_linear(h, config.intermediate_size, rng), act: config.hidden_act },
            output: AddNorm::new(config.intermediate_size, config, rng),
        }
    }

    /// `x` is `[B·T, H]` rows of `b` sequences; `padding` `[B, T]` marks keys to ignore.
    fn forward(&self, x: &Variable<T>, b: usize, padding: Option<&Tensor<bool>>) -> Variable<T> {
        let sa = &self.attention.self_attention;
        let (n, h) = (x.shape()[0], x.shape()[1]);
        let (t, heads) = (n / b, sa.num_heads);
        let split = |layer: &Linear<T>| apply(layer, x).reshape(vec![b, t, heads, h / heads]).permute([0, 2, 1, 3]);
        let (p, seed) = sa.dropout.draw();
        let cfg = AttentionConfig { key_padding: padding.cloned(), dropout: p, seed, ..AttentionConfig::new() };
        let context = scaled_dot_product_attention(&split(&sa.query), &split(&sa.key), &split(&sa.value), &cfg);
        let context = context.permute([0, 2, 1, 3]).reshape(vec![n, h]);
        let attended = self.attention.output.forward(&context, x);
        let widened = activate(self.intermediate.act, &apply(&self.intermediate.dense, &attended));
        self.output.forward(&widened, &attended)
    }
}

/// `encoder`: the stack of layers.
struct Encoder<T: Float> {
    layer: Vec<Layer<T>>,
}

impl<T: Float> Module<T> for Encoder<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("layer", &self.layer);
    }
}

/// `pooler`: tanh(dense(first token's vector)).
pub(super) struct Pooler<T: Float> {
    dense: Linear<T>,
}

impl<T: Float> Module<T> for Pooler<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("dense", &self.dense);
    }
}

/// What [`BertModel::forward`] returns.
pub struct BertOutput<T: Float> {
    /// The last layer's vector of every token, `[B, T, H]`.
    pub last_hidden_state: Variable<T>,
    /// tanh(dense(vector of the first token, `[CLS]`)), `[B, H]`; `None` without a pooler.
    pub pooler_output: Option<Variable<T>>,
}

/// The BERT encoder (Hugging Face's `BertModel`): see the [module docs](super).
pub struct BertModel<T: Float = f32> {
    config: BertConfig,
    embeddings: Embeddings<T>,
    encoder: Encoder<T>,
    pub(super) pooler: Option<Pooler<T>>,
}

impl<T: Float> Module<T> for BertModel<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("embeddings", &self.embeddings);
        v.child("encoder", &self.encoder);
        if let Some(pooler) = &self.pooler {
            v.child("pooler", pooler);
        }
    }
}

impl<T: Float> BertModel<T> {
    /// A freshly initialised encoder, as Hugging Face initialises it: weights and embeddings
    /// N(0, 0.02²) (the padding token's row zero), biases zero, LayerNorms (1, 0); with the
    /// pooler when `add_pooler`.
    pub fn new(config: BertConfig, add_pooler: bool, rng: &mut Rng) -> Self {
        config.check();
        let embeddings = Embeddings::new(&config, rng);
        let layer = (0..config.num_hidden_layers).map(|_| Layer::new(&config, rng)).collect();
        let pooler = add_pooler.then(|| Pooler { dense: bert_linear(config.hidden_size, config.hidden_size, rng) });
        BertModel { config, embeddings, encoder: Encoder { layer }, pooler }
    }

    /// The hyperparameters.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Whether the model has the pooler.
    pub fn has_pooler(&self) -> bool {
        self.pooler.is_some()
    }

    /// The token embedding table `[vocab_size, H]` (the masked-LM head's decoder weight).
    pub fn word_embeddings(&self) -> &Variable<T> {
        &self.embeddings.word_embeddings.weight
    }

    /// Encodes token ids `[B, T]` (T ≤ `max_position_embeddings`). `token_type_ids` `[B, T]`
    /// default to zeros; `attention_mask` `[B, T]` holds 1 for a token and 0 for padding
    /// (Hugging Face's convention): padding is never attended to, and its own outputs are
    /// computed but meaningless. Panics on shapes or ids that do not fit, naming them, and on
    /// a sequence with no token.
    pub fn forward(
        &self,
        input_ids: &Tensor<i64>,
        token_type_ids: Option<&Tensor<i64>>,
        attention_mask: Option<&Tensor<i64>>,
    ) -> BertOutput<T> {
        let (b, t) = self.check_inputs("BertModel::forward", input_ids, token_type_ids, attention_mask);
        let rows = self.rows(input_ids, token_type_ids, attention_mask);
        let h = self.config.hidden_size;
        let pooler_output = self.pooler.as_ref().map(|pooler| {
            let first = rows.reshape(vec![b, t, h]).select(1, 0); // [B, H]
            apply(&pooler.dense, &first).tanh()
        });
        BertOutput { last_hidden_state: rows.reshape(vec![b, t, h]), pooler_output }
    }

    /// The last hidden states as `[B·T, H]` rows (inputs already checked).
    pub(super) fn rows(
        &self,
        input_ids: &Tensor<i64>,
        token_type_ids: Option<&Tensor<i64>>,
        attention_mask: Option<&Tensor<i64>>,
    ) -> Variable<T> {
        let b = input_ids.shape()[0];
        let zeros;
        let types = match token_type_ids {
            Some(types) => types,
            None => {
                zeros = Tensor::<i64>::zeros(input_ids.shape());
                &zeros
            }
        };
        // Only a mask with some padding needs the kernel's masking.
        let padding = attention_mask.map(|mask| mask.eq_scalar(0)).filter(|pad| pad.to_vec().contains(&true));
        let mut x = self.embeddings.forward(input_ids, types);
        for layer in &self.encoder.layer {
            x = layer.forward(&x, b, padding.as_ref());
        }
        x
    }

    /// Checks the inputs of a forward pass; returns (B, T).
    pub(super) fn check_inputs(
        &self,
        op: &str,
        input_ids: &Tensor<i64>,
        token_type_ids: Option<&Tensor<i64>>,
        attention_mask: Option<&Tensor<i64>>,
    ) -> (usize, usize) {
        if input_ids.rank() != 2 || input_ids.numel() == 0 {
            panic!("{op}: input_ids must be a non-empty [B, T], got shape {}", dims_str(input_ids.shape()));
        }
        let (b, t) = (input_ids.shape()[0], input_ids.shape()[1]);
        let max = self.config.max_position_embeddings;
        if t > max {
            panic!("{op}: a sequence of {t} tokens is longer than max_position_embeddings {max}");
        }
        let in_range = |what: &str, ids: &Tensor<i64>, n: usize| {
            if let Some((i, bad)) = ids.to_vec().into_iter().enumerate().find(|&(_, id)| !(0..n as i64).contains(&id)) {
                panic!("{op}: {what} {bad} at [{}, {}] is out of range 0..{n}", i / t, i % t);
            }
        };
        in_range("token id", input_ids, self.config.vocab_size);
        for (what, other) in [("token_type_ids", token_type_ids), ("attention_mask", attention_mask)] {
            if let Some(other) = other {
                if other.shape() != input_ids.shape() {
                    panic!(
                        "{op}: {what} of shape {} must match input_ids of shape {}",
                        dims_str(other.shape()),
                        dims_str(input_ids.shape())
                    );
                }
            }
        }
        if let Some(types) = token_type_ids {
            in_range("token type", types, self.config.type_vocab_size);
        }
        if let Some(mask) = attention_mask {
            in_range("attention_mask value", mask, 2);
            // A sequence of padding only has no key to attend to.
            if let Some(empty) = mask.to_vec().chunks(t).position(|row| !row.contains(&1)) {
                panic!("{op}: attention_mask row {empty} is all 0 (a sequence needs at least one token)");
            }
        }
        (b, t)
    }
}
