//! Chapter 14's demo: `cargo run --release -p ch14-gpt` (with `KINDLING_DATASETS`
//! set to the folder holding `tinyshakespeare/`).
//!
//! Trains the tiny GPT (4 layers, 4 heads, width 128, context 64) on Tiny
//! Shakespeare's characters with nanoGPT's CPU recipe (batch 12, 2,000 iterations,
//! warm-up then cosine, AdamW with decay on matrices only, clipping at 1), draws
//! its loss curve and schedule, samples at several temperatures and top-k/top-p
//! settings, shows that a run resumed from a checkpoint ends on the same bits,
//! measures generation with and without the KV cache, and trains the same model on
//! byte-level BPE tokens to compare in bits per character. Everything the book
//! shows is written to `book/src/generated/14-gpt/`. Without the data it says what
//! it skipped and keeps the files of an earlier run.
//!
//! ```text
//! cargo run --release -p ch14-gpt                          # the whole chapter (minutes)
//! cargo run --release -p ch14-gpt -- --iters 500 --bpe-iters 300   # shorter runs
//! cargo run --release -p ch14-gpt -- --kv-cache-only          # only the KV-cache table
//! ```

use std::time::Instant;

use ch14_gpt::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_nn::Module;
use kindling_optim::schedule::LrSchedule;
use kindling_optim::Optimizer;
use kindling_tensor::Tensor;
use kindling_transformer::generate::Sampler;
use kindling_transformer::gpt::{Gpt, GptConfig};
use kindling_transformer::train::{
    EvalRecord, LmData, LmTrainer, Split, TrainConfig,
};

fn number(args: &[String], name: &str, default: usize) -> usize {
    chapter_kit::flag_number("ch14-gpt", args, name).unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let iters = number(&args, "--iters", 2000);
    let bpe_iters = number(&args, "--bpe-iters", 1000);
    let bpe_vocab = number(&args, "--bpe-vocab", 512);
    let out = Output::for_chapter("14-gpt")?;
    let text = match kindling_data::datasets_dir()
        .and_then(|d| kindling_data::tiny_shakespeare(d.join("tinyshakespeare")))
    {
        Ok(text) => text,
        Err(e) => {
            out.step(&format!(
                    "SKIPPED everything: Tiny Shakespeare is not available ({e}); the files of an earlier run stay"
                ));
            return Ok(());
        }
    };
    if args.iter().any(|a| a == "--kv-cache-only") {
        let (vocab, _) = char_data(&text);
        return kv_cache_table(
            &out,
            &new_gpt(GptConfig::tiny(vocab.len()), 1337),
            vocab.len(),
        );
    }
    let threads =
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all cores".into());

    // Characters, nanoGPT's CPU recipe.
    let (vocab, data) = char_data(&text);
    let model = new_gpt(GptConfig::tiny(vocab.len()), 1337);
    let checkpoint = std::env::temp_dir()
        .join(format!("ch14-gpt-{}.safetensors", std::process::id()));
    let config = TrainConfig {
        max_iters: iters,
        lr_decay_iters: iters,
        // nanoGPT's 100 warm-up iterations and evaluations every 250, scaled down
        // for short runs.
        warmup_iters: (iters / 20).clamp(1, 100),
        eval_interval: (iters / 8).clamp(1, 250),
        checkpoint: Some(checkpoint.clone()),
        verbose: true,
        ..TrainConfig::default()
    };
    out.step(&format!(
        "characters: vocabulary {}, {} training and {} validation tokens, {} parameters, {iters} iterations",
        vocab.len(),
        data.tokens(Split::Train).len(),
        data.tokens(Split::Val).len(),
        model.num_parameters()
    ));
    let start = Instant::now();
    let history = train_gpt(&model, &data, &config)?;
    let char_seconds = start.elapsed().as_secs_f64();
    let last = *history.last().expect("at least one evaluation");
    out.write("history-char.md", &history_table(&history))?;
    out.write(
        "loss-char.svg",
        &loss_chart(&history, "The tiny GPT on Tiny Shakespeare's characters"),
    )?;
    out.write("lr.svg", &lr_chart(&config))?;

    // Samples from the trained model.
    let newline = vocab.encode("\n")?.to_vec();
    let settings: [(&str, Sampler); 8] = [
        ("greedy (temperature 0)", Sampler::greedy()),
        ("temperature 0.5", Sampler { temperature: 0.5, ..Sampler::default() }),
        ("temperature 0.8", Sampler { temperature: 0.8, ..Sampler::default() }),
        ("temperature 1.0", Sampler::default()),
        ("temperature 1.5", Sampler { temperature: 1.5, ..Sampler::default() }),
        (
            "top-k 5, temperature 1",
            Sampler { top_k: Some(5), ..Sampler::default() },
        ),
        (
            "top-p 0.9, temperature 1",
            Sampler { top_p: Some(0.9), ..Sampler::default() },
        ),
        (
            "greedy, repetition penalty 1.3",
            Sampler { repetition_penalty: 1.3, ..Sampler::greedy() },
        ),
    ];
    let mut samples = String::new();
    for (name, sampler) in &settings {
        let text = vocab.decode(&sample(&model, &newline, 300, sampler, 7));
        samples.push_str(&format!(
            "**{name}**\n\n```text\n{}\n```\n\n",
            text.trim_end()
        ));
    }
    out.write("samples-char.md", &samples)?;

    kv_cache_table(&out, &model, vocab.len())?;

    // Exact resumption: 60 iterations straight, and 30 + resume + 30.
    out.write("resume.md", &resume_demo(&data, vocab.len())?)?;

    // Byte-level BPE tokens: the same model and recipe, fewer iterations.
    let start = Instant::now();
    let (bpe, bpe_data) = bpe_data(&text, bpe_vocab);
    let bpe_train_seconds = start.elapsed().as_secs_f64();
    let bpe_model = new_gpt(GptConfig::tiny(bpe.vocab_size()), 1337);
    let bpe_config = TrainConfig {
        max_iters: bpe_iters,
        lr_decay_iters: bpe_iters,
        warmup_iters: (bpe_iters / 20).clamp(1, 100),
        eval_interval: (bpe_iters / 8).clamp(1, 250),
        checkpoint: None,
        ..config.clone()
    };
    out.step(&format!(
        "BPE: vocabulary {} (merges learned in {bpe_train_seconds:.1} s), {} training and {} validation tokens, {bpe_iters} iterations",
        bpe.vocab_size(),
        bpe_data.tokens(Split::Train).len(),
        bpe_data.tokens(Split::Val).len()
    ));
    let start = Instant::now();
    let bpe_history = train_gpt(&bpe_model, &bpe_data, &bpe_config)?;
    let bpe_seconds = start.elapsed().as_secs_f64();
    let bpe_last = *bpe_history.last().expect("at least one evaluation");
    out.write("history-bpe.md", &history_table(&bpe_history))?;
    let val_chars = data.tokens(Split::Val).len();
    let bpe_val_tokens = bpe_data.tokens(Split::Val).len();
    let char_bits =
        |r: &EvalRecord| bits_per_char(r.val_loss, val_chars, val_chars);
    let bpe_bits =
        |r: &EvalRecord| bits_per_char(r.val_loss, bpe_val_tokens, val_chars);
    let chart = LineChart::new("Validation loss in bits per character")
        .x_label("iteration")
        .y_label("bits per character")
        .series(
            "characters (65)",
            history.iter().map(|r| (r.iter as f64, char_bits(r))).collect(),
        )
        .series(
            &format!("byte-level BPE ({})", bpe.vocab_size()),
            bpe_history.iter().map(|r| (r.iter as f64, bpe_bits(r))).collect(),
        );
    out.write("char-vs-bpe.svg", &chart.to_svg())?;
    let prompt: Vec<i64> = bpe.encode("\n").into_iter().map(i64::from).collect();
    let bpe_sample = sample(
        &bpe_model,
        &prompt,
        120,
        &Sampler { temperature: 0.8, ..Sampler::default() },
        7,
    );
    let bpe_text =
        bpe.decode(&bpe_sample.iter().map(|&t| t as u32).collect::<Vec<_>>());
    out.write(
        "samples-bpe.md",
        &format!("```text\n{}\n```\n", bpe_text.trim_end()),
    )?;

    let mean_speed = |h: &[EvalRecord]| {
        let s: Vec<f64> =
            h.iter().map(|r| r.tokens_per_sec).filter(|&s| s > 0.0).collect();
        s.iter().sum::<f64>() / s.len().max(1) as f64
    };
    let rows = vec![
        vec![
            "characters".into(),
            format!("{}", vocab.len()),
            format!("{iters}"),
            format!("{:.4}", last.train_loss),
            format!("{:.4}", last.val_loss),
            format!("{:.3}", char_bits(&last)),
            format!("{:.0}", mean_speed(&history)),
            format!("{char_seconds:.0}"),
        ],
        vec![
            "byte-level BPE".into(),
            format!("{}", bpe.vocab_size()),
            format!("{bpe_iters}"),
            format!("{:.4}", bpe_last.train_loss),
            format!("{:.4}", bpe_last.val_loss),
            format!("{:.3}", bpe_bits(&bpe_last)),
            format!("{:.0}", mean_speed(&bpe_history)),
            format!("{bpe_seconds:.0}"),
        ],
    ];
    let mut summary = markdown_table(
        &[
            "tokens",
            "vocabulary",
            "iterations",
            "train loss",
            "val loss (nats/token)",
            "val bits/char",
            "tokens/s",
            "seconds",
        ],
        &rows,
    );
    summary.push_str(&format!(
        "\nBatch 12, context 64, the tiny GPT ({} parameters with the character vocabulary); threads: {threads}; \
         the seconds include the evaluations.\n",
        model.num_parameters()
    ));
    out.write("summary.md", &summary)?;
    std::fs::remove_file(&checkpoint).ok();
    Ok(())
}

fn history_table(history: &[EvalRecord]) -> String {
    let rows: Vec<Vec<String>> = history
        .iter()
        .map(|r| {
            vec![
                r.iter.to_string(),
                format!("{:.4}", r.train_loss),
                format!("{:.4}", r.val_loss),
                format!("{:.2e}", r.lr),
                if r.tokens_per_sec > 0.0 {
                    format!("{:.0}", r.tokens_per_sec)
                } else {
                    "–".into()
                },
            ]
        })
        .collect();
    markdown_table(
        &["iteration", "train loss", "val loss", "learning rate", "tokens/s"],
        &rows,
    )
}

fn loss_chart(history: &[EvalRecord], title: &str) -> String {
    LineChart::new(title)
        .x_label("iteration")
        .y_label("cross-entropy (nats per token)")
        .series(
            "train",
            history.iter().map(|r| (r.iter as f64, r.train_loss)).collect(),
        )
        .series(
            "validation",
            history.iter().map(|r| (r.iter as f64, r.val_loss)).collect(),
        )
        .to_svg()
}

fn lr_chart(config: &TrainConfig) -> String {
    let schedule = config.schedule();
    let points = (0..=config.max_iters)
        .step_by(5)
        .map(|t| (t as f64, schedule.lr(config.lr, t)))
        .collect();
    LineChart::new("Warm-up then cosine decay")
        .x_label("iteration")
        .y_label("learning rate")
        .include_y(0.0, config.lr * 1.05)
        .series("learning rate", points)
        .to_svg()
}

/// 60 iterations in one go, then 30, a checkpoint, a fresh model resumed from it
/// and 30 more; compares the two ends bit for bit.
fn resume_demo(
    data: &LmData,
    vocab: usize,
) -> Result<String, Box<dyn std::error::Error>> {
    let path = std::env::temp_dir()
        .join(format!("ch14-gpt-resume-{}.safetensors", std::process::id()));
    let config = TrainConfig {
        max_iters: 60,
        lr_decay_iters: 60,
        warmup_iters: 10,
        eval_interval: 30,
        eval_iters: 5,
        checkpoint: Some(path.clone()),
        ..TrainConfig::default()
    };
    let straight = new_gpt(GptConfig { dropout: 0.1, ..GptConfig::tiny(vocab) }, 1);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| straight.loss(x, y);
    let mut a = LmTrainer::new(
        &straight,
        &loss,
        &TrainConfig { checkpoint: None, ..config.clone() },
    );
    a.run(data)?;
    {
        let first =
            new_gpt(GptConfig { dropout: 0.1, ..GptConfig::tiny(vocab) }, 1);
        let loss = |x: &Tensor<i64>, y: &Tensor<i64>| first.loss(x, y);
        LmTrainer::new(&first, &loss, &config).run_until(data, 30)?;
    }
    let resumed =
        new_gpt(GptConfig { dropout: 0.1, ..GptConfig::tiny(vocab) }, 999);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| resumed.loss(x, y);
    let mut b = LmTrainer::resume(&resumed, &loss, &config, &path)?;
    b.run(data)?;
    std::fs::remove_file(&path).ok();
    let params = |m: &dyn Module| -> Vec<u32> {
        m.parameters()
            .iter()
            .flat_map(|p| p.value().to_vec())
            .map(f32::to_bits)
            .collect()
    };
    let optim = |t: &LmTrainer| -> Vec<u64> {
        t.optimizer()
            .state_dict()
            .iter()
            .flat_map(|(_, v)| v.cast::<f64>().to_vec())
            .map(f64::to_bits)
            .collect()
    };
    let losses = |t: &LmTrainer| -> Vec<u64> {
        t.history().iter().map(|r| r.val_loss.to_bits()).collect()
    };
    let same = |x: bool| if x { "yes" } else { "NO" }.to_string();
    let rows = vec![
        vec![
            "parameters".into(),
            format!("{}", params(&straight).len()),
            same(params(&straight) == params(&resumed)),
        ],
        vec![
            "AdamW state (moments, steps, rates)".into(),
            format!("{}", optim(&a).len()),
            same(optim(&a) == optim(&b)),
        ],
        vec![
            "validation losses at 0, 30, 60".into(),
            "3".into(),
            same(losses(&a) == losses(&b)),
        ],
        vec![
            "batch generator".into(),
            "4 words".into(),
            same(a.batch_rng().state() == b.batch_rng().state()),
        ],
    ];
    Ok(markdown_table(
        &["after 60 iterations (dropout 0.1)", "numbers", "bit for bit the same"],
        &rows,
    ))
}

/// The KV cache's speed-up: `model` (context 64) and a model with context 256.
/// Generation time does not depend on the weights, so `--kv-cache-only` runs it on
/// an untrained model.
fn kv_cache_table(
    out: &Output,
    model: &Gpt,
    vocab: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let long = new_gpt(GptConfig { block_size: 256, ..GptConfig::tiny(vocab) }, 1);
    long.eval();
    model.eval();
    let mut kv_rows = Vec::new();
    for (name, m) in [("context 64", model), ("context 256", &long)] {
        let speed = generation_speed(m, 3);
        out.step(&format!(
            "KV cache, {name}: {:.0} tokens/s cached, {:.0} without, {:.1}×",
            speed.cached,
            speed.uncached,
            speed.speedup()
        ));
        kv_rows.push(vec![
            name.to_string(),
            format!("{}", m.config().block_size - 1),
            format!("{:.0}", speed.uncached),
            format!("{:.0}", speed.cached),
            format!("{:.1}×", speed.speedup()),
        ]);
    }
    out.write(
        "kv-cache.md",
        &markdown_table(
            &[
                "model",
                "new tokens",
                "tokens/s without cache",
                "tokens/s with cache",
                "speed-up",
            ],
            &kv_rows,
        ),
    )?;
    Ok(())
}
