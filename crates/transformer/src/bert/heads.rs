//! The heads on top of the encoder: masked language modelling (with the decoder tied to the
//! token embedding) and sequence classification.

use super::config::BertConfig;
use super::model::{activate, apply, bert_linear, bert_norm, BertModel};
use crate::tied::{self, untie, TiedKey};
use kindling_autograd::Variable;
use kindling_nn::state::{self, StateDictError};
use kindling_nn::{CrossEntropyLoss, Dropout, Forward, LayerNorm, Linear, Module, Visitor};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// The label of a position the loss skips (PyTorch's and Hugging Face's `-100`).
pub const IGNORE_INDEX: i64 = -100;

/// `cls.predictions.transform`: dense, activation, LayerNorm.
struct Transform<T: Float> {
    dense: Linear<T>,
    layer_norm: LayerNorm<T>,
}

impl<T: Float> Module<T> for Transform<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("dense", &self.dense);
        v.child("LayerNorm", &self.layer_norm);
    }
}

/// `cls.predictions`: the transform and the output bias (the decoder weight is the embedding).
struct Predictions<T: Float> {
    transform: Transform<T>,
    bias: Variable<T>,
}

impl<T: Float> Module<T> for Predictions<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("bias", &self.bias);
        v.child("transform", &self.transform);
    }
}

/// `cls`.
struct Cls<T: Float> {
    predictions: Predictions<T>,
}

impl<T: Float> Module<T> for Cls<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("predictions", &self.predictions);
    }
}

/// BERT with the masked-language-modelling head (Hugging Face's `BertForMaskedLM`):
/// `bert.*` (no pooler) and `cls.predictions.{bias, transform.*}`.
///
/// **Tied decoder.** The head's output matrix *is* `bert.embeddings.word_embeddings.weight`
/// (one [`Variable`], seen once by optimizers), and its bias is `cls.predictions.bias`. State
/// dicts hold each once; loading also accepts Hugging Face's `state_dict()`, which repeats them
/// as `cls.predictions.decoder.{weight, bias}` (they must be equal to the tied ones).
pub struct BertForMaskedLM<T: Float = f32> {
    bert: BertModel<T>,
    cls: Cls<T>,
}

const DECODER_WEIGHT: &str = "cls.predictions.decoder.weight";
const DECODER_BIAS: &str = "cls.predictions.decoder.bias";
const WORD_EMBEDDINGS: &str = "bert.embeddings.word_embeddings.weight";
const BIAS: &str = "cls.predictions.bias";

impl<T: Float> BertForMaskedLM<T> {
    /// A freshly initialised model (Hugging Face's initialisation; output bias zero).
    pub fn new(config: BertConfig, rng: &mut Rng) -> Self {
        let h = config.hidden_size;
        let transform = Transform { dense: bert_linear(h, h, rng), layer_norm: bert_norm(&config) };
        let bias = Variable::param(Tensor::zeros([config.vocab_size]));
        let bert = BertModel::new(config, false, rng);
        BertForMaskedLM { bert, cls: Cls { predictions: Predictions { transform, bias } } }
    }

    /// The encoder.
    pub fn bert(&self) -> &BertModel<T> {
        &self.bert
    }

    /// The hyperparameters.
    pub fn config(&self) -> &BertConfig {
        self.bert.config()
    }

    /// Token logits `[B, T, vocab_size]` (inputs as [`BertModel::forward`]).
    pub fn forward(
        &self,
        input_ids: &Tensor<i64>,
        token_type_ids: Option<&Tensor<i64>>,
        attention_mask: Option<&Tensor<i64>>,
    ) -> Variable<T> {
        let (b, t) = self.bert.check_inputs("BertForMaskedLM::forward", input_ids, token_type_ids, attention_mask);
        let rows = self.bert.rows(input_ids, token_type_ids, attention_mask);
        self.head(&rows).reshape(vec![b, t, self.config().vocab_size])
    }

    /// The mean cross-entropy over the positions whose label is not −100 (labels `[B, T]`, as
    /// [`mask_tokens`](super::mlm::mask_tokens) makes them). Only those rows go through the
    /// head, so the vocabulary-wide product costs 15% of [`forward`](Self::forward)'s.
    pub fn loss(
        &self,
        input_ids: &Tensor<i64>,
        token_type_ids: Option<&Tensor<i64>>,
        attention_mask: Option<&Tensor<i64>>,
        labels: &Tensor<i64>,
    ) -> Variable<T> {
        self.bert.check_inputs("BertForMaskedLM::loss", input_ids, token_type_ids, attention_mask);
        if labels.shape() != input_ids.shape() {
            panic!(
                "BertForMaskedLM::loss: labels of shape {} must match input_ids of shape {}",
                dims_str(labels.shape()),
                dims_str(input_ids.shape())
            );
        }
        let labels = labels.to_vec();
        let v = self.config().vocab_size as i64;
        if let Some(bad) = labels.iter().find(|&&l| l != IGNORE_INDEX && !(0..v).contains(&l)) {
            panic!("BertForMaskedLM::loss: label {bad} is neither -100 nor a token id below {v}");
        }
        let chosen: Vec<i64> = (0..labels.len() as i64).filter(|&i| labels[i as usize] != IGNORE_INDEX).collect();
        if chosen.is_empty() {
            panic!("BertForMaskedLM::loss: every label is -100, so there is nothing to predict");
        }
        let targets: Vec<i64> = chosen.iter().map(|&i| labels[i as usize]).collect();
        let rows = self.bert.rows(input_ids, token_type_ids, attention_mask);
        let n = chosen.len();
        let picked = rows.index_select(0, &Tensor::from_vec(chosen, [n]));
        CrossEntropyLoss::new().indices(&self.head(&picked), &Tensor::from_vec(targets, [n]))
    }

    /// `[N, H]` rows to `[N, V]` logits: transform, then the tied decoder.
    fn head(&self, rows: &Variable<T>) -> Variable<T> {
        let p = &self.cls.predictions;
        let x = activate(self.config().hidden_act, &apply(&p.transform.dense, rows));
        p.transform.layer_norm.forward(&x).linear(self.bert.word_embeddings(), Some(&p.bias))
    }
}

/// Hugging Face's repeated decoder keys, folded onto the tied word embedding and bias.
const TIED: [TiedKey; 2] = [(DECODER_WEIGHT, WORD_EMBEDDINGS), (DECODER_BIAS, BIAS)];

impl<T: Float> Module<T> for BertForMaskedLM<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("bert", &self.bert);
        v.child("cls", &self.cls);
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

/// How a classifier turns a sequence's token vectors into one vector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pooling {
    /// Hugging Face's: the pooler, tanh(dense(the `[CLS]` vector)).
    #[default]
    Cls,
    /// The mean of the real tokens' vectors ([`mean_pool`](super::mean_pool)), with no pooler.
    /// Masked-LM pretraining never predicts at `[CLS]`, so its vector there is untrained; the
    /// other tokens' vectors are what pretraining shaped.
    Mean,
}

/// BERT with a classification head on a pooled vector (Hugging Face's
/// `BertForSequenceClassification`): `bert.*` (with the pooler for [`Pooling::Cls`]),
/// dropout, `classifier.*`.
pub struct BertForSequenceClassification<T: Float = f32> {
    bert: BertModel<T>,
    dropout: Dropout,
    classifier: Linear<T>,
    pooling: Pooling,
}

impl<T: Float> Module<T> for BertForSequenceClassification<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("bert", &self.bert);
        v.child("dropout", &self.dropout);
        v.child("classifier", &self.classifier);
    }
}

impl<T: Float> BertForSequenceClassification<T> {
    /// A freshly initialised classifier into `num_labels` classes.
    pub fn new(config: BertConfig, num_labels: usize, rng: &mut Rng) -> Self {
        if num_labels == 0 {
            panic!("BertForSequenceClassification::new: num_labels must be positive");
        }
        let h = config.hidden_size;
        let dropout = Dropout::new(config.hidden_dropout_prob, rng);
        let bert = BertModel::new(config, true, rng);
        let classifier = bert_linear(h, num_labels, rng);
        BertForSequenceClassification { bert, dropout, classifier, pooling: Pooling::Cls }
    }

    /// Pools with `pooling`; [`Pooling::Mean`] drops the pooler and its parameters.
    pub fn pooling(mut self, pooling: Pooling) -> Self {
        if pooling == Pooling::Mean {
            self.bert.pooler = None;
        }
        self.pooling = pooling;
        self
    }

    /// A classifier whose encoder starts as a copy of `mlm`'s (pretrained) encoder; the pooler
    /// and the classifier are fresh, since masked-LM pretraining does not train them.
    pub fn from_pretrained(mlm: &BertForMaskedLM<T>, num_labels: usize, rng: &mut Rng) -> Self {
        let model = Self::new(mlm.config().clone(), num_labels, rng);
        let skipped = model.bert.load_matching(&mlm.bert().state_dict());
        let missing_encoder: Vec<&String> = skipped.missing.iter().filter(|k| !k.starts_with("pooler.")).collect();
        assert!(
            missing_encoder.is_empty() && skipped.unexpected.is_empty() && skipped.wrong_shape.is_empty(),
            "BertForSequenceClassification::from_pretrained: the encoder did not copy whole: {skipped:?}"
        );
        model
    }

    /// The encoder.
    pub fn bert(&self) -> &BertModel<T> {
        &self.bert
    }

    /// The number of classes.
    pub fn num_labels(&self) -> usize {
        self.classifier.out_features()
    }

    /// Class logits `[B, num_labels]` (inputs as [`BertModel::forward`]).
    pub fn forward(
        &self,
        input_ids: &Tensor<i64>,
        token_type_ids: Option<&Tensor<i64>>,
        attention_mask: Option<&Tensor<i64>>,
    ) -> Variable<T> {
        let out = self.bert.forward(input_ids, token_type_ids, attention_mask);
        let pooled = match self.pooling {
            Pooling::Cls => out.pooler_output.expect("the classifier's encoder has a pooler"),
            Pooling::Mean => match attention_mask {
                Some(mask) => super::mean_pool(&out.last_hidden_state, mask),
                None => out.last_hidden_state.mean(1, false),
            },
        };
        apply(&self.classifier, &self.dropout.forward(&pooled))
    }

    /// The mean cross-entropy of class `labels` `[B]`.
    pub fn loss(
        &self,
        input_ids: &Tensor<i64>,
        token_type_ids: Option<&Tensor<i64>>,
        attention_mask: Option<&Tensor<i64>>,
        labels: &Tensor<i64>,
    ) -> Variable<T> {
        let b = input_ids.shape().first().copied().unwrap_or(0);
        if labels.shape() != [b] {
            panic!(
                "BertForSequenceClassification::loss: labels of shape {} must be [B] = [{b}] for input_ids of shape {}",
                dims_str(labels.shape()),
                dims_str(input_ids.shape())
            );
        }
        let k = self.num_labels() as i64;
        if let Some(bad) = labels.to_vec().into_iter().find(|l| !(0..k).contains(l)) {
            panic!("BertForSequenceClassification::loss: label {bad} is out of range 0..{k}");
        }
        CrossEntropyLoss::new().indices(&self.forward(input_ids, token_type_ids, attention_mask), labels)
    }
}
