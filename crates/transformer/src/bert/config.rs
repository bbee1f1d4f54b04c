//! BERT's hyperparameters, with the field names of Hugging Face's `BertConfig`.

/// The activation of the feed-forward sub-layer and of the masked-LM head's transform.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HiddenAct {
    /// The exact GELU, x·Φ(x) (Hugging Face's `"gelu"`, BERT's default).
    #[default]
    Gelu,
    /// The tanh approximation of the GELU (`"gelu_new"`, `"gelu_pytorch_tanh"`).
    GeluTanh,
    /// max(0, x) (`"relu"`).
    Relu,
}

impl HiddenAct {
    /// The activation a Hugging Face `config.json` names by `hidden_act`, if we have it.
    pub fn from_hf(name: &str) -> Option<HiddenAct> {
        match name {
            "gelu" => Some(HiddenAct::Gelu),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Some(HiddenAct::GeluTanh),
            "relu" => Some(HiddenAct::Relu),
            _ => None,
        }
    }

    /// The name Hugging Face writes for this activation.
    pub fn hf_name(self) -> &'static str {
        match self {
            HiddenAct::Gelu => "gelu",
            HiddenAct::GeluTanh => "gelu_pytorch_tanh",
            HiddenAct::Relu => "relu",
        }
    }
}

/// BERT's hyperparameters (Hugging Face's `BertConfig` field names and defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct BertConfig {
    /// Number of token ids.
    pub vocab_size: usize,
    /// Width of every token's vector.
    pub hidden_size: usize,
    /// Number of encoder layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer; must divide `hidden_size`.
    pub num_attention_heads: usize,
    /// Width of the feed-forward sub-layer.
    pub intermediate_size: usize,
    /// The feed-forward activation.
    pub hidden_act: HiddenAct,
    /// Dropout on the embeddings and on every sub-layer's output (and before the classifier).
    pub hidden_dropout_prob: f64,
    /// Dropout on the attention weights.
    pub attention_probs_dropout_prob: f64,
    /// The longest input (the size of the position table).
    pub max_position_embeddings: usize,
    /// Number of segment ids (2: sentence A and sentence B).
    pub type_vocab_size: usize,
    /// The LayerNorms' ε (1e-12 in BERT).
    pub layer_norm_eps: f64,
    /// The padding token's id.
    pub pad_token_id: usize,
}

impl BertConfig {
    /// BERT-base: vocabulary 30522, width 768, 12 layers of 12 heads, feed-forward 3072,
    /// 512 positions, 2 segments, dropout 0.1, ε 1e-12 (Hugging Face's defaults).
    pub fn base() -> Self {
        BertConfig {
            vocab_size: 30522,
            hidden_size: 768,
            num_hidden_layers: 12,
            num_attention_heads: 12,
            intermediate_size: 3072,
            hidden_act: HiddenAct::Gelu,
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            max_position_embeddings: 512,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
            pad_token_id: 0,
        }
    }

    /// A BERT small enough to pretrain on one CPU core in minutes: width 128, 2 layers of 4
    /// heads, feed-forward 512, 128 positions, dropout 0.1, otherwise as [`BertConfig::base`].
    pub fn tiny(vocab_size: usize) -> Self {
        BertConfig {
            vocab_size,
            hidden_size: 128,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            intermediate_size: 512,
            max_position_embeddings: 128,
            ..Self::base()
        }
    }

    /// The width of one attention head, `hidden_size / num_attention_heads`.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    /// Panics naming the first inconsistency.
    pub(crate) fn check(&self) {
        let sizes = [
            self.vocab_size,
            self.hidden_size,
            self.num_hidden_layers,
            self.num_attention_heads,
            self.intermediate_size,
            self.max_position_embeddings,
            self.type_vocab_size,
        ];
        if sizes.contains(&0) {
            panic!("BertConfig: every size must be positive, got {self:?}");
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            panic!(
                "BertConfig: hidden_size {} is not divisible by num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            );
        }
        for (name, p) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            ("attention_probs_dropout_prob", self.attention_probs_dropout_prob),
        ] {
            if !(0.0..1.0).contains(&p) {
                panic!("BertConfig: {name} {p} is outside [0, 1)");
            }
        }
        if self.pad_token_id >= self.vocab_size {
            panic!("BertConfig: pad_token_id {} is outside the vocabulary of {}", self.pad_token_id, self.vocab_size);
        }
        if self.layer_norm_eps.is_nan() || self.layer_norm_eps <= 0.0 {
            panic!("BertConfig: layer_norm_eps must be positive, got {}", self.layer_norm_eps);
        }
    }
}
