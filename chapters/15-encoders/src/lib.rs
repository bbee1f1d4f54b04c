//! Chapter 15 of the Kindling book: encoders.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch15-encoders`, with `KINDLING_DATASETS` set) runs the chapter's
//! experiments and writes what the chapter shows. Your exercises are in [`exercises`];
//! check them with `cargo test -p ch15-encoders --features learner`.

pub mod exercises;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

use chapter_kit::markdown_table;
use kindling_autograd::{no_grad, Variable};
use kindling_data::text::speaker_passages;
use kindling_data::text::wordpiece::WordPiece;
use kindling_data::text::HfTokenizer;
use kindling_nn::{cross_entropy, Forward, Module};
use kindling_optim::schedule::{CosineAnnealingLr, Scheduler};
use kindling_optim::{Adam, AdamConfig, Optimizer};
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::bert::mlm::{mask_tokens, MlmMasking};
use kindling_transformer::bert::retrieval::{embed, top_k};
use kindling_transformer::bert::train::{
    encode, fine_tune, pretrain_mlm, train_tokenizer, EpochRecord, FineTuneConfig, PretrainConfig, PretrainCurve,
};
use kindling_transformer::bert::{BertConfig, BertForMaskedLM, BertForSequenceClassification, BertModel};
use kindling_transformer::gpt::{Activation, Gpt, GptConfig};
use kindling_transformer::hf::{load_bert, load_bert_mlm, load_gpt2};
use kindling_transformer::vit::{Vit, VitConfig, VitEpoch, VitTrainConfig, VitTrainer};
use kindling_vision::models::TinyVgg;
use std::collections::HashSet;
use std::path::Path;

/// GPT-2 small's shape: 12 layers of 12 heads, width 768, a context of 1,024 tokens and a
/// vocabulary of 50,257 byte-level BPE tokens, biases everywhere, no dropout, the tanh GELU.
pub fn gpt2_small_config() -> GptConfig {
    let shape = GptConfig { block_size: 1024, n_layer: 12, n_head: 12, n_embd: 768, ..GptConfig::tiny(50257) };
    GptConfig { activation: Activation::GeluTanh, layer_norm_eps: 1e-5, ..shape }
}

/// One row of the sizes table: a model's name, its shape and its parameters, counted on
/// a model built from the configuration.
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
/// BERT-base (with its pooler) and GPT-2 small, built with random weights and counted.
/// Each holds about half a gigabyte of `f32`.
pub fn model_sizes() -> Vec<ModelSize> {
    let bert = BertConfig::base();
    let bert_params = BertModel::<f32>::new(bert.clone(), true, &mut Rng::seed(0)).num_parameters();
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
    markdown_table(&["model", "family", "layers", "width", "heads", "context", "vocabulary", "parameters"], &body)
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

/// How the 80/10/10 rule treated a sequence: how many positions could be chosen, and of the
/// chosen ones how many became `[MASK]`, a random token, or stayed.
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
/// Masks `ids` with BERT's rule (15% chosen; 80% `[MASK]`, 10% random, 10% unchanged) and
/// counts what happened. `[PAD]`, `[CLS]` and `[SEP]` (and `[MASK]` itself) are never chosen.
pub fn mask_and_count(ids: &[i64], tokenizer: &WordPiece, seed: u64) -> (Vec<i64>, Vec<i64>, MaskingCounts) {
    let special: Vec<i64> =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].iter().filter_map(|t| tokenizer.id(t)).map(i64::from).collect();
    let mask_id = i64::from(tokenizer.id("[MASK]").expect("the vocabulary has [MASK]"));
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

/// The ids of every non-empty line of `text`, each as `[CLS] … [SEP]` (lower-cased, cut to
/// `max_len`), one after the other.
pub fn encode_lines(tokenizer: &WordPiece, text: &str, max_len: usize) -> Vec<i64> {
    text.lines().filter(|l| !l.trim().is_empty()).flat_map(|l| encode(tokenizer, l, max_len)).collect()
}

/// The masking of a short passage (`ids`), shown token by token: the passage, what the model
/// reads, and what it must predict (`·` where the label is ignored), then a table of the
/// chosen positions.
pub fn masking_example(tokenizer: &WordPiece, ids: &[i64], seed: u64) -> String {
    let (inputs, labels, _) = mask_and_count(ids, tokenizer, seed);
    let token = |id: i64| tokenizer.vocab()[id as usize].clone();
    let mut rows = Vec::new();
    for (t, ((&id, &input), &label)) in ids.iter().zip(&inputs).zip(&labels).enumerate() {
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
        rows.push(vec![t.to_string(), format!("`{}`", token(id)), format!("`{}`", token(input)), case.to_string()]);
    }
    let line = |xs: &[i64]| xs.iter().map(|&i| token(i)).collect::<Vec<_>>().join(" ");
    let shown: Vec<i64> = labels.iter().map(|&l| if l == -100 { -1 } else { l }).collect();
    let targets = shown.iter().map(|&l| if l < 0 { "·".to_string() } else { token(l) }).collect::<Vec<_>>().join(" ");
    format!(
        "```text\npassage: {}\ninput:   {}\nlabels:  {}\n```\n\n{}",
        line(ids),
        line(&inputs),
        targets,
        markdown_table(&["position", "token", "model reads", "case"], &rows)
    )
}

/// Fashion-MNIST as tensors: images `[N, 1, 28, 28]` in [0, 1] and labels `[N]`.
pub struct Fashion {
    /// Training images.
    pub train_x: Tensor<f32>,
    /// Training labels.
    pub train_y: Tensor<i64>,
    /// Test images.
    pub test_x: Tensor<f32>,
    /// Test labels.
    pub test_y: Tensor<i64>,
}

impl Fashion {
    /// The first `train` training and `test` test images (quick runs).
    pub fn head(&self, train: usize, test: usize) -> Fashion {
        let cut = |x: &Tensor<f32>, n: usize| x.narrow(0, 0, n.min(x.shape()[0])).contiguous();
        let cut_y = |y: &Tensor<i64>, n: usize| y.narrow(0, 0, n.min(y.shape()[0])).contiguous();
        Fashion {
            train_x: cut(&self.train_x, train),
            train_y: cut_y(&self.train_y, train),
            test_x: cut(&self.test_x, test),
            test_y: cut_y(&self.test_y, test),
        }
    }
}

/// Reads both splits from `datasets/fashion-mnist/`.
pub fn load_fashion(datasets: &std::path::Path) -> Result<Fashion, kindling_data::DataError> {
    use kindling_data::datasets::{fashion_mnist, Split};
    let dir = datasets.join("fashion-mnist");
    let split = |s: Split| -> Result<(Tensor<f32>, Tensor<i64>), kindling_data::DataError> {
        let raw = fashion_mnist(&dir, s)?;
        let n = raw.len() as isize;
        Ok(((raw.images.cast::<f32>() * (1.0 / 255.0)).reshape([n, 1, 28, 28]), raw.labels.cast::<i64>()))
    };
    let (train_x, train_y) = split(Split::Train)?;
    let (test_x, test_y) = split(Split::Test)?;
    Ok(Fashion { train_x, train_y, test_x, test_y })
}

/// The chapter's vision transformer and its recipe (`kindling_transformer::vit`'s own).
pub fn vit_recipe() -> (VitConfig, VitTrainConfig) {
    (VitConfig::fashion_mnist(), VitTrainConfig::fashion_mnist())
}

/// A finished vision-transformer run.
pub struct VitRun {
    /// The model's shape.
    pub config: VitConfig,
    /// Its parameters.
    pub parameters: usize,
    /// One record per epoch.
    pub history: Vec<VitEpoch>,
}

// ANCHOR: vit
/// Trains a fresh vision transformer on `data` with `recipe`, calling `on_epoch` after each
/// epoch's evaluation on the test set.
pub fn train_vit(
    config: VitConfig,
    recipe: &VitTrainConfig,
    data: &Fashion,
    on_epoch: impl FnMut(&VitEpoch),
) -> VitRun {
    let model = Vit::<f32>::new(config, &mut Rng::seed(recipe.seed));
    let mut trainer = VitTrainer::new(&model, recipe, data.train_y.shape()[0]);
    let history = trainer.run((&data.train_x, &data.train_y), (&data.test_x, &data.test_y), on_epoch);
    VitRun { config, parameters: model.num_parameters(), history }
}
// ANCHOR_END: vit

/// The run's epochs as a markdown table.
pub fn vit_table(run: &VitRun) -> String {
    let rows: Vec<Vec<String>> = run
        .history
        .iter()
        .map(|e| {
            vec![
                e.epoch.to_string(),
                format!("{:.4}", e.train_loss),
                format!("{:.4}", e.test_loss),
                format!("{:.2}%", 100.0 * e.test_accuracy),
                format!("{:.0}", e.seconds),
            ]
        })
        .collect();
    let c = &run.config;
    format!(
        "{}\n\nViT: {}×{} patches of {}×{}, width {}, {} layers of {} heads, MLP {}; {} parameters.",
        markdown_table(&["epoch", "train loss", "test loss", "test accuracy", "seconds"], &rows),
        c.image_size / c.patch_size,
        c.image_size / c.patch_size,
        c.patch_size,
        c.patch_size,
        c.dim,
        c.depth,
        c.heads,
        c.mlp_dim,
        thousands(run.parameters)
    )
}

/// One epoch of a convolutional baseline: its test accuracy and the seconds of its training
/// steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CnnEpoch {
    /// Counting from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Fraction of test images right, in [0, 1].
    pub test_accuracy: f64,
    /// Wall-clock seconds of the training steps (evaluation not included).
    pub seconds: f64,
}

// ANCHOR: tinyvgg
/// Chapter 7's TinyVGG (two blocks of two 3×3 convolutions and a max-pool, `hidden` channels,
/// a linear classifier) trained on `data` with chapter 7's longer recipe: Adam at 3·10⁻³,
/// batches of 32, a cosine to 0 over `epochs`. Returns the parameters and the epochs.
pub fn train_tinyvgg(data: &Fashion, hidden: usize, epochs: usize, seed: u64) -> (usize, Vec<CnnEpoch>) {
    let mut rng = Rng::seed(seed);
    let model = TinyVgg::<f32>::new(1, hidden, 10, (28, 28), &mut rng);
    let mut adam = Adam::new(model.parameters(), AdamConfig { lr: 3e-3, ..Default::default() });
    let n = data.train_y.shape()[0];
    let batch = 32;
    let mut schedule = Scheduler::new(&mut adam, CosineAnnealingLr { t_max: epochs * n.div_ceil(batch), eta_min: 0.0 });
    let mut history = Vec::new();
    for epoch in 1..=epochs {
        model.train();
        let start = std::time::Instant::now();
        let (mut total, mut steps) = (0.0, 0usize);
        for chunk in rng.permutation(n).chunks(batch) {
            let idx = Tensor::from_vec(chunk.iter().map(|&i| i as i64).collect(), [chunk.len()]);
            let x = Variable::constant(data.train_x.index_select(0, &idx));
            adam.zero_grad();
            let loss = cross_entropy(&model.forward(&x), &data.train_y.index_select(0, &idx));
            loss.backward();
            adam.step();
            schedule.step(&mut adam);
            total += f64::from(loss.item());
            steps += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        let test_accuracy = classifier_accuracy(&model, &data.test_x, &data.test_y);
        history.push(CnnEpoch { epoch, train_loss: total / steps as f64, test_accuracy, seconds });
    }
    (model.num_parameters(), history)
}
// ANCHOR_END: tinyvgg

/// The accuracy of `model` on `images`, 500 at a time, in evaluation mode without a graph.
pub fn classifier_accuracy(model: &dyn Forward, images: &Tensor<f32>, labels: &Tensor<i64>) -> f64 {
    model.eval();
    let n = labels.shape()[0];
    let mut correct = 0;
    no_grad(|| {
        for start in (0..n).step_by(500) {
            let len = 500.min(n - start);
            let logits = model.forward(&Variable::constant(images.narrow(0, start, len).contiguous()));
            let predicted = logits.value().argmax(-1, false).to_vec();
            correct += predicted.iter().zip(labels.narrow(0, start, len).to_vec()).filter(|(p, t)| **p == *t).count();
        }
    });
    model.train();
    correct as f64 / n as f64
}

/// The vision transformer beside TinyVGG: parameters, epochs, final and best test accuracy,
/// and the seconds of training steps, as a markdown table.
pub fn vit_against_cnn(vit: &VitRun, cnn_parameters: usize, cnn: &[CnnEpoch]) -> String {
    let row = |name: &str, parameters: usize, accuracies: Vec<f64>, seconds: f64| {
        let best = accuracies.iter().copied().fold(0.0, f64::max);
        vec![
            name.to_string(),
            thousands(parameters),
            accuracies.len().to_string(),
            format!("{:.2}%", 100.0 * accuracies.last().copied().unwrap_or(0.0)),
            format!("{:.2}%", 100.0 * best),
            format!("{seconds:.0}"),
            format!("{:.1}", seconds / accuracies.len().max(1) as f64),
        ]
    };
    let rows = vec![
        row(
            "ViT",
            vit.parameters,
            vit.history.iter().map(|e| e.test_accuracy).collect(),
            vit.history.iter().map(|e| e.seconds).sum(),
        ),
        row(
            "TinyVGG (chapter 7)",
            cnn_parameters,
            cnn.iter().map(|e| e.test_accuracy).collect(),
            cnn.iter().map(|e| e.seconds).sum(),
        ),
    ];
    markdown_table(
        &["model", "parameters", "epochs", "final test accuracy", "best", "training seconds", "seconds per epoch"],
        &rows,
    )
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
    /// The chapter's run: ten speakers, 1,500 WordPiece tokens, inputs of 64 tokens, 1,200
    /// pretraining steps of 32 sequences and 6 epochs of fine-tuning in batches of 32 (the
    /// library's recipes otherwise).
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
/// "Who says this passage?" on Tiny Shakespeare, fine-tuned against trained from scratch.
///
/// The test set is each speaker's last fifth of speeches, whole; the tokenizer and the
/// masked-LM pretraining see every speech of every speaker *except* those, so nothing of a
/// test passage is seen before the test.
pub fn speaker_experiment(corpus: &str, settings: &SpeakerSettings) -> SpeakerExperiment {
    let task = speaker_passages(corpus, settings.speakers);
    let (train, test) = task.split(0.2);
    let held_out: HashSet<usize> = test.speeches.iter().copied().collect();
    let everyone = speaker_passages(corpus, usize::MAX);
    let unlabelled: Vec<&String> =
        everyone.texts.iter().zip(&everyone.speeches).filter(|(_, s)| !held_out.contains(s)).map(|(t, _)| t).collect();

    let tokenizer = train_tokenizer(&unlabelled, settings.vocab_size);
    let ids =
        |texts: &[String]| -> Vec<Vec<i64>> { texts.iter().map(|t| encode(&tokenizer, t, settings.max_len)).collect() };
    let pretraining: Vec<Vec<i64>> = unlabelled.iter().map(|t| encode(&tokenizer, t, settings.max_len)).collect();
    let (train_x, test_x) = (ids(&train.texts), ids(&test.texts));
    let config = BertConfig { max_position_embeddings: settings.max_len, ..BertConfig::tiny(tokenizer.vocab_size()) };

    // 1. Pretrain with masked language modelling on unlabelled passages.
    let encoder = BertForMaskedLM::<f32>::new(config.clone(), &mut Rng::seed(settings.seed));
    let curve = pretrain_mlm(&encoder, &pretraining, &settings.pretrain);

    // 2. The same classifier twice, the same budget: from the pretrained encoder, and fresh.
    let classes = task.speakers.len();
    let (train_data, test_data) = ((&train_x[..], &train.labels[..]), (&test_x[..], &test.labels[..]));
    let tuned = BertForSequenceClassification::from_pretrained(&encoder, classes, &mut Rng::seed(settings.seed + 1));
    let fine_tuned = fine_tune(&tuned, train_data, test_data, &settings.fine_tune);
    let fresh = BertForSequenceClassification::<f32>::new(config.clone(), classes, &mut Rng::seed(settings.seed + 1));
    let from_scratch = fine_tune(&fresh, train_data, test_data, &settings.fine_tune);

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
/// The `k` passages of `corpus` nearest each query: mean-pooled embeddings from `encoder`,
/// compared by cosine similarity. Returns, per query, `(passage index, similarity)` pairs.
pub fn retrieve(
    encoder: &BertModel<f32>,
    tokenizer: &WordPiece,
    corpus: &[String],
    queries: &[String],
    k: usize,
    max_len: usize,
) -> Vec<Vec<(usize, f64)>> {
    let ids = |texts: &[String]| -> Vec<Vec<i64>> { texts.iter().map(|t| encode(tokenizer, t, max_len)).collect() };
    let corpus_vectors = embed(encoder, &ids(corpus), 64);
    let query_vectors = embed(encoder, &ids(queries), 64);
    (0..queries.len()).map(|q| top_k(&query_vectors.narrow(0, q, 1).reshape([-1]), &corpus_vectors, k)).collect()
}
// ANCHOR_END: retrieve

/// The fraction of test passages whose nearest training passage (by cosine of mean-pooled
/// embeddings from `encoder`) has the same speaker: how much speaker information the
/// embeddings carry without any head.
pub fn nearest_same_speaker(experiment: &SpeakerExperiment, encoder: &BertModel<f32>, max_len: usize) -> f64 {
    let hits = retrieve(encoder, &experiment.tokenizer, &experiment.train.0, &experiment.test.0, 1, max_len);
    let same = hits.iter().zip(&experiment.test.1).filter(|(h, &label)| experiment.train.1[h[0].0] == label).count();
    same as f64 / experiment.test.1.len().max(1) as f64
}

/// The majority class's share of `labels` (what always answering the most frequent class
/// scores) and chance (one over the number of classes).
pub fn baselines(labels: &[usize], classes: usize) -> (f64, f64) {
    let majority = (0..classes).map(|c| labels.iter().filter(|&&l| l == c).count()).max().unwrap_or(0);
    (majority as f64 / labels.len().max(1) as f64, 1.0 / classes.max(1) as f64)
}

/// One model on one task, as the example `encoder_decoder_vs_recurrent` reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqRun {
    /// The model's name.
    pub model: String,
    /// `reverse`, `sort` or `add`.
    pub task: String,
    /// Its parameters.
    pub parameters: usize,
    /// Training steps.
    pub steps: usize,
    /// Seconds of training.
    pub train_seconds: f64,
    /// Held-out exact match, greedy decoding.
    pub greedy_exact_match: f64,
    /// Held-out exact match, beam search.
    pub beam_exact_match: f64,
    /// Greedy exact match per source length.
    pub by_length: Vec<(usize, f64)>,
}

/// The example's whole report.
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqReport {
    /// Rayon threads of the run.
    pub threads: String,
    /// The share of chapter 12's budgets.
    pub scale: f64,
    /// Held-out examples per task.
    pub held_out: usize,
    /// The beam's width.
    pub beam: usize,
    /// Every model on every task.
    pub runs: Vec<Seq2SeqRun>,
}

impl Seq2SeqReport {
    /// Reads the JSON; the error says which field is missing or malformed.
    pub fn parse(json: &str) -> Result<Seq2SeqReport, String> {
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not JSON ({e})"))?;
        let num = |v: &serde_json::Value, k: &str| v[k].as_f64().ok_or_else(|| format!("no number {k:?}"));
        let text =
            |v: &serde_json::Value, k: &str| v[k].as_str().map(String::from).ok_or_else(|| format!("no text {k:?}"));
        let mut runs = Vec::new();
        for r in v["runs"].as_array().ok_or("no \"runs\" list")? {
            let by_length = r["by_length"]
                .as_array()
                .ok_or("no \"by_length\" list")?
                .iter()
                .map(|p| Some((p[0].as_u64()? as usize, p[1].as_f64()?)))
                .collect::<Option<Vec<_>>>()
                .ok_or("a malformed \"by_length\" entry")?;
            runs.push(Seq2SeqRun {
                model: text(r, "model")?,
                task: text(r, "task")?,
                parameters: num(r, "parameters")? as usize,
                steps: num(r, "steps")? as usize,
                train_seconds: num(r, "train_seconds")?,
                greedy_exact_match: num(r, "greedy_exact_match")?,
                beam_exact_match: num(r, "beam_exact_match")?,
                by_length,
            });
        }
        Ok(Seq2SeqReport {
            threads: text(&v, "threads")?,
            scale: num(&v, "scale")?,
            held_out: num(&v, "n_held_out")? as usize,
            beam: num(&v, "beam")? as usize,
            runs,
        })
    }

    /// The tasks, in the report's order.
    pub fn tasks(&self) -> Vec<String> {
        let mut tasks: Vec<String> = Vec::new();
        for r in &self.runs {
            if !tasks.contains(&r.task) {
                tasks.push(r.task.clone());
            }
        }
        tasks
    }

    /// The results as a markdown table, with the run's settings below.
    pub fn table(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .runs
            .iter()
            .map(|r| {
                vec![
                    r.task.clone(),
                    r.model.clone(),
                    thousands(r.parameters),
                    thousands(r.steps),
                    format!("{:.0}", r.train_seconds),
                    format!("{:.2}%", 100.0 * r.greedy_exact_match),
                    format!("{:.2}%", 100.0 * r.beam_exact_match),
                    format!("{:.2}%", 100.0 * r.by_length.iter().map(|p| p.1).fold(1.0, f64::min)),
                ]
            })
            .collect();
        format!(
            "{}\n\nExact match on {} held-out examples per task (beam {} on the first 500); the worst \
             source length is the lowest exact match of any one length. Training time in seconds on \
             {} thread(s); budgets at {} of chapter 12's.",
            markdown_table(
                &["task", "model", "parameters", "steps", "training s", "exact match, greedy", "beam", "worst length"],
                &rows
            ),
            thousands(self.held_out),
            self.beam,
            self.threads,
            self.scale
        )
    }
}

/// A vision-transformer run read back from the JSON that the example `vit_fashion` writes
/// (`--curve`): its epochs and parameters; `config` is the model it trained.
pub fn read_vit_curve(json: &str, config: VitConfig) -> Result<VitRun, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not JSON ({e})"))?;
    let field = |e: &serde_json::Value, k: &str| e[k].as_f64().ok_or_else(|| format!("an epoch without {k:?}"));
    let mut history = Vec::new();
    for e in v["epochs"].as_array().ok_or("no \"epochs\" list")? {
        history.push(VitEpoch {
            epoch: field(e, "epoch")? as usize,
            train_loss: field(e, "train_loss")?,
            test_loss: field(e, "test_loss")?,
            test_accuracy: field(e, "test_accuracy")?,
            seconds: field(e, "seconds")?,
            steps: field(e, "steps")? as usize,
        });
    }
    let parameters = v["parameters"].as_u64().ok_or("no \"parameters\"")? as usize;
    Ok(VitRun { config, parameters, history })
}

/// The median milliseconds of one training step (forward, backward, AdamW / Adam) on a batch
/// of 128 images, for the chapter's ViT and for TinyVGG, timed in `rounds` alternating rounds
/// of `steps` steps each, so that both see the same load.
pub fn step_times(data: &Fashion, rounds: usize, steps: usize) -> (f64, f64) {
    let (config, recipe) = vit_recipe();
    let vit = Vit::<f32>::new(config, &mut Rng::seed(0));
    let n = data.train_y.shape()[0];
    let mut vit_trainer = VitTrainer::new(&vit, &recipe, n);
    let cnn = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut Rng::seed(0));
    let mut adam = Adam::new(cnn.parameters(), AdamConfig { lr: 3e-3, ..Default::default() });
    let batch = 128.min(n);
    let x = data.train_x.narrow(0, 0, batch).contiguous();
    let y = data.train_y.narrow(0, 0, batch).contiguous();
    let (mut vit_ms, mut cnn_ms) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        let start = std::time::Instant::now();
        for _ in 0..steps.max(1) {
            vit_trainer.step(x.clone(), &y);
        }
        vit_ms.push(start.elapsed().as_secs_f64() * 1e3 / steps.max(1) as f64);
        let start = std::time::Instant::now();
        for _ in 0..steps.max(1) {
            adam.zero_grad();
            let loss = cross_entropy(&cnn.forward(&Variable::constant(x.clone())), &y);
            loss.backward();
            adam.step();
        }
        cnn_ms.push(start.elapsed().as_secs_f64() * 1e3 / steps.max(1) as f64);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(vit_ms), median(cnn_ms))
}

/// One comparison with Hugging Face: what was compared, how many numbers, and the largest
/// difference, absolute and relative to the largest magnitude of the reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Parity {
    /// The checkpoint and output.
    pub what: String,
    /// Numbers compared.
    pub count: usize,
    /// max |ours − theirs|.
    pub max_abs: f64,
    /// max |ours − theirs| / max |theirs|.
    pub max_rel: f64,
}

/// Compares `ours` with `theirs` (the same length).
pub fn parity(what: &str, ours: &[f32], theirs: &[f64]) -> Parity {
    assert_eq!(ours.len(), theirs.len(), "parity: {what}: {} values against {}", ours.len(), theirs.len());
    let max_abs = ours.iter().zip(theirs).map(|(&a, &b)| (f64::from(a) - b).abs()).fold(0.0, f64::max);
    let scale = theirs.iter().map(|v| v.abs()).fold(0.0, f64::max);
    Parity { what: what.to_string(), count: ours.len(), max_abs, max_rel: max_abs / scale.max(f64::MIN_POSITIVE) }
}

fn numbers(v: &serde_json::Value, key: &str) -> Result<Vec<f64>, String> {
    let flat = |v: &serde_json::Value| -> Option<Vec<f64>> {
        fn walk(v: &serde_json::Value, out: &mut Vec<f64>) -> Option<()> {
            match v {
                serde_json::Value::Array(items) => items.iter().try_for_each(|x| walk(x, out)),
                other => other.as_f64().map(|x| out.push(x)),
            }
        }
        let mut out = Vec::new();
        walk(v, &mut out).map(|_| out)
    };
    flat(&v[key]).filter(|x| !x.is_empty()).ok_or_else(|| format!("no numbers under {key:?}"))
}

fn id_matrix(v: &serde_json::Value, key: &str) -> Result<Tensor<i64>, String> {
    let rows = v[key].as_array().ok_or_else(|| format!("no {key:?} matrix"))?;
    let width = rows.first().and_then(|r| r.as_array()).map_or(0, Vec::len);
    let ids: Vec<i64> = numbers(v, key)?.into_iter().map(|x| x as i64).collect();
    Ok(Tensor::from_vec(ids, [rows.len(), width]))
}

// ANCHOR: hf
/// Loads the three checkpoints that `transformers` saved under `dir` (`gpt2/`, `bert/`,
/// `bert_mlm/`: config.json and model.safetensors each), runs them on the inputs recorded in
/// their `expected.json`, and compares with the outputs `transformers` computed.
pub fn hf_parity(dir: &Path) -> Result<Vec<Parity>, Box<dyn std::error::Error>> {
    let expected = |name: &str| -> Result<serde_json::Value, Box<dyn std::error::Error>> {
        let path = dir.join(name).join("expected.json");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    };
    let mut out = Vec::new();

    let gpt2 = load_gpt2(dir.join("gpt2"))?;
    let e = expected("gpt2")?;
    let ids = id_matrix(&e, "input_ids")?;
    let logits = no_grad(|| gpt2.forward(&ids).value().to_vec());
    out.push(parity("GPT2LMHeadModel: logits", &logits, &numbers(&e, "logits")?));

    let bert = load_bert(dir.join("bert"))?;
    let e = expected("bert")?;
    let (ids, types, mask) =
        (id_matrix(&e, "input_ids")?, id_matrix(&e, "token_type_ids")?, id_matrix(&e, "attention_mask")?);
    let result = no_grad(|| bert.forward(&ids, Some(&types), Some(&mask)));
    out.push(parity(
        "BertModel: last hidden state",
        &result.last_hidden_state.value().to_vec(),
        &numbers(&e, "last_hidden_state")?,
    ));
    let pooled = result.pooler_output.ok_or("the BERT checkpoint has no pooler")?;
    out.push(parity("BertModel: pooler output", &pooled.value().to_vec(), &numbers(&e, "pooler_output")?));

    let mlm = load_bert_mlm(dir.join("bert_mlm"))?;
    let e = expected("bert_mlm")?;
    let (ids, types, mask) =
        (id_matrix(&e, "input_ids")?, id_matrix(&e, "token_type_ids")?, id_matrix(&e, "attention_mask")?);
    let logits = no_grad(|| mlm.forward(&ids, Some(&types), Some(&mask)).value().to_vec());
    out.push(parity("BertForMaskedLM: logits", &logits, &numbers(&e, "logits")?));
    Ok(out)
}
// ANCHOR_END: hf

/// How one `tokenizer.json` fared on the awkward strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenizerParity {
    /// The file's stem (`bpe`, `wordpiece`, `wordpiece_seq`).
    pub name: String,
    /// Strings encoded to exactly Hugging Face's ids.
    pub equal: usize,
    /// Strings tried.
    pub strings: usize,
}

/// Encodes the awkward strings of `cases.json` with each `tokenizer.json` of `dir` and counts
/// the strings whose ids (special tokens added) equal those Hugging Face `tokenizers` produced.
pub fn tokenizer_parity(dir: &Path) -> Result<Vec<TokenizerParity>, Box<dyn std::error::Error>> {
    let path = dir.join("cases.json");
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?)?;
    let strings = cases["strings"].as_array().ok_or("cases.json: no \"strings\"")?;
    let mut out = Vec::new();
    for name in ["bpe", "wordpiece", "wordpiece_seq"] {
        let tokenizer = HfTokenizer::from_file(dir.join(format!("{name}.json")))?;
        let expected = cases[name]["cases"].as_array().ok_or_else(|| format!("cases.json: no {name:?} cases"))?;
        let equal = strings
            .iter()
            .zip(expected)
            .filter(|(s, c)| {
                let ids: Vec<u64> =
                    c["ids"].as_array().map_or(Vec::new(), |a| a.iter().filter_map(|x| x.as_u64()).collect());
                let ours: Vec<u64> =
                    tokenizer.encode(s.as_str().unwrap_or(""), true).into_iter().map(u64::from).collect();
                ours == ids
            })
            .count();
        out.push(TokenizerParity { name: name.to_string(), equal, strings: strings.len() });
    }
    Ok(out)
}
