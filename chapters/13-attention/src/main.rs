//! Chapter 13's demo: `cargo run --release -p ch13-attention`.
//!
//! Works the chapter's attention example through (by hand and with the library's
//! kernel), measures why the scores are scaled by 1/√d_k, draws the sinusoidal
//! table, trains small transformer encoders to reverse and to sort digit strings
//! with and without positional encodings, and draws their attention. Everything the
//! book shows is written to `book/src/generated/13-attention/`.
//!
//! ```text
//! cargo run --release -p ch13-attention                       # everything
//! cargo run --release -p ch13-attention -- --task sort --positions learned --steps 3000
//!     [--layers N] [--lr X] [--post-norm]                     # one run, printed, nothing written
//! cargo run --release -p ch13-attention -- --memory           # the attention memory table only
//! ```

use ch13_attention::memory::{attention_pass, CountingAlloc};
use ch13_attention::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_autograd::{attention as attn, Variable};
use kindling_data::synthetic::{decode_string, StringTask};
use kindling_metrics::plot::{self, PlotOptions};
use kindling_tensor::attention::AttentionConfig;
use kindling_tensor::{KernelMode, Rng};
use kindling_transformer::position::SinusoidalEncoding;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const OPTIONS: [&str; 7] = [
    "--task",
    "--positions",
    "--steps",
    "--layers",
    "--lr",
    "--post-norm",
    "--memory",
];

fn arg(args: &[String], name: &str) -> Option<String> {
    chapter_kit::flag_value("ch13-attention", args, name)
}

fn number(args: &[String], name: &str) -> Option<f64> {
    chapter_kit::flag_number("ch13-attention", args, name)
}

fn parse_task(name: &str) -> StringTask {
    match name {
        "reverse" => StringTask::Reverse,
        "sort" => StringTask::Sort,
        other => {
            eprintln!("ch13-attention: unknown task {other:?} (reverse, sort)");
            std::process::exit(2)
        }
    }
}

fn parse_positions(name: &str) -> Positions {
    match name {
        "none" => Positions::None,
        "sinusoidal" => Positions::Sinusoidal,
        "learned" => Positions::Learned,
        other => {
            eprintln!("ch13-attention: unknown positions {other:?} (none, sinusoidal, learned)");
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

fn fmt_matrix_rows(names: &[&str], m: &Matrix) -> Vec<Vec<String>> {
    m.iter()
        .zip(names)
        .map(|(row, name)| {
            let mut cells = vec![name.to_string()];
            cells.extend(row.iter().map(|x| {
                if x.is_infinite() {
                    "−∞".to_string()
                } else {
                    format!("{x:.4}")
                }
            }));
            cells
        })
        .collect()
}

/// The worked example: scores, weights and outputs, plain and causal, checked
/// against the library's attention kernel.
fn worked_example(out: &Output) -> std::io::Result<()> {
    let (q, k, v) = tiny_example();
    let rows = ["query 1", "query 2", "query 3"];
    for (causal, name) in
        [(false, "worked-example.md"), (true, "worked-example-causal.md")]
    {
        let (weights, outputs) = attention_by_hand(&q, &k, &v, causal);
        let cfg =
            if causal { AttentionConfig::causal() } else { AttentionConfig::new() };
        let t = |m: &Matrix| Variable::constant(to_tensor(m).unsqueeze(0));
        let library =
            attn::scaled_dot_product_attention(&t(&q), &t(&k), &t(&v), &cfg)
                .value()
                .to_vec();
        let by_hand = outputs.concat();
        assert!(
            library.iter().zip(&by_hand).all(|(a, b)| (a - b).abs() < 1e-12),
            "the kernel agrees with the loops"
        );
        let scores: Matrix = q
            .iter()
            .enumerate()
            .map(|(i, qi)| {
                k.iter()
                    .enumerate()
                    .map(|(j, kj)| {
                        if causal && j > i {
                            f64::NEG_INFINITY
                        } else {
                            qi.iter().zip(kj).map(|(a, b)| a * b).sum::<f64>() / 2.0
                        }
                    })
                    .collect()
            })
            .collect();
        let mut table = String::from("Scaled scores q·k / √4:\n\n");
        table += &markdown_table(
            &["", "key 1", "key 2", "key 3"],
            &fmt_matrix_rows(&rows, &scores),
        );
        table += "\nWeights (softmax of each row):\n\n";
        table += &markdown_table(
            &["", "key 1", "key 2", "key 3"],
            &fmt_matrix_rows(&rows, &weights),
        );
        table += "\nOutputs (weights × V):\n\n";
        table += &markdown_table(
            &["", "column 1", "column 2"],
            &fmt_matrix_rows(&rows, &outputs),
        );
        out.write(name, &table)?;
    }
    out.step("worked example: by hand and kernel agree");
    Ok(())
}

fn scaling(out: &Output) -> std::io::Result<()> {
    let mut rng = Rng::seed(7);
    let rows: Vec<Vec<String>> = [4usize, 16, 64, 256, 1024]
        .iter()
        .map(|&d| {
            let (spread, raw, scaled) = score_spread(d, 16, 2000, &mut rng);
            vec![
                d.to_string(),
                format!("{spread:.2}"),
                format!("{:.2}", (d as f64).sqrt()),
                format!("{raw:.3}"),
                format!("{scaled:.3}"),
            ]
        })
        .collect();
    let table = markdown_table(
        &[
            "d_k",
            "std of q·k (measured)",
            "√d_k",
            "largest of 16 weights, unscaled",
            "largest, scaled by 1/√d_k",
        ],
        &rows,
    );
    out.write(
        "scaling.md",
        &format!("{table}\nMeans over 2,000 queries, each against 16 keys; components drawn from N(0, 1).\n"),
    )?;
    out.step("scaling table written");
    Ok(())
}

fn sinusoidal_plot(out: &Output) -> std::io::Result<()> {
    let table = SinusoidalEncoding::<f32>::new(48, 32).table();
    let rows: Vec<String> = (0..48)
        .map(|p| if p % 8 == 0 { p.to_string() } else { String::new() })
        .collect();
    let cols: Vec<String> = (0..32)
        .map(|c| if c % 4 == 0 { c.to_string() } else { String::new() })
        .collect();
    let options = PlotOptions {
        title: Some("Sinusoidal table: 48 positions (rows) × 32 columns".into()),
        ..PlotOptions::sized(760, 860)
    };
    plot::heatmap(&table, &rows, &cols, out.dir().join("sinusoidal.svg"), &options)
        .map_err(std::io::Error::other)?;
    out.step("sinusoidal.svg written");
    Ok(())
}

/// Peak memory and time of causal attention, forward and backward, naive against
/// fast, at growing contexts (4 heads of 32, the tiny GPT's shape, one sequence).
fn memory_table(out: &Output) -> std::io::Result<()> {
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
    let mut rows = Vec::new();
    for context in [256usize, 1024, 4096] {
        let naive = attention_pass(KernelMode::Naive, 4, context, 32);
        // The fast pass is short, and timings on a shared machine jitter: keep the
        // best of 3.
        let fast = (0..3)
            .map(|_| attention_pass(KernelMode::Fast, 4, context, 32))
            .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
            .expect("three runs");
        out.step(&format!(
            "attention at context {context}: naive {:.1} MiB in {:.2} s, fast {:.1} MiB in {:.3} s",
            mib(naive.peak_bytes),
            naive.seconds,
            mib(fast.peak_bytes),
            fast.seconds
        ));
        rows.push(vec![
            context.to_string(),
            format!("{:.1} MiB", mib(context * context * 4)),
            format!("{:.1} MiB", mib(naive.peak_bytes)),
            format!("{:.2} MiB", mib(fast.peak_bytes)),
            format!("{:.0}×", naive.seconds / fast.seconds),
        ]);
    }
    let table = markdown_table(
        &[
            "context",
            "one L × S matrix (f32)",
            "naive: peak extra memory",
            "fast: peak extra memory",
            "fast speed-up",
        ],
        &rows,
    );
    out.write(
        "attention-memory.md",
        &format!(
            "{table}\nCausal self-attention of one sequence, 4 heads of width 32, f32, forward and backward through \
             `kindling_autograd::attention`; memory counted by the demo's allocator beyond q, k and v (the \
             gradients of q, k and v included); time of one naive run against the best of three fast ones, release build.\n"
        ),
    )
}

/// One trained tagger and what it scored.
struct Run {
    recipe: Recipe,
    model: Tagger,
    log: TrainLog,
    token_acc: f64,
    exact: f64,
    held_out: kindling_data::synthetic::StringPairs,
}

fn run(out: &Output, recipe: Recipe) -> Run {
    let (train_set, held_out) = recipe.data();
    let model = Tagger::new(&recipe, &mut Rng::seed(recipe.seed));
    let label = format!(
        "{} / positions {}",
        task_name(recipe.task),
        recipe.positions.name()
    );
    out.step(&format!(
        "training {label}: {} steps of {}",
        recipe.steps, recipe.batch
    ));
    let log = train(&model, &recipe, &train_set);
    let (token_acc, exact) = evaluate(&model, &held_out);
    out.step(&format!(
        "{label}: {:.1} s, final loss {:.4}; held-out token accuracy {:.2}%, exact match {:.2}%",
        log.seconds,
        log.losses.last().map_or(f64::NAN, |l| l.1),
        100.0 * token_acc,
        100.0 * exact
    ));
    Run { recipe, model, log, token_acc, exact, held_out }
}

fn chars(tokens: &[i64]) -> Vec<String> {
    tokens.iter().map(|&t| decode_string(&[t])).collect()
}

/// The attention of every layer (averaged over heads) and of every head of the last
/// layer on the first held-out example, as heatmaps.
fn write_heatmaps(out: &Output, r: &Run, stem: &str) -> std::io::Result<()> {
    let source = &r.held_out.sources[0];
    let maps = r.model.attention_maps(&batch_tokens(std::slice::from_ref(source)));
    let prediction = r.model.predict(std::slice::from_ref(source)).remove(0);
    let cols = chars(source);
    let rows: Vec<String> = (0..source.len())
        .map(|i| format!("{} → {}", i + 1, decode_string(&prediction[i..=i])))
        .collect();
    let size = PlotOptions::sized(
        150 + 40 * cols.len() as u32,
        120 + 34 * rows.len() as u32,
    );
    for (l, map) in maps.iter().enumerate() {
        let mean = map.select(0, 0).mean(0, false);
        let options = PlotOptions {
            title: Some(format!(
                "{} {}: layer {}",
                task_name(r.recipe.task),
                decode_string(source),
                l + 1
            )),
            ..size.clone()
        };
        let name = format!("{stem}-layer{}.svg", l + 1);
        plot::heatmap(&mean, &rows, &cols, out.dir().join(&name), &options)
            .map_err(std::io::Error::other)?;
        out.step(&format!("  wrote {name}"));
    }
    Ok(())
}

fn single(args: &[String]) {
    let task = parse_task(&arg(args, "--task").unwrap_or_else(|| "reverse".into()));
    let positions = parse_positions(
        &arg(args, "--positions").unwrap_or_else(|| "sinusoidal".into()),
    );
    let mut recipe = Recipe::new(task, positions);
    if let Some(s) = number(args, "--steps") {
        recipe.steps = s as usize;
    }
    if let Some(l) = number(args, "--layers") {
        recipe.layers = l as usize;
    }
    if let Some(lr) = number(args, "--lr") {
        recipe.lr = lr;
    }
    recipe.norm_first = !args.iter().any(|a| a == "--post-norm");
    let out = Output::for_chapter("13-attention").expect("the output folder");
    run(&out, recipe);
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    for a in &args {
        if a.starts_with("--") && !OPTIONS.contains(&a.as_str()) {
            eprintln!(
                "ch13-attention: unknown option {a} (known: {})",
                OPTIONS.join(", ")
            );
            std::process::exit(2);
        }
    }
    if args.iter().any(|a| a == "--memory") {
        return memory_table(&Output::for_chapter("13-attention")?);
    }
    if !args.is_empty() {
        single(&args);
        return Ok(());
    }
    let out = Output::for_chapter("13-attention")?;
    worked_example(&out)?;
    scaling(&out)?;
    sinusoidal_plot(&out)?;
    memory_table(&out)?;

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runs = Vec::new();
    for task in [StringTask::Reverse, StringTask::Sort] {
        for positions in
            [Positions::None, Positions::Sinusoidal, Positions::Learned]
        {
            runs.push(run(&out, Recipe::new(task, positions)));
        }
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                task_name(r.recipe.task).to_string(),
                r.recipe.positions.name().to_string(),
                r.recipe.steps.to_string(),
                format!("{:.0} s", r.log.seconds),
                format!("{:.3}", r.log.losses.last().map_or(f64::NAN, |l| l.1)),
                format!("{:.2}%", 100.0 * r.token_acc),
                format!("{:.2}%", 100.0 * r.exact),
            ]
        })
        .collect();
    let table = markdown_table(
        &[
            "task",
            "positions",
            "steps",
            "training time",
            "final loss",
            "token accuracy",
            "exact match",
        ],
        &rows,
    );
    out.write(
        "results.md",
        &format!(
            "{table}\nStrings of 8 digits; {} held-out strings never seen in training; release build, {threads} threads.\n",
            runs[0].held_out.len()
        ),
    )?;

    for task in [StringTask::Reverse, StringTask::Sort] {
        let mut chart =
            LineChart::new(&format!("{}: training loss", task_name(task)))
                .x_label("step")
                .y_label("cross-entropy per output digit (nats)");
        for r in runs.iter().filter(|r| r.recipe.task == task) {
            chart = chart.series(
                r.recipe.positions.name(),
                r.log.losses.iter().map(|&(s, l)| (s as f64, l)).collect(),
            );
        }
        out.write(&format!("loss-{}.svg", task_name(task)), &chart.to_svg())?;
    }
    for r in runs.iter().filter(|r| r.recipe.positions == Positions::Learned) {
        write_heatmaps(
            &out,
            r,
            &format!("attention-{}", task_name(r.recipe.task)),
        )?;
    }
    Ok(())
}
