//! Sections 1 to 3 of the chapter: the sizes of BERT-base and GPT-2 small, BERT's
//! masking, pretraining then fine-tuning, and retrieval.

use chapter_kit::{markdown_table, CODE_BOX_COLUMNS};
use kindling_data::text::speaker_passages;
use kindling_data::text::wordpiece::WordPiece;
use kindling_nn::Module;
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::bert::mlm::{mask_tokens, MlmMasking};
use kindling_transformer::bert::retrieval::{embed, top_k};
use kindling_transformer::bert::train::{
    encode, fine_tune, pretrain_mlm, train_tokenizer, EpochRecord, FineTuneConfig,
    PretrainConfig, PretrainCurve,
};
use kindling_transformer::bert::{
    BertConfig, BertForMaskedLM, BertForSequenceClassification, BertModel,
};
use kindling_transformer::gpt::{Activation, Gpt, GptConfig};
use std::collections::HashSet;

/// GPT-2 small's shape: 12 layers of 12 heads, width 768, a context of 1,024 tokens
/// and a vocabulary of 50,257 byte-level BPE tokens, biases everywhere, no dropout,
/// the tanh GELU.
pub fn gpt2_small_config() -> GptConfig {
    let shape = GptConfig {
        block_size: 1024,
        n_layer: 12,
        n_head: 12,
        n_embd: 768,
        ..GptConfig::tiny(50257)
    };
    GptConfig { activation: Activation::GeluTanh, layer_norm_eps: 1e-5, ..shape }
}

/// One row of the sizes table: a model's name, its shape and its parameters,
/// counted on a model built from the configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSize {
    /// The model.
    pub name: &'static str,
    /// What it is made of.
    pub family: &'static str,
    /// Transformer layers (blocks).
    pub layers: usize,
    /// Width of every token's vector.
    pub width: usize,
    /// Attention heads per layer.
    pub heads: usize,
    /// Longest input, in tokens (the position table).
    pub context: usize,
    /// Tokens in the vocabulary.
    pub vocabulary: usize,
    /// Parameters counted on the built model.
    pub parameters: usize,
}

// ANCHOR: sizes
/// BERT-base (with its pooler) and GPT-2 small, built with random weights and
/// counted. Each holds about half a gigabyte of `f32`.
pub fn model_sizes() -> Vec<ModelSize> {
    let bert = BertConfig::base();
    let bert_params = BertModel::<f32>::new(bert.clone(), true, &mut Rng::seed(0))
        .num_parameters();
    let gpt = gpt2_small_config();
    let gpt_params = Gpt::<f32>::new(gpt, &mut Rng::seed(0)).num_parameters();
    vec![
        ModelSize {
            name: "BERT-base",
            family: "encoder-only",
            layers: bert.num_hidden_layers,
            width: bert.hidden_size,
            heads: bert.num_attention_heads,
            context: bert.max_position_embeddings,
            vocabulary: bert.vocab_size,
            parameters: bert_params,
        },
        ModelSize {
            name: "GPT-2 small",
            family: "decoder-only",
            layers: gpt.n_layer,
            width: gpt.n_embd,
            heads: gpt.n_head,
            context: gpt.block_size,
            vocabulary: gpt.vocab_size,
            parameters: gpt_params,
        },
    ]
}
// ANCHOR_END: sizes

/// The sizes as a markdown table.
pub fn sizes_table(rows: &[ModelSize]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.to_string(),
                r.family.to_string(),
                r.layers.to_string(),
                r.width.to_string(),
                r.heads.to_string(),
                thousands(r.context),
                thousands(r.vocabulary),
                thousands(r.parameters),
            ]
        })
        .collect();
    markdown_table(
        &[
            "model",
            "family",
            "layers",
            "width",
            "heads",
            "context",
            "vocabulary",
            "parameters",
        ],
        &body,
    )
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How the 80/10/10 rule treated a sequence: how many positions could be chosen,
/// and of the chosen ones how many became `[MASK]`, a random token, or stayed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaskingCounts {
    /// Positions holding an ordinary (non-special) token.
    pub candidates: usize,
    /// Positions chosen for prediction (label ≠ −100).
    pub chosen: usize,
    /// Chosen and replaced by `[MASK]`.
    pub masked: usize,
    /// Chosen and replaced by another token.
    pub random: usize,
    /// Chosen and left as they were.
    pub kept: usize,
}

// ANCHOR: masking
/// Masks `ids` with BERT's rule (15% chosen; 80% `[MASK]`, 10% random, 10%
/// unchanged) and counts what happened. `[PAD]`, `[CLS]` and `[SEP]` (and `[MASK]`
/// itself) are never chosen.
pub fn mask_and_count(
    ids: &[i64],
    tokenizer: &WordPiece,
    seed: u64,
) -> (Vec<i64>, Vec<i64>, MaskingCounts) {
    let special: Vec<i64> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .filter_map(|t| tokenizer.id(t))
        .map(i64::from)
        .collect();
    let mask_id =
        i64::from(tokenizer.id("[MASK]").expect("the vocabulary has [MASK]"));
    let ids_tensor = Tensor::from_vec(ids.to_vec(), [ids.len()]);
    let (inputs, labels) = mask_tokens(
        &ids_tensor,
        &special,
        mask_id,
        tokenizer.vocab_size(),
        &MlmMasking::default(),
        &mut Rng::seed(seed),
    );
    let (inputs, labels) = (inputs.to_vec(), labels.to_vec());
    let mut counts = MaskingCounts::default();
    for ((&id, &input), &label) in ids.iter().zip(&inputs).zip(&labels) {
        counts.candidates += usize::from(!special.contains(&id));
        if label == -100 {
            continue;
        }
        counts.chosen += 1;
        match input {
            i if i == mask_id => counts.masked += 1,
            i if i == id => counts.kept += 1,
            _ => counts.random += 1,
        }
    }
    (inputs, labels, counts)
}
// ANCHOR_END: masking

/// The ids of every non-empty line of `text`, each as `[CLS] … [SEP]` (lower-cased,
/// cut to `max_len`), one after the other.
pub fn encode_lines(tokenizer: &WordPiece, text: &str, max_len: usize) -> Vec<i64> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .flat_map(|l| encode(tokenizer, l, max_len))
        .collect()
}

/// The masking of a short passage (`ids`), shown token by token: the passage, what
/// the model reads, and what it must predict (`·` where the label is ignored), then
/// a table of the chosen positions.
pub fn masking_example(tokenizer: &WordPiece, ids: &[i64], seed: u64) -> String {
    let (inputs, labels, _) = mask_and_count(ids, tokenizer, seed);
    let token = |id: i64| tokenizer.vocab()[id as usize].clone();
    let mut rows = Vec::new();
    for (t, ((&id, &input), &label)) in
        ids.iter().zip(&inputs).zip(&labels).enumerate()
    {
        if label == -100 {
            continue;
        }
        let case = if input == id {
            "unchanged"
        } else if token(input) == "[MASK]" {
            "[MASK]"
        } else {
            "random token"
        };
        rows.push(vec![
            t.to_string(),
            format!("`{}`", token(id)),
            format!("`{}`", token(input)),
            case.to_string(),
        ]);
    }
    let label = |l: i64| if l == -100 { "·".to_string() } else { token(l) };
    let columns: Vec<[String; 3]> = (0..ids.len())
        .map(|t| [token(ids[t]), token(inputs[t]), label(labels[t])])
        .collect();
    format!(
        "```text\n{}\n```\n\n{}",
        aligned_rows(["passage: ", "input:   ", "labels:  "], &columns),
        markdown_table(&["position", "token", "model reads", "case"], &rows)
    )
}

/// Three rows shown token by token, each token in a column as wide as the widest
/// of its three entries, wrapped into blocks of whole columns that fit the book's
/// code box.
fn aligned_rows(names: [&str; 3], columns: &[[String; 3]]) -> String {
    let margin = names[0].chars().count();
    let mut blocks = Vec::new();
    let mut block: [String; 3] = Default::default();
    let mut width = margin;
    for column in columns {
        let w = column.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        if width > margin && width + w > CODE_BOX_COLUMNS {
            blocks.push(std::mem::take(&mut block));
            width = margin;
        }
        for (row, entry) in block.iter_mut().zip(column) {
            let pad = w - entry.chars().count() + 1;
            row.push_str(entry);
            row.push_str(&" ".repeat(pad));
        }
        width += w + 1;
    }
    blocks.push(block);
    let lines = |block: &[String; 3]| {
        names
            .iter()
            .zip(block)
            .map(|(n, row)| format!("{n}{}", row.trim_end()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    blocks.iter().map(lines).collect::<Vec<_>>().join("\n\n")
}

/// The settings of [`speaker_experiment`].
#[derive(Clone, Debug)]
pub struct SpeakerSettings {
    /// How many speakers (the most frequent ones) the classifier tells apart.
    pub speakers: usize,
    /// WordPiece vocabulary size.
    pub vocab_size: usize,
    /// The longest input, `[CLS]` and `[SEP]` included.
    pub max_len: usize,
    /// Masked-LM pretraining.
    pub pretrain: PretrainConfig,
    /// Fine-tuning, the same for the pretrained and the fresh encoder.
    pub fine_tune: FineTuneConfig,
    /// Seeds the models' initial weights.
    pub seed: u64,
}

impl SpeakerSettings {
    /// The chapter's run: ten speakers, 1,500 WordPiece tokens, inputs of 64
    /// tokens, 1,200 pretraining steps of 32 sequences and 6 epochs of fine-tuning
    /// in batches of 32 (the library's recipes otherwise).
    pub fn chapter() -> Self {
        SpeakerSettings {
            speakers: 10,
            vocab_size: 1500,
            max_len: 64,
            pretrain: PretrainConfig { steps: 1200, ..PretrainConfig::default() },
            fine_tune: FineTuneConfig { epochs: 6, ..FineTuneConfig::default() },
            seed: 0,
        }
    }
}

/// What [`speaker_experiment`] measured.
pub struct SpeakerExperiment {
    /// The speakers, most speeches first.
    pub speakers: Vec<String>,
    /// Training and test passages (text, label).
    pub train: (Vec<String>, Vec<usize>),
    /// Test passages.
    pub test: (Vec<String>, Vec<usize>),
    /// Passages the encoder was pretrained on.
    pub pretraining_passages: usize,
    /// The vocabulary's size.
    pub vocab_size: usize,
    /// The masked-LM loss of every pretraining step, and the run's seconds.
    pub pretrain: PretrainCurve,
    /// Fine-tuning the pretrained encoder, one record per epoch.
    pub fine_tuned: Vec<EpochRecord>,
    /// Training the same model from random weights with the same budget.
    pub from_scratch: Vec<EpochRecord>,
    /// The pretrained encoder (for retrieval).
    pub encoder: BertForMaskedLM<f32>,
    /// The classifier fine-tuned from it.
    pub classifier: BertForSequenceClassification<f32>,
    /// The same model's initial weights, untrained (a baseline for retrieval).
    pub untrained: BertModel<f32>,
    /// The WordPiece tokenizer.
    pub tokenizer: WordPiece,
}

// ANCHOR: speakers
/// "Who says this passage?" on Tiny Shakespeare, fine-tuned against trained from
/// scratch.
///
/// The test set is each speaker's last fifth of speeches, whole; the tokenizer and
/// the masked-LM pretraining see every speech of every speaker *except* those, so
/// nothing of a test passage is seen before the test.
pub fn speaker_experiment(
    corpus: &str,
    settings: &SpeakerSettings,
) -> SpeakerExperiment {
    let task = speaker_passages(corpus, settings.speakers);
    let (train, test) = task.split(0.2);
    let held_out: HashSet<usize> = test.speeches.iter().copied().collect();
    let everyone = speaker_passages(corpus, usize::MAX);
    let unlabelled: Vec<&String> = everyone
        .texts
        .iter()
        .zip(&everyone.speeches)
        .filter(|(_, s)| !held_out.contains(s))
        .map(|(t, _)| t)
        .collect();

    let tokenizer = train_tokenizer(&unlabelled, settings.vocab_size);
    let ids = |texts: &[String]| -> Vec<Vec<i64>> {
        texts.iter().map(|t| encode(&tokenizer, t, settings.max_len)).collect()
    };
    let pretraining: Vec<Vec<i64>> = unlabelled
        .iter()
        .map(|t| encode(&tokenizer, t, settings.max_len))
        .collect();
    let (train_x, test_x) = (ids(&train.texts), ids(&test.texts));
    let config = BertConfig {
        max_position_embeddings: settings.max_len,
        ..BertConfig::tiny(tokenizer.vocab_size())
    };

    // 1. Pretrain with masked language modelling on unlabelled passages.
    let encoder =
        BertForMaskedLM::<f32>::new(config.clone(), &mut Rng::seed(settings.seed));
    let curve = pretrain_mlm(&encoder, &pretraining, &settings.pretrain);

    // 2. The same classifier twice, the same budget: from the pretrained encoder,
    //    and fresh.
    let classes = task.speakers.len();
    let (train_data, test_data) =
        ((&train_x[..], &train.labels[..]), (&test_x[..], &test.labels[..]));
    let tuned = BertForSequenceClassification::from_pretrained(
        &encoder,
        classes,
        &mut Rng::seed(settings.seed + 1),
    );
    let fine_tuned = fine_tune(&tuned, train_data, test_data, &settings.fine_tune);
    let fresh = BertForSequenceClassification::<f32>::new(
        config.clone(),
        classes,
        &mut Rng::seed(settings.seed + 1),
    );
    let from_scratch =
        fine_tune(&fresh, train_data, test_data, &settings.fine_tune);

    SpeakerExperiment {
        speakers: task.speakers.clone(),
        train: (train.texts.clone(), train.labels.clone()),
        test: (test.texts.clone(), test.labels.clone()),
        pretraining_passages: pretraining.len(),
        vocab_size: tokenizer.vocab_size(),
        pretrain: curve,
        fine_tuned,
        from_scratch,
        encoder,
        classifier: tuned,
        untrained: BertModel::new(config, false, &mut Rng::seed(settings.seed)),
        tokenizer,
    }
}
// ANCHOR_END: speakers

// ANCHOR: retrieve
/// The `k` passages of `corpus` nearest each query: mean-pooled embeddings from
/// `encoder`, compared by cosine similarity. Returns, per query, `(passage index,
/// similarity)` pairs.
pub fn retrieve(
    encoder: &BertModel<f32>,
    tokenizer: &WordPiece,
    corpus: &[String],
    queries: &[String],
    k: usize,
    max_len: usize,
) -> Vec<Vec<(usize, f64)>> {
    let ids = |texts: &[String]| -> Vec<Vec<i64>> {
        texts.iter().map(|t| encode(tokenizer, t, max_len)).collect()
    };
    let corpus_vectors = embed(encoder, &ids(corpus), 64);
    let query_vectors = embed(encoder, &ids(queries), 64);
    (0..queries.len())
        .map(|q| {
            top_k(&query_vectors.narrow(0, q, 1).reshape([-1]), &corpus_vectors, k)
        })
        .collect()
}
// ANCHOR_END: retrieve

/// The fraction of test passages whose nearest training passage (by cosine of
/// mean-pooled embeddings from `encoder`) has the same speaker: how much speaker
/// information the embeddings carry without any head.
pub fn nearest_same_speaker(
    experiment: &SpeakerExperiment,
    encoder: &BertModel<f32>,
    max_len: usize,
) -> f64 {
    let hits = retrieve(
        encoder,
        &experiment.tokenizer,
        &experiment.train.0,
        &experiment.test.0,
        1,
        max_len,
    );
    let same = hits
        .iter()
        .zip(&experiment.test.1)
        .filter(|(h, &label)| experiment.train.1[h[0].0] == label)
        .count();
    same as f64 / experiment.test.1.len().max(1) as f64
}

/// The majority class's share of `labels` (what always answering the most frequent
/// class scores) and chance (one over the number of classes).
pub fn baselines(labels: &[usize], classes: usize) -> (f64, f64) {
    let majority = (0..classes)
        .map(|c| labels.iter().filter(|&&l| l == c).count())
        .max()
        .unwrap_or(0);
    (majority as f64 / labels.len().max(1) as f64, 1.0 / classes.max(1) as f64)
}
