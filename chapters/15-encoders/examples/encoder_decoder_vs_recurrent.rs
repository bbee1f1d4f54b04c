//! The encoder–decoder transformer against chapter 12's recurrent encoder–decoder
//! with Luong attention, on chapter 12's string tasks: reversing and sorting digit
//! strings of 5 to 20 digits, and adding two numbers of 1 to 3 digits written as
//! text.
//!
//! Both models get chapter 12's budget for each task (the same steps of the same
//! batch size, so the same examples seen, drawn from the same 100,000 training
//! pairs), are scored by exact match on the same 2,000 held-out pairs (greedy; beam
//! 4 with GNMT's α = 0.6 on the first 500) and per source length, and are timed on
//! one core. By default every budget is halved (`--scale 0.5`) to keep the run near
//! ten minutes.
//!
//! ```text
//! cargo run --release -p ch15-encoders --example encoder_decoder_vs_recurrent -- \
//!     [--json PATH] [--tasks reverse,sort,add] [--scale X] [--threads N]
//! ```
//!
//! `--json` writes the table and curves for the chapter's plots; `--scale`
//! multiplies every budget (default 0.5; 1 is chapter 12's); `--threads` sets
//! rayon's pool (default 1, set before any work so every kernel runs on one core).

use chapter_kit::markdown_table;
use kindling_autograd::no_grad;
use kindling_data::synthetic::{
    string_task, StringPairs, StringTask, STRING_VOCAB,
};
use kindling_metrics::metrics::text::exact_match;
use kindling_nn::Module;
use kindling_optim::{clip_grad_norm, Adam, AdamConfig, Optimizer};
use kindling_sequence::seq2seq::{
    beam_search, greedy, Attention, Seq2Seq, Seq2SeqBatch, Seq2SeqConfig,
};
use kindling_tensor::Rng;
use kindling_transformer::seq2seq::{
    train_pairs, Seq2SeqTransformer, Seq2SeqTransformerConfig, TrainOptions,
};
use std::fmt::Write as _;
use std::time::Instant;

/// The share of chapter 12's budgets the default run takes, to stay near ten
/// minutes on one core (`--scale 1` for the full budgets).
const DEFAULT_SCALE: f64 = 0.5;
const PROGRAM: &str = "encoder_decoder_vs_recurrent";
const SEED: u64 = 12;
const N_TRAIN: usize = 100_000;
const N_HELD_OUT: usize = 2_000;
const BEAM: usize = 4;
/// Beam search runs on the first this many held-out pairs (greedy on all of them).
const BEAM_EXAMPLES: usize = 500;
const ALPHA: f64 = 0.6;

/// Chapter 12's budget for one task (`Recipe::new` in chapters/12-seq2seq).
#[derive(Clone, Copy)]
struct Budget {
    task: StringTask,
    min_len: usize,
    max_len: usize,
    steps: usize,
    batch: usize,
    /// Chapter 12's Adam peak rate for the recurrent model.
    recurrent_lr: f64,
}

fn budget(task: StringTask, scale: f64) -> Budget {
    let (min_len, max_len, recurrent_lr) = match task {
        StringTask::Reverse | StringTask::Sort => (5, 20, 2e-3),
        StringTask::Add => (1, 3, 3e-3),
    };
    // The same steps and batches as chapter 12's recipe.
    let TrainOptions { steps, batch, .. } = TrainOptions::for_string_task(task);
    Budget {
        task,
        min_len,
        max_len,
        steps: ((steps as f64 * scale).round() as usize).max(10),
        batch,
        recurrent_lr,
    }
}

impl Budget {
    /// The longest output plus EOS.
    fn max_output(&self) -> usize {
        self.max_len + if self.task == StringTask::Add { 2 } else { 1 }
    }
}

fn task_name(task: StringTask) -> &'static str {
    match task {
        StringTask::Reverse => "reverse",
        StringTask::Sort => "sort",
        StringTask::Add => "add",
    }
}

/// One trained model's scores.
struct Outcome {
    model: &'static str,
    task: StringTask,
    parameters: usize,
    steps: usize,
    train_seconds: f64,
    decode_seconds: f64,
    greedy_em: f64,
    beam_em: f64,
    /// (source length, exact match, examples).
    by_length: Vec<(usize, f64, usize)>,
    /// (step, mean training loss).
    losses: Vec<(usize, f64)>,
}

/// Chapter 12's learning rate: 100 warm-up steps (at most a tenth), then cosine to
/// a tenth.
fn chapter12_lr(step: usize, steps: usize, lr: f64) -> f64 {
    let warmup = 100.min(steps / 10).max(1);
    if step < warmup {
        return lr * (step + 1) as f64 / warmup as f64;
    }
    let progress =
        ((step - warmup) as f64 / (steps - warmup).max(1) as f64).min(1.0);
    lr / 10.0
        + (lr - lr / 10.0) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
}

fn by_length(
    outputs: &[Vec<i64>],
    pairs: &StringPairs,
) -> Vec<(usize, f64, usize)> {
    let longest = pairs.sources.iter().map(Vec::len).max().unwrap_or(0);
    (1..=longest)
        .filter_map(|len| {
            let idx: Vec<usize> = (0..pairs.len())
                .filter(|&i| pairs.sources[i].len() == len)
                .collect();
            let pick = |v: &[Vec<i64>]| {
                idx.iter().map(|&i| v[i].clone()).collect::<Vec<_>>()
            };
            (!idx.is_empty()).then(|| {
                (len, exact_match(&pick(outputs), &pick(&pairs.targets)), idx.len())
            })
        })
        .collect()
}

/// Chapter 12's recurrent model and training loop: a bidirectional GRU encoder of 2
/// × 64, a GRU decoder of 128 with Luong (general) attention, full teacher forcing,
/// Adam, clipping at 1.
fn recurrent(b: &Budget, train: &StringPairs, held_out: &StringPairs) -> Outcome {
    let config = Seq2SeqConfig::new(STRING_VOCAB)
        .embed(32)
        .hidden(64)
        .attention_dim(64)
        .attention(Attention::Multiplicative);
    let model = Seq2Seq::<f32>::new(config.clone(), &mut Rng::seed(SEED));
    let mut rng = Rng::seed(SEED + 1);
    let mut optimizer = Adam::new(
        model.parameters(),
        AdamConfig { lr: b.recurrent_lr, ..Default::default() },
    );
    let (mut losses, mut window) = (Vec::new(), 0.0);
    let start = Instant::now();
    model.train();
    for step in 0..b.steps {
        let picks: Vec<usize> =
            (0..b.batch).map(|_| rng.below(train.len() as u64) as usize).collect();
        let sources: Vec<Vec<i64>> =
            picks.iter().map(|&i| train.sources[i].clone()).collect();
        let targets: Vec<Vec<i64>> =
            picks.iter().map(|&i| train.targets[i].clone()).collect();
        let batch = Seq2SeqBatch::new(&sources, &targets, &config);
        optimizer.set_learning_rate(chapter12_lr(step, b.steps, b.recurrent_lr));
        optimizer.zero_grad();
        let loss = model.loss(&batch, 1.0, &mut rng);
        loss.backward();
        clip_grad_norm(&model.parameters(), 1.0);
        optimizer.step();
        window += f64::from(loss.value().item());
        if (step + 1) % 100 == 0 {
            losses.push((step + 1, window / 100.0));
            window = 0.0;
        }
    }
    model.eval();
    let train_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let (greedy_out, beam_out): (Vec<Vec<i64>>, Vec<Vec<i64>>) = no_grad(|| {
        let g = held_out
            .sources
            .chunks(256)
            .flat_map(|c| greedy(&model, c, b.max_output()))
            .map(|d| d.tokens);
        let k = held_out.sources[..BEAM_EXAMPLES]
            .chunks(256)
            .flat_map(|c| beam_search(&model, c, BEAM, b.max_output(), ALPHA));
        (g.collect(), k.map(|d| d.tokens).collect())
    });
    Outcome {
        model: "GRU + Luong attention (ch. 12)",
        task: b.task,
        parameters: model.num_parameters(),
        steps: b.steps,
        train_seconds,
        decode_seconds: start.elapsed().as_secs_f64(),
        greedy_em: exact_match(&greedy_out, &held_out.targets),
        beam_em: exact_match(&beam_out, &held_out.targets[..BEAM_EXAMPLES]),
        by_length: by_length(&greedy_out, held_out),
        losses,
    }
}

/// The transformer with the same steps and batches: width 64, 4 heads, 2 + 2
/// pre-norm layers, feed-forward 128, no dropout (100,000 pairs are plenty), Adam
/// (0.9, 0.98) at 2·10⁻³.
fn transformer(b: &Budget, train: &StringPairs, held_out: &StringPairs) -> Outcome {
    let config = Seq2SeqTransformerConfig::new(STRING_VOCAB).dropout(0.0);
    let model = Seq2SeqTransformer::<f32>::new(config, &mut Rng::seed(SEED));
    let options = TrainOptions {
        steps: b.steps,
        seed: SEED + 1,
        ..TrainOptions::for_string_task(b.task)
    };
    let log =
        train_pairs(&model, &train.sources, &train.targets, &options, |_, _| {});
    let start = Instant::now();
    let greedy_out: Vec<Vec<i64>> = held_out
        .sources
        .chunks(256)
        .flat_map(|c| model.greedy(c, b.max_output()))
        .collect();
    let beam_out: Vec<Vec<i64>> = held_out.sources[..BEAM_EXAMPLES]
        .chunks(256)
        .flat_map(|c| model.beam_search(c, BEAM, b.max_output(), ALPHA))
        .collect();
    Outcome {
        model: "transformer (this chapter)",
        task: b.task,
        parameters: model.num_parameters(),
        steps: log.steps,
        train_seconds: log.seconds,
        decode_seconds: start.elapsed().as_secs_f64(),
        greedy_em: exact_match(&greedy_out, &held_out.targets),
        beam_em: exact_match(&beam_out, &held_out.targets[..BEAM_EXAMPLES]),
        by_length: by_length(&greedy_out, held_out),
        losses: log.losses,
    }
}

fn json(outcomes: &[Outcome], threads: &str, scale: f64) -> String {
    let pairs = |v: &[(usize, f64)]| {
        v.iter().map(|(s, l)| format!("[{s},{l:.6}]")).collect::<Vec<_>>().join(",")
    };
    let mut s = format!("{{\"threads\":\"{threads}\",\"scale\":{scale},\"n_train\":{N_TRAIN},\"n_held_out\":{N_HELD_OUT},\"beam\":{BEAM},\"alpha\":{ALPHA},\"runs\":[");
    for (i, o) in outcomes.iter().enumerate() {
        let lengths: Vec<String> = o
            .by_length
            .iter()
            .map(|(l, em, n)| format!("[{l},{em:.6},{n}]"))
            .collect();
        write!(
            s,
            "{}{{\"model\":\"{}\",\"task\":\"{}\",\"parameters\":{},\"steps\":{},\"train_seconds\":{:.3},\"decode_seconds\":{:.3},\"greedy_exact_match\":{:.6},\"beam_exact_match\":{:.6},\"by_length\":[{}],\"losses\":[{}]}}",
            if i == 0 { "" } else { "," },
            o.model,
            task_name(o.task),
            o.parameters,
            o.steps,
            o.train_seconds,
            o.decode_seconds,
            o.greedy_em,
            o.beam_em,
            lengths.join(","),
            pairs(&o.losses)
        )
        .unwrap();
    }
    s.push_str("]}\n");
    s
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let known = ["--json", "--tasks", "--scale", "--threads"];
    if let Some(a) =
        args.iter().find(|a| a.starts_with("--") && !known.contains(&a.as_str()))
    {
        eprintln!("{PROGRAM}: unknown option {a} (known: {})", known.join(", "));
        std::process::exit(2);
    }
    let threads = chapter_kit::flag_value(PROGRAM, &args, "--threads")
        .unwrap_or_else(|| "1".into());
    // Before any kernel starts rayon's global pool.
    std::env::set_var("RAYON_NUM_THREADS", &threads);
    let scale: f64 = chapter_kit::flag_number(PROGRAM, &args, "--scale")
        .unwrap_or(DEFAULT_SCALE);
    let tasks: Vec<StringTask> = chapter_kit::flag_value(PROGRAM, &args, "--tasks")
        .unwrap_or_else(|| "reverse,sort,add".into())
        .split(',')
        .map(|t| match t {
            "reverse" => StringTask::Reverse,
            "sort" => StringTask::Sort,
            "add" => StringTask::Add,
            other => {
                eprintln!("{PROGRAM}: unknown task {other:?} (reverse, sort, add)");
                std::process::exit(2)
            }
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        let b = budget(task, scale);
        let (train, held_out) =
            string_task(task, N_TRAIN, N_HELD_OUT, b.min_len, b.max_len, SEED);
        println!(
            "{}: {} steps of {} examples each",
            task_name(task),
            b.steps,
            b.batch
        );
        for run in [
            transformer as fn(&Budget, &StringPairs, &StringPairs) -> Outcome,
            recurrent,
        ] {
            let o = run(&b, &train, &held_out);
            println!(
                "  {:<32} {:>7} parameters  train {:>6.1} s  decode {:>5.1} s  exact match {:>6.2}% greedy, {:>6.2}% beam {BEAM}",
                o.model,
                o.parameters,
                o.train_seconds,
                o.decode_seconds,
                100.0 * o.greedy_em,
                100.0 * o.beam_em
            );
            outcomes.push(o);
        }
    }
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            vec![
                task_name(o.task).to_string(),
                o.model.to_string(),
                o.parameters.to_string(),
                o.steps.to_string(),
                format!("{:.0} s", o.train_seconds),
                format!("{:.2}%", 100.0 * o.greedy_em),
                format!("{:.2}%", 100.0 * o.beam_em),
            ]
        })
        .collect();
    let headers = [
        "task",
        "model",
        "parameters",
        "steps",
        "training time",
        "exact match (greedy)",
        "exact match (beam 4)",
    ];
    println!("\n{}", markdown_table(&headers, &rows));
    println!("Held-out sets of {N_HELD_OUT} examples; release build, {threads} thread(s), budget scale {scale}.");
    for o in &outcomes {
        let worst = o.by_length.iter().map(|x| x.1).fold(1.0, f64::min);
        println!(
            "  {} / {}: worst length {:.1}%",
            task_name(o.task),
            o.model,
            100.0 * worst
        );
    }
    if let Some(path) = chapter_kit::flag_value(PROGRAM, &args, "--json") {
        kindling_tensor::io::write_atomic(
            std::path::Path::new(&path),
            json(&outcomes, &threads, scale).as_bytes(),
        )?;
        println!("wrote {path}");
    }
    Ok(())
}
