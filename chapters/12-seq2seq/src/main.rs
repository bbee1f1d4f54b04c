//! Chapter 12's demo: `cargo run --release -p ch12-seq2seq`.
//!
//! Trains encoder–decoder models on three string tasks (reversing and sorting digit
//! strings of 5 to 20 digits, adding two numbers written as text), each with Luong
//! attention and without attention; measures exact match on held-out examples by
//! greedy decoding and beam search, and per source length; draws attention heatmaps
//! of the trained models. Everything the book shows is written to
//! `book/src/generated/12-seq2seq/`.
//!
//! ```text
//! cargo run --release -p ch12-seq2seq                     # every task, with and without attention
//! cargo run --release -p ch12-seq2seq -- --task reverse --attention additive --steps 2000
//!     [--hidden N] [--lr X] [--max-seconds S] [--batch N] [--max-len N] [--layers N]
//!                                                         # one run, printed, nothing written
//! ```

use ch12_seq2seq::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_data::synthetic::{decode_string, StringPairs, StringTask};
use kindling_metrics::metrics::text::{
    bleu, exact_match, token_accuracy, BleuOptions,
};
use kindling_metrics::plot::{self, PlotOptions};
use kindling_sequence::seq2seq::{Attention, Decoded};

const OPTIONS: [&str; 9] = [
    "--task",
    "--attention",
    "--steps",
    "--hidden",
    "--lr",
    "--max-seconds",
    "--batch",
    "--max-len",
    "--layers",
];

fn arg(args: &[String], name: &str) -> Option<String> {
    chapter_kit::flag_value("ch12-seq2seq", args, name)
}

fn number(args: &[String], name: &str) -> Option<f64> {
    chapter_kit::flag_number("ch12-seq2seq", args, name)
}

fn parse_task(name: &str) -> StringTask {
    match name {
        "reverse" => StringTask::Reverse,
        "sort" => StringTask::Sort,
        "add" => StringTask::Add,
        other => {
            eprintln!("ch12-seq2seq: unknown task {other:?} (reverse, sort, add)");
            std::process::exit(2)
        }
    }
}

fn parse_attention(name: &str) -> Attention {
    match name {
        "none" => Attention::None,
        "additive" | "bahdanau" => Attention::Additive,
        "luong" | "multiplicative" => Attention::Multiplicative,
        "dot" => Attention::Dot,
        other => {
            eprintln!("ch12-seq2seq: unknown attention {other:?} (none, additive, luong, dot)");
            std::process::exit(2)
        }
    }
}

fn task_name(task: StringTask) -> &'static str {
    match task {
        StringTask::Reverse => "reverse",
        StringTask::Sort => "sort",
        StringTask::Add => "add",
    }
}

fn attention_name(a: Attention) -> &'static str {
    match a {
        Attention::None => "none",
        Attention::Additive => "Bahdanau (additive)",
        Attention::Multiplicative => "Luong (general)",
        Attention::Dot => "Luong (dot)",
    }
}

/// One trained model and what it scored.
struct Run {
    recipe: Recipe,
    held_out: StringPairs,
    log: TrainLog,
    greedy: Vec<Decoded<f32>>,
    greedy_em: f64,
    beam_em: f64,
    token_acc: f64,
    bleu: f64,
}

fn run(out: &Output, recipe: Recipe, max_seconds: Option<f64>) -> Run {
    let (train_set, held_out) = task_data(&recipe);
    let model = new_model(&recipe);
    let label = format!(
        "{} / {}",
        task_name(recipe.task),
        attention_name(recipe.model.attention)
    );
    out.step(&format!(
        "training {label}: {} steps of {} examples",
        recipe.steps, recipe.batch
    ));
    let log = train(&model, &recipe, &train_set, max_seconds, |step, loss| {
        if step % 500 == 0 {
            println!("    step {step:>5}  loss {loss:.4}");
        }
    });
    let greedy = decode_all(&model, &held_out.sources, 1, recipe.max_output());
    let beam = decode_all(&model, &held_out.sources, 4, recipe.max_output());
    let tokens =
        |d: &[Decoded<f32>]| d.iter().map(|o| o.tokens.clone()).collect::<Vec<_>>();
    let greedy_em = exact_match(&tokens(&greedy), &held_out.targets);
    let beam_em = exact_match(&tokens(&beam), &held_out.targets);
    let token_acc = token_accuracy(&tokens(&greedy), &held_out.targets);
    let references: Vec<Vec<Vec<i64>>> =
        held_out.targets.iter().map(|t| vec![t.clone()]).collect();
    let bleu = bleu(&tokens(&greedy), &references, &BleuOptions::default()).score;
    out.step(&format!(
        "{label}: {} steps in {:.1} s; held-out exact match {:.2}% greedy, {:.2}% beam 4; token accuracy {:.2}%",
        log.steps,
        log.seconds,
        100.0 * greedy_em,
        100.0 * beam_em,
        100.0 * token_acc
    ));
    Run { recipe, held_out, log, greedy, greedy_em, beam_em, token_acc, bleu }
}

fn chars(tokens: &[i64]) -> Vec<String> {
    tokens.iter().map(|&t| decode_string(&[t])).collect()
}

/// The heatmap of the first held-out example of `len` source tokens that the model
/// gets right.
fn write_heatmap(
    out: &Output,
    run: &Run,
    len: usize,
    name: &str,
) -> std::io::Result<()> {
    let pick = (0..run.held_out.len())
        .find(|&i| {
            run.held_out.sources[i].len() == len
                && run.greedy[i].tokens == run.held_out.targets[i]
        })
        .or_else(|| {
            (0..run.held_out.len()).find(|&i| run.held_out.sources[i].len() == len)
        });
    let Some(i) = pick else { return Ok(()) };
    let d = &run.greedy[i];
    let mut rows = chars(&d.tokens);
    if d.finished {
        rows.push("<eos>".into());
    }
    let title = format!(
        "{} ({}): {}",
        task_name(run.recipe.task),
        attention_name(run.recipe.model.attention),
        decode_string(&run.held_out.sources[i])
    );
    let cols = chars(&run.held_out.sources[i]);
    let options = PlotOptions {
        title: Some(title),
        ..PlotOptions::sized(
            120 + 34 * cols.len() as u32,
            110 + 30 * rows.len() as u32,
        )
    };
    let path = out.dir().join(name);
    plot::heatmap(&d.attention, &rows, &cols, &path, &options)
        .map_err(std::io::Error::other)?;
    out.step(&format!("  wrote {name}"));
    Ok(())
}

fn single(args: &[String]) {
    let task = parse_task(&arg(args, "--task").unwrap_or_else(|| "reverse".into()));
    let attention = parse_attention(
        &arg(args, "--attention").unwrap_or_else(|| "luong".into()),
    );
    let mut recipe = Recipe::new(task, attention);
    if let Some(s) = number(args, "--steps") {
        recipe.steps = s as usize;
    }
    if let Some(h) = number(args, "--hidden") {
        recipe.model.hidden = h as usize;
        recipe.model.attention_dim = h as usize;
    }
    if let Some(lr) = number(args, "--lr") {
        recipe.lr = lr;
    }
    if let Some(b) = number(args, "--batch") {
        recipe.batch = b as usize;
    }
    if let Some(m) = number(args, "--max-len") {
        recipe.max_len = m as usize;
    }
    if let Some(l) = number(args, "--layers") {
        recipe.model.layers = l as usize;
    }
    let out = Output::for_chapter("12-seq2seq").expect("the output folder");
    let r = run(&out, recipe, number(args, "--max-seconds"));
    let by_len = exact_match_by_length(
        &r.greedy.iter().map(|d| d.tokens.clone()).collect::<Vec<_>>(),
        &r.held_out,
    );
    for (len, em, n) in by_len {
        println!("    length {len:>2}: {:.1}% of {n}", 100.0 * em);
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    for a in &args {
        if a.starts_with("--") && !OPTIONS.contains(&a.as_str()) {
            eprintln!(
                "ch12-seq2seq: unknown option {a} (known: {})",
                OPTIONS.join(", ")
            );
            std::process::exit(2);
        }
    }
    if arg(&args, "--task").is_some() || arg(&args, "--attention").is_some() {
        single(&args);
        return Ok(());
    }
    let out = Output::for_chapter("12-seq2seq")?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runs = Vec::new();
    for task in [StringTask::Reverse, StringTask::Sort, StringTask::Add] {
        for attention in [Attention::Multiplicative, Attention::None] {
            runs.push(run(&out, Recipe::new(task, attention), None));
        }
    }
    // Bahdanau's attention on reversal, decoded step by step in training too.
    // Its step-by-step decoder is slower per step: it gets the same steps or four
    // minutes.
    runs.push(run(
        &out,
        Recipe::new(StringTask::Reverse, Attention::Additive),
        Some(240.0),
    ));

    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                task_name(r.recipe.task).to_string(),
                attention_name(r.recipe.model.attention).to_string(),
                format!("{}–{}", r.recipe.min_len, r.recipe.max_len),
                r.log.steps.to_string(),
                format!("{:.0} s", r.log.seconds),
                format!("{:.2}%", 100.0 * r.greedy_em),
                format!("{:.2}%", 100.0 * r.beam_em),
                format!("{:.2}%", 100.0 * r.token_acc),
                format!("{:.1}", r.bleu),
            ]
        })
        .collect();
    let table = markdown_table(
        &[
            "task",
            "attention",
            "lengths",
            "steps",
            "training time",
            "exact match (greedy)",
            "exact match (beam 4)",
            "token accuracy",
            "BLEU",
        ],
        &rows,
    );
    out.write(
        "results.md",
        &format!(
            "{table}\nHeld-out sets of {} examples never seen in training; release build, {threads} threads.\n",
            runs[0].held_out.len()
        ),
    )?;

    // Accuracy against length, with and without attention.
    for task in [StringTask::Reverse, StringTask::Sort, StringTask::Add] {
        let mut chart = LineChart::new(&format!(
            "{}: held-out exact match by source length",
            task_name(task)
        ))
        .x_label("source length (tokens)")
        .y_label("exact match (greedy)")
        .include_y(0.0, 1.05);
        let mut lines = Vec::new();
        for r in runs.iter().filter(|r| r.recipe.task == task) {
            let outs: Vec<Vec<i64>> =
                r.greedy.iter().map(|d| d.tokens.clone()).collect();
            let by_len = exact_match_by_length(&outs, &r.held_out);
            let points: Vec<(f64, f64)> =
                by_len.iter().map(|&(l, em, _)| (l as f64, em)).collect();
            lines.push((attention_name(r.recipe.model.attention), by_len));
            chart = chart.series(attention_name(r.recipe.model.attention), points);
        }
        out.write(&format!("by-length-{}.svg", task_name(task)), &chart.to_svg())?;
        let lens: Vec<usize> = lines[0].1.iter().map(|x| x.0).collect();
        let table_rows: Vec<Vec<String>> = lens
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut row = vec![l.to_string()];
                row.extend(
                    lines.iter().map(|(_, b)| format!("{:.1}%", 100.0 * b[i].1)),
                );
                row
            })
            .collect();
        let mut headers = vec!["source length"];
        headers.extend(lines.iter().map(|(n, _)| *n));
        out.write(
            &format!("by-length-{}.md", task_name(task)),
            &markdown_table(&headers, &table_rows),
        )?;
    }

    // Training curves.
    let mut chart = LineChart::new("Training loss")
        .x_label("step")
        .y_label("cross-entropy per token (nats)");
    for r in &runs {
        let name = format!(
            "{} / {}",
            task_name(r.recipe.task),
            attention_name(r.recipe.model.attention)
        );
        chart = chart.series(
            &name,
            r.log
                .losses
                .iter()
                .map(|&(s, l)| (s as f64, l.max(1e-4).log10()))
                .collect(),
        );
    }
    out.write(
        "loss.svg",
        &chart.y_label("log10 cross-entropy per token").to_svg(),
    )?;

    // Heatmaps from the attention models.
    for r in runs.iter().filter(|r| r.recipe.model.attention != Attention::None) {
        let (len, name) = match (r.recipe.task, r.recipe.model.attention) {
            (StringTask::Reverse, Attention::Additive) => {
                (12, "attention-reverse-bahdanau.svg")
            }
            (StringTask::Reverse, _) => (12, "attention-reverse.svg"),
            (StringTask::Sort, _) => (12, "attention-sort.svg"),
            (StringTask::Add, _) => (7, "attention-add.svg"),
        };
        write_heatmap(&out, r, len, name)?;
    }

    // A few outputs of the model without attention on long inputs, next to the
    // truth.
    let mut examples = Vec::new();
    for r in runs.iter().filter(|r| r.recipe.task == StringTask::Reverse) {
        for i in (0..r.held_out.len())
            .filter(|&i| r.held_out.sources[i].len() >= 18)
            .take(3)
        {
            examples.push(vec![
                attention_name(r.recipe.model.attention).to_string(),
                decode_string(&r.held_out.sources[i]),
                decode_string(&r.held_out.targets[i]),
                decode_string(&r.greedy[i].tokens),
            ]);
        }
    }
    out.write(
        "long-examples.md",
        &markdown_table(
            &["attention", "source", "target", "greedy output"],
            &examples,
        ),
    )?;
    Ok(())
}
