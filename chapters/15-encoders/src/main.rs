//! Chapter 15's demo: `cargo run --release -p ch15-encoders -- [--quick] [--only
//! SECTION]` (with `KINDLING_DATASETS` set to the folder holding `tinyshakespeare/`
//! and `fashion-mnist/`).
//!
//! Sections, in order (`--only` runs one):
//!
//! - `sizes`: BERT-base and GPT-2 small built from their configurations, parameters
//!   counted;
//! - `masking`: BERT's 80/10/10 rule on Tiny Shakespeare, shown and counted;
//! - `bert`: a small BERT pretrained with masked language modelling on Tiny
//!   Shakespeare, then fine-tuned to tell ten speakers apart, against the same
//!   model trained from scratch; and retrieval with its mean-pooled embeddings
//!   (`--pretrain-steps` 1200, `--epochs` 6);
//! - `seq2seq`: the encoder–decoder transformer against chapter 12's recurrent
//!   model, drawn from the JSON that `cargo run --release -p ch15-encoders
//!   --example encoder_decoder_vs_recurrent -- --json
//!   book/src/generated/15-encoders/seq2seq.json` writes (`--seq2seq-json` names
//!   another file; skipped when there is none);
//! - `vit`: the vision transformer on Fashion-MNIST against chapter 7's TinyVGG,
//!   test accuracy per epoch, and one training step of each timed alternately
//!   (`--vit-epochs` 8, `--cnn-epochs` 10; `--vit-curve PATH` draws the ViT from
//!   the JSON that `cargo run --release -p kindling-transformer --example
//!   vit_fashion -- --curve PATH` wrote instead of training it again);
//! - `hf`: the GPT-2 and BERT checkpoints and the tokenizers saved by Hugging Face
//!   in the test fixtures, loaded and compared with the outputs and ids Hugging
//!   Face computed.
//!
//! `--quick` runs every section with tiny budgets (seconds) and writes into a
//! temporary folder instead of the book's, so a quick run never replaces the
//! figures of a full one. Without the data a section says what it skipped and keeps
//! the files of an earlier run.
//!
//! ```text
//! cargo run --release -p ch15-encoders                  # the whole chapter
//! cargo run --release -p ch15-encoders -- --quick       # everything, tiny budgets
//! cargo run --release -p ch15-encoders -- --only vit    # one section
//! ```

use std::path::PathBuf;

use ch15_encoders::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_transformer::bert::train::{
    train_tokenizer, FineTuneConfig, PretrainConfig,
};

/// What the command line asked for.
struct Options {
    quick: bool,
    only: Option<String>,
    datasets: Option<PathBuf>,
    args: Vec<String>,
}

impl Options {
    fn number(&self, name: &str, default: usize) -> usize {
        chapter_kit::flag_number("ch15-encoders", &self.args, name)
            .unwrap_or(default)
    }

    fn runs(&self, section: &str) -> bool {
        self.only.as_deref().is_none_or(|s| s == section)
    }
}

const SECTIONS: [&str; 6] = ["sizes", "masking", "bert", "seq2seq", "vit", "hf"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = chapter_kit::flag_value("ch15-encoders", &args, "--only");
    if let Some(s) = &only {
        if !SECTIONS.contains(&s.as_str()) {
            return Err(format!(
                "ch15-encoders: --only {s}: the sections are {}",
                SECTIONS.join(", ")
            )
            .into());
        }
    }
    if quick && std::env::var_os("KINDLING_BOOK_GENERATED").is_none() {
        // A quick run's figures are not the book's: keep them out of
        // book/src/generated.
        let dir =
            std::env::temp_dir().join(format!("ch15-quick-{}", std::process::id()));
        std::env::set_var("KINDLING_BOOK_GENERATED", &dir);
    }
    let out = Output::for_chapter("15-encoders")?;
    let options =
        Options { quick, only, datasets: kindling_data::datasets_dir().ok(), args };

    if options.runs("sizes") {
        sizes(&out, &options)?;
    }
    if options.runs("masking") {
        masking(&out, &options)?;
    }
    if options.runs("bert") {
        bert(&out, &options)?;
    }
    if options.runs("seq2seq") {
        seq2seq(&out, &options)?;
    }
    if options.runs("vit") {
        vit(&out, &options)?;
    }
    if options.runs("hf") {
        hf(&out)?;
    }
    Ok(())
}

/// BERT-base and GPT-2 small, counted (about a gigabyte of weights; skipped by
/// `--quick`).
fn sizes(out: &Output, options: &Options) -> std::io::Result<()> {
    if options.quick {
        out.step("sizes: skipped by --quick (it builds two models of over 100 million parameters)");
        return Ok(());
    }
    out.step("sizes: building BERT-base and GPT-2 small");
    out.write("sizes.md", &sizes_table(&model_sizes()))
}

/// The 80/10/10 rule on Tiny Shakespeare.
fn masking(out: &Output, options: &Options) -> std::io::Result<()> {
    let Some(text) = shakespeare(out, options, "masking") else { return Ok(()) };
    let text = if options.quick { &text[..20_000] } else { &text[..] };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tokenizer = train_tokenizer(&lines, if options.quick { 300 } else { 2000 });
    let ids = encode_lines(&tokenizer, text, 512);
    let (_, _, counts) = mask_and_count(&ids, &tokenizer, 1);
    let share =
        |n: usize, of: usize| format!("{:.2}%", 100.0 * n as f64 / of as f64);
    let table = markdown_table(
        &[
            "ordinary tokens",
            "chosen",
            "of the chosen: [MASK]",
            "random token",
            "unchanged",
        ],
        &[vec![
            thousands(counts.candidates),
            format!(
                "{} ({})",
                thousands(counts.chosen),
                share(counts.chosen, counts.candidates)
            ),
            share(counts.masked, counts.chosen),
            share(counts.random, counts.chosen),
            share(counts.kept, counts.chosen),
        ]],
    );
    let passage = encode_lines(
        &tokenizer,
        &text[..text.find("Speak, speak.").map_or(100, |i| i + 14)],
        64,
    );
    let example = masking_example(&tokenizer, &passage, 7);
    out.step(&format!(
        "masking: {} tokens, {} chosen",
        counts.candidates, counts.chosen
    ));
    out.write(
        "masking.md",
        &format!(
            "{example}\n\nOver the whole play ({} ids: each line as `[CLS] … [SEP]`, a WordPiece vocabulary of {}), one masking:\n\n{table}",
            thousands(ids.len()),
            tokenizer.vocab_size()
        ),
    )
}

/// BERT: pretraining, fine-tuning against training from scratch, retrieval.
fn bert(out: &Output, options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let Some(text) = shakespeare(out, options, "bert") else { return Ok(()) };
    let mut settings = SpeakerSettings::chapter();
    settings.pretrain.steps =
        options.number("--pretrain-steps", settings.pretrain.steps);
    settings.fine_tune.epochs =
        options.number("--epochs", settings.fine_tune.epochs);
    if options.quick {
        settings.pretrain = PretrainConfig {
            steps: 3,
            batch_size: 8,
            warmup: 1,
            ..settings.pretrain
        };
        settings.fine_tune = FineTuneConfig { epochs: 1, ..settings.fine_tune };
        settings.vocab_size = 300;
    }
    let text = if options.quick { &text[..30_000] } else { &text[..] };
    out.step(&format!(
        "bert: pretraining {} steps of {}, then {} epochs of fine-tuning, twice",
        settings.pretrain.steps,
        settings.pretrain.batch_size,
        settings.fine_tune.epochs
    ));
    let run = speaker_experiment(text, &settings);
    let (majority, chance) = baselines(&run.test.1, run.speakers.len());
    let loss = &run.pretrain.losses;
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len().max(1) as f64;
    let window = 50.min(loss.len());
    let mut rows = Vec::new();
    for (tuned, fresh) in run.fine_tuned.iter().zip(&run.from_scratch) {
        rows.push(vec![
            tuned.epoch.to_string(),
            format!("{:.2}%", 100.0 * tuned.test_accuracy),
            format!("{:.4}", tuned.test_loss),
            format!("{:.2}%", 100.0 * tuned.train_accuracy),
            format!("{:.2}%", 100.0 * fresh.test_accuracy),
            format!("{:.4}", fresh.test_loss),
            format!("{:.2}%", 100.0 * fresh.train_accuracy),
        ]);
    }
    let seconds = |h: &[kindling_transformer::bert::train::EpochRecord]| {
        h.last().map_or(0.0, |r| r.seconds)
    };
    let threads =
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all cores".into());
    let table = format!(
        "{}\n\nSpeakers: {}. {} training and {} test passages; {} passages (every speech but the test ones) \
         for the tokenizer ({} WordPiece tokens) and the pretraining. Pretraining: {} steps of {} \
         sequences of at most {} tokens in {:.0} s, masked-LM loss {:.3} (mean of the first {window} steps) to \
         {:.3} (last {window}). Fine-tuning: {} epochs of batches of {} at a peak learning rate of {}, {:.0} s \
         (fine-tuned) and {:.0} s (from scratch). Always answering the most frequent speaker scores {:.2}%; \
         chance is {:.0}%. Threads: {threads}.",
        markdown_table(
            &[
                "epoch",
                "fine-tuned: test accuracy",
                "test loss",
                "train accuracy",
                "from scratch: test accuracy",
                "test loss",
                "train accuracy"
            ],
            &rows
        ),
        run.speakers.join(", "),
        run.train.0.len(),
        run.test.0.len(),
        run.pretraining_passages,
        run.vocab_size,
        settings.pretrain.steps,
        settings.pretrain.batch_size,
        settings.max_len,
        run.pretrain.seconds,
        mean(&loss[..window]),
        mean(&loss[loss.len() - window..]),
        settings.fine_tune.epochs,
        settings.fine_tune.batch_size,
        settings.fine_tune.lr,
        seconds(&run.fine_tuned),
        seconds(&run.from_scratch),
        100.0 * majority,
        100.0 * chance,
    );
    out.write("finetune.md", &table)?;
    let accuracy = |h: &[kindling_transformer::bert::train::EpochRecord],
                    test: bool|
     -> Vec<(f64, f64)> {
        h.iter()
            .map(|r| {
                (
                    r.epoch as f64,
                    100.0 * if test { r.test_accuracy } else { r.train_accuracy },
                )
            })
            .collect()
    };
    let chart =
        LineChart::new("Who says this passage? Ten speakers of Tiny Shakespeare")
            .x_label("fine-tuning epoch")
            .y_label("accuracy (%)")
            .series("fine-tuned: test", accuracy(&run.fine_tuned, true))
            .series("from scratch: test", accuracy(&run.from_scratch, true))
            .dashed_series("fine-tuned: train", accuracy(&run.fine_tuned, false))
            .dashed_series(
                "from scratch: train",
                accuracy(&run.from_scratch, false),
            )
            .dashed_series(
                "majority class",
                vec![
                    (1.0, 100.0 * majority),
                    (settings.fine_tune.epochs as f64, 100.0 * majority),
                ],
            );
    out.write("finetune.svg", &chart.to_svg())?;
    let smoothed: Vec<(f64, f64)> = loss
        .chunks(20.min(loss.len()).max(1))
        .enumerate()
        .map(|(i, c)| ((i * 20 + c.len()) as f64, mean(c)))
        .collect();
    let chart = LineChart::new("Masked-LM pretraining on Tiny Shakespeare")
        .x_label("step")
        .y_label("loss on the chosen tokens (nats), mean of 20 steps")
        .series("masked-LM loss", smoothed)
        .dashed_series(
            "ln(vocabulary)",
            vec![
                (0.0, (run.vocab_size as f64).ln()),
                (loss.len() as f64, (run.vocab_size as f64).ln()),
            ],
        );
    out.write("pretrain.svg", &chart.to_svg())?;
    out.step(&format!(
        "bert: test accuracy fine-tuned {:.2}%, from scratch {:.2}%",
        100.0 * run.fine_tuned.last().map_or(0.0, |r| r.test_accuracy),
        100.0 * run.from_scratch.last().map_or(0.0, |r| r.test_accuracy)
    ));
    out.write("retrieval.md", &retrieval_report(&run, settings.max_len))?;
    Ok(())
}

/// Three test passages as queries over the training passages, and how often the
/// nearest training passage has the same speaker, for three encoders.
fn retrieval_report(run: &SpeakerExperiment, max_len: usize) -> String {
    let queries: Vec<usize> =
        [0, run.test.0.len() / 3, 2 * run.test.0.len() / 3].into_iter().collect();
    let texts: Vec<String> =
        queries.iter().map(|&q| run.test.0[q].clone()).collect();
    let hits = retrieve(
        run.encoder.bert(),
        &run.tokenizer,
        &run.train.0,
        &texts,
        3,
        max_len,
    );
    let mut report = String::new();
    for (&q, found) in queries.iter().zip(&hits) {
        report.push_str(&format!(
            "**Query** ({}): {}\n\n",
            run.speakers[run.test.1[q]], run.test.0[q]
        ));
        let rows: Vec<Vec<String>> = found
            .iter()
            .map(|&(row, similarity)| {
                vec![
                    format!("{similarity:.3}"),
                    run.speakers[run.train.1[row]].clone(),
                    run.train.0[row].clone(),
                ]
            })
            .collect();
        report.push_str(&markdown_table(
            &["cosine", "speaker", "nearest training passages"],
            &rows,
        ));
        report.push_str("\n\n");
    }
    let rows = vec![
        vec![
            "untrained (random weights)".to_string(),
            format!(
                "{:.2}%",
                100.0 * nearest_same_speaker(run, &run.untrained, max_len)
            ),
        ],
        vec![
            "pretrained with masked-LM".to_string(),
            format!(
                "{:.2}%",
                100.0 * nearest_same_speaker(run, run.encoder.bert(), max_len)
            ),
        ],
        vec![
            "fine-tuned on the speakers".to_string(),
            format!(
                "{:.2}%",
                100.0 * nearest_same_speaker(run, run.classifier.bert(), max_len)
            ),
        ],
    ];
    report.push_str("How often the nearest training passage of a test passage has the same speaker:\n\n");
    report.push_str(&markdown_table(
        &["encoder (mean pooling)", "same speaker"],
        &rows,
    ));
    report
}

/// The encoder–decoder transformer against the recurrent model, from the example's
/// JSON.
fn seq2seq(
    out: &Output,
    options: &Options,
) -> Result<(), Box<dyn std::error::Error>> {
    let default = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../book/src/generated/15-encoders/seq2seq.json");
    let path =
        chapter_kit::flag_value("ch15-encoders", &options.args, "--seq2seq-json")
            .map_or(default, PathBuf::from);
    let Ok(text) = std::fs::read_to_string(&path) else {
        out.step(&format!(
            "seq2seq: SKIPPED: no {} (run the example encoder_decoder_vs_recurrent with --json first)",
            path.display()
        ));
        return Ok(());
    };
    let report = Seq2SeqReport::parse(&text)
        .map_err(|e| format!("seq2seq: {}: {e}", path.display()))?;
    out.write("seq2seq.md", &report.table())?;
    for task in report.tasks() {
        let mut chart = LineChart::new(&format!(
            "{task}: held-out exact match by source length"
        ))
        .x_label("source length")
        .y_label("exact match, greedy (%)")
        .include_y(0.0, 100.0);
        for run in report.runs.iter().filter(|r| r.task == task) {
            chart = chart.series(
                &run.model,
                run.by_length
                    .iter()
                    .map(|&(l, em)| (l as f64, 100.0 * em))
                    .collect(),
            );
        }
        out.write(&format!("seq2seq-{task}.svg"), &chart.to_svg())?;
    }
    Ok(())
}

/// The vision transformer on Fashion-MNIST against TinyVGG.
fn vit(out: &Output, options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = &options.datasets else {
        out.step("vit: SKIPPED: KINDLING_DATASETS is not set; the files of an earlier run stay");
        return Ok(());
    };
    let data = match load_fashion(dir) {
        Ok(data) => data,
        Err(e) => {
            out.step(&format!("vit: SKIPPED: Fashion-MNIST is not available ({e}); the files of an earlier run stay"));
            return Ok(());
        }
    };
    let data = if options.quick { data.head(512, 256) } else { data };
    let (config, mut recipe) = vit_recipe();
    recipe.epochs = options.number("--vit-epochs", recipe.epochs);
    if options.quick {
        recipe.epochs = 1;
        recipe.max_steps_per_epoch = Some(4);
        recipe.warmup_steps = 1;
    }
    // The ViT's curve: this run's, or the one the example vit_fashion wrote with
    // --curve.
    let curve =
        chapter_kit::flag_value("ch15-encoders", &options.args, "--vit-curve");
    let run = match curve.filter(|_| !options.quick) {
        Some(path) => {
            out.step(&format!("vit: the curve of {path}"));
            read_vit_curve(&std::fs::read_to_string(&path)?, config)
                .map_err(|e| format!("vit: {path}: {e}"))?
        }
        None => {
            out.step(&format!(
                "vit: {} epochs of {} training images",
                recipe.epochs,
                data.train_y.shape()[0]
            ));
            train_vit(config, &recipe, &data, |e| {
                out.step(&format!(
                    "vit: epoch {}: train loss {:.4}, test accuracy {:.2}% ({:.0} s)",
                    e.epoch,
                    e.train_loss,
                    100.0 * e.test_accuracy,
                    e.seconds
                ))
            })
        }
    };
    let cnn_epochs =
        if options.quick { 1 } else { options.number("--cnn-epochs", 10) };
    let cnn_data = if options.quick { data.head(128, 256) } else { data };
    out.step(&format!("vit: TinyVGG, {cnn_epochs} epochs"));
    let (cnn_parameters, cnn) = train_tinyvgg(&cnn_data, 10, cnn_epochs, 0);
    for e in &cnn {
        out.step(&format!(
            "vit: TinyVGG epoch {}: test accuracy {:.2}% ({:.0} s)",
            e.epoch,
            100.0 * e.test_accuracy,
            e.seconds
        ));
    }
    let rounds = if options.quick { 1 } else { 5 };
    let steps = step_times(&cnn_data, rounds, if options.quick { 2 } else { 20 });
    out.step(&format!(
        "vit: one training step, ViT {:.1} ms, TinyVGG {:.1} ms",
        steps.0, steps.1
    ));
    let threads =
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all cores".into());
    out.write(
        "vit.md",
        &format!(
            "{}\n\n{}\n\nOne training step on a batch of 128, median of {rounds} alternating rounds of {} steps each \
             (the same process, {threads} thread(s)): ViT {:.1} ms, TinyVGG {:.1} ms, {:.1}× apart.",
            vit_table(&run),
            vit_against_cnn(&run, cnn_parameters, &cnn),
            if options.quick { 2 } else { 20 },
            steps.0,
            steps.1,
            steps.0 / steps.1
        ),
    )?;
    let chart =
        LineChart::new("Fashion-MNIST: the vision transformer against TinyVGG")
            .x_label("epoch")
            .y_label("test accuracy (%)")
            .series(
                "ViT",
                run.history
                    .iter()
                    .map(|e| (e.epoch as f64, 100.0 * e.test_accuracy))
                    .collect(),
            )
            .series(
                "TinyVGG",
                cnn.iter()
                    .map(|e| (e.epoch as f64, 100.0 * e.test_accuracy))
                    .collect(),
            );
    out.write("vit.svg", &chart.to_svg())?;
    Ok(())
}

/// Hugging Face checkpoints and tokenizers against the outputs and ids they
/// recorded.
fn hf(out: &Output) -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let models = hf_parity(&root.join("crates/transformer/tests/fixtures/hf"))?;
    let rows: Vec<Vec<String>> = models
        .iter()
        .map(|p| {
            vec![
                p.what.clone(),
                thousands(p.count),
                format!("{:.1e}", p.max_abs),
                format!("{:.1e}", p.max_rel),
            ]
        })
        .collect();
    let tokenizers = tokenizer_parity(&root.join("crates/data/tests/fixtures/hf"))?;
    let names = |n: &str| match n {
        "bpe" => "byte-level BPE (GPT-2's kind)",
        "wordpiece" => "WordPiece with BERT's normaliser and template",
        _ => "WordPiece with a sequence of normalisers",
    };
    let token_rows: Vec<Vec<String>> = tokenizers
        .iter()
        .map(|t| {
            vec![
                names(&t.name).to_string(),
                format!("{} of {}", t.equal, t.strings),
            ]
        })
        .collect();
    for p in &models {
        out.step(&format!(
            "hf: {}: largest difference {:.1e} ({:.1e} relative)",
            p.what, p.max_abs, p.max_rel
        ));
    }
    out.write(
        "hf.md",
        &format!(
            "{}\n\nLargest difference over every number, absolute and relative to the largest \
             magnitude of Hugging Face's output; both sides in `f32`.\n\n{}",
            markdown_table(&["checkpoint: output", "numbers", "largest difference", "relative"], &rows),
            markdown_table(&["tokenizer.json", "strings encoded to the same ids"], &token_rows)
        ),
    )?;
    Ok(())
}

/// Tiny Shakespeare, or `None` after saying why the section is skipped.
fn shakespeare(out: &Output, options: &Options, section: &str) -> Option<String> {
    let loaded = options
        .datasets
        .as_ref()
        .ok_or_else(|| "KINDLING_DATASETS is not set".to_string())
        .and_then(|d| {
            kindling_data::tiny_shakespeare(d.join("tinyshakespeare"))
                .map_err(|e| e.to_string())
        });
    match loaded {
        Ok(text) => Some(text),
        Err(e) => {
            out.step(&format!(
                "{section}: SKIPPED: Tiny Shakespeare is not available ({e}); the files of an earlier run stay"
            ));
            None
        }
    }
}
